// The safetensors writer against the reader: exact round trips (bit patterns included), empty
// tensors, many tensors, the 8-byte alignment the format asks for, and the very bytes
// transformers wrote for the committed BERT/ELECTRA fixtures.
#include "hf/safetensors_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "base/file_util.h"
#include "hf/safetensors.h"

namespace fenlei::hf {
namespace {

Tensor tensor(std::vector<int64_t> shape, float start = 0.5f) {
  Tensor t;
  t.shape = std::move(shape);
  t.data.resize(t.numel());
  for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = start + 0.25f * static_cast<float>(i);
  return t;
}

uint64_t header_length(const std::string& bytes) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[i]);
  return n;
}

void expect_bit_identical(const TensorMap& a, const TensorMap& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) {
    auto it = b.find(name);
    ASSERT_NE(it, b.end()) << name;
    EXPECT_EQ(it->second.shape, t.shape) << name;
    ASSERT_EQ(it->second.data.size(), t.data.size()) << name;
    EXPECT_EQ(0, t.data.empty() ? 0
                                : std::memcmp(t.data.data(), it->second.data.data(),
                                              t.data.size() * sizeof(float)))
        << name;
  }
}

TEST(SafetensorsWriter, RoundTripsThroughTheReaderBitForBit) {
  TensorMap m;
  m["scalar"] = tensor({});
  m["vector"] = tensor({5});
  m["matrix"] = tensor({3, 4}, -7.0f);
  m["cube"] = tensor({2, 3, 2});
  // Values whose bits a conversion would disturb: NaN payload, -0, infinities, denormals.
  Tensor odd;
  odd.shape = {6};
  uint32_t nan_bits = 0x7FC01234u;
  float nan;
  std::memcpy(&nan, &nan_bits, 4);
  odd.data = {nan, -0.0f, std::numeric_limits<float>::infinity(),
              -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::denorm_min(),
              std::numeric_limits<float>::max()};
  m["odd"] = odd;
  m["名字.with \"quotes\"\\"] = tensor({2});
  auto bytes = serialize_safetensors(m);
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  auto back = parse_safetensors(*bytes, "w.safetensors");
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  expect_bit_identical(m, *back);
}

TEST(SafetensorsWriter, HeaderIsSortedPaddedToEightBytesAndHoldsTheMetadata) {
  TensorMap m;
  m["b"] = tensor({2});
  m["a"] = tensor({1, 1});
  auto bytes = serialize_safetensors(m);
  ASSERT_TRUE(bytes.ok());
  const uint64_t n = header_length(*bytes);
  EXPECT_EQ(n % 8, 0u);
  const std::string header = bytes->substr(8, n);
  const std::string expected =
      R"({"__metadata__":{"format":"pt"},)"
      R"("a":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},)"
      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  EXPECT_EQ(header.substr(0, expected.size()), expected);
  EXPECT_EQ(header.substr(expected.size()), std::string(n - expected.size(), ' '));
  EXPECT_EQ(bytes->size(), 8 + n + 12);
  float first;
  std::memcpy(&first, bytes->data() + 8 + n, 4);
  EXPECT_EQ(first, m["a"].data[0]);  // "a" sorts first, so its bytes come first
}

TEST(SafetensorsWriter, AlignsEveryHeaderLength) {
  // Names of every length mod 8 give every unpadded header length mod 8.
  for (int len = 1; len <= 16; ++len) {
    TensorMap m;
    m[std::string(static_cast<size_t>(len), 'x')] = tensor({3});
    for (const auto& meta : {std::map<std::string, std::string>{},
                             std::map<std::string, std::string>{{"format", "pt"}}}) {
      auto bytes = serialize_safetensors(m, meta);
      ASSERT_TRUE(bytes.ok());
      EXPECT_EQ(header_length(*bytes) % 8, 0u) << len;
      EXPECT_EQ((*bytes)[8], '{');
      auto back = parse_safetensors(*bytes, "w");
      ASSERT_TRUE(back.ok()) << back.status().to_string();
      expect_bit_identical(m, *back);
    }
  }
}

TEST(SafetensorsWriter, EmptyTensorsAndEmptyFiles) {
  TensorMap m;
  m["a"] = tensor({1});
  m["b_empty"] = tensor({0});
  m["c"] = tensor({2});
  m["d_empty"] = tensor({3, 0, 2});
  m["e_empty_last"] = tensor({0, 4});
  auto bytes = serialize_safetensors(m);
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  auto back = parse_safetensors(*bytes, "w");
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  expect_bit_identical(m, *back);

  for (const auto& meta : {std::map<std::string, std::string>{},
                           std::map<std::string, std::string>{{"format", "pt"}}}) {
    auto none = serialize_safetensors(TensorMap{}, meta);
    ASSERT_TRUE(none.ok());
    EXPECT_EQ(header_length(*none) % 8, 0u);
    EXPECT_EQ(none->size(), 8 + header_length(*none));
    auto parsed = parse_safetensors(*none, "w");
    ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
    EXPECT_TRUE(parsed->empty());
  }
}

TEST(SafetensorsWriter, ManyTensors) {
  TensorMap m;
  for (int i = 0; i < 3000; ++i)
    m["layer." + std::to_string(i) + ".weight"] = tensor({i % 7, 3}, static_cast<float>(i));
  auto bytes = serialize_safetensors(m);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(header_length(*bytes) % 8, 0u);
  auto back = parse_safetensors(*bytes, "w");
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  expect_bit_identical(m, *back);
}

TEST(SafetensorsWriter, RefusesWhatTheFormatCannotHold) {
  TensorMap m;
  m["x"] = tensor({2, 2});
  m["x"].data.pop_back();
  auto r = serialize_safetensors(m);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'x'"), std::string::npos) << r.status().message();
  for (const std::string& name : {std::string(), std::string("__metadata__"), std::string("\xff")}) {
    TensorMap bad;
    bad[name] = tensor({1});
    EXPECT_FALSE(serialize_safetensors(bad).ok()) << name;
  }
  TensorMap negative;
  negative["n"].shape = {-1};
  EXPECT_FALSE(serialize_safetensors(negative).ok());
}

TEST(SafetensorsWriter, ReproducesTheFilesTransformersWrote) {
  for (const char* model : {"bert", "electra"}) {
    const std::string path = std::string(FENLEI_TEST_DATA_DIR) + "/hf/" + model + "/model.safetensors";
    auto original = read_file(path);
    ASSERT_TRUE(original.ok());
    auto tensors = parse_safetensors(*original, path);
    ASSERT_TRUE(tensors.ok()) << tensors.status().to_string();
    auto written = serialize_safetensors(*tensors);
    ASSERT_TRUE(written.ok());
    EXPECT_TRUE(*written == *original) << model << ": the writer's bytes differ from transformers'";
  }
}

}  // namespace
}  // namespace fenlei::hf

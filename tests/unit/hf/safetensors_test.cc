#include "hf/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>

namespace fenlei::hf {
namespace {

std::string file_with(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header + data;
}

std::string floats(std::initializer_list<float> v) {
  std::string out(v.size() * 4, '\0');
  std::memcpy(out.data(), v.begin(), out.size());
  return out;
}

TEST(Safetensors, ReadsF32F16AndBf16) {
  // 1.0 and -2.0 in f16 (0x3C00, 0xC000) and bf16 (0x3F80, 0xC000).
  const std::string data = floats({1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f}) +
                           std::string("\x00\x3C\x00\xC0", 4) + std::string("\x80\x3F\x00\xC0", 4);
  const std::string header =
      R"({"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
      R"("h":{"dtype":"F16","shape":[2],"data_offsets":[24,28]},)"
      R"("b":{"dtype":"BF16","shape":[2],"data_offsets":[28,32]},"__metadata__":{"format":"pt"}})";
  auto t = parse_safetensors(file_with(header, data), "m.safetensors");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(t->at("a").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t->at("a").data, (std::vector<float>{1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f}));
  EXPECT_EQ(t->at("h").data, (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(t->at("b").data, (std::vector<float>{1.0f, -2.0f}));
}

void expect_error(const std::string& bytes, const std::string& needle) {
  auto t = parse_safetensors(bytes, "m.safetensors");
  ASSERT_FALSE(t.ok()) << needle;
  EXPECT_NE(t.status().message().find("m.safetensors"), std::string::npos) << t.status().message();
  EXPECT_NE(t.status().message().find(needle), std::string::npos) << t.status().message();
}

TEST(Safetensors, RejectsLyingHeaders) {
  const std::string data = floats({1, 2, 3, 4});
  expect_error("abc", "shorter");
  std::string huge = file_with("{}", data);
  huge[5] = 0x7F;  // header length far past the file
  expect_error(huge, "header length");
  expect_error(file_with("[1]", data), "not a JSON object");
  expect_error(file_with(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,32]}})", data),
               "data_offsets");
  expect_error(file_with(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})", data),
               "shape");
  expect_error(file_with(R"({"a":{"dtype":"I8","shape":[4],"data_offsets":[0,4]}})", data),
               "dtype");
  expect_error(file_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                         R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                         data),
               "overlap");
  expect_error(file_with(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}})", data),
               "shape");
  expect_error(file_with(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,16]}})", data),
               "shape");
}

TEST(Safetensors, AnEmptyTensorAtAnotherTensorsStartIsNoOverlap) {
  // "e" (empty) and "b" both begin at byte 4; whatever order they sort in, nothing overlaps.
  const std::string header = R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},)"
                             R"("e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},)"
                             R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  auto t = parse_safetensors(file_with(header, floats({1, 2})), "m.safetensors");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_TRUE(t->at("e").data.empty());
  EXPECT_EQ(t->at("b").data, std::vector<float>{2});
}

}  // namespace
}  // namespace fenlei::hf

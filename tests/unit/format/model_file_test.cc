// Round trips, determinism, layout properties and writer-side validation of the model file.
#include "format/model_file.h"

#include <gtest/gtest.h>

#include <tuple>

#include "base/crc32.h"
#include "format/layout.h"
#include "format_test_util.h"
#include "test_util.h"

namespace fenlei::format {
namespace {

using testing::sample_model;

void expect_tensors_equal(const std::vector<Tensor>& got, const std::vector<Tensor>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].name, want[i].name);
    EXPECT_EQ(got[i].dtype, want[i].dtype) << got[i].name;
    EXPECT_EQ(got[i].shape, want[i].shape) << got[i].name;
    EXPECT_EQ(got[i].data, want[i].data) << got[i].name;
  }
}

void expect_models_equal(const ModelFile& got, const ModelFile& want) {
  EXPECT_EQ(got.format_version, required_format_version(want));
  EXPECT_EQ(got.metadata_json, want.metadata_json);
  EXPECT_EQ(got.vocabulary, want.vocabulary);
  EXPECT_EQ(got.labels, want.labels);
  EXPECT_EQ(got.user_dictionary, want.user_dictionary);
  expect_tensors_equal(got.tensors, want.tensors);
  expect_tensors_equal(got.optimizer_state, want.optimizer_state);
}

class RoundTripTest : public ::testing::TestWithParam<std::tuple<Compression, Compression>> {};

TEST_P(RoundTripTest, EveryFieldSurvives) {
  WriteOptions options;
  options.text_sections = std::get<0>(GetParam());
  options.tensor_data = std::get<1>(GetParam());
  const ModelFile m = sample_model();
  auto bytes = serialize(m, options);
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  auto back = parse_model_file(*bytes, "sample.fenlei");
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  expect_models_equal(*back, m);
  EXPECT_EQ(back->flags, kFlagHasOptimizerState | kFlagHasInt8);
}

INSTANTIATE_TEST_SUITE_P(
    AllCompressions, RoundTripTest,
    ::testing::Combine(
        ::testing::Values(Compression::kNone, Compression::kAuto, Compression::kAlways),
        ::testing::Values(Compression::kNone, Compression::kAuto, Compression::kAlways)));

TEST(ModelFileTest, EmptyUserDictionaryAndOptimizerStateAreOmitted) {
  ModelFile m = sample_model();
  m.user_dictionary.clear();
  m.optimizer_state.clear();
  auto with = serialize(sample_model());
  auto without = serialize(m);
  ASSERT_TRUE(with.ok() && without.ok());
  EXPECT_LT(without->size(), with->size());
  auto back = parse_model_file(*without, "m");
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  expect_models_equal(*back, m);
  EXPECT_EQ(back->flags & kFlagHasOptimizerState, 0u);
}

TEST(ModelFileTest, EmptyModelRoundTrips) {
  ModelFile m;  // "{}" metadata, nothing else
  auto bytes = serialize(m);
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  auto back = parse_model_file(*bytes, "m");
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  expect_models_equal(*back, m);
}

TEST(ModelFileTest, SerialisationIsDeterministic) {
  const ModelFile a = sample_model();
  const ModelFile b = sample_model();  // an equal but separately built value
  for (Compression c : {Compression::kNone, Compression::kAuto}) {
    WriteOptions options;
    options.text_sections = c;
    auto x = serialize(a, options);
    auto y = serialize(b, options);
    auto z = serialize(a, options);
    ASSERT_TRUE(x.ok() && y.ok() && z.ok());
    EXPECT_EQ(*x, *y);
    EXPECT_EQ(*x, *z);
  }
}

TEST(ModelFileTest, ParseThenSerialiseGivesTheSameBytes) {
  auto bytes = serialize(sample_model());
  ASSERT_TRUE(bytes.ok());
  auto back = parse_model_file(*bytes, "m");
  ASSERT_TRUE(back.ok());
  auto again = serialize(*back);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *bytes);
}

TEST(ModelFileTest, HeaderStartsWithMagicAndVersion) {
  auto bytes = serialize(sample_model());
  ASSERT_TRUE(bytes.ok());
  ASSERT_GT(bytes->size(), kHeaderSize);
  EXPECT_EQ(bytes->substr(0, 8), std::string("\x89"
                                             "FENLEI\x1a",
                                             8));
  EXPECT_EQ(bytes->substr(8, 4), std::string("\x01\x00\x00\x00", 4));
  // file_size field matches.
  uint64_t size = 0;
  for (int i = 0; i < 8; ++i) size |= uint64_t{static_cast<uint8_t>((*bytes)[16 + i])} << (8 * i);
  EXPECT_EQ(size, bytes->size());
}

TEST(ModelFileTest, UncompressedTensorsAre64ByteAligned) {
  ModelFile m = sample_model();
  // Distinct, recognisable payloads so that each tensor can be located in the file.
  m.tensors.clear();
  for (int t = 0; t < 4; ++t) {
    std::vector<float> v(3 + t * 5);
    for (size_t i = 0; i < v.size(); ++i) v[i] = 1000.0f * (t + 1) + static_cast<float>(i);
    m.tensors.push_back(
        make_f32_tensor("t" + std::to_string(t), {static_cast<int64_t>(v.size())}, v));
  }
  auto bytes = serialize(m);  // tensor_data defaults to kNone
  ASSERT_TRUE(bytes.ok());
  for (const Tensor& t : m.tensors) {
    const size_t at = bytes->find(t.data);
    ASSERT_NE(at, std::string::npos) << t.name;
    EXPECT_EQ(at % 64, 0u) << t.name << " at file offset " << at;
  }
}

TEST(ModelFileTest, ChecksumHexIsTheStoredCrc) {
  auto bytes = serialize(sample_model());
  ASSERT_TRUE(bytes.ok());
  const std::string hex = checksum_hex(*bytes);
  ASSERT_EQ(hex.size(), 8u);
  EXPECT_EQ(stored_checksum_hex(*bytes), hex);  // what a loaded Classifier reports
  EXPECT_EQ(stored_checksum_hex("abc"), "");
  char want[9];
  uint32_t stored = 0;
  for (int i = 0; i < 4; ++i)
    stored |= uint32_t{static_cast<uint8_t>((*bytes)[bytes->size() - 4 + i])} << (8 * i);
  std::snprintf(want, sizeof(want), "%08x", stored);
  EXPECT_EQ(hex, want);
  ModelFile other = sample_model();
  other.labels[0] = "差评";
  auto other_bytes = serialize(other);
  ASSERT_TRUE(other_bytes.ok());
  EXPECT_NE(checksum_hex(*other_bytes), hex);
}

TEST(ModelFileTest, WriteAndReadFile) {
  fenlei::testing::TempDir dir;
  const std::string path = dir.file("model.fenlei");
  ASSERT_TRUE(write_model_file(path, sample_model()).ok());
  auto back = read_model_file(path);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  expect_models_equal(*back, sample_model());
  // Overwriting is atomic and leaves no temporary file behind.
  ModelFile m = sample_model();
  m.labels.push_back("新");
  ASSERT_TRUE(write_model_file(path, m).ok());
  auto again = read_model_file(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->labels.size(), 4u);
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

// write_model_file streams the tensor data from the ModelFile instead of serialising the whole
// file first; the bytes on disk must be exactly serialize()'s, for every compression choice.
TEST(ModelFileTest, StreamedFileEqualsSerializedBytes) {
  fenlei::testing::TempDir dir;
  const std::string path = dir.file("model.fenlei");
  for (Compression data : {Compression::kNone, Compression::kAuto, Compression::kAlways}) {
    WriteOptions options;
    options.tensor_data = data;
    auto bytes = serialize(sample_model(), options);
    ASSERT_TRUE(bytes.ok());
    ASSERT_TRUE(write_model_file(path, sample_model(), options).ok());
    EXPECT_EQ(fenlei::testing::read_text_file(path), *bytes) << static_cast<int>(data);
  }
}

TEST(ModelFileTest, MissingFileIsNotFound) {
  auto r = read_model_file("/nonexistent/dir/model.fenlei");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

TEST(ModelFileTest, FindTensor) {
  const ModelFile m = sample_model();
  ASSERT_NE(m.find_tensor("conv3/weight"), nullptr);
  EXPECT_EQ(m.find_tensor("conv3/weight")->dtype, DType::kI8);
  EXPECT_EQ(m.find_tensor("nope"), nullptr);
  ASSERT_NE(m.find_optimizer_tensor("adam/step"), nullptr);
  EXPECT_EQ(m.find_optimizer_tensor("conv3/weight"), nullptr);
}

TEST(ModelFileTest, TensorHostConversions) {
  const ModelFile m = sample_model();
  auto scale = tensor_to_f32(*m.find_tensor("conv3/weight_scale"));
  ASSERT_TRUE(scale.ok());
  EXPECT_EQ(*scale, (std::vector<float>{0.1f, 0.2f, 0.3f, 0.4f}));
  auto counts = tensor_to_i32(*m.find_tensor("fc/counts"));
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)[3], 2147483647);
  // Little-endian on disk regardless of host.
  EXPECT_EQ(m.find_tensor("fc/counts")->data.substr(4, 4), std::string("\xfe\xff\xff\xff", 4));
  auto wrong = tensor_to_i8(*m.find_tensor("conv3/weight_scale"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(tensor_to_f32(*m.find_tensor("temperature"))->at(0), 1.5f);
  EXPECT_EQ(m.find_tensor("temperature")->numel(), 1);
  EXPECT_EQ(m.find_tensor("empty")->numel(), 0);
}

TEST(ModelFileTest, DtypeNamesAndSizes) {
  EXPECT_EQ(dtype_size(DType::kF32), 4u);
  EXPECT_EQ(dtype_size(DType::kF16), 2u);
  EXPECT_EQ(dtype_size(DType::kI8), 1u);
  EXPECT_EQ(dtype_size(DType::kI32), 4u);
  EXPECT_EQ(dtype_size(DType::kU8), 1u);
  EXPECT_EQ(dtype_size(static_cast<DType>(99)), 0u);
  EXPECT_EQ(dtype_name(DType::kI8), "i8");
  EXPECT_EQ(dtype_name(static_cast<DType>(99)), "dtype(99)");
}

// The writer refuses anything its own reader would reject, with INVALID_ARGUMENT.
TEST(ModelFileWriterTest, RejectsContentTheReaderWouldReject) {
  struct Case {
    const char* what;
    void (*edit)(ModelFile&);
    const char* message;
  };
  const Case cases[] = {
      {"metadata not JSON", [](ModelFile& m) { m.metadata_json = "{arch: cnn"; }, "not valid JSON"},
      {"metadata not object", [](ModelFile& m) { m.metadata_json = "[1,2]"; }, "JSON object"},
      {"empty metadata", [](ModelFile& m) { m.metadata_json.clear(); }, "not valid JSON"},
      {"bad utf8 vocab", [](ModelFile& m) { m.vocabulary[3] = "\xe9\x85"; }, "vocabulary entry 3"},
      {"bad utf8 label", [](ModelFile& m) { m.labels[1] = "\xff"; }, "label entry 1"},
      {"empty label", [](ModelFile& m) { m.labels[1].clear(); }, "label 1 is empty"},
      {"duplicate label", [](ModelFile& m) { m.labels[2] = m.labels[0]; }, "appears twice"},
      {"bad utf8 user dict", [](ModelFile& m) { m.user_dictionary += "\xc0\x80"; },
       "user dictionary"},
      {"duplicate tensor", [](ModelFile& m) { m.tensors[1].name = m.tensors[0].name; },
       "appears twice"},
      {"empty tensor name", [](ModelFile& m) { m.tensors[0].name.clear(); }, "empty name"},
      {"size mismatch", [](ModelFile& m) { m.tensors[0].data.pop_back(); }, "needs"},
      {"negative dim",
       [](ModelFile& m) {
         m.tensors[0].shape = {-1, 2};
       },
       "invalid shape"},
      {"overflowing dims",
       [](ModelFile& m) {
         m.tensors[0].shape = {int64_t{1} << 40, int64_t{1} << 40};
       },
       "invalid shape"},
      {"rank too high", [](ModelFile& m) { m.tensors[0].shape.assign(9, 1); }, "rank 9"},
      {"unknown dtype", [](ModelFile& m) { m.tensors[0].dtype = static_cast<DType>(42); },
       "dtype(42)"},
      {"duplicate optimizer tensor",
       [](ModelFile& m) { m.optimizer_state[1] = m.optimizer_state[0]; }, "appears twice"},
  };
  for (const Case& c : cases) {
    ModelFile m = sample_model();
    c.edit(m);
    auto r = serialize(m);
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.what;
    EXPECT_NE(r.status().message().find(c.message), std::string::npos)
        << c.what << ": " << r.status().message();
  }
}

TEST(ModelFileWriterTest, WriteFailureLeavesNoFile) {
  fenlei::testing::TempDir dir;
  ModelFile m = sample_model();
  m.labels.push_back(m.labels[0]);
  const std::string path = dir.file("bad.fenlei");
  EXPECT_FALSE(write_model_file(path, m).ok());
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace fenlei::format

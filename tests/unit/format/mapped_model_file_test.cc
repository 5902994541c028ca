// map_model_file: the same model as read_model_file, with the raw tensor data borrowed from the
// mapping (no copy) and kept alive by the ModelFile's backing; compressed tensor data decoded as
// before; every check still made (checksums over the whole file in one pass, truncation, magic,
// missing files) with the same messages.
#include <gtest/gtest.h>

#include <fstream>

#include "format/model_file.h"
#include "format_test_util.h"
#include "test_util.h"

namespace fenlei::format {
namespace {

using testing::sample_model;

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}

void expect_same_tensors(const std::vector<Tensor>& got, const std::vector<Tensor>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].name, want[i].name);
    EXPECT_EQ(got[i].dtype, want[i].dtype);
    EXPECT_EQ(got[i].shape, want[i].shape);
    EXPECT_EQ(got[i].bytes(), want[i].bytes()) << got[i].name;
  }
}

TEST(MapModelFile, EqualsReadModelFileAndBorrowsTheRawTensorBytes) {
  fenlei::testing::TempDir dir;
  const std::string path = dir.file("m.fenlei");
  ASSERT_TRUE(write_model_file(path, sample_model()).ok());
  std::string_view file_bytes;
  auto mapped = map_model_file(path, &file_bytes);
  ASSERT_TRUE(mapped.ok()) << mapped.status().to_string();
  auto read = read_model_file(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(mapped->metadata_json, read->metadata_json);
  EXPECT_EQ(mapped->vocabulary, read->vocabulary);
  EXPECT_EQ(mapped->labels, read->labels);
  EXPECT_EQ(mapped->user_dictionary, read->user_dictionary);
  expect_same_tensors(mapped->tensors, read->tensors);
  expect_same_tensors(mapped->optimizer_state, read->optimizer_state);
  ASSERT_NE(mapped->backing, nullptr);
  EXPECT_EQ(read->backing, nullptr);
  EXPECT_EQ(stored_checksum_hex(file_bytes), checksum_hex(fenlei::testing::read_text_file(path)));
  for (const Tensor& t : mapped->tensors) {
    EXPECT_TRUE(t.data.empty()) << t.name;  // borrowed, not copied
    EXPECT_GE(t.bytes().data(), file_bytes.data());
    EXPECT_LE(t.bytes().data() + t.bytes().size(), file_bytes.data() + file_bytes.size());
    EXPECT_EQ((t.bytes().data() - file_bytes.data()) % 64, 0) << t.name;  // aligned in the file
  }
  EXPECT_EQ(*tensor_to_f32(*mapped->find_tensor("conv3/weight_scale")),
            (std::vector<float>{0.1f, 0.2f, 0.3f, 0.4f}));
  // The writer reads borrowed bytes too: the mapped model serialises to the file's bytes.
  EXPECT_EQ(*serialize(*mapped), fenlei::testing::read_text_file(path));
}

TEST(MapModelFile, BorrowedBytesLiveAsLongAsAnyCopyOfTheModel) {
  fenlei::testing::TempDir dir;
  const std::string path = dir.file("m.fenlei");
  ASSERT_TRUE(write_model_file(path, sample_model()).ok());
  ModelFile copy;
  {
    auto mapped = map_model_file(path);
    ASSERT_TRUE(mapped.ok());
    copy = *mapped;
  }
  // The file is replaced the way fenlei writes files (rename): the mapping keeps the old one.
  ModelFile other = sample_model();
  other.tensors[0] = make_f32_tensor("embed/weight", other.tensors[0].shape,
                                     std::vector<float>(size_t(other.tensors[0].numel()), 7.0f));
  ASSERT_TRUE(write_model_file(path, other).ok());
  expect_same_tensors(copy.tensors, sample_model().tensors);
}

TEST(MapModelFile, CompressedTensorDataIsDecodedAndOwned) {
  fenlei::testing::TempDir dir;
  const std::string path = dir.file("m.fenlei");
  WriteOptions options;
  options.tensor_data = Compression::kAlways;
  ASSERT_TRUE(write_model_file(path, sample_model(), options).ok());
  auto mapped = map_model_file(path);
  ASSERT_TRUE(mapped.ok()) << mapped.status().to_string();
  expect_same_tensors(mapped->tensors, sample_model().tensors);
  for (const Tensor& t : mapped->tensors) EXPECT_EQ(t.borrowed.data(), nullptr) << t.name;
}

TEST(MapModelFile, CorruptTruncatedAndMissingFilesGiveTheReadersErrors) {
  fenlei::testing::TempDir dir;
  const std::string path = dir.file("m.fenlei");
  const std::string good = *serialize(sample_model());
  auto map_status = [&](const std::string& bytes) {
    write_bytes(path, bytes);
    auto r = map_model_file(path);
    return r.ok() ? Status() : r.status();
  };
  // One flipped byte anywhere (reserved header field, table, padding, sections):
  // the one-pass checksum catches it, as the whole-file pass did.
  for (size_t at : {size_t(29), size_t(40), size_t(100), good.size() / 2, good.size() - 10}) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x10);
    const Status s = map_status(bad);
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << at;
    EXPECT_NE(s.message().find("checksum mismatch"), std::string::npos)
        << at << ": " << s.message();
  }
  const Status truncated = map_status(good.substr(0, good.size() - 100));
  EXPECT_EQ(truncated.code(), StatusCode::kDataLoss);
  EXPECT_NE(truncated.message().find("truncated"), std::string::npos) << truncated.message();
  EXPECT_EQ(map_status("").code(), StatusCode::kInvalidArgument);  // empty: not a model
  EXPECT_EQ(map_status("hello, world").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(map_model_file(dir.file("missing.fenlei")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(map_model_file(dir.path()).status().code(), StatusCode::kInvalidArgument);
  // And the same bytes, untouched, still load.
  EXPECT_TRUE(map_status(good).ok());
}

}  // namespace
}  // namespace fenlei::format

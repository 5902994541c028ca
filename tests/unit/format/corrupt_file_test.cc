// Corrupt, truncated, foreign and hostile files: every one must give a clear non-OK Status, never
// a crash (this file is meant to run under ASan/UBSan too).
#include <gtest/gtest.h>

#include <cstring>

#include "format/model_file.h"
#include "format/binary_io.h"
#include "format/layout.h"
#include "format/zlib_codec.h"
#include "format_test_util.h"

namespace fenlei::format {
namespace {

using testing::build_raw_file;
using testing::fix_file_crc;
using testing::minimal_sections;
using testing::RawSection;
using testing::sample_model;

std::string sample_bytes(Compression text = Compression::kAuto) {
  WriteOptions options;
  options.text_sections = text;
  auto bytes = serialize(sample_model(), options);
  EXPECT_TRUE(bytes.ok());
  return *bytes;
}

uint32_t kind(SectionKind k) { return static_cast<uint32_t>(k); }

bool contains(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

TEST(CorruptFileTest, SampleIsASmallFile) {
  const std::string bytes = sample_bytes();
  EXPECT_GE(bytes.size(), 1500u);
  EXPECT_LE(bytes.size(), 5000u);
}

TEST(CorruptFileTest, TruncationAtEveryOffsetFails) {
  for (Compression c : {Compression::kAuto, Compression::kNone}) {
    const std::string bytes = sample_bytes(c);
    for (size_t n = 0; n < bytes.size(); ++n) {
      for (bool verify : {true, false}) {
        ParseOptions options;
        options.verify_checksums = verify;
        auto r = parse_model_file(std::string_view(bytes).substr(0, n), "cut.fenlei", options);
        ASSERT_FALSE(r.ok()) << "truncated to " << n << " bytes parsed OK";
        if (n == 0) {
          EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
        } else {
          EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << n << ": " << r.status().message();
          EXPECT_TRUE(contains(r.status(), "truncated")) << n << ": " << r.status().message();
        }
        EXPECT_TRUE(contains(r.status(), "cut.fenlei")) << r.status().message();
      }
    }
  }
}

TEST(CorruptFileTest, TruncationMessageSaysWhereAndWhatToDo) {
  const std::string bytes = sample_bytes();
  auto r = parse_model_file(std::string_view(bytes).substr(0, 1000), "m.fenlei");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.status(), "ends at offset 1000")) << r.status().message();
  EXPECT_TRUE(contains(r.status(), "re-download")) << r.status().message();
}

TEST(CorruptFileTest, FlippingAnyByteFails) {
  for (Compression c : {Compression::kAuto, Compression::kNone}) {
    const std::string bytes = sample_bytes(c);
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}}) {
        std::string bad = bytes;
        bad[i] = static_cast<char>(bad[i] ^ mask);
        auto r = parse_model_file(bad, "flip.fenlei");
        ASSERT_FALSE(r.ok()) << "flipping byte " << i << " went unnoticed";
        // Without checksums the structural checks alone must still never crash.
        ParseOptions no_crc;
        no_crc.verify_checksums = false;
        parse_model_file(bad, "flip.fenlei", no_crc).status().ignore();
      }
    }
  }
}

TEST(CorruptFileTest, FlippedPayloadByteIsAChecksumMismatch) {
  std::string bytes = sample_bytes();
  bytes[bytes.size() - 100] ^= 0x10;
  auto r = parse_model_file(bytes, "m.fenlei");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(r.status().message(),
            "m.fenlei: checksum mismatch: the file is corrupt; re-download or retrain");
}

TEST(CorruptFileTest, SectionChecksumCatchesCorruptionEvenWithAFixedFileCrc) {
  std::string bytes = sample_bytes(Compression::kNone);
  const size_t at = bytes.find(sample_model().find_tensor("embed/weight")->data);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 10] ^= 0x10;  // inside the TENSOR_DATA section
  fix_file_crc(bytes);
  auto r = parse_model_file(bytes, "m.fenlei");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_TRUE(contains(r.status(), "section")) << r.status().message();
  EXPECT_TRUE(contains(r.status(), "checksum mismatch")) << r.status().message();
}

TEST(CorruptFileTest, NewerVersionIsUnimplementedWithUpgradeAdvice) {
  for (bool fix_crc : {false, true}) {
    std::string bytes = sample_bytes();
    bytes[8] = static_cast<char>(kFormatVersion + 1);
    if (fix_crc) fix_file_crc(bytes);
    auto r = parse_model_file(bytes, "new.fenlei");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnimplemented);
    EXPECT_EQ(r.status().message(),
              "new.fenlei: format v3 is newer than this build supports (v2); upgrade fenlei");
  }
  // A future file may be laid out entirely differently after the version field.
  std::string future(std::string(kMagic, kMagicSize) + std::string("\x07\x00\x00\x00", 4));
  auto r = parse_model_file(future, "f.fenlei");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnimplemented);
}

TEST(CorruptFileTest, VersionZeroIsCorrupt) {
  std::string bytes = sample_bytes();
  bytes[8] = 0;
  fix_file_crc(bytes);
  auto r = parse_model_file(bytes, "m");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
}

TEST(CorruptFileTest, ForeignFilesAreNotFenleiModels) {
  const std::string inputs[] = {
      "label\ttext\npos\t很好\n",                    // a TSV
      "{\"arch\": \"textcnn\"}",                     // JSON
      std::string("GGUF\x03\x00\x00\x00", 8),        // another model format
      std::string("PK\x03\x04\x14\x00\x00\x00", 8),  // a zip
      std::string(4096, '\0'),                       // zeros
      "F",                                           // one byte
      std::string("FENLEI\0\x01", 8),                // the magic without its non-text byte
  };
  for (const std::string& in : inputs) {
    auto r = parse_model_file(in, "x.bin");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "x.bin is not a fenlei model (bad magic)");
  }
  auto empty = parse_model_file("", "empty.bin");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.status().message(), "empty.bin is not a fenlei model (empty file)");
}

TEST(CorruptFileTest, TrailingBytesAreRejected) {
  const std::string bytes = sample_bytes() + "extra";
  auto r = parse_model_file(bytes, "m");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_TRUE(contains(r.status(), "5 unexpected bytes")) << r.status().message();
}

// ---- Hand-crafted files with valid checksums: the structural checks behind the CRC. ----

Status parse_sections(const std::vector<RawSection>& sections) {
  return parse_model_file(build_raw_file(sections), "crafted.fenlei").status();
}

std::vector<RawSection> with_section(uint32_t k, std::string stored, uint32_t flags = 0,
                                     int64_t raw_size = -1) {
  std::vector<RawSection> s = minimal_sections();
  for (RawSection& r : s) {
    if (r.kind == k) {
      r = {k, std::move(stored), flags, raw_size};
      return s;
    }
  }
  s.push_back({k, std::move(stored), flags, raw_size});
  return s;
}

TEST(CraftedFileTest, MinimalFileParses) {
  auto r = parse_model_file(build_raw_file(minimal_sections()), "m");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->vocabulary, std::vector<std::string>{"a"});
  EXPECT_EQ(r->labels, std::vector<std::string>{"x"});
}

TEST(CraftedFileTest, UnknownSectionKindsAreSkipped) {
  auto s = minimal_sections();
  s.push_back({999, "data from a future fenlei"});
  s.insert(s.begin(), {1000, std::string(100, '\xab'), /*flags=*/0x80});
  auto r = parse_model_file(build_raw_file(s), "m");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
}

TEST(CraftedFileTest, MissingRequiredSectionIsDataLoss) {
  for (SectionKind k : {SectionKind::kMeta, SectionKind::kVocab, SectionKind::kLabels,
                        SectionKind::kTensorIndex, SectionKind::kTensorData}) {
    auto s = minimal_sections();
    s.erase(
        std::remove_if(s.begin(), s.end(), [&](const RawSection& r) { return r.kind == kind(k); }),
        s.end());
    const Status st = parse_sections(s);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.code(), StatusCode::kDataLoss);
    EXPECT_TRUE(
        contains(st, "required section " + std::string(section_kind_name(kind(k))) + " is missing"))
        << st.message();
  }
}

TEST(CraftedFileTest, DuplicateSectionIsDataLoss) {
  auto s = minimal_sections();
  s.push_back(s[0]);
  const Status st = parse_sections(s);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(contains(st, "appears twice")) << st.message();
}

TEST(CraftedFileTest, OptimizerSectionsComeInPairs) {
  const Status st = parse_sections(
      with_section(kind(SectionKind::kOptimizerIndex), testing::empty_tensor_index()));
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(contains(st, "optimizer")) << st.message();
}

TEST(CraftedFileTest, ContentErrorsAreDataLoss) {
  struct Case {
    SectionKind kind;
    std::string payload;
    const char* message;
  };
  const Case cases[] = {
      {SectionKind::kMeta, "{not json", "not valid JSON"},
      {SectionKind::kMeta, "42", "JSON object"},
      {SectionKind::kMeta, "{\"a\":\"\xff\"}", "invalid UTF-8"},
      {SectionKind::kVocab, std::string("\x01\x02\xe4\xb8", 4), "vocabulary entry 0"},
      {SectionKind::kLabels, std::string("\x02\x01x\x01x", 5), "appears twice"},
      {SectionKind::kLabels, std::string("\x01\x00", 2), "label 0 is empty"},
      {SectionKind::kVocab,
       std::string("\x01\x05"
                   "ab",
                   4),
       "truncated"},
      {SectionKind::kVocab,
       std::string("\x01\x01"
                   "ab",
                   4),
       "unexpected trailing bytes"},
      {SectionKind::kUserDict, "\xc3\x28", "user dictionary"},
      {SectionKind::kTensorIndex, "\x01\x00", "truncated"},
  };
  for (const Case& c : cases) {
    const Status st = parse_sections(with_section(kind(c.kind), c.payload));
    ASSERT_FALSE(st.ok()) << c.message;
    EXPECT_EQ(st.code(), StatusCode::kDataLoss) << st.message();
    EXPECT_TRUE(contains(st, c.message)) << c.message << " vs " << st.message();
    EXPECT_TRUE(contains(st, "crafted.fenlei")) << st.message();
  }
}

// Tensor index entry for crafted files.
std::string tensor_entry(const std::string& name, uint8_t dtype, const std::vector<int64_t>& dims,
                         uint64_t offset, uint64_t nbytes) {
  BinaryWriter w;
  w.put_string_u32(name);
  w.put_u8(dtype);
  w.put_u8(static_cast<uint8_t>(dims.size()));
  w.put_u16(0);
  for (int64_t d : dims) w.put_i64(d);
  w.put_u64(offset);
  w.put_u64(nbytes);
  return w.take();
}

std::string tensor_index(const std::vector<std::string>& entries) {
  BinaryWriter w;
  w.put_u32(static_cast<uint32_t>(entries.size()));
  for (const auto& e : entries) w.put_bytes(e);
  return w.take();
}

Status parse_tensors(const std::string& index, const std::string& data) {
  auto s = with_section(kind(SectionKind::kTensorIndex), index);
  for (RawSection& r : s) {
    if (r.kind == kind(SectionKind::kTensorData)) r.stored = data;
  }
  return parse_sections(s);
}

TEST(CraftedFileTest, TensorIndexErrors) {
  const std::string data(256, '\0');
  struct Case {
    std::string index;
    StatusCode code;
    const char* message;
  };
  const Case cases[] = {
      {tensor_index({tensor_entry("w", 1, {2, 3}, 0, 24)}), StatusCode::kOk, ""},
      {tensor_index({tensor_entry("w", 1, {2, 3}, 0, 20)}), StatusCode::kDataLoss,
       "needs 24 bytes"},
      {tensor_index({tensor_entry("w", 1, {-2, 3}, 0, 24)}), StatusCode::kDataLoss,
       "invalid shape"},
      {tensor_index({tensor_entry("w", 1, {int64_t{1} << 62, 4}, 0, 0)}), StatusCode::kDataLoss,
       "invalid shape"},
      {tensor_index({tensor_entry("w", 1, {INT64_MAX}, 0, 0)}), StatusCode::kDataLoss,
       "invalid shape"},
      {tensor_index({tensor_entry("w", 3, std::vector<int64_t>(9, 1), 0, 1)}),
       StatusCode::kDataLoss, "rank 9"},
      {tensor_index({tensor_entry("w", 9, {2}, 0, 2)}), StatusCode::kUnimplemented,
       "upgrade fenlei"},
      {tensor_index({tensor_entry("w", 1, {2}, 0, 8), tensor_entry("w", 1, {2}, 64, 8)}),
       StatusCode::kDataLoss, "appears twice"},
      {tensor_index({tensor_entry("w", 1, {2}, 8, 8)}), StatusCode::kDataLoss, "outside"},
      {tensor_index({tensor_entry("w", 1, {64}, 192, 256)}), StatusCode::kDataLoss, "outside"},
      {tensor_index({tensor_entry("w", 1, {2}, UINT64_MAX - 63, 8)}), StatusCode::kDataLoss,
       "outside"},
      {tensor_index({tensor_entry("a", 1, {32}, 0, 128), tensor_entry("b", 1, {2}, 64, 8)}),
       StatusCode::kDataLoss, "overlap"},
      {tensor_index({tensor_entry("", 1, {2}, 0, 8)}), StatusCode::kDataLoss, "empty name"},
      {tensor_index({tensor_entry("\xff", 1, {2}, 0, 8)}), StatusCode::kDataLoss, "UTF-8"},
      {tensor_index({tensor_entry("w", 1, {2}, 0, 8)}) + "x", StatusCode::kDataLoss, "trailing"},
  };
  for (const Case& c : cases) {
    const Status st = parse_tensors(c.index, data);
    EXPECT_EQ(st.code(), c.code) << c.message << ": " << st.message();
    EXPECT_TRUE(contains(st, c.message)) << c.message << " vs " << st.message();
  }
}

TEST(CraftedFileTest, HugeDeclaredCountsFailBeforeAllocating) {
  BinaryWriter huge_vocab;
  huge_vocab.put_varint(uint64_t{1} << 60);
  huge_vocab.put_bytes("ab");
  Status st = parse_sections(with_section(kind(SectionKind::kVocab), huge_vocab.data()));
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(contains(st, "declares 1152921504606846976 strings")) << st.message();

  BinaryWriter huge_string;
  huge_string.put_varint(1);
  huge_string.put_varint(uint64_t{1} << 62);
  st = parse_sections(with_section(kind(SectionKind::kLabels), huge_string.data()));
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(contains(st, "truncated")) << st.message();

  st = parse_tensors(std::string("\xff\xff\xff\xff", 4), "");
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(contains(st, "declares 4294967295 tensors")) << st.message();

  // A section count beyond what the file can hold.
  std::string bytes = build_raw_file(minimal_sections());
  bytes[24] = '\xff';
  bytes[25] = '\xff';
  fix_file_crc(bytes);
  auto r = parse_model_file(bytes, "m");
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_TRUE(contains(r.status(), "sections")) << r.status().message();

  // A file size far beyond the bytes present.
  bytes = build_raw_file(minimal_sections());
  bytes[23] = '\x7f';
  r = parse_model_file(bytes, "m");
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_TRUE(contains(r.status(), "truncated")) << r.status().message();
}

TEST(CraftedFileTest, SectionTableErrors) {
  // Offsets: the minimal file has its first section right after the table.
  std::string bytes = build_raw_file(minimal_sections());
  const size_t entry0 = kHeaderSize;
  auto patch_u64 = [](std::string& b, size_t at, uint64_t v) {
    for (int i = 0; i < 8; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  };
  struct Case {
    size_t field;
    uint64_t value;
    const char* message;
  };
  const Case cases[] = {
      {8, 1, "outside"},  // misaligned offset
      {8, 0, "outside"},  // overlaps the header
      {8, UINT64_MAX - 63, "outside"},
      {16, UINT64_MAX, "outside"},  // stored size beyond the file
      {16, 200, "overlap"},         // runs into the next section
      {24, 3, "raw size"},          // raw != stored for an uncompressed section
  };
  for (const Case& c : cases) {
    std::string b = bytes;
    patch_u64(b, entry0 + c.field, c.value);
    fix_file_crc(b);
    ParseOptions no_section_crc;
    auto r = parse_model_file(b, "m", no_section_crc);
    ASSERT_FALSE(r.ok()) << c.message;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().message();
    EXPECT_TRUE(contains(r.status(), c.message)) << c.message << " vs " << r.status().message();
  }
}

TEST(CraftedFileTest, UnknownSectionFlagsAreUnimplemented) {
  const Status st = parse_sections(with_section(kind(SectionKind::kMeta), "{}", /*flags=*/0x4));
  EXPECT_EQ(st.code(), StatusCode::kUnimplemented);
  EXPECT_TRUE(contains(st, "upgrade fenlei")) << st.message();
}

TEST(CraftedFileTest, ZlibBombIsRejectedBeforeInflating) {
  const std::string small = zlib_compress(std::string(1000, 'a'), 9);
  // Declares far more than zlib could produce from these bytes.
  Status st = parse_sections(
      with_section(kind(SectionKind::kVocab), small, kSectionFlagZlib, int64_t{3} << 30));
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(contains(st, "more than zlib can produce")) << st.message();
  // Over the 4 GiB section limit.
  st = parse_sections(
      with_section(kind(SectionKind::kVocab), small, kSectionFlagZlib, int64_t{5} << 30));
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(contains(st, "limit 4 GiB")) << st.message();
  // A real stream that inflates to more than declared stops at the declared size.
  const std::string bomb = zlib_compress(std::string(8 << 20, '\0'), 9);
  st = parse_sections(with_section(kind(SectionKind::kUserDict), bomb, kSectionFlagZlib,
                                   static_cast<int64_t>(bomb.size()) * 100));
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(contains(st, "more than the declared")) << st.message();
}

TEST(CraftedFileTest, BadZlibStreams) {
  const std::string good = zlib_compress("{\"a\":1}", 9);
  struct Case {
    std::string stored;
    int64_t raw;
    const char* message;
  };
  const Case cases[] = {
      {good, 7, ""},
      {good, 8, "inflates to 7 bytes"},
      {good, 6, "more than the declared"},
      {good.substr(0, good.size() - 3), 7, "zlib"},
      {good + "zz", 7, "after the end"},
      {"not zlib at all", 7, "bad zlib data"},
  };
  for (const Case& c : cases) {
    const Status st =
        parse_sections(with_section(kind(SectionKind::kMeta), c.stored, kSectionFlagZlib, c.raw));
    if (c.message[0] == '\0') {
      EXPECT_TRUE(st.ok()) << st.to_string();
      continue;
    }
    EXPECT_EQ(st.code(), StatusCode::kDataLoss) << c.message;
    EXPECT_TRUE(contains(st, c.message)) << c.message << " vs " << st.message();
  }
}

}  // namespace
}  // namespace fenlei::format

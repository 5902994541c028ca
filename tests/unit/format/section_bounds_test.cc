// A model file may not make the reader allocate more than its sections honestly hold: a zlib
// section that inflates far beyond what fenlei's own data compresses to, or a tensor data section
// larger than its index declares, is rejected before anything is inflated.
#include <gtest/gtest.h>
#include <zlib.h>

#include "format/model_file.h"
#include "format/binary_io.h"
#include "format_test_util.h"
#include "format/zlib_codec.h"

namespace fenlei::format {
namespace {

using testing::build_raw_file;
using testing::minimal_sections;
using testing::RawSection;

uint32_t kind(SectionKind k) { return static_cast<uint32_t>(k); }

std::vector<RawSection> replace(std::vector<RawSection> sections, RawSection section) {
  for (RawSection& r : sections) {
    if (r.kind == section.kind) {
      r = std::move(section);
      return sections;
    }
  }
  sections.push_back(std::move(section));
  return sections;
}

// A zlib stream of `n` zero bytes (n a multiple of 1 MiB), made without compressing n bytes:
// after a full flush deflate forgets its history, so every further MiB of zeros compresses to
// the same bytes, which are repeated; the Adler-32 trailer is combined arithmetically.
std::string zlib_zeros(uint64_t n) {
  const std::string mib(1 << 20, '\0');
  z_stream zs{};
  deflateInit(&zs, 9);
  auto deflate_chunk = [&](const std::string& in, int flush) {
    std::string out(deflateBound(&zs, in.size()) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    deflate(&zs, flush);
    out.resize(out.size() - zs.avail_out);
    return out;
  };
  std::string stream = deflate_chunk(mib, Z_FULL_FLUSH);  // zlib header + first MiB
  const std::string repeat = deflate_chunk(mib, Z_FULL_FLUSH);
  for (uint64_t done = 2 << 20; done < n; done += 1 << 20) stream += repeat;
  stream += repeat;
  std::string tail = deflate_chunk("", Z_FINISH);  // final empty block + Adler-32 of 2 MiB
  deflateEnd(&zs);
  const uLong mib_adler = adler32(adler32(0, nullptr, 0),
                                  reinterpret_cast<const Bytef*>(mib.data()), 1 << 20);
  uLong adler = adler32(0, nullptr, 0);
  for (uint64_t done = 0; done < n; done += 1 << 20) adler = adler32_combine(adler, mib_adler, 1 << 20);
  for (int i = 0; i < 4; ++i)
    tail[tail.size() - 4 + static_cast<size_t>(i)] = static_cast<char>((adler >> (24 - 8 * i)) & 0xff);
  return stream + tail;
}

bool contains(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

TEST(SectionBoundsTest, ASmallFileThatInflatesToHundredsOfMegabytesIsRejected) {
  // Within zlib's own 1032:1 limit (so the old guard let it through), far beyond what any model
  // section compresses to: a few hundred KB stored, over 256 MiB inflated.
  const uint64_t raw_size = kInflateAllowance + (uint64_t{1} << 20);
  // The construction makes real streams (checked on a small one; inflating 257 MiB is slow).
  const auto small = zlib_inflate(zlib_zeros(4 << 20), 4 << 20, "zeros");
  ASSERT_TRUE(small.ok()) << small.status().to_string();
  ASSERT_EQ(*small, std::string(4 << 20, '\0'));
  const std::string bomb = zlib_zeros(raw_size);
  ASSERT_LT(bomb.size(), size_t{1} << 20);
  const std::string file = build_raw_file(replace(
      minimal_sections(), {kind(SectionKind::kUserDict), bomb, kSectionFlagZlib,
                           static_cast<int64_t>(raw_size)}));
  const auto r = parse_model_file(file, "bomb.fenlei");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_TRUE(contains(r.status(), "more than 64 times")) << r.status().message();
  EXPECT_TRUE(contains(r.status(), "bomb.fenlei")) << r.status().message();
}

TEST(SectionBoundsTest, SectionsUpToTheAllowanceStillInflate) {
  // An honest, highly compressible section below the allowance loads.
  const std::string text(4 << 20, ' ');
  const std::string packed = zlib_compress(text, 9);
  const std::string file = build_raw_file(replace(
      minimal_sections(), {kind(SectionKind::kUserDict), packed, kSectionFlagZlib,
                           static_cast<int64_t>(text.size())}));
  const auto r = parse_model_file(file, "ok.fenlei");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->user_dictionary.size(), text.size());
}

std::string one_tensor_index(uint64_t elements) {
  BinaryWriter w;
  w.put_u32(1);
  w.put_string_u32("w");
  w.put_u8(static_cast<uint8_t>(DType::kU8));
  w.put_u8(1);
  w.put_u16(0);
  w.put_i64(static_cast<int64_t>(elements));
  w.put_u64(0);
  w.put_u64(elements);
  return w.take();
}

TEST(SectionBoundsTest, TensorDataIsBoundedByItsIndexBeforeInflating) {
  // The index declares 16 bytes of tensors; the data section claims 200 MB (a valid-looking
  // zlib stream of zeros would otherwise be inflated in full).
  const uint64_t claimed = 200u << 20;
  const std::string packed = zlib_compress(std::string(1 << 20, '\0'), 9);
  auto sections = replace(minimal_sections(), {kind(SectionKind::kTensorIndex), one_tensor_index(16)});
  sections = replace(sections, {kind(SectionKind::kTensorData), packed, kSectionFlagZlib,
                                static_cast<int64_t>(claimed)});
  const auto r = parse_model_file(build_raw_file(sections), "m.fenlei");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_TRUE(contains(r.status(), "accounts for only 16")) << r.status().message();

  // Exactly what the index declares loads.
  sections = replace(sections, {kind(SectionKind::kTensorData), std::string(16, '\x07')});
  const auto ok = parse_model_file(build_raw_file(sections), "m.fenlei");
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  ASSERT_EQ(ok->tensors.size(), 1u);
  EXPECT_EQ(ok->tensors[0].data, std::string(16, '\x07'));
}

}  // namespace
}  // namespace fenlei::format

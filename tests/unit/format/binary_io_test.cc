// BinaryWriter/BinaryReader: exact little-endian bytes, varint edge cases, and reads that stop
// at the end of the buffer with the field name and offset.
#include "format/binary_io.h"

#include <gtest/gtest.h>

namespace fenlei::format {
namespace {

TEST(BinaryIoTest, WritesLittleEndianFieldByField) {
  BinaryWriter w;
  w.put_u8(0xab);
  w.put_u16(0x0102);
  w.put_u32(0x03040506);
  w.put_u64(0x0708090a0b0c0d0eULL);
  w.put_i64(-2);
  EXPECT_EQ(w.data(), std::string("\xab\x02\x01\x06\x05\x04\x03\x0e\x0d\x0c\x0b\x0a\x09\x08\x07"
                                  "\xfe\xff\xff\xff\xff\xff\xff\xff",
                                  23));
  BinaryReader r(w.data(), "t");
  EXPECT_EQ(*r.read_u8("a"), 0xab);
  EXPECT_EQ(*r.read_u16("b"), 0x0102);
  EXPECT_EQ(*r.read_u32("c"), 0x03040506u);
  EXPECT_EQ(*r.read_u64("d"), 0x0708090a0b0c0d0eULL);
  EXPECT_EQ(*r.read_i64("e"), -2);
  EXPECT_TRUE(r.at_end());
}

TEST(BinaryIoTest, VarintRoundTripsAndRejectsOverflow) {
  const uint64_t values[] = {0, 1, 127, 128, 300, 16383, 16384, uint64_t{1} << 35, UINT64_MAX};
  for (uint64_t v : values) {
    BinaryWriter w;
    w.put_varint(v);
    EXPECT_EQ(w.size(), v < 128 ? 1u : v == UINT64_MAX ? 10u : w.size());
    BinaryReader r(w.data(), "t");
    auto got = r.read_varint("v");
    ASSERT_TRUE(got.ok()) << v;
    EXPECT_EQ(*got, v);
    EXPECT_TRUE(r.at_end());
  }
  // 10th byte carrying more than the top bit, and an 11-byte varint.
  for (const std::string& bad :
       {std::string(9, '\xff') + "\x02", std::string(10, '\xff') + "\x01"}) {
    BinaryReader r(bad, "t");
    auto got = r.read_varint("len");
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), StatusCode::kDataLoss);
  }
  const std::string unterminated_bytes("\x80\x80", 2);
  BinaryReader unterminated(unterminated_bytes, "t");
  EXPECT_FALSE(unterminated.read_varint("len").ok());
}

TEST(BinaryIoTest, ShortReadsNameTheFieldAndOffset) {
  const std::string bytes("\x01\x02\x03\x04\x05\x06", 6);
  BinaryReader r(bytes, "model.fenlei", 100);
  ASSERT_TRUE(r.read_u32("first").ok());
  auto got = r.read_u32("section count");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(got.status().message(),
            "model.fenlei: truncated: section count needs 4 bytes at offset 104 but only 2 remain");
  EXPECT_EQ(r.position(), 4u);  // a failed read consumes nothing
  EXPECT_FALSE(r.read_bytes(UINT64_MAX, "blob").ok());
  EXPECT_FALSE(r.skip(3, "pad").ok());
  EXPECT_TRUE(r.skip(2, "pad").ok());
  EXPECT_TRUE(r.at_end());
}

TEST(BinaryIoTest, StringsAndPadding) {
  BinaryWriter w;
  w.put_string_u32("酒店");
  w.put_string_varint("好");
  w.pad_to(64);
  EXPECT_EQ(w.size(), 64u);
  w.pad_to(64);
  EXPECT_EQ(w.size(), 64u);
  w.patch_u32(0, 7);
  BinaryReader r(w.data(), "t");
  EXPECT_EQ(*r.read_u32("len"), 7u);
  const std::string rest = w.data().substr(4);  // the reader borrows its buffer
  BinaryReader r2(rest, "t");
  EXPECT_EQ(*r2.read_bytes(6, "s"), "酒店");
  EXPECT_EQ(*r2.read_string_varint("s"), "好");
  const std::string huge_bytes(
      "\xff\xff\xff\xff"
      "ab",
      6);
  BinaryReader huge(huge_bytes, "t");
  EXPECT_FALSE(huge.read_string_u32("name").ok());
}

}  // namespace
}  // namespace fenlei::format

// The carry-less-multiplication CRC (used from 256 bytes on) against zlib's table-driven one on
// every length and alignment around its block sizes, with running CRCs, and crc32_combine.
#include "base/crc32.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace fenlei {
namespace {

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(gen());
  return s;
}

TEST(Crc32, FastPathEqualsZlibOnEveryLengthAndAlignment) {
  const std::string data = random_bytes(3000, 1);
  for (size_t offset = 0; offset < 17; ++offset) {
    for (size_t n = 0; n + offset <= data.size(); n += (n < 600 ? 1 : 37)) {
      const char* p = data.data() + offset;
      ASSERT_EQ(crc32(p, n), crc32_zlib_for_tests(p, n)) << "offset " << offset << " n " << n;
      ASSERT_EQ(crc32(p, n, 0xDEADBEEFu), crc32_zlib_for_tests(p, n, 0xDEADBEEFu)) << n;
    }
  }
  EXPECT_EQ(crc32_str(std::string(1 << 20, '\0')),
            crc32_zlib_for_tests(std::string(1 << 20, '\0').data(), 1 << 20));
  const std::string big = random_bytes(5'000'011, 2);
  EXPECT_EQ(crc32_str(big), crc32_zlib_for_tests(big.data(), big.size()));
  EXPECT_EQ(crc32_str("123456789"), 0xCBF43926u);
}

TEST(Crc32, CombineEqualsTheCrcOfTheConcatenation) {
  const std::string a = random_bytes(1000, 3), b = random_bytes(777, 4);
  EXPECT_EQ(crc32_combine(crc32_str(a), crc32_str(b), b.size()), crc32_str(a + b));
  EXPECT_EQ(crc32_combine(crc32_str(a), crc32_str(""), 0), crc32_str(a));
  EXPECT_EQ(crc32_combine(0, crc32_str(b), b.size()), crc32_str(b));
}

}  // namespace
}  // namespace fenlei

// libFuzzer target for the UTF-8 helpers: decode/validate/replace_invalid invariants.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "text/utf8.h"

#define FUZZ_CHECK(cond) \
  do {                   \
    if (!(cond)) std::abort(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fenlei;
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  const size_t bad = utf8::find_invalid(s);
  FUZZ_CHECK(utf8::is_valid(s) == (bad == std::string_view::npos));
  FUZZ_CHECK(utf8::validate(s).ok() == utf8::is_valid(s));
  // Decoding step by step agrees with find_invalid and never overruns.
  size_t pos = 0, count = 0;
  while (pos < s.size()) {
    char32_t cp = 0;
    const size_t n = utf8::decode_one(s, pos, &cp);
    if (n == 0) {
      FUZZ_CHECK(pos == bad);
      break;
    }
    FUZZ_CHECK(n <= 4 && pos + n <= s.size());
    FUZZ_CHECK(cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF));
    pos += n;
    ++count;
  }
  const std::string fixed = utf8::replace_invalid(s);
  FUZZ_CHECK(utf8::is_valid(fixed));
  if (bad == std::string_view::npos) {
    FUZZ_CHECK(fixed == s);
    FUZZ_CHECK(count == utf8::length(s));
    // Round trip through code points.
    FUZZ_CHECK(utf8::from_u32(utf8::to_u32(s)) == s);
  }
  FUZZ_CHECK(utf8::replace_invalid(fixed) == fixed);
  return 0;
}

#include "text/normalize.h"

#include <SimpleConverter.hpp>

#include "text/utf8.h"

namespace fenlei::text {

// Thread safety of the shared OpenCC converter. OpenCC does not document it, so we read the 1.1.6
// sources we link against: SimpleConverter::Convert() is const and forwards to Converter::Convert
// (const) -> MaxMatchSegmentation::Segment (const) and ConversionChain::Convert (const). The
// dictionaries (MarisaDict/DartsDict/TextDict) only read their tries; MarisaDict creates its
// marisa::Agent cursor on the stack for every lookup, and all intermediate Segments live on the
// caller's stack. Nothing is mutated after construction, so concurrent Convert() calls on one
// converter are safe, and a lock would only serialise the server's worker threads.
// ConcurrentNormalizeMatchesSerial in normalize_test.cc exercises this; note that TSan cannot
// see inside the uninstrumented libopencc, so the guarantee rests on that reading of the source.
// Re-check it when moving to a new OpenCC major version.

bool is_unicode_space(char32_t cp) {
  if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
  if (cp < 0x85) return false;
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 ||
         cp == 0xFEFF;
}

StatusOr<Normalizer> Normalizer::create(const NormalizeOptions& options) {
  Normalizer n(options);
  if (options.traditional_to_simplified) {
    std::string errors;
    for (const char* config : {kOpenccT2sConfig, kOpenccT2sConfigPath}) {
      // OpenCC reports a missing or malformed config by throwing; keep that inside this function.
      try {
        n.t2s_ = std::make_shared<const opencc::SimpleConverter>(config);
        break;
      } catch (const std::exception& e) {
        errors += std::string(errors.empty() ? "" : "; ") + e.what();
      } catch (...) {
        errors += std::string(errors.empty() ? "" : "; ") + "unknown OpenCC error";
      }
    }
    if (!n.t2s_) {
      return failed_precondition_error(
          std::string("traditional_to_simplified needs OpenCC's ") + kOpenccT2sConfigPath +
          " (install libopencc-data): " + errors);
    }
  }
  return n;
}

bool Normalizer::is_identity() const {
  return !options_.fullwidth_to_halfwidth && !options_.lowercase &&
         !options_.collapse_whitespace && !options_.traditional_to_simplified;
}

std::string Normalizer::normalize(std::string_view utf8_text) const {
  // Never hand invalid bytes to OpenCC or trust them below: replace them (U+FFFD).
  std::string owned;
  if (!utf8::is_valid(utf8_text)) {
    owned = utf8::replace_invalid(utf8_text);
    utf8_text = owned;
  }
  if (is_identity()) return std::string(utf8_text);

  if (t2s_) {
    try {
      owned = t2s_->Convert(utf8_text.data(), utf8_text.size());
      utf8_text = owned;
    } catch (...) {
      // OpenCC only throws for broken dictionaries, which create() already loaded; keep the text
      // unconverted rather than failing a prediction.
    }
    if (!options_.fullwidth_to_halfwidth && !options_.lowercase && !options_.collapse_whitespace)
      return std::string(utf8_text);
  }

  std::string out;
  out.reserve(utf8_text.size());
  bool pending_space = false;  // a whitespace run seen after some output (collapse mode)
  size_t i = 0;
  const size_t n = utf8_text.size();
  while (i < n) {
    const unsigned char b = static_cast<unsigned char>(utf8_text[i]);
    char32_t cp;
    size_t len;
    if (b < 0x80) {
      cp = b;
      len = 1;
    } else {
      len = utf8::decode_one(utf8_text, i, &cp);
      if (len == 0) {  // unreachable after the validity check above; be safe anyway
        cp = utf8::kReplacementChar;
        len = 1;
      }
    }
    const size_t start = i;
    i += len;

    if (options_.fullwidth_to_halfwidth) {
      if (cp >= 0xFF01 && cp <= 0xFF5E) {
        cp -= 0xFEE0;
      } else if (cp == 0x3000) {
        cp = ' ';
      }
    }
    if (options_.lowercase && cp >= 'A' && cp <= 'Z') cp += 'a' - 'A';
    if (options_.collapse_whitespace && is_unicode_space(cp)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (len > 1) {
      // Every mapping above lands in ASCII, so a non-ASCII code point is unchanged.
      out.append(utf8_text.data() + start, len);
    } else {
      utf8::append(out, cp);
    }
  }
  return out;
}

}  // namespace fenlei::text

// Text normalisation applied before segmentation, identically at training and prediction time
// (the options are stored in the model file): full/half width, ASCII case, whitespace, and
// traditional-to-simplified Chinese through OpenCC.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "fenlei/status.h"

namespace opencc {
class SimpleConverter;
}

namespace fenlei::text {

// fenlei's one definition of whitespace (collapse_whitespace, and the spaces the char tokenizer
// skips): Unicode White_Space plus the zero-width separators U+200B and U+FEFF, which are
// invisible, separate words when they occur, and are never content.
bool is_unicode_space(char32_t cp);

struct NormalizeOptions {
  // U+FF01..U+FF5E (full-width ASCII forms) -> U+0021..U+007E, U+3000 ideographic space -> ' '.
  bool fullwidth_to_halfwidth = false;
  // ASCII A-Z -> a-z only: other scripts' case rules are locale-dependent and rarely matter here.
  bool lowercase = false;
  // Runs of whitespace (is_unicode_space) -> one ' ', trimmed at both ends.
  bool collapse_whitespace = false;
  // Traditional -> simplified Chinese with OpenCC's t2s.json (phrase-aware, e.g. 頭髮 -> 头发).
  bool traditional_to_simplified = false;

  bool operator==(const NormalizeOptions& o) const {
    return fullwidth_to_halfwidth == o.fullwidth_to_halfwidth && lowercase == o.lowercase &&
           collapse_whitespace == o.collapse_whitespace &&
           traditional_to_simplified == o.traditional_to_simplified;
  }
  bool operator!=(const NormalizeOptions& o) const { return !(*this == o); }
};

// Where OpenCC's t2s configuration is looked for: first by name through OpenCC's own search path,
// then at this absolute path (Debian's libopencc-data).
inline constexpr const char* kOpenccT2sConfig = "t2s.json";
inline constexpr const char* kOpenccT2sConfigPath = "/usr/share/opencc/t2s.json";

// Immutable after create(). normalize() is const and safe to call from many threads at once on
// one shared Normalizer (copies share the OpenCC converter; see normalize.cc for why no lock).
class Normalizer {
 public:
  // FAILED_PRECONDITION if traditional_to_simplified is set and OpenCC's t2s.json cannot be
  // loaded (install libopencc-data).
  static StatusOr<Normalizer> create(const NormalizeOptions& options);

  // Applies, in order: traditional->simplified, full->half width, lowercase, whitespace collapse.
  // OpenCC runs first so that its phrase dictionary sees the original characters.
  // The input should be valid UTF-8; invalid bytes are replaced by U+FFFD rather than trusted.
  std::string normalize(std::string_view utf8_text) const;

  const NormalizeOptions& options() const { return options_; }

  // True if normalize() is the identity (no option set).
  bool is_identity() const;

 private:
  explicit Normalizer(const NormalizeOptions& options) : options_(options) {}

  NormalizeOptions options_;
  std::shared_ptr<const opencc::SimpleConverter> t2s_;  // null unless traditional_to_simplified
};

// True for Unicode White_Space code points (Unicode 15 PropList.txt).
bool is_unicode_space(char32_t cp);

}  // namespace fenlei::text

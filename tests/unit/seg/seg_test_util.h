// Shared helpers for the segmenter tests: one Segmenter loaded per test binary, joining tokens.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fenlei/segmenter.h"

namespace fenlei::seg::testing {

// The default jieba dictionary, loaded once (without the on-disk cache, so tests never depend
// on or touch the user's cache directory). Fails the calling test if it cannot be loaded.
inline const Segmenter& default_segmenter() {
  static const std::shared_ptr<const Segmenter> seg = [] {
    SegmenterOptions options;
    options.use_cache = false;
    auto loaded = Segmenter::load(options);
    if (!loaded.ok()) {
      ADD_FAILURE() << loaded.status().to_string();
      return std::shared_ptr<const Segmenter>();
    }
    return *loaded;
  }();
  if (!seg) throw std::runtime_error("jieba dictionary not available");
  return *seg;
}

inline std::string join(const std::vector<std::string>& tokens, const std::string& sep = "/") {
  std::string out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i) out += sep;
    out += tokens[i];
  }
  return out;
}

}  // namespace fenlei::seg::testing

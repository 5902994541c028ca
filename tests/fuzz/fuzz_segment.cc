// libFuzzer target for the segmenter: arbitrary bytes -> replace_invalid -> cut in every mode.
// Invariants: no crash/hang; default-mode tokens (HMM on and off) concatenate to the input;
// every view lies inside the input; the view and string APIs agree; search mode contains the
// default-mode tokens in order. The raw (invalid) bytes are cut too, only for crash-freedom.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "fenlei/segmenter.h"
#include "text/utf8.h"

#define FUZZ_CHECK(cond)       \
  do {                         \
    if (!(cond)) std::abort(); \
  } while (0)

namespace {

const fenlei::seg::Segmenter& segmenter() {
  // Loaded once per process (cached on disk, so restarts are fast). Immutable afterwards.
  static const std::shared_ptr<const fenlei::seg::Segmenter> seg = [] {
    auto loaded = fenlei::seg::Segmenter::load(fenlei::seg::SegmenterOptions());
    if (!loaded.ok()) std::abort();
    return *loaded;
  }();
  return *seg;
}

void check_inside(std::string_view text, const std::vector<std::string_view>& tokens) {
  for (auto t : tokens) {
    FUZZ_CHECK(t.data() >= text.data() && t.data() + t.size() <= text.data() + text.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using fenlei::seg::CutMode;
  const auto& seg = segmenter();
  const std::string raw(reinterpret_cast<const char*>(data), size);
  const std::string text = fenlei::utf8::replace_invalid(raw);
  std::vector<std::string_view> tokens, search;
  for (bool hmm : {true, false}) {
    seg.cut(text, CutMode::kDefault, hmm, &tokens);
    check_inside(text, tokens);
    std::string joined;
    for (auto t : tokens) {
      FUZZ_CHECK(!t.empty());
      joined += t;
    }
    FUZZ_CHECK(joined == text);
    const std::vector<std::string> strings = seg.cut(text, CutMode::kDefault, hmm);
    FUZZ_CHECK(strings.size() == tokens.size());
    for (size_t i = 0; i < strings.size(); ++i) FUZZ_CHECK(strings[i] == tokens[i]);

    seg.cut(text, CutMode::kSearch, hmm, &search);
    check_inside(text, search);
    size_t next = 0;  // each default token appears in search output, in order
    for (auto t : search) {
      if (next < tokens.size() && t.data() == tokens[next].data() && t.size() == tokens[next].size()) ++next;
    }
    FUZZ_CHECK(next == tokens.size());
  }
  seg.cut(text, CutMode::kFull, true, &tokens);
  check_inside(text, tokens);
  for (CutMode m : {CutMode::kDefault, CutMode::kFull, CutMode::kSearch}) {
    seg.cut(raw, m, true, &tokens);  // invalid bytes: must not crash
    check_inside(raw, tokens);
  }
  return 0;
}

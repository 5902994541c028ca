#include "train/mlm_masking.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

namespace fenlei::train {

WholeWordText encode_whole_words(const seg::Segmenter& segmenter,
                                 const transformer::WordPieceTokenizer& tokenizer,
                                 std::string_view text, int max_len) {
  WholeWordText out;
  out.ids.push_back(tokenizer.cls_id());
  const int budget = std::max(0, max_len - 2);
  std::vector<std::string_view> words;
  segmenter.cut(text, seg::CutMode::kDefault, /*hmm=*/true, &words);
  for (std::string_view word : words) {
    if (static_cast<int>(out.ids.size()) - 1 >= budget) break;
    const std::vector<std::string> pieces = tokenizer.tokenize(word);
    if (pieces.empty()) continue;  // whitespace
    out.word_begin.push_back(static_cast<int32_t>(out.ids.size()));
    for (const std::string& piece : pieces) {
      if (static_cast<int>(out.ids.size()) - 1 >= budget) break;
      const int32_t id = tokenizer.id_of(piece);
      out.ids.push_back(id < 0 ? tokenizer.unk_id() : id);
    }
  }
  out.ids.push_back(tokenizer.sep_id());
  return out;
}

MaskedText mask_whole_words(const WholeWordText& text, const MaskingOptions& options,
                            int32_t mask_id, const std::vector<bool>& special, uint64_t key) {
  MaskedText m;
  m.input = text.ids;
  const int pieces = static_cast<int>(text.ids.size()) - 2;
  if (pieces <= 0 || text.words() == 0) return m;
  std::mt19937_64 rng(key);
  auto uniform = [&]() { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  const int to_predict =
      std::max(1, static_cast<int>(std::lround(static_cast<double>(pieces) * options.mask_prob)));
  // Fisher-Yates by hand: std::shuffle's sequence differs between standard libraries.
  std::vector<int> order(text.words());
  for (int i = 0; i < text.words(); ++i) order[i] = i;
  for (int i = text.words() - 1; i > 0; --i) std::swap(order[i], order[rng() % (i + 1)]);
  std::vector<bool> chosen(text.ids.size(), false);
  int covered = 0;
  for (int w : order) {
    if (covered >= to_predict) break;
    const int size = text.word_end(w) - text.word_begin[w];
    if (size <= 0 || covered + size > to_predict) continue;
    for (int p = text.word_begin[w]; p < text.word_end(w); ++p) chosen[p] = true;
    covered += size;
  }
  const int vocab = static_cast<int>(special.size());
  const bool can_draw = std::find(special.begin(), special.end(), false) != special.end();
  for (int p = 1; p + 1 < static_cast<int>(text.ids.size()); ++p) {
    if (!chosen[p]) continue;
    m.positions.push_back(p);
    m.targets.push_back(text.ids[p]);
    const double r = uniform();
    if (r < options.replace_with_mask) {
      m.input[p] = mask_id;
    } else if (r < options.replace_with_mask + options.replace_with_random && can_draw) {
      int32_t id;
      do {
        id = static_cast<int32_t>(rng() % static_cast<uint64_t>(vocab));
      } while (special[id]);
      m.input[p] = id;
    }
  }
  return m;
}

}  // namespace fenlei::train

// Masked-language-model inputs with whole-word masking on jieba words, as Chinese-BERT-wwm
// makes them: a text is cut into words by fenlei's jieba-identical segmenter, each word into its
// WordPiece pieces (a Chinese word into its characters), and when a word is chosen all its pieces
// are masked together. mask_prob of the pieces are chosen (words added in a shuffled order while
// they fit, as transformers' DataCollatorForWholeWordMask), each chosen piece becomes [MASK]
// (80 %), a random non-special token (10 %) or stays (10 %). [CLS], [SEP] and padding are never
// chosen. The masks are a function of the key alone (seed, epoch, text), so runs repeat.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "fenlei/segmenter.h"
#include "transformer/wordpiece.h"

namespace fenlei::train {

// One text as whole words: [CLS] pieces [SEP]; word w covers positions
// [word_begin[w], word_begin[w + 1]) (the last word ends before [SEP]).
struct WholeWordText {
  std::vector<int32_t> ids;
  std::vector<int32_t> word_begin;
  int words() const { return static_cast<int>(word_begin.size()); }
  int word_end(int w) const {
    return w + 1 < words() ? word_begin[w + 1] : static_cast<int>(ids.size()) - 1;
  }
};

// At most max_len ids with [CLS]/[SEP] (a word cut by the limit keeps the pieces that fit). A text
// without any piece gives just [CLS] [SEP] and no words.
WholeWordText encode_whole_words(const seg::Segmenter& segmenter,
                                 const transformer::WordPieceTokenizer& tokenizer,
                                 std::string_view text, int max_len);

struct MaskingOptions {
  float mask_prob = 0.15f;
  float replace_with_mask = 0.8f;    // of the chosen pieces
  float replace_with_random = 0.1f;  // the rest stay as they are
};

struct MaskedText {
  std::vector<int32_t> input;      // ids with the chosen pieces replaced
  std::vector<int32_t> positions;  // chosen positions, ascending
  std::vector<int32_t> targets;    // their original ids
};

// `special` (by id, vocab_size long): tokens a random replacement never draws.
MaskedText mask_whole_words(const WholeWordText& text, const MaskingOptions& options,
                            int32_t mask_id, const std::vector<bool>& special, uint64_t key);

}  // namespace fenlei::train

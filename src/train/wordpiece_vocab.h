// A WordPiece vocabulary built from unlabelled texts for pretraining from scratch
// (train/pretrain.h), in the manner of bert-base-chinese: the special tokens [PAD] [UNK] [CLS]
// [SEP] [MASK] (ids 0-4), then every character the basic tokenizer emits on its own (each CJK
// character, each punctuation mark) or that starts a longer word, then "##c" continuations of the
// characters seen inside longer words (so any Latin/digit word can be pieced), then whole Latin
// words by frequency. Not WordPiece's likelihood-driven merges: frequent words become one token,
// rarer ones are spelt in characters.
#pragma once

#include <string>
#include <vector>

#include "fenlei/status.h"
#include "hf/tokenizer_files.h"

namespace fenlei::train {

struct VocabBuildOptions {
  int max_size = 21128;     // bert-base-chinese's size; characters come before words
  int min_word_count = 2;   // a multi-character word needs this many occurrences
};

// The tokenizer settings of a from-scratch model (BertTokenizer's defaults: lower-casing, accent
// stripping, CJK characters split), with an empty vocabulary.
hf::WordPieceSettings pretrain_tokenizer_settings();

// INVALID_ARGUMENT when the texts hold no token at all.
StatusOr<std::vector<std::string>> build_wordpiece_vocab(const std::vector<std::string>& texts,
                                                        const VocabBuildOptions& options);

}  // namespace fenlei::train

// The `transformer` preset of `fenlei train --model transformer`: a small BERT-style encoder
// trained from scratch on the labelled data alone. It composes what exists: a WordPiece
// vocabulary built from the training texts (train/wordpiece_vocab.h, as `fenlei pretrain`
// builds one), a randomly initialised encoder (train/pretrain.h random_encoder), and the
// transformer fine-tuning loop (train/encoder_finetune.h) that adds the classification head and
// trains everything with AdamW, warm-up, early stopping, seeds and threads. The encoder is
// written to a temporary headless model file that the fine-tuning loop starts from, so every
// option of that loop (and of `fenlei train --init` on the command line) applies unchanged.
// The defaults and the reasons for them are in docs/transformers.md ("The transformer preset").
//
//   train::ScratchEncoderOptions arch;              // 2 layers, hidden 128, 2 heads, FFN 512
//   train::EncoderFinetuneOptions o = train::transformer_preset_training();
//   o.input = "train.tsv"; o.valid = "dev.tsv"; o.output = "m.fenlei";
//   FENLEI_ASSIGN_OR_RETURN(train::EncoderFinetuneResult r, train::train_transformer_preset(arch, o));
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "data/dataset.h"
#include "fenlei/status.h"
#include "hf/config.h"
#include "train/encoder_finetune.h"

namespace fenlei::train {

// The encoder's shape and vocabulary (the preset's defaults).
struct ScratchEncoderOptions {
  int layers = 2;
  int hidden = 128;
  int heads = 2;
  int ffn = 512;          // intermediate size: 4 x hidden, as BERT
  int max_len = 128;      // position embeddings; tokens per text with [CLS]/[SEP]
  int vocab_size = 20000; // the most tokens the vocabulary built from the texts holds
  float dropout = 0.1f;   // hidden and attention dropout, as BERT
  uint64_t seed = 42;     // the initial weights

  Status validate() const;
};

// The BERT config of `o` with the given vocabulary size.
hf::EncoderConfig scratch_encoder_config(const ScratchEncoderOptions& o, int vocab_size);

// Builds the vocabulary from `texts`, initialises the encoder at random and writes it as a
// headless transformer model file at `path` (what `fenlei train --init` starts from).
Status write_scratch_encoder(const ScratchEncoderOptions& o, const std::vector<std::string>& texts,
                             const std::string& path);

// The texts training will see: `input` read with `read`, less the held-out validation rows when
// there is no separate validation file (so the vocabulary never sees validation data).
StatusOr<std::vector<std::string>> preset_training_texts(const std::string& input,
                                                         const std::string& valid,
                                                         double validation_split,
                                                         const data::ReadOptions& read);

// The preset's training defaults as `fenlei train --init` flags (name without "--", value), in
// the order --help lists them; flags a user gives win.
const std::vector<std::pair<std::string, std::string>>& transformer_preset_flag_defaults();

// EncoderFinetuneOptions with the preset's training defaults (the same values as the flags).
EncoderFinetuneOptions transformer_preset_training();

// The temporary model file the encoder is written to before training: next to the output.
std::string scratch_init_path(const std::string& output);

// write_scratch_encoder on the training texts of `o`, then finetune_encoder from it (o.init is
// ignored; o.max_len becomes arch.max_len); the temporary file is removed afterwards.
StatusOr<EncoderFinetuneResult> train_transformer_preset(ScratchEncoderOptions arch,
                                                         EncoderFinetuneOptions o);

}  // namespace fenlei::train

// Pretraining a transformer encoder with masked-language modelling on unlabelled texts (one a
// line): `fenlei pretrain`. From scratch (--arch bert|electra, --size tiny|small|base, a WordPiece
// vocabulary built from the texts or read from --vocab) or continuing a transformer model file
// (--init, keeping its vocabulary and tokenizer). Whole-word masking on jieba words
// (train/mlm_masking.h), BERT's cls.predictions head with the decoder tied to the word
// embeddings (transformer/mlm_head.h), AdamW with linear warm-up and decay, clipping at 1.
// For --arch electra this is a plain MLM on an encoder shaped like ELECTRA's discriminator, not
// replaced-token detection. The output is a headless encoder: `fenlei train --init` fine-tunes
// it, `fenlei export --to hf` writes it; the MLM head is not kept.
//
//   train::PretrainOptions o;
//   o.input = "texts.txt"; o.output = "tiny.fenlei"; o.size = "tiny";
//   FENLEI_ASSIGN_OR_RETURN(train::PretrainResult r, train::pretrain_encoder(o));
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "fenlei/status.h"
#include "hf/config.h"
#include "train/mlm_masking.h"
#include "transformer/encoder.h"

namespace fenlei::train {

struct PretrainOptions {
  std::string input;   // one text a line
  std::string output;  // the headless encoder model file written
  std::string init;    // continue this transformer model ("" = from scratch)
  std::string arch = "bert";  // bert | electra (from scratch)
  std::string size = "tiny";  // tiny | small | base (from scratch)
  std::string vocab;          // vocab.txt to use instead of building one (from scratch)
  int vocab_size = 21128;     // the most tokens a built vocabulary holds
  int max_len = 128;          // tokens per text with [CLS]/[SEP]

  int epochs = 1;  // 0: write the initialised encoder untrained (a baseline)
  int batch_size = 32;
  float lr = 5e-4f;
  int64_t warmup_steps = -1;  // < 0: 10 % of the steps
  float weight_decay = 0.01f;
  float clip_norm = 1.0f;
  bool dropout = true;
  MaskingOptions masking;
  uint64_t seed = 42;
  int threads = 1;  // 0 = all cores

  // Called after every optimiser step and at the end of each epoch; null = silent.
  struct Progress {
    int epoch = 0, epochs = 0;  // epoch from 1
    int64_t texts_done = 0, texts_total = 0;  // this epoch
    double loss = 0, accuracy = 0;  // running means over the epoch's masked tokens
    double texts_per_second = 0;
    bool epoch_end = false;
  };
  std::function<void(const Progress&)> on_progress;
  std::function<void(const std::string&)> on_message;

  Status validate() const;
};

struct PretrainResult {
  int64_t texts = 0, tokens = 0, vocab_size = 0, parameters = 0;
  int64_t steps = 0;
  double first_epoch_loss = 0, last_epoch_loss = 0;  // mean MLM loss per masked token
  double last_epoch_accuracy = 0;
  double train_seconds = 0;
};

// What differs between fenlei's from-scratch encoders; everything else is fixed.
struct ScratchBertShape {
  int layers = 2;
  int hidden = 128;
  int heads = 2;
  int ffn = 512;           // intermediate size
  int embedding = 0;       // word embedding width; 0 = hidden (ELECTRA-small factorises it)
  int max_positions = 512;
};

// The config of every encoder fenlei builds from scratch (`pretrain` and the `transformer`
// preset), so both write models of one family: `arch` bert (BertModel) or electra
// (ElectraModel, trusted to be one of the two), the shape's sizes, 2 token types, [PAD] at id 0
// (the first token of a built vocabulary), LayerNorm eps 1e-12, exact-erf GELU, the config's
// default dropout 0.1. vocab_size is left 0 for the caller.
hf::EncoderConfig scratch_bert_config(const std::string& arch, const ScratchBertShape& shape);

// The from-scratch config of an architecture and size (vocab_size set by the caller);
// INVALID_ARGUMENT for an unknown name.
StatusOr<hf::EncoderConfig> pretrain_config(const std::string& arch, const std::string& size);

// A fresh encoder of `config` as transformers initialises one: weights normal(0,
// initializer_range), biases zero, LayerNorm ones/zeros, the padding row of the word table zero.
// Also the start of the from-scratch `transformer` preset (train/transformer_preset.h).
transformer::EncoderWeights random_encoder(const hf::EncoderConfig& config, uint64_t seed);

StatusOr<PretrainResult> pretrain_encoder(const PretrainOptions& options);

}  // namespace fenlei::train

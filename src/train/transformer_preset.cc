#include "train/transformer_preset.h"

#include <algorithm>
#include <cstdio>
#include <memory>

#include "core/model_bundle.h"
#include "train/pretrain.h"
#include "train/wordpiece_vocab.h"
#include "transformer/encoder_engine.h"

namespace fenlei::train {

Status ScratchEncoderOptions::validate() const {
  if (layers < 1) return invalid_argument_error("--layers must be at least 1");
  if (hidden < 1 || heads < 1 || hidden % heads != 0)
    return invalid_argument_error("--hidden-size must be a positive multiple of --heads");
  if (ffn < 1) return invalid_argument_error("--ffn-size must be at least 1");
  if (max_len < 3) return invalid_argument_error("--max-len must be at least 3");
  if (vocab_size < 6) return invalid_argument_error("--vocab-size must be at least 6");
  if (!(dropout >= 0 && dropout < 1)) return invalid_argument_error("dropout must be in [0, 1)");
  return Status();
}

hf::EncoderConfig scratch_encoder_config(const ScratchEncoderOptions& o, int vocab_size) {
  // Exactly the positions the preset trains with: a longer --max-len needs a new model anyway.
  hf::EncoderConfig c =
      scratch_bert_config("bert", {o.layers, o.hidden, o.heads, o.ffn, 0, o.max_len});
  c.vocab_size = vocab_size;
  c.hidden_dropout_prob = o.dropout;
  c.attention_probs_dropout_prob = o.dropout;
  return c;
}

Status write_scratch_encoder(const ScratchEncoderOptions& o, const std::vector<std::string>& texts,
                             const std::string& path) {
  FENLEI_RETURN_IF_ERROR(o.validate());
  hf::WordPieceSettings settings = pretrain_tokenizer_settings();
  VocabBuildOptions vo;
  vo.max_size = o.vocab_size;
  FENLEI_ASSIGN_OR_RETURN(settings.vocab, build_wordpiece_vocab(texts, vo));
  settings.model_max_length = o.max_len;
  const hf::EncoderConfig config =
      scratch_encoder_config(o, static_cast<int>(settings.vocab.size()));
  FENLEI_ASSIGN_OR_RETURN(transformer::WordPieceTokenizer tokenizer,
                          transformer::WordPieceTokenizer::create(settings));
  core::ModelBundle bundle;
  bundle.engine = std::make_shared<transformer::EncoderEngine>(
      random_encoder(config, o.seed),
      nlohmann::json{{"trained_by", "fenlei train --model transformer"},
                     {"from_scratch", true},
                     {"architecture", config.architecture},
                     {"model_type", config.model_type}});
  bundle.tokenizer =
      std::make_shared<transformer::WordPieceCoreTokenizer>(std::move(tokenizer), config.vocab_size);
  // "scratch_start" tells finetune_encoder that this file is a temporary start, not a model to
  // name in the result's lineage (it is deleted after training).
  bundle.lineage = {{"preset", "transformer"}, {"init_seed", o.seed}, {"scratch_start", true}};
  return core::save_bundle(path, bundle);
}

StatusOr<std::vector<std::string>> preset_training_texts(const std::string& input,
                                                         const std::string& valid,
                                                         double validation_split,
                                                         const data::ReadOptions& read) {
  FENLEI_ASSIGN_OR_RETURN(data::Dataset set, data::read_dataset(input, read));
  // The same split as finetune_encoder makes, so the held-out rows add no token.
  if (valid.empty() && validation_split > 0) {
    FENLEI_ASSIGN_OR_RETURN(data::TrainValidationSplit split,
                            data::split_validation(std::move(set), validation_split));
    set = std::move(split.train);
  }
  std::vector<std::string> texts;
  texts.reserve(set.examples.size());
  for (data::Example& e : set.examples) texts.push_back(std::move(e.text));
  return texts;
}

const std::vector<std::pair<std::string, std::string>>& transformer_preset_flag_defaults() {
  // docs/transformers.md explains each value. In short: from random weights a transformer needs
  // a learning rate 20x fine-tuning's (1e-3; 5e-5 barely moves it in a few epochs), warm-up
  // because Adam's early moments are poor estimates and post-LayerNorm BERT diverges without it,
  // linear decay to settle, more epochs than fine-tuning with early stopping on validation loss
  // (the best epoch is kept), and 128 tokens (covers most reviews; attention is quadratic).
  static const std::vector<std::pair<std::string, std::string>> flags = {
      {"epochs", "6"},      {"batch-size", "32"},   {"lr", "1e-3"},
      {"warmup-ratio", "0.1"}, {"lr-schedule", "linear"}, {"weight-decay", "0.01"},
      {"patience", "2"},    {"monitor", "valid_loss"}, {"max-len", "128"}};
  return flags;
}

EncoderFinetuneOptions transformer_preset_training() {
  EncoderFinetuneOptions o;
  o.epochs = 6;
  o.batch_size = 32;
  o.lr = 1e-3f;
  o.warmup_ratio = 0.1;
  o.schedule = transformer::EncoderLrSchedule::kLinear;
  o.optimizer.weight_decay = 0.01f;
  o.patience = 2;
  o.monitor = Monitor::kValidLoss;
  o.max_len = 128;
  return o;
}

std::string scratch_init_path(const std::string& output) { return output + ".scratch-init.tmp"; }

StatusOr<EncoderFinetuneResult> train_transformer_preset(ScratchEncoderOptions arch,
                                                         EncoderFinetuneOptions o) {
  o.max_len = arch.max_len;  // the positions the encoder has
  arch.seed = o.seed;
  o.init = scratch_init_path(o.output);
  if (o.output.empty()) return invalid_argument_error("--output is required");
  FENLEI_ASSIGN_OR_RETURN(std::vector<std::string> texts,
                          preset_training_texts(o.input, o.valid, o.validation_split, o.read));
  FENLEI_RETURN_IF_ERROR(write_scratch_encoder(arch, texts, o.init));
  texts.clear();
  auto result = finetune_encoder(o);
  std::remove(o.init.c_str());
  return result;
}

}  // namespace fenlei::train

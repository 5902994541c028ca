// The from-scratch transformer preset (train/transformer_preset.h): the encoder it builds (shape,
// vocabulary from the training texts only), and that it trains a tiny model on a tiny synthetic
// dataset (loss falls, accuracy far above chance) reproducibly, leaving no temporary file. The
// layers' gradient checks are in train_layers_test.cc / encoder_train_test.cc.
#include "train/transformer_preset.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "test_util.h"
#include "train/pretrain.h"
#include "transformer/trainable_encoder.h"

namespace fenlei::train {
namespace {

using fenlei::testing::TempDir;

// Three topics told apart by their keywords, amid shared filler words; every row differs.
void write_topics(const std::string& path, int n, int offset) {
  const char* labels[] = {"sport", "food", "tech"};
  const char* words[][3] = {{"football", "goal", "match"},
                            {"noodles", "spicy", "dinner"},
                            {"laptop", "software", "chip"}};
  const char* filler[] = {"today", "really", "the", "news", "about", "some", "very"};
  std::ofstream f(path);
  f << "label\ttext\n";
  for (int i = 0; i < n; ++i) {
    const int c = (i + offset) % 3, j = i + offset;
    f << labels[c] << "\t" << filler[j % 7] << " " << words[c][j % 3] << " " << filler[(j / 3) % 7]
      << " " << words[c][(j / 2) % 3] << " " << filler[(j / 5) % 7] << "\n";
  }
}

ScratchEncoderOptions tiny_arch() {
  ScratchEncoderOptions a;
  a.layers = 1;
  a.hidden = 32;
  a.heads = 2;
  a.ffn = 64;
  a.max_len = 16;
  return a;
}

EncoderFinetuneOptions tiny_training(const TempDir& dir) {
  EncoderFinetuneOptions o = transformer_preset_training();
  o.input = dir.file("train.tsv");
  o.valid = dir.file("dev.tsv");
  o.output = dir.file("m.fenlei");
  o.epochs = 10;
  o.batch_size = 8;
  o.lr = 3e-3f;
  o.patience = 0;
  o.seed = 5;
  return o;
}

TEST(TransformerPreset, DefaultsAreASmallBert) {
  const ScratchEncoderOptions a;
  EXPECT_TRUE(a.validate().ok());
  const hf::EncoderConfig c = scratch_encoder_config(a, 1000);
  EXPECT_EQ(c.model_type, "bert");
  EXPECT_EQ(c.num_layers, 2);
  EXPECT_EQ(c.hidden_size, 128);
  EXPECT_EQ(c.num_heads, 2);
  EXPECT_EQ(c.intermediate_size, 4 * c.hidden_size);
  EXPECT_EQ(c.max_position_embeddings, 128);
  EXPECT_EQ(c.vocab_size, 1000);
  const EncoderFinetuneOptions t = transformer_preset_training();
  EXPECT_FLOAT_EQ(t.lr, 1e-3f);  // 20x fine-tuning's: the weights start random
  EXPECT_GT(t.warmup_ratio, 0.0);
  EXPECT_GT(t.patience, 0);
  // The flag table says the same as the options.
  for (const auto& [flag, value] : transformer_preset_flag_defaults()) {
    if (flag == "epochs") {
      EXPECT_EQ(std::stoi(value), t.epochs);
    } else if (flag == "lr") {
      EXPECT_FLOAT_EQ(std::stof(value), t.lr);
    } else if (flag == "patience") {
      EXPECT_EQ(std::stoi(value), t.patience);
    } else if (flag == "max-len") {
      EXPECT_EQ(std::stoi(value), t.max_len);
    } else if (flag == "batch-size") {
      EXPECT_EQ(std::stoi(value), t.batch_size);
    } else if (flag == "warmup-ratio") {
      EXPECT_DOUBLE_EQ(std::stod(value), t.warmup_ratio);
    }
  }

  ScratchEncoderOptions bad;
  bad.heads = 3;  // 128 is not a multiple of 3
  EXPECT_EQ(bad.validate().code(), StatusCode::kInvalidArgument);
  bad = ScratchEncoderOptions();
  bad.layers = 0;
  EXPECT_EQ(bad.validate().code(), StatusCode::kInvalidArgument);
}

// The preset's default encoder is `fenlei pretrain --size tiny`'s, field for field, except the
// positions (the preset keeps exactly the 128 it trains with): one config family, one function.
TEST(TransformerPreset, SameEncoderAsPretrainTiny) {
  const hf::EncoderConfig preset = scratch_encoder_config(ScratchEncoderOptions(), 1000);
  StatusOr<hf::EncoderConfig> tiny = pretrain_config("bert", "tiny");
  ASSERT_TRUE(tiny.ok()) << tiny.status().message();
  EXPECT_EQ(preset.model_type, tiny->model_type);
  EXPECT_EQ(preset.architecture, tiny->architecture);
  EXPECT_EQ(preset.num_layers, tiny->num_layers);
  EXPECT_EQ(preset.hidden_size, tiny->hidden_size);
  EXPECT_EQ(preset.embedding_size, tiny->embedding_size);
  EXPECT_EQ(preset.num_heads, tiny->num_heads);
  EXPECT_EQ(preset.intermediate_size, tiny->intermediate_size);
  EXPECT_EQ(preset.type_vocab_size, tiny->type_vocab_size);
  EXPECT_EQ(preset.pad_token_id, tiny->pad_token_id);
  EXPECT_FLOAT_EQ(preset.layer_norm_eps, tiny->layer_norm_eps);
  EXPECT_EQ(preset.hidden_act, tiny->hidden_act);
  EXPECT_EQ(preset.hidden_act_name, tiny->hidden_act_name);
  EXPECT_FLOAT_EQ(preset.hidden_dropout_prob, tiny->hidden_dropout_prob);
  EXPECT_FLOAT_EQ(preset.attention_probs_dropout_prob, tiny->attention_probs_dropout_prob);
  EXPECT_EQ(preset.max_position_embeddings, 128);
  EXPECT_EQ(tiny->max_position_embeddings, 512);
  // ELECTRA-small keeps its factorised 128-wide embeddings.
  StatusOr<hf::EncoderConfig> electra = pretrain_config("electra", "small");
  ASSERT_TRUE(electra.ok()) << electra.status().message();
  EXPECT_EQ(electra->architecture, "ElectraModel");
  EXPECT_EQ(electra->hidden_size, 256);
  EXPECT_EQ(electra->embedding_size, 128);
  EXPECT_EQ(pretrain_config("bert", "small")->embedding_size, 256);
}

TEST(TransformerPreset, VocabularyComesFromTheTrainingRowsOnly) {
  TempDir dir;
  {
    std::ofstream f(dir.file("all.tsv"));
    f << "label\ttext\n";
    for (int i = 0; i < 9; ++i) f << "a\tzebra zebra yak\n";
    f << "b\tquokka quokka\n";  // the last 10 %: held out for validation
  }
  auto texts = preset_training_texts(dir.file("all.tsv"), "", 0.1, data::ReadOptions());
  ASSERT_TRUE(texts.ok()) << texts.status().to_string();
  EXPECT_EQ(texts->size(), 9u);
  ASSERT_TRUE(write_scratch_encoder(tiny_arch(), *texts, dir.file("init.fenlei")).ok());
  auto model = transformer::load_trainable_encoder(dir.file("init.fenlei"));
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  EXPECT_EQ(model->weights.head, transformer::HeadKind::kNone);
  EXPECT_EQ(model->weights.config.hidden_size, 32);
  EXPECT_EQ(model->weights.config.num_layers, 1);
  const auto& wp = model->tokenizer->wordpiece();
  EXPECT_EQ(wp.id_of("[PAD]"), 0);
  EXPECT_GE(wp.id_of("zebra"), 5);  // a whole word once seen twice
  EXPECT_LT(wp.id_of("quokka"), 0);
  EXPECT_EQ(wp.settings().model_max_length, 16);
  EXPECT_EQ(model->lineage["preset"], "transformer");
}

TEST(TransformerPreset, TrainsATinyModelAboveChance) {
  TempDir dir;
  write_topics(dir.file("train.tsv"), 90, 0);
  write_topics(dir.file("dev.tsv"), 30, 1);
  EncoderFinetuneOptions o = tiny_training(dir);
  std::vector<double> losses;
  o.on_progress = [&](const std::string& line) {
    std::smatch m;
    if (std::regex_search(line, m, std::regex("train loss ([0-9.]+)"))) losses.push_back(std::stod(m[1]));
  };
  auto r = train_transformer_preset(tiny_arch(), o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(losses.size(), 10u);
  EXPECT_LT(losses.back(), 0.5 * losses.front()) << losses.front() << " -> " << losses.back();
  EXPECT_GE(r->valid_accuracy, 0.9);  // chance: 1/3
  EXPECT_FALSE(std::filesystem::exists(scratch_init_path(o.output)));
  auto model = transformer::load_trainable_encoder(o.output);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  EXPECT_EQ(model->labels, (std::vector<std::string>{"food", "sport", "tech"}));
  EXPECT_EQ(model->weights.config.hidden_size, 32);
}

TEST(TransformerPreset, SameSeedOneThreadSameBytes) {
  TempDir dir;
  write_topics(dir.file("train.tsv"), 30, 0);
  write_topics(dir.file("dev.tsv"), 9, 1);
  EncoderFinetuneOptions o = tiny_training(dir);
  o.epochs = 2;
  o.threads = 1;
  ASSERT_TRUE(train_transformer_preset(tiny_arch(), o).ok());
  const std::string first = fenlei::testing::read_text_file(o.output);
  ASSERT_TRUE(train_transformer_preset(tiny_arch(), o).ok());
  EXPECT_TRUE(first == fenlei::testing::read_text_file(o.output));
  o.seed = 6;  // a different seed: different initial weights
  ASSERT_TRUE(train_transformer_preset(tiny_arch(), o).ok());
  EXPECT_FALSE(first == fenlei::testing::read_text_file(o.output));
}

}  // namespace
}  // namespace fenlei::train

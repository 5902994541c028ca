// fenlei pretrain end to end (train::pretrain_encoder): the MLM loss of a tiny encoder falls on a
// tiny repetitive corpus, the output is a headless encoder that `fenlei train --init` fine-tunes,
// --init continues a model with its own vocabulary, ELECTRA-shaped encoders train, and the errors
// are clear.
#include "train/pretrain.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/model_bundle.h"
#include "fenlei/training.h"
#include "test_util.h"
#include "train/encoder_finetune.h"
#include "transformer/trainable_encoder.h"

namespace fenlei::train {
namespace {

using fenlei::testing::TempDir;

void write_corpus(const std::string& path, int lines) {
  const char* texts[] = {"酒店的服务很好房间也很干净", "房间太小了晚上很吵",
                         "早餐很好吃下次还会再来", "交通方便位置很好",
                         "the room was clean and quiet"};
  std::ofstream f(path);
  for (int i = 0; i < lines; ++i) f << texts[i % 5] << "\n";
}

PretrainOptions options(const TempDir& dir) {
  PretrainOptions o;
  o.input = dir.path() + "/corpus.txt";
  o.output = dir.path() + "/tiny.fenlei";
  o.epochs = 12;
  o.batch_size = 8;
  o.lr = 2e-3f;
  o.warmup_steps = 5;
  o.max_len = 32;
  o.seed = 3;
  return o;
}

TEST(Pretrain, LossFallsAndTheOutputFineTunes) {
  TempDir dir;
  write_corpus(dir.path() + "/corpus.txt", 40);
  PretrainOptions o = options(dir);
  int progress_calls = 0;
  o.on_progress = [&](const PretrainOptions::Progress&) { ++progress_calls; };
  auto r = pretrain_encoder(o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->texts, 40);
  EXPECT_EQ(r->steps, 12 * 5);
  EXPECT_EQ(progress_calls, 12 * 5);
  EXPECT_LT(r->last_epoch_loss, 0.6 * r->first_epoch_loss)
      << r->first_epoch_loss << " -> " << r->last_epoch_loss;
  EXPECT_GT(r->last_epoch_accuracy, 0.2);

  // A headless BERT with the built vocabulary, tiny-sized.
  auto model = transformer::load_trainable_encoder(o.output);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  EXPECT_EQ(model->weights.head, transformer::HeadKind::kNone);
  EXPECT_EQ(model->weights.config.model_type, "bert");
  EXPECT_EQ(model->weights.config.num_layers, 2);
  EXPECT_EQ(model->weights.config.hidden_size, 128);
  EXPECT_EQ(model->weights.config.vocab_size, r->vocab_size);
  EXPECT_EQ(model->tokenizer->wordpiece().settings().model_max_length, 32);
  EXPECT_EQ(model->tokenizer->wordpiece().id_of("[MASK]"), 4);

  // Fine-tuning it (fenlei train --init) on a tiny labelled set gives a model that predicts.
  {
    std::ofstream f(dir.path() + "/train.tsv");
    f << "label\ttext\n";
    for (int i = 0; i < 48; ++i)
      f << (i % 2 ? "pos\t酒店的服务很好房间也很干净\n" : "neg\t房间太小了晚上很吵\n");
  }
  EncoderFinetuneOptions ft;
  ft.init = o.output;
  ft.input = dir.path() + "/train.tsv";
  ft.validation_split = 0.25;
  ft.output = dir.path() + "/clf.fenlei";
  ft.epochs = 3;
  ft.batch_size = 8;
  ft.lr = 1e-3f;
  auto fr = finetune_encoder(ft);
  ASSERT_TRUE(fr.ok()) << fr.status().to_string();
  EXPECT_GE(fr->valid_accuracy, 0.9);
  auto bundle = core::load_bundle(ft.output);
  ASSERT_TRUE(bundle.ok()) << bundle.status().to_string();
  EXPECT_EQ(bundle->labels, (std::vector<std::string>{"neg", "pos"}));

  // --init continues the pretrained model with its vocabulary (and refuses --vocab).
  PretrainOptions more = options(dir);
  more.init = o.output;
  more.output = dir.path() + "/more.fenlei";
  more.epochs = 1;
  auto mr = pretrain_encoder(more);
  ASSERT_TRUE(mr.ok()) << mr.status().to_string();
  EXPECT_EQ(mr->vocab_size, r->vocab_size);
  EXPECT_LT(mr->first_epoch_loss, r->first_epoch_loss);
  // A fine-tuned model (with a head) can be pretrained further too; the head is dropped.
  more.init = ft.output;
  ASSERT_TRUE(pretrain_encoder(more).ok());
  auto headless = transformer::load_trainable_encoder(more.output);
  ASSERT_TRUE(headless.ok());
  EXPECT_EQ(headless->weights.head, transformer::HeadKind::kNone);
  more.vocab = dir.path() + "/vocab.txt";
  EXPECT_EQ(pretrain_encoder(more).status().code(), StatusCode::kInvalidArgument);
}

TEST(Pretrain, SameSeedSameModel) {
  TempDir dir;
  write_corpus(dir.path() + "/corpus.txt", 16);
  PretrainOptions o = options(dir);
  o.epochs = 2;
  auto a = pretrain_encoder(o);
  ASSERT_TRUE(a.ok());
  o.output = dir.path() + "/again.fenlei";
  auto b = pretrain_encoder(o);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->last_epoch_loss, b->last_epoch_loss);
}

TEST(Pretrain, ElectraAndAGivenVocabulary) {
  TempDir dir;
  write_corpus(dir.path() + "/corpus.txt", 10);
  {
    std::ofstream v(dir.path() + "/vocab.txt");
    v << "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
    for (const char* t : {"酒", "店", "的", "服", "务", "很", "好", "房", "间", "the", "room"})
      v << t << "\n";
  }
  PretrainOptions o = options(dir);
  o.arch = "electra";
  o.size = "small";  // factorised embeddings: 128 -> 256 (embeddings_project)
  o.vocab = dir.path() + "/vocab.txt";
  o.epochs = 1;
  auto r = pretrain_encoder(o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->vocab_size, 16);
  auto model = transformer::load_trainable_encoder(o.output);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  EXPECT_EQ(model->weights.config.model_type, "electra");
  EXPECT_EQ(model->weights.config.num_layers, 4);
  EXPECT_EQ(model->weights.config.embedding_size, 128);
  EXPECT_TRUE(model->weights.has_projection);
}

TEST(Pretrain, ClearErrors) {
  TempDir dir;
  PretrainOptions o = options(dir);
  {
    std::ofstream f(o.input);
    f << "\n   \n\t\n";
  }
  auto empty = pretrain_encoder(o);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(empty.status().message().find("no usable text"), std::string::npos)
      << empty.status().message();
  // Lines with nothing the tokenizer keeps (control characters only) are not usable either.
  {
    std::ofstream f(o.input);
    f << "\x01\x02\n\x03\n";
  }
  auto controls = pretrain_encoder(o);
  ASSERT_FALSE(controls.ok());
  EXPECT_NE(controls.status().message().find("no"), std::string::npos);

  o.size = "huge";
  EXPECT_NE(o.validate().message().find("--size"), std::string::npos);
  o.size = "tiny";
  o.arch = "gpt";
  EXPECT_NE(o.validate().message().find("--arch"), std::string::npos);
  o.arch = "bert";

  // --init with a model that is not a transformer.
  write_corpus(o.input, 10);
  LabelledTexts data;
  for (int i = 0; i < 20; ++i) {
    data.texts.push_back(i % 2 ? "很好" : "很差");
    data.labels.push_back(i % 2 ? "pos" : "neg");
  }
  TrainSettings ts;
  ts.model = "fasttext";
  ts.bigram_buckets = 1024;
  ts.epochs = 1;
  ts.threads = 1;
  ts.output = dir.path() + "/fasttext.fenlei";
  ASSERT_TRUE(train_classifier(data, nullptr, ts).ok());
  o.init = ts.output;
  auto not_transformer = pretrain_encoder(o);
  ASSERT_FALSE(not_transformer.ok());
  EXPECT_EQ(not_transformer.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(not_transformer.status().message().find("not a transformer"), std::string::npos)
      << not_transformer.status().message();
}

}  // namespace
}  // namespace fenlei::train

// Fine-tuning the BERT/ELECTRA fixtures end to end (train::finetune_encoder): the output loads
// and predicts like any model, one thread is byte-identical run to run, a learnable task is
// learnt, a headless encoder gets a new head (and cannot predict before), and the steps respect
// max_steps and gradient accumulation.
#include "train/encoder_finetune.h"

#include <gtest/gtest.h>

#include <fstream>

#include "base/file_util.h"
#include "core/model_bundle.h"
#include "test_util.h"
#include "transformer/checkpoint.h"
#include "transformer/encoder_engine.h"

namespace fenlei::train {
namespace {

using fenlei::testing::TempDir;

// Saves the fixture checkpoint as a fenlei model; `headless` drops its head (as `fenlei import`
// makes of a bare BertModel).
std::string save_fixture(const std::string& type, const std::string& path, bool headless = false) {
  auto ck = transformer::read_checkpoint(std::string(FENLEI_TEST_DATA_DIR) + "/hf/" + type);
  EXPECT_TRUE(ck.ok()) << ck.status().to_string();
  auto tokenizer = transformer::WordPieceTokenizer::create(ck->tokenizer);
  EXPECT_TRUE(tokenizer.ok());
  core::ModelBundle bundle;
  const int64_t vocab_size = ck->encoder.config.vocab_size;
  if (headless) {
    ck->encoder.head = transformer::HeadKind::kNone;
    if (type != "bert") ck->encoder.head_dense = {};
    ck->encoder.head_out = {};
    ck->encoder.config.labels.clear();
    ck->labels.clear();
  }
  bundle.engine = std::make_shared<transformer::EncoderEngine>(ck->encoder, ck->source);
  bundle.tokenizer =
      std::make_shared<transformer::WordPieceCoreTokenizer>(std::move(*tokenizer), vocab_size);
  bundle.labels = ck->labels;
  EXPECT_TRUE(core::save_bundle(path, bundle).ok());
  return path;
}

// A task the tiny random encoders can learn: the label is which of two word groups the text
// uses.
void write_data(const std::string& path, int n, int offset) {
  std::ofstream f(path);
  f << "label\ttext\n";
  const char* good[] = {"good", "great", "excellent", "nice", "happy"};
  const char* bad[] = {"bad", "awful", "terrible", "poor", "sad"};
  for (int i = 0; i < n; ++i) {
    const bool pos = (i + offset) % 2 == 0;
    const char** words = pos ? good : bad;
    f << (pos ? "yes" : "no") << "\tthe " << words[(i * 7 + offset) % 5] << " one "
      << words[(i * 3 + 1) % 5] << "\n";
  }
}

EncoderFinetuneOptions options(const TempDir& dir, const std::string& init) {
  EncoderFinetuneOptions o;
  o.init = init;
  o.input = dir.path() + "/train.tsv";
  o.valid = dir.path() + "/dev.tsv";
  o.output = dir.path() + "/out.fenlei";
  o.epochs = 4;
  o.batch_size = 8;
  o.lr = 2e-3f;
  o.seed = 7;
  return o;
}

TEST(EncoderFinetune, LearnsATaskWithANewHeadAndSavesALoadableModel) {
  for (const char* type : {"bert", "electra"}) {
    TempDir dir;
    write_data(dir.path() + "/train.tsv", 96, 0);
    write_data(dir.path() + "/dev.tsv", 40, 1);
    // The fixtures' labels are neg/neu/pos; the data's yes/no need a new head.
    EncoderFinetuneOptions o = options(dir, save_fixture(type, dir.path() + "/base.fenlei"));
    auto r = finetune_encoder(o);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->epochs_run, 4);
    EXPECT_EQ(r->steps, 4 * 12);
    EXPECT_GE(r->valid_accuracy, 0.9) << type;
    auto model = core::load_bundle(o.output);
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    EXPECT_EQ(model->labels, (std::vector<std::string>{"no", "yes"}));
    EXPECT_EQ(model->engine->kind(), "transformer");
    EXPECT_NEAR(model->metrics["valid_accuracy"].get<double>(), r->valid_accuracy, 1e-9);
  }
}

TEST(EncoderFinetune, OneThreadIsByteIdenticalAndThreadsAgree) {
  TempDir dir;
  write_data(dir.path() + "/train.tsv", 40, 0);
  write_data(dir.path() + "/dev.tsv", 10, 1);
  EncoderFinetuneOptions o = options(dir, save_fixture("bert", dir.path() + "/base.fenlei"));
  o.epochs = 1;
  std::string bytes[3];
  for (int run = 0; run < 3; ++run) {
    o.threads = run == 2 ? 2 : 1;
    o.output = dir.path() + "/out" + std::to_string(run) + ".fenlei";
    auto r = finetune_encoder(o);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    bytes[run] = *read_file(o.output);
  }
  EXPECT_EQ(bytes[0], bytes[1]);
  // Two threads add the same gradients in another grouping: same model up to rounding.
  auto one = core::load_bundle(dir.path() + "/out0.fenlei");
  auto two = core::load_bundle(dir.path() + "/out2.fenlei");
  ASSERT_TRUE(one.ok() && two.ok());
  EXPECT_NEAR(one->metrics["valid_loss"].get<double>(), two->metrics["valid_loss"].get<double>(), 1e-4);
}

TEST(EncoderFinetune, HeadlessEncoderCannotPredictButFineTunes) {
  for (const char* type : {"bert", "electra"}) {
    TempDir dir;
    write_data(dir.path() + "/train.tsv", 32, 0);
    write_data(dir.path() + "/dev.tsv", 8, 1);
    const std::string base = save_fixture(type, dir.path() + "/base.fenlei", /*headless=*/true);
    auto refused = core::load_bundle(base);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.status().message().find("fine-tune it first"), std::string::npos)
        << refused.status().message();
    EXPECT_TRUE(is_transformer_model(base));
    EncoderFinetuneOptions o = options(dir, base);
    o.epochs = 1;
    auto r = finetune_encoder(o);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    auto model = core::load_bundle(o.output);
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    EXPECT_EQ(model->engine->num_classes(), 2);
  }
}

TEST(EncoderFinetune, MaxStepsAndAccumulationCountOptimiserSteps) {
  TempDir dir;
  write_data(dir.path() + "/train.tsv", 40, 0);
  write_data(dir.path() + "/dev.tsv", 10, 1);
  EncoderFinetuneOptions o = options(dir, save_fixture("electra", dir.path() + "/base.fenlei"));
  o.epochs = 2;
  o.grad_accum = 2;  // 5 micro-batches of 8 per epoch: steps of 2, 2, 1
  auto r = finetune_encoder(o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->steps, 6);
  o.max_steps = 4;
  r = finetune_encoder(o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->steps, 4);
  EXPECT_EQ(r->epochs_run, 2);
}

TEST(EncoderFinetune, RefusesBadOptionsAndNonTransformers) {
  EncoderFinetuneOptions o;
  EXPECT_FALSE(o.validate().ok());
  TempDir dir;
  write_data(dir.path() + "/train.tsv", 8, 0);
  o = options(dir, dir.path() + "/train.tsv");
  EXPECT_FALSE(is_transformer_model(o.init));
  auto r = finetune_encoder(o);
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace fenlei::train

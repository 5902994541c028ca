// Fine-tuning the BERT/ELECTRA fixtures end to end (train::finetune_encoder): the output loads
// and predicts like any model, one thread is byte-identical run to run, a learnable task is
// learnt, a headless encoder gets a new head (and cannot predict before), and the steps respect
// max_steps and gradient accumulation.
#include "train/encoder_finetune.h"

#include <gtest/gtest.h>

#include <fstream>

#include "base/file_util.h"
#include "core/model_bundle.h"
#include "finetune_fixture.h"
#include "test_util.h"
#include "transformer/checkpoint.h"
#include "transformer/encoder_engine.h"

namespace fenlei::train {
namespace {

using fenlei::testing::TempDir;

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

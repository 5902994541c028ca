// The trainer reports progress through TrainOptions::on_progress (the library prints none):
// a step event after every optimizer step with running means, and one epoch event per epoch
// with the record that goes into the model's history.
#include <gtest/gtest.h>

#include <vector>

#include "test_util.h"
#include "train/trainer.h"

namespace fenlei::train {
namespace {

TEST(TrainProgressTest, StepsAndEpochsGoToTheCallback) {
  testing::TempDir dir;
  std::string data = "label\ttext\n";
  for (int i = 0; i < 40; ++i) data += "pos\t好好好房间\nneg\t差差太吵\n";
  testing::write_text_file(dir.file("d.tsv"), data);
  TrainOptions o;
  o.input = dir.file("d.tsv");
  o.output = dir.file("m.fenlei");
  o.checkpoint = "none";
  o.epochs = 2;
  o.batch_size = 16;
  o.threads = 1;
  o.preprocess.tokenizer = core::TokenizerKind::kChar;
  o.model = *nn::ModelConfig::preset("fasttext");
  std::vector<TrainProgress> events;
  o.on_progress = [&](const TrainProgress& p) { events.push_back(p); };
  auto r = train_model(o);
  ASSERT_TRUE(r.ok()) << r.status().message();

  std::vector<TrainProgress> epochs;
  int64_t last_done = 0;
  for (const TrainProgress& p : events) {
    if (p.event == TrainProgress::Event::kEpochEnd) {
      epochs.push_back(p);
      last_done = 0;
      continue;
    }
    EXPECT_GT(p.examples_done, last_done);
    EXPECT_LE(p.examples_done, p.examples_total);
    EXPECT_EQ(p.epochs, 2);
    last_done = p.examples_done;
  }
  ASSERT_EQ(epochs.size(), 2u);
  ASSERT_EQ(r->history.size(), 2u);
  for (size_t e = 0; e < 2; ++e) {
    EXPECT_EQ(epochs[e].record.epoch, static_cast<int>(e + 1));
    EXPECT_EQ(epochs[e].record.valid_loss, r->history[e].valid_loss);
  }
  // 64 training examples (the last 20% validate) in batches of 16: 4 steps per epoch.
  EXPECT_EQ(events.size(), 2u * (4 + 1));
}

}  // namespace
}  // namespace fenlei::train

// Checkpoints and --resume of encoder fine-tuning (train/encoder_checkpoint.h): a run
// interrupted after any epoch and resumed gives the uninterrupted run's model byte for byte
// (with one thread; AdamW and SGD with momentum; the best epoch before or at the interruption),
// the checkpoint is removed after a successful run unless kept, and resuming with other options
// fails with an error that names each option. Also the encoder gradients' message codec and
// their sum over ranks (what --mpi sends; tests/integration/mpi_train_test.cc runs it for real).
#include <gtest/gtest.h>

#include <filesystem>

#include "base/file_util.h"
#include "finetune_fixture.h"
#include "test_util.h"
#include "train/encoder_finetune.h"
#include "train/grads_codec.h"
#include "transformer/encoder_train.h"

namespace fenlei::train {
namespace {

using fenlei::testing::TempDir;
namespace fs = std::filesystem;

EncoderFinetuneOptions resume_options(const TempDir& dir, const std::string& init,
                                      const std::string& output) {
  EncoderFinetuneOptions o;
  o.init = init;
  o.input = dir.path() + "/train.tsv";
  o.valid = dir.path() + "/dev.tsv";
  o.output = dir.path() + "/" + output;
  o.epochs = 4;
  o.batch_size = 8;
  o.lr = 3e-3f;
  o.warmup_ratio = 0.2;
  o.seed = 11;
  o.threads = 1;
  // Accuracy reaches its best early and then only ties: later epochs are not saved, so the
  // checkpoint must carry an earlier epoch's model.
  o.monitor = Monitor::kValidAccuracy;
  return o;
}

TEST(EncoderResume, InterruptedAndResumedRunIsByteIdentical) {
  struct Case {
    const char* type;
    transformer::EncoderOptimizerKind optimizer;
  };
  for (const Case& c : {Case{"bert", transformer::EncoderOptimizerKind::kAdamW},
                        Case{"electra", transformer::EncoderOptimizerKind::kSgd}}) {
    SCOPED_TRACE(c.type);
    TempDir dir;
    write_data(dir.path() + "/train.tsv", 40, 0);
    write_data(dir.path() + "/dev.tsv", 12, 1);
    const std::string base = save_fixture(c.type, dir.path() + "/base.fenlei");
    EncoderFinetuneOptions full = resume_options(dir, base, "full.fenlei");
    full.optimizer.kind = c.optimizer;
    full.optimizer.momentum = 0.9f;
    if (c.optimizer == transformer::EncoderOptimizerKind::kSgd) full.lr = 0.05f;
    auto uninterrupted = finetune_encoder(full);
    ASSERT_TRUE(uninterrupted.ok()) << uninterrupted.status().to_string();
    EXPECT_FALSE(fs::exists(full.output + ".ckpt")) << "removed after a successful run";
    const std::string expected = *read_file(full.output);

    for (int stop_after = 1; stop_after < full.epochs; ++stop_after) {
      SCOPED_TRACE(stop_after);
      EncoderFinetuneOptions first = full;
      first.output = dir.path() + "/first" + std::to_string(stop_after) + ".fenlei";
      first.on_epoch_end = [&](int done) {
        return done == stop_after ? unavailable_error("interrupted") : Status();
      };
      auto interrupted = finetune_encoder(first);
      ASSERT_FALSE(interrupted.ok());
      ASSERT_TRUE(fs::exists(first.output + ".ckpt"));

      // Resumed into another output path, so the model must come from the checkpoint alone.
      EncoderFinetuneOptions second = full;
      second.output = dir.path() + "/second" + std::to_string(stop_after) + ".fenlei";
      second.resume = first.output + ".ckpt";
      auto resumed = finetune_encoder(second);
      ASSERT_TRUE(resumed.ok()) << resumed.status().to_string();
      EXPECT_EQ(resumed->steps, uninterrupted->steps);
      EXPECT_EQ(resumed->best_epoch, uninterrupted->best_epoch);
      EXPECT_TRUE(*read_file(second.output) == expected) << "the resumed model differs";
      EXPECT_FALSE(fs::exists(second.output + ".ckpt"));
    }
    // The case the checkpoint's copy of the best model is for was met.
    EXPECT_LT(uninterrupted->best_epoch, full.epochs - 1) << "best epoch " << uninterrupted->best_epoch;
  }
}

TEST(EncoderResume, KeptCheckpointAndResumingAFinishedRun) {
  TempDir dir;
  write_data(dir.path() + "/train.tsv", 24, 0);
  write_data(dir.path() + "/dev.tsv", 8, 1);
  EncoderFinetuneOptions o =
      resume_options(dir, save_fixture("bert", dir.path() + "/base.fenlei"), "m.fenlei");
  o.epochs = 2;
  o.keep_checkpoint = true;
  o.checkpoint = dir.path() + "/run.ckpt";
  ASSERT_TRUE(finetune_encoder(o).ok());
  ASSERT_TRUE(fs::exists(o.checkpoint));
  const std::string model = *read_file(o.output);
  // A finished run resumed with the same epochs trains nothing and writes the same model.
  EncoderFinetuneOptions again = o;
  again.resume = o.checkpoint;
  again.checkpoint = "none";
  again.output = dir.path() + "/again.fenlei";
  auto r = finetune_encoder(again);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->epochs_run, 2);
  EXPECT_TRUE(*read_file(again.output) == model);
  // A model file is not a checkpoint.
  again.resume = o.output;
  auto refused = finetune_encoder(again);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("not a training checkpoint"), std::string::npos);
}

TEST(EncoderResume, OtherOptionsAreRefusedByName) {
  TempDir dir;
  write_data(dir.path() + "/train.tsv", 24, 0);
  write_data(dir.path() + "/other.tsv", 24, 2);
  write_data(dir.path() + "/dev.tsv", 8, 1);
  EncoderFinetuneOptions o =
      resume_options(dir, save_fixture("bert", dir.path() + "/base.fenlei"), "m.fenlei");
  o.epochs = 2;
  o.on_epoch_end = [](int) { return unavailable_error("interrupted"); };
  ASSERT_FALSE(finetune_encoder(o).ok());
  const std::string checkpoint = o.output + ".ckpt";
  ASSERT_TRUE(fs::exists(checkpoint));
  o.on_epoch_end = nullptr;
  o.resume = checkpoint;
  o.checkpoint = "none";

  struct Change {
    const char* flag;
    std::function<void(EncoderFinetuneOptions*)> apply;
  };
  const std::string electra = save_fixture("electra", dir.path() + "/electra.fenlei");
  const std::vector<Change> changes = {
      {"--lr", [](EncoderFinetuneOptions* x) { x->lr *= 2; }},
      {"--batch-size", [](EncoderFinetuneOptions* x) { x->batch_size = 4; }},
      {"--max-len", [](EncoderFinetuneOptions* x) { x->max_len = 6; }},
      {"--seed", [](EncoderFinetuneOptions* x) { x->seed = 12; }},
      {"--input", [&](EncoderFinetuneOptions* x) { x->input = dir.path() + "/other.tsv"; }},
      {"--valid", [&](EncoderFinetuneOptions* x) { x->valid = dir.path() + "/other.tsv"; }},
      {"--init", [&](EncoderFinetuneOptions* x) { x->init = electra; }},
      {"--no-dropout", [](EncoderFinetuneOptions* x) { x->dropout = false; }},
      {"--lr-schedule",
       [](EncoderFinetuneOptions* x) { x->schedule = transformer::EncoderLrSchedule::kCosine; }},
  };
  for (const Change& change : changes) {
    EncoderFinetuneOptions changed = o;
    change.apply(&changed);
    auto r = finetune_encoder(changed);
    ASSERT_FALSE(r.ok()) << change.flag;
    EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().to_string();
    const std::string& m = r.status().message();
    EXPECT_NE(m.find(std::string("\n  ") + change.flag + ":"), std::string::npos) << m;
    EXPECT_EQ(m.find("--epochs"), m.find("--epochs, --max-steps")) << "only the changed flag: " << m;
  }
  // Epochs and threads may change.
  o.epochs = 3;
  o.threads = 2;
  auto r = finetune_encoder(o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->epochs_run, 3);
}

// A process of a run of `size` ranks whose collective replays fixed messages: rank 0 gets
// `others` as the other ranks' gradients; a later rank gets `sum` back from rank 0.
class ReplayCollective : public Collective {
 public:
  ReplayCollective(int rank, int size, std::vector<std::string> others, std::string sum)
      : rank_(rank), size_(size), others_(std::move(others)), sum_(std::move(sum)) {}
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  Status sum_grads(nn::Grads&, nn::Grads&) override { return unimplemented_error("unused"); }
  Status all_gather(const std::vector<double>& mine, std::vector<double>* all) override {
    *all = mine;
    return Status();
  }
  Status combine_at_root(std::string* message, const Combine& combine) override {
    if (rank_ != 0) {
      *message = sum_;
      return Status();
    }
    std::vector<std::string_view> all = {*message};
    for (const std::string& m : others_) all.push_back(m);
    std::string out;
    FENLEI_RETURN_IF_ERROR(combine(all, &out));
    *message = out;
    return Status();
  }
  [[noreturn]] void abort(int) override { std::abort(); }

 private:
  int rank_, size_;
  std::vector<std::string> others_;
  std::string sum_;
};

// Gradients of the fixture encoder from two texts, as one thread of one rank would hold them.
transformer::EncoderGrads example_grads(const transformer::EncoderWeights& w, int example) {
  transformer::EncoderGrads g = transformer::EncoderGrads::zeros_like(w);
  auto ws = transformer::make_train_workspace();
  const std::vector<int32_t> ids = {2, 10 + example, 20 + 3 * example, 11, 3};
  transformer::forward_backward(w, ids, example % 2, 0.5f, transformer::DropoutSpec(), ws.get(),
                                &g, nullptr);
  return g;
}

TEST(EncoderGradsCodec, RoundTripsAndSumsOverRanksAsThreadsDo) {
  auto ck = transformer::read_checkpoint(std::string(FENLEI_TEST_DATA_DIR) + "/hf/bert");
  ASSERT_TRUE(ck.ok()) << ck.status().to_string();
  const transformer::EncoderWeights& w = ck->encoder;
  const transformer::EncoderGrads g0 = example_grads(w, 0), g1 = example_grads(w, 1),
                                  g2 = example_grads(w, 2);
  std::string m0, m1, m2, again;
  encode_grads(g0, &m0);
  encode_grads(g1, &m1);
  encode_grads(g2, &m2);
  transformer::EncoderGrads decoded = transformer::EncoderGrads::zeros_like(w);
  ASSERT_TRUE(decode_grads(m1, &decoded).ok());
  encode_grads(decoded, &again);
  EXPECT_TRUE(again == m1);
  EXPECT_EQ(decoded.word.rows, g1.word.rows);
  EXPECT_FALSE(decode_grads(m1.substr(0, m1.size() - 1), &decoded).ok());
  EXPECT_FALSE(decode_grads(m1 + "x", &decoded).ok());

  // One process adding three threads' buffers in order...
  transformer::EncoderGrads threads = g0;
  threads.add(g1);
  threads.add(g2);
  std::string expected;
  encode_grads(threads, &expected);
  // ...equals rank 0 of three ranks adding the others' messages, and a later rank taking the
  // sum rank 0 sends.
  transformer::EncoderGrads scratch = transformer::EncoderGrads::zeros_like(w);
  std::string message, got;
  ReplayCollective root(0, 3, {m1, m2}, "");
  transformer::EncoderGrads at_root = g0;
  ASSERT_TRUE(sum_encoder_grads(root, &at_root, &scratch, &message).ok());
  encode_grads(at_root, &got);
  EXPECT_TRUE(got == expected);
  ReplayCollective later(2, 3, {}, expected);
  transformer::EncoderGrads at_later = g2;
  ASSERT_TRUE(sum_encoder_grads(later, &at_later, &scratch, &message).ok());
  encode_grads(at_later, &got);
  EXPECT_TRUE(got == expected);
  EXPECT_EQ(at_later.squared_norm(), threads.squared_norm());
}

}  // namespace
}  // namespace fenlei::train

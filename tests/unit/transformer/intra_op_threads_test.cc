// LoadOptions::intra_op_threads through the public API: a transformer's probabilities are
// bit-identical for 1, 2 and 3 threads per text (float, int8, bf16), also with several callers
// at once, and the option is checked. The encoder is random and wide enough (hidden 256, FFN
// 1024) that its dense layers and attention cross kMinParallelMacs, so the threads really split
// the work (the committed fixtures, hidden 32, never would).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "core/model_bundle.h"
#include "fenlei/classifier.h"
#include "train/pretrain.h"
#include "transformer/checkpoint.h"
#include "transformer/encoder_engine.h"
#include "transformer/encoder_train.h"

namespace fenlei::transformer {
namespace {

enum class Precision { kFloat, kInt8, kBf16 };

// The bert fixture's tokenizer and labels on a random BERT of 2 layers x 256.
std::string model_bytes(Precision precision) {
  auto ck = read_checkpoint(std::string(FENLEI_TEST_DATA_DIR) + "/hf/bert");
  EXPECT_TRUE(ck.ok()) << ck.status().to_string();
  if (!ck.ok()) return "";
  hf::EncoderConfig c = ck->encoder.config;
  c.hidden_size = c.embedding_size = 256;
  c.num_heads = 4;
  c.intermediate_size = 1024;
  c.num_layers = 2;
  c.initializer_range = 0.2f;  // not 0.02: probabilities far enough from uniform to differ
  EncoderWeights w = train::random_encoder(c, 11);
  init_head(&w, static_cast<int>(ck->labels.size()), 12);
  if (precision == Precision::kInt8) w = quantize_encoder(w);
  if (precision == Precision::kBf16) w = bf16_encoder(w);
  auto tokenizer = WordPieceTokenizer::create(ck->tokenizer);
  EXPECT_TRUE(tokenizer.ok());
  if (!tokenizer.ok()) return "";
  core::ModelBundle bundle;
  bundle.engine = std::make_shared<EncoderEngine>(std::move(w), ck->source);
  bundle.tokenizer = std::make_shared<WordPieceCoreTokenizer>(std::move(*tokenizer), c.vocab_size);
  bundle.labels = ck->labels;
  auto bytes = core::serialize_bundle(bundle);
  EXPECT_TRUE(bytes.ok()) << bytes.status().to_string();
  return bytes.ok() ? *bytes : "";
}

std::shared_ptr<const Classifier> load(const std::string& bytes, int threads) {
  LoadOptions options;
  options.intra_op_threads = threads;
  auto model = Classifier::load_from_memory(bytes, "random-bert.fenlei", options);
  EXPECT_TRUE(model.ok()) << model.status().to_string();
  return model.ok() ? *model : nullptr;
}

// Short and long texts: 1 token up to the 128 positions (the long ones split every layer).
std::vector<std::string> texts() {
  std::string long_zh, long_en;
  for (int i = 0; i < 20; ++i) long_zh += "房间很干净，服务也好。";
  for (int i = 0; i < 12; ++i) long_en += "a gob of drivel so sickly sweet , ";
  return {"好", "What is an atom ?", long_zh, long_en, long_zh.substr(0, 90), ""};
}

bool bit_equal(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].size() != b[i].size() ||
        std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float)) != 0)
      return false;
  return true;
}

void check_threads_agree(Precision precision) {
  const std::string bytes = model_bytes(precision);
  ASSERT_FALSE(bytes.empty());
  auto one = load(bytes, 1);
  ASSERT_TRUE(one);
  auto want = one->probabilities(texts());
  ASSERT_TRUE(want.ok());
  // Not uniform: the comparison would be vacuous otherwise.
  EXPECT_NE((*want)[2][0], (*want)[3][0]);
  for (int threads : {2, 3}) {
    auto model = load(bytes, threads);
    ASSERT_TRUE(model);
    auto got = model->probabilities(texts());
    ASSERT_TRUE(got.ok());
    EXPECT_TRUE(bit_equal(*got, *want)) << threads << " threads";
    // predict and explain run the same passes.
    auto p = model->predict_one(texts()[3], PredictOptions{});
    auto q = one->predict_one(texts()[3], PredictOptions{});
    ASSERT_TRUE(p.ok() && q.ok());
    EXPECT_EQ(p->score, q->score);
    auto e = model->explain(texts()[1]);
    auto f = one->explain(texts()[1]);
    ASSERT_TRUE(e.ok() && f.ok());
    ASSERT_EQ(e->tokens.size(), f->tokens.size());
    for (size_t i = 0; i < e->tokens.size(); ++i) EXPECT_EQ(e->tokens[i].weight, f->tokens[i].weight);
  }
}

TEST(IntraOpThreads, FloatProbabilitiesAreBitIdenticalForOneTwoAndThreeThreads) {
  check_threads_agree(Precision::kFloat);
}
TEST(IntraOpThreads, Int8ProbabilitiesAreBitIdenticalForOneTwoAndThreeThreads) {
  check_threads_agree(Precision::kInt8);
}
TEST(IntraOpThreads, Bf16ProbabilitiesAreBitIdenticalForOneTwoAndThreeThreads) {
  check_threads_agree(Precision::kBf16);
}

// Each calling thread runs on its own pool: four callers at once, each with 2 threads per text,
// get the 1-thread results; a caller-owned Workspace works the same way.
TEST(IntraOpThreads, ConcurrentCallersEachGetTheOneThreadResults) {
  for (Precision precision : {Precision::kFloat, Precision::kInt8}) {
    const std::string bytes = model_bytes(precision);
    ASSERT_FALSE(bytes.empty());
    auto one = load(bytes, 1), two = load(bytes, 2);
    ASSERT_TRUE(one && two);
    PredictOptions options;
    options.k = 2;
    auto want = one->predict(texts(), options);
    ASSERT_TRUE(want.ok());
    std::vector<int> mismatches(4, 0);
    std::vector<std::thread> callers;
    for (int t = 0; t < 4; ++t)
      callers.emplace_back([&, t] {
        for (int round = 0; round < 3; ++round) {
          auto got = two->predict(texts(), options);
          if (!got.ok()) {
            ++mismatches[t];
            continue;
          }
          for (size_t i = 0; i < got->size(); ++i)
            if ((*got)[i].label != (*want)[i].label || (*got)[i].score != (*want)[i].score)
              ++mismatches[t];
        }
      });
    for (auto& c : callers) c.join();
    for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "caller " << t;
  }
}

TEST(IntraOpThreads, ThreadCountOutsideTheRangeIsRefused) {
  const std::string bytes = model_bytes(Precision::kFloat);
  ASSERT_FALSE(bytes.empty());
  for (int threads : {0, -1, kMaxIntraOpThreads + 1}) {
    LoadOptions options;
    options.intra_op_threads = threads;
    auto model = Classifier::load_from_memory(bytes, "m.fenlei", options);
    ASSERT_FALSE(model.ok()) << threads;
    EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(model.status().message().find("intra_op_threads"), std::string::npos);
  }
  auto missing = Classifier::load("/nonexistent/m.fenlei", LoadOptions{0});
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);  // checked before reading
}

}  // namespace
}  // namespace fenlei::transformer

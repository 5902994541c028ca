// Classifier: load from model-file bytes, thread-safe prediction, top-k semantics, and corrupt or
// truncated files (every offset) rejected with a clear status — never a crash (run under ASan).
#include "fenlei/classifier.h"

#include <gtest/gtest.h>

#include <thread>

#include "core/classifier_impl.h"
#include "core/model_bundle.h"
#include "core/network_engine.h"
#include "format/model_file.h"

namespace fenlei {
namespace {

// A small char-tokenised model (no dictionary needed) with random weights.
core::ModelBundle tiny_bundle(int classes) {
  std::vector<std::string> tokens = {"<pad>", "<unk>", "好", "差", "房", "间", "很", "太", "吵"};
  std::vector<std::string> labels;
  for (int i = 0; i < classes; ++i) labels.push_back("label" + std::to_string(i));
  core::PreprocessConfig preprocess;
  preprocess.tokenizer = core::TokenizerKind::kChar;
  preprocess.max_len = 16;
  auto config = *nn::ModelConfig::preset("seed-cnn");
  config.filters = 8;
  config.vocab_size = static_cast<int64_t>(tokens.size());
  config.num_classes = classes;
  return *core::make_network_model(*nn::Network::create(config, 11), preprocess,
                                   *vocab::Vocabulary::from_tokens(tokens), labels);
}

const nn::Network& network_of(const core::ModelBundle& b) {
  return *b.engine->trainable_network();
}

std::string bytes_of(const core::ModelBundle& b) { return *core::serialize_bundle(b); }

TEST(Classifier, LoadsFromBytesAndMatchesTheEngine) {
  const core::ModelBundle bundle = tiny_bundle(3);
  const std::string bytes = bytes_of(bundle);
  auto model = Classifier::load_from_memory(bytes, "tiny");
  ASSERT_TRUE(model.ok()) << model.status().message();
  const ModelInfo& info = (*model)->info();
  EXPECT_EQ(info.labels, bundle.labels);
  EXPECT_EQ(info.vocab_size, 9u);
  EXPECT_EQ(info.tokenizer, "char");
  EXPECT_EQ(info.checksum, format::checksum_hex(bytes));
  EXPECT_FALSE(info.quantized);

  auto probs = (*model)->probabilities({"房间很好", "太吵"});
  ASSERT_TRUE(probs.ok());
  // Same numbers as running the network directly on the same ids (the classifier's per-token
  // conv projections differ from the engine's im2col + sgemm only by rounding).
  nn::Batch batch;
  batch.add(std::vector<int32_t>{4, 5, 6, 2});
  batch.add(std::vector<int32_t>{7, 8});
  nn::Workspace ws;
  std::vector<float> direct(6);
  nn::predict_proba(network_of(bundle), batch, ws, direct.data());
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR((*probs)[0][static_cast<size_t>(i)], direct[static_cast<size_t>(i)], 1e-5);
    EXPECT_NEAR((*probs)[1][static_cast<size_t>(i)], direct[3 + static_cast<size_t>(i)], 1e-5);
  }
}

TEST(Classifier, WarmUpChangesNothingButWhenTheWorkIsDone) {
  const std::string bytes = bytes_of(tiny_bundle(3));
  auto lazy = *Classifier::load_from_memory(bytes, "tiny");
  auto warm = *Classifier::load_from_memory(bytes, "tiny");
  warm->warm_up();
  warm->warm_up();  // idempotent
  const std::vector<std::string> texts{"房间很好", "太吵", "", "好好好吵"};
  EXPECT_EQ(*warm->probabilities(texts), *lazy->probabilities(texts));
  EXPECT_EQ(*lazy->probabilities(texts), *lazy->probabilities(texts));
}

TEST(Classifier, TopKThresholdEmptyAndInvalidText) {
  auto model = *Classifier::load_from_memory(bytes_of(tiny_bundle(3)), "tiny");
  PredictOptions options;
  options.k = 5;  // clamped to the 3 labels
  auto p = model->predict({"", "好好好"}, options);
  ASSERT_TRUE(p.ok());
  for (const auto& pred : *p) {
    ASSERT_EQ(pred.top_k.size(), 3u);
    EXPECT_EQ(pred.top_k[0].label, pred.label);
    EXPECT_EQ(pred.top_k[0].score, pred.score);
    EXPECT_GE(pred.top_k[0].score, pred.top_k[1].score);
    EXPECT_NEAR(pred.top_k[0].score + pred.top_k[1].score + pred.top_k[2].score, 1.0, 1e-5);
  }
  options.threshold = 0.999f;
  p = model->predict({"好"}, options);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE((*p)[0].top_k.empty());  // nothing that confident, but the best label is still set
  EXPECT_FALSE((*p)[0].label.empty());
  auto bad = model->predict({"ok", "\xff"}, options);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("text 1"), std::string::npos);
}

TEST(Classifier, ConcurrentPredictionsAgree) {
  auto model = *Classifier::load_from_memory(bytes_of(tiny_bundle(2)), "tiny");
  const std::vector<std::string> texts = {"房间很好", "太吵", "", "差差差差差差差差差差差"};
  const auto expected = *model->probabilities(texts);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        if (*model->probabilities(texts) != expected) ++mismatches[static_cast<size_t>(t)];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

TEST(Classifier, TruncationAtEveryOffsetIsAnErrorNeverACrash) {
  const std::string bytes = bytes_of(tiny_bundle(2));
  ASSERT_LT(bytes.size(), 64u * 1024);
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto model = Classifier::load_from_memory(std::string_view(bytes.data(), n), "cut");
    ASSERT_FALSE(model.ok()) << "prefix of " << n << " bytes loaded";
    EXPECT_FALSE(model.status().message().empty());
  }
}

TEST(Classifier, FlippedBytesAreDetected) {
  const std::string bytes = bytes_of(tiny_bundle(2));
  for (size_t i = 0; i < bytes.size(); i += 7) {
    std::string corrupt = bytes;
    corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5A);
    EXPECT_FALSE(Classifier::load_from_memory(corrupt, "flip").ok()) << "byte " << i;
  }
}

TEST(Classifier, StructurallyValidFilesWithWrongContentsAreRejected) {
  const core::ModelBundle bundle = tiny_bundle(2);
  // A tensor with the wrong shape (checksums recomputed by the writer).
  format::ModelFile file = core::bundle_to_model_file(bundle);
  for (auto& t : file.tensors) {
    if (t.name == "embed/weight") {
      t.shape = {3, 48};
    }
  }
  auto status = Classifier::load_from_memory(*format::serialize(file), "shape").status();
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("embed/weight"), std::string::npos) << status.message();
  // A missing tensor.
  file = core::bundle_to_model_file(bundle);
  file.tensors.pop_back();
  EXPECT_EQ(Classifier::load_from_memory(*format::serialize(file), "missing").status().code(),
            StatusCode::kDataLoss);
  // Labels that disagree with the architecture.
  file = core::bundle_to_model_file(bundle);
  file.labels.push_back("extra");
  EXPECT_EQ(Classifier::load_from_memory(*format::serialize(file), "labels").status().code(),
            StatusCode::kDataLoss);
  // Not a classifier at all.
  file = core::bundle_to_model_file(bundle);
  file.metadata_json = "{}";
  EXPECT_FALSE(Classifier::load_from_memory(*format::serialize(file), "kind").ok());
}

}  // namespace
}  // namespace fenlei

// An imported encoder through the public C++ API: serialised like any model, loaded with
// fenlei::Classifier, predicting from several threads at once with the single-thread results.
#include <gtest/gtest.h>

#include <thread>

#include "core/model_bundle.h"
#include "fenlei/classifier.h"
#include "transformer/checkpoint.h"
#include "transformer/encoder_engine.h"

namespace fenlei::transformer {
namespace {

// The ELECTRA fixture as a fenlei model, loaded through the public API.
std::shared_ptr<const Classifier> load_electra() {
  auto ck = read_checkpoint(std::string(FENLEI_TEST_DATA_DIR) + "/hf/electra");
  EXPECT_TRUE(ck.ok()) << ck.status().to_string();
  if (!ck.ok()) return nullptr;
  auto tokenizer = WordPieceTokenizer::create(ck->tokenizer);
  EXPECT_TRUE(tokenizer.ok());
  if (!tokenizer.ok()) return nullptr;
  core::ModelBundle bundle;
  const int64_t vocab_size = ck->encoder.config.vocab_size;
  bundle.engine = std::make_shared<EncoderEngine>(ck->encoder, ck->source);
  bundle.tokenizer = std::make_shared<WordPieceCoreTokenizer>(std::move(*tokenizer), vocab_size);
  bundle.labels = ck->labels;
  auto bytes = core::serialize_bundle(bundle);
  EXPECT_TRUE(bytes.ok()) << bytes.status().to_string();
  if (!bytes.ok()) return nullptr;
  auto model = Classifier::load_from_memory(*bytes, "electra.fenlei");
  EXPECT_TRUE(model.ok()) << model.status().to_string();
  return model.ok() ? *model : nullptr;
}

// explain's copies must read as the model reads a text: [CLS] tokens [SEP]. The whole text's
// score equals predict's, and each weight equals p(text) - p(text without that word piece).
TEST(ClassifierApi, ExplainReadsTextsAsTheEncoderDoes) {
  auto model = load_electra();
  ASSERT_TRUE(model);
  const std::string text = "房间很干净";  // CJK characters are one piece each
  auto e = model->explain(text);
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  auto p = model->predict_one(text, PredictOptions{});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(e->label, p->label);
  EXPECT_NEAR(e->score, p->score, 1e-6);
  ASSERT_GE(e->tokens.size(), 3u);
  // Leaving out the first piece equals predicting the text that starts at the second one.
  auto probs = model->probabilities({text, "间很干净"});
  ASSERT_TRUE(probs.ok());
  size_t label = 0;
  while (model->info().labels[label] != e->label) ++label;
  EXPECT_NEAR(e->tokens[0].weight, (*probs)[0][label] - (*probs)[1][label], 1e-5);
}

TEST(ClassifierApi, ImportedEncoderPredictsConcurrently) {
  auto model = load_electra();
  ASSERT_TRUE(model);

  const std::vector<std::string> texts = {"房间很干净，服务也好", "a gob of drivel so sickly sweet",
                                          "", "What is an atom ?", std::string(300, 'x')};
  PredictOptions options;
  options.k = 3;
  auto want = model->predict(texts, options);
  ASSERT_TRUE(want.ok());
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        auto got = model->predict(texts, options);
        if (!got.ok()) {
          ++mismatches[t];
          continue;
        }
        for (size_t i = 0; i < texts.size(); ++i)
          if ((*got)[i].label != (*want)[i].label || (*got)[i].score != (*want)[i].score)
            ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

}  // namespace
}  // namespace fenlei::transformer

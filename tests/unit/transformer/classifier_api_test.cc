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

TEST(ClassifierApi, ImportedEncoderPredictsConcurrently) {
  auto ck = read_checkpoint(std::string(FENLEI_TEST_DATA_DIR) + "/hf/electra");
  ASSERT_TRUE(ck.ok()) << ck.status().to_string();
  auto tokenizer = WordPieceTokenizer::create(ck->tokenizer);
  ASSERT_TRUE(tokenizer.ok());
  core::ModelBundle bundle;
  const int64_t vocab_size = ck->encoder.config.vocab_size;
  bundle.engine = std::make_shared<EncoderEngine>(ck->encoder, ck->source);
  bundle.tokenizer = std::make_shared<WordPieceCoreTokenizer>(std::move(*tokenizer), vocab_size);
  bundle.labels = ck->labels;
  auto bytes = core::serialize_bundle(bundle);
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  auto model = Classifier::load_from_memory(*bytes, "electra.fenlei");
  ASSERT_TRUE(model.ok()) << model.status().to_string();

  const std::vector<std::string> texts = {"房间很干净，服务也好", "a gob of drivel so sickly sweet",
                                          "", "What is an atom ?", std::string(300, 'x')};
  PredictOptions options;
  options.k = 3;
  auto want = (*model)->predict(texts, options);
  ASSERT_TRUE(want.ok());
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        auto got = (*model)->predict(texts, options);
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

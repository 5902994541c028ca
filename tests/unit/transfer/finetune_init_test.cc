// Fine-tuning pieces: label and vocabulary growth, and weight copying (a sigmoid base grown
// to three classes must predict exactly as before on the old classes' logit difference).
#include "train/finetune_init.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/network_engine.h"
#include "test_util.h"

namespace fenlei::train {
namespace {
using testing::TempDir;
using testing::write_text_file;

core::ModelBundle base_bundle(int classes) {
  auto cfg = nn::ModelConfig::preset("seed-cnn");
  cfg->vocab_size = 4;
  cfg->num_classes = classes;
  core::PreprocessConfig preprocess;
  preprocess.tokenizer = core::TokenizerKind::kChar;
  return *core::make_network_model(
      *nn::Network::create(*cfg, 3), preprocess,
      *vocab::Vocabulary::from_tokens({"<pad>", "<unk>", "a", "b"}),
      classes == 2 ? std::vector<std::string>{"neg", "pos"}
                   : std::vector<std::string>{"neg", "pos", "mid"});
}

const nn::Network& network_of(const core::ModelBundle& b) {
  return *b.engine->trainable_network();
}

TEST(FinetuneLabels, UnknownLabelIsAnErrorNamingIt) {
  const auto base = base_bundle(2);
  auto r = finetune_labels(base, {"neg", "pos", "zzz"}, false, "new.tsv");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("label 'zzz'"), std::string::npos);
  EXPECT_NE(r.status().message().find("--allow-new-labels"), std::string::npos);
  auto ok = finetune_labels(base, {"aaa", "pos", "zzz"}, true, "new.tsv");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, (std::vector<std::string>{"neg", "pos", "aaa", "zzz"}));
}

TEST(FinetuneVocabulary, KeepsIdsAndAppendsFrequentNewWords) {
  const auto base = base_bundle(2);
  vocab::TokenCounts counts{{"a", 5}, {"c", 3}, {"d", 7}, {"e", 1}};
  const auto v = finetune_vocabulary(base, counts, 0, 2);
  EXPECT_EQ(v.tokens(), (std::vector<std::string>{"<pad>", "<unk>", "a", "b", "d", "c"}));
  EXPECT_EQ(finetune_vocabulary(base, counts, 1, 1).size(), 5u);
}

TEST(GrownNetwork, CopiesRowsAndConvertsSigmoidToSoftmax) {
  auto base = std::make_shared<core::ModelBundle>(base_bundle(2));
  auto cfg = network_of(base_bundle(3)).config();
  cfg.vocab_size = 6;
  auto made = grown_network(*base, cfg, 99);
  ASSERT_TRUE(made.ok()) << made.status().message();
  const nn::Network& grown = *made;
  // New rows keep the fresh initialisation of the same seed.
  const nn::Network fresh = *nn::Network::create(cfg, 99);
  const auto& fresh_table = fresh.params()[fresh.embed_index()].data;
  const auto& grown_table = grown.params()[grown.embed_index()].data;
  const nn::Network& from_net = network_of(*base);
  const size_t base_rows_end = from_net.params()[from_net.embed_index()].data.size();
  for (size_t i = base_rows_end; i < grown_table.size(); ++i) ASSERT_EQ(grown_table[i], fresh_table[i]);
  const nn::Network& from = network_of(*base);
  const auto& e0 = from.params()[from.embed_index()].data;
  const auto& e1 = grown.params()[grown.embed_index()].data;
  for (size_t i = 0; i < e0.size(); ++i) ASSERT_EQ(e0[i], e1[i]);
  const auto* w0 = from.params().find("out/weight");
  const auto* w1 = grown.params().find("out/weight");
  const size_t cols = size_t(w0->cols());
  for (size_t c = 0; c < cols; ++c) {
    EXPECT_EQ(w1->data[c], 0.0f);                 // class 0: zero logit
    EXPECT_EQ(w1->data[cols + c], w0->data[c]);   // class 1: the sigmoid unit
  }
  // Same old-class probabilities ratio: p1/p0 = exp(z) as with the sigmoid.
  nn::Batch batch;
  batch.add(std::vector<int32_t>{2, 3, 2});
  std::vector<float> p2(2), p3(3);
  nn::Workspace ws;
  nn::predict_proba(from, batch, ws, p2.data());
  nn::predict_proba(grown, batch, ws, p3.data());
  EXPECT_NEAR(p3[1] / p3[0], p2[1] / p2[0], 1e-4f * p2[1] / p2[0]);
}

TEST(PrepareDataFrom, KeepsTheStartsLabelsAndIdsAndAddsWhatTheDataBrings) {
  TempDir dir;
  write_text_file(dir.file("train.tsv"), "label\ttext\npos\taab\nneg\tbbc\nmid\tcca\npos\tab\n");
  write_text_file(dir.file("valid.tsv"), "label\ttext\nneg\tba\npos\tca\n");
  TrainOptions o;
  o.input = dir.file("train.tsv");
  o.valid = dir.file("valid.tsv");
  ThreadPool pool(2);
  const auto base = base_bundle(2);
  auto refused = prepare_data_from(base, false, o, pool);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("label 'mid'"), std::string::npos)
      << refused.status().message();

  auto data = prepare_data_from(base, true, o, pool);
  ASSERT_TRUE(data.ok()) << data.status().message();
  EXPECT_EQ(data->bundle.labels, (std::vector<std::string>{"neg", "pos", "mid"}));
  // The start's ids keep their meaning; the data's new character comes after them.
  EXPECT_EQ(data->tokenizer->vocabulary().tokens(),
            (std::vector<std::string>{"<pad>", "<unk>", "a", "b", "c"}));
  EXPECT_EQ(data->train.size(), 4u);
  EXPECT_EQ(data->train.labels[2], 2);  // "mid"
  // The start's preprocessing object itself is reused, not rebuilt from options.
  const auto* start_tokenizer = core::trainable_tokenizer(*base.tokenizer);
  EXPECT_EQ(&data->tokenizer->preprocessor(), &start_tokenizer->preprocessor());
}

TEST(PrepareDataFrom, MultiLabelRowsForASingleLabelStartAreAnError) {
  TempDir dir;
  write_text_file(dir.file("train.txt"), "__label__pos __label__neg ab\n__label__neg ba\n");
  write_text_file(dir.file("valid.txt"), "__label__neg ba\n");
  TrainOptions o;
  o.input = dir.file("train.txt");
  o.valid = dir.file("valid.txt");
  ThreadPool pool(1);
  auto r = prepare_data_from(base_bundle(2), false, o, pool);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("single-label"), std::string::npos) << r.status().message();
}

TEST(GrownNetwork, IncompatibleShapeIsAnError) {
  auto base = base_bundle(2);
  auto cfg = network_of(base).config();
  cfg.embed_dim += 1;  // every row of the start's table is too narrow
  auto made = grown_network(base, cfg, 99);
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.status().message().find("incompatible shape"), std::string::npos);
}

TEST(ApplyPretrainedVectors, MissingVectorsFileIsAnError) {
  nn::Network net = network_of(base_bundle(2));
  TrainOptions o;
  o.pretrained_vectors = "/nonexistent/v.vec";
  nlohmann::json training;
  EXPECT_FALSE(
      apply_pretrained_vectors(o, *vocab::Vocabulary::from_tokens({"<pad>", "<unk>", "a", "b"}),
                            &net, &training)
          .ok());
}

}  // namespace
}  // namespace fenlei::train

// Classifier::explain: the weights are exactly "probability with the text minus probability
// without the token" (checked against predictions of the shortened texts), point the right way on
// a model whose evidence is known by construction, and the edge cases (unknown tokens, empty
// text, truncation, unknown label, invalid UTF-8) behave as documented.
#include <gtest/gtest.h>

#include "core/model_bundle.h"
#include "core/network_engine.h"
#include "fenlei/classifier.h"

namespace fenlei {
namespace {

// fastText-style model over characters whose evidence is known: "好" pushes towards "pos",
// "差" towards "neg", "房"/"间" are nearly neutral.
std::shared_ptr<const Classifier> sentiment_model(int max_len = 16) {
  core::PreprocessConfig preprocess;
  preprocess.tokenizer = core::TokenizerKind::kChar;
  preprocess.max_len = max_len;
  auto config = *nn::ModelConfig::preset("fasttext");
  config.embed_dim = 2;
  config.vocab_size = 6;
  config.num_classes = 2;
  nn::Network net = *nn::Network::create(config, 1);
  nn::Params& p = net.params();
  std::vector<float>& embed = p.find("embed/weight")->data;
  std::fill(embed.begin(), embed.end(), 0.0f);
  embed[2 * 2] = 4.0f;    // 好
  embed[3 * 2] = -4.0f;   // 差
  embed[4 * 2 + 1] = 0.1f;  // 房
  embed[5 * 2 + 1] = 0.1f;  // 间
  p.find("out/weight")->data = {-1.0f, 0.0f, 1.0f, 0.0f};  // neg, pos rows
  p.find("out/bias")->data = {0.0f, 0.0f};
  const core::ModelBundle b = *core::make_network_model(
      std::move(net), preprocess,
      *vocab::Vocabulary::from_tokens({"<pad>", "<unk>", "好", "差", "房", "间"}), {"neg", "pos"});
  return *Classifier::load_from_memory(*core::serialize_bundle(b), "sentiment");
}

float probability(const Classifier& m, const std::string& text, size_t label) {
  return (*m.probabilities({text}))[0][label];
}

TEST(Explain, WeightsAreTheProbabilityLostWithoutEachToken) {
  auto m = sentiment_model();
  auto e = m->explain("房间好");
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e->label, "pos");
  EXPECT_FLOAT_EQ(e->score, probability(*m, "房间好", 1));
  ASSERT_EQ(e->tokens.size(), 3u);
  const char* without[] = {"间好", "房好", "房间"};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(e->tokens[i].known);
    EXPECT_NEAR(e->tokens[i].weight, e->score - probability(*m, without[i], 1), 1e-6) << i;
  }
  EXPECT_EQ(e->tokens[2].token, "好");
  EXPECT_GT(e->tokens[2].weight, 0.3f);  // the evidence for "pos"
  for (size_t i = 0; i < 2; ++i) EXPECT_LT(std::abs(e->tokens[i].weight), e->tokens[2].weight);
}

TEST(Explain, AnotherLabelSeesTheSameEvidenceAgainstIt) {
  auto m = sentiment_model();
  ExplainOptions options;
  options.label = "neg";
  auto e = m->explain("房间好差差", options);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->label, "neg");
  EXPECT_FLOAT_EQ(e->score, probability(*m, "房间好差差", 0));
  EXPECT_LT(e->tokens[2].weight, 0.0f);  // 好 argues against neg
  EXPECT_GT(e->tokens[3].weight, 0.0f);  // 差 for it
  EXPECT_FLOAT_EQ(e->tokens[3].weight, e->tokens[4].weight);  // the same token, the same weight
}

TEST(Explain, UnknownTokensEmptyTextTruncationAndErrors) {
  auto m = sentiment_model(3);
  auto e = m->explain("房X好差");
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->tokens.size(), 3u);  // max_len 3: 差 is not read
  EXPECT_TRUE(e->truncated);
  EXPECT_FALSE(e->tokens[1].known);
  EXPECT_EQ(e->tokens[1].token, "X");

  auto empty = m->explain("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->tokens.empty());
  EXPECT_FALSE(empty->truncated);
  EXPECT_FLOAT_EQ(empty->score, probability(*m, "", empty->label == "pos" ? 1 : 0));

  ExplainOptions options;
  options.label = "maybe";
  auto bad_label = m->explain("好", options);
  ASSERT_FALSE(bad_label.ok());
  EXPECT_EQ(bad_label.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_label.status().message().find("neg, pos"), std::string::npos);
  auto bad_text = m->explain(std::string("\xff\xfe"));
  ASSERT_FALSE(bad_text.ok());
  EXPECT_EQ(bad_text.status().code(), StatusCode::kInvalidArgument);
}

TEST(Explain, CnnWeightsMatchTheShortenedTexts) {
  core::PreprocessConfig preprocess;
  preprocess.tokenizer = core::TokenizerKind::kChar;
  preprocess.max_len = 16;
  auto config = *nn::ModelConfig::preset("textcnn");
  config.embed_dim = 4;
  config.filters = 5;
  config.widths = {2, 3};
  config.vocab_size = 7;
  config.num_classes = 3;
  nn::Network net = *nn::Network::create(config, 3);
  for (nn::Tensor& t : net.params())
    for (float& x : t.data) x *= 8.0f;  // decisive outputs
  const core::ModelBundle b = *core::make_network_model(
      std::move(net), preprocess,
      *vocab::Vocabulary::from_tokens({"<pad>", "<unk>", "好", "差", "房", "间", "吵"}),
      {"a", "b", "c"});
  auto m = *Classifier::load_from_memory(*core::serialize_bundle(b), "cnn");
  const std::string text = "房间好吵差";
  auto e = m->explain(text);
  ASSERT_TRUE(e.ok());
  const size_t label = size_t(e->label[0] - 'a');
  EXPECT_FLOAT_EQ(e->score, probability(*m, text, label));
  const std::vector<std::string> chars = {"房", "间", "好", "吵", "差"};
  for (size_t i = 0; i < chars.size(); ++i) {
    std::string shorter;
    for (size_t j = 0; j < chars.size(); ++j)
      if (j != i) shorter += chars[j];
    EXPECT_NEAR(e->tokens[i].weight, e->score - probability(*m, shorter, label), 1e-5) << i;
  }
}

}  // namespace
}  // namespace fenlei

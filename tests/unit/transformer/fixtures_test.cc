// The committed checkpoints of bench/make_transformer_fixtures.py (random weights, made with
// transformers): fenlei must produce BertTokenizer's ids on every text and the model's
// probabilities within 1e-4, from model.safetensors and from pytorch_model.bin alike.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "hf/safetensors.h"
#include "hf/torch_bin.h"
#include "transformer/checkpoint.h"
#include "transformer/wordpiece.h"

namespace fenlei::transformer {
namespace {

std::string fixture(const std::string& name) { return std::string(FENLEI_TEST_DATA_DIR) + "/hf/" + name; }

struct Row {
  std::string text;
  std::vector<int32_t> ids, fast_ids;
  std::vector<float> probs;
};

std::vector<Row> expected_rows(const std::string& model) {
  std::ifstream in(fixture(model + "/expected.jsonl"));
  std::vector<Row> rows;
  std::string line;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    Row r;
    r.text = j["text"].get<std::string>();
    r.ids = j["ids"].get<std::vector<int32_t>>();
    r.fast_ids = j.contains("fast_ids") ? j["fast_ids"].get<std::vector<int32_t>>() : r.ids;
    r.probs = j["probs"].get<std::vector<float>>();
    rows.push_back(std::move(r));
  }
  return rows;
}

void check_model(const std::string& model) {
  auto ck = read_checkpoint(fixture(model));
  ASSERT_TRUE(ck.ok()) << ck.status().to_string();
  EXPECT_EQ(ck->labels, (std::vector<std::string>{"neg", "neu", "pos"}));
  auto tokenizer = WordPieceTokenizer::create(ck->tokenizer);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
  const auto rows = expected_rows(model);
  ASSERT_GE(rows.size(), 2000u);
  // What EncoderEngine runs: the layers' weights packed at load (packed_dense.h).
  const EncoderWeights packed = pack_encoder(ck->encoder);
  ASSERT_TRUE(packed.packed());
  int token_mismatches = 0;
  float worst = 0, worst_packed = 0;
  for (const Row& r : rows) {
    const Encoding e = tokenizer->encode(r.text);
    if (e.ids != r.ids) {
      if (++token_mismatches <= 5) ADD_FAILURE() << model << " ids differ for: " << r.text;
      continue;
    }
    for (size_t i = 0; i < e.ids.size(); ++i) ASSERT_EQ(e.tokens[i], ck->tokenizer.vocab[e.ids[i]]);
    std::vector<float> p = classify_logits(ck->encoder, e.ids);
    softmax_in_place(&p);
    ASSERT_EQ(p.size(), r.probs.size());
    for (size_t i = 0; i < p.size(); ++i) worst = std::max(worst, std::abs(p[i] - r.probs[i]));
    std::vector<float> pp = classify_logits(packed, e.ids);
    softmax_in_place(&pp);
    ASSERT_EQ(pp.size(), r.probs.size());
    for (size_t i = 0; i < pp.size(); ++i)
      worst_packed = std::max(worst_packed, std::abs(pp[i] - r.probs[i]));
  }
  EXPECT_EQ(token_mismatches, 0) << model;
  EXPECT_LT(worst, 1e-4f) << model;
  EXPECT_LT(worst_packed, 1e-4f) << model << " packed";
}

TEST(Fixtures, BertTokensAndProbabilitiesMatchTransformers) { check_model("bert"); }
TEST(Fixtures, ElectraTokensAndProbabilitiesMatchTransformers) { check_model("electra"); }

TEST(Fixtures, PytorchBinHoldsTheSameTensorsAsSafetensors) {
  for (const char* model : {"bert", "electra"}) {
    auto st = hf::read_safetensors(fixture(std::string(model) + "/model.safetensors"));
    auto bin = hf::read_pytorch_bin(fixture(std::string(model) + "/pytorch_model.bin"));
    ASSERT_TRUE(st.ok()) << st.status().to_string();
    ASSERT_TRUE(bin.ok()) << bin.status().to_string();
    for (const auto& [name, t] : *st) {
      auto it = bin->find(name);
      ASSERT_NE(it, bin->end()) << name;
      EXPECT_EQ(it->second.shape, t.shape) << name;
      EXPECT_EQ(it->second.data, t.data) << name;
    }
  }
}

TEST(Fixtures, FastTokenizerJsonGivesTheFastTokenizersIds) {
  auto text = read_file(fixture("bert/tokenizer.json"));
  ASSERT_TRUE(text.ok());
  hf::WordPieceSettings s;
  s.source = "tokenizer.json";
  s.nfc = false;
  ASSERT_TRUE(hf::apply_tokenizer_json(*text, "tokenizer.json", &s).ok());
  s.model_max_length = 128;
  auto tokenizer = WordPieceTokenizer::create(s);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
  int mismatches = 0;
  for (const Row& r : expected_rows("bert")) {
    if (tokenizer->encode(r.text).ids != r.fast_ids && ++mismatches <= 5)
      ADD_FAILURE() << "fast ids differ for: " << r.text;
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(Fixtures, EncoderSurvivesTheModelFileRepresentation) {
  for (const char* model : {"bert", "electra"}) {
    auto ck = read_checkpoint(fixture(model));
    ASSERT_TRUE(ck.ok());
    auto back = encoder_from_tensors(config_to_json(ck->encoder.config),
                                     encoder_to_tensors(ck->encoder), "m.fenlei");
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    const std::vector<int32_t> ids = {2, 100, 200, 300, 3};
    EXPECT_EQ(classify_logits(*back, ids), classify_logits(ck->encoder, ids));
  }
}

}  // namespace
}  // namespace fenlei::transformer

// Export to a Hugging Face directory and back: the committed BERT/ELECTRA fixtures (and an
// ELECTRA without embeddings_project) survive import -> export -> import with bit-identical
// weights, the same tokenizer settings and identical probabilities; the written files parse
// with fenlei's own hf readers; int8 encoders and unwritable vocabularies are refused.
#include "transformer/hf_export.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>

#include "hf/config.h"
#include "hf/output_directory.h"
#include "hf/safetensors.h"
#include "test_util.h"
#include "transformer/checkpoint.h"
#include "transformer/wordpiece.h"

namespace fenlei::transformer {
namespace {

using fenlei::testing::TempDir;

std::string fixture(const std::string& name) {
  return std::string(FENLEI_TEST_DATA_DIR) + "/hf/" + name;
}

std::vector<std::string> fixture_texts(const std::string& model) {
  std::ifstream in(fixture(model + "/expected.jsonl"));
  std::vector<std::string> texts;
  std::string line;
  while (std::getline(in, line)) texts.push_back(nlohmann::json::parse(line)["text"]);
  return texts;
}

// Exports `w` + `settings` into a fresh directory under `tmp` and reads it back as import does.
StatusOr<Checkpoint> export_and_reimport(const EncoderWeights& w, const hf::WordPieceSettings& s,
                                         const std::vector<std::string>& labels,
                                         const TempDir& tmp) {
  FENLEI_ASSIGN_OR_RETURN(HfExport e, export_hf_files(w, s, labels));
  FENLEI_RETURN_IF_ERROR(hf::write_directory_atomic(tmp.file("hf"), e.files, false));
  return read_checkpoint(tmp.file("hf"));
}

void expect_same_weights(const EncoderWeights& a, const EncoderWeights& b) {
  const auto ta = encoder_to_tensors(a), tb = encoder_to_tensors(b);
  ASSERT_EQ(ta.size(), tb.size());
  for (size_t i = 0; i < ta.size(); ++i) {
    EXPECT_EQ(ta[i].name, tb[i].name);
    EXPECT_EQ(ta[i].shape, tb[i].shape) << ta[i].name;
    EXPECT_TRUE(ta[i].data == tb[i].data) << ta[i].name << " is not bit-identical";
  }
  EXPECT_EQ(a.has_projection, b.has_projection);
  EXPECT_EQ(a.head, b.head);
}

void expect_same_settings(const hf::WordPieceSettings& a, const hf::WordPieceSettings& b) {
  EXPECT_EQ(a.vocab, b.vocab);
  EXPECT_EQ(a.lowercase, b.lowercase);
  EXPECT_EQ(a.strip_accents, b.strip_accents);
  EXPECT_EQ(a.tokenize_chinese_chars, b.tokenize_chinese_chars);
  EXPECT_EQ(a.clean_text, b.clean_text);
  EXPECT_EQ(a.nfc, b.nfc);
  EXPECT_EQ(a.model_max_length, b.model_max_length);
  EXPECT_EQ(a.unk_token, b.unk_token);
  EXPECT_EQ(a.cls_token, b.cls_token);
  EXPECT_EQ(a.sep_token, b.sep_token);
  EXPECT_EQ(a.pad_token, b.pad_token);
  EXPECT_EQ(a.mask_token, b.mask_token);
}

void expect_same_config(const hf::EncoderConfig& a, const hf::EncoderConfig& b) {
  EXPECT_EQ(a.model_type, b.model_type);
  EXPECT_EQ(a.vocab_size, b.vocab_size);
  EXPECT_EQ(a.hidden_size, b.hidden_size);
  EXPECT_EQ(a.embedding_size, b.embedding_size);
  EXPECT_EQ(a.num_layers, b.num_layers);
  EXPECT_EQ(a.num_heads, b.num_heads);
  EXPECT_EQ(a.intermediate_size, b.intermediate_size);
  EXPECT_EQ(a.max_position_embeddings, b.max_position_embeddings);
  EXPECT_EQ(a.type_vocab_size, b.type_vocab_size);
  EXPECT_EQ(a.pad_token_id, b.pad_token_id);
  EXPECT_EQ(a.layer_norm_eps, b.layer_norm_eps);  // exact: the float, not a rounded double
  EXPECT_EQ(a.hidden_act, b.hidden_act);
  EXPECT_EQ(a.hidden_act_name, b.hidden_act_name);
  EXPECT_EQ(a.labels, b.labels);
}

// Every text's probabilities, bit for bit.
void expect_same_predictions(const Checkpoint& a, const Checkpoint& b,
                             const std::vector<std::string>& texts) {
  auto ta = WordPieceTokenizer::create(a.tokenizer);
  auto tb = WordPieceTokenizer::create(b.tokenizer);
  ASSERT_TRUE(ta.ok() && tb.ok());
  int differ = 0;
  for (const std::string& text : texts) {
    const Encoding ea = ta->encode(text), eb = tb->encode(text);
    ASSERT_EQ(ea.ids, eb.ids) << text;
    const std::vector<float> la = classify_logits(a.encoder, ea.ids);
    const std::vector<float> lb = classify_logits(b.encoder, eb.ids);
    if (std::memcmp(la.data(), lb.data(), la.size() * sizeof(float)) != 0 && ++differ <= 3)
      ADD_FAILURE() << "logits differ for: " << text;
  }
  EXPECT_EQ(differ, 0);
}

void round_trip_fixture(const std::string& model) {
  auto original = read_checkpoint(fixture(model));
  ASSERT_TRUE(original.ok()) << original.status().to_string();
  TempDir tmp;
  auto again = export_and_reimport(original->encoder, original->tokenizer, original->labels, tmp);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  expect_same_config(original->encoder.config, again->encoder.config);
  EXPECT_EQ(again->encoder.config.architecture,
            model == "bert" ? "BertForSequenceClassification" : "ElectraForSequenceClassification");
  expect_same_weights(original->encoder, again->encoder);
  expect_same_settings(original->tokenizer, again->tokenizer);
  EXPECT_EQ(original->labels, again->labels);
  const auto texts = fixture_texts(model);
  ASSERT_GE(texts.size(), 2000u);
  expect_same_predictions(*original, *again, texts);
  // The weights file is the very file transformers saved.
  EXPECT_TRUE(fenlei::testing::read_text_file(tmp.file("hf/model.safetensors")) ==
              fenlei::testing::read_text_file(fixture(model + "/model.safetensors")))
      << model;
}

TEST(HfExport, BertFixtureRoundTripsBitForBit) { round_trip_fixture("bert"); }
TEST(HfExport, ElectraWithEmbeddingsProjectRoundTripsBitForBit) { round_trip_fixture("electra"); }

// An ELECTRA whose embedding_size equals hidden_size: transformers builds no embeddings_project,
// so the export must not write one either.
TEST(HfExport, ElectraWithoutEmbeddingsProjectRoundTripsBitForBit) {
  auto base = read_checkpoint(fixture("electra"));
  ASSERT_TRUE(base.ok()) << base.status().to_string();
  hf::EncoderConfig c = base->encoder.config;
  c.embedding_size = c.hidden_size;
  c.layer_norm_eps = 3e-7f;
  c.hidden_act_name = "gelu";
  c.hidden_act = hf::Activation::kGeluErf;
  c.labels = {"a", "b"};
  std::mt19937 rng(11);
  std::normal_distribution<float> d(0.0f, 0.3f);
  hf::TensorMap m;
  for (const format::Tensor& t : encoder_to_tensors(base->encoder)) {
    if (t.name.find("embeddings_project") != std::string::npos) continue;
    hf::Tensor h;
    h.shape = t.shape;
    if (t.name.find("electra.embeddings.") == 0 && h.shape.back() == base->encoder.config.embedding_size)
      h.shape.back() = c.hidden_size;
    if (t.name.find("out_proj") != std::string::npos) h.shape[0] = 2;
    h.data.resize(h.numel());
    for (float& v : h.data) v = d(rng);
    m[t.name] = std::move(h);
  }
  auto w = build_encoder(c, m, "synthetic");
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  ASSERT_FALSE(w->has_projection);
  Checkpoint original;
  original.encoder = std::move(*w);
  original.tokenizer = base->tokenizer;
  original.labels = c.labels;

  TempDir tmp;
  auto again = export_and_reimport(original.encoder, original.tokenizer, original.labels, tmp);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  auto tensors = hf::read_safetensors(tmp.file("hf/model.safetensors"));
  ASSERT_TRUE(tensors.ok());
  for (const auto& [name, t] : *tensors)
    EXPECT_EQ(name.find("embeddings_project"), std::string::npos) << name;
  expect_same_config(original.encoder.config, again->encoder.config);
  expect_same_weights(original.encoder, again->encoder);
  expect_same_settings(original.tokenizer, again->tokenizer);
  auto texts = fixture_texts("electra");
  texts.resize(300);
  expect_same_predictions(original, *again, texts);
}

TEST(HfExport, WrittenFilesParseWithFenleisReadersAndHoldWhatTransformersNeeds) {
  auto ck = read_checkpoint(fixture("bert"));
  ASSERT_TRUE(ck.ok());
  auto e = export_hf_files(ck->encoder, ck->tokenizer, ck->labels);
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_TRUE(e->warnings.empty());
  for (const char* name : {"config.json", "model.safetensors", "vocab.txt",
                           "tokenizer_config.json", "special_tokens_map.json"})
    EXPECT_EQ(e->files.count(name), 1u) << name;

  auto config = hf::parse_encoder_config(e->files["config.json"], "config.json");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  expect_same_config(ck->encoder.config, *config);
  const auto j = nlohmann::json::parse(e->files["config.json"]);
  EXPECT_EQ(j["architectures"], nlohmann::json({"BertForSequenceClassification"}));
  EXPECT_EQ(j["label2id"], nlohmann::json({{"neg", 0}, {"neu", 1}, {"pos", 2}}));
  EXPECT_EQ(j["id2label"], nlohmann::json({{"0", "neg"}, {"1", "neu"}, {"2", "pos"}}));
  EXPECT_NE(e->files["config.json"].find("\"layer_norm_eps\": 1e-12"), std::string::npos);

  hf::WordPieceSettings s;
  auto vocab = hf::parse_vocab_txt(e->files["vocab.txt"], "vocab.txt");
  ASSERT_TRUE(vocab.ok());
  s.vocab = *vocab;
  ASSERT_TRUE(hf::apply_special_tokens_map(e->files["special_tokens_map.json"], "s", &s).ok());
  ASSERT_TRUE(hf::apply_tokenizer_config(e->files["tokenizer_config.json"], "t", &s).ok());
  expect_same_settings(ck->tokenizer, s);
  EXPECT_EQ(nlohmann::json::parse(e->files["tokenizer_config.json"])["tokenizer_class"],
            "BertTokenizer");
}

TEST(HfExport, EveryTokenizerSettingSurvives) {
  auto ck = read_checkpoint(fixture("electra"));
  ASSERT_TRUE(ck.ok());
  for (int variant = 0; variant < 6; ++variant) {
    hf::WordPieceSettings s = ck->tokenizer;
    s.lowercase = variant % 2 == 0;
    s.strip_accents = variant < 2 ? std::optional<bool>() : std::optional<bool>(variant < 4);
    s.tokenize_chinese_chars = variant != 3;
    s.model_max_length = 17 + variant;
    TempDir tmp;
    auto again = export_and_reimport(ck->encoder, s, ck->labels, tmp);
    ASSERT_TRUE(again.ok()) << again.status().to_string();
    expect_same_settings(s, again->tokenizer);
  }
}

TEST(HfExport, RefusesInt8AndWhatFilesCannotHold) {
  auto ck = read_checkpoint(fixture("bert"));
  ASSERT_TRUE(ck.ok());
  auto q = export_hf_files(quantize_encoder(ck->encoder), ck->tokenizer, ck->labels);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(q.status().message().find("int8"), std::string::npos) << q.status().message();
  EXPECT_NE(q.status().message().find("float model"), std::string::npos) << q.status().message();

  hf::WordPieceSettings s = ck->tokenizer;
  s.vocab[7] = "two\nlines";
  auto v = export_hf_files(ck->encoder, s, ck->labels);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("line break"), std::string::npos) << v.status().message();

  EXPECT_FALSE(export_hf_files(ck->encoder, ck->tokenizer, {"neg", "pos"}).ok());
  EXPECT_FALSE(export_hf_files(ck->encoder, ck->tokenizer, {"neg", "neg", "pos"}).ok());
}

TEST(HfExport, WarnsWhatVocabTxtCannotExpress) {
  auto ck = read_checkpoint(fixture("bert"));
  ASSERT_TRUE(ck.ok());
  hf::WordPieceSettings s = ck->tokenizer;
  s.nfc = false;  // a tokenizer.json import
  auto e = export_hf_files(ck->encoder, s, ck->labels);
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->warnings.size(), 1u);
  EXPECT_NE(e->warnings[0].find("NFC"), std::string::npos);
}

TEST(HfExport, ConfigNamesTheActivationAndRefusesAProjectionTransformersWouldNotBuild) {
  auto ck = read_checkpoint(fixture("electra"));
  ASSERT_TRUE(ck.ok());
  hf::EncoderConfig c = ck->encoder.config;
  c.hidden_act_name.clear();  // a config built in code, not read from a file
  c.hidden_act = hf::Activation::kGeluTanh;
  EXPECT_EQ(hf_config_json(c, ck->labels)["hidden_act"], "gelu_new");
  c.hidden_act = hf::Activation::kRelu;
  EXPECT_EQ(hf_config_json(c, ck->labels)["hidden_act"], "relu");

  // embeddings_project although embedding_size == hidden_size: fenlei reads it, transformers'
  // ElectraModel would ignore it, so the export refuses instead of changing the model.
  EncoderWeights w = ck->encoder;
  w.config.embedding_size = w.config.hidden_size;
  auto e = export_hf_files(w, ck->tokenizer, ck->labels);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("embeddings_project"), std::string::npos)
      << e.status().message();
}

}  // namespace
}  // namespace fenlei::transformer

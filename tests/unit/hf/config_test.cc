#include "hf/config.h"

#include <gtest/gtest.h>

namespace fenlei::hf {
namespace {

const char* kBert = R"({
  "architectures": ["BertForSequenceClassification"], "model_type": "bert",
  "vocab_size": 100, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
  "intermediate_size": 64, "max_position_embeddings": 128, "type_vocab_size": 2,
  "hidden_act": "gelu", "layer_norm_eps": 1e-12, "id2label": {"0": "neg", "1": "pos"}})";

TEST(EncoderConfig, ReadsBertAndElectra) {
  auto c = parse_encoder_config(kBert, "config.json");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->model_type, "bert");
  EXPECT_EQ(c->architecture, "BertForSequenceClassification");
  EXPECT_EQ(c->hidden_size, 32);
  EXPECT_EQ(c->embedding_size, 32);
  EXPECT_EQ(c->labels, (std::vector<std::string>{"neg", "pos"}));
  EXPECT_EQ(c->hidden_act, Activation::kGeluErf);

  auto e = parse_encoder_config(
      R"({"model_type": "electra", "vocab_size": 100, "hidden_size": 64, "embedding_size": 32,
          "num_hidden_layers": 1, "num_attention_heads": 4, "intermediate_size": 64,
          "hidden_act": "gelu_new", "layer_norm_eps": 1e-5})",
      "config.json");
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_EQ(e->embedding_size, 32);
  EXPECT_EQ(e->hidden_act, Activation::kGeluTanh);
  EXPECT_FLOAT_EQ(e->layer_norm_eps, 1e-5f);
  EXPECT_EQ(e->max_position_embeddings, 512);
}

void expect_field_error(const std::string& from, const std::string& to, const std::string& field) {
  std::string text = kBert;
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  auto c = parse_encoder_config(text, "dir/config.json");
  ASSERT_FALSE(c.ok()) << to;
  EXPECT_NE(c.status().message().find("dir/config.json"), std::string::npos);
  EXPECT_NE(c.status().message().find("'" + field + "'"), std::string::npos)
      << c.status().message();
}

TEST(EncoderConfig, NamesTheFieldAtFault) {
  expect_field_error("\"model_type\": \"bert\"", "\"model_type\": \"gpt2\"", "model_type");
  expect_field_error("\"hidden_size\": 32", "\"hidden_size\": -3", "hidden_size");
  expect_field_error("\"hidden_size\": 32", "\"hidden_size\": \"big\"", "hidden_size");
  expect_field_error("\"num_attention_heads\": 4", "\"num_attention_heads\": 5",
                     "num_attention_heads");
  expect_field_error("\"vocab_size\": 100,", "", "vocab_size");
  expect_field_error("\"hidden_act\": \"gelu\"", "\"hidden_act\": \"swish\"", "hidden_act");
  expect_field_error("\"layer_norm_eps\": 1e-12", "\"layer_norm_eps\": 0", "layer_norm_eps");
  expect_field_error("{\"0\": \"neg\", \"1\": \"pos\"}", "{\"0\": \"neg\", \"2\": \"pos\"}",
                     "id2label");
  expect_field_error("\"vocab_size\": 100", "\"vocab_size\": 100000000000", "vocab_size");
  EXPECT_FALSE(parse_encoder_config("not json", "config.json").ok());
  EXPECT_FALSE(parse_encoder_config("[]", "config.json").ok());
}

}  // namespace
}  // namespace fenlei::hf

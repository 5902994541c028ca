#include "transformer/encoder.h"

#include <gtest/gtest.h>

#include <random>

namespace fenlei::transformer {
namespace {

hf::EncoderConfig tiny(const std::string& type) {
  hf::EncoderConfig c;
  c.model_type = type;
  c.vocab_size = 50;
  c.hidden_size = 16;
  c.embedding_size = type == "electra" ? 8 : 16;
  c.num_layers = 2;
  c.num_heads = 4;
  c.intermediate_size = 32;
  c.max_position_embeddings = 20;
  c.type_vocab_size = 2;
  c.layer_norm_eps = 1e-12f;
  c.hidden_act = type == "electra" ? hf::Activation::kGeluTanh : hf::Activation::kGeluErf;
  return c;
}

// A random state dict with every tensor transformers' *ForSequenceClassification saves.
hf::TensorMap random_checkpoint(const hf::EncoderConfig& c, int labels) {
  std::mt19937 rng(7);
  std::normal_distribution<float> d(0.0f, 0.3f);
  hf::TensorMap m;
  auto add = [&](const std::string& name, std::vector<int64_t> shape) {
    hf::Tensor t;
    t.shape = shape;
    t.data.resize(t.numel());
    for (float& v : t.data) v = d(rng);
    m[name] = t;
  };
  const std::string p = c.model_type + ".";
  const int e = c.embedding_size, h = c.hidden_size;
  add(p + "embeddings.word_embeddings.weight", {c.vocab_size, e});
  add(p + "embeddings.position_embeddings.weight", {c.max_position_embeddings, e});
  add(p + "embeddings.token_type_embeddings.weight", {c.type_vocab_size, e});
  add(p + "embeddings.LayerNorm.weight", {e});
  add(p + "embeddings.LayerNorm.bias", {e});
  if (e != h) {
    add(p + "embeddings_project.weight", {h, e});
    add(p + "embeddings_project.bias", {h});
  }
  auto lin = [&](const std::string& name, int in, int out) {
    add(name + ".weight", {out, in});
    add(name + ".bias", {out});
  };
  for (int i = 0; i < c.num_layers; ++i) {
    const std::string at = p + "encoder.layer." + std::to_string(i) + ".";
    for (const char* n : {"query", "key", "value"}) lin(at + "attention.self." + n, h, h);
    lin(at + "attention.output.dense", h, h);
    add(at + "attention.output.LayerNorm.weight", {h});
    add(at + "attention.output.LayerNorm.bias", {h});
    lin(at + "intermediate.dense", h, c.intermediate_size);
    lin(at + "output.dense", c.intermediate_size, h);
    add(at + "output.LayerNorm.weight", {h});
    add(at + "output.LayerNorm.bias", {h});
  }
  if (c.model_type == "bert") {
    lin("bert.pooler.dense", h, h);
    lin("classifier", h, labels);
  } else {
    lin("classifier.dense", h, h);
    lin("classifier.out_proj", h, labels);
  }
  return m;
}

TEST(Encoder, FastPathMatchesReferenceForBothArchitectures) {
  for (const char* type : {"bert", "electra"}) {
    const auto c = tiny(type);
    auto w = build_encoder(c, random_checkpoint(c, 3), "ckpt");
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    EXPECT_EQ(w->num_labels(), 3);
    EXPECT_EQ(w->has_projection, std::string(type) == "electra");
    for (const auto& ids : {std::vector<int32_t>{2, 3}, std::vector<int32_t>{2, 9, 14, 40, 7, 3},
                            std::vector<int32_t>(20, 11)}) {
      auto fast = classify_logits(*w, ids);
      auto ref = classify_logits_ref(*w, ids);
      ASSERT_EQ(fast.size(), 3u);
      for (size_t i = 0; i < fast.size(); ++i) EXPECT_NEAR(fast[i], ref[i], 1e-4f) << type;
    }
  }
}

TEST(Encoder, PackedWeightsRunTheSameModelHeldOnce) {
  for (const char* type : {"bert", "electra"}) {
    const auto c = tiny(type);
    auto w = build_encoder(c, random_checkpoint(c, 3), "ckpt");
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    const EncoderWeights packed = pack_encoder(*w);
    ASSERT_TRUE(packed.packed());
    EXPECT_TRUE(packed.layers[0].intermediate.w.empty());  // the [out][in] copy is dropped
    EXPECT_EQ(encoder_parameter_count(packed), encoder_parameter_count(*w));
    const EncoderWeights back = unpack_encoder(packed);
    EXPECT_FALSE(back.packed());
    for (size_t l = 0; l < w->layers.size(); ++l) {
      EXPECT_EQ(back.layers[l].qkv.w, w->layers[l].qkv.w);
      EXPECT_EQ(back.layers[l].output.w, w->layers[l].output.w);
    }
    for (const auto& ids : {std::vector<int32_t>{2, 3}, std::vector<int32_t>(20, 11)}) {
      const auto fast = classify_logits(packed, ids);
      const auto ref = classify_logits_ref(packed, ids);  // unpacks for the reference layers
      EXPECT_EQ(ref, classify_logits_ref(*w, ids));
      for (size_t i = 0; i < fast.size(); ++i) EXPECT_NEAR(fast[i], ref[i], 1e-4f) << type;
      const auto hidden = encode_hidden(packed, ids), hidden_dot = encode_hidden(*w, ids);
      ASSERT_EQ(hidden.size(), hidden_dot.size());
      for (size_t i = 0; i < hidden.size(); ++i) EXPECT_NEAR(hidden[i], hidden_dot[i], 1e-4f);
    }
  }
}

TEST(Encoder, AcceptsUnprefixedAndOldLayerNormNames) {
  const auto c = tiny("bert");
  hf::TensorMap renamed;
  for (auto& [name, t] : random_checkpoint(c, 2)) {
    std::string n = name;
    if (n.rfind("bert.", 0) == 0 && n.find("pooler") == std::string::npos) n = n.substr(5);
    if (n.find("pooler") != std::string::npos) n = n.substr(5);
    const size_t ln = n.find("LayerNorm.weight");
    if (ln != std::string::npos) n = n.substr(0, ln) + "LayerNorm.gamma";
    const size_t lb = n.find("LayerNorm.bias");
    if (lb != std::string::npos) n = n.substr(0, lb) + "LayerNorm.beta";
    renamed[n] = t;
  }
  auto w = build_encoder(c, renamed, "ckpt");
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  EXPECT_EQ(w->head, HeadKind::kBertPooler);
}

TEST(Encoder, ShapeAndMissingTensorErrorsNameTheTensor) {
  const auto c = tiny("bert");
  auto m = random_checkpoint(c, 2);
  m["bert.encoder.layer.1.intermediate.dense.weight"].shape = {16, 32};
  auto w = build_encoder(c, m, "ckpt/model.safetensors");
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("bert.encoder.layer.1.intermediate.dense.weight"),
            std::string::npos)
      << w.status().message();
  m = random_checkpoint(c, 2);
  m.erase("bert.encoder.layer.0.attention.self.key.bias");
  w = build_encoder(c, m, "ckpt/model.safetensors");
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("missing"), std::string::npos);
  auto labelled = c;
  labelled.labels = {"a", "b", "c"};
  EXPECT_FALSE(build_encoder(labelled, random_checkpoint(c, 2), "ckpt").ok());
}

}  // namespace
}  // namespace fenlei::transformer

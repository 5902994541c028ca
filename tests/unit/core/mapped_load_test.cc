// Classifier::load maps the model file: a float cnn or fasttext network then reads its weights
// in place (NetworkEngine::borrows_weights), with the same predictions, info and saved bytes as
// a model loaded from memory; quantising and training get an owned copy; other networks
// (recurrent) copy as before.
#include <gtest/gtest.h>

#include "core/classifier_impl.h"
#include "core/model_bundle.h"
#include "core/network_engine.h"
#include "fenlei/classifier.h"
#include "format/model_file.h"
#include "test_util.h"

namespace fenlei {
namespace {

core::ModelBundle char_model(const std::string& preset) {
  const std::vector<std::string> tokens = {"<pad>", "<unk>", "好", "差", "房", "间", "很", "太", "吵"};
  core::PreprocessConfig preprocess;
  preprocess.tokenizer = core::TokenizerKind::kChar;
  preprocess.max_len = 16;
  auto config = *nn::ModelConfig::preset(preset);
  config.vocab_size = static_cast<int64_t>(tokens.size());
  config.num_classes = 3;
  if (config.arch == nn::Arch::kFastText) config.bigram_buckets = 50;
  return *core::make_network_model(*nn::Network::create(config, 5), preprocess,
                                   *vocab::Vocabulary::from_tokens(tokens), {"a", "b", "c"});
}

const core::NetworkEngine& engine_of(const Classifier& c) {
  return dynamic_cast<const core::NetworkEngine&>(*c.impl().model.engine);
}

TEST(MappedLoad, FloatNetworksUseTheMappedWeightsAndPredictAlike) {
  const std::vector<std::string> texts = {"房间很好", "太吵", "", "好好好差差"};
  for (const std::string preset : {"fasttext", "textcnn", "seed-cnn"}) {
    fenlei::testing::TempDir dir;
    const std::string path = dir.file("m.fenlei");
    ASSERT_TRUE(core::save_bundle(path, char_model(preset)).ok());
    const std::string bytes = fenlei::testing::read_text_file(path);
    auto mapped = Classifier::load(path);
    ASSERT_TRUE(mapped.ok()) << mapped.status().message();
    auto in_memory = *Classifier::load_from_memory(bytes, path);
    EXPECT_TRUE(engine_of(**mapped).borrows_weights()) << preset;
    EXPECT_FALSE(engine_of(*in_memory).borrows_weights()) << preset;
    EXPECT_EQ(*(*mapped)->probabilities(texts), *in_memory->probabilities(texts)) << preset;
    (*mapped)->warm_up();
    EXPECT_EQ(*(*mapped)->probabilities(texts), *in_memory->probabilities(texts)) << preset;
    EXPECT_EQ((*mapped)->info().checksum, in_memory->info().checksum);
    EXPECT_EQ((*mapped)->info().file_bytes, bytes.size());
    EXPECT_EQ((*mapped)->info().parameter_count, in_memory->info().parameter_count);
    // Saved again: the same bytes (to_file reads the borrowed weights).
    EXPECT_EQ(*core::serialize_bundle((*mapped)->impl().model), bytes) << preset;
    // Training and quantising get an owned copy with the same values.
    const nn::Network* trainable = engine_of(**mapped).trainable_network();
    ASSERT_NE(trainable, nullptr);
    for (const nn::Tensor& t : trainable->params()) {
      EXPECT_EQ(t.borrowed, nullptr) << t.name;
      EXPECT_EQ(int64_t(t.data.size()), t.shape_numel()) << t.name;
    }
    EXPECT_EQ(trainable, engine_of(**mapped).trainable_network());  // made once
    auto q_mapped = core::quantize_bundle((*mapped)->impl().model, {});
    auto q_memory = core::quantize_bundle(in_memory->impl().model, {});
    ASSERT_TRUE(q_mapped.ok() && q_memory.ok());
    EXPECT_EQ(*core::serialize_bundle(*q_mapped), *core::serialize_bundle(*q_memory)) << preset;
  }
}

TEST(MappedLoad, RecurrentNetworksCopyTheirWeights) {
  fenlei::testing::TempDir dir;
  const std::string path = dir.file("m.fenlei");
  ASSERT_TRUE(core::save_bundle(path, char_model("gru")).ok());
  auto mapped = Classifier::load(path);
  ASSERT_TRUE(mapped.ok()) << mapped.status().message();
  EXPECT_FALSE(engine_of(**mapped).borrows_weights());
  auto in_memory = *Classifier::load_from_memory(fenlei::testing::read_text_file(path), path);
  EXPECT_EQ(*(*mapped)->probabilities({"房间很好"}), *in_memory->probabilities({"房间很好"}));
}

TEST(MappedLoad, CorruptFilesAreErrorsNotCrashes) {
  fenlei::testing::TempDir dir;
  const std::string path = dir.file("m.fenlei");
  ASSERT_TRUE(core::save_bundle(path, char_model("textcnn")).ok());
  std::string bytes = fenlei::testing::read_text_file(path);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 1);
  fenlei::testing::write_text_file(path, bytes);
  auto r = Classifier::load(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("checksum mismatch"), std::string::npos);
}

}  // namespace
}  // namespace fenlei

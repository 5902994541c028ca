// A word model records what decides its tokens (the jieba dictionary's content id), and loading
// it where the dictionary differs is a clear error naming both ids, never a silent change of
// segmentation. Models without the id (format v1 files) still load.
#include <gtest/gtest.h>

#include "core/model_bundle.h"
#include "core/network_engine.h"
#include "core/vocab_tokenizer.h"
#include "fenlei/classifier.h"
#include "test_util.h"

namespace fenlei::core {
namespace {

PreprocessConfig word_config() {
  PreprocessConfig c;
  c.tokenizer = TokenizerKind::kWord;
  c.max_len = 16;
  return c;
}

// A word model whose tokenizer was built with `segmenter` options, serialised.
std::string word_model_bytes(const seg::SegmenterOptions& segmenter, std::string* id) {
  auto vocabulary = *vocab::Vocabulary::from_tokens({"<pad>", "<unk>", "房间", "干净"});
  auto tokenizer = VocabTokenizer::create(word_config(), vocabulary, segmenter);
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  *id = (*tokenizer)->config().dictionary_id;
  auto config = *nn::ModelConfig::preset("fasttext");
  config.embed_dim = 4;
  config.bigram_buckets = 0;
  config.vocab_size = 4;
  config.num_classes = 2;
  ModelBundle m;
  m.tokenizer = std::move(*tokenizer);
  m.engine = std::make_shared<const NetworkEngine>(*nn::Network::create(config, 1));
  m.labels = {"neg", "pos"};
  return *serialize_bundle(m);
}

TEST(DictionaryIdentity, ADifferentDictionaryIsAClearErrorNamingBoth) {
  testing::TempDir dir;
  testing::write_text_file(dir.file("dict.txt"), "房间 100 n\n干净 50 a\n很 80 d\n");
  seg::SegmenterOptions own;
  own.dict_path = dir.file("dict.txt");
  own.cache_dir = dir.file("cache");
  std::string own_id;
  const std::string bytes = word_model_bytes(own, &own_id);
  ASSERT_FALSE(own_id.empty());

  // Loading uses this machine's default dictionary, which is not the one it was trained with.
  auto loaded = Classifier::load_from_memory(bytes, "small-dict.fenlei");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kFailedPrecondition);
  const std::string& message = loaded.status().message();
  EXPECT_NE(message.find("small-dict.fenlei"), std::string::npos) << message;
  EXPECT_NE(message.find(own_id), std::string::npos) << message;
  auto default_segmenter = seg::Segmenter::load({});
  ASSERT_TRUE(default_segmenter.ok());
  EXPECT_NE((*default_segmenter)->dictionary_id(), own_id);
  EXPECT_NE(message.find((*default_segmenter)->dictionary_id()), std::string::npos) << message;

  // With the dictionary it was trained with, the same settings load.
  PreprocessConfig recorded = word_config();
  recorded.dictionary_id = own_id;
  EXPECT_TRUE(VocabTokenizer::create(recorded, vocab::Vocabulary(), own).ok());
}

TEST(DictionaryIdentity, TheIdIsTheContentNotThePathOrTheCache) {
  testing::TempDir dir;
  const std::string dict = "房间 100 n\n干净 50 a\n";
  testing::write_text_file(dir.file("a.txt"), dict);
  testing::write_text_file(dir.file("b.txt"), dict);
  testing::write_text_file(dir.file("c.txt"), dict + "很 80 d\n");
  auto id_of = [&](const std::string& name) {
    seg::SegmenterOptions o;
    o.dict_path = dir.file(name);
    o.cache_dir = dir.file("cache");
    auto s = seg::Segmenter::load(o);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return (*s)->dictionary_id();
  };
  const std::string a = id_of("a.txt");
  EXPECT_EQ(id_of("a.txt"), a);  // the second load comes from the cache
  EXPECT_EQ(id_of("b.txt"), a);
  EXPECT_NE(id_of("c.txt"), a);
}

TEST(DictionaryIdentity, AModelTrainedHereLoadsHere) {
  std::string id;
  const std::string bytes = word_model_bytes({}, &id);
  auto loaded = Classifier::load_from_memory(bytes, "default-dict.fenlei");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_NE((*loaded)->info().metadata_json.find(id), std::string::npos);
}

}  // namespace
}  // namespace fenlei::core

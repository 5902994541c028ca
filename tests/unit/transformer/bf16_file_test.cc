// A bf16 transformer in the model file (format v2): its dense weights are bf16 tensors, read back
// to the same bits and the same logits; they take half the bytes of float ones; files from
// before (v1: bf16 values stored as f32) still load to the very same model; a short or
// inconsistent bf16 tensor is DATA_LOSS naming it.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/model_bundle.h"
#include "fenlei/classifier.h"
#include "format/model_file.h"
#include "transformer/checkpoint.h"
#include "transformer/encoder_engine.h"

namespace fenlei::transformer {
namespace {

const std::string kData = FENLEI_TEST_DATA_DIR;

StatusOr<Checkpoint> bert() { return read_checkpoint(kData + "/hf/bert"); }

// The model file of `w` with the bert fixture's tokenizer and labels.
std::string model_bytes(const Checkpoint& ck, EncoderWeights w) {
  auto tokenizer = WordPieceTokenizer::create(ck.tokenizer);
  EXPECT_TRUE(tokenizer.ok());
  if (!tokenizer.ok()) return "";
  core::ModelBundle bundle;
  const int64_t vocab = w.config.vocab_size;
  bundle.engine = std::make_shared<EncoderEngine>(std::move(w), ck.source);
  bundle.tokenizer = std::make_shared<WordPieceCoreTokenizer>(std::move(*tokenizer), vocab);
  bundle.labels = ck.labels;
  auto bytes = core::serialize_bundle(bundle);
  EXPECT_TRUE(bytes.ok()) << bytes.status().to_string();
  return bytes.ok() ? *bytes : "";
}

// The engine a model file loads into.
std::shared_ptr<const EncoderEngine> load_engine(const format::ModelFile& file) {
  auto bundle = core::bundle_from_model_file(file, "m.fenlei");
  EXPECT_TRUE(bundle.ok()) << bundle.status().to_string();
  if (!bundle.ok()) return nullptr;
  return std::dynamic_pointer_cast<const EncoderEngine>(bundle->engine);
}

bool is_dense_weight(const std::string& name) {
  return name.find(".encoder.layer.") != std::string::npos &&
         name.find("LayerNorm") == std::string::npos &&
         name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0;
}

std::vector<std::vector<uint16_t>> bf16_bits(const EncoderWeights& w) {
  std::vector<std::vector<uint16_t>> out;
  for (const Bf16Layer& l : w.bf16_layers)
    for (const Bf16Linear* d : {&l.qkv, &l.attention_out, &l.intermediate, &l.output})
      out.push_back(bf16_weights(*d));
  return out;
}

// Some texts' ids as the model reads them ([CLS] ... [SEP]).
std::vector<std::vector<int32_t>> some_ids(const Checkpoint& ck) {
  auto tokenizer = WordPieceTokenizer::create(ck.tokenizer);
  EXPECT_TRUE(tokenizer.ok());
  std::vector<std::vector<int32_t>> out;
  if (!tokenizer.ok()) return out;
  std::string long_text;
  for (int i = 0; i < 20; ++i) long_text += "房间很干净，服务也好。";
  for (const std::string& t : {std::string("好"), std::string("What is an atom ?"), long_text}) {
    std::vector<int32_t> ids = tokenizer->encode(t).ids;
    ids.insert(ids.begin(), tokenizer->cls_id());
    ids.push_back(tokenizer->sep_id());
    out.push_back(std::move(ids));
  }
  return out;
}

void expect_same_logits(const EncoderWeights& a, const EncoderWeights& b,
                        const std::vector<std::vector<int32_t>>& texts) {
  for (const auto& ids : texts) {
    const std::vector<float> x = classify_logits(a, ids), y = classify_logits(b, ids);
    ASSERT_EQ(x.size(), y.size());
    EXPECT_EQ(std::memcmp(x.data(), y.data(), x.size() * sizeof(float)), 0) << ids.size();
  }
}

TEST(Bf16ModelFile, DenseWeightsAreBf16TensorsReadBackBitForBit) {
  auto ck = bert();
  ASSERT_TRUE(ck.ok()) << ck.status().to_string();
  const EncoderWeights b = bf16_encoder(ck->encoder);
  const std::string bytes = model_bytes(*ck, b);
  ASSERT_FALSE(bytes.empty());

  auto file = format::parse_model_file(bytes, "m.fenlei");
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  EXPECT_EQ(file->format_version, 2u);
  int bf16_tensors = 0;
  for (const format::Tensor& t : file->tensors) {
    const bool dense = is_dense_weight(t.name);
    EXPECT_EQ(t.dtype, dense ? format::DType::kBF16 : format::DType::kF32) << t.name;
    bf16_tensors += dense;
  }
  EXPECT_EQ(bf16_tensors, 2 * 6);  // 2 layers x query, key, value, attention out, FFN in, out

  auto engine = load_engine(*file);
  ASSERT_TRUE(engine);
  ASSERT_TRUE(engine->packed_weights().bf16());
  EXPECT_EQ(bf16_bits(engine->packed_weights()), bf16_bits(b));
  expect_same_logits(engine->packed_weights(), b, some_ids(*ck));
  // Saved again: the same bytes (nothing drifts through a save/load cycle).
  EXPECT_EQ(model_bytes(*ck, engine->weights()), bytes);
}

TEST(Bf16ModelFile, EncoderWeightsTakeHalfTheBytesOfFloat) {
  auto ck = bert();
  ASSERT_TRUE(ck.ok()) << ck.status().to_string();
  const std::string f32 = model_bytes(*ck, ck->encoder);
  const std::string b16 = model_bytes(*ck, bf16_encoder(ck->encoder));
  auto ff = format::parse_model_file(f32, "f.fenlei");
  auto bf = format::parse_model_file(b16, "b.fenlei");
  ASSERT_TRUE(ff.ok() && bf.ok());
  EXPECT_EQ(ff->format_version, 1u);  // float models stay readable by v1 builds
  auto layer_bytes = [](const format::ModelFile& m, bool dense_only) {
    uint64_t n = 0;
    for (const format::Tensor& t : m.tensors)
      if (t.name.find(".encoder.layer.") != std::string::npos &&
          (!dense_only || is_dense_weight(t.name)))
        n += t.bytes().size();
    return n;
  };
  const uint64_t dense_f32 = layer_bytes(*ff, true), dense_bf16 = layer_bytes(*bf, true);
  ASSERT_GT(dense_f32, 0u);
  EXPECT_EQ(dense_bf16 * 2, dense_f32);
  // Their biases and LayerNorms stay float, to the byte; with them the layers still take about
  // half (0.52 at this fixture's width 32, nearer 0.5 the wider the model).
  EXPECT_EQ(layer_bytes(*bf, false) - dense_bf16, layer_bytes(*ff, false) - dense_f32);
  EXPECT_LT(static_cast<double>(layer_bytes(*bf, false)) / layer_bytes(*ff, false), 0.53);
  // The file shrinks by the dense weights' saving, up to alignment padding.
  const double saved = static_cast<double>(f32.size()) - static_cast<double>(b16.size());
  EXPECT_NEAR(saved, static_cast<double>(dense_f32 - dense_bf16), 64.0 * 2 * 6);
}

// tests/data/compat/v1-bert.bf16.fenlei was written before the bf16 dtype: the same fixture
// made bf16, its weights stored as f32. It loads to the bits a v2 file holds, with the same
// probabilities, and saving it again writes v2 bf16 tensors.
TEST(Bf16ModelFile, V1FileWithF32StoredBf16LoadsToTheSameModel) {
  auto ck = bert();
  ASSERT_TRUE(ck.ok()) << ck.status().to_string();
  const EncoderWeights b = bf16_encoder(ck->encoder);
  const std::string v2 = model_bytes(*ck, b);
  const std::string v1_path = kData + "/compat/v1-bert.bf16.fenlei";

  auto v1_file = format::read_model_file(v1_path);
  ASSERT_TRUE(v1_file.ok()) << v1_file.status().to_string();
  EXPECT_EQ(v1_file->format_version, 1u);
  for (const format::Tensor& t : v1_file->tensors) {
    EXPECT_EQ(t.dtype, format::DType::kF32) << t.name;
  }
  auto old_engine = load_engine(*v1_file);
  ASSERT_TRUE(old_engine);
  ASSERT_TRUE(old_engine->packed_weights().bf16());
  EXPECT_EQ(bf16_bits(old_engine->packed_weights()), bf16_bits(b));
  expect_same_logits(old_engine->packed_weights(), b, some_ids(*ck));

  auto old_model = Classifier::load(v1_path);
  auto new_model = Classifier::load_from_memory(v2, "v2.fenlei");
  ASSERT_TRUE(old_model.ok() && new_model.ok());
  const std::vector<std::string> texts = {"房间很干净，服务也好", "太吵了，不会再来",
                                          "What is it?"};
  auto p = (*old_model)->probabilities(texts);
  auto q = (*new_model)->probabilities(texts);
  ASSERT_TRUE(p.ok() && q.ok());
  for (size_t i = 0; i < texts.size(); ++i)
    EXPECT_EQ(std::memcmp((*p)[i].data(), (*q)[i].data(), (*p)[i].size() * sizeof(float)), 0);

  for (const format::Tensor& t : old_engine->to_file().tensors) {
    if (is_dense_weight(t.name)) {
      EXPECT_EQ(t.dtype, format::DType::kBF16) << t.name;
    }
  }
}

TEST(Bf16ModelFile, ShortBf16TensorIsDataLossNamingIt) {
  auto ck = bert();
  ASSERT_TRUE(ck.ok()) << ck.status().to_string();
  const EncoderWeights b = bf16_encoder(ck->encoder);
  std::vector<format::Tensor> tensors = encoder_to_tensors(b);
  std::string name;
  for (format::Tensor& t : tensors) {
    if (t.dtype == format::DType::kBF16) {
      t.data.resize(t.data.size() - 2);  // one element short
      name = t.name;
      break;
    }
  }
  ASSERT_FALSE(name.empty());
  auto w = encoder_from_tensors(config_to_json(b.config), tensors, "m.fenlei");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(w.status().message().find("m.fenlei"), std::string::npos) << w.status().message();
  EXPECT_NE(w.status().message().find("'" + name + "'"), std::string::npos)
      << w.status().message();

  // A file cut inside a bf16 tensor: truncated, not a crash or a wrong model.
  const std::string bytes = model_bytes(*ck, b);
  format::ParseOptions borrow;
  borrow.borrow_tensor_data = true;
  auto file = format::parse_model_file(bytes, "m.fenlei", borrow);
  ASSERT_TRUE(file.ok());
  const format::Tensor* t = file->find_tensor(name);
  ASSERT_NE(t, nullptr);
  const size_t inside = static_cast<size_t>(t->bytes().data() - bytes.data()) + 10;
  auto cut = Classifier::load_from_memory(bytes.substr(0, inside), "cut.fenlei");
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(cut.status().message().find("truncated"), std::string::npos)
      << cut.status().message();
}

}  // namespace
}  // namespace fenlei::transformer

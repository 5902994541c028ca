// ModelInfo::precision and ::tensor_dtypes, filled once at load, for every kind of model: the
// network presets (cnn, fasttext, recurrent, rcnn, dpcnn), pruned and int8 copies of them,
// transformer encoders in float32, int8 and bf16 (format v2: bf16 tensors), and the v1 bf16
// fixture, whose bf16 weights are stored widened to f32 (so precision cannot come from the
// dtypes). The counts must be what the file holds, as `fenlei info` counted them before the
// loader did: one per tensor of the parsed file, by format::dtype_name.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/model_bundle.h"
#include "core/network_engine.h"
#include "fenlei/classifier.h"
#include "format/model_file.h"
#include "nn/network.h"
#include "quant/int8_model.h"
#include "train/prune_network.h"
#include "transformer/checkpoint.h"
#include "transformer/encoder_engine.h"

namespace fenlei {
namespace {

const std::string kData = FENLEI_TEST_DATA_DIR;

// The dtype counts recounted from the parsed file, bytes from each tensor's shape.
std::map<std::string, TensorDTypeCount> recount(std::string_view bytes) {
  auto file = format::parse_model_file(bytes, "recount");
  EXPECT_TRUE(file.ok()) << file.status().to_string();
  std::map<std::string, TensorDTypeCount> counts;
  if (!file.ok()) return counts;
  for (const format::Tensor& t : file->tensors) {
    TensorDTypeCount& c = counts[format::dtype_name(t.dtype)];
    ++c.tensors;
    c.bytes += static_cast<uint64_t>(t.numel()) * format::dtype_size(t.dtype);
  }
  return counts;
}

// "f32:5/53508 i8:3/13248": readable in a failure message and comparable.
std::string describe(const std::map<std::string, TensorDTypeCount>& counts) {
  std::string s;
  for (const auto& [dtype, c] : counts)
    s += dtype + ":" + std::to_string(c.tensors) + "/" + std::to_string(c.bytes) + " ";
  return s;
}

// Loads the bytes and checks precision and that the counts are the file's.
ModelInfo expect_info(const std::string& bytes, const std::string& precision,
                      const std::string& name) {
  auto model = Classifier::load_from_memory(bytes, name);
  EXPECT_TRUE(model.ok()) << name << ": " << model.status().to_string();
  if (!model.ok()) return {};
  const ModelInfo& info = (*model)->info();
  EXPECT_EQ(info.precision, precision) << name;
  EXPECT_EQ(info.quantized, precision != "float32") << name;
  EXPECT_EQ(describe(info.tensor_dtypes), describe(recount(bytes))) << name;
  EXPECT_FALSE(info.tensor_dtypes.empty()) << name;
  return info;
}

// A char model over a 9-token vocabulary with 3 labels, around `net`.
core::ModelBundle bundle_of(nn::Network net) {
  core::PreprocessConfig preprocess;
  preprocess.tokenizer = core::TokenizerKind::kChar;
  preprocess.max_len = 16;
  auto bundle = core::make_network_model(
      std::move(net), preprocess,
      *vocab::Vocabulary::from_tokens({"<pad>", "<unk>", "好", "差", "房", "间", "很", "太", "吵"}),
      {"a", "b", "c"});
  EXPECT_TRUE(bundle.ok()) << bundle.status().to_string();
  return std::move(*bundle);
}

// The preset with small dimensions and random weights.
nn::Network tiny_network(const std::string& preset) {
  auto config = *nn::ModelConfig::preset(preset);
  config.embed_dim = 8;
  config.filters = 8;
  if (config.rnn_hidden > 0) config.rnn_hidden = 8;
  if (config.rcnn_dim > 0) config.rcnn_dim = 8;
  if (config.blocks > 0) config.blocks = 2;
  config.vocab_size = 9;
  config.num_classes = 3;
  auto net = nn::Network::create(config, 11);
  EXPECT_TRUE(net.ok()) << preset << ": " << net.status().to_string();
  return std::move(*net);
}

TEST(ModelInfo, FloatAndInt8NetworksOfEveryPreset) {
  for (const std::string preset :
       {"seed-cnn", "textcnn", "fasttext", "bilstm", "gru", "rcnn", "dpcnn"}) {
    SCOPED_TRACE(preset);
    const core::ModelBundle bundle = bundle_of(tiny_network(preset));
    const ModelInfo f = expect_info(*core::serialize_bundle(bundle), "float32", preset);
    // A float network stores every weight as f32.
    ASSERT_EQ(f.tensor_dtypes.size(), 1u) << describe(f.tensor_dtypes);
    EXPECT_EQ(f.tensor_dtypes.begin()->first, "f32");
    EXPECT_EQ(f.tensor_dtypes.at("f32").bytes, static_cast<uint64_t>(f.parameter_count) * 4);

    auto int8 = core::quantize_bundle(bundle, {});
    ASSERT_TRUE(int8.ok()) << int8.status().to_string();
    const ModelInfo q = expect_info(*core::serialize_bundle(*int8), "int8", preset + ".int8");
    ASSERT_TRUE(q.tensor_dtypes.count("i8")) << describe(q.tensor_dtypes);
    EXPECT_GT(q.tensor_dtypes.at("i8").tensors, 0);
  }
}

TEST(ModelInfo, PrunedNetworkIsFloat32WithFewerBytes) {
  const nn::Network net = tiny_network("textcnn");
  const core::ModelBundle bundle = bundle_of(net);
  auto selection = train::select_by_magnitude(net, 0.5);
  ASSERT_TRUE(selection.ok()) << selection.status().to_string();
  auto pruned = train::apply_pruning(net, *selection);
  ASSERT_TRUE(pruned.ok()) << pruned.status().to_string();
  const core::ModelBundle small = bundle_of(std::move(*pruned));
  const ModelInfo full = expect_info(*core::serialize_bundle(bundle), "float32", "textcnn");
  const ModelInfo p = expect_info(*core::serialize_bundle(small), "float32", "pruned");
  ASSERT_TRUE(p.tensor_dtypes.count("f32") && full.tensor_dtypes.count("f32"));
  EXPECT_LT(p.tensor_dtypes.at("f32").bytes, full.tensor_dtypes.at("f32").bytes);
}

// The bert fixture (tests/data/hf/bert) as a model: float32, then int8 and bf16 copies.
TEST(ModelInfo, TransformerFloatInt8AndBf16) {
  auto ck = transformer::read_checkpoint(kData + "/hf/bert");
  ASSERT_TRUE(ck.ok()) << ck.status().to_string();
  auto tokenizer = transformer::WordPieceTokenizer::create(ck->tokenizer);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
  core::ModelBundle bundle;
  const int64_t vocab = ck->encoder.config.vocab_size;
  bundle.engine = std::make_shared<transformer::EncoderEngine>(ck->encoder, ck->source);
  bundle.tokenizer =
      std::make_shared<transformer::WordPieceCoreTokenizer>(std::move(*tokenizer), vocab);
  bundle.labels = ck->labels;

  const ModelInfo f = expect_info(*core::serialize_bundle(bundle), "float32", "bert");
  EXPECT_FALSE(f.tensor_dtypes.count("bf16") || f.tensor_dtypes.count("i8"))
      << describe(f.tensor_dtypes);

  auto int8 = core::quantize_bundle(bundle, {});
  ASSERT_TRUE(int8.ok()) << int8.status().to_string();
  const ModelInfo q = expect_info(*core::serialize_bundle(*int8), "int8", "bert.int8");
  ASSERT_TRUE(q.tensor_dtypes.count("i8")) << describe(q.tensor_dtypes);
  EXPECT_EQ(q.tensor_dtypes.at("i8").tensors, 12);  // 2 layers x 6 dense weights

  quant::QuantizeOptions bf16_options;
  bf16_options.precision = quant::QuantizeOptions::Precision::kBf16;
  auto bf16 = core::quantize_bundle(bundle, bf16_options);
  ASSERT_TRUE(bf16.ok()) << bf16.status().to_string();
  const ModelInfo b = expect_info(*core::serialize_bundle(*bf16), "bf16", "bert.bf16");
  ASSERT_TRUE(b.tensor_dtypes.count("bf16") && b.tensor_dtypes.count("f32"))
      << describe(b.tensor_dtypes);
  EXPECT_EQ(b.tensor_dtypes.at("bf16").tensors, 12);
  EXPECT_EQ(b.tensor_dtypes.at("bf16").tensors + b.tensor_dtypes.at("f32").tensors,
            f.tensor_dtypes.at("f32").tensors);
  EXPECT_EQ(b.format_version, 2u);
}

// The committed v1 files, loaded from disk (the mapped path): precision and counts as `fenlei
// info` showed them before ModelInfo had them (tensors 41: 41 f32 for the bf16 fixture).
TEST(ModelInfo, CompatFixtures) {
  struct Case {
    std::string file, precision, dtypes;
  };
  for (const Case& c : std::vector<Case>{
           {"v1-bert.bf16", "bf16", "f32:41/473868 "},
           {"v1-fasttext", "float32", "f32:4/21832 "},
           {"v1-seed-cnn-char", "float32", "f32:5/53508 "},
           {"v1-seed-cnn-char.int8", "int8", "f32:5/1036 i8:3/13248 "},
           {"v1-textcnn-word", "float32", "f32:9/10452 "}}) {
    auto model = Classifier::load(kData + "/compat/" + c.file + ".fenlei");
    ASSERT_TRUE(model.ok()) << c.file << ": " << model.status().to_string();
    const ModelInfo& info = (*model)->info();
    EXPECT_EQ(info.precision, c.precision) << c.file;
    EXPECT_EQ(describe(info.tensor_dtypes), c.dtypes) << c.file;
  }
}

}  // namespace
}  // namespace fenlei

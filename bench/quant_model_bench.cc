// Model compute only (no segmentation): float nn::predict_proba vs the int8 engine, per preset,
// for one text and for a batch of 256 texts of 40 tokens (about a review's length). Both cnn
// engines run their default per-token projections, filled before timing (warm_up);
// FENLEI_CONV_KERNEL=gemm times both conv GEMM paths instead. The recurrent presets also run
// their int8 model with float input projections W_ih (as files from before issue 15's int8
// W_ih load), to time that step alone.
//   ./quant_model_bench --benchmark_filter=textcnn
#include <benchmark/benchmark.h>

#include <random>

#include "nn/network.h"
#include "nn/token_projection.h"
#include "quant/int8_model.h"

namespace {

using namespace fenlei;

nn::Network make(const std::string& preset) {
  auto cfg = *nn::ModelConfig::preset(preset);
  cfg.vocab_size = 10000;
  cfg.num_classes = 2;
  if (cfg.arch == nn::Arch::kFastText) cfg.bigram_buckets = 100000;
  return *nn::Network::create(cfg, 1);
}

nn::Batch batch_of(int n) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> tok(2, 9999);
  nn::Batch b;
  for (int i = 0; i < n; ++i) {
    std::vector<int32_t> t(40);
    for (auto& v : t) v = tok(rng);
    b.add(t);
  }
  return b;
}

void BM_Float(benchmark::State& state, const std::string& preset) {
  const nn::Network net = make(preset);
  const nn::Batch b = batch_of(int(state.range(0)));
  std::vector<float> out(b.size() * 2);
  nn::Workspace ws;
  const auto proj = nn::TokenProjection::create(net, nn::TokenProjection::kDefaultMaxBytes);
  if (proj) proj->fill_all(ws.projection);
  for (auto _ : state) nn::predict_proba(net, b, ws, out.data(), proj.get());
  state.SetItemsProcessed(state.iterations() * int64_t(b.size()));
}

void BM_Int8(benchmark::State& state, const std::string& preset) {
  const auto q = *quant::Int8Model::quantize(make(preset), {});
  const nn::Batch b = batch_of(int(state.range(0)));
  std::vector<float> out(b.size() * 2);
  quant::Int8Workspace ws;
  q.warm_up();
  for (auto _ : state) quant::predict_proba_int8(q, b, ws, out.data());
  state.SetItemsProcessed(state.iterations() * int64_t(b.size()));
  state.SetLabel(quant::best_gemm_name());
}

// The int8 model with W_ih in float: its tensors with each i8 w_ih replaced by the float one.
void BM_Int8FloatInputs(benchmark::State& state, const std::string& preset) {
  const nn::Network net = make(preset);
  const auto q = *quant::Int8Model::quantize(net, {});
  std::vector<format::Tensor> tensors;
  for (const auto& t : q.to_tensors()) {
    if (t.name.find("/w_ih_scale") != std::string::npos) continue;
    const nn::Tensor* w = t.name.find("/w_ih") != std::string::npos ? net.params().find(t.name) : nullptr;
    tensors.push_back(w ? format::make_f32_tensor(t.name, w->shape, w->data) : t);
  }
  const auto old = *quant::Int8Model::from_tensors(net.config(), tensors, "bench");
  const nn::Batch b = batch_of(int(state.range(0)));
  std::vector<float> out(b.size() * 2);
  quant::Int8Workspace ws;
  for (auto _ : state) quant::predict_proba_int8(old, b, ws, out.data());
  state.SetItemsProcessed(state.iterations() * int64_t(b.size()));
}

}  // namespace

BENCHMARK_CAPTURE(BM_Float, seed_cnn, std::string("seed-cnn"))->Arg(1)->Arg(256);
BENCHMARK_CAPTURE(BM_Int8, seed_cnn, std::string("seed-cnn"))->Arg(1)->Arg(256);
BENCHMARK_CAPTURE(BM_Float, textcnn, std::string("textcnn"))->Arg(1)->Arg(256);
BENCHMARK_CAPTURE(BM_Int8, textcnn, std::string("textcnn"))->Arg(1)->Arg(256);
BENCHMARK_CAPTURE(BM_Float, fasttext, std::string("fasttext"))->Arg(1)->Arg(256);
BENCHMARK_CAPTURE(BM_Int8, fasttext, std::string("fasttext"))->Arg(1)->Arg(256);
BENCHMARK_CAPTURE(BM_Float, bilstm, std::string("bilstm"))->Arg(1)->Arg(256);
BENCHMARK_CAPTURE(BM_Int8FloatInputs, bilstm, std::string("bilstm"))->Arg(1)->Arg(256);
BENCHMARK_CAPTURE(BM_Int8, bilstm, std::string("bilstm"))->Arg(1)->Arg(256);
BENCHMARK_CAPTURE(BM_Float, gru, std::string("gru"))->Arg(1)->Arg(256);
BENCHMARK_CAPTURE(BM_Int8FloatInputs, gru, std::string("gru"))->Arg(1)->Arg(256);
BENCHMARK_CAPTURE(BM_Int8, gru, std::string("gru"))->Arg(1)->Arg(256);
BENCHMARK_CAPTURE(BM_Float, rcnn, std::string("rcnn"))->Arg(1)->Arg(256);
BENCHMARK_CAPTURE(BM_Int8FloatInputs, rcnn, std::string("rcnn"))->Arg(1)->Arg(256);
BENCHMARK_CAPTURE(BM_Int8, rcnn, std::string("rcnn"))->Arg(1)->Arg(256);
BENCHMARK_MAIN();

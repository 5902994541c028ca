// Engine benchmarks: training-step throughput (forward+backward, and with the Adam step) for
// seed-cnn and textcnn on ragged batches of realistic lengths, fixed length-128 batches (the
// PyTorch reference's setting), and the GFLOP/s of the conv GEMMs against a big square sgemm.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

#include "nn/network.h"
#include "nn/optimizer.h"

namespace fenlei::nn {
namespace {

constexpr int kVocab = 10002;  // the reference's 10000 words + pad + unk

// Lengths like the real review data: log-normal with median 25 and 90th percentile 80,
// capped at 128 (fixed_len > 0 makes every text that long instead).
Batch make_batch(int n, int fixed_len, uint32_t seed) {
  std::mt19937 gen(seed);
  std::lognormal_distribution<double> len_d(std::log(25.0), std::log(80.0 / 25.0) / 1.2816);
  std::uniform_int_distribution<int> id_d(2, kVocab - 1);
  Batch b;
  std::vector<int32_t> t;
  for (int i = 0; i < n; ++i) {
    const int len = fixed_len > 0 ? fixed_len
                                  : std::clamp(static_cast<int>(std::lround(len_d(gen))), 1, 128);
    t.resize(len);
    for (auto& x : t) x = id_d(gen);
    b.add(t, i % 2);
  }
  return b;
}

Network make_net(const char* preset) {
  ModelConfig c = *ModelConfig::preset(preset);
  c.vocab_size = kVocab;
  c.num_classes = 2;
  return *Network::create(c, 1);
}

double conv_flops_per_batch(const Network& net, const Batch& b) {
  double f = 0;
  const ModelConfig& c = net.config();
  for (int w : c.widths) {
    double rows = 0;
    for (size_t i = 0; i < b.size(); ++i) rows += std::max(b.length(i), w) - w + 1;
    f += 2.0 * rows * c.filters * w * c.embed_dim;
  }
  return f;
}

// args: batch size, fixed length (0 = ragged), threads, with_adam
void BM_TrainStep(benchmark::State& state, const char* preset) {
  const int n = static_cast<int>(state.range(0));
  const int threads = static_cast<int>(state.range(2));
  const bool adam = state.range(3) != 0;
  Network net = make_net(preset);
  Optimizer opt = *Optimizer::create(OptimizerConfig{}, net.params());
  std::vector<Batch> batches;
  for (int k = 0; k < 16; ++k) batches.push_back(make_batch(n, static_cast<int>(state.range(1)), k));
  std::vector<Workspace> ws(threads);
  std::vector<Grads> grads;
  for (int t = 0; t < threads; ++t) grads.push_back(net.make_grads());
  Rng rng(1);
  size_t k = 0;
  double tokens = 0;
  for (auto _ : state) {
    const Batch& b = batches[k++ % batches.size()];
    tokens += b.ids.size();
    rng.set_step(k);
    for (auto& g : grads) g.zero();
    if (threads == 1) {
      forward_backward(net, b, 0, b.size(), ws[0], grads[0], rng, true);
    } else {
      std::vector<std::thread> pool;
      for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
          const size_t lo = b.size() * t / threads, hi = b.size() * (t + 1) / threads;
          forward_backward(net, b, lo, hi, ws[t], grads[t], rng, true);
        });
      for (auto& th : pool) th.join();
      for (int t = 1; t < threads; ++t) grads[0].add(grads[t]);
    }
    if (adam) opt.step(net.params(), grads[0], 1e-3f);
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["tokens/ex"] = tokens / (double(state.iterations()) * n);
}

#define TRAIN_ARGS                                                                          \
  ->ArgNames({"batch", "len", "threads", "adam"})                                           \
      ->Args({32, 0, 1, 0})->Args({32, 0, 1, 1})->Args({128, 0, 1, 1})->Args({32, 0, 2, 1}) \
      ->Args({128, 0, 2, 1})->Args({32, 128, 1, 1})->Args({32, 128, 2, 1})                  \
      ->Unit(benchmark::kMicrosecond)->UseRealTime()
BENCHMARK_CAPTURE(BM_TrainStep, seed_cnn, "seed-cnn") TRAIN_ARGS;
BENCHMARK_CAPTURE(BM_TrainStep, textcnn, "textcnn") TRAIN_ARGS;

void BM_Predict(benchmark::State& state, const char* preset) {
  Network net = make_net(preset);
  Batch b = make_batch(static_cast<int>(state.range(0)), 0, 3);
  Workspace ws;
  std::vector<float> out(b.size() * 2);
  for (auto _ : state) predict_proba(net, b, ws, out.data());
  state.SetItemsProcessed(state.iterations() * b.size());
}
BENCHMARK_CAPTURE(BM_Predict, seed_cnn, "seed-cnn")->Arg(1)->Arg(256)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Predict, textcnn, "textcnn")->Arg(1)->Arg(256)->Unit(benchmark::kMicrosecond);

// The conv GEMM alone at the shapes a ragged batch produces: [rows, width*dim] x [width*dim, F].
void BM_ConvGemm(benchmark::State& state) {
  const int rows = static_cast<int>(state.range(0)), k = static_cast<int>(state.range(1)),
            f = static_cast<int>(state.range(2));
  use_single_threaded_blas();
  std::vector<float> a(size_t(rows) * k, 0.5f), w(size_t(f) * k, 0.25f), y(size_t(rows) * f);
  for (auto _ : state)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, f, k, 1.0f, a.data(), k, w.data(),
                k, 0.0f, y.data(), f);
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * rows * k * f * state.iterations() / 1e9,
                                                 benchmark::Counter::kIsRate);
}
// seed-cnn (k=80, F=128) and textcnn width 5 (k=640, F=100), batch 32 ragged (~1200 rows)
// and batch 128 (~4700 rows); then the square machine-peak reference.
BENCHMARK(BM_ConvGemm)->ArgNames({"rows", "k", "filters"})
    ->Args({1200, 80, 128})->Args({4700, 80, 128})->Args({1200, 640, 100})
    ->Args({4700, 640, 100})->Args({2048, 2048, 2048})->Unit(benchmark::kMicrosecond);

// Achieved conv GFLOP/s inside a full forward pass (conv FLOPs only / forward time).
void BM_ForwardConvShare(benchmark::State& state, const char* preset) {
  Network net = make_net(preset);
  Batch b = make_batch(static_cast<int>(state.range(0)), 0, 5);
  Workspace ws;
  std::vector<float> out(b.size() * 2);
  for (auto _ : state) predict_proba(net, b, ws, out.data());
  state.counters["conv GFLOP/s"] = benchmark::Counter(
      conv_flops_per_batch(net, b) * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_ForwardConvShare, seed_cnn, "seed-cnn")->Arg(32)->Arg(128)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ForwardConvShare, textcnn, "textcnn")->Arg(32)->Arg(128)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace fenlei::nn

BENCHMARK_MAIN();

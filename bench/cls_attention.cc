// The last layer's attention for [CLS] alone, two ways, at the encoders' widths and real text
// lengths, one thread: "full" computes the query of row 0 and every row's keys and values on
// the layer's packed kernel, then attends with the one query (what fenlei did before);
// "algebra" is src/transformer/cls_attention.h (u = W_k^T q, scores, xbar = sum p_j x_j,
// W_v xbar + b_v). Float (packed), int8 and bf16 weights.
//   build/bench/cls_attention [--benchmark_repetitions=5 --benchmark_report_aggregates_only=true]
// Arguments: hidden, heads, len, precision (0 float, 1 int8, 2 bf16).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "transformer/attention.h"
#include "transformer/cls_attention.h"

namespace {

using namespace fenlei::transformer;

struct Layer {
  int hidden = 0;
  Linear dense;
  PackedF32 f32;
  Int8Linear int8;
  Bf16Linear bf16;
  std::vector<float> x;  // len x hidden
  ClsQkv view(int precision) const {
    ClsQkv v;
    if (precision == 0) v.f32 = &f32;
    if (precision == 1) v.int8 = &int8;
    if (precision == 2) v.bf16 = &bf16;
    v.bias = dense.b.data();
    return v;
  }
};

Layer make_layer(int hidden, int len) {
  std::mt19937 rng(1);
  std::normal_distribution<float> d(0.0f, 0.05f);
  Layer l;
  l.hidden = hidden;
  l.dense.in = hidden;
  l.dense.out = 3 * hidden;
  l.dense.w.resize(static_cast<size_t>(3) * hidden * hidden);
  l.dense.b.resize(3 * hidden);
  for (float& v : l.dense.w) v = d(rng);
  for (float& v : l.dense.b) v = d(rng);
  l.f32 = pack_f32(l.dense.w.data(), 3 * hidden, hidden, hidden);
  l.int8 = quantize_linear(l.dense);
  l.bf16 = to_bf16_linear(l.dense);
  l.x.resize(static_cast<size_t>(len) * hidden);
  std::normal_distribution<float> nx(0.0f, 1.0f);
  for (float& v : l.x) v = nx(rng);
  return l;
}

// Multiply-adds of each way (the [CLS] query included in both).
double full_macs(int h, int len) { return double(h) * h + 2.0 * len * h * h + 2.0 * len * h; }
double algebra_macs(int h, int heads, int len) { return 3.0 * h * h + 2.0 * heads * len * h; }

void BM_Full(benchmark::State& st) {
  const int h = st.range(0), heads = st.range(1), len = st.range(2), precision = st.range(3);
  const Layer l = make_layer(h, len);
  std::vector<float> qkv(static_cast<size_t>(len) * 3 * h), ctx(h);
  std::vector<uint16_t> xb;
  Int8Scratch s8;
  AttentionScratch as;
  const PackedF32Fn fn = best_packed_f32();
  for (auto _ : st) {
    if (precision == 0) {
      PackedCall c;
      c.x = l.x.data();
      c.ldx = h;
      c.w = &l.f32;
      c.bias = l.dense.b.data();
      c.y = qkv.data();
      c.ldy = 3 * h;
      c.rows = 1;
      c.panel_end = h / kPanelWidth;
      fn(c);
      c.rows = len;
      c.panel_begin = h / kPanelWidth;
      c.panel_end = -1;
      fn(c);
    } else if (precision == 1) {
      linear_int8(l.x.data(), len, l.int8, qkv.data(), nullptr, &s8);
    } else {
      linear_bf16(l.x.data(), len, l.bf16, l.dense.b.data(), qkv.data(), PackedEpilogue::kStore, &xb);
    }
    attend_heads(fn, qkv.data(), len, 1, h, heads, 0, heads, ctx.data(), &as);
    benchmark::DoNotOptimize(ctx.data());
  }
  st.counters["GFLOP/s"] = benchmark::Counter(2 * full_macs(h, len), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Algebra(benchmark::State& st) {
  const int h = st.range(0), heads = st.range(1), len = st.range(2), precision = st.range(3);
  const Layer l = make_layer(h, len);
  const ClsQkv w = l.view(precision);
  std::vector<float> q(h + kPanelWidth), ctx(h);
  ClsAttentionScratch s;
  for (auto _ : st) {
    cls_query(w, l.x.data(), h, q.data(), &s);
    cls_attention_heads(w, l.x.data(), len, q.data(), h, heads, 0, heads, ctx.data(), &s);
    benchmark::DoNotOptimize(ctx.data());
  }
  st.counters["GFLOP/s"] =
      benchmark::Counter(2 * algebra_macs(h, heads, len), benchmark::Counter::kIsIterationInvariantRate);
}

void shapes(benchmark::internal::Benchmark* b) {
  for (int precision : {0, 1, 2})
    for (const auto& [h, heads] : {std::pair<int, int>{256, 4}, std::pair<int, int>{768, 12}})
      for (int len : {16, 45, 128, 512}) b->Args({h, heads, len, precision});
}

BENCHMARK(BM_Full)->Apply(shapes)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Algebra)->Apply(shapes)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

// GFLOP/s of the encoder's dense layers at the shapes of bert-base / ELECTRA-small for one text
// of `rows` tokens, per kernel (fenlei float AVX-512 / AVX2, OpenBLAS sgemm as the encoder used
// before, float on weights packed at load, bf16 vdpbf16ps, int8 VNNI), against this core's measured FMA peak (12 independent
// 512-bit FMA chains). One thread, process CPU time.
//   ./dense_kernels [--rows 45] [--seconds 0.3]
#include <cblas.h>
#include <immintrin.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <vector>

#include "quant/bf16.h"
#include "quant/kernels.h"
#include "transformer/bf16_linear.h"
#include "transformer/dense_kernels.h"
#include "transformer/int8_linear.h"
#include "transformer/packed_dense.h"

namespace {

using namespace fenlei;

double cpu_s() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

template <typename F>
double gflops(double flop_per_call, double seconds, F&& f) {
  f();
  long calls = 0;
  const double t0 = cpu_s();
  double t = t0;
  while (t - t0 < seconds) {
    f();
    ++calls;
    t = cpu_s();
  }
  return flop_per_call * calls / (t - t0) / 1e9;
}

__attribute__((target("avx512f"))) double peak_gflops(double seconds) {
  __m512 a[12];
  for (int i = 0; i < 12; ++i) a[i] = _mm512_set1_ps(1.0f + i * 1e-7f);
  const __m512 m = _mm512_set1_ps(0.9999999f), b = _mm512_set1_ps(1e-8f);
  long iters = 0;
  const double t0 = cpu_s();
  double t = t0;
  while (t - t0 < seconds) {
    for (int k = 0; k < 100000; ++k) {
#pragma GCC unroll 12
      for (int i = 0; i < 12; ++i) a[i] = _mm512_fmadd_ps(a[i], m, b);
    }
    iters += 100000;
    t = cpu_s();
  }
  alignas(64) float lanes[16];
  float s = 0;
  for (int i = 0; i < 12; ++i) {
    _mm512_store_ps(lanes, a[i]);
    s += lanes[0];
  }
  if (s == 12345.0f) std::puts("");  // keeps the chains alive
  return iters * 12 * 32.0 / (t - t0) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  int rows = 45;
  double seconds = 0.3;
  for (int i = 1; i + 1 < argc; ++i) {
    if (!std::strcmp(argv[i], "--rows")) rows = std::atoi(argv[++i]);
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[++i]);
  }
  std::mt19937 rng(1);
  std::normal_distribution<float> d(0.0f, 0.05f);
  std::printf("{\"peak_fma_gflops\": %.1f, \"rows\": %d}\n",
              transformer::cpu_has_avx512f() ? peak_gflops(seconds) : 0.0, rows);
  struct Shape {
    const char* name;
    int n, k;
  };
  for (const Shape& s : {Shape{"bert qkv", 2304, 768}, Shape{"bert attn_out", 768, 768},
                         Shape{"bert ffn_in", 3072, 768}, Shape{"bert ffn_out", 768, 3072},
                         Shape{"electra qkv", 768, 256}, Shape{"electra ffn_in", 1024, 256},
                         Shape{"electra ffn_out", 256, 1024}}) {
    std::vector<float> x(size_t(rows) * s.k), w(size_t(s.n) * s.k), b(s.n), y(size_t(rows) * s.n);
    for (float& v : x) v = d(rng);
    for (float& v : w) v = d(rng);
    const double flop = 2.0 * rows * s.n * s.k;
    transformer::DenseCall c{x.data(), rows, s.k, w.data(), s.n, s.k, s.k, b.data(), y.data(), s.n, false};
    const double f32 = gflops(flop, seconds, [&] { transformer::best_dense_f32()(c); });
    const transformer::PackedF32 pw = transformer::pack_f32(w.data(), s.n, s.k, s.k);
    const transformer::PackedCall pc{x.data(), rows, s.k, &pw, b.data(), y.data(), s.n,
                                     transformer::PackedEpilogue::kStore};
    const double packed = gflops(flop, seconds, [&] { transformer::best_packed_f32()(pc); });
    const double blas = gflops(flop, seconds, [&] {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, s.n, s.k, 1.0f, x.data(), s.k,
                  w.data(), s.k, 0.0f, y.data(), s.n);
    });
    transformer::Linear l{s.k, s.n, w, b};
    const transformer::Bf16Linear lb = transformer::to_bf16_linear(l);
    std::vector<uint16_t> xb;
    const double bf16 = gflops(flop, seconds, [&] {
      transformer::linear_bf16(x.data(), rows, lb, b.data(), y.data(), false, &xb);
    });
    // The two AVX-512 bf16 tiles alone on the same rounded rows (linear_bf16 above runs the one
    // best_packed_bf16() chose): vdpbf16ps, and FMAs on widened values.
    transformer::PackedBf16Call bc;
    bc.x = xb.data();
    bc.rows = rows;
    bc.ldx = lb.packed.kp;
    bc.w = &lb.packed;
    bc.bias = b.data();
    bc.y = y.data();
    bc.ldy = s.n;
    const double bf16_dp =
        quant::cpu_has_avx512bf16()
            ? gflops(flop, seconds, [&] { transformer::packed_bf16_avx512bf16(bc); })
            : 0.0;
    const double bf16_fma = gflops(flop, seconds, [&] { transformer::packed_bf16_avx512fma(bc); });
    const transformer::Int8Linear q = transformer::quantize_linear(l);
    transformer::Int8Scratch scratch;
    const double int8 = gflops(flop, seconds, [&] {
      transformer::linear_int8(x.data(), rows, q, y.data(), nullptr, &scratch);
    });
    // The previous int8 path: quant's VNNI GEMM (16 outputs x 8 rows, row blocks outer).
    std::vector<int8_t> wq(size_t(s.n) * s.k);
    for (int o = 0; o < s.n; ++o)
      for (int i = 0; i < s.k; ++i) wq[size_t(o) * s.k + i] = transformer::int8_weight(q, o, i);
    const quant::PackedWeights qw = quant::pack_weights(wq.data(), s.n, s.k);
    std::vector<uint8_t> qx(size_t(rows) * qw.kp);
    std::vector<float> qs(rows);
    std::vector<int32_t> acc(size_t(rows) * s.n);
    const double int8_gemm = gflops(flop, seconds, [&] {
      quant::quantize_rows_u8(x.data(), rows, s.k, qw.kp, qx.data(), qs.data());
      quant::best_gemm()(qx.data(), rows, qw, acc.data());
    });
    std::printf(
        "{\"shape\": \"%s\", \"n\": %d, \"k\": %d, \"f32_%s\": %.1f, \"f32_packed\": %.1f, "
        "\"openblas_sgemm\": %.1f, "
        "\"bf16_%s_packed\": %.1f, \"bf16_dpbf16\": %.1f, \"bf16_fma\": %.1f, \"int8_%s\": %.1f, "
        "\"int8_quant_gemm\": %.1f}\n",
        s.name, s.n, s.k, transformer::best_dense_f32_name(), f32, packed, blas,
        transformer::best_packed_bf16_name(), bf16, bf16_dp, bf16_fma,
        transformer::best_packed_int8_name(), int8, int8_gemm);
  }
  return 0;
}

// Packed bf16 dense kernels (see packed_bf16.h).
#include "transformer/packed_bf16.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "base/avx512_warnings.h"
#include "quant/bf16.h"
#include "transformer/layers.h"
#include "transformer/packed_driver.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FENLEI_X86 1
#endif

namespace fenlei::transformer {

namespace {

using packed::panel_count;

const uint16_t* panel_at(const PackedBf16& p, int panel) {
  return p.panels.data() + static_cast<size_t>(panel) * p.kp * kPanelWidth;
}

// Index of w[o][i] inside its panel.
size_t in_panel(int o, int i) {
  return (static_cast<size_t>(i / 2) * kPanelWidth + o % kPanelWidth) * 2 + i % 2;
}

}  // namespace

PackedBf16 pack_bf16(const uint16_t* w, int n, int k, int ldw) {
  PackedBf16 p;
  p.n = n;
  p.k = k;
  p.kp = (k + 1) / 2 * 2;
  p.panels.assign(static_cast<size_t>(panel_count(n)) * p.kp * kPanelWidth, 0);
  for (int o = 0; o < n; ++o) {
    uint16_t* dst = p.panels.data() + static_cast<size_t>(o / kPanelWidth) * p.kp * kPanelWidth;
    for (int i = 0; i < k; ++i) dst[in_panel(o, i)] = w[static_cast<long>(o) * ldw + i];
  }
  return p;
}

std::vector<uint16_t> unpack_bf16(const PackedBf16& p) {
  std::vector<uint16_t> w(static_cast<size_t>(p.n) * p.k);
  for (int o = 0; o < p.n; ++o) {
    const uint16_t* src = panel_at(p, o / kPanelWidth);
    for (int i = 0; i < p.k; ++i) w[static_cast<size_t>(o) * p.k + i] = src[in_panel(o, i)];
  }
  return w;
}

void packed_bf16_ref(const PackedBf16Call& c) {
  const PackedBf16& w = *c.w;
  packed::reference_loop(c, [&](int r, int o) {
    const uint16_t* x = c.x + static_cast<long>(r) * c.ldx;
    const uint16_t* panel = panel_at(w, o / kPanelWidth);
    float acc = 0.0f;
    for (int i = 0; i < w.kp; i += 2) {
      const float x0 = quant::bf16_daz(x[i]), x1 = quant::bf16_daz(x[i + 1]);
      const float w0 = quant::bf16_daz(panel[in_panel(o, i)]);
      const float w1 = quant::bf16_daz(panel[in_panel(o, i + 1)]);
      acc = quant::dpbf16_step(acc, x1, w1);
      acc = quant::dpbf16_step(acc, x0, w0);
    }
    return c.bias ? acc + c.bias[o] : acc;
  });
}

#ifdef FENLEI_X86

FENLEI_AVX512_INTRINSICS_BEGIN

#define FENLEI_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512bf16")))

namespace {

FENLEI_BF16_TARGET inline __m512bh as_bh(__m512i v) { return reinterpret_cast<__m512bh&>(v); }

template <int MR>
FENLEI_BF16_TARGET void tile(const PackedBf16Call& c, int r0, int panel) {
  const PackedBf16& w = *c.w;
  const uint16_t* wp = panel_at(w, panel);
  const uint16_t* xr[MR];
  for (int i = 0; i < MR; ++i) xr[i] = c.x + static_cast<long>(r0 + i) * c.ldx;
  __m512 acc[MR][2];
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int q = 0; q < w.kp / 2; ++q) {
    const __m512bh w0 = as_bh(_mm512_loadu_si512(wp + static_cast<size_t>(q) * 2 * kPanelWidth));
    const __m512bh w1 = as_bh(_mm512_loadu_si512(wp + static_cast<size_t>(q) * 2 * kPanelWidth + 32));
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      int32_t pair;
      std::memcpy(&pair, xr[i] + 2 * q, sizeof(pair));
      const __m512bh xv = as_bh(_mm512_set1_epi32(pair));
      acc[i][0] = _mm512_dpbf16_ps(acc[i][0], xv, w0);
      acc[i][1] = _mm512_dpbf16_ps(acc[i][1], xv, w1);
    }
  }
  packed::store_f32_tile_avx512<MR>(c, acc, r0, panel);
}

// The same sums by AVX-512F FMAs on widened values: a panel's 512-bit load of 16 outputs x 2
// inputs is, per 32-bit lane, w[2q] in the low and w[2q+1] in the high half, so the high half
// masked is the odd weight as a float and the lane shifted left 16 the even one (exact). x is
// widened to floats once per call (xf) and broadcast from memory. Per lane: acc += x_odd * w_odd,
// then acc += x_even * w_even, each an FMA, the instruction's order; MXCSR's DAZ and FTZ, set
// around the accumulation only (the epilogue runs under the caller's MXCSR, as after
// vdpbf16ps), give its denormal handling. Twice the instructions of vdpbf16ps, but on a core
// where vdpbf16ps issues on one port and FMA on two (Intel Sapphire/Emerald Rapids) it is faster.
template <int MR>
__attribute__((target("avx512f"))) void fma_tile(const PackedBf16Call& c, const float* xf, int r0,
                                                 int panel) {
  const PackedBf16& w = *c.w;
  const uint16_t* wp = panel_at(w, panel);
  const float* xr[MR];
  for (int i = 0; i < MR; ++i) xr[i] = xf + static_cast<long>(r0 + i) * w.kp;
  const unsigned csr = _mm_getcsr();
  _mm_setcsr(csr | 0x8040u);  // FTZ (bit 15) and DAZ (bit 6)
  __m512 acc[MR][2];
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  const __m512i high = _mm512_set1_epi32(static_cast<int>(0xFFFF0000u));
  for (int q = 0; q < w.kp / 2; ++q) {
    const __m512i v0 = _mm512_loadu_si512(wp + static_cast<size_t>(q) * 2 * kPanelWidth);
    const __m512i v1 = _mm512_loadu_si512(wp + static_cast<size_t>(q) * 2 * kPanelWidth + 32);
    const __m512 odd0 = _mm512_castsi512_ps(_mm512_and_si512(v0, high));
    const __m512 odd1 = _mm512_castsi512_ps(_mm512_and_si512(v1, high));
    const __m512 even0 = _mm512_castsi512_ps(_mm512_slli_epi32(v0, 16));
    const __m512 even1 = _mm512_castsi512_ps(_mm512_slli_epi32(v1, 16));
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      const __m512 xo = _mm512_set1_ps(xr[i][2 * q + 1]);
      acc[i][0] = _mm512_fmadd_ps(xo, odd0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(xo, odd1, acc[i][1]);
      const __m512 xe = _mm512_set1_ps(xr[i][2 * q]);
      acc[i][0] = _mm512_fmadd_ps(xe, even0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(xe, even1, acc[i][1]);
    }
  }
  _mm_setcsr(csr);
  packed::store_f32_tile_avx512<MR>(c, acc, r0, panel);
}

// n bf16 to floats (exact: the bits shifted left 16), 16 at a time.
__attribute__((target("avx512f"))) void widen(const uint16_t* x, int n, float* out) {
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i));
    _mm512_storeu_si512(out + i, _mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
  for (; i < n; ++i) out[i] = quant::bf16_to_float(x[i]);
}

}  // namespace

// Row blocks of up to 12, as packed_f32_avx512 (packed::for_each_tile).
void packed_bf16_avx512bf16(const PackedBf16Call& c) {
  packed::for_each_tile<12>(c, [&](auto mr, int r0, int panel) { tile<decltype(mr)::value>(c, r0, panel); });
}

void packed_bf16_avx512fma(const PackedBf16Call& c) {
  const int kp = c.w->kp;
  thread_local std::vector<float> xf;  // the call's rows widened (exact), kp apart
  xf.resize(static_cast<size_t>(c.rows) * kp);
  for (int r = 0; r < c.rows; ++r)
    widen(c.x + static_cast<long>(r) * c.ldx, kp, xf.data() + static_cast<size_t>(r) * kp);
  const float* x = xf.data();
  packed::for_each_tile<12>(
      c, [&](auto mr, int r0, int panel) { fma_tile<decltype(mr)::value>(c, x, r0, panel); });
}

FENLEI_AVX512_INTRINSICS_END

#else

void packed_bf16_avx512bf16(const PackedBf16Call& c) { packed_bf16_ref(c); }
void packed_bf16_avx512fma(const PackedBf16Call& c) { packed_bf16_ref(c); }

#endif

namespace {

bool cpu_has_avx512f() {
#ifdef FENLEI_X86
  return __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

// Seconds of the fastest of `reps` calls.
double fastest(PackedBf16Fn fn, const PackedBf16Call& c, int reps) {
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    fn(c);
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

struct Choice {
  PackedBf16Fn fn;
  const char* name;
};

// Both AVX-512 tiles give the same bits, so the faster one is picked by timing them, alternately,
// on 4 panels of 12 rows x 384 inputs (~10 us a call, ~0.4 ms in all), once per process.
Choice calibrate() {
  const int rows = 12, n = 4 * kPanelWidth, k = 384;
  std::vector<uint16_t> w(static_cast<size_t>(n) * k), x(static_cast<size_t>(rows) * k);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = quant::float_to_bf16(0.01f * static_cast<float>(i % 97) - 0.5f);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = quant::float_to_bf16(0.02f * static_cast<float>(i % 89) - 0.9f);
  const PackedBf16 p = pack_bf16(w.data(), n, k, k);
  std::vector<float> y(static_cast<size_t>(rows) * n);
  PackedBf16Call c;
  c.x = x.data();
  c.rows = rows;
  c.ldx = k;
  c.w = &p;
  c.y = y.data();
  c.ldy = n;
  double dp = 1e30, fma = 1e30;
  for (int round = 0; round < 4; ++round) {
    dp = std::min(dp, fastest(packed_bf16_avx512bf16, c, 5));
    fma = std::min(fma, fastest(packed_bf16_avx512fma, c, 5));
  }
  return fma < dp ? Choice{packed_bf16_avx512fma, "fma"} : Choice{packed_bf16_avx512bf16, "dpbf16"};
}

// FENLEI_BF16_KERNEL: ref (quant's switch: the reference everywhere), dpbf16 or fma (that
// tile, when the CPU has it); unset or anything else: calibrate() on CPUs with AVX512-BF16,
// the FMA tile on AVX-512F CPUs without it, else the reference.
const Choice& choice() {
  static const Choice c = [] {
    const char* env = std::getenv("FENLEI_BF16_KERNEL");
    const std::string want = env ? env : "";
    const bool bf16 = std::string(quant::best_dense_bf16_name()) == "avx512bf16";
    if (want == "ref") return Choice{packed_bf16_ref, "ref"};
    if (want == "dpbf16" && bf16) return Choice{packed_bf16_avx512bf16, "dpbf16"};
    if (want == "fma" && cpu_has_avx512f()) return Choice{packed_bf16_avx512fma, "fma"};
    if (bf16) return calibrate();
    if (cpu_has_avx512f()) return Choice{packed_bf16_avx512fma, "fma"};
    return Choice{packed_bf16_ref, "ref"};
  }();
  return c;
}

}  // namespace

PackedBf16Fn best_packed_bf16() { return choice().fn; }
const char* best_packed_bf16_name() { return choice().name; }

}  // namespace fenlei::transformer

// Packed int8 dense kernels (see packed_int8.h).
#include "transformer/packed_int8.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/avx512_warnings.h"
#include "quant/kernels.h"
#include "transformer/layers.h"
#include "transformer/packed_driver.h"

#if defined(__x86_64__)  // the VNNI microkernel is x86-64 assembly
#include <immintrin.h>
#define FENLEI_X86 1
#endif

namespace fenlei::transformer {

namespace {

using packed::panel_count;

const int8_t* panel_at(const PackedInt8& p, int panel) {
  return p.panels.data() + static_cast<size_t>(panel) * p.kp * kPanelWidth;
}

size_t in_panel(int o, int i) {
  return (static_cast<size_t>(i / 4) * kPanelWidth + o % kPanelWidth) * 4 + i % 4;
}

}  // namespace

PackedInt8 pack_int8(const int8_t* w, int n, int k, int ldw) {
  PackedInt8 p;
  p.n = n;
  p.k = k;
  p.kp = quant::padded_k(k);
  p.panels.assign(static_cast<size_t>(panel_count(n)) * p.kp * kPanelWidth, 0);
  p.colsum.assign(static_cast<size_t>(panel_count(n)) * kPanelWidth, 0);
  for (int o = 0; o < n; ++o) {
    int8_t* dst = p.panels.data() + static_cast<size_t>(o / kPanelWidth) * p.kp * kPanelWidth;
    for (int i = 0; i < k; ++i) {
      const int8_t v = w[static_cast<long>(o) * ldw + i];
      dst[in_panel(o, i)] = v;
      p.colsum[o] += v;
    }
  }
  return p;
}

int8_t packed_int8_at(const PackedInt8& p, int o, int i) {
  return panel_at(p, o / kPanelWidth)[in_panel(o, i)];
}

void packed_int8_ref(const PackedInt8Call& c) {
  const PackedInt8& w = *c.w;
  packed::reference_loop(c, [&](int r, int o) {
    const uint8_t* x = c.x + static_cast<long>(r) * c.ldx;
    const int8_t* panel = panel_at(w, o / kPanelWidth);
    int32_t acc = 0;
    for (int i = 0; i < w.kp; ++i)
      acc += (int32_t(x[i]) - quant::kActivationZero) * int32_t(panel[in_panel(o, i)]);
    const float t = static_cast<float>(acc) * c.x_scale[r];
    return std::fma(t, c.w_scale[o], c.bias[o]);
  });
}

#ifdef FENLEI_X86

FENLEI_AVX512_INTRINSICS_BEGIN

#define FENLEI_VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))

namespace {

// The k loop of an MR-row tile (MR 1..12) in assembly, because GCC (12) neither keeps more than
// 8 rows' accumulators in registers (at 12 it copies every one of them each step and stores it
// to the stack) nor lets local register variables pin them. Registers: zmm0/zmm1 the panel's 32
// outputs x 4 weights of this k step, zmm2..zmm5 the broadcast 4 activation bytes (rotating),
// zmm8 + 2r / zmm9 + 2r row r's two accumulators: 24 at 12 rows, 30 of 32 registers in all.
// Row r is read at b[r / 3] + (r % 3) * ldx, so four base pointers and ldx address 12 rows. After
// the loop the accumulators go to acc[MR][32] (once per tile) for the C++ epilogue.
#define FENLEI_VNNI_ZERO(a0, a1) "vpxord %%zmm" a0 ", %%zmm" a0 ", %%zmm" a0 "\n\t" \
                                 "vpxord %%zmm" a1 ", %%zmm" a1 ", %%zmm" a1 "\n\t"
#define FENLEI_VNNI_ROW(addr, bc, a0, a1)                          \
  "vpbroadcastd " addr ", %%zmm" bc "\n\t"                         \
  "vpdpbusd %%zmm0, %%zmm" bc ", %%zmm" a0 "\n\t"                   \
  "vpdpbusd %%zmm1, %%zmm" bc ", %%zmm" a1 "\n\t"
#define FENLEI_VNNI_STORE(a0, a1, off0, off1) "vmovdqu64 %%zmm" a0 ", " off0 "(%[acc])\n\t" \
                                              "vmovdqu64 %%zmm" a1 ", " off1 "(%[acc])\n\t"
// Row r: its address, broadcast register, accumulators and their offsets in acc.
#define FENLEI_ROW0(M) M("(%[b0])", "2", "8", "9", "0", "64")
#define FENLEI_ROW1(M) M("(%[b0],%[ldx],1)", "3", "10", "11", "128", "192")
#define FENLEI_ROW2(M) M("(%[b0],%[ldx],2)", "4", "12", "13", "256", "320")
#define FENLEI_ROW3(M) M("(%[b3])", "5", "14", "15", "384", "448")
#define FENLEI_ROW4(M) M("(%[b3],%[ldx],1)", "2", "16", "17", "512", "576")
#define FENLEI_ROW5(M) M("(%[b3],%[ldx],2)", "3", "18", "19", "640", "704")
#define FENLEI_ROW6(M) M("(%[b6])", "4", "20", "21", "768", "832")
#define FENLEI_ROW7(M) M("(%[b6],%[ldx],1)", "5", "22", "23", "896", "960")
#define FENLEI_ROW8(M) M("(%[b6],%[ldx],2)", "2", "24", "25", "1024", "1088")
#define FENLEI_ROW9(M) M("(%[b9])", "3", "26", "27", "1152", "1216")
#define FENLEI_ROW10(M) M("(%[b9],%[ldx],1)", "4", "28", "29", "1280", "1344")
#define FENLEI_ROW11(M) M("(%[b9],%[ldx],2)", "5", "30", "31", "1408", "1472")
#define FENLEI_ZERO_OF(addr, bc, a0, a1, o0, o1) FENLEI_VNNI_ZERO(a0, a1)
#define FENLEI_STEP_OF(addr, bc, a0, a1, o0, o1) FENLEI_VNNI_ROW(addr, bc, a0, a1)
#define FENLEI_STORE_OF(addr, bc, a0, a1, o0, o1) FENLEI_VNNI_STORE(a0, a1, o0, o1)
#define FENLEI_ROWS1(M) FENLEI_ROW0(M)
#define FENLEI_ROWS2(M) FENLEI_ROWS1(M) FENLEI_ROW1(M)
#define FENLEI_ROWS3(M) FENLEI_ROWS2(M) FENLEI_ROW2(M)
#define FENLEI_ROWS4(M) FENLEI_ROWS3(M) FENLEI_ROW3(M)
#define FENLEI_ROWS5(M) FENLEI_ROWS4(M) FENLEI_ROW4(M)
#define FENLEI_ROWS6(M) FENLEI_ROWS5(M) FENLEI_ROW5(M)
#define FENLEI_ROWS7(M) FENLEI_ROWS6(M) FENLEI_ROW6(M)
#define FENLEI_ROWS8(M) FENLEI_ROWS7(M) FENLEI_ROW7(M)
#define FENLEI_ROWS9(M) FENLEI_ROWS8(M) FENLEI_ROW8(M)
#define FENLEI_ROWS10(M) FENLEI_ROWS9(M) FENLEI_ROW9(M)
#define FENLEI_ROWS11(M) FENLEI_ROWS10(M) FENLEI_ROW10(M)
#define FENLEI_ROWS12(M) FENLEI_ROWS11(M) FENLEI_ROW11(M)
#define FENLEI_VNNI_KLOOP(ROWS)                                                         \
  asm volatile(ROWS(FENLEI_ZERO_OF)                                                      \
               "test %[steps], %[steps]\n\t"                                             \
               "jz 2f\n\t"                                                               \
               "1:\n\t"                                                                  \
               "vmovdqu64 (%[w]), %%zmm0\n\t"                                            \
               "vmovdqu64 64(%[w]), %%zmm1\n\t"                                            \
               "prefetcht1 (%[pf])\n\t"                                                  \
               "prefetcht1 64(%[pf])\n\t" ROWS(FENLEI_STEP_OF)                            \
               "add $128, %[w]\n\t"                                                      \
               "add $128, %[pf]\n\t"                                                     \
               "add $4, %[b0]\n\t"                                                       \
               "add $4, %[b3]\n\t"                                                       \
               "add $4, %[b6]\n\t"                                                       \
               "add $4, %[b9]\n\t"                                                       \
               "dec %[steps]\n\t"                                                        \
               "jnz 1b\n\t"                                                              \
               "2:\n\t" ROWS(FENLEI_STORE_OF)                                            \
               : [w] "+r"(w), [b0] "+r"(b0), [b3] "+r"(b3), [b6] "+r"(b6), [b9] "+r"(b9), \
                 [steps] "+r"(steps), [pf] "+r"(pf)                                      \
               : [ldx] "r"(ldx), [acc] "r"(acc)                                          \
               : "cc", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm8",  \
                 "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16",   \
                 "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24",  \
                 "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31")

// acc[r][o] = sum over the panel's kp of x[r][p] * w[o][p] (x as stored, u8), rows r < MR.
template <int MR>
FENLEI_VNNI_TARGET void vnni_kloop(const int8_t* wp, const uint8_t* x, long ldx, long steps, int32_t (*acc)[kPanelWidth]) {
  static_assert(MR >= 1 && MR <= 12, "the microkernel addresses 12 rows");
  // Integers, not pointers: the bases of rows past MR are stepped but never read.
  const uintptr_t base = reinterpret_cast<uintptr_t>(x);
  const int8_t* w = wp;
  // The next panel (contiguous after this one), prefetched into L2 a step's 128 bytes at a time
  // while this one is computed: the first row block of each panel then finds its weights in
  // L2 instead of waiting on memory (a text's int8 weights, 7 MB a BERT layer, outgrow L2).
  // Prefetches never fault, so past the last panel is harmless.
  uintptr_t pf = reinterpret_cast<uintptr_t>(wp) + static_cast<uintptr_t>(steps) * 4 * kPanelWidth;
  uintptr_t b0 = base, b3 = base + 3 * ldx, b6 = base + 6 * ldx, b9 = base + 9 * ldx;
  if constexpr (MR == 1) {
    // One row (the last layer computes [CLS] alone): two accumulators would wait on vpdpbusd's
    // latency every step, so four k steps run into four pairs, added at the end (integers:
    // the same sums). The weights are vpdpbusd's memory operand.
    long quads = 0;
    asm volatile(FENLEI_VNNI_ZERO("8", "9") FENLEI_VNNI_ZERO("10", "11") FENLEI_VNNI_ZERO("12", "13")
                 FENLEI_VNNI_ZERO("14", "15")
                 "mov %[steps], %[quads]\n\t"
                 "shr $2, %[quads]\n\t"
                 "and $3, %[steps]\n\t"
                 "test %[quads], %[quads]\n\t"
                 "jz 3f\n\t"
                 "1:\n\t"
                 "prefetcht1 (%[pf])\n\t"
                 "prefetcht1 64(%[pf])\n\t"
                 "prefetcht1 128(%[pf])\n\t"
                 "prefetcht1 192(%[pf])\n\t"
                 "prefetcht1 256(%[pf])\n\t"
                 "prefetcht1 320(%[pf])\n\t"
                 "prefetcht1 384(%[pf])\n\t"
                 "prefetcht1 448(%[pf])\n\t"
                 "add $512, %[pf]\n\t"
                 "vpbroadcastd (%[b0]), %%zmm2\n\t"
                 "vpbroadcastd 4(%[b0]), %%zmm3\n\t"
                 "vpbroadcastd 8(%[b0]), %%zmm4\n\t"
                 "vpbroadcastd 12(%[b0]), %%zmm5\n\t"
                 "vpdpbusd (%[w]), %%zmm2, %%zmm8\n\t"
                 "vpdpbusd 64(%[w]), %%zmm2, %%zmm9\n\t"
                 "vpdpbusd 128(%[w]), %%zmm3, %%zmm10\n\t"
                 "vpdpbusd 192(%[w]), %%zmm3, %%zmm11\n\t"
                 "vpdpbusd 256(%[w]), %%zmm4, %%zmm12\n\t"
                 "vpdpbusd 320(%[w]), %%zmm4, %%zmm13\n\t"
                 "vpdpbusd 384(%[w]), %%zmm5, %%zmm14\n\t"
                 "vpdpbusd 448(%[w]), %%zmm5, %%zmm15\n\t"
                 "add $512, %[w]\n\t"
                 "add $16, %[b0]\n\t"
                 "dec %[quads]\n\t"
                 "jnz 1b\n\t"
                 "3:\n\t"
                 "test %[steps], %[steps]\n\t"
                 "jz 2f\n\t"
                 "4:\n\t"
                 "vpbroadcastd (%[b0]), %%zmm2\n\t"
                 "vpdpbusd (%[w]), %%zmm2, %%zmm8\n\t"
                 "vpdpbusd 64(%[w]), %%zmm2, %%zmm9\n\t"
                 "add $128, %[w]\n\t"
                 "add $4, %[b0]\n\t"
                 "dec %[steps]\n\t"
                 "jnz 4b\n\t"
                 "2:\n\t"
                 "vpaddd %%zmm10, %%zmm8, %%zmm8\n\t"
                 "vpaddd %%zmm12, %%zmm14, %%zmm14\n\t"
                 "vpaddd %%zmm11, %%zmm9, %%zmm9\n\t"
                 "vpaddd %%zmm13, %%zmm15, %%zmm15\n\t"
                 "vpaddd %%zmm14, %%zmm8, %%zmm8\n\t"
                 "vpaddd %%zmm15, %%zmm9, %%zmm9\n\t" FENLEI_VNNI_STORE("8", "9", "0", "64")
                 : [w] "+r"(w), [b0] "+r"(b0), [steps] "+r"(steps), [quads] "+r"(quads), [pf] "+r"(pf)
                 : [acc] "r"(acc)
                 : "cc", "memory", "xmm2", "xmm3", "xmm4", "xmm5", "xmm8", "xmm9", "xmm10", "xmm11",
                   "xmm12", "xmm13", "xmm14", "xmm15");
  }
  if constexpr (MR == 2) FENLEI_VNNI_KLOOP(FENLEI_ROWS2);
  if constexpr (MR == 3) FENLEI_VNNI_KLOOP(FENLEI_ROWS3);
  if constexpr (MR == 4) FENLEI_VNNI_KLOOP(FENLEI_ROWS4);
  if constexpr (MR == 5) FENLEI_VNNI_KLOOP(FENLEI_ROWS5);
  if constexpr (MR == 6) FENLEI_VNNI_KLOOP(FENLEI_ROWS6);
  if constexpr (MR == 7) FENLEI_VNNI_KLOOP(FENLEI_ROWS7);
  if constexpr (MR == 8) FENLEI_VNNI_KLOOP(FENLEI_ROWS8);
  if constexpr (MR == 9) FENLEI_VNNI_KLOOP(FENLEI_ROWS9);
  if constexpr (MR == 10) FENLEI_VNNI_KLOOP(FENLEI_ROWS10);
  if constexpr (MR == 11) FENLEI_VNNI_KLOOP(FENLEI_ROWS11);
  if constexpr (MR == 12) FENLEI_VNNI_KLOOP(FENLEI_ROWS12);
}

template <int MR>
FENLEI_VNNI_TARGET void tile(const PackedInt8Call& c, int r0, int panel) {
  const PackedInt8& w = *c.w;
  alignas(64) int32_t acc[MR][kPanelWidth];
  vnni_kloop<MR>(panel_at(w, panel), c.x + static_cast<long>(r0) * c.ldx, c.ldx, w.kp / 4, acc);
  const int o0 = panel * kPanelWidth;
  const int nvalid = packed::panel_outputs(w.n, o0);
  const packed::PanelMasks m = packed::panel_masks(nvalid);
  const __mmask16 lo = m.lo, hi = m.hi;
  const __m512i zero = _mm512_set1_epi32(quant::kActivationZero);
  const __m512i corr0 = _mm512_mullo_epi32(_mm512_loadu_si512(w.colsum.data() + o0), zero);
  const __m512i corr1 = _mm512_mullo_epi32(_mm512_loadu_si512(w.colsum.data() + o0 + 16), zero);
  const __m512 s0 = _mm512_maskz_loadu_ps(lo, c.w_scale + o0), s1 = _mm512_maskz_loadu_ps(hi, c.w_scale + o0 + 16);
  const __m512 b0 = _mm512_maskz_loadu_ps(lo, c.bias + o0), b1 = _mm512_maskz_loadu_ps(hi, c.bias + o0 + 16);
  for (int i = 0; i < MR; ++i) {
    float* y = c.y + static_cast<long>(r0 + i) * c.ldy + o0;
    const __m512 xs = _mm512_set1_ps(c.x_scale[r0 + i]);
    const __m512i a0 = _mm512_load_si512(acc[i]), a1 = _mm512_load_si512(acc[i] + 16);
    const __m512 t0 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(a0, corr0)), xs);
    const __m512 t1 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(a1, corr1)), xs);
    __m512 v0 = _mm512_fmadd_ps(t0, s0, b0), v1 = _mm512_fmadd_ps(t1, s1, b1);
    if (c.epilogue == PackedEpilogue::kAccumulate) {
      v0 = _mm512_add_ps(_mm512_maskz_loadu_ps(lo, y), v0);
      v1 = _mm512_add_ps(_mm512_maskz_loadu_ps(hi, y + 16), v1);
    }
    _mm512_mask_storeu_ps(y, lo, v0);
    _mm512_mask_storeu_ps(y + 16, hi, v1);
  }
  if (c.epilogue == PackedEpilogue::kGelu) packed::gelu_rows(c, r0, MR, o0, nvalid);
}

}  // namespace

// Row blocks of up to 12, balanced (packed::for_each_tile: 45 rows run as 12 + 11 + 11 + 11).
void packed_int8_avx512vnni(const PackedInt8Call& c) {
  packed::for_each_tile<12>(c, [&](auto mr, int r0, int panel) { tile<decltype(mr)::value>(c, r0, panel); });
}

FENLEI_AVX512_INTRINSICS_END

namespace {

// Without VNNI: the same integer sums in plain C++ over the panel layout, which GCC vectorises
// over the 32 outputs with AVX2 (16-bit products widened to int32: exact, so equal to the
// reference bit for bit). The epilogue is the reference's, element by element.
template <int MR>
__attribute__((target("avx2,fma"))) void tile_avx2(const PackedInt8Call& c, int r0, int panel) {
  const PackedInt8& w = *c.w;
  const int8_t* wp = panel_at(w, panel);
  int32_t acc[MR][kPanelWidth] = {};
  for (int q = 0; q < w.kp / 4; ++q) {
    const int8_t* wq = wp + static_cast<size_t>(q) * 4 * kPanelWidth;
    for (int i = 0; i < MR; ++i) {
      const uint8_t* x = c.x + static_cast<long>(r0 + i) * c.ldx + 4 * q;
      const int32_t x0 = x[0] - quant::kActivationZero, x1 = x[1] - quant::kActivationZero,
                    x2 = x[2] - quant::kActivationZero, x3 = x[3] - quant::kActivationZero;
      for (int j = 0; j < kPanelWidth; ++j)
        acc[i][j] += x0 * wq[4 * j] + x1 * wq[4 * j + 1] + x2 * wq[4 * j + 2] + x3 * wq[4 * j + 3];
    }
  }
  const int o0 = panel * kPanelWidth;
  const int nvalid = packed::panel_outputs(w.n, o0);
  for (int i = 0; i < MR; ++i) {
    float* y = c.y + static_cast<long>(r0 + i) * c.ldy + o0;
    for (int j = 0; j < nvalid; ++j) {
      const float t = static_cast<float>(acc[i][j]) * c.x_scale[r0 + i];
      float v = std::fma(t, c.w_scale[o0 + j], c.bias[o0 + j]);
      if (c.epilogue == PackedEpilogue::kAccumulate) v = y[j] + v;
      y[j] = v;
    }
  }
  if (c.epilogue == PackedEpilogue::kGelu) packed::gelu_rows(c, r0, MR, o0, nvalid);
}

}  // namespace

// Row blocks of up to 4 (exact integer sums: any split gives the same outputs).
void packed_int8_avx2(const PackedInt8Call& c) {
  packed::for_each_tile<4>(c, [&](auto mr, int r0, int panel) { tile_avx2<decltype(mr)::value>(c, r0, panel); });
}

#else

void packed_int8_avx512vnni(const PackedInt8Call& c) { packed_int8_ref(c); }
void packed_int8_avx2(const PackedInt8Call& c) { packed_int8_ref(c); }

#endif

namespace {

struct Choice {
  PackedInt8Fn fn;
  const char* name;
};

const Choice& choice() {
  static const Choice c = []() -> Choice {
    const char* env = std::getenv("FENLEI_INT8_KERNEL");
    const std::string want = env ? env : "";
    if (want == "ref") return {packed_int8_ref, "ref"};
    if (quant::cpu_has_avx512vnni() && want != "avx2") return {packed_int8_avx512vnni, "avx512vnni-packed"};
    if (quant::cpu_has_avx2()) return {packed_int8_avx2, "avx2-packed"};
    return {packed_int8_ref, "ref"};
  }();
  return c;
}

}  // namespace

PackedInt8Fn best_packed_int8() { return choice().fn; }
const char* best_packed_int8_name() { return choice().name; }

}  // namespace fenlei::transformer

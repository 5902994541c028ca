// The int8 engine's per-token conv projections (see int8_projection.h).
#include "quant/int8_projection.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "nn/workspace.h"
#include "quant/int8_model.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace fenlei::quant {
namespace {

constexpr int32_t kFillSlice = 512;  // rows per compute_missing when filling ahead of use
constexpr int kLanes = 16;  // int16 per AVX2 register; each conv offset block is padded to this

bool gemm_forced() {
  const char* v = std::getenv("FENLEI_CONV_KERNEL");
  return v != nullptr && std::strcmp(v, "gemm") == 0;
}

#if defined(__x86_64__)
// K vectors (16*K filters) per pass over the windows: K accumulators and K maxima stay in
// registers while the row pointers of a window are read once.
template <int K>
__attribute__((target("avx2"))) void window_block_avx2(const int16_t* const* rows, int steps,
                                                       int width, int offset, int padded_filters,
                                                       int fb, int16_t* mx) {
  __m256i best[K];
  for (int k = 0; k < K; ++k) best[k] = _mm256_set1_epi16(std::numeric_limits<int16_t>::min());
  for (int t = 0; t < steps; ++t) {
    __m256i acc[K];
    const int16_t* r0 = rows[t] + offset + fb;
    for (int k = 0; k < K; ++k)
      acc[k] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r0 + k * kLanes));
    for (int j = 1; j < width; ++j) {
      const int16_t* r = rows[t + j] + offset + j * padded_filters + fb;
      for (int k = 0; k < K; ++k)
        acc[k] = _mm256_add_epi16(
            acc[k], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r + k * kLanes)));
    }
    for (int k = 0; k < K; ++k) best[k] = _mm256_max_epi16(best[k], acc[k]);
  }
  for (int k = 0; k < K; ++k)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(mx + fb + k * kLanes), best[k]);
}
#endif

using WindowFn = void (*)(const int16_t* const*, int, int, int, int, int16_t*);

WindowFn best_window_fn() {
  if (cpu_has_avx2()) return window_sum_max_i16_avx2;
  return window_sum_max_i16_ref;
}

// Rounds x to the nearest integer, ties to even (the default IEEE mode), as int16. The caller
// guarantees |x| <= 32767. cvtsd2si is SSE2 (every x86-64); std::nearbyint would be a libm
// call per element on the baseline ISA (~4x slower fill), with the same result.
int16_t round_to_i16(double x) {
#if defined(__x86_64__)
  return static_cast<int16_t>(_mm_cvtsd_si32(_mm_set_sd(x)));
#else
  return static_cast<int16_t>(std::nearbyint(x));
#endif
}

}  // namespace

void window_sum_max_i16_ref(const int16_t* const* rows, int steps, int width, int offset,
                            int padded_filters, int16_t* mx) {
  for (int f = 0; f < padded_filters; ++f) {
    int32_t best = std::numeric_limits<int16_t>::min();
    for (int t = 0; t < steps; ++t) {
      int32_t acc = 0;
      for (int j = 0; j < width; ++j) acc += rows[t + j][offset + j * padded_filters + f];
      best = std::max(best, acc);
    }
    mx[f] = static_cast<int16_t>(best);
  }
}

#if defined(__x86_64__)
void window_sum_max_i16_avx2(const int16_t* const* rows, int steps, int width, int offset,
                             int padded_filters, int16_t* mx) {
  int fb = 0;
  for (; fb + 4 * kLanes <= padded_filters; fb += 4 * kLanes)
    window_block_avx2<4>(rows, steps, width, offset, padded_filters, fb, mx);
  if (fb + 2 * kLanes <= padded_filters) {
    window_block_avx2<2>(rows, steps, width, offset, padded_filters, fb, mx);
    fb += 2 * kLanes;
  }
  if (fb < padded_filters) window_block_avx2<1>(rows, steps, width, offset, padded_filters, fb, mx);
}
#else
void window_sum_max_i16_avx2(const int16_t* const* rows, int steps, int width, int offset,
                             int padded_filters, int16_t* mx) {
  window_sum_max_i16_ref(rows, steps, width, offset, padded_filters, mx);
}
#endif

void window_sum_max_i16(const int16_t* const* rows, int steps, int width, int offset,
                        int padded_filters, int16_t* mx) {
  static const WindowFn fn = best_window_fn();
  fn(rows, steps, width, offset, padded_filters, mx);
}

std::unique_ptr<Int8Projection> Int8Projection::create(const Int8Embedding& embed,
                                                       const std::vector<Int8Linear>& conv,
                                                       const std::vector<int>& widths,
                                                       size_t max_bytes) {
  if (conv.empty() || conv.size() != widths.size() || gemm_forced()) return nullptr;
  std::unique_ptr<Int8Projection> p(new Int8Projection());
  p->embed_q_ = embed.q.data();
  p->embed_scale_ = embed.scale.data();
  p->embed_per_row_ = embed.per_row;
  p->widths_ = widths;
  p->dim_ = embed.dim;
  p->kp_ = padded_k(embed.dim);
  p->filters_ = conv[0].out;
  p->padded_filters_ = (p->filters_ + kLanes - 1) / kLanes * kLanes;
  p->vocab_ = static_cast<int32_t>(embed.rows);
  int offset = 0;
  for (int w : widths) {
    p->conv_offset_.push_back(offset);
    p->max_width_ = std::max(p->max_width_, w);
    offset += w * p->padded_filters_;
  }
  p->row_int16s_ = offset;
  const size_t table_bytes = size_t(p->vocab_) * size_t(p->row_int16s_) * sizeof(int16_t);
  if (table_bytes == 0 || table_bytes > max_bytes) return nullptr;

  const int dim = p->dim_, filters = p->filters_;
  p->step_.assign(conv.size() * size_t(filters), 1.0);
  p->inv_step_.assign(conv.size() * size_t(filters), 1.0);
  p->out_scale_.assign(conv.size() * size_t(filters), 0.0f);
  for (size_t c = 0; c < conv.size(); ++c) {
    const Int8Linear& l = conv[c];
    const int width = widths[c];
    if (l.out != filters || l.in != width * dim) return nullptr;
    p->bias_.push_back(l.bias.data());
    // Rows (j, f) of the [width*filters, dim] matrix whose product with an embedding row is
    // that row's projections for every offset and filter.
    std::vector<int8_t> w(size_t(width) * size_t(filters) * size_t(dim));
    for (int j = 0; j < width; ++j)
      for (int f = 0; f < filters; ++f)
        std::memcpy(w.data() + (size_t(j) * size_t(filters) + size_t(f)) * size_t(dim),
                    l.q.data() + size_t(f) * size_t(l.in) + size_t(j) * size_t(dim), size_t(dim));
    p->packed_.push_back(pack_weights(w.data(), width * filters, dim));
  }
  // The exact max over the vocabulary of |P[v, j, f]|, from one pass of the projection GEMMs
  // (the products are not kept: the table still fills lazily). With
  //   step[c, f] = sum_j max_v |P[v, j, f]| / (32767 - width - 1)
  // every window sum of rounded terms, whatever the text, is at most 32767 - width/2 - 1 in
  // magnitude, and no smaller step has that guarantee: the tightest int16 unit there is.
  std::vector<double> pmax = p->vocabulary_maxima();
  for (size_t c = 0; c < conv.size(); ++c) {
    const int width = widths[c];
    const double limit = 32767.0 - double(width) - 1.0;
    for (int f = 0; f < filters; ++f) {
      double sum = 0.0;
      for (int j = 0; j < width; ++j)
        sum += pmax[size_t(p->conv_offset_[c]) + size_t(j) * size_t(p->padded_filters_) + size_t(f)];
      double step = sum / limit;
      if (!(step > 0.0)) step = 1.0;  // an all-zero filter (or table): every P is 0
      const size_t i = c * size_t(filters) + size_t(f);
      p->step_[i] = step;
      p->inv_step_[i] = 1.0 / step;
      p->out_scale_[i] = float(step * double(conv[c].out_scale[size_t(f)]));
    }
  }

  // Rows never used cost no memory (LazyRowTable); without a mapping the GEMM path still works.
  if (!p->table_.allocate(p->vocab_, size_t(p->row_int16s_))) return nullptr;
  return p;
}

Int8Projection::~Int8Projection() = default;

size_t Int8Projection::rows_filled() const { return table_.rows_filled(); }

void Int8Projection::fill_all(Int8ProjectionScratch& s) const {
  table_.fill_first(vocab_, kFillSlice, &s.missing, [&](const auto&) { compute_missing(s); });
}

void Int8Projection::fill_frequent(Int8ProjectionScratch& s) const {
  const size_t row_bytes = size_t(row_int16s_) * sizeof(int16_t);
  const auto rows = static_cast<int32_t>(std::min(size_t(vocab_), kWarmUpBytes / row_bytes));
  table_.fill_first(rows, kFillSlice, &s.missing, [&](const auto&) { compute_missing(s); });
}

void Int8Projection::gather_rows(const nn::Segment& seg, Int8ProjectionScratch& s) const {
  // Ids whose rows are not ready (pad id 0 included: short texts read it).
  const size_t n = size_t(seg.offsets[seg.count] - seg.offsets[0]);
  table_.find_missing(seg.ids, n, /*also=*/0, &s.missing);
  compute_missing(s);
}

void Int8Projection::embeddings_u8(const int32_t* ids, int n, uint8_t* a) const {
  for (int m = 0; m < n; ++m) {
    const int8_t* q = embed_q_ + size_t(ids[m]) * size_t(dim_);
    uint8_t* dst = a + size_t(m) * size_t(kp_);
    for (int d = 0; d < dim_; ++d) dst[d] = uint8_t(int(q[d]) + kActivationZero);
    std::memset(dst + dim_, kActivationZero, size_t(kp_ - dim_));
  }
}

std::vector<double> Int8Projection::vocabulary_maxima() const {
  std::vector<double> pmax(size_t(row_int16s_), 0.0);
  constexpr int32_t kSlice = 256;
  std::vector<int32_t> ids(kSlice);
  std::vector<uint8_t> a(size_t(kSlice) * size_t(kp_));
  std::vector<int32_t> acc;
  const GemmFn gemm = best_gemm();
  for (int32_t begin = 0; begin < vocab_; begin += kSlice) {
    const int n = int(std::min(kSlice, vocab_ - begin));
    for (int m = 0; m < n; ++m) ids[size_t(m)] = begin + m;
    embeddings_u8(ids.data(), n, a.data());
    for (size_t c = 0; c < packed_.size(); ++c) {
      const int cols = widths_[c] * filters_;
      acc.resize(size_t(n) * size_t(cols));
      gemm(a.data(), n, packed_[c], acc.data());
      for (int m = 0; m < n; ++m) {
        const double se = embed_scale_[embed_per_row_ ? size_t(begin + m) : 0];
        const int32_t* am = acc.data() + size_t(m) * size_t(cols);
        for (int j = 0; j < widths_[c]; ++j) {
          double* mx = pmax.data() + size_t(conv_offset_[c]) + size_t(j) * size_t(padded_filters_);
          for (int f = 0; f < filters_; ++f)
            mx[f] = std::max(mx[f], std::abs(double(am[j * filters_ + f])) * se);
        }
      }
    }
  }
  return pmax;
}

void Int8Projection::compute_missing(Int8ProjectionScratch& s) const {
  const int n = static_cast<int>(s.missing.size());
  if (n == 0) return;
  const size_t r = size_t(row_int16s_);
  int16_t* out = nn::grow(s.new_rows, size_t(n) * r);
  uint8_t* a = nn::grow(s.a, size_t(n) * size_t(kp_));
  embeddings_u8(s.missing.data(), n, a);
  const GemmFn gemm = best_gemm();
  double* mult = nn::grow(s.mult, size_t(filters_));
  for (size_t c = 0; c < packed_.size(); ++c) {
    const int width = widths_[c], cols = width * filters_;
    int32_t* acc = nn::grow(s.acc, size_t(n) * size_t(cols));
    gemm(a, n, packed_[c], acc);  // exact int32: the same bits whatever the kernel
    const double* inv_step = inv_step_.data() + c * size_t(filters_);
    for (int m = 0; m < n; ++m) {
      // P16 = round(P * s_e / step): a product of an int32 and a float is exact in double, so
      // the only roundings are of the multiplier and of the result (bounded by the limit's
      // margin); the same bits on every CPU.
      const double se = embed_scale_[embed_per_row_ ? size_t(s.missing[size_t(m)]) : 0];
      for (int f = 0; f < filters_; ++f) mult[f] = se * inv_step[f];
      const int32_t* am = acc + size_t(m) * size_t(cols);
      int16_t* row = out + size_t(m) * r + size_t(conv_offset_[c]);
      for (int j = 0; j < width; ++j) {
        int16_t* block = row + size_t(j) * size_t(padded_filters_);
        const int32_t* aj = am + size_t(j) * size_t(filters_);
        for (int f = 0; f < filters_; ++f) block[f] = round_to_i16(double(aj[f]) * mult[f]);
        std::fill(block + filters_, block + padded_filters_, int16_t(0));
      }
    }
  }
  table_.publish(s.missing, out);
}

void Int8Projection::features(const nn::Segment& seg, Int8ProjectionScratch& s, float* feat,
                              int feat_stride) const {
  gather_rows(seg, s);
  // A row another caller is still writing is read from the copy computed into our scratch.
  auto row_of = [&](int32_t id) { return table_.row_or_own(id, s.missing, s.new_rows.data()); };
  int16_t* mx = nn::grow(s.mx, size_t(padded_filters_));
  [[maybe_unused]] const size_t row_bytes = table_.row_elems() * sizeof(int16_t);
  for (int i = 0; i < seg.count; ++i) {
    const int len = seg.length(i);
    const int32_t* tok = seg.tokens(i);
#if defined(__x86_64__)
    // As in nn::TokenProjection::features: fetch the next text's rows into L2 while this one is
    // summed (the window loop mostly waits for row loads).
    if (i + 1 < seg.count) {
      const int32_t* next = seg.tokens(i + 1);
      for (int p = 0, n = seg.length(i + 1); p < n; ++p) {
        const char* row = reinterpret_cast<const char*>(table_.row_address(next[p]));
        for (size_t b = 0; b < row_bytes; b += 64) _mm_prefetch(row + b, _MM_HINT_T1);
      }
    }
#endif
    const int padded = std::max(len, max_width_);
    const int16_t** rows = nn::grow(s.rows, size_t(padded));
    for (int p = 0; p < padded; ++p) rows[p] = row_of(p < len ? tok[p] : 0);
    float* out = feat + size_t(i) * size_t(feat_stride);
    for (size_t c = 0; c < conv_offset_.size(); ++c) {
      const int width = widths_[c];
      window_sum_max_i16(rows, nn::conv_steps(len, width), width, conv_offset_[c],
                         padded_filters_, mx);
      const float* scale = out_scale_.data() + c * size_t(filters_);
      const float* b = bias_[c];
      float* o = out + c * size_t(filters_);
      for (int f = 0; f < filters_; ++f) {
        const float v = float(mx[f]) * scale[f] + b[f];
        o[f] = v > 0.0f ? v : 0.0f;
      }
    }
  }
}

}  // namespace fenlei::quant

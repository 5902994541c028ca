// Per-token conv projections for inference (see token_projection.h).
#include "nn/token_projection.h"

#include <cblas.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace fenlei::nn {
namespace {

constexpr int kVector = 8;  // floats per AVX register; rows are padded to this
constexpr int kRowChunk = 8;  // rows per projection sgemm (fixed, see gather_rows)
constexpr int32_t kFillSlice = 512;  // rows per compute_missing when filling ahead of use

bool gemm_forced() {
  const char* v = std::getenv("FENLEI_CONV_KERNEL");
  return v != nullptr && std::strcmp(v, "gemm") == 0;
}

#if defined(__x86_64__)
// K vectors (8*K filters) per pass over the windows: the K accumulators and K maxima stay in
// registers, and each pass reads every row slice it needs once, in window order (the previous
// kernel made one pass per 8 filters, re-reading the text's rows 16 times for seed-cnn and
// stalling on their loads). Per element the sums and maxima are the reference's, in its order.
template <int K>
__attribute__((target("avx"))) void window_block_avx(const float* const* rows, int steps,
                                                     int width, int offset, int padded_filters,
                                                     int fb, float* mx) {
  __m256 best[K];
  for (int k = 0; k < K; ++k) best[k] = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  for (int t = 0; t < steps; ++t) {
    __m256 acc[K];
    const float* r0 = rows[t] + offset + fb;
    for (int k = 0; k < K; ++k) acc[k] = _mm256_loadu_ps(r0 + k * kVector);
    for (int j = 1; j < width; ++j) {
      const float* r = rows[t + j] + offset + j * padded_filters + fb;
      for (int k = 0; k < K; ++k) acc[k] = _mm256_add_ps(acc[k], _mm256_loadu_ps(r + k * kVector));
    }
    for (int k = 0; k < K; ++k) best[k] = _mm256_max_ps(acc[k], best[k]);  // as the reference
  }
  for (int k = 0; k < K; ++k) _mm256_storeu_ps(mx + fb + k * kVector, best[k]);
}

__attribute__((target("avx"))) void window_sum_max_avx(const float* const* rows, int steps,
                                                        int width, int offset,
                                                        int padded_filters, float* mx) {
  int fb = 0;
  for (; fb + 4 * kVector <= padded_filters; fb += 4 * kVector)
    window_block_avx<4>(rows, steps, width, offset, padded_filters, fb, mx);
  for (; fb < padded_filters; fb += kVector)
    window_block_avx<1>(rows, steps, width, offset, padded_filters, fb, mx);
}
#endif

using WindowFn = void (*)(const float* const*, int, int, int, int, float*);

WindowFn best_window_fn() {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx")) return window_sum_max_avx;
#endif
  return window_sum_max_ref;
}

}  // namespace

void window_sum_max_ref(const float* const* rows, int steps, int width, int offset,
                        int padded_filters, float* mx) {
  for (int f = 0; f < padded_filters; ++f) {
    float best = -std::numeric_limits<float>::infinity();
    for (int t = 0; t < steps; ++t) {
      float acc = rows[t][offset + f];
      for (int j = 1; j < width; ++j) acc += rows[t + j][offset + j * padded_filters + f];
      best = acc > best ? acc : best;
    }
    mx[f] = best;
  }
}

void window_sum_max(const float* const* rows, int steps, int width, int offset,
                    int padded_filters, float* mx) {
  static const WindowFn fn = best_window_fn();
  fn(rows, steps, width, offset, padded_filters, mx);
}

std::unique_ptr<TokenProjection> TokenProjection::create(const Network& net, size_t max_bytes) {
  const ModelConfig& c = net.config();
  if (c.arch != Arch::kCnn || net.conv_layers().empty() || gemm_forced()) return nullptr;
  std::unique_ptr<TokenProjection> p(new TokenProjection());
  p->net_ = &net;
  p->dim_ = c.embed_dim;
  p->filters_ = c.filters;
  p->padded_filters_ = (c.filters + kVector - 1) / kVector * kVector;
  p->vocab_ = static_cast<int32_t>(c.vocab_size);
  int offset = 0;
  for (const Network::ConvIndex& ci : net.conv_layers()) {
    p->conv_offset_.push_back(offset);
    offset += ci.width * p->padded_filters_;
  }
  p->row_floats_ = offset;
  const size_t table_bytes = size_t(p->vocab_) * size_t(p->row_floats_) * sizeof(float);
  if (table_bytes == 0 || table_bytes > max_bytes) return nullptr;

  // packed_weights_[e, (c, j, f)] = W_c[f, j*dim + e]; padding columns stay zero.
  const int dim = p->dim_;
  p->packed_weights_.assign(size_t(dim) * size_t(p->row_floats_), 0.0f);
  for (size_t ci = 0; ci < net.conv_layers().size(); ++ci) {
    const Network::ConvIndex& conv = net.conv_layers()[ci];
    const float* w = net.params()[conv.weight].values();
    const int k = conv.width * dim;
    for (int j = 0; j < conv.width; ++j)
      for (int f = 0; f < p->filters_; ++f)
        for (int e = 0; e < dim; ++e)
          p->packed_weights_[size_t(e) * size_t(p->row_floats_) + size_t(p->conv_offset_[ci]) +
                             size_t(j) * size_t(p->padded_filters_) + size_t(f)] =
              w[size_t(f) * size_t(k) + size_t(j) * size_t(dim) + size_t(e)];
  }

  // Rows never used cost no memory (LazyRowTable); without a mapping the GEMM path still works.
  if (!p->table_.allocate(p->vocab_, size_t(p->row_floats_))) return nullptr;
  return p;
}

TokenProjection::~TokenProjection() = default;

size_t TokenProjection::rows_filled() const { return table_.rows_filled(); }

void TokenProjection::gather_rows(const Segment& seg, ProjectionScratch& s) const {
  // Ids of the segment whose rows are not ready (pad id 0 included: short texts read it).
  const size_t n = size_t(seg.offsets[seg.count] - seg.offsets[0]);
  table_.find_missing(seg.ids, n, /*also=*/0, &s.missing);
  compute_missing(s);
}

void TokenProjection::fill_all(ProjectionScratch& s) const {
  table_.fill_first(vocab_, kFillSlice, &s.missing, [&](const auto&) { compute_missing(s); });
}

void TokenProjection::fill_frequent(ProjectionScratch& s) const {
  const size_t row_bytes = size_t(row_floats_) * sizeof(float);
  const auto rows = static_cast<int32_t>(std::min(size_t(vocab_), kWarmUpBytes / row_bytes));
  table_.fill_first(rows, kFillSlice, &s.missing, [&](const auto&) { compute_missing(s); });
}

void TokenProjection::compute_missing(ProjectionScratch& s) const {
  if (s.missing.empty()) return;
  // Rows are computed kRowChunk at a time by one sgemm of always the same shape (the last chunk
  // padded with zero embeddings): a BLAS computes a row of a fixed-shape product the same way
  // wherever it sits in the chunk, so a row's bits do not depend on which batch or thread
  // computed it and predictions do not depend on the cache's history (a unit test checks this
  // property of the BLAS at hand). Per row this is ~4x faster than one sgemv per row.
  const size_t r = size_t(row_floats_);
  const size_t n = s.missing.size();
  const size_t chunks = (n + kRowChunk - 1) / kRowChunk;
  float* out = grow(s.new_rows, chunks * kRowChunk * r);
  float* in = grow(s.embeddings, size_t(kRowChunk) * size_t(dim_));
  const float* table = net_->params()[net_->embed_index()].values();
  for (size_t chunk = 0; chunk < chunks; ++chunk) {
    const size_t first_row = chunk * kRowChunk;
    for (size_t k = 0; k < size_t(kRowChunk); ++k) {
      float* dst = in + k * size_t(dim_);
      if (first_row + k < n)
        std::memcpy(dst, table + size_t(s.missing[first_row + k]) * size_t(dim_),
                    sizeof(float) * size_t(dim_));
      else
        std::memset(dst, 0, sizeof(float) * size_t(dim_));
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kRowChunk, row_floats_, dim_, 1.0f,
                in, dim_, packed_weights_.data(), row_floats_, 0.0f, out + first_row * r,
                row_floats_);
  }
  table_.publish(s.missing, out);
}

void TokenProjection::features(const Segment& seg, ProjectionScratch& s, float* feat,
                               int feat_stride) const {
  gather_rows(seg, s);
  // A row another caller is still writing is read from the copy computed into our scratch.
  auto row_of = [&](int32_t id) { return table_.row_or_own(id, s.missing, s.new_rows.data()); };
  // The next text's rows are fetched into L2 while this one is summed: the kernel's time is
  // mostly waiting for row loads (a seed-cnn row is 40 cache lines, read once per text).
  const size_t row_bytes = table_.row_elems() * sizeof(float);
  auto prefetch_rows = [&](const int32_t* ids, int n) {
#if defined(__x86_64__)
    for (int p = 0; p < n; ++p) {
      const char* row = reinterpret_cast<const char*>(table_.row_address(ids[p]));
      for (size_t b = 0; b < row_bytes; b += 64) _mm_prefetch(row + b, _MM_HINT_T1);
    }
#else
    (void)ids;
    (void)n;
    (void)row_bytes;
#endif
  };
  const int max_width = net_->config().max_width();
  float* mx = grow(s.mx, size_t(padded_filters_));
  for (int i = 0; i < seg.count; ++i) {
    const int len = seg.length(i);
    const int32_t* tok = seg.tokens(i);
    if (i + 1 < seg.count) prefetch_rows(seg.tokens(i + 1), seg.length(i + 1));
    const int padded = std::max(len, max_width);
    const float** rows = grow(s.rows, size_t(padded));
    for (int p = 0; p < padded; ++p) rows[p] = row_of(p < len ? tok[p] : 0);
    float* out = feat + size_t(i) * size_t(feat_stride);
    for (size_t c = 0; c < conv_offset_.size(); ++c) {
      const Network::ConvIndex& conv = net_->conv_layers()[c];
      const int width = conv.width;
      window_sum_max(rows, conv_steps(len, width), width, conv_offset_[c], padded_filters_, mx);
      const float* b = net_->params()[conv.bias].values();
      float* o = out + c * size_t(filters_);
      for (int f = 0; f < filters_; ++f) {
        const float v = mx[f] + b[f];
        o[f] = v > 0.0f ? v : 0.0f;
      }
    }
  }
}

}  // namespace fenlei::nn

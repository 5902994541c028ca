#include "core/dpcnn_packed_convs.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace fenlei::core {
namespace {

// Per-thread buffers of the region projections: no allocation once they have grown.
struct RegionScratch {
  std::vector<int32_t> missing;
  std::vector<float> gathered, own;
};

RegionScratch& region_scratch() {
  thread_local RegionScratch s;
  return s;
}

}  // namespace

std::unique_ptr<const DpcnnPackedConvs> DpcnnPackedConvs::create(const nn::Network& net) {
  const nn::ModelConfig& c = net.config();
  if (c.arch != nn::Arch::kDpcnn) return nullptr;
  const char* kernel_env = std::getenv("FENLEI_CONV_KERNEL");  // "gemm": benchmarks' old path
  if (kernel_env != nullptr && std::strcmp(kernel_env, "gemm") == 0) return nullptr;
  const nn::Params& p = net.params();
  const nn::DpcnnIndex& idx = net.dpcnn();
  std::unique_ptr<DpcnnPackedConvs> d(new DpcnnPackedConvs());
  d->dim_ = c.embed_dim;
  d->channels_ = c.filters;
  d->table_ = p[net.embed_index()].values();
  auto add = [&](int w, int b) {
    const nn::Tensor& t = p[w];
    const int n = static_cast<int>(t.shape[0]), k = static_cast<int>(t.shape[1]);
    d->weight_.push_back(transformer::pack_f32(t.values(), n, k, k));
    d->bias_.push_back(p[b].values());
  };
  add(idx.region_weight, idx.region_bias);
  for (size_t i = 0; i < idx.weight.size(); ++i) add(idx.weight[i], idx.bias[i]);

  const int dim = d->dim_;
  const float* table = d->table_;
  d->ops_.embed_row = [table, dim](int32_t id, float* dst) {
    std::memcpy(dst, table + size_t(id) * dim, sizeof(float) * size_t(dim));
  };
  const DpcnnPackedConvs* self = d.get();
  const transformer::PackedF32Fn kernel = transformer::best_packed_f32();
  d->ops_.conv = [self, kernel](int layer, const float* col, int rows, int k, float* y) {
    if (rows <= 0) return;
    const transformer::PackedF32& w = self->weight_[size_t(layer)];
    transformer::PackedCall call;
    call.x = col;
    call.rows = rows;
    call.ldx = k;
    call.w = &w;
    call.bias = self->bias_[size_t(layer)];
    call.y = y;
    call.ldy = w.n;
    kernel(call);
  };

  const size_t row_floats = size_t(3) * size_t(c.filters);
  const int64_t vocab = c.vocab_size;
  if (vocab > 0 && vocab <= INT32_MAX &&
      size_t(vocab) * row_floats * sizeof(float) <= kMaxRegionBytes &&
      d->region_table_.allocate(static_cast<int32_t>(vocab), row_floats)) {
    const float* w = p[idx.region_weight].values();  // [C, 3*dim]
    for (int j = 0; j < 3; ++j)
      d->region_tap_[j] = transformer::pack_f32(w + size_t(j) * dim, c.filters, dim, 3 * dim);
    d->ops_.region = [self](const nn::Segment& seg, const int32_t* row_start, float* x0) {
      self->region(seg, row_start, x0);
    };
  }
  return d;
}

void DpcnnPackedConvs::compute_missing(const std::vector<int32_t>& missing,
                                       std::vector<float>& gathered, std::vector<float>& own) const {
  const int nm = static_cast<int>(missing.size());
  const size_t row_floats = region_table_.row_elems();
  if (own.size() < missing.size() * row_floats) own.resize(missing.size() * row_floats);
  if (gathered.size() < size_t(nm) * dim_) gathered.resize(size_t(nm) * dim_);
  for (int r = 0; r < nm; ++r)
    std::memcpy(gathered.data() + size_t(r) * dim_, table_ + size_t(missing[size_t(r)]) * dim_,
                sizeof(float) * size_t(dim_));
  const transformer::PackedF32Fn kernel = transformer::best_packed_f32();
  for (int j = 0; j < 3; ++j) {
    transformer::PackedCall call;
    call.x = gathered.data();
    call.rows = nm;
    call.ldx = dim_;
    call.w = &region_tap_[j];
    call.y = own.data() + size_t(j) * channels_;
    call.ldy = 3 * channels_;
    kernel(call);
  }
  region_table_.publish(missing, own.data());
}

void DpcnnPackedConvs::region(const nn::Segment& seg, const int32_t* row_start,
                              float* x0) const {
  RegionScratch& s = region_scratch();
  const int ntok = seg.offsets[seg.count] - seg.offsets[0];
  region_table_.find_missing(seg.ids, size_t(ntok), -1, &s.missing);
  if (!s.missing.empty()) compute_missing(s.missing, s.gathered, s.own);
  const int ch = channels_;
  const float* bias = bias_[0];
  for (int i = 0; i < seg.count; ++i) {
    const int len = seg.length(i);
    const int32_t* tok = seg.tokens(i);
    float* out = x0 + size_t(row_start[i]) * ch;
    const int positions = row_start[i + 1] - row_start[i];
    for (int t = 0; t < positions; ++t, out += ch) {
      float* __restrict y = out;
      for (int f = 0; f < ch; ++f) y[f] = bias[f];
      for (int j = 0; j < 3; ++j) {
        const int q = t - 1 + j;
        if (q < 0 || q >= len) continue;
        const float* __restrict pr =
            region_table_.row_or_own(tok[q], s.missing, s.own.data()) + size_t(j) * ch;
        for (int f = 0; f < ch; ++f) y[f] += pr[f];
      }
    }
  }
}

void DpcnnPackedConvs::warm_up() const {
  if (!has_region_table()) return;
  RegionScratch& s = region_scratch();
  constexpr int32_t kSlice = 512;  // rows per compute_missing: the scratch stays small
  region_table_.fill_first(region_table_.rows(), kSlice, &s.missing,
                           [&](const std::vector<int32_t>& missing) {
                             compute_missing(missing, s.gathered, s.own);
                           });
}

}  // namespace fenlei::core

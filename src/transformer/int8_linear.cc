#include "transformer/int8_linear.h"

#include <algorithm>
#include <cmath>

#include "quant/kernels.h"

namespace fenlei::transformer {

Int8Linear make_int8_linear(int in, int out, std::vector<int8_t> q, std::vector<float> scale,
                            std::vector<float> bias) {
  Int8Linear l;
  l.in = in;
  l.out = out;
  l.scale = std::move(scale);
  l.bias = std::move(bias);
  l.packed = pack_int8(q.data(), out, in, in);
  return l;
}

Int8Linear quantize_linear(const Linear& l) {
  std::vector<int8_t> q(static_cast<size_t>(l.out) * l.in);
  std::vector<float> scale(l.out);
  for (int o = 0; o < l.out; ++o) {
    const float* w = l.w.data() + static_cast<size_t>(o) * l.in;
    float amax = 0;
    for (int i = 0; i < l.in; ++i) amax = std::max(amax, std::fabs(w[i]));
    scale[o] = amax > 0 ? amax / 127.0f : 1.0f;
    const float inv = amax > 0 ? 127.0f / amax : 1.0f;
    for (int i = 0; i < l.in; ++i) {
      const float v = std::nearbyint(w[i] * inv);
      q[static_cast<size_t>(o) * l.in + i] = static_cast<int8_t>(std::clamp(v, -127.0f, 127.0f));
    }
  }
  return make_int8_linear(l.in, l.out, std::move(q), std::move(scale), l.b);
}

void linear_int8_quantised(const uint8_t* qx, const float* row_scale, int rows, const Int8Linear& l,
                           float* y, PackedInt8Fn kernel, const PackedRun& run) {
  PackedInt8Call c;
  c.x = qx;
  c.rows = rows;
  c.ldx = l.packed.kp;
  c.x_scale = row_scale;
  c.w = &l.packed;
  c.w_scale = l.scale.data();
  c.bias = l.bias.data();
  c.y = y;
  c.ldy = l.out;
  c.epilogue = run.epilogue;
  c.panel_begin = run.panel_begin;
  c.panel_end = run.panel_end;
  packed_parallel(kernel ? kernel : best_packed_int8(), c, run.threads.pool, run.threads.min_macs);
}

void linear_int8(const float* x, int rows, const Int8Linear& l, float* y, PackedInt8Fn kernel,
                 Int8Scratch* s, PackedEpilogue epilogue, IntraOp threads) {
  const int kp = l.packed.kp;
  s->qx.resize(static_cast<size_t>(rows) * kp);
  s->row_scale.resize(rows);
  quant::quantize_rows_u8(x, rows, l.in, kp, s->qx.data(), s->row_scale.data());
  PackedRun run;
  run.epilogue = epilogue;
  run.threads = threads;
  linear_int8_quantised(s->qx.data(), s->row_scale.data(), rows, l, y, kernel, run);
}

}  // namespace fenlei::transformer

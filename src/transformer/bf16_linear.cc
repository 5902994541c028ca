#include "transformer/bf16_linear.h"

#include <algorithm>

#include "quant/bf16.h"

namespace fenlei::transformer {

Bf16Linear to_bf16_linear(const Linear& l) {
  Bf16Linear b;
  b.in = l.in;
  b.out = l.out;
  std::vector<uint16_t> w(l.w.size());
  quant::floats_to_bf16_ref(l.w.data(), static_cast<long>(l.w.size()), w.data());
  b.packed = pack_bf16(w.data(), l.out, l.in, l.in);
  return b;
}

Linear widen_bf16_linear(const Bf16Linear& l, const std::vector<float>& bias) {
  Linear f;
  f.in = l.in;
  f.out = l.out;
  const std::vector<uint16_t> w = bf16_weights(l);
  f.w.resize(w.size());
  for (size_t i = 0; i < w.size(); ++i) f.w[i] = quant::bf16_to_float(w[i]);
  f.b = bias;
  return f;
}

void linear_bf16(const float* x, int rows, const Bf16Linear& l, const float* bias, float* y,
                 PackedEpilogue epilogue, std::vector<uint16_t>* xb, IntraOp threads) {
  const int kp = l.packed.kp;
  xb->resize(static_cast<size_t>(rows) * kp);
  if (kp == l.in) {
    quant::floats_to_bf16(x, static_cast<long>(rows) * l.in, xb->data());
  } else {  // odd k: each row's last pair ends in a 0
    for (int r = 0; r < rows; ++r) {
      quant::floats_to_bf16(x + static_cast<long>(r) * l.in, l.in, xb->data() + static_cast<long>(r) * kp);
      (*xb)[static_cast<size_t>(r) * kp + l.in] = 0;
    }
  }
  PackedRun run;
  run.epilogue = epilogue;
  run.threads = threads;
  linear_bf16_rounded(xb->data(), rows, l, bias, y, run);
}

void linear_bf16_rounded(const uint16_t* xb, int rows, const Bf16Linear& l, const float* bias,
                         float* y, const PackedRun& run) {
  PackedBf16Call c;
  c.x = xb;
  c.rows = rows;
  c.ldx = l.packed.kp;
  c.w = &l.packed;
  c.bias = bias;
  c.y = y;
  c.ldy = l.out;
  c.epilogue = run.epilogue;
  c.panel_begin = run.panel_begin;
  c.panel_end = run.panel_end;
  packed_parallel(best_packed_bf16(), c, run.threads.pool, run.threads.min_macs);
}

void linear_bf16(const float* x, int rows, const Bf16Linear& l, const float* bias, float* y,
                 bool accumulate, std::vector<uint16_t>* xb) {
  linear_bf16(x, rows, l, bias, y, accumulate ? PackedEpilogue::kAccumulate : PackedEpilogue::kStore, xb);
}

}  // namespace fenlei::transformer

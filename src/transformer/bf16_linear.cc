#include "transformer/bf16_linear.h"

#include "quant/bf16.h"

namespace fenlei::transformer {

Bf16Linear to_bf16_linear(const Linear& l) {
  Bf16Linear b;
  b.in = l.in;
  b.out = l.out;
  b.w.resize(l.w.size());
  quant::floats_to_bf16_ref(l.w.data(), static_cast<long>(l.w.size()), b.w.data());
  return b;
}

Linear widen_bf16_linear(const Bf16Linear& l, const std::vector<float>& bias) {
  Linear f;
  f.in = l.in;
  f.out = l.out;
  f.w.resize(l.w.size());
  for (size_t i = 0; i < l.w.size(); ++i) f.w[i] = quant::bf16_to_float(l.w[i]);
  f.b = bias;
  return f;
}

void linear_bf16(const float* x, int rows, const Bf16Linear& l, const float* bias, float* y,
                 bool accumulate, std::vector<uint16_t>* xb) {
  xb->resize(static_cast<size_t>(rows) * l.in);
  quant::floats_to_bf16(x, static_cast<long>(rows) * l.in, xb->data());
  quant::Bf16DenseCall c;
  c.x = xb->data();
  c.rows = rows;
  c.ldx = l.in;
  c.w = l.w.data();
  c.n = l.out;
  c.k = l.in;
  c.ldw = l.in;
  c.bias = bias;
  c.y = y;
  c.ldy = l.out;
  c.accumulate = accumulate;
  quant::best_dense_bf16()(c);
}

}  // namespace fenlei::transformer

// nn/winograd3.h: the F(2,3) conv and its backward against the direct width-3 conv computed in
// double, on ragged texts of every length parity (1 to 9 rows, so odd texts' half tiles, one-row
// texts whose windows are mostly zeros, and tiles reading across no text boundary), with the
// ReLU in front, the gate and the shortcut.
#include "nn/winograd3.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace fenlei::nn {
namespace {

struct Case {
  int c_in = 5, c_out = 3;
  std::vector<int32_t> row_start;
  std::vector<float> x, w, bias, dy, gate, add;
  int rows() const { return row_start.back(); }
  int texts() const { return static_cast<int>(row_start.size()) - 1; }
};

Case make_case(const std::vector<int>& lengths, uint32_t seed) {
  Case c;
  c.row_start = {0};
  for (int len : lengths) c.row_start.push_back(c.row_start.back() + len);
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  auto fill = [&](std::vector<float>& v, size_t n) {
    v.resize(n);
    for (float& f : v) f = u(gen);
  };
  fill(c.x, size_t(c.rows()) * c.c_in);
  fill(c.w, size_t(c.c_out) * 3 * c.c_in);
  fill(c.bias, size_t(c.c_out));
  fill(c.dy, size_t(c.rows()) * c.c_out);
  fill(c.gate, size_t(c.rows()) * c.c_in);
  fill(c.add, size_t(c.rows()) * c.c_in);
  return c;
}

// a[q] of the conv's input: relu(x) (or x) inside the text, 0 outside.
double input_at(const Case& c, int r0, int r1, int q, int ch, bool relu) {
  if (q < r0 || q >= r1) return 0.0;
  const double v = c.x[size_t(q) * c.c_in + ch];
  return relu && v <= 0.0 ? 0.0 : v;
}

TEST(Winograd3, ForwardEqualsTheDirectConv) {
  for (const bool relu : {true, false}) {
    const Case c = make_case({1, 2, 3, 4, 5, 6, 7, 8, 9, 1}, relu ? 3 : 4);
    const int tiles = winograd3_tiles(c.row_start.data(), c.texts());
    EXPECT_EQ(tiles, 1 + 1 + 2 + 2 + 3 + 3 + 4 + 4 + 5 + 1);
    std::vector<float> gp(size_t(c.c_out) * c.c_in), gm(gp.size());
    winograd3_filters(c.w.data(), c.c_out, c.c_in, gp.data(), gm.data());
    std::vector<float> d(size_t(4) * tiles * c.c_in), m4(size_t(4) * tiles * c.c_out);
    std::vector<float> y(size_t(c.rows()) * c.c_out, NAN);
    winograd3_transform_input(c.x.data(), c.c_in, c.row_start.data(), c.texts(), relu, d.data());
    winograd3_forward(d.data(), c.w.data(), gp.data(), gm.data(), c.bias.data(), c.c_out, c.c_in,
                      c.row_start.data(), c.texts(), m4.data(), y.data());
    for (int i = 0; i < c.texts(); ++i) {
      const int r0 = c.row_start[size_t(i)], r1 = c.row_start[size_t(i) + 1];
      for (int t = r0; t < r1; ++t)
        for (int o = 0; o < c.c_out; ++o) {
          double want = c.bias[size_t(o)];
          for (int k = 0; k < 3; ++k)
            for (int ch = 0; ch < c.c_in; ++ch)
              want += double(c.w[size_t(o) * 3 * c.c_in + size_t(k) * c.c_in + ch]) *
                      input_at(c, r0, r1, t - 1 + k, ch, relu);
          ASSERT_NEAR(y[size_t(t) * c.c_out + o], want, 1e-5) << "row " << t << " output " << o;
        }
    }
  }
}

TEST(Winograd3, BackwardEqualsTheDirectConvsGradients) {
  for (const bool gated : {true, false}) {
    const Case c = make_case({3, 1, 8, 2, 5, 9, 4}, gated ? 7 : 8);
    const int m = c.texts(), rows = c.rows(), k3 = 3 * c.c_in;
    const int tiles = winograd3_tiles(c.row_start.data(), m);
    std::vector<float> gp(size_t(c.c_out) * c.c_in), gm(gp.size());
    winograd3_filters(c.w.data(), c.c_out, c.c_in, gp.data(), gm.data());
    std::vector<float> d(size_t(4) * tiles * c.c_in);
    winograd3_transform_input(c.x.data(), c.c_in, c.row_start.data(), m, true, d.data());
    std::vector<float> dm(size_t(4) * tiles * c.c_out), dd(d.size()), dg(2 * gp.size());
    Winograd3Backward b;
    b.d = d.data();
    b.w = c.w.data();
    b.gplus = gp.data();
    b.gminus = gm.data();
    b.c_out = c.c_out;
    b.c_in = c.c_in;
    b.row_start = c.row_start.data();
    b.m = m;
    b.dm = dm.data();
    b.dd = dd.data();
    b.dg = dg.data();
    // Accumulates into dw and db (start them non-zero); overwrites dx.
    std::vector<float> dw(size_t(c.c_out) * k3, 0.25f), db(size_t(c.c_out), -0.5f);
    std::vector<float> dx(size_t(rows) * c.c_in, NAN);
    winograd3_backward(b, c.dy.data(), dw.data(), db.data(), gated ? c.gate.data() : nullptr,
                       gated ? c.add.data() : nullptr, dx.data());

    // The direct conv's gradients, in double.
    std::vector<double> want_dw(dw.size(), 0.25), want_db(db.size(), -0.5), want_da(dx.size(), 0.0);
    for (int i = 0; i < m; ++i) {
      const int r0 = c.row_start[size_t(i)], r1 = c.row_start[size_t(i) + 1];
      for (int t = r0; t < r1; ++t)
        for (int o = 0; o < c.c_out; ++o) {
          const double g = c.dy[size_t(t) * c.c_out + o];
          want_db[size_t(o)] += g;
          for (int k = 0; k < 3; ++k) {
            const int q = t - 1 + k;
            for (int ch = 0; ch < c.c_in; ++ch) {
              const size_t wi = size_t(o) * k3 + size_t(k) * c.c_in + ch;
              want_dw[wi] += g * input_at(c, r0, r1, q, ch, true);
              if (q >= r0 && q < r1) want_da[size_t(q) * c.c_in + ch] += g * c.w[wi];
            }
          }
        }
    }
    for (size_t i = 0; i < dw.size(); ++i) ASSERT_NEAR(dw[i], want_dw[i], 1e-5) << "dw " << i;
    for (size_t i = 0; i < db.size(); ++i) ASSERT_NEAR(db[i], want_db[i], 1e-5) << "db " << i;
    for (size_t i = 0; i < dx.size(); ++i) {
      double want = want_da[i];
      if (gated) want = (c.gate[i] > 0.0f ? want : 0.0) + c.add[i];
      ASSERT_NEAR(dx[i], want, 1e-5) << "dx " << i;
    }
  }
}

}  // namespace
}  // namespace fenlei::nn

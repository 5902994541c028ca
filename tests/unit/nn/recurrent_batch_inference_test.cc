// The fused batched step (nn/recurrent_batch_inference.h) against the existing paths: the sgemm
// recurrence of training and the uncached path (within float rounding), and the one-text
// matrix-vector recurrence (bit for bit per text where that one runs whole blocks), for LSTM and GRU cells, ragged packed
// batches with odd step sizes (the one-row tile) and steps that reach one text.
#include "nn/recurrent_batch_inference.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "nn/conv1d.h"
#include "nn/gru.h"
#include "nn/lstm.h"
#include "nn/recurrent_steps.h"

namespace fenlei::nn {
namespace {

struct Case {
  bool lstm;
  int H;
};

class BatchInference : public ::testing::TestWithParam<Case> {};

TEST(BatchInference, PanelLayout) {
  const int gates = 3, H = 32, K = 5;
  std::vector<float> w(size_t(gates) * H * K);
  for (size_t i = 0; i < w.size(); ++i) w[i] = float(i);
  const std::vector<float> p = pack_gate_panels(w.data(), gates, H, K);
  ASSERT_EQ(p.size(), w.size());
  const int width = gates * kPanelUnits;
  for (int u = 0; u < H / kPanelUnits; ++u)
    for (int k = 0; k < K; ++k)
      for (int g = 0; g < gates; ++g)
        for (int l = 0; l < kPanelUnits; ++l)
          ASSERT_EQ(p[size_t(u) * K * width + size_t(k) * width + g * kPanelUnits + l],
                    w[size_t(g * H + u * kPanelUnits + l) * K + k]);
}

TEST_P(BatchInference, MatchesSgemmStepsAndOneTextPath) {
  const Case c = GetParam();
  if (!batch_inference_supported(c.H)) GTEST_SKIP() << "no AVX-512";
  const int H = c.H, G = (c.lstm ? 4 : 3) * H;
  std::mt19937 gen(11);
  std::normal_distribution<float> nd(0.0f, 0.6f);
  std::vector<float> w_hh(size_t(G) * H), b_hh(static_cast<size_t>(G));
  // W_hh at trained-model scale (std 1.5 / sqrt(H)): larger weights make the recurrence chaotic
  // and amplify any rounding difference over 40 steps.
  std::normal_distribution<float> wd(0.0f, 1.5f / std::sqrt(float(H)));
  for (float& v : w_hh) v = wd(gen);
  for (float& v : b_hh) v = nd(gen);
  // Ragged texts (lengths 1..40, some equal, one empty), each token an input-gate row.
  const std::vector<int> lengths = {7, 40, 1, 13, 13, 0, 22, 5, 40, 2, 31};
  std::vector<int32_t> ids, offsets = {0};
  for (int len : lengths) {
    for (int t = 0; t < len; ++t) ids.push_back(int32_t(ids.size()));
    offsets.push_back(int32_t(ids.size()));
  }
  std::vector<float> token_rows(ids.size() * size_t(G));
  for (float& v : token_rows) v = 2.0f * nd(gen);
  const Segment seg{ids.data(), offsets.data(), int(lengths.size())};
  PackedLayout L;
  build_packed_layout(seg, &L);
  const int rows = L.rows();
  std::vector<const float*> in(static_cast<size_t>(rows));
  for (int i = 0; i < seg.count; ++i)
    for (int t = 0; t < seg.length(i); ++t)
      in[size_t(L.row(i, t))] = token_rows.data() + size_t(offsets[i] + t) * G;

  const std::vector<float> panels = pack_gate_panels(w_hh.data(), G / H, H, H);
  std::vector<float> fused(size_t(rows) * H), cell;
  if (c.lstm)
    lstm_batch_inference(L, in.data(), panels.data(), H, cell, fused.data());
  else
    gru_batch_inference(L, in.data(), panels.data(), b_hh.data(), H, fused.data());

  // The sgemm steps, their gates buffer filled with the same input rows.
  CellScratch s;
  s.gates.resize(size_t(rows) * G);
  for (int r = 0; r < rows; ++r) std::copy_n(in[size_t(r)], G, s.gates.begin() + size_t(r) * G);
  std::vector<float> steps(size_t(rows) * H);
  if (c.lstm)
    lstm_recurrence(L, w_hh.data(), H, s, steps.data());
  else
    gru_recurrence(L, w_hh.data(), b_hh.data(), H, s, steps.data());
  float worst = 0.0f, scale = 0.0f;
  for (size_t k = 0; k < fused.size(); ++k) {
    worst = std::max(worst, std::fabs(fused[k] - steps[k]));
    scale = std::max(scale, std::fabs(steps[k]));
  }
  EXPECT_LT(worst, 2e-5f);  // outputs are in (-1, 1); rounding compounded over 40 steps
  EXPECT_GT(scale, 0.3f);   // not trivially saturated or zero

  // Each text alone through the one-text path: the same bits where gemv_packed runs whole
  // 64-column blocks (G % 64 == 0, as at the presets' H = 128; its narrower last block sums
  // without fused multiply-adds), else within rounding.
  const bool same_bits = G % 64 == 0;
  const std::vector<float> packed = pack_for_gemv(w_hh.data(), G, H);
  std::vector<float> scratch;
  for (int i = 0; i < seg.count; ++i) {
    const int len = seg.length(i);
    std::vector<const float*> steps_in(size_t(std::max(len, 1)));
    for (int t = 0; t < len; ++t) steps_in[size_t(t)] = in[size_t(L.row(i, t))];
    std::vector<float> one(size_t(std::max(len, 1)) * H);
    if (c.lstm)
      lstm_sequence_inference(steps_in.data(), len, packed.data(), H, scratch, one.data());
    else
      gru_sequence_inference(steps_in.data(), len, packed.data(), b_hh.data(), H, scratch,
                             one.data());
    for (int t = 0; t < len; ++t)
      for (int j = 0; j < H; ++j)
        if (same_bits)
          ASSERT_EQ(fused[size_t(L.row(i, t)) * H + j], one[size_t(t) * H + j])
              << "text " << i << " step " << t << " unit " << j;
        else
          ASSERT_NEAR(fused[size_t(L.row(i, t)) * H + j], one[size_t(t) * H + j], 2e-5f)
              << "text " << i << " step " << t << " unit " << j;
  }
}

INSTANTIATE_TEST_SUITE_P(Cells, BatchInference,
                         ::testing::Values(Case{true, 16}, Case{false, 16}, Case{true, 48},
                                           Case{false, 64}, Case{true, 32}));

TEST(BatchInference, SupportNeedsWholePanels) {
  EXPECT_FALSE(batch_inference_supported(24));
  EXPECT_FALSE(batch_inference_supported(0));
}

}  // namespace
}  // namespace fenlei::nn

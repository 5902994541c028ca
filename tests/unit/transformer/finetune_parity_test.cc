// Parity with PyTorch: replays K optimiser steps of fine-tuning the BERT and ELECTRA fixtures
// that bench/make_finetune_parity_fixture.py ran with torch + transformers (AdamW with the
// linear warm-up schedule and gradient clipping; SGD with momentum), and compares the losses,
// gradient norms and every parameter's change (the word table: the rows the batches used).
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "hf/safetensors.h"
#include "transformer/checkpoint.h"
#include "transformer/encoder_optimizer.h"
#include "transformer/encoder_train.h"

namespace fenlei::transformer {
namespace {

std::string dir() { return std::string(FENLEI_TEST_DATA_DIR) + "/hf/finetune"; }

struct Outcome {
  double max_weight_rel = 0;  // max |w_ours - w_torch| / max(|w_torch|, 1e-2)
  double max_delta_rel = 0;   // per tensor ||d_ours - d_torch|| / ||d_torch||, the worst
  std::string worst;
};

Outcome replay(const std::string& model, const std::string& setup) {
  const nlohmann::json steps = nlohmann::json::parse(*read_file(dir() + "/steps.json"));
  const nlohmann::json& m = steps["models"][model];
  const nlohmann::json& s = steps["setups"][setup];
  const nlohmann::json& record = m[setup];
  auto ck = read_checkpoint(std::string(FENLEI_TEST_DATA_DIR) + "/hf/" + model);
  EXPECT_TRUE(ck.ok()) << ck.status().to_string();
  EncoderWeights w = ck->encoder;
  const EncoderWeights before = w;

  EncoderOptimizerConfig config;
  if (setup == "adamw") {
    config.kind = EncoderOptimizerKind::kAdamW;
    config.weight_decay = s["weight_decay"].get<float>();
    config.epsilon = 1e-8f;
  } else {
    config.kind = EncoderOptimizerKind::kSgd;
    config.momentum = s["momentum"].get<float>();
  }
  EncoderOptimizer optimizer(config, w);
  EncoderGrads g = EncoderGrads::zeros_like(w);
  auto ws = make_train_workspace();
  const float base_lr = s["lr"].get<float>();
  const float clip = s["clip"].get<float>();
  for (size_t k = 0; k < m["batches"].size(); ++k) {
    const nlohmann::json& batch = m["batches"][k];
    g.clear();
    // The batch as one stacked chunk, as the trainer runs it.
    std::vector<std::vector<int32_t>> ids;
    std::vector<int> labels;
    for (const auto& ex : batch) {
      ids.push_back(ex["ids"].get<std::vector<int32_t>>());
      labels.push_back(ex["label"].get<int>());
    }
    std::vector<const std::vector<int32_t>*> ptrs;
    for (const auto& v : ids) ptrs.push_back(&v);
    double loss = forward_backward_chunk(w, ptrs, labels, std::vector<uint64_t>(ids.size(), 0),
                                         1.0f / batch.size(), DropoutSpec{}, ws.get(), &g);
    loss /= batch.size();
    EXPECT_NEAR(loss, record["losses"][k].get<double>(), 1e-5 * std::fabs(loss)) << model << " " << setup << " step " << k;
    const double norm = clip_grad_norm(&g, clip);
    EXPECT_NEAR(norm, record["grad_norms"][k].get<double>(), 1e-4 * norm) << model << " " << setup;
    const float lr =
        setup == "adamw"
            ? static_cast<float>(base_lr * lr_factor(EncoderLrSchedule::kLinear, static_cast<int64_t>(k),
                                                     s["warmup"].get<int>(), s["total"].get<int>()))
            : base_lr;
    EXPECT_NEAR(lr, record["lrs"][k].get<double>(), 1e-9);
    optimizer.step(&w, g, lr);
  }

  auto expected = hf::read_safetensors(dir() + "/" + model + "_" + setup + ".safetensors");
  EXPECT_TRUE(expected.ok()) << expected.status().to_string();
  Outcome out;
  std::vector<ParamView> after = param_views(&w);
  std::vector<ParamView> start = param_views(const_cast<EncoderWeights*>(&before));
  int compared = 0;
  for (size_t t = 0; t < after.size(); ++t) {
    const std::string& name = after[t].name;
    // The key bias adds q.b to every score of a query's row, which softmax ignores: its exact
    // gradient is zero, and both sides hold rounding noise only (which Adam scales up to +-lr).
    if (name.find("attention.self.key.bias") != std::string::npos) {
      ++compared;
      continue;
    }
    std::vector<long> index;     // elements compared
    std::vector<float> torch_d;  // torch's change of each
    if (t == 0) {
      const auto& rows = expected->at(name + ".rows").data;
      const auto& deltas = expected->at(name + ".rows_delta").data;
      const int e = w.config.embedding_size;
      for (size_t r = 0; r < rows.size(); ++r)
        for (int j = 0; j < e; ++j) {
          index.push_back(static_cast<long>(rows[r]) * e + j);
          torch_d.push_back(deltas[r * e + j]);
        }
    } else {
      auto it = expected->find(name);
      EXPECT_NE(it, expected->end()) << name;
      if (it == expected->end()) continue;
      EXPECT_EQ(static_cast<long>(it->second.data.size()), after[t].size) << name;
      for (long i = 0; i < after[t].size; ++i) {
        index.push_back(i);
        torch_d.push_back(it->second.data[i]);
      }
    }
    double diff2 = 0, ref2 = 0;
    for (size_t k = 0; k < index.size(); ++k) {
      const double ours = double(after[t].data[index[k]]) - start[t].data[index[k]];
      const double theirs = torch_d[k];
      diff2 += (ours - theirs) * (ours - theirs);
      ref2 += theirs * theirs;
      const double w_torch = double(start[t].data[index[k]]) + theirs;
      const double rel = std::fabs(double(after[t].data[index[k]]) - w_torch) /
                         std::max(std::fabs(w_torch), 1e-2);
      if (rel > out.max_weight_rel) out.max_weight_rel = rel;
    }
    const double delta_rel = ref2 > 0 ? std::sqrt(diff2 / ref2) : std::sqrt(diff2);
    if (delta_rel > out.max_delta_rel) {
      out.max_delta_rel = delta_rel;
      out.worst = name;
    }
    ++compared;
  }
  EXPECT_EQ(compared, static_cast<int>(after.size()));
  return out;
}

class FinetuneParity : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(FinetuneParity, WeightsAfterKStepsMatchPyTorch) {
  const auto [model, setup] = GetParam();
  const Outcome o = replay(model, setup);
  // The goal: every weight within 1e-4 relative of PyTorch's.
  EXPECT_LT(o.max_weight_rel, 1e-4) << model << " " << setup;
  // A sharper check than the weights (the steps are small next to them): each tensor's change
  // agrees with torch's to 3e-4 of its norm (measured: <= 3.4e-5).
  EXPECT_LT(o.max_delta_rel, 3e-4) << model << " " << setup << " worst tensor " << o.worst;
  std::cout << model << " " << setup << ": max weight rel diff " << o.max_weight_rel
            << ", worst tensor change rel diff " << o.max_delta_rel << " (" << o.worst << ")\n";
}

INSTANTIATE_TEST_SUITE_P(All, FinetuneParity,
                         ::testing::Values(std::make_pair("bert", "adamw"),
                                           std::make_pair("bert", "sgd"),
                                           std::make_pair("electra", "adamw"),
                                           std::make_pair("electra", "sgd")));

}  // namespace
}  // namespace fenlei::transformer

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "quant/bf16.h"
#include "transformer/bf16_linear.h"
#include "transformer/checkpoint.h"

namespace fenlei::transformer {
namespace {

std::string fixture(const std::string& name) { return std::string(FENLEI_TEST_DATA_DIR) + "/hf/" + name; }

TEST(Bf16Linear, EqualsTheReferenceKernelAndStaysCloseToFloat) {
  std::mt19937 rng(8);
  std::normal_distribution<float> d(0.0f, 1.0f);
  for (int rows : {1, 3, 17}) {
    Linear f{70, 21, {}, {}};
    for (int i = 0; i < 70 * 21; ++i) f.w.push_back(d(rng));
    for (int i = 0; i < 21; ++i) f.b.push_back(d(rng));
    std::vector<float> x(rows * 70);
    for (float& v : x) v = d(rng);
    const Bf16Linear b = to_bf16_linear(f);
    std::vector<float> y(rows * 21), ref(rows * 21), exact(rows * 21);
    std::vector<uint16_t> xb;
    linear_bf16(x.data(), rows, b, f.b.data(), y.data(), false, &xb);
    // The same through the scalar reference kernel.
    std::vector<uint16_t> xr(x.size());
    quant::floats_to_bf16_ref(x.data(), static_cast<long>(x.size()), xr.data());
    PackedBf16Call c{xr.data(), rows, 70, &b.packed, f.b.data(), ref.data(), 21, PackedEpilogue::kStore};
    packed_bf16_ref(c);
    for (size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], ref[i]);  // bit for bit
    linear_ref(x.data(), rows, f, exact.data());
    // bf16 keeps 8 significant bits: |error| ~ 2^-9 * sqrt(70) * |x||w| per output.
    for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], exact[i], 0.1f);
  }
}

TEST(Bf16Encoder, TheFileKeepsTheBf16ValuesExactly) {
  auto ck = read_checkpoint(fixture("electra"));
  ASSERT_TRUE(ck.ok()) << ck.status().to_string();
  const EncoderWeights b = bf16_encoder(ck->encoder);
  ASSERT_TRUE(b.bf16());
  EXPECT_TRUE(b.layers[0].qkv.w.empty());  // float copies dropped
  const std::vector<int32_t> ids = {2, 100, 200, 300, 400, 500, 3};
  const auto logits = classify_logits(b, ids);
  auto back = encoder_from_tensors(config_to_json(b.config), encoder_to_tensors(b), "m.fenlei");
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  const EncoderWeights again = bf16_encoder(*back);
  EXPECT_EQ(bf16_weights(again.bf16_layers[0].intermediate), bf16_weights(b.bf16_layers[0].intermediate));
  EXPECT_EQ(classify_logits(again, ids), logits);
}

// Agreement with the float encoder over the 2,021 fixture texts: top-1 label and probabilities.
TEST(Bf16Encoder, AgreesWithFloatOnTheFixtureTexts) {
  for (const char* model : {"bert", "electra"}) {
    auto ck = read_checkpoint(fixture(model));
    ASSERT_TRUE(ck.ok());
    const EncoderWeights b = bf16_encoder(ck->encoder);
    std::ifstream in(fixture(std::string(model) + "/expected.jsonl"));
    std::string line;
    int texts = 0, same_top1 = 0;
    float worst = 0;
    while (std::getline(in, line)) {
      const auto ids = nlohmann::json::parse(line)["ids"].get<std::vector<int32_t>>();
      auto pf = classify_logits(ck->encoder, ids);
      auto pb = classify_logits(b, ids);
      softmax_in_place(&pf);
      softmax_in_place(&pb);
      for (size_t i = 0; i < pf.size(); ++i) worst = std::max(worst, std::abs(pf[i] - pb[i]));
      same_top1 += std::max_element(pf.begin(), pf.end()) - pf.begin() ==
                   std::max_element(pb.begin(), pb.end()) - pb.begin();
      ++texts;
    }
    ASSERT_GE(texts, 2000);
    RecordProperty(std::string(model) + "_top1_agreement", std::to_string(double(same_top1) / texts));
    RecordProperty(std::string(model) + "_max_prob_diff", std::to_string(worst));
    std::printf("%s bf16 vs float: top-1 agreement %.4f over %d texts, max |p diff| %.5f\n", model,
                double(same_top1) / texts, texts, worst);
    EXPECT_GE(double(same_top1) / texts, 0.99) << model;
    EXPECT_LT(worst, 0.05f) << model;  // measured 0.026 (bert), 0.028 (electra)
  }
}

}  // namespace
}  // namespace fenlei::transformer

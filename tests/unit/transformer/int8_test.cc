#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "transformer/checkpoint.h"
#include "transformer/int8_linear.h"
#include "transformer/wordpiece.h"

namespace fenlei::transformer {
namespace {

std::string fixture(const std::string& name) { return std::string(FENLEI_TEST_DATA_DIR) + "/hf/" + name; }

std::vector<PackedInt8Fn> available_kernels() {
  std::vector<PackedInt8Fn> k = {packed_int8_ref};
  if (quant::cpu_has_avx512vnni()) k.push_back(packed_int8_avx512vnni);
  if (quant::cpu_has_avx2()) k.push_back(packed_int8_avx2);
  return k;
}

TEST(Int8Linear, EveryKernelEqualsTheReferenceAndStaysCloseToFloat) {
  std::mt19937 rng(5);
  std::normal_distribution<float> d(0.0f, 1.0f);
  for (int rows : {1, 3, 17}) {
    Linear f{37, 21, {}, {}};
    for (int i = 0; i < 37 * 21; ++i) f.w.push_back(d(rng));
    for (int i = 0; i < 21; ++i) f.b.push_back(d(rng));
    std::vector<float> x(rows * 37);
    for (float& v : x) v = d(rng);
    const Int8Linear q = quantize_linear(f);
    std::vector<float> ref(rows * 21), y(rows * 21), exact(rows * 21);
    Int8Scratch s;
    linear_int8(x.data(), rows, q, ref.data(), packed_int8_ref, &s);
    for (PackedInt8Fn k : available_kernels()) {
      linear_int8(x.data(), rows, q, y.data(), k, &s);
      for (size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], ref[i]);  // bit for bit
    }
    linear_ref(x.data(), rows, f, exact.data());
    for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(ref[i], exact[i], 0.3f);  // ~2% of the outputs' spread
  }
}

TEST(Int8Encoder, KernelsAgreeBitForBitAndTheFileKeepsTheInt8Values) {
  auto ck = read_checkpoint(fixture("bert"));
  ASSERT_TRUE(ck.ok()) << ck.status().to_string();
  const EncoderWeights q = quantize_encoder(ck->encoder);
  ASSERT_TRUE(q.quantized());
  const std::vector<int32_t> ids = {2, 100, 200, 300, 400, 500, 3};
  const auto ref = classify_logits(q, ids, packed_int8_ref);
  for (PackedInt8Fn k : available_kernels()) EXPECT_EQ(classify_logits(q, ids, k), ref);
  auto back = encoder_from_tensors(config_to_json(q.config), encoder_to_tensors(q), "m.fenlei");
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_TRUE(back->quantized());
  EXPECT_EQ(classify_logits(*back, ids, packed_int8_ref), ref);
}

TEST(Int8Encoder, AgreesWithFloatOnTheFixtureTexts) {
  for (const char* model : {"bert", "electra"}) {
    auto ck = read_checkpoint(fixture(model));
    ASSERT_TRUE(ck.ok());
    auto tokenizer = WordPieceTokenizer::create(ck->tokenizer);
    ASSERT_TRUE(tokenizer.ok());
    const EncoderWeights q = quantize_encoder(ck->encoder);
    const char* texts[] = {"房间很干净，服务也好", "a gob of drivel so sickly sweet", "What is an atom ?",
                           "周东飞：上海楼房倒覆悲剧不要变成悬疑剧", "not much of anything ."};
    for (const char* text : texts) {
      const auto ids = tokenizer->encode(text).ids;
      auto pf = classify_logits(ck->encoder, ids);
      auto pq = classify_logits(q, ids);
      softmax_in_place(&pf);
      softmax_in_place(&pq);
      for (size_t i = 0; i < pf.size(); ++i) EXPECT_NEAR(pf[i], pq[i], 0.05f) << model << text;
    }
  }
}

}  // namespace
}  // namespace fenlei::transformer

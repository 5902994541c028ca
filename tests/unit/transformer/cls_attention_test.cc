// The last layer's [CLS]-only attention by algebra (cls_attention.h) against the full
// computation (every row's keys and values, encode_hidden's row 0) on random encoders of several
// shapes and lengths, float / int8 / bf16, and bit-identical for 1, 2 and 3 intra-op threads.
#include "transformer/cls_attention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "quant/bf16.h"
#include "train/pretrain.h"
#include "transformer/encoder.h"

namespace fenlei::transformer {
namespace {

std::vector<float> random_vec(size_t n, std::mt19937* rng, float sd = 1.0f) {
  std::normal_distribution<float> d(0.0f, sd);
  std::vector<float> v(n);
  for (float& x : v) x = d(*rng);
  return v;
}

float max_abs_diff(const float* a, const float* b, int n) {
  float m = 0;
  for (int i = 0; i < n; ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

// A random encoder with peaked attention (initializer_range 0.2) and nonzero biases everywhere
// (random_encoder's are zero: the key bias that cls_attention drops and the value bias it adds
// would go untested).
EncoderWeights random_model(int hidden, int heads, int layers, uint64_t seed) {
  hf::EncoderConfig c;
  c.model_type = "bert";
  c.vocab_size = 97;
  c.hidden_size = c.embedding_size = hidden;
  c.num_layers = layers;
  c.num_heads = heads;
  c.intermediate_size = 2 * hidden;
  c.max_position_embeddings = 512;
  c.type_vocab_size = 2;
  c.initializer_range = 0.2f;
  EncoderWeights w = train::random_encoder(c, seed);
  std::mt19937 rng(static_cast<uint32_t>(seed));
  for (EncoderLayer& l : w.layers)
    for (Linear* d : {&l.qkv, &l.attention_out, &l.intermediate, &l.output})
      d->b = random_vec(d->b.size(), &rng, 0.5f);
  return w;
}

std::vector<int32_t> random_ids(int len, int vocab, std::mt19937* rng) {
  std::uniform_int_distribution<int32_t> d(0, vocab - 1);
  std::vector<int32_t> ids(len);
  for (int32_t& id : ids) id = d(*rng);
  return ids;
}

enum class Precision { kFloat, kInt8, kBf16 };
const char* name(Precision p) {
  return p == Precision::kFloat ? "float" : p == Precision::kInt8 ? "int8" : "bf16";
}

EncoderWeights in_precision(const EncoderWeights& w, Precision p) {
  if (p == Precision::kInt8) return quantize_encoder(w);
  if (p == Precision::kBf16) return bf16_encoder(w);
  return pack_encoder(w);  // what EncoderEngine holds: the packed float path
}

// W^T v over outputs [o_begin, o_end) from the [out][in] weights the packed forms hold.
std::vector<float> transposed_from_rows(const std::vector<float>& w, int in, int o_begin,
                                        int o_end, const float* v) {
  std::vector<double> u(in, 0.0);
  for (int o = o_begin; o < o_end; ++o)
    for (int i = 0; i < in; ++i) u[i] += double(w[static_cast<size_t>(o) * in + i]) * v[o - o_begin];
  return std::vector<float>(u.begin(), u.end());
}

// The packed layouts are read right: the reference equals W^T v of the weights each form holds
// (f32 as given, bf16 widened, int8 times its scales), and the vectorised kernels equal the
// reference up to the order of their sums.
TEST(ClsAttention, TransposedProductReadsEveryPackedForm) {
  std::mt19937 rng(3);
  for (const int in : {64, 96, 50}) {
    const int out = 3 * in;
    Linear l;
    l.in = in;
    l.out = out;
    l.w = random_vec(static_cast<size_t>(out) * in, &rng);
    l.b = random_vec(out, &rng);
    const PackedF32 f = pack_f32(l.w.data(), out, in, in);
    const Bf16Linear b = to_bf16_linear(l);
    const Int8Linear q = quantize_linear(l);
    const Linear bw = widen_bf16_linear(b, l.b);
    std::vector<float> qw(l.w.size());
    for (int o = 0; o < out; ++o)
      for (int i = 0; i < in; ++i)
        qw[static_cast<size_t>(o) * in + i] = int8_weight(q, o, i) * q.scale[o];
    ClsQkv forms[3];
    forms[0].f32 = &f;
    forms[1].bf16 = &b;
    forms[2].int8 = &q;
    const std::vector<float>* weights[3] = {&l.w, &bw.w, &qw};
    const std::vector<std::pair<int, int>> ranges = {{in, in + 32}, {in, 2 * in}, {in + 3, in + 40}};
    for (const auto& [ob, oe] : ranges) {
      const std::vector<float> v = random_vec(oe - ob, &rng);
      for (int f_i = 0; f_i < 3; ++f_i) {
        const std::vector<float> want = transposed_from_rows(*weights[f_i], in, ob, oe, v.data());
        std::vector<float> ref(in + 4);
        transposed_product_ref(forms[f_i], ob, oe, v.data(), ref.data());
        const float bound = 1e-5f * std::sqrt(static_cast<float>(oe - ob)) * 4;
        EXPECT_LT(max_abs_diff(ref.data(), want.data(), in), bound) << f_i << " in " << in << " " << ob;
        for (int isa = 0; isa <= 2; ++isa) {  // capped at what the CPU has
          ClsQkv form = forms[f_i];
          form.isa = isa;
          std::vector<float> fast(in + 4);
          transposed_product(form, ob, oe, v.data(), fast.data());
          EXPECT_LT(max_abs_diff(fast.data(), want.data(), in), bound)
              << f_i << " isa " << isa << " in " << in << " " << ob;
        }
      }
    }
  }
}

// cls_query + cls_attention_heads on one float layer against the definition in double (every
// row's keys and values, softmax, weighted values), with each kernel set the CPU has (scalar,
// AVX2, AVX-512), head ranges split as threads would.
TEST(ClsAttention, EveryKernelComputesTheDefinition) {
  std::mt19937 rng(5);
  for (const auto& [hidden, heads] : std::vector<std::pair<int, int>>{{96, 3}, {256, 4}, {40, 5}}) {
    Linear l;
    l.in = hidden;
    l.out = 3 * hidden;
    l.w = random_vec(static_cast<size_t>(l.out) * hidden, &rng, 0.2f);
    l.b = random_vec(l.out, &rng, 0.5f);
    const PackedF32 packed = pack_f32(l.w.data(), l.out, hidden, hidden);
    for (const int len : {1, 17, 128}) {
      const std::vector<float> x = random_vec(static_cast<size_t>(len) * hidden, &rng);
      std::vector<double> qkv(static_cast<size_t>(len) * l.out);
      for (int j = 0; j < len; ++j)
        for (int o = 0; o < l.out; ++o) {
          double acc = l.b[o];
          for (int i = 0; i < hidden; ++i)
            acc += double(l.w[static_cast<size_t>(o) * hidden + i]) * x[static_cast<size_t>(j) * hidden + i];
          qkv[static_cast<size_t>(j) * l.out + o] = acc;
        }
      const int d = hidden / heads;
      std::vector<float> want(hidden);
      for (int h = 0; h < heads; ++h) {
        std::vector<double> p(len);
        double mx = -1e300, sum = 0;
        for (int j = 0; j < len; ++j) {
          double sc = 0;
          for (int t = 0; t < d; ++t)
            sc += qkv[h * d + t] * qkv[static_cast<size_t>(j) * l.out + hidden + h * d + t];
          p[j] = sc / std::sqrt(double(d));
          mx = std::max(mx, p[j]);
        }
        for (double& v : p) sum += (v = std::exp(v - mx));
        for (int t = 0; t < d; ++t) {
          double acc = 0;
          for (int j = 0; j < len; ++j) acc += p[j] / sum * qkv[static_cast<size_t>(j) * l.out + 2 * hidden + h * d + t];
          want[h * d + t] = static_cast<float>(acc);
        }
      }
      for (int isa = 0; isa <= 2; ++isa) {
        ClsQkv w;
        w.f32 = &packed;
        w.bias = l.b.data();
        w.isa = isa;
        ClsAttentionScratch s;
        std::vector<float> q(hidden + kPanelWidth), ctx(hidden, -1.0f);
        cls_query(w, x.data(), hidden, q.data(), &s);
        for (int t = 0; t < 2; ++t) {  // heads in two calls, as two threads take them
          const int hb = heads * t / 2, he = heads * (t + 1) / 2;
          cls_attention_heads(w, x.data(), len, q.data(), hidden, heads, hb, he, ctx.data(), &s);
        }
        EXPECT_LT(max_abs_diff(ctx.data(), want.data(), hidden), 2e-5f)
            << "isa " << isa << " hidden " << hidden << " len " << len;
      }
    }
  }
}

struct Shape {
  int hidden, heads;
};
// Head widths 32 and 64 (whole panels: the vectorised path), 16 (two heads share a panel) and
// 8 with a hidden size that is no multiple of 32 (the reference path, partial panels).
const Shape kShapes[] = {{64, 2}, {256, 4}, {96, 3}, {48, 3}, {40, 5}};
const int kLengths[] = {1, 2, 17, 128, 512};

// Float: the two computations differ only in the order of float sums (and the dropped q . b_k,
// which the softmax's max subtraction absorbs), so [CLS]'s final hidden state (LayerNorm
// output, entries of order 1) agrees to a few float ulps times the sums' lengths: measured
// 0.5-4.9e-6 over these shapes and lengths, so 2e-5 leaves 4x, while a wrong head, bias or scale
// would be off by 1e-1 or more.
TEST(ClsAttention, FloatLastLayerEqualsTheFullComputation) {
  std::mt19937 rng(11);
  for (const Shape s : kShapes) {
    const EncoderWeights w = in_precision(random_model(s.hidden, s.heads, 2, 5 + s.hidden), Precision::kFloat);
    ASSERT_TRUE(w.packed());
    for (const int len : kLengths) {
      const std::vector<int32_t> ids = random_ids(len, w.config.vocab_size, &rng);
      const std::vector<float> full = encode_hidden(w, ids);
      const std::vector<float> cls = encode_cls(w, ids);
      ASSERT_EQ(cls.size(), static_cast<size_t>(s.hidden));
      const float diff = max_abs_diff(cls.data(), full.data(), s.hidden);
      EXPECT_LT(diff, 2e-5f) << "hidden " << s.hidden << " heads " << s.heads << " len " << len;
      if (len == 1) {
        EXPECT_EQ(diff, 0.0f);  // one row: the full computation itself
      }
    }
  }
}

// int8 and bf16: the algebra sees each row as the layer's kernel does (cls_rows_as_seen) and
// carries xbar through the kernel in three terms, so it equals the full int8 / bf16
// computation to float rounding, as float does: a model file predicts what it predicted before
// the algebra. Measured (2026-12-02): at most 4.8e-7 (int8), 0 (bf16); with xbar rounded to a
// single term, as a first version did, bf16 was 0.016 away, so 2e-5 tells the two apart.
TEST(ClsAttention, Int8AndBf16LastLayerEqualTheFullComputation) {
  std::mt19937 rng(12);
  for (const Precision p : {Precision::kInt8, Precision::kBf16}) {
    for (const Shape s : kShapes) {
      const EncoderWeights w = in_precision(random_model(s.hidden, s.heads, 2, 7 + s.hidden), p);
      for (const int len : kLengths) {
        const std::vector<int32_t> ids = random_ids(len, w.config.vocab_size, &rng);
        const std::vector<float> full = encode_hidden(w, ids);
        const std::vector<float> cls = encode_cls(w, ids);
        ASSERT_EQ(cls.size(), static_cast<size_t>(s.hidden));
        const float diff = max_abs_diff(cls.data(), full.data(), s.hidden);
        EXPECT_LT(diff, 2e-5f) << name(p) << " hidden " << s.hidden << " heads " << s.heads
                               << " len " << len;
        if (len == 1) {
          EXPECT_EQ(diff, 0.0f);
        }
      }
    }
  }
}

// The heads split over the pool (threshold 0: every call splits); each head is computed as one
// thread computes it.
TEST(ClsAttention, BitIdenticalForOneTwoAndThreeThreads) {
  std::mt19937 rng(13);
  ThreadPool two(2), three(3);
  for (const Precision p : {Precision::kFloat, Precision::kInt8, Precision::kBf16}) {
    for (const Shape s : {Shape{256, 4}, Shape{96, 3}, Shape{48, 3}}) {
      const EncoderWeights w = in_precision(random_model(s.hidden, s.heads, 2, 9 + s.hidden), p);
      for (const int len : {2, 17, 128}) {
        const std::vector<int32_t> ids = random_ids(len, w.config.vocab_size, &rng);
        EncoderScratch one;
        const std::vector<float> want = encode_cls(w, ids, &one);
        for (ThreadPool* pool : {&two, &three}) {
          EncoderScratch split;
          split.pool = pool;
          split.min_parallel_macs = 0;
          const std::vector<float> got = encode_cls(w, ids, &split);
          ASSERT_EQ(got.size(), want.size());
          EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)), 0)
              << name(p) << " hidden " << s.hidden << " len " << len << " threads " << pool->size();
        }
      }
    }
  }
}

}  // namespace
}  // namespace fenlei::transformer

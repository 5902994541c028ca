// Intra-op threads for one text: 1, 2 and 3 threads give bit-identical outputs, for single
// packed layers (float, bf16, int8) and for the whole encoder (float, int8, bf16) on the
// committed Hugging Face fixtures.
#include "transformer/packed_parallel.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "quant/bf16.h"
#include "quant/kernels.h"
#include "transformer/checkpoint.h"
#include "transformer/dense_kernels.h"
#include "transformer/encoder.h"

namespace fenlei::transformer {
namespace {

std::vector<float> random_vec(size_t n, std::mt19937* rng) {
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(*rng);
  return v;
}

bool bit_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(PackedParallel, SplitRangeCoversEveryUnitOnce) {
  for (int units = 1; units < 20; ++units)
    for (int tasks = 1; tasks <= units; ++tasks) {
      int next = 0;
      for (int t = 0; t < tasks; ++t) {
        int b, e;
        split_range(units, tasks, t, &b, &e);
        EXPECT_EQ(b, next);
        EXPECT_GT(e, b);
        next = e;
      }
      EXPECT_EQ(next, units);
    }
}

TEST(PackedParallel, SmallCallsAndOneThreadStayOnTheCaller) {
  ThreadPool one(1), two(2);
  EXPECT_EQ(intra_op_tasks(nullptr, int64_t{1} << 30, 8), 1);
  EXPECT_EQ(intra_op_tasks(&one, int64_t{1} << 30, 8), 1);
  EXPECT_EQ(intra_op_tasks(&two, kMinParallelMacs - 1, 8), 1);
  EXPECT_EQ(intra_op_tasks(&two, kMinParallelMacs, 8), 2);
  EXPECT_EQ(intra_op_tasks(&two, kMinParallelMacs, 1), 1);  // one panel: nothing to split
  EXPECT_EQ(intra_op_tasks(&two, 0, 8, /*min_macs=*/0), 2);
}

// Every kernel, every epilogue, panel counts that do and do not divide by the threads.
TEST(PackedParallel, LayersAreBitIdenticalForOneTwoAndThreeThreads) {
  std::vector<PackedF32Fn> fns = {packed_f32_ref};
  if (cpu_has_avx512f()) fns.push_back(packed_f32_avx512);
  if (cpu_has_avx2_fma()) fns.push_back(packed_f32_avx2);
  ThreadPool two(2), three(3);
  std::mt19937 rng(7);
  struct Shape {
    int rows, n, k;
  };
  for (const Shape s : {Shape{1, 33, 17}, Shape{5, 96, 40}, Shape{13, 70, 64}, Shape{45, 160, 96}}) {
    auto x = random_vec(static_cast<size_t>(s.rows) * s.k, &rng);
    auto w = random_vec(static_cast<size_t>(s.n) * s.k, &rng), b = random_vec(s.n, &rng);
    auto y0 = random_vec(static_cast<size_t>(s.rows) * s.n, &rng);
    const PackedF32 p = pack_f32(w.data(), s.n, s.k, s.k);
    for (PackedF32Fn fn : fns)
      for (PackedEpilogue e : {PackedEpilogue::kStore, PackedEpilogue::kAccumulate, PackedEpilogue::kGelu}) {
        std::vector<float> want = y0;
        PackedCall c{x.data(), s.rows, s.k, &p, b.data(), want.data(), s.n, e};
        fn(c);
        for (ThreadPool* pool : {&two, &three}) {
          std::vector<float> got = y0;
          c.y = got.data();
          packed_parallel(fn, c, pool, /*min_macs=*/0);
          EXPECT_TRUE(bit_equal(got, want)) << s.rows << "x" << s.n << "x" << s.k << " threads "
                                            << pool->size() << " epilogue " << static_cast<int>(e);
        }
      }
  }
}

// A one-row call is bound by streaming its weights: at the default threshold it splits
// (counted as kMemoryBoundRows rows) once that reaches kMinParallelMacs, and gives the same bits.
TEST(PackedParallel, OneRowCallsSplitAtTheDefaultThresholdWithTheSameBits) {
  ThreadPool two(2);
  std::mt19937 rng(9);
  const int n = 768, k = 768;  // the last layer's 768 x 768 calls ([CLS] query, attention output)
  ASSERT_GE(int64_t{kMemoryBoundRows} * n * k, kMinParallelMacs);
  ASSERT_LT(int64_t{n} * k, kMinParallelMacs);  // by its multiply-adds alone it would not split
  auto x = random_vec(k, &rng), w = random_vec(static_cast<size_t>(n) * k, &rng), b = random_vec(n, &rng);
  const PackedF32 p = pack_f32(w.data(), n, k, k);
  std::vector<float> want(n), got(n);
  PackedCall c{x.data(), 1, k, &p, b.data(), want.data(), n, PackedEpilogue::kStore};
  best_packed_f32()(c);
  c.y = got.data();
  packed_parallel(best_packed_f32(), c, &two);
  EXPECT_TRUE(bit_equal(got, want));
}

// The int8 and bf16 kernels split the same way: every kernel, every epilogue.
TEST(PackedParallel, Int8AndBf16LayersAreBitIdenticalForOneTwoAndThreeThreads) {
  std::vector<PackedInt8Fn> int8_fns = {packed_int8_ref};
  if (quant::cpu_has_avx512vnni()) int8_fns.push_back(packed_int8_avx512vnni);
  if (quant::cpu_has_avx2()) int8_fns.push_back(packed_int8_avx2);
  std::vector<PackedBf16Fn> bf16_fns = {packed_bf16_ref};
  if (best_packed_bf16() != packed_bf16_ref) bf16_fns.push_back(best_packed_bf16());
  ThreadPool two(2), three(3);
  std::mt19937 rng(10);
  std::uniform_int_distribution<int> q(-127, 127);
  struct Shape {
    int rows, n, k;
  };
  for (const Shape s : {Shape{1, 33, 17}, Shape{5, 96, 40}, Shape{13, 70, 64}, Shape{45, 160, 96}}) {
    auto b = random_vec(s.n, &rng), y0 = random_vec(static_cast<size_t>(s.rows) * s.n, &rng);
    // int8: weights and activations (u8 = q + 128, padded k) at random.
    std::vector<int8_t> w8(static_cast<size_t>(s.n) * s.k);
    for (int8_t& v : w8) v = static_cast<int8_t>(q(rng));
    const PackedInt8 p8 = pack_int8(w8.data(), s.n, s.k, s.k);
    std::vector<uint8_t> x8(static_cast<size_t>(s.rows) * p8.kp, quant::kActivationZero);
    for (int r = 0; r < s.rows; ++r)
      for (int i = 0; i < s.k; ++i) x8[static_cast<size_t>(r) * p8.kp + i] = static_cast<uint8_t>(q(rng) + 128);
    std::vector<float> xs(s.rows, 0.01f), ws(s.n, 0.02f);
    // bf16: float values rounded.
    const auto wf = random_vec(static_cast<size_t>(s.n) * s.k, &rng);
    std::vector<uint16_t> wb(wf.size());
    quant::floats_to_bf16_ref(wf.data(), static_cast<long>(wf.size()), wb.data());
    const PackedBf16 pb = pack_bf16(wb.data(), s.n, s.k, s.k);
    std::vector<uint16_t> xb(static_cast<size_t>(s.rows) * pb.kp, 0);
    for (int r = 0; r < s.rows; ++r) {
      const auto xf = random_vec(s.k, &rng);
      quant::floats_to_bf16_ref(xf.data(), s.k, xb.data() + static_cast<size_t>(r) * pb.kp);
    }
    for (PackedEpilogue e : {PackedEpilogue::kStore, PackedEpilogue::kAccumulate, PackedEpilogue::kGelu}) {
      // fn(c) on one thread, then split over 2 and 3: the same bits.
      auto check = [&](auto fn, auto c, const char* kind) {
        std::vector<float> want = y0;
        c.y = want.data();
        fn(c);
        for (ThreadPool* pool : {&two, &three}) {
          std::vector<float> got = y0;
          c.y = got.data();
          packed_parallel(fn, c, pool, /*min_macs=*/0);
          EXPECT_TRUE(bit_equal(got, want)) << kind << " " << s.rows << "x" << s.n << "x" << s.k
                                            << " threads " << pool->size() << " epilogue " << static_cast<int>(e);
        }
      };
      for (PackedInt8Fn fn : int8_fns)
        check(fn, PackedInt8Call{x8.data(), s.rows, p8.kp, xs.data(), &p8, ws.data(), b.data(), nullptr, s.n, e}, "int8");
      for (PackedBf16Fn fn : bf16_fns)
        check(fn, PackedBf16Call{xb.data(), s.rows, pb.kp, &pb, b.data(), nullptr, s.n, e}, "bf16");
    }
  }
}

TEST(PackedParallel, PanelRangeWritesOnlyItsOutputs) {
  std::mt19937 rng(8);
  const int rows = 3, n = 100, k = 20;
  auto x = random_vec(rows * k, &rng), w = random_vec(n * k, &rng);
  const PackedF32 p = pack_f32(w.data(), n, k, k);
  std::vector<float> y(rows * n, -7.0f);
  PackedCall c{x.data(), rows, k, &p, nullptr, y.data(), n, PackedEpilogue::kStore};
  c.panel_begin = 1;
  c.panel_end = 2;
  best_packed_f32()(c);
  for (int r = 0; r < rows; ++r)
    for (int o = 0; o < n; ++o)
      EXPECT_EQ(y[r * n + o] == -7.0f, o < 32 || o >= 64) << r << " " << o;
}

enum class Precision { kFloat, kInt8, kBf16 };

void check_encoder(const std::string& model, Precision precision = Precision::kFloat) {
  auto ck = read_checkpoint(std::string(FENLEI_TEST_DATA_DIR) + "/hf/" + model);
  ASSERT_TRUE(ck.ok()) << ck.status().to_string();
  const EncoderWeights w = precision == Precision::kInt8   ? quantize_encoder(ck->encoder)
                           : precision == Precision::kBf16 ? bf16_encoder(ck->encoder)
                                                           : pack_encoder(ck->encoder);
  ThreadPool two(2), three(3);
  EncoderScratch s1, s2, s3;
  s2.pool = &two;
  s3.pool = &three;
  for (EncoderScratch* s : {&s1, &s2, &s3}) s->min_parallel_macs = 0;  // split even tiny layers
  std::mt19937 rng(9);
  std::uniform_int_distribution<int32_t> id(0, w.config.vocab_size - 1);
  for (int len : {1, 2, 7, 30, w.config.max_position_embeddings}) {
    std::vector<int32_t> ids(len);
    for (int32_t& i : ids) i = id(rng);
    const auto want = classify_logits(w, ids, nullptr, &s1);
    EXPECT_TRUE(bit_equal(classify_logits(w, ids, nullptr, &s2), want)) << model << " len " << len;
    EXPECT_TRUE(bit_equal(classify_logits(w, ids, nullptr, &s3), want)) << model << " len " << len;
  }
}

TEST(PackedParallel, BertLogitsAreBitIdenticalForOneTwoAndThreeThreads) { check_encoder("bert"); }
TEST(PackedParallel, ElectraLogitsAreBitIdenticalForOneTwoAndThreeThreads) { check_encoder("electra"); }
TEST(PackedParallel, Int8LogitsAreBitIdenticalForOneTwoAndThreeThreads) {
  check_encoder("bert", Precision::kInt8);
  check_encoder("electra", Precision::kInt8);
}
TEST(PackedParallel, Bf16LogitsAreBitIdenticalForOneTwoAndThreeThreads) {
  check_encoder("bert", Precision::kBf16);
  check_encoder("electra", Precision::kBf16);
}

}  // namespace
}  // namespace fenlei::transformer

// Intra-op threads for one text: 1, 2 and 3 threads give bit-identical outputs, for single
// packed layers and for the whole encoder on the committed Hugging Face fixtures.
#include "transformer/packed_parallel.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

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
          packed_f32_parallel(fn, c, pool, /*min_macs=*/0);
          EXPECT_TRUE(bit_equal(got, want)) << s.rows << "x" << s.n << "x" << s.k << " threads "
                                            << pool->size() << " epilogue " << static_cast<int>(e);
        }
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

void check_encoder(const std::string& model) {
  auto ck = read_checkpoint(std::string(FENLEI_TEST_DATA_DIR) + "/hf/" + model);
  ASSERT_TRUE(ck.ok()) << ck.status().to_string();
  const EncoderWeights w = pack_encoder(ck->encoder);
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

}  // namespace
}  // namespace fenlei::transformer

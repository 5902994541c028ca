// int8 row sums: the AVX2 kernel equals the scalar reference bit for bit (dims with and without
// a tail, more rows than one int16 flush, extreme values), and the reference is the definition.
#include "quant/row_sum.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "quant/kernels.h"

namespace fenlei::quant {
namespace {

TEST(SumRowsI8, Avx2EqualsReference) {
  if (!cpu_has_avx2()) GTEST_SKIP() << "no AVX2 on this CPU";
  std::mt19937 rng(5);
  for (int dim : {1, 15, 16, 17, 100, 128, 300}) {
    for (int n : {0, 1, 7, 255, 256, 257, 700}) {
      for (bool extreme : {false, true}) {
        const int rows = 50;
        std::vector<int8_t> table(size_t(rows) * size_t(dim));
        std::uniform_int_distribution<int> v(-127, 127), id(0, rows - 1);
        for (auto& x : table) x = int8_t(extreme ? (v(rng) >= 0 ? 127 : -127) : v(rng));
        if (extreme)  // every row the same sign: the int16 partial sums reach their limit
          for (auto& x : table) x = 127;
        std::vector<int32_t> ids(static_cast<size_t>(n));
        for (auto& x : ids) x = id(rng);
        std::vector<int32_t> ref(size_t(dim), 3), fast(size_t(dim), 3), def(size_t(dim), 3);
        sum_rows_i8_ref(table.data(), dim, ids.data(), n, ref.data());
        sum_rows_i8_avx2(table.data(), dim, ids.data(), n, fast.data());
        for (int t = 0; t < n; ++t)
          for (int d = 0; d < dim; ++d) def[size_t(d)] += table[size_t(ids[size_t(t)]) * size_t(dim) + size_t(d)];
        ASSERT_EQ(ref, def) << "dim " << dim << " n " << n;
        ASSERT_EQ(ref, fast) << "dim " << dim << " n " << n;
      }
    }
  }
}

}  // namespace
}  // namespace fenlei::quant

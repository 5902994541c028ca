// Sums of int8 embedding rows in int32: the int8 fasttext preset's mean-of-embeddings, a gather
// of scattered rows (the bigram table is large, so most rows are cache misses; an int8 row is a
// quarter of the float row's cache lines). Scalar reference and an AVX2 kernel (rows widened to
// int16 and summed 16 lanes at a time, flushed to int32 before int16 could overflow) that equals
// it bit for bit; both prefetch the rows ahead as the float engine does.
#pragma once

#include <cstdint>

namespace fenlei::quant {

// acc[d] += sum_t table[ids[t]*dim + d] for d < dim (acc is not cleared).
void sum_rows_i8_ref(const int8_t* table, int dim, const int32_t* ids, int n, int32_t* acc);
void sum_rows_i8_avx2(const int8_t* table, int dim, const int32_t* ids, int n, int32_t* acc);
// The best of the two for this CPU.
void sum_rows_i8(const int8_t* table, int dim, const int32_t* ids, int n, int32_t* acc);

}  // namespace fenlei::quant

// Code written with AVX-512 intrinsics sits between FENLEI_AVX512_INTRINSICS_BEGIN and
// FENLEI_AVX512_INTRINSICS_END (a file of such kernels: from its first line of code to its last).
//
// Why: GCC 12 reports the _mm512_undefined_*() merge operand inside its own AVX-512 intrinsics
// (_mm512_reduce_add_ps, _mm512_min_ps / _mm512_max_ps, _mm512_shuffle_f32x4,
// _mm512_permute_ps, ...) as uninitialised once they are inlined, a false positive in the
// compiler's headers that -Werror would turn into a failed build. clang has no
// -Wmaybe-uninitialized and no such false positive. One definition here instead of the same five
// pragma lines in every kernel file.
#pragma once

#if defined(__clang__)
#define FENLEI_AVX512_INTRINSICS_BEGIN \
  _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wuninitialized\"")
#else
#define FENLEI_AVX512_INTRINSICS_BEGIN                                                 \
  _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wuninitialized\"") \
      _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")
#endif
#define FENLEI_AVX512_INTRINSICS_END _Pragma("GCC diagnostic pop")

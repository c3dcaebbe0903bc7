/*
 * kernels/avx512/avx512.h — declarations of the avx512 kernels that table_avx512.c lists.
 * Contracts: the matching fields of ptc_ops in include/ptc/ops.h.
 */
#ifndef PTC_KERNELS_AVX512_H
#define PTC_KERNELS_AVX512_H

#include "ptc/ops.h"

/* gemm family */
void ptc_sgemm_avx512(ptc_trans ta, ptc_trans tb, size_t m, size_t n, size_t k, float alpha,
                      const float *a, size_t lda, const float *b, size_t ldb, float beta,
                      float *c, size_t ldc);


/* attention family */


/* row ops family */


/* token ops family */


#endif /* PTC_KERNELS_AVX512_H */

/*
 * kernels/avx2/avx2.h — declarations of the avx2 kernels that table_avx2.c lists.
 * Contracts: the matching fields of ptc_ops in include/ptc/ops.h.
 */
#ifndef PTC_KERNELS_AVX2_H
#define PTC_KERNELS_AVX2_H

#include "ptc/ops.h"

/* gemm family */
void ptc_sgemm_avx2(ptc_trans ta, ptc_trans tb, size_t m, size_t n, size_t k, float alpha,
                    const float *a, size_t lda, const float *b, size_t ldb, float beta,
                    float *c, size_t ldc);


/* attention family */


/* row ops family */


/* token ops family */


#endif /* PTC_KERNELS_AVX2_H */

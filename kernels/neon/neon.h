/*
 * kernels/neon/neon.h — declarations of the neon kernels that table_neon.c lists.
 * Contracts: the matching fields of ptc_ops in include/ptc/ops.h.
 */
#ifndef PTC_KERNELS_NEON_H
#define PTC_KERNELS_NEON_H

#include "ptc/ops.h"

/* gemm family */
void ptc_sgemm_neon(ptc_trans ta, ptc_trans tb, size_t m, size_t n, size_t k, float alpha,
                    const float *a, size_t lda, const float *b, size_t ldb, float beta,
                    float *c, size_t ldc);


/* attention family */


/* row ops family */


/* token ops family */


#endif /* PTC_KERNELS_NEON_H */

/*
 * kernels/ref/gemm_ref.c — reference sgemm: the specification.
 *
 * C (m, n) = alpha * op(A) (m, k) * op(B) (k, n) + beta * C, row-major; see
 * include/ptc/ops.h. One dot product per output element, accumulated in k order
 * in float. Single-threaded; beta == 0 never reads C.
 */
#include "ref.h"

void ptc_sgemm_ref(ptc_trans ta, ptc_trans tb, size_t m, size_t n, size_t k,
                   float alpha, const float *a, size_t lda, const float *b, size_t ldb,
                   float beta, float *c, size_t ldc)
{
    /* element (i, p) of op(A) and (p, j) of op(B) */
    const size_t a_row = ta == PTC_NO_TRANS ? lda : 1, a_col = ta == PTC_NO_TRANS ? 1 : lda;
    const size_t b_row = tb == PTC_NO_TRANS ? ldb : 1, b_col = tb == PTC_NO_TRANS ? 1 : ldb;
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++) {
            float acc = 0.0f;
            if (alpha != 0.0f)
                for (size_t p = 0; p < k; p++)
                    acc += a[i * a_row + p * a_col] * b[p * b_row + j * b_col];
            float *cij = &c[i * ldc + j];
            *cij = beta == 0.0f ? alpha * acc : alpha * acc + beta * *cij;
        }
    }
}

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

/* linear, unfused: the specification of the fused ISA versions (bias copied into
 * every row, sgemm with beta 1, then gelu_fwd row by row) */
void ptc_linear_ref(size_t rows, size_t in, size_t out, const float *x, size_t ldx,
                    const float *w, const float *bias, ptc_act act, float *y, size_t ldy)
{
    if (bias)
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < out; c++)
                y[r * ldy + c] = bias[c];
    ptc_sgemm_ref(PTC_NO_TRANS, PTC_TRANS, rows, out, in, 1.0f, x, ldx, w, in,
                  bias ? 1.0f : 0.0f, y, ldy);
    if (act == PTC_ACT_GELU)
        for (size_t r = 0; r < rows; r++)
            ptc_gelu_fwd_ref(out, y + r * ldy, y + r * ldy);
}

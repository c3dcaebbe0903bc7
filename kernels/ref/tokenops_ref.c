/*
 * kernels/ref/tokenops_ref.c — reference token ops: the specification.
 *
 * The data movement of pruning (gather kept rows, column sums of probabilities)
 * and of token combining (per-token argmax over combination tokens, index-grouped
 * row sums). Contracts: include/ptc/ops.h.
 */
#include "ref.h"

#include <string.h>

void ptc_gather_rows_ref(size_t n_idx, size_t cols, const float *src, size_t lds,
                         const int32_t *rows, float *dst, size_t ldd)
{
    for (size_t i = 0; i < n_idx; i++)
        memcpy(dst + i * ldd, src + (size_t)rows[i] * lds, cols * sizeof(float));
}

void ptc_col_sum_ref(size_t rows, size_t cols, const float *x, size_t ldx, float *out)
{
    for (size_t c = 0; c < cols; c++) {
        float sum = 0.0f;
        for (size_t r = 0; r < rows; r++)
            sum += x[r * ldx + c];
        out[c] = sum;
    }
}

void ptc_col_argmax_ref(size_t rows, size_t cols, const float *x, size_t ldx, int32_t *out)
{
    for (size_t c = 0; c < cols; c++) {
        int32_t best_row = 0;
        float best = x[c];
        for (size_t r = 1; r < rows; r++) {
            const float v = x[r * ldx + c];
            if (v > best || (best != best && v == v)) { /* NaN never wins */
                best = v;
                best_row = (int32_t)r;
            }
        }
        out[c] = best_row;
    }
}

void ptc_segment_sum_rows_ref(size_t n, size_t cols, const float *src, size_t lds,
                              const int32_t *segment, float *dst, size_t ldd)
{
    for (size_t r = 0; r < n; r++) {
        if (segment[r] < 0)
            continue;
        float *d = dst + (size_t)segment[r] * ldd;
        const float *s = src + r * lds;
        for (size_t c = 0; c < cols; c++)
            d[c] += s[c];
    }
}

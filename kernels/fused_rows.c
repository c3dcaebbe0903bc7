/*
 * kernels/fused_rows.c — residual + LayerNorm in one pass (contract: ops.h,
 * residual_layernorm; driver: fused_rows.h).
 *
 * Row by row: s = x + res goes into `sum` when the caller keeps it (training),
 * else into a row buffer that stays in L1/L2 (16 KiB on the stack up to 4096
 * columns, one heap row above), and the table's own layernorm_fwd normalizes that
 * row into y. The add is exact element-wise IEEE addition whatever the ISA, and
 * the normalization is the table's kernel on the same values, so the result is
 * bit-identical to the unfused add then layernorm_fwd. Reads x and res before y
 * is written, so y may equal x or res.
 */
#include "fused_rows.h"

#include <stdio.h>
#include <stdlib.h>

enum { STACK_ROW = 4096 };

void ptc_residual_layernorm_drive(ptc_layernorm_fwd_fn layernorm, size_t rows, size_t cols,
                                  const float *x, size_t ldx, const float *res, size_t ldr,
                                  const float *gamma, const float *beta, float eps, float *y,
                                  size_t ldy, float *sum, size_t lds, float *mean, float *rstd)
{
    if (rows == 0 || cols == 0)
        return;
    float stack_row[STACK_ROW];
    float *heap_row = NULL;
    if (!sum && cols > STACK_ROW) {
        heap_row = malloc(cols * sizeof(float));
        if (!heap_row) {
            fprintf(stderr, "ptc residual_layernorm: out of memory (%zu floats)\n", cols);
            abort();
        }
    }
    for (size_t r = 0; r < rows; r++) {
        float *s = sum ? sum + r * lds : heap_row ? heap_row : stack_row;
        const float *xr = x + r * ldx, *rr = res + r * ldr;
        for (size_t c = 0; c < cols; c++)
            s[c] = xr[c] + rr[c];
        layernorm(1, cols, s, cols, gamma, beta, eps, y + r * ldy, ldy, mean ? mean + r : NULL,
                  rstd ? rstd + r : NULL);
    }
    free(heap_row);
}

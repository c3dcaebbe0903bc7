/*
 * kernels/fused_rows.h — the ISA-free drivers of the fused row epilogues
 * (include/ptc/ops.h, "fused epilogues"): an ISA's table entry is a one-line
 * wrapper passing its own row kernel, so every table computes the fused op with
 * exactly the arithmetic of its unfused kernels.
 */
#ifndef PTC_KERNELS_FUSED_ROWS_H
#define PTC_KERNELS_FUSED_ROWS_H

#include "ptc/ops.h"

#include <stddef.h>

typedef void (*ptc_layernorm_fwd_fn)(size_t rows, size_t cols, const float *x, size_t ldx,
                                     const float *gamma, const float *beta, float eps,
                                     float *y, size_t ldy, float *mean, float *rstd);

/* residual_layernorm of ops.h with `layernorm` as the table's layernorm_fwd.
 * x, res, y, sum: (rows, cols) with leading dimensions ldx, ldr, ldy, lds. */
void ptc_residual_layernorm_drive(ptc_layernorm_fwd_fn layernorm, size_t rows, size_t cols,
                                  const float *x, size_t ldx, const float *res, size_t ldr,
                                  const float *gamma, const float *beta, float eps, float *y,
                                  size_t ldy, float *sum, size_t lds, float *mean, float *rstd);

#endif /* PTC_KERNELS_FUSED_ROWS_H */

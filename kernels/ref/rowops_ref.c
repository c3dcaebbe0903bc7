/*
 * kernels/ref/rowops_ref.c — reference row and element-wise ops: the specification.
 *
 * softmax over rows with an optional additive column bias, LayerNorm forward and
 * backward (biased variance, statistics accumulated in double), GELU in its erf
 * form, libm's expf/erff/tanhf element-wise, and dropout's hashed mask. Contracts:
 * include/ptc/ops.h.
 */
#include "../fused_rows.h"
#include "ref.h"

#include <math.h>

void ptc_softmax_rows_ref(size_t rows, size_t cols, const float *x, size_t ldx,
                          const float *bias, float *y, size_t ldy)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        float *yr = y + r * ldy;
        float max = -INFINITY;
        for (size_t c = 0; c < cols; c++) {
            const float v = xr[c] + (bias ? bias[c] : 0.0f);
            if (v > max)
                max = v;
        }
        if (max == -INFINITY) { /* fully masked row */
            for (size_t c = 0; c < cols; c++)
                yr[c] = 0.0f;
            continue;
        }
        float sum = 0.0f;
        for (size_t c = 0; c < cols; c++) {
            const float e = expf(xr[c] + (bias ? bias[c] : 0.0f) - max);
            yr[c] = e;
            sum += e;
        }
        const float inv = 1.0f / sum;
        for (size_t c = 0; c < cols; c++)
            yr[c] *= inv;
    }
}

void ptc_layernorm_fwd_ref(size_t rows, size_t cols, const float *x, size_t ldx,
                           const float *gamma, const float *beta, float eps,
                           float *y, size_t ldy, float *mean, float *rstd)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        double sum = 0.0, sq = 0.0;
        for (size_t c = 0; c < cols; c++)
            sum += xr[c];
        const double mu = sum / (double)cols;
        for (size_t c = 0; c < cols; c++)
            sq += (xr[c] - mu) * (xr[c] - mu);
        const float rs = (float)(1.0 / sqrt(sq / (double)cols + eps));
        const float m = (float)mu;
        float *yr = y + r * ldy;
        for (size_t c = 0; c < cols; c++)
            yr[c] = (xr[c] - m) * rs * gamma[c] + beta[c];
        if (mean)
            mean[r] = m;
        if (rstd)
            rstd[r] = rs;
    }
}

void ptc_layernorm_bwd_ref(size_t rows, size_t cols, const float *dy, size_t lddy,
                           const float *x, size_t ldx, const float *gamma,
                           const float *mean, const float *rstd,
                           float *dx, size_t lddx, float *dgamma, float *dbeta)
{
    for (size_t r = 0; r < rows; r++) {
        const float *dyr = dy + r * lddy, *xr = x + r * ldx;
        const float m = mean[r], rs = rstd[r];
        /* dxhat = dy * gamma; dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) */
        double sum_dxhat = 0.0, sum_dxhat_xhat = 0.0;
        for (size_t c = 0; c < cols; c++) {
            const float xhat = (xr[c] - m) * rs;
            const float dxhat = dyr[c] * gamma[c];
            sum_dxhat += dxhat;
            sum_dxhat_xhat += dxhat * xhat;
            if (dgamma)
                dgamma[c] += dyr[c] * xhat;
            if (dbeta)
                dbeta[c] += dyr[c];
        }
        const float mean_dxhat = (float)(sum_dxhat / (double)cols);
        const float mean_dxhat_xhat = (float)(sum_dxhat_xhat / (double)cols);
        float *dxr = dx + r * lddx;
        for (size_t c = 0; c < cols; c++) {
            const float xhat = (xr[c] - m) * rs;
            dxr[c] = rs * (dyr[c] * gamma[c] - mean_dxhat - xhat * mean_dxhat_xhat);
        }
    }
}

void ptc_gelu_fwd_ref(size_t n, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * (float)M_SQRT1_2));
}

void ptc_gelu_bwd_ref(size_t n, const float *x, const float *dy, float *dx)
{
    /* gelu'(x) = Phi(x) + x * phi(x), Phi(x) = 0.5 (1 + erf(x / sqrt 2)), phi = N(0,1) pdf */
    const float inv_sqrt_2pi = 0.3989422804014327f;
    for (size_t i = 0; i < n; i++) {
        const float cdf = 0.5f * (1.0f + erff(x[i] * (float)M_SQRT1_2));
        const float pdf = inv_sqrt_2pi * expf(-0.5f * x[i] * x[i]);
        dx[i] = dy[i] * (cdf + x[i] * pdf);
    }
}

void ptc_gelu_fwd_bwd_ref(size_t n, const float *x, const float *dy, float *y, float *dx)
{
    ptc_gelu_fwd_ref(n, x, y);
    ptc_gelu_bwd_ref(n, x, dy, dx);
}

void ptc_vexp_ref(size_t n, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = expf(x[i]);
}

void ptc_verf_ref(size_t n, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = erff(x[i]);
}

void ptc_vtanh_ref(size_t n, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = tanhf(x[i]);
}

void ptc_dropout_rows_ref(size_t rows, size_t cols, float *x, size_t ldx, uint64_t prefix,
                          uint64_t first, uint64_t bound, float keep_scale)
{
    for (size_t r = 0; r < rows; r++) {
        float *xr = x + r * ldx;
        const uint64_t row_first = first + r * cols;
        for (size_t c = 0; c < cols; c++)
            xr[c] = ptc_dropout_draw(prefix, row_first + c) < bound ? 0.0f : xr[c] * keep_scale;
    }
}

/* residual_layernorm: x + res, then this table's layernorm_fwd (kernels/fused_rows.c) */
void ptc_residual_layernorm_ref(size_t rows, size_t cols, const float *x, size_t ldx,
                                  const float *res, size_t ldr, const float *gamma,
                                  const float *beta, float eps, float *y, size_t ldy,
                                  float *sum, size_t lds, float *mean, float *rstd)
{
    ptc_residual_layernorm_drive(ptc_layernorm_fwd_ref, rows, cols, x, ldx, res, ldr, gamma,
                                 beta, eps, y, ldy, sum, lds, mean, rstd);
}

/*
 * kernels/neon/rowops_neon.c — row and element-wise ops on AArch64 Advanced SIMD.
 *
 * Contract: the row-op fields of ptc_ops (include/ptc/ops.h); the spec is
 * kernels/ref/rowops_ref.c. Row-major, leading dimensions >= cols, y may equal x.
 *
 * Over-read policy: none. Rows are walked in 4-float vectors; NEON has no masked
 * loads, so the last 1..3 elements are copied into a 4-float stack vector padded
 * with 0 (or -INFINITY where a max/exp needs them to vanish), go through the
 * same vector code and SLEEF call as the body, and only the valid lanes are
 * copied back. Horizontal reductions: vaddvq_f32 / vmaxvq_f32 / vaddvq_f64.
 *
 * Math: SLEEF's 1.0-ulp vector functions (Sleef_expf4_u10advsimd,
 * Sleef_erff4_u10advsimd, Sleef_tanhf4_u10advsimd); GELU and its derivative from
 * one expf and a polynomial (kernels/gelu_erfc.h), not from erff. LayerNorm statistics are
 * accumulated in double like the spec. Differences from ref: lane-wise
 * summation order, FMA, SLEEF vs libm.
 *
 * Threading: single-threaded, no allocation.
 */
#include "../fused_rows.h"
#include "../gelu_erfc.h"
#include "neon.h"

#include <arm_neon.h>
#include <math.h>
#include <sleef.h>
#include <string.h>

#if !defined(__aarch64__) || !defined(__ARM_NEON)
#error "kernels/neon/ is for aarch64 with Advanced SIMD"
#endif

enum { W = 4 }; /* floats per float32x4_t */

/* the first n (< 4) floats of p in a vector, the other lanes `pad` */
static inline float32x4_t load_partial(const float *p, size_t n, float pad)
{
    float buf[W] = {pad, pad, pad, pad};
    memcpy(buf, p, n * sizeof(float));
    return vld1q_f32(buf);
}

/* stores the first n (< 4) lanes of v to p */
static inline void store_partial(float *p, size_t n, float32x4_t v)
{
    float buf[W];
    vst1q_f32(buf, v);
    memcpy(p, buf, n * sizeof(float));
}

/* adds the 4 floats of v, widened to double, into acc */
static inline float64x2_t add_widened(float64x2_t acc, float32x4_t v)
{
    acc = vaddq_f64(acc, vcvt_f64_f32(vget_low_f32(v)));
    return vaddq_f64(acc, vcvt_high_f64_f32(v));
}

/* ---- softmax ------------------------------------------------------------------ */

/* x + bias for the first n lanes (n <= 4), -INFINITY in the rest */
static inline float32x4_t load_logits(const float *x, const float *bias, size_t n)
{
    if (n == W)
        return bias ? vaddq_f32(vld1q_f32(x), vld1q_f32(bias)) : vld1q_f32(x);
    float32x4_t v = load_partial(x, n, -INFINITY);
    if (bias) /* -inf + 0 stays -inf in the padding */
        v = vaddq_f32(v, load_partial(bias, n, 0.0f));
    return v;
}

/* x, y: (rows, cols); bias: (cols) or NULL */
void ptc_softmax_rows_neon(size_t rows, size_t cols, const float *x, size_t ldx,
                           const float *bias, float *y, size_t ldy)
{
    const size_t body = cols / W * W, rest = cols - body;
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        float *yr = y + r * ldy;

        /* max over x + bias; vmaxnmq ignores a NaN operand (the ref's `v > max`
         * never lets NaN win either) */
        float32x4_t vmax = vdupq_n_f32(-INFINITY);
        for (size_t c = 0; c < body; c += W)
            vmax = vmaxnmq_f32(vmax, load_logits(xr + c, bias ? bias + c : NULL, W));
        if (rest)
            vmax = vmaxnmq_f32(vmax, load_logits(xr + body, bias ? bias + body : NULL, rest));
        const float max = vmaxnmvq_f32(vmax);

        if (max == -INFINITY) { /* fully masked row (or cols == 0) */
            memset(yr, 0, cols * sizeof(float));
            continue;
        }

        /* e = exp(x + bias - max) into y, summed; padding lanes are exp(-inf) = 0 */
        const float32x4_t vmax_b = vdupq_n_f32(max);
        float32x4_t vsum = vdupq_n_f32(0.0f);
        for (size_t c = 0; c < body; c += W) {
            const float32x4_t e = Sleef_expf4_u10advsimd(
                vsubq_f32(load_logits(xr + c, bias ? bias + c : NULL, W), vmax_b));
            vst1q_f32(yr + c, e);
            vsum = vaddq_f32(vsum, e);
        }
        if (rest) {
            const float32x4_t e = Sleef_expf4_u10advsimd(
                vsubq_f32(load_logits(xr + body, bias ? bias + body : NULL, rest), vmax_b));
            store_partial(yr + body, rest, e);
            vsum = vaddq_f32(vsum, e);
        }

        const float inv = 1.0f / vaddvq_f32(vsum);
        for (size_t c = 0; c < body; c += W)
            vst1q_f32(yr + c, vmulq_n_f32(vld1q_f32(yr + c), inv));
        for (size_t c = body; c < cols; c++)
            yr[c] *= inv; /* the same single rounding as the vector multiply */
    }
}

/* ---- layernorm ----------------------------------------------------------------- */

/* x, y: (rows, cols); gamma, beta: (cols); mean, rstd: (rows) or NULL */
void ptc_layernorm_fwd_neon(size_t rows, size_t cols, const float *x, size_t ldx,
                            const float *gamma, const float *beta, float eps,
                            float *y, size_t ldy, float *mean, float *rstd)
{
    const size_t body = cols / W * W, rest = cols - body;
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        float *yr = y + r * ldy;

        /* mean, in double; padding lanes are 0 */
        float64x2_t s = vdupq_n_f64(0.0);
        for (size_t c = 0; c < body; c += W)
            s = add_widened(s, vld1q_f32(xr + c));
        if (rest)
            s = add_widened(s, load_partial(xr + body, rest, 0.0f));
        const double mu = vaddvq_f64(s) / (double)cols;

        /* biased variance, in double, around the double mean */
        const float64x2_t vmu = vdupq_n_f64(mu);
        float64x2_t q0 = vdupq_n_f64(0.0), q1 = vdupq_n_f64(0.0);
        for (size_t c = 0; c < body; c += W) {
            const float32x4_t v = vld1q_f32(xr + c);
            const float64x2_t d0 = vsubq_f64(vcvt_f64_f32(vget_low_f32(v)), vmu);
            const float64x2_t d1 = vsubq_f64(vcvt_high_f64_f32(v), vmu);
            q0 = vfmaq_f64(q0, d0, d0);
            q1 = vfmaq_f64(q1, d1, d1);
        }
        double tail_sq = 0.0; /* the same double arithmetic, one lane at a time */
        for (size_t c = body; c < cols; c++) {
            const double d = (double)xr[c] - mu;
            tail_sq = fma(d, d, tail_sq);
        }
        const double var = (vaddvq_f64(vaddq_f64(q0, q1)) + tail_sq) / (double)cols;
        const float rs = (float)(1.0 / sqrt(var + eps));
        const float mf = (float)mu;

        /* y = (x - mean) * rstd * gamma + beta */
        const float32x4_t vm = vdupq_n_f32(mf);
        for (size_t c = 0; c < body; c += W) {
            const float32x4_t xhat = vmulq_n_f32(vsubq_f32(vld1q_f32(xr + c), vm), rs);
            vst1q_f32(yr + c, vfmaq_f32(vld1q_f32(beta + c), xhat, vld1q_f32(gamma + c)));
        }
        if (rest) {
            const float32x4_t xhat =
                vmulq_n_f32(vsubq_f32(load_partial(xr + body, rest, 0.0f), vm), rs);
            store_partial(yr + body, rest,
                          vfmaq_f32(load_partial(beta + body, rest, 0.0f), xhat,
                                    load_partial(gamma + body, rest, 0.0f)));
        }
        if (mean)
            mean[r] = mf;
        if (rstd)
            rstd[r] = rs;
    }
}

/* dy, x, dx: (rows, cols); gamma, dgamma, dbeta: (cols); mean, rstd: (rows) */
void ptc_layernorm_bwd_neon(size_t rows, size_t cols, const float *dy, size_t lddy,
                            const float *x, size_t ldx, const float *gamma,
                            const float *mean, const float *rstd,
                            float *dx, size_t lddx, float *dgamma, float *dbeta)
{
    for (size_t r = 0; r < rows; r++) {
        const float *dyr = dy + r * lddy, *xr = x + r * ldx;
        float *dxr = dx + r * lddx;
        const float32x4_t vm = vdupq_n_f32(mean[r]);
        const float rs = rstd[r];

        /* sum(dxhat), sum(dxhat * xhat) in double (products rounded to float as in
         * the spec), dgamma/dbeta accumulated; padding lanes have dy = gamma = 0 */
        float64x2_t s_dxhat = vdupq_n_f64(0.0), s_dxhat_xhat = vdupq_n_f64(0.0);
        for (size_t c = 0; c < cols; c += W) {
            const size_t n = cols - c < W ? cols - c : W;
            const float32x4_t vdy = n == W ? vld1q_f32(dyr + c) : load_partial(dyr + c, n, 0.0f);
            const float32x4_t vx = n == W ? vld1q_f32(xr + c) : load_partial(xr + c, n, 0.0f);
            const float32x4_t vg = n == W ? vld1q_f32(gamma + c) : load_partial(gamma + c, n, 0.0f);
            const float32x4_t xhat = vmulq_n_f32(vsubq_f32(vx, vm), rs);
            const float32x4_t dxhat = vmulq_f32(vdy, vg);
            s_dxhat = add_widened(s_dxhat, dxhat);
            s_dxhat_xhat = add_widened(s_dxhat_xhat, vmulq_f32(dxhat, xhat));
            if (dgamma) {
                const float32x4_t g = n == W ? vld1q_f32(dgamma + c) : load_partial(dgamma + c, n, 0.0f);
                const float32x4_t v = vfmaq_f32(g, vdy, xhat);
                if (n == W)
                    vst1q_f32(dgamma + c, v);
                else
                    store_partial(dgamma + c, n, v);
            }
            if (dbeta) {
                const float32x4_t b = n == W ? vld1q_f32(dbeta + c) : load_partial(dbeta + c, n, 0.0f);
                const float32x4_t v = vaddq_f32(b, vdy);
                if (n == W)
                    vst1q_f32(dbeta + c, v);
                else
                    store_partial(dbeta + c, n, v);
            }
        }
        const float32x4_t mean_dxhat = vdupq_n_f32((float)(vaddvq_f64(s_dxhat) / (double)cols));
        const float32x4_t mean_dxhat_xhat =
            vdupq_n_f32((float)(vaddvq_f64(s_dxhat_xhat) / (double)cols));

        /* dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) */
        for (size_t c = 0; c < cols; c += W) {
            const size_t n = cols - c < W ? cols - c : W;
            const float32x4_t vdy = n == W ? vld1q_f32(dyr + c) : load_partial(dyr + c, n, 0.0f);
            const float32x4_t vx = n == W ? vld1q_f32(xr + c) : load_partial(xr + c, n, 0.0f);
            const float32x4_t vg = n == W ? vld1q_f32(gamma + c) : load_partial(gamma + c, n, 0.0f);
            const float32x4_t xhat = vmulq_n_f32(vsubq_f32(vx, vm), rs);
            const float32x4_t t =
                vfmsq_f32(vsubq_f32(vmulq_f32(vdy, vg), mean_dxhat), xhat, mean_dxhat_xhat);
            const float32x4_t v = vmulq_n_f32(t, rs);
            if (n == W)
                vst1q_f32(dxr + c, v);
            else
                store_partial(dxr + c, n, v);
        }
    }
}

/* ---- element-wise ----------------------------------------------------------------- */

/* GELU's parts (kernels/gelu_erfc.h): *e = exp(-x^2 / 2) and the return value
 * 1 + erf(x / sqrt 2), from erfc(|x| / sqrt 2) = e R(t) */
static inline float32x4_t gelu_one_plus_erf4(float32x4_t x, float32x4_t *e)
{
    const float32x4_t z = vmulq_n_f32(vabsq_f32(x), PTC_GELU_SQRT1_2);
    const float32x4_t t =
        vdivq_f32(vdupq_n_f32(1.0f), vfmaq_n_f32(vdupq_n_f32(1.0f), z, PTC_GELU_P));
    float32x4_t r = vfmaq_n_f32(vdupq_n_f32(PTC_GELU_C8), t, PTC_GELU_C9);
    r = vfmaq_f32(vdupq_n_f32(PTC_GELU_C7), r, t);
    r = vfmaq_f32(vdupq_n_f32(PTC_GELU_C6), r, t);
    r = vfmaq_f32(vdupq_n_f32(PTC_GELU_C5), r, t);
    r = vfmaq_f32(vdupq_n_f32(PTC_GELU_C4), r, t);
    r = vfmaq_f32(vdupq_n_f32(PTC_GELU_C3), r, t);
    r = vfmaq_f32(vdupq_n_f32(PTC_GELU_C2), r, t);
    r = vfmaq_f32(vdupq_n_f32(PTC_GELU_C1), r, t);
    r = vfmaq_f32(vdupq_n_f32(PTC_GELU_C0), r, t);
    *e = Sleef_expf4_u10advsimd(vmulq_n_f32(vmulq_f32(x, x), -0.5f));
    const float32x4_t erfc = vmulq_f32(*e, r);
    const uint32x4_t nonneg = vcgeq_f32(x, vdupq_n_f32(0.0f));
    return vbslq_f32(nonneg, vsubq_f32(vdupq_n_f32(2.0f), erfc), erfc);
}

/* gelu(x) = x / 2 (1 + erf(x / sqrt 2)) */
static inline float32x4_t gelu4(float32x4_t x)
{
    float32x4_t e;
    const float32x4_t s = gelu_one_plus_erf4(x, &e);
    return vmulq_f32(vmulq_n_f32(x, 0.5f), s);
}

/* gelu'(x) = Phi(x) + x * phi(x) */
static inline float32x4_t gelu_grad4(float32x4_t x)
{
    float32x4_t e;
    const float32x4_t cdf = vmulq_n_f32(gelu_one_plus_erf4(x, &e), 0.5f);
    return vfmaq_f32(cdf, x, vmulq_n_f32(e, PTC_GELU_INV_SQRT_2PI));
}

/* y[i] = f(x[i]) for i < n; the tail is f on a zero-padded stack vector */
__attribute__((always_inline)) static inline void map_neon(size_t n, const float *x, float *y,
                                                           float32x4_t (*f)(float32x4_t))
{
    size_t i = 0;
    for (; i + W <= n; i += W)
        vst1q_f32(y + i, f(vld1q_f32(x + i)));
    if (i < n)
        store_partial(y + i, n - i, f(load_partial(x + i, n - i, 0.0f)));
}

/* x, y: (n) */
void ptc_gelu_fwd_neon(size_t n, const float *x, float *y) { map_neon(n, x, y, gelu4); }
void ptc_vexp_neon(size_t n, const float *x, float *y) { map_neon(n, x, y, Sleef_expf4_u10advsimd); }
void ptc_verf_neon(size_t n, const float *x, float *y) { map_neon(n, x, y, Sleef_erff4_u10advsimd); }
void ptc_vtanh_neon(size_t n, const float *x, float *y) { map_neon(n, x, y, Sleef_tanhf4_u10advsimd); }

/* x, dy, dx: (n) */
void ptc_gelu_bwd_neon(size_t n, const float *x, const float *dy, float *dx)
{
    size_t i = 0;
    for (; i + W <= n; i += W)
        vst1q_f32(dx + i, vmulq_f32(vld1q_f32(dy + i), gelu_grad4(vld1q_f32(x + i))));
    if (i < n)
        store_partial(dx + i, n - i,
                      vmulq_f32(load_partial(dy + i, n - i, 0.0f),
                                gelu_grad4(load_partial(x + i, n - i, 0.0f))));
}

/* x, dy, y, dx: (n). gelu4 and gelu_grad4 inline the same gelu_one_plus_erf4 of the
 * same x: the compiler computes it once; the bits are those of the two ops. */
void ptc_gelu_fwd_bwd_neon(size_t n, const float *x, const float *dy, float *y, float *dx)
{
    size_t i = 0;
    for (; i + W <= n; i += W) {
        const float32x4_t v = vld1q_f32(x + i), d = vld1q_f32(dy + i);
        vst1q_f32(y + i, gelu4(v));
        vst1q_f32(dx + i, vmulq_f32(d, gelu_grad4(v)));
    }
    if (i < n) {
        const float32x4_t v = load_partial(x + i, n - i, 0.0f);
        const float32x4_t d = load_partial(dy + i, n - i, 0.0f);
        store_partial(y + i, n - i, gelu4(v));
        store_partial(dx + i, n - i, vmulq_f32(d, gelu_grad4(v)));
    }
}

/* residual_layernorm: x + res, then this table's layernorm_fwd (kernels/fused_rows.c) */
void ptc_residual_layernorm_neon(size_t rows, size_t cols, const float *x, size_t ldx,
                                  const float *res, size_t ldr, const float *gamma,
                                  const float *beta, float eps, float *y, size_t ldy,
                                  float *sum, size_t lds, float *mean, float *rstd)
{
    ptc_residual_layernorm_drive(ptc_layernorm_fwd_neon, rows, cols, x, ldx, res, ldr, gamma,
                                 beta, eps, y, ldy, sum, lds, mean, rstd);
}

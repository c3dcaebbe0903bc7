/*
 * kernels/avx512/rowops_avx512.c — row and element-wise ops on AVX-512 (F, DQ).
 *
 * Contract: the row-op fields of ptc_ops (include/ptc/ops.h); the spec is
 * kernels/ref/rowops_ref.c. Row-major, leading dimensions >= cols, y may equal x.
 *
 * Over-read policy: none. Rows are walked in 16-float vectors; the last partial
 * vector is a masked load/store (__mmask16), which never touches memory past n:
 * there is no scalar leftover loop. Masked-off lanes are 0, or -INFINITY where a
 * max/exp needs them to vanish, and go through the same SLEEF call as the body.
 * Horizontal sums and maxima use the in-register reductions
 * (_mm512_reduce_add_ps/_pd, _mm512_reduce_max_ps).
 *
 * Math: SLEEF's 1.0-ulp vector functions (Sleef_expf16_u10avx512f,
 * Sleef_erff16_u10avx512f, Sleef_tanhf16_u10avx512f); GELU and its derivative from
 * one expf and a polynomial (kernels/gelu_erfc.h), not from erff. LayerNorm statistics are
 * accumulated in double like the spec (two 8-double halves per vector).
 * Differences from ref: lane-wise summation order, FMA, SLEEF vs libm.
 *
 * Threading: single-threaded, no allocation.
 */
#include "../fused_rows.h"
#include "../gelu_erfc.h"
#include "avx512.h"
#include "../ref/ref.h" /* the scalar dropout_rows, for the last cols % 16 */

#include <immintrin.h>
#include <math.h>
#include <sleef.h>

#if !defined(__AVX512F__) || !defined(__AVX512DQ__) || !defined(__AVX512BW__) || !defined(__AVX512VL__)
#error "kernels/avx512/ must be compiled with -mavx512f -mavx512dq -mavx512bw -mavx512vl"
#endif

enum { W = 16 }; /* floats per __m512 */

/* lanes 0..n-1 set; 0 <= n <= 16 */
static inline __mmask16 tail_mask(size_t n)
{
    return (__mmask16)((1u << n) - 1u);
}

/* ---- softmax ------------------------------------------------------------------ */

/* x + bias in the lanes of m, -INFINITY in the others (no memory touched there) */
static inline __m512 load_logits(const float *x, const float *bias, __mmask16 m)
{
    const __m512 minus_inf = _mm512_set1_ps(-INFINITY);
    __m512 v = _mm512_mask_loadu_ps(minus_inf, m, x);
    if (bias)
        v = _mm512_mask_add_ps(minus_inf, m, v, _mm512_maskz_loadu_ps(m, bias));
    return v;
}

/* x, y: (rows, cols); bias: (cols) or NULL */
void ptc_softmax_rows_avx512(size_t rows, size_t cols, const float *x, size_t ldx,
                             const float *bias, float *y, size_t ldy)
{
    const size_t body = cols / W * W;
    const __mmask16 all = 0xFFFF, m = tail_mask(cols - body);
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        float *yr = y + r * ldy;

        /* max over x + bias; max_ps returns its second operand when the first is
         * NaN, so NaN never becomes the max (the ref's `v > max`) */
        __m512 vmax = _mm512_set1_ps(-INFINITY);
        for (size_t c = 0; c < body; c += W)
            vmax = _mm512_max_ps(load_logits(xr + c, bias ? bias + c : NULL, all), vmax);
        if (m)
            vmax = _mm512_max_ps(load_logits(xr + body, bias ? bias + body : NULL, m), vmax);
        const float max = _mm512_reduce_max_ps(vmax);

        if (max == -INFINITY) { /* fully masked row (or cols == 0) */
            for (size_t c = 0; c < body; c += W)
                _mm512_storeu_ps(yr + c, _mm512_setzero_ps());
            _mm512_mask_storeu_ps(yr + body, m, _mm512_setzero_ps());
            continue;
        }

        /* e = exp(x + bias - max) into y, summed; masked-off lanes are exp(-inf) = 0 */
        const __m512 vmax_b = _mm512_set1_ps(max);
        __m512 vsum = _mm512_setzero_ps();
        for (size_t c = 0; c < body; c += W) {
            const __m512 e = Sleef_expf16_u10avx512f(
                _mm512_sub_ps(load_logits(xr + c, bias ? bias + c : NULL, all), vmax_b));
            _mm512_storeu_ps(yr + c, e);
            vsum = _mm512_add_ps(vsum, e);
        }
        if (m) {
            const __m512 e = Sleef_expf16_u10avx512f(
                _mm512_sub_ps(load_logits(xr + body, bias ? bias + body : NULL, m), vmax_b));
            _mm512_mask_storeu_ps(yr + body, m, e);
            vsum = _mm512_add_ps(vsum, e);
        }

        const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(vsum));
        for (size_t c = 0; c < body; c += W)
            _mm512_storeu_ps(yr + c, _mm512_mul_ps(_mm512_loadu_ps(yr + c), inv));
        _mm512_mask_storeu_ps(yr + body, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, yr + body), inv));
    }
}

/* ---- layernorm ----------------------------------------------------------------- */

/* the 16 floats of x under m, as two 8-double halves (masked-off lanes 0) */
static inline void load_widened(const float *x, __mmask16 m, __m512d *lo, __m512d *hi)
{
    const __m512 v = _mm512_maskz_loadu_ps(m, x);
    *lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
    *hi = _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1));
}

/* x, y: (rows, cols); gamma, beta: (cols); mean, rstd: (rows) or NULL */
void ptc_layernorm_fwd_avx512(size_t rows, size_t cols, const float *x, size_t ldx,
                              const float *gamma, const float *beta, float eps,
                              float *y, size_t ldy, float *mean, float *rstd)
{
    const size_t body = cols / W * W;
    const __mmask16 all = 0xFFFF, m = tail_mask(cols - body);
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        float *yr = y + r * ldy;
        __m512d lo, hi;

        /* mean, in double */
        __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
        for (size_t c = 0; c < body; c += W) {
            load_widened(xr + c, all, &lo, &hi);
            s0 = _mm512_add_pd(s0, lo);
            s1 = _mm512_add_pd(s1, hi);
        }
        load_widened(xr + body, m, &lo, &hi);
        s0 = _mm512_add_pd(s0, lo);
        s1 = _mm512_add_pd(s1, hi);
        const double mu = _mm512_reduce_add_pd(_mm512_add_pd(s0, s1)) / (double)cols;

        /* biased variance, in double, around the double mean */
        const __m512d vmu = _mm512_set1_pd(mu);
        __m512d q0 = _mm512_setzero_pd(), q1 = _mm512_setzero_pd();
        for (size_t c = 0; c < body; c += W) {
            load_widened(xr + c, all, &lo, &hi);
            const __m512d d0 = _mm512_sub_pd(lo, vmu), d1 = _mm512_sub_pd(hi, vmu);
            q0 = _mm512_fmadd_pd(d0, d0, q0);
            q1 = _mm512_fmadd_pd(d1, d1, q1);
        }
        if (m) { /* masked-off lanes must add 0, not mu^2 */
            load_widened(xr + body, m, &lo, &hi);
            const __m512d d0 = _mm512_maskz_sub_pd((__mmask8)m, lo, vmu);
            const __m512d d1 = _mm512_maskz_sub_pd((__mmask8)(m >> 8), hi, vmu);
            q0 = _mm512_fmadd_pd(d0, d0, q0);
            q1 = _mm512_fmadd_pd(d1, d1, q1);
        }
        const double var = _mm512_reduce_add_pd(_mm512_add_pd(q0, q1)) / (double)cols;
        const float rs = (float)(1.0 / sqrt(var + eps));
        const float mf = (float)mu;

        /* y = (x - mean) * rstd * gamma + beta */
        const __m512 vm = _mm512_set1_ps(mf), vrs = _mm512_set1_ps(rs);
        for (size_t c = 0; c < body; c += W) {
            const __m512 xhat = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(xr + c), vm), vrs);
            _mm512_storeu_ps(yr + c, _mm512_fmadd_ps(xhat, _mm512_loadu_ps(gamma + c),
                                                     _mm512_loadu_ps(beta + c)));
        }
        if (m) {
            const __m512 xhat =
                _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, xr + body), vm), vrs);
            _mm512_mask_storeu_ps(yr + body, m,
                                  _mm512_fmadd_ps(xhat, _mm512_maskz_loadu_ps(m, gamma + body),
                                                  _mm512_maskz_loadu_ps(m, beta + body)));
        }
        if (mean)
            mean[r] = mf;
        if (rstd)
            rstd[r] = rs;
    }
}

/* adds the 16 floats of v, widened to double, into acc */
static inline __m512d add_widened(__m512d acc, __m512 v)
{
    acc = _mm512_add_pd(acc, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
    return _mm512_add_pd(acc, _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)));
}

/* One vector (lanes of m) of the first backward pass: accumulates sum(dxhat),
 * sum(dxhat*xhat) (products rounded to float as in the spec, then widened) and
 * dgamma/dbeta (read-modify-write under the mask). */
static inline void layernorm_bwd_sums(const float *dy, const float *x, const float *g,
                                      float *dgamma, float *dbeta, __mmask16 m, __m512 vm,
                                      __m512 vrs, __m512d *s_dxhat, __m512d *s_dxhat_xhat)
{
    const __m512 vdy = _mm512_maskz_loadu_ps(m, dy);
    const __m512 xhat = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x), vm), vrs);
    const __m512 dxhat = _mm512_mul_ps(vdy, _mm512_maskz_loadu_ps(m, g)); /* 0 off m */
    *s_dxhat = add_widened(*s_dxhat, dxhat);
    *s_dxhat_xhat = add_widened(*s_dxhat_xhat, _mm512_mul_ps(dxhat, xhat));
    if (dgamma)
        _mm512_mask_storeu_ps(dgamma, m,
                              _mm512_fmadd_ps(vdy, xhat, _mm512_maskz_loadu_ps(m, dgamma)));
    if (dbeta)
        _mm512_mask_storeu_ps(dbeta, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, dbeta), vdy));
}

/* dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), lanes of m */
static inline void layernorm_bwd_dx(const float *dy, const float *x, const float *g, float *dx,
                                    __mmask16 m, __m512 vm, __m512 vrs, __m512 mean_dxhat,
                                    __m512 mean_dxhat_xhat)
{
    const __m512 xhat = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x), vm), vrs);
    const __m512 dxhat = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, dy), _mm512_maskz_loadu_ps(m, g));
    const __m512 t = _mm512_fnmadd_ps(xhat, mean_dxhat_xhat, _mm512_sub_ps(dxhat, mean_dxhat));
    _mm512_mask_storeu_ps(dx, m, _mm512_mul_ps(vrs, t));
}

/* dy, x, dx: (rows, cols); gamma, dgamma, dbeta: (cols); mean, rstd: (rows) */
void ptc_layernorm_bwd_avx512(size_t rows, size_t cols, const float *dy, size_t lddy,
                              const float *x, size_t ldx, const float *gamma,
                              const float *mean, const float *rstd,
                              float *dx, size_t lddx, float *dgamma, float *dbeta)
{
    const size_t body = cols / W * W;
    const __mmask16 all = 0xFFFF, m = tail_mask(cols - body);
    for (size_t r = 0; r < rows; r++) {
        const float *dyr = dy + r * lddy, *xr = x + r * ldx;
        float *dxr = dx + r * lddx;
        const __m512 vm = _mm512_set1_ps(mean[r]), vrs = _mm512_set1_ps(rstd[r]);

        __m512d s_dxhat = _mm512_setzero_pd(), s_dxhat_xhat = _mm512_setzero_pd();
        for (size_t c = 0; c < body; c += W)
            layernorm_bwd_sums(dyr + c, xr + c, gamma + c, dgamma ? dgamma + c : NULL,
                               dbeta ? dbeta + c : NULL, all, vm, vrs, &s_dxhat, &s_dxhat_xhat);
        if (m)
            layernorm_bwd_sums(dyr + body, xr + body, gamma + body,
                               dgamma ? dgamma + body : NULL, dbeta ? dbeta + body : NULL, m,
                               vm, vrs, &s_dxhat, &s_dxhat_xhat);
        const __m512 mean_dxhat =
            _mm512_set1_ps((float)(_mm512_reduce_add_pd(s_dxhat) / (double)cols));
        const __m512 mean_dxhat_xhat =
            _mm512_set1_ps((float)(_mm512_reduce_add_pd(s_dxhat_xhat) / (double)cols));

        for (size_t c = 0; c < body; c += W)
            layernorm_bwd_dx(dyr + c, xr + c, gamma + c, dxr + c, all, vm, vrs, mean_dxhat,
                             mean_dxhat_xhat);
        if (m)
            layernorm_bwd_dx(dyr + body, xr + body, gamma + body, dxr + body, m, vm, vrs,
                             mean_dxhat, mean_dxhat_xhat);
    }
}

/* ---- element-wise ----------------------------------------------------------------- */

/* GELU's parts (kernels/gelu_erfc.h): *e = exp(-x^2 / 2) and the return value
 * 1 + erf(x / sqrt 2), from erfc(|x| / sqrt 2) = e R(t) */
static inline __m512 gelu_one_plus_erf16(__m512 x, __m512 *e)
{
    const __m512 z = _mm512_mul_ps(_mm512_abs_ps(x), _mm512_set1_ps(PTC_GELU_SQRT1_2));
    const __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f),
                                   _mm512_fmadd_ps(_mm512_set1_ps(PTC_GELU_P), z, _mm512_set1_ps(1.0f)));
    __m512 r = _mm512_fmadd_ps(_mm512_set1_ps(PTC_GELU_C9), t, _mm512_set1_ps(PTC_GELU_C8));
    r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(PTC_GELU_C7));
    r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(PTC_GELU_C6));
    r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(PTC_GELU_C5));
    r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(PTC_GELU_C4));
    r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(PTC_GELU_C3));
    r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(PTC_GELU_C2));
    r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(PTC_GELU_C1));
    r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(PTC_GELU_C0));
    *e = Sleef_expf16_u10avx512f(_mm512_mul_ps(_mm512_mul_ps(x, x), _mm512_set1_ps(-0.5f)));
    const __m512 erfc = _mm512_mul_ps(*e, r);
    const __mmask16 nonneg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ);
    return _mm512_mask_sub_ps(erfc, nonneg, _mm512_set1_ps(2.0f), erfc);
}

/* gelu(x) = x / 2 (1 + erf(x / sqrt 2)) */
static inline __m512 gelu16(__m512 x)
{
    __m512 e;
    const __m512 s = gelu_one_plus_erf16(x, &e);
    return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x), s);
}

/* gelu'(x) = Phi(x) + x * phi(x) */
static inline __m512 gelu_grad16(__m512 x)
{
    __m512 e;
    const __m512 cdf = _mm512_mul_ps(_mm512_set1_ps(0.5f), gelu_one_plus_erf16(x, &e));
    const __m512 pdf = _mm512_mul_ps(_mm512_set1_ps(PTC_GELU_INV_SQRT_2PI), e);
    return _mm512_fmadd_ps(x, pdf, cdf);
}

/* y[i] = f(x[i]) for i < n; the tail is f on a masked (zero-filled) vector */
__attribute__((always_inline)) static inline void map_avx512(size_t n, const float *x, float *y,
                                                             __m512 (*f)(__m512))
{
    size_t i = 0;
    for (; i + W <= n; i += W)
        _mm512_storeu_ps(y + i, f(_mm512_loadu_ps(x + i)));
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        _mm512_mask_storeu_ps(y + i, m, f(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

/* x, y: (n) */
void ptc_gelu_fwd_avx512(size_t n, const float *x, float *y) { map_avx512(n, x, y, gelu16); }
void ptc_vexp_avx512(size_t n, const float *x, float *y)
{
    map_avx512(n, x, y, Sleef_expf16_u10avx512f);
}
void ptc_verf_avx512(size_t n, const float *x, float *y)
{
    map_avx512(n, x, y, Sleef_erff16_u10avx512f);
}
void ptc_vtanh_avx512(size_t n, const float *x, float *y)
{
    map_avx512(n, x, y, Sleef_tanhf16_u10avx512f);
}

/* x, dy, dx: (n) */
void ptc_gelu_bwd_avx512(size_t n, const float *x, const float *dy, float *dx)
{
    size_t i = 0;
    for (; i + W <= n; i += W)
        _mm512_storeu_ps(dx + i, _mm512_mul_ps(_mm512_loadu_ps(dy + i),
                                               gelu_grad16(_mm512_loadu_ps(x + i))));
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        _mm512_mask_storeu_ps(dx + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, dy + i),
                                                       gelu_grad16(_mm512_maskz_loadu_ps(m, x + i))));
    }
}

/* x, dy, y, dx: (n). gelu16 and gelu_grad16 inline the same gelu_one_plus_erf16 of
 * the same x: the compiler computes it once; the bits are those of the two ops. */
void ptc_gelu_fwd_bwd_avx512(size_t n, const float *x, const float *dy, float *y, float *dx)
{
    size_t i = 0;
    for (; i + W <= n; i += W) {
        const __m512 v = _mm512_loadu_ps(x + i), d = _mm512_loadu_ps(dy + i);
        _mm512_storeu_ps(y + i, gelu16(v));
        _mm512_storeu_ps(dx + i, _mm512_mul_ps(d, gelu_grad16(v)));
    }
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        const __m512 v = _mm512_maskz_loadu_ps(m, x + i), d = _mm512_maskz_loadu_ps(m, dy + i);
        _mm512_mask_storeu_ps(y + i, m, gelu16(v));
        _mm512_mask_storeu_ps(dx + i, m, _mm512_mul_ps(d, gelu_grad16(v)));
    }
}

/* residual_layernorm: x + res, then this table's layernorm_fwd (kernels/fused_rows.c) */
void ptc_residual_layernorm_avx512(size_t rows, size_t cols, const float *x, size_t ldx,
                                  const float *res, size_t ldr, const float *gamma,
                                  const float *beta, float eps, float *y, size_t ldy,
                                  float *sum, size_t lds, float *mean, float *rstd)
{
    ptc_residual_layernorm_drive(ptc_layernorm_fwd_avx512, rows, cols, x, ldx, res, ldr, gamma,
                                 beta, eps, y, ldy, sum, lds, mean, rstd);
}

/* ---- dropout_rows: the hash of ptc_dropout_draw, eight 64-bit lanes at a time ---- */

/* ptc_mix64 per lane (AVX512DQ's 64-bit multiply) */
static inline __m512i mix64_avx512(__m512i z)
{
    const __m512i c1 = _mm512_set1_epi64((long long)PTC_MIX64_C1);
    const __m512i c2 = _mm512_set1_epi64((long long)PTC_MIX64_C2);
    z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)), c1);
    z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)), c2);
    return _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
}

/* x: (rows, cols) in rows of ldx. Sixteen elements per step: lanes A hold elements
 * 0..7, B 8..15; index * PTC_DROPOUT_INDEX_MUL advances by 16 times it per step.
 * The last cols % 16 elements: the ref kernel. */
void ptc_dropout_rows_avx512(size_t rows, size_t cols, float *x, size_t ldx, uint64_t prefix,
                             uint64_t first, uint64_t bound, float keep_scale)
{
    const uint64_t M = PTC_DROPOUT_INDEX_MUL;
    const __m512i pre = _mm512_set1_epi64((long long)prefix);
    const __m512i bnd = _mm512_set1_epi64((long long)bound);
    const __m512i step = _mm512_set1_epi64((long long)(16 * M));
    const __m512i lane = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    const __m512 scale = _mm512_set1_ps(keep_scale);
    for (size_t r = 0; r < rows; r++) {
        float *xr = x + r * ldx;
        const uint64_t i0 = first + r * cols;
        __m512i ta = _mm512_mullo_epi64(_mm512_add_epi64(_mm512_set1_epi64((long long)i0), lane),
                                        _mm512_set1_epi64((long long)M));
        __m512i tb = _mm512_add_epi64(ta, _mm512_set1_epi64((long long)(8 * M)));
        size_t c = 0;
        for (; c + 16 <= cols; c += 16) {
            const __m512i ka = _mm512_srli_epi64(mix64_avx512(_mm512_xor_si512(pre, ta)),
                                                 PTC_DROPOUT_DRAW_SHIFT);
            const __m512i kb = _mm512_srli_epi64(mix64_avx512(_mm512_xor_si512(pre, tb)),
                                                 PTC_DROPOUT_DRAW_SHIFT);
            const __mmask16 drop = (__mmask16)(_mm512_cmplt_epu64_mask(ka, bnd) |
                                               ((unsigned)_mm512_cmplt_epu64_mask(kb, bnd) << 8));
            _mm512_storeu_ps(xr + c, _mm512_maskz_mul_ps((__mmask16)~drop,
                                                         _mm512_loadu_ps(xr + c), scale));
            ta = _mm512_add_epi64(ta, step);
            tb = _mm512_add_epi64(tb, step);
        }
        ptc_dropout_rows_ref(1, cols - c, xr + c, ldx, prefix, i0 + c, bound, keep_scale);
    }
}

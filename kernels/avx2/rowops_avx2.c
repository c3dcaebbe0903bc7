/*
 * kernels/avx2/rowops_avx2.c — row and element-wise ops on AVX2 + FMA.
 *
 * Contract: the row-op fields of ptc_ops (include/ptc/ops.h); the spec is
 * kernels/ref/rowops_ref.c. Row-major, leading dimensions >= cols, y may equal x.
 *
 * Over-read policy: none. Every row is walked in 8-float vectors; the last
 * partial vector uses _mm256_maskload_ps / _mm256_maskstore_ps, which neither
 * read nor write the lanes past n (no fault, no guard-zone touch). Inactive
 * lanes hold 0 (or -INFINITY where a max/exp needs them to vanish), so the tail
 * goes through the same SLEEF call and the same arithmetic as the body.
 *
 * Math: SLEEF's 1.0-ulp vector functions (Sleef_expf8_u10avx2, Sleef_erff8_u10avx2,
 * Sleef_tanhf8_u10avx2); GELU and its derivative from one expf and a polynomial
 * (kernels/gelu_erfc.h), not from erff. LayerNorm statistics are accumulated in
 * double like the spec (two 4-double accumulators per vector). Differences from ref: lane-wise
 * summation order (softmax sum, LayerNorm sums), FMA contraction, SLEEF vs libm.
 *
 * Threading: single-threaded, no allocation.
 */
#include "../fused_rows.h"
#include "../gelu_erfc.h"
#include "avx2.h"
#include "../ref/ref.h" /* the scalar dropout_rows, for the last cols % 8 */

#include <immintrin.h>
#include <math.h>
#include <sleef.h>

#if !defined(__AVX2__) || !defined(__FMA__)
#error "kernels/avx2/ must be compiled with -mavx2 -mfma"
#endif

enum { W = 8 }; /* floats per __m256 */

/* lanes 0..n-1 all-ones, the rest zero; 0 < n < 8 */
static inline __m256i tail_mask(size_t n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* the same mask widened to the four 64-bit lanes of the first (half == 0) or
 * second (half == 1) group of four floats */
static inline __m256d tail_mask_pd(__m256i m, int half)
{
    const __m128i m32 = half ? _mm256_extracti128_si256(m, 1) : _mm256_castsi256_si128(m);
    return _mm256_castsi256_pd(_mm256_cvtepi32_epi64(m32));
}

static inline float hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float hmax(__m256 v)
{
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline double hsum_pd(__m256d v)
{
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
    return _mm_cvtsd_f64(s);
}

/* adds the 8 floats of v, widened to double, into acc */
static inline __m256d add_widened(__m256d acc, __m256 v)
{
    acc = _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    return _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

/* ---- softmax ------------------------------------------------------------------ */

/* x + bias over lanes selected by m; -INFINITY in the other lanes */
static inline __m256 load_logits_tail(const float *x, const float *bias, __m256i m)
{
    __m256 v = _mm256_maskload_ps(x, m);
    if (bias)
        v = _mm256_add_ps(v, _mm256_maskload_ps(bias, m));
    return _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), v, _mm256_castsi256_ps(m));
}

/* x, y: (rows, cols); bias: (cols) or NULL */
void ptc_softmax_rows_avx2(size_t rows, size_t cols, const float *x, size_t ldx,
                           const float *bias, float *y, size_t ldy)
{
    const size_t body = cols / W * W;
    const __m256i m = tail_mask(cols - body); /* used only when cols > body */
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        float *yr = y + r * ldy;

        /* max over x + bias; NaN never replaces the running max (max_ps returns
         * its second operand when the first is NaN), as in the ref's `v > max` */
        __m256 vmax = _mm256_set1_ps(-INFINITY);
        for (size_t c = 0; c < body; c += W) {
            __m256 v = _mm256_loadu_ps(xr + c);
            if (bias)
                v = _mm256_add_ps(v, _mm256_loadu_ps(bias + c));
            vmax = _mm256_max_ps(v, vmax);
        }
        if (body < cols)
            vmax = _mm256_max_ps(load_logits_tail(xr + body, bias ? bias + body : NULL, m), vmax);
        const float max = hmax(vmax);

        if (max == -INFINITY) { /* fully masked row (or cols == 0) */
            for (size_t c = 0; c < body; c += W)
                _mm256_storeu_ps(yr + c, _mm256_setzero_ps());
            if (body < cols)
                _mm256_maskstore_ps(yr + body, m, _mm256_setzero_ps());
            continue;
        }

        /* e = exp(x + bias - max), stored into y, summed */
        const __m256 vmax_b = _mm256_set1_ps(max);
        __m256 vsum = _mm256_setzero_ps();
        for (size_t c = 0; c < body; c += W) {
            __m256 v = _mm256_loadu_ps(xr + c);
            if (bias)
                v = _mm256_add_ps(v, _mm256_loadu_ps(bias + c));
            const __m256 e = Sleef_expf8_u10avx2(_mm256_sub_ps(v, vmax_b));
            _mm256_storeu_ps(yr + c, e);
            vsum = _mm256_add_ps(vsum, e);
        }
        if (body < cols) { /* inactive lanes: exp(-inf - max) = 0 */
            const __m256 v = load_logits_tail(xr + body, bias ? bias + body : NULL, m);
            const __m256 e = Sleef_expf8_u10avx2(_mm256_sub_ps(v, vmax_b));
            _mm256_maskstore_ps(yr + body, m, e);
            vsum = _mm256_add_ps(vsum, e);
        }

        const __m256 inv = _mm256_set1_ps(1.0f / hsum(vsum));
        for (size_t c = 0; c < body; c += W)
            _mm256_storeu_ps(yr + c, _mm256_mul_ps(_mm256_loadu_ps(yr + c), inv));
        if (body < cols)
            _mm256_maskstore_ps(yr + body, m,
                                _mm256_mul_ps(_mm256_maskload_ps(yr + body, m), inv));
    }
}

/* ---- layernorm ----------------------------------------------------------------- */

/* x, y: (rows, cols); gamma, beta: (cols); mean, rstd: (rows) or NULL */
void ptc_layernorm_fwd_avx2(size_t rows, size_t cols, const float *x, size_t ldx,
                            const float *gamma, const float *beta, float eps,
                            float *y, size_t ldy, float *mean, float *rstd)
{
    const size_t body = cols / W * W;
    const __m256i m = tail_mask(cols - body);
    const __m256d m_lo = tail_mask_pd(m, 0), m_hi = tail_mask_pd(m, 1);
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        float *yr = y + r * ldy;

        /* mean, in double; masked-out lanes load as 0 */
        __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
        size_t c = 0;
        for (; c + 2 * W <= body; c += 2 * W) {
            s0 = add_widened(s0, _mm256_loadu_ps(xr + c));
            s1 = add_widened(s1, _mm256_loadu_ps(xr + c + W));
        }
        for (; c < body; c += W)
            s0 = add_widened(s0, _mm256_loadu_ps(xr + c));
        if (body < cols)
            s1 = add_widened(s1, _mm256_maskload_ps(xr + body, m));
        const double mu = hsum_pd(_mm256_add_pd(s0, s1)) / (double)cols;

        /* biased variance, in double, around the double mean */
        const __m256d vmu = _mm256_set1_pd(mu);
        __m256d q0 = _mm256_setzero_pd(), q1 = _mm256_setzero_pd();
        for (c = 0; c < body; c += W) {
            const __m256 v = _mm256_loadu_ps(xr + c);
            const __m256d d0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), vmu);
            const __m256d d1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), vmu);
            q0 = _mm256_fmadd_pd(d0, d0, q0);
            q1 = _mm256_fmadd_pd(d1, d1, q1);
        }
        if (body < cols) {
            const __m256 v = _mm256_maskload_ps(xr + body, m);
            const __m256d d0 = _mm256_and_pd(
                m_lo, _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), vmu));
            const __m256d d1 = _mm256_and_pd(
                m_hi, _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), vmu));
            q0 = _mm256_fmadd_pd(d0, d0, q0);
            q1 = _mm256_fmadd_pd(d1, d1, q1);
        }
        const double var = hsum_pd(_mm256_add_pd(q0, q1)) / (double)cols;
        const float rs = (float)(1.0 / sqrt(var + eps));
        const float mf = (float)mu;

        /* y = (x - mean) * rstd * gamma + beta */
        const __m256 vm = _mm256_set1_ps(mf), vrs = _mm256_set1_ps(rs);
        for (c = 0; c < body; c += W) {
            const __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + c), vm), vrs);
            _mm256_storeu_ps(yr + c, _mm256_fmadd_ps(xhat, _mm256_loadu_ps(gamma + c),
                                                     _mm256_loadu_ps(beta + c)));
        }
        if (body < cols) {
            const __m256 xhat =
                _mm256_mul_ps(_mm256_sub_ps(_mm256_maskload_ps(xr + body, m), vm), vrs);
            _mm256_maskstore_ps(yr + body, m,
                                _mm256_fmadd_ps(xhat, _mm256_maskload_ps(gamma + body, m),
                                                _mm256_maskload_ps(beta + body, m)));
        }
        if (mean)
            mean[r] = mf;
        if (rstd)
            rstd[r] = rs;
    }
}

/* One vector of the first backward pass: accumulates sum(dxhat), sum(dxhat*xhat)
 * (products rounded to float as in the spec, then widened) and dgamma/dbeta. */
static inline void layernorm_bwd_sums(__m256 dy, __m256 x, __m256 g, __m256 vm, __m256 vrs,
                                      __m256d *s_dxhat, __m256d *s_dxhat_xhat,
                                      __m256 *dgamma, __m256 *dbeta)
{
    const __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(x, vm), vrs);
    const __m256 dxhat = _mm256_mul_ps(dy, g);
    *s_dxhat = add_widened(*s_dxhat, dxhat);
    *s_dxhat_xhat = add_widened(*s_dxhat_xhat, _mm256_mul_ps(dxhat, xhat));
    *dgamma = _mm256_fmadd_ps(dy, xhat, *dgamma);
    *dbeta = _mm256_add_ps(*dbeta, dy);
}

/* dy, x, dx: (rows, cols); gamma, dgamma, dbeta: (cols); mean, rstd: (rows) */
void ptc_layernorm_bwd_avx2(size_t rows, size_t cols, const float *dy, size_t lddy,
                            const float *x, size_t ldx, const float *gamma,
                            const float *mean, const float *rstd,
                            float *dx, size_t lddx, float *dgamma, float *dbeta)
{
    const size_t body = cols / W * W;
    const __m256i m = tail_mask(cols - body);
    for (size_t r = 0; r < rows; r++) {
        const float *dyr = dy + r * lddy, *xr = x + r * ldx;
        const __m256 vm = _mm256_set1_ps(mean[r]), vrs = _mm256_set1_ps(rstd[r]);

        __m256d s_dxhat = _mm256_setzero_pd(), s_dxhat_xhat = _mm256_setzero_pd();
        for (size_t c = 0; c < body; c += W) {
            __m256 dg = dgamma ? _mm256_loadu_ps(dgamma + c) : _mm256_setzero_ps();
            __m256 db = dbeta ? _mm256_loadu_ps(dbeta + c) : _mm256_setzero_ps();
            layernorm_bwd_sums(_mm256_loadu_ps(dyr + c), _mm256_loadu_ps(xr + c),
                               _mm256_loadu_ps(gamma + c), vm, vrs, &s_dxhat, &s_dxhat_xhat,
                               &dg, &db);
            if (dgamma)
                _mm256_storeu_ps(dgamma + c, dg);
            if (dbeta)
                _mm256_storeu_ps(dbeta + c, db);
        }
        if (body < cols) { /* inactive lanes: dy = gamma = 0, so they add 0 */
            __m256 dg = dgamma ? _mm256_maskload_ps(dgamma + body, m) : _mm256_setzero_ps();
            __m256 db = dbeta ? _mm256_maskload_ps(dbeta + body, m) : _mm256_setzero_ps();
            layernorm_bwd_sums(_mm256_maskload_ps(dyr + body, m),
                               _mm256_maskload_ps(xr + body, m),
                               _mm256_maskload_ps(gamma + body, m), vm, vrs, &s_dxhat,
                               &s_dxhat_xhat, &dg, &db);
            if (dgamma)
                _mm256_maskstore_ps(dgamma + body, m, dg);
            if (dbeta)
                _mm256_maskstore_ps(dbeta + body, m, db);
        }
        const __m256 mean_dxhat = _mm256_set1_ps((float)(hsum_pd(s_dxhat) / (double)cols));
        const __m256 mean_dxhat_xhat =
            _mm256_set1_ps((float)(hsum_pd(s_dxhat_xhat) / (double)cols));

        /* dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) */
        float *dxr = dx + r * lddx;
        for (size_t c = 0; c < body; c += W) {
            const __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + c), vm), vrs);
            const __m256 dxhat = _mm256_mul_ps(_mm256_loadu_ps(dyr + c), _mm256_loadu_ps(gamma + c));
            const __m256 t = _mm256_fnmadd_ps(xhat, mean_dxhat_xhat,
                                              _mm256_sub_ps(dxhat, mean_dxhat));
            _mm256_storeu_ps(dxr + c, _mm256_mul_ps(vrs, t));
        }
        if (body < cols) {
            const __m256 xhat =
                _mm256_mul_ps(_mm256_sub_ps(_mm256_maskload_ps(xr + body, m), vm), vrs);
            const __m256 dxhat = _mm256_mul_ps(_mm256_maskload_ps(dyr + body, m),
                                               _mm256_maskload_ps(gamma + body, m));
            const __m256 t = _mm256_fnmadd_ps(xhat, mean_dxhat_xhat,
                                              _mm256_sub_ps(dxhat, mean_dxhat));
            _mm256_maskstore_ps(dxr + body, m, _mm256_mul_ps(vrs, t));
        }
    }
}

/* ---- element-wise ----------------------------------------------------------------- */

/* GELU's parts (kernels/gelu_erfc.h): *e = exp(-x^2 / 2) and the return value
 * 1 + erf(x / sqrt 2), from erfc(|x| / sqrt 2) = e R(t) */
static inline __m256 gelu_one_plus_erf8(__m256 x, __m256 *e)
{
    const __m256 z = _mm256_mul_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), x),
                                   _mm256_set1_ps(PTC_GELU_SQRT1_2));
    const __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f),
                                   _mm256_fmadd_ps(_mm256_set1_ps(PTC_GELU_P), z, _mm256_set1_ps(1.0f)));
    __m256 r = _mm256_fmadd_ps(_mm256_set1_ps(PTC_GELU_C9), t, _mm256_set1_ps(PTC_GELU_C8));
    r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(PTC_GELU_C7));
    r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(PTC_GELU_C6));
    r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(PTC_GELU_C5));
    r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(PTC_GELU_C4));
    r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(PTC_GELU_C3));
    r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(PTC_GELU_C2));
    r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(PTC_GELU_C1));
    r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(PTC_GELU_C0));
    *e = Sleef_expf8_u10avx2(_mm256_mul_ps(_mm256_mul_ps(x, x), _mm256_set1_ps(-0.5f)));
    const __m256 erfc = _mm256_mul_ps(*e, r);
    const __m256 nonneg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
    return _mm256_blendv_ps(erfc, _mm256_sub_ps(_mm256_set1_ps(2.0f), erfc), nonneg);
}

/* gelu(x) = x / 2 (1 + erf(x / sqrt 2)) */
static inline __m256 gelu8(__m256 x)
{
    __m256 e;
    const __m256 s = gelu_one_plus_erf8(x, &e);
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), s);
}

/* gelu'(x) = Phi(x) + x * phi(x) */
static inline __m256 gelu_grad8(__m256 x)
{
    __m256 e;
    const __m256 cdf = _mm256_mul_ps(_mm256_set1_ps(0.5f), gelu_one_plus_erf8(x, &e));
    const __m256 pdf = _mm256_mul_ps(_mm256_set1_ps(PTC_GELU_INV_SQRT_2PI), e);
    return _mm256_fmadd_ps(x, pdf, cdf);
}

/* y[i] = f(x[i]) for i < n; the tail goes through f on a zero-filled vector */
__attribute__((always_inline)) static inline void map_avx2(size_t n, const float *x, float *y,
                                                           __m256 (*f)(__m256))
{
    size_t i = 0;
    for (; i + W <= n; i += W)
        _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i)));
    if (i < n) {
        const __m256i m = tail_mask(n - i);
        _mm256_maskstore_ps(y + i, m, f(_mm256_maskload_ps(x + i, m)));
    }
}

/* x, y: (n) */
void ptc_gelu_fwd_avx2(size_t n, const float *x, float *y) { map_avx2(n, x, y, gelu8); }
void ptc_vexp_avx2(size_t n, const float *x, float *y) { map_avx2(n, x, y, Sleef_expf8_u10avx2); }
void ptc_verf_avx2(size_t n, const float *x, float *y) { map_avx2(n, x, y, Sleef_erff8_u10avx2); }
void ptc_vtanh_avx2(size_t n, const float *x, float *y) { map_avx2(n, x, y, Sleef_tanhf8_u10avx2); }

/* x, dy, dx: (n) */
void ptc_gelu_bwd_avx2(size_t n, const float *x, const float *dy, float *dx)
{
    size_t i = 0;
    for (; i + W <= n; i += W)
        _mm256_storeu_ps(dx + i, _mm256_mul_ps(_mm256_loadu_ps(dy + i),
                                               gelu_grad8(_mm256_loadu_ps(x + i))));
    if (i < n) {
        const __m256i m = tail_mask(n - i);
        _mm256_maskstore_ps(dx + i, m, _mm256_mul_ps(_mm256_maskload_ps(dy + i, m),
                                                     gelu_grad8(_mm256_maskload_ps(x + i, m))));
    }
}

/* x, dy, y, dx: (n). gelu8 and gelu_grad8 inline the same gelu_one_plus_erf8 of the
 * same x: the compiler computes it once; the bits are those of the two ops. */
void ptc_gelu_fwd_bwd_avx2(size_t n, const float *x, const float *dy, float *y, float *dx)
{
    size_t i = 0;
    for (; i + W <= n; i += W) {
        const __m256 v = _mm256_loadu_ps(x + i), d = _mm256_loadu_ps(dy + i);
        _mm256_storeu_ps(y + i, gelu8(v));
        _mm256_storeu_ps(dx + i, _mm256_mul_ps(d, gelu_grad8(v)));
    }
    if (i < n) {
        const __m256i m = tail_mask(n - i);
        const __m256 v = _mm256_maskload_ps(x + i, m), d = _mm256_maskload_ps(dy + i, m);
        _mm256_maskstore_ps(y + i, m, gelu8(v));
        _mm256_maskstore_ps(dx + i, m, _mm256_mul_ps(d, gelu_grad8(v)));
    }
}

/* residual_layernorm: x + res, then this table's layernorm_fwd (kernels/fused_rows.c) */
void ptc_residual_layernorm_avx2(size_t rows, size_t cols, const float *x, size_t ldx,
                                  const float *res, size_t ldr, const float *gamma,
                                  const float *beta, float eps, float *y, size_t ldy,
                                  float *sum, size_t lds, float *mean, float *rstd)
{
    ptc_residual_layernorm_drive(ptc_layernorm_fwd_avx2, rows, cols, x, ldx, res, ldr, gamma,
                                 beta, eps, y, ldy, sum, lds, mean, rstd);
}

/* ---- dropout_rows: the hash of ptc_dropout_draw, four 64-bit lanes at a time ---- */

/* a * k mod 2^64 per 64-bit lane from 32-bit multiplies (AVX2 has no 64-bit one):
 * lo(a) lo(k) + ((hi(a) lo(k) + lo(a) hi(k)) << 32); k_lo, k_hi: k and k >> 32 */
static inline __m256i mul64_avx2(__m256i a, __m256i k_lo, __m256i k_hi)
{
    const __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(a, 32), k_lo),
                                           _mm256_mul_epu32(a, k_hi));
    return _mm256_add_epi64(_mm256_mul_epu32(a, k_lo), _mm256_slli_epi64(cross, 32));
}

/* ptc_mix64 per lane */
static inline __m256i mix64_avx2(__m256i z)
{
    const __m256i c1 = _mm256_set1_epi64x((long long)PTC_MIX64_C1);
    const __m256i c1_hi = _mm256_set1_epi64x((long long)(PTC_MIX64_C1 >> 32));
    const __m256i c2 = _mm256_set1_epi64x((long long)PTC_MIX64_C2);
    const __m256i c2_hi = _mm256_set1_epi64x((long long)(PTC_MIX64_C2 >> 32));
    z = mul64_avx2(_mm256_xor_si256(z, _mm256_srli_epi64(z, 30)), c1, c1_hi);
    z = mul64_avx2(_mm256_xor_si256(z, _mm256_srli_epi64(z, 27)), c2, c2_hi);
    return _mm256_xor_si256(z, _mm256_srli_epi64(z, 31));
}

/* x: (rows, cols) in rows of ldx. Eight elements per step: lanes A hold the indices
 * of elements {0, 1, 4, 5}, B of {2, 3, 6, 7}, so one shuffle of the two masks' low
 * dwords lines them up as elements 0..7; index * PTC_DROPOUT_INDEX_MUL advances by
 * 8 times it per step. The last cols % 8 elements: the ref kernel. */
void ptc_dropout_rows_avx2(size_t rows, size_t cols, float *x, size_t ldx, uint64_t prefix,
                           uint64_t first, uint64_t bound, float keep_scale)
{
    const uint64_t M = PTC_DROPOUT_INDEX_MUL;
    const __m256i pre = _mm256_set1_epi64x((long long)prefix);
    const __m256i bnd = _mm256_set1_epi64x((long long)bound); /* bound <= 2^53: signed compare */
    const __m256i step = _mm256_set1_epi64x((long long)(8 * M));
    const __m256 scale = _mm256_set1_ps(keep_scale);
    for (size_t r = 0; r < rows; r++) {
        float *xr = x + r * ldx;
        const uint64_t i0 = first + r * cols;
        __m256i ta = _mm256_set_epi64x((long long)((i0 + 5) * M), (long long)((i0 + 4) * M),
                                       (long long)((i0 + 1) * M), (long long)(i0 * M));
        __m256i tb = _mm256_set_epi64x((long long)((i0 + 7) * M), (long long)((i0 + 6) * M),
                                       (long long)((i0 + 3) * M), (long long)((i0 + 2) * M));
        size_t c = 0;
        for (; c + 8 <= cols; c += 8) {
            const __m256i ka = _mm256_srli_epi64(mix64_avx2(_mm256_xor_si256(pre, ta)),
                                                 PTC_DROPOUT_DRAW_SHIFT);
            const __m256i kb = _mm256_srli_epi64(mix64_avx2(_mm256_xor_si256(pre, tb)),
                                                 PTC_DROPOUT_DRAW_SHIFT);
            const __m256 drop = _mm256_shuffle_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi64(bnd, ka)),
                                                  _mm256_castsi256_ps(_mm256_cmpgt_epi64(bnd, kb)),
                                                  _MM_SHUFFLE(2, 0, 2, 0));
            _mm256_storeu_ps(xr + c, _mm256_andnot_ps(drop, _mm256_mul_ps(_mm256_loadu_ps(xr + c),
                                                                          scale)));
            ta = _mm256_add_epi64(ta, step);
            tb = _mm256_add_epi64(tb, step);
        }
        ptc_dropout_rows_ref(1, cols - c, xr + c, ldx, prefix, i0 + c, bound, keep_scale);
    }
}

/*
 * kernels/avx2/attention_avx2.h — the pieces of the AVX2 attention kernels that the
 * forward (attention_avx2.c) and the backward (attention_backward_avx2.c) share:
 * block sizes, exp, horizontal sum, and the "queries in lanes" dot-product
 * micro-kernel (scores, and dP in the backward) with its table for the ISA-free
 * drivers (kernels/attention_driver.h; the packing of query blocks is theirs). Design notes: the header comment of attention_avx2.c.
 */
#ifndef PTC_KERNELS_AVX2_ATTENTION_AVX2_H
#define PTC_KERNELS_AVX2_ATTENTION_AVX2_H

#include "../attention_driver.h"

#include <immintrin.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#if !defined(__AVX2__) || !defined(__FMA__)
#error "kernels/avx2/ must be compiled with -mavx2 -mfma"
#endif

enum {
    QB = 16,                  /* query rows per block (2 ymm) */
    KR = 6,                   /* keys per score micro-kernel */
    CR = 6,                   /* head-dim columns per P x V micro-kernel */
    TILE = 96,                /* active keys per tile of the forward (a multiple of KR; 48
                               * measured 2% slower on Zen 3: the P x V accumulators are
                               * loaded, rescaled and stored once per tile) */
    DMAX = 256,               /* head-dim columns held in qt / ot at once */
};

_Static_assert(QB <= PTC_ATTN_QB_MAX && DMAX <= PTC_ATTN_DMAX_MAX, "the drivers' buffers");
_Static_assert(TILE <= PTC_ATTN_TILE_MAX && TILE % KR == 0, "tiles of whole micro-kernels");

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* n = round(x / ln2) as a float; *t = 1.5 * 2^23 + n holds n in the low bits of its
 * float (adding 1.5 * 2^23 rounds to an integer there). Needs |x| well below 2^22. */
ALWAYS_INLINE __m256 round_over_ln2_avx2(__m256 x, __m256 *t)
{
    const __m256 magic = _mm256_set1_ps(12582912.0f);
    *t = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), magic);
    return _mm256_sub_ps(*t, magic);
}

/* exp(r) of the range reduction x = n ln2 + r, |r| <= ln2/2, n = round(x / ln2):
 * two-constant ln2, degree-7 polynomial (Cephes expf coefficients); *t as
 * round_over_ln2_avx2 leaves it. */
ALWAYS_INLINE __m256 exp_reduced_avx2(__m256 x, __m256 *t)
{
    const __m256 n = round_over_ln2_avx2(x, t);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 y = _mm256_set1_ps(1.9875691500e-4f);
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.3981999507e-3f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(8.3334519073e-3f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(4.1665795894e-2f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.6666665459e-1f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(5.0000001201e-1f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.0f));
    return _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.0f));
}

/* exp(x) for 8 floats: max 7.4e-8 relative error for -87.33 <= x <= 88;
 * x < -87.33 (and -INFINITY) gives 0, x > 88 is clamped to 88. */
ALWAYS_INLINE __m256 exp_avx2(__m256 x)
{
    const __m256 lo = _mm256_set1_ps(-87.336544f), hi = _mm256_set1_ps(88.0f);
    const __m256 underflow = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
    x = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
    __m256 t;
    __m256 y = exp_reduced_avx2(x, &t);
    /* 2^n: the low bits of t hold n (mod 2^9), and n + 127 is in [1, 254] */
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_castps_si256(t),
                                                         _mm256_set1_epi32(127)), 23);
    y = _mm256_mul_ps(y, _mm256_castsi256_ps(e));
    return _mm256_andnot_ps(underflow, y);
}

/* exp(x) for 8 floats x <= 0 (the online softmax's s - max, whose largest term is
 * 1 and whose sum is >= 1), cheaper than exp_avx2: no upper clamp, no underflow
 * mask, 2^n added into the exponent field by an integer add; one-constant ln2
 * (r = x - n ln2 rounded once: its error grows with n) and a degree-6 polynomial
 * (near-minimax relative error 1.9e-9 on |r| <= ln2/2: scripts/fit_exp_softmax.py
 * derives it and checks the float32 error).
 * Measured against double exp over every third float of [-86.64, 0]: max absolute
 * error 5.3e-8 (the scale that matters beside the term 1), max relative error
 * 1.0e-7 for x >= -10, 1.24e-7 for x >= -20, 3.1e-7 down to -86.64 (where exp is
 * < 2e-38). Below -86.64 = -125 ln2 (and -INFINITY) it gives 2^-125 ~ 2.4e-38
 * instead of 0 (the result stays a normal float). 12 vector ops (exp_avx2: 17);
 * two fewer than with exp_avx2's two-constant reduction and degree-7 polynomial,
 * which the attention forward measured 1.03x faster on Zen 3 (n 512, d 64). */
ALWAYS_INLINE __m256 exp_nonpos_avx2(__m256 x)
{
    x = _mm256_max_ps(x, _mm256_set1_ps(-86.643f));
    __m256 t;
    const __m256 n = round_over_ln2_avx2(x, &t);
    const __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(PTC_ATTN_EXP_LN2), x);
    __m256 y = _mm256_set1_ps(ptc_attn_exp_poly[0]);
    for (int k = 1; k < 7; k++)
        y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(ptc_attn_exp_poly[k]));
    /* y * 2^n with n in [-125, 0] and y in [0.7, 1.42]: add n to y's exponent */
    const __m256i e = _mm256_slli_epi32(_mm256_castps_si256(t), 23);
    return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(y), e));
}

ALWAYS_INLINE float hsum_avx2(__m256 x)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* r[0..8) = the transpose of the 8x8 block r[0..8): r[i][j] becomes r[j][i] */
ALWAYS_INLINE void transpose8x8_avx2(__m256 r[8])
{
    __m256 t[8], u[8];
    for (int k = 0; k < 8; k += 2) { /* interleave rows pairwise */
        t[k] = _mm256_unpacklo_ps(r[k], r[k + 1]);
        t[k + 1] = _mm256_unpackhi_ps(r[k], r[k + 1]);
    }
    for (int k = 0; k < 8; k += 4) { /* then pairs of pairs */
        u[k] = _mm256_shuffle_ps(t[k], t[k + 2], _MM_SHUFFLE(1, 0, 1, 0));
        u[k + 1] = _mm256_shuffle_ps(t[k], t[k + 2], _MM_SHUFFLE(3, 2, 3, 2));
        u[k + 2] = _mm256_shuffle_ps(t[k + 1], t[k + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[k + 3] = _mm256_shuffle_ps(t[k + 1], t[k + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int k = 0; k < 4; k++) { /* then the 128-bit halves of rows 0-3 and 4-7 */
        r[k] = _mm256_permute2f128_ps(u[k], u[k + 4], 0x20);
        r[k + 4] = _mm256_permute2f128_ps(u[k], u[k + 4], 0x31);
    }
}

/* The drivers' packing (ptc_attn_tile_ukernels.pack), with the same result as
 * ptc_attn_pack_generic: xt[c][i] = x[i0 + i][c0 + c] for c < dn, i < qb (0 for
 * rows i >= nq), 8x8 blocks through registers and the ragged edges in plain C.
 * Reads only x's rows i < nq, columns c0 .. c0 + dn. */
static inline void pack_rows_transposed_avx2(size_t qb, const float *x, size_t ldx, size_t i0,
                                             size_t nq, size_t c0, size_t dn, float *xt)
{
    const size_t full_rows = nq / 8 * 8, full_cols = dn / 8 * 8;
    for (size_t ib = 0; ib < full_rows; ib += 8)
        for (size_t c = 0; c < full_cols; c += 8) {
            __m256 r[8];
            for (int k = 0; k < 8; k++)
                r[k] = _mm256_loadu_ps(x + (i0 + ib + (size_t)k) * ldx + c0 + c);
            transpose8x8_avx2(r);
            for (int k = 0; k < 8; k++)
                _mm256_storeu_ps(xt + (c + (size_t)k) * qb + ib, r[k]);
        }
    for (size_t i = 0; i < qb; i++) {
        const float *row = i < nq ? x + (i0 + i) * ldx + c0 : NULL;
        for (size_t c = i < full_rows ? full_cols : 0; c < dn; c++)
            xt[c * qb + i] = row ? row[c] : 0.0f;
    }
}

/* Score micro-kernel, 6 keys x 16 queries.
 * st[r][0..16) (+)= sum_{c < dn} qt[c][0..16) * k[r][c0 + c]   (r < 6)
 * `accumulate`: add to st (later chunks of a long head dim) instead of starting at 0.
 * `bias` != NULL (last chunk): st[r] = scale * st[r] + bias[r]. */
static inline void scores_6x16_avx2(size_t dn, const float *qt, const float *const *k, size_t c0,
                             float *st, bool accumulate, const float *bias, float scale)
{
    const float *k0 = k[0] + c0, *k1 = k[1] + c0, *k2 = k[2] + c0;
    const float *k3 = k[3] + c0, *k4 = k[4] + c0, *k5 = k[5] + c0;
    __m256 a00, a01, a10, a11, a20, a21, a30, a31, a40, a41, a50, a51;
    if (accumulate) {
        a00 = _mm256_load_ps(st + 0 * QB); a01 = _mm256_load_ps(st + 0 * QB + 8);
        a10 = _mm256_load_ps(st + 1 * QB); a11 = _mm256_load_ps(st + 1 * QB + 8);
        a20 = _mm256_load_ps(st + 2 * QB); a21 = _mm256_load_ps(st + 2 * QB + 8);
        a30 = _mm256_load_ps(st + 3 * QB); a31 = _mm256_load_ps(st + 3 * QB + 8);
        a40 = _mm256_load_ps(st + 4 * QB); a41 = _mm256_load_ps(st + 4 * QB + 8);
        a50 = _mm256_load_ps(st + 5 * QB); a51 = _mm256_load_ps(st + 5 * QB + 8);
    } else {
        a00 = a01 = a10 = a11 = a20 = a21 = _mm256_setzero_ps();
        a30 = a31 = a40 = a41 = a50 = a51 = _mm256_setzero_ps();
    }
#pragma GCC unroll 2 /* two columns per loop trip: less loop overhead beside 12 FMAs */
    for (size_t c = 0; c < dn; c++) {
        const __m256 q0 = _mm256_load_ps(qt + c * QB), q1 = _mm256_load_ps(qt + c * QB + 8);
        __m256 b;
        b = _mm256_broadcast_ss(k0 + c);
        a00 = _mm256_fmadd_ps(q0, b, a00); a01 = _mm256_fmadd_ps(q1, b, a01);
        b = _mm256_broadcast_ss(k1 + c);
        a10 = _mm256_fmadd_ps(q0, b, a10); a11 = _mm256_fmadd_ps(q1, b, a11);
        b = _mm256_broadcast_ss(k2 + c);
        a20 = _mm256_fmadd_ps(q0, b, a20); a21 = _mm256_fmadd_ps(q1, b, a21);
        b = _mm256_broadcast_ss(k3 + c);
        a30 = _mm256_fmadd_ps(q0, b, a30); a31 = _mm256_fmadd_ps(q1, b, a31);
        b = _mm256_broadcast_ss(k4 + c);
        a40 = _mm256_fmadd_ps(q0, b, a40); a41 = _mm256_fmadd_ps(q1, b, a41);
        b = _mm256_broadcast_ss(k5 + c);
        a50 = _mm256_fmadd_ps(q0, b, a50); a51 = _mm256_fmadd_ps(q1, b, a51);
    }
    if (bias) {
        const __m256 s = _mm256_set1_ps(scale);
        __m256 b;
        b = _mm256_set1_ps(bias[0]); a00 = _mm256_fmadd_ps(a00, s, b); a01 = _mm256_fmadd_ps(a01, s, b);
        b = _mm256_set1_ps(bias[1]); a10 = _mm256_fmadd_ps(a10, s, b); a11 = _mm256_fmadd_ps(a11, s, b);
        b = _mm256_set1_ps(bias[2]); a20 = _mm256_fmadd_ps(a20, s, b); a21 = _mm256_fmadd_ps(a21, s, b);
        b = _mm256_set1_ps(bias[3]); a30 = _mm256_fmadd_ps(a30, s, b); a31 = _mm256_fmadd_ps(a31, s, b);
        b = _mm256_set1_ps(bias[4]); a40 = _mm256_fmadd_ps(a40, s, b); a41 = _mm256_fmadd_ps(a41, s, b);
        b = _mm256_set1_ps(bias[5]); a50 = _mm256_fmadd_ps(a50, s, b); a51 = _mm256_fmadd_ps(a51, s, b);
    }
    _mm256_store_ps(st + 0 * QB, a00); _mm256_store_ps(st + 0 * QB + 8, a01);
    _mm256_store_ps(st + 1 * QB, a10); _mm256_store_ps(st + 1 * QB + 8, a11);
    _mm256_store_ps(st + 2 * QB, a20); _mm256_store_ps(st + 2 * QB + 8, a21);
    _mm256_store_ps(st + 3 * QB, a30); _mm256_store_ps(st + 3 * QB + 8, a31);
    _mm256_store_ps(st + 4 * QB, a40); _mm256_store_ps(st + 4 * QB + 8, a41);
    _mm256_store_ps(st + 5 * QB, a50); _mm256_store_ps(st + 5 * QB + 8, a51);
}

/* The score tiles of the ISA-free drivers (kernels/attention_driver.h). */
static const ptc_attn_tile_ukernels attn_tile_avx2 = {
    .qb = QB, .kr = KR, .dmax = DMAX, .pack = pack_rows_transposed_avx2, .scores = scores_6x16_avx2};

#endif /* PTC_KERNELS_AVX2_ATTENTION_AVX2_H */

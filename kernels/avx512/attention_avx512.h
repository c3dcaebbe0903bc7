/*
 * kernels/avx512/attention_avx512.h — the pieces of the AVX-512 attention kernels
 * that the forward (attention_avx512.c) and the backward
 * (attention_backward_avx512.c) share: block sizes, exp, tail masks, masked
 * gather/scatter, the transposed packing of a block of query rows, the
 * "queries in lanes" dot-product micro-kernel (scores, and dP in the backward),
 * and their table for the ISA-free drivers (kernels/attention_driver.h).
 * Design notes: the header comment of attention_avx512.c.
 */
#ifndef PTC_KERNELS_AVX512_ATTENTION_AVX512_H
#define PTC_KERNELS_AVX512_ATTENTION_AVX512_H

#include "../attention_driver.h"

#include <immintrin.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#if !defined(__AVX512F__) || !defined(__AVX512DQ__) || !defined(__AVX512BW__) || !defined(__AVX512VL__)
#error "kernels/avx512/ must be compiled with -mavx512f -mavx512dq -mavx512bw -mavx512vl"
#endif

enum {
    W = 16,                   /* floats per zmm */
    QB = 32,                  /* query rows per block (2 zmm) */
    KR = 12,                  /* keys per score micro-kernel (24 accumulators) */
    CR = 12,                  /* head-dim columns per P x V micro-kernel (24 accumulators) */
    TILE = 48,                /* active keys per tile (a multiple of KR) */
    DMAX = 192,               /* head-dim columns held in qt / ot at once */
};

_Static_assert(QB <= PTC_ATTN_QB_MAX && DMAX <= PTC_ATTN_DMAX_MAX, "the drivers' buffers");
_Static_assert(TILE <= PTC_ATTN_TILE_MAX && TILE % KR == 0, "tiles of whole micro-kernels");

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* n = round(x / ln2), to nearest */
ALWAYS_INLINE __m512 round_over_ln2_avx512(__m512 x)
{
    return _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

/* exp(x) for 16 floats, max relative error 7.4e-8 on [-87.33, 88];
 * x < -87.33 (and -INFINITY) gives exactly 0; x > 88 is clamped to 88. */
ALWAYS_INLINE __m512 exp_avx512(__m512 x)
{
    const __m512 lo = _mm512_set1_ps(-87.336544f);
    const __mmask16 live = _mm512_cmp_ps_mask(x, lo, _CMP_GE_OQ);
    x = _mm512_min_ps(_mm512_max_ps(x, lo), _mm512_set1_ps(88.0f));
    const __m512 n = round_over_ln2_avx512(x);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 y = _mm512_set1_ps(1.9875691500e-4f);
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.3981999507e-3f));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(8.3334519073e-3f));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(4.1665795894e-2f));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.6666665459e-1f));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(5.0000001201e-1f));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.0f));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.0f));
    return _mm512_maskz_scalef_ps(live, y, n); /* y * 2^n, 0 where x underflowed */
}

/* exp(x) for 16 floats x <= 0 (the online softmax's s - max, whose largest term is
 * 1): the one-constant ln2 and degree-6 polynomial of attention_common.h
 * (ptc_attn_exp_poly), no upper clamp and no underflow mask: 4 vector ops fewer than
 * exp_avx512. Same error as exp_nonpos_avx2 (5.3e-8 absolute; relative 1.0e-7 for
 * x >= -10, 3.1e-7 down to -86.64; emulated in C over every third float, scalef
 * exact); below -86.64 (and -INFINITY) it gives ~2^-125 instead of 0. */
ALWAYS_INLINE __m512 exp_nonpos_avx512(__m512 x)
{
    x = _mm512_max_ps(x, _mm512_set1_ps(-86.643f));
    const __m512 n = round_over_ln2_avx512(x);
    const __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(PTC_ATTN_EXP_LN2), x);
    __m512 y = _mm512_set1_ps(ptc_attn_exp_poly[0]);
    for (int k = 1; k < 7; k++)
        y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(ptc_attn_exp_poly[k]));
    return _mm512_scalef_ps(y, n); /* y * 2^n */
}

/* mask of the first `count` (<= 16) lanes */
ALWAYS_INLINE __mmask16 head_mask(size_t count)
{
    return count >= W ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1u);
}

/* Masked gather / scatter of 16 floats at base + 4*idx[k], with the index vector
 * pinned to zmm0-15 (the "x" constraint; mask in k1-k7). The hardware accepts any
 * index register, but the Bochs emulator that runs these kernels on CPUs without
 * AVX-512 (scripts/bochs/) raises #UD for an index in zmm16-31, which the
 * compiler is free to pick for the intrinsics. Lanes off in `m` are not touched
 * (gather: they are 0). */
static inline __m512 gather16_masked(__mmask16 m, __m512i idx, const float *base)
{
    __m512 r = _mm512_setzero_ps();
    __asm__ volatile("vgatherdps (%[b],%[i],4), %[r]%{%[k]%}"
                     : [r] "+&v"(r), [k] "+&Yk"(m)
                     : [b] "r"(base), [i] "x"(idx)
                     : "memory");
    return r;
}

static inline void scatter16_masked(float *base, __mmask16 m, __m512i idx, __m512 x)
{
    __asm__ volatile("vscatterdps %[x], (%[b],%[i],4)%{%[k]%}"
                     : [k] "+&Yk"(m)
                     : [b] "r"(base), [i] "x"(idx), [x] "v"(x)
                     : "memory");
}

/* xt[c][i] = x[i0 + i][c0 + c] for c < dn, i < QB (0 for rows past nq): a block of
 * query rows (q, or dO in the backward) packed transposed. Each row is read 16
 * columns at a time (masked tail) and scattered down its column of xt. */
static inline void pack_rows_transposed(size_t qb, const float *x, size_t ldx, size_t i0,
                                        size_t nq, size_t c0, size_t dn, float *xt)
{
    (void)qb; /* == QB */
    const __m512i down = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                                              11, 12, 13, 14, 15),
                                            _mm512_set1_epi32(QB));
    for (size_t i = 0; i < QB; i++) {
        const float *q = i < nq ? x + (i0 + i) * ldx + c0 : NULL;
        for (size_t c = 0; c < dn; c += W) {
            const __mmask16 m = head_mask(dn - c);
            const __m512 v = q ? _mm512_maskz_loadu_ps(m, q + c) : _mm512_setzero_ps();
            scatter16_masked(xt + c * QB + i, m, down, v);
        }
    }
}

/* Score micro-kernel, 12 keys x 32 queries (24 zmm accumulators).
 * st[r][0..32) (+)= sum_{c < dn} qt[c][0..32) * k[r][c0 + c]   (r < 12)
 * `accumulate`: add to st (later chunks of a long head dim).
 * `bias` != NULL (last chunk): st[r] = scale * st[r] + bias[r]. */
static inline void scores_12x32_avx512(size_t dn, const float *qt, const float *const *k, size_t c0,
                                       float *st, bool accumulate, const float *bias, float scale)
{
    const float *kr[KR];
    __m512 a0[KR], a1[KR];
#pragma GCC unroll 12
    for (int r = 0; r < KR; r++) {
        kr[r] = k[r] + c0;
        a0[r] = accumulate ? _mm512_load_ps(st + r * QB) : _mm512_setzero_ps();
        a1[r] = accumulate ? _mm512_load_ps(st + r * QB + W) : _mm512_setzero_ps();
    }
    for (size_t c = 0; c < dn; c++) {
        const __m512 q0 = _mm512_load_ps(qt + c * QB), q1 = _mm512_load_ps(qt + c * QB + W);
#pragma GCC unroll 12
        for (int r = 0; r < KR; r++) {
            const __m512 b = _mm512_set1_ps(kr[r][c]);
            a0[r] = _mm512_fmadd_ps(q0, b, a0[r]);
            a1[r] = _mm512_fmadd_ps(q1, b, a1[r]);
        }
    }
    const __m512 s = _mm512_set1_ps(scale);
#pragma GCC unroll 12
    for (int r = 0; r < KR; r++) {
        if (bias) {
            const __m512 b = _mm512_set1_ps(bias[r]);
            a0[r] = _mm512_fmadd_ps(a0[r], s, b);
            a1[r] = _mm512_fmadd_ps(a1[r], s, b);
        }
        _mm512_store_ps(st + r * QB, a0[r]);
        _mm512_store_ps(st + r * QB + W, a1[r]);
    }
}


/* The score tiles of the ISA-free drivers (kernels/attention_driver.h). */
static const ptc_attn_tile_ukernels attn_tile_avx512 = {
    .qb = QB, .kr = KR, .dmax = DMAX, .pack = pack_rows_transposed, .scores = scores_12x32_avx512};

#endif /* PTC_KERNELS_AVX512_ATTENTION_AVX512_H */

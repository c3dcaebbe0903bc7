/*
 * kernels/neon/attention_neon.h — the pieces of the NEON attention kernels that the
 * forward (attention_neon.c) and the backward (attention_backward_neon.c) share:
 * block sizes, exp, and the "queries in lanes" dot-product micro-kernel (scores,
 * and dP in the backward) with its table for the ISA-free drivers
 * (kernels/attention_driver.h; the packing of query blocks is theirs).
 * Design notes: the header comment of attention_neon.c.
 */
#ifndef PTC_KERNELS_NEON_ATTENTION_NEON_H
#define PTC_KERNELS_NEON_ATTENTION_NEON_H

#include "../attention_driver.h"

#include <arm_neon.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#if !defined(__aarch64__) || !defined(__ARM_NEON)
#error "kernels/neon/ is for aarch64 with Advanced SIMD"
#endif

enum {
    QB = 16,                  /* query rows per block (4 q-registers) */
    KR = 4,                   /* keys per score micro-kernel */
    CR = 4,                   /* head-dim columns per P x V micro-kernel */
    TILE = 48,                /* active keys per tile (a multiple of KR) */
    DMAX = 256,               /* head-dim columns held in qt / ot at once */
};

_Static_assert(QB <= PTC_ATTN_QB_MAX && DMAX <= PTC_ATTN_DMAX_MAX, "the drivers' buffers");
_Static_assert(TILE <= PTC_ATTN_TILE_MAX && TILE % KR == 0, "tiles of whole micro-kernels");

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* exp(x) for 4 floats, max relative error 7.4e-8 on [-87.33, 88];
 * x < -87.33 (and -INFINITY) gives 0; x > 88 is clamped to 88. */
ALWAYS_INLINE float32x4_t exp_neon(float32x4_t x)
{
    const float32x4_t lo = vdupq_n_f32(-87.336544f);
    const uint32x4_t live = vcgeq_f32(x, lo);
    x = vminq_f32(vmaxq_f32(x, lo), vdupq_n_f32(88.0f));
    const float32x4_t n = vrndnq_f32(vmulq_n_f32(x, 1.44269504088896341f));
    float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
    r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
    float32x4_t y = vdupq_n_f32(1.9875691500e-4f);
    y = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), y, r);
    y = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), y, r);
    y = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), y, r);
    y = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), y, r);
    y = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), y, r);
    y = vfmaq_f32(vdupq_n_f32(1.0f), y, r);
    y = vfmaq_f32(vdupq_n_f32(1.0f), y, r);
    /* 2^n, n in [-126, 127] */
    const int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
    y = vmulq_f32(y, vreinterpretq_f32_s32(e));
    return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(y), live));
}

/* one head-dim column c of the score kernel with key values taken from lane L of kv_r */
#define SCORE_LANE(L)                                                               \
    do {                                                                            \
        const float *qc = qt + (c + (L)) * QB;                                      \
        const float32x4_t q0 = vld1q_f32(qc), q1 = vld1q_f32(qc + 4);               \
        const float32x4_t q2 = vld1q_f32(qc + 8), q3 = vld1q_f32(qc + 12);          \
        for (int r = 0; r < KR; r++) {                                              \
            a[r][0] = vfmaq_laneq_f32(a[r][0], q0, kv[r], L);                       \
            a[r][1] = vfmaq_laneq_f32(a[r][1], q1, kv[r], L);                       \
            a[r][2] = vfmaq_laneq_f32(a[r][2], q2, kv[r], L);                       \
            a[r][3] = vfmaq_laneq_f32(a[r][3], q3, kv[r], L);                       \
        }                                                                           \
    } while (0)

/* Score micro-kernel, 4 keys x 16 queries (16 accumulators).
 * st[r][0..16) (+)= sum_{c < dn} qt[c][0..16) * k[r][c0 + c]   (r < 4)
 * `accumulate`: add to st (later chunks of a long head dim).
 * `bias` != NULL (last chunk): st[r] = scale * st[r] + bias[r]. */
static inline void scores_4x16_neon(size_t dn, const float *qt, const float *const *k, size_t c0,
                             float *st, bool accumulate, const float *bias, float scale)
{
    const float *kr[KR];
    float32x4_t a[KR][4];
    for (int r = 0; r < KR; r++) {
        kr[r] = k[r] + c0;
        for (int v = 0; v < 4; v++)
            a[r][v] = accumulate ? vld1q_f32(st + r * QB + 4 * v) : vdupq_n_f32(0.0f);
    }
    size_t c = 0;
    for (; c + 4 <= dn; c += 4) {
        float32x4_t kv[KR];
        for (int r = 0; r < KR; r++)
            kv[r] = vld1q_f32(kr[r] + c);
        SCORE_LANE(0);
        SCORE_LANE(1);
        SCORE_LANE(2);
        SCORE_LANE(3);
    }
    for (; c < dn; c++) { /* last d % 4 columns */
        const float *qc = qt + c * QB;
        for (int v = 0; v < 4; v++) {
            const float32x4_t qv = vld1q_f32(qc + 4 * v);
            for (int r = 0; r < KR; r++)
                a[r][v] = vfmaq_n_f32(a[r][v], qv, kr[r][c]);
        }
    }
    for (int r = 0; r < KR; r++)
        for (int v = 0; v < 4; v++) {
            float32x4_t x = a[r][v];
            if (bias)
                x = vfmaq_n_f32(vdupq_n_f32(bias[r]), x, scale);
            vst1q_f32(st + r * QB + 4 * v, x);
        }
}
#undef SCORE_LANE

/* The score tiles of the ISA-free drivers (kernels/attention_driver.h); the
 * packing is the driver's plain C one. */
static const ptc_attn_tile_ukernels attn_tile_neon = {
    .qb = QB, .kr = KR, .dmax = DMAX, .pack = ptc_attn_pack_generic, .scores = scores_4x16_neon};

#endif /* PTC_KERNELS_NEON_ATTENTION_NEON_H */

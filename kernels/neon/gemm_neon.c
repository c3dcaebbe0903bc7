/*
 * kernels/neon/gemm_neon.c — sgemm for AArch64 Advanced SIMD: an 8x12
 * micro-kernel under the shared BLIS-style driver (kernels/gemm_driver.c).
 *
 * Micro-kernel 8x12: 8 rows x 3 q-registers of C = 24 accumulators; per k step
 * the 8 packed A values are 2 q-registers and the 12 packed B values 3, and each
 * FMA takes its A value by lane (vfmaq_laneq_f32), so no broadcasts are needed:
 * 24 + 2 + 3 = 29 of the 32 vector registers, 24 FMAs per 5 loads.
 *
 * Edge tiles: the tile is computed in full (the packed panels are zero-padded),
 * then the m_eff x n_eff part of C is copied into a 8x12 stack tile, updated there
 * with the same vector code as a full tile, and copied back; so edge and full
 * tiles compute every element identically and C outside m_eff x n_eff is never
 * touched. C is read only when beta != 0.
 *
 * Blocking, sized from the CPU's caches at run time (ptc_gemm_blocking); on a
 * typical Cortex-A/Neoverse (64 KiB L1d, 1 MiB L2):
 *   KC = 256: a B micro-panel is 256 x 12 floats = 12 KiB (L1), an A micro-panel
 *             8 x 256 floats = 8 KiB;
 *   MC = 128: the packed A block is 128 x 256 floats = 128 KiB of L2;
 *   NC = 3072: the packed B panel is 256 x 3072 floats = 3 MiB.
 * Packing: the driver's generic C routines. Threading: see the driver.
 */
#include "neon.h"
#include "../gemm_driver.h"

#include <arm_neon.h>
#include <string.h>

#if !defined(__aarch64__) || !defined(__ARM_NEON)
#error "kernels/neon/ is for aarch64 with Advanced SIMD"
#endif

enum { MR = 8, NR = 12 };

#define PTC_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

/* c (m_eff x n_eff of an 8x12 tile, ldc) = alpha * A_panel(8 x kc) * B_panel(kc x 12) + beta * c */
static void ptc_sgemm_ukernel_8x12_neon(size_t kc, const float *restrict a,
                                        const float *restrict b, float *c, size_t ldc,
                                        size_t m_eff, size_t n_eff, float alpha, float beta)
{
#define PTC_DECLARE(i) float32x4_t c##i##_0 = vdupq_n_f32(0.0f), c##i##_1 = c##i##_0, c##i##_2 = c##i##_0;
    PTC_ROWS(PTC_DECLARE)
#undef PTC_DECLARE

    /* row i takes lane i%4 of a0 (rows 0..3) or a1 (rows 4..7) */
#define PTC_FMA_ROW(i, areg, lane)                                                     \
    c##i##_0 = vfmaq_laneq_f32(c##i##_0, b0, areg, lane);                              \
    c##i##_1 = vfmaq_laneq_f32(c##i##_1, b1, areg, lane);                              \
    c##i##_2 = vfmaq_laneq_f32(c##i##_2, b2, areg, lane);
#define PTC_K_STEP()                                                                   \
    do {                                                                               \
        const float32x4_t a0 = vld1q_f32(a), a1 = vld1q_f32(a + 4);                    \
        const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8); \
        PTC_FMA_ROW(0, a0, 0) PTC_FMA_ROW(1, a0, 1) PTC_FMA_ROW(2, a0, 2) PTC_FMA_ROW(3, a0, 3) \
        PTC_FMA_ROW(4, a1, 0) PTC_FMA_ROW(5, a1, 1) PTC_FMA_ROW(6, a1, 2) PTC_FMA_ROW(7, a1, 3) \
        a += MR;                                                                       \
        b += NR;                                                                       \
    } while (0)

    size_t q = 0;
    for (; q + 4 <= kc; q += 4) {
        __builtin_prefetch(a + 16 * MR);
        __builtin_prefetch(b + 8 * NR);
        PTC_K_STEP();
        PTC_K_STEP();
        PTC_K_STEP();
        PTC_K_STEP();
    }
    for (; q < kc; q++)
        PTC_K_STEP();
#undef PTC_K_STEP
#undef PTC_FMA_ROW

    /* Full tiles update C in place; edge tiles go through a stack tile. */
    float tile[MR * NR];
    const int full = m_eff == MR && n_eff == NR;
    float *dst = full ? c : tile;
    const size_t ldd = full ? ldc : NR;
    if (!full) {
        memset(tile, 0, sizeof tile);
        if (beta != 0.0f)
            for (size_t i = 0; i < m_eff; i++)
                for (size_t j = 0; j < n_eff; j++)
                    tile[i * NR + j] = c[i * ldc + j];
    }

    /* t = alpha*acc; beta != 0: t = fma(beta, c, t) */
    const float32x4_t valpha = vdupq_n_f32(alpha), vbeta = vdupq_n_f32(beta);
#define PTC_STORE_ROW(i)                                                               \
    {                                                                                  \
        float *di = dst + (i) * ldd;                                                   \
        float32x4_t t0 = vmulq_f32(valpha, c##i##_0);                                  \
        float32x4_t t1 = vmulq_f32(valpha, c##i##_1);                                  \
        float32x4_t t2 = vmulq_f32(valpha, c##i##_2);                                  \
        if (beta != 0.0f) {                                                            \
            t0 = vfmaq_f32(t0, vbeta, vld1q_f32(di));                                  \
            t1 = vfmaq_f32(t1, vbeta, vld1q_f32(di + 4));                              \
            t2 = vfmaq_f32(t2, vbeta, vld1q_f32(di + 8));                              \
        }                                                                              \
        vst1q_f32(di, t0);                                                             \
        vst1q_f32(di + 4, t1);                                                         \
        vst1q_f32(di + 8, t2);                                                         \
    }
    PTC_ROWS(PTC_STORE_ROW)
#undef PTC_STORE_ROW

    if (!full)
        for (size_t i = 0; i < m_eff; i++)
            for (size_t j = 0; j < n_eff; j++)
                c[i * ldc + j] = tile[i * NR + j];
}

static const ptc_gemm_desc gemm_8x12_neon = {
    .name = "8x12_neon",
    .mr = MR, .nr = NR,
    .kc_l1_pct = 19, .mc_l2_pct = 13, .nc_max = 3072, /* 64 KiB L1d, 1 MiB L2: KC 256, MC 128 */
    .ukernel = ptc_sgemm_ukernel_8x12_neon,
};

void ptc_sgemm_neon(ptc_trans ta, ptc_trans tb, size_t m, size_t n, size_t k, float alpha,
                    const float *a, size_t lda, const float *b, size_t ldb, float beta,
                    float *c, size_t ldc)
{
    ptc_gemm_drive(&gemm_8x12_neon, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* linear: bias in the first store of each tile, GELU after its last (gemm_driver.h) */
void ptc_linear_neon(size_t rows, size_t in, size_t out, const float *x, size_t ldx,
                      const float *w, const float *bias, ptc_act act, float *y, size_t ldy)
{
    ptc_gemm_drive_linear(&gemm_8x12_neon, act == PTC_ACT_GELU ? ptc_gelu_fwd_neon : NULL,
                          rows, in, out, x, ldx, w, bias, y, ldy);
}

/*
 * kernels/avx512/gemm_avx512.c — sgemm for AVX-512 (F): a 14x32 micro-kernel
 * under the shared BLIS-style driver (kernels/gemm_driver.c).
 *
 * Why 14x32. The tile is sized by the 32 zmm registers: 14 rows x 2 zmm = 28
 * accumulators, 2 zmm for the packed B row of the current k step, and the A
 * values come in as broadcasts (vbroadcastss / the {1to16} embedded-broadcast
 * memory operand of vfmadd231ps), which need at most 2 more registers: 32.
 *   - 28 independent FMA chains: far more than the 4-cycle latency x 1 zmm FMA
 *     per cycle (Zen 4 runs a 512-bit FMA as 2 x 256 on its 2 FMA pipes;
 *     Intel server parts run 2 per cycle, which needs >= 8 chains) requires.
 *   - Per k step 2 B loads + 14 broadcasts feed 28 FMAs: 0.57 loads per FMA,
 *     against 0.67 for 6x16 AVX2, so the kernel is FMA-bound, not load-bound.
 *     Taller tiles (28x16: 1 load per FMA) are load-heavy; wider ones (8x48,
 *     6x64: 24 accumulators) reuse each broadcast more but hold fewer
 *     accumulators and make n-edges wider (BERT widths 768 and 3072 are
 *     multiples of 32 either way).
 *   - NR = 32 keeps the column edge to two mask registers.
 * Edge tiles use mask registers only: columns past n_eff are masked with
 * __mmask16 (_mm512_maskz_loadu_ps for C when beta != 0, _mm512_mask_storeu_ps),
 * rows past m_eff are skipped; no scalar leftovers, and full and edge tiles run
 * the same instructions on the accumulators, so every element is computed the
 * same way. C is read only when beta != 0; masked-off lanes are never accessed.
 *
 * Blocking (Zen 4: 32 KiB L1d, 1 MiB L2 per core, shared L3):
 *   KC = 256:  a B micro-panel is 256 x 32 floats = 32 KiB (L1/L2 border; the
 *              2 B lines per k step are also prefetched), an A micro-panel
 *              14 x 256 floats = 14 KiB;
 *   MC = 140:  the packed A block is 140 x 256 floats = 140 KiB of L2;
 *   NC = 3072: the packed B panel is 256 x 3072 floats = 3 MiB of L3.
 * Packing: the driver's generic C routines. Threading: see the driver.
 */
#include "avx512.h"
#include "../gemm_driver.h"

#include <immintrin.h>

#if !defined(__AVX512F__) || !defined(__AVX512DQ__) || !defined(__AVX512BW__) || !defined(__AVX512VL__)
#error "kernels/avx512/ must be compiled with -mavx512f -mavx512dq -mavx512bw -mavx512vl"
#endif

enum { MR = 14, NR = 32 };

/* X(i) for each of the 14 rows */
#define PTC_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)

/* c (m_eff x n_eff of a 14x32 tile, ldc) = alpha * A_panel(14 x kc) * B_panel(kc x 32) + beta * c */
static void ptc_sgemm_ukernel_14x32_avx512(size_t kc, const float *restrict a,
                                           const float *restrict b, float *c, size_t ldc,
                                           size_t m_eff, size_t n_eff, float alpha, float beta)
{
#define PTC_DECLARE(i) __m512 c##i##_0 = _mm512_setzero_ps(), c##i##_1 = _mm512_setzero_ps();
    PTC_ROWS(PTC_DECLARE)
#undef PTC_DECLARE

#define PTC_FMA_ROW(i)                                                                 \
    {                                                                                  \
        const __m512 ai = _mm512_set1_ps(a[(i)]);                                      \
        c##i##_0 = _mm512_fmadd_ps(ai, b0, c##i##_0);                                  \
        c##i##_1 = _mm512_fmadd_ps(ai, b1, c##i##_1);                                  \
    }
#define PTC_K_STEP()                                                                   \
    do {                                                                               \
        const __m512 b0 = _mm512_load_ps(b);                                           \
        const __m512 b1 = _mm512_load_ps(b + 16);                                      \
        _mm_prefetch((const char *)(b + 8 * NR), _MM_HINT_T0);                         \
        _mm_prefetch((const char *)(b + 8 * NR + 16), _MM_HINT_T0);                    \
        PTC_ROWS(PTC_FMA_ROW)                                                          \
        a += MR;                                                                       \
        b += NR;                                                                       \
    } while (0)

    size_t q = 0;
    for (; q + 4 <= kc; q += 4) {
        PTC_K_STEP();
        PTC_K_STEP();
        PTC_K_STEP();
        PTC_K_STEP();
    }
    for (; q < kc; q++)
        PTC_K_STEP();
#undef PTC_K_STEP
#undef PTC_FMA_ROW

    /* store: t = alpha*acc; beta != 0: t = fma(beta, c, t); columns by mask */
    const __mmask16 mask0 = n_eff >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n_eff) - 1);
    const __mmask16 mask1 = n_eff >= 32 ? (__mmask16)0xffff
                          : n_eff <= 16 ? (__mmask16)0
                                        : (__mmask16)((1u << (n_eff - 16)) - 1);
    const __m512 valpha = _mm512_set1_ps(alpha), vbeta = _mm512_set1_ps(beta);
#define PTC_STORE_ROW(i)                                                               \
    if ((i) < m_eff) {                                                                 \
        float *ci = c + (i) * ldc;                                                     \
        __m512 t0 = _mm512_mul_ps(valpha, c##i##_0), t1 = _mm512_mul_ps(valpha, c##i##_1); \
        if (beta != 0.0f) {                                                            \
            t0 = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(mask0, ci), t0);         \
            t1 = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(mask1, ci + 16), t1);    \
        }                                                                              \
        _mm512_mask_storeu_ps(ci, mask0, t0);                                          \
        _mm512_mask_storeu_ps(ci + 16, mask1, t1);                                     \
    }
    PTC_ROWS(PTC_STORE_ROW)
#undef PTC_STORE_ROW
}

static const ptc_gemm_desc gemm_14x32_avx512 = {
    .name = "14x32_avx512",
    .mr = MR, .nr = NR,
    .kc = 256, .mc = 140, .nc = 3072,
    .ukernel = ptc_sgemm_ukernel_14x32_avx512,
};

void ptc_sgemm_avx512(ptc_trans ta, ptc_trans tb, size_t m, size_t n, size_t k, float alpha,
                      const float *a, size_t lda, const float *b, size_t ldb, float beta,
                      float *c, size_t ldc)
{
    ptc_gemm_drive(&gemm_14x32_avx512, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

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
 * Blocking, sized from the CPU's caches at run time (ptc_gemm_blocking: the
 * shares below, measured on Zen 4: 32 KiB L1d, 1 MiB L2 per core, shared L3):
 *   KC = 256:  a B micro-panel is 256 x 32 floats = 32 KiB (L1/L2 border), an A
 *              micro-panel 14 x 256 floats = 14 KiB, prefetched 8 k steps ahead
 *              from L2; the C tile is prefetched before the k loop.
 *              (KC 192/256/384 x MC 140/280/420 measured within noise here.)
 *   MC = 140:  the packed A block is 140 x 256 floats = 140 KiB of L2;
 *   NC = 3072: the packed B panel is 256 x 3072 floats = 3 MiB of L3.
 * Tried on Zen 4 (EPYC, 1 thread, quiet, BERT shapes NN and NT, interleaved with
 * this kernel in one process) and not kept, each within the run-to-run spread of
 * about +-3%: an 8x48 tile (24 accumulators, KC 384, MC 216); FMAs taking A as a
 * {1to16} embedded-broadcast memory operand instead of vbroadcastss; KC 128..768;
 * MC 518 (one A block for 512 rows) with B micro-panels packed just before their
 * first use; software prefetch of the packing sources; row-group-major 8x8
 * packing (packing alone 10-45% faster, whole sgemm unchanged). Packing takes 4-10%
 * of the time at these shapes, the micro-kernel the rest (perf, cpu-clock).
 * oneDNN 2.6, 5-10% faster here, runs NN partly through its AVX-512 no-copy
 * kernel (no packing at all) and NT through its AVX2 copy-based kernel, whose
 * copies take 9% of its NT time (perf with ONEDNN_JIT_PROFILE=2). Reading
 * untransposed B in place (no B packing, the same arithmetic) left NN unchanged
 * (107.2 vs 107.1 GFLOP/s at 512x768x768). The micro-kernel alone runs at 115.5
 * GFLOP/s, 98.6% of peak (KC 256, its A panels from L2, C tiles of a 512x768 C,
 * 6000 calls, best of 5): the loss is around it: packing (4-10% of the time,
 * timed alone) and, not measured apart, cache misses where a B micro-panel or a
 * C tile is first used in a real sgemm.
 * Packing: op(A) = A and op(B) = B^T by 8x8 register transposes (pack_a_by_8x8,
 * pack_b_by_8x8), the rest by the
 * driver's generic C routines. Threading: see the driver.
 */
#include "../x86/pack_8x8.h"
#include "avx512.h"
#include "../gemm_driver.h"
#include "ptc/cpu.h"

#include <immintrin.h>

#if !defined(__AVX512F__) || !defined(__AVX512DQ__) || !defined(__AVX512BW__) || !defined(__AVX512VL__)
#error "kernels/avx512/ must be compiled with -mavx512f -mavx512dq -mavx512bw -mavx512vl"
#endif

enum { MR = 14, NR = 32 };

/* X(i) for each of the 14 rows */
#define PTC_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)

/* c (m_eff x n_eff of a 14x32 tile, ldc) = alpha * A_panel(14 x kc) * B_panel(kc x 32) + beta * c;
 * the A micro-panel is prefetched `ahead` k steps before use. */
static inline __attribute__((always_inline)) void
ukernel_14x32(size_t kc, const float *restrict a, const float *restrict b, float *c, size_t ldc,
              size_t m_eff, size_t n_eff, float alpha, float beta, const size_t ahead)
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
        PTC_ROWS(PTC_FMA_ROW)                                                          \
        a += MR;                                                                       \
        b += NR;                                                                       \
    } while (0)

    /* fetch the C tile while the k loop runs (it is read or written at the end) */
    for (size_t i = 0; i < m_eff; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + n_eff - 1), _MM_HINT_T0);
    }

    size_t q = 0;
    for (; q + 4 <= kc; q += 4) {
        /* the A micro-panel streams from L2: 4 k steps = 224 bytes, `ahead` steps ahead */
        _mm_prefetch((const char *)(a + ahead * MR), _MM_HINT_T0);
        _mm_prefetch((const char *)(a + ahead * MR + 16), _MM_HINT_T0);
        _mm_prefetch((const char *)(a + ahead * MR + 32), _MM_HINT_T0);
        _mm_prefetch((const char *)(a + ahead * MR + 48), _MM_HINT_T0);
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


/* Split 512-bit FMA (Zen 4): a k step takes 14 cycles of FMA; 8 steps ahead
 * covers an L2 hit. Two full-width units finish a step in 7: 16 steps ahead. */
static void ukernel_14x32_split(size_t kc, const float *restrict a, const float *restrict b,
                                float *c, size_t ldc, size_t m_eff, size_t n_eff, float alpha,
                                float beta)
{
    ukernel_14x32(kc, a, b, c, ldc, m_eff, n_eff, alpha, beta, 8);
}

static void ukernel_14x32_full(size_t kc, const float *restrict a, const float *restrict b,
                               float *c, size_t ldc, size_t m_eff, size_t n_eff, float alpha,
                               float beta)
{
    ukernel_14x32(kc, a, b, c, ldc, m_eff, n_eff, alpha, beta, 16);
}

/* Blocking shares measured on Zen 4 (KC 256, MC 140 there); Intel server parts
 * (48 KiB L1d, 2 MiB L2) get KC 384, MC 182 from the same shares. */
#define GEMM_14X32_DESC(suffix, kernel)                                                  \
    {                                                                                    \
        .name = "14x32_avx512_" suffix, .mr = MR, .nr = NR,                              \
        .kc_l1_pct = 100, .mc_l2_pct = 14, .nc_max = 3072,                               \
        .pack_a = pack_a_by_8x8, .pack_b = pack_b_by_8x8, .ukernel = kernel,         \
    }
static const ptc_gemm_desc gemm_14x32_split = GEMM_14X32_DESC("split", ukernel_14x32_split);
static const ptc_gemm_desc gemm_14x32_full = GEMM_14X32_DESC("full", ukernel_14x32_full);

/* The one place the AVX-512 tile is chosen, by how the CPU runs a 512-bit FMA. */
static const ptc_gemm_desc *gemm_desc(void)
{
    return ptc_cpu_fma512_class() == PTC_FMA512_SPLIT ? &gemm_14x32_split : &gemm_14x32_full;
}

void ptc_sgemm_avx512(ptc_trans ta, ptc_trans tb, size_t m, size_t n, size_t k, float alpha,
                      const float *a, size_t lda, const float *b, size_t ldb, float beta,
                      float *c, size_t ldc)
{
    ptc_gemm_drive(gemm_desc(), ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* linear: bias in the first store of each tile, GELU after its last (gemm_driver.h) */
void ptc_linear_avx512(size_t rows, size_t in, size_t out, const float *x, size_t ldx,
                      const float *w, const float *bias, ptc_act act, float *y, size_t ldy)
{
    ptc_gemm_drive_linear(gemm_desc(), act == PTC_ACT_GELU ? ptc_gelu_fwd_avx512 : NULL,
                          rows, in, out, x, ldx, w, bias, y, ldy);
}

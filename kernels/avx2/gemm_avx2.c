/*
 * kernels/avx2/gemm_avx2.c — sgemm for AVX2 + FMA: a 6x16 micro-kernel under
 * the shared BLIS-style driver (kernels/gemm_driver.c).
 *
 * Micro-kernel 6x16: 6 rows x 2 ymm of C = 12 ymm accumulators; per k step two
 * ymm loads of the packed B row and 6 broadcasts of packed A feed 12 FMAs.
 * 12 + 2 + 1 (broadcast) = 15 of the 16 ymm registers. 12 independent FMA
 * chains cover the 4-cycle FMA latency on 2 FMA pipes (Zen 4, Haswell and later
 * need >= 8), and 8 loads per 12 FMAs stays under the 2-3 loads per cycle.
 *
 * Edge tiles: rows past m_eff are not stored; columns past n_eff are cut with
 * _mm256_maskload_ps / _mm256_maskstore_ps (masked-off lanes are never
 * accessed), the accumulators are the same, so edge and full tiles compute every
 * element identically. C is read only when beta != 0.
 *
 * Blocking, sized from the CPU's caches at run time (ptc_gemm_blocking: the
 * shares below, measured on Zen 4: 32 KiB L1d, 1 MiB L2 per core, shared L3):
 *   KC = 384: a B micro-panel is 384 x 16 floats = 24 KiB, kept in L1 while the
 *             A micro-panels (6 x 384 floats = 9 KiB each) stream from L2;
 *   MC = 120: the packed A block is 120 x 384 floats = 180 KiB of L2;
 *   NC = 3072: the packed B panel is 384 x 3072 floats = 4.5 MiB of L3.
 * Packing: op(A) = A and op(B) = B^T by 8x8 register transposes (pack_a_by_8x8,
 * pack_b_by_8x8), the rest by the
 * driver's generic C routines; where few B micro-panels share an A block the driver
 * skips A's packing and runs ptc_sgemm_ukernel_6x16_a_rows_avx2, the same k loop
 * broadcasting from the six rows of A in place. Threading: see the driver.
 */
#include "../x86/pack_8x8.h"
#include "avx2.h"
#include "../gemm_driver.h"

#include <immintrin.h>

#if !defined(__AVX2__) || !defined(__FMA__)
#error "kernels/avx2/ must be compiled with -mavx2 -mfma"
#endif

enum { MR = 6, NR = 16 };

/* mask lanes for n_eff columns of a ymm starting at column `col0` */
static inline __m256i column_mask(size_t n_eff, size_t col0)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i limit = _mm256_set1_epi32((int)n_eff - (int)col0);
    return _mm256_cmpgt_epi32(limit, lane); /* lane < n_eff - col0 */
}

/* c (m_eff x n_eff of a 6x16 tile, ldc) = alpha * acc + beta * c, computed as
 * t = alpha*acc, then (beta != 0 only) t = fma(beta, c, t); acc[2r + h] holds row r,
 * columns 8h .. 8h+7. */
static inline __attribute__((always_inline)) void store_tile_6x16(float *c, size_t ldc,
                                                                  size_t m_eff, size_t n_eff,
                                                                  float alpha, float beta,
                                                                  const __m256 acc[2 * MR])
{
    const __m256 valpha = _mm256_set1_ps(alpha), vbeta = _mm256_set1_ps(beta);
    if (n_eff == NR) {
        for (size_t i = 0; i < m_eff; i++) {
            float *ci = c + i * ldc;
            __m256 t0 = _mm256_mul_ps(valpha, acc[2 * i]), t1 = _mm256_mul_ps(valpha, acc[2 * i + 1]);
            if (beta != 0.0f) {
                t0 = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(ci), t0);
                t1 = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(ci + 8), t1);
            }
            _mm256_storeu_ps(ci, t0);
            _mm256_storeu_ps(ci + 8, t1);
        }
        return;
    }
    const __m256i mask0 = column_mask(n_eff, 0), mask1 = column_mask(n_eff, 8);
    for (size_t i = 0; i < m_eff; i++) {
        float *ci = c + i * ldc;
        __m256 t0 = _mm256_mul_ps(valpha, acc[2 * i]), t1 = _mm256_mul_ps(valpha, acc[2 * i + 1]);
        if (beta != 0.0f) {
            t0 = _mm256_fmadd_ps(vbeta, _mm256_maskload_ps(ci, mask0), t0);
            t1 = _mm256_fmadd_ps(vbeta, _mm256_maskload_ps(ci + 8, mask1), t1);
        }
        _mm256_maskstore_ps(ci, mask0, t0);
        _mm256_maskstore_ps(ci + 8, mask1, t1);
    }
}

/* fetch the C tile while the k loop runs (it is read or written at the end) */
static inline __attribute__((always_inline)) void prefetch_tile(const float *c, size_t ldc,
                                                                size_t m_eff, size_t n_eff)
{
    for (size_t i = 0; i < m_eff; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + n_eff - 1), _MM_HINT_T0);
    }
}

/* The k loops are inline asm: with intrinsics gcc 12 rotates the 12 accumulators
 * through the stack (15 live ymm of 16 leaves it no slack). The accumulators are
 * pinned in registers (operands), ymm13 holds the broadcast of A and ymm14/ymm15
 * the B row. One step: c_r += a[r] * b[0..15], rows r = 0..5 in order; the two
 * kernels differ only in where a[r] is read from. */
#define PTC_B_ROW(q)                                                                   \
    "vmovaps " #q "*64(%[b]), %%ymm14\n\t"                                             \
    "vmovaps " #q "*64+32(%[b]), %%ymm15\n\t"
#define PTC_ROW_FMA(a_operand, lo, hi)                                                 \
    "vbroadcastss " a_operand ", %%ymm13\n\t"                                          \
    "vfmadd231ps %%ymm14, %%ymm13, %[" #lo "]\n\t"                                     \
    "vfmadd231ps %%ymm15, %%ymm13, %[" #hi "]\n\t"
#define PTC_ACCUMULATORS                                                               \
    [c00] "+x"(c00), [c01] "+x"(c01), [c10] "+x"(c10), [c11] "+x"(c11),                \
    [c20] "+x"(c20), [c21] "+x"(c21), [c30] "+x"(c30), [c31] "+x"(c31),                \
    [c40] "+x"(c40), [c41] "+x"(c41), [c50] "+x"(c50), [c51] "+x"(c51)
#define PTC_DECLARE_ACCUMULATORS                                                       \
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();                       \
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();                       \
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();                       \
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();                       \
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();                       \
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps()
#define PTC_ACCUMULATOR_ARRAY {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51}

/* packed A: step q reads a[q*6 + r] */
#define PTC_K_STEP(q)                                                                  \
    PTC_B_ROW(q)                                                                       \
    PTC_ROW_FMA(#q "*24+0(%[a])", c00, c01)                                            \
    PTC_ROW_FMA(#q "*24+4(%[a])", c10, c11)                                            \
    PTC_ROW_FMA(#q "*24+8(%[a])", c20, c21)                                            \
    PTC_ROW_FMA(#q "*24+12(%[a])", c30, c31)                                           \
    PTC_ROW_FMA(#q "*24+16(%[a])", c40, c41)                                           \
    PTC_ROW_FMA(#q "*24+20(%[a])", c50, c51)

/* c (m_eff x n_eff of a 6x16 tile, ldc) = alpha * A_panel(6 x kc) * B_panel(kc x 16) + beta * c */
static void ptc_sgemm_ukernel_6x16_avx2(size_t kc, const float *restrict a,
                                        const float *restrict b, float *c, size_t ldc,
                                        size_t m_eff, size_t n_eff, float alpha, float beta)
{
    _Static_assert(MR == 6 && NR == 16, "the asm below hard-codes 6x16 strides");
    PTC_DECLARE_ACCUMULATORS;
    prefetch_tile(c, ldc, m_eff, n_eff);
    size_t q = 0;
    for (; q + 4 <= kc; q += 4) {
        __asm__("prefetcht0 8*24(%[a])\n\t"
                "prefetcht0 8*24+64(%[a])\n\t"
                PTC_K_STEP(0) PTC_K_STEP(1) PTC_K_STEP(2) PTC_K_STEP(3)
                "add $4*24, %[a]\n\t"
                "add $4*64, %[b]\n\t"
                : PTC_ACCUMULATORS, [a] "+r"(a), [b] "+r"(b)
                :
                : "xmm13", "xmm14", "xmm15", "memory");
    }
    for (; q < kc; q++) {
        __asm__(PTC_K_STEP(0)
                "add $24, %[a]\n\t"
                "add $64, %[b]\n\t"
                : PTC_ACCUMULATORS, [a] "+r"(a), [b] "+r"(b)
                :
                : "xmm13", "xmm14", "xmm15", "memory");
    }
    const __m256 acc[2 * MR] = PTC_ACCUMULATOR_ARRAY;
    store_tile_6x16(c, ldc, m_eff, n_eff, alpha, beta, acc);
}

/* A read in place: step q reads row r at a0 + r*lda + q (rows 3..5 from a3 = a0 + 3 lda;
 * lda in bytes here) */
#define PTC_K_STEP_ROWS(q)                                                             \
    PTC_B_ROW(q)                                                                       \
    PTC_ROW_FMA(#q "*4(%[a0])", c00, c01)                                              \
    PTC_ROW_FMA(#q "*4(%[a0],%[lda],1)", c10, c11)                                     \
    PTC_ROW_FMA(#q "*4(%[a0],%[lda],2)", c20, c21)                                     \
    PTC_ROW_FMA(#q "*4(%[a3])", c30, c31)                                              \
    PTC_ROW_FMA(#q "*4(%[a3],%[lda],1)", c40, c41)                                     \
    PTC_ROW_FMA(#q "*4(%[a3],%[lda],2)", c50, c51)

/* A whole tile (6 rows) with op(A) = A read where it lies: rows a + r*lda, k columns
 * [0, kc); the products and sums of ptc_sgemm_ukernel_6x16_avx2 on the packed panel
 * of the same rows, in the same order (the same bits). */
static void ptc_sgemm_ukernel_6x16_a_rows_avx2(size_t kc, const float *a, size_t lda,
                                               const float *restrict b, float *c, size_t ldc,
                                               size_t n_eff, float alpha, float beta)
{
    const size_t m_eff = MR;
    PTC_DECLARE_ACCUMULATORS;
    prefetch_tile(c, ldc, m_eff, n_eff);
    const float *a0 = a;
    const float *a3; /* a0 + 3 lda, set in each asm block (30 operands at most) */
    const size_t lda_bytes = lda * sizeof(float);
#define PTC_ROW3 "lea (%[a0],%[lda],2), %[a3]\n\t" "add %[lda], %[a3]\n\t"
    size_t q = 0;
    for (; q + 4 <= kc; q += 4) {
        __asm__(PTC_ROW3
                PTC_K_STEP_ROWS(0) PTC_K_STEP_ROWS(1) PTC_K_STEP_ROWS(2) PTC_K_STEP_ROWS(3)
                "add $16, %[a0]\n\t"
                "add $4*64, %[b]\n\t"
                : PTC_ACCUMULATORS, [a0] "+r"(a0), [b] "+r"(b), [a3] "=&r"(a3)
                : [lda] "r"(lda_bytes)
                : "xmm13", "xmm14", "xmm15", "memory");
    }
    for (; q < kc; q++) {
        __asm__(PTC_ROW3
                PTC_K_STEP_ROWS(0)
                "add $4, %[a0]\n\t"
                "add $64, %[b]\n\t"
                : PTC_ACCUMULATORS, [a0] "+r"(a0), [b] "+r"(b), [a3] "=&r"(a3)
                : [lda] "r"(lda_bytes)
                : "xmm13", "xmm14", "xmm15", "memory");
    }
#undef PTC_ROW3
    const __m256 acc[2 * MR] = PTC_ACCUMULATOR_ARRAY;
    store_tile_6x16(c, ldc, m_eff, n_eff, alpha, beta, acc);
}
#undef PTC_K_STEP_ROWS
#undef PTC_K_STEP
#undef PTC_ACCUMULATOR_ARRAY
#undef PTC_DECLARE_ACCUMULATORS
#undef PTC_ACCUMULATORS
#undef PTC_ROW_FMA
#undef PTC_B_ROW

static const ptc_gemm_desc gemm_6x16_avx2 = {
    .name = "6x16_avx2",
    .mr = MR, .nr = NR,
    .kc_l1_pct = 75, .mc_l2_pct = 18, .nc_max = 3072, /* Zen 4: KC 384, MC 120 */
    .pack_a = pack_a_by_8x8,
    .pack_b = pack_b_by_8x8,
    .ukernel = ptc_sgemm_ukernel_6x16_avx2,
    .ukernel_a_rows = ptc_sgemm_ukernel_6x16_a_rows_avx2,
};

void ptc_sgemm_avx2(ptc_trans ta, ptc_trans tb, size_t m, size_t n, size_t k, float alpha,
                    const float *a, size_t lda, const float *b, size_t ldb, float beta,
                    float *c, size_t ldc)
{
    ptc_gemm_drive(&gemm_6x16_avx2, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* linear: bias in the first store of each tile, GELU after its last (gemm_driver.h) */
void ptc_linear_avx2(size_t rows, size_t in, size_t out, const float *x, size_t ldx,
                      const float *w, const float *bias, ptc_act act, float *y, size_t ldy)
{
    ptc_gemm_drive_linear(&gemm_6x16_avx2, act == PTC_ACT_GELU ? ptc_gelu_fwd_avx2 : NULL,
                          rows, in, out, x, ldx, w, bias, y, ldy);
}

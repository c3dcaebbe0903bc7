/*
 * kernels/x86/pack_8x8.h — 8x8 in-register transposes for packing GEMM panels.
 *
 * Shared by the AVX2 and AVX-512 sgemm packers (both are built with AVX2 enabled):
 * op(A) = A is stored by rows, an A micro-panel wants k-major columns of MR, so 8
 * k values are read from each of up to 8 rows, transposed in registers, and
 * stored as 8 panel rows (pack_a_by_8x8). Reads exactly 8 floats of each of `rows` rows.
 * op(B) = B^T (the encoder's x W^T) is the same problem with NR in place of MR:
 * pack_b_by_8x8.
 */
#ifndef PTC_KERNELS_X86_PACK_8X8_H
#define PTC_KERNELS_X86_PACK_8X8_H

#if !defined(__AVX2__)
#error "pack_8x8.h needs AVX2 (-mavx2)"
#endif

#include "../gemm_driver.h"

#include <immintrin.h>
#include <stddef.h>

/* x[q] <- column q of the 8x8 matrix whose rows are x[0..7] */
static inline void transpose_8x8(__m256 x[8])
{
    const __m256 t0 = _mm256_unpacklo_ps(x[0], x[1]), t1 = _mm256_unpackhi_ps(x[0], x[1]);
    const __m256 t2 = _mm256_unpacklo_ps(x[2], x[3]), t3 = _mm256_unpackhi_ps(x[2], x[3]);
    const __m256 t4 = _mm256_unpacklo_ps(x[4], x[5]), t5 = _mm256_unpackhi_ps(x[4], x[5]);
    const __m256 t6 = _mm256_unpacklo_ps(x[6], x[7]), t7 = _mm256_unpackhi_ps(x[6], x[7]);
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    x[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    x[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    x[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    x[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    x[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    x[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    x[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    x[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/* dst[q*stride + r] = src[r*ld + q] for r < rows (6 or 8), q < 8. Rows 6 and 7
 * of an 6-row group are not stored: q < 7 stores 8 lanes whose last two are
 * overwritten by the next q (stores go in increasing q), q = 7 stores exactly 6. */
static inline void pack_8_columns(const float *src, size_t ld, size_t rows, float *dst,
                                  size_t stride)
{
    __m256 x[8];
    for (size_t r = 0; r < 8; r++)
        x[r] = r < rows ? _mm256_loadu_ps(src + r * ld) : _mm256_setzero_ps();
    transpose_8x8(x);
    if (rows == 8) {
        for (size_t q = 0; q < 8; q++)
            _mm256_storeu_ps(dst + q * stride, x[q]);
    } else {
        for (size_t q = 0; q < 7; q++)
            _mm256_storeu_ps(dst + q * stride, x[q]);
        _mm_storeu_ps(dst + 7 * stride, _mm256_castps256_ps128(x[7]));
        _mm_storel_pi((__m64 *)(dst + 7 * stride + 4), _mm256_extractf128_ps(x[7], 1));
    }
}

/* ptc_gemm_pack_a_fn for MR = 8 j + 6 or 8 j (6, 8, 14, ...): full panels of op(A) = A
 * by 8x8 transposes, row groups of 8 and at most one (the last) of 6; partial panels
 * and op(A) = A^T (already contiguous along MR) use the generic packer. The 6-row
 * group goes first: its stores spill 2 floats into the next panel row, which the
 * 8-row groups (or the next q) then overwrite. */
static inline void pack_a_by_8x8(ptc_trans ta, const float *a, size_t lda, size_t i0, size_t mc,
                                 size_t p0, size_t kc, size_t mr, float *dst)
{
    if (ta != PTC_NO_TRANS || (mr % 8 != 0 && mr % 8 != 6)) {
        ptc_gemm_pack_a_generic(ta, a, lda, i0, mc, p0, kc, mr, dst);
        return;
    }
    for (size_t ir = 0; ir < mc; ir += mr, dst += mr * kc) {
        if (mc - ir < mr) {
            ptc_gemm_pack_a_generic(ta, a, lda, i0 + ir, mc - ir, p0, kc, mr, dst);
            continue;
        }
        const float *src = a + (i0 + ir) * lda + p0;
        size_t q = 0;
        for (; q + 8 <= kc; q += 8)
            for (size_t r0 = (mr + 7) / 8 * 8; r0 > 0;) {
                r0 -= 8;
                pack_8_columns(src + r0 * lda + q, lda, mr - r0 < 8 ? mr - r0 : 8,
                               dst + q * mr + r0, mr);
            }
        for (; q < kc; q++)
            for (size_t r = 0; r < mr; r++)
                dst[q * mr + r] = src[r * lda + q];
    }
}

/* ptc_gemm_pack_b_fn for NR a multiple of 8: full panels of op(B) = B^T (B stored
 * (n, k), a panel's columns contiguous in B) by 8x8 transposes; partial panels and
 * op(B) = B (already contiguous along NR) use the generic packer. */
static inline void pack_b_by_8x8(ptc_trans tb, const float *b, size_t ldb, size_t p0, size_t kc,
                                 size_t j0, size_t nc, size_t nr, float *dst)
{
    if (tb != PTC_TRANS || nr % 8 != 0) {
        ptc_gemm_pack_b_generic(tb, b, ldb, p0, kc, j0, nc, nr, dst);
        return;
    }
    for (size_t jr = 0; jr < nc; jr += nr, dst += nr * kc) {
        if (nc - jr < nr) {
            ptc_gemm_pack_b_generic(tb, b, ldb, p0, kc, j0 + jr, nc - jr, nr, dst);
            continue;
        }
        const float *src = b + (j0 + jr) * ldb + p0;
        size_t q = 0;
        for (; q + 8 <= kc; q += 8)
            for (size_t r = 0; r < nr; r += 8)
                pack_8_columns(src + r * ldb + q, ldb, 8, dst + q * nr + r, nr);
        for (; q < kc; q++)
            for (size_t r = 0; r < nr; r++)
                dst[q * nr + r] = src[r * ldb + q];
    }
}

#endif /* PTC_KERNELS_X86_PACK_8X8_H */

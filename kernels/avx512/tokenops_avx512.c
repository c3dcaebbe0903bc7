/*
 * kernels/avx512/tokenops_avx512.c — token ops (gather, column sum/argmax,
 * segment sum) on AVX-512 (F).
 *
 * Contract: the token-op fields of ptc_ops (include/ptc/ops.h); the spec is
 * kernels/ref/tokenops_ref.c. Row-major, leading dimensions >= cols.
 *
 * All four ops are vectorised over columns and keep the spec's row order, so
 * every result is bit-identical to ref (plain adds, no FMA, no reassociation).
 * Over-read policy: none; the last partial vector of a row is a masked
 * load/store (__mmask16), with no scalar leftover loop. col_argmax keeps its
 * "take this row" decision in a mask register and merges with masked moves.
 *
 * Threading: single-threaded, no allocation.
 */
#include "avx512.h"

#include <immintrin.h>

#if !defined(__AVX512F__) || !defined(__AVX512DQ__) || !defined(__AVX512BW__) || !defined(__AVX512VL__)
#error "kernels/avx512/ must be compiled with -mavx512f -mavx512dq -mavx512bw -mavx512vl"
#endif

enum { W = 16 }; /* floats per __m512 */

/* lanes 0..n-1 set; 0 <= n <= 16 */
static inline __mmask16 tail_mask(size_t n)
{
    return (__mmask16)((1u << n) - 1u);
}

/* dst[0..cols) = src[0..cols) */
static inline void copy_row(size_t cols, const float *src, float *dst)
{
    size_t c = 0;
    for (; c + 4 * W <= cols; c += 4 * W) {
        const __m512 a = _mm512_loadu_ps(src + c), b = _mm512_loadu_ps(src + c + W);
        const __m512 e = _mm512_loadu_ps(src + c + 2 * W), f = _mm512_loadu_ps(src + c + 3 * W);
        _mm512_storeu_ps(dst + c, a);
        _mm512_storeu_ps(dst + c + W, b);
        _mm512_storeu_ps(dst + c + 2 * W, e);
        _mm512_storeu_ps(dst + c + 3 * W, f);
    }
    for (; c + W <= cols; c += W)
        _mm512_storeu_ps(dst + c, _mm512_loadu_ps(src + c));
    if (c < cols) {
        const __mmask16 m = tail_mask(cols - c);
        _mm512_mask_storeu_ps(dst + c, m, _mm512_maskz_loadu_ps(m, src + c));
    }
}

/* src: rows of `cols` floats, leading dimension lds; rows: (n_idx); dst: (n_idx, cols) */
void ptc_gather_rows_avx512(size_t n_idx, size_t cols, const float *src, size_t lds,
                            const int32_t *rows, float *dst, size_t ldd)
{
    for (size_t i = 0; i < n_idx; i++)
        copy_row(cols, src + (size_t)rows[i] * lds, dst + i * ldd);
}

/* x: (rows, cols); out: (cols). Four column vectors at a time walk down the rows. */
void ptc_col_sum_avx512(size_t rows, size_t cols, const float *x, size_t ldx, float *out)
{
    size_t c = 0;
    for (; c + 4 * W <= cols; c += 4 * W) {
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
        __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
        for (size_t r = 0; r < rows; r++) {
            const float *xr = x + r * ldx + c;
            s0 = _mm512_add_ps(s0, _mm512_loadu_ps(xr));
            s1 = _mm512_add_ps(s1, _mm512_loadu_ps(xr + W));
            s2 = _mm512_add_ps(s2, _mm512_loadu_ps(xr + 2 * W));
            s3 = _mm512_add_ps(s3, _mm512_loadu_ps(xr + 3 * W));
        }
        _mm512_storeu_ps(out + c, s0);
        _mm512_storeu_ps(out + c + W, s1);
        _mm512_storeu_ps(out + c + 2 * W, s2);
        _mm512_storeu_ps(out + c + 3 * W, s3);
    }
    for (; c < cols; c += W) { /* whole vectors, then one masked vector */
        const __mmask16 m = tail_mask(cols - c < W ? cols - c : W);
        __m512 s = _mm512_setzero_ps();
        for (size_t r = 0; r < rows; r++)
            s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(m, x + r * ldx + c));
        _mm512_mask_storeu_ps(out + c, m, s);
    }
}

/* One step of the column argmax over the lanes of m: row r replaces the best
 * where it is greater, or where the best so far is NaN and it is not (NaN never
 * wins; ties keep the first row since only a strictly greater value replaces). */
static inline void argmax_step(__m512 v, __m512i r, __mmask16 m, __m512 *best, __m512i *best_row)
{
    const __mmask16 take = _mm512_mask_cmp_ps_mask(m, v, *best, _CMP_GT_OQ) |
                           (_mm512_mask_cmp_ps_mask(m, *best, *best, _CMP_UNORD_Q) &
                            _mm512_cmp_ps_mask(v, v, _CMP_ORD_Q));
    *best = _mm512_mask_mov_ps(*best, take, v);
    *best_row = _mm512_mask_mov_epi32(*best_row, take, r);
}

/* x: (rows, cols), rows >= 1; out: (cols) row numbers */
void ptc_col_argmax_avx512(size_t rows, size_t cols, const float *x, size_t ldx, int32_t *out)
{
    const __mmask16 all = 0xFFFF;
    size_t c = 0;
    for (; c + 2 * W <= cols; c += 2 * W) {
        __m512 b0 = _mm512_loadu_ps(x + c), b1 = _mm512_loadu_ps(x + c + W);
        __m512i i0 = _mm512_setzero_si512(), i1 = _mm512_setzero_si512();
        for (size_t r = 1; r < rows; r++) {
            const __m512i vr = _mm512_set1_epi32((int)r);
            argmax_step(_mm512_loadu_ps(x + r * ldx + c), vr, all, &b0, &i0);
            argmax_step(_mm512_loadu_ps(x + r * ldx + c + W), vr, all, &b1, &i1);
        }
        _mm512_storeu_si512(out + c, i0);
        _mm512_storeu_si512(out + c + W, i1);
    }
    for (; c < cols; c += W) { /* at most one whole vector, then one masked vector */
        const __mmask16 m = tail_mask(cols - c < W ? cols - c : W);
        __m512 b = _mm512_maskz_loadu_ps(m, x + c);
        __m512i i = _mm512_setzero_si512();
        for (size_t r = 1; r < rows; r++)
            argmax_step(_mm512_maskz_loadu_ps(m, x + r * ldx + c), _mm512_set1_epi32((int)r), m,
                        &b, &i);
        _mm512_mask_storeu_epi32(out + c, m, i);
    }
}

/* dst[0..cols) += src[0..cols) */
static inline void add_row(size_t cols, const float *src, float *dst)
{
    size_t c = 0;
    for (; c + 2 * W <= cols; c += 2 * W) {
        _mm512_storeu_ps(dst + c, _mm512_add_ps(_mm512_loadu_ps(dst + c), _mm512_loadu_ps(src + c)));
        _mm512_storeu_ps(dst + c + W, _mm512_add_ps(_mm512_loadu_ps(dst + c + W),
                                                    _mm512_loadu_ps(src + c + W)));
    }
    for (; c < cols; c += W) {
        const __mmask16 m = tail_mask(cols - c < W ? cols - c : W);
        _mm512_mask_storeu_ps(dst + c, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, dst + c),
                                                        _mm512_maskz_loadu_ps(m, src + c)));
    }
}

/* src: (n, cols); segment: (n); dst: rows indexed by segment, leading dimension ldd */
void ptc_segment_sum_rows_avx512(size_t n, size_t cols, const float *src, size_t lds,
                                 const int32_t *segment, float *dst, size_t ldd)
{
    for (size_t r = 0; r < n; r++)
        if (segment[r] >= 0)
            add_row(cols, src + r * lds, dst + (size_t)segment[r] * ldd);
}

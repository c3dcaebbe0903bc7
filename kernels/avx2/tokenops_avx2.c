/*
 * kernels/avx2/tokenops_avx2.c — token ops (gather, column sum/argmax, segment
 * sum) on AVX2.
 *
 * Contract: the token-op fields of ptc_ops (include/ptc/ops.h); the spec is
 * kernels/ref/tokenops_ref.c. Row-major, leading dimensions >= cols.
 *
 * All four ops are vectorised over columns and keep the spec's row order, so
 * every result is bit-identical to ref (plain adds, no FMA, no reassociation).
 * Over-read policy: none; the last partial vector of a row uses
 * _mm256_maskload_ps / _mm256_maskstore_ps.
 *
 * Threading: single-threaded, no allocation.
 */
#include "avx2.h"

#include <immintrin.h>

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

/* dst[0..cols) = src[0..cols) */
static inline void copy_row(size_t cols, const float *src, float *dst)
{
    size_t c = 0;
    for (; c + 4 * W <= cols; c += 4 * W) {
        const __m256 a = _mm256_loadu_ps(src + c), b = _mm256_loadu_ps(src + c + W);
        const __m256 e = _mm256_loadu_ps(src + c + 2 * W), f = _mm256_loadu_ps(src + c + 3 * W);
        _mm256_storeu_ps(dst + c, a);
        _mm256_storeu_ps(dst + c + W, b);
        _mm256_storeu_ps(dst + c + 2 * W, e);
        _mm256_storeu_ps(dst + c + 3 * W, f);
    }
    for (; c + W <= cols; c += W)
        _mm256_storeu_ps(dst + c, _mm256_loadu_ps(src + c));
    if (c < cols) {
        const __m256i m = tail_mask(cols - c);
        _mm256_maskstore_ps(dst + c, m, _mm256_maskload_ps(src + c, m));
    }
}

/* src: rows of `cols` floats, leading dimension lds; rows: (n_idx); dst: (n_idx, cols) */
void ptc_gather_rows_avx2(size_t n_idx, size_t cols, const float *src, size_t lds,
                          const int32_t *rows, float *dst, size_t ldd)
{
    for (size_t i = 0; i < n_idx; i++)
        copy_row(cols, src + (size_t)rows[i] * lds, dst + i * ldd);
}

/* x: (rows, cols); out: (cols). Four column vectors at a time walk down the rows. */
void ptc_col_sum_avx2(size_t rows, size_t cols, const float *x, size_t ldx, float *out)
{
    size_t c = 0;
    for (; c + 4 * W <= cols; c += 4 * W) {
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
        for (size_t r = 0; r < rows; r++) {
            const float *xr = x + r * ldx + c;
            s0 = _mm256_add_ps(s0, _mm256_loadu_ps(xr));
            s1 = _mm256_add_ps(s1, _mm256_loadu_ps(xr + W));
            s2 = _mm256_add_ps(s2, _mm256_loadu_ps(xr + 2 * W));
            s3 = _mm256_add_ps(s3, _mm256_loadu_ps(xr + 3 * W));
        }
        _mm256_storeu_ps(out + c, s0);
        _mm256_storeu_ps(out + c + W, s1);
        _mm256_storeu_ps(out + c + 2 * W, s2);
        _mm256_storeu_ps(out + c + 3 * W, s3);
    }
    for (; c + W <= cols; c += W) {
        __m256 s = _mm256_setzero_ps();
        for (size_t r = 0; r < rows; r++)
            s = _mm256_add_ps(s, _mm256_loadu_ps(x + r * ldx + c));
        _mm256_storeu_ps(out + c, s);
    }
    if (c < cols) {
        const __m256i m = tail_mask(cols - c);
        __m256 s = _mm256_setzero_ps();
        for (size_t r = 0; r < rows; r++)
            s = _mm256_add_ps(s, _mm256_maskload_ps(x + r * ldx + c, m));
        _mm256_maskstore_ps(out + c, m, s);
    }
}

/* One step of the column argmax: row r replaces the best where it is greater,
 * or where the best so far is NaN and it is not (NaN never wins; ties keep the
 * first row, since only a strictly greater value replaces). */
static inline void argmax_step(__m256 v, __m256i r, __m256 *best, __m256i *best_row)
{
    const __m256 greater = _mm256_cmp_ps(v, *best, _CMP_GT_OQ);
    const __m256 best_nan = _mm256_cmp_ps(*best, *best, _CMP_UNORD_Q);
    const __m256 v_num = _mm256_cmp_ps(v, v, _CMP_ORD_Q);
    const __m256 take = _mm256_or_ps(greater, _mm256_and_ps(best_nan, v_num));
    *best = _mm256_blendv_ps(*best, v, take);
    *best_row = _mm256_castps_si256(
        _mm256_blendv_ps(_mm256_castsi256_ps(*best_row), _mm256_castsi256_ps(r), take));
}

/* x: (rows, cols), rows >= 1; out: (cols) row numbers */
void ptc_col_argmax_avx2(size_t rows, size_t cols, const float *x, size_t ldx, int32_t *out)
{
    size_t c = 0;
    for (; c + 2 * W <= cols; c += 2 * W) {
        __m256 b0 = _mm256_loadu_ps(x + c), b1 = _mm256_loadu_ps(x + c + W);
        __m256i i0 = _mm256_setzero_si256(), i1 = _mm256_setzero_si256();
        for (size_t r = 1; r < rows; r++) {
            const __m256i vr = _mm256_set1_epi32((int)r);
            argmax_step(_mm256_loadu_ps(x + r * ldx + c), vr, &b0, &i0);
            argmax_step(_mm256_loadu_ps(x + r * ldx + c + W), vr, &b1, &i1);
        }
        _mm256_storeu_si256((__m256i *)(out + c), i0);
        _mm256_storeu_si256((__m256i *)(out + c + W), i1);
    }
    for (; c + W <= cols; c += W) {
        __m256 b = _mm256_loadu_ps(x + c);
        __m256i i = _mm256_setzero_si256();
        for (size_t r = 1; r < rows; r++)
            argmax_step(_mm256_loadu_ps(x + r * ldx + c), _mm256_set1_epi32((int)r), &b, &i);
        _mm256_storeu_si256((__m256i *)(out + c), i);
    }
    if (c < cols) { /* inactive lanes load 0 and are never stored */
        const __m256i m = tail_mask(cols - c);
        __m256 b = _mm256_maskload_ps(x + c, m);
        __m256i i = _mm256_setzero_si256();
        for (size_t r = 1; r < rows; r++)
            argmax_step(_mm256_maskload_ps(x + r * ldx + c, m), _mm256_set1_epi32((int)r), &b, &i);
        _mm256_maskstore_epi32((int *)(out + c), m, i);
    }
}

/* dst[0..cols) += src[0..cols) */
static inline void add_row(size_t cols, const float *src, float *dst)
{
    size_t c = 0;
    for (; c + 2 * W <= cols; c += 2 * W) {
        _mm256_storeu_ps(dst + c, _mm256_add_ps(_mm256_loadu_ps(dst + c), _mm256_loadu_ps(src + c)));
        _mm256_storeu_ps(dst + c + W, _mm256_add_ps(_mm256_loadu_ps(dst + c + W),
                                                    _mm256_loadu_ps(src + c + W)));
    }
    for (; c + W <= cols; c += W)
        _mm256_storeu_ps(dst + c, _mm256_add_ps(_mm256_loadu_ps(dst + c), _mm256_loadu_ps(src + c)));
    if (c < cols) {
        const __m256i m = tail_mask(cols - c);
        _mm256_maskstore_ps(dst + c, m, _mm256_add_ps(_mm256_maskload_ps(dst + c, m),
                                                      _mm256_maskload_ps(src + c, m)));
    }
}

/* src: (n, cols); segment: (n); dst: rows indexed by segment, leading dimension ldd */
void ptc_segment_sum_rows_avx2(size_t n, size_t cols, const float *src, size_t lds,
                               const int32_t *segment, float *dst, size_t ldd)
{
    for (size_t r = 0; r < n; r++)
        if (segment[r] >= 0)
            add_row(cols, src + r * lds, dst + (size_t)segment[r] * ldd);
}

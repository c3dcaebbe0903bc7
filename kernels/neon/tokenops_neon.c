/*
 * kernels/neon/tokenops_neon.c — token ops (gather, column sum/argmax, segment
 * sum) on AArch64 Advanced SIMD.
 *
 * Contract: the token-op fields of ptc_ops (include/ptc/ops.h); the spec is
 * kernels/ref/tokenops_ref.c. Row-major, leading dimensions >= cols.
 *
 * All four ops are vectorised over columns and keep the spec's row order, so
 * every result is bit-identical to ref (plain adds, no FMA, no reassociation).
 * Over-read policy: none. NEON has no masked loads; the last 1..3 columns are
 * handled one column at a time with exactly the same operations (a float add
 * per row, the same compare rule), which is still bit-identical.
 *
 * Threading: single-threaded, no allocation.
 */
#include "neon.h"

#include <arm_neon.h>
#include <string.h>

#if !defined(__aarch64__) || !defined(__ARM_NEON)
#error "kernels/neon/ is for aarch64 with Advanced SIMD"
#endif

enum { W = 4 }; /* floats per float32x4_t */

/* src: rows of `cols` floats, leading dimension lds; rows: (n_idx); dst: (n_idx, cols) */
void ptc_gather_rows_neon(size_t n_idx, size_t cols, const float *src, size_t lds,
                          const int32_t *rows, float *dst, size_t ldd)
{
    for (size_t i = 0; i < n_idx; i++) {
        const float *s = src + (size_t)rows[i] * lds;
        float *d = dst + i * ldd;
        size_t c = 0;
        for (; c + 4 * W <= cols; c += 4 * W)
            vst1q_f32_x4(d + c, vld1q_f32_x4(s + c));
        for (; c + W <= cols; c += W)
            vst1q_f32(d + c, vld1q_f32(s + c));
        memcpy(d + c, s + c, (cols - c) * sizeof(float));
    }
}

/* x: (rows, cols); out: (cols). Four column vectors at a time walk down the rows. */
void ptc_col_sum_neon(size_t rows, size_t cols, const float *x, size_t ldx, float *out)
{
    size_t c = 0;
    for (; c + 4 * W <= cols; c += 4 * W) {
        float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0, s2 = s0, s3 = s0;
        for (size_t r = 0; r < rows; r++) {
            const float *xr = x + r * ldx + c;
            s0 = vaddq_f32(s0, vld1q_f32(xr));
            s1 = vaddq_f32(s1, vld1q_f32(xr + W));
            s2 = vaddq_f32(s2, vld1q_f32(xr + 2 * W));
            s3 = vaddq_f32(s3, vld1q_f32(xr + 3 * W));
        }
        vst1q_f32(out + c, s0);
        vst1q_f32(out + c + W, s1);
        vst1q_f32(out + c + 2 * W, s2);
        vst1q_f32(out + c + 3 * W, s3);
    }
    for (; c + W <= cols; c += W) {
        float32x4_t s = vdupq_n_f32(0.0f);
        for (size_t r = 0; r < rows; r++)
            s = vaddq_f32(s, vld1q_f32(x + r * ldx + c));
        vst1q_f32(out + c, s);
    }
    for (; c < cols; c++) {
        float s = 0.0f;
        for (size_t r = 0; r < rows; r++)
            s += x[r * ldx + c];
        out[c] = s;
    }
}

/* One step of the column argmax: row r replaces the best where it is greater,
 * or where the best so far is NaN and it is not (NaN never wins; ties keep the
 * first row since only a strictly greater value replaces). */
static inline void argmax_step(float32x4_t v, uint32x4_t r, float32x4_t *best, uint32x4_t *best_row)
{
    const uint32x4_t greater = vcgtq_f32(v, *best);
    const uint32x4_t best_nan = vmvnq_u32(vceqq_f32(*best, *best));
    const uint32x4_t take = vorrq_u32(greater, vandq_u32(best_nan, vceqq_f32(v, v)));
    *best = vbslq_f32(take, v, *best);
    *best_row = vbslq_u32(take, r, *best_row);
}

/* x: (rows, cols), rows >= 1; out: (cols) row numbers */
void ptc_col_argmax_neon(size_t rows, size_t cols, const float *x, size_t ldx, int32_t *out)
{
    size_t c = 0;
    for (; c + 2 * W <= cols; c += 2 * W) {
        float32x4_t b0 = vld1q_f32(x + c), b1 = vld1q_f32(x + c + W);
        uint32x4_t i0 = vdupq_n_u32(0), i1 = vdupq_n_u32(0);
        for (size_t r = 1; r < rows; r++) {
            const uint32x4_t vr = vdupq_n_u32((uint32_t)r);
            argmax_step(vld1q_f32(x + r * ldx + c), vr, &b0, &i0);
            argmax_step(vld1q_f32(x + r * ldx + c + W), vr, &b1, &i1);
        }
        vst1q_s32(out + c, vreinterpretq_s32_u32(i0));
        vst1q_s32(out + c + W, vreinterpretq_s32_u32(i1));
    }
    for (; c + W <= cols; c += W) {
        float32x4_t b = vld1q_f32(x + c);
        uint32x4_t i = vdupq_n_u32(0);
        for (size_t r = 1; r < rows; r++)
            argmax_step(vld1q_f32(x + r * ldx + c), vdupq_n_u32((uint32_t)r), &b, &i);
        vst1q_s32(out + c, vreinterpretq_s32_u32(i));
    }
    for (; c < cols; c++) { /* the same rule, one column */
        float best = x[c];
        int32_t best_row = 0;
        for (size_t r = 1; r < rows; r++) {
            const float v = x[r * ldx + c];
            if (v > best || (best != best && v == v)) {
                best = v;
                best_row = (int32_t)r;
            }
        }
        out[c] = best_row;
    }
}

/* src: (n, cols); segment: (n); dst: rows indexed by segment, leading dimension ldd */
void ptc_segment_sum_rows_neon(size_t n, size_t cols, const float *src, size_t lds,
                               const int32_t *segment, float *dst, size_t ldd)
{
    for (size_t r = 0; r < n; r++) {
        if (segment[r] < 0)
            continue;
        const float *s = src + r * lds;
        float *d = dst + (size_t)segment[r] * ldd;
        size_t c = 0;
        for (; c + 2 * W <= cols; c += 2 * W) {
            vst1q_f32(d + c, vaddq_f32(vld1q_f32(d + c), vld1q_f32(s + c)));
            vst1q_f32(d + c + W, vaddq_f32(vld1q_f32(d + c + W), vld1q_f32(s + c + W)));
        }
        for (; c + W <= cols; c += W)
            vst1q_f32(d + c, vaddq_f32(vld1q_f32(d + c), vld1q_f32(s + c)));
        for (; c < cols; c++)
            d[c] += s[c];
    }
}

/*
 * kernels/neon/attention_backward_neon.c — the fused attention backward of one head
 * (flash-attention backward), AArch64 Advanced SIMD: ptc_attention_backward_neon.
 *
 * Contract: ptc_attention_bwd_args in include/ptc/ops.h; specification:
 * ptc_attention_backward_ref (kernels/ref/attention_ref.c).
 *
 * The block loop is the ISA-free driver's (ptc_attn_backward_drive,
 * kernels/attention_driver.h), shared with the x86 backward kernels; this file holds
 * the NEON micro-kernels it runs. Per block of QB = 16 query rows (the forward's blocking, attention_neon.h):
 *   - q and dO of the block are packed transposed (qt, dot: d x 16), once when
 *     d <= DMAX, else chunk by chunk per tile; D_i = dO_i . o_i and lse_i sit one
 *     lane per row (rows past n_q or with lse = -INFINITY get lse = +INFINITY, so
 *     their p is exactly 0 and they contribute nothing);
 *   - dq rows of the block are zeroed, then for every tile of active kept keys:
 *       st  = S^T  (tile x 16) by the forward's score micro-kernel (q, k),
 *       dpt = dP^T (tile x 16) by the same micro-kernel (dO, v, unscaled),
 *       vertically: p = exp(st - lse), ds = scale * p * (dpt - D),
 *       then three rank updates with head-dim columns in lanes (update_rows_neon):
 *       dv_t += sum_i p[t][i] dO_i, dk_t += sum_i ds[t][i] q_i (in the kept rows
 *       of dv, dk) and dq_i += sum_t ds[t][i] k_t (in dq); in place, or in the
 *       driver's dense stage when rows lie >= 1 KiB apart (ptc_attn_bwd_stage).
 *   - Rank-update micro-kernel: 6 output rows x 16 columns (24 accumulators), per
 *     step 4 loads of the input row and 6 vfmaq_n_f32 per vector; the last
 *     1..3 groups of 4 columns use the same kernel with fewer vectors, and the last
 *     d % 4 columns a scalar loop (NEON has no masked loads: nothing past d is read
 *     or written).
 * The rows of dk and dv of every kept key are zeroed first (masked keys stay 0).
 *
 * Memory: the driver's (~89 KiB of stack; per-thread scratch for staging at wide
 * strides). Reads only the rows of q, k, v, o, dO named by the arguments; writes
 * only dq[0..n_q)[0..d) and the kept rows of dk, dv.
 * Deterministic (fixed order), single-threaded.
 */
#include "neon.h"
#include "attention_neon.h"

#include <string.h>

enum {
    W = 4,   /* floats per q-register */
    RB = 6,  /* output rows per rank-update micro-kernel */
    NV = 4,  /* q-registers of columns per rank-update micro-kernel (16 columns) */
};

/* out_r[c0 + ..) += sum_{x < nx} coef[r * crs + x * cxs] * in_x[c0 + ..] for r < rows,
 * over nv vectors of 4 columns. rows and nv are compile-time constants after
 * inlining. */
ALWAYS_INLINE void update_block(const int rows, const int nv, float *const *out, size_t c0,
                                const float *coef, size_t crs, size_t cxs, size_t nx,
                                const float *const *in)
{
    float32x4_t acc[RB][NV];
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < nv; v++)
            acc[r][v] = vld1q_f32(out[r] + c0 + v * W);
    for (size_t x = 0; x < nx; x++) {
        const float *ix = in[x] + c0, *cx = coef + x * cxs;
        float32x4_t b[NV];
        for (int v = 0; v < nv; v++)
            b[v] = vld1q_f32(ix + v * W);
        for (int r = 0; r < rows; r++) {
            const float s = cx[r * crs];
            for (int v = 0; v < nv; v++)
                acc[r][v] = vfmaq_n_f32(acc[r][v], b[v], s);
        }
    }
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < nv; v++)
            vst1q_f32(out[r] + c0 + v * W, acc[r][v]);
}

#define UPDATE_ROWS_CASE(R)                                                             \
    case R:                                                                             \
        switch (nv) {                                                                   \
        case 1: update_block(R, 1, o, c0, cf, crs, cxs, nx, in); break;                 \
        case 2: update_block(R, 2, o, c0, cf, crs, cxs, nx, in); break;                 \
        case 3: update_block(R, 3, o, c0, cf, crs, cxs, nx, in); break;                 \
        default: update_block(R, 4, o, c0, cf, crs, cxs, nx, in); break;                \
        }                                                                               \
        break;

/* out_r[c] += sum_{x < nx} coef[r * crs + x * cxs] * in_x[c] for r < rows, c < d:
 * (rows, d) += coef (rows, nx) * in (nx, d), every row of out and in through its
 * own pointer. */
static void update_rows_neon(size_t rows, size_t d, float *const *out, const float *coef,
                             size_t crs, size_t cxs, size_t nx, const float *const *in)
{
    if (nx == 0)
        return;
    const size_t dv = d - d % W; /* columns in whole vectors */
    for (size_t c0 = 0; c0 < dv; c0 += NV * W) {
        const int nv = (int)((dv - c0 < NV * W ? dv - c0 : NV * W) / W);
        for (size_t r0 = 0; r0 < rows; r0 += RB) {
            const size_t rn = rows - r0 < RB ? rows - r0 : RB;
            float *const *o = out + r0;
            const float *cf = coef + r0 * crs;
            switch (rn) { /* rows and vectors as compile-time constants */
            UPDATE_ROWS_CASE(1)
            UPDATE_ROWS_CASE(2)
            UPDATE_ROWS_CASE(3)
            UPDATE_ROWS_CASE(4)
            UPDATE_ROWS_CASE(5)
            default:
            UPDATE_ROWS_CASE(6)
            }
        }
    }
    for (size_t r = 0; r < rows; r++) /* the last d % 4 columns */
        for (size_t c = dv; c < d; c++) {
            float acc = out[r][c];
            for (size_t x = 0; x < nx; x++)
                acc += coef[r * crs + x * cxs] * in[x][c];
            out[r][c] = acc;
        }
}

/* zeroes (rows, d) through row pointers */
static void zero_rows(size_t rows, size_t d, float *const *out)
{
    for (size_t r = 0; r < rows; r++) {
        size_t c = 0;
        for (; c + W <= d; c += W)
            vst1q_f32(out[r] + c, vdupq_n_f32(0.0f));
        for (; c < d; c++)
            out[r][c] = 0.0f;
    }
}

/* dot(x, y) over d floats */
static float dot_neon(size_t d, const float *x, const float *y)
{
    float32x4_t acc = vdupq_n_f32(0.0f);
    size_t c = 0;
    for (; c + W <= d; c += W)
        acc = vfmaq_f32(acc, vld1q_f32(x + c), vld1q_f32(y + c));
    float sum = vaddvq_f32(acc);
    for (; c < d; c++)
        sum += x[c] * y[c];
    return sum;
}

/* p = exp(s - lse) into st, ds = scale * p * (dP - D) into dpt, for n keys */
static void softmax_grad_neon(size_t n, float *st, float *dpt, const float *lse, const float *delta,
                              float scale)
{
    float32x4_t lse_v[QB / W], delta_v[QB / W];
    for (int v = 0; v < QB / W; v++) {
        lse_v[v] = vld1q_f32(lse + v * W);
        delta_v[v] = vld1q_f32(delta + v * W);
    }
    for (size_t t = 0; t < n; t++) {
        float *s = st + t * QB, *dp = dpt + t * QB;
        for (int v = 0; v < QB / W; v++) {
            const float32x4_t p = exp_neon(vsubq_f32(vld1q_f32(s + v * W), lse_v[v]));
            vst1q_f32(s + v * W, p);
            vst1q_f32(dp + v * W, vmulq_f32(vmulq_n_f32(p, scale),
                                            vsubq_f32(vld1q_f32(dp + v * W), delta_v[v])));
        }
    }
}

static const ptc_attn_bwd_ukernels attn_bwd_neon = {
    .tile = &attn_tile_neon, .softmax_grad = softmax_grad_neon,
    .update_rows = update_rows_neon, .zero_rows = zero_rows, .dot = dot_neon};

void ptc_attention_backward_neon(const ptc_attention_bwd_args *args)
{
    ptc_attn_backward_drive(&attn_bwd_neon, args);
}

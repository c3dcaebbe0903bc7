/*
 * kernels/avx512/attention_backward_avx512.c — the fused attention backward of one
 * head (flash-attention backward), AVX-512 (F + DQ + BW + VL):
 * ptc_attention_backward_avx512.
 *
 * Contract: ptc_attention_bwd_args in include/ptc/ops.h; specification:
 * ptc_attention_backward_ref (kernels/ref/attention_ref.c).
 *
 * The block loop is the ISA-free driver's (ptc_attn_backward_drive,
 * kernels/attention_driver.h); this file holds the AVX-512 micro-kernels it runs.
 * Per block of QB = 32 query rows (the forward's blocking, attention_avx512.h):
 *   - q and dO of the block are packed transposed (qt, dot: d x 32), once when
 *     d <= DMAX, else chunk by chunk per tile; D_i = dO_i . o_i and lse_i sit one
 *     lane per row (rows past n_q or with lse = -INFINITY get lse = +INFINITY, so
 *     their p is exactly 0 and they contribute nothing);
 *   - dq rows of the block are zeroed, then for every tile of active kept keys
 *     (kernels/attention_common.h: keys masked by -INFINITY never enter):
 *       st  = S^T  (tile x 32) by the forward's score micro-kernel (q, k),
 *       dpt = dP^T (tile x 32) by the same micro-kernel (dO, v, unscaled),
 *       vertically: p = exp(st - lse), ds = scale * p * (dpt - D)  (no reductions),
 *       then three rank updates with head-dim columns in lanes (update_rows_avx512):
 *       dv_t += sum_i p[t][i] dO_i, dk_t += sum_i ds[t][i] q_i (rows of the kept
 *       keys, accumulated in dv, dk across query blocks) and
 *       dq_i += sum_t ds[t][i] k_t (rows of the block, in dq); in place, or in
 *       the driver's dense stage when rows lie >= 1 KiB apart (ptc_attn_bwd_stage).
 *   - Rank-update micro-kernel: 6 output rows x 64 columns (24 zmm accumulators),
 *     per step 4 masked loads of the input row and 6 broadcasts of coefficients;
 *     columns past d are masked lanes (loads and stores never touch them).
 * The rows of dk and dv of every kept key are zeroed first (masked keys stay 0).
 * Nothing of size (n_q, n_kv) exists: per block, two tiles of 48 x 32 floats.
 *
 * Memory: the driver's (ptc_attn_backward_drive): ~89 KiB of stack, sized for every
 * ISA, and with n_kv <= 512 and rows >= 1 KiB apart a copy of the kept K and V
 * rows and a dense stage of the row operands in per-thread scratch (kept).
 * Reads only the rows of q, k, v, o, dO named by the
 * arguments (masked loads); writes only dq[0..n_q)[0..d) and the kept rows of dk,
 * dv. Deterministic (fixed order), single-threaded.
 */
#include "avx512.h"
#include "attention_avx512.h"

#include <string.h>

enum {
    RB = 6,  /* output rows per rank-update micro-kernel */
    NV = 4,  /* zmm columns per rank-update micro-kernel (64 head-dim columns) */
};

/* out_r[c0 + ..) += sum_{x < nx} coef[r * crs + x * cxs] * in_x[c0 + ..] for r < rows,
 * over nv vectors of columns (lanes off in m[v] are neither read nor written).
 * rows and nv are compile-time constants after inlining. */
ALWAYS_INLINE void update_block(const int rows, const int nv, float *const *out, size_t c0,
                                const __mmask16 *m, const float *coef, size_t crs, size_t cxs,
                                size_t nx, const float *const *in)
{
    __m512 acc[RB][NV];
#pragma GCC unroll 6
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            acc[r][v] = _mm512_maskz_loadu_ps(m[v], out[r] + c0 + v * W);
    for (size_t x = 0; x < nx; x++) {
        const float *ix = in[x] + c0, *cx = coef + x * cxs;
        __m512 b[NV];
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            b[v] = _mm512_maskz_loadu_ps(m[v], ix + v * W);
#pragma GCC unroll 6
        for (int r = 0; r < rows; r++) {
            const __m512 s = _mm512_set1_ps(cx[r * crs]);
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++)
                acc[r][v] = _mm512_fmadd_ps(b[v], s, acc[r][v]);
        }
    }
#pragma GCC unroll 6
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            _mm512_mask_storeu_ps(out[r] + c0 + v * W, m[v], acc[r][v]);
}

#define UPDATE_ROWS_CASE(R)                                                             \
    case R:                                                                             \
        switch (nv) {                                                                   \
        case 1: update_block(R, 1, o, c0, m, cf, crs, cxs, nx, in); break;              \
        case 2: update_block(R, 2, o, c0, m, cf, crs, cxs, nx, in); break;              \
        case 3: update_block(R, 3, o, c0, m, cf, crs, cxs, nx, in); break;              \
        default: update_block(R, 4, o, c0, m, cf, crs, cxs, nx, in); break;             \
        }                                                                               \
        break;

/* out_r[c] += sum_{x < nx} coef[r * crs + x * cxs] * in_x[c] for r < rows, c < d:
 * (rows, d) += coef (rows, nx) * in (nx, d), every row of out and in through its
 * own pointer. */
static void update_rows_avx512(size_t rows, size_t d, float *const *out, const float *coef,
                               size_t crs, size_t cxs, size_t nx, const float *const *in)
{
    if (nx == 0)
        return;
    for (size_t c0 = 0; c0 < d; c0 += NV * W) {
        const size_t cn = d - c0 < NV * W ? d - c0 : NV * W;
        const int nv = (int)((cn + W - 1) / W);
        __mmask16 m[NV];
        for (int v = 0; v < NV; v++)
            m[v] = cn > (size_t)v * W ? head_mask(cn - (size_t)v * W) : 0;
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
}

/* zeroes (rows, d) through row pointers */
static void zero_rows(size_t rows, size_t d, float *const *out)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < d; c += W)
            _mm512_mask_storeu_ps(out[r] + c, head_mask(d - c), _mm512_setzero_ps());
}

/* dot(x, y) over d floats (masked tail) */
static float dot_avx512(size_t d, const float *x, const float *y)
{
    __m512 acc = _mm512_setzero_ps();
    for (size_t c = 0; c < d; c += W) {
        const __mmask16 m = head_mask(d - c);
        acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + c), _mm512_maskz_loadu_ps(m, y + c), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

/* p = exp(s - lse) into st, ds = scale * p * (dP - D) into dpt, for n keys */
static void softmax_grad_avx512(size_t n, float *st, float *dpt, const float *lse,
                                const float *delta, float scale_f)
{
    const __m512 lse0 = _mm512_load_ps(lse), lse1 = _mm512_load_ps(lse + W);
    const __m512 delta0 = _mm512_load_ps(delta), delta1 = _mm512_load_ps(delta + W);
    const __m512 scale = _mm512_set1_ps(scale_f);
    for (size_t t = 0; t < n; t++) {
        float *s = st + t * QB, *dp = dpt + t * QB;
        const __m512 p0 = exp_avx512(_mm512_sub_ps(_mm512_load_ps(s), lse0));
        const __m512 p1 = exp_avx512(_mm512_sub_ps(_mm512_load_ps(s + W), lse1));
        _mm512_store_ps(s, p0);
        _mm512_store_ps(s + W, p1);
        _mm512_store_ps(dp, _mm512_mul_ps(_mm512_mul_ps(p0, scale),
                                          _mm512_sub_ps(_mm512_load_ps(dp), delta0)));
        _mm512_store_ps(dp + W, _mm512_mul_ps(_mm512_mul_ps(p1, scale),
                                              _mm512_sub_ps(_mm512_load_ps(dp + W), delta1)));
    }
}

static const ptc_attn_bwd_ukernels attn_bwd_avx512 = {
    .tile = &attn_tile_avx512, .softmax_grad = softmax_grad_avx512,
    .update_rows = update_rows_avx512, .zero_rows = zero_rows, .dot = dot_avx512};

void ptc_attention_backward_avx512(const ptc_attention_bwd_args *args)
{
    ptc_attn_backward_drive(&attn_bwd_avx512, args);
}

/*
 * kernels/avx2/attention_backward_avx2.c — the fused attention backward of one head
 * (flash-attention backward), AVX2 + FMA: ptc_attention_backward_avx2.
 *
 * Contract: ptc_attention_bwd_args in include/ptc/ops.h; specification:
 * ptc_attention_backward_ref (kernels/ref/attention_ref.c).
 *
 * The block loop is the ISA-free driver's (ptc_attn_backward_drive,
 * kernels/attention_driver.h), shared with the AVX-512 backward; this file holds the
 * AVX2 micro-kernels it runs, sized for 16 ymm registers. Per block of QB = 16 query rows (the forward's blocking,
 * attention_avx2.h):
 *   - q and dO of the block are packed transposed (qt, dot: d x 16), once when
 *     d <= DMAX, else chunk by chunk per tile; D_i = dO_i . o_i and lse_i sit one
 *     lane per row (rows past n_q or with lse = -INFINITY get lse = +INFINITY, so
 *     their p is exactly 0 and they contribute nothing);
 *   - dq rows of the block are zeroed, then for every tile of active kept keys:
 *       st  = S^T  (tile x 16) by the forward's score micro-kernel (q, k),
 *       dpt = dP^T (tile x 16) by the same micro-kernel (dO, v, unscaled),
 *       vertically: p = exp(st - lse), ds = scale * p * (dpt - D),
 *       then three rank updates with head-dim columns in lanes (update_rows_avx2):
 *       dv_t += sum_i p[t][i] dO_i, dk_t += sum_i ds[t][i] q_i (in the kept rows
 *       of dv, dk) and dq_i += sum_t ds[t][i] k_t (in dq); in place, or in the
 *       driver's dense stage when rows lie >= 1 KiB apart (ptc_attn_bwd_stage).
 *   - Rank-update micro-kernel: 6 output rows x 16 columns (12 ymm accumulators),
 *     per step 2 loads of the input row and 6 broadcasts; full 16-column chunks use
 *     plain loads and stores, the last 1..15 columns vmaskmov (never touching
 *     memory past d).
 * The rows of dk and dv of every kept key are zeroed first (masked keys stay 0).
 *
 * Memory: the driver's (ptc_attn_backward_drive): ~89 KiB of stack, sized for every
 * ISA, and with n_kv <= 512 and rows >= 1 KiB apart a copy of the kept K and V
 * rows and a dense stage of the row operands in per-thread scratch (kept).
 * Reads only the rows of q, k, v, o, dO named by the
 * arguments; writes only dq[0..n_q)[0..d) and the kept rows of dk, dv.
 * Deterministic (fixed order), single-threaded.
 */
#include "avx2.h"
#include "attention_avx2.h"

#include <string.h>

enum {
    W = 8,   /* floats per ymm */
    RB = 6,  /* output rows per rank-update micro-kernel */
    NV = 2,  /* ymm columns per rank-update micro-kernel (16 head-dim columns) */
};

/* lanes < count (count may exceed 8) */
ALWAYS_INLINE __m256i lanes_below(size_t count)
{
    const int n = count < (size_t)W ? (int)count : W;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* out_r[c0 + ..) += sum_{x < nx} coef[r * crs + x * cxs] * in_x[c0 + ..] for r < rows,
 * over nv vectors of columns; `masked`: only the lanes in m[v] are read and written.
 * rows, nv and masked are compile-time constants after inlining. */
ALWAYS_INLINE void update_block(const int rows, const int nv, const bool masked, float *const *out,
                                size_t c0, const __m256i *m, const float *coef, size_t crs,
                                size_t cxs, size_t nx, const float *const *in)
{
    __m256 acc[RB][NV];
#pragma GCC unroll 6
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++)
            acc[r][v] = masked ? _mm256_maskload_ps(out[r] + c0 + v * W, m[v])
                               : _mm256_loadu_ps(out[r] + c0 + v * W);
    for (size_t x = 0; x < nx; x++) {
        const float *ix = in[x] + c0, *cx = coef + x * cxs;
        __m256 b[NV];
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++)
            b[v] = masked ? _mm256_maskload_ps(ix + v * W, m[v]) : _mm256_loadu_ps(ix + v * W);
#pragma GCC unroll 6
        for (int r = 0; r < rows; r++) {
            const __m256 s = _mm256_broadcast_ss(cx + r * crs);
#pragma GCC unroll 2
            for (int v = 0; v < nv; v++)
                acc[r][v] = _mm256_fmadd_ps(b[v], s, acc[r][v]);
        }
    }
#pragma GCC unroll 6
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++) {
            if (masked)
                _mm256_maskstore_ps(out[r] + c0 + v * W, m[v], acc[r][v]);
            else
                _mm256_storeu_ps(out[r] + c0 + v * W, acc[r][v]);
        }
}

#define UPDATE_ROWS_CASE(R)                                                             \
    case R:                                                                             \
        if (!tail)                                                                      \
            update_block(R, 2, false, o, c0, m, cf, crs, cxs, nx, in);                  \
        else if (nv == 1)                                                               \
            update_block(R, 1, true, o, c0, m, cf, crs, cxs, nx, in);                   \
        else                                                                            \
            update_block(R, 2, true, o, c0, m, cf, crs, cxs, nx, in);                   \
        break;

/* out_r[c] += sum_{x < nx} coef[r * crs + x * cxs] * in_x[c] for r < rows, c < d:
 * (rows, d) += coef (rows, nx) * in (nx, d), every row of out and in through its
 * own pointer. */
static void update_rows_avx2(size_t rows, size_t d, float *const *out, const float *coef,
                             size_t crs, size_t cxs, size_t nx, const float *const *in)
{
    if (nx == 0)
        return;
    for (size_t c0 = 0; c0 < d; c0 += NV * W) {
        const size_t cn = d - c0 < NV * W ? d - c0 : NV * W;
        const bool tail = cn < NV * W;
        const int nv = (int)((cn + W - 1) / W);
        const __m256i m[NV] = {lanes_below(cn), lanes_below(cn > W ? cn - W : 0)};
        for (size_t r0 = 0; r0 < rows; r0 += RB) {
            const size_t rn = rows - r0 < RB ? rows - r0 : RB;
            float *const *o = out + r0;
            const float *cf = coef + r0 * crs;
            switch (rn) { /* rows, vectors and masking as compile-time constants */
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
    for (size_t r = 0; r < rows; r++) {
        size_t c = 0;
        for (; c + W <= d; c += W)
            _mm256_storeu_ps(out[r] + c, _mm256_setzero_ps());
        if (c < d)
            _mm256_maskstore_ps(out[r] + c, lanes_below(d - c), _mm256_setzero_ps());
    }
}

/* dot(x, y) over d floats */
static float dot_avx2(size_t d, const float *x, const float *y)
{
    __m256 acc = _mm256_setzero_ps();
    size_t c = 0;
    for (; c + W <= d; c += W)
        acc = _mm256_fmadd_ps(_mm256_loadu_ps(x + c), _mm256_loadu_ps(y + c), acc);
    if (c < d) {
        const __m256i m = lanes_below(d - c);
        acc = _mm256_fmadd_ps(_mm256_maskload_ps(x + c, m), _mm256_maskload_ps(y + c, m), acc);
    }
    return hsum_avx2(acc);
}

/* p = exp(s - lse) into st, ds = scale * p * (dP - D) into dpt, for n keys */
static void softmax_grad_avx2(size_t n, float *st, float *dpt, const float *lse, const float *delta,
                              float scale_f)
{
    const __m256 lse0 = _mm256_load_ps(lse), lse1 = _mm256_load_ps(lse + W);
    const __m256 delta0 = _mm256_load_ps(delta), delta1 = _mm256_load_ps(delta + W);
    const __m256 scale = _mm256_set1_ps(scale_f);
    for (size_t t = 0; t < n; t++) {
        float *s = st + t * QB, *dp = dpt + t * QB;
        const __m256 p0 = exp_avx2(_mm256_sub_ps(_mm256_load_ps(s), lse0));
        const __m256 p1 = exp_avx2(_mm256_sub_ps(_mm256_load_ps(s + W), lse1));
        _mm256_store_ps(s, p0);
        _mm256_store_ps(s + W, p1);
        _mm256_store_ps(dp, _mm256_mul_ps(_mm256_mul_ps(p0, scale),
                                          _mm256_sub_ps(_mm256_load_ps(dp), delta0)));
        _mm256_store_ps(dp + W, _mm256_mul_ps(_mm256_mul_ps(p1, scale),
                                              _mm256_sub_ps(_mm256_load_ps(dp + W), delta1)));
    }
}

static const ptc_attn_bwd_ukernels attn_bwd_avx2 = {
    .tile = &attn_tile_avx2, .softmax_grad = softmax_grad_avx2,
    .update_rows = update_rows_avx2, .zero_rows = zero_rows, .dot = dot_avx2};

void ptc_attention_backward_avx2(const ptc_attention_bwd_args *args)
{
    ptc_attn_backward_drive(&attn_bwd_avx2, args);
}

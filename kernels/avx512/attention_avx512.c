/*
 * kernels/avx512/attention_avx512.c — one attention head, fused (flash-attention
 * style), AVX-512 (F + DQ + BW + VL): ptc_attention_avx512 and
 * ptc_attention_importance_avx512.
 *
 * Contract: ptc_attention_args in include/ptc/ops.h; specification (masks, empty
 * rows, lse): kernels/ref/attention_ref.c.
 *
 * Same algorithm as the AVX2 kernel ("queries in lanes", kernels/attention_common.h),
 * sized and written for AVX-512:
 *   - 32 zmm registers: query block QB = 32 rows (2 zmm per head-dim column) and
 *     12-key score micro-kernel = 24 accumulators (AVX2: 16 rows x 6 keys = 12);
 *     the key value is broadcast straight from its row (vbroadcastss from
 *     memory, one load-port op; 12 row pointers stay in registers). P x V: 12 head-dim
 *     columns x 32 queries = 24 accumulators per micro-kernel call.
 *   - Mask registers for every tail, no scalar leftovers:
 *       * head-dim tails when packing q (a row of q is read 16 columns at a time,
 *         _mm512_maskz_loadu_ps for the last partial 16, and scattered into the
 *         transposed block with the same mask) and when writing o (the
 *         transposed accumulator is gathered 16 columns at a time,
 *         a masked vgatherdps (index pinned to zmm0-15: see gather16_masked), and
 *         stored with _mm512_mask_storeu_ps);
 *       * the exp underflow (x < -87.33, incl. -INFINITY -> exactly 0) is a
 *         compare into a mask and a zero-masked _mm512_maskz_scalef_ps.
 *     The key-tile tail needs no mask: the tile builder pads the pointer list to
 *     a multiple of 12 with a valid row, and the padded score rows are ignored.
 *   - exp: range reduction n = round(x / ln2) (_mm512_roundscale_ps), two-constant
 *     ln2, degree-7 polynomial (Cephes expf coefficients), 2^n applied by
 *     _mm512_scalef_ps (no integer exponent arithmetic). Measured over
 *     [-87.3, 88]: max relative error 7.4e-8 vs exact exp, 1.2e-7 vs expf. The
 *     online softmax (arguments <= 0) uses exp_nonpos_avx512: one-constant ln2,
 *     the degree-6 polynomial of attention_common.h, no clamps or mask (max
 *     absolute error 5.3e-8 beside the largest term 1; -INFINITY gives ~2^-125).
 *   - Reductions: the softmax needs none per query row (one lane per row; max and
 *     sum over keys are vertical); importance sums each key's column of p with
 *     _mm512_reduce_add_ps.
 *   - Head dims above DMAX = 192 run in column chunks (scores accumulate over d
 *     chunks, output in 192-column chunks with the softmax recomputed): correct
 *     for any d, the fast path covers d <= 192.
 *
 * Importance: pass 2 per query block adds w_i exp(s - lse_i) over the block's rows.
 * Pass 1's softmax writes its probabilities p = exp(s - m_T) (m_T: the running max
 * after the key's tile T) into the thread's scratch (ptc_attn_saved) and keeps m_T
 * per tile; pass 2 is then p * exp(m_T - lse): no second q k^T and one exp per
 * tile instead of one per key; each key's sum stays a 16-lane vector over all
 * query blocks, reduced across lanes once at the end. Past
 * PTC_ATTN_SAVED_MAX_FLOATS (~82k keys) the scores are computed again and reduced
 * per block.
 *
 * Key tiles: the head's tiles are built once (ptc_attn_list_head_tiles, in the
 * thread's scratch, up to PTC_ATTN_LIST_MAX_KEYS = 65536 keys) and reused by every
 * query block (and by importance's second pass), their K and V rows copied dense
 * into the thread's scratch buffer when they lie >= 1 KiB apart
 * (ptc_attn_copy_listed_rows: rows strided by a multiple of 1 KiB overflow a few
 * L1 sets and the L1 TLB); longer heads have their tiles rebuilt per block and
 * read in place.
 *
 * Memory: ~58 KiB of stack (packed queries and output accumulator 24 KiB each,
 * scores 6 KiB, one tile 2.3 KiB (sized for AVX2's 96 keys)); in the thread's
 * scratch buffers (kernels/scratch.h, kept for the next call) the head's key tiles
 * (2.3 KiB per 48 keys), with importance the saved probabilities and per-key sums
 * (~200 bytes per key) and, with rows >= 1 KiB apart, a copy of the kept K and V
 * rows (2 n_kv d floats, up to PTC_ATTN_COPY_MAX_FLOATS; without it the rows are
 * read in place). Reads only the rows of q, k, v named by the
 * arguments (masked loads never touch memory past a row's d columns); writes
 * only o[0..n_q)[0..d), lse[0..n_q) and importance[0..n_kv). Single-threaded.
 */
#include "avx512.h"
#include "attention_avx512.h"

#include <stdlib.h>
#include <string.h>

/* o[i0 + i][oc0 + c] = ot[c][i] * inv_l[i] for i < nq, c < ocn: each output row is
 * gathered 16 columns at a time from its column of ot (masked tail). */
static void write_output(const ptc_attention_args *args, size_t i0, size_t nq, size_t oc0,
                         size_t ocn, const float *ot, const float *inv_l)
{
    const __m512i down = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                                              11, 12, 13, 14, 15),
                                            _mm512_set1_epi32(QB));
    for (size_t i = 0; i < nq; i++) {
        float *o = args->o + (i0 + i) * args->ldo + oc0;
        const __m512 inv = _mm512_set1_ps(inv_l[i]);
        for (size_t c = 0; c < ocn; c += W) {
            const __mmask16 m = head_mask(ocn - c);
            const __m512 x = gather16_masked(m, down, ot + c * QB + i);
            _mm512_mask_storeu_ps(o + c, m, _mm512_mul_ps(x, inv));
        }
    }
}


/* P x V micro-kernel, `cols` (<= 12, a compile-time constant after inlining)
 * head-dim columns x 32 queries:
 * ot[c][0..32) = alpha * ot[c][0..32) + sum_{t < n} p[t][0..32) * v[t][voff + c]. */
ALWAYS_INLINE void pv_cols_avx512(const int cols, float *ot, const float *p,
                                  const float *const *v, size_t voff, size_t n,
                                  __m512 alpha0, __m512 alpha1)
{
    __m512 a0[CR], a1[CR];
#pragma GCC unroll 12
    for (int c = 0; c < cols; c++) {
        a0[c] = _mm512_mul_ps(_mm512_load_ps(ot + c * QB), alpha0);
        a1[c] = _mm512_mul_ps(_mm512_load_ps(ot + c * QB + W), alpha1);
    }
    for (size_t t = 0; t < n; t++) {
        const __m512 p0 = _mm512_load_ps(p + t * QB), p1 = _mm512_load_ps(p + t * QB + W);
        const float *vt = v[t] + voff;
#pragma GCC unroll 12
        for (int c = 0; c < cols; c++) {
            const __m512 b = _mm512_set1_ps(vt[c]);
            a0[c] = _mm512_fmadd_ps(p0, b, a0[c]);
            a1[c] = _mm512_fmadd_ps(p1, b, a1[c]);
        }
    }
#pragma GCC unroll 12
    for (int c = 0; c < cols; c++) {
        _mm512_store_ps(ot + c * QB, a0[c]);
        _mm512_store_ps(ot + c * QB + W, a1[c]);
    }
}

/* ot (ocn x 32) = alpha * ot + sum over the tile's keys of p[t] * v_t[voff + c] */
static void pv_tile_avx512(size_t ocn, float *ot, const float *p, const float *const *v,
                           size_t voff, size_t n, __m512 alpha0, __m512 alpha1)
{
    size_t c = 0;
    for (; c + CR <= ocn; c += CR)
        pv_cols_avx512(CR, ot + c * QB, p, v, voff + c, n, alpha0, alpha1);
    float *otc = ot + c * QB;
    const size_t vc = voff + c;
    switch (ocn - c) { /* the last 1..11 columns: same kernel, fewer accumulators */
    case 11: pv_cols_avx512(11, otc, p, v, vc, n, alpha0, alpha1); break;
    case 10: pv_cols_avx512(10, otc, p, v, vc, n, alpha0, alpha1); break;
    case 9: pv_cols_avx512(9, otc, p, v, vc, n, alpha0, alpha1); break;
    case 8: pv_cols_avx512(8, otc, p, v, vc, n, alpha0, alpha1); break;
    case 7: pv_cols_avx512(7, otc, p, v, vc, n, alpha0, alpha1); break;
    case 6: pv_cols_avx512(6, otc, p, v, vc, n, alpha0, alpha1); break;
    case 5: pv_cols_avx512(5, otc, p, v, vc, n, alpha0, alpha1); break;
    case 4: pv_cols_avx512(4, otc, p, v, vc, n, alpha0, alpha1); break;
    case 3: pv_cols_avx512(3, otc, p, v, vc, n, alpha0, alpha1); break;
    case 2: pv_cols_avx512(2, otc, p, v, vc, n, alpha0, alpha1); break;
    case 1: pv_cols_avx512(1, otc, p, v, vc, n, alpha0, alpha1); break;
    default: break;
    }
}

/* The fused attention (and, when importance != NULL, its column sums). */
static void attend_avx512(const ptc_attention_args *args, const float *query_weight,
                          float *importance)
{
    const size_t d = args->d;
    const bool resident = d <= DMAX;
    float qt[DMAX * QB] __attribute__((aligned(64)));
    float ot[DMAX * QB] __attribute__((aligned(64)));
    float st[TILE * QB] __attribute__((aligned(64)));
    float m[QB] __attribute__((aligned(64))), l[QB] __attribute__((aligned(64)));
    ptc_attn_key_tile tile;
    /* the head's key tiles, built once (in the thread's scratch: up to
     * PTC_ATTN_LIST_MAX_KEYS keys), else rebuilt for every query block; the listed
     * tiles' K and V rows copied dense when they lie far apart (else read in place) */
    size_t n_listed;
    ptc_attn_key_tile *const listed = ptc_attn_list_head_tiles(args, TILE, KR, &n_listed);
    ptc_attn_copy_listed_rows(args, listed, n_listed, KR);
    /* importance: pass 1 keeps the block's probabilities and the running max per
     * tile, so pass 2 needs no second q k^T (ptc_attn_saved, in the thread's
     * scratch; without it pass 2 computes the scores again) */
    ptc_attn_saved saved = {0}; /* set by ptc_attn_saved_get when save */
    const bool save = importance && ptc_attn_saved_get(args->n_kv, TILE, QB, W, &saved);

    for (size_t i0 = 0; i0 < args->n_q; i0 += QB) {
        const size_t nq = args->n_q - i0 < QB ? args->n_q - i0 : QB;
        if (resident)
            pack_rows_transposed(QB, args->q, args->ldq, i0, nq, 0, d, qt);

        size_t oc0 = 0;
        do { /* output columns [oc0, oc0 + ocn): one chunk unless d > DMAX */
            const size_t ocn = d - oc0 < DMAX ? d - oc0 : DMAX;
            __m512 m0 = _mm512_set1_ps(-INFINITY), m1 = m0;
            __m512 l0 = _mm512_setzero_ps(), l1 = l0;
            memset(ot, 0, ocn * QB * sizeof(float));
            size_t next = 0;
            if (oc0 == 0)
                saved.slots = saved.tiles = 0;
            const ptc_attn_key_tile *kt;
            while ((kt = ptc_attn_tile_next(args, listed, n_listed, &next, TILE, KR, &tile))) {
                const size_t n = kt->n;
                ptc_attn_tile_dots(&attn_tile_avx512, args->q, args->ldq, d, resident, i0, nq, kt->k,
                                   n, kt->bias, args->scale, qt, st);
                /* where p goes: `saved` (pass 1 of importance) or over the scores */
                float *p = save && oc0 == 0 ? saved.p + saved.slots * QB : st;
                /* online softmax over the tile, one lane per query row */
                __m512 t0 = _mm512_load_ps(st), t1 = _mm512_load_ps(st + W);
                for (size_t t = 1; t < n; t++) {
                    t0 = _mm512_max_ps(t0, _mm512_load_ps(st + t * QB));
                    t1 = _mm512_max_ps(t1, _mm512_load_ps(st + t * QB + W));
                }
                t0 = _mm512_max_ps(t0, m0);
                t1 = _mm512_max_ps(t1, m1);
                const __m512 alpha0 = exp_nonpos_avx512(_mm512_sub_ps(m0, t0));
                const __m512 alpha1 = exp_nonpos_avx512(_mm512_sub_ps(m1, t1));
                m0 = t0;
                m1 = t1;
                __m512 s0 = _mm512_setzero_ps(), s1 = s0;
                for (size_t t = 0; t < n; t++) {
                    const float *s = st + t * QB;
                    const __m512 p0 = exp_nonpos_avx512(_mm512_sub_ps(_mm512_load_ps(s), m0));
                    const __m512 p1 = exp_nonpos_avx512(_mm512_sub_ps(_mm512_load_ps(s + W), m1));
                    _mm512_store_ps(p + t * QB, p0);
                    _mm512_store_ps(p + t * QB + W, p1);
                    s0 = _mm512_add_ps(s0, p0);
                    s1 = _mm512_add_ps(s1, p1);
                }
                l0 = _mm512_fmadd_ps(l0, alpha0, s0);
                l1 = _mm512_fmadd_ps(l1, alpha1, s1);
                pv_tile_avx512(ocn, ot, p, kt->v, oc0, n, alpha0, alpha1);
                if (p != st) {
                    _mm512_store_ps(saved.tile_max + saved.tiles * QB, m0);
                    _mm512_store_ps(saved.tile_max + saved.tiles * QB + W, m1);
                    ptc_attn_saved_add_tile(&saved, kt);
                }
            }
            _mm512_store_ps(m, m0); _mm512_store_ps(m + W, m1);
            _mm512_store_ps(l, l0); _mm512_store_ps(l + W, l1);
            /* 1/l, or 0 for rows with no live key (l = 0) */
            const __m512 one = _mm512_set1_ps(1.0f);
            _mm512_store_ps(l, _mm512_maskz_div_ps(_mm512_cmp_ps_mask(l0, _mm512_setzero_ps(), _CMP_GT_OQ), one, l0));
            _mm512_store_ps(l + W, _mm512_maskz_div_ps(_mm512_cmp_ps_mask(l1, _mm512_setzero_ps(), _CMP_GT_OQ), one, l1));
            write_output(args, i0, nq, oc0, ocn, ot, l);
            _mm512_store_ps(l, l0); _mm512_store_ps(l + W, l1);
            oc0 += ocn;
        } while (oc0 < d);

        float lse[QB] __attribute__((aligned(64)));
        for (size_t i = 0; i < QB; i++)
            lse[i] = i < nq ? ptc_attn_lse(m[i], l[i]) : -INFINITY;
        if (args->lse)
            memcpy(args->lse + i0, lse, nq * sizeof(float));
        if (!importance)
            continue;

        /* importance, pass 2 for this block: p = exp(s - lse) * w, summed over rows.
         * Rows past n_q or with lse = -inf (all keys masked) get lse +inf, w 0: p = 0. */
        float w[QB] __attribute__((aligned(64)));
        for (size_t i = 0; i < QB; i++) {
            const bool live = i < nq && lse[i] != -INFINITY;
            w[i] = live ? (query_weight ? query_weight[i0 + i] : 1.0f / (float)args->n_q) : 0.0f;
            lse[i] = live ? lse[i] : INFINITY;
        }
        const __m512 lse0 = _mm512_load_ps(lse), lse1 = _mm512_load_ps(lse + W);
        const __m512 w0 = _mm512_load_ps(w), w1 = _mm512_load_ps(w + W);
        if (save) { /* pass 1's probabilities, rescaled per tile; sums stay in key_acc */
            for (size_t T = 0, slot = 0; T < saved.tiles; T++) {
                const float *mt = saved.tile_max + T * QB;
                const __m512 c0 = _mm512_mul_ps(w0, exp_avx512(_mm512_sub_ps(_mm512_load_ps(mt), lse0)));
                const __m512 c1 = _mm512_mul_ps(w1, exp_avx512(_mm512_sub_ps(_mm512_load_ps(mt + W), lse1)));
                for (; slot < saved.tile_end[T]; slot++) {
                    const float *p = saved.p + slot * QB;
                    float *acc = saved.key_acc + slot * W;
                    const __m512 wp = _mm512_fmadd_ps(_mm512_load_ps(p), c0,
                                                      _mm512_mul_ps(_mm512_load_ps(p + W), c1));
                    _mm512_store_ps(acc, _mm512_add_ps(_mm512_load_ps(acc), wp));
                }
            }
            continue;
        }
        size_t next = 0;
        const ptc_attn_key_tile *kt;
        while ((kt = ptc_attn_tile_next(args, listed, n_listed, &next, TILE, KR, &tile))) {
            ptc_attn_tile_dots(&attn_tile_avx512, args->q, args->ldq, d, resident, i0, nq, kt->k,
                               kt->n, kt->bias, args->scale, qt, st);
            for (size_t t = 0; t < kt->n; t++) {
                const __m512 p0 = exp_avx512(_mm512_sub_ps(_mm512_load_ps(st + t * QB), lse0));
                const __m512 p1 = exp_avx512(_mm512_sub_ps(_mm512_load_ps(st + t * QB + W), lse1));
                importance[kt->kept[t]] += _mm512_reduce_add_ps(
                    _mm512_fmadd_ps(p0, w0, _mm512_mul_ps(p1, w1)));
            }
        }
    }
    for (size_t slot = 0; save && slot < saved.slots; slot++)
        importance[saved.key_of_slot[slot]] +=
            _mm512_reduce_add_ps(_mm512_load_ps(saved.key_acc + slot * W));
}

void ptc_attention_avx512(const ptc_attention_args *args)
{
    attend_avx512(args, NULL, NULL);
}

void ptc_attention_importance_avx512(const ptc_attention_args *args, const float *query_weight,
                                     float *importance)
{
    for (size_t j = 0; j < args->n_kv; j++)
        importance[j] = 0.0f;
    attend_avx512(args, query_weight, importance);
}

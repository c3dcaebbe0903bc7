/*
 * kernels/avx2/attention_avx2.c — one attention head, fused (flash-attention style),
 * AVX2 + FMA: ptc_attention_avx2 and ptc_attention_importance_avx2.
 *
 * Contract: ptc_attention_args in include/ptc/ops.h; specification (and the
 * semantics of masks, empty rows and lse): kernels/ref/attention_ref.c.
 *
 * Design ("queries in lanes", see kernels/attention_common.h):
 *   - Query block: QB = 16 rows = 2 ymm per head-dim column. The block is packed
 *     transposed, qt[c][i] (d x 16, zero rows past n_q), once per block, in 8x8
 *     blocks transposed through registers (pack_rows_transposed_avx2).
 *   - Key tiles of up to 96 ACTIVE kept keys (masked keys are dropped while the
 *     tile is built, so fully masked tiles are skipped); K and V rows are read in
 *     place through one row pointer per key (kv_rows gather, nothing copied).
 *   - Scores: micro-kernel 6 keys x 16 queries = 12 ymm accumulators; per head-dim
 *     column c it loads 2 vectors of qt and broadcasts k_r[c] for 6 keys (12 FMA,
 *     8 loads). st[t][i] = scale * dot + bias[t] (one vector pair per key). When
 *     qt holds all of d, the scale is multiplied into qt once per block, so the
 *     micro-kernel stores the dot product as it is (no bias: key_bias NULL) or
 *     adds the bias: per block d*QB/8 multiplies instead of 2 FMAs per key.
 *     With a power-of-two scale (1/sqrt(d) for d = 4^k, e.g. 64) the scores are
 *     the same bits.
 *   - Online softmax per tile, vertical over keys: tile max, running max m,
 *     alpha = exp(m_old - m_new), p = exp(s - m_new), l = alpha*l + sum p.
 *     No horizontal reduction is needed: each lane is one query row.
 *   - P x V: the output accumulator is kept transposed, ot[c][i] (d x 16);
 *     micro-kernel 6 head-dim columns x 16 queries = 12 ymm accumulators, loaded
 *     once per tile (times alpha: the rescale), then per key: 2 loads of p and
 *     6 broadcasts of v_t[c]. Any d works (c is a scalar index; the last 1..5
 *     columns use the same kernel with fewer columns).
 *   - End of block: o[i][c] = ot[c][i] / l[i] (0 when l = 0), 8x8 blocks of ot
 *     transposed through registers; lse = m + log l.
 *   - Head dims above DMAX = 256 run in column chunks: scores accumulate over
 *     chunks of d (qt repacked per tile), and the output is produced in chunks
 *     of 256 columns, recomputing the softmax for each (correct for any d).
 *   - exp: own polynomial (exp_avx2, attention_avx2.h), range reduction by
 *     n = round(x/ln2) with a two-constant ln2, degree-7 polynomial (Cephes expf
 *     coefficients), 2^n built in the exponent field. Measured over [-87.3, 88]:
 *     max relative error 7.4e-8 vs exact exp, 1.2e-7 vs glibc expf (1 ulp);
 *     x < -87.33 (incl. -INFINITY) gives exactly 0. The online softmax's
 *     arguments are <= 0 and use exp_nonpos_avx2: without the clamps and the
 *     underflow mask, n added into the exponent field, a one-constant ln2 and a
 *     degree-6 polynomial (5 vector ops fewer; max absolute error 5.3e-8 beside
 *     the softmax's largest term 1, relative 1.0e-7 for x >= -10); x < -86.64
 *     gives 2^-125 instead of 0.
 *   - importance: per query block, after the block's lse is known, a second pass
 *     over the key tiles adds sum_i w_i exp(s[i][j] - lse_i) into importance[j].
 *     Pass 1's softmax writes its probabilities p = exp(s - m_T) (m_T: the
 *     running max after the key's tile T) into the thread's scratch
 *     (ptc_attn_saved) and keeps m_T per tile; pass 2 is then exp(s - lse) =
 *     p * exp(m_T - lse): no second q k^T and one exp per tile instead of one
 *     per key, and each key's sum stays an 8-lane vector over all query blocks,
 *     reduced across lanes once at the end. Past PTC_ATTN_SAVED_MAX_FLOATS (~155k
 *     keys) the scores are computed again and reduced per block (a horizontal
 *     sum per key): importance then costs ~1.6x attention, ~1.0-1.06x saved
 *     (Zen 3, n 513 to 4096; the limit was 512 keys).
 *   - Key tiles: all of the head's tiles are built once (ptc_attn_list_head_tiles,
 *     in the thread's scratch, up to PTC_ATTN_LIST_MAX_KEYS = 65536 keys) and
 *     reused by every query block (and by importance's second pass), and when K
 *     or V rows lie >= 1 KiB apart they are copied dense into the thread's scratch
 *     buffer (ptc_attn_copy_listed_rows: rows strided by a multiple of 1 KiB
 *     overflow a few L1 sets and the L1 TLB); longer heads have their tiles
 *     rebuilt per block and read in place. Rows 9 KiB apart (BERT's fused QKV),
 *     n 1024 to 4096, d 64, Zen 3, 1 thread: 60-64 GFLOP/s when only heads of
 *     <= 512 keys were listed and copied, 80 now, as at n 512.
 *
 * Memory: ~42 KiB of stack (qt and ot 16 KiB each, scores 6 KiB, one key tile
 * 2.3 KiB); in the thread's scratch buffers (kernels/scratch.h, kept for the next
 * call) the head's key tiles (2.3 KiB per 96 keys), with importance the saved
 * probabilities and per-key sums (~100 bytes per key) and, with rows >= 1 KiB
 * apart, a copy of the kept K and V rows (2 n_kv d floats, up to
 * PTC_ATTN_COPY_MAX_FLOATS; without it the rows are read in place); reads only
 * the rows of q, k, v named by the arguments, writes only o[0..n_q)[0..d),
 * lse[0..n_q) and importance[0..n_kv). Single-threaded.
 */
#include "avx2.h"
#include "attention_avx2.h"

#include <stdlib.h>
#include <string.h>

/* P x V micro-kernel, `cols` (<= 6, a compile-time constant after inlining)
 * head-dim columns x 16 queries:
 * ot[c][0..16) = alpha * ot[c][0..16) + sum_{t < n} p[t][0..16) * v[t][voff + c]. */
ALWAYS_INLINE void pv_cols_avx2(const int cols, float *ot, const float *p,
                                const float *const *v, size_t voff, size_t n,
                                __m256 alpha0, __m256 alpha1)
{
    __m256 a0[CR], a1[CR];
#pragma GCC unroll 6
    for (int c = 0; c < cols; c++) {
        a0[c] = _mm256_mul_ps(_mm256_load_ps(ot + c * QB), alpha0);
        a1[c] = _mm256_mul_ps(_mm256_load_ps(ot + c * QB + 8), alpha1);
    }
#pragma GCC unroll 2 /* two keys per loop trip: less loop overhead beside 12 FMAs */
    for (size_t t = 0; t < n; t++) {
        const __m256 p0 = _mm256_load_ps(p + t * QB), p1 = _mm256_load_ps(p + t * QB + 8);
        const float *vt = v[t] + voff;
#pragma GCC unroll 6
        for (int c = 0; c < cols; c++) {
            const __m256 b = _mm256_broadcast_ss(vt + c);
            a0[c] = _mm256_fmadd_ps(p0, b, a0[c]);
            a1[c] = _mm256_fmadd_ps(p1, b, a1[c]);
        }
    }
#pragma GCC unroll 6
    for (int c = 0; c < cols; c++) {
        _mm256_store_ps(ot + c * QB, a0[c]);
        _mm256_store_ps(ot + c * QB + 8, a1[c]);
    }
}

/* pv_cols_avx2 with 1..6 columns given at run time (each count its own inlined kernel) */
static void pv_cols_any_avx2(size_t cols, float *ot, const float *p, const float *const *v,
                             size_t voff, size_t n, __m256 alpha0, __m256 alpha1)
{
    switch (cols) {
    case 6: pv_cols_avx2(6, ot, p, v, voff, n, alpha0, alpha1); break;
    case 5: pv_cols_avx2(5, ot, p, v, voff, n, alpha0, alpha1); break;
    case 4: pv_cols_avx2(4, ot, p, v, voff, n, alpha0, alpha1); break;
    case 3: pv_cols_avx2(3, ot, p, v, voff, n, alpha0, alpha1); break;
    case 2: pv_cols_avx2(2, ot, p, v, voff, n, alpha0, alpha1); break;
    case 1: pv_cols_avx2(1, ot, p, v, voff, n, alpha0, alpha1); break;
    default: break;
    }
}

/* ot (ocn x 16) = alpha * ot + P (n x 16)^T-weighted value rows, columns
 * [voff, voff + ocn) of each value row. Groups of CR = 6 columns; a last group of 1
 * to 3 (2 or 4 to 6 FMA chains per key: latency-bound at 4 cycles) is merged with
 * the group before it and the two cut in halves (7 -> 4 + 3, 8 -> 4 + 4, 9 -> 5 + 4):
 * d = 32 runs 6 6 6 6 4 4 instead of 6 6 6 6 6 2. Each column's sum over the keys
 * is the same whichever group holds it. */
static void pv_tile_avx2(size_t ocn, float *ot, const float *p, const float *const *v,
                         size_t voff, size_t n, __m256 alpha0, __m256 alpha1)
{
    const size_t rest = ocn % CR;
    const size_t split = ocn > CR && rest > 0 && rest <= 3 ? CR + rest : rest;
    size_t c = 0;
    for (; c + split < ocn; c += CR)
        pv_cols_avx2(CR, ot + c * QB, p, v, voff + c, n, alpha0, alpha1);
    const size_t first = split > CR ? (split + 1) / 2 : split;
    pv_cols_any_avx2(first, ot + c * QB, p, v, voff + c, n, alpha0, alpha1);
    c += first;
    pv_cols_any_avx2(ocn - c, ot + c * QB, p, v, voff + c, n, alpha0, alpha1);
}

/* o[i0 + i][oc0 + c] = ot[c][i] / l[i] (0 when l[i] = 0) for i < nq, c < ocn:
 * 8x8 blocks of ot transposed through registers, the ragged edges in plain C. */
static void write_output_avx2(const ptc_attention_args *args, size_t i0, size_t nq, size_t oc0,
                              size_t ocn, const float *ot, const float *l)
{
    float inv[QB];
    for (size_t i = 0; i < nq; i++)
        inv[i] = l[i] > 0.0f ? 1.0f / l[i] : 0.0f;
    const size_t full_rows = nq / 8 * 8, full_cols = ocn / 8 * 8;
    for (size_t ib = 0; ib < full_rows; ib += 8)
        for (size_t c = 0; c < full_cols; c += 8) {
            __m256 r[8];
            for (int k = 0; k < 8; k++)
                r[k] = _mm256_load_ps(ot + (c + (size_t)k) * QB + ib);
            transpose8x8_avx2(r);
            for (int k = 0; k < 8; k++)
                _mm256_storeu_ps(args->o + (i0 + ib + (size_t)k) * args->ldo + oc0 + c,
                                 _mm256_mul_ps(r[k], _mm256_set1_ps(inv[ib + (size_t)k])));
        }
    for (size_t i = 0; i < nq; i++) {
        float *o = args->o + (i0 + i) * args->ldo + oc0;
        for (size_t c = i < full_rows ? full_cols : 0; c < ocn; c++)
            o[c] = ot[c * QB + i] * inv[i];
    }
}

/* The fused attention (and, when importance != NULL, its column sums). */
static void attend_avx2(const ptc_attention_args *args, const float *query_weight,
                        float *importance)
{
    const size_t d = args->d;
    const bool resident = d <= DMAX;
    float qt[DMAX * QB] __attribute__((aligned(32)));
    float ot[DMAX * QB] __attribute__((aligned(32)));
    float st[TILE * QB] __attribute__((aligned(32)));
    float m[QB] __attribute__((aligned(32))), l[QB] __attribute__((aligned(32)));
    ptc_attn_key_tile tile;
    /* the head's key tiles, built once (in the thread's scratch: up to
     * PTC_ATTN_LIST_MAX_KEYS keys), else rebuilt for every query block */
    size_t n_listed;
    ptc_attn_key_tile *const listed = ptc_attn_list_head_tiles(args, TILE, KR, &n_listed);
    /* their K and V rows copied dense when they lie far apart (else read in place) */
    ptc_attn_copy_listed_rows(args, listed, n_listed, KR);
    /* importance: pass 1 keeps the block's probabilities and the running max per
     * tile, so pass 2 needs no second q k^T (ptc_attn_saved, in the thread's
     * scratch; without it pass 2 computes the scores again) */
    ptc_attn_saved saved = {0}; /* set by ptc_attn_saved_get when save */
    const bool save = importance && ptc_attn_saved_get(args->n_kv, TILE, QB, 8, &saved);

    for (size_t i0 = 0; i0 < args->n_q; i0 += QB) {
        const size_t nq = args->n_q - i0 < QB ? args->n_q - i0 : QB;
        if (resident) {
            pack_rows_transposed_avx2(QB, args->q, args->ldq, i0, nq, 0, d, qt);
            const __m256 sc = _mm256_set1_ps(args->scale);
            for (size_t c = 0; c < d * QB; c += 8)
                _mm256_store_ps(qt + c, _mm256_mul_ps(_mm256_load_ps(qt + c), sc));
        }
        /* the scale is in qt when resident (scores = (scale q) . k + bias) */
        const float tile_scale = resident ? 1.0f : args->scale;
        const bool biased = !resident || args->key_bias;

        size_t oc0 = 0;
        do { /* output columns [oc0, oc0 + ocn): one chunk unless d > DMAX */
            const size_t ocn = d - oc0 < DMAX ? d - oc0 : DMAX;
            __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0;
            __m256 l0 = _mm256_setzero_ps(), l1 = l0;
            memset(ot, 0, ocn * QB * sizeof(float));
            size_t next = 0;
            if (oc0 == 0)
                saved.slots = saved.tiles = 0;
            const ptc_attn_key_tile *kt;
            while ((kt = ptc_attn_tile_next(args, listed, n_listed, &next, TILE, KR, &tile))) {
                const size_t n = kt->n;
                ptc_attn_tile_dots(&attn_tile_avx2, args->q, args->ldq, d, resident, i0, nq, kt->k,
                                   n, biased ? kt->bias : NULL, tile_scale, qt, st);
                /* where p goes: `saved` (pass 1 of importance) or over the scores */
                float *p = save && oc0 == 0 ? saved.p + saved.slots * QB : st;
                /* online softmax over the tile, one lane per query row */
                __m256 t0 = _mm256_load_ps(st), t1 = _mm256_load_ps(st + 8);
                for (size_t t = 1; t < n; t++) {
                    t0 = _mm256_max_ps(t0, _mm256_load_ps(st + t * QB));
                    t1 = _mm256_max_ps(t1, _mm256_load_ps(st + t * QB + 8));
                }
                t0 = _mm256_max_ps(t0, m0);
                t1 = _mm256_max_ps(t1, m1);
                const __m256 alpha0 = exp_nonpos_avx2(_mm256_sub_ps(m0, t0));
                const __m256 alpha1 = exp_nonpos_avx2(_mm256_sub_ps(m1, t1));
                m0 = t0;
                m1 = t1;
                __m256 s0 = _mm256_setzero_ps(), s1 = s0;
                for (size_t t = 0; t < n; t++) {
                    const __m256 p0 = exp_nonpos_avx2(_mm256_sub_ps(_mm256_load_ps(st + t * QB), m0));
                    const __m256 p1 = exp_nonpos_avx2(_mm256_sub_ps(_mm256_load_ps(st + t * QB + 8), m1));
                    _mm256_store_ps(p + t * QB, p0);
                    _mm256_store_ps(p + t * QB + 8, p1);
                    s0 = _mm256_add_ps(s0, p0);
                    s1 = _mm256_add_ps(s1, p1);
                }
                l0 = _mm256_fmadd_ps(l0, alpha0, s0);
                l1 = _mm256_fmadd_ps(l1, alpha1, s1);
                pv_tile_avx2(ocn, ot, p, kt->v, oc0, n, alpha0, alpha1);
                if (p != st) {
                    _mm256_store_ps(saved.tile_max + saved.tiles * QB, m0);
                    _mm256_store_ps(saved.tile_max + saved.tiles * QB + 8, m1);
                    ptc_attn_saved_add_tile(&saved, kt);
                }
            }
            _mm256_store_ps(m, m0); _mm256_store_ps(m + 8, m1);
            _mm256_store_ps(l, l0); _mm256_store_ps(l + 8, l1);
            write_output_avx2(args, i0, nq, oc0, ocn, ot, l);
            oc0 += ocn;
        } while (oc0 < d);

        float lse[QB] __attribute__((aligned(32)));
        for (size_t i = 0; i < QB; i++)
            lse[i] = i < nq ? ptc_attn_lse(m[i], l[i]) : -INFINITY;
        if (args->lse)
            memcpy(args->lse + i0, lse, nq * sizeof(float));
        if (!importance)
            continue;

        /* importance, pass 2 for this block: p = exp(s - lse) * w, summed over rows.
         * Rows past n_q or with lse = -inf (all keys masked) get lse +inf, w 0: p = 0. */
        float w[QB] __attribute__((aligned(32)));
        for (size_t i = 0; i < QB; i++) {
            const bool live = i < nq && lse[i] != -INFINITY;
            w[i] = live ? (query_weight ? query_weight[i0 + i] : 1.0f / (float)args->n_q) : 0.0f;
            lse[i] = live ? lse[i] : INFINITY;
        }
        const __m256 lse0 = _mm256_load_ps(lse), lse1 = _mm256_load_ps(lse + 8);
        const __m256 w0 = _mm256_load_ps(w), w1 = _mm256_load_ps(w + 8);
        if (save) { /* pass 1's probabilities, rescaled per tile; sums stay in key_acc */
            for (size_t T = 0, slot = 0; T < saved.tiles; T++) {
                const float *mt = saved.tile_max + T * QB;
                const __m256 c0 = _mm256_mul_ps(w0, exp_avx2(_mm256_sub_ps(_mm256_load_ps(mt), lse0)));
                const __m256 c1 = _mm256_mul_ps(w1, exp_avx2(_mm256_sub_ps(_mm256_load_ps(mt + 8), lse1)));
                for (; slot < saved.tile_end[T]; slot++) {
                    const float *p = saved.p + slot * QB;
                    float *acc = saved.key_acc + slot * 8;
                    const __m256 wp = _mm256_fmadd_ps(_mm256_load_ps(p), c0,
                                                      _mm256_mul_ps(_mm256_load_ps(p + 8), c1));
                    _mm256_store_ps(acc, _mm256_add_ps(_mm256_load_ps(acc), wp));
                }
            }
            continue;
        }
        size_t next = 0;
        const ptc_attn_key_tile *kt;
        while ((kt = ptc_attn_tile_next(args, listed, n_listed, &next, TILE, KR, &tile))) {
            ptc_attn_tile_dots(&attn_tile_avx2, args->q, args->ldq, d, resident, i0, nq, kt->k,
                               kt->n, biased ? kt->bias : NULL, tile_scale, qt, st);
            for (size_t t = 0; t < kt->n; t++) {
                const __m256 p0 = exp_avx2(_mm256_sub_ps(_mm256_load_ps(st + t * QB), lse0));
                const __m256 p1 = exp_avx2(_mm256_sub_ps(_mm256_load_ps(st + t * QB + 8), lse1));
                importance[kt->kept[t]] +=
                    hsum_avx2(_mm256_fmadd_ps(p0, w0, _mm256_mul_ps(p1, w1)));
            }
        }
    }
    for (size_t slot = 0; save && slot < saved.slots; slot++)
        importance[saved.key_of_slot[slot]] += hsum_avx2(_mm256_load_ps(saved.key_acc + slot * 8));
}

void ptc_attention_avx2(const ptc_attention_args *args)
{
    attend_avx2(args, NULL, NULL);
}

void ptc_attention_importance_avx2(const ptc_attention_args *args, const float *query_weight,
                                   float *importance)
{
    for (size_t j = 0; j < args->n_kv; j++)
        importance[j] = 0.0f;
    attend_avx2(args, query_weight, importance);
}

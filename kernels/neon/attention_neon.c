/*
 * kernels/neon/attention_neon.c — one attention head, fused (flash-attention style),
 * AArch64 Advanced SIMD: ptc_attention_neon and ptc_attention_importance_neon.
 *
 * Contract: ptc_attention_args in include/ptc/ops.h; specification (masks, empty
 * rows, lse): kernels/ref/attention_ref.c.
 *
 * Same algorithm as the x86 kernels ("queries in lanes", kernels/attention_common.h):
 *   - Query block QB = 16 rows = 4 q-registers per head-dim column, packed
 *     transposed once per block: qt[c][i] (d x 16, zero rows past n_q).
 *   - Score micro-kernel, 4 keys x 16 queries = 16 accumulators: per 4 head-dim
 *     columns it loads k_r[c..c+4) for the 4 keys (4 loads) and 16 vectors of qt,
 *     and issues 64 vfmaq_laneq_f32 (the key value comes from a lane, no
 *     broadcast instruction). The last d % 4 columns use vfmaq_n_f32 with the
 *     same accumulators (same math).
 *   - Online softmax vertical over keys (one lane per query row: max and sum per
 *     row need no horizontal reduction).
 *   - P x V: transposed accumulator ot[c][i]; micro-kernel 4 head-dim columns x
 *     16 queries = 16 accumulators: per key one vld1q_f32 of v_t[c..c+4) and 4
 *     vectors of p, 16 vfmaq_laneq_f32. The last 1..3 columns use vfmaq_n_f32.
 *   - importance: as on x86, pass 1's softmax writes its probabilities
 *     p = exp(s - m_T) (m_T: the running max after the key's tile T) into the
 *     thread's scratch (ptc_attn_saved) and keeps m_T per tile; pass 2 adds
 *     w p exp(m_T - lse) into a 4-lane sum per key, reduced with vaddvq_f32 once at
 *     the end: no second q k^T (under qemu, a work proxy, not a speed: importance
 *     1.56x the instructions' time of attention before, 1.02x now). Past
 *     PTC_ATTN_SAVED_MAX_FLOATS (~180k keys) the scores are computed again and
 *     each key's column of w exp(s - lse) summed per block.
 *   - exp: n = round(x / ln2) (vrndnq_f32), two-constant ln2, degree-7 polynomial
 *     (Cephes expf coefficients), 2^n built in the exponent field; measured max
 *     relative error 7.4e-8 vs exact exp, 1.2e-7 vs expf;
 *     x < -87.33 (incl. -INFINITY) gives exactly 0.
 *   - Head dims above DMAX = 256 run in chunks (scores accumulate over d chunks,
 *     the output in 256-column chunks with the softmax recomputed).
 *
 * Memory: ~38 KiB of stack; with importance the saved probabilities and per-key
 * sums in the thread's scratch (kernels/scratch.h, ~84 bytes per key). Reads only
 * the rows of q, k, v named by the arguments (4-wide loads only where 4 columns
 * remain), writes only o[0..n_q)[0..d), lse[0..n_q) and importance[0..n_kv).
 * Single-threaded.
 */
#include "neon.h"
#include "attention_neon.h"

#include <string.h>

/* P x V micro-kernel, 4 head-dim columns x 16 queries (16 accumulators):
 * ot[c][0..16) = alpha * ot[c][0..16) + sum_{t < n} p[t][0..16) * v[t][voff + c]. */
static void pv_4x16_neon(float *ot, const float *p, const float *const *v, size_t voff,
                         size_t n, const float32x4_t alpha[4])
{
    float32x4_t a[CR][4];
    for (int c = 0; c < CR; c++)
        for (int q = 0; q < 4; q++)
            a[c][q] = vmulq_f32(vld1q_f32(ot + c * QB + 4 * q), alpha[q]);
    for (size_t t = 0; t < n; t++) {
        const float32x4_t vv = vld1q_f32(v[t] + voff);
        const float *pt = p + t * QB;
        for (int q = 0; q < 4; q++) {
            const float32x4_t pq = vld1q_f32(pt + 4 * q);
            a[0][q] = vfmaq_laneq_f32(a[0][q], pq, vv, 0);
            a[1][q] = vfmaq_laneq_f32(a[1][q], pq, vv, 1);
            a[2][q] = vfmaq_laneq_f32(a[2][q], pq, vv, 2);
            a[3][q] = vfmaq_laneq_f32(a[3][q], pq, vv, 3);
        }
    }
    for (int c = 0; c < CR; c++)
        for (int q = 0; q < 4; q++)
            vst1q_f32(ot + c * QB + 4 * q, a[c][q]);
}

/* The same for the last `cols` (1..3) head-dim columns: scalar value, vfmaq_n_f32. */
static void pv_tail_neon(size_t cols, float *ot, const float *p, const float *const *v,
                         size_t voff, size_t n, const float32x4_t alpha[4])
{
    float32x4_t a[CR - 1][4];
    for (size_t c = 0; c < cols; c++)
        for (int q = 0; q < 4; q++)
            a[c][q] = vmulq_f32(vld1q_f32(ot + c * QB + 4 * q), alpha[q]);
    for (size_t t = 0; t < n; t++) {
        const float *vt = v[t] + voff, *pt = p + t * QB;
        for (int q = 0; q < 4; q++) {
            const float32x4_t pq = vld1q_f32(pt + 4 * q);
            for (size_t c = 0; c < cols; c++)
                a[c][q] = vfmaq_n_f32(a[c][q], pq, vt[c]);
        }
    }
    for (size_t c = 0; c < cols; c++)
        for (int q = 0; q < 4; q++)
            vst1q_f32(ot + c * QB + 4 * q, a[c][q]);
}

/* The fused attention (and, when importance != NULL, its column sums). */
static void attend_neon(const ptc_attention_args *args, const float *query_weight,
                        float *importance)
{
    const size_t d = args->d;
    const bool resident = d <= DMAX;
    float qt[DMAX * QB] __attribute__((aligned(16)));
    float ot[DMAX * QB] __attribute__((aligned(16)));
    float st[TILE * QB] __attribute__((aligned(16)));
    float m[QB] __attribute__((aligned(16))), l[QB] __attribute__((aligned(16)));
    ptc_attn_key_tile tile;
    /* importance: pass 1 keeps the block's probabilities and the running max per
     * tile, so pass 2 needs no second q k^T (ptc_attn_saved, in the thread's
     * scratch; without it pass 2 computes the scores again) */
    ptc_attn_saved saved = {0}; /* set by ptc_attn_saved_get when save */
    const bool save = importance && ptc_attn_saved_get(args->n_kv, TILE, QB, 4, &saved);

    for (size_t i0 = 0; i0 < args->n_q; i0 += QB) {
        const size_t nq = args->n_q - i0 < QB ? args->n_q - i0 : QB;
        if (resident)
            ptc_attn_pack_generic(QB, args->q, args->ldq, i0, nq, 0, d, qt);

        size_t oc0 = 0;
        do { /* output columns [oc0, oc0 + ocn): one chunk unless d > DMAX */
            const size_t ocn = d - oc0 < DMAX ? d - oc0 : DMAX;
            float32x4_t mx[4], sum[4];
            for (int q = 0; q < 4; q++) {
                mx[q] = vdupq_n_f32(-INFINITY);
                sum[q] = vdupq_n_f32(0.0f);
            }
            memset(ot, 0, ocn * QB * sizeof(float));
            size_t next = 0;
            if (oc0 == 0)
                saved.slots = saved.tiles = 0;
            while (ptc_attn_next_key_tile(args, &next, TILE, KR, &tile)) {
                const size_t n = tile.n;
                ptc_attn_tile_dots(&attn_tile_neon, args->q, args->ldq, d, resident, i0, nq, tile.k,
                                   tile.n, tile.bias, args->scale, qt, st);
                /* where p goes: the saved probabilities (pass 1 of importance) or over
                 * the scores */
                float *p = save && oc0 == 0 ? saved.p + saved.slots * QB : st;
                /* online softmax over the tile, one lane per query row */
                float32x4_t alpha[4];
                for (int q = 0; q < 4; q++) {
                    float32x4_t tm = mx[q];
                    for (size_t t = 0; t < n; t++)
                        tm = vmaxq_f32(tm, vld1q_f32(st + t * QB + 4 * q));
                    alpha[q] = exp_neon(vsubq_f32(mx[q], tm));
                    mx[q] = tm;
                    float32x4_t s = vdupq_n_f32(0.0f);
                    for (size_t t = 0; t < n; t++) {
                        const float32x4_t pr =
                            exp_neon(vsubq_f32(vld1q_f32(st + t * QB + 4 * q), tm));
                        vst1q_f32(p + t * QB + 4 * q, pr);
                        s = vaddq_f32(s, pr);
                    }
                    sum[q] = vfmaq_f32(s, sum[q], alpha[q]);
                }
                size_t c = 0;
                for (; c + CR <= ocn; c += CR)
                    pv_4x16_neon(ot + c * QB, p, tile.v, oc0 + c, n, alpha);
                if (c < ocn)
                    pv_tail_neon(ocn - c, ot + c * QB, p, tile.v, oc0 + c, n, alpha);
                if (p != st) {
                    for (int q = 0; q < 4; q++)
                        vst1q_f32(saved.tile_max + saved.tiles * QB + 4 * q, mx[q]);
                    ptc_attn_saved_add_tile(&saved, &tile);
                }
            }
            for (int q = 0; q < 4; q++) {
                vst1q_f32(m + 4 * q, mx[q]);
                vst1q_f32(l + 4 * q, sum[q]);
            }
            for (size_t i = 0; i < nq; i++) {
                float *o = args->o + (i0 + i) * args->ldo + oc0;
                const float inv = l[i] > 0.0f ? 1.0f / l[i] : 0.0f;
                for (size_t c = 0; c < ocn; c++)
                    o[c] = ot[c * QB + i] * inv;
            }
            oc0 += ocn;
        } while (oc0 < d);

        float lse[QB] __attribute__((aligned(16)));
        for (size_t i = 0; i < QB; i++)
            lse[i] = i < nq ? ptc_attn_lse(m[i], l[i]) : -INFINITY;
        if (args->lse)
            memcpy(args->lse + i0, lse, nq * sizeof(float));
        if (!importance)
            continue;

        /* importance, pass 2 for this block: p = exp(s - lse) * w, summed over rows.
         * Rows past n_q or with lse = -inf (all keys masked) get lse +inf, w 0: p = 0. */
        float w[QB] __attribute__((aligned(16)));
        for (size_t i = 0; i < QB; i++) {
            const bool live = i < nq && lse[i] != -INFINITY;
            w[i] = live ? (query_weight ? query_weight[i0 + i] : 1.0f / (float)args->n_q) : 0.0f;
            lse[i] = live ? lse[i] : INFINITY;
        }
        float32x4_t lsev[4], wv[4];
        for (int q = 0; q < 4; q++) {
            lsev[q] = vld1q_f32(lse + 4 * q);
            wv[q] = vld1q_f32(w + 4 * q);
        }
        if (save) { /* pass 1's probabilities, rescaled per tile; sums stay in key_acc */
            for (size_t T = 0, slot = 0; T < saved.tiles; T++) {
                const float *mt = saved.tile_max + T * QB;
                float32x4_t cq[4]; /* w exp(m_T - lse) */
                for (int q = 0; q < 4; q++)
                    cq[q] = vmulq_f32(wv[q], exp_neon(vsubq_f32(vld1q_f32(mt + 4 * q), lsev[q])));
                for (; slot < saved.tile_end[T]; slot++) {
                    const float *pt = saved.p + slot * QB;
                    float32x4_t acc = vld1q_f32(saved.key_acc + slot * 4);
                    for (int q = 0; q < 4; q++)
                        acc = vfmaq_f32(acc, vld1q_f32(pt + 4 * q), cq[q]);
                    vst1q_f32(saved.key_acc + slot * 4, acc);
                }
            }
            continue;
        }
        size_t next = 0;
        while (ptc_attn_next_key_tile(args, &next, TILE, KR, &tile)) {
            ptc_attn_tile_dots(&attn_tile_neon, args->q, args->ldq, d, resident, i0, nq, tile.k,
                               tile.n, tile.bias, args->scale, qt, st);
            for (size_t t = 0; t < tile.n; t++) {
                float32x4_t acc = vdupq_n_f32(0.0f);
                for (int q = 0; q < 4; q++)
                    acc = vfmaq_f32(acc, wv[q],
                                    exp_neon(vsubq_f32(vld1q_f32(st + t * QB + 4 * q), lsev[q])));
                importance[tile.kept[t]] += vaddvq_f32(acc);
            }
        }
    }
    for (size_t slot = 0; save && slot < saved.slots; slot++)
        importance[saved.key_of_slot[slot]] += vaddvq_f32(vld1q_f32(saved.key_acc + slot * 4));
}

void ptc_attention_neon(const ptc_attention_args *args)
{
    attend_neon(args, NULL, NULL);
}

void ptc_attention_importance_neon(const ptc_attention_args *args, const float *query_weight,
                                   float *importance)
{
    for (size_t j = 0; j < args->n_kv; j++)
        importance[j] = 0.0f;
    attend_neon(args, query_weight, importance);
}

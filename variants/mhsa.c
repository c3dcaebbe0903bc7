/*
 * variants/mhsa.c — multi-head self-attention over kept keys (the encoder
 * layer around it is variants/layer.c).
 *
 * Data flow of ptc_mhsa_forward, per sample b (shapes in rows x hidden):
 *   xa (n_act)   the rows the layer sees, gathered only when they are not
 *                contiguous in x (length-aware with pads and combination rows)
 *   q  (n_act)   = xa Wq^T + bq
 *   kv source    every seen row, or (project_kept) the union over heads of the
 *                kept rows, gathered into the context buffer before it is used
 *   k, v (n_src) = source Wk^T + bk, source Wv^T + bv
 *   fused QKV    (opt->fused_qkv with w->wqkv, inference) when the source is xa
 *                itself: q, k, v = xa [Wq; Wk; Wv]^T + [bq; bk; bv] in one GEMM,
 *                one (n_act, 3 hidden) block whose column thirds are q, k, v
 *   pos[r]       row of sample row r in k/v; head h attends over kv_rows =
 *                pos[kept[h][j]] — pruned keys are never copied
 *   ctx (n_act)  = per head ops->attention(_importance), heads side by side
 *   y            = ctx Wo^T + bo, scattered back to the seen rows of y
 * Projections are per sample with ops->sgemm outside parallel regions (it
 * threads itself); attention runs in one OpenMP loop over (sample, head) pairs,
 * each pair independent, so results do not depend on the thread count.
 * No allocation: every buffer is carved from the caller's workspace.
 */
#include "internal.h"

#include <math.h>
#include <string.h>

void ptc_mhsa_options_default(ptc_mhsa_options *opt)
{
    opt->use_kept = true;
    opt->want_importance = false;
    opt->project_kept = true;
    opt->key_log_size = NULL;
    opt->times = NULL;
    opt->fused_qkv = false;
}


/* ---- workspace ------------------------------------------------------------------------- */
typedef struct mhsa_ws {
    float *xa, *ctx;              /* (batch, n_rows, hidden) each */
    float *qkv;                   /* per sample q, k, v: (batch, 3, n_rows, hidden), see qkv_of */
    float *key_bias;              /* (batch, n_rows) in k/v row space */
    int32_t *pos;                 /* (batch, n_rows) sample row -> k/v row, -1 none */
    int32_t *src;                 /* (batch, n_rows) k/v row -> sample row */
    int32_t *kv_idx;              /* (batch, n_heads, n_rows) */
    int32_t *n_src;               /* (batch) */
} mhsa_ws;

static size_t mhsa_layout(ptc_arena *a, mhsa_ws *ws, size_t batch, size_t n_rows,
                          size_t hidden, size_t n_heads)
{
    mhsa_ws w;
    const size_t act = batch * n_rows * hidden * sizeof(float);
    w.xa = ptc_arena_take(a, act);
    w.qkv = ptc_arena_take(a, 3 * act);
    w.ctx = ptc_arena_take(a, act);
    w.key_bias = ptc_arena_take(a, batch * n_rows * sizeof(float));
    w.pos = ptc_arena_take(a, batch * n_rows * sizeof(int32_t));
    w.src = ptc_arena_take(a, batch * n_rows * sizeof(int32_t));
    w.kv_idx = ptc_arena_take(a, batch * n_heads * n_rows * sizeof(int32_t));
    w.n_src = ptc_arena_take(a, batch * sizeof(int32_t));
    if (ws)
        *ws = w;
    return a->used;
}

size_t ptc_mhsa_workspace_need(const ptc_tokens *tok, size_t hidden, size_t n_heads)
{
    ptc_arena a = {NULL, 0};
    return mhsa_layout(&a, NULL, tok->batch, ptc_tok_rows(tok), hidden, n_heads);
}


/* Where sample b's q, k and v live: training in the save area; otherwise the
 * sample's block of 3 sample-sizes in the workspace, as three (n_rows, hidden)
 * matrices, or (fused) as one (n_rows, 3 hidden) matrix whose column thirds are
 * q, k and v (one GEMM writes them). */
typedef struct qkv_view { float *q, *k, *v; size_t ld; } qkv_view;

static qkv_view qkv_of(const mhsa_ws *ws, const ptc_mhsa_save *save, size_t b, size_t sample,
                       size_t hidden, bool fused)
{
    if (save) {
        const qkv_view s = {save->q + b * sample, save->k + b * sample, save->v + b * sample, hidden};
        return s;
    }
    float *base = ws->qkv + 3 * b * sample;
    const qkv_view f = {base, base + hidden, base + 2 * hidden, 3 * hidden};
    const qkv_view s = {base, base + sample, base + 2 * sample, hidden};
    return fused ? f : s;
}

void ptc_mhsa_pack_qkv(const ptc_mhsa_weights *w, size_t hidden, float *wqkv, float *bqkv)
{
    const float *const ws[3] = {w->wq, w->wk, w->wv}, *const bs[3] = {w->bq, w->bk, w->bv};
    for (int i = 0; i < 3; i++) {
        memcpy(wqkv + (size_t)i * hidden * hidden, ws[i], hidden * hidden * sizeof(float));
        if (!bqkv)
            continue;
        if (bs[i])
            memcpy(bqkv + (size_t)i * hidden, bs[i], hidden * sizeof(float));
        else
            memset(bqkv + (size_t)i * hidden, 0, hidden * sizeof(float));
    }
}

int ptc_mhsa_forward(const ptc_ops *ops, const ptc_mhsa_weights *w, size_t hidden,
                     size_t n_heads, const ptc_tokens *tok, const float *x, float *y,
                     ptc_prune_state *state, const ptc_mhsa_options *opt,
                     void *workspace, size_t workspace_bytes, ptc_layer_stats *stats,
                     char *err, size_t err_len)
{
    ptc_op_times *times = opt ? opt->times : NULL;
    const ptc_op_span span = ptc_op_span_begin(times);
    const int rc = ptc_mhsa_run(ops, w, hidden, n_heads, tok, x, y, state, opt, workspace,
                                workspace_bytes, stats, NULL, err, err_len);
    ptc_op_span_end(times, span);
    return rc;
}

int ptc_mhsa_run(const ptc_ops *ops, const ptc_mhsa_weights *w, size_t hidden, size_t n_heads,
                 const ptc_tokens *tok, const float *x, float *y, ptc_prune_state *state,
                 const ptc_mhsa_options *opt, void *workspace, size_t workspace_bytes,
                 ptc_layer_stats *stats, ptc_mhsa_save *save, char *err, size_t err_len)
{
    ptc_mhsa_options defaults;
    ptc_mhsa_options_default(&defaults);
    if (!opt)
        opt = &defaults;
    if (!ops || !w || !x || !y)
        return ptc_fail(err, err_len, "mhsa: NULL ops, weights, x or y");
    if (!w->wq || !w->wk || !w->wv || !w->wo)
        return ptc_fail(err, err_len, "mhsa: a projection matrix is NULL");
    if (ptc_heads_check(hidden, n_heads, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    if (ptc_tokens_check(tok, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    const size_t batch = tok->batch, n_rows = ptc_tok_rows(tok), d = hidden / n_heads;
    const bool use_kept = opt->use_kept && state;
    if (opt->want_importance && !state)
        return ptc_fail(err, err_len, "mhsa: want_importance needs a prune state");
    if (opt->want_importance && !opt->use_kept)
        return ptc_fail(err, err_len, "mhsa: want_importance needs use_kept (the scores are "
                        "aligned with state->kept)");
    if (state && (state->batch != batch || state->n_heads != n_heads || state->n_rows != n_rows))
        return ptc_fail(err, err_len, "mhsa: prune state (batch %zu, heads %zu, rows %zu) does not "
                        "match the layer (batch %zu, heads %zu, rows %zu)", state->batch,
                        state->n_heads, state->n_rows, batch, n_heads, n_rows);
    const size_t need = ptc_mhsa_workspace_need(tok, hidden, n_heads);
    if (!workspace || workspace_bytes < need || (uintptr_t)workspace % 64 != 0)
        return ptc_fail(err, err_len, "mhsa: workspace of %zu bytes (64-byte aligned) needed, "
                        "%zu given", need, workspace ? workspace_bytes : 0);
    mhsa_ws ws;
    ptc_arena arena = {workspace, 0};
    mhsa_layout(&arena, &ws, batch, n_rows, hidden, n_heads);
    if (save) { /* training: what backward reads lives in the save area */
        save->has_key_bias = opt->key_log_size != NULL;
        ws.ctx = save->ctx;
        ws.key_bias = save->key_bias;
        ws.src = save->src;
        ws.kv_idx = save->kv_idx;
        ws.n_src = save->n_src;
    }
    const size_t sample = n_rows * hidden;
    ptc_op_times *const times = opt->times;
    /* one GEMM for Q, K, V where K/V come from the same rows as Q (inference only:
     * training saves q, k, v apart) */
    const bool can_fuse = opt->fused_qkv && w->wqkv && !save;
    double t0;
    double flops_linear = 0.0;
    size_t kv_rows_total = 0, seen_total = 0;

    /* projections, sample by sample (sgemm threads itself) */
    for (size_t b = 0; b < batch; b++) {
        const ptc_seen_rows s = ptc_seen_of(tok, b);
        const size_t n_act = s.n_first + s.n_second;
        const float *xb = x + b * sample;
        const float *xa = xb;
        if (s.n_second) { /* gather the seen rows into one block */
            float *g = ws.xa + b * sample;
            memcpy(g, xb, s.n_first * hidden * sizeof(float));
            memcpy(g + s.n_first * hidden, xb + s.second_at * hidden,
                   s.n_second * hidden * sizeof(float));
            xa = g;
        }
        flops_linear += ptc_linear_flops(n_act, hidden, hidden, w->bq != NULL);

        /* k/v source rows: pos[r] for sample row r, src[i] for k/v row i */
        int32_t *pos = ws.pos + b * n_rows, *src = ws.src + b * n_rows;
        for (size_t r = 0; r < n_rows; r++)
            pos[r] = -1;
        size_t n_src = 0;
        if (use_kept && opt->project_kept) {
            for (size_t h = 0; h < n_heads; h++) {
                const int32_t *kept = state->kept + (b * n_heads + h) * n_rows;
                for (int32_t j = 0; j < state->count[b * n_heads + h]; j++)
                    pos[kept[j]] = 0;
            }
            for (size_t r = 0; r < n_rows; r++)
                if (pos[r] == 0) {
                    pos[r] = (int32_t)n_src;
                    src[n_src++] = (int32_t)r;
                }
        }
        const float *source = xa;
        if (use_kept && opt->project_kept && n_src < n_act) {
            float *g = ws.ctx + b * sample; /* free until attention writes it */
            ops->gather_rows(n_src, hidden, xb, hidden, src, g, hidden);
            source = g;
        } else {
            n_src = n_act;
            for (size_t i = 0; i < n_act; i++) {
                const size_t r = ptc_seen_to_row(&s, i);
                pos[r] = (int32_t)i;
                src[i] = (int32_t)r;
            }
        }
        ws.n_src[b] = (int32_t)n_src;
        /* source == xa here exactly when n_src == n_act (the fused GEMM reads xa) */
        const bool fused = can_fuse && n_src == n_act;
        const qkv_view qkv = qkv_of(&ws, save, b, sample, hidden, fused);
        t0 = ptc_op_tick(times);
        if (fused) {
            ptc_linear(ops, n_act, hidden, 3 * hidden, xa, hidden, w->wqkv, w->bqkv, qkv.q, qkv.ld);
        } else {
            ptc_linear(ops, n_act, hidden, hidden, xa, hidden, w->wq, w->bq, qkv.q, qkv.ld);
            ptc_linear(ops, n_src, hidden, hidden, source, hidden, w->wk, w->bk, qkv.k, qkv.ld);
            ptc_linear(ops, n_src, hidden, hidden, source, hidden, w->wv, w->bv, qkv.v, qkv.ld);
        }
        ptc_op_tock(times, PTC_OPCAT_LINEAR, t0);
        flops_linear += ptc_linear_flops(n_src, hidden, hidden, w->bk != NULL) +
                        ptc_linear_flops(n_src, hidden, hidden, w->bv != NULL);
        kv_rows_total += n_src;
        seen_total += n_act;

        float *bias = ws.key_bias + b * n_rows;
        const size_t len = ptc_tok_len(tok, b);
        const float *log_size = opt->key_log_size ? opt->key_log_size + b * n_rows : NULL;
        for (size_t i = 0; i < n_src; i++) {
            const size_t r = (size_t)src[i];
            bias[i] = (r >= len && r < tok->n_text) ? -INFINITY : log_size ? log_size[r] : 0.0f;
        }
        for (size_t h = 0; h < n_heads; h++) {
            int32_t *idx = ws.kv_idx + (b * n_heads + h) * n_rows;
            if (use_kept) {
                const int32_t *kept = state->kept + (b * n_heads + h) * n_rows;
                for (int32_t j = 0; j < state->count[b * n_heads + h]; j++)
                    idx[j] = pos[kept[j]];
            } else {
                for (size_t j = 0; j < n_act; j++)
                    idx[j] = (int32_t)j;
            }
        }
    }

    /* attention: every (sample, head) pair is independent */
    const float scale = 1.0f / sqrtf((float)d);
    const long n_pairs = (long)(batch * n_heads);
    /* threads only pay off above a few hundred thousand multiply-adds (the
     * split does not change any result) */
    double attn_work = 0.0;
    for (size_t b = 0; b < batch; b++)
        attn_work += (double)ptc_tok_active(tok, b) * (double)n_rows * (double)hidden;
    t0 = ptc_op_tick(times);
#pragma omp parallel for schedule(static) if (n_pairs > 1 && attn_work > 2e5)
    for (long pair = 0; pair < n_pairs; pair++) {
        const size_t b = (size_t)pair / n_heads, h = (size_t)pair % n_heads;
        const ptc_seen_rows s = ptc_seen_of(tok, b);
        const size_t n_act = s.n_first + s.n_second;
        const bool has_pads = (tok->pad_mode == PTC_PAD_PADDED && ptc_tok_len(tok, b) < tok->n_text) ||
                              opt->key_log_size;
        const qkv_view qkv = qkv_of(&ws, save, b, sample, hidden, can_fuse && (size_t)ws.n_src[b] == n_act);
        ptc_attention_args args = {
            .n_q = n_act,
            .n_kv = use_kept ? (size_t)state->count[pair] : n_act,
            .d = d,
            .q = qkv.q + h * d, .ldq = qkv.ld,
            .k = qkv.k + h * d, .ldk = qkv.ld,
            .v = qkv.v + h * d, .ldv = qkv.ld,
            .kv_rows = ws.kv_idx + (size_t)pair * n_rows,
            .key_bias = has_pads ? ws.key_bias + b * n_rows : NULL,
            .scale = scale,
            .o = ws.ctx + b * sample + h * d, .ldo = hidden,
            .lse = save ? save->lse + (size_t)pair * n_rows : NULL,
        };
        if (save)
            save->count[pair] = (int32_t)args.n_kv;
        if (opt->want_importance)
            ops->attention_importance(&args, NULL, state->importance + (size_t)pair * n_rows);
        else
            ops->attention(&args);
    }
    ptc_op_tock(times, opt->want_importance ? PTC_OPCAT_SCORING : PTC_OPCAT_ATTENTION, t0);
    if (opt->want_importance)
        state->has_importance = true;

    /* output projection into the seen rows of y; pad rows of y are zero */
    for (size_t b = 0; b < batch; b++) {
        const ptc_seen_rows s = ptc_seen_of(tok, b);
        const float *ctx = ws.ctx + b * sample;
        float *yb = y + b * sample;
        t0 = ptc_op_tick(times);
        ptc_linear(ops, s.n_first, hidden, hidden, ctx, hidden, w->wo, w->bo, yb, hidden);
        ptc_linear(ops, s.n_second, hidden, hidden, ctx + s.n_first * hidden, hidden, w->wo,
                   w->bo, yb + s.second_at * hidden, hidden);
        ptc_op_tock(times, PTC_OPCAT_LINEAR, t0);
        const size_t n_act = s.n_first + s.n_second;
        if (n_act < n_rows) { /* length-aware pads */
            const size_t len = ptc_tok_len(tok, b);
            memset(yb + len * hidden, 0, (tok->n_text - len) * hidden * sizeof(float));
        }
        flops_linear += ptc_linear_flops(n_act, hidden, hidden, w->bo != NULL);
    }

    if (stats) {
        memset(stats, 0, sizeof *stats);
        ptc_stat_acc tokens = ptc_stat_begin(), keys = ptc_stat_begin();
        double attn = 0.0, soft = 0.0, scoring = 0.0;
        size_t kv_lists = 0;
        for (size_t b = 0; b < batch; b++) {
            const size_t n_act = ptc_tok_active(tok, b);
            ptc_stat_add(&tokens, (double)n_act);
            for (size_t h = 0; h < n_heads; h++) {
                const size_t n_kv = use_kept ? (size_t)state->count[b * n_heads + h] : n_act;
                ptc_stat_add(&keys, (double)n_kv);
                const double qk = (double)n_act * (double)n_kv;
                attn += 4.0 * qk * (double)d;
                soft += 5.0 * qk + (double)n_act * (double)d;
                if (opt->want_importance)
                    scoring += 2.0 * qk;
                kv_lists += n_kv;
            }
        }
        stats->tokens = ptc_stat_end(&tokens);
        stats->keys = ptc_stat_end(&keys);
        stats->keys_next = stats->keys;
        stats->n_tokens = stats->n_keys = stats->n_keys_next = 1;
        stats->kv_rows = kv_rows_total;
        stats->flops_linear = flops_linear;
        stats->flops_attention = attn;
        stats->flops_softmax = soft;
        stats->flops_scoring = scoring;
        /* x read, q, context, y written: 4 (n_act, hidden) blocks; K and V */
        stats->bytes_activations = 4 * seen_total * hidden * sizeof(float);
        stats->bytes_kv = 2 * kv_rows_total * hidden * sizeof(float);
        stats->bytes_scores = kv_lists * sizeof(int32_t) +
                              (opt->want_importance ? kv_lists * sizeof(float) : 0);
        stats->bytes_workspace = workspace_bytes;
    }
    return PTC_OK;
}

/* ---- backward -------------------------------------------------------------------------
 * From dy (the gradient of y on the seen rows): dctx = dy Wo per run; attention
 * backward per (sample, head) through ops->attention_backward (probabilities
 * recomputed from the saved lse; dk, dv only on the head's kept k/v rows, the
 * other rows of the union stay 0); then the projections: Q from the seen rows,
 * K and V from the k/v source rows (save->src), their input gradients added
 * into dx. Weight gradients accumulate per sample in sample order. */
void ptc_mhsa_backward(const ptc_ops *ops, const ptc_mhsa_weights *w, const ptc_mhsa_grads *g,
                       size_t hidden, size_t n_heads, const ptc_tokens *tok, const float *x,
                       const float *dy, float *dx, const ptc_mhsa_save *save,
                       const ptc_bwd_scratch *sc, ptc_op_times *times)
{
    const size_t batch = tok->batch, n_rows = ptc_tok_rows(tok), d = hidden / n_heads;
    const size_t sample = n_rows * hidden, row_bytes = hidden * sizeof(float);
    double attn_work = 0.0;
    for (size_t b = 0; b < batch; b++) {
        const ptc_seen_rows s = ptc_seen_of(tok, b);
        const float *dyb = dy + b * sample, *ctx = save->ctx + b * sample;
        float *dctx = sc->dctx + b * sample;
        const double t0 = ptc_op_tick(times);
        ptc_linear_backward(ops, s.n_first, hidden, hidden, ctx, hidden, w->wo, dyb, hidden,
                            g->wo, g->bo, dctx, hidden, false);
        ptc_linear_backward(ops, s.n_second, hidden, hidden, ctx + s.n_first * hidden, hidden,
                            w->wo, dyb + s.second_at * hidden, hidden, g->wo, g->bo,
                            dctx + s.n_first * hidden, hidden, false);
        ptc_op_tock(times, PTC_OPCAT_LINEAR, t0);
        memset(sc->dk + b * sample, 0, (size_t)save->n_src[b] * row_bytes);
        memset(sc->dv + b * sample, 0, (size_t)save->n_src[b] * row_bytes);
        attn_work += (double)ptc_tok_active(tok, b) * (double)n_rows * (double)hidden;
    }

    const float scale = 1.0f / sqrtf((float)d);
    const long n_pairs = (long)(batch * n_heads);
    double t0 = ptc_op_tick(times);
#pragma omp parallel for schedule(static) if (n_pairs > 1 && attn_work > 2e5)
    for (long pair = 0; pair < n_pairs; pair++) {
        const size_t b = (size_t)pair / n_heads, h = (size_t)pair % n_heads;
        const ptc_seen_rows s = ptc_seen_of(tok, b);
        /* the key bias the forward used: pad masks, ToMe's log sizes (0 elsewhere) */
        const bool has_pads = (tok->pad_mode == PTC_PAD_PADDED && ptc_tok_len(tok, b) < tok->n_text) ||
                              save->has_key_bias;
        const size_t at = b * sample + h * d;
        const ptc_attention_bwd_args args = {
            .fwd = {
                .n_q = s.n_first + s.n_second,
                .n_kv = (size_t)save->count[pair],
                .d = d,
                .q = save->q + at, .ldq = hidden,
                .k = save->k + at, .ldk = hidden,
                .v = save->v + at, .ldv = hidden,
                .kv_rows = save->kv_idx + (size_t)pair * n_rows,
                .key_bias = has_pads ? save->key_bias + b * n_rows : NULL,
                .scale = scale,
                .o = save->ctx + at, .ldo = hidden,
                .lse = save->lse + (size_t)pair * n_rows,
            },
            .dout = sc->dctx + at, .lddout = hidden,
            .dq = sc->dq + at, .lddq = hidden,
            .dk = sc->dk + at, .lddk = hidden,
            .dv = sc->dv + at, .lddv = hidden,
        };
        ops->attention_backward(&args);
    }
    ptc_op_tock(times, PTC_OPCAT_ATTENTION, t0);

    for (size_t b = 0; b < batch; b++) {
        const ptc_seen_rows s = ptc_seen_of(tok, b);
        const size_t n_act = s.n_first + s.n_second;
        const float *xb = x + b * sample;
        float *dxb = dx + b * sample;
        /* Q from the seen rows */
        const float *xa = xb;
        if (s.n_second) {
            memcpy(sc->gather, xb, s.n_first * row_bytes);
            memcpy(sc->gather + s.n_first * hidden, xb + s.second_at * hidden, s.n_second * row_bytes);
            xa = sc->gather;
        }
        t0 = ptc_op_tick(times);
        ptc_linear_backward(ops, n_act, hidden, hidden, xa, hidden, w->wq, sc->dq + b * sample,
                            hidden, g->wq, g->bq, sc->dsrc, hidden, false);
        ptc_op_tock(times, PTC_OPCAT_LINEAR, t0);
        for (size_t i = 0; i < n_act; i++)
            ptc_add_row(hidden, sc->dsrc + i * hidden, dxb + ptc_seen_to_row(&s, i) * hidden);
        /* K and V from their source rows */
        const size_t n_src = (size_t)save->n_src[b];
        const int32_t *src = save->src + b * n_rows;
        ops->gather_rows(n_src, hidden, xb, hidden, src, sc->gather, hidden);
        t0 = ptc_op_tick(times);
        ptc_linear_backward(ops, n_src, hidden, hidden, sc->gather, hidden, w->wk,
                            sc->dk + b * sample, hidden, g->wk, g->bk, sc->dsrc, hidden, false);
        ptc_linear_backward(ops, n_src, hidden, hidden, sc->gather, hidden, w->wv,
                            sc->dv + b * sample, hidden, g->wv, g->bv, sc->dsrc, hidden, true);
        ptc_op_tock(times, PTC_OPCAT_LINEAR, t0);
        ops->segment_sum_rows(n_src, hidden, sc->dsrc, hidden, src, dxb, hidden);
    }
}

/*
 * variants/encoder.c — the whole encoder of a variant, driven by its plan.
 *
 * One arena, planned once for (batch, n_text, cfg), holds two activation
 * buffers that the steps ping-pong between, the shared workspace, the pruning
 * state and the combining assignment: nothing is allocated per forward. Each
 * step of ptc_variant_plan_make() is an encoder layer (over the kept keys when
 * an earlier layer selected, selecting for the next when the plan says so) or
 * the combining module, after which only the m combination tokens continue.
 * Training (ptc_encoder_forward_train) runs the same steps over a training
 * arena instead: each step saves what its backward needs (a step's input is
 * kept unless backward can recompute it bit for bit: the output of a layer
 * that removes no tokens is LN2 of its saved sums), and ptc_encoder_backward
 * walks the plan in reverse. The forward's workspace and backward's scratch
 * share one region.
 * Contract: include/ptc/variants.h.
 */
#include "internal.h"

#include <math.h>
#include <string.h>

static ptc_dims dims_of(const ptc_variant_config *cfg, size_t batch, size_t n_text, size_t ffn)
{
    const size_t n_comb = ptc_variant_combines(cfg->variant) ? cfg->n_comb : 0;
    const ptc_dims d = {batch, n_text, n_comb, cfg->hidden, cfg->n_heads, ffn};
    return d;
}

/* The whole-token pruning buffers (TopK, LTP), after the rest of the parts. */
static void carve_token_parts(ptc_arena *a, const ptc_variant_config *cfg, size_t batch,
                              size_t rows, ptc_encoder_arena_parts *e)
{
    e->token_score = e->token_size = e->token_log_size = e->token_weight = NULL;
    e->token_keep = e->token_count = NULL;
    if (!ptc_variant_prunes_tokens(cfg->variant))
        return;
    e->token_score = ptc_arena_take(a, batch * rows * sizeof(float));
    e->token_keep = ptc_arena_take(a, batch * rows * sizeof(int32_t));
    e->token_count = ptc_arena_take(a, batch * sizeof(int32_t));
    if (cfg->variant != PTC_VARIANT_TOKEN_TOME)
        return;
    e->token_size = ptc_arena_take(a, batch * rows * sizeof(float));
    e->token_log_size = ptc_arena_take(a, batch * rows * sizeof(float));
    e->token_weight = ptc_arena_take(a, batch * rows * sizeof(float));
}

/* Carves the arena in a fixed order; base == NULL only counts. Returns total bytes. */
static size_t carve(const ptc_variant_config *cfg, size_t batch, size_t n_text, size_t ffn,
                    char *base, ptc_encoder_arena_parts *out, char *err, size_t err_len)
{
    const ptc_dims dims = dims_of(cfg, batch, n_text, ffn);
    const size_t ws_bytes = ptc_workspace_bytes(&dims, err, err_len);
    if (ws_bytes == 0)
        return 0;
    const size_t rows = n_text + dims.n_comb;
    const size_t act_bytes = batch * rows * cfg->hidden * sizeof(float);
    ptc_arena a = {base, 0};
    ptc_encoder_arena_parts e;
    e.act[0] = ptc_arena_take(&a, act_bytes);
    e.act[1] = ptc_arena_take(&a, act_bytes);
    e.workspace_bytes = ws_bytes;
    e.workspace = ptc_arena_take(&a, ws_bytes);
    e.state_bytes = ptc_prune_state_bytes(batch, cfg->n_heads, rows);
    e.state_mem = ptc_arena_take(&a, e.state_bytes);
    e.assign = ptc_arena_take(&a, batch * (n_text ? n_text : 1) * sizeof(int32_t));
    carve_token_parts(&a, cfg, batch, rows, &e);
    if (out)
        *out = e;
    return a.used;
}

int ptc_encoder_arena_split(const ptc_variant_config *cfg, size_t batch, size_t n_text,
                            size_t ffn, void *arena, ptc_encoder_arena_parts *parts,
                            char *err, size_t err_len)
{
    if (ptc_encoder_arena_bytes(cfg, batch, n_text, ffn, err, err_len) == 0)
        return PTC_EINVAL;
    carve(cfg, batch, n_text, ffn, arena, parts, err, err_len);
    return PTC_OK;
}

size_t ptc_encoder_arena_bytes(const ptc_variant_config *cfg, size_t batch, size_t n_text,
                               size_t ffn, char *err, size_t err_len)
{
    if (ptc_variant_config_check(cfg, err, err_len) != PTC_OK)
        return 0;
    if (ffn == 0) {
        ptc_fail(err, err_len, "ffn = 0: the encoder layers need an FFN size");
        return 0;
    }
    return carve(cfg, batch, n_text, ffn, NULL, NULL, err, err_len);
}

/* The checks both forwards share; fills the plan. */
static int forward_check(const ptc_variant_config *cfg, const ptc_encoder_stack *stack,
                         const ptc_tokens *tok, ptc_variant_plan *plan, char *err, size_t err_len)
{
    if (ptc_variant_plan_make(cfg, plan, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    const bool combines = ptc_variant_combines(cfg->variant);
    if (tok->n_comb != (combines ? cfg->n_comb : 0))
        return ptc_fail(err, err_len, "tokens carry %zu combination rows, the variant needs %zu",
                        tok->n_comb, combines ? cfg->n_comb : (size_t)0);
    if (tok->pad_mode != cfg->pad_mode)
        return ptc_fail(err, err_len, "tokens and config disagree on the padding mode");
    if (combines && !stack->combine)
        return ptc_fail(err, err_len, "the variant combines but the stack has no combining module");
    if (cfg->variant == PTC_VARIANT_TOKEN_LTP && !stack->token_threshold)
        return ptc_fail(err, err_len, "LTP needs the learned thresholds (stack->token_threshold)");
    return ptc_tokens_check(tok, err, err_len);
}

/* need == 0: the size function failed (its message stands). */
static int arena_check(size_t need, const void *arena, size_t arena_bytes, const char *what,
                       char *err, size_t err_len)
{
    if (need == 0)
        return PTC_EINVAL;
    if (arena_bytes < need || ((uintptr_t)arena & 63) != 0)
        return ptc_fail(err, err_len, "encoder%s arena: %zu bytes at %p, need %zu, 64-byte aligned",
                        what, arena_bytes, arena, need);
    return PTC_OK;
}

static uint64_t fnv_add(uint64_t h, const int32_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (uint32_t)v[i];
        h *= 0x100000001B3ull;
    }
    return h;
}

/* Where the steps read and write: ping-pong (inference) or one buffer per
 * step with saves (training). */
typedef struct step_io {
    float *act[2];                       /* inference */
    float *const *xs;                    /* training: (n_steps + 1) inputs/outputs, or NULL */
    void *const *saves;                  /* training: per step */
    const ptc_train_noise *noise;        /* training */
} step_io;

static uint64_t gumbel_seed(uint64_t seed, size_t step)
{
    return seed ^ ((uint64_t)(PTC_SITE_GUMBEL + step) * 0x9E3779B97F4A7C15ull);
}

/* After a layer that scores tokens (TopK, LTP): the importance into
 * e->token_score (TopK adds: cumulative), then, when the step removes tokens,
 * the removal: out compacted in place and tok, state set to the tokens that go
 * on (TopK; LTP at inference), or LTP's soft mask in training (save->mask set,
 * nothing removed). tr: the step's training context, NULL at inference. */
static int token_step(const ptc_variant_config *cfg, const ptc_encoder_stack *stack,
                      const ptc_step *step, ptc_tokens *tok, const ptc_encoder_arena_parts *e,
                      ptc_prune_state *state, float *out, const ptc_step_train *tr,
                      ptc_layer_stats *st, ptc_encoder_result *res, uint64_t *hash,
                      char *err, size_t err_len)
{
    const bool ltp = cfg->variant == PTC_VARIANT_TOKEN_LTP;
    ptc_token_save *save = tr ? &((ptc_layer_save *)tr->save)->tokens : NULL;
    const size_t score_bytes = tok->batch * ptc_tok_rows(tok) * sizeof(float);
    if (save && save->score && tr->frozen_token_scores)
        memcpy(e->token_score, save->score, score_bytes);
    else
        ptc_token_score(state, tok, e->token_score, !ltp);
    if (save && save->score)
        memcpy(save->score, e->token_score, score_bytes);
    if (!step->token_remove)
        return PTC_OK;
    const size_t rows = ptc_tok_rows(tok), H = cfg->hidden;
    const float theta = ltp ? stack->token_threshold[step->layer - 1] : 0.0f;
    st->bytes_scores += tok->batch * rows * (sizeof(float) + sizeof(int32_t));
    if (ltp && save) { /* training: soft mask, every token goes on */
        memcpy(save->y_raw, out, tok->batch * rows * H * sizeof(float));
        res->aux_loss += ptc_token_soft_mask(cfg, tok, H, e->token_score, theta, save->mask, out);
        st->flops_selection += 4.0 * (double)(tok->batch * rows);
        return PTC_OK;
    }
    int32_t *keep = save ? save->keep : e->token_keep, *count = save ? save->count : e->token_count;
    st->flops_selection += ptc_token_select(cfg, step->layer, tok, e->token_score, theta, keep,
                                            count, e->workspace);
    ptc_stat_acc kept = ptc_stat_begin();
    for (size_t b = 0; b < tok->batch; b++) {
        ptc_stat_add(&kept, (double)count[b]);
        *hash = fnv_add(*hash, &count[b], 1);
        *hash = fnv_add(*hash, keep + b * rows, (size_t)count[b]);
    }
    st->keys_next = ptc_stat_end(&kept); /* tokens that go on */
    tok->n_text = ptc_token_compact(tok, H, keep, count, out, e->token_score);
    tok->lengths = count;
    res->out_lengths = count;
    return ptc_prune_state_init(state, e->state_mem, e->state_bytes, tok, cfg->n_heads, err,
                                err_len);
}

/* ToMe after a merging layer: out merged in place (through the workspace),
 * tok and state set to the merged rows, sizes and their logs updated. */
static int merge_step(const ptc_variant_config *cfg, ptc_tokens *tok,
                      const ptc_encoder_arena_parts *e, ptc_prune_state *state, float *out,
                      const ptc_step_train *tr, ptc_layer_stats *st, ptc_encoder_result *res,
                      uint64_t *hash, char *err, size_t err_len)
{
    ptc_token_save *save = tr ? &((ptc_layer_save *)tr->save)->tokens : NULL;
    const size_t rows = ptc_tok_rows(tok), H = cfg->hidden;
    int32_t *dest = save ? save->dest : e->token_keep, *count = save ? save->count : e->token_count;
    float *weight = save ? save->weight : e->token_weight;
    float *y = e->workspace; /* then the matching's scratch */
    char *scratch = (char *)e->workspace + ptc_token_merge_rows_bytes(tok, H);
    double flops = 0.0;
    const size_t n_out = ptc_token_merge(cfg, tok, H, out, e->token_size, dest, weight, count, y,
                                         e->token_log_size, scratch, &flops);
    st->flops_selection += flops;
    st->bytes_scores += tok->batch * rows * (2 * sizeof(float) + sizeof(int32_t));
    ptc_stat_acc kept = ptc_stat_begin();
    for (size_t b = 0; b < tok->batch; b++) {
        ptc_stat_add(&kept, (double)count[b]);
        *hash = fnv_add(*hash, &count[b], 1);
        *hash = fnv_add(*hash, dest + b * rows, ptc_tok_len(tok, b));
    }
    st->keys_next = ptc_stat_end(&kept); /* tokens that go on */
    memcpy(out, y, tok->batch * n_out * H * sizeof(float));
    for (size_t i = 0; i < tok->batch * n_out; i++) { /* sizes (in the log buffer) and logs */
        e->token_size[i] = e->token_log_size[i];
        e->token_log_size[i] = logf(e->token_size[i]);
    }
    tok->n_text = n_out;
    tok->lengths = count;
    res->out_lengths = count;
    return ptc_prune_state_init(state, e->state_mem, e->state_bytes, tok, cfg->n_heads, err,
                                err_len);
}

/* Runs the plan's steps from io's first input; the shared loop of both forwards. */
static int run_steps(const ptc_ops *ops, const ptc_variant_config *cfg, const ptc_variant_plan *plan,
                     const ptc_encoder_stack *stack, const ptc_tokens *tok_in,
                     const ptc_combine_options *combine_opt, const ptc_encoder_arena_parts *e,
                     const step_io *io, ptc_encoder_result *res, char *err, size_t err_len)
{
    ptc_tokens tok = *tok_in;
    const size_t hidden = cfg->hidden;
    ptc_prune_state state;
    if (ptc_prune_state_init(&state, e->state_mem, e->state_bytes, &tok, cfg->n_heads, err,
                             err_len) != PTC_OK)
        return PTC_EINVAL;
    const ptc_combine_options inference = {false, 0, false, NULL};
    ptc_op_times *const times = cfg->mhsa.times;
    uint64_t hash = 0xCBF29CE484222325ull;
    if (e->token_score)
        memset(e->token_score, 0, tok.batch * ptc_tok_rows(&tok) * sizeof(float));
    for (size_t i = 0; e->token_size && i < tok.batch * ptc_tok_rows(&tok); i++)
        e->token_size[i] = 1.0f; /* ToMe: every row one token */
    bool merged = false;        /* ToMe: proportional attention from the first merge on */
    int cur = 0;
    for (size_t i = 0; i < plan->n_steps; i++) {
        const ptc_step *step = &plan->steps[i];
        ptc_layer_stats *st = &res->steps[i];
        const float *in = io->xs ? io->xs[i] : io->act[cur];
        float *out = io->xs ? io->xs[i + 1] : io->act[!cur];
        ptc_step_train train = {0};
        const ptc_step_train *tr = NULL;
        if (io->xs) {
            train.save = io->saves[i];
            train.dropout = io->noise->dropout;
            train.seed = io->noise->seed;
            train.step = i;
            train.soft_assign = io->noise->soft_assign;
            train.frozen_token_scores = io->noise->frozen_token_scores;
            tr = &train;
        }
        int rc;
        if (step->kind == PTC_STEP_COMBINE) {
            ptc_combine_options copt = combine_opt ? *combine_opt : inference;
            if (tr) {
                copt.training = io->noise->gumbel;
                copt.seed = gumbel_seed(io->noise->seed, i);
            }
            const double t0 = ptc_op_tick(times);
            rc = ptc_combine_run(ops, stack->combine, hidden, &tok, in, out, e->assign, &copt,
                                 e->workspace, e->workspace_bytes, st, tr, err, err_len);
            ptc_op_tock(times, PTC_OPCAT_COMBINING, t0);
            if (rc == PTC_OK)
                hash = fnv_add(hash, e->assign, tok.batch * tok.n_text);
            tok.n_text = 0; /* only the m combination tokens continue */
            tok.lengths = NULL;
            res->assign = e->assign;
            res->combined = true;
        } else {
            ptc_mhsa_options opt = cfg->mhsa;
            opt.use_kept = !step->comb_only;
            opt.want_importance = step->select || step->token_score;
            opt.key_log_size = merged ? e->token_log_size : NULL;
            rc = ptc_layer_run(ops, &stack->layers[step->layer - 1], hidden, cfg->n_heads,
                               stack->ffn, &tok, in, out, step->comb_only ? NULL : &state, &opt,
                               e->workspace, e->workspace_bytes, st, tr, err, err_len);
            const double t0 = ptc_op_tick(times); /* the token methods' choice: selection */
            if (rc == PTC_OK && cfg->variant == PTC_VARIANT_TOKEN_TOME && step->token_remove) {
                rc = merge_step(cfg, &tok, e, &state, out, tr, st, res, &hash, err, err_len);
                merged = true;
                ptc_op_tock(times, PTC_OPCAT_SELECTION, t0);
            } else if (rc == PTC_OK && step->token_score) {
                rc = token_step(cfg, stack, step, &tok, e, &state, out, tr, st, res, &hash,
                                err, err_len);
                ptc_op_tock(times, PTC_OPCAT_SELECTION, t0);
            }
            if (rc == PTC_OK && step->select) {
                const double t0 = ptc_op_tick(times);
                rc = ptc_prune_select(&cfg->prune, &tok, &state, e->workspace,
                                      e->workspace_bytes, st, err, err_len);
                ptc_op_tock(times, PTC_OPCAT_SELECTION, t0);
                for (size_t k = 0; rc == PTC_OK && k < tok.batch * cfg->n_heads; k++) {
                    hash = fnv_add(hash, &state.count[k], 1);
                    hash = fnv_add(hash, state.kept + k * state.n_rows, (size_t)state.count[k]);
                }
            }
        }
        if (rc != PTC_OK)
            return rc;
        ptc_stats_accumulate(&res->total, st);
        cur = !cur;
        res->n_steps = i + 1;
    }
    res->out = io->xs ? io->xs[plan->n_steps] : io->act[cur];
    res->out_rows = ptc_tok_rows(&tok);
    res->kept = state.kept;
    res->kept_count = state.count;
    res->selection_hash = hash;
    return PTC_OK;
}

int ptc_encoder_forward(const ptc_ops *ops, const ptc_variant_config *cfg,
                        const ptc_encoder_stack *stack, const ptc_tokens *tok_in,
                        const float *x, const ptc_combine_options *combine_opt,
                        void *arena, size_t arena_bytes, ptc_encoder_result *res,
                        char *err, size_t err_len)
{
    memset(res, 0, sizeof *res);
    const ptc_op_span span = ptc_op_span_begin(cfg->mhsa.times); /* checks and plan: other */
    ptc_variant_plan plan;
    if (forward_check(cfg, stack, tok_in, &plan, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    if (arena_check(ptc_encoder_arena_bytes(cfg, tok_in->batch, tok_in->n_text, stack->ffn, err,
                                            err_len), arena, arena_bytes, "", err, err_len) != PTC_OK)
        return PTC_EINVAL;
    ptc_encoder_arena_parts e;
    carve(cfg, tok_in->batch, tok_in->n_text, stack->ffn, arena, &e, err, err_len);
    const size_t rows = ptc_tok_rows(tok_in);
    if (x != e.act[0])
        memcpy(e.act[0], x, tok_in->batch * rows * cfg->hidden * sizeof(float));
    const step_io io = {{e.act[0], e.act[1]}, NULL, NULL, NULL};
    const int rc = run_steps(ops, cfg, &plan, stack, tok_in, combine_opt, &e, &io, res, err,
                             err_len);
    ptc_op_span_end(cfg->mhsa.times, span);
    return rc;
}

/* ---- training ------------------------------------------------------------------------------ */
/* The header at the start of a training arena: the shapes of the last
 * training forward (backward carves the same layout from them), its noise and
 * a copy of its lengths. */
typedef struct train_header {
    size_t batch, n_text;
    ptc_train_noise noise;
    bool ready;              /* a training forward ran in this arena */
    size_t saved_bytes;
} train_header;

typedef struct train_parts {
    train_header *hdr;
    int32_t *lengths;                      /* (batch) */
    ptc_encoder_arena_parts e;             /* workspace, prune state, assignment */
    float *xs[PTC_MAX_LAYERS + 2];         /* input of step s; xs[n_steps] the output */
    ptc_layer_save layer[PTC_MAX_LAYERS + 1];
    ptc_combine_save comb;                 /* the plan has at most one combining step */
    void *saves[PTC_MAX_LAYERS + 1];
    float *grad[2];                        /* (batch, rows, hidden) gradient ping-pong */
    ptc_bwd_scratch sc;
    /* step inputs backward recomputes (input_recomputed): the forward writes
     * them in fwd[s & 1], backward in xre; both share the workspace's region */
    float *fwd[2], *xre;                   /* (batch, rows, hidden) each */
} train_parts;

/* Whether backward recomputes the input of step s instead of keeping it: the
 * output of an encoder layer that removes no tokens is LN2 of its saved
 * pre-LN2 sums, bit for bit (ops->residual_layernorm's contract). The first
 * input (the embeddings) and the encoder's output are kept. */
static bool input_recomputed(const ptc_variant_plan *plan, size_t s)
{
    return s >= 1 && s < plan->n_steps && plan->steps[s - 1].kind == PTC_STEP_ENCODER &&
           !plan->steps[s - 1].token_remove;
}

#define TAKE_F(a, n) ((float *)ptc_arena_take((a), (size_t)(n) * sizeof(float)))
#define TAKE_I(a, n) ((int32_t *)ptc_arena_take((a), (size_t)(n) * sizeof(int32_t)))

static void carve_layer_save(ptc_arena *a, ptc_layer_save *v, size_t batch, size_t rows,
                             size_t hidden, size_t heads, size_t ffn)
{
    const size_t act = batch * rows * hidden;
    v->attn.q = TAKE_F(a, act);
    v->attn.k = TAKE_F(a, act);
    v->attn.v = TAKE_F(a, act);
    v->attn.ctx = TAKE_F(a, act);
    v->attn.lse = TAKE_F(a, batch * heads * rows);
    v->attn.key_bias = TAKE_F(a, batch * rows);
    v->attn.src = TAKE_I(a, batch * rows);
    v->attn.kv_idx = TAKE_I(a, batch * heads * rows);
    v->attn.count = TAKE_I(a, batch * heads);
    v->attn.n_src = TAKE_I(a, batch);
    v->attn.has_key_bias = false; /* backward sets it from the plan */
    v->res1 = TAKE_F(a, act);
    v->res2 = TAKE_F(a, act);
    v->u = TAKE_F(a, batch * rows * ffn);
    v->mean1 = TAKE_F(a, batch * rows);
    v->rstd1 = TAKE_F(a, batch * rows);
    v->mean2 = TAKE_F(a, batch * rows);
    v->rstd2 = TAKE_F(a, batch * rows);
}

static void carve_combine_save(ptc_arena *a, ptc_combine_save *v, size_t batch, size_t n_text,
                               size_t m, size_t hidden)
{
    const size_t mh = batch * m * hidden;
    v->c = TAKE_F(a, mh);
    v->mc = TAKE_F(a, batch * m);
    v->rc = TAKE_F(a, batch * m);
    v->e = TAKE_F(a, batch * n_text * hidden);
    v->me = TAKE_F(a, batch * n_text);
    v->re = TAKE_F(a, batch * n_text);
    v->qc = TAKE_F(a, mh);
    v->qk = TAKE_F(a, mh);
    v->soft = TAKE_F(a, batch * m * n_text);
    v->es = TAKE_F(a, mh);
    v->cnt = TAKE_F(a, batch * m);
    v->u = TAKE_F(a, mh);
    v->assign = TAKE_I(a, batch * n_text);
}

/* What a step that removes tokens keeps for backward: TopK the rows that
 * went on, ToMe where each row went and its weight, LTP the soft mask, its
 * importance and the unmasked output. */
static void carve_token_save(ptc_arena *a, const ptc_variant_config *cfg, const ptc_step *step,
                             ptc_token_save *v, size_t batch, size_t rows, size_t hidden)
{
    memset(v, 0, sizeof *v);
    if (!step->token_remove)
        return;
    if (cfg->variant == PTC_VARIANT_TOKEN_TOPK) {
        v->keep = TAKE_I(a, batch * rows);
        v->count = TAKE_I(a, batch);
    } else if (cfg->variant == PTC_VARIANT_TOKEN_TOME) {
        v->dest = TAKE_I(a, batch * rows);
        v->weight = TAKE_F(a, batch * rows);
        v->count = TAKE_I(a, batch);
    } else {
        v->mask = TAKE_F(a, batch * rows);
        v->y_raw = TAKE_F(a, batch * rows * hidden);
        v->score = TAKE_F(a, batch * rows);
    }
}

/* Backward's gradient ping-pong grad[2] and scratch from a. */
static void carve_bwd_scratch(ptc_arena *a, size_t batch, size_t rows0, size_t H, size_t ffn,
                              size_t m, size_t n_text, float **grad, ptc_bwd_scratch *sc)
{
    const size_t act = batch * rows0 * H, nt = n_text ? n_text : 1, mm = m ? m : 1;
    grad[0] = TAKE_F(a, act);
    grad[1] = TAKE_F(a, act);
    sc->dattn = TAKE_F(a, act);
    sc->dctx = TAKE_F(a, act);
    sc->dq = TAKE_F(a, act);
    sc->dk = TAKE_F(a, act);
    sc->dv = TAKE_F(a, act);
    sc->t1 = TAKE_F(a, rows0 * H);
    sc->t2 = TAKE_F(a, rows0 * H);
    sc->gather = TAKE_F(a, rows0 * H);
    sc->dsrc = TAKE_F(a, rows0 * H);
    sc->g = TAKE_F(a, rows0 * ffn);
    sc->du = TAKE_F(a, rows0 * ffn);
    sc->dlogit = TAKE_F(a, mm * nt);
    sc->de = TAKE_F(a, nt * H);
    sc->dc = TAKE_F(a, mm * H);
    sc->dnum = TAKE_F(a, mm * H);
    sc->des = TAKE_F(a, mm * H);
    sc->dqk = TAKE_F(a, mm * H);
    sc->dqc = TAKE_F(a, mm * H);
    sc->dcnt = TAKE_F(a, mm);
}

/* The training arena for (batch, n_text) in a fixed order; base == NULL counts. */
static size_t carve_train(const ptc_variant_config *cfg, const ptc_variant_plan *plan,
                          size_t batch, size_t n_text, size_t ffn, char *base, train_parts *t)
{
    const ptc_dims dims = dims_of(cfg, batch, n_text, ffn);
    const size_t ws_bytes = ptc_workspace_bytes(&dims, NULL, 0);
    const size_t H = cfg->hidden, heads = cfg->n_heads, m = dims.n_comb, rows0 = n_text + m;
    ptc_arena a = {base, 0};
    t->hdr = ptc_arena_take(&a, sizeof(train_header));
    t->lengths = TAKE_I(&a, batch);
    t->e.act[0] = t->e.act[1] = NULL;
    /* the forward's workspace and recomputed step inputs, and backward's
     * scratch, are never alive together: one region of the larger size holds
     * either */
    const size_t act = batch * rows0 * H;
    ptc_arena fwd = {NULL, ws_bytes}, bwd = {NULL, 0};
    TAKE_F(&fwd, 2 * act);
    carve_bwd_scratch(&bwd, batch, rows0, H, ffn, m, n_text, &t->grad[0], &t->sc);
    TAKE_F(&bwd, act);
    t->e.workspace_bytes = ws_bytes;
    t->e.workspace = ptc_arena_take(&a, fwd.used > bwd.used ? fwd.used : bwd.used);
    fwd = (ptc_arena){t->e.workspace, ws_bytes};
    t->fwd[0] = TAKE_F(&fwd, act);
    t->fwd[1] = TAKE_F(&fwd, act);
    bwd = (ptc_arena){t->e.workspace, 0};
    carve_bwd_scratch(&bwd, batch, rows0, H, ffn, m, n_text, &t->grad[0], &t->sc);
    t->xre = TAKE_F(&bwd, act);
    t->e.state_bytes = ptc_prune_state_bytes(batch, heads, rows0);
    t->e.state_mem = ptc_arena_take(&a, t->e.state_bytes);
    t->e.assign = TAKE_I(&a, batch * (n_text ? n_text : 1));
    carve_token_parts(&a, cfg, batch, rows0, &t->e);
    size_t rows = rows0;
    for (size_t s = 0; s < plan->n_steps; s++) {
        t->xs[s] = input_recomputed(plan, s) ? t->fwd[s & 1] : TAKE_F(&a, batch * rows * H);
        if (plan->steps[s].kind == PTC_STEP_COMBINE) {
            carve_combine_save(&a, &t->comb, batch, n_text, m, H);
            t->saves[s] = &t->comb;
            rows = m;
        } else {
            carve_layer_save(&a, &t->layer[s], batch, rows, H, heads, ffn);
            carve_token_save(&a, cfg, &plan->steps[s], &t->layer[s].tokens, batch, rows, H);
            t->saves[s] = &t->layer[s];
        }
    }
    t->xs[plan->n_steps] = TAKE_F(&a, batch * rows * H);
    return a.used;
}

size_t ptc_encoder_train_bytes(const ptc_variant_config *cfg, size_t batch, size_t n_text,
                               size_t ffn, char *err, size_t err_len)
{
    if (ptc_encoder_arena_bytes(cfg, batch, n_text, ffn, err, err_len) == 0)
        return 0;
    ptc_variant_plan plan;
    ptc_variant_plan_make(cfg, &plan, NULL, 0);
    train_parts t;
    return carve_train(cfg, &plan, batch, n_text, ffn, NULL, &t);
}

float *ptc_encoder_train_input(const ptc_variant_config *cfg, size_t batch, size_t n_text,
                               size_t ffn, void *arena)
{
    ptc_variant_plan plan;
    if (ptc_encoder_train_bytes(cfg, batch, n_text, ffn, NULL, 0) == 0 ||
        ptc_variant_plan_make(cfg, &plan, NULL, 0) != PTC_OK)
        return NULL;
    train_parts t;
    carve_train(cfg, &plan, batch, n_text, ffn, arena, &t);
    return t.xs[0];
}

/* The tokens each step of the last training forward saw (toks[n_steps]: the
 * output's): the combining module leaves the m tokens, a TopK removal the
 * rows its save kept. */
static void step_tokens(const ptc_variant_plan *plan, const ptc_tokens *tok_in,
                        const train_parts *t, ptc_tokens *toks)
{
    ptc_tokens tok = *tok_in;
    for (size_t s = 0; s < plan->n_steps; s++) {
        toks[s] = tok;
        const ptc_token_save *ts = &t->layer[s].tokens;
        if (plan->steps[s].kind == PTC_STEP_COMBINE) {
            tok.n_text = 0;
            tok.lengths = NULL;
        } else if (plan->steps[s].token_remove && ts->count) {
            tok.n_text = ptc_token_rows_after(tok.batch, ts->count);
            tok.lengths = ts->count;
        }
    }
    toks[plan->n_steps] = tok;
}

/* The input of step s for its backward: kept, or recomputed into t->xre from
 * step s - 1's pre-LN2 sums over the rows that step wrote (tok: its tokens,
 * the same as step s's; its weights are not yet updated). */
static const float *step_input(const ptc_ops *ops, const ptc_encoder_stack *stack,
                               const ptc_variant_plan *plan, const train_parts *t,
                               const ptc_tokens *tok, size_t s, size_t hidden)
{
    if (!input_recomputed(plan, s))
        return t->xs[s];
    const ptc_layer_save *sv = &t->layer[s - 1];
    const ptc_encoder_weights *w = &stack->layers[plan->steps[s - 1].layer - 1];
    const size_t sample = ptc_tok_rows(tok) * hidden;
    for (size_t b = 0; b < tok->batch; b++) {
        const ptc_seen_rows r = ptc_seen_of(tok, b);
        const size_t runs[2][2] = {{0, r.n_first}, {r.second_at, r.n_second}};
        for (int run = 0; run < 2; run++) {
            const size_t off = b * sample + runs[run][0] * hidden;
            if (runs[run][1])
                ptc_layernorm_rows(ops, runs[run][1], hidden, sv->res2 + off, hidden,
                                   w->ln2_gamma, w->ln2_beta, w->ln_eps, t->xre + off, hidden,
                                   NULL, NULL);
        }
    }
    return t->xre;
}

/* Bytes a training forward saved: the rows each step actually kept. */
static size_t saved_bytes(const ptc_variant_config *cfg, const ptc_variant_plan *plan,
                          const ptc_tokens *tok_in, const train_parts *t, size_t ffn)
{
    ptc_tokens toks[PTC_MAX_LAYERS + 2];
    step_tokens(plan, tok_in, t, toks);
    const size_t H = cfg->hidden, heads = cfg->n_heads, F = sizeof(float);
    size_t total = 0;
    for (size_t s = 0; s < plan->n_steps; s++) {
        const ptc_tokens tok = toks[s];
        const size_t rows = ptc_tok_rows(&tok);
        if (!input_recomputed(plan, s))
            total += tok.batch * rows * H * F; /* the step's input */
        const ptc_token_save *ts = &t->layer[s].tokens;
        if (ts->count) /* TopK: the rows that went on, ToMe where they went; the counts */
            total += tok.batch * (rows + 1) * sizeof(int32_t);
        if (ts->weight) /* ToMe: the weights */
            total += tok.batch * rows * F;
        if (ts->mask) /* LTP: mask, importance and the unmasked output */
            total += tok.batch * rows * (H + 2) * F;
        if (plan->steps[s].kind == PTC_STEP_COMBINE) {
            const size_t m = tok.n_comb;
            for (size_t b = 0; b < tok.batch; b++) {
                const size_t len = ptc_tok_len(&tok, b);
                total += (m * (5 * H + 3) + len * (H + 3) + m * len) * F;
            }
            continue;
        }
        const ptc_mhsa_save *a = &t->layer[s].attn;
        for (size_t b = 0; b < tok.batch; b++) {
            const size_t n_act = ptc_tok_active(&tok, b), n_src = (size_t)a->n_src[b];
            size_t kept = 0;
            for (size_t h = 0; h < heads; h++)
                kept += (size_t)a->count[b * heads + h];
            /* q, ctx, res1, res2, u, 4 LayerNorm statistics, lse; k, v, key bias, source row */
            total += (n_act * (4 * H + ffn + 4 + heads) + n_src * (2 * H + 2) + kept) * F;
        }
    }
    return total + toks[plan->n_steps].batch * ptc_tok_rows(&toks[plan->n_steps]) * H * F;
}

int ptc_encoder_forward_train(const ptc_ops *ops, const ptc_variant_config *cfg,
                              const ptc_encoder_stack *stack, const ptc_tokens *tok_in,
                              const float *x, const ptc_train_noise *noise,
                              void *arena, size_t arena_bytes, ptc_encoder_result *res,
                              char *err, size_t err_len)
{
    memset(res, 0, sizeof *res);
    const ptc_op_span span = ptc_op_span_begin(cfg->mhsa.times); /* checks, copies: other */
    ptc_variant_plan plan;
    if (forward_check(cfg, stack, tok_in, &plan, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    if (arena_check(ptc_encoder_train_bytes(cfg, tok_in->batch, tok_in->n_text, stack->ffn, err,
                                            err_len), arena, arena_bytes, " training", err,
                    err_len) != PTC_OK)
        return PTC_EINVAL;
    const ptc_train_noise none = {0.0f, 0, false, false, false};
    if (!noise)
        noise = &none;
    if (!(noise->dropout >= 0.0f && noise->dropout < 1.0f))
        return ptc_fail(err, err_len, "dropout %g outside [0, 1)", (double)noise->dropout);
    train_parts t;
    carve_train(cfg, &plan, tok_in->batch, tok_in->n_text, stack->ffn, arena, &t);
    t.hdr->ready = false;
    t.hdr->batch = tok_in->batch;
    t.hdr->n_text = tok_in->n_text;
    t.hdr->noise = *noise;
    ptc_tokens tok = *tok_in;
    if (tok.lengths) {
        memcpy(t.lengths, tok.lengths, tok.batch * sizeof(int32_t));
        tok.lengths = t.lengths;
    } else {
        for (size_t b = 0; b < tok.batch; b++)
            t.lengths[b] = (int32_t)tok.n_text;
    }
    const size_t rows = ptc_tok_rows(&tok);
    if (x != t.xs[0])
        memcpy(t.xs[0], x, tok.batch * rows * cfg->hidden * sizeof(float));
    const step_io io = {{NULL, NULL}, t.xs, t.saves, noise};
    const int rc = run_steps(ops, cfg, &plan, stack, &tok, NULL, &t.e, &io, res, err, err_len);
    if (rc != PTC_OK)
        return rc;
    t.hdr->saved_bytes = saved_bytes(cfg, &plan, &tok, &t, stack->ffn);
    t.hdr->ready = true;
    ptc_op_span_end(cfg->mhsa.times, span);
    return PTC_OK;
}

size_t ptc_encoder_saved_bytes(const void *arena)
{
    const train_header *h = arena;
    return h && h->ready ? h->saved_bytes : 0;
}

int ptc_encoder_backward(const ptc_ops *ops, const ptc_variant_config *cfg,
                         const ptc_encoder_stack *stack, const ptc_encoder_stack_grads *grads,
                         const float *dout, float *dx, void *arena, size_t arena_bytes,
                         char *err, size_t err_len)
{
    ptc_op_times *const times = cfg->mhsa.times;
    const ptc_op_span span = ptc_op_span_begin(times); /* checks, token backward: other */
    const train_header *h = arena;
    if (!arena || !h->ready)
        return ptc_fail(err, err_len, "encoder backward: no training forward in this arena");
    ptc_variant_plan plan;
    if (ptc_variant_plan_make(cfg, &plan, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    if (ptc_variant_combines(cfg->variant) && (!grads->combine || !stack->combine))
        return ptc_fail(err, err_len, "encoder backward: the variant combines but the gradients "
                        "have no combining module");
    train_parts t;
    const size_t need = carve_train(cfg, &plan, h->batch, h->n_text, stack->ffn, arena, &t);
    if (arena_bytes < need)
        return ptc_fail(err, err_len, "encoder backward: arena of %zu bytes, the forward used %zu",
                        arena_bytes, need);
    const size_t H = cfg->hidden, m = ptc_variant_combines(cfg->variant) ? cfg->n_comb : 0;
    if (cfg->variant == PTC_VARIANT_TOKEN_LTP && !grads->token_threshold)
        return ptc_fail(err, err_len, "encoder backward: LTP needs the thresholds' gradient");
    /* the tokens each step saw */
    ptc_tokens toks[PTC_MAX_LAYERS + 2];
    const ptc_tokens tok0 = {h->batch, h->n_text, m, t.lengths, cfg->pad_mode};
    step_tokens(&plan, &tok0, &t, toks);
    const ptc_tokens tok = toks[plan.n_steps];
    memcpy(t.grad[0], dout, tok.batch * ptc_tok_rows(&tok) * H * sizeof(float));
    int cur = 0;
    const ptc_combine_options copt = {false, 0, false, NULL};
    for (size_t s = plan.n_steps; s-- > 0;) {
        const ptc_step *step = &plan.steps[s];
        const ptc_step_train train = {t.saves[s], h->noise.dropout, h->noise.seed, s,
                                      h->noise.soft_assign, h->noise.frozen_token_scores, times};
        const ptc_token_save *ts = &t.layer[s].tokens;
        /* ToMe: the layers after the first merge used proportional attention */
        for (size_t q = 0; q < s && step->kind == PTC_STEP_ENCODER; q++)
            t.layer[s].attn.has_key_bias |= plan.steps[q].token_remove && t.layer[q].tokens.dest;
        if (step->token_remove && ts->dest) { /* ToMe: back through the averages */
            ptc_token_merge_backward(&toks[s], H, ts->dest, ts->weight, ts->count, t.grad[cur],
                                     t.grad[!cur]);
            cur = !cur;
        } else if (step->token_remove && ts->count) { /* TopK: back to the rows before removal */
            ptc_token_expand(&toks[s], H, ts->keep, ts->count, t.grad[cur], t.grad[!cur]);
            cur = !cur;
        } else if (step->token_remove && ts->mask) { /* LTP: through the soft mask */
            grads->token_threshold[step->layer - 1] += (float)ptc_token_soft_mask_backward(
                cfg, &toks[s], H, ts->mask, ts->y_raw, t.grad[cur]);
        }
        if (grads->on_step)
            grads->on_step(grads->ctx, step, false);
        const float *x = step_input(ops, stack, &plan, &t, s ? &toks[s - 1] : NULL, s, H);
        if (step->kind == PTC_STEP_COMBINE) {
            const double t0 = ptc_op_tick(times);
            ptc_combine_backward(ops, stack->combine, grads->combine, H, &toks[s], x,
                                 t.grad[cur], t.grad[!cur], &copt, &train, &t.sc);
            ptc_op_tock(times, PTC_OPCAT_COMBINING, t0);
        } else {
            ptc_layer_backward(ops, &stack->layers[step->layer - 1], &grads->layers[step->layer - 1],
                               H, cfg->n_heads, stack->ffn, &toks[s], x, t.grad[cur],
                               t.grad[!cur], &train, &t.sc);
        }
        if (grads->on_step)
            grads->on_step(grads->ctx, step, true);
        cur = !cur;
    }
    memcpy(dx, t.grad[cur], h->batch * (h->n_text + m) * H * sizeof(float));
    ptc_op_span_end(times, span);
    return PTC_OK;
}

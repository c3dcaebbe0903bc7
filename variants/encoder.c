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
 * arena instead: every step's input is kept, each step saves what its
 * backward needs, and ptc_encoder_backward walks the plan in reverse.
 * Contract: include/ptc/variants.h.
 */
#include "internal.h"

#include <string.h>

static ptc_dims dims_of(const ptc_variant_config *cfg, size_t batch, size_t n_text, size_t ffn)
{
    const size_t n_comb = ptc_variant_combines(cfg->variant) ? cfg->n_comb : 0;
    const ptc_dims d = {batch, n_text, n_comb, cfg->hidden, cfg->n_heads, ffn};
    return d;
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
            opt.want_importance = step->select;
            rc = ptc_layer_run(ops, &stack->layers[step->layer - 1], hidden, cfg->n_heads,
                               stack->ffn, &tok, in, out, step->comb_only ? NULL : &state, &opt,
                               e->workspace, e->workspace_bytes, st, tr, err, err_len);
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
    ptc_variant_plan plan;
    if (forward_check(cfg, stack, tok_in, &plan, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    if (arena_check(ptc_encoder_arena_bytes(cfg, tok_in->batch, tok_in->n_text, stack->ffn, err,
                                            err_len), arena, arena_bytes, "", err, err_len) != PTC_OK)
        return PTC_EINVAL;
    const ptc_op_span span = ptc_op_span_begin(cfg->mhsa.times);
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
} train_parts;

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
    t->e.workspace_bytes = ws_bytes;
    t->e.workspace = ptc_arena_take(&a, ws_bytes);
    t->e.state_bytes = ptc_prune_state_bytes(batch, heads, rows0);
    t->e.state_mem = ptc_arena_take(&a, t->e.state_bytes);
    t->e.assign = TAKE_I(&a, batch * (n_text ? n_text : 1));
    size_t rows = rows0;
    for (size_t s = 0; s < plan->n_steps; s++) {
        t->xs[s] = TAKE_F(&a, batch * rows * H);
        if (plan->steps[s].kind == PTC_STEP_COMBINE) {
            carve_combine_save(&a, &t->comb, batch, n_text, m, H);
            t->saves[s] = &t->comb;
            rows = m;
        } else {
            carve_layer_save(&a, &t->layer[s], batch, rows, H, heads, ffn);
            t->saves[s] = &t->layer[s];
        }
    }
    t->xs[plan->n_steps] = TAKE_F(&a, batch * rows * H);
    const size_t act = batch * rows0 * H, nt = n_text ? n_text : 1, mm = m ? m : 1;
    t->grad[0] = TAKE_F(&a, act);
    t->grad[1] = TAKE_F(&a, act);
    ptc_bwd_scratch *sc = &t->sc;
    sc->dattn = TAKE_F(&a, act);
    sc->dctx = TAKE_F(&a, act);
    sc->dq = TAKE_F(&a, act);
    sc->dk = TAKE_F(&a, act);
    sc->dv = TAKE_F(&a, act);
    sc->t1 = TAKE_F(&a, rows0 * H);
    sc->t2 = TAKE_F(&a, rows0 * H);
    sc->gather = TAKE_F(&a, rows0 * H);
    sc->dsrc = TAKE_F(&a, rows0 * H);
    sc->g = TAKE_F(&a, rows0 * ffn);
    sc->du = TAKE_F(&a, rows0 * ffn);
    sc->dlogit = TAKE_F(&a, mm * nt);
    sc->de = TAKE_F(&a, nt * H);
    sc->dc = TAKE_F(&a, mm * H);
    sc->dnum = TAKE_F(&a, mm * H);
    sc->des = TAKE_F(&a, mm * H);
    sc->dqk = TAKE_F(&a, mm * H);
    sc->dqc = TAKE_F(&a, mm * H);
    sc->dcnt = TAKE_F(&a, mm);
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

/* Bytes a training forward saved: the rows each step actually kept. */
static size_t saved_bytes(const ptc_variant_config *cfg, const ptc_variant_plan *plan,
                          const ptc_tokens *tok_in, const train_parts *t, size_t ffn)
{
    ptc_tokens tok = *tok_in;
    const size_t H = cfg->hidden, heads = cfg->n_heads, F = sizeof(float);
    size_t total = 0;
    for (size_t s = 0; s < plan->n_steps; s++) {
        const size_t rows = ptc_tok_rows(&tok);
        total += tok.batch * rows * H * F; /* the step's input */
        if (plan->steps[s].kind == PTC_STEP_COMBINE) {
            const size_t m = tok.n_comb;
            for (size_t b = 0; b < tok.batch; b++) {
                const size_t len = ptc_tok_len(&tok, b);
                total += (m * (5 * H + 3) + len * (H + 3) + m * len) * F;
            }
            tok.n_text = 0;
            tok.lengths = NULL;
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
    return total + tok.batch * ptc_tok_rows(&tok) * H * F;
}

int ptc_encoder_forward_train(const ptc_ops *ops, const ptc_variant_config *cfg,
                              const ptc_encoder_stack *stack, const ptc_tokens *tok_in,
                              const float *x, const ptc_train_noise *noise,
                              void *arena, size_t arena_bytes, ptc_encoder_result *res,
                              char *err, size_t err_len)
{
    memset(res, 0, sizeof *res);
    ptc_variant_plan plan;
    if (forward_check(cfg, stack, tok_in, &plan, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    if (arena_check(ptc_encoder_train_bytes(cfg, tok_in->batch, tok_in->n_text, stack->ffn, err,
                                            err_len), arena, arena_bytes, " training", err,
                    err_len) != PTC_OK)
        return PTC_EINVAL;
    const ptc_train_noise none = {0.0f, 0, false, false};
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
    /* the tokens each step saw */
    ptc_tokens toks[PTC_MAX_LAYERS + 1];
    ptc_tokens tok = {h->batch, h->n_text, m, t.lengths, cfg->pad_mode};
    for (size_t s = 0; s < plan.n_steps; s++) {
        toks[s] = tok;
        if (plan.steps[s].kind == PTC_STEP_COMBINE) {
            tok.n_text = 0;
            tok.lengths = NULL;
        }
    }
    memcpy(t.grad[0], dout, tok.batch * ptc_tok_rows(&tok) * H * sizeof(float));
    int cur = 0;
    const ptc_combine_options copt = {false, 0, false, NULL};
    for (size_t s = plan.n_steps; s-- > 0;) {
        const ptc_step *step = &plan.steps[s];
        const ptc_step_train train = {t.saves[s], h->noise.dropout, h->noise.seed, s,
                                      h->noise.soft_assign};
        if (step->kind == PTC_STEP_COMBINE)
            ptc_combine_backward(ops, stack->combine, grads->combine, H, &toks[s], t.xs[s],
                                 t.grad[cur], t.grad[!cur], &copt, &train, &t.sc);
        else
            ptc_layer_backward(ops, &stack->layers[step->layer - 1], &grads->layers[step->layer - 1],
                               H, cfg->n_heads, stack->ffn, &toks[s], t.xs[s], t.grad[cur],
                               t.grad[!cur], &train, &t.sc);
        cur = !cur;
    }
    memcpy(dx, t.grad[cur], h->batch * (h->n_text + m) * H * sizeof(float));
    return PTC_OK;
}

/*
 * harness/bench/bench_workload.c — the workloads of one `ptc bench` configuration, set up
 * untimed and run once per timed call: random weights and inputs (seeded), and the
 * kernel, layer and encoder levels described in harness/bench/bench_work.c's header.
 * Contract: harness/bench/bench_workload.h.
 */
#include "bench/bench_workload.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- random fill ----------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* uniform on (-a, a): standard deviation a / sqrt(3) */
static void fill_uniform(float *x, size_t n, float a, uint64_t *s)
{
    for (size_t i = 0; i < n; i++)
        x[i] = a * ((float)(rng_next(s) >> 40) * (2.0f / 16777216.0f) - 1.0f);
}

static void fill_const(float *x, size_t n, float v)
{
    for (size_t i = 0; i < n; i++)
        x[i] = v;
}

static void *alloc64(size_t bytes)
{
    return aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
}

/* ---- model ------------------------------------------------------------------------ */


#define WEIGHT_STD 0.02f

static float *take(float **cursor, size_t n)
{
    float *p = *cursor;
    *cursor += (n + 15) / 16 * 16;
    return p;
}

int bench_qkv_fused(void)
{
    const char *v = getenv("PTC_QKV");
    if (!v || !*v || strcmp(v, "separate") == 0)
        return 0;
    return strcmp(v, "fused") == 0 ? 1 : -1;
}

/* n_layers layers of shape m and a combining module; 0 on success. */
int bench_model_init(model_weights *w, const ptc_model_shape *m, int n_layers, bool fused_qkv,
                     uint64_t seed)
{
    const size_t h = (size_t)m->hidden, f = (size_t)m->ffn, h2 = h * h;
    const size_t per_layer = 4 * h2 + 2 * h * f + 12 * h + f + 256 +
                             (fused_qkv ? 3 * h2 + 3 * h + 32 : 0);
    const size_t total = (size_t)n_layers * (per_layer + 1) + 4 * h2 + 12 * h + 256;
    memset(w, 0, sizeof *w);
    w->slab = alloc64(total * sizeof(float));
    if (!w->slab)
        return -1;
    float *c = w->slab;
    uint64_t s = seed ^ 0x5eedull;
    const float a = WEIGHT_STD * sqrtf(3.0f);
#define RAND(ptr, n) do { float *t_ = take(&c, n); fill_uniform(t_, n, a, &s); ptr = t_; } while (0)
#define CONST(ptr, n, v) do { float *t_ = take(&c, n); fill_const(t_, n, v); ptr = t_; } while (0)
    for (int l = 0; l < n_layers; l++) {
        ptc_encoder_weights *e = &w->layers[l];
        RAND(e->attn.wq, h2); CONST(e->attn.bq, h, 0);
        RAND(e->attn.wk, h2); CONST(e->attn.bk, h, 0);
        RAND(e->attn.wv, h2); CONST(e->attn.bv, h, 0);
        RAND(e->attn.wo, h2); CONST(e->attn.bo, h, 0);
        CONST(e->ln1_gamma, h, 1); CONST(e->ln1_beta, h, 0);
        RAND(e->w1, f * h); CONST(e->b1, f, 0);
        RAND(e->w2, h * f); CONST(e->b2, h, 0);
        CONST(e->ln2_gamma, h, 1); CONST(e->ln2_beta, h, 0);
        e->ln_eps = 1e-12f;
        if (fused_qkv) {
            float *wqkv = take(&c, 3 * h2), *bqkv = take(&c, 3 * h);
            ptc_mhsa_pack_qkv(&e->attn, h, wqkv, bqkv);
            e->attn.wqkv = wqkv;
            e->attn.bqkv = bqkv;
        }
    }
    w->fused_qkv = fused_qkv;
    ptc_combine_weights *cw = &w->combine;
    CONST(cw->ln_c_gamma, h, 1); CONST(cw->ln_c_beta, h, 0);
    CONST(cw->ln_e_gamma, h, 1); CONST(cw->ln_e_beta, h, 0);
    RAND(cw->wq, h2); CONST(cw->bq, h, 0);
    RAND(cw->wk, h2); CONST(cw->bk, h, 0);
    RAND(cw->wv, h2); CONST(cw->bv, h, 0);
    RAND(cw->wo, h2); CONST(cw->bo, h, 0);
    cw->ln_eps = 1e-12f;
#undef RAND
#undef CONST
    w->stack.layers = w->layers;
    w->stack.combine = &w->combine;
    w->stack.ffn = f;
    return 0;
}

void bench_model_free(model_weights *w)
{
    free(w->slab);
    w->slab = NULL;
}

int bench_layers_needed(const ptc_sweep_config *c)
{
    if (c->train) /* the training phase builds its own model (bench_train.c) */
        return 0;
    return c->level == PTC_LEVEL_ENCODER ? c->model.layers : c->level == PTC_LEVEL_LAYER ? 1 : 0;
}

/* ---- workloads ---------------------------------------------------------------------- */


/* Text rows of sample b: the same for every variant of a group (seeded by
 * sample), combination rows after them. */
static void fill_inputs(float *x, size_t batch, size_t n_text, size_t n_comb, size_t hidden,
                        uint64_t seed)
{
    for (size_t b = 0; b < batch; b++) {
        float *xb = x + b * (n_text + n_comb) * hidden;
        uint64_t s = seed ^ (0x1000003ull * (b + 1));
        fill_uniform(xb, n_text * hidden, sqrtf(3.0f), &s);
        uint64_t sc = seed ^ 0xc0b1ull;
        fill_uniform(xb + n_text * hidden, n_comb * hidden, WEIGHT_STD * sqrtf(3.0f), &sc);
    }
}

static void kernel_rows(const workload *w, size_t b, size_t r0, size_t r1)
{
    const size_t n = (size_t)w->cfg->seq, d = w->d;
    const bool pruned = w->cfg->variant == PTC_VARIANT_PRUNE;
    const ptc_attention_args args = {
        .n_q = r1 - r0, .n_kv = pruned ? w->kv_count[b] : n, .d = d,
        .q = w->q + (b * n + r0) * d, .ldq = d,
        .k = w->k + b * n * d, .ldk = d, .v = w->v + b * n * d, .ldv = d,
        .kv_rows = pruned ? w->kv_rows + b * n : NULL, .key_bias = NULL,
        .scale = 1.0f / sqrtf((float)d),
        .o = w->o + (b * n + r0) * d, .ldo = d, .lse = NULL,
    };
    w->ops->attention(&args);
}

/* One forward of the workload (the timed unit). Sets w->rc / w->err. */
void bench_work_once(workload *w)
{
    const ptc_sweep_config *c = w->cfg;
    const size_t h = (size_t)c->model.hidden, heads = (size_t)c->model.heads,
                 ffn = (size_t)c->model.ffn;
    switch (c->level) {
    case PTC_LEVEL_ENCODER:
        if (w->train) {
            w->rc = ptc_train_work_step(w->train, w->err, sizeof w->err) == 0 ? PTC_OK : PTC_EINVAL;
            break;
        }
        w->rc = ptc_encoder_forward(w->ops, &w->vcfg, &w->stack, &w->tok, w->x, NULL, w->arena,
                                    w->arena_bytes, w->res, w->err, sizeof w->err);
        break;
    case PTC_LEVEL_LAYER:
        memset(&w->steps[0], 0, sizeof w->steps[0]);
        if (c->variant == PTC_VARIANT_COMBINE) {
            const ptc_combine_options inference = {false, 0, false, &w->times};
            w->rc = ptc_combine_forward(w->ops, &w->mw->combine, h, &w->tok, w->x, w->y, w->assign,
                                        &inference, w->arena, w->arena_bytes, &w->steps[0], w->err,
                                        sizeof w->err);
        } else if (c->variant == PTC_VARIANT_PRUNE) {
            double t0 = ptc_op_tick(&w->times);
            memcpy(w->state_mem, w->state_saved, w->state_bytes);
            w->state = w->state_saved_struct;
            ptc_op_tock(&w->times, PTC_OPCAT_OTHER, t0);
            w->rc = ptc_encoder_layer_forward(w->ops, &w->mw->layers[0], h, heads, ffn, &w->tok, w->x,
                                              w->y, &w->state, &w->mopt, w->arena, w->arena_bytes,
                                              &w->steps[0], w->err, sizeof w->err);
            t0 = ptc_op_tick(&w->times);
            if (w->rc == PTC_OK)
                w->rc = ptc_prune_select(&w->vcfg.prune, &w->tok, &w->state, w->arena,
                                         w->arena_bytes, &w->steps[0], w->err, sizeof w->err);
            ptc_op_tock(&w->times, PTC_OPCAT_SELECTION, t0);
        } else {
            w->rc = ptc_encoder_layer_forward(w->ops, &w->mw->layers[0], h, heads, ffn, &w->tok, w->x,
                                              w->y, NULL, &w->mopt, w->arena, w->arena_bytes,
                                              &w->steps[0], w->err, sizeof w->err);
        }
        break;
    case PTC_LEVEL_KERNEL: {
        const size_t n = (size_t)c->seq;
        const double t0 = ptc_op_tick(&w->times);
        for (size_t b = 0; b < (size_t)c->batch; b++) {
            if (c->threads == 1) {
                kernel_rows(w, b, 0, n);
            } else {
#pragma omp parallel num_threads(c->threads)
                {
                    const size_t i = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
                    kernel_rows(w, b, n * i / nt, n * (i + 1) / nt);
                }
            }
        }
        ptc_op_tock(&w->times, PTC_OPCAT_ATTENTION, t0);
        w->rc = PTC_OK;
        break;
    }
    }
}

int bench_op_runs_init(workload *w, size_t cap)
{
    w->op_runs = calloc(cap ? cap : 1, sizeof *w->op_runs);
    w->op_runs_cap = w->op_runs ? (cap ? cap : 1) : 0;
    w->n_op_runs = 0;
    return w->op_runs ? 0 : -1;
}

void bench_op_run_record(workload *w, int64_t iterations, double wall_s)
{
    if (!w->op_runs_cap || iterations <= 0)
        return;
    op_run *r = &w->op_runs[w->n_op_runs % w->op_runs_cap];
    for (int k = 0; k < PTC_OPCAT_COUNT; k++)
        r->per_iter.s[k] = w->times.s[k] / (double)iterations;
    r->total_s = wall_s / (double)iterations;
    w->n_op_runs++;
}

/* Accounting of the last forward into w->steps / w->total. */
void bench_collect_stats(workload *w)
{
    const ptc_sweep_config *c = w->cfg;
    if (w->train) {
        memset(&w->steps[0], 0, sizeof w->steps[0]);
        if (ptc_train_work_stats(w->train, &w->steps[0], &w->arena_bytes, w->err,
                                 sizeof w->err) != 0)
            w->rc = PTC_EINVAL;
        w->n_steps = 1;
        w->total = w->steps[0];
        return;
    }
    if (c->level == PTC_LEVEL_ENCODER) {
        w->n_steps = w->res->n_steps;
        memcpy(w->steps, w->res->steps, w->n_steps * sizeof w->steps[0]);
        w->total = w->res->total;
        return;
    }
    if (c->level == PTC_LEVEL_KERNEL) {
        ptc_layer_stats *s = &w->steps[0];
        memset(s, 0, sizeof *s);
        const double n = c->seq, d = (double)w->d;
        double kmin = INFINITY, kmax = 0, ksum = 0;
        for (size_t b = 0; b < (size_t)c->batch; b++) {
            const double kv = c->variant == PTC_VARIANT_PRUNE ? (double)w->kv_count[b] : n;
            kmin = fmin(kmin, kv);
            kmax = fmax(kmax, kv);
            ksum += kv;
            s->flops_attention += 4 * n * kv * d;
            s->flops_softmax += 5 * n * kv + n * d;
            s->bytes_activations += (size_t)(2 * n * d * sizeof(float)); /* Q read, O written */
            s->bytes_kv += (size_t)(2 * kv * d * sizeof(float));          /* kept K, V rows */
            if (c->variant == PTC_VARIANT_PRUNE)
                s->bytes_scores += (size_t)kv * sizeof(int32_t);          /* kept row list */
            s->kv_rows += (size_t)kv;
        }
        s->tokens = (ptc_stat3){n, n, n};
        s->keys = (ptc_stat3){kmin, ksum / c->batch, kmax};
        s->keys_next = s->keys;
        s->n_tokens = s->n_keys = 1;
    }
    w->n_steps = 1;
    memset(&w->total, 0, sizeof w->total);
    ptc_stats_accumulate(&w->total, &w->steps[0]);
}

static int fail_setup(workload *w, const char *fmt, const char *detail)
{
    snprintf(w->err, sizeof w->err, fmt, detail ? detail : "");
    w->rc = PTC_EINVAL;
    return -1;
}

/* Kernel level: per sample random Q, K, V of one head and, for prune, the keys a rule
 * keeps, chosen from the importance of the full attention of that head. 0, or -1. */
static int setup_kernel(workload *w, uint64_t seed)
{
    const ptc_sweep_config *c = w->cfg;
    const size_t batch = (size_t)c->batch, n = (size_t)c->seq;
    const size_t per = batch * n * w->d;
    w->q = alloc64(per * sizeof(float));
    w->k = alloc64(per * sizeof(float));
    w->v = alloc64(per * sizeof(float));
    w->o = alloc64(per * sizeof(float));
    w->kv_rows = alloc64(batch * n * sizeof(int32_t));
    w->kv_count = calloc(batch, sizeof(size_t));
    float *imp = alloc64(n * sizeof(float));
    void *scratch = alloc64(ptc_prune_select_head_scratch_bytes(n));
    if (!w->q || !w->k || !w->v || !w->o || !w->kv_rows || !w->kv_count || !imp || !scratch) {
        free(imp);
        free(scratch);
        return fail_setup(w, "out of memory%s", NULL);
    }
    uint64_t s = seed ^ 0x4b45524eull;
    fill_uniform(w->q, per, sqrtf(3.0f), &s);
    fill_uniform(w->k, per, sqrtf(3.0f), &s);
    fill_uniform(w->v, per, sqrtf(3.0f), &s);
    ptc_prune_config pc;
    ptc_prune_config_default(&pc);
    pc.rule = c->rule;
    pc.p = c->p;
    for (size_t b = 0; b < batch; b++) {
        if (c->variant != PTC_VARIANT_PRUNE) {
            w->kv_count[b] = n;
            continue;
        }
        /* the previous attention's importance: the full attention of this head */
        const ptc_attention_args args = {
            .n_q = n, .n_kv = n, .d = w->d, .q = w->q + b * n * w->d, .ldq = w->d,
            .k = w->k + b * n * w->d, .ldk = w->d, .v = w->v + b * n * w->d, .ldv = w->d,
            .kv_rows = NULL, .key_bias = NULL, .scale = 1.0f / sqrtf((float)w->d),
            .o = w->o + b * n * w->d, .ldo = w->d, .lse = NULL};
        w->ops->attention_importance(&args, NULL, imp);
        w->kv_count[b] = ptc_prune_select_head(&pc, n, imp, w->kv_rows + b * n, scratch);
    }
    free(imp);
    free(scratch);
    return 0;
}

/* Encoder level: the variant's plan over the whole model in one arena, or the training
 * phase's model and batch (bench_train.c). 0, or -1. */
static int setup_encoder(workload *w, size_t m, bool comb, uint64_t seed)
{
    const ptc_sweep_config *c = w->cfg;
    const size_t batch = (size_t)c->batch, n = (size_t)c->seq, h = (size_t)c->model.hidden;
    ptc_variant_config_default(&w->vcfg, c->variant);
    w->vcfg.n_layers = (size_t)c->model.layers;
    w->vcfg.hidden = h;
    w->vcfg.n_heads = (size_t)c->model.heads;
    w->vcfg.n_comb = m;
    if (comb)
        w->vcfg.combine_layer = (size_t)c->lc;
    w->vcfg.prune.rule = c->rule;
    w->vcfg.prune.p = c->p;
    w->vcfg.mhsa.project_kept = c->project_kept;
    w->vcfg.pad_mode = c->pad;
    if (c->has_keep) /* TopK's keep ratios by layer (else p), ToMe's r */
        ptc_token_set_keep_ratios(&w->vcfg, c->keep.v, c->keep.n);
    if (c->has_tome_r)
        w->vcfg.token.merge_r = (size_t)c->tome_r;
    w->vcfg.mhsa.times = &w->times; /* the workload does not move after set-up */
    if (c->train) { /* its model times its steps by op into w->times too */
        w->train = ptc_train_work_create(c, &w->vcfg, w->ops, seed, w->err, sizeof w->err);
        w->rc = w->train ? PTC_OK : PTC_EINVAL;
        return w->train ? 0 : -1;
    }
    w->vcfg.mhsa.fused_qkv = w->mw->fused_qkv;
    w->stack = w->mw->stack; /* LTP: the configuration's fixed threshold at every layer */
    for (size_t l = 0; l <= PTC_MAX_LAYERS; l++)
        w->ltp_threshold[l] = (float)c->ltp_threshold;
    w->stack.token_threshold = c->has_ltp ? w->ltp_threshold : NULL;
    w->arena_bytes = ptc_encoder_arena_bytes(&w->vcfg, batch, n, (size_t)c->model.ffn, w->err,
                                             sizeof w->err);
    if (w->arena_bytes == 0) {
        w->rc = PTC_EINVAL;
        return -1;
    }
    w->arena = alloc64(w->arena_bytes);
    w->res = calloc(1, sizeof *w->res);
    if (!w->arena || !w->res)
        return fail_setup(w, "out of memory%s", NULL);
    return 0;
}

/* Layer level: one layer's workspace and output; for prune, the state of one earlier
 * selection made untimed by the same layer over all keys (saved, restored before each
 * timed call). 0, or -1. */
static int setup_layer(workload *w, size_t m)
{
    const ptc_sweep_config *c = w->cfg;
    const size_t batch = (size_t)c->batch, n = (size_t)c->seq, h = (size_t)c->model.hidden;
    const size_t heads = (size_t)c->model.heads, ffn = (size_t)c->model.ffn, rows = n + m;
    const ptc_dims dims = {batch, n, m, h, heads, ffn};
    w->arena_bytes = ptc_workspace_bytes(&dims, w->err, sizeof w->err);
    if (w->arena_bytes == 0) {
        w->rc = PTC_EINVAL;
        return -1;
    }
    w->arena = alloc64(w->arena_bytes);
    w->y = alloc64(batch * rows * h * sizeof(float));
    w->assign = alloc64(batch * n * sizeof(int32_t));
    if (!w->arena || !w->y || !w->assign)
        return fail_setup(w, "out of memory%s", NULL);
    ptc_variant_config_default(&w->vcfg, c->variant);
    w->vcfg.prune.rule = c->rule;
    w->vcfg.prune.p = c->p;
    ptc_mhsa_options_default(&w->mopt);
    w->mopt.project_kept = c->project_kept;
    w->mopt.times = &w->times; /* the workload does not move after set-up */
    w->mopt.fused_qkv = w->mw->fused_qkv;
    if (c->variant != PTC_VARIANT_PRUNE)
        return 0;
    w->state_bytes = ptc_prune_state_bytes(batch, heads, rows);
    w->state_mem = alloc64(w->state_bytes);
    w->state_saved = alloc64(w->state_bytes);
    if (!w->state_mem || !w->state_saved)
        return fail_setup(w, "out of memory%s", NULL);
    if (ptc_prune_state_init(&w->state, w->state_mem, w->state_bytes, &w->tok, heads, w->err,
                             sizeof w->err) != PTC_OK) {
        w->rc = PTC_EINVAL;
        return -1;
    }
    /* the earlier selection: this layer's own importance over all keys */
    w->mopt.use_kept = true;
    w->mopt.want_importance = true;
    ptc_layer_stats st;
    memset(&st, 0, sizeof st);
    w->rc = ptc_encoder_layer_forward(w->ops, &w->mw->layers[0], h, heads, ffn, &w->tok, w->x, w->y,
                                      &w->state, &w->mopt, w->arena, w->arena_bytes, &st, w->err,
                                      sizeof w->err);
    if (w->rc == PTC_OK)
        w->rc = ptc_prune_select(&w->vcfg.prune, &w->tok, &w->state, w->arena, w->arena_bytes,
                                 &st, w->err, sizeof w->err);
    if (w->rc != PTC_OK)
        return -1;
    memcpy(w->state_saved, w->state_mem, w->state_bytes);
    w->state_saved_struct = w->state;
    return 0;
}

int bench_workload_setup(workload *w, const ptc_sweep_config *c, const model_weights *mw,
                         uint64_t seed)
{
    memset(w, 0, sizeof *w);
    w->cfg = c;
    w->mw = mw;
    w->ops = ptc_ops_find(c->isa);
    if (!w->ops || !ptc_ops_supported(w->ops))
        return fail_setup(w, "table %s cannot run here", c->isa);
    const size_t batch = (size_t)c->batch, n = (size_t)c->seq, h = (size_t)c->model.hidden;
    w->d = h / (size_t)c->model.heads;
    const bool comb = c->variant == PTC_VARIANT_COMBINE || c->variant == PTC_VARIANT_PRUNE_COMBINE;
    const size_t m = comb ? (size_t)c->m : 0;
    if (c->level == PTC_LEVEL_KERNEL)
        return setup_kernel(w, seed);

    w->tok = (ptc_tokens){batch, n, m, NULL, c->pad};
    w->x = alloc64(batch * (n + m) * h * sizeof(float));
    if (!w->x)
        return fail_setup(w, "out of memory%s", NULL);
    fill_inputs(w->x, batch, n, m, h, seed);
    return c->level == PTC_LEVEL_ENCODER ? setup_encoder(w, m, comb, seed) : setup_layer(w, m);
}

void bench_workload_free(workload *w)
{
    ptc_train_work_free(w->train);
    void *owned[] = {w->x, w->y, w->arena, w->res, w->state_mem, w->state_saved, w->assign,
                     w->q, w->k, w->v, w->o, w->kv_rows, w->kv_count, w->op_runs};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        free(owned[i]);
    memset(w, 0, sizeof *w);
}


/*
 * harness/bench/bench_work.c — one group of `ptc bench` configurations, in a child
 * process: the workloads of the three levels, thread binding, per-configuration
 * peak RSS (grandchildren), timing through Google Benchmark, and the rows.
 * Contract: harness/bench/bench.h.
 *
 * Workloads (random weights uniform with standard deviation 0.02, seeded; text
 * inputs uniform with standard deviation 1; combination tokens std 0.02; every
 * sample has the full length seq, so no pads exist and both pad modes compute
 * the same tokens):
 *   kernel   one head per sample: ops->attention of seq queries over all seq
 *            keys (baseline) or over the keys a rule keeps (prune), chosen once,
 *            untimed, from the importance of a full attention of the same head
 *            (quartiles over that head's scores). Threads split query rows.
 *   layer    one encoder layer (ptc_encoder_layer_forward): baseline over all
 *            keys; prune over the keys of one earlier selection (made untimed
 *            by the same layer), scoring and selecting for the next layer (the
 *            prune state is restored before each call: a 2-array memcpy, timed);
 *            combine = the combining module that replaces a layer
 *            (ptc_combine_forward, m tokens).
 *   encoder  ptc_encoder_forward of the variant's plan over the whole model, in
 *            one planned arena; pruning decisions come from the attention it
 *            computes.
 */
#define _GNU_SOURCE
#include "bench/bench.h"
#include "bench/bench_train.h"

#include "bench/gbench.h"
#include "common/cpus.h"

#include "ptc/ops.h"
#include "ptc/variants.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#if PTC_WITH_HWLOC
#include <hwloc.h>
#endif

#define BOOTSTRAP_RESAMPLES 2000

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

typedef struct model_weights {
    float *slab;
    ptc_encoder_weights layers[PTC_MAX_LAYERS];
    ptc_combine_weights combine;
    ptc_encoder_stack stack;
} model_weights;

#define WEIGHT_STD 0.02f

static float *take(float **cursor, size_t n)
{
    float *p = *cursor;
    *cursor += (n + 15) / 16 * 16;
    return p;
}

/* n_layers layers of shape m and a combining module; 0 on success. */
static int model_init(model_weights *w, const ptc_model_shape *m, int n_layers, uint64_t seed)
{
    const size_t h = (size_t)m->hidden, f = (size_t)m->ffn, h2 = h * h;
    const size_t per_layer = 4 * h2 + 2 * h * f + 12 * h + f + 256;
    const size_t total = (size_t)n_layers * per_layer + 4 * h2 + 12 * h + 256;
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
    }
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

static void model_free(model_weights *w)
{
    free(w->slab);
    w->slab = NULL;
}

static int layers_needed(const ptc_sweep_config *c)
{
    if (c->train) /* the training phase builds its own model (bench_train.c) */
        return 0;
    return c->level == PTC_LEVEL_ENCODER ? c->model.layers : c->level == PTC_LEVEL_LAYER ? 1 : 0;
}

/* ---- workloads ---------------------------------------------------------------------- */

#define MAX_STEPS (PTC_MAX_LAYERS + 1)

typedef struct workload {
    const ptc_sweep_config *cfg;
    const ptc_ops *ops;
    const model_weights *mw;
    size_t d;               /* head dimension */
    ptc_tokens tok;
    float *x, *y;           /* inputs (batch, rows, hidden); layer outputs */
    void *arena;            /* encoder arena or layer workspace */
    size_t arena_bytes;
    ptc_variant_config vcfg;
    ptc_encoder_result *res;
    ptc_train_work *train;  /* phase train: the model and its batch */
    /* layer prune: state restored before each call */
    void *state_mem, *state_saved;
    size_t state_bytes;
    ptc_prune_state state, state_saved_struct;
    ptc_mhsa_options mopt;
    int32_t *assign;
    /* kernel: per sample Q, K, V, O (seq, d) and kept rows */
    float *q, *k, *v, *o;
    int32_t *kv_rows;       /* (batch, seq) */
    size_t *kv_count;       /* (batch) */
    /* accounting of one forward */
    size_t n_steps;
    ptc_layer_stats steps[MAX_STEPS];
    ptc_layer_stats total;
    int rc;
    char err[300];
} workload;

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
static void work_once(workload *w)
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
        w->rc = ptc_encoder_forward(w->ops, &w->vcfg, &w->mw->stack, &w->tok, w->x, NULL, w->arena,
                                    w->arena_bytes, w->res, w->err, sizeof w->err);
        break;
    case PTC_LEVEL_LAYER:
        memset(&w->steps[0], 0, sizeof w->steps[0]);
        if (c->variant == PTC_VARIANT_COMBINE) {
            const ptc_combine_options inference = {false, 0, false};
            w->rc = ptc_combine_forward(w->ops, &w->mw->combine, h, &w->tok, w->x, w->y, w->assign,
                                        &inference, w->arena, w->arena_bytes, &w->steps[0], w->err,
                                        sizeof w->err);
        } else if (c->variant == PTC_VARIANT_PRUNE) {
            memcpy(w->state_mem, w->state_saved, w->state_bytes);
            w->state = w->state_saved_struct;
            w->rc = ptc_encoder_layer_forward(w->ops, &w->mw->layers[0], h, heads, ffn, &w->tok, w->x,
                                              w->y, &w->state, &w->mopt, w->arena, w->arena_bytes,
                                              &w->steps[0], w->err, sizeof w->err);
            if (w->rc == PTC_OK)
                w->rc = ptc_prune_select(&w->vcfg.prune, &w->tok, &w->state, w->arena,
                                         w->arena_bytes, &w->steps[0], w->err, sizeof w->err);
        } else {
            w->rc = ptc_encoder_layer_forward(w->ops, &w->mw->layers[0], h, heads, ffn, &w->tok, w->x,
                                              w->y, NULL, &w->mopt, w->arena, w->arena_bytes,
                                              &w->steps[0], w->err, sizeof w->err);
        }
        break;
    case PTC_LEVEL_KERNEL: {
        const size_t n = (size_t)c->seq;
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
        w->rc = PTC_OK;
        break;
    }
    }
}

/* Accounting of the last forward into w->steps / w->total. */
static void collect_stats(workload *w)
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

/* Allocates and prepares a workload (untimed). Returns 0, or -1 with w->err. */
static int workload_setup(workload *w, const ptc_sweep_config *c, const model_weights *mw,
                          uint64_t seed)
{
    memset(w, 0, sizeof *w);
    w->cfg = c;
    w->mw = mw;
    w->ops = ptc_ops_find(c->isa);
    if (!w->ops || !ptc_ops_supported(w->ops))
        return fail_setup(w, "table %s cannot run here", c->isa);
    const size_t batch = (size_t)c->batch, n = (size_t)c->seq, h = (size_t)c->model.hidden;
    const size_t heads = (size_t)c->model.heads, ffn = (size_t)c->model.ffn;
    w->d = h / heads;
    const bool comb = c->variant == PTC_VARIANT_COMBINE || c->variant == PTC_VARIANT_PRUNE_COMBINE;
    const size_t m = comb ? (size_t)c->m : 0;

    if (c->level == PTC_LEVEL_KERNEL) {
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

    w->tok = (ptc_tokens){batch, n, m, NULL, c->pad};
    const size_t rows = n + m;
    w->x = alloc64(batch * rows * h * sizeof(float));
    if (!w->x)
        return fail_setup(w, "out of memory%s", NULL);
    fill_inputs(w->x, batch, n, m, h, seed);

    if (c->level == PTC_LEVEL_ENCODER) {
        ptc_variant_config_default(&w->vcfg, c->variant);
        w->vcfg.n_layers = (size_t)c->model.layers;
        w->vcfg.hidden = h;
        w->vcfg.n_heads = heads;
        w->vcfg.n_comb = m;
        if (comb)
            w->vcfg.combine_layer = (size_t)c->lc;
        w->vcfg.prune.rule = c->rule;
        w->vcfg.prune.p = c->p;
        w->vcfg.mhsa.project_kept = c->project_kept;
        w->vcfg.pad_mode = c->pad;
        if (c->train) {
            w->train = ptc_train_work_create(c, &w->vcfg, w->ops, seed, w->err, sizeof w->err);
            w->rc = w->train ? PTC_OK : PTC_EINVAL;
            return w->train ? 0 : -1;
        }
        w->arena_bytes = ptc_encoder_arena_bytes(&w->vcfg, batch, n, ffn, w->err, sizeof w->err);
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

    /* layer level */
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
    if (c->variant == PTC_VARIANT_PRUNE) {
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
        w->rc = ptc_encoder_layer_forward(w->ops, &mw->layers[0], h, heads, ffn, &w->tok, w->x, w->y,
                                          &w->state, &w->mopt, w->arena, w->arena_bytes, &st, w->err,
                                          sizeof w->err);
        if (w->rc == PTC_OK)
            w->rc = ptc_prune_select(&w->vcfg.prune, &w->tok, &w->state, w->arena, w->arena_bytes,
                                     &st, w->err, sizeof w->err);
        if (w->rc != PTC_OK)
            return -1;
        memcpy(w->state_saved, w->state_mem, w->state_bytes);
        w->state_saved_struct = w->state;
    }
    return 0;
}

static void workload_free(workload *w)
{
    ptc_train_work_free(w->train);
    void *owned[] = {w->x, w->y, w->arena, w->res, w->state_mem, w->state_saved, w->assign,
                     w->q, w->k, w->v, w->o, w->kv_rows, w->kv_count};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        free(owned[i]);
    memset(w, 0, sizeof *w);
}

/* ---- threads and binding ---------------------------------------------------------------- */

typedef struct binding_info {
    char text[256];   /* "pu:0,1" or "none" */
    bool verified;
    unsigned os_index[256];
    int n;
} binding_info;

static bool check_binding(const binding_info *b, int threads)
{
    if (b->n != threads)
        return false;
    int ok = 1;
#pragma omp parallel num_threads(threads) reduction(&& : ok)
    {
        const int i = omp_get_thread_num();
        ok = sched_getcpu() == (int)b->os_index[i];
    }
    return ok != 0;
}

/* Binds OpenMP thread i to the i-th PU, in hwloc logical order, of those this
 * process may use (common/cpus.h), and checks each thread runs there. */
static void bind_threads(int threads, bool bind, binding_info *b)
{
    memset(b, 0, sizeof *b);
    snprintf(b->text, sizeof b->text, "none");
    omp_set_num_threads(threads);
#if PTC_WITH_HWLOC
    if (!bind || threads > 256)
        return;
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) != 0)
        return;
    if (hwloc_topology_load(topo) != 0) {
        hwloc_topology_destroy(topo);
        return;
    }
    const unsigned *cpus;
    const int n_allowed = ptc_cpus_allowed(&cpus);
    hwloc_bitmap_t allowed = hwloc_bitmap_alloc();
    for (int k = 0; k < n_allowed; k++)
        hwloc_bitmap_set(allowed, cpus[k]);
    for (hwloc_obj_t pu = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PU, NULL); pu && b->n < threads;
         pu = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PU, pu))
        if (hwloc_bitmap_isset(allowed, pu->os_index))
            b->os_index[b->n++] = pu->os_index;
    hwloc_bitmap_free(allowed);
    int ok = b->n == threads;
    if (ok) {
#pragma omp parallel num_threads(threads) reduction(&& : ok)
        {
            hwloc_bitmap_t one = hwloc_bitmap_alloc();
            hwloc_bitmap_only(one, b->os_index[omp_get_thread_num()]);
            ok = hwloc_set_cpubind(topo, one, HWLOC_CPUBIND_THREAD | HWLOC_CPUBIND_STRICT) == 0;
            hwloc_bitmap_free(one);
        }
    }
    hwloc_topology_destroy(topo);
    if (!ok) {
        b->n = 0;
        return;
    }
    size_t used = (size_t)snprintf(b->text, sizeof b->text, "pu:");
    for (int i = 0; i < threads; i++)
        used += (size_t)snprintf(b->text + used, used < sizeof b->text ? sizeof b->text - used : 0,
                                 "%s%u", i ? "," : "", b->os_index[i]);
    b->verified = check_binding(b, threads);
#else
    (void)bind;
#endif
}

/* ---- peak RSS per configuration (grandchild) --------------------------------------------- */

typedef struct probe_result {
    int ok;
    long peak_rss;     /* bytes, ru_maxrss of the probe process */
    long rss_before;   /* bytes resident just before the forward (weights, inputs) */
    char err[320];
} probe_result;

static long current_rss(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * sysconf(_SC_PAGESIZE);
}

static void probe_child(const ptc_bench_ctx *ctx, const ptc_sweep_config *c, int fd)
{
    probe_result r;
    memset(&r, 0, sizeof r);
    model_weights mw;
    memset(&mw, 0, sizeof mw);
    const int layers = layers_needed(c);
    if (layers > 0 && model_init(&mw, &c->model, layers, ctx->id.seed) != 0) {
        snprintf(r.err, sizeof r.err, "out of memory for the weights");
    } else {
        binding_info b;
        bind_threads(c->threads, ctx->bind, &b);
        workload *w = calloc(1, sizeof *w);
        if (!w || workload_setup(w, c, &mw, ctx->id.seed) != 0) {
            snprintf(r.err, sizeof r.err, "%s", w ? w->err : "out of memory");
        } else {
            r.rss_before = current_rss();
            work_once(w);
            if (w->rc != PTC_OK) {
                snprintf(r.err, sizeof r.err, "%s", w->err);
            } else {
                struct rusage ru;
                getrusage(RUSAGE_SELF, &ru);
                r.peak_rss = ru.ru_maxrss * 1024L;
                r.ok = 1;
            }
        }
    }
    ssize_t unused = write(fd, &r, sizeof r);
    (void)unused;
    _exit(0);
}

static probe_result probe_rss(const ptc_bench_ctx *ctx, const ptc_sweep_config *c)
{
    probe_result r;
    memset(&r, 0, sizeof r);
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(r.err, sizeof r.err, "pipe: %s", strerror(errno));
        return r;
    }
    fflush(NULL);
    const pid_t pid = fork();
    if (pid < 0) {
        snprintf(r.err, sizeof r.err, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return r;
    }
    if (pid == 0) {
        close(fds[0]);
        probe_child(ctx, c, fds[1]);
    }
    close(fds[1]);
    size_t got = 0;
    while (got < sizeof r) {
        const ssize_t n = read(fds[0], (char *)&r + got, sizeof r - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (got < sizeof r) {
        memset(&r, 0, sizeof r);
        if (WIFSIGNALED(status))
            snprintf(r.err, sizeof r.err, "memory probe killed by signal %d", WTERMSIG(status));
        else
            snprintf(r.err, sizeof r.err, "memory probe exited with status %d", WEXITSTATUS(status));
    }
    return r;
}

/* ---- timing -------------------------------------------------------------------------------- */

static void run_case(ptc_gbench_state *state, void *user)
{
    workload *w = user;
    while (ptc_gbench_keep_running(state)) {
        work_once(w);
        if (w->rc != PTC_OK) {
            ptc_gbench_skip_with_error(state, w->err);
            return;
        }
    }
}

static bool gbench_initialized;

static void init_gbench(void)
{
    if (gbench_initialized)
        return;
    static char arg0[] = "ptc";
    static char arg1[] = "--benchmark_enable_random_interleaving=true";
    static char *argv[] = {arg0, arg1, NULL};
    int argc = 2;
    ptc_gbench_init(&argc, argv);
    gbench_initialized = true;
}

/* ---- rows ------------------------------------------------------------------------------------ */

static json_t *stats3_array(const workload *w, int which)
{
    json_t *a = json_array();
    for (size_t i = 0; i < w->n_steps; i++) {
        const ptc_layer_stats *s = &w->steps[i];
        double v = 0;
        bool has = false;
        switch (which) {
        case 0: has = s->n_tokens > 0; v = s->tokens.mean; break;
        case 1: has = s->n_keys > 0; v = s->keys.min; break;
        case 2: has = s->n_keys > 0; v = s->keys.mean; break;
        case 3: has = s->n_keys > 0; v = s->keys.max; break;
        }
        json_array_append_new(a, has ? json_real(v) : json_null());
    }
    return a;
}

static double activation_bytes(const workload *w)
{
    return (double)w->total.bytes_activations + (double)w->total.bytes_kv +
           (double)w->total.bytes_scores;
}

static json_t *ratio_or_null(double a, double b, bool have)
{
    return have && b > 0 ? json_real(a / b) : json_null();
}

static void fill_row(json_t *row, const ptc_bench_ctx *ctx, const workload *w,
                     const ptc_gbench_stats *s, const probe_result *probe, const workload *base,
                     const ptc_gbench_stats *bs, const probe_result *bprobe,
                     const binding_info *bind)
{
    const ptc_sweep_config *c = w->cfg;
    json_object_set_new(row, "binding", json_string(bind->text));
    const unsigned *cpus;
    const int n_cpus = ptc_cpus_allowed(&cpus);
    char allowed[256];
    json_object_set_new(row, "cpus_allowed", json_string(ptc_cpus_format(cpus, n_cpus, allowed, sizeof allowed)));
    json_object_set_new(row, "binding_verified", json_boolean(bind->verified));

    json_t *t = json_object();
    json_object_set_new(t, "median", json_real(s->median_s));
    json_object_set_new(t, "mean", json_real(s->mean_s));
    json_object_set_new(t, "stddev", json_real(s->stddev_s));
    json_object_set_new(t, "min", json_real(s->min_s));
    json_object_set_new(t, "max", json_real(s->max_s));
    json_object_set_new(t, "cv", json_real(s->cv));
    json_object_set_new(t, "n", json_integer(s->n));
    json_t *reps = json_array(), *iters = json_array();
    for (int i = 0; i < s->n; i++) {
        json_array_append_new(reps, json_real(s->rep_s[i]));
        json_array_append_new(iters, json_integer(s->rep_iterations[i]));
    }
    json_object_set_new(t, "reps", reps);
    json_object_set_new(t, "iterations", iters); /* added: GB iterations per repetition */
    json_object_set_new(row, "time_s", t);

    const bool have_base = base && bs && !bs->error && bs->n > 0;
    if (have_base) {
        json_t *sp = json_object();
        double lo, hi, med;
        if (base == w) {
            med = lo = hi = 1.0;
        } else {
            med = ptc_bootstrap_speedup(bs->rep_s, (size_t)bs->n, s->rep_s, (size_t)s->n,
                                        ptc_hash_string(c->id) ^ ctx->id.seed, BOOTSTRAP_RESAMPLES,
                                        &lo, &hi);
        }
        json_object_set_new(sp, "median", json_real(med));
        json_object_set_new(sp, "ci_low", json_real(lo));
        json_object_set_new(sp, "ci_high", json_real(hi));
        json_object_set_new(sp, "baseline_config_id", json_string(base->cfg->id));
        json_object_set_new(row, "speedup", sp);
    } else {
        json_object_set_new(row, "speedup", json_null());
    }

    const ptc_layer_stats *T = &w->total;
    const double total = ptc_stats_flops_total(T);
    json_t *f = json_object();
    json_object_set_new(f, "total", json_real(total));
    json_object_set_new(f, "linear", json_real(T->flops_linear));
    json_object_set_new(f, "attention", json_real(T->flops_attention));
    json_object_set_new(f, "softmax", json_real(T->flops_softmax));
    json_object_set_new(f, "norm", json_real(T->flops_norm));
    json_object_set_new(f, "scoring", json_real(T->flops_scoring));
    json_object_set_new(f, "selection", json_real(T->flops_selection));
    json_object_set_new(f, "combining", json_real(T->flops_combining));
    json_object_set_new(f, "total_no_attention", json_real(total - T->flops_attention));
    json_object_set_new(row, "flops", f);
    const bool base_ok = base != NULL && base->rc == PTC_OK;
    json_object_set_new(row, "flops_ratio",
                        ratio_or_null(total, base_ok ? ptc_stats_flops_total(&base->total) : 0, base_ok));
    const double gflops = s->median_s > 0 ? total / s->median_s * 1e-9 : 0;
    json_object_set_new(row, "gflops", json_real(gflops));
    const char *peak_isa = NULL;
    const double peak = ptc_calibration_peak(&ctx->cal, c->isa, c->threads, &peak_isa);
    json_object_set_new(row, "pct_peak", peak > 0 ? json_real(100 * gflops / peak) : json_null());

    json_t *mem = json_object();
    json_object_set_new(mem, "activations", json_real(activation_bytes(w)));
    json_object_set_new(mem, "kv", json_real((double)T->bytes_kv));
    json_object_set_new(mem, "scores", json_real((double)T->bytes_scores));
    json_object_set_new(mem, "workspace", json_real((double)w->arena_bytes));
    json_object_set_new(mem, "peak_rss", probe->ok ? json_real((double)probe->peak_rss) : json_null());
    /* added: what the forward itself made resident (peak minus the resident set
     * just before it: weights and inputs were in place) */
    json_object_set_new(mem, "peak_rss_forward",
                        probe->ok ? json_real((double)(probe->peak_rss - probe->rss_before)) : json_null());
    json_object_set_new(row, "memory", mem);
    json_object_set_new(row, "memory_ratio",
                        ratio_or_null(activation_bytes(w), base_ok ? activation_bytes(base) : 0, base_ok));
    json_object_set_new(row, "rss_ratio",
                        ratio_or_null((double)probe->peak_rss, bprobe ? (double)bprobe->peak_rss : 0,
                                      base_ok && probe->ok && bprobe && bprobe->ok));

    json_t *kept = json_object();
    json_object_set_new(kept, "tokens_mean", stats3_array(w, 0));
    json_object_set_new(kept, "keys_min", stats3_array(w, 1));
    json_object_set_new(kept, "keys_mean", stats3_array(w, 2));
    json_object_set_new(kept, "keys_max", stats3_array(w, 3));
    json_object_set_new(row, "kept", kept);

    if (ctx->cal.root) {
        json_t *cal = json_object();
        json_object_set_new(cal, "peak_gflops", peak > 0 ? json_real(peak) : json_null());
        const double bw = ptc_calibration_bandwidth(&ctx->cal, c->threads);
        json_object_set_new(cal, "bandwidth_gbps", bw > 0 ? json_real(bw) : json_null());
        json_object_set_new(cal, "file", json_string(ctx->cal.path));
        json_object_set_new(cal, "peak_isa", peak_isa ? json_string(peak_isa) : json_null()); /* added */
        json_object_set_new(row, "calibration", cal);
    } else {
        json_object_set_new(row, "calibration", json_null());
    }
}

static void emit(int fd, json_t *row)
{
    char *line = ptc_row_line(row);
    if (line) {
        size_t left = strlen(line);
        const char *p = line;
        while (left > 0) {
            const ssize_t n = write(fd, p, left);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            p += n;
            left -= (size_t)n;
        }
        free(line);
    }
    json_decref(row);
}

static void emit_error(int fd, const ptc_bench_ctx *ctx, const ptc_sweep_config *c, const char *msg)
{
    json_t *row = ptc_row_new(c, &ctx->id);
    if (!row)
        return;
    ptc_row_set_error(row, msg);
    emit(fd, row);
}

/* ---- the group ---------------------------------------------------------------------------------- */

int ptc_bench_run_group(const ptc_bench_ctx *ctx, const ptc_sweep_config *configs, size_t n,
                        const bool *write, int group_index, int out_fd)
{
    if (n == 0)
        return 0;
    /* 1. peak RSS per configuration, before this process touches OpenMP */
    probe_result *probes = calloc(n, sizeof *probes);
    workload *w = calloc(n, sizeof *w);
    int *case_of = malloc(n * sizeof *case_of);
    if (!probes || !w || !case_of) {
        for (size_t i = 0; i < n; i++)
            if (write[i])
                emit_error(out_fd, ctx, &configs[i], "out of memory");
        free(probes);
        free(w);
        free(case_of);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        probes[i] = probe_rss(ctx, &configs[i]);

    /* 2. shared weights, one workload per configuration */
    const ptc_sweep_config *c0 = &configs[0];
    model_weights mw;
    memset(&mw, 0, sizeof mw);
    int layers = 0;
    for (size_t i = 0; i < n; i++)
        layers = layers_needed(&configs[i]) > layers ? layers_needed(&configs[i]) : layers;
    if (layers > 0 && model_init(&mw, &c0->model, layers, ctx->id.seed) != 0) {
        for (size_t i = 0; i < n; i++)
            if (write[i])
                emit_error(out_fd, ctx, &configs[i], "out of memory for the weights");
        free(probes);
        free(w);
        free(case_of);
        return -1;
    }
    binding_info bind;
    bind_threads(c0->threads, ctx->bind, &bind);
    int base_index = -1;
    for (size_t i = 0; i < n; i++) {
        if (workload_setup(&w[i], &configs[i], &mw, ctx->id.seed) == 0) {
            work_once(&w[i]); /* untimed: checks, warms, and gives the accounting */
            if (w[i].rc == PTC_OK)
                collect_stats(&w[i]);
        }
        if (configs[i].variant == PTC_VARIANT_BASELINE && w[i].rc == PTC_OK && base_index < 0)
            base_index = (int)i;
    }

    /* 3. time every working configuration in one interleaved suite */
    char json_path[1100];
    snprintf(json_path, sizeof json_path, "%s/gbench-%d.json", ctx->run_dir, group_index);
    init_gbench();
    ptc_gbench_options gopt = {.repetitions = ctx->id.reps, .min_time_s = ctx->id.min_time_s,
                               .warmup_s = ctx->id.warmup_s > 0 ? ctx->id.warmup_s : -1,
                               .json_path = json_path, .console = ctx->gbench_console};
    ptc_gbench *suite = ptc_gbench_create(&gopt);
    for (size_t i = 0; i < n; i++) {
        case_of[i] = -1;
        if (!suite || w[i].rc != PTC_OK)
            continue;
        char name[160], label[40];
        snprintf(label, sizeof label, "%s", configs[i].label);
        for (char *p = label; *p; p++)
            if (*p == ' ')
                *p = '_';
        snprintf(name, sizeof name, "g%d/c%zu/%s/%s/%s/n%d/t%d", group_index, i,
                 ptc_level_name(configs[i].level), label, configs[i].isa, configs[i].seq,
                 configs[i].threads);
        ptc_gbench_case gc = {.name = name, .run_loop = run_case, .user = &w[i],
                              .flops_per_iter = ptc_stats_flops_total(&w[i].total),
                              .warmup_s = gopt.warmup_s};
        case_of[i] = ptc_gbench_add(suite, &gc);
    }
    if (suite)
        ptc_gbench_run(suite);
    if (bind.n > 0 && bind.verified)
        bind.verified = check_binding(&bind, c0->threads);

    /* 4. rows */
    const workload *base = base_index >= 0 ? &w[base_index] : NULL;
    const ptc_gbench_stats *bs = base && case_of[base_index] >= 0
                                     ? ptc_gbench_result(suite, (size_t)case_of[base_index]) : NULL;
    const probe_result *bprobe = base ? &probes[base_index] : NULL;
    for (size_t i = 0; i < n; i++) {
        if (!write[i])
            continue;
        const ptc_sweep_config *c = &configs[i];
        if (w[i].rc != PTC_OK) {
            emit_error(out_fd, ctx, c, w[i].err[0] ? w[i].err : "setup failed");
            continue;
        }
        const ptc_gbench_stats *s = case_of[i] >= 0 ? ptc_gbench_result(suite, (size_t)case_of[i]) : NULL;
        if (!s || s->error || s->n == 0) {
            emit_error(out_fd, ctx, c, s && s->error_message[0] ? s->error_message
                                       : suite ? ptc_gbench_error(suite) : "benchmark not run");
            continue;
        }
        json_t *row = ptc_row_new(c, &ctx->id);
        if (!row)
            continue;
        fill_row(row, ctx, &w[i], s, &probes[i], base, bs, bprobe, &bind);
        if (!probes[i].ok)
            json_object_set_new(row, "memory_probe_error", json_string(probes[i].err)); /* added */
        emit(out_fd, row);
    }
    ptc_gbench_destroy(suite);
    for (size_t i = 0; i < n; i++)
        workload_free(&w[i]);
    model_free(&mw);
    free(probes);
    free(w);
    free(case_of);
    return 0;
}

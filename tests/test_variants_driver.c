/*
 * tests/test_variants_driver.c — the variants run end to end through their plan
 * (ptc_encoder_forward, variants/encoder.c)
 * on a tiny random model (encoder layers + combining module), on every table.
 *
 *   deterministic  PFC (training-mode Gumbel noise in the module) with 1 and 2
 *                  OpenMP threads, and twice with the same seed: bit-identical
 *                  outputs, kept lists and assignments.
 *   row_ops_threads  the row-wise ops split over threads (GELU forward, GELU's
 *                  value and gradient in one pass (the bits of gelu_fwd and gelu_bwd),
 *                  residual + LayerNorm, LayerNorm; variants/common.c)
 *                  with 1, 2 and 3 threads, on blocks large enough to be split, odd
 *                  column counts and padded row strides: bit-identical to one call
 *                  of the table's op; nothing written outside the rows.
 *   plan_driver    baseline, P (topk), PF (clamp), C and PFC: outputs finite, the
 *                  shapes the plan promises (m tokens after combining), and the
 *                  accounting ordered as the method implies (P/PF attend fewer
 *                  keys than baseline; C and PFC cost fewer FLOPs than baseline;
 *                  PFC fewer than C).
 *   fused_qkv      Q, K, V from one GEMM over the packed [Wq; Wk; Wv]: the same
 *                  outputs as three GEMMs (baseline, PF with K/V of kept rows only
 *                  or of every row, PFC, both pad modes); with a zeroed packed
 *                  weight the outputs change (the fused GEMM is what ran).
 *   train_arena_per_layer  a plain encoder layer adds to the training arena its saved
 *                  tensors (Q, K, V, context, two residual sums, the FFN pre-activation,
 *                  statistics) but not its output, which backward recomputes.
 *   dropout_threads  (every table) ptc_dropout split over 1, 2 and 3 threads: its definition
 *                  (hash below p: 0, else x / (1 - p)) bit for bit, padding untouched.
 *   op_time        per-op time (cfg->mhsa.times) of baseline, PF and PFC: the
 *                  output bit-identical to the untimed forward; every category
 *                  non-negative, their sum within the forward's wall time (and
 *                  most of it); the categories each variant runs are non-zero,
 *                  those it does not are zero.
 */
#include "ptc_test.h"
#include "ptc/variants.h"
#include "../variants/internal.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tiny_model {
    size_t n_layers, hidden, heads, ffn;
    float *slab;                  /* every parameter */
    ptc_encoder_weights layer[8];
    ptc_combine_weights comb;
} tiny_model;

static float *take(float **cursor, size_t n, ptc_rng *rng, float lo, float hi)
{
    float *p = *cursor;
    ptc_rng_fill(rng, p, n, lo, hi);
    *cursor += n;
    return p;
}

static void model_init(tiny_model *m, size_t n_layers, size_t hidden, size_t heads, uint64_t seed)
{
    m->n_layers = n_layers;
    m->hidden = hidden;
    m->heads = heads;
    m->ffn = 2 * hidden;
    const size_t h2 = hidden * hidden, per_layer = 4 * h2 + 2 * hidden * m->ffn + 9 * hidden + m->ffn;
    m->slab = ptc_test_alloc(n_layers * per_layer + 4 * h2 + 8 * hidden, 0);
    float *c = m->slab;
    ptc_rng rng = ptc_rng_seeded(seed);
    const float s = 2.0f / sqrtf((float)hidden), sf = 1.0f / sqrtf((float)m->ffn);
    for (size_t l = 0; l < n_layers; l++) {
        ptc_encoder_weights *w = &m->layer[l];
        w->attn.wq = take(&c, h2, &rng, -s, s);
        w->attn.bq = take(&c, hidden, &rng, -0.1f, 0.1f);
        w->attn.wk = take(&c, h2, &rng, -s, s);
        w->attn.bk = take(&c, hidden, &rng, -0.1f, 0.1f);
        w->attn.wv = take(&c, h2, &rng, -s, s);
        w->attn.bv = take(&c, hidden, &rng, -0.1f, 0.1f);
        w->attn.wo = take(&c, h2, &rng, -s, s);
        w->attn.bo = take(&c, hidden, &rng, -0.1f, 0.1f);
        w->ln1_gamma = take(&c, hidden, &rng, 0.9f, 1.1f);
        w->ln1_beta = take(&c, hidden, &rng, -0.1f, 0.1f);
        w->w1 = take(&c, m->ffn * hidden, &rng, -s, s);
        w->b1 = take(&c, m->ffn, &rng, -0.1f, 0.1f);
        w->w2 = take(&c, hidden * m->ffn, &rng, -sf, sf);
        w->b2 = take(&c, hidden, &rng, -0.1f, 0.1f);
        w->ln2_gamma = take(&c, hidden, &rng, 0.9f, 1.1f);
        w->ln2_beta = take(&c, hidden, &rng, -0.1f, 0.1f);
        w->ln_eps = 1e-12f;
    }
    ptc_combine_weights *cw = &m->comb;
    cw->ln_c_gamma = take(&c, hidden, &rng, 0.9f, 1.1f);
    cw->ln_c_beta = take(&c, hidden, &rng, -0.1f, 0.1f);
    cw->ln_e_gamma = take(&c, hidden, &rng, 0.9f, 1.1f);
    cw->ln_e_beta = take(&c, hidden, &rng, -0.1f, 0.1f);
    cw->wq = take(&c, h2, &rng, -s, s);
    cw->wk = take(&c, h2, &rng, -s, s);
    cw->wv = take(&c, h2, &rng, -s, s);
    cw->wo = take(&c, h2, &rng, -s, s);
    cw->bq = take(&c, hidden, &rng, -0.1f, 0.1f);
    cw->bv = take(&c, hidden, &rng, -0.1f, 0.1f);
    cw->bo = take(&c, hidden, &rng, -0.1f, 0.1f);
    cw->bk = NULL;
    cw->ln_eps = 1e-12f;
}

typedef struct run_result {
    float *out;           /* final hidden states (batch, out_rows, hidden) */
    size_t out_rows;
    int32_t *kept;        /* copy of the kept lists after the last selection */
    size_t kept_n;
    int32_t *assign;      /* (batch, n_text) */
    ptc_layer_stats total;
    double wall_s;        /* ptc_encoder_forward's wall time */
    int rc;
} run_result;

/* The variant's plan on batch x (batch, n_text, hidden) text rows; combination
 * tokens are random rows appended by the driver. */
static void run_variant(ptc_test_ctx *ctx, const tiny_model *m, const ptc_variant_config *cfg,
                        size_t batch, size_t n_text, const int32_t *lengths, const float *text,
                        bool training, run_result *res)
{
    char err[256];
    memset(res, 0, sizeof *res);
    const size_t hidden = m->hidden, mc = cfg->n_comb, rows = n_text + mc;
    const ptc_tokens tok = {batch, n_text, mc, lengths, cfg->pad_mode};
    const ptc_encoder_stack stack = {m->layer, &m->comb, m->ffn, NULL};
    const size_t arena_bytes = ptc_encoder_arena_bytes(cfg, batch, n_text, m->ffn, err, sizeof err);
    res->rc = -1;
    res->assign = ptc_test_alloc_i32(batch * n_text);
    if (!ptc_check(ctx, arena_bytes > 0, "arena: %s", err))
        return;
    float *arena = ptc_test_alloc(arena_bytes / sizeof(float) + 1, 0);
    float *x = ptc_test_alloc(batch * rows * hidden, 0);
    ptc_rng rng = ptc_rng_seeded(7);
    for (size_t s = 0; s < batch; s++) {
        memcpy(x + s * rows * hidden, text + s * n_text * hidden, n_text * hidden * sizeof(float));
        ptc_rng_fill(&rng, x + (s * rows + n_text) * hidden, mc * hidden, -0.04f, 0.04f);
    }
    const ptc_combine_options copt = {training, 1234, false, NULL};
    ptc_encoder_result enc;
    const double t0 = ptc_op_clock();
    res->rc = ptc_encoder_forward(ctx->ops, cfg, &stack, &tok, x, &copt, arena, arena_bytes, &enc,
                                  err, sizeof err);
    res->wall_s = ptc_op_clock() - t0;
    if (ptc_check(ctx, res->rc == PTC_OK, "encoder forward: %s", err)) {
        res->total = enc.total;
        res->out_rows = enc.out_rows;
        res->out = ptc_test_alloc(batch * enc.out_rows * hidden, 0);
        memcpy(res->out, enc.out, batch * enc.out_rows * hidden * sizeof(float));
        res->kept_n = batch * m->heads * rows;
        res->kept = ptc_test_alloc_i32(res->kept_n);
        memcpy(res->kept, enc.kept, res->kept_n * sizeof(int32_t));
        if (enc.assign)
            memcpy(res->assign, enc.assign, batch * n_text * sizeof(int32_t));
        ptc_check(ctx, enc.n_steps >= 1 && enc.total.bytes_workspace > 0,
                  "encoder forward: %zu steps, workspace %zu bytes", enc.n_steps,
                  enc.total.bytes_workspace);
    }
    ptc_test_free(ctx, x);
    ptc_test_free(ctx, arena);
}

static void result_free(ptc_test_ctx *ctx, run_result *r)
{
    ptc_test_free(ctx, r->out);
    ptc_test_free(ctx, r->kept);
    ptc_test_free(ctx, r->assign);
}

static float *make_text(size_t batch, size_t n_text, size_t hidden, uint64_t seed)
{
    float *x = ptc_test_alloc(batch * n_text * hidden, 0);
    ptc_rng rng = ptc_rng_seeded(seed);
    ptc_rng_fill(&rng, x, batch * n_text * hidden, -1.0f, 1.0f);
    return x;
}

/* Each row-wise helper of variants/common.c with `threads` threads against one call
 * of the table's op on the same inputs (rows x cols, row stride ld >= cols). */
static void row_ops_case(ptc_test_ctx *ctx, size_t rows, size_t cols, size_t ld, int threads,
                         uint64_t seed)
{
    const ptc_ops *ops = ctx->ops;
    const size_t n = rows * ld;
    float *x = ptc_test_alloc(n, 1), *res = ptc_test_alloc(n, 3), *dy = ptc_test_alloc(n, 0);
    float *gamma = ptc_test_alloc(cols, 0), *beta = ptc_test_alloc(cols, 0);
    float *want = ptc_test_alloc(n, 0), *got = ptc_test_alloc(n, 0);
    float *want_sum = ptc_test_alloc(n, 0), *got_sum = ptc_test_alloc(n, 0);
    float *want_stat = ptc_test_alloc(2 * rows, 0), *got_stat = ptc_test_alloc(2 * rows, 0);
    ptc_rng rng = ptc_rng_seeded(seed);
    ptc_rng_fill(&rng, x, n, -4.0f, 4.0f);
    ptc_rng_fill(&rng, res, n, -1.0f, 1.0f);
    ptc_rng_fill(&rng, dy, n, -1.0f, 1.0f);
    ptc_rng_fill(&rng, gamma, cols, 0.5f, 1.5f);
    ptc_rng_fill(&rng, beta, cols, -0.5f, 0.5f);
    const int saved = omp_get_max_threads();
    char what[96];
    const size_t bytes = n * sizeof(float), stat_bytes = 2 * rows * sizeof(float);
#define PTC_SAME(label, a, b, nbytes)                                                         \
    do {                                                                                     \
        snprintf(what, sizeof what, "%s, %zu x %zu (ld %zu), %d threads", label, rows, cols, \
                 ld, threads);                                                              \
        ptc_check(ctx, memcmp(a, b, nbytes) == 0, "%s: differs from one call of the op",    \
                  what);                                                                    \
    } while (0)
    /* GELU forward and backward: x, y contiguous (rows * cols floats) */
    memcpy(want, x, bytes), memcpy(got, x, bytes);
    ops->gelu_fwd(rows * cols, x, want);
    omp_set_num_threads(threads);
    ptc_gelu_rows(ops, rows, cols, x, got);
    omp_set_num_threads(saved);
    PTC_SAME("gelu_fwd", want, got, bytes);
    /* GELU's value and gradient in one pass (ops->gelu_fwd_bwd, dx in place over dy as
     * the layer's backward calls it): the bits of gelu_fwd and gelu_bwd */
    memcpy(want, dy, bytes), memcpy(got, dy, bytes);
    ops->gelu_fwd(rows * cols, x, want_sum);
    ops->gelu_bwd(rows * cols, x, want, want);
    omp_set_num_threads(threads);
    ptc_gelu_fwd_bwd_rows(ops, rows, cols, x, got, got_sum, got);
    omp_set_num_threads(saved);
    PTC_SAME("gelu_fwd_bwd y", want_sum, got_sum, bytes);
    PTC_SAME("gelu_fwd_bwd dx", want, got, bytes);
    /* residual + LayerNorm with the sum and statistics kept, stride ld */
    memcpy(want, dy, bytes), memcpy(got, dy, bytes);
    memcpy(want_sum, dy, bytes), memcpy(got_sum, dy, bytes);
    ops->residual_layernorm(rows, cols, x, ld, res, ld, gamma, beta, 1e-5f, want, ld, want_sum, ld,
                            want_stat, want_stat + rows);
    omp_set_num_threads(threads);
    ptc_residual_layernorm_rows(ops, rows, cols, x, ld, res, ld, gamma, beta, 1e-5f, got, ld,
                                got_sum, ld, got_stat, got_stat + rows);
    omp_set_num_threads(saved);
    PTC_SAME("residual_layernorm y", want, got, bytes);
    PTC_SAME("residual_layernorm sum", want_sum, got_sum, bytes);
    PTC_SAME("residual_layernorm mean, rstd", want_stat, got_stat, stat_bytes);
    /* LayerNorm, stride ld */
    memcpy(want, dy, bytes), memcpy(got, dy, bytes);
    ops->layernorm_fwd(rows, cols, x, ld, gamma, beta, 1e-5f, want, ld, want_stat,
                       want_stat + rows);
    omp_set_num_threads(threads);
    ptc_layernorm_rows(ops, rows, cols, x, ld, gamma, beta, 1e-5f, got, ld, got_stat,
                       got_stat + rows);
    omp_set_num_threads(saved);
    PTC_SAME("layernorm_fwd y", want, got, bytes);
    PTC_SAME("layernorm_fwd mean, rstd", want_stat, got_stat, stat_bytes);
#undef PTC_SAME
    float *bufs[] = {x, res, dy, gamma, beta, want, got, want_sum, got_sum, want_stat, got_stat};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        ptc_test_free(ctx, bufs[i]);
}

PTC_KERNEL_TEST(variants_row_ops_threads)
{
    /* 101 x 1031 = 104k floats: split over 3 threads (>= 32k floats each), ranges
     * that start mid-vector; 1 thread and a small block are the one-call path */
    for (int threads = 1; threads <= 3; threads++) {
        row_ops_case(ctx, 101, 1031, 1031, threads, ctx->seed + 40 + (uint64_t)threads);
        row_ops_case(ctx, 101, 1031, 1040, threads, ctx->seed + 50 + (uint64_t)threads);
    }
    row_ops_case(ctx, 7, 33, 35, 2, ctx->seed + 60);
}

/* ptc_dropout over 1, 2 and 3 threads (101 x 1031 in rows of 1040: split past 32k
 * floats per thread): every element is 0 where its hash is below p and x / (1 - p)
 * elsewhere, the same bits for every thread count, the padding untouched. */
static void dropout_case(ptc_test_ctx *ctx, float p, double lo_frac, double hi_frac);

PTC_KERNEL_TEST(variants_dropout_threads)
{
    dropout_case(ctx, 0.25f, 0.2, 0.3);
    dropout_case(ctx, 0.1f, 0.08, 0.12); /* the models' dropout */
    dropout_case(ctx, 0.9f, 0.88, 0.92);
    dropout_case(ctx, 3e-6f, 0.0, 0.0001); /* a bound of a few draws in 2^53 */
}

static void dropout_case(ptc_test_ctx *ctx, float p, double lo_frac, double hi_frac)
{
    const size_t rows = 101, cols = 1031, ld = 1040, row0 = 7, b = 2;
    const uint64_t seed = 1234, site = 9;
    float *x = ptc_test_alloc(rows * ld, 0), *want = ptc_test_alloc(rows * ld, 1);
    float *got = ptc_test_alloc(rows * ld, 2);
    ptc_rng rng = ptc_rng_seeded(ctx->seed + 70);
    ptc_rng_fill(&rng, x, rows * ld, -1.0f, 1.0f);
    size_t dropped = 0;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < ld; c++) {
            const size_t i = r * ld + c;
            const bool drop = c < cols && ptc_hash_u01(seed, site, b, (row0 + r) * cols + c) < p;
            want[i] = c >= cols ? x[i] : drop ? 0.0f : x[i] * (1.0f / (1.0f - p));
            dropped += drop;
        }
    ptc_check(ctx, dropped >= lo_frac * (double)(rows * cols) &&
                   dropped <= hi_frac * (double)(rows * cols),
              "%zu of %zu dropped at p %g", dropped, rows * cols, (double)p);
    const int saved = omp_get_max_threads();
    for (int threads = 1; threads <= 3; threads++) {
        memcpy(got, x, rows * ld * sizeof(float));
        omp_set_num_threads(threads);
        ptc_dropout(ctx->ops, p, seed, site, b, row0, rows, cols, got, ld);
        omp_set_num_threads(saved);
        ptc_check(ctx, memcmp(got, want, rows * ld * sizeof(float)) == 0,
                  "dropout p %g on %d thread%s differs from its definition", (double)p, threads,
                  threads == 1 ? "" : "s");
    }
    memcpy(got, x, rows * ld * sizeof(float));
    ptc_dropout(ctx->ops, 0.0f, seed, site, b, row0, rows, cols, got, ld);
    ptc_check(ctx, memcmp(got, x, rows * ld * sizeof(float)) == 0, "dropout at p 0 changed x");
    ptc_test_free(ctx, x);
    ptc_test_free(ctx, want);
    ptc_test_free(ctx, got);
}

PTC_KERNEL_TEST(variants_deterministic_threads)
{
    const size_t batch = 3, n_text = ctx->quick ? 9 : 48, hidden = ctx->quick ? 16 : 64, heads = 4;
    const int32_t lengths[3] = {(int32_t)n_text, (int32_t)n_text - 4, 3};
    tiny_model m;
    model_init(&m, 5, hidden, heads, ctx->seed + 5);
    float *text = make_text(batch, n_text, hidden, ctx->seed + 6);
    ptc_variant_config cfg;
    ptc_variant_config_default(&cfg, PTC_VARIANT_PRUNE_COMBINE);
    cfg.n_layers = 5;
    cfg.hidden = hidden;
    cfg.n_heads = heads;
    cfg.n_comb = 4;
    cfg.combine_layer = 5;
    cfg.combine_replaces = false; /* layers 1..5 (selections 2..4), module, nothing after */
    cfg.prune.p = 0.7;
    const int saved = omp_get_max_threads();
    for (int mode = 0; mode < 2; mode++) {
        cfg.pad_mode = (ptc_pad_mode)mode;
        run_result r[3];
        const int threads[3] = {1, 2, 2};
        for (int i = 0; i < 3; i++) {
            omp_set_num_threads(threads[i]);
            run_variant(ctx, &m, &cfg, batch, n_text, lengths, text, true, &r[i]);
        }
        omp_set_num_threads(saved);
        for (int i = 1; i < 3; i++) {
            const size_t n = batch * r[0].out_rows * hidden;
            ptc_check(ctx, r[i].rc == 0 && memcmp(r[0].out, r[i].out, n * sizeof(float)) == 0,
                      "mode %d run %d (%d threads): output differs from 1 thread", mode, i, threads[i]);
            ptc_check(ctx, memcmp(r[0].kept, r[i].kept, r[0].kept_n * sizeof(int32_t)) == 0,
                      "mode %d run %d: kept lists differ", mode, i);
            ptc_check(ctx, memcmp(r[0].assign, r[i].assign, batch * n_text * sizeof(int32_t)) == 0,
                      "mode %d run %d: assignments differ", mode, i);
        }
        ptc_check(ctx, r[0].total.keys.min < r[0].total.keys.max, "mode %d: pruning happened", mode);
        for (int i = 0; i < 3; i++)
            result_free(ctx, &r[i]);
    }
    ptc_test_free(ctx, text);
    ptc_test_free(ctx, m.slab);
}

PTC_KERNEL_TEST(variants_plan_driver)
{
    const size_t batch = 2, n_text = ctx->quick ? 24 : 64, hidden = ctx->quick ? 16 : 64, heads = 2;
    const size_t mc = ctx->quick ? 2 : 4; /* C saves FLOPs only when n_text >> m */
    const size_t n_layers = 6;
    const int32_t lengths[2] = {(int32_t)n_text, (int32_t)(n_text * 3 / 4)};
    tiny_model m;
    model_init(&m, n_layers, hidden, heads, ctx->seed + 8);
    float *text = make_text(batch, n_text, hidden, ctx->seed + 9);
    static const struct { ptc_variant v; ptc_prune_rule rule; const char *name; } vs[] = {
        {PTC_VARIANT_BASELINE, PTC_PRUNE_CLAMP, "baseline"}, {PTC_VARIANT_PRUNE, PTC_PRUNE_TOPK, "P"},
        {PTC_VARIANT_PRUNE, PTC_PRUNE_CLAMP, "PF"}, {PTC_VARIANT_COMBINE, PTC_PRUNE_CLAMP, "C"},
        {PTC_VARIANT_PRUNE_COMBINE, PTC_PRUNE_CLAMP, "PFC"}};
    double flops[5], keys[5];
    for (int i = 0; i < 5; i++) {
        ptc_variant_config cfg;
        ptc_variant_config_default(&cfg, vs[i].v);
        cfg.n_layers = n_layers;
        cfg.hidden = hidden;
        cfg.n_heads = heads;
        cfg.combine_layer = 5;
        cfg.n_comb = cfg.n_comb ? mc : 0;
        cfg.prune.rule = vs[i].rule;
        cfg.prune.p = 0.7;
        run_result r;
        run_variant(ctx, &m, &cfg, batch, n_text, lengths, text, false, &r);
        const bool combined = vs[i].v == PTC_VARIANT_COMBINE || vs[i].v == PTC_VARIANT_PRUNE_COMBINE;
        ptc_check(ctx, r.out_rows == (combined ? mc : n_text), "%s: %zu output rows", vs[i].name, r.out_rows);
        bool finite = true;
        for (size_t s = 0; s < batch; s++)
            for (size_t row = 0; row < r.out_rows; row++)
                if (combined || row < (size_t)lengths[s])
                    for (size_t c = 0; c < hidden; c++)
                        finite = finite && isfinite(r.out[(s * r.out_rows + row) * hidden + c]);
        ptc_check(ctx, finite, "%s: non-finite output", vs[i].name);
        flops[i] = ptc_stats_flops_total(&r.total);
        keys[i] = r.total.keys.mean;
        ptc_check(ctx, r.total.bytes_kv > 0 && r.total.bytes_activations > 0 && r.total.bytes_workspace > 0,
                  "%s: byte accounting", vs[i].name);
        result_free(ctx, &r);
    }
    ptc_check(ctx, keys[1] < keys[0] && keys[2] < keys[0], "P/PF attend fewer keys (%g, %g vs %g)",
              keys[1], keys[2], keys[0]);
    ptc_check(ctx, flops[1] < flops[0], "P FLOPs %g vs baseline %g", flops[1], flops[0]);
    ptc_check(ctx, flops[3] < flops[0], "C FLOPs %g vs baseline %g", flops[3], flops[0]);
    ptc_check(ctx, flops[4] < flops[3], "PFC FLOPs %g vs C %g", flops[4], flops[3]);
    ptc_test_free(ctx, text);
    ptc_test_free(ctx, m.slab);
}

/* Training runs the same layers: ptc_encoder_forward_train without noise gives
 * ptc_encoder_forward's output bit for bit (every variant, both pad modes);
 * what it saves for backward shrinks with pruning (P at p = 0.5 saves less
 * than baseline, K/V of kept rows only) and with combining; backward runs and
 * needs a training forward first. */
PTC_KERNEL_TEST(variants_training_forward)
{
    char err[256];
    const size_t batch = 2, n_text = ctx->quick ? 24 : 48, hidden = 16, heads = 2, mc = 2;
    const size_t n_layers = 5;
    const int32_t lengths[2] = {(int32_t)n_text, (int32_t)(n_text * 3 / 4)};
    tiny_model m;
    model_init(&m, n_layers, hidden, heads, ctx->seed + 30);
    m.comb.bk = m.comb.bq; /* a key bias: its branch of the combining backward runs */
    float *text = make_text(batch, n_text, hidden, ctx->seed + 31);
    const ptc_encoder_stack stack = {m.layer, &m.comb, m.ffn, NULL};
    static const ptc_variant vs[] = {PTC_VARIANT_BASELINE, PTC_VARIANT_PRUNE, PTC_VARIANT_COMBINE,
                                     PTC_VARIANT_PRUNE_COMBINE};
    size_t saved[2][4], kv_rows[2][4];
    for (int pad = 0; pad < 2; pad++)
        for (int i = 0; i < 4; i++) {
            ptc_variant_config cfg;
            ptc_variant_config_default(&cfg, vs[i]);
            cfg.n_layers = n_layers;
            cfg.hidden = hidden;
            cfg.n_heads = heads;
            cfg.combine_layer = 4;
            cfg.n_comb = cfg.n_comb ? mc : 0;
            cfg.prune.rule = PTC_PRUNE_TOPK;
            cfg.prune.p = 0.5;
            cfg.pad_mode = (ptc_pad_mode)pad;
            const size_t rows = n_text + cfg.n_comb;
            const ptc_tokens tok = {batch, n_text, cfg.n_comb, lengths, cfg.pad_mode};
            float *x = ptc_test_alloc(batch * rows * hidden, 0);
            for (size_t s = 0; s < batch; s++) {
                memcpy(x + s * rows * hidden, text + s * n_text * hidden, n_text * hidden * sizeof(float));
                for (size_t c = 0; c < cfg.n_comb * hidden; c++)
                    x[(s * rows + n_text) * hidden + c] = 0.01f * (float)(c % 7);
            }
            const size_t inf_bytes = ptc_encoder_arena_bytes(&cfg, batch, n_text, m.ffn, err, sizeof err);
            const size_t tr_bytes = ptc_encoder_train_bytes(&cfg, batch, n_text, m.ffn, err, sizeof err);
            float *inf = ptc_test_alloc(inf_bytes / sizeof(float) + 1, 0);
            float *tr = ptc_test_alloc(tr_bytes / sizeof(float) + 1, 0);
            ptc_encoder_result a, b;
            const int rc_a = ptc_encoder_forward(ctx->ops, &cfg, &stack, &tok, x, NULL, inf, inf_bytes,
                                                 &a, err, sizeof err);
            float *dx = ptc_test_alloc(batch * rows * hidden, 0);
            ptc_check(ctx, ptc_encoder_backward(ctx->ops, &cfg, &stack, NULL, x, dx, tr, tr_bytes, err,
                                                sizeof err) != PTC_OK, "backward before a forward refused");
            const int rc_b = ptc_encoder_forward_train(ctx->ops, &cfg, &stack, &tok, x, NULL, tr,
                                                       tr_bytes, &b, err, sizeof err);
            if (ptc_check(ctx, rc_a == PTC_OK && rc_b == PTC_OK && a.out_rows == b.out_rows,
                          "variant %d pad %d: forwards (%s)", (int)vs[i], pad, err)) {
                ptc_check(ctx, memcmp(a.out, b.out, batch * a.out_rows * hidden * sizeof(float)) == 0,
                          "variant %d pad %d: training forward differs from inference", (int)vs[i], pad);
                ptc_check(ctx, a.selection_hash == b.selection_hash, "variant %d pad %d: selections",
                          (int)vs[i], pad);
            }
            saved[pad][i] = ptc_encoder_saved_bytes(tr);
            kv_rows[pad][i] = rc_b == PTC_OK ? b.total.kv_rows : 0;
            /* backward into zeroed gradient slabs: finite, and it reaches every input row */
            float *gslab = ptc_test_alloc(tr_bytes / sizeof(float) + 1, 0); /* big enough */
            memset(gslab, 0, (tr_bytes / sizeof(float) + 1) * sizeof(float));
            ptc_encoder_grads gl[8];
            float *gc = gslab;
            const size_t H = hidden, F = m.ffn, HH = H * H;
#define G(n) (gc += (n), gc - (n))
            for (size_t l = 0; l < n_layers; l++)
                gl[l] = (ptc_encoder_grads){{G(HH), G(H), G(HH), G(H), G(HH), G(H), G(HH), G(H)},
                                            G(H), G(H), G(F * H), G(F), G(H * F), G(H), G(H), G(H)};
            ptc_combine_grads cg = {G(H), G(H), G(H), G(H), G(HH), G(H), G(HH), G(H),
                                    G(HH), G(H), G(HH), G(H)};
#undef G
            const ptc_encoder_stack_grads grads = {gl, &cg, NULL, NULL, NULL};
            float *dout = ptc_test_alloc(batch * b.out_rows * hidden, 0);
            for (size_t k = 0; k < batch * b.out_rows * hidden; k++)
                dout[k] = 0.01f * (float)((k * 37) % 11) - 0.05f;
            const int rc = ptc_encoder_backward(ctx->ops, &cfg, &stack, &grads, dout, dx, tr, tr_bytes,
                                                err, sizeof err);
            bool finite = true, reaches = false;
            for (size_t k = 0; k < batch * rows * hidden; k++) {
                finite = finite && isfinite(dx[k]);
                reaches = reaches || dx[k] != 0.0f;
            }
            ptc_check(ctx, rc == PTC_OK && finite && reaches, "variant %d pad %d: backward (%s)",
                      (int)vs[i], pad, rc == PTC_OK ? "" : err);
            ptc_test_free(ctx, dout);
            ptc_test_free(ctx, gslab);
            ptc_test_free(ctx, dx);
            ptc_test_free(ctx, tr);
            ptc_test_free(ctx, inf);
            ptc_test_free(ctx, x);
        }
    for (int pad = 0; pad < 2; pad++) {
        /* K and V (2 hidden floats per row) are saved for the projected rows only */
        const size_t kv_fewer = kv_rows[pad][0] - kv_rows[pad][1];
        ptc_check(ctx, kv_fewer > 0 && saved[pad][0] - saved[pad][1] >= kv_fewer * 2 * hidden * sizeof(float),
                  "pad %d: P projects %zu K/V rows fewer but saves only %zu bytes less", pad, kv_fewer,
                  saved[pad][0] - saved[pad][1]);
        ptc_check(ctx, saved[pad][1] < saved[pad][0] && saved[pad][3] < saved[pad][2] &&
                  saved[pad][2] < saved[pad][0], "pad %d: saved bytes BERT %zu, P %zu, C %zu, PFC %zu",
                  pad, saved[pad][0], saved[pad][1], saved[pad][2], saved[pad][3]);
    }
    ptc_test_free(ctx, text);
    ptc_test_free(ctx, m.slab);
}

PTC_TEST(variants_train_arena_per_layer)
{
    const size_t batch = 2, n_text = 64, hidden = 64, heads = 2, ffn = 128;
    const size_t act = batch * n_text * hidden * sizeof(float), inner = act * (ffn / hidden);
    size_t bytes[2];
    for (size_t l = 3; l <= 4; l++) {
        ptc_variant_config cfg;
        ptc_variant_config_default(&cfg, PTC_VARIANT_BASELINE);
        cfg.n_layers = l;
        cfg.hidden = hidden;
        cfg.n_heads = heads;
        char err[256];
        bytes[l - 3] = ptc_encoder_train_bytes(&cfg, batch, n_text, ffn, err, sizeof err);
        ptc_check(ctx, bytes[l - 3] > 0, "%zu layers: %s", l, err);
    }
    const size_t per_layer = bytes[1] - bytes[0];
    ptc_check(ctx, per_layer >= 6 * act + inner && per_layer < 7 * act + inner,
              "a layer adds %zu bytes: want its 6 (rows, hidden) tensors and the FFN's %zu, "
              "and not its output (%zu more)", per_layer, 6 * act + inner, act);
}

/* A training step (forward with dropout and Gumbel noise, backward) is
 * bit-identical with 1 and 2 OpenMP threads, at a size where attention forward
 * and backward run in parallel over (sample, head). */
PTC_KERNEL_TEST(variants_training_threads)
{
    char err[256];
    const size_t batch = 2, n_text = 64, hidden = 64, heads = 4, mc = 4, n_layers = 5;
    const int32_t lengths[2] = {(int32_t)n_text, 50};
    tiny_model m;
    model_init(&m, n_layers, hidden, heads, ctx->seed + 40);
    float *text = make_text(batch, n_text, hidden, ctx->seed + 41);
    const ptc_encoder_stack stack = {m.layer, &m.comb, m.ffn, NULL};
    ptc_variant_config cfg;
    ptc_variant_config_default(&cfg, PTC_VARIANT_PRUNE_COMBINE);
    cfg.n_layers = n_layers;
    cfg.hidden = hidden;
    cfg.n_heads = heads;
    cfg.combine_layer = 4;
    cfg.n_comb = mc;
    const size_t rows = n_text + mc, H = hidden, F = m.ffn, HH = H * H;
    const ptc_tokens tok = {batch, n_text, mc, lengths, cfg.pad_mode};
    float *x = ptc_test_alloc(batch * rows * hidden, 0);
    for (size_t s = 0; s < batch; s++) {
        memcpy(x + s * rows * H, text + s * n_text * H, n_text * H * sizeof(float));
        for (size_t c = 0; c < mc * H; c++)
            x[(s * rows + n_text) * H + c] = 0.02f * (float)(c % 5);
    }
    const size_t tr_bytes = ptc_encoder_train_bytes(&cfg, batch, n_text, m.ffn, err, sizeof err);
    const size_t n_grad = n_layers * (4 * HH + 6 * H + 2 * F * H + F + 4 * H) + 4 * HH + 8 * H;
    float *tr = ptc_test_alloc(tr_bytes / sizeof(float) + 1, 0);
    float *dout = ptc_test_alloc(batch * mc * H, 0);
    for (size_t k = 0; k < batch * mc * H; k++)
        dout[k] = 0.01f * (float)((k * 13) % 9) - 0.04f;
    float *dx[2], *gslab[2];
    const int saved_threads = omp_get_max_threads();
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(t + 1);
        dx[t] = ptc_test_alloc(batch * rows * H, 0);
        gslab[t] = ptc_test_alloc(n_grad, 0);
        memset(gslab[t], 0, n_grad * sizeof(float));
        float *gc = gslab[t];
        ptc_encoder_grads gl[8];
#define G(n) (gc += (n), gc - (n))
        for (size_t l = 0; l < n_layers; l++)
            gl[l] = (ptc_encoder_grads){{G(HH), G(H), G(HH), G(H), G(HH), G(H), G(HH), G(H)},
                                        G(H), G(H), G(F * H), G(F), G(H * F), G(H), G(H), G(H)};
        ptc_combine_grads cg = {G(H), G(H), G(H), G(H), G(HH), G(H), G(HH), G(H),
                                G(HH), G(H), G(HH), G(H)};
#undef G
        const ptc_encoder_stack_grads grads = {gl, &cg, NULL, NULL, NULL};
        const ptc_train_noise noise = {0.1f, 77, true, false, false};
        ptc_encoder_result r;
        const int rc1 = ptc_encoder_forward_train(ctx->ops, &cfg, &stack, &tok, x, &noise, tr, tr_bytes,
                                                  &r, err, sizeof err);
        const int rc2 = rc1 == PTC_OK ? ptc_encoder_backward(ctx->ops, &cfg, &stack, &grads, dout, dx[t],
                                                             tr, tr_bytes, err, sizeof err) : rc1;
        ptc_check(ctx, rc2 == PTC_OK && r.out_rows == mc, "threads %d: training step (%s)", t + 1, err);
    }
    omp_set_num_threads(saved_threads);
    ptc_check(ctx, memcmp(dx[0], dx[1], batch * rows * H * sizeof(float)) == 0 &&
                   memcmp(gslab[0], gslab[1], n_grad * sizeof(float)) == 0,
              "training step differs between 1 and 2 threads");
    for (int t = 0; t < 2; t++) {
        ptc_test_free(ctx, dx[t]);
        ptc_test_free(ctx, gslab[t]);
    }
    ptc_test_free(ctx, dout);
    ptc_test_free(ctx, tr);
    ptc_test_free(ctx, x);
    ptc_test_free(ctx, text);
    ptc_test_free(ctx, m.slab);
}

PTC_KERNEL_TEST(variants_op_time)
{
    const size_t batch = 2, n_text = ctx->quick ? 24 : 48, hidden = 32, heads = 2, mc = 2;
    const size_t n_layers = 5;
    const int32_t lengths[2] = {(int32_t)n_text, (int32_t)(n_text * 3 / 4)};
    tiny_model m;
    model_init(&m, n_layers, hidden, heads, ctx->seed + 21);
    float *text = make_text(batch, n_text, hidden, ctx->seed + 22);
    static const struct { ptc_variant v; const char *name; } vs[] = {
        {PTC_VARIANT_BASELINE, "baseline"}, {PTC_VARIANT_PRUNE, "PF"},
        {PTC_VARIANT_PRUNE_COMBINE, "PFC"}};
    for (int i = 0; i < 3; i++) {
        ptc_variant_config cfg;
        ptc_variant_config_default(&cfg, vs[i].v);
        cfg.n_layers = n_layers;
        cfg.hidden = hidden;
        cfg.n_heads = heads;
        cfg.combine_layer = 5; /* PFC: selections in layers 2-3, the module replaces layer 5 */
        cfg.n_comb = cfg.n_comb ? mc : 0;
        cfg.prune.p = 0.7;
        run_result plain, timed;
        run_variant(ctx, &m, &cfg, batch, n_text, lengths, text, false, &plain);
        ptc_op_times t;
        cfg.mhsa.times = &t;
        /* the categories are the forward's own time: nearly all of its wall time. A
         * preemption between the test's clock and the forward's (the machine may be
         * busy) can break that once: up to 3 tries */
        for (int attempt = 0; attempt < 3; attempt++) {
            if (attempt)
                result_free(ctx, &timed);
            memset(&t, 0, sizeof t);
            run_variant(ctx, &m, &cfg, batch, n_text, lengths, text, false, &timed);
            if (ptc_op_times_sum(&t) >= 0.5 * timed.wall_s)
                break;
        }
        if (plain.rc == PTC_OK && timed.rc == PTC_OK)
            ptc_check(ctx, timed.out_rows == plain.out_rows &&
                      memcmp(timed.out, plain.out, batch * plain.out_rows * hidden * sizeof(float)) == 0,
                      "%s: the timed forward's output differs from the untimed one", vs[i].name);
        double sum = 0;
        for (int k = 0; k < PTC_OPCAT_COUNT; k++) {
            ptc_check(ctx, t.s[k] >= 0 && isfinite(t.s[k]), "%s: %s time %g", vs[i].name,
                      ptc_op_category_name(k), t.s[k]);
            sum += t.s[k];
        }
        ptc_check(ctx, sum == ptc_op_times_sum(&t), "%s: ptc_op_times_sum", vs[i].name);
        /* not more than the forward's wall time (1 us of clock reads as slack) */
        ptc_check(ctx, sum <= timed.wall_s + 1e-6 && sum >= 0.5 * timed.wall_s,
                  "%s: categories sum to %g s, the forward took %g s", vs[i].name, sum, timed.wall_s);
        const bool prunes = vs[i].v != PTC_VARIANT_BASELINE;
        const bool combines = vs[i].v == PTC_VARIANT_PRUNE_COMBINE;
        const struct { ptc_op_category k; bool ran; } expect[] = {
            {PTC_OPCAT_LINEAR, true}, {PTC_OPCAT_ATTENTION, true}, {PTC_OPCAT_SCORING, prunes},
            {PTC_OPCAT_SELECTION, prunes}, {PTC_OPCAT_COMBINING, combines},
            {PTC_OPCAT_NORM, true}, {PTC_OPCAT_ACTIVATION, true}, {PTC_OPCAT_OPTIMIZER, false}};
        for (size_t e = 0; e < sizeof expect / sizeof expect[0]; e++)
            ptc_check(ctx, (t.s[expect[e].k] > 0) == expect[e].ran, "%s: %s time %g (%s expected)",
                      vs[i].name, ptc_op_category_name(expect[e].k), t.s[expect[e].k],
                      expect[e].ran ? "some" : "none");
        result_free(ctx, &plain);
        result_free(ctx, &timed);
    }
    ptc_check(ctx, ptc_op_category_name(PTC_OPCAT_COUNT) == NULL &&
              strcmp(ptc_op_category_name(PTC_OPCAT_OTHER), "other") == 0, "category names");
    ptc_test_free(ctx, text);
    ptc_test_free(ctx, m.slab);
}

/* outputs equal as numbers (a fused bias of +0 may turn -0 into +0) */
static bool same_values(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(a[i] == b[i]))
            return false;
    return true;
}

PTC_KERNEL_TEST(variants_fused_qkv)
{
    const size_t batch = 2, n_text = ctx->quick ? 24 : 40, hidden = 32, heads = 4, mc = 2;
    const size_t n_layers = 5, h2 = hidden * hidden;
    const int32_t lengths[2] = {(int32_t)n_text, (int32_t)(n_text * 3 / 4)};
    tiny_model m;
    model_init(&m, n_layers, hidden, heads, ctx->seed + 31);
    float *text = make_text(batch, n_text, hidden, ctx->seed + 32);
    float *packed = ptc_test_alloc(n_layers * 3 * (h2 + hidden), 0);
    for (size_t l = 0; l < n_layers; l++) {
        float *wqkv = packed + l * 3 * (h2 + hidden), *bqkv = wqkv + 3 * h2;
        ptc_mhsa_pack_qkv(&m.layer[l].attn, hidden, wqkv, bqkv);
        m.layer[l].attn.wqkv = wqkv;
        m.layer[l].attn.bqkv = bqkv;
    }
    static const struct { ptc_variant v; bool project_kept; const char *name; } vs[] = {
        {PTC_VARIANT_BASELINE, true, "baseline"}, {PTC_VARIANT_PRUNE, true, "PF kept rows"},
        {PTC_VARIANT_PRUNE, false, "PF all rows"}, {PTC_VARIANT_PRUNE_COMBINE, true, "PFC"}};
    for (int mode = 0; mode < 2; mode++)
        for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) {
            ptc_variant_config cfg;
            ptc_variant_config_default(&cfg, vs[i].v);
            cfg.n_layers = n_layers;
            cfg.hidden = hidden;
            cfg.n_heads = heads;
            cfg.combine_layer = 5;
            cfg.n_comb = cfg.n_comb ? mc : 0;
            cfg.prune.p = 0.7;
            cfg.pad_mode = (ptc_pad_mode)mode;
            cfg.mhsa.project_kept = vs[i].project_kept;
            run_result three, one, zeroed;
            run_variant(ctx, &m, &cfg, batch, n_text, lengths, text, false, &three);
            cfg.mhsa.fused_qkv = true;
            run_variant(ctx, &m, &cfg, batch, n_text, lengths, text, false, &one);
            const size_t n = batch * three.out_rows * hidden;
            if (three.rc == PTC_OK && one.rc == PTC_OK)
                ptc_check(ctx, one.out_rows == three.out_rows && same_values(one.out, three.out, n) &&
                          memcmp(one.kept, three.kept, three.kept_n * sizeof(int32_t)) == 0 &&
                          ptc_stats_flops_total(&one.total) == ptc_stats_flops_total(&three.total),
                          "%s (pad mode %d): fused QKV differs from three GEMMs", vs[i].name, mode);
            /* the fused GEMM is what ran: a zeroed packed weight changes the output */
            for (size_t l = 0; l < n_layers; l++)
                memset((float *)m.layer[l].attn.wqkv, 0, 3 * h2 * sizeof(float));
            run_variant(ctx, &m, &cfg, batch, n_text, lengths, text, false, &zeroed);
            if (three.rc == PTC_OK && zeroed.rc == PTC_OK)
                ptc_check(ctx, !same_values(zeroed.out, three.out, n),
                          "%s (pad mode %d): the fused path did not run", vs[i].name, mode);
            for (size_t l = 0; l < n_layers; l++)
                ptc_mhsa_pack_qkv(&m.layer[l].attn, hidden, (float *)m.layer[l].attn.wqkv,
                                  (float *)m.layer[l].attn.bqkv);
            result_free(ctx, &three);
            result_free(ctx, &one);
            result_free(ctx, &zeroed);
        }
    ptc_test_free(ctx, packed);
    ptc_test_free(ctx, text);
    ptc_test_free(ctx, m.slab);
}

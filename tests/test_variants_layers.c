/*
 * tests/test_variants_layers.c — the variant layers on every ops table, against
 * independent double-precision references written here.
 *
 *   mhsa_masked_dense   MHSA over index-listed kept keys (project_kept on and
 *                       off, padded and length-aware, heads with no key) equals
 *                       dense attention with the pruned keys at -inf (NMSE), and
 *                       so do the importance scores; length-aware pad rows are
 *                       NaN on input and zero on output.
 *   cascade             several layers of x += MHSA(x) with selection: the kept
 *                       set of every head equals that of a reference that keeps
 *                       -inf masks over the full sequence, recomputes everything
 *                       densely, and implements quartiles and rules itself
 *                       (samples whose decision lies within rounding of a
 *                       threshold or tie are reported and not compared).
 *   p1_baseline         p = 1 with any rule gives the unpruned output.
 *   combine_dense       the combining module at inference equals the direct
 *                       formula (no folding), empty groups (eps 1), pads (NaN)
 *                       never join a group.
 *   encoder_dense       the post-LN encoder layer equals its dense formula.
 *   deterministic       1 and 2 OpenMP threads give bit-identical outputs,
 *                       kept lists and assignments (Gumbel noise included).
 *   plan_driver         the five variants run through their plan on a tiny
 *                       model; stats are consistent (PFC/C/P below baseline).
 */
#include "ptc_test.h"
#include "ptc/variants.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- fixtures ----------------------------------------------------------------------- */
typedef struct test_weights {
    size_t hidden, ffn;
    float *wq, *bq, *wk, *bk, *wv, *bv, *wo, *bo;
    float *g1, *be1, *w1, *b1, *w2, *b2, *g2, *be2; /* encoder extras (ffn > 0) */
} test_weights;

static float *rand_buf(ptc_rng *rng, size_t n, float lo, float hi, size_t misalign)
{
    float *p = ptc_test_alloc(n, misalign);
    ptc_rng_fill(rng, p, n, lo, hi);
    return p;
}

static void weights_init(test_weights *w, size_t hidden, size_t ffn, ptc_rng *rng)
{
    memset(w, 0, sizeof *w);
    w->hidden = hidden;
    w->ffn = ffn;
    const float s = 2.0f / sqrtf((float)hidden);
    w->wq = rand_buf(rng, hidden * hidden, -s, s, 1);
    w->wk = rand_buf(rng, hidden * hidden, -s, s, 2);
    w->wv = rand_buf(rng, hidden * hidden, -s, s, 3);
    w->wo = rand_buf(rng, hidden * hidden, -s, s, 0);
    w->bq = rand_buf(rng, hidden, -0.1f, 0.1f, 1);
    w->bk = rand_buf(rng, hidden, -0.1f, 0.1f, 0);
    w->bv = rand_buf(rng, hidden, -0.1f, 0.1f, 2);
    w->bo = rand_buf(rng, hidden, -0.1f, 0.1f, 3);
    if (ffn) {
        const float sf = 1.0f / sqrtf((float)ffn);
        w->g1 = rand_buf(rng, hidden, 0.8f, 1.2f, 0);
        w->be1 = rand_buf(rng, hidden, -0.1f, 0.1f, 1);
        w->g2 = rand_buf(rng, hidden, 0.8f, 1.2f, 2);
        w->be2 = rand_buf(rng, hidden, -0.1f, 0.1f, 3);
        w->w1 = rand_buf(rng, ffn * hidden, -s, s, 1);
        w->b1 = rand_buf(rng, ffn, -0.1f, 0.1f, 0);
        w->w2 = rand_buf(rng, hidden * ffn, -sf, sf, 2);
        w->b2 = rand_buf(rng, hidden, -0.1f, 0.1f, 1);
    }
}

static void weights_free(ptc_test_ctx *ctx, test_weights *w)
{
    float *all[] = {w->wq, w->bq, w->wk, w->bk, w->wv, w->bv, w->wo, w->bo,
                    w->g1, w->be1, w->w1, w->b1, w->w2, w->b2, w->g2, w->be2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        ptc_test_free(ctx, all[i]);
}

static ptc_mhsa_weights mhsa_view(const test_weights *w)
{
    ptc_mhsa_weights v = {w->wq, w->bq, w->wk, w->bk, w->wv, w->bv, w->wo, w->bo, NULL, NULL};
    return v;
}

static ptc_encoder_weights encoder_view(const test_weights *w)
{
    ptc_encoder_weights v = {mhsa_view(w), w->g1, w->be1, w->w1, w->b1, w->w2, w->b2,
                             w->g2, w->be2, 1e-5f};
    return v;
}

/* workspace from the plan, 64-byte aligned, between guard zones */
static float *workspace_alloc(const ptc_tokens *tok, size_t hidden, size_t heads, size_t ffn,
                              size_t *bytes)
{
    const ptc_dims dims = {tok->batch, tok->n_text, tok->n_comb, hidden, heads, ffn};
    *bytes = ptc_workspace_bytes(&dims, NULL, 0);
    return ptc_test_alloc(*bytes / sizeof(float) + 1, 0);
}

static size_t tok_len(const ptc_tokens *tok, size_t b)
{
    return tok->lengths ? (size_t)tok->lengths[b] : tok->n_text;
}

/* row r of sample b is seen by the layer (a query) */
static bool row_seen(const ptc_tokens *tok, size_t b, size_t r)
{
    return tok->pad_mode == PTC_PAD_PADDED || r < tok_len(tok, b) || r >= tok->n_text;
}

/* x (batch, rows, hidden): random; length-aware pad rows NaN (must never be read) */
static float *make_input(ptc_rng *rng, const ptc_tokens *tok, size_t hidden, size_t misalign)
{
    const size_t rows = tok->n_text + tok->n_comb;
    float *x = rand_buf(rng, tok->batch * rows * hidden, -1.0f, 1.0f, misalign);
    for (size_t b = 0; b < tok->batch; b++)
        for (size_t r = 0; r < rows; r++)
            if (!row_seen(tok, b, r))
                for (size_t c = 0; c < hidden; c++)
                    x[(b * rows + r) * hidden + c] = NAN;
    return x;
}

/* ---- double-precision dense references ---------------------------------------------- */
static void dense_linear(size_t rows, size_t in, size_t out, const double *x, const float *w,
                         const float *bias, double *y)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t o = 0; o < out; o++) {
            double acc = bias ? bias[o] : 0.0;
            for (size_t i = 0; i < in; i++)
                acc += x[r * in + i] * (double)w[o * in + i];
            y[r * out + o] = acc;
        }
}

/* One sample, full sequence: query rows where seen[r]; head h may attend key r
 * iff allow[h * rows + r] (all others at -inf). y (rows, hidden) on seen rows;
 * imp (heads, rows): column means over the seen queries (0 where not allowed). */
static void dense_mhsa(const test_weights *w, size_t heads, size_t rows, const double *x,
                       const uint8_t *seen, const uint8_t *allow, double *y, double *imp)
{
    const size_t hidden = w->hidden, d = hidden / heads;
    double *q = calloc(rows * hidden, sizeof(double)), *k = calloc(rows * hidden, sizeof(double));
    double *v = calloc(rows * hidden, sizeof(double)), *ctxb = calloc(rows * hidden, sizeof(double));
    double *p = calloc(rows, sizeof(double));
    dense_linear(rows, hidden, hidden, x, w->wq, w->bq, q);
    dense_linear(rows, hidden, hidden, x, w->wk, w->bk, k);
    dense_linear(rows, hidden, hidden, x, w->wv, w->bv, v);
    size_t n_q = 0;
    for (size_t i = 0; i < rows; i++)
        n_q += seen[i];
    for (size_t h = 0; h < heads; h++) {
        for (size_t j = 0; j < rows; j++)
            imp[h * rows + j] = 0.0;
        for (size_t i = 0; i < rows; i++) {
            if (!seen[i])
                continue;
            double mx = -INFINITY, sum = 0.0;
            for (size_t j = 0; j < rows; j++) {
                p[j] = -INFINITY;
                if (!allow[h * rows + j])
                    continue;
                double s = 0.0;
                for (size_t c = 0; c < d; c++)
                    s += q[i * hidden + h * d + c] * k[j * hidden + h * d + c];
                p[j] = s / sqrt((double)d);
                if (p[j] > mx)
                    mx = p[j];
            }
            for (size_t j = 0; j < rows; j++) {
                p[j] = p[j] == -INFINITY ? 0.0 : exp(p[j] - mx);
                sum += p[j];
            }
            for (size_t c = 0; c < d; c++)
                ctxb[i * hidden + h * d + c] = 0.0;
            for (size_t j = 0; j < rows; j++) {
                if (p[j] == 0.0)
                    continue;
                p[j] /= sum;
                imp[h * rows + j] += p[j] / (double)n_q;
                for (size_t c = 0; c < d; c++)
                    ctxb[i * hidden + h * d + c] += p[j] * v[j * hidden + h * d + c];
            }
        }
    }
    dense_linear(rows, hidden, hidden, ctxb, w->wo, w->bo, y);
    free(q), free(k), free(v), free(ctxb), free(p);
}

static void to_double(size_t n, const float *x, double *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = x[i];
}

static double nmse_rows(const float *got, const double *want, size_t hidden, size_t rows,
                        const uint8_t *which)
{
    double err = 0.0, norm = 0.0;
    for (size_t r = 0; r < rows; r++) {
        if (!which[r])
            continue;
        for (size_t c = 0; c < hidden; c++) {
            const double e = got[r * hidden + c] - want[r * hidden + c];
            err += isfinite(got[r * hidden + c]) ? e * e : INFINITY;
            norm += want[r * hidden + c] * want[r * hidden + c];
        }
    }
    return err / (norm > 1e-30 ? norm : 1e-30);
}

/* ---- MHSA over kept keys == dense with -inf masks --------------------------------------- */
typedef struct layer_shape { size_t batch, n_text, n_comb, hidden, heads; int32_t len[4]; } layer_shape;

PTC_KERNEL_TEST(variants_mhsa_masked_dense)
{
    static const layer_shape quick[] = {{2, 5, 2, 16, 2, {5, 3}}, {1, 3, 0, 8, 1, {2}},
                                        {2, 4, 1, 12, 3, {1, 4}}};
    static const layer_shape full[] = {{2, 5, 2, 16, 2, {5, 3}}, {1, 3, 0, 8, 1, {2}},
                                       {3, 17, 3, 64, 4, {17, 9, 1}}, {2, 33, 0, 80, 2, {20, 33}},
                                       {2, 40, 8, 128, 2, {40, 13}}};
    const layer_shape *shapes = ctx->quick ? quick : full;
    const size_t n_shapes = ctx->quick ? 3 : 5;
    ptc_rng rng = ptc_rng_seeded(ctx->seed + 11);
    char err[256];
    for (size_t si = 0; si < n_shapes; si++) {
        const layer_shape *sh = &shapes[si];
        const size_t rows = sh->n_text + sh->n_comb, hidden = sh->hidden;
        test_weights w;
        weights_init(&w, hidden, 0, &rng);
        const ptc_mhsa_weights mw = mhsa_view(&w);
        for (int mode = 0; mode < 2; mode++) {
            const ptc_tokens tok = {sh->batch, sh->n_text, sh->n_comb, sh->len, (ptc_pad_mode)mode};
            size_t ws_bytes;
            float *ws = workspace_alloc(&tok, hidden, sh->heads, 0, &ws_bytes);
            float *x = make_input(&rng, &tok, hidden, si % 4);
            float *y = ptc_test_alloc(sh->batch * rows * hidden, (si + 1) % 4);
            const size_t st_bytes = ptc_prune_state_bytes(sh->batch, sh->heads, rows);
            float *st_mem = ptc_test_alloc(st_bytes / sizeof(float) + 1, 0);
            ptc_prune_state st;
            if (!ptc_check(ctx, ptc_prune_state_init(&st, st_mem, st_bytes, &tok, sh->heads, err,
                                                     sizeof err) == PTC_OK, "state init: %s", err))
                return;
            /* random kept subsets; combination rows always kept; some heads keep nothing
             * (or, padded, only pads: a fully masked head) */
            for (size_t b = 0; b < sh->batch; b++)
                for (size_t h = 0; h < sh->heads; h++) {
                    int32_t *kept = st.kept + (b * sh->heads + h) * rows;
                    const int32_t t = st.count[b * sh->heads + h];
                    int32_t n = 0;
                    const bool empty = b == 0 && h == sh->heads - 1 && sh->n_comb == 0;
                    for (int32_t j = 0; j < t; j++) {
                        const size_t r = (size_t)kept[j];
                        const bool pad = r >= (size_t)sh->len[b] && r < sh->n_text;
                        bool keep = r >= sh->n_text || ptc_rng_uniform(&rng, 0, 1) < 0.6f;
                        if (empty)
                            keep = pad;
                        if (keep)
                            kept[n++] = (int32_t)r;
                    }
                    st.count[b * sh->heads + h] = n;
                }
            for (int project_kept = 0; project_kept < 2; project_kept++) {
                ptc_mhsa_options opt = {true, true, project_kept != 0, NULL, false};
                ptc_layer_stats stats;
                if (!ptc_check(ctx, ptc_mhsa_forward(ctx->ops, &mw, hidden, sh->heads, &tok, x, y, &st,
                                                     &opt, ws, ws_bytes, &stats, err, sizeof err) == PTC_OK,
                               "mhsa: %s", err))
                    continue;
                /* reference per sample */
                for (size_t b = 0; b < sh->batch; b++) {
                    uint8_t *seen = calloc(rows, 1), *allow = calloc(sh->heads * rows, 1);
                    double *xd = malloc(rows * hidden * sizeof(double));
                    double *yd = malloc(rows * hidden * sizeof(double));
                    double *imp = malloc(sh->heads * rows * sizeof(double));
                    for (size_t r = 0; r < rows; r++)
                        seen[r] = row_seen(&tok, b, r);
                    for (size_t h = 0; h < sh->heads; h++) {
                        const int32_t *kept = st.kept + (b * sh->heads + h) * rows;
                        for (int32_t j = 0; j < st.count[b * sh->heads + h]; j++) {
                            const size_t r = (size_t)kept[j];
                            allow[h * rows + r] = !(r >= (size_t)sh->len[b] && r < sh->n_text);
                        }
                    }
                    to_double(rows * hidden, x + b * rows * hidden, xd);
                    for (size_t i = 0; i < rows * hidden; i++)
                        if (!isfinite(xd[i]))
                            xd[i] = 0.0; /* NaN pad rows: their queries are not compared */
                    dense_mhsa(&w, sh->heads, rows, xd, seen, allow, yd, imp);
                    const float *yb = y + b * rows * hidden;
                    const double e = nmse_rows(yb, yd, hidden, rows, seen);
                    ptc_check(ctx, e <= 1e-9, "mhsa shape %zu mode %d project_kept %d sample %zu: "
                              "NMSE %.3g vs dense masked", si, mode, project_kept, b, e);
                    for (size_t r = 0; r < rows; r++)
                        if (!seen[r])
                            for (size_t c = 0; c < hidden; c++)
                                if (yb[r * hidden + c] != 0.0f) {
                                    ptc_check(ctx, false, "length-aware pad row %zu not zero", r);
                                    r = rows, c = hidden;
                                }
                    for (size_t h = 0; h < sh->heads; h++) {
                        const int32_t *kept = st.kept + (b * sh->heads + h) * rows;
                        const float *gi = st.importance + (b * sh->heads + h) * rows;
                        for (int32_t j = 0; j < st.count[b * sh->heads + h]; j++) {
                            const double want = imp[h * rows + kept[j]];
                            if (fabs(gi[j] - want) > 1e-6 + 1e-4 * fabs(want)) {
                                ptc_check(ctx, false, "importance shape %zu mode %d sample %zu head %zu "
                                          "key %d: got %.9g want %.9g", si, mode, b, h, kept[j],
                                          gi[j], want);
                                break;
                            }
                        }
                    }
                    free(seen), free(allow), free(xd), free(yd), free(imp);
                }
                size_t active = 0;
                for (size_t b = 0; b < sh->batch; b++)
                    active += mode == PTC_PAD_PADDED ? rows : (size_t)sh->len[b] + sh->n_comb;
                ptc_check(ctx, project_kept ? stats.kv_rows <= active : stats.kv_rows == active,
                          "kv rows %zu (active %zu, project_kept %d)", stats.kv_rows, active, project_kept);
                ptc_check(ctx, stats.keys.min >= 0 && stats.keys.max <= rows && stats.flops_linear > 0 &&
                          stats.bytes_workspace == ws_bytes, "stats");
            }
            ptc_test_free(ctx, st_mem);
            ptc_test_free(ctx, ws);
            ptc_test_free(ctx, x);
            ptc_test_free(ctx, y);
        }
        weights_free(ctx, &w);
    }
}

/* ---- the cascade against a full-sequence, -inf-mask reference ---------------------------- */
static int cmp_d(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double ref_quantile(const double *s, size_t n, double q)
{
    if (n == 0)
        return 0.0;
    const double h = q * (double)(n - 1);
    const size_t lo = (size_t)h;
    return lo + 1 < n ? s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]) : s[n - 1];
}

/* The reference selection of one sample over the full sequence: mask (heads, rows)
 * is updated in place. Returns false when a decision lies within `tol` of a
 * threshold or of the neighbouring score (then float and double may differ). */
static bool ref_select(const ptc_prune_config *cfg, size_t heads, size_t rows, size_t n_text,
                       size_t len, const double *imp, uint8_t *mask, double qa, double qb,
                       double tol)
{
    bool clear = true;
    const double thr_u = qa + (1.0 - cfg->alpha_unimportant) * (qb - qa);
    const double thr_i = qa + cfg->alpha_important * (qb - qa);
    int32_t *order = malloc(rows * sizeof(int32_t));
    for (size_t h = 0; h < heads; h++) {
        uint8_t *m = mask + h * rows;
        const double *s = imp + h * rows;
        size_t t_eff = 0, n_order = 0;
        for (size_t r = 0; r < rows; r++) {
            if (!m[r])
                continue;
            const bool prot = r >= n_text || (cfg->protect_cls && r == 0 && len > 0) ||
                              (cfg->protect_sep && len > 0 && r == len - 1);
            if (prot)
                continue;
            t_eff++;
            const bool cand = s[r] <= thr_u || s[r] < thr_i;
            if (cfg->rule != PTC_PRUNE_TOPK && s[r] != 0.0 &&
                (fabs(s[r] - thr_u) < tol || fabs(s[r] - thr_i) < tol))
                clear = false;
            if (cfg->rule == PTC_PRUNE_TOPK || cand)
                order[n_order++] = (int32_t)r;
        }
        /* pruning order: score ascending, higher index first among equals (insertion sort) */
        for (size_t i = 1; i < n_order; i++) {
            const int32_t key = order[i];
            size_t j = i;
            while (j > 0 && (s[order[j - 1]] > s[key] || (s[order[j - 1]] == s[key] && order[j - 1] < key))) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = key;
        }
        const size_t k = (size_t)floor((double)t_eff * cfg->p + 1e-9);
        size_t n_prune;
        if (cfg->rule == PTC_PRUNE_TOPK)
            n_prune = t_eff - k;
        else if (cfg->rule == PTC_PRUNE_CLAMP)
            n_prune = t_eff - k < n_order ? t_eff - k : n_order;
        else
            n_prune = (size_t)ceil((1.0 - cfg->p) * (double)n_order - 1e-9);
        if (n_prune > 0 && n_prune < n_order) {
            const double lo = s[order[n_prune - 1]], hi = s[order[n_prune]];
            if (!(lo == 0.0 && hi == 0.0) && hi - lo < tol)
                clear = false;
        }
        for (size_t i = 0; i < n_prune; i++)
            m[order[i]] = 0;
    }
    free(order);
    return clear;
}

typedef struct cascade_cfg {
    ptc_prune_rule rule;
    double p;
    ptc_pad_mode mode;
    ptc_quantile_scope scope;
    bool protect;
} cascade_cfg;

static void cascade_case(ptc_test_ctx *ctx, const layer_shape *sh, const cascade_cfg *cc,
                         size_t n_layers, uint64_t seed, size_t *compared)
{
    char err[256];
    ptc_rng rng = ptc_rng_seeded(seed);
    const size_t rows = sh->n_text + sh->n_comb, hidden = sh->hidden, heads = sh->heads;
    const size_t batch = sh->batch, sample = rows * hidden;
    const ptc_tokens tok = {batch, sh->n_text, sh->n_comb, sh->len, cc->mode};
    test_weights w[6];
    for (size_t l = 0; l < n_layers; l++)
        weights_init(&w[l], hidden, 0, &rng);
    size_t ws_bytes;
    float *ws = workspace_alloc(&tok, hidden, heads, 0, &ws_bytes);
    float *x = make_input(&rng, &tok, hidden, 1);
    float *y = ptc_test_alloc(batch * sample, 2);
    const size_t st_bytes = ptc_prune_state_bytes(batch, heads, rows);
    float *st_mem = ptc_test_alloc(st_bytes / sizeof(float) + 1, 0);
    ptc_prune_state st;
    ptc_prune_state_init(&st, st_mem, st_bytes, &tok, heads, err, sizeof err);
    ptc_prune_config pc;
    ptc_prune_config_default(&pc);
    pc.rule = cc->rule;
    pc.p = cc->p;
    pc.scope = cc->scope;
    pc.protect_cls = pc.protect_sep = cc->protect;

    /* reference state: x in double, masks over the full sequence */
    double *xr = calloc(batch * sample, sizeof(double)), *yr = calloc(sample, sizeof(double));
    double *imp = calloc(batch * heads * rows, sizeof(double));
    uint8_t *mask = calloc(batch * heads * rows, 1), *seen = calloc(batch * rows, 1);
    bool *clear = calloc(batch, sizeof(bool));
    for (size_t b = 0; b < batch; b++) {
        clear[b] = true;
        for (size_t r = 0; r < rows; r++) {
            seen[b * rows + r] = row_seen(&tok, b, r);
            for (size_t h = 0; h < heads; h++)
                mask[(b * heads + h) * rows + r] = seen[b * rows + r];
            for (size_t c = 0; c < hidden; c++)
                xr[(b * rows + r) * hidden + c] = seen[b * rows + r] ? x[(b * rows + r) * hidden + c] : 0.0;
        }
    }
    for (size_t l = 1; l <= n_layers; l++) {
        const bool select = l >= 2 && l < n_layers;
        const ptc_mhsa_weights mw = mhsa_view(&w[l - 1]);
        const ptc_mhsa_options opt = {true, select, true, NULL, false};
        if (!ptc_check(ctx, ptc_mhsa_forward(ctx->ops, &mw, hidden, heads, &tok, x, y, &st, &opt, ws,
                                             ws_bytes, NULL, err, sizeof err) == PTC_OK, "%s", err))
            break;
        for (size_t i = 0; i < batch * sample; i++)
            x[i] += y[i];
        /* reference layer */
        for (size_t b = 0; b < batch; b++) {
            uint8_t *allow = malloc(heads * rows);
            for (size_t i = 0; i < heads * rows; i++) {
                const size_t r = i % rows;
                allow[i] = mask[b * heads * rows + i] && !(r >= (size_t)sh->len[b] && r < sh->n_text);
            }
            dense_mhsa(&w[l - 1], heads, rows, xr + b * sample, seen + b * rows, allow, yr,
                       imp + b * heads * rows);
            for (size_t i = 0; i < sample; i++)
                if (seen[b * rows + i / hidden])
                    xr[b * sample + i] += yr[i];
            free(allow);
        }
        if (!select)
            continue;
        int32_t *count_before = malloc(batch * heads * sizeof(int32_t));
        memcpy(count_before, st.count, batch * heads * sizeof(int32_t));
        if (!ptc_check(ctx, ptc_prune_select(&pc, &tok, &st, ws, ws_bytes, NULL, err, sizeof err) == PTC_OK,
                       "select: %s", err)) {
            free(count_before);
            break;
        }
        /* reference quartiles: pooled over heads (per sample or the whole batch) */
        double *pool = malloc(batch * heads * rows * sizeof(double));
        double qa[4], qb[4], mean_imp = 0.0;
        for (size_t b = 0; b < batch; b++) {
            const size_t first = cc->scope == PTC_QUANTILE_PER_BATCH ? 0 : b;
            const size_t last = cc->scope == PTC_QUANTILE_PER_BATCH ? batch : b + 1;
            size_t n = 0;
            for (size_t bb = first; bb < last; bb++)
                for (size_t h = 0; h < heads; h++)
                    for (size_t r = 0; r < (size_t)sh->len[bb]; r++)
                        if (mask[(bb * heads + h) * rows + r])
                            pool[n++] = imp[(bb * heads + h) * rows + r];
            qsort(pool, n, sizeof(double), cmp_d);
            qa[b] = ref_quantile(pool, n, pc.q_low);
            qb[b] = ref_quantile(pool, n, pc.q_high);
            for (size_t i = 0; i < n; i++)
                mean_imp += pool[i] / (double)n / (double)batch;
        }
        free(pool);
        for (size_t b = 0; b < batch; b++) {
            const bool was_clear = clear[b];
            clear[b] = ref_select(&pc, heads, rows, sh->n_text, (size_t)sh->len[b], imp + b * heads * rows,
                                  mask + b * heads * rows, qa[b], qb[b], 1e-5 * mean_imp) && was_clear;
            if (!was_clear)
                continue; /* earlier decisions were ambiguous: the states may differ */
            ptc_check(ctx, fabs(st.quartiles[2 * b] - qa[b]) <= 1e-5 * mean_imp + 1e-4 * fabs(qa[b]) &&
                      fabs(st.quartiles[2 * b + 1] - qb[b]) <= 1e-5 * mean_imp + 1e-4 * fabs(qb[b]),
                      "layer %zu sample %zu quartiles (%.9g, %.9g) want (%.9g, %.9g)", l, b,
                      st.quartiles[2 * b], st.quartiles[2 * b + 1], qa[b], qb[b]);
            if (!clear[b])
                continue;
            for (size_t h = 0; h < heads; h++) {
                int32_t want[512];
                size_t n = 0;
                for (size_t r = 0; r < rows; r++)
                    if (mask[(b * heads + h) * rows + r])
                        want[n++] = (int32_t)r;
                const int32_t got_n = st.count[b * heads + h];
                char what[160];
                snprintf(what, sizeof what, "cascade rule %d p %.2f mode %d scope %d protect %d layer %zu "
                         "sample %zu head %zu kept", cc->rule, cc->p, cc->mode, cc->scope, cc->protect,
                         l, b, h);
                if (ptc_check(ctx, (size_t)got_n == n, "%s: %d keys, reference %zu", what, got_n, n))
                    ptc_check_equal_i32(ctx, what, st.kept + (b * heads + h) * rows, want, n);
                if (cc->rule == PTC_PRUNE_TOPK) { /* exactly floor(t p) of the prunable keys */
                    const size_t n_fixed = sh->n_comb + (cc->protect ? ((size_t)sh->len[b] > 1 ? 2 : 1) : 0);
                    const size_t t_eff = (size_t)count_before[b * heads + h] - n_fixed;
                    ptc_check(ctx, (size_t)got_n - n_fixed == (size_t)floor((double)t_eff * cc->p + 1e-9),
                              "%s: topk kept %d of t = %zu", what, got_n, t_eff);
                }
            }
        }
        free(count_before);
    }
    for (size_t b = 0; b < batch; b++) {
        if (!clear[b])
            continue;
        (*compared)++;
        const double e = nmse_rows(x + b * sample, xr + b * sample, hidden, rows, seen + b * rows);
        ptc_check(ctx, e <= 1e-9, "cascade rule %d mode %d sample %zu: hidden states NMSE %.3g",
                  cc->rule, cc->mode, b, e);
    }
    free(xr), free(yr), free(imp), free(mask), free(seen), free(clear);
    for (size_t l = 0; l < n_layers; l++)
        weights_free(ctx, &w[l]);
    ptc_test_free(ctx, ws);
    ptc_test_free(ctx, x);
    ptc_test_free(ctx, y);
    ptc_test_free(ctx, st_mem);
}

PTC_KERNEL_TEST(variants_cascade_matches_masked_reference)
{
    const layer_shape quick = {2, 9, 2, 16, 2, {9, 6}};
    const layer_shape full = {3, 33, 3, 32, 4, {33, 20, 7}};
    const layer_shape *sh = ctx->quick ? &quick : &full;
    const size_t n_layers = ctx->quick ? 4 : 5;
    size_t compared = 0, cases = 0;
    for (int rule = 0; rule < 3; rule++)
        for (int mode = 0; mode < 2; mode++)
            for (int variant = 0; variant < (ctx->quick ? 2 : 4); variant++) {
                const cascade_cfg cc = {(ptc_prune_rule)rule, variant & 1 ? 0.9 : 0.6,
                                        (ptc_pad_mode)mode,
                                        variant & 2 ? PTC_QUANTILE_PER_BATCH : PTC_QUANTILE_PER_SAMPLE,
                                        (variant & 1) != 0};
                cascade_case(ctx, sh, &cc, n_layers, ctx->seed + 100 + (uint64_t)(rule * 8 + mode * 4 + variant),
                             &compared);
                cases++;
            }
    /* ambiguity is rare: most samples must have been compared through every layer */
    ptc_check(ctx, compared * 4 >= cases * sh->batch * 3, "only %zu of %zu samples compared", compared,
              cases * sh->batch);
}

/* ---- p = 1 equals the unpruned baseline -------------------------------------------------- */
PTC_KERNEL_TEST(variants_p1_equals_baseline)
{
    const layer_shape sh = ctx->quick ? (layer_shape){2, 7, 2, 16, 2, {7, 4}}
                                      : (layer_shape){2, 40, 4, 64, 4, {40, 23}};
    char err[256];
    const size_t rows = sh.n_text + sh.n_comb, sample = rows * sh.hidden;
    for (int mode = 0; mode < 2; mode++) {
        ptc_rng rng = ptc_rng_seeded(ctx->seed + 31 + (uint64_t)mode);
        const ptc_tokens tok = {sh.batch, sh.n_text, sh.n_comb, sh.len, (ptc_pad_mode)mode};
        test_weights w;
        weights_init(&w, sh.hidden, 0, &rng);
        const ptc_mhsa_weights mw = mhsa_view(&w);
        size_t ws_bytes;
        float *ws = workspace_alloc(&tok, sh.hidden, sh.heads, 0, &ws_bytes);
        float *x0 = make_input(&rng, &tok, sh.hidden, 0);
        float *base = ptc_test_alloc(sh.batch * sample, 0), *y = ptc_test_alloc(sh.batch * sample, 3);
        float *x = ptc_test_alloc(sh.batch * sample, 1);
        /* baseline: three layers without a state */
        memcpy(base, x0, sh.batch * sample * sizeof(float));
        for (int l = 0; l < 3; l++) {
            ptc_mhsa_forward(ctx->ops, &mw, sh.hidden, sh.heads, &tok, base, y, NULL, NULL, ws, ws_bytes,
                             NULL, err, sizeof err);
            for (size_t i = 0; i < sh.batch * sample; i++)
                base[i] += y[i];
        }
        const size_t st_bytes = ptc_prune_state_bytes(sh.batch, sh.heads, rows);
        float *st_mem = ptc_test_alloc(st_bytes / sizeof(float) + 1, 0);
        for (int rule = 0; rule < 3; rule++) {
            ptc_prune_state st;
            ptc_prune_state_init(&st, st_mem, st_bytes, &tok, sh.heads, err, sizeof err);
            ptc_prune_config pc;
            ptc_prune_config_default(&pc);
            pc.rule = (ptc_prune_rule)rule;
            pc.p = 1.0;
            memcpy(x, x0, sh.batch * sample * sizeof(float));
            int32_t counts[64];
            memcpy(counts, st.count, sh.batch * sh.heads * sizeof(int32_t));
            for (int l = 1; l <= 3; l++) {
                const ptc_mhsa_options opt = {true, l == 2, true, NULL, false};
                ptc_mhsa_forward(ctx->ops, &mw, sh.hidden, sh.heads, &tok, x, y, &st, &opt, ws, ws_bytes,
                                 NULL, err, sizeof err);
                for (size_t i = 0; i < sh.batch * sample; i++)
                    x[i] += y[i];
                if (l == 2)
                    ptc_check(ctx, ptc_prune_select(&pc, &tok, &st, ws, ws_bytes, NULL, err, sizeof err) == 0,
                              "select: %s", err);
            }
            ptc_check_equal_i32(ctx, "p = 1 keeps every key", st.count, counts, sh.batch * sh.heads);
            char what[64];
            snprintf(what, sizeof what, "p = 1 rule %d mode %d vs baseline", rule, mode);
            for (size_t b = 0; b < sh.batch; b++)
                for (size_t r = 0; r < rows; r++)
                    if (row_seen(&tok, b, r))
                        ptc_check_close(ctx, what, x + (b * rows + r) * sh.hidden,
                                        base + (b * rows + r) * sh.hidden, sh.hidden, 1e-6f, 1e-5f);
        }
        weights_free(ctx, &w);
        ptc_test_free(ctx, ws), ptc_test_free(ctx, x0), ptc_test_free(ctx, base);
        ptc_test_free(ctx, y), ptc_test_free(ctx, x), ptc_test_free(ctx, st_mem);
    }
}

/* ---- token combining == the direct formula -------------------------------------------------- */
typedef struct comb_weights_t { float *gc, *bc, *ge, *be; test_weights lin; } comb_weights_t;

static ptc_combine_weights comb_view(const comb_weights_t *c)
{
    ptc_combine_weights v = {c->gc, c->bc, c->ge, c->be, c->lin.wq, c->lin.bq, c->lin.wk, c->lin.bk,
                             c->lin.wv, c->lin.bv, c->lin.wo, c->lin.bo, 1e-5f};
    return v;
}

static void comb_init(comb_weights_t *c, size_t hidden, ptc_rng *rng)
{
    c->gc = rand_buf(rng, hidden, 0.5f, 1.5f, 1);
    c->bc = rand_buf(rng, hidden, -0.2f, 0.2f, 2);
    c->ge = rand_buf(rng, hidden, 0.5f, 1.5f, 3);
    c->be = rand_buf(rng, hidden, -0.2f, 0.2f, 0);
    weights_init(&c->lin, hidden, 0, rng);
}

static void comb_free(ptc_test_ctx *ctx, comb_weights_t *c)
{
    ptc_test_free(ctx, c->gc), ptc_test_free(ctx, c->bc), ptc_test_free(ctx, c->ge);
    ptc_test_free(ctx, c->be);
    weights_free(ctx, &c->lin);
}

static void dense_layernorm(size_t rows, size_t cols, const double *x, const float *g, const float *b,
                            double eps, double *y)
{
    for (size_t r = 0; r < rows; r++) {
        double mu = 0.0, var = 0.0;
        for (size_t c = 0; c < cols; c++)
            mu += x[r * cols + c] / (double)cols;
        for (size_t c = 0; c < cols; c++)
            var += (x[r * cols + c] - mu) * (x[r * cols + c] - mu) / (double)cols;
        for (size_t c = 0; c < cols; c++)
            y[r * cols + c] = (x[r * cols + c] - mu) / sqrt(var + eps) * g[c] + b[c];
    }
}

PTC_KERNEL_TEST(variants_combine_matches_dense)
{
    static const struct { size_t batch, n_text, m, hidden; int32_t len[3]; } shapes[] = {
        {3, 5, 4, 16, {5, 2, 0}},      /* len < m: empty groups; a sample with no text */
        {2, 17, 8, 64, {17, 11}},
        {2, 60, 8, 96, {60, 33}},
    };
    const size_t n_shapes = ctx->quick ? 1 : 3;
    char err[256];
    size_t empty_groups = 0, skipped = 0;
    for (size_t si = 0; si < n_shapes; si++) {
        const size_t batch = shapes[si].batch, n_text = shapes[si].n_text, m = shapes[si].m;
        const size_t hidden = shapes[si].hidden, rows = n_text + m;
        for (int mode = 0; mode < 2; mode++) {
            ptc_rng rng = ptc_rng_seeded(ctx->seed + 50 + si * 2 + (uint64_t)mode);
            const ptc_tokens tok = {batch, n_text, m, shapes[si].len, (ptc_pad_mode)mode};
            comb_weights_t cw;
            comb_init(&cw, hidden, &rng);
            const ptc_combine_weights v = comb_view(&cw);
            size_t ws_bytes;
            float *ws = workspace_alloc(&tok, hidden, 1, 0, &ws_bytes);
            /* pads are NaN in both modes: the module never reads them */
            const ptc_tokens la = {batch, n_text, m, shapes[si].len, PTC_PAD_LENGTH_AWARE};
            float *x = make_input(&rng, &la, hidden, si);
            float *out = ptc_test_alloc(batch * m * hidden, 1);
            int32_t *assign = ptc_test_alloc_i32(batch * n_text);
            ptc_layer_stats stats;
            const ptc_combine_options opt = {false, 0, false, NULL};
            if (!ptc_check(ctx, ptc_combine_forward(ctx->ops, &v, hidden, &tok, x, out, assign, &opt, ws,
                                                    ws_bytes, &stats, err, sizeof err) == PTC_OK, "%s", err))
                continue;
            for (size_t b = 0; b < batch; b++) {
                const size_t len = (size_t)shapes[si].len[b];
                double *xd = malloc(rows * hidden * sizeof(double)), *c = malloc(m * hidden * sizeof(double));
                double *e = malloc((len + 1) * hidden * sizeof(double)), *q = malloc(m * hidden * sizeof(double));
                double *k = malloc((len + 1) * hidden * sizeof(double));
                double *ve = malloc((len + 1) * hidden * sizeof(double));
                double *u = calloc(m * hidden, sizeof(double)), *o = malloc(m * hidden * sizeof(double));
                double *cnt = calloc(m, sizeof(double));
                int32_t *g = malloc((len + 1) * sizeof(int32_t));
                to_double(rows * hidden, x + b * rows * hidden, xd);
                dense_layernorm(m, hidden, xd + n_text * hidden, cw.gc, cw.bc, 1e-5, c);
                dense_layernorm(len, hidden, xd, cw.ge, cw.be, 1e-5, e);
                dense_linear(m, hidden, hidden, c, cw.lin.wq, cw.lin.bq, q);
                dense_linear(len, hidden, hidden, e, cw.lin.wk, cw.lin.bk, k);
                dense_linear(len, hidden, hidden, e, cw.lin.wv, cw.lin.bv, ve);
                bool ambiguous = false;
                for (size_t j = 0; j < len; j++) {
                    /* softmax over i of the logits; its argmax (lowest i on ties) */
                    double best = -INFINITY, second = -INFINITY;
                    g[j] = 0;
                    for (size_t i = 0; i < m; i++) {
                        double s = 0.0;
                        for (size_t cidx = 0; cidx < hidden; cidx++)
                            s += q[i * hidden + cidx] * k[j * hidden + cidx];
                        s /= sqrt((double)hidden);
                        if (s > best) {
                            second = best;
                            best = s;
                            g[j] = (int32_t)i;
                        } else if (s > second) {
                            second = s;
                        }
                    }
                    if (best - second < 1e-4)
                        ambiguous = true;
                    cnt[g[j]] += 1.0;
                    for (size_t cidx = 0; cidx < hidden; cidx++)
                        u[g[j] * hidden + cidx] += ve[j * hidden + cidx];
                }
                if (ambiguous) {
                    skipped++;
                } else {
                    for (size_t i = 0; i < m; i++) {
                        empty_groups += cnt[i] == 0.0;
                        for (size_t cidx = 0; cidx < hidden; cidx++)
                            u[i * hidden + cidx] /= cnt[i] + 1.0; /* eps 1 */
                    }
                    dense_linear(m, hidden, hidden, u, cw.lin.wo, cw.lin.bo, o);
                    for (size_t i = 0; i < m * hidden; i++)
                        o[i] += c[i];
                    char what[96];
                    snprintf(what, sizeof what, "combine shape %zu mode %d sample %zu assignment", si, mode, b);
                    ptc_check_equal_i32(ctx, what, assign + b * n_text, g, len);
                    const double err2 = nmse_rows(out + b * m * hidden, o, hidden * m, 1, (const uint8_t *)"\1");
                    ptc_check(ctx, err2 <= 1e-10, "combine shape %zu mode %d sample %zu: NMSE %.3g", si, mode,
                              b, err2);
                }
                for (size_t j = len; j < n_text; j++)
                    if (!ptc_check(ctx, assign[b * n_text + j] == -1, "pad %zu joined group %d", j,
                                   assign[b * n_text + j]))
                        break;
                free(xd), free(c), free(e), free(q), free(k), free(ve), free(u), free(o), free(cnt), free(g);
            }
            ptc_check(ctx, stats.flops_combining > 0 && stats.tokens.max > 0, "combine stats");
            comb_free(ctx, &cw);
            ptc_test_free(ctx, ws), ptc_test_free(ctx, x), ptc_test_free(ctx, out), ptc_test_free(ctx, assign);
        }
    }
    ptc_check(ctx, empty_groups > 0, "no empty group was exercised");
    ptc_check(ctx, skipped <= 1, "%zu samples skipped as ambiguous", skipped);
}

/* ---- encoder layer == its dense formula ------------------------------------------------------- */
PTC_KERNEL_TEST(variants_encoder_layer_matches_dense)
{
    const layer_shape sh = ctx->quick ? (layer_shape){2, 6, 1, 16, 2, {6, 3}}
                                      : (layer_shape){2, 30, 2, 64, 4, {30, 17}};
    const size_t ffn = 4 * sh.hidden, rows = sh.n_text + sh.n_comb, hidden = sh.hidden;
    char err[256];
    for (int mode = 0; mode < 2; mode++) {
        ptc_rng rng = ptc_rng_seeded(ctx->seed + 70 + (uint64_t)mode);
        const ptc_tokens tok = {sh.batch, sh.n_text, sh.n_comb, sh.len, (ptc_pad_mode)mode};
        test_weights w;
        weights_init(&w, hidden, ffn, &rng);
        const ptc_encoder_weights ew = encoder_view(&w);
        size_t ws_bytes;
        float *ws = workspace_alloc(&tok, hidden, sh.heads, ffn, &ws_bytes);
        float *x = make_input(&rng, &tok, hidden, 2), *y = ptc_test_alloc(sh.batch * rows * hidden, 1);
        ptc_layer_stats stats;
        if (!ptc_check(ctx, ptc_encoder_layer_forward(ctx->ops, &ew, hidden, sh.heads, ffn, &tok, x, y, NULL,
                                                      NULL, ws, ws_bytes, &stats, err, sizeof err) == PTC_OK,
                       "%s", err))
            continue;
        for (size_t b = 0; b < sh.batch; b++) {
            uint8_t seen[64], allow[512];
            double *xd = calloc(rows * hidden, sizeof(double)), *a = malloc(rows * hidden * sizeof(double));
            double *x1 = malloc(rows * hidden * sizeof(double)), *h = malloc(rows * ffn * sizeof(double));
            double *f = malloc(rows * hidden * sizeof(double)), *imp = malloc(sh.heads * rows * sizeof(double));
            for (size_t r = 0; r < rows; r++) {
                seen[r] = row_seen(&tok, b, r);
                for (size_t hh = 0; hh < sh.heads; hh++)
                    allow[hh * rows + r] = seen[r] && !(r >= (size_t)sh.len[b] && r < sh.n_text);
                if (seen[r])
                    to_double(hidden, x + (b * rows + r) * hidden, xd + r * hidden);
            }
            dense_mhsa(&w, sh.heads, rows, xd, seen, allow, a, imp);
            for (size_t i = 0; i < rows * hidden; i++)
                a[i] += xd[i];
            dense_layernorm(rows, hidden, a, w.g1, w.be1, 1e-5, x1);
            dense_linear(rows, hidden, ffn, x1, w.w1, w.b1, h);
            for (size_t i = 0; i < rows * ffn; i++)
                h[i] = 0.5 * h[i] * (1.0 + erf(h[i] / sqrt(2.0)));
            dense_linear(rows, ffn, hidden, h, w.w2, w.b2, f);
            for (size_t i = 0; i < rows * hidden; i++)
                f[i] += x1[i];
            dense_layernorm(rows, hidden, f, w.g2, w.be2, 1e-5, a);
            const double e = nmse_rows(y + b * rows * hidden, a, hidden, rows, seen);
            ptc_check(ctx, e <= 1e-9, "encoder layer mode %d sample %zu: NMSE %.3g", mode, b, e);
            free(xd), free(a), free(x1), free(h), free(f), free(imp);
        }
        ptc_check(ctx, stats.flops_linear > 0 && stats.flops_norm > 0, "encoder stats");
        weights_free(ctx, &w);
        ptc_test_free(ctx, ws), ptc_test_free(ctx, x), ptc_test_free(ctx, y);
    }
}

/*
 * variants/prune.c — fuzzy token pruning (FTP): quartiles, fuzzy candidates,
 * the three keep rules, and the pruning state that cascades across layers.
 *
 * ref: Yun, Kim, Kim, EMNLP Findings 2023, Sec. "Fuzzy token pruning" (PAPER.md
 * steps 2-8); the fuzzy membership and alpha-cuts follow Zhao et al., FUZZ-IEEE
 * 2019. Contracts: include/ptc/variants.h.
 *
 * Threading: ptc_prune_select runs OpenMP parallel over samples; each sample
 * uses its own slice of the workspace, and every step (sorts included) has a
 * total order, so results are identical for any thread count.
 * No allocation: sort keys and pools live in the caller's workspace.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ptc_prune_config_default(ptc_prune_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->rule = PTC_PRUNE_CLAMP;
    cfg->p = 0.9;
    cfg->alpha_important = 0.01;
    cfg->alpha_unimportant = 0.9;
    cfg->q_low = 0.25;
    cfg->q_high = 0.75;
    cfg->scope = PTC_QUANTILE_PER_SAMPLE;
    cfg->protect_cls = false;
    cfg->protect_sep = false;
}

int ptc_prune_config_check(const ptc_prune_config *cfg, char *err, size_t err_len)
{
    if (!cfg)
        return ptc_fail(err, err_len, "prune config is NULL");
    if (cfg->rule != PTC_PRUNE_CLAMP && cfg->rule != PTC_PRUNE_TOPK && cfg->rule != PTC_PRUNE_WITHIN)
        return ptc_fail(err, err_len, "prune rule %d unknown (clamp, topk, within)", (int)cfg->rule);
    if (!(cfg->p > 0.0 && cfg->p <= 1.0))
        return ptc_fail(err, err_len, "preservation ratio p = %g must lie in (0, 1]", cfg->p);
    if (!(cfg->alpha_important >= 0.0 && cfg->alpha_important <= 1.0))
        return ptc_fail(err, err_len, "alpha_important = %g must lie in [0, 1]", cfg->alpha_important);
    if (!(cfg->alpha_unimportant > 0.0 && cfg->alpha_unimportant <= 1.0))
        return ptc_fail(err, err_len, "alpha_unimportant = %g must lie in (0, 1]",
                        cfg->alpha_unimportant);
    if (!(cfg->q_low >= 0.0 && cfg->q_low <= cfg->q_high && cfg->q_high <= 1.0))
        return ptc_fail(err, err_len, "quartiles q_low = %g, q_high = %g need 0 <= q_low <= q_high <= 1",
                        cfg->q_low, cfg->q_high);
    if (cfg->scope != PTC_QUANTILE_PER_SAMPLE && cfg->scope != PTC_QUANTILE_PER_BATCH)
        return ptc_fail(err, err_len, "quantile scope %d unknown", (int)cfg->scope);
    return PTC_OK;
}

double ptc_quantile_linear(const float *sorted, size_t n, double q)
{
    if (n == 0)
        return 0.0;
    const double h = q * (double)(n - 1);
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1)
        return sorted[n - 1];
    const double f = h - (double)lo;
    const double x0 = sorted[lo], x1 = sorted[lo + 1], diff = x1 - x0;
    /* numpy's _lerp: the form anchored at the nearer end */
    return f < 0.5 ? x0 + diff * f : x1 - diff * (1.0 - f);
}

bool ptc_prune_is_candidate(const ptc_prune_config *cfg, double a, double b, float s)
{
    /* Unimportant(S) >= alpha_U  <=>  Important(S) <= 1 - alpha_U; Important is
     * 0 up to a, (S - a)/(b - a) between, 1 from b. With alpha_U > 0 only the
     * first two pieces can qualify, giving S <= a + (1 - alpha_U)(b - a); the
     * complement of I adds S < a + alpha_I (b - a). a == b: both reduce to S <= a
     * (strictly below a for the second), nothing is divided. */
    const double span = b - a;
    const double thr_u = a + (1.0 - cfg->alpha_unimportant) * span;
    const double thr_i = a + cfg->alpha_important * span;
    return (double)s <= thr_u || (double)s < thr_i;
}

size_t ptc_prune_keep_count(double p, size_t t)
{
    return (size_t)floor((double)t * p + 1e-9);
}

/* Sort key: ascending = lower score first, and among equal scores the higher
 * position first (so the lowest index survives a tie). */
static uint64_t prune_order_key(float score, size_t pos)
{
    if (score == 0.0f)
        score = 0.0f; /* -0 sorts with +0 */
    uint32_t u;
    memcpy(&u, &score, sizeof u);
    u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
    return ((uint64_t)u << 32) | (uint64_t)(0xFFFFFFFFu - (uint32_t)pos);
}

static int cmp_u64(const void *x, const void *y)
{
    const uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

static int cmp_float(const void *x, const void *y)
{
    const float a = *(const float *)x, b = *(const float *)y;
    return (a > b) - (a < b);
}

size_t ptc_prune_head(const ptc_prune_config *cfg, double a, double b, size_t t,
                      const float *score, const uint8_t *protect, int32_t *keep_pos,
                      uint64_t *scratch)
{
    size_t n_protected = 0, n_sorted = 0;
    for (size_t j = 0; j < t; j++) {
        keep_pos[j] = (int32_t)j;
        if (protect && protect[j]) {
            n_protected++;
            continue;
        }
        if (cfg->rule == PTC_PRUNE_TOPK || ptc_prune_is_candidate(cfg, a, b, score[j]))
            scratch[n_sorted++] = prune_order_key(score[j], j);
    }
    const size_t t_eff = t - n_protected;
    const size_t k = ptc_prune_keep_count(cfg->p, t_eff);
    size_t n_prune;
    switch (cfg->rule) {
    case PTC_PRUNE_TOPK:
        n_prune = t_eff - k;
        break;
    case PTC_PRUNE_WITHIN: {
        const double want = ceil((1.0 - cfg->p) * (double)n_sorted - 1e-9);
        n_prune = want <= 0.0 ? 0 : (size_t)want;
        if (n_prune > n_sorted)
            n_prune = n_sorted;
        break;
    }
    case PTC_PRUNE_CLAMP:
    default:
        n_prune = t_eff - k < n_sorted ? t_eff - k : n_sorted;
        break;
    }
    if (n_prune > 0) {
        qsort(scratch, n_sorted, sizeof *scratch, cmp_u64);
        for (size_t i = 0; i < n_prune; i++)
            keep_pos[0xFFFFFFFFu - (uint32_t)(scratch[i] & 0xFFFFFFFFu)] = -1;
    }
    size_t kept = 0;
    for (size_t j = 0; j < t; j++)
        if (keep_pos[j] >= 0)
            keep_pos[kept++] = (int32_t)j;
    return kept;
}

size_t ptc_prune_select_head_scratch_bytes(size_t t)
{
    return t * (sizeof(float) + sizeof(uint64_t));
}

size_t ptc_prune_select_head(const ptc_prune_config *cfg, size_t t, const float *importance,
                             int32_t *keep_pos, void *scratch)
{
    uint64_t *keys = scratch;
    float *sorted = (float *)(keys + t);
    memcpy(sorted, importance, t * sizeof(float));
    qsort(sorted, t, sizeof(float), cmp_float);
    const double qa = ptc_quantile_linear(sorted, t, cfg->q_low);
    const double qb = ptc_quantile_linear(sorted, t, cfg->q_high);
    return ptc_prune_head(cfg, qa, qb, t, importance, NULL, keep_pos, keys);
}

/* ---- the state ------------------------------------------------------------------- */
static size_t state_layout(ptc_arena *a, ptc_prune_state *s, size_t batch, size_t n_heads,
                           size_t n_rows)
{
    int32_t *kept = ptc_arena_take(a, batch * n_heads * n_rows * sizeof(int32_t));
    int32_t *count = ptc_arena_take(a, batch * n_heads * sizeof(int32_t));
    float *imp = ptc_arena_take(a, batch * n_heads * n_rows * sizeof(float));
    double *quart = ptc_arena_take(a, batch * 2 * sizeof(double));
    if (s) {
        s->kept = kept;
        s->count = count;
        s->importance = imp;
        s->quartiles = quart;
    }
    return a->used;
}

size_t ptc_prune_state_bytes(size_t batch, size_t n_heads, size_t n_rows)
{
    ptc_arena a = {NULL, 0};
    return state_layout(&a, NULL, batch, n_heads, n_rows);
}

int ptc_prune_state_init(ptc_prune_state *state, void *mem, size_t mem_bytes,
                         const ptc_tokens *tok, size_t n_heads, char *err, size_t err_len)
{
    if (!state || !mem)
        return ptc_fail(err, err_len, "prune state: NULL state or memory");
    if (ptc_tokens_check(tok, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    if (n_heads == 0)
        return ptc_fail(err, err_len, "prune state: n_heads must be >= 1");
    if ((uintptr_t)mem % 64 != 0)
        return ptc_fail(err, err_len, "prune state: memory must be 64-byte aligned");
    const size_t n_rows = ptc_tok_rows(tok);
    const size_t need = ptc_prune_state_bytes(tok->batch, n_heads, n_rows);
    if (mem_bytes < need)
        return ptc_fail(err, err_len, "prune state: %zu bytes given, %zu needed", mem_bytes, need);
    ptc_arena a = {mem, 0};
    state_layout(&a, state, tok->batch, n_heads, n_rows);
    state->batch = tok->batch;
    state->n_heads = n_heads;
    state->n_rows = n_rows;
    state->has_importance = false;
    for (size_t b = 0; b < tok->batch; b++) {
        const size_t len = ptc_tok_len(tok, b);
        const size_t n_text = tok->pad_mode == PTC_PAD_PADDED ? tok->n_text : len;
        for (size_t h = 0; h < n_heads; h++) {
            int32_t *kept = state->kept + (b * n_heads + h) * n_rows;
            size_t n = 0;
            for (size_t r = 0; r < n_text; r++)
                kept[n++] = (int32_t)r;
            for (size_t r = 0; r < tok->n_comb; r++)
                kept[n++] = (int32_t)(tok->n_text + r);
            state->count[b * n_heads + h] = (int32_t)n;
        }
        state->quartiles[2 * b] = state->quartiles[2 * b + 1] = 0.0;
    }
    return PTC_OK;
}

/* ---- selection --------------------------------------------------------------------- */
typedef struct select_ws {
    float *pool;        /* (batch, n_heads * n_rows) pooled scores of real kept tokens */
    uint64_t *keys;     /* (batch, n_rows) sort keys */
    int32_t *keep_pos;  /* (batch, n_rows) */
    uint8_t *protect;   /* (batch, n_rows) */
    double *flops;      /* (batch) selection work per sample */
} select_ws;

static size_t select_layout(ptc_arena *a, select_ws *ws, size_t batch, size_t n_heads,
                            size_t n_rows)
{
    select_ws w;
    w.pool = ptc_arena_take(a, batch * n_heads * n_rows * sizeof(float));
    w.keys = ptc_arena_take(a, batch * n_rows * sizeof(uint64_t));
    w.keep_pos = ptc_arena_take(a, batch * n_rows * sizeof(int32_t));
    w.protect = ptc_arena_take(a, batch * n_rows);
    w.flops = ptc_arena_take(a, batch * sizeof(double));
    if (ws)
        *ws = w;
    return a->used;
}

size_t ptc_select_workspace_need(const ptc_tokens *tok, size_t n_heads)
{
    ptc_arena a = {NULL, 0};
    return select_layout(&a, NULL, tok->batch, n_heads, ptc_tok_rows(tok));
}

/* Importance of the kept real tokens (not pads, not combination rows) of every
 * head of sample b, in (head, position) order. */
static size_t pool_sample(const ptc_tokens *tok, const ptc_prune_state *s, size_t b, float *pool)
{
    const size_t len = ptc_tok_len(tok, b);
    size_t n = 0;
    for (size_t h = 0; h < s->n_heads; h++) {
        const size_t base = (b * s->n_heads + h) * s->n_rows;
        const size_t t = (size_t)s->count[b * s->n_heads + h];
        for (size_t j = 0; j < t; j++)
            if ((size_t)s->kept[base + j] < len)
                pool[n++] = s->importance[base + j];
    }
    return n;
}

static double sort_flops(size_t n)
{
    return n > 1 ? (double)n * log2((double)n) : 0.0;
}

int ptc_prune_select(const ptc_prune_config *cfg, const ptc_tokens *tok,
                     ptc_prune_state *state, void *workspace, size_t workspace_bytes,
                     ptc_layer_stats *stats, char *err, size_t err_len)
{
    if (ptc_prune_config_check(cfg, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    if (ptc_tokens_check(tok, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    if (!state || state->batch != tok->batch || state->n_rows != ptc_tok_rows(tok))
        return ptc_fail(err, err_len, "prune select: state does not match the tokens "
                        "(batch %zu, rows %zu)", tok->batch, ptc_tok_rows(tok));
    if (!state->has_importance)
        return ptc_fail(err, err_len, "prune select: no importance scores (run ptc_mhsa_forward "
                        "with want_importance first)");
    const size_t need = ptc_select_workspace_need(tok, state->n_heads);
    if (!workspace || workspace_bytes < need || (uintptr_t)workspace % 64 != 0)
        return ptc_fail(err, err_len, "prune select: workspace of %zu bytes (64-byte aligned) "
                        "needed, %zu given", need, workspace ? workspace_bytes : 0);
    select_ws ws;
    ptc_arena a = {workspace, 0};
    select_layout(&a, &ws, tok->batch, state->n_heads, state->n_rows);

    const size_t batch = tok->batch, n_heads = state->n_heads, n_rows = state->n_rows;
    const size_t pool_stride = n_heads * n_rows;
    double flops = 0.0;

    if (cfg->scope == PTC_QUANTILE_PER_BATCH) {
        size_t n = 0;
        for (size_t b = 0; b < batch; b++)
            n += pool_sample(tok, state, b, ws.pool + n);
        qsort(ws.pool, n, sizeof(float), cmp_float);
        const double qa = ptc_quantile_linear(ws.pool, n, cfg->q_low);
        const double qb = ptc_quantile_linear(ws.pool, n, cfg->q_high);
        for (size_t b = 0; b < batch; b++) {
            state->quartiles[2 * b] = qa;
            state->quartiles[2 * b + 1] = qb;
        }
        flops += sort_flops(n);
    }

    double *sample_flops = ws.flops;
#pragma omp parallel for schedule(static) if (batch > 1 && n_heads * n_rows * batch > 4096)
    for (size_t b = 0; b < batch; b++) {
        double f = 0.0;
        if (cfg->scope == PTC_QUANTILE_PER_SAMPLE) {
            float *pool = ws.pool + b * pool_stride;
            const size_t n = pool_sample(tok, state, b, pool);
            qsort(pool, n, sizeof(float), cmp_float);
            state->quartiles[2 * b] = ptc_quantile_linear(pool, n, cfg->q_low);
            state->quartiles[2 * b + 1] = ptc_quantile_linear(pool, n, cfg->q_high);
            f += sort_flops(n);
        }
        const double qa = state->quartiles[2 * b], qb = state->quartiles[2 * b + 1];
        const size_t len = ptc_tok_len(tok, b);
        uint8_t *protect = ws.protect + b * n_rows;
        int32_t *keep_pos = ws.keep_pos + b * n_rows;
        uint64_t *keys = ws.keys + b * n_rows;
        for (size_t h = 0; h < n_heads; h++) {
            const size_t base = (b * n_heads + h) * n_rows;
            int32_t *kept = state->kept + base;
            float *imp = state->importance + base;
            const size_t t = (size_t)state->count[b * n_heads + h];
            for (size_t j = 0; j < t; j++) {
                const size_t r = (size_t)kept[j];
                protect[j] = r >= tok->n_text || (cfg->protect_cls && r == 0 && len > 0) ||
                             (cfg->protect_sep && len > 0 && r == len - 1);
            }
            const size_t n_keep = ptc_prune_head(cfg, qa, qb, t, imp, protect, keep_pos, keys);
            /* compose: kept_next[s] = kept_now[keep_pos[s]], keep_pos ascending, in place */
            for (size_t s = 0; s < n_keep; s++) {
                kept[s] = kept[keep_pos[s]];
                imp[s] = imp[keep_pos[s]];
            }
            state->count[b * n_heads + h] = (int32_t)n_keep;
            f += sort_flops(t) + (double)t;
        }
        sample_flops[b] = f;
    }
    state->has_importance = false;

    if (stats) {
        for (size_t b = 0; b < batch; b++)
            flops += sample_flops[b];
        ptc_stat_acc keys_next = ptc_stat_begin();
        for (size_t i = 0; i < batch * n_heads; i++)
            ptc_stat_add(&keys_next, state->count[i]);
        stats->keys_next = ptc_stat_end(&keys_next);
        stats->n_keys_next = 1;
        stats->flops_selection += flops;
        stats->bytes_scores += batch * (pool_stride * sizeof(float) +
                                        n_rows * (sizeof(uint64_t) + sizeof(int32_t) + 1));
    }
    return PTC_OK;
}

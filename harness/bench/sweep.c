/*
 * harness/bench/sweep.c — the expansion of a sweep into configurations: ids,
 * labels, FLOP estimates, the checks of every value (contract: harness/bench/sweep.h;
 * the options themselves: sweep_opts.c). No ops calls except the table lookup that
 * validates --isa; no OpenMP.
 */
#include "bench/sweep.h"
#include "common/sys.h" /* ptc_hash_string */

#include "common/options.h"
#include "ptc/ops.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONFIGS 20000

/* ---- configurations ----------------------------------------------------------------- */

void ptc_sweep_config_finish(ptc_sweep_config *c)
{
    char *id = c->id;
    const size_t len = sizeof c->id;
    int n = snprintf(id, len, "level=%s;model=%s;hidden=%d;layers=%d;heads=%d;ffn=%d;seq=%d;batch=%d",
                     ptc_level_name(c->level), c->model.name, c->model.hidden, c->model.layers,
                     c->model.heads, c->model.ffn, c->seq, c->batch);
    if (c->level != PTC_LEVEL_KERNEL)
        n += snprintf(id + n, len - (size_t)n, ";pad=%s", ptc_pad_name(c->pad));
    n += snprintf(id + n, len - (size_t)n, ";isa=%s;threads=%d", c->isa, c->threads);
    if (c->train)
        n += snprintf(id + n, len - (size_t)n, ";phase=train");
    memcpy(c->group, id, (size_t)n + 1);
    n += snprintf(id + n, len - (size_t)n, ";variant=%s", ptc_sweep_variant_name(c->variant));
    if (c->has_rule)
        n += snprintf(id + n, len - (size_t)n, ";rule=%s", ptc_rule_name(c->rule));
    if (c->has_p)
        n += snprintf(id + n, len - (size_t)n, ";p=%.10g", c->p);
    if (c->has_lc)
        n += snprintf(id + n, len - (size_t)n, ";lc=%d", c->lc);
    if (c->has_m)
        n += snprintf(id + n, len - (size_t)n, ";m=%d", c->m);
    if (c->has_project)
        n += snprintf(id + n, len - (size_t)n, ";project_kept=%s", c->project_kept ? "on" : "off");
    for (size_t i = 0; c->has_keep && i < c->keep.n; i++) /* the token variants' settings */
        n += snprintf(id + n, len - (size_t)n, "%s%.10g", i ? "," : ";keep=", c->keep.v[i]);
    if (c->has_tome_r)
        n += snprintf(id + n, len - (size_t)n, ";r=%d", c->tome_r);
    if (c->has_ltp)
        snprintf(id + n, len - (size_t)n, ";theta=%.10g", c->ltp_threshold);
    char tag[128]; /* and in the label */
    ptc_sweep_token_tag(c, tag, sizeof tag);

    static const char *const prune_label[] = {"PF", "P", "PF-within"};
    switch (c->variant) {
    case PTC_VARIANT_BASELINE:
        snprintf(c->label, sizeof c->label, "BERT");
        break;
    case PTC_VARIANT_PRUNE:
        snprintf(c->label, sizeof c->label, "%s", prune_label[c->rule]);
        break;
    case PTC_VARIANT_COMBINE:
        if (c->has_lc)
            snprintf(c->label, sizeof c->label, "C L%d", c->lc);
        else
            snprintf(c->label, sizeof c->label, "C");
        break;
    case PTC_VARIANT_PRUNE_COMBINE:
        if (c->rule == PTC_PRUNE_CLAMP)
            snprintf(c->label, sizeof c->label, "PFC L%d", c->lc);
        else
            snprintf(c->label, sizeof c->label, "%s+C L%d", prune_label[c->rule], c->lc);
        break;
    case PTC_VARIANT_TOKEN_TOPK:
    case PTC_VARIANT_TOKEN_LTP:
    case PTC_VARIANT_TOKEN_TOME:
        snprintf(c->label, sizeof c->label, "%s%s%.30s", ptc_variant_paper_name(c->variant, c->rule),
                 tag[0] ? " " : "", tag);
        break;
    }
}

size_t ptc_sweep_token_tag(const ptc_sweep_config *c, char *buf, size_t len)
{
    ptc_variant_config vc;
    ptc_variant_config_default(&vc, c->variant);
    vc.n_layers = (size_t)c->model.layers;
    if (c->has_keep)
        ptc_token_set_keep_ratios(&vc, c->keep.v, c->keep.n);
    vc.token.merge_r = (size_t)c->tome_r;
    if (c->has_ltp)
        return (size_t)snprintf(buf, len, "t%g", c->ltp_threshold);
    return c->has_keep || c->has_tome_r ? ptc_token_options_tag(&vc, buf, len) : (len ? (buf[0] = '\0', 0) : 0);
}

/* Keys kept per head after one selection at ratio p (the topk count; clamp keeps
 * at least that many and usually exactly that many at p >= 0.75). */
static double kept_after(double t, double p)
{
    return (double)ptc_prune_keep_count(p, (size_t)t);
}

double ptc_sweep_estimate_flops(const ptc_sweep_config *c)
{
    const double n = c->seq, h = c->model.hidden, ffn = c->model.ffn, d = h / c->model.heads;
    const double p = c->has_p ? c->p : 1.0;
    double f = 0;
    switch (c->level) {
    case PTC_LEVEL_KERNEL: {
        const double kv = c->variant == PTC_VARIANT_PRUNE ? kept_after(n, p) : n;
        f = ptc_flops_attention_head(n, kv, d);
        break;
    }
    case PTC_LEVEL_LAYER:
        if (c->variant == PTC_VARIANT_COMBINE) {
            f = ptc_flops_combine(n, c->m, h);
        } else {
            const double kv = c->variant == PTC_VARIANT_PRUNE ? kept_after(n, p) : n;
            const double rows = c->has_project && !c->project_kept ? n : kv;
            f = ptc_flops_encoder_layer(n, kv, rows, h, ffn);
        }
        break;
    case PTC_LEVEL_ENCODER: {
        ptc_variant_config vc; /* the plan's layer rules */
        ptc_variant_config_default(&vc, c->variant);
        vc.n_layers = (size_t)c->model.layers;
        vc.combine_layer = (size_t)c->lc;
        vc.hidden = (size_t)c->model.hidden;
        vc.n_comb = ptc_variant_combines(c->variant) ? (size_t)c->m : 0;
        f = ptc_flops_encoder(&vc, n, ffn, p, c->has_project && !c->project_kept);
        break;
    }
    }
    return f * c->batch * (c->train ? 3.0 : 1.0); /* backward: about twice the forward */
}

static bool variant_exists(ptc_level level, ptc_variant v)
{
    if (ptc_variant_prunes_tokens(v)) /* token removal happens between layers */
        return level == PTC_LEVEL_ENCODER;
    if (level == PTC_LEVEL_KERNEL)
        return v == PTC_VARIANT_BASELINE || v == PTC_VARIANT_PRUNE;
    if (level == PTC_LEVEL_LAYER)
        return v != PTC_VARIANT_PRUNE_COMBINE;
    return true;
}

/* the configurations so far, with an open-addressing set of their ids (slot:
 * index + 1, 0 empty; power-of-two size, at most half full) */
typedef struct config_list {
    ptc_sweep_config *items;
    size_t n, cap;
    uint32_t *slot;
    size_t n_slot;
} config_list;

static void config_list_free(config_list *l)
{
    free(l->items);
    free(l->slot);
}

static int push_unique(config_list *l, const ptc_sweep_config *c, char *err, size_t len)
{
    if (!l->slot) {
        l->n_slot = 1;
        while (l->n_slot < 2 * (size_t)MAX_CONFIGS)
            l->n_slot *= 2;
        l->slot = calloc(l->n_slot, sizeof *l->slot);
        if (!l->slot)
            return ptc_opt_fail(err, len, "out of memory");
    }
    size_t h = (size_t)ptc_hash_string(c->id) & (l->n_slot - 1);
    for (; l->slot[h]; h = (h + 1) & (l->n_slot - 1))
        if (strcmp(l->items[l->slot[h] - 1].id, c->id) == 0)
            return PTC_OK;
    if (l->n == MAX_CONFIGS)
        return ptc_opt_fail(err, len, "the sweep has more than %d configurations", MAX_CONFIGS);
    if (l->n == l->cap) {
        const size_t cap = l->cap ? 2 * l->cap : 64;
        ptc_sweep_config *t = realloc(l->items, cap * sizeof *t);
        if (!t)
            return ptc_opt_fail(err, len, "out of memory");
        l->items = t;
        l->cap = cap;
    }
    l->items[l->n++] = *c;
    l->slot[h] = (uint32_t)l->n;
    return PTC_OK;
}

/* Resolves an --isa name to a runnable table name. */
static int resolve_isa(const char *name, char *out, size_t out_len, char *err, size_t len)
{
    size_t n;
    const ptc_ops *const *all = ptc_ops_all(&n);
    if (strcmp(name, "best") == 0) {
        for (size_t i = 0; i < n; i++)
            if (ptc_ops_supported(all[i])) {
                snprintf(out, out_len, "%s", all[i]->name);
                return PTC_OK;
            }
        return ptc_opt_fail(err, len, "--isa best: no table of this build runs on this CPU");
    }
    const ptc_ops *ops = ptc_ops_find(name);
    if (!ops) {
        char known[96] = "";
        for (size_t i = 0; i < n; i++)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                     all[i]->name);
        return ptc_opt_fail(err, len, "--isa: this build has no table '%s' (it has %s, or best)", name, known);
    }
    if (!ptc_ops_supported(ops))
        return ptc_opt_fail(err, len, "--isa: this CPU cannot run the %s table", name);
    snprintf(out, out_len, "%s", ops->name);
    return PTC_OK;
}

static int expand_section(const ptc_sweep_section *s0, int max_threads, config_list *l,
                          size_t *skipped, char *err, size_t len)
{
    /* defaults (the rows' def) for the dimensions not given */
    ptc_sweep_section s = *s0;
    const ptc_sweep_section *d = ptc_sweep_default_section();
#define DEFAULT(n, field)                                   \
    if (!s.n) {                                             \
        s.n = d->n;                                         \
        memcpy(s.field, d->field, sizeof s.field);          \
    }
    DEFAULT(n_level, level)
    DEFAULT(n_variant, variant)
    DEFAULT(n_rule, rule)
    DEFAULT(n_p, p)
    DEFAULT(n_m, m)
    DEFAULT(n_isa, isa)
    DEFAULT(n_threads, threads)
    DEFAULT(n_model, model)
    DEFAULT(n_seq, seq)
    DEFAULT(n_batch, batch)
    DEFAULT(n_pad, pad)
    DEFAULT(n_project, project_kept)
    DEFAULT(n_phase, train)
    DEFAULT(n_tome_r, tome_r)
    DEFAULT(n_ltp, ltp_threshold)
#undef DEFAULT
    if (!s0->n_variant)
        memcpy(s.variant_rule, d->variant_rule, sizeof s.variant_rule);

    char isa[PTC_SWEEP_MAX_ISAS][16];
    for (int i = 0; i < s.n_isa; i++)
        if (resolve_isa(s.isa[i], isa[i], sizeof isa[i], err, len) != PTC_OK)
            return PTC_EINVAL;
    for (int i = 0; i < s.n_threads; i++)
        if (max_threads > 0 && s.threads[i] > max_threads)
            return ptc_opt_fail(err, len, "--threads: %d exceeds the %d hardware threads this process may use "
                        "(threads are bound one per hardware thread)", s.threads[i], max_threads);
    bool combines = false;
    for (int v = 0; v < s.n_variant; v++)
        combines |= s.variant[v] == PTC_VARIANT_COMBINE || s.variant[v] == PTC_VARIANT_PRUNE_COMBINE;
    bool at_encoder = false;
    for (int i = 0; i < s.n_level; i++)
        at_encoder |= s.level[i] == PTC_LEVEL_ENCODER;
    for (int mi = 0; mi < s.n_model; mi++) {
        const ptc_model_shape *m = &s.model[mi];
        if (m->heads < 1 || m->hidden % m->heads != 0)
            return ptc_opt_fail(err, len, "--model: %d heads do not divide hidden %d", m->heads, m->hidden);
        if (combines && at_encoder && s0->n_lc)
            for (int i = 0; i < s.n_lc; i++)
                if (s.lc[i] < 1 || s.lc[i] > m->layers)
                    return ptc_opt_fail(err, len, "--lc: L_c = %d is outside 1..%d (the layers of %s)",
                                s.lc[i], m->layers, m->name);
    }

    for (int li = 0; li < s.n_level; li++)
    for (int mi = 0; mi < s.n_model; mi++)
    for (int ii = 0; ii < s.n_isa; ii++)
    for (int ti = 0; ti < s.n_threads; ti++)
    for (int si = 0; si < s.n_seq; si++)
    for (int bi = 0; bi < s.n_batch; bi++)
    for (int pi = 0; pi < s.n_pad; pi++)
    for (int hi = 0; hi < s.n_phase; hi++)
    for (int vi = 0; vi < s.n_variant; vi++) {
        const ptc_level level = s.level[li];
        const ptc_variant v = s.variant[vi];
        const ptc_model_shape *model = &s.model[mi];
        const bool prune = v == PTC_VARIANT_PRUNE || v == PTC_VARIANT_PRUNE_COMBINE;
        const bool comb = v == PTC_VARIANT_COMBINE || v == PTC_VARIANT_PRUNE_COMBINE;
        const bool keep_lists = v == PTC_VARIANT_TOKEN_TOPK && s.n_keep; /* they replace p */
        const bool uses_p = prune || (v == PTC_VARIANT_TOKEN_TOPK && !keep_lists); /* TopK: p keeps tokens */
        const int n_token = keep_lists ? s.n_keep : v == PTC_VARIANT_TOKEN_TOME ? s.n_tome_r
                            : v == PTC_VARIANT_TOKEN_LTP ? s.n_ltp : 1;
        if (level == PTC_LEVEL_KERNEL && pi > 0)
            continue; /* kernel level has no pads: one pad value */
        if (!variant_exists(level, v) || (s.train[hi] && level != PTC_LEVEL_ENCODER)) {
            (*skipped)++; /* training steps are measured on the whole encoder only */
            continue;
        }
        const bool has_lc = comb && level == PTC_LEVEL_ENCODER;
        const bool has_project = prune && level != PTC_LEVEL_KERNEL;
        int lc_default[1] = {model->layers < 7 ? model->layers : 7};
        const int *lcs = s0->n_lc ? s.lc : lc_default;
        const int n_lc = has_lc ? (s0->n_lc ? s.n_lc : 1) : 1;
        /* a name that implies a rule (P, PF) fixes it unless --rule was given */
        const bool implied = s.variant_rule[vi] >= 0 && !s0->n_rule;
        const ptc_prune_rule implied_rule[1] = {(ptc_prune_rule)s.variant_rule[vi]};
        const ptc_prune_rule *rules = implied ? implied_rule : s.rule;
        for (int ri = 0; ri < (prune ? (implied ? 1 : s.n_rule) : 1); ri++)
        for (int qi = 0; qi < (uses_p ? s.n_p : 1); qi++)
        for (int ci = 0; ci < n_lc; ci++)
        for (int ki = 0; ki < (comb ? s.n_m : 1); ki++)
        for (int ji = 0; ji < (has_project ? s.n_project : 1); ji++)
        for (int oi = 0; oi < n_token; oi++) {
            ptc_sweep_config c;
            memset(&c, 0, sizeof c);
            c.level = level;
            c.variant = v;
            c.model = *model;
            c.seq = s.seq[si];
            c.batch = s.batch[bi];
            c.pad = level == PTC_LEVEL_KERNEL ? PTC_PAD_LENGTH_AWARE : s.pad[pi];
            snprintf(c.isa, sizeof c.isa, "%.15s", isa[ii]);
            c.threads = s.threads[ti];
            c.has_rule = prune;
            c.has_p = uses_p;
            c.rule = prune ? rules[ri] : PTC_PRUNE_CLAMP;
            c.p = uses_p ? s.p[qi] : 1.0;
            c.has_lc = has_lc;
            c.lc = has_lc ? lcs[ci] : 0;
            c.has_m = comb;
            c.m = comb ? s.m[ki] : 0;
            c.has_project = has_project;
            c.project_kept = has_project ? s.project_kept[ji] : true;
            c.train = s.train[hi];
            c.has_keep = keep_lists;
            if (keep_lists)
                c.keep = s.keep[oi];
            c.has_tome_r = v == PTC_VARIANT_TOKEN_TOME;
            c.tome_r = c.has_tome_r ? s.tome_r[oi] : 0;
            c.has_ltp = v == PTC_VARIANT_TOKEN_LTP;
            c.ltp_threshold = c.has_ltp ? s.ltp_threshold[oi] : 0;
            ptc_sweep_config_finish(&c);
            c.est_flops = ptc_sweep_estimate_flops(&c);
            if (push_unique(l, &c, err, len) != PTC_OK)
                return PTC_EINVAL;
        }
    }
    return PTC_OK;
}

/* ---- group order: n log n (two sorts), stable within a group ---------------------- */
typedef struct group_slot {
    const char *group;
    size_t index;      /* in expansion order */
    size_t first;      /* index of the group's first configuration */
    bool baseline;
} group_slot;

static int by_group_then_index(const void *pa, const void *pb)
{
    const group_slot *a = pa, *b = pb;
    const int d = strcmp(a->group, b->group);
    return d ? d : (a->index > b->index) - (a->index < b->index);
}

static int by_first_baseline_index(const void *pa, const void *pb)
{
    const group_slot *a = pa, *b = pb;
    if (a->first != b->first)
        return (a->first > b->first) - (a->first < b->first);
    if (a->baseline != b->baseline)
        return a->baseline ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

/* order[0..n): the configurations with each group contiguous, groups in order of
 * first appearance, a group's baselines first, otherwise in expansion order */
static void group_order(const ptc_sweep_config *c, size_t n, group_slot *order)
{
    for (size_t i = 0; i < n; i++)
        order[i] = (group_slot){c[i].group, i, 0, c[i].variant == PTC_VARIANT_BASELINE};
    qsort(order, n, sizeof *order, by_group_then_index);
    for (size_t i = 0; i < n; i++)
        order[i].first = i > 0 && strcmp(order[i].group, order[i - 1].group) == 0 ? order[i - 1].first
                                                                                  : order[i].index;
    qsort(order, n, sizeof *order, by_first_baseline_index);
}

int ptc_sweep_expand(const ptc_sweep_opts *o, int max_threads, ptc_sweep_config **out,
                     size_t *n_out, size_t *skipped, char *err, size_t err_len)
{
    config_list l = {0};
    *out = NULL;
    *n_out = 0;
    *skipped = 0;
    for (int i = 0; i < o->n_sections; i++) {
        if (i > 0 && ptc_sweep_section_empty(&o->sections[i]))
            continue; /* a trailing "---" */
        if (expand_section(&o->sections[i], max_threads, &l, skipped, err, err_len) != PTC_OK) {
            config_list_free(&l);
            return PTC_EINVAL;
        }
    }
    if (l.n == 0) {
        config_list_free(&l);
        return ptc_opt_fail(err, err_len, "the sweep has no configuration (%zu combinations do not exist "
                    "at their level: kernel has baseline and prune, layer adds combine)", *skipped);
    }
    /* groups contiguous, in order of first appearance; the baseline first in its group */
    ptc_sweep_config *sorted = malloc(l.n * sizeof *sorted);
    group_slot *order = calloc(l.n, sizeof *order);
    if (!sorted || !order) {
        free(sorted);
        free(order);
        config_list_free(&l);
        return ptc_opt_fail(err, err_len, "out of memory");
    }
    group_order(l.items, l.n, order);
    for (size_t k = 0; k < l.n; k++)
        sorted[k] = l.items[order[k].index];
    *out = sorted;
    *n_out = l.n;
    free(order);
    config_list_free(&l);
    return PTC_OK;
}


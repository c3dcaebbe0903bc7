/*
 * model/infer_config.c — inference config = checkpoint config + options
 * (contract: include/ptc/infer.h): which variant may run on which checkpoint,
 * the settings each point of a sweep takes from the options, the checkpoint or
 * the variant's defaults, and the checks of a checkpoint against the data.
 */
#include "internal.h"

#include "ptc/infer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ptc_infer_parse_keep_ratios(const char *s, ptc_keep_ratios *out, size_t max, char *err,
                                size_t err_len)
{
    size_t n = 0;
    const char *c = s;
    while (c && *c) {
        if (n == max) {
            ptc_model_fail(err, err_len, "--keep-ratios '%.200s': more than %zu lists", s, max);
            return -1;
        }
        ptc_keep_ratios *k = &out[n++];
        k->n = 0;
        for (;;) {
            char *end;
            const double v = strtod(c, &end);
            if (end == c || !(v > 0.0 && v <= 1.0) || k->n == PTC_MAX_LAYERS) {
                ptc_model_fail(err, err_len, "--keep-ratios '%.200s': %s", s,
                               k->n == PTC_MAX_LAYERS ? "more ratios than layers"
                                                      : "ratios in (0, 1], ',' within a list, ';' between lists");
                return -1;
            }
            k->v[k->n++] = v;
            c = end;
            if (*c != ',')
                break;
            c++;
        }
        if (*c == ';')
            c++;
        else if (*c) {
            ptc_model_fail(err, err_len, "--keep-ratios '%.200s': unexpected '%c'", s, *c);
            return -1;
        }
    }
    if (n == 0)
        ptc_model_fail(err, err_len, "--keep-ratios: empty");
    return n ? (int)n : -1;
}

int ptc_infer_check_checkpoint(const char *path, const ptc_model_config *ck,
                               const ptc_model_config *shape, size_t vocab_size, size_t n_classes,
                               char *err, size_t err_len)
{
    if (shape && (shape->hidden != ck->hidden || shape->n_layers != ck->n_layers ||
                  shape->n_heads != ck->n_heads || shape->ffn != ck->ffn))
        return ptc_model_fail(err, err_len,
                              "%s: config mismatch: the checkpoint is hidden %zu, layers %zu, heads "
                              "%zu, ffn %zu; the options say %zu, %zu, %zu, %zu",
                              path, ck->hidden, ck->n_layers, ck->n_heads, ck->ffn, shape->hidden,
                              shape->n_layers, shape->n_heads, shape->ffn);
    if (ck->n_classes != n_classes)
        return ptc_model_fail(err, err_len, "%s: config mismatch: %zu classes, the data has %zu",
                              path, ck->n_classes, n_classes);
    if (ck->vocab_size != vocab_size)
        return ptc_model_fail(err, err_len,
                              "%s: config mismatch: vocabulary of %zu, the tokenizer has %zu", path,
                              ck->vocab_size, vocab_size);
    return PTC_OK;
}

/* One point's settings (0 / NULL: not given). */
typedef struct infer_point {
    double p;
    const char *rule;
    size_t lc;
    const ptc_keep_ratios *keep;
    size_t tome_r;
} infer_point;

/* Which options the variant var takes; a one-line error for one it does not. */
static int check_applies(const ptc_infer_options *o, ptc_variant var, const ptc_variant_config *tv,
                         const char *trained, char *err, size_t err_len)
{
    const bool c = ptc_variant_combines(var);
    const bool pr = ptc_variant_prunes(var) || var == PTC_VARIANT_TOKEN_TOPK;
    if (var == PTC_VARIANT_TOKEN_LTP && tv->variant != PTC_VARIANT_TOKEN_LTP)
        return ptc_model_fail(err, err_len, "--variant LTP needs learned thresholds; this "
                              "checkpoint was trained as %s", trained);
    if (c && !ptc_variant_combines(tv->variant))
        return ptc_model_fail(err, err_len, "--variant %s needs trained combining tensors; this "
                              "checkpoint was trained as %s",
                              o->variant ? o->variant : trained, trained);
    if (!c && o->n_lc)
        return ptc_model_fail(err, err_len, "--lc applies to the C and PFC variants only");
    if (!pr && o->n_p)
        return ptc_model_fail(err, err_len, "--p applies to the P, PF, PFC and TopK variants only");
    if (!ptc_variant_prunes(var) && o->n_rules)
        return ptc_model_fail(err, err_len, "--rule applies to the P, PF and PFC variants only");
    if (var != PTC_VARIANT_TOKEN_TOPK && o->n_keep)
        return ptc_model_fail(err, err_len, "--keep-ratios applies to the TopK variant only");
    if (var == PTC_VARIANT_TOKEN_TOPK && o->n_keep && o->n_p)
        return ptc_model_fail(err, err_len, "--p and --keep-ratios conflict (TopK: p is one keep "
                              "ratio for every removing layer)");
    if (var != PTC_VARIANT_TOKEN_TOME && o->n_tome_r)
        return ptc_model_fail(err, err_len, "--tome-r applies to the ToMe variant only");
    return PTC_OK;
}

/* The variant config of one point on checkpoint ck. */
static int point_variant(const ptc_model_config *ck, const ptc_infer_options *o, ptc_variant var,
                         int rule_hint, const infer_point *pt, ptc_variant_config *vc, char *err,
                         size_t err_len)
{
    const ptc_variant_config *tv = &ck->variant;
    const bool same = var == tv->variant;
    ptc_variant_config_default(vc, var);
    vc->n_layers = ck->n_layers;
    vc->hidden = ck->hidden;
    vc->n_heads = ck->n_heads;
    /* rule: the point's, else the checkpoint's (no --variant), else the name's, else clamp */
    if (pt->rule) {
        if (ptc_parse_rule(pt->rule, &vc->prune.rule, err, err_len) != 0)
            return PTC_EINVAL;
    } else if (!o->variant && ptc_variant_prunes(tv->variant)) {
        vc->prune.rule = tv->prune.rule;
    } else if (rule_hint >= 0) {
        vc->prune.rule = (ptc_prune_rule)rule_hint;
    }
    vc->prune.p = pt->p > 0                                                             ? pt->p
                  : ptc_variant_prunes(tv->variant) || ptc_variant_prunes_tokens(tv->variant) ? tv->prune.p
                                                                                         : 0.9;
    vc->pad_mode = tv->pad_mode;
    if (o->pad_mode && ptc_parse_pad(o->pad_mode, &vc->pad_mode, err, err_len) != 0)
        return PTC_EINVAL;
    if (ptc_variant_combines(var)) {
        vc->combine_layer = pt->lc ? pt->lc : tv->combine_layer;
        vc->n_comb = tv->n_comb;
    }
    if (same)
        vc->token = tv->token; /* the trained keep ratios, r, LTP's T and lambda */
    if (var == PTC_VARIANT_TOKEN_TOPK && pt->p > 0)
        memset(vc->token.keep, 0, sizeof vc->token.keep); /* p: every removing layer */
    if (pt->keep)
        ptc_token_set_keep_ratios(vc, pt->keep->v, pt->keep->n);
    if (pt->tome_r)
        vc->token.merge_r = pt->tome_r;
    return PTC_OK;
}

static int point_config(const ptc_model_config *ck, const ptc_infer_options *o,
                        const infer_point *pt, ptc_model_config *out, char *err, size_t err_len)
{
    const ptc_variant_config *tv = &ck->variant;
    const char *trained = ptc_variant_name(tv);
    ptc_variant var = tv->variant;
    int rule_hint = -1;
    if (o->variant && ptc_parse_variant(o->variant, &var, &rule_hint, err, err_len) != 0)
        return PTC_EINVAL;
    if (check_applies(o, var, tv, trained, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    if (o->max_len > ck->max_positions)
        return ptc_model_fail(err, err_len, "--max-len %zu exceeds the model's %zu positions",
                              o->max_len, ck->max_positions);
    *out = *ck;
    if (point_variant(ck, o, var, rule_hint, pt, &out->variant, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    ptc_model_config_sync(out);
    return ptc_model_config_check(out, err, err_len);
}

int ptc_infer_configs(const ptc_model_config *ck, const ptc_infer_options *o,
                      ptc_model_config *out, size_t max, size_t *n, char *err, size_t err_len)
{
    const size_t np = o->n_p ? o->n_p : 1, nr = o->n_rules ? o->n_rules : 1,
                 nl = o->n_lc ? o->n_lc : 1, nk = o->n_keep ? o->n_keep : 1,
                 nt = o->n_tome_r ? o->n_tome_r : 1;
    *n = 0;
    for (size_t i = 0; i < np * nr * nl * nk * nt; i++) {
        size_t q = i;
        const size_t it = q % nt, ik = (q /= nt) % nk, il = (q /= nk) % nl, ir = (q /= nl) % nr,
                     ip = q / nr;
        const infer_point pt = {
            .p = o->n_p ? o->p[ip] : 0,
            .rule = o->n_rules ? o->rules[ir] : NULL,
            .lc = o->n_lc ? o->lc[il] : 0,
            .keep = o->n_keep ? &o->keep[ik] : NULL,
            .tome_r = o->n_tome_r ? o->tome_r[it] : 0,
        };
        if (*n == max)
            return ptc_model_fail(err, err_len, "at most %zu sweep point(s) here", max);
        if (point_config(ck, o, &pt, &out[*n], err, err_len) != PTC_OK)
            return PTC_EINVAL;
        (*n)++;
    }
    return PTC_OK;
}

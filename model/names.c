/*
 * model/names.c — the one spelling of the library's names (contract:
 * include/ptc/model.h, "names"): variants (the paper's and the long ones), pruning
 * rules, pad modes (model presets by name: config.c, beside their table). Every command, row, table and
 * checkpoint uses these.
 */
#include "internal.h"

#include <string.h>

static const struct {
    const char *name;
    ptc_variant variant;
    int rule; /* implied rule or -1 */
} variant_vocab[] = {
    {"BERT", PTC_VARIANT_BASELINE, -1},
    {"baseline", PTC_VARIANT_BASELINE, -1},
    {"P", PTC_VARIANT_PRUNE, PTC_PRUNE_TOPK},
    {"PF", PTC_VARIANT_PRUNE, PTC_PRUNE_CLAMP},
    {"prune", PTC_VARIANT_PRUNE, -1},
    {"C", PTC_VARIANT_COMBINE, -1},
    {"combine", PTC_VARIANT_COMBINE, -1},
    {"PFC", PTC_VARIANT_PRUNE_COMBINE, -1},
    {"combined", PTC_VARIANT_PRUNE_COMBINE, -1},
};
#define VARIANT_NAMES "BERT|baseline, P, PF|prune, C|combine, PFC|combined"

int ptc_parse_variant(const char *s, ptc_variant *v, int *rule_hint, char *err, size_t len)
{
    for (size_t i = 0; i < sizeof variant_vocab / sizeof variant_vocab[0]; i++)
        if (strcmp(s, variant_vocab[i].name) == 0) {
            *v = variant_vocab[i].variant;
            *rule_hint = variant_vocab[i].rule;
            return 0;
        }
    return ptc_model_fail(err, len, "unknown variant '%s' (" VARIANT_NAMES ")", s);
}

const char *ptc_variant_learn_name(ptc_variant v, int rule_hint)
{
    switch (v) {
    case PTC_VARIANT_BASELINE: return "baseline";
    case PTC_VARIANT_PRUNE: return rule_hint == PTC_PRUNE_TOPK ? "P" : "PF";
    case PTC_VARIANT_COMBINE: return "C";
    default: return "PFC";
    }
}

const char *ptc_variant_paper_name(ptc_variant v, ptc_prune_rule rule)
{
    if (v == PTC_VARIANT_PRUNE)
        return rule == PTC_PRUNE_TOPK ? "P" : "PF";
    return v == PTC_VARIANT_BASELINE ? "BERT" : v == PTC_VARIANT_COMBINE ? "C" : "PFC";
}

const char *const ptc_rule_names[3] = {"clamp", "topk", "within"}; /* by ptc_prune_rule */
const char *const ptc_pad_names[2] = {"length-aware", "padded"};    /* by ptc_pad_mode */

const char *ptc_rule_name(ptc_prune_rule r) { return ptc_rule_names[r]; }
const char *ptc_pad_name(ptc_pad_mode p) { return ptc_pad_names[p]; }

int ptc_parse_rule(const char *s, ptc_prune_rule *r, char *err, size_t len)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, ptc_rule_names[i]) == 0) {
            *r = (ptc_prune_rule)i;
            return 0;
        }
    return ptc_model_fail(err, len, "unknown rule '%s' (topk, clamp, within)", s);
}

int ptc_parse_pad(const char *s, ptc_pad_mode *p, char *err, size_t len)
{
    for (int i = 0; i < 2; i++)
        if (strcmp(s, ptc_pad_names[i]) == 0) {
            *p = (ptc_pad_mode)i;
            return 0;
        }
    return ptc_model_fail(err, len, "unknown pad mode '%s' (length-aware, padded)", s);
}

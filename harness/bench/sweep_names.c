/*
 * harness/bench/sweep_names.c — the names and value lists of `ptc bench` options:
 * levels and sweep variants by name, model presets and shapes, integer and number
 * lists. Contract: harness/bench/sweep.h.
 */
#include "bench/sweep.h"

#include "common/options.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ---------------------------------------------------------------------- */

const char *const ptc_level_names[3] = {"kernel", "layer", "encoder"};
static const char *const variant_names[] = {"baseline", "prune", "combine", "combined",
                                            "TopK", "LTP", "ToMe"}; /* by ptc_variant */

const char *ptc_level_name(ptc_level l) { return ptc_level_names[l]; }
const char *ptc_sweep_variant_name(ptc_variant v) { return variant_names[v]; }

/* A preset of model/config.c as a sweep shape. */
static ptc_model_shape preset_shape(const ptc_model_preset *p)
{
    ptc_model_shape m = {.hidden = (int)p->hidden, .layers = (int)p->layers, .heads = (int)p->heads,
                         .ffn = (int)p->ffn};
    snprintf(m.name, sizeof m.name, "%s", p->name);
    return m;
}

/* ---- lists and ranges ------------------------------------------------------------- */

int ptc_sweep_parse_ints(const char *s, int *out, int max, int min_value, const char *what,
                         char *err, size_t err_len)
{
    double v[PTC_SWEEP_MAX_LIST];
    const int n = ptc_parse_list(s, v, max < PTC_SWEEP_MAX_LIST ? max : PTC_SWEEP_MAX_LIST, true,
                                what, err, err_len);
    for (int i = 0; i < n; i++) {
        if (v[i] < min_value)
            return ptc_opt_fail(err, err_len, "%s: %.0f is below %d", what, v[i], min_value), -1;
        if (v[i] > 1e8)
            return ptc_opt_fail(err, err_len, "%s: %.0f is too large", what, v[i]), -1;
        out[i] = (int)v[i];
    }
    return n;
}

int ptc_sweep_parse_doubles(const char *s, double *out, int max, const char *what, char *err,
                            size_t err_len)
{
    return ptc_parse_list(s, out, max, false, what, err, err_len);
}

static bool all_digits_commas(const char *s)
{
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && *s != ',')
            return false;
    return true;
}

int ptc_sweep_parse_models(const char *s, ptc_model_shape *out, int max, char *err, size_t err_len)
{
    char pieces[PTC_SWEEP_MAX_MODELS][64];
    const int n_pieces = ptc_split_list(s, ';', pieces, PTC_SWEEP_MAX_MODELS);
    if (n_pieces < 0)
        return ptc_opt_fail(err, err_len, "--model: malformed list '%s'", s), -1;
    int n = 0;
    for (int i = 0; i < n_pieces; i++) {
        if (all_digits_commas(pieces[i])) {
            int v[8];
            const int k = ptc_sweep_parse_ints(pieces[i], v, 8, 1, "--model", err, err_len);
            if (k != 4)
                return k < 0 ? -1
                             : (ptc_opt_fail(err, err_len, "--model: '%s' needs hidden,layers,heads,ffn",
                                     pieces[i]), -1);
            if (v[0] % v[2] != 0)
                return ptc_opt_fail(err, err_len, "--model: %d heads do not divide hidden %d", v[2], v[0]), -1;
            if (v[1] > PTC_MAX_LAYERS)
                return ptc_opt_fail(err, err_len, "--model: %d layers, at most %d", v[1], PTC_MAX_LAYERS), -1;
            if (n >= max)
                return ptc_opt_fail(err, err_len, "--model: more than %d models", max), -1;
            out[n] = (ptc_model_shape){"custom", v[0], v[1], v[2], v[3]};
            n++;
            continue;
        }
        char names[PTC_SWEEP_MAX_MODELS][64];
        const int k = ptc_split_list(pieces[i], ',', names, PTC_SWEEP_MAX_MODELS);
        if (k < 0)
            return ptc_opt_fail(err, err_len, "--model: malformed list '%s'", pieces[i]), -1;
        for (int j = 0; j < k; j++) {
            char sub[200];
            const ptc_model_preset *p = ptc_parse_model_preset(names[j], sub, sizeof sub);
            if (!p)
                return ptc_opt_fail(err, err_len, "--model: %s, or hidden,layers,heads,ffn", sub), -1;
            if (n >= max)
                return ptc_opt_fail(err, err_len, "--model: more than %d models", max), -1;
            out[n++] = preset_shape(p);
        }
    }
    return n;
}

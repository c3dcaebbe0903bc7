/*
 * harness/learn/train_common.c — what `ptc train/eval/predict/experiment` share
 * (harness/learn/train.h): the model config, tokenizer and
 * dataset from options; step-time statistics. (Batches, evaluation and the
 * training loop are the library's: include/ptc/train.h.)
 */
#include "learn/train.h"
#include "ptc/stats.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

json_t *ptc_time_stats(const double *v, size_t n)
{
    json_t *o = json_object();
    if (n == 0) {
        json_object_set_new(o, "n", json_integer(0));
        return o;
    }
    ptc_sample_desc d;
    ptc_describe(v, n, &d);
    json_object_set_new(o, "median", json_real(d.median));
    json_object_set_new(o, "mean", json_real(d.mean));
    json_object_set_new(o, "stddev", json_real(d.sd));
    json_object_set_new(o, "min", json_real(d.min));
    json_object_set_new(o, "max", json_real(d.max));
    json_object_set_new(o, "cv", json_real(d.mean > 0 ? d.sd / d.mean : 0.0));
    json_object_set_new(o, "n", json_integer((json_int_t)n));
    return o;
}

/* a size option overrides its default when given (0: not given) */
static void set_given(size_t *field, size_t option)
{
    if (option)
        *field = option;
}

/* A pruning variant whose plan has no layer that attends over pruned keys computes
 * what its unpruned counterpart does (PFC with L_c <= prune_first + 1 is C: the layer
 * that would use the first selection is the one the combining module replaces).
 * Legal, but almost never what a user meant: one warning line on stderr. */
void ptc_warn_if_nothing_pruned(const ptc_model_config *cfg)
{
    const ptc_variant_config *vc = &cfg->variant;
    if (!ptc_variant_prunes(vc->variant))
        return;
    for (size_t l = 1; l <= cfg->n_layers; l++)
        if (ptc_plan_layer_selects(vc, l))
            return;
    fprintf(stderr, "ptc: warning: %s with %zu layers%s prunes no layer (no layer attends over "
            "pruned keys): it computes what %s computes\n",
            ptc_variant_combines(vc->variant) ? "PFC" : "P/PF", cfg->n_layers,
            ptc_variant_combines(vc->variant) ? " and this L_c" : "",
            ptc_variant_combines(vc->variant) ? "C" : "BERT");
}

/* --keep-ratios (TopK: layer prune_first + i gets item i, the last repeats),
 * --ltp-temperature, --ltp-lambda, --ltp-threshold-init and --tome-r into the
 * variant's token config; the
 * other variants never read them (an experiment passes them to every one). */
static void token_options(const ptc_run_opts *o, ptc_variant var, ptc_variant_config *vc)
{
    if (var == PTC_VARIANT_TOKEN_TOPK)
        ptc_token_set_keep_ratios(vc, o->keep_ratios.v, o->keep_ratios.n);
    if (o->ltp_temperature > 0)
        vc->token.temperature = o->ltp_temperature;
    if (o->ltp_lambda >= 0)
        vc->token.lambda = o->ltp_lambda;
    if (o->ltp_threshold_init >= 0)
        vc->token.threshold_init = o->ltp_threshold_init;
    if (o->tome_r)
        vc->token.merge_r = o->tome_r;
}

int ptc_run_model_config(const ptc_run_opts *o, size_t vocab_size, size_t n_classes,
                         ptc_model_config *cfg, char *err, size_t err_len)
{
    ptc_variant var;
    int rule_hint;
    if (ptc_parse_variant(o->variant, &var, &rule_hint, err, err_len) != 0)
        return -1;
    if (ptc_model_config_preset(cfg, o->model, var, err, err_len) != PTC_OK)
        return -1;
    set_given(&cfg->hidden, o->hidden);
    set_given(&cfg->n_layers, o->layers);
    set_given(&cfg->n_heads, o->heads);
    set_given(&cfg->ffn, o->ffn);
    cfg->vocab_size = vocab_size;
    cfg->n_classes = n_classes;
    if (o->dropout >= 0)
        cfg->dropout = (float)o->dropout;
    ptc_model_config_sync(cfg);
    ptc_variant_config *vc = &cfg->variant;
    if (rule_hint >= 0)
        vc->prune.rule = (ptc_prune_rule)rule_hint;
    if (o->rule && ptc_parse_rule(o->rule, &vc->prune.rule, err, err_len) != 0)
        return -1;
    if (o->p > 0)
        vc->prune.p = o->p;
    if (var == PTC_VARIANT_COMBINE || var == PTC_VARIANT_PRUNE_COMBINE) {
        vc->combine_layer = o->lc ? o->lc : (cfg->n_layers > 1 ? cfg->n_layers - 1 : 1);
        set_given(&vc->n_comb, o->m);
    } else if (o->lc || o->m) {
        snprintf(err, err_len, "--lc/--m apply to the C and PFC variants only");
        return -1;
    }
    if (o->pad_mode && ptc_parse_pad(o->pad_mode, &vc->pad_mode, err, err_len) != 0)
        return -1;
    token_options(o, var, vc);
    if (o->max_len > cfg->max_positions) {
        snprintf(err, err_len, "--max-len %zu exceeds the model's %zu positions", o->max_len,
                 cfg->max_positions);
        return -1;
    }
    if (ptc_model_config_check(cfg, err, err_len) != PTC_OK)
        return -1;
    ptc_warn_if_nothing_pruned(cfg);
    return 0;
}

static const char *find_vocab(const ptc_run_opts *o)
{
    if (o->vocab)
        return o->vocab;
    const char *env = getenv("PTC_VOCAB");
    if (env && *env)
        return env;
    static const char *const c[] = {"../shared/models/bert-base-uncased-vocab/vocab.txt",
                                    "../../shared/models/bert-base-uncased-vocab/vocab.txt"};
    for (size_t i = 0; i < 2; i++)
        if (access(c[i], R_OK) == 0)
            return c[i];
    return NULL;
}

static void synth_config(const ptc_run_opts *o, ptc_synthetic_config *c)
{
    ptc_synthetic_config_default(c);
    set_given(&c->n_train, o->synth_train);
    set_given(&c->n_dev, o->synth_dev);
    set_given(&c->n_test, o->synth_test);
    set_given(&c->n_classes, o->synth_classes);
    c->seed = o->split_seed;
}

static bool is_synthetic(const ptc_run_opts *o)
{
    return o->data && strcmp(o->data, "synthetic") == 0 && !o->train;
}

ptc_tokenizer *ptc_run_tokenizer(const ptc_run_opts *o, const char **vocab_path, char *err,
                                 size_t err_len)
{
    if (is_synthetic(o) && !o->vocab) {
        ptc_synthetic_config c;
        synth_config(o, &c);
        *vocab_path = "synthetic";
        return ptc_synthetic_tokenizer(&c, err, err_len);
    }
    const char *p = find_vocab(o);
    if (!p) {
        snprintf(err, err_len, "no vocabulary: give --vocab vocab.txt or set PTC_VOCAB");
        return NULL;
    }
    *vocab_path = p;
    return ptc_tokenizer_load(p, err, err_len);
}

int ptc_run_dataset(const ptc_run_opts *o, const ptc_tokenizer *tok, ptc_dataset *ds, char *err,
                    size_t err_len)
{
    ptc_dataset_options d;
    ptc_dataset_options_default(&d);
    d.name = o->data;
    d.data_dir = o->data_dir;
    d.train_path = o->train;
    d.dev_path = o->dev;
    d.test_path = o->test;
    d.labels_path = o->labels;
    d.cache_dir = o->cache_dir;
    d.max_len = o->max_len;
    d.skip_bad_lines = o->skip_bad_lines;
    d.split_seed = o->split_seed;
    d.log = stderr;
    synth_config(o, &d.synthetic);
    if (!o->data && !o->train) {
        snprintf(err, err_len, "no data: give --data NAME or --train FILE --labels FILE");
        return -1;
    }
    return ptc_dataset_load(ds, tok, &d, err, err_len);
}

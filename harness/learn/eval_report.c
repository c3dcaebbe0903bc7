/*
 * harness/learn/eval_report.c — what `ptc eval` writes of one evaluated point
 * (eval.h): the ptc.eval/1 JSON, the per-document predictions TSV, the printed
 * report (full for one point, one line per point of a sweep).
 */
#include "learn/eval.h"

#include "ptc/ops.h"

#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* p: the key preservation ratio (P, PF, PFC) or TopK's keep ratio when every
 * removing layer shares one (by layer: keep_ratios); 0 when none applies */
static double point_p(const ptc_variant_config *v)
{
    return ptc_variant_prunes(v->variant)                 ? v->prune.p
           : v->variant == PTC_VARIANT_TOKEN_TOPK ? ptc_token_keep_uniform(v)
                                                  : 0.0;
}

/* TopK's keep ratio of each removing layer, ToMe's r, their tag (ptc_token_options_tag) */
static void token_json(json_t *o, const ptc_variant_config *v)
{
    json_t *keep = json_null();
    if (v->variant == PTC_VARIANT_TOKEN_TOPK) {
        keep = json_array();
        for (size_t l = v->prune_first; l < v->n_layers; l++)
            json_array_append_new(keep, json_real(ptc_token_keep_ratio(v, l)));
    }
    char tag[256];
    ptc_token_options_tag(v, tag, sizeof tag);
    json_object_set_new(o, "keep_ratios", keep);
    json_object_set_new(o, "tome_r", v->variant == PTC_VARIANT_TOKEN_TOME
                                         ? json_integer((json_int_t)v->token.merge_r) : json_null());
    json_object_set_new(o, "token_options", tag[0] ? json_string(tag) : json_null());
}

json_t *ptc_eval_json(const ptc_eval_result *r, const ptc_dataset *ds, const ptc_model *m,
                         const eval_args *a, const ptc_ops *ops, const char *predictions)
{
    json_t *o = json_object(), *conf = json_array(), *keys = json_array(), *toks = json_array(),
           *names = json_array();
    for (size_t i = 0; i < r->n_classes; i++) {
        json_t *row = json_array();
        for (size_t j = 0; j < r->n_classes; j++)
            json_array_append_new(row, json_integer((json_int_t)r->confusion[i * r->n_classes + j]));
        json_array_append_new(conf, row);
        json_array_append_new(names, json_string(ds->label_names[i]));
    }
    for (size_t s = 0; s < r->n_steps; s++) {
        json_array_append_new(keys, json_real(r->keys_mean[s]));
        json_array_append_new(toks, json_real(r->tokens_mean[s]));
    }
    const ptc_variant_config *v = &m->cfg.variant;
    json_object_set_new(o, "schema", json_string("ptc.eval/1"));
    json_object_set_new(o, "checkpoint", json_string(a->checkpoint));
    json_object_set_new(o, "dataset", json_string(ds->name));
    json_object_set_new(o, "split", json_string(a->split));
    json_object_set_new(o, "docs", json_integer((json_int_t)r->n));
    json_object_set_new(o, "variant", json_string(ptc_variant_name(v)));
    json_object_set_new(o, "rule", ptc_variant_prunes(v->variant) ? json_string(ptc_rule_name(v->prune.rule)) : json_null());
    json_object_set_new(o, "p", point_p(v) > 0 ? json_real(point_p(v)) : json_null());
    json_object_set_new(o, "lc", ptc_variant_combines(v->variant) ? json_integer((json_int_t)v->combine_layer) : json_null());
    json_object_set_new(o, "m", ptc_variant_combines(v->variant) ? json_integer((json_int_t)v->n_comb) : json_null());
    token_json(o, v);
    json_object_set_new(o, "pad_mode", json_string(v->pad_mode == PTC_PAD_PADDED ? "padded" : "length-aware"));
    json_object_set_new(o, "hidden", json_integer((json_int_t)m->cfg.hidden));
    json_object_set_new(o, "layers", json_integer((json_int_t)m->cfg.n_layers));
    json_object_set_new(o, "heads", json_integer((json_int_t)m->cfg.n_heads));
    json_object_set_new(o, "ffn", json_integer((json_int_t)m->cfg.ffn));
    json_object_set_new(o, "max_len", json_integer((json_int_t)a->o.max_len));
    json_object_set_new(o, "batch", json_integer((json_int_t)(a->o.eval_batch ? a->o.eval_batch : a->o.batch)));
    json_object_set_new(o, "predictions", predictions ? json_string(predictions) : json_null());
    json_object_set_new(o, "trained_variant", json_string(a->trained));
    json_object_set_new(o, "loss", json_real(r->loss));
    json_object_set_new(o, "accuracy", json_real(r->accuracy));
    json_object_set_new(o, "macro_f1", json_real(r->macro_f1));
    json_object_set_new(o, "micro_f1", json_real(r->micro_f1));
    json_object_set_new(o, "labels", names);
    json_object_set_new(o, "confusion", conf);
    json_object_set_new(o, "keys_mean", keys);
    json_object_set_new(o, "tokens_mean", toks);
    json_object_set_new(o, "seconds", json_real(r->seconds));
    json_object_set_new(o, "batch_time_median_s", json_real(r->batch_time_median));
    json_object_set_new(o, "batch_times_s", ptc_time_stats(r->batch_times, r->n_batch_times));
    json_object_set_new(o, "tokens", json_integer((json_int_t)r->tokens));
    json_object_set_new(o, "tokens_per_s", json_real(r->seconds > 0 ? (double)r->tokens / r->seconds : 0));
    json_object_set_new(o, "docs_per_s", json_real(r->seconds > 0 ? (double)r->n / r->seconds : 0));
    json_object_set_new(o, "flops_per_doc", json_real(r->flops_per_sample));
    json_object_set_new(o, "activation_bytes_per_batch", json_real(r->act_bytes_per_batch));
    json_object_set_new(o, "arena_bytes", json_integer((json_int_t)ptc_model_activation_bytes(m)));
    json_object_set_new(o, "peak_rss", json_integer((json_int_t)ptc_peak_rss()));
    json_object_set_new(o, "isa", json_string(ops->name));
    json_object_set_new(o, "threads", json_integer(omp_get_max_threads()));
    return o;
}

/* The predictions file of a point: PATH itself for a single point, else PATH with
 * ".<variant>-<rule>-p<p>-lc<L>" (token variants: "-<tag>" after it) before its
 * extension. */
void ptc_eval_predictions_path(const char *path, const ptc_model_config *cfg, bool sweep, char *out,
                             size_t len)
{
    if (!sweep) {
        snprintf(out, len, "%s", path);
        return;
    }
    const ptc_variant_config *v = &cfg->variant;
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    const size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - path) : strlen(path);
    char tag[256] = "-";
    if (ptc_token_options_tag(v, tag + 1, sizeof tag - 1) == 0)
        tag[0] = '\0';
    snprintf(out, len, "%.*s.%s-%s-p%g-lc%zu%s%s", (int)stem, path, ptc_variant_name(v),
             ptc_variant_prunes(v->variant) ? ptc_rule_name(v->prune.rule) : "none",
             point_p(v) > 0 ? point_p(v) : 1.0, ptc_variant_combines(v->variant) ? v->combine_layer : 0,
             tag, path + stem);
}

/* Per-document predictions, TSV: doc (0-based index in the split), label, predicted. */
int ptc_eval_write_predictions(const char *path, const ptc_split *s, const ptc_eval_result *r,
                             char *err, size_t err_len)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, err_len, "cannot write %.900s: %s", tmp, strerror(errno));
        return -1;
    }
    fprintf(f, "doc\tlabel\tpredicted\n");
    for (size_t i = 0; i < s->n; i++)
        fprintf(f, "%zu\t%d\t%d\n", i, s->labels[i], r->predicted[i]);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        snprintf(err, err_len, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

void ptc_eval_print(const ptc_eval_result *r, const ptc_dataset *ds, const ptc_model *m,
                        const eval_args *a, const ptc_ops *ops, size_t batch, bool full)
{
    const ptc_variant_config *v = &m->cfg.variant;
    if (!full) {
        char tag[256];
        ptc_token_options_tag(v, tag, sizeof tag);
        printf("%-8s %-6s p %-5g L_c %-2zu%s%s  accuracy %.4f  macro-F1 %.4f  micro-F1 %.4f  keys",
               ptc_variant_name(v), ptc_variant_prunes(v->variant) ? ptc_rule_name(v->prune.rule) : "-",
               point_p(v) > 0 ? point_p(v) : 1.0, ptc_variant_combines(v->variant) ? v->combine_layer : 0,
               tag[0] ? " " : "", tag, r->accuracy, r->macro_f1, r->micro_f1);
        for (size_t k = 0; k < r->n_steps; k++)
            printf(" %.1f", r->keys_mean[k]);
        if (ptc_variant_prunes_tokens(v->variant)) {
            printf("  tokens");
            for (size_t k = 0; k < r->n_steps; k++)
                printf(" %.1f", r->tokens_mean[k]);
        }
        printf("  %.2f ms/batch  %.2f MiB act\n", 1e3 * r->batch_time_median,
               r->act_bytes_per_batch / 1048576.0);
        return;
    }
    printf("%s %s (%zu docs), %s, checkpoint %s\n", ds->name, a->split, r->n, ptc_variant_name(v),
           a->checkpoint);
    printf("accuracy %.4f  macro-F1 %.4f  micro-F1 %.4f  loss %.4f\n", r->accuracy, r->macro_f1,
           r->micro_f1, r->loss);
    printf("confusion (rows: true, columns: predicted):\n");
    for (size_t i = 0; i < ds->n_classes; i++) {
        printf("  %-14.14s", ds->label_names[i]);
        for (size_t j = 0; j < ds->n_classes; j++)
            printf(" %6zu", r->confusion[i * ds->n_classes + j]);
        printf("\n");
    }
    printf("keys attended per (sample, head), first batch, by step (Ln: encoder layer n, "
           "C: combining module):\n  ");
    for (size_t k = 0; k < r->n_steps && k < m->plan.n_steps; k++) {
        const ptc_step *step = &m->plan.steps[k];
        printf("%s", k ? " | " : "");
        if (step->kind == PTC_STEP_COMBINE)
            printf("C");
        else
            printf("L%zu %.1f%s", step->layer, r->keys_mean[k],
                   step->comb_only ? " (m tokens)" : step->keys_pruned ? " (pruned)" : "");
    }
    if (ptc_variant_prunes_tokens(v->variant)) {
        char tag[256];
        ptc_token_options_tag(v, tag, sizeof tag);
        printf("\ntokens (query rows) per sample, first batch, by layer (%s%s%s):\n  ", ptc_variant_name(v),
               tag[0] ? " " : "", tag);
        for (size_t k = 0; k < r->n_steps; k++)
            printf("%sL%zu %.1f", k ? " | " : "", k + 1, r->tokens_mean[k]);
    }
    printf("\nspeed: %.1f docs/s, %.0f tokens/s, %.2f ms per batch of %zu (median), %s, %d threads\n",
           (double)r->n / r->seconds, (double)r->tokens / r->seconds, 1e3 * r->batch_time_median,
           batch, ops->name, omp_get_max_threads());
    printf("memory: peak RSS %.1f MiB, inference arena %.1f MiB, activations %.2f MiB per batch\n",
           (double)ptc_peak_rss() / 1048576.0, (double)ptc_model_activation_bytes(m) / 1048576.0,
           r->act_bytes_per_batch / 1048576.0);
}

/* path as seen from the folder of file (unchanged when it is not below it) */
const char *ptc_path_relative_to(const char *file, const char *path)
{
    const char *slash = strrchr(file, '/');
    const size_t l = slash ? (size_t)(slash - file) : 0;
    if (l == 0)
        return path;
    return strncmp(path, file, l) == 0 && path[l] == '/' ? path + l + 1 : path;
}


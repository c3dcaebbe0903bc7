/*
 * harness/learn/eval.c — `ptc eval` (accuracy, macro/micro-F1, confusion matrix, keys
 * kept per layer, inference speed and peak memory of a checkpoint on a split)
 * and `ptc predict` (logits and labels for a TSV of texts).
 *
 *   ptc eval --run DIR [--split test|dev|train] [--checkpoint F] [--json F] [data options]
 *   ptc eval --checkpoint F --data NAME|--test F --labels F [--vocab F] ...
 *   ptc predict --run DIR|--checkpoint F --vocab F --labels F --input F.tsv [--output F]
 *
 * With --run the training run's own options (run.json argv) are read first and
 * the command line is applied on top; the checkpoint defaults to DIR/best.safetensors.
 * Model shape options given on the command line must agree with the checkpoint
 * (else "config mismatch"); the checkpoint's class count and vocabulary size
 * must agree with the data and vocabulary.
 */
#include "learn/train.h"

#include "common/machine.h"

#include "ptc/ops.h"

#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    ptc_run_opts o;
    const char *run, *checkpoint, *split, *json, *input, *output, *rows, *predictions;
    /* the variant at inference (NULL / empty: the checkpoint's) */
    const char *variant, *rule_list, *pad_mode;
    ptc_opt_list p_list, lc_list;
    json_t *run_json; /* keeps the strings of the stored argv alive */
    bool shape_given;
    char trained[16]; /* the checkpoint's variant */
} eval_args;

/* One point of an inference sweep: the checkpoint's shape with a variant. */
typedef struct {
    ptc_model_config cfg;
} eval_point;

enum { EVAL_MAX_POINTS = 256 };

/* Applies the stored argv of DIR/run.json. */
static int load_run(eval_args *a, char *err, size_t err_len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/run.json", a->run);
    json_error_t je;
    a->run_json = json_load_file(path, 0, &je);
    if (!a->run_json) {
        snprintf(err, err_len, "%.400s: cannot read (%.80s)", path, je.text);
        return -1;
    }
    json_t *argv = json_object_get(a->run_json, "argv");
    const size_t n = json_array_size(argv);
    char **v = calloc(n + 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (json_string_value(json_array_get(argv, i)))
            v[k++] = (char *)json_string_value(json_array_get(argv, i));
    char sub[256];
    const int rc = ptc_run_opts_from_argv(&a->o, (int)k, v, sub, sizeof sub);
    free(v);
    if (rc != 0) {
        snprintf(err, err_len, "%.200s: %.250s", path, sub);
        return -1;
    }
    a->o.resume = false;
    return 0;
}

#define E(field) offsetof(eval_args, field)
#define EVAL_VARIANT_ROWS                                                                              \
    {"variant", PTC_OPT_VARIANT, E(variant), "NAME", "variant at inference (the checkpoint's): P/PF on any, C/PFC on a combining one"}, \
    {"p", PTC_OPT_DOUBLES, E(p_list), "LIST", "p at inference, in (0, 1]; a list sweeps", NULL, 0, 1, true}, \
    {"rule", PTC_OPT_STR, E(rule_list), "LIST", "pruning rules at inference: topk clamp within; a list sweeps"}, \
    {"lc", PTC_OPT_SIZES, E(lc_list), "LIST", "L_c at inference (C, PFC); a list sweeps", NULL, 1, 0}, \
    {"pad-mode", PTC_OPT_PAD, E(pad_mode), "MODE", "length-aware padded (the checkpoint's)"}
const ptc_option ptc_eval_rows[] = {
    {"run", PTC_OPT_STR, E(run), "DIR", "a `ptc train` run folder: its options, best.safetensors"},
    {"checkpoint", PTC_OPT_STR, E(checkpoint), "F", "a safetensors checkpoint instead of --run"},
    {"split", PTC_OPT_STR, E(split), "NAME", "test dev train", "test"},
    {"json", PTC_OPT_STR, E(json), "F", "write the metrics as JSON (an array for a sweep)"},
    {"rows", PTC_OPT_STR, E(rows), "F.jsonl", "append one ptc.row/1 row per point (flushed, fsync'd)"},
    {"predictions", PTC_OPT_STR, E(predictions), "F.tsv", "per-document predictions (one file per point)"},
    EVAL_VARIANT_ROWS,
    {NULL},
};
const ptc_option ptc_predict_rows[] = {
    {"run", PTC_OPT_STR, E(run), "DIR", "a `ptc train` run folder: its options, best.safetensors"},
    {"checkpoint", PTC_OPT_STR, E(checkpoint), "F", "a safetensors checkpoint instead of --run"},
    {"input", PTC_OPT_STR, E(input), "F.tsv", "one text per line, or label<TAB>text"},
    {"output", PTC_OPT_STR, E(output), "F", "the predictions TSV (stdout)"},
    EVAL_VARIANT_ROWS,
    {NULL},
};
#undef EVAL_VARIANT_ROWS
#undef E

static int parse_args(eval_args *a, int argc, char **argv, const char *prog, bool predict)
{
    memset(a, 0, sizeof *a);
    ptc_run_opts_default(&a->o);
    ptc_opt_group others[PTC_LEARN_NOTHERS];
    ptc_learn_others(others);
    ptc_opt_group g[] = {
        {predict ? "predict" : "eval", predict ? ptc_predict_rows : ptc_eval_rows, a},
        ptc_learn_group_of(PTC_LEARN_DATA, &a->o),
        ptc_learn_group_of(PTC_LEARN_TEXT, &a->o),
        ptc_learn_group_of(PTC_LEARN_SHAPE, &a->o),
        ptc_learn_group_of(PTC_LEARN_BATCH, &a->o),
        ptc_learn_group_of(PTC_LEARN_COMPUTE, &a->o),
    };
    ptc_command_spec spec = {
        .prog = prog,
        .usage = predict ? "ptc predict --run DIR | --checkpoint F --vocab F --labels F --input F.tsv\n"
                           "  output TSV: line, predicted index, predicted label, one logit per class"
                         : "ptc eval --run DIR | --checkpoint F [data options] [--split test|dev|train]\n"
                           "  --variant/--p/--rule/--lc/--pad-mode apply at inference; lists sweep",
        .groups = g,
        .n_groups = sizeof g / sizeof g[0],
        .others = others,
        .n_others = PTC_LEARN_NOTHERS,
    };
    ptc_opts_defaults(&spec);
    /* first pass: --run, so that the command line overrides the stored options */
    eval_args first = *a;
    g[0].base = &first;
    for (size_t i = 1; i < spec.n_groups; i++)
        g[i].base = &first.o;
    ptc_opt_seen seen;
    int rc = ptc_opts_parse(&spec, argc, argv, 1, &seen);
    if (rc != 0)
        return rc == 1 ? -1 : rc;
    g[0].base = a;
    for (size_t i = 1; i < spec.n_groups; i++)
        g[i].base = &a->o;
    if (first.run && first.checkpoint) {
        fprintf(stderr, "%s: --run and --checkpoint conflict (--run evaluates DIR/best.safetensors)\n",
                prog);
        return 2;
    }
    if (first.run) {
        a->run = first.run;
        char err[512];
        if (load_run(a, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", prog, err);
            return 1;
        }
    }
    ptc_opts_parse(&spec, argc, argv, 1, &seen); /* parsed once already: cannot fail */
    if (ptc_run_opts_check(&a->o, &seen, prog) != 0)
        return 2;
    a->shape_given = false;
    for (size_t i = 0; i < seen.n; i++)
        a->shape_given |= seen.at[i].opt->offset >= offsetof(ptc_run_opts, model) &&
                          seen.at[i].opt->offset <= offsetof(ptc_run_opts, ffn);
    if (a->run) {
        static char path[4096];
        snprintf(path, sizeof path, "%s/best.safetensors", a->run);
        a->checkpoint = path;
    }
    if (!a->checkpoint) {
        fprintf(stderr, "%s: give --run DIR or --checkpoint FILE\n", prog);
        return 2;
    }
    if (predict && !a->input) {
        fprintf(stderr, "%s: give --input FILE.tsv (one text per line, or label<TAB>text)\n", prog);
        return 2;
    }
    if (!predict && strcmp(a->split, "test") && strcmp(a->split, "dev") && strcmp(a->split, "train")) {
        fprintf(stderr, "%s: --split '%s': test, dev or train\n", prog, a->split);
        return 2;
    }
    return 0;
}

/* Reads the checkpoint's config and checks it against the options, data and vocabulary. */
static int checkpoint_config(const eval_args *a, size_t vocab_size, size_t n_classes,
                             ptc_model_config *ck, char *err, size_t err_len)
{
    if (access(a->checkpoint, R_OK) != 0) {
        snprintf(err, err_len, "%s: cannot open: %s", a->checkpoint, strerror(errno));
        return -1;
    }
    ptc_load_report rep;
    memset(&rep, 0, sizeof rep);
    if (ptc_checkpoint_config(a->checkpoint, PTC_VARIANT_BASELINE, ck, &rep, err, err_len) != PTC_OK)
        return -1;
    if (a->shape_given) {
        ptc_run_opts po = a->o;
        po.variant = "baseline";
        po.lc = po.m = 0;
        ptc_model_config want;
        char sub[256];
        if (ptc_run_model_config(&po, vocab_size, n_classes, &want, sub, sizeof sub) != 0) {
            snprintf(err, err_len, "%s", sub);
            return -1;
        }
        if (want.hidden != ck->hidden || want.n_layers != ck->n_layers ||
            want.n_heads != ck->n_heads || want.ffn != ck->ffn) {
            snprintf(err, err_len,
                     "%s: config mismatch: the checkpoint is hidden %zu, layers %zu, heads %zu, ffn "
                     "%zu; the options say %zu, %zu, %zu, %zu",
                     a->checkpoint, ck->hidden, ck->n_layers, ck->n_heads, ck->ffn, want.hidden,
                     want.n_layers, want.n_heads, want.ffn);
            return -1;
        }
    }
    if (ck->n_classes != n_classes) {
        snprintf(err, err_len, "%s: config mismatch: %zu classes, the data has %zu", a->checkpoint,
                 ck->n_classes, n_classes);
        return -1;
    }
    if (ck->vocab_size != vocab_size) {
        snprintf(err, err_len, "%s: config mismatch: vocabulary of %zu, the tokenizer has %zu",
                 a->checkpoint, ck->vocab_size, vocab_size);
        return -1;
    }
    return 0;
}

static bool combines(ptc_variant v)
{
    return v == PTC_VARIANT_COMBINE || v == PTC_VARIANT_PRUNE_COMBINE;
}

static bool prunes(ptc_variant v)
{
    return v == PTC_VARIANT_PRUNE || v == PTC_VARIANT_PRUNE_COMBINE;
}

static const char *rule_name(ptc_prune_rule r)
{
    return r == PTC_PRUNE_TOPK ? "topk" : r == PTC_PRUNE_WITHIN ? "within" : "clamp";
}

/* The model config of one point: the checkpoint's shape; the variant of
 * --variant, else the checkpoint's; p, rule and L_c of the point (0 / NULL: the
 * checkpoint's when it has them, else the variant's defaults). C and PFC need
 * the checkpoint's trained combining tensors, so they keep its m. */
static int point_config(const eval_args *a, const ptc_model_config *ck, double p, const char *rule,
                        size_t lc, eval_point *pt, char *err, size_t err_len)
{
    const ptc_variant_config *tv = &ck->variant;
    ptc_run_opts po = a->o;
    po.model = "bert-base"; /* max positions; the shape is the checkpoint's */
    po.hidden = ck->hidden;
    po.layers = ck->n_layers;
    po.heads = ck->n_heads;
    po.ffn = ck->ffn;
    const char *trained = ptc_variant_name(tv);
    po.variant = a->variant ? a->variant : strcmp(trained, "PC") == 0 ? "PFC" : trained;
    po.rule = rule ? rule : !a->variant && prunes(tv->variant) ? rule_name(tv->prune.rule) : NULL;
    po.p = p > 0 ? p : prunes(tv->variant) ? tv->prune.p : 0.9;
    po.pad_mode = a->pad_mode ? a->pad_mode : tv->pad_mode == PTC_PAD_PADDED ? "padded" : "length-aware";
    const bool c = strcmp(po.variant, "C") == 0 || strcmp(po.variant, "PFC") == 0;
    const bool pr = strcmp(po.variant, "P") == 0 || strcmp(po.variant, "PF") == 0 ||
                    strcmp(po.variant, "PFC") == 0;
    if (c && !combines(tv->variant)) {
        snprintf(err, err_len,
                 "%s: --variant %s needs trained combining tensors; this checkpoint was trained as %s",
                 a->checkpoint, po.variant, trained);
        return -1;
    }
    if (!c && a->lc_list.n) {
        snprintf(err, err_len, "--lc applies to the C and PFC variants only");
        return -1;
    }
    if (!pr && (a->p_list.n || a->rule_list)) {
        snprintf(err, err_len, "--p/--rule apply to the P, PF and PFC variants only");
        return -1;
    }
    po.lc = c ? (lc ? lc : tv->combine_layer) : 0;
    po.m = c ? tv->n_comb : 0;
    ptc_model_config want;
    if (ptc_run_model_config(&po, ck->vocab_size, ck->n_classes, &want, err, err_len) != 0)
        return -1;
    pt->cfg = *ck;
    pt->cfg.variant = want.variant;
    ptc_model_config_sync(&pt->cfg);
    return ptc_model_config_check(&pt->cfg, err, err_len) == PTC_OK ? 0 : -1;
}

/* Every point of the sweep (p x rule x L_c), each checked before anything runs. */
static int build_points(const eval_args *a, const ptc_model_config *ck, eval_point *pts,
                        size_t max, size_t *n, char *err, size_t err_len)
{
    char rules[8][64];
    int nr = 0;
    if (a->rule_list) {
        char sub[256] = "an empty item or more than 8";
        nr = ptc_split_list(a->rule_list, ',', rules, 8);
        ptc_prune_rule r;
        for (int j = 0; j < nr; j++)
            if (ptc_parse_rule(rules[j], &r, sub, sizeof sub) != 0)
                nr = -1;
        if (nr <= 0) {
            snprintf(err, err_len, "--rule '%.200s': %s", a->rule_list, sub);
            return -1;
        }
    }
    const size_t np = a->p_list.n, nl = a->lc_list.n;
    *n = 0;
    for (size_t i = 0; i < (np ? np : 1); i++)
        for (int j = 0; j < (nr ? nr : 1); j++)
            for (size_t k = 0; k < (nl ? nl : 1); k++) {
                if (*n == max) {
                    snprintf(err, err_len, "at most %zu sweep point(s) here", max);
                    return -1;
                }
                if (point_config(a, ck, np ? a->p_list.v[i] : 0, nr ? rules[j] : NULL,
                                 nl ? (size_t)a->lc_list.v[k] : 0, &pts[*n], err, err_len) != 0)
                    return -1;
                (*n)++;
            }
    return 0;
}

/* Initialises a model of the point's config and loads the checkpoint into it. */
static int load_point(const eval_args *a, const ptc_ops *ops, const eval_point *pt, ptc_model *m,
                      char *err, size_t err_len)
{
    ptc_load_report rep;
    memset(&rep, 0, sizeof rep);
    if (ptc_model_init(m, &pt->cfg, ops, a->o.seed, err, err_len) != PTC_OK)
        return -1;
    if (ptc_model_load_tensors(m, a->checkpoint, &rep, err, err_len) != PTC_OK) {
        ptc_model_free(m);
        return -1;
    }
    if (rep.n_missing) {
        snprintf(err, err_len, "%s: lacks %zu tensors (first: %s)", a->checkpoint, rep.n_missing,
                 rep.missing[0]);
        ptc_model_free(m);
        return -1;
    }
    return 0;
}

static json_t *eval_json(const ptc_eval_result *r, const ptc_dataset *ds, const ptc_model *m,
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
    json_object_set_new(o, "rule", prunes(v->variant) ? json_string(rule_name(v->prune.rule)) : json_null());
    json_object_set_new(o, "p", prunes(v->variant) ? json_real(v->prune.p) : json_null());
    json_object_set_new(o, "lc", combines(v->variant) ? json_integer((json_int_t)v->combine_layer) : json_null());
    json_object_set_new(o, "m", combines(v->variant) ? json_integer((json_int_t)v->n_comb) : json_null());
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
 * ".<variant>-<rule>-p<p>-lc<L>" before its extension. */
static void predictions_path(const char *path, const ptc_model_config *cfg, bool sweep, char *out,
                             size_t len)
{
    if (!sweep) {
        snprintf(out, len, "%s", path);
        return;
    }
    const ptc_variant_config *v = &cfg->variant;
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    const size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - path) : strlen(path);
    snprintf(out, len, "%.*s.%s-%s-p%g-lc%zu%s", (int)stem, path, ptc_variant_name(v),
             prunes(v->variant) ? rule_name(v->prune.rule) : "none", prunes(v->variant) ? v->prune.p : 1.0,
             combines(v->variant) ? v->combine_layer : 0, path + stem);
}

/* Per-document predictions, TSV: doc (0-based index in the split), label, predicted. */
static int write_predictions(const char *path, const ptc_split *s, const ptc_eval_result *r,
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

static void print_point(const ptc_eval_result *r, const ptc_dataset *ds, const ptc_model *m,
                        const eval_args *a, const ptc_ops *ops, size_t batch, bool full)
{
    const ptc_variant_config *v = &m->cfg.variant;
    if (!full) {
        printf("%-8s %-6s p %-5g L_c %-2zu  accuracy %.4f  macro-F1 %.4f  micro-F1 %.4f  keys",
               ptc_variant_name(v), prunes(v->variant) ? rule_name(v->prune.rule) : "-",
               prunes(v->variant) ? v->prune.p : 1.0, combines(v->variant) ? v->combine_layer : 0,
               r->accuracy, r->macro_f1, r->micro_f1);
        for (size_t k = 0; k < r->n_steps; k++)
            printf(" %.1f", r->keys_mean[k]);
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
    printf("\nspeed: %.1f docs/s, %.0f tokens/s, %.2f ms per batch of %zu (median), %s, %d threads\n",
           (double)r->n / r->seconds, (double)r->tokens / r->seconds, 1e3 * r->batch_time_median,
           batch, ops->name, omp_get_max_threads());
    printf("memory: peak RSS %.1f MiB, inference arena %.1f MiB, activations %.2f MiB per batch\n",
           (double)ptc_peak_rss() / 1048576.0, (double)ptc_model_activation_bytes(m) / 1048576.0,
           r->act_bytes_per_batch / 1048576.0);
}

/* path as seen from the folder of file (unchanged when it is not below it) */
static const char *relative_to(const char *file, const char *path)
{
    const char *slash = strrchr(file, '/');
    const size_t l = slash ? (size_t)(slash - file) : 0;
    if (l == 0)
        return path;
    return strncmp(path, file, l) == 0 && path[l] == '/' ? path + l + 1 : path;
}

/* Evaluates one point and records it (stdout, JSON array, predictions, rows). */
static int eval_point_run(const eval_args *a, const ptc_ops *ops, const eval_point *pt, size_t n_points,
                          const ptc_dataset *ds, const ptc_split *s, int32_t pad_id, json_t *all,
                          FILE *rows, char *err, size_t err_len)
{
    ptc_model m;
    if (load_point(a, ops, pt, &m, err, err_len) != 0)
        return -1;
    ptc_eval_result r = {0};
    const size_t batch = a->o.eval_batch ? a->o.eval_batch : a->o.batch;
    int rc = ptc_evaluate(&m, s, ds->n_classes, batch, pad_id, &r, err, err_len);
    char pred[4400] = "";
    if (rc == 0) {
        print_point(&r, ds, &m, a, ops, batch, n_points == 1);
        if (a->predictions) {
            predictions_path(a->predictions, &m.cfg, n_points > 1, pred, sizeof pred);
            rc = write_predictions(pred, s, &r, err, err_len);
        }
    }
    if (rc == 0) {
        json_t *j = eval_json(&r, ds, &m, a, ops, pred[0] ? pred : NULL);
        if (rows) {
            ptc_machine mach;
            char merr[128];
            memset(&mach, 0, sizeof mach);
            ptc_machine_describe(&mach, merr, sizeof merr);
            ptc_accuracy_row_in in = {.ev = j, .runj = a->run_json, .infer_only = true, .cpu = mach.cpu_model,
                                      .predictions = pred[0] ? relative_to(a->rows, pred) : NULL};
            json_t *row = ptc_accuracy_row(&in, true);
            rc = ptc_rows_append(rows, row, err, err_len);
            json_decref(row);
        }
        json_array_append_new(all, j);
    }
    ptc_eval_result_free(&r);
    ptc_model_free(&m);
    return rc;
}

int ptc_eval_main(int argc, char **argv)
{
    eval_args a;
    int prc = parse_args(&a, argc, argv, "ptc eval", false);
    if (prc == -1) {
        json_decref(a.run_json);
        return 0;
    }
    if (prc) {
        json_decref(a.run_json);
        return prc;
    }
    int rc = 1;
    char err[1024];
    const char *vocab_path;
    ptc_tokenizer *tok = NULL;
    ptc_dataset ds = {0};
    ptc_model_config ck;
    eval_point *pts = calloc(EVAL_MAX_POINTS, sizeof *pts);
    size_t n_points = 0;
    json_t *all = json_array();
    FILE *rows = NULL;
    const ptc_ops *ops = ptc_opts_compute("ptc eval", a.o.isa, a.o.threads);
    if (!ops)
        goto done;
    tok = ptc_run_tokenizer(&a.o, &vocab_path, err, sizeof err);
    if (!tok || ptc_run_dataset(&a.o, tok, &ds, err, sizeof err) != 0 ||
        checkpoint_config(&a, ptc_tokenizer_vocab_size(tok), ds.n_classes, &ck, err, sizeof err) != 0 ||
        build_points(&a, &ck, pts, EVAL_MAX_POINTS, &n_points, err, sizeof err) != 0) {
        fprintf(stderr, "ptc eval: %s\n", err);
        goto done;
    }
    snprintf(a.trained, sizeof a.trained, "%s", ptc_variant_name(&ck.variant));
    const ptc_split *s = strcmp(a.split, "test") == 0 ? &ds.test
                         : strcmp(a.split, "dev") == 0 ? &ds.dev
                                                       : &ds.train;
    if (s->n == 0) {
        fprintf(stderr, "ptc eval: %s has no %s split\n", ds.name, a.split);
        goto done;
    }
    if (a.rows && !(rows = fopen(a.rows, "a"))) {
        fprintf(stderr, "ptc eval: cannot write %s: %s\n", a.rows, strerror(errno));
        goto done;
    }
    for (size_t i = 0; i < n_points; i++)
        if (eval_point_run(&a, ops, &pts[i], n_points, &ds, s, ptc_tokenizer_pad_id(tok), all, rows,
                           err, sizeof err) != 0) {
            fprintf(stderr, "ptc eval: %s\n", err);
            goto done;
        }
    rc = 0;
    if (a.json) {
        json_t *j = n_points == 1 ? json_array_get(all, 0) : all;
        if (json_dump_file(j, a.json, JSON_INDENT(2) | JSON_SORT_KEYS) != 0) {
            fprintf(stderr, "ptc eval: cannot write %s\n", a.json);
            rc = 1;
        }
    }
done:
    if (rows && fclose(rows) != 0) {
        fprintf(stderr, "ptc eval: error writing %s\n", a.rows);
        rc = 1;
    }
    json_decref(all);
    free(pts);
    ptc_dataset_free(&ds);
    ptc_tokenizer_free(tok);
    json_decref(a.run_json);
    return rc;
}

/* ---- predict ------------------------------------------------------------------------------------ */
int ptc_predict_main(int argc, char **argv)
{
    eval_args a;
    int prc = parse_args(&a, argc, argv, "ptc predict", true);
    if (prc == -1) {
        json_decref(a.run_json);
        return 0;
    }
    if (prc) {
        json_decref(a.run_json);
        return prc;
    }
    int rc = 1;
    char err[1024];
    const char *vocab_path;
    ptc_tokenizer *tok = NULL;
    ptc_model m;
    bool model_ok = false;
    char **names = NULL;
    size_t n_classes = 0;
    char *line = NULL;
    FILE *in = NULL, *out = stdout;
    ptc_split sp = {0};
    ptc_eval_result r = {0};
    const ptc_ops *ops = ptc_opts_compute("ptc predict", a.o.isa, a.o.threads);
    if (!ops)
        goto done;
    tok = ptc_run_tokenizer(&a.o, &vocab_path, err, sizeof err);
    if (!tok) {
        fprintf(stderr, "ptc predict: %s\n", err);
        goto done;
    }
    /* labels: --labels, else run.json's names */
    if (a.o.labels) {
        if (ptc_labels_read(a.o.labels, &names, &n_classes, err, sizeof err) != 0) {
            fprintf(stderr, "ptc predict: %s\n", err);
            goto done;
        }
    } else if (a.run_json) {
        json_t *l = json_object_get(a.run_json, "labels");
        n_classes = json_array_size(l);
        names = calloc(n_classes + 1, sizeof *names);
        for (size_t i = 0; i < n_classes; i++)
            names[i] = strdup(json_string_value(json_array_get(l, i)));
    }
    if (n_classes == 0) {
        fprintf(stderr, "ptc predict: give --labels labels.txt (or --run DIR)\n");
        goto done;
    }
    ptc_model_config ck;
    eval_point pt[1];
    size_t n_points = 0;
    if (checkpoint_config(&a, ptc_tokenizer_vocab_size(tok), n_classes, &ck, err, sizeof err) != 0 ||
        build_points(&a, &ck, pt, 1, &n_points, err, sizeof err) != 0 ||
        load_point(&a, ops, &pt[0], &m, err, sizeof err) != 0) {
        fprintf(stderr, "ptc predict: %s\n", err);
        goto done;
    }
    model_ok = true;
    in = fopen(a.input, "rb");
    if (!in) {
        fprintf(stderr, "ptc predict: %s: cannot open: %s\n", a.input, strerror(errno));
        goto done;
    }
    /* every line -> an encoding (label 0 for the evaluator) */
    size_t cap = 0, cap_docs = 256, n = 0, ids_cap = 1 << 16;
    sp.labels = calloc(cap_docs, sizeof *sp.labels);
    sp.offsets = calloc(cap_docs + 1, sizeof *sp.offsets);
    sp.ids = malloc(ids_cap * sizeof *sp.ids);
    ssize_t len;
    size_t lineno = 0;
    while ((len = getline(&line, &cap, in)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        char *text = line;
        char *tab = strchr(line, '\t');
        if (tab) {
            bool num = tab > line;
            for (char *p = line; p < tab; p++)
                num &= *p >= '0' && *p <= '9';
            if (num)
                text = tab + 1;
        }
        size_t bad;
        if (!ptc_utf8_valid(text, strlen(text), &bad)) {
            fprintf(stderr, "ptc predict: %s:%zu: invalid UTF-8 at byte %zu of the text\n", a.input,
                    lineno, bad);
            goto done;
        }
        if (n + 1 >= cap_docs) {
            cap_docs *= 2;
            sp.labels = realloc(sp.labels, cap_docs * sizeof *sp.labels);
            sp.offsets = realloc(sp.offsets, (cap_docs + 1) * sizeof *sp.offsets);
        }
        if (sp.offsets[n] + a.o.max_len > ids_cap) {
            while (sp.offsets[n] + a.o.max_len > ids_cap)
                ids_cap *= 2;
            sp.ids = realloc(sp.ids, ids_cap * sizeof *sp.ids);
        }
        const size_t k = ptc_tokenizer_encode(tok, text, strlen(text), a.o.max_len,
                                              sp.ids + sp.offsets[n], NULL);
        sp.labels[n] = 0;
        sp.offsets[n + 1] = sp.offsets[n] + k;
        n++;
    }
    sp.n = n;
    if (n == 0) {
        fprintf(stderr, "ptc predict: %s: no lines\n", a.input);
        goto done;
    }
    const size_t batch = a.o.eval_batch ? a.o.eval_batch : a.o.batch;
    if (ptc_evaluate(&m, &sp, n_classes, batch, ptc_tokenizer_pad_id(tok), &r, err, sizeof err) != 0) {
        fprintf(stderr, "ptc predict: %s\n", err);
        goto done;
    }
    if (a.output && !(out = fopen(a.output, "w"))) {
        fprintf(stderr, "ptc predict: cannot write %s: %s\n", a.output, strerror(errno));
        out = stdout;
        goto done;
    }
    fprintf(out, "line\tpredicted\tlabel");
    for (size_t c = 0; c < n_classes; c++)
        fprintf(out, "\tlogit_%s", names[c]);
    fprintf(out, "\n");
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%zu\t%d\t%s", i + 1, r.predicted[i], names[r.predicted[i]]);
        for (size_t c = 0; c < n_classes; c++)
            fprintf(out, "\t%.6g", (double)r.logits[i * n_classes + c]);
        fprintf(out, "\n");
    }
    rc = 0;
done:
    if (out != stdout && fclose(out) != 0) {
        fprintf(stderr, "ptc predict: error writing %s\n", a.output);
        rc = 1;
    }
    if (in)
        fclose(in);
    free(line);
    ptc_split_free(&sp);
    ptc_eval_result_free(&r);
    if (model_ok)
        ptc_model_free(&m);
    for (size_t i = 0; names && i < n_classes; i++)
        free(names[i]);
    free(names);
    ptc_tokenizer_free(tok);
    json_decref(a.run_json);
    return rc;
}

/*
 * harness/learn/eval.c — `ptc eval` (accuracy, macro/micro-F1, confusion matrix, keys
 * kept per layer, inference speed and peak memory of a checkpoint on a split)
 * and `ptc predict` (logits and labels for a TSV of texts).
 *
 *   ptc eval --run DIR [--split test|dev|train] [--json F] [data options]
 *   ptc eval --checkpoint F --data NAME|--test F --labels F [--vocab F] ...
 *   ptc predict --run DIR|--checkpoint F --vocab F --labels F --input F.tsv [--output F]
 *
 * With --run the training run's own options (run.json argv) are read first and
 * the command line is applied on top; the checkpoint is DIR/best.safetensors
 * (--run and --checkpoint together are refused as a conflict).
 * Model shape options given on the command line must agree with the checkpoint
 * (else "config mismatch"); the checkpoint's class count and vocabulary size
 * must agree with the data and vocabulary.
 */
#include "learn/train.h"

#include "ptc/ops.h"

#include <errno.h>
#include <omp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    ptc_run_opts o;
    const char *run, *checkpoint, *split, *json, *input, *output;
    json_t *run_json; /* keeps the strings of the stored argv alive */
    bool shape_given;
} eval_args;

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
const ptc_option ptc_eval_rows[] = {
    {"run", PTC_OPT_STR, E(run), "DIR", "a `ptc train` run folder: its options, best.safetensors"},
    {"checkpoint", PTC_OPT_STR, E(checkpoint), "F", "a safetensors checkpoint instead of --run"},
    {"split", PTC_OPT_STR, E(split), "NAME", "test dev train", "test"},
    {"json", PTC_OPT_STR, E(json), "F", "write the metrics as JSON"},
    {NULL},
};
const ptc_option ptc_predict_rows[] = {
    {"run", PTC_OPT_STR, E(run), "DIR", "a `ptc train` run folder: its options, best.safetensors"},
    {"checkpoint", PTC_OPT_STR, E(checkpoint), "F", "a safetensors checkpoint instead of --run"},
    {"input", PTC_OPT_STR, E(input), "F.tsv", "one text per line, or label<TAB>text"},
    {"output", PTC_OPT_STR, E(output), "F", "the predictions TSV (stdout)"},
    {NULL},
};
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
                         : "ptc eval --run DIR | --checkpoint F [data options] [--split test|dev|train]",
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

/* Loads the checkpoint and checks it against the options, data and vocabulary. */
static int load_model(const eval_args *a, const ptc_ops *ops, size_t vocab_size, size_t n_classes,
                      ptc_model *m, char *err, size_t err_len)
{
    if (access(a->checkpoint, R_OK) != 0) {
        snprintf(err, err_len, "%s: cannot open: %s", a->checkpoint, strerror(errno));
        return -1;
    }
    ptc_model_config ck;
    ptc_load_report rep;
    memset(&rep, 0, sizeof rep); /* ptc_model_load_tensors keeps its config_from_* flags */
    if (ptc_checkpoint_config(a->checkpoint, PTC_VARIANT_BASELINE, &ck, &rep, err, err_len) != PTC_OK)
        return -1;
    if (a->shape_given) {
        ptc_model_config want;
        char sub[256];
        if (ptc_run_model_config(&a->o, vocab_size, n_classes, &want, sub, sizeof sub) != 0) {
            snprintf(err, err_len, "%s", sub);
            return -1;
        }
        if (want.hidden != ck.hidden || want.n_layers != ck.n_layers || want.n_heads != ck.n_heads ||
            want.ffn != ck.ffn) {
            snprintf(err, err_len,
                     "%s: config mismatch: the checkpoint is hidden %zu, layers %zu, heads %zu, ffn "
                     "%zu; the options say %zu, %zu, %zu, %zu",
                     a->checkpoint, ck.hidden, ck.n_layers, ck.n_heads, ck.ffn, want.hidden,
                     want.n_layers, want.n_heads, want.ffn);
            return -1;
        }
    }
    if (ck.n_classes != n_classes) {
        snprintf(err, err_len, "%s: config mismatch: %zu classes, the data has %zu", a->checkpoint,
                 ck.n_classes, n_classes);
        return -1;
    }
    if (ck.vocab_size != vocab_size) {
        snprintf(err, err_len, "%s: config mismatch: vocabulary of %zu, the tokenizer has %zu",
                 a->checkpoint, ck.vocab_size, vocab_size);
        return -1;
    }
    if (ptc_model_load(m, a->checkpoint, PTC_VARIANT_BASELINE, ops, a->o.seed, &rep, err, err_len) != PTC_OK)
        return -1;
    if (rep.n_missing) {
        snprintf(err, err_len, "%s: lacks %zu tensors (first: %s)", a->checkpoint, rep.n_missing,
                 rep.missing[0]);
        ptc_model_free(m);
        return -1;
    }
    return 0;
}

static json_t *eval_json(const ptc_eval_result *r, const ptc_dataset *ds, const ptc_model *m,
                         const char *split, const ptc_ops *ops, const char *checkpoint)
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
    json_object_set_new(o, "schema", json_string("ptc.eval/1"));
    json_object_set_new(o, "checkpoint", json_string(checkpoint));
    json_object_set_new(o, "dataset", json_string(ds->name));
    json_object_set_new(o, "split", json_string(split));
    json_object_set_new(o, "docs", json_integer((json_int_t)r->n));
    json_object_set_new(o, "variant", json_string(ptc_variant_name(&m->cfg.variant)));
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
    ptc_model m;
    bool model_ok = false;
    ptc_eval_result r = {0};
    const ptc_ops *ops = ptc_opts_compute("ptc eval", a.o.isa, a.o.threads);
    if (!ops)
        goto done;
    tok = ptc_run_tokenizer(&a.o, &vocab_path, err, sizeof err);
    if (!tok || ptc_run_dataset(&a.o, tok, &ds, err, sizeof err) != 0) {
        fprintf(stderr, "ptc eval: %s\n", err);
        goto done;
    }
    if (load_model(&a, ops, ptc_tokenizer_vocab_size(tok), ds.n_classes, &m, err, sizeof err) != 0) {
        fprintf(stderr, "ptc eval: %s\n", err);
        goto done;
    }
    model_ok = true;
    const ptc_split *s = strcmp(a.split, "test") == 0 ? &ds.test
                         : strcmp(a.split, "dev") == 0 ? &ds.dev
                                                       : &ds.train;
    if (s->n == 0) {
        fprintf(stderr, "ptc eval: %s has no %s split\n", ds.name, a.split);
        goto done;
    }
    const size_t batch = a.o.eval_batch ? a.o.eval_batch : a.o.batch;
    if (ptc_evaluate(&m, s, ds.n_classes, batch, ptc_tokenizer_pad_id(tok), &r, err, sizeof err) != 0) {
        fprintf(stderr, "ptc eval: %s\n", err);
        goto done;
    }
    printf("%s %s (%zu docs), %s, checkpoint %s\n", ds.name, a.split, r.n,
           ptc_variant_name(&m.cfg.variant), a.checkpoint);
    printf("accuracy %.4f  macro-F1 %.4f  micro-F1 %.4f  loss %.4f\n", r.accuracy, r.macro_f1,
           r.micro_f1, r.loss);
    printf("confusion (rows: true, columns: predicted):\n");
    for (size_t i = 0; i < ds.n_classes; i++) {
        printf("  %-14.14s", ds.label_names[i]);
        for (size_t j = 0; j < ds.n_classes; j++)
            printf(" %6zu", r.confusion[i * ds.n_classes + j]);
        printf("\n");
    }
    printf("keys attended per (sample, head), first batch, by step (Ln: encoder layer n, "
           "C: combining module):\n  ");
    for (size_t k = 0; k < r.n_steps && k < m.plan.n_steps; k++) {
        const ptc_step *step = &m.plan.steps[k];
        printf("%s", k ? " | " : "");
        if (step->kind == PTC_STEP_COMBINE)
            printf("C");
        else
            printf("L%zu %.1f%s", step->layer, r.keys_mean[k],
                   step->comb_only ? " (m tokens)" : step->keys_pruned ? " (pruned)" : "");
    }
    printf("\nspeed: %.1f docs/s, %.0f tokens/s, %.2f ms per batch of %zu (median), %s, %d threads\n",
           (double)r.n / r.seconds, (double)r.tokens / r.seconds, 1e3 * r.batch_time_median, batch,
           ops->name, omp_get_max_threads());
    printf("memory: peak RSS %.1f MiB, inference arena %.1f MiB, activations %.2f MiB per batch\n",
           (double)ptc_peak_rss() / 1048576.0, (double)ptc_model_activation_bytes(&m) / 1048576.0,
           r.act_bytes_per_batch / 1048576.0);
    rc = 0;
    if (a.json) {
        json_t *j = eval_json(&r, &ds, &m, a.split, ops, a.checkpoint);
        if (json_dump_file(j, a.json, JSON_INDENT(2) | JSON_SORT_KEYS) != 0) {
            fprintf(stderr, "ptc eval: cannot write %s\n", a.json);
            rc = 1;
        }
        json_decref(j);
    }
done:
    ptc_eval_result_free(&r);
    if (model_ok)
        ptc_model_free(&m);
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
    if (load_model(&a, ops, ptc_tokenizer_vocab_size(tok), n_classes, &m, err, sizeof err) != 0) {
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

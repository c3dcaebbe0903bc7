/*
 * harness/learn/eval.c — `ptc eval` (accuracy, macro/micro-F1, confusion matrix, keys
 * kept per layer, inference speed and peak memory of a checkpoint on a split)
 * and `ptc predict` (logits and labels for a TSV of texts).
 *
 *   ptc eval --run DIR [--split test|dev|train] [--checkpoint F] [--json F] [data options]
 *   ptc eval --checkpoint F --data NAME|--test F --labels F [--vocab F] ...
 *   ptc predict --run DIR|--checkpoint F --vocab F --labels F --input F.tsv [--output F]
 *
 * --variant, --p, --rule, --lc, --keep-ratios, --tome-r and --pad-mode set the
 * variant at inference; their lists sweep (one point each, the config of a point
 * is the library's: model/infer_config.c, include/ptc/infer.h).
 *
 * With --run the training run's own options (run.json argv) are read first and
 * the command line is applied on top; the checkpoint defaults to DIR/best.safetensors.
 * Model shape options given on the command line must agree with the checkpoint
 * (else "config mismatch"); the checkpoint's class count and vocabulary size
 * must agree with the data and vocabulary.
 */
#include "learn/eval.h"
#include "cluster/lock.h" /* ptc_run_lock_held: a run still training */

#include "common/machine.h"

#include "ptc/infer.h"
#include "ptc/ops.h"

#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
                           "  --variant/--p/--rule/--lc/--keep-ratios/--tome-r/--pad-mode apply at inference; lists sweep",
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
        char who[200];
        if (ptc_run_lock_held(a->run, who, sizeof who)) /* readers take no lock: say what is read */
            fprintf(stderr, "%s: note: %s is still training (%s): its best checkpoint so far is read\n",
                    prog, a->run, who);
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

/* Reads the checkpoint's config and checks it against the options (shape, when
 * given), data and vocabulary (include/ptc/infer.h). */
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
    ptc_model_config want;
    if (a->shape_given) {
        ptc_run_opts po = a->o;
        po.variant = "baseline";
        po.lc = po.m = 0;
        char sub[256];
        if (ptc_run_model_config(&po, vocab_size, n_classes, &want, sub, sizeof sub) != 0) {
            snprintf(err, err_len, "%s", sub);
            return -1;
        }
    }
    return ptc_infer_check_checkpoint(a->checkpoint, ck, a->shape_given ? &want : NULL, vocab_size,
                                      n_classes, err, err_len) == PTC_OK ? 0 : -1;
}

/* Every point of the sweep (p x rule x L_c x keep ratios x r; model/infer_config.c),
 * each checked before anything runs. */
static int build_points(const eval_args *a, const ptc_model_config *ck, ptc_model_config *pts,
                        size_t max, size_t *n, char *err, size_t err_len)
{
    char rules[8][64];
    const char *rule_names[8];
    ptc_keep_ratios keep[16];
    size_t tome_r[PTC_OPT_LIST_MAX], lcs[PTC_OPT_LIST_MAX];
    int nr = 0, nk = 0;
    if (a->rule_list && (nr = ptc_split_list(a->rule_list, ',', rules, 8)) <= 0) {
        snprintf(err, err_len, "--rule '%.200s': an empty item or more than 8", a->rule_list);
        return -1;
    }
    for (int j = 0; j < nr; j++)
        rule_names[j] = rules[j];
    if (a->keep_list && (nk = ptc_infer_parse_keep_ratios(a->keep_list, keep, 16, err, err_len)) < 0)
        return -1;
    for (size_t i = 0; i < a->tome_r_list.n; i++)
        tome_r[i] = (size_t)a->tome_r_list.v[i];
    for (size_t i = 0; i < a->lc_list.n; i++)
        lcs[i] = (size_t)a->lc_list.v[i];
    const ptc_infer_options o = {
        .variant = a->variant, .p = a->p_list.v, .n_p = a->p_list.n,
        .rules = rule_names, .n_rules = (size_t)nr, .lc = lcs, .n_lc = a->lc_list.n,
        .keep = keep, .n_keep = (size_t)nk, .tome_r = tome_r, .n_tome_r = a->tome_r_list.n,
        .pad_mode = a->pad_mode, .max_len = a->o.max_len,
    };
    if (ptc_infer_configs(ck, &o, pts, max, n, err, err_len) != PTC_OK)
        return -1;
    for (size_t i = 0; i < *n; i++)
        ptc_warn_if_nothing_pruned(&pts[i]);
    return 0;
}

/* Initialises a model of the point's config and loads the checkpoint into it. */
static int load_point(const eval_args *a, const ptc_ops *ops, const ptc_model_config *pt, ptc_model *m,
                      char *err, size_t err_len)
{
    ptc_load_report rep;
    memset(&rep, 0, sizeof rep);
    if (ptc_model_init(m, pt, ops, a->o.seed, err, err_len) != PTC_OK)
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

/* Evaluates one point and records it (stdout, JSON array, predictions, rows). */
static int eval_point_run(const eval_args *a, const ptc_ops *ops, const ptc_model_config *pt, size_t n_points,
                          const ptc_dataset *ds, const ptc_split *s, int32_t pad_id, json_t *all,
                          char *err, size_t err_len)
{
    ptc_model m;
    if (load_point(a, ops, pt, &m, err, err_len) != 0)
        return -1;
    ptc_eval_result r = {0};
    const size_t batch = a->o.eval_batch ? a->o.eval_batch : a->o.batch;
    int rc = ptc_evaluate(&m, s, ds->n_classes, batch, pad_id, &r, err, err_len);
    char pred[4400] = "";
    if (rc == 0) {
        ptc_eval_print(&r, ds, &m, a, ops, batch, n_points == 1);
        if (a->predictions) {
            ptc_eval_predictions_path(a->predictions, &m.cfg, n_points > 1, pred, sizeof pred);
            rc = ptc_eval_write_predictions(pred, s, &r, err, err_len);
        }
    }
    if (rc == 0) {
        json_t *j = ptc_eval_json(&r, ds, &m, a, ops, pred[0] ? pred : NULL);
        if (a->rows) {
            ptc_machine mach;
            char merr[128];
            memset(&mach, 0, sizeof mach);
            ptc_machine_describe(&mach, merr, sizeof merr);
            ptc_accuracy_row_in in = {.ev = j, .runj = a->run_json, .infer_only = true, .cpu = mach.cpu_model,
                                      .predictions = pred[0] ? ptc_path_relative_to(a->rows, pred) : NULL};
            json_t *row = ptc_accuracy_row(&in, true);
            rc = ptc_accuracy_rows_append(a->rows, row, err, err_len);
            json_decref(row);
        }
        json_array_append_new(all, j);
    }
    ptc_eval_result_free(&r);
    ptc_model_free(&m);
    return rc;
}

/* What eval and predict open first: the arguments, the ops table (--isa and
 * --threads resolved once), the tokenizer; err for the steps after. */
typedef struct {
    eval_args a;
    const ptc_ops *ops;
    ptc_tokenizer *tok;
    char err[1024];
} eval_session;

/* true to go on; false with *rc the exit code (0 after --help) after a message. */
static bool eval_open(eval_session *S, int argc, char **argv, bool predict, int *rc)
{
    const char *prog = predict ? "ptc predict" : "ptc eval";
    const int prc = parse_args(&S->a, argc, argv, prog, predict);
    *rc = prc == -1 ? 0 : prc ? prc : 1;
    S->tok = NULL;
    if (prc != 0 || !(S->ops = ptc_opts_compute(prog, S->a.o.isa, S->a.o.threads)))
        return false;
    const char *vocab_path;
    if (!(S->tok = ptc_run_tokenizer(&S->a.o, &vocab_path, S->err, sizeof S->err)))
        fprintf(stderr, "%s: %s\n", prog, S->err);
    return S->tok != NULL;
}

static void eval_close(eval_session *S)
{
    ptc_tokenizer_free(S->tok);
    json_decref(S->a.run_json);
}

/* The split --split names, or NULL after a message when the dataset has none. */
static const ptc_split *eval_split(const eval_args *a, const ptc_dataset *ds)
{
    const ptc_split *s = strcmp(a->split, "test") == 0  ? &ds->test
                         : strcmp(a->split, "dev") == 0 ? &ds->dev
                                                        : &ds->train;
    if (s->n == 0)
        fprintf(stderr, "ptc eval: %s has no %s split\n", ds->name, a->split);
    return s->n ? s : NULL;
}

int ptc_eval_main(int argc, char **argv)
{
    eval_session S;
    eval_args *a = &S.a;
    int rc;
    ptc_dataset ds = {0};
    ptc_model_config ck;
    ptc_model_config *pts = calloc(EVAL_MAX_POINTS, sizeof *pts);
    size_t n_points = 0;
    json_t *all = json_array();
    const ptc_split *s = NULL;
    if (!eval_open(&S, argc, argv, false, &rc))
        goto done;
    if (ptc_run_dataset(&a->o, S.tok, &ds, S.err, sizeof S.err) != 0 ||
        checkpoint_config(a, ptc_tokenizer_vocab_size(S.tok), ds.n_classes, &ck, S.err, sizeof S.err) != 0 ||
        build_points(a, &ck, pts, EVAL_MAX_POINTS, &n_points, S.err, sizeof S.err) != 0) {
        fprintf(stderr, "ptc eval: %s\n", S.err);
        goto done;
    }
    snprintf(a->trained, sizeof a->trained, "%s", ptc_variant_name(&ck.variant));
    if (!(s = eval_split(a, &ds)))
        goto done;
    for (size_t i = 0; i < n_points; i++)
        if (eval_point_run(a, S.ops, &pts[i], n_points, &ds, s, ptc_tokenizer_pad_id(S.tok), all,
                           S.err, sizeof S.err) != 0) {
            fprintf(stderr, "ptc eval: %s\n", S.err);
            goto done;
        }
    rc = 0;
    if (a->json && json_dump_file(n_points == 1 ? json_array_get(all, 0) : all, a->json,
                                  JSON_INDENT(2) | JSON_SORT_KEYS) != 0) {
        fprintf(stderr, "ptc eval: cannot write %s\n", a->json);
        rc = 1;
    }
done:
    json_decref(all);
    free(pts);
    ptc_dataset_free(&ds);
    eval_close(&S);
    return rc;
}

/* ---- predict ------------------------------------------------------------------------------------ */
/* The class names: --labels, else run.json's. 0, or -1 with a message. */
static int predict_labels(const eval_args *a, char ***names, size_t *n, char *err, size_t err_len)
{
    if (a->o.labels) {
        if (ptc_labels_read(a->o.labels, names, n, err, err_len) != 0)
            return -1;
    } else {
        json_t *l = json_object_get(a->run_json, "labels");
        *n = json_array_size(l);
        *names = calloc(*n + 1, sizeof **names);
        for (size_t i = 0; i < *n; i++)
            (*names)[i] = strdup(json_string_value(json_array_get(l, i)));
    }
    if (*n == 0)
        snprintf(err, err_len, "give --labels labels.txt (or --run DIR)");
    return *n ? 0 : -1;
}

/* The predictions TSV (--output, else stdout): line, predicted index and label,
 * one logit per class. The exit code. */
static int predict_write(const eval_args *a, const ptc_split *sp, const ptc_eval_result *r,
                         char *const *names, size_t n_classes)
{
    FILE *out = a->output ? fopen(a->output, "w") : stdout;
    if (!out) {
        fprintf(stderr, "ptc predict: cannot write %s: %s\n", a->output, strerror(errno));
        return 1;
    }
    fprintf(out, "line\tpredicted\tlabel");
    for (size_t c = 0; c < n_classes; c++)
        fprintf(out, "\tlogit_%s", names[c]);
    fprintf(out, "\n");
    for (size_t i = 0; i < sp->n; i++) {
        fprintf(out, "%zu\t%d\t%s", i + 1, r->predicted[i], names[r->predicted[i]]);
        for (size_t c = 0; c < n_classes; c++)
            fprintf(out, "\t%.6g", (double)r->logits[i * n_classes + c]);
        fprintf(out, "\n");
    }
    if (out != stdout && fclose(out) != 0) {
        fprintf(stderr, "ptc predict: error writing %s\n", a->output);
        return 1;
    }
    return 0;
}

int ptc_predict_main(int argc, char **argv)
{
    eval_session S;
    const eval_args *a = &S.a;
    int rc;
    ptc_model m;
    bool model_ok = false;
    char **names = NULL;
    size_t n_classes = 0, n_points = 0;
    ptc_split sp = {0};
    ptc_eval_result r = {0};
    ptc_model_config ck;
    ptc_model_config pt[1];
    if (eval_open(&S, argc, argv, true, &rc)) {
        if (predict_labels(a, &names, &n_classes, S.err, sizeof S.err) != 0 ||
            checkpoint_config(a, ptc_tokenizer_vocab_size(S.tok), n_classes, &ck, S.err, sizeof S.err) != 0 ||
            build_points(a, &ck, pt, 1, &n_points, S.err, sizeof S.err) != 0 ||
            !(model_ok = load_point(a, S.ops, &pt[0], &m, S.err, sizeof S.err) == 0) ||
            ptc_split_read_texts(&sp, a->input, S.tok, a->o.max_len, S.err, sizeof S.err) != 0 ||
            ptc_evaluate(&m, &sp, n_classes, a->o.eval_batch ? a->o.eval_batch : a->o.batch,
                         ptc_tokenizer_pad_id(S.tok), &r, S.err, sizeof S.err) != 0)
            fprintf(stderr, "ptc predict: %s\n", S.err);
        else
            rc = predict_write(a, &sp, &r, names, n_classes);
    }
    ptc_split_free(&sp);
    ptc_eval_result_free(&r);
    if (model_ok)
        ptc_model_free(&m);
    for (size_t i = 0; names && i < n_classes; i++)
        free(names[i]);
    free(names);
    eval_close(&S);
    return rc;
}

/*
 * harness/learn/eval.h — the pieces `ptc eval` and `ptc predict` (eval.c) share with
 * their output (eval_report.c): the parsed arguments, a sweep point, the metrics
 * JSON (ptc.eval/1), the per-document predictions file and the printed report.
 */
#ifndef PTC_HARNESS_EVAL_H
#define PTC_HARNESS_EVAL_H

#include "learn/train.h"

typedef struct {
    ptc_run_opts o;
    const char *run, *checkpoint, *split, *json, *input, *output, *rows, *predictions;
    /* the variant at inference (NULL / empty: the checkpoint's) */
    const char *variant, *rule_list, *pad_mode;
    const char *keep_list;              /* TopK: keep-ratio lists, ';' between points */
    ptc_opt_list p_list, lc_list, tome_r_list;
    json_t *run_json; /* keeps the strings of the stored argv alive */
    bool shape_given;
    char trained[16]; /* the checkpoint's variant */
} eval_args;

/* The metrics of one point as a ptc.eval/1 object (new reference); predictions:
 * the path of its predictions file, or NULL. */
json_t *ptc_eval_json(const ptc_eval_result *r, const ptc_dataset *ds, const ptc_model *m,
                      const eval_args *a, const ptc_ops *ops, const char *predictions);
/* The predictions file of a point: path itself for a single point, else path with
 * ".<variant>-<rule>-p<p>-lc<L>" before its extension. */
void ptc_eval_predictions_path(const char *path, const ptc_model_config *cfg, bool sweep, char *out,
                               size_t len);
/* Per-document predictions, TSV (doc, label, predicted), written atomically. */
int ptc_eval_write_predictions(const char *path, const ptc_split *s, const ptc_eval_result *r,
                               char *err, size_t err_len);
/* The report on stdout: full (one point) or one line per point (a sweep). */
void ptc_eval_print(const ptc_eval_result *r, const ptc_dataset *ds, const ptc_model *m,
                    const eval_args *a, const ptc_ops *ops, size_t batch, bool full);
/* path as seen from the folder of file (unchanged when it is not below it) */
const char *ptc_path_relative_to(const char *file, const char *path);

#endif /* PTC_HARNESS_EVAL_H */

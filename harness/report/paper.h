/*
 * harness/report/paper.h — the accuracy rows of `ptc experiment` / `ptc eval --rows`
 * gathered per configuration for the paper's tables and plots (issue 12):
 *
 *   paper_groups.c  groups (dataset, label, p, L_c, m, sweep) over seeds, with per-seed
 *                   accuracy, macro-F1, speed and memory ratios against the BERT run of
 *                   the same dataset and seed (the same experiment run when there is
 *                   one), the statistics of ptc/stats.h (intervals over
 *                   seeds, exact McNemar per seed and the paired bootstrap against BERT
 *                   from the per-document predictions files), and the paper's
 *                   published numbers (harness/report/paper_tables.json, embedded).
 *   table_paper.c   `ptc table --kind table2|table4|table5|table6|tests [--paper]`.
 *   plot_paper.c    the plots of Tables 4, 5, 6 and accuracy vs speedup.
 *
 * A row's "predictions" path is relative to its rows file (ptc_paper_resolve_paths
 * makes it absolute). Pure functions of the rows and those files.
 */
#ifndef PTC_HARNESS_PAPER_H
#define PTC_HARNESS_PAPER_H

#include "report/report.h"
#include "ptc/stats.h"

#define PAPER_MAX_SEEDS 32

typedef struct pgroup {
    const json_t *first;            /* an inference row of the group */
    char dataset[32], label[40], sweep[16];
    char trained[16];               /* sweep "inference": the checkpoint's variant */
    double p;                       /* NAN when the variant does not prune */
    long lc, m;                     /* -1 when it does not combine */
    long layers;
    size_t n;                       /* seeds */
    double seed[PAPER_MAX_SEEDS];
    const json_t *infer[PAPER_MAX_SEEDS], *train[PAPER_MAX_SEEDS]; /* train may be NULL */
    const json_t *base_infer[PAPER_MAX_SEEDS], *base_train[PAPER_MAX_SEEDS]; /* BERT's, or NULL */
    /* computed by ptc_paper_compute */
    ptc_summary acc, f1;            /* in %, over seeds */
    ptc_summary sp_infer, sp_train; /* speedup vs BERT: geometric mean and interval */
    ptc_summary mem_train, mem_infer; /* train arena ratio, inference activations ratio */
    bool tested;                    /* predictions of it and BERT paired for >= 1 seed */
    ptc_boot boot;                  /* accuracy difference vs BERT, in % */
    size_t n_tested;
    double mcnemar[PAPER_MAX_SEEDS];
    double paper_acc, paper_bert;   /* NAN when the paper has no such number */
    double paper_mem, paper_speedup;
} pgroup;

typedef struct pgroups {
    pgroup *g;
    size_t n;
} pgroups;

/* Rewrites relative "predictions" paths of the rows to paths from the current folder;
 * a row without one gets predictions/<config>-s<seed>.tsv beside its rows file when
 * that exists (<config> the fourth part of its config_id: rows written before
 * predictions were recorded, whose run folder had that name). */
void ptc_paper_resolve_paths(ptc_rowset *set);
/* Groups the accuracy rows (inference rows with an accuracy; the train row of the
 * same run and config_id beside each); sorted by dataset (paper order), variant
 * family, p descending, L_c, m. 0, or -1 (no message) when there is none. */
int ptc_paper_group(const json_t **rows, size_t n, pgroups *out);
/* Statistics and the paper's numbers of every group. */
void ptc_paper_compute(pgroups *gs);
void ptc_paper_free(pgroups *gs);
/* a token-reduction group (TopK, LTP, ToMe: issue 17): its p is TopK's keep ratio
 * (its label says it), not the paper's p */
bool ptc_paper_is_token(const pgroup *g);
/* the BERT group of a dataset (sweep "train"), or NULL */
const pgroup *ptc_paper_bert(const pgroups *gs, const char *dataset);
/* "confirmed" / "not confirmed" / "within noise" / "" (no claim of the paper) */
const char *ptc_paper_verdict(const pgroup *g);
/* the paper's source line (its citation) */
const char *ptc_paper_source(void);
/* the paper's Table 5 and Table 6 entries: rows i of "table5" (lc, accuracy,
 * memory, speedup); false past the end */
bool ptc_paper_table5_row(size_t i, long *lc, double *acc, double *mem, double *speedup);
/* the paper's Table 4 (PF trained with p, on its dataset): accuracy %, memory and
 * speedup at p on `dataset`; false (all NAN) when the paper has no such row */
bool ptc_paper_table4_at(const char *dataset, double p, double *acc, double *mem, double *speedup);
/* row i of the paper's Table 4 when its dataset is `dataset`; false past the end */
bool ptc_paper_table4_row(size_t i, const char *dataset, double *p, double *acc, double *mem, double *speedup);
/* the paper's Table 3 memory and speedup ratios of a paper label ("P", "PF", "C L11",
 * "PFC L11", "PFC L7"); false (NAN) when the paper has no such row */
bool ptc_paper_table3(const char *label, double *mem, double *speedup);
/* the paper's label of a configuration for Tables 2 and 3 ("P", "PF", "C L11",
 * "PFC L11", "PFC L7", "BERT"), or NULL: default p (0.9) and m (8); a combining
 * layer one before the last is the paper's L11 of 12 */
const char *ptc_paper_label(const char *label, double p, long lc, long m, long layers);
/* paper's claim of Table 6 (best m) */
long ptc_paper_best_m(void);

/* `ptc table --kind table2|table4|table5|table6|tests` (table_paper.c) */
int ptc_table_build_paper(ptc_rtable *t, const json_t **rows, size_t n, const char *kind, bool paper);

/* ---- the plots of accuracy rows (plot_accuracy.c; plot.h has the rest) ---- */
struct plot_ctx;
/* accuracy_vs_p-DATASET and accuracy_vs_speedup-DATASET for each dataset */
void plot_accuracy(struct plot_ctx *pc, const pgroups *gs);
/* the rows (inference and training) of every group of a dataset into out (room for
 * two per seed of each group); their count */
size_t plot_dataset_rows(const pgroups *gs, const char *ds, const json_t **out);
/* a configuration's name in a legend: label, p (when with_p) and m when not the
 * defaults, "at inference (... checkpoint)" for an inference sweep */
void plot_group_name(const pgroup *g, bool with_p, char *out, size_t len);
/* Ends an accuracy plot's command and script: BERT's accuracy as the dashed reference
 * line titled "BERT (ACC<suffix>)" when bert has one, the newline, plot_script_tail. */
void plot_bert_reference_end(FILE *gp, const pgroup *bert, const char *suffix);

#endif /* PTC_HARNESS_PAPER_H */

/*
 * harness/bench/sweep.h — the sweep specification of `ptc bench`: options, ranges,
 * spec files, and their expansion into configurations with stable ids.
 *
 * A sweep is one or more SECTIONS; each section is a Cartesian product of lists
 * (level x model x isa x threads x seq x batch x pad x variant x rule x p x lc x
 * m x project_kept x phase). On the command line one section is given by options
 * (`--seq 128-4096*2 --p 1,0.9 ...`); a spec file (`--spec FILE`) has the same
 * options one per line (`--seq 128,256` or `seq 128,256`), `#` comments, and
 * `---` lines between sections. The configurations of all sections are pooled
 * and de-duplicated by config_id.
 *
 * Values: a list of items separated by commas; a numeric item may be a range:
 *   A-B*F  geometric (A, A*F, ... <= B; F > 1)     128-4096*2
 *   A-B+S  arithmetic (A, A+S, ... <= B; S > 0)    128-512+128, 0.7-1+0.1
 * Variants: the paper's names BERT, P (prune, top-k), PF (prune, clamp), C, PFC
 * or the long ones baseline, prune, combine, combined (harness/common/options.h);
 * a name that implies a rule (P, PF) fixes it unless --rule is given.
 * Models: a preset of model/config.c (bert-base, bert-medium, bert-small,
 * bert-mini, bert-tiny), or a custom shape
 * "hidden,layers,heads,ffn" (four integers); several models are separated by
 * ';' ("bert-tiny;256,4,4,1024") or, when all are named, by ','.
 *
 * Token variants (TopK, LTP, ToMe; encoder level only): TopK keeps p of its
 * tokens per removing layer, or --keep-ratios lists ("0.9,0.8;0.7": two points,
 * by removing layer, the last repeating; they replace p); ToMe merges --tome-r
 * tokens away per merging layer (8); LTP removes tokens below a fixed threshold
 * --ltp-thresholds (1: the mean importance; learned ones: `ptc eval`).
 * Collapse: a dimension that does not apply to a variant is not expanded and is
 * left out of the config_id: p and rule for baseline and combine; lc and m for
 * baseline and prune; project_kept for variants that prune nothing (all keys
 * are projected either way). Levels: kernel = one head's attention (baseline
 * and prune only; lc, m, pad and project_kept do not apply: no projections, no
 * pads), layer = one encoder layer (baseline, prune) or the combining module
 * that replaces one (combine; lc does not apply); combined exists only at
 * encoder level. Combinations that do not exist at a level are skipped and
 * counted (ptc_sweep_expand says how many); a sweep with nothing left is an
 * error.
 *
 * Every check runs before anything is measured: a bad value gives a one-line
 * message and PTC_EINVAL (the program exits 2 and writes nothing).
 * Pure bookkeeping: no ops, no OpenMP, no files except the spec file read.
 */
#ifndef PTC_HARNESS_SWEEP_H
#define PTC_HARNESS_SWEEP_H

#include "common/options.h"
#include "ptc/infer.h"
#include "ptc/variants.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PTC_SWEEP_MAX_LIST 64     /* values per dimension */
#define PTC_SWEEP_MAX_SECTIONS 16
#define PTC_SWEEP_MAX_MODELS 8
#define PTC_SWEEP_MAX_ISAS 8
#define PTC_SWEEP_ID_LEN 320
#define PTC_SWEEP_MAX_KEEP 16     /* TopK keep-ratio lists per section */

typedef enum ptc_level { PTC_LEVEL_KERNEL = 0, PTC_LEVEL_LAYER = 1, PTC_LEVEL_ENCODER = 2 } ptc_level;

typedef struct ptc_model_shape {
    char name[32];  /* "bert-base" ... or "custom" */
    int hidden, layers, heads, ffn;
} ptc_model_shape;

/* One Cartesian product. n_* == 0 means "not given": the default applies. */
typedef struct ptc_sweep_section {
    int n_level;   ptc_level level[3];
    int n_variant; ptc_variant variant[8];
    int variant_rule[8]; /* the rule a paper name implies (P: topk, PF: clamp) or -1 */
    int n_rule;    ptc_prune_rule rule[3];
    int n_p;       double p[PTC_SWEEP_MAX_LIST];
    int n_lc;      int lc[PTC_SWEEP_MAX_LIST];
    int n_m;       int m[PTC_SWEEP_MAX_LIST];
    int n_isa;     char isa[PTC_SWEEP_MAX_ISAS][16]; /* table names or "best" */
    int n_threads; int threads[PTC_SWEEP_MAX_LIST];
    int n_model;   ptc_model_shape model[PTC_SWEEP_MAX_MODELS];
    int n_seq;     int seq[PTC_SWEEP_MAX_LIST];
    int n_batch;   int batch[PTC_SWEEP_MAX_LIST];
    int n_pad;     ptc_pad_mode pad[2];
    int n_project; bool project_kept[2];
    int n_phase;   bool train[2];   /* --phase infer,train: a forward, or a training step */
    /* token variants (issue 17): TopK's keep-ratio lists (replace p), ToMe's r, LTP's
     * fixed threshold of every removing layer */
    int n_keep;    ptc_keep_ratios keep[PTC_SWEEP_MAX_KEEP];
    int n_tome_r;  int tome_r[PTC_SWEEP_MAX_LIST];
    int n_ltp;     double ltp_threshold[PTC_SWEEP_MAX_LIST];
} ptc_sweep_section;

/* Everything `ptc bench` takes. */
typedef struct ptc_sweep_opts {
    int n_sections;
    ptc_sweep_section sections[PTC_SWEEP_MAX_SECTIONS];
    bool sweep_given;    /* any dimension option or --spec was given */
    /* measurement (0 / negative: default) */
    int reps;            /* repetitions per configuration (5) */
    double min_time_s;   /* seconds per repetition at least (0.05) */
    double warmup_s;     /* GB warm-up seconds (0: none beyond one untimed check call) */
    uint64_t seed;       /* inputs, weights, bootstrap (1) */
    bool measurement_given;
    /* run control */
    char out[512];       /* results folder ("results") */
    char name[64];       /* run name suffix ("sweep"; "default" for the default sweep) */
    char resume[256];    /* run folder to resume, "" = none, "@name" = latest with --name */
    bool resume_latest;  /* --resume without a value: latest run named --name */
    bool dry_run;
    bool no_calibrate;   /* do not calibrate when no calibration exists (pct_peak null) */
    bool bind;           /* bind OpenMP thread i to PU i (true) */
    bool gbench_console; /* GB's console table on stdout */
    bool progress;       /* progress lines on stderr even when it is no terminal */
    char spec_path[512]; /* --spec FILE, "" = none */
} ptc_sweep_opts;

/* One configuration. Fields that do not apply hold their neutral value and are
 * flagged by the has_* booleans (they are null in rows and absent from the id). */
typedef struct ptc_sweep_config {
    ptc_level level;
    ptc_variant variant;
    bool has_rule, has_p, has_lc, has_m, has_project;
    ptc_prune_rule rule;
    double p;
    int lc, m;
    bool project_kept;
    bool has_keep, has_tome_r, has_ltp; /* TopK with keep lists, ToMe, LTP */
    ptc_keep_ratios keep;               /* TopK: by removing layer (else p for all) */
    int tome_r;                         /* ToMe: tokens merged away per merging layer */
    double ltp_threshold;               /* LTP: the fixed threshold of every removing layer */
    bool train;          /* phase train: one training step (forward, backward, AdamW) of
                          * the classifier; encoder level only; in the id and group only
                          * when set, so inference ids stay as they were */
    ptc_model_shape model;
    int seq, batch;
    ptc_pad_mode pad;
    char isa[16];        /* resolved table name */
    int threads;
    char id[PTC_SWEEP_ID_LEN];    /* config_id */
    char group[PTC_SWEEP_ID_LEN]; /* group key: level .. threads (the id's prefix) */
    char label[40];      /* BERT, P, PF, PF-within, C L7, PFC L7, P+C L7, PF-within+C L7 */
    double est_flops;    /* analytic FLOPs of one forward (ETA weights, dry-run) */
} ptc_sweep_config;

/* Defaults, then the options of argv[first..argc). Unknown options and bad
 * values fail with a one-line message. Dimension options fill the current
 * section; "---" starts a new one. */
void ptc_sweep_opts_init(ptc_sweep_opts *o);
int ptc_sweep_parse_args(ptc_sweep_opts *o, int argc, char **argv, int first, char *err,
                         size_t err_len);
/* No dimension given (a trailing "---"). */
bool ptc_sweep_section_empty(const ptc_sweep_section *s);
/* The defaults of every dimension (from the option rows' def), as one section. */
const ptc_sweep_section *ptc_sweep_default_section(void);
/* --help of `ptc bench` from its option rows. */
void ptc_sweep_usage(FILE *out);
/* Spec text (contents of a spec file): the same options, one per line. */
int ptc_sweep_parse_spec_text(ptc_sweep_opts *o, const char *text, const char *source,
                              char *err, size_t err_len);
int ptc_sweep_parse_spec_file(ptc_sweep_opts *o, const char *path, char *err, size_t err_len);
/* One option (key without the leading "--"; from_spec: a spec file line, where run
 * options are refused) into o; a new section ("---"); whether key is a flag (takes no
 * value). PTC_OK or PTC_EINVAL with a message. */
int ptc_sweep_apply(ptc_sweep_opts *o, const char *key, const char *val, bool from_spec, char *err,
                    size_t len);
int ptc_sweep_new_section(ptc_sweep_opts *o, char *err, size_t len);
bool ptc_sweep_is_flag(const char *key);

/* Range/list parsers (exposed for tests). Return the count, or -1 with a message. */
int ptc_sweep_parse_ints(const char *s, int *out, int max, int min_value, const char *what,
                         char *err, size_t err_len);
int ptc_sweep_parse_doubles(const char *s, double *out, int max, const char *what, char *err,
                            size_t err_len);
int ptc_sweep_parse_models(const char *s, ptc_model_shape *out, int max, char *err,
                           size_t err_len);

/* The configurations of every section, validated (ISA present and runnable, p in
 * (0, 1], lc in 1..layers, heads divide hidden, threads <= hardware threads
 * `max_threads` (0: not checked), ...), de-duplicated, in a fixed order in which
 * the configurations of one group (same config->group) are contiguous, groups in
 * order of first appearance, the baseline first in its group. *skipped counts combinations that do not exist at their level. Returns 0, or
 * PTC_EINVAL with a one-line message. *out is malloc'ed (free it). */
int ptc_sweep_expand(const ptc_sweep_opts *o, int max_threads, ptc_sweep_config **out,
                     size_t *n_out, size_t *skipped, char *err, size_t err_len);

/* Writes the normalized spec (a spec file that ptc_sweep_parse_spec_text reads
 * back to the same configurations and measurement settings). Returns bytes
 * that were needed (snprintf-style). */
size_t ptc_sweep_spec_format(const ptc_sweep_opts *o, char *buf, size_t len);

/* id and label of a config whose fields are set (used by expand). */
void ptc_sweep_config_finish(ptc_sweep_config *c);
/* The settings of a token variant's config: "k0.9,0.8" (TopK keep lists), "r8"
 * (ToMe), "t1" (LTP's threshold), else "" (TopK by p: the p field says it).
 * Returns the length it needed. */
size_t ptc_sweep_token_tag(const ptc_sweep_config *c, char *buf, size_t len);

/* names of levels and sweep variants (sweep_names.c) */
extern const char *const ptc_level_names[3];
const char *ptc_level_name(ptc_level l);
const char *ptc_sweep_variant_name(ptc_variant v);

/* Analytic FLOPs of one forward of c (batch included), for estimates only. */
double ptc_sweep_estimate_flops(const ptc_sweep_config *c);

/* The built-in default sweep (the text of harness/bench/default.sweep). */
extern const char ptc_default_sweep_text[];

#endif /* PTC_HARNESS_SWEEP_H */

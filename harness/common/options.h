/*
 * harness/common/options.h — the command-line vocabulary of every `ptc` command.
 *
 * A command describes its options as groups of table rows (ptc_option: name,
 * kind, field offset, value name, help, default, bounds); ptc_opts_parse reads
 * argv against them ("--name VALUE" or "--name=VALUE"), checks every value
 * (one-line reason on stderr, exit status 2 for the caller), prints --help
 * from the same rows (each command lists its own options only) and sets the
 * defaults from the rows' `def` text: a default is written down once, in the
 * row, and shown by --help from there.
 *
 * An option that exists in ptc but not in this command is an error that names
 * it ("--epochs does not apply to `ptc eval`"); an unknown one is an error too.
 *
 * One vocabulary per dimension, shared by every command:
 *   variants  BERT|baseline, P, PF|prune, C|combine, PFC|combined (paper's names
 *             and long ones; P means prune with the top-k rule, PF with clamp)
 *   rules     topk, clamp, within
 *   pad modes length-aware, padded
 *   ISAs      best or an ops table name (ptc_ops_select: a table the CPU lacks
 *             is an error, never a fallback)
 *   models    the preset table of model/config.c (ptc_model_presets)
 * Lists ("0.9,0.7") and ranges ("128-4096*2", "0.7-1+0.1") parse with
 * ptc_parse_list.
 */
#ifndef PTC_HARNESS_OPTIONS_H
#define PTC_HARNESS_OPTIONS_H

#include "ptc/model.h"
#include "ptc/ops.h"
#include "ptc/variants.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PTC_OPT_LIST_MAX 64

typedef enum ptc_opt_kind {
    PTC_OPT_FLAG,    /* bool; takes no value */
    PTC_OPT_STR,     /* const char * (points into argv) */
    PTC_OPT_SIZE,    /* size_t, an integer in [min, max] */
    PTC_OPT_INT,     /* int, an integer in [min, max] */
    PTC_OPT_U64,     /* uint64_t, any non-negative integer */
    PTC_OPT_DOUBLE,  /* double in [min, max], or (min, max] with min_open */
    PTC_OPT_DOUBLES, /* ptc_opt_list: numbers in [min, max] / (min, max], ranges allowed */
    PTC_OPT_SIZES,   /* ptc_opt_list: integers in [min, max], ranges allowed */
    PTC_OPT_VARIANT, /* const char *: the learn name (baseline P PF C PFC) of a variant */
    PTC_OPT_VARIANTS,/* ptc_opt_names: a list of variants, learn names */
    PTC_OPT_RULE,    /* const char *: topk clamp within */
    PTC_OPT_PAD,     /* const char *: length-aware padded */
    PTC_OPT_MODEL,   /* const char *: a preset name */
    PTC_OPT_ISA,     /* const char *: best or a table name of this build */
    PTC_OPT_CHOICE,  /* int: the index of the value in `choices` */
    PTC_OPT_CUSTOM,  /* `set` parses the value into the field (repeatable options) */
} ptc_opt_kind;

typedef struct ptc_opt_list {
    size_t n;
    double v[PTC_OPT_LIST_MAX];
} ptc_opt_list;

typedef struct ptc_opt_names {
    size_t n;
    const char *v[PTC_OPT_LIST_MAX];
} ptc_opt_names;

/* Rows name only the fields they need; the rest stay zero on purpose. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

typedef struct ptc_option {
    const char *name;    /* without "--" */
    ptc_opt_kind kind;
    size_t offset;       /* of the field in the group's struct */
    const char *value;   /* value name in --help ("N", "X", "DIR"); NULL for flags */
    const char *help;    /* one line */
    const char *def;     /* default, parsed into the field by ptc_opts_defaults and shown
                          * by --help; NULL: none (the field stays zero) */
    double min, max;     /* bounds of numbers (both 0: none) */
    bool min_open;       /* min itself is refused */
    const char *const *choices; /* CHOICE: the values, NULL-terminated */
    /* CUSTOM: 0, or -1 with the whole one-line reason in err */
    int (*set)(void *field, const char *value, char *err, size_t len);
} ptc_option;

/* Rows of one struct; `opts` ends with a row whose name is NULL. */
typedef struct ptc_opt_group {
    const char *title;   /* heading in --help */
    const ptc_option *opts;
    void *base;          /* the struct the offsets refer to */
} ptc_opt_group;

/* What a parse saw, in command-line order (for "was it given?" and pass-through). */
#define PTC_OPT_SEEN_MAX 128
#define PTC_OPT_ARGS_MAX 4096
typedef struct ptc_opt_seen {
    size_t n;
    struct {
        const ptc_option *opt;
        int first, last; /* argv indices of the option and its value */
    } at[PTC_OPT_SEEN_MAX];
    size_t n_args;       /* positional arguments, when the command takes them */
    const char *args[PTC_OPT_ARGS_MAX];
} ptc_opt_seen;

typedef struct ptc_command_spec {
    const char *prog;        /* "ptc eval" */
    const char *usage;       /* the usage line(s) after "usage: " */
    const ptc_opt_group *groups;
    size_t n_groups;
    size_t max_args;         /* positional arguments allowed (0: none; at most PTC_OPT_ARGS_MAX) */
    const ptc_opt_group *others; /* rows of sibling commands: named as "does not apply" */
    size_t n_others;
} ptc_command_spec;

/* Sets every row's default (def) in every group. */
void ptc_opts_defaults(const ptc_command_spec *c);
/* Parses argv[first..argc). Returns 0 (parsed), 1 (--help printed to stdout:
 * exit 0) or 2 (a one-line message on stderr: exit 2). seen may be NULL. */
int ptc_opts_parse(const ptc_command_spec *c, int argc, char **argv, int first, ptc_opt_seen *seen);
/* A command whose options are one group of rows (title: its --help heading): sets their
 * defaults, then parses argv[first..argc) as ptc_opts_parse does (0, 1 after --help,
 * 2 after a message). */
int ptc_opts_parse_group(const char *prog, const char *usage, const char *title,
                         const ptc_option *rows, void *base, size_t max_args, int argc, char **argv,
                         int first, ptc_opt_seen *seen);
/* --help text of the command, from its rows. With PTC_OPTIONS_TSV set: the rows
 * as "--name<TAB>VALUE<TAB>choices" lines after "#ptc-options<TAB>PROG" instead
 * (choices: the vocabulary of variant, rule, pad, model and ISA options), which
 * scripts/gen-docs.sh turns into the bash completion. */
void ptc_opts_usage(const ptc_command_spec *c, FILE *out);
/* Whether --name was given in the parse that filled seen. */
bool ptc_opts_given(const ptc_opt_seen *seen, const char *name);

/* Writes a one-line reason into err (when err_len > 0); returns -1 (= PTC_EINVAL). */
int ptc_opt_fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- lists (the vocabularies of names: include/ptc/model.h) ------------------------ */
/* Numbers: a comma list whose items may be ranges A-B*F (geometric) or A-B+S
 * (arithmetic). integer: every value an integer. Returns the count or -1. */
int ptc_parse_list(const char *s, double *out, int max, bool integer, const char *what, char *err,
                   size_t len);

/* Splits s at sep into items (each 1..63 characters); the count, or -1 when an
 * item is empty or too long or there are more than max. */
int ptc_split_list(const char *s, char sep, char items[][64], int max);

/* --isa and --threads of a computing command, resolved once: the ops table
 * (ptc_ops_select) and OpenMP's thread count when threads > 0. NULL with a
 * one-line message printed as "prog: reason" when the table cannot run. */
const ptc_ops *ptc_opts_compute(const char *prog, const char *isa, int threads);

#endif /* PTC_HARNESS_OPTIONS_H */

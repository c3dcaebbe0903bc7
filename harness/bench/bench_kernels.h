/*
 * harness/bench/bench_kernels.h — the parts of the kernel benchmark (build/ptc-bench-kernels,
 * harness/bench/bench_kernels.c) that its result files need: the options, the cases, the
 * measured peaks, the notes, and the writer of bench_kernels.{json,csv,md}
 * (harness/bench/bench_kernels_rows.c). Internal to the kernel benchmark.
 */
#ifndef PTC_HARNESS_BENCH_KERNELS_H
#define PTC_HARNESS_BENCH_KERNELS_H

#include "bench/gbench.h"

#include "ptc/ops.h"

#include <stdbool.h>
#include <stddef.h>

#define MAX_THREAD_COUNTS 8
#define MAX_CASES 256
#define MAX_NOTES 64
#define ATTN_D 64

typedef struct options {
    bool quick, dedup, ref_full, openblas, onednn, gbench_console;
    const char *isa;  /* NULL: every supported table */
    const char *out;
    int threads[MAX_THREAD_COUNTS];
    int n_threads;
    double min_time_s;
    int reps;
    double case_budget_s; /* a slow case gets fewer repetitions to stay within this */
} options;

typedef struct sgemm_shape { size_t m, n, k; } sgemm_shape;

/* Inputs shared by every case, sized for the largest shape. */
typedef struct buffers {
    float *a, *b, *c;           /* sgemm: A (M, K), B (K, N), C (M, N) */
    float *q, *k, *v, *o, *lse; /* attention: (n, d) each, lse (n) */
} buffers;

typedef enum { OP_SGEMM, OP_ATTENTION } op_kind;

/* Who computes a case: a ptc table, or a benchmark-only peer library */
typedef enum { PEER_NONE, PEER_OPENBLAS, PEER_ONEDNN } peer_kind;

/* One timed case (the gbench user pointer). */
typedef struct bench_case {
    op_kind op;
    const char *impl;     /* table name, "openblas" or "onednn" */
    const ptc_ops *ops;   /* NULL for a peer */
    peer_kind peer;
    int threads;
    size_t m, n, k;       /* sgemm */
    ptc_trans tb;         /* sgemm: C = A B (NN) or A B^T (NT, the encoder's x W^T) */
    size_t seq;           /* attention: n queries = n keys */
    const buffers *buf;
    double flops;
    char shape[48];
    int gbench_index;
} bench_case;

typedef struct peaks {
    const char *isa[4];      /* ISAs with a peak figure */
    int n_isa;
    double gflops[4][MAX_THREAD_COUNTS];
    const char *best;        /* widest, used for ref and OpenBLAS */
    double triad_gbps[MAX_THREAD_COUNTS];
} peaks;

/* The peak GFLOP/s of isa at `threads` threads (of the best ISA when isa has none, e.g. ref
 * or OpenBLAS); *used names the ISA whose peak it is, or "none" (then 0). */
double bk_peak_for(const peaks *pk, const options *o, const char *isa, int threads, const char **used);

typedef struct run_context {
    const options *opt;
    const peaks *pk;
    const ptc_ops *const *tables;
    size_t n_tables;
    const char *cpu, *slug, *features, *commit, *date, *flags, *peer;
    double load_start, load_end, elapsed;
} run_context;

/* Adds a line to the run's notes (printed, and kept in the result files). */
void bk_add_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The notes so far. */
int bk_note_count(void);
const char *bk_note(int i);
void bk_free_notes(void);

/* DIR/bench_kernels.{json,csv,md}: the context and one row per case. 0, or 1 after a message. */
int bk_write_results(const char *dir, const run_context *r, ptc_gbench *suite,
                     const bench_case *cases, int n_cases);

#endif /* PTC_HARNESS_BENCH_KERNELS_H */

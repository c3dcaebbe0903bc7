/*
 * harness/bench/bench_workload.h — the workload of one `ptc bench` configuration inside a
 * group child (harness/bench/bench_work.c): random model weights, set-up (untimed), one
 * forward (the timed unit) and its accounting. Internal to harness/bench/. Single-threaded
 * set-up; bench_work_once uses c->threads OpenMP threads at kernel level.
 */
#ifndef PTC_HARNESS_BENCH_WORKLOAD_H
#define PTC_HARNESS_BENCH_WORKLOAD_H

#include "bench/bench_train.h"
#include "bench/sweep.h"

#include "ptc/ops.h"
#include "ptc/variants.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Random weights (uniform, standard deviation 0.02, seeded) of some layers and a
 * combining module, in one slab. */
typedef struct model_weights {
    float *slab;
    bool fused_qkv;         /* layers carry packed [Wq; Wk; Wv] and use them */
    ptc_encoder_weights layers[PTC_MAX_LAYERS];
    ptc_combine_weights combine;
    ptc_encoder_stack stack;
} model_weights;

/* n_layers layers of shape m and a combining module; with fused_qkv each layer's
 * Wq, Wk, Wv (and biases) also packed into one (3 hidden, hidden) weight, and the
 * forwards compute Q, K, V by one GEMM where they can (ptc_mhsa_options.fused_qkv).
 * 0 on success, -1 out of memory. */
int bench_model_init(model_weights *w, const ptc_model_shape *m, int n_layers, bool fused_qkv,
                     uint64_t seed);
/* The switch between one GEMM and three for Q, K and V: the environment variable
 * PTC_QKV = fused | separate (unset or empty: separate). 1 fused, 0 separate, -1
 * any other value. */
int bench_qkv_fused(void);
void bench_model_free(model_weights *w);
/* Layers of weights configuration c needs (0 at kernel level and for the training phase). */
int bench_layers_needed(const ptc_sweep_config *c);

#define MAX_STEPS (PTC_MAX_LAYERS + 1)

/* One timed run of a configuration (a Google Benchmark repetition): per-op time
 * and wall time, both per iteration. */
typedef struct op_run {
    ptc_op_times per_iter;
    double total_s;
} op_run;

typedef struct workload {
    const ptc_sweep_config *cfg;
    const ptc_ops *ops;
    const model_weights *mw;
    size_t d;               /* head dimension */
    ptc_tokens tok;
    float *x, *y;           /* inputs (batch, rows, hidden); layer outputs */
    void *arena;            /* encoder arena or layer workspace */
    size_t arena_bytes;
    ptc_variant_config vcfg;
    ptc_encoder_stack stack;     /* mw's, with this configuration's LTP thresholds */
    float ltp_threshold[PTC_MAX_LAYERS + 1];
    ptc_encoder_result *res;
    ptc_train_work *train;  /* phase train: the model and its batch */
    /* layer prune: state restored before each call */
    void *state_mem, *state_saved;
    size_t state_bytes;
    ptc_prune_state state, state_saved_struct;
    ptc_mhsa_options mopt;
    int32_t *assign;
    /* kernel: per sample Q, K, V, O (seq, d) and kept rows */
    float *q, *k, *v, *o;
    int32_t *kv_rows;       /* (batch, seq) */
    size_t *kv_count;       /* (batch) */
    /* accounting of one forward */
    size_t n_steps;
    ptc_layer_stats steps[MAX_STEPS];
    ptc_layer_stats total;
    /* per-op time: what the forwards add (reset per timed run) and the last
     * op_runs_cap timed runs, oldest overwritten (harness/bench/bench_work.c) */
    ptc_op_times times;
    op_run *op_runs;
    size_t op_runs_cap, n_op_runs;
    int rc;
    char err[300];
} workload;

/* Allocates and prepares a workload (untimed) of c over mw (which must outlive it).
 * Returns 0, or -1 with w->err (and w->rc). */
int bench_workload_setup(workload *w, const ptc_sweep_config *c, const model_weights *mw,
                         uint64_t seed);
void bench_workload_free(workload *w);
/* One forward of the workload (the timed unit), its per-op time added to w->times
 * (training steps: not timed by op). Sets w->rc / w->err. */
void bench_work_once(workload *w);
/* Keeps the per-op time of the last `cap` timed runs (0 on success, -1 out of memory). */
int bench_op_runs_init(workload *w, size_t cap);
/* Records one timed run of `iterations` forwards that took wall_s, from w->times. */
void bench_op_run_record(workload *w, int64_t iterations, double wall_s);
/* Accounting of the last forward into w->steps / w->total. */
void bench_collect_stats(workload *w);

#endif /* PTC_HARNESS_BENCH_WORKLOAD_H */

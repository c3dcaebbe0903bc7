/*
 * harness/bench/sweep_rows.h — result rows of `ptc bench` (schema ptc.row/1,
 * harness/SCHEMA.md): building them, appending them durably, reading back which
 * configurations are done (for --resume), and the statistics a row carries
 * (median, bootstrap confidence interval of a speedup: ptc/stats.h).
 *
 * Rows are JSON objects (jansson), one per line of rows.jsonl, written and read
 * back by harness/common/rows.h.
 * No OpenMP, no ops: safe in the parent process of a sweep.
 */
#ifndef PTC_HARNESS_SWEEP_ROWS_H
#define PTC_HARNESS_SWEEP_ROWS_H

#include "bench/sweep.h"
#include "common/rows.h"
#include "common/sys.h"
#include "ptc/stats.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What every row of a run shares. */
typedef struct ptc_row_identity {
    char run[128];
    char cpu[128], cpu_slug[128];
    char commit[64];
    bool dirty;
    uint64_t seed;
    int reps;
    double min_time_s, warmup_s;
} ptc_row_identity;

/* A row with every field that defines the configuration (schema, run,
 * config_id, status "ok", level, variant, label, rule, p, lc, m, pad_mode,
 * project_kept, model, hidden, layers, heads, ffn, seq, batch, isa, threads,
 * cpu, cpu_slug, commit, dirty, timestamp). The measured fields are added by the
 * caller. NULL on no memory. */
json_t *ptc_row_new(const ptc_sweep_config *c, const ptc_row_identity *id);

/* Turns row into an error row: status "error", `error` (one line), and the
 * measured fields of the schema present as null. */
void ptc_row_set_error(json_t *row, const char *message);

/* pending[i] = configuration i has no ok row in ids. Returns the pending count. */
size_t ptc_rows_pending(const ptc_sweep_config *configs, size_t n_configs, char *const *ids,
                        size_t n_ids, bool *pending);

#endif /* PTC_HARNESS_SWEEP_ROWS_H */

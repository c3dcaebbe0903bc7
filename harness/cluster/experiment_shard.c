/*
 * harness/cluster/experiment_shard.c — the trainings a shard of `ptc experiment` runs
 * and writes (contract in experiment_shard.h).
 */
#include "cluster/experiment_shard.h"

#include "bench/sweep_rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Some ok row's config_id ends in ";<key>;phase=<phase>" (or is exactly that without
 * the leading ';'). */
static bool has_row(char *const *ids, size_t n, const char *key, const char *phase)
{
    char tail[512];
    const int len = snprintf(tail, sizeof tail, ";%s;phase=%s", key, phase);
    if (len <= 0 || (size_t)len >= sizeof tail)
        return false;
    for (size_t i = 0; i < n; i++) {
        const size_t l = strlen(ids[i]);
        if ((l >= (size_t)len && strcmp(ids[i] + l - (size_t)len, tail) == 0) ||
            strcmp(ids[i], tail + 1) == 0)
            return true;
    }
    return false;
}

long ptc_experiment_shard_plan(const char *rows_path, const char *const *keys, const bool *baseline,
                               size_t nc, size_t ns, const ptc_shard *shard, bool *run, bool *write)
{
    char **done = NULL;
    size_t n_done = 0;
    if (rows_path && (ptc_rows_repair_tail(rows_path) < 0 || ptc_rows_ok_ids(rows_path, &done, &n_done) != 0))
        return -1;
    const size_t n = nc * ns;
    if (ptc_shard_select(keys, n, shard, write) == (size_t)-1) {
        ptc_rows_free_ids(done, n_done);
        return -1;
    }
    long n_write = 0;
    for (size_t i = 0; i < n; i++) {
        write[i] = write[i] && !(has_row(done, n_done, keys[i], "train") &&
                                 has_row(done, n_done, keys[i], "infer"));
        run[i] = write[i];
        n_write += write[i];
    }
    for (size_t s = 0; s < ns; s++) {
        bool any = false;
        for (size_t c = 0; c < nc; c++)
            any |= write[c * ns + s];
        for (size_t c = 0; c < nc; c++)
            if (baseline[c])
                run[c * ns + s] |= any;
    }
    ptc_rows_free_ids(done, n_done);
    return n_write;
}

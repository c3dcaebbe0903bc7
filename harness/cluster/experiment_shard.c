/*
 * harness/cluster/experiment_shard.c — the trainings a shard of `ptc experiment` runs
 * and writes (contract in experiment_shard.h).
 */
#include "cluster/experiment_shard.h"

#include "common/rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ptc_experiment_plan_init(ptc_experiment_plan *p, size_t nc, size_t ns)
{
    memset(p, 0, sizeof *p);
    const size_t n = nc * ns > 0 ? nc * ns : 1;
    p->key = calloc(n, sizeof *p->key);
    p->write = calloc(n, sizeof *p->write);
    if (!p->key || !p->write) {
        ptc_experiment_plan_free(p);
        return -1;
    }
    p->nc = nc;
    p->ns = ns;
    return 0;
}

void ptc_experiment_plan_free(ptc_experiment_plan *p)
{
    free(p->key);
    free(p->write);
    memset(p, 0, sizeof *p);
}

void ptc_experiment_plan_set(ptc_experiment_plan *p, size_t c, size_t s, const char *config,
                             const char *seed)
{
    snprintf(p->key[c * p->ns + s], sizeof *p->key, "%.96s;seed=%.32s", config, seed);
}

/* Some ok row's config_id ends in ";<key>;phase=<phase>" (or is exactly that without
 * the leading ';'). */
static bool has_row(char *const *ids, size_t n, const char *key, const char *phase)
{
    char tail[PTC_EXPERIMENT_KEY_LEN + 32];
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

long ptc_experiment_plan_decide(ptc_experiment_plan *p, const char *rows_path, const ptc_shard *shard)
{
    char **done = NULL;
    size_t n_done = 0;
    if (rows_path && (ptc_rows_repair_tail(rows_path) < 0 || ptc_rows_ok_ids(rows_path, &done, &n_done) != 0))
        return -1;
    const size_t n = p->nc * p->ns;
    const char **keys = calloc(n ? n : 1, sizeof *keys);
    for (size_t i = 0; keys && i < n; i++)
        keys[i] = p->key[i];
    const size_t mine = keys ? ptc_shard_select(keys, n, shard, p->write) : (size_t)-1;
    free(keys);
    if (mine == (size_t)-1) {
        ptc_rows_free_ids(done, n_done);
        return -1;
    }
    p->n_write = 0;
    for (size_t i = 0; i < n; i++) {
        p->write[i] = p->write[i] && !(has_row(done, n_done, p->key[i], "train") &&
                                       has_row(done, n_done, p->key[i], "infer"));
        p->n_write += p->write[i];
    }
    ptc_rows_free_ids(done, n_done);
    return p->n_write;
}

void ptc_experiment_plan_print(const ptc_experiment_plan *p, const ptc_shard *shard, FILE *out)
{
    fprintf(out, "%zu configurations x %zu seeds = %zu trainings; %ld written here%s:\n", p->nc, p->ns,
            p->nc * p->ns, p->n_write, shard->count ? " (this shard)" : "");
    for (size_t i = 0; i < p->nc * p->ns; i++)
        if (p->write[i])
            fprintf(out, "id %s\n", p->key[i]);
}

/*
 * harness/cluster/shard_sweep.c — a shard of a `ptc bench` sweep (contract in
 * shard_sweep.h).
 */
#include "cluster/shard_sweep.h"

#include <stdlib.h>
#include <string.h>

size_t ptc_shard_sweep_select(const ptc_shard *s, const ptc_sweep_config *configs, size_t n,
                              bool *mine, bool *pending, size_t *n_pending)
{
    const char **ids = calloc(n ? n : 1, sizeof *ids);
    if (!ids)
        return (size_t)-1;
    for (size_t i = 0; i < n; i++)
        ids[i] = configs[i].id;
    const size_t n_mine = ptc_shard_select(ids, n, s, mine);
    free(ids);
    for (size_t i = 0; n_mine != (size_t)-1 && i < n; i++)
        if (pending[i] && !mine[i]) {
            pending[i] = false;
            (*n_pending)--;
        }
    return n_mine;
}

void ptc_shard_sweep_print(const ptc_shard *s, const ptc_sweep_config *configs, size_t n,
                           const bool *mine, FILE *out)
{
    if (s->count <= 0)
        return;
    size_t n_mine = 0;
    for (size_t i = 0; i < n; i++)
        n_mine += mine[i];
    fprintf(out, "shard %d/%d (from %s): %zu of the %zu configurations; their config ids:\n", s->index,
            s->count, s->source, n_mine, n);
    for (size_t i = 0; i < n; i++)
        if (mine[i])
            fprintf(out, "id %s\n", configs[i].id);
}

void ptc_shard_sweep_run_name(const ptc_shard *s, const char *name, char *out, size_t len)
{
    char suffix[64];
    ptc_shard_suffix(s, suffix, sizeof suffix);
    snprintf(out, len, "%s%s", s->count > 0 ? name : "", suffix);
}

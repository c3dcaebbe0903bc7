/*
 * harness/cluster/status.c — `ptc status RUN...`: the shards of sharded runs under
 * the given folders, each done, running, stopped or missing.
 *
 * A shard folder is one with shard.json (harness/cluster/shard.h). Shards form a
 * set by (command, name, count). A shard is
 *   running   its folder's lock is held now (ptc_run_lock_held: the holder's pid and host)
 *   done      shard.json says "done" and no process holds the lock
 *   stopped   shard.json says "running", "stopped" or "failed" and nobody holds the
 *             lock: killed, interrupted or failed; rerunning the same command (or
 *             requeueing the array task) resumes it
 *   missing   no folder for that index under the given folders
 * One line per set, then one per shard. Exit 0 when every shard of every set is
 * done, 1 otherwise (or when nothing was found), 2 for bad usage.
 */
#define _GNU_SOURCE
#include "cluster/cluster.h"
#include "cluster/lock.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *dir;
    json_t *info;        /* shard.json */
    const char *command, *name, *state;
    int shard, count;
    long rows_ok, rows_error;
    char who[256];
} shard_dir;

static void count_rows(const char *dir, long *ok, long *error)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/rows.jsonl", dir);
    *ok = *error = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t *row = json_loads(line, 0, NULL);
        const char *status = row ? json_string_value(json_object_get(row, "status")) : NULL;
        if (status)
            *(strcmp(status, "ok") == 0 ? ok : error) += 1;
        json_decref(row);
    }
    free(line);
    fclose(f);
}

static bool same_set(const shard_dir *a, const shard_dir *b)
{
    return a->count == b->count && strcmp(a->command, b->command) == 0 && strcmp(a->name, b->name) == 0;
}

/* Prints one set (the shards like s[first]); returns how many of its shards are not done. */
static int print_set(const shard_dir *s, size_t n, size_t first)
{
    int done = 0, running = 0, stopped = 0, missing = 0;
    char lines[8192] = "";
    size_t used = 0;
    for (int k = 1; k <= s[first].count; k++) {
        bool any = false, k_done = false, k_running = false;
        for (size_t i = first; i < n; i++) {
            if (!same_set(&s[first], &s[i]) || s[i].shard != k)
                continue;
            const bool run = s[i].who[0] != '\0';
            const bool fin = !run && strcmp(s[i].state, "done") == 0;
            char what[300];
            snprintf(what, sizeof what, run ? "running (%s)" : fin ? "done" : "stopped (%s)",
                     run ? s[i].who : s[i].state);
            used += (size_t)snprintf(lines + used, used < sizeof lines ? sizeof lines - used : 0,
                                     "  shard %d/%d  %-28s %ld ok, %ld error rows  host %s  %s\n", k,
                                     s[i].count, what, s[i].rows_ok, s[i].rows_error,
                                     json_string_value(json_object_get(s[i].info, "host")), s[i].dir);
            any = true;
            k_done |= fin;
            k_running |= run;
        }
        if (!any)
            used += (size_t)snprintf(lines + used, used < sizeof lines ? sizeof lines - used : 0,
                                     "  shard %d/%d  missing\n", k, s[first].count);
        done += k_done;
        running += !k_done && k_running;
        stopped += any && !k_done && !k_running;
        missing += !any;
    }
    printf("%s %s: %d shards: %d done, %d running, %d stopped, %d missing\n%s", s[first].command,
           s[first].name, s[first].count, done, running, stopped, missing, lines);
    return s[first].count - done;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: ptc status RUN...\n"
               "  the shards (folders with shard.json) under each RUN, 4 levels deep: done,\n"
               "  running (lock held), stopped (killed or failed: rerun to resume), missing.\n"
               "  Exit 0 when every shard is done, else 1.\n");
}

int ptc_status_main(int argc, char **argv)
{
    char **dirs = NULL;
    size_t n_dirs = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            ptc_cluster_free_runs(dirs, n_dirs);
            return 0;
        }
        if (argv[i][0] == '-') {
            fprintf(stderr, "ptc status: unknown option '%s' (try --help)\n", argv[i]);
            ptc_cluster_free_runs(dirs, n_dirs);
            return 2;
        }
        if (ptc_cluster_find_runs(argv[i], NULL, &dirs, &n_dirs) != 0) {
            fprintf(stderr, "ptc status: cannot read %s: %s\n", argv[i], strerror(errno));
            ptc_cluster_free_runs(dirs, n_dirs);
            return 1;
        }
    }
    if (argc < 2) {
        fprintf(stderr, "ptc status: give RUN... (try --help)\n");
        return 2;
    }
    shard_dir *s = calloc(n_dirs ? n_dirs : 1, sizeof *s);
    size_t n = 0;
    for (size_t i = 0; s && i < n_dirs; i++) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/shard.json", dirs[i]);
        json_t *info = json_load_file(path, 0, NULL);
        const char *command = json_string_value(json_object_get(info, "command")),
                   *name = json_string_value(json_object_get(info, "name")),
                   *state = json_string_value(json_object_get(info, "state"));
        const json_int_t k = json_integer_value(json_object_get(info, "shard")),
                         count = json_integer_value(json_object_get(info, "count"));
        if (!command || !name || !state || k < 1 || k > count) {
            json_decref(info);
            continue;
        }
        s[n] = (shard_dir){.dir = dirs[i], .info = info, .command = command, .name = name,
                           .state = state, .shard = (int)k, .count = (int)count};
        count_rows(dirs[i], &s[n].rows_ok, &s[n].rows_error);
        ptc_run_lock_held(dirs[i], s[n].who, sizeof s[n].who);
        n++;
    }
    int not_done = n == 0;
    if (n == 0)
        fprintf(stderr, "ptc status: no shard folder (shard.json) under the given folders\n");
    for (size_t i = 0; i < n; i++) {
        bool first = true;
        for (size_t j = 0; j < i && first; j++)
            first = !same_set(&s[i], &s[j]);
        if (first)
            not_done += print_set(s, n, i);
    }
    for (size_t i = 0; i < n; i++)
        json_decref(s[i].info);
    free(s);
    ptc_cluster_free_runs(dirs, n_dirs);
    return not_done ? 1 : 0;
}

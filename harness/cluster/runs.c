/*
 * harness/cluster/runs.c — finding run folders for ptc merge and ptc status
 * (contract in cluster.h).
 */
#define _GNU_SOURCE
#include "cluster/cluster.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_run_folder(const char *dir)
{
    char p[PATH_MAX + 32];
    snprintf(p, sizeof p, "%s/rows.jsonl", dir);
    if (access(p, F_OK) == 0)
        return true;
    snprintf(p, sizeof p, "%s/shard.json", dir);
    return access(p, F_OK) == 0;
}

static bool same_dir(const char *a, const char *b)
{
    struct stat sa, sb;
    return b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int push(char ***dirs, size_t *n, const char *path)
{
    char **grown = realloc(*dirs, (*n + 1) * sizeof *grown);
    if (!grown)
        return -1;
    *dirs = grown;
    if (!(grown[*n] = strdup(path)))
        return -1;
    (*n)++;
    return 0;
}

static int cmp_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int find(const char *path, const char *skip, int depth, char ***dirs, size_t *n)
{
    if (same_dir(path, skip))
        return 0;
    if (is_run_folder(path))
        return push(dirs, n, path);
    if (depth == 0)
        return 0;
    struct dirent **list;
    const int k = scandir(path, &list, NULL, cmp_name);
    if (k < 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < k; i++) {
        char child[PATH_MAX];
        struct stat st;
        if (list[i]->d_name[0] != '.' && rc == 0 &&
            snprintf(child, sizeof child, "%s/%s", path, list[i]->d_name) < (int)sizeof child &&
            stat(child, &st) == 0 && S_ISDIR(st.st_mode))
            rc = find(child, skip, depth - 1, dirs, n) < 0 && errno == ENOMEM ? -1 : 0;
        free(list[i]);
    }
    free(list);
    return rc;
}

int ptc_cluster_find_runs(const char *path, const char *skip, char ***dirs, size_t *n)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return find(path, skip, 4, dirs, n);
}

void ptc_cluster_free_runs(char **dirs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(dirs[i]);
    free(dirs);
}

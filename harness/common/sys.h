/*
 * harness/common/sys.h — the small system pieces every part of the harness shares,
 * one implementation each: mkdir -p, whether a path exists, the load averages, a monotonic clock, the git commit of the
 * program, FNV-1a hashing. (The machine and its CPU slug: common/machine.h.)
 */
#ifndef PTC_HARNESS_SYS_H
#define PTC_HARNESS_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Creates path and its missing parents (mode 0777 before umask). 0, or -1 with errno. */
int ptc_mkdir_p(const char *path);
/* Whether path names anything stat(2) can see. */
bool ptc_path_exists(const char *path);
/* The 1, 5 and 15 minute load averages (/proc/loadavg); -1 each when unreadable. */
void ptc_load_averages(double v[3]);
/* Seconds of CLOCK_MONOTONIC. */
double ptc_now(void);
/* `git describe --always --dirty --abbrev=12` of the repository this program was
 * built in (run from the folder of /proc/self/exe), without "-dirty" (that goes
 * to *dirty when not NULL); "unknown" outside a repository. */
void ptc_git_describe(char *commit, size_t len, bool *dirty);
/* 64-bit FNV-1a of n bytes, continuing from h (start: PTC_FNV_OFFSET). */
#define PTC_FNV_OFFSET 0xcbf29ce484222325ULL
uint64_t ptc_fnv1a(const void *p, size_t n, uint64_t h);
/* ptc_fnv1a of a string's bytes from PTC_FNV_OFFSET */
uint64_t ptc_hash_string(const char *s);

#endif /* PTC_HARNESS_SYS_H */

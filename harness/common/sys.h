/*
 * harness/common/sys.h — the small system pieces every part of the harness shares,
 * one implementation each: mkdir -p, whether a path exists, the load averages, the git
 * commit of the program; and, from the library (ptc/sys.h), the monotonic clock, the
 * peak resident set and FNV-1a hashing. (The machine and its CPU slug: common/machine.h.)
 */
#ifndef PTC_HARNESS_SYS_H
#define PTC_HARNESS_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ptc/sys.h"

/* Creates path and its missing parents (mode 0777 before umask). 0, or -1 with errno. */
int ptc_mkdir_p(const char *path);
/* Whether path names anything stat(2) can see. */
bool ptc_path_exists(const char *path);
/* The 1, 5 and 15 minute load averages (/proc/loadavg); -1 each when unreadable. */
void ptc_load_averages(double v[3]);
/* `git describe --always --dirty --abbrev=12` of the repository this program was
 * built in (run from the folder of /proc/self/exe), without "-dirty" (that goes
 * to *dirty when not NULL); "unknown" outside a repository. */
void ptc_git_describe(char *commit, size_t len, bool *dirty);

#endif /* PTC_HARNESS_SYS_H */

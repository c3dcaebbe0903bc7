/*
 * tests/test_dirs.c — scratch folders of the core tests (see test_dirs.h).
 */
#include "test_dirs.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void test_fresh_dir(char *out, size_t len, const char *prefix, const char *name)
{
    const char *d = getenv("TMPDIR");
    snprintf(out, len, "%s/ptc-%s-%ld-%s", d && *d ? d : "/tmp", prefix, (long)getpid(), name);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", out, out);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot make %s\n", out);
}

void test_remove_dir(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

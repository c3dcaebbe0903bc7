/*
 * fuzz/fuzz_util.h — pieces the libFuzzer targets share: a per-process scratch
 * folder for parsers that read files, splitting an input into parts, and a
 * NUL-terminated copy. Targets are built with clang -fsanitize=fuzzer,address,
 * undefined (`make fuzz`, fuzz/run.sh); an input that crashes, hangs or leaks is
 * a bug in the parser, never an expected outcome.
 */
#ifndef PTC_FUZZ_UTIL_H
#define PTC_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* $TMPDIR/ptc-fuzz-PID/name, created on first use */
static inline const char *fuzz_path(const char *name)
{
    static char dir[256];
    static char path[512];
    if (!dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/ptc-fuzz-%ld", t && *t ? t : "/tmp", (long)getpid());
        mkdir(dir, 0700);
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

/* writes n bytes to fuzz_path(name) and returns that path (static storage: copy it
 * before the next call) */
static inline const char *fuzz_write(const char *name, const uint8_t *data, size_t n)
{
    const char *path = fuzz_path(name);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort(); /* the scratch folder must be writable */
    if (n)
        fwrite(data, 1, n, f);
    fclose(f);
    return path;
}

/* a malloc'ed NUL-terminated copy of n bytes */
static inline char *fuzz_strndup(const uint8_t *data, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, data, n);
    s[n] = '\0';
    return s;
}

/* Splits data at the first occurrence of sep: *a = [0, at), *b = after sep; without
 * sep, a is all of data and b empty. */
static inline void fuzz_split(const uint8_t *data, size_t n, const char *sep, const uint8_t **a,
                              size_t *na, const uint8_t **b, size_t *nb)
{
    const size_t ls = strlen(sep);
    for (size_t i = 0; i + ls <= n; i++)
        if (memcmp(data + i, sep, ls) == 0) {
            *a = data;
            *na = i;
            *b = data + i + ls;
            *nb = n - i - ls;
            return;
        }
    *a = data;
    *na = n;
    *b = data + n;
    *nb = 0;
}

#endif

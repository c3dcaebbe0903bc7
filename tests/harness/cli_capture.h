/*
 * tests/harness/cli_capture.h — helpers of the command-level harness tests:
 * temporary folders under $TMPDIR (default /tmp) named by pid and test, and
 * running a command's entry function in process with stderr (and optionally
 * stdout) captured.
 */
#ifndef PTC_TESTS_CLI_CAPTURE_H
#define PTC_TESTS_CLI_CAPTURE_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* a small model and the built-in synthetic data (4 classes, 128 test documents) */
#define TINY_MODEL "--model", "bert-tiny", "--hidden", "32", "--heads", "2", "--ffn", "64"
#define SYNTH "--data", "synthetic", "--synthetic-train", "256", "--synthetic-dev", "64", \
              "--synthetic-test", "128", "--max-len", "128"

static inline void tmp_dir(char *out, size_t len, const char *name)
{
    const char *d = getenv("TMPDIR");
    snprintf(out, len, "%s/ptc-train-test-%ld-%s", d && *d ? d : "/tmp", (long)getpid(), name);
}

static inline void rm_rf(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

/* Runs fn(argc, argv) with stderr captured into buf. */
static inline int run_captured(int (*fn)(int, char **), char **argv, char *buf, size_t len)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    char path[512];
    tmp_dir(path, sizeof path, "stderr.txt");
    fflush(stderr);
    const int saved = dup(2);
    const int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    dup2(fd, 2);
    close(fd);
    const int rc = fn(argc, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, len - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    unlink(path);
    return rc;
}

/* run_captured with stdout sent to /dev/null */
static inline int run_quiet(int (*fn)(int, char **), char **argv, char *buf, size_t len)
{
    fflush(stdout);
    const int saved = dup(1), nul = open("/dev/null", O_WRONLY);
    dup2(nul, 1);
    close(nul);
    const int rc = run_captured(fn, argv, buf, len);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    return rc;
}

#endif /* PTC_TESTS_CLI_CAPTURE_H */

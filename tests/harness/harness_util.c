/*
 * tests/harness/harness_util.c — helpers of the harness tests (harness_util.h):
 * temporary folders and running a command's entry function with stderr captured.
 */
#include "harness_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void ptc_test_tmp_dir(char *out, size_t len, const char *name)
{
    const char *d = getenv("TMPDIR");
    snprintf(out, len, "%s/ptc-harness-test-%ld-%s", d && *d ? d : "/tmp", (long)getpid(), name);
}

void ptc_test_rm_rf(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

char *ptc_test_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

/* fd 1 or 2 into a file while fn runs; the file's text into buf afterwards */
typedef struct {
    int fd, saved;
    char path[512];
} redirect;

static void redirect_begin(redirect *r, int fd, const char *name)
{
    r->fd = fd;
    ptc_test_tmp_dir(r->path, sizeof r->path, name);
    fflush(fd == 1 ? stdout : stderr);
    r->saved = dup(fd);
    const int f = open(r->path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    dup2(f, fd);
    close(f);
}

static void redirect_end(redirect *r, char *buf, size_t len)
{
    fflush(r->fd == 1 ? stdout : stderr);
    dup2(r->saved, r->fd);
    close(r->saved);
    FILE *f = fopen(r->path, "r");
    size_t n = f && buf ? fread(buf, 1, len - 1, f) : 0;
    if (buf)
        buf[n] = '\0';
    if (f)
        fclose(f);
    unlink(r->path);
}

int ptc_test_run_io(int (*fn)(int, char **), char **argv, char *out, size_t out_len, char *err,
                    size_t err_len)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    redirect ro, re;
    if (out)
        redirect_begin(&ro, 1, "stdout.txt");
    redirect_begin(&re, 2, "stderr.txt");
    const int rc = fn(argc, argv);
    redirect_end(&re, err, err_len);
    if (out)
        redirect_end(&ro, out, out_len);
    return rc;
}

int ptc_test_run_captured(int (*fn)(int, char **), char **argv, char *buf, size_t len)
{
    return ptc_test_run_io(fn, argv, NULL, 0, buf, len);
}

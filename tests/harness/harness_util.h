/*
 * tests/harness/harness_util.h — helpers shared by the harness tests.
 */
#ifndef PTC_TESTS_HARNESS_UTIL_H
#define PTC_TESTS_HARNESS_UTIL_H

#include <stddef.h>

/* $TMPDIR (or /tmp)/ptc-harness-test-<pid>-<name> */
void ptc_test_tmp_dir(char *out, size_t len, const char *name);
/* rm -rf dir */
void ptc_test_rm_rf(const char *dir);
/* The whole file as a NUL-terminated string (free it); NULL when it cannot be opened. */
char *ptc_test_read_file(const char *path);
/* Runs fn(argc, argv) (argv NULL-terminated) with stderr captured into buf;
 * returns fn's result. */
int ptc_test_run_captured(int (*fn)(int, char **), char **argv, char *buf, size_t len);
/* The same with stdout captured into out too (either buffer may be NULL). */
int ptc_test_run_io(int (*fn)(int, char **), char **argv, char *out, size_t out_len, char *err,
                    size_t err_len);

#endif

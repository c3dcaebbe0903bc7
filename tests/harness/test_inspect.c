/*
 * tests/harness/test_inspect.c — `ptc inspect` (harness/report/inspect.c) on the
 * transformers-style fixture tests/data/tiny_bert/: its config, tensors and what a load
 * misses or ignores on stdout; --isa, --help and bad usage (exit 2), an unreadable file
 * (exit 1, one line). Runs from the repository root.
 */
#include "../ptc_test.h"
#include "harness_util.h"
#include "report/inspect.h"

#include <string.h>

#define TINY_BERT "tests/data/tiny_bert/model.safetensors"

PTC_TEST(inspect_command)
{
    static char out[65536], err[4096];
    char *ok[] = {"inspect", "--isa", "ref", TINY_BERT, NULL};
    int rc = ptc_test_run_io(ptc_inspect_main, ok, out, sizeof out, err, sizeof err);
    ptc_check(ctx, rc == 0 && strstr(out, "config (from config.json)") && strstr(out, "hidden 8") &&
                   strstr(out, "n_classes 3") && strstr(out, "bert.pooler.dense.weight") &&
                   strstr(out, "I64") && strstr(out, "missing (initialised): 2") &&
                   strstr(out, "classifier.weight") && strstr(out, "ignored: 3"),
              "inspect: rc %d\n%s%s", rc, out, err);

    char *help[] = {"inspect", "--help", NULL};
    rc = ptc_test_run_io(ptc_inspect_main, help, out, sizeof out, err, sizeof err);
    ptc_check(ctx, rc == 0 && strstr(out, "--isa") && !strstr(out, "--threads"),
              "--help lists its own options: rc %d\n%s", rc, out);

    char *none[] = {"inspect", NULL};
    char *two[] = {"inspect", TINY_BERT, TINY_BERT, NULL};
    char *bad_isa[] = {"inspect", "--isa", "no-such-table", TINY_BERT, NULL};
    char *bad_opt[] = {"inspect", "--p", "0.5", TINY_BERT, NULL};
    char **usage[] = {none, two, bad_isa, bad_opt};
    for (size_t i = 0; i < sizeof usage / sizeof usage[0]; i++) {
        rc = ptc_test_run_io(ptc_inspect_main, usage[i], out, sizeof out, err, sizeof err);
        ptc_check(ctx, rc == 2 && strncmp(err, "ptc inspect: ", 13) == 0 && strchr(err, '\n') == strrchr(err, '\n'),
                  "bad usage %zu: exit 2 with one line: rc %d, %s", i, rc, err);
    }

    char *missing[] = {"inspect", "/nonexistent/model.safetensors", NULL};
    rc = ptc_test_run_io(ptc_inspect_main, missing, out, sizeof out, err, sizeof err);
    ptc_check(ctx, rc == 1 && strstr(err, "nonexistent") && strchr(err, '\n') == strrchr(err, '\n'),
              "unreadable file: exit 1 with one line: rc %d, %s", rc, err);
}

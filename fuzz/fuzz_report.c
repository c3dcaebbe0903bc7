/*
 * fuzz/fuzz_report.c — `ptc table` and `ptc compare` on arbitrary rows.
 * Input: a first byte choosing the command, table kind and format; a line of
 * options (--where / --columns / --key / --fail-if value); then the rows file,
 * for compare two of them separated by a line "=====". Runs the command's
 * entry function in process (standard output to /dev/null).
 */
#include "fuzz_util.h"

#include "report/report.h"

#include <fcntl.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    static bool quiet;
    if (!quiet) {
        const int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        close(fd);
        quiet = true;
    }
    static const char *const kinds[] = {"table3", "seq", "p", "lc", "isa", "raw", "accuracy"};
    static const char *const formats[] = {"md", "csv", "latex"};
    static const char *const table_opts[] = {"--where", "--columns"};
    static const char *const compare_opts[] = {"--where", "--key", "--fail-if", "--columns"};
    const uint8_t mode = data[0];
    const uint8_t *line, *rest, *a, *b;
    size_t n_line, n_rest, na, nb;
    fuzz_split(data + 1, size - 1, "\n", &line, &n_line, &rest, &n_rest);
    char *value = fuzz_strndup(line, n_line);
    const char *format = formats[(mode >> 1) % 3];
    if (mode & 1) {
        fuzz_split(rest, n_rest, "\n=====\n", &a, &na, &b, &nb);
        char pa[512], pb[512];
        snprintf(pa, sizeof pa, "%s", fuzz_write("a.jsonl", a, na));
        snprintf(pb, sizeof pb, "%s", fuzz_write("b.jsonl", b, nb));
        char *argv[] = {"compare", (char *)compare_opts[(mode >> 3) % 4], value, "--format",
                        (char *)format, pa, pb, NULL};
        ptc_compare_main(7, argv);
    } else {
        char p[512];
        snprintf(p, sizeof p, "%s", fuzz_write("rows.jsonl", rest, n_rest));
        char *argv[] = {"table", "--kind", (char *)kinds[(mode >> 3) % 7], "--format", (char *)format,
                        (char *)table_opts[(mode >> 6) % 2], value, p, NULL};
        ptc_table_main(8, argv);
    }
    fflush(stdout);
    free(value);
    return 0;
}

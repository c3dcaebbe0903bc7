/*
 * fuzz/fuzz_rows.c — result rows (rows.jsonl) with a --where filter. Input: the
 * filter spec on the first line, then the rows file. Rows are read as `ptc
 * table` reads them (lenient and --strict), filtered, and each kept row must
 * match the filter.
 */
#include "fuzz_util.h"

#include "common/rows_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    const uint8_t *where, *rows;
    size_t n_where, n_rows;
    fuzz_split(data, size, "\n", &where, &n_where, &rows, &n_rows);
    char *spec = fuzz_strndup(where, n_where);
    const char *path = fuzz_write("rows.jsonl", rows, n_rows);
    FILE *diag = fopen("/dev/null", "w");
    for (int strict = 0; strict < 2; strict++) {
        ptc_rowset set;
        ptc_rows_init(&set);
        ptc_load_opts o = {0};
        o.strict = strict;
        o.prog = "fuzz";
        o.diag = diag;
        if (ptc_rows_load(&set, path, &o) == 0) {
            ptc_filters f = {0};
            char err[512];
            if (ptc_filters_parse(&f, spec, err, sizeof err) == 0) {
                ptc_rows_filter(&set, &f);
                for (size_t i = 0; i < set.n; i++)
                    if (!ptc_filters_match(&f, set.rows[i].obj))
                        abort();
            }
            ptc_filters_free(&f);
        }
        ptc_rows_free(&set);
    }
    fclose(diag);
    free(spec);
    return 0;
}

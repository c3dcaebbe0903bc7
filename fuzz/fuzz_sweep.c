/*
 * fuzz/fuzz_sweep.c — the sweep spec and the `ptc bench` sweep command line.
 * Input: a first byte choosing the form, then either spec text (as in a --spec
 * file) or command-line words, one per line. The options are parsed, expanded
 * into configurations (at most 20,000) and written back as a normalized spec,
 * which must parse again.
 */
#include "fuzz_util.h"

#include "bench/sweep.h"

#define MAX_WORDS 64

static void expand_and_format(ptc_sweep_opts *o)
{
    char err[512];
    ptc_sweep_config *configs = NULL;
    size_t n = 0, skipped = 0;
    if (ptc_sweep_expand(o, 2, &configs, &n, &skipped, err, sizeof err) == 0)
        free(configs);
    const size_t need = ptc_sweep_spec_format(o, NULL, 0) + 1;
    char *spec = malloc(need);
    if (!spec)
        abort();
    ptc_sweep_spec_format(o, spec, need);
    static ptc_sweep_opts back;
    ptc_sweep_opts_init(&back);
    ptc_sweep_parse_spec_text(&back, spec, "normalized", err, sizeof err);
    free(spec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 8192)
        return 0;
    static ptc_sweep_opts o; /* large: not on the stack */
    ptc_sweep_opts_init(&o);
    char err[512];
    char *text = fuzz_strndup(data + 1, size - 1);
    if (data[0] & 1) {
        char *argv[MAX_WORDS + 1];
        int argc = 0;
        argv[argc++] = "bench";
        for (char *save = NULL, *w = strtok_r(text, "\n", &save); w && argc < MAX_WORDS;
             w = strtok_r(NULL, "\n", &save))
            argv[argc++] = w;
        argv[argc] = NULL;
        if (ptc_sweep_parse_args(&o, argc, argv, 1, err, sizeof err) == 0)
            expand_and_format(&o);
    } else if (ptc_sweep_parse_spec_text(&o, text, "fuzz.sweep", err, sizeof err) == 0) {
        expand_and_format(&o);
    }
    free(text);
    return 0;
}

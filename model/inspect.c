/*
 * model/inspect.c — `ptc inspect CHECKPOINT`: the config (ptc metadata or the
 * config.json beside the file), every tensor of the file with dtype, shape and
 * byte range, the model's parameter count, and the model tensors the file lacks
 * (they would be initialised) or the file tensors a load ignores.
 * Exit status: 0, 1 for an unreadable or inconsistent file (one line on
 * stderr), 2 for bad usage.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

int ptc_inspect_main(int argc, char **argv)
{
    const char *usage = "usage: ptc inspect CHECKPOINT.safetensors\n"
                        "  config, tensors (dtype, shape, bytes), parameter count, what a load uses\n";
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc != 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *path = argv[1];
    char err[512];
    ptc_st_file f;
    if (ptc_st_open(path, &f, err, sizeof err) != PTC_OK) {
        fprintf(stderr, "ptc inspect: %s\n", err);
        return 1;
    }
    ptc_model_config cfg;
    ptc_load_report rep;
    memset(&rep, 0, sizeof rep);
    if (ptc_checkpoint_config(path, PTC_VARIANT_BASELINE, &cfg, &rep, err, sizeof err) != PTC_OK) {
        ptc_st_close(&f);
        fprintf(stderr, "ptc inspect: %s\n", err);
        return 1;
    }
    printf("checkpoint: %s (%llu bytes, header %llu bytes)\n", path, (unsigned long long)f.file_size,
           (unsigned long long)(f.data_start - 8));
    printf("config (from %s):\n", rep.config_from_metadata ? "ptc metadata" : "config.json");
    char desc[2048];
    ptc_model_config_describe(&cfg, desc, sizeof desc);
    for (char *line = strtok(desc, "\n"); line; line = strtok(NULL, "\n"))
        printf("  %s\n", line);
    printf("tensors (%zu):\n", f.n);
    unsigned long long elements = 0;
    for (size_t i = 0; i < f.n; i++) {
        const ptc_st_entry *e = &f.entries[i];
        char shape[128] = "";
        unsigned long long count = 1;
        for (size_t k = 0; k < e->ndim; k++) {
            snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%llu", k ? ", " : "",
                     (unsigned long long)e->shape[k]);
            count *= e->shape[k];
        }
        elements += count;
        printf("  %-60s %-5s [%s]  bytes %llu..%llu\n", e->name, e->dtype, shape,
               (unsigned long long)e->begin, (unsigned long long)e->end);
    }
    ptc_st_close(&f);

    const ptc_ops *ops = ptc_ops_find("ref");
    ptc_model m;
    if (!ops || ptc_model_init(&m, &cfg, ops, 0, err, sizeof err) != PTC_OK) {
        fprintf(stderr, "ptc inspect: %s\n", ops ? err : "no ref table");
        return 1;
    }
    if (ptc_model_load_tensors(&m, path, &rep, err, sizeof err) != PTC_OK) {
        ptc_model_free(&m);
        fprintf(stderr, "ptc inspect: %s\n", err);
        return 1;
    }
    printf("elements in the file: %llu\n", elements);
    printf("model parameters: %zu (%zu tensors loaded)\n", m.n_params, rep.n_loaded);
    printf("missing (initialised): %zu\n", rep.n_missing);
    for (size_t i = 0; i < rep.n_missing && i < 64; i++)
        printf("  %s\n", rep.missing[i]);
    if (rep.n_missing > 64)
        printf("  ... %zu more\n", rep.n_missing - 64);
    printf("ignored: %zu\n", rep.n_ignored);
    for (size_t i = 0; i < rep.n_ignored && i < 64; i++)
        printf("  %s\n", rep.ignored[i]);
    if (rep.n_ignored > 64)
        printf("  ... %zu more\n", rep.n_ignored - 64);
    ptc_model_free(&m);
    return 0;
}

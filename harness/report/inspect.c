/*
 * harness/report/inspect.c — `ptc inspect [--isa NAME] CHECKPOINT`: prints what a
 * safetensors checkpoint holds (model/inspect.c reads it: the config, every tensor with
 * dtype, shape and byte range) and what a load into a model of that config uses (the
 * parameter count, the model tensors the file lacks, which would be initialised, and the
 * file tensors a load ignores). The model is built on the ops table --isa names
 * (default: the best this CPU runs); nothing is computed. Exit status: 0, 1 for an
 * unreadable or inconsistent file (one line on stderr), 2 for bad usage.
 */
#include "report/inspect.h"
#include "common/options.h"

#include "ptc/model.h"
#include "ptc/ops.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef struct inspect_opts {
    const char *isa;
} inspect_opts;

#define O(field) offsetof(inspect_opts, field)
static const ptc_option inspect_rows[] = {
    {"isa", PTC_OPT_ISA, O(isa), "NAME", "ops table the model is built on", "best"},
    {NULL},
};
#undef O

static void print_info(const char *path, const ptc_checkpoint_info *info)
{
    printf("checkpoint: %s (%llu bytes, header %llu bytes)\n", path,
           (unsigned long long)info->file_size, (unsigned long long)info->header_bytes);
    printf("config (from %s):\n", info->rep.config_from_metadata ? "ptc metadata" : "config.json");
    char desc[2048];
    ptc_model_config_describe(&info->cfg, desc, sizeof desc);
    for (char *line = strtok(desc, "\n"); line; line = strtok(NULL, "\n"))
        printf("  %s\n", line);
    printf("tensors (%zu):\n", info->n_tensors);
    for (size_t i = 0; i < info->n_tensors; i++) {
        const ptc_checkpoint_tensor *t = &info->tensors[i];
        char shape[128] = "";
        for (size_t k = 0; k < t->ndim; k++)
            snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%llu", k ? ", " : "",
                     (unsigned long long)t->shape[k]);
        printf("  %-60s %-5s [%s]  bytes %llu..%llu\n", t->name, t->dtype, shape,
               (unsigned long long)t->begin, (unsigned long long)t->end);
    }
}

/* "what:" with a count and the first 64 names. */
static void print_names(const char *what, size_t n, const char (*names)[96])
{
    printf("%s: %zu\n", what, n);
    for (size_t i = 0; i < n && i < 64; i++)
        printf("  %s\n", names[i]);
    if (n > 64)
        printf("  ... %zu more\n", n - 64);
}

/* Loads the checkpoint into a model of its config: the parameter count and what the load
 * lacked or ignored. 0, or 1 after a message. */
static int print_load(const char *path, const ptc_checkpoint_info *info, const ptc_ops *ops)
{
    char err[512];
    ptc_load_report rep = info->rep;
    ptc_model m;
    if (ptc_model_init(&m, &info->cfg, ops, 0, err, sizeof err) != PTC_OK) {
        fprintf(stderr, "ptc inspect: %s\n", err);
        return 1;
    }
    if (ptc_model_load_tensors(&m, path, &rep, err, sizeof err) != PTC_OK) {
        ptc_model_free(&m);
        fprintf(stderr, "ptc inspect: %s\n", err);
        return 1;
    }
    printf("elements in the file: %llu\n", (unsigned long long)info->elements);
    printf("model parameters: %zu (%zu tensors loaded)\n", m.n_params, rep.n_loaded);
    print_names("missing (initialised)", rep.n_missing, rep.missing);
    print_names("ignored", rep.n_ignored, rep.ignored);
    ptc_model_free(&m);
    return 0;
}

int ptc_inspect_main(int argc, char **argv)
{
    inspect_opts o = {0};
    ptc_opt_seen seen;
    const int prc = ptc_opts_parse_group(
        "ptc inspect", "ptc inspect [--isa NAME] CHECKPOINT.safetensors\n"
                       "  config, tensors (dtype, shape, bytes), parameter count, what a load uses",
        "inspect", inspect_rows, &o, 1, argc, argv, 1, &seen);
    if (prc != 0)
        return prc == 1 ? 0 : 2;
    if (seen.n_args != 1) {
        fprintf(stderr, "ptc inspect: give one CHECKPOINT.safetensors (try --help)\n");
        return 2;
    }
    const ptc_ops *ops = ptc_opts_compute("ptc inspect", o.isa, 0);
    if (!ops)
        return 1;
    const char *path = seen.args[0];
    char err[512];
    ptc_checkpoint_info info;
    if (ptc_checkpoint_read_info(path, &info, err, sizeof err) != PTC_OK) {
        fprintf(stderr, "ptc inspect: %s\n", err);
        return 1;
    }
    print_info(path, &info);
    const int rc = print_load(path, &info, ops);
    ptc_checkpoint_info_free(&info);
    return rc;
}

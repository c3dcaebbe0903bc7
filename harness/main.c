/*
 * harness/main.c — the `ptc` program: subcommand dispatch.
 *
 *   ptc --version       version and the git commit of the build (build/gen/version.h)
 *   ptc info            machine, CPU features, every ops table and the one chosen
 *   ptc bench kernels   kernel benchmark (runs ptc-bench-kernels beside this program,
 *                       else from PATH)
 *   ptc bench [...]     the sweep runner (harness/bench/bench.h)
 *   ptc calibrate       peak FMA and bandwidth (harness/bench/calibrate.h)
 *   ptc table / plot / compare   tables, plots and comparisons of result rows (report.h)
 *   ptc inspect CKPT    a safetensors checkpoint (harness/report/inspect.c)
 *   ptc train / eval / predict / experiment   accuracy on documents (harness/learn/train.h)
 *   ptc merge / status / slurm   shards on a cluster (harness/cluster/cluster.h)
 *
 * Errors are one line on stderr and a non-zero exit: 1 for a failed run (e.g. an
 * ISA forced with PTC_ISA that the CPU lacks), 2 for bad usage.
 */
#include "bench/bench.h"
#include "bench/calibrate.h"
#include "cluster/cluster.h"
#include "common/machine.h"
#include "report/inspect.h"
#include "report/report.h"
#include "learn/train.h"
#include "ptc/model.h"
#include "ptc/cpu.h"
#include "ptc/ops.h"
#include "version.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void print_bytes(const char *label, size_t bytes)
{
    if (bytes == 0)
        printf("  %-6s unknown\n", label);
    else if (bytes >= 1024 * 1024)
        printf("  %-6s %zu MiB\n", label, bytes / (1024 * 1024));
    else
        printf("  %-6s %zu KiB\n", label, bytes / 1024);
}

static int cmd_info(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            printf("usage: ptc info\n"
                   "  the CPU, its cores and caches (hwloc), its features, every ops table of\n"
                   "  this build, whether it can run here, and the one chosen (PTC_ISA forces one)\n");
            return 0;
        }
        fprintf(stderr, "ptc info: unexpected argument '%s' (ptc info takes none)\n", argv[i]);
        return 2;
    }
    ptc_machine m;
    char err[256];
    if (ptc_machine_describe(&m, err, sizeof err) != 0) {
        fprintf(stderr, "ptc info: %s\n", err);
        return 1;
    }
    char features[160];
    ptc_cpu_feature_string(ptc_cpu_features(), features, sizeof features);

    char slug[200];
    ptc_machine_slug(&m, slug, sizeof slug);
    if (m.x86_family > 0)
        printf("cpu:      %s (x86 family %d, model %d)\n", m.cpu_model, m.x86_family, m.x86_model);
    else
        printf("cpu:      %s\n", m.cpu_model);
    printf("slug:     %s (results/%s/, its calibration and kernel results)\n", slug, slug);
    printf("topology: %u package(s), %u core(s), %u hardware thread(s) (from %s)\n",
           m.packages, m.cores, m.pus, m.source);
    printf("caches:\n");
    print_bytes("L1d", m.l1d_bytes);
    print_bytes("L2", m.l2_bytes);
    print_bytes("L3", m.l3_bytes);
    printf("features: %s\n", features);
    printf("tables (best first):\n");
    size_t n;
    const ptc_ops *const *tables = ptc_ops_all(&n);
    for (size_t i = 0; i < n; i++) {
        char need[96];
        ptc_cpu_feature_string(tables[i]->required_features, need, sizeof need);
        if (ptc_ops_supported(tables[i])) {
            printf("  %-7s runs       (needs %s)\n", tables[i]->name,
                   tables[i]->required_features ? need : "nothing");
        } else {
            char missing[96];
            ptc_cpu_feature_string(tables[i]->required_features & ~ptc_cpu_features(), missing,
                                   sizeof missing);
            printf("  %-7s cannot run (CPU lacks %s)\n", tables[i]->name, missing);
        }
    }
    const ptc_ops *active = ptc_ops_active();
    if (!active) {
        fflush(stdout);
        fprintf(stderr, "ptc: %s\n", ptc_ops_error());
        return 1;
    }
    const char *forced = getenv("PTC_ISA");
    printf("chosen:   %s%s\n", active->name, forced && *forced ? " (forced by PTC_ISA)" : "");
    return 0;
}

/* Runs `ptc-bench-kernels` from the directory of this executable (build/, or the
 * bin/ of an installation), else from PATH. */
static int cmd_bench_kernels(int argc, char **argv)
{
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) {
        fprintf(stderr, "ptc bench kernels: cannot locate this program: %s\n", strerror(errno));
        return 1;
    }
    self[len] = '\0';
    char *slash = strrchr(self, '/');
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%.*s/ptc-bench-kernels", (int)(slash ? slash - self : 0), self);
    argv[0] = path;
    execv(path, argv);
    const int beside = errno;
    argv[0] = "ptc-bench-kernels";
    execvp(argv[0], argv);
    fprintf(stderr, "ptc bench kernels: cannot run %s (%s) nor ptc-bench-kernels from PATH (%s): "
            "build it with `make bench-kernels` or install it with `make install`\n", path,
            strerror(beside), strerror(errno));
    (void)argc;
    return 1;
}

/* The commands: name (what follows `ptc`), the usage line's argument text, its help,
 * the entry point (argv[0] = the command's last word). Adding a command is a row. */
static const struct command {
    const char *name, *args, *help;
    int (*main)(int argc, char **argv);
} commands[] = {
    {"info", "", "machine, CPU features, ops tables and the one chosen", cmd_info},
    {"bench kernels", "", "kernel benchmark (sgemm, attention) per ISA and threads", cmd_bench_kernels},
    {"bench", " [options]", "sweep of variants, levels, lengths (ptc bench --help)", ptc_bench_main},
    {"calibrate", "", "peak FMA and bandwidth of this machine (results/<cpu>/)", ptc_calibrate_main},
    {"table", " PATH...", "paper-style tables from result rows (md, csv, latex)", ptc_table_main},
    {"plot", " PATH...", "gnuplot scripts, data and images from result rows", ptc_plot_main},
    {"compare", " A B", "match two runs' rows, ratios, --fail-if regression gates", ptc_compare_main},
    {"inspect", " CKPT", "a safetensors checkpoint: config, tensors, what loads", ptc_inspect_main},
    {"train", "", "train a classifier (any preset/shape, any variant) on a dataset", ptc_train_main},
    {"eval", "", "accuracy, F1, confusion, kept tokens, speed of a checkpoint", ptc_eval_main},
    {"predict", "", "logits and labels for a TSV of texts", ptc_predict_main},
    {"experiment", "", "the paper's accuracy tables at a chosen scale (train + eval)", ptc_experiment_main},
    {"slurm", " bench|experiment", "a Slurm job array, one task per --shard (--submit)", ptc_slurm_main},
    {"merge", " RUN... --out DIR", "shard folders into one run (hosts never pooled)", ptc_merge_main},
    {"status", " RUN...", "shards of a sharded run: done, running, stopped, missing", ptc_status_main},
};
enum { n_commands = sizeof commands / sizeof commands[0] };

static void usage(FILE *out)
{
    fprintf(out, "usage: ptc <command> [options]   (ptc <command> --help; ptc --version)\n"
                 "commands:\n");
    for (size_t i = 0; i < n_commands; i++) {
        char label[64];
        const int len = snprintf(label, sizeof label, "%s%s", commands[i].name, commands[i].args);
        fprintf(out, "  %-*s%s\n", len <= 15 ? 17 : len + 3, label, commands[i].help);
    }
    fprintf(out, "environment:\n"
                 "  PTC_ISA=ref|avx2|avx512|neon   force an ops table (error if the CPU lacks it)\n");
}

/* The command argv names (one or two words), or NULL. *words: how many it took. */
static const struct command *find_command(int argc, char **argv, int *words)
{
    for (size_t i = 0; i < n_commands; i++) {
        const char *name = commands[i].name, *space = strchr(name, ' ');
        if (!space && strcmp(argv[1], name) == 0) {
            *words = 1;
            return &commands[i];
        }
        if (space && argc >= 3 && strncmp(argv[1], name, (size_t)(space - name)) == 0 &&
            argv[1][space - name] == '\0' && strcmp(argv[2], space + 1) == 0) {
            *words = 2;
            return &commands[i];
        }
    }
    return NULL;
}

static int run_command(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0) {
        printf("ptc %s (commit %s)\n", PTC_VERSION, PTC_COMMIT);
        return 0;
    }
    int words;
    const struct command *c = find_command(argc, argv, &words);
    if (c)
        return c->main(argc - words, argv + words);
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "ptc: unknown command '%s' (try `ptc --help`)\n", cmd);
    return 2;
}

/* A command whose output could not be written (a full disk, a closed pipe) fails. */
int main(int argc, char **argv)
{
    const int rc = run_command(argc, argv);
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "ptc %s: cannot write the standard output: %s\n", argc > 1 ? argv[1] : "",
                errno ? strerror(errno) : "write error");
        return rc ? rc : 1;
    }
    return rc;
}

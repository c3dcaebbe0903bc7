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

    printf("cpu:      %s\n", m.cpu_model);
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

static void usage(FILE *out)
{
    fprintf(out, "usage: ptc <command> [options]   (ptc <command> --help; ptc --version)\n"
                 "commands:\n"
                 "  info             machine, CPU features, ops tables and the one chosen\n"
                 "  bench kernels    kernel benchmark (sgemm, attention) per ISA and threads\n"
                 "  bench [options]  sweep of variants, levels, lengths (ptc bench --help)\n"
                 "  calibrate        peak FMA and bandwidth of this machine (results/<cpu>/)\n"
                 "  table PATH...    paper-style tables from result rows (md, csv, latex)\n"
                 "  plot PATH...     gnuplot scripts, data and images from result rows\n"
                 "  compare A B      match two runs' rows, ratios, --fail-if regression gates\n"
                 "  inspect CKPT     a safetensors checkpoint: config, tensors, what loads\n"
                 "  train            train a classifier (any preset/shape, any variant) on a dataset\n"
                 "  eval             accuracy, F1, confusion, kept tokens, speed of a checkpoint\n"
                 "  predict          logits and labels for a TSV of texts\n"
                 "  experiment       the paper's accuracy tables at a chosen scale (train + eval)\n"
                 "  slurm bench|experiment   a Slurm job array, one task per --shard (--submit)\n"
                 "  merge RUN... --out DIR   shard folders into one run (hosts never pooled)\n"
                 "  status RUN...    shards of a sharded run: done, running, stopped, missing\n"
                 "environment:\n"
                 "  PTC_ISA=ref|avx2|avx512|neon   force an ops table (error if the CPU lacks it)\n");
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
    if (strcmp(cmd, "info") == 0)
        return cmd_info(argc - 1, argv + 1);
    if (strcmp(cmd, "bench") == 0 && argc >= 3 && strcmp(argv[2], "kernels") == 0)
        return cmd_bench_kernels(argc - 2, argv + 2);
    if (strcmp(cmd, "bench") == 0)
        return ptc_bench_main(argc - 1, argv + 1);
    if (strcmp(cmd, "calibrate") == 0)
        return ptc_calibrate_main(argc - 1, argv + 1);
    if (strcmp(cmd, "table") == 0)
        return ptc_table_main(argc - 1, argv + 1);
    if (strcmp(cmd, "plot") == 0)
        return ptc_plot_main(argc - 1, argv + 1);
    if (strcmp(cmd, "compare") == 0)
        return ptc_compare_main(argc - 1, argv + 1);
    if (strcmp(cmd, "inspect") == 0)
        return ptc_inspect_main(argc - 1, argv + 1);
    if (strcmp(cmd, "train") == 0)
        return ptc_train_main(argc - 1, argv + 1);
    if (strcmp(cmd, "eval") == 0)
        return ptc_eval_main(argc - 1, argv + 1);
    if (strcmp(cmd, "predict") == 0)
        return ptc_predict_main(argc - 1, argv + 1);
    if (strcmp(cmd, "experiment") == 0)
        return ptc_experiment_main(argc - 1, argv + 1);
    if (strcmp(cmd, "merge") == 0)
        return ptc_merge_main(argc - 1, argv + 1);
    if (strcmp(cmd, "status") == 0)
        return ptc_status_main(argc - 1, argv + 1);
    if (strcmp(cmd, "slurm") == 0)
        return ptc_slurm_main(argc - 1, argv + 1);
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

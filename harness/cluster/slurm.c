/*
 * harness/cluster/slurm.c — `ptc slurm bench|experiment [their options] [Slurm options]
 * [--submit]`: a Slurm job-array script that runs one shard per array task.
 *
 * The script (DIR/NAME.sbatch, DIR = --dir, default "slurm") has
 *   #SBATCH --array=0-(N-1)          one task per shard (--shards N, default 4)
 *   #SBATCH --cpus-per-task=T        T = the largest --threads of the command (1 if none)
 *   #SBATCH --exclusive              for bench (timing): nothing else on the node
 *                                    (--shared drops it); experiments share nodes
 *   #SBATCH --output=DIR/logs/NAME-%A_%a.out  one log per task, appended when requeued
 *   #SBATCH --requeue                a preempted or failed node puts the task back
 * and --partition, --time, --account, --qos, --mem, --constraint when given, plus
 * every --sbatch-arg ARG as one more #SBATCH line. The task runs
 *   cd <this directory>; exec <this ptc> bench|experiment <options> --shard (ID+1)/N
 * with --name NAME for bench (shard folders <out>/<cpu>/NAME-shard-I-of-N; NAME is the
 * job name, --name, default ptc-bench or ptc-experiment) and
 * --out results/accuracy/NAME for experiment when the command gives none. A shard's
 * folder is fixed, so a task that is requeued (`scontrol requeue JOB_TASK`) or run
 * again resumes its shard: rows already written are skipped, none is written twice
 * (the folder's lock keeps two copies of one task from writing at once).
 *
 * A bench command is checked first (`ptc bench ... --dry-run --shard 1/N` must
 * succeed), so a bad option fails here, not in N tasks. With --submit the script is
 * given to sbatch and its answer ("Submitted batch job J") printed. Then:
 * `squeue`, `ptc status <out>`, `ptc merge <out> --out DIR`, `ptc table DIR`.
 */
#define _GNU_SOURCE
#include "cluster/cluster.h"
#include "common/sys.h"

#include "bench/sweep.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    const char *command;        /* "bench" or "experiment" */
    char **args;                /* the command's own options */
    int n_args;
    int shards;
    const char *name, *dir;
    const char *sbatch_opt[6];  /* partition, time, account, qos, mem, constraint */
    const char *extra[32];      /* --sbatch-arg values */
    int n_extra;
    bool submit, shared;
} slurm_opts;

static const char *const sbatch_names[6] = {"partition", "time", "account", "qos", "mem", "constraint"};

static void usage(FILE *f)
{
    fprintf(f, "usage: ptc slurm bench|experiment [their options] [--shards N (4)] [--name NAME]\n"
               "       [--partition P] [--time T] [--account A] [--qos Q] [--mem M] [--constraint C]\n"
               "       [--sbatch-arg ARG]... [--shared] [--dir DIR (slurm)] [--submit]\n"
               "  writes DIR/NAME.sbatch: a job array of N tasks, task i runs --shard i+1/N of the\n"
               "  command (cpus-per-task = its largest --threads; bench takes whole nodes unless\n"
               "  --shared), one log per task in DIR/logs/; --submit gives it to sbatch. A requeued\n"
               "  task resumes its shard. Then: ptc status OUT; ptc merge OUT --out DIR; ptc table DIR.\n");
}

/* Single-quoted for sh. */
static void shell_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

/* The value of option `name` in the command's options ("--name V" or "--name=V"), or NULL. */
static const char *arg_value(const slurm_opts *o, const char *name)
{
    const size_t l = strlen(name);
    const char *v = NULL;
    for (int i = 0; i < o->n_args; i++) {
        if (strcmp(o->args[i], name) == 0 && i + 1 < o->n_args)
            v = o->args[++i];
        else if (strncmp(o->args[i], name, l) == 0 && o->args[i][l] == '=')
            v = o->args[i] + l + 1;
    }
    return v;
}

/* The largest thread count the command asks for (bench: a list or range). */
static int max_threads(const slurm_opts *o, char *err, size_t err_len)
{
    const char *v = arg_value(o, "--threads");
    if (!v)
        return 1;
    int t[PTC_SWEEP_MAX_LIST];
    const int n = ptc_sweep_parse_ints(v, t, PTC_SWEEP_MAX_LIST, 1, "--threads", err, err_len);
    int most = 0;
    for (int i = 0; i < n; i++)
        most = t[i] > most ? t[i] : most;
    return n > 0 ? most : -1;
}

/* Splits argv into the command's options and ours. Returns 0, 1 (help shown) or 2. */
static int parse(int argc, char **argv, slurm_opts *o)
{
    if (argc < 2 || (strcmp(argv[1], "bench") != 0 && strcmp(argv[1], "experiment") != 0)) {
        if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
            usage(stdout);
            return 1;
        }
        fprintf(stderr, "ptc slurm: give bench or experiment first (try --help)\n");
        return 2;
    }
    o->command = argv[1];
    o->shards = 4;
    o->dir = "slurm";
    o->args = calloc((size_t)argc, sizeof *o->args);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const bool has_value = i + 1 < argc;
        int k = -1;
        for (int j = 0; j < 6; j++)
            if (strncmp(a, "--", 2) == 0 && strcmp(a + 2, sbatch_names[j]) == 0)
                k = j;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        } else if (strcmp(a, "--submit") == 0) {
            o->submit = true;
        } else if (strcmp(a, "--shared") == 0) {
            o->shared = true;
        } else if (k >= 0 || strcmp(a, "--shards") == 0 || strcmp(a, "--dir") == 0 || strcmp(a, "--name") == 0 ||
                   strcmp(a, "--sbatch-arg") == 0 || strcmp(a, "--shard") == 0) {
            if (!has_value) {
                fprintf(stderr, "ptc slurm: %s needs a value\n", a);
                return 2;
            }
            const char *v = argv[++i];
            if (k >= 0)
                o->sbatch_opt[k] = v;
            else if (strcmp(a, "--dir") == 0)
                o->dir = v;
            else if (strcmp(a, "--name") == 0)
                o->name = v;
            else if (strcmp(a, "--shard") == 0) {
                fprintf(stderr, "ptc slurm: --shard is set per task; give --shards N\n");
                return 2;
            } else if (strcmp(a, "--sbatch-arg") == 0) {
                if (o->n_extra == 32) {
                    fprintf(stderr, "ptc slurm: at most 32 --sbatch-arg\n");
                    return 2;
                }
                o->extra[o->n_extra++] = v;
            } else {
                char *end;
                const long n = strtol(v, &end, 10);
                if (*end || n < 1 || n > 10000) {
                    fprintf(stderr, "ptc slurm: --shards '%s': expected 1..10000\n", v);
                    return 2;
                }
                o->shards = (int)n;
            }
        } else {
            o->args[o->n_args++] = argv[i];
        }
    }
    if (!o->name)
        o->name = strcmp(o->command, "bench") == 0 ? "ptc-bench" : "ptc-experiment";
    for (const char *c = o->name; *c; c++)
        if (!(*c == '-' || *c == '_' || *c == '.' || (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
              (*c >= 'A' && *c <= 'Z'))) {
            fprintf(stderr, "ptc slurm: --name '%s': letters, digits, '-', '_', '.' only\n", o->name);
            return 2;
        }
    return 0;
}

/* Runs argv (NULL-terminated) with stdout to /dev/null; returns its exit status. */
static int run_quiet(char **argv)
{
    fflush(stdout);
    fflush(stderr);
    const pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(126);
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* The bench command with --dry-run for shard 1/N: its options are valid. */
static int check_bench(const slurm_opts *o, const char *self)
{
    char **av = calloc((size_t)o->n_args + 8, sizeof *av);
    int k = 0;
    av[k++] = (char *)self;
    av[k++] = "bench";
    for (int i = 0; i < o->n_args; i++)
        av[k++] = o->args[i];
    char shard[32];
    snprintf(shard, sizeof shard, "1/%d", o->shards);
    av[k++] = "--dry-run";
    av[k++] = "--shard";
    av[k++] = shard;
    const int rc = run_quiet(av);
    free(av);
    return rc;
}

static int write_script(const slurm_opts *o, const char *path, const char *self, const char *cwd,
                        int threads)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "#!/bin/bash\n# written by `ptc slurm %s` (harness/cluster/slurm.c): one array task per shard\n",
            o->command);
    fprintf(f, "#SBATCH --job-name=%s\n#SBATCH --array=0-%d\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=%d\n",
            o->name, o->shards - 1, threads);
    if (strcmp(o->command, "bench") == 0 && !o->shared)
        fprintf(f, "#SBATCH --exclusive\n");
    fprintf(f, "#SBATCH --output=%s%s%s/logs/%s-%%A_%%a.out\n#SBATCH --open-mode=append\n#SBATCH --requeue\n",
            o->dir[0] == '/' ? "" : cwd, o->dir[0] == '/' ? "" : "/", o->dir, o->name);
    for (int j = 0; j < 6; j++)
        if (o->sbatch_opt[j])
            fprintf(f, "#SBATCH --%s=%s\n", sbatch_names[j], o->sbatch_opt[j]);
    for (int j = 0; j < o->n_extra; j++)
        fprintf(f, "#SBATCH %s\n", o->extra[j]);
    fprintf(f, "set -eu\ncd ");
    shell_quote(f, cwd);
    fprintf(f, "\necho \"ptc slurm: task ${SLURM_ARRAY_TASK_ID} (shard $((SLURM_ARRAY_TASK_ID + 1))/%d) on "
               "$(hostname), restart ${SLURM_RESTART_COUNT:-0}, $(date -u +%%FT%%TZ)\"\n", o->shards);
    fprintf(f, "exec ");
    shell_quote(f, self);
    fprintf(f, " %s", o->command);
    for (int i = 0; i < o->n_args; i++) {
        fputc(' ', f);
        shell_quote(f, o->args[i]);
    }
    if (strcmp(o->command, "bench") == 0)
        fprintf(f, " --name %s", o->name);
    if (strcmp(o->command, "experiment") == 0 && !arg_value(o, "--out"))
        fprintf(f, " --out results/accuracy/%s", o->name);
    fprintf(f, " --shard \"$((SLURM_ARRAY_TASK_ID + 1))/%d\"\n", o->shards);
    return fclose(f) == 0 ? 0 : -1;
}

int ptc_slurm_main(int argc, char **argv)
{
    slurm_opts o = {0};
    const int prc = parse(argc, argv, &o);
    if (prc != 0) {
        free(o.args);
        return prc == 1 ? 0 : 2;
    }
    char err[300], self[PATH_MAX], cwd[PATH_MAX];
    const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0 || !getcwd(cwd, sizeof cwd)) {
        fprintf(stderr, "ptc slurm: cannot locate this program or this directory: %s\n", strerror(errno));
        free(o.args);
        return 1;
    }
    self[len] = '\0';
    const int threads = max_threads(&o, err, sizeof err);
    if (threads < 1) {
        fprintf(stderr, "ptc slurm: %s\n", err);
        free(o.args);
        return 2;
    }
    if (strcmp(o.command, "bench") == 0 && check_bench(&o, self) != 0) {
        fprintf(stderr, "ptc slurm: the bench options are refused (above); nothing written\n");
        free(o.args);
        return 2;
    }
    char logs[PATH_MAX], path[PATH_MAX + 300];
    snprintf(logs, sizeof logs, "%s/logs", o.dir);
    snprintf(path, sizeof path, "%s/%s.sbatch", o.dir, o.name);
    if (ptc_mkdir_p(logs) != 0 || write_script(&o, path, self, cwd, threads) != 0) {
        fprintf(stderr, "ptc slurm: cannot write %s: %s\n", path, strerror(errno));
        free(o.args);
        return 1;
    }
    printf("wrote %s: %d array tasks (shards), %d CPU(s) each%s\n", path, o.shards, threads,
           strcmp(o.command, "bench") == 0 && !o.shared ? ", whole nodes" : "");
    int rc = 0;
    if (o.submit) {
        char *av[] = {"sbatch", path, NULL};
        fflush(stdout);
        const pid_t pid = fork();
        if (pid == 0) {
            execvp("sbatch", av);
            fprintf(stderr, "ptc slurm: cannot run sbatch: %s\n", strerror(errno));
            _exit(127);
        }
        int st = 0;
        if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "ptc slurm: sbatch failed; the script stays in %s\n", path);
            rc = 1;
        }
    } else {
        printf("submit with: sbatch %s   (or ptc slurm ... --submit)\n", path);
    }
    free(o.args);
    return rc;
}

/*
 * harness/learn/experiment.c — `ptc experiment`: the paper's accuracy tables at a
 * chosen scale on a chosen dataset, in one command.
 *
 *   ptc experiment --data bbc --model bert-mini --max-len 256 --epochs 3
 *                  [--seeds 1,2] [--p 0.9] [--lc N] [--m 8]
 *                  [--p-sweep 0.95,0.9,...] [--lc-sweep 2,3] [--m-sweep 4,8,16]
 *                  [--variants baseline,P,PF,C,PFC] [--out results/accuracy/NAME]
 *                  [--work DIR] [every `ptc train` option]
 *
 * For every configuration and seed it runs `ptc train` and then `ptc eval` on
 * the test split (each in its own process, from /proc/self/exe, so each has its
 * own peak RSS), then writes two ptc.row/1 rows per run to OUT/rows.jsonl:
 * phase "train" (time_s = seconds per training step) and phase "infer"
 * (time_s = seconds per inference batch), both with the test accuracy,
 * macro-/micro-F1, FLOPs per document and activation bytes per batch, and
 * ratios against the baseline of the same seed and phase (harness/SCHEMA.md,
 * section "Accuracy rows"). Checkpoints and logs stay in the work folder
 * (default /tmp/ptc-experiment-<run>), so results/ only gets the rows.
 * `ptc table --kind accuracy OUT` renders Table 2/3 style (mean ± sd over seeds).
 */
#include "learn/train.h"
#include "common/rows.h"
#include "common/sys.h"

#include "cluster/experiment_shard.h"
#include "cluster/lock.h"
#include "common/machine.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    char variant[16];  /* baseline P PF C PFC */
    double p;          /* 0: default */
    size_t lc, m;      /* 0: default */
    char label[32];
    char id[96];
} exp_config;

/* fork + exec /proc/self/exe with argv (stdout to out_path when non-NULL);
 * returns the exit status */
static int run_self(char **argv, const char *out_path)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (out_path && !freopen(out_path, "w", stdout))
            _exit(126);
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void add_config(exp_config *c, size_t *n, const char *variant, double p, size_t lc, size_t m,
                       size_t default_lc, double default_p)
{
    exp_config x = {0};
    snprintf(x.variant, sizeof x.variant, "%s", variant);
    x.p = p;
    x.lc = lc;
    x.m = m;
    const double pp = p > 0 ? p : default_p;
    const size_t l = lc ? lc : default_lc;
    if (strcmp(variant, "baseline") == 0)
        snprintf(x.label, sizeof x.label, "BERT");
    else if (strcmp(variant, "P") == 0 || strcmp(variant, "PF") == 0)
        snprintf(x.label, sizeof x.label, "%s", variant);
    else
        snprintf(x.label, sizeof x.label, "%s L%zu", variant, l);
    snprintf(x.id, sizeof x.id, "%s-p%g-lc%zu-m%zu", variant, strcmp(variant, "baseline") && strcmp(variant, "C") ? pp : 0.0,
             strcmp(variant, "C") == 0 || strcmp(variant, "PFC") == 0 ? l : 0, m ? m : 8);
    for (size_t i = 0; i < *n; i++)
        if (strcmp(c[i].id, x.id) == 0)
            return;
    c[(*n)++] = x;
}

static json_t *load_json(const char *dir, const char *file)
{
    char p[4800];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    return json_load_file(p, 0, NULL);
}

static double jnum(json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = o;
    for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, "."))
        cur = json_object_get(cur, tok);
    return cur ? json_number_value(cur) : NAN;
}


#define X(field) offsetof(ptc_experiment_opts, field)
const ptc_option ptc_experiment_rows[] = {
    {"seeds", PTC_OPT_SIZES, X(seeds), "LIST", "training seeds, e.g. 1,2,3", "1"},
    {"variants", PTC_OPT_VARIANTS, X(variants), "LIST", "variants to train", "BERT,P,PF,C,PFC"},
    {"p-sweep", PTC_OPT_DOUBLES, X(p_sweep), "LIST", "PF runs at these p, in (0, 1]", NULL, 0, 1, true},
    {"lc-sweep", PTC_OPT_SIZES, X(lc_sweep), "LIST", "PFC runs at these L_c", NULL, 1, 0},
    {"m-sweep", PTC_OPT_SIZES, X(m_sweep), "LIST", "PFC runs with these m", NULL, 1, 0},
    {"work", PTC_OPT_STR, X(work), "DIR", "folder of the runs' checkpoints and logs", "/tmp"},
    {"shard", PTC_OPT_STR, X(shard), "I/N", "run shard I of N (trainings split by config id) into "
     "OUT/shard-I-of-N, resumed; default from SLURM_ARRAY_TASK_ID/COUNT (harness/cluster/shard.h)"},
    {"shards", PTC_OPT_SIZE, X(shards), "N", "shard count for JOB_COMPLETION_INDEX (Kubernetes)", NULL, 1,
     100000},
    {"dry-run", PTC_OPT_FLAG, X(dry_run), NULL, "print the trainings' keys (of this shard), run nothing"},
    {NULL},
};
#undef X

/* options that experiment sets per run, so not passed through to train */
static bool per_run_option(const char *name)
{
    static const char *const own[] = {"out", "seed", "variant", "p", "lc", "m", "resume", "max-steps"};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (strcmp(name, own[i]) == 0)
            return true;
    return false;
}

static bool is_experiment_row(const ptc_option *opt)
{
    for (const ptc_option *r = ptc_experiment_rows; r->name; r++)
        if (r == opt)
            return true;
    return false;
}

int ptc_experiment_main(int argc, char **argv)
{
    ptc_run_opts o;
    ptc_run_opts_default(&o);
    ptc_experiment_opts eo;
    memset(&eo, 0, sizeof eo);
    ptc_opt_group g[PTC_LEARN_NGROUPS + 1], others[PTC_LEARN_NOTHERS];
    ptc_learn_others(others);
    g[0] = (ptc_opt_group){"experiment", ptc_experiment_rows, &eo};
    ptc_learn_groups_all(g + 1, &o);
    const ptc_command_spec spec = {
        .prog = "ptc experiment",
        .usage = "ptc experiment --data NAME [--seeds 1,2] [--variants BERT,P,PF,C,PFC]\n"
                 "       [--p-sweep LIST] [--lc-sweep LIST] [--m-sweep LIST] [--out DIR] [--work DIR]\n"
                 "       [every `ptc train` option: model, shape, --p, --lc, --m, epochs, lr, ...]\n"
                 "  --out is the folder of rows.jsonl (default results/accuracy)",
        .groups = g,
        .n_groups = PTC_LEARN_NGROUPS + 1,
        .others = others,
        .n_others = PTC_LEARN_NOTHERS,
    };
    ptc_opts_defaults(&spec);
    ptc_opt_seen seen;
    const int prc = ptc_opts_parse(&spec, argc, argv, 1, &seen);
    if (prc != 0)
        return prc == 1 ? 0 : prc;
    if (ptc_run_opts_check(&o, &seen, spec.prog) != 0)
        return 2;
    ptc_shard shard; /* --shard I/N or a Slurm array task (harness/cluster/shard.h) */
    char shard_err[300];
    if (ptc_shard_resolve(eo.shard, (long)eo.shards, &shard, shard_err, sizeof shard_err) != 0) {
        fprintf(stderr, "ptc experiment: %s\n", shard_err);
        return 2;
    }
    const bool dry_run = eo.dry_run;
    /* options passed through to train: train's, except those set per run */
    char **pass = calloc((size_t)argc + 1, sizeof *pass);
    size_t npass = 0;
    for (size_t i = 0; i < seen.n; i++)
        if (seen.at[i].opt->name && !per_run_option(seen.at[i].opt->name) &&
            !is_experiment_row(seen.at[i].opt))
            for (int k = seen.at[i].first; k <= seen.at[i].last; k++)
                pass[npass++] = argv[k];
    if (!o.data && !o.train) {
        fprintf(stderr, "ptc experiment: give --data NAME (or --train F --labels F)\n");
        free(pass);
        return 2;
    }
    /* the model's layer count, for the default L_c */
    ptc_model_config probe;
    char err[512];
    ptc_run_opts po = o;
    po.variant = "baseline";
    po.lc = po.m = 0;
    if (ptc_run_model_config(&po, 100, 2, &probe, err, sizeof err) != 0) {
        fprintf(stderr, "ptc experiment: %s\n", err);
        free(pass);
        return 2;
    }
    const size_t default_lc = o.lc ? o.lc : (probe.n_layers > 1 ? probe.n_layers - 1 : 1);
    const double default_p = o.p;
    exp_config cfgs[128];
    size_t nc = 0;
    for (size_t i = 0; i < eo.variants.n; i++)
        add_config(cfgs, &nc, eo.variants.v[i], o.p, o.lc, o.m, default_lc, default_p);
    add_config(cfgs, &nc, "baseline", 0, 0, 0, default_lc, default_p); /* ratios need it */
    for (size_t i = 0; i < eo.p_sweep.n && nc < 120; i++)
        add_config(cfgs, &nc, "PF", eo.p_sweep.v[i], 0, 0, default_lc, default_p);
    for (size_t i = 0; i < eo.lc_sweep.n && nc < 120; i++)
        add_config(cfgs, &nc, "PFC", o.p, (size_t)eo.lc_sweep.v[i], o.m, default_lc, default_p);
    for (size_t i = 0; i < eo.m_sweep.n && nc < 120; i++)
        add_config(cfgs, &nc, "PFC", o.p, o.lc, (size_t)eo.m_sweep.v[i], default_lc, default_p);
    char seeds[PTC_OPT_LIST_MAX][32];
    const size_t ns = eo.seeds.n;
    for (size_t i = 0; i < ns; i++)
        snprintf(seeds[i], sizeof seeds[i], "%.0f", eo.seeds.v[i]);

    /* the trainings and which of them this process runs (harness/cluster/experiment_shard.h) */
    ptc_experiment_plan plan;
    if (ptc_experiment_plan_init(&plan, nc, ns) != 0) {
        fprintf(stderr, "ptc experiment: out of memory\n");
        free(pass);
        return 1;
    }
    for (size_t c = 0; c < nc; c++)
        for (size_t s = 0; s < ns; s++)
            ptc_experiment_plan_set(&plan, c, s, cfgs[c].id, seeds[s],
                                    strcmp(cfgs[c].variant, "baseline") == 0);
    if (dry_run) {
        ptc_experiment_plan_decide(&plan, NULL, &shard);
        ptc_experiment_plan_print(&plan, &shard, stdout);
        ptc_experiment_plan_free(&plan);
        free(pass);
        return 0;
    }

    /* run id, output and work folders */
    char run[128], out[4096], workdir[4096];
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tmv);
    snprintf(run, sizeof run, "%s-accuracy-%s", stamp, o.data ? o.data : "files");
    snprintf(out, sizeof out, "%s", o.out ? o.out : "results/accuracy");
    snprintf(workdir, sizeof workdir, "%s", eo.work);
    char shard_name[256]; /* the shards' set: the name of OUT */
    snprintf(shard_name, sizeof shard_name, "%.255s", strrchr(out, '/') ? strrchr(out, '/') + 1 : out);
    if (shard.count) /* each shard its own folder, resumed when it exists */
        snprintf(out + strlen(out), sizeof out - strlen(out), "/shard-%d-of-%d", shard.index, shard.count);
    char runs_dir[4300];
    snprintf(runs_dir, sizeof runs_dir, "%s/ptc-experiment-%s", workdir, run);
    const bool made = ptc_mkdir_p(out) == 0 && ptc_mkdir_p(runs_dir) == 0;
    if (!made)
        fprintf(stderr, "ptc experiment: cannot create %s or %s: %s\n", out, runs_dir, strerror(errno));
    const int lock_fd = made ? ptc_run_lock(out, err, sizeof err) : -1;
    if (lock_fd < 0) {
        if (made)
            fprintf(stderr, "ptc experiment: %s\n", err);
        ptc_experiment_plan_free(&plan);
        free(pass);
        return 1;
    }
    char rows_path[4200];
    snprintf(rows_path, sizeof rows_path, "%s/rows.jsonl", out);
    /* which trainings this process runs and writes (all, unless sharded) */
    const long n_write = ptc_experiment_plan_decide(&plan, shard.count ? rows_path : NULL, &shard);
    FILE *rows = n_write >= 0 ? fopen(rows_path, "a") : NULL;
    if (!rows) {
        fprintf(stderr, "ptc experiment: cannot write %s: %s\n", rows_path, strerror(errno));
        ptc_run_unlock(lock_fd);
        free(pass);
        ptc_experiment_plan_free(&plan);
        return 1;
    }
    ptc_machine mach;
    memset(&mach, 0, sizeof mach);
    ptc_machine_describe(&mach, err, sizeof err);
    fprintf(stderr, "ptc experiment: %zu configurations x %zu seeds; rows -> %s; runs in %s\n", nc, ns,
            rows_path, runs_dir);
    if (shard.count) {
        fprintf(stderr, "ptc experiment: shard %d/%d (from %s): %ld trainings to write\n", shard.index,
                shard.count, shard.source, n_write);
        ptc_shard_record(out, &shard, "experiment", shard_name, mach.cpu_model, (size_t)n_write, "running");
    }

    /* results per (config, seed) */
    typedef struct {
        json_t *sum, *ev, *runj;
        bool ok;
    } result;
    result *res = calloc(nc * ns, sizeof *res);
    int failures = 0;
    for (size_t s = 0; s < ns; s++)
        for (size_t c = 0; c < nc; c++) {
            result *r = &res[c * ns + s];
            if (!plan.run[c * ns + s])
                continue;
            char dir[4600], pbuf[32], lcbuf[32], mbuf[32], json[4700];
            snprintf(dir, sizeof dir, "%s/%s-s%s", runs_dir, cfgs[c].id, seeds[s]);
            char *av[160];
            size_t k = 0;
            av[k++] = "ptc";
            av[k++] = "train";
            for (size_t i = 0; i < npass; i++)
                av[k++] = pass[i];
            av[k++] = "--variant";
            av[k++] = cfgs[c].variant;
            av[k++] = "--seed";
            av[k++] = seeds[s];
            if (strcmp(cfgs[c].variant, "baseline") && strcmp(cfgs[c].variant, "C")) {
                snprintf(pbuf, sizeof pbuf, "%.17g", cfgs[c].p > 0 ? cfgs[c].p : default_p);
                av[k++] = "--p";
                av[k++] = pbuf;
            }
            if (strcmp(cfgs[c].variant, "C") == 0 || strcmp(cfgs[c].variant, "PFC") == 0) {
                snprintf(lcbuf, sizeof lcbuf, "%zu", cfgs[c].lc ? cfgs[c].lc : default_lc);
                av[k++] = "--lc";
                av[k++] = lcbuf;
                if (cfgs[c].m) {
                    snprintf(mbuf, sizeof mbuf, "%zu", cfgs[c].m);
                    av[k++] = "--m";
                    av[k++] = mbuf;
                }
            }
            av[k++] = "--out";
            av[k++] = dir;
            av[k++] = "--no-progress";
            av[k] = NULL;
            fprintf(stderr, "== %s seed %s: train\n", cfgs[c].label, seeds[s]);
            int rc = run_self(av, NULL);
            if (rc == 0) {
                snprintf(json, sizeof json, "%s/eval_test.json", dir);
                char *ev[] = {"ptc", "eval", "--run", dir, "--split", "test", "--json", json, NULL};
                fprintf(stderr, "== %s seed %s: eval\n", cfgs[c].label, seeds[s]);
                char txt[4700];
                snprintf(txt, sizeof txt, "%s/eval_test.txt", dir);
                rc = run_self(ev, txt);
            }
            if (rc != 0) {
                fprintf(stderr, "ptc experiment: %s seed %s failed (exit %d); see %s\n", cfgs[c].label,
                        seeds[s], rc, dir);
                failures++;
                continue;
            }
            r->sum = load_json(dir, "summary.json");
            r->ev = load_json(dir, "eval_test.json");
            r->runj = load_json(dir, "run.json");
            r->ok = r->sum && r->ev && r->runj;
        }

    /* rows */
    char ts[40];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    for (size_t s = 0; s < ns; s++) {
        const result *base = NULL;
        for (size_t c = 0; c < nc; c++)
            if (strcmp(cfgs[c].variant, "baseline") == 0 && res[c * ns + s].ok)
                base = &res[c * ns + s];
        for (size_t c = 0; c < nc; c++) {
            const result *r = &res[c * ns + s];
            if (!r->ok || !plan.write[c * ns + s])
                continue;
            for (int phase = 0; phase < 2; phase++) {
                json_t *row = json_object();
                const char *var = cfgs[c].variant;
                const bool prunes = strcmp(var, "P") == 0 || strcmp(var, "PF") == 0 || strcmp(var, "PFC") == 0;
                const bool combines = strcmp(var, "C") == 0 || strcmp(var, "PFC") == 0;
                char cid[256];
                snprintf(cid, sizeof cid, "dataset=%s;model=%s;seq=%zu;%s;seed=%s;phase=%s",
                         json_string_value(json_object_get(r->runj, "dataset")), o.model, o.max_len,
                         cfgs[c].id, seeds[s], phase ? "infer" : "train");
                json_object_set_new(row, "schema", json_string("ptc.row/1"));
                json_object_set_new(row, "run", json_string(run));
                json_object_set_new(row, "config_id", json_string(cid));
                json_object_set_new(row, "status", json_string("ok"));
                json_object_set_new(row, "level", json_string("encoder"));
                json_object_set_new(row, "phase", json_string(phase ? "infer" : "train"));
                json_object_set_new(row, "variant", json_string(strcmp(var, "baseline") == 0 ? "baseline"
                                                                : strcmp(var, "C") == 0      ? "combine"
                                                                : strcmp(var, "PFC") == 0    ? "combined"
                                                                                             : "prune"));
                json_object_set_new(row, "label", json_string(cfgs[c].label));
                json_object_set_new(row, "rule", prunes ? json_string(strcmp(var, "P") == 0 ? "topk" : "clamp") : json_null());
                json_object_set_new(row, "p", prunes ? json_real(cfgs[c].p > 0 ? cfgs[c].p : default_p) : json_null());
                json_object_set_new(row, "lc", combines ? json_integer((json_int_t)(cfgs[c].lc ? cfgs[c].lc : default_lc)) : json_null());
                json_object_set_new(row, "m", combines ? json_integer((json_int_t)(cfgs[c].m ? cfgs[c].m : 8)) : json_null());
                json_object_set_new(row, "pad_mode", json_string(o.pad_mode ? o.pad_mode : "length-aware"));
                json_object_set_new(row, "project_kept", json_true());
                json_object_set_new(row, "model", json_string(o.hidden || o.layers || o.heads || o.ffn ? "custom" : o.model));
                json_object_set(row, "hidden", json_object_get(r->runj, "hidden"));
                json_object_set(row, "layers", json_object_get(r->runj, "layers"));
                json_object_set(row, "heads", json_object_get(r->runj, "heads"));
                json_object_set(row, "ffn", json_object_get(r->runj, "ffn"));
                json_object_set_new(row, "seq", json_integer((json_int_t)o.max_len));
                json_object_set_new(row, "batch", json_integer((json_int_t)(phase && o.eval_batch ? o.eval_batch : o.batch)));
                json_object_set(row, "isa", json_object_get(r->ev, "isa"));
                json_object_set(row, "threads", json_object_get(r->ev, "threads"));
                json_object_set_new(row, "binding", json_string("none"));
                json_object_set_new(row, "cpu", json_string(mach.cpu_model));
                json_object_set(row, "dataset", json_object_get(r->runj, "dataset"));
                json_object_set_new(row, "seed", json_integer(atoll(seeds[s])));
                json_object_set(row, "epochs", json_object_get(r->runj, "epochs"));
                json_object_set(row, "lr", json_object_get(r->runj, "lr"));
                json_object_set(row, "accuracy", json_object_get(r->ev, "accuracy"));
                json_object_set(row, "macro_f1", json_object_get(r->ev, "macro_f1"));
                json_object_set(row, "micro_f1", json_object_get(r->ev, "micro_f1"));
                json_object_set(row, "test_loss", json_object_get(r->ev, "loss"));
                json_object_set(row, "val_loss", json_object_get(r->sum, "best_val_loss"));
                json_object_set(row, "best_epoch", json_object_get(r->sum, "best_epoch"));
                json_object_set_new(row, "train_step_time_s", json_real(jnum(r->sum, "step_time_s.median")));
                json_object_set(row, "tokens_per_s", json_object_get(r->ev, "tokens_per_s"));
                /* time: per training step, or per inference batch */
                json_t *t = phase ? json_deep_copy(json_object_get(r->ev, "batch_times_s"))
                                  : json_deep_copy(json_object_get(r->sum, "step_time_s"));
                json_object_set_new(row, "time_s", t ? t : json_null());
                const double med = jnum(row, "time_s.median");
                const double flops = jnum(r->ev, "flops_per_doc");
                json_t *fl = json_object();
                json_object_set_new(fl, "total", json_real(flops));
                json_object_set_new(row, "flops", fl);
                json_t *mem = json_object();
                json_object_set_new(mem, "activations", json_real(jnum(r->ev, "activation_bytes_per_batch")));
                json_object_set(mem, "peak_rss", json_object_get(phase ? r->ev : r->sum, "peak_rss"));
                if (!phase)
                    json_object_set(mem, "train_arena", json_object_get(r->sum, "train_activation_bytes"));
                json_object_set_new(row, "memory", mem);
                json_t *kept = json_object();
                json_object_set(kept, "keys_mean", json_object_get(r->ev, "keys_mean"));
                json_object_set(kept, "tokens_mean", json_object_get(r->ev, "tokens_mean"));
                json_object_set_new(row, "kept", kept);
                if (base) {
                    const double bmed = phase ? jnum(base->ev, "batch_times_s.median")
                                              : jnum(base->sum, "step_time_s.median");
                    json_t *sp = json_object();
                    json_object_set_new(sp, "median", json_real(bmed / med));
                    json_object_set_new(row, "speedup", sp);
                    json_object_set_new(row, "flops_ratio", json_real(flops / jnum(base->ev, "flops_per_doc")));
                    json_object_set_new(row, "memory_ratio",
                                        json_real(jnum(r->ev, "activation_bytes_per_batch") /
                                                  jnum(base->ev, "activation_bytes_per_batch")));
                    const double rss = jnum(phase ? r->ev : r->sum, "peak_rss"),
                                 brss = jnum(phase ? base->ev : base->sum, "peak_rss");
                    json_object_set_new(row, "rss_ratio", json_real(rss / brss));
                }
                json_object_set_new(row, "timestamp", json_string(ts));
                char *line = ptc_row_line(row);
                if (line)
                    fputs(line, rows);
                free(line);
                json_decref(row);
            }
        }
    }
    fclose(rows);
    for (size_t i = 0; i < nc * ns; i++) {
        json_decref(res[i].sum);
        json_decref(res[i].ev);
        json_decref(res[i].runj);
    }
    free(res);
    free(pass);
    ptc_experiment_plan_free(&plan);
    if (shard.count)
        ptc_shard_record(out, &shard, "experiment", shard_name, mach.cpu_model, (size_t)n_write,
                         failures ? "failed" : "done");
    ptc_run_unlock(lock_fd);
    fprintf(stderr, "ptc experiment: done (%d failed); `ptc table --kind accuracy %s`\n", failures, out);
    return failures ? 1 : 0;
}

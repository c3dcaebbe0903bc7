/*
 * harness/learn/experiment_plan.c — the plan of `ptc experiment` (experiment.h):
 * options, the runs (datasets x configurations x seeds, baseline first per dataset
 * and seed), every value checked before anything trains, and the experiment's
 * folder: OUT/experiment.json (name, work folder, planned runs) and the resume
 * state read back from OUT/rows.jsonl.
 */
#include "learn/experiment.h"

#include "common/machine.h"
#include "common/rows.h"
#include "common/sys.h"
#include "cluster/lock.h"

#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { EXP_MAX_CONFIGS = 128, EXP_MAX_SEEDS = 32, EXP_MAX_DATASETS = 16 };

typedef struct {
    char variant[16];
    double p;      /* resolved; 0 when the variant does not prune */
    size_t lc, m;  /* resolved; 0 when the variant does not combine */
    char label[32];
    char id[96];
} exp_config;

void ptc_exp_remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char p[4800];
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                ptc_exp_remove_tree(p);
            else
                unlink(p);
        }
    closedir(d);
    rmdir(dir);
}

/* v: a variant name the options have checked */
static ptc_variant variant_of(const char *v)
{
    ptc_variant var = PTC_VARIANT_BASELINE;
    int rule;
    char err[160];
    ptc_parse_variant(v, &var, &rule, err, sizeof err);
    return var;
}

/* the variants --p applies to (TopK: the tokens each removing layer keeps) */
static bool is_prune(const char *v)
{
    return ptc_variant_prunes(variant_of(v)) || variant_of(v) == PTC_VARIANT_TOKEN_TOPK;
}

static bool is_combine(const char *v)
{
    return ptc_variant_combines(variant_of(v));
}

/* Adds a configuration (resolved values) after checking it; duplicates are skipped. */
static int add_config(exp_config *c, size_t *n, const ptc_run_opts *o, const char *variant, double p,
                      size_t lc, size_t m)
{
    exp_config x = {0};
    snprintf(x.variant, sizeof x.variant, "%s", variant);
    x.p = is_prune(variant) ? p : 0;
    x.lc = is_combine(variant) ? lc : 0;
    x.m = is_combine(variant) ? m : 0;
    if (strcmp(variant, "baseline") == 0)
        snprintf(x.label, sizeof x.label, "BERT");
    else if (x.lc)
        snprintf(x.label, sizeof x.label, "%s L%zu", variant, x.lc);
    else
        snprintf(x.label, sizeof x.label, "%s", variant);
    snprintf(x.id, sizeof x.id, "%s-p%g-lc%zu-m%zu", variant, x.p, x.lc, x.m ? x.m : 8);
    ptc_run_opts po = *o;
    po.variant = variant;
    po.p = x.p;
    po.lc = x.lc;
    po.m = x.m;
    ptc_model_config cfg;
    char err[512];
    if (ptc_run_model_config(&po, 100, 2, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "ptc experiment: %s: %s\n", x.label, err);
        return -1;
    }
    char tag[64]; /* TopK's keep ratios, ToMe's r: in the label, not the id (ids stay resumable) */
    if (ptc_token_options_tag(&cfg.variant, tag, sizeof tag) > 0)
        snprintf(x.label + strlen(x.label), sizeof x.label - strlen(x.label), " %s", tag);
    for (size_t i = 0; i < *n; i++)
        if (strcmp(c[i].id, x.id) == 0)
            return 0;
    if (*n == EXP_MAX_CONFIGS) {
        fprintf(stderr, "ptc experiment: more than %d configurations\n", EXP_MAX_CONFIGS);
        return -1;
    }
    c[(*n)++] = x;
    return 0;
}


/* options that experiment sets per run, so not passed through to train */
static bool per_run_option(const char *name)
{
    static const char *const own[] = {"out", "seed", "variant", "p", "lc", "m", "resume", "max-steps", "data"};
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

typedef ptc_experiment_opts exp_args;

/* Parses argv into o and a; the options every train gets go to pl->pass. 0, -1
 * (--help printed), 2 (bad usage, message printed). */
static int parse(exp_plan *pl, ptc_run_opts *o, exp_args *a, int argc, char **argv)
{
    ptc_opt_group g[PTC_LEARN_NGROUPS + 1], others[PTC_LEARN_NOTHERS];
    ptc_learn_others(others);
    g[0] = (ptc_opt_group){"experiment", ptc_experiment_rows, a};
    ptc_learn_groups_all(g + 1, o);
    const ptc_command_spec spec = {
        .prog = "ptc experiment",
        .usage = "ptc experiment --data NAME[,NAME...] [--seeds 1,2] [--variants BERT,P,PF,C,PFC]\n"
                 "       [--p-sweep LIST] [--lc-sweep LIST] [--m-sweep LIST] [--out DIR] [--work DIR]\n"
                 "       [--resume] [--checkpoints keep|remove]\n"
                 "       [every `ptc train` option: model, shape, --p, --lc, --m, epochs, lr, ...]\n"
                 "  --out is the experiment's folder: rows.jsonl, predictions/, experiment.json\n"
                 "  (default results/accuracy/<run>); --resume continues it",
        .groups = g,
        .n_groups = PTC_LEARN_NGROUPS + 1,
        .others = others,
        .n_others = PTC_LEARN_NOTHERS,
    };
    ptc_opts_defaults(&spec);
    static ptc_opt_seen seen;
    const int prc = ptc_opts_parse(&spec, argc, argv, 1, &seen);
    if (prc != 0)
        return prc == 1 ? -1 : prc;
    if (ptc_run_opts_check(o, &seen, spec.prog) != 0)
        return 2;
    pl->pass = calloc((size_t)argc + 1, sizeof *pl->pass);
    for (size_t i = 0; i < seen.n; i++)
        if (seen.at[i].opt->name && !per_run_option(seen.at[i].opt->name) &&
            !is_experiment_row(seen.at[i].opt))
            for (int k = seen.at[i].first; k <= seen.at[i].last; k++)
                pl->pass[pl->npass++] = argv[k];
    if (!o->data && !o->train) {
        fprintf(stderr, "ptc experiment: give --data NAME (or --train F --labels F)\n");
        return 2;
    }
    char err[300];
    if (ptc_shard_resolve(a->shard, (long)a->shards, &pl->shard, err, sizeof err) != 0) {
        fprintf(stderr, "ptc experiment: %s\n", err);
        return 2;
    }
    pl->resume = o->resume || pl->shard.count; /* a requeued shard continues its folder */
    pl->remove_checkpoints = a->checkpoints == 1;
    pl->dry_run = a->dry_run;
    return 0;
}

/* Every configuration of the variants and sweeps, checked. */
static int build_configs(const ptc_run_opts *o, const exp_args *a, exp_config *cfgs, size_t *nc)
{
    ptc_model_config probe;
    char err[512];
    ptc_run_opts po = *o;
    po.variant = "baseline";
    po.lc = po.m = 0;
    if (ptc_run_model_config(&po, 100, 2, &probe, err, sizeof err) != 0) {
        fprintf(stderr, "ptc experiment: %s\n", err);
        return -1;
    }
    const size_t layers = probe.n_layers, lc0 = o->lc ? o->lc : (layers > 1 ? layers - 1 : 1),
                 m0 = o->m ? o->m : 8;
    const double p0 = o->p > 0 ? o->p : 0.9;
    for (size_t i = 0; i < a->lc_sweep.n; i++)
        if (a->lc_sweep.v[i] > (double)layers) {
            fprintf(stderr, "ptc experiment: --lc-sweep %.0f: the model has %zu layers\n", a->lc_sweep.v[i],
                    layers);
            return -1;
        }
    *nc = 0;
    if (add_config(cfgs, nc, o, "baseline", 0, 0, 0) != 0) /* first: the ratios need it */
        return -1;
    for (size_t i = 0; i < a->variants.n; i++)
        if (add_config(cfgs, nc, o, a->variants.v[i], p0, lc0, m0) != 0)
            return -1;
    for (size_t i = 0; i < a->p_sweep.n; i++)
        if (add_config(cfgs, nc, o, "PF", a->p_sweep.v[i], lc0, m0) != 0)
            return -1;
    for (size_t i = 0; i < a->lc_sweep.n; i++)
        if (add_config(cfgs, nc, o, "PFC", p0, (size_t)a->lc_sweep.v[i], m0) != 0)
            return -1;
    for (size_t i = 0; i < a->m_sweep.n; i++)
        if (add_config(cfgs, nc, o, "PFC", p0, lc0, (size_t)a->m_sweep.v[i]) != 0)
            return -1;
    return 0;
}

int ptc_exp_plan_build(exp_plan *pl, int argc, char **argv)
{
    memset(pl, 0, sizeof *pl);
    ptc_run_opts o;
    ptc_run_opts_default(&o);
    exp_args a;
    memset(&a, 0, sizeof a);
    int rc = parse(pl, &o, &a, argc, argv);
    exp_config *cfgs = calloc(EXP_MAX_CONFIGS, sizeof *cfgs);
    size_t nc = 0;
    if (rc == 0 && build_configs(&o, &a, cfgs, &nc) != 0)
        rc = 2;
    char seeds[PTC_OPT_LIST_MAX][32], data[EXP_MAX_DATASETS][64];
    const size_t ns = a.seeds.n;
    for (size_t s = 0; s < ns; s++)
        snprintf(seeds[s], sizeof seeds[s], "%.0f", a.seeds.v[s]);
    pl->files_mode = !o.data;
    const int nd_items = pl->files_mode ? 1 : ptc_split_list(o.data, ',', data, EXP_MAX_DATASETS);
    const size_t nd = nd_items > 0 ? (size_t)nd_items : 0;
    if (rc == 0 && (ns == 0 || nd == 0)) {
        fprintf(stderr, "ptc experiment: an empty or malformed --seeds or --data list\n");
        rc = 2;
    }
    if (rc != 0) {
        free(cfgs);
        ptc_exp_plan_free(pl);
        return rc;
    }
    pl->model_name = o.hidden || o.layers || o.heads || o.ffn ? "custom" : o.model;
    pl->data_list = calloc(nd, 32);
    pl->runs = calloc(nd * ns * nc, sizeof *pl->runs);
    for (size_t d = 0; d < nd; d++) {
        char *name = pl->data_list + 32 * d;
        snprintf(name, 32, "%s", pl->files_mode ? "files" : data[d]);
        for (size_t s = 0; s < ns; s++)
            for (size_t c = 0; c < nc; c++) {
                exp_run *r = &pl->runs[pl->n++];
                r->dataset = name;
                snprintf(r->variant, sizeof r->variant, "%s", cfgs[c].variant);
                r->p = cfgs[c].p;
                r->lc = cfgs[c].lc;
                r->m = cfgs[c].m;
                snprintf(r->label, sizeof r->label, "%s", cfgs[c].label);
                snprintf(r->seed, sizeof r->seed, "%s", seeds[s]);
                snprintf(r->id, sizeof r->id, "%s-%s-s%s", name, cfgs[c].id, seeds[s]);
                snprintf(r->config_id, sizeof r->config_id, "dataset=%s;model=%s;seq=%zu;%s;seed=%s",
                         name, o.model, o.max_len, cfgs[c].id, seeds[s]);
            }
    }
    free(cfgs);
    /* names and folders */
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tmv);
    snprintf(pl->run, sizeof pl->run, "%s-accuracy-%.60s", stamp, pl->data_list);
    if (o.out)
        snprintf(pl->out, sizeof pl->out, "%s", o.out);
    else
        snprintf(pl->out, sizeof pl->out, "results/accuracy/%s", pl->run);
    snprintf(pl->shard_name, sizeof pl->shard_name, "%.255s",
             strrchr(pl->out, '/') ? strrchr(pl->out, '/') + 1 : pl->out);
    if (pl->shard.count) /* each shard its own folder, resumed when it exists */
        snprintf(pl->out + strlen(pl->out), sizeof pl->out - strlen(pl->out), "/shard-%d-of-%d",
                 pl->shard.index, pl->shard.count);
    pl->lock_fd = -1;
    snprintf(pl->runs_dir, sizeof pl->runs_dir, "%s/ptc-experiment-%s", a.work, pl->run);
    if (pl->shard.count) /* shards of one experiment started in the same second differ */
        snprintf(pl->runs_dir + strlen(pl->runs_dir), sizeof pl->runs_dir - strlen(pl->runs_dir),
                 "-shard-%d-of-%d", pl->shard.index, pl->shard.count);
    ptc_machine mach;
    memset(&mach, 0, sizeof mach);
    char err[256];
    ptc_machine_describe(&mach, err, sizeof err);
    snprintf(pl->cpu, sizeof pl->cpu, "%s", mach.cpu_model);
    return 0;
}

void ptc_exp_plan_free(exp_plan *pl)
{
    ptc_run_unlock(pl->lock_fd);
    for (size_t i = 0; i < pl->n; i++) {
        json_decref(pl->runs[i].train_row);
        json_decref(pl->runs[i].infer_row);
    }
    free(pl->runs);
    free(pl->pass);
    free(pl->data_list);
    memset(pl, 0, sizeof *pl);
}

exp_run *ptc_exp_base_of(exp_plan *pl, const exp_run *r)
{
    for (size_t i = 0; i < pl->n; i++) {
        exp_run *b = &pl->runs[i];
        if (strcmp(b->variant, "baseline") == 0 && b->dataset == r->dataset && strcmp(b->seed, r->seed) == 0)
            return b == r || b->done ? b : NULL;
    }
    return NULL;
}

/* Writes path atomically (temporary file, fsync, rename). */
static int write_atomic(const char *path, const char *text)
{
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    const size_t len = strlen(text);
    const bool ok = fwrite(text, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (fclose(f) != 0 || !ok)
        return -1;
    return rename(tmp, path);
}

/* Creates the work folder of a new experiment as its own: runs_dir, or runs_dir-2,
 * -3, ... when another experiment (started in the same second) has that name.
 * 0, or -1 with errno. */
static int claim_work_folder(exp_plan *pl)
{
    char *slash = strrchr(pl->runs_dir, '/');
    if (slash && slash != pl->runs_dir) {
        *slash = '\0';
        const int rc = ptc_mkdir_p(pl->runs_dir);
        *slash = '/';
        if (rc != 0)
            return -1;
    }
    const size_t len = strlen(pl->runs_dir);
    for (int k = 2; mkdir(pl->runs_dir, 0755) != 0; k++) {
        if (errno != EEXIST || k > 1000)
            return -1;
        snprintf(pl->runs_dir + len, sizeof pl->runs_dir - len, "-%d", k);
    }
    return 0;
}

/* OUT/experiment.json: written once, naming a work folder of its own; with
 * --resume its name and work folder are reused and its runs must be the planned
 * ones. */
static int state_file(exp_plan *pl)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/experiment.json", pl->out);
    json_t *st = json_load_file(path, 0, NULL);
    json_t *ids = json_array();
    for (size_t i = 0; i < pl->n; i++)
        json_array_append_new(ids, json_string(pl->runs[i].id));
    int rc = 0;
    if (st && !pl->resume) {
        fprintf(stderr, "ptc experiment: %s holds an experiment: give --resume to continue it, or another --out\n",
                pl->out);
        rc = -1;
    } else if (st) {
        const char *run = json_string_value(json_object_get(st, "run")),
                   *work = json_string_value(json_object_get(st, "work"));
        if (!run || !work || !json_equal(ids, json_object_get(st, "runs"))) {
            fprintf(stderr, "ptc experiment: --resume: the runs planned differ from those of %s\n", path);
            rc = -1;
        } else {
            snprintf(pl->run, sizeof pl->run, "%s", run);
            snprintf(pl->runs_dir, sizeof pl->runs_dir, "%s", work);
        }
    } else if (claim_work_folder(pl) != 0) {
        fprintf(stderr, "ptc experiment: cannot create %s: %s\n", pl->runs_dir, strerror(errno));
        rc = -1;
    } else {
        st = json_object();
        json_object_set_new(st, "schema", json_string("ptc.experiment/1"));
        json_object_set_new(st, "run", json_string(pl->run));
        json_object_set_new(st, "work", json_string(pl->runs_dir));
        json_object_set(st, "runs", ids);
        char *text = json_dumps(st, JSON_INDENT(2));
        if (!text || write_atomic(path, text) != 0) {
            fprintf(stderr, "ptc experiment: cannot write %s: %s\n", path, strerror(errno));
            rc = -1;
        }
        free(text);
    }
    json_decref(ids);
    json_decref(st);
    return rc;
}

static exp_run *run_of_row(exp_plan *pl, json_t *row, bool *infer)
{
    const char *cid = json_string_value(json_object_get(row, "config_id"));
    const char *ph = cid ? strstr(cid, ";phase=") : NULL;
    if (!ph)
        return NULL;
    *infer = strcmp(ph, ";phase=infer") == 0;
    for (size_t i = 0; i < pl->n; i++)
        if (strlen(pl->runs[i].config_id) == (size_t)(ph - cid) &&
            strncmp(pl->runs[i].config_id, cid, (size_t)(ph - cid)) == 0)
            return &pl->runs[i];
    return NULL;
}

/* Marks the runs with both rows in the rows file done; drops a torn line and the
 * lone row of a run that has one of two (rewriting the file). */
static int load_done(exp_plan *pl, const char *rows_path)
{
    FILE *f = fopen(rows_path, "r");
    if (!f)
        return 0;
    json_t *lines = json_array();
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    bool dropped = false;
    while ((len = getline(&line, &cap, f)) > 0) {
        json_t *row = line[len - 1] == '\n' ? json_loads(line, 0, NULL) : NULL;
        if (!row) {
            dropped = true;
            continue;
        }
        json_array_append_new(lines, row);
        bool infer;
        exp_run *r = run_of_row(pl, row, &infer);
        if (r && infer && !r->infer_row)
            r->infer_row = json_incref(row);
        else if (r && !infer && !r->train_row)
            r->train_row = json_incref(row);
    }
    free(line);
    fclose(f);
    size_t n_done = 0;
    for (size_t i = 0; i < pl->n; i++) {
        exp_run *r = &pl->runs[i];
        r->done = r->train_row && r->infer_row;
        n_done += r->done;
        dropped |= !r->done && (r->train_row || r->infer_row);
    }
    int rc = 0;
    if (dropped) { /* keep every complete line except the lone rows of unfinished runs */
        size_t cap_text = 1 << 16, used = 0;
        char *text = malloc(cap_text);
        text[0] = '\0';
        for (size_t i = 0; i < json_array_size(lines); i++) {
            json_t *row = json_array_get(lines, i);
            bool infer;
            exp_run *r = run_of_row(pl, row, &infer);
            if (r && !r->done)
                continue;
            char *s = json_dumps(row, JSON_COMPACT);
            const size_t l = strlen(s);
            while (used + l + 2 > cap_text)
                text = realloc(text, cap_text *= 2);
            memcpy(text + used, s, l);
            used += l;
            text[used++] = '\n';
            text[used] = '\0';
            free(s);
        }
        rc = write_atomic(rows_path, text);
        free(text);
        fprintf(stderr, "ptc experiment: %s: dropped a torn line or the lone row of an unfinished run\n",
                rows_path);
    }
    for (size_t i = 0; i < pl->n; i++)
        if (!pl->runs[i].done) {
            json_decref(pl->runs[i].train_row);
            json_decref(pl->runs[i].infer_row);
            pl->runs[i].train_row = pl->runs[i].infer_row = NULL;
        }
    json_decref(lines);
    if (rc != 0)
        fprintf(stderr, "ptc experiment: cannot rewrite %s: %s\n", rows_path, strerror(errno));
    return rc;
}

int ptc_exp_open(exp_plan *pl)
{
    char pred[4200];
    snprintf(pred, sizeof pred, "%s/predictions", pl->out);
    if (ptc_mkdir_p(pl->out) != 0 || ptc_mkdir_p(pred) != 0) {
        fprintf(stderr, "ptc experiment: cannot create %s: %s\n", pred, strerror(errno));
        return -1;
    }
    char err[512];
    if ((pl->lock_fd = ptc_run_lock(pl->out, err, sizeof err)) < 0) {
        fprintf(stderr, "ptc experiment: %s\n", err);
        return -1;
    }
    if (state_file(pl) != 0)
        return -1;
    if (ptc_mkdir_p(pl->runs_dir) != 0) {
        fprintf(stderr, "ptc experiment: cannot create %s: %s\n", pl->runs_dir, strerror(errno));
        return -1;
    }
    snprintf(pl->rows_path, sizeof pl->rows_path, "%s/rows.jsonl", pl->out);
    if (ptc_rows_repair_tail(pl->rows_path) > 0)
        fprintf(stderr, "ptc experiment: %s: dropped a torn last line\n", pl->rows_path);
    return pl->resume ? load_done(pl, pl->rows_path) : 0;
}

int ptc_exp_shard(exp_plan *pl)
{
    /* the shard plan's configurations are (dataset, configuration); runs are ordered
     * dataset, seed, configuration */
    size_t ns = 0, nc = 0;
    for (size_t i = 0; i < pl->n && pl->runs[i].dataset == pl->runs[0].dataset &&
                       strcmp(pl->runs[i].seed, pl->runs[0].seed) == 0; i++)
        nc++;
    for (size_t i = 0; i < pl->n && pl->runs[i].dataset == pl->runs[0].dataset; i += nc)
        ns++;
    const size_t nd = pl->n / (nc * ns);
    ptc_experiment_plan sp;
    if (ptc_experiment_plan_init(&sp, nd * nc, ns) != 0) {
        fprintf(stderr, "ptc experiment: out of memory\n");
        return -1;
    }
    for (size_t d = 0; d < nd; d++)
        for (size_t s = 0; s < ns; s++)
            for (size_t c = 0; c < nc; c++) {
                const exp_run *r = &pl->runs[(d * ns + s) * nc + c];
                /* the key's config: the configuration's id (the tail of config_id before
                 * ";seed=", as for one dataset), with dataset, model and length before it
                 * when there are several datasets */
                const char *start = r->config_id;
                for (int k = 0; k < 3 && nd == 1; k++)
                    start = strchr(start, ';') + 1;
                char config[400];
                snprintf(config, sizeof config, "%.*s", (int)(strstr(start, ";seed=") - start), start);
                ptc_experiment_plan_set(&sp, d * nc + c, s, config, r->seed);
            }
    char rows[4300];
    snprintf(rows, sizeof rows, "%s/rows.jsonl", pl->out);
    const long n_write = ptc_experiment_plan_decide(&sp, pl->dry_run || !pl->shard.count ? NULL : rows, &pl->shard);
    if (pl->dry_run)
        ptc_experiment_plan_print(&sp, &pl->shard, stdout);
    for (size_t d = 0; d < nd && n_write >= 0; d++)
        for (size_t s = 0; s < ns; s++)
            for (size_t c = 0; c < nc; c++) {
                exp_run *r = &pl->runs[(d * ns + s) * nc + c];
                const size_t i = (d * nc + c) * ns + s;
                r->skip = !sp.write[i];
            }
    ptc_experiment_plan_free(&sp);
    if (n_write < 0) {
        fprintf(stderr, "ptc experiment: cannot read %s\n", rows);
        return -1;
    }
    if (pl->shard.count && !pl->dry_run)
        fprintf(stderr, "ptc experiment: shard %d/%d (from %s): %ld trainings to write\n", pl->shard.index,
                pl->shard.count, pl->shard.source, n_write);
    return 0;
}

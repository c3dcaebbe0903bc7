/*
 * harness/bench/bench_folder.c — the run folder of `ptc bench`: context.json (machine,
 * ops tables, build, load, warnings, calibration, measurement), sweep.txt, and --resume
 * (finding the run folder and taking back its sweep). Contract: harness/bench/bench_parts.h.
 */
#define _GNU_SOURCE
#include "bench/bench_parts.h"
#include "common/sys.h"

#include "ptc/cpu.h"
#include "ptc/ops.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef PTC_BUILD_FLAGS
static const char build_flags[] = PTC_BUILD_FLAGS;
#else
static const char build_flags[] = "unknown";
#endif

/* ---- identity ---------------------------------------------------------------------- */

static void governor(char *out, size_t len)
{
    snprintf(out, len, "unknown");
    FILE *f = fopen("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "r");
    if (!f)
        return;
    if (fgets(out, (int)len, f))
        out[strcspn(out, "\r\n")] = '\0';
    fclose(f);
}


/* ---- context.json ----------------------------------------------------------------------- */

static json_t *context_json(const ptc_sweep_opts *o, const ptc_machine *m, const ptc_bench_ctx *ctx,
                            int argc, char **argv, const ptc_sweep_config *configs, size_t n,
                            json_t **warnings_out)
{
    json_t *c = json_object();
    json_object_set_new(c, "schema", json_string("ptc.context/1"));
    json_object_set_new(c, "run", json_string(ctx->id.run));
    json_t *args = json_array();
    for (int i = 0; i < argc; i++)
        json_array_append_new(args, json_string(argv[i]));
    json_object_set_new(c, "argv", args);
    json_t *cpu = json_object();
    json_object_set_new(cpu, "model", json_string(m->cpu_model));
    json_object_set_new(cpu, "slug", json_string(ctx->id.cpu_slug));
    if (m->x86_family > 0) {
        json_object_set_new(cpu, "x86_family", json_integer(m->x86_family));
        json_object_set_new(cpu, "x86_model", json_integer(m->x86_model));
    }
    json_object_set_new(cpu, "packages", json_integer(m->packages));
    json_object_set_new(cpu, "cores", json_integer(m->cores));
    json_object_set_new(cpu, "hardware_threads", json_integer(m->pus));
    json_object_set_new(cpu, "l1d_bytes", json_integer((json_int_t)m->l1d_bytes));
    json_object_set_new(cpu, "l2_bytes", json_integer((json_int_t)m->l2_bytes));
    json_object_set_new(cpu, "l3_bytes", json_integer((json_int_t)m->l3_bytes));
    json_object_set_new(cpu, "source", json_string(m->source));
    json_object_set_new(c, "cpu", cpu);
    char features[160];
    ptc_cpu_feature_string(ptc_cpu_features(), features, sizeof features);
    json_object_set_new(c, "features", json_string(features));
    json_t *tables = json_array();
    size_t nt;
    const ptc_ops *const *all = ptc_ops_all(&nt);
    for (size_t i = 0; i < nt; i++) {
        json_t *t = json_object();
        json_object_set_new(t, "name", json_string(all[i]->name));
        json_object_set_new(t, "runs", json_boolean(ptc_ops_supported(all[i])));
        bool used = false;
        for (size_t k = 0; k < n; k++)
            used |= strcmp(configs[k].isa, all[i]->name) == 0;
        json_object_set_new(t, "used", json_boolean(used)); /* added */
        json_array_append_new(tables, t);
    }
    json_object_set_new(c, "tables", tables);
    json_object_set_new(c, "compiler", json_string("gcc " __VERSION__));
    json_object_set_new(c, "flags", json_string(build_flags));
    json_object_set_new(c, "commit", json_string(ctx->id.commit));
    json_object_set_new(c, "dirty", json_boolean(ctx->id.dirty));
    char date[32];
    const time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_set_new(c, "date", json_string(date));
    double load[3];
    ptc_load_averages(load);
    json_t *la = json_array();
    for (int i = 0; i < 3; i++)
        json_array_append_new(la, json_real(load[i]));
    json_object_set_new(c, "load_average", la);
    json_object_set_new(c, "binding", json_string(ctx->bind ? "OpenMP thread i on PU i (hwloc, strict)" : "none"));

    json_t *warnings = json_array();
    char gov[64];
    governor(gov, sizeof gov);
    char line[256];
    if (strcmp(gov, "performance") != 0) {
        snprintf(line, sizeof line, "CPU frequency scaling governor is %s (not performance)%s", gov,
                 strcmp(gov, "unknown") == 0 ? ": cpufreq not exposed (VM or container)" : "");
        json_array_append_new(warnings, json_string(line));
    }
    if (strstr(build_flags, "-O0") || !strstr(build_flags, "-O")) {
        snprintf(line, sizeof line, "debug build (flags: %s): timings are not representative", build_flags);
        json_array_append_new(warnings, json_string(line));
    }
    if (strstr(build_flags, "-fsanitize")) {
        json_array_append_new(warnings, json_string("sanitizer build: timings are not representative"));
    }
    if (load[0] >= 0.5) {
        snprintf(line, sizeof line, "load average %.2f at start (%u hardware threads): other work "
                 "competes for the CPU", load[0], m->pus);
        json_array_append_new(warnings, json_string(line));
    }
    if (!ctx->cal.root)
        json_array_append_new(warnings, json_string("no calibration: pct_peak is null"));
    json_object_set_new(c, "warnings", warnings);
    *warnings_out = warnings;
    if (ctx->cal.root) {
        json_t *cal = json_deep_copy(ctx->cal.root);
        json_object_set_new(cal, "file", json_string(ctx->cal.path));
        json_object_set_new(c, "calibration", cal);
    } else {
        json_object_set_new(c, "calibration", json_null());
    }
    json_t *meas = json_object();
    json_object_set_new(meas, "reps", json_integer(o->reps));
    json_object_set_new(meas, "min_time_s", json_real(o->min_time_s));
    json_object_set_new(meas, "warmup_s", json_real(o->warmup_s));
    json_object_set_new(meas, "seed", json_integer((json_int_t)o->seed));
    json_object_set_new(meas, "interleaving", json_string("Google Benchmark random interleaving of the repetitions of a group"));
    json_object_set_new(meas, "bootstrap_resamples", json_integer(2000));
    json_object_set_new(c, "measurement", meas); /* added */
    return c;
}


/* ---- run folder -------------------------------------------------------------------------- */

/* The latest folder under root named NAME or ending in "-NAME". */
static int find_latest(const char *root, const char *name, char *out, size_t len)
{
    DIR *d = opendir(root);
    if (!d)
        return -1;
    struct dirent *e;
    out[0] = '\0';
    const size_t nl = strlen(name);
    while ((e = readdir(d))) {
        const size_t el = strlen(e->d_name);
        const bool match = strcmp(e->d_name, name) == 0 ||
                           (el > nl + 1 && e->d_name[el - nl - 1] == '-' &&
                            strcmp(e->d_name + el - nl, name) == 0);
        if (match && strcmp(e->d_name, out) > 0)
            snprintf(out, len, "%s", e->d_name);
    }
    closedir(d);
    return out[0] ? 0 : -1;
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    const int bad = ferror(f);
    return fclose(f) != 0 || bad ? -1 : 0;
}


/* --resume: the run folder (run_dir) and, unless sweep options are given, its
 * sweep.txt's sections and measurement. 0, or 2 after a message. */
int bench_resolve_resume(ptc_sweep_opts *o, const char *slug_dir, char *run_dir, size_t run_len,
                          char *run, size_t run_name_len)
{
    char err[512];
    char name[256];
    if (o->resume_latest) {
        if (find_latest(slug_dir, o->name, name, sizeof name) != 0) {
            fprintf(stderr, "ptc bench: --resume: no run named '%s' under %s\n", o->name, slug_dir);
            return 2;
        }
    } else {
        snprintf(name, sizeof name, "%s", o->resume);
    }
    if (strchr(name, '/'))
        snprintf(run_dir, run_len, "%s", name);
    else
        snprintf(run_dir, run_len, "%s/%s", slug_dir, name);
    char spec[1100];
    snprintf(spec, sizeof spec, "%s/sweep.txt", run_dir);
    if (!ptc_path_exists(spec)) {
        fprintf(stderr, "ptc bench: --resume: %s is not a run folder (no sweep.txt)\n", run_dir);
        return 2;
    }
    if (!o->sweep_given) {
        static ptc_sweep_opts saved;
        ptc_sweep_opts_init(&saved);
        if (ptc_sweep_parse_spec_file(&saved, spec, err, sizeof err) != 0) {
            fprintf(stderr, "ptc bench: %s\n", err);
            return 2;
        }
        memcpy(o->sections, saved.sections, sizeof o->sections);
        o->n_sections = saved.n_sections;
        if (!o->measurement_given) {
            o->reps = saved.reps;
            o->min_time_s = saved.min_time_s;
            o->warmup_s = saved.warmup_s;
            o->seed = saved.seed;
        }
    }
    const char *slash = strrchr(run_dir, '/');
    snprintf(run, run_name_len, "%s", slash ? slash + 1 : run_dir);
    return 0;
}


/* sweep.txt (unless resuming without sweep options) and context.json of the run
 * folder. 0, or 1 after a message. */
int bench_write_run_files(const ptc_sweep_opts *op, const ptc_machine *mp, const ptc_bench_ctx *cp,
                           int argc, char **argv, const bench_plan *plan, const char *run_dir,
                           bool resuming)
{
    int rc = 0;
    size_t need = ptc_sweep_spec_format(op, NULL, 0) + 1;
    char *spec = malloc(need);
    ptc_sweep_spec_format(op, spec, need);
    char path[1100];
    snprintf(path, sizeof path, "%s/sweep.txt", run_dir);
    if (!resuming || op->sweep_given) {
        size_t hl = 64;
        for (int i = 0; i < argc; i++)
            hl += strlen(argv[i]) + 1;
        char *text = malloc(hl + need);
        size_t u = (size_t)sprintf(text, "# ptc bench");
        for (int i = 1; i < argc; i++)
            u += (size_t)sprintf(text + u, " %s", argv[i]);
        sprintf(text + u, "\n%s", spec);
        if (write_text(path, text) != 0) {
            fprintf(stderr, "ptc bench: cannot write %s\n", path);
            rc = 1;
        }
        free(text);
    }
    free(spec);
    json_t *warnings;
    json_t *context = context_json(op, mp, cp, argc, argv, plan->configs, plan->n_configs, &warnings);
    snprintf(path, sizeof path, "%s/context.json", run_dir);
    for (int k = 1; resuming && ptc_path_exists(path) && k < 1000; k++)
        snprintf(path, sizeof path, "%s/context-resume-%d.json", run_dir, k);
    if (ptc_json_write_file(path, context, 0) != 0) {
        fprintf(stderr, "ptc bench: cannot write %s\n", path);
        rc = 1;
    }
    for (size_t i = 0; i < json_array_size(warnings); i++)
        fprintf(stderr, "ptc bench: warning: %s\n", json_string_value(json_array_get(warnings, i)));
    json_decref(context);
    return rc;
}


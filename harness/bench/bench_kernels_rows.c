/*
 * harness/bench/bench_kernels_rows.c — the kernel benchmark's notes, its peak look-up and
 * its result files: bench_kernels.json (context and rows), .csv (common/rows.h) and .md.
 * Contract: harness/bench/bench_kernels.h.
 */
#define _GNU_SOURCE
#include "bench/bench_kernels.h"
#include "common/rows.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
    char *items[MAX_NOTES];
    int count;
} notes;

void bk_add_note(const char *fmt, ...)
{
    if (notes.count >= MAX_NOTES)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    notes.items[notes.count++] = strdup(line);
}

int bk_note_count(void)
{
    return notes.count;
}

const char *bk_note(int i)
{
    return notes.items[i];
}

void bk_free_notes(void)
{
    for (int i = 0; i < notes.count; i++)
        free(notes.items[i]);
    notes.count = 0;
}

double bk_peak_for(const peaks *pk, const options *o, const char *isa, int threads,
                   const char **used)
{
    int t = 0;
    while (t < o->n_threads && o->threads[t] != threads)
        t++;
    for (int i = 0; i < pk->n_isa; i++)
        if (strcmp(pk->isa[i], isa) == 0) {
            *used = pk->isa[i];
            return pk->gflops[i][t];
        }
    for (int i = 0; i < pk->n_isa; i++)
        if (pk->best && strcmp(pk->isa[i], pk->best) == 0) {
            *used = pk->isa[i];
            return pk->gflops[i][t];
        }
    *used = "none";
    return 0;
}

/* ---- result files: bench_kernels.json, .csv (common/rows.h) and .md ---------------- */


static json_t *context_json(const run_context *r)
{
    const options *opt = r->opt;
    json_t *c = json_object();
    json_object_set_new(c, "cpu", json_string(r->cpu));
    json_object_set_new(c, "cpu_slug", json_string(r->slug));
    json_object_set_new(c, "cpu_features", json_string(r->features));
    json_object_set_new(c, "online_cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
    json_t *t = json_array();
    for (size_t i = 0; i < r->n_tables; i++)
        json_array_append_new(t, json_string(r->tables[i]->name));
    json_object_set_new(c, "tables", t);
    json_object_set_new(c, "compiler", json_string("gcc " __VERSION__));
    json_object_set_new(c, "flags", json_string(r->flags));
    json_object_set_new(c, "peer", json_string(*r->peer ? r->peer : "none"));
    json_object_set_new(c, "git_commit", json_string(r->commit));
    json_object_set_new(c, "date", json_string(r->date));
    json_object_set_new(c, "quick", json_boolean(opt->quick));
    json_object_set_new(c, "repetitions", json_integer(opt->reps));
    json_object_set_new(c, "min_time_s", json_real(opt->min_time_s));
    json_object_set_new(c, "load_average_start", json_real(r->load_start));
    json_object_set_new(c, "load_average_end", json_real(r->load_end));
    json_object_set_new(c, "elapsed_s", json_real(r->elapsed));
    json_t *peak = json_object();
    for (int i = 0; i < r->pk->n_isa; i++) {
        json_t *by = json_object();
        for (int k = 0; k < opt->n_threads; k++) {
            char key[16];
            snprintf(key, sizeof key, "%d", opt->threads[k]);
            json_object_set_new(by, key, json_real(r->pk->gflops[i][k]));
        }
        json_object_set_new(peak, r->pk->isa[i], by);
    }
    json_object_set_new(c, "peak_fma_gflops", peak);
    json_t *triad = json_object();
    for (int k = 0; k < opt->n_threads; k++) {
        char key[16];
        snprintf(key, sizeof key, "%d", opt->threads[k]);
        json_object_set_new(triad, key, json_real(r->pk->triad_gbps[k]));
    }
    json_object_set_new(c, "triad_gbps", triad);
    json_t *nt = json_array();
    for (int i = 0; i < notes.count; i++)
        json_array_append_new(nt, json_string(notes.items[i]));
    json_object_set_new(c, "notes", nt);
    return c;
}

/* One case's row: the fields of the CSV columns, then the raw repetitions. */
static json_t *case_row(const run_context *r, const bench_case *bc, const ptc_gbench_stats *s)
{
    const char *peak_isa;
    const double peak = bk_peak_for(r->pk, r->opt, bc->ops ? bc->impl : "", bc->threads, &peak_isa);
    json_t *o = json_object();
    json_object_set_new(o, "cpu", json_string(r->cpu));
    json_object_set_new(o, "impl", json_string(bc->impl));
    /* the ISA label: a ptc table's name; the peers pick their own kernels */
    json_object_set_new(o, "isa", json_string(bc->ops                  ? bc->impl
                                              : bc->peer == PEER_ONEDNN ? "onednn-dispatch"
                                                                        : "openblas-dispatch"));
    json_object_set_new(o, "op", json_string(bc->op == OP_SGEMM ? "sgemm" : "attention"));
    json_object_set_new(o, "threads", json_integer(bc->threads));
    json_object_set_new(o, "shape", json_string(bc->shape));
    const bool gemm = bc->op == OP_SGEMM;
    json_object_set_new(o, "m", gemm ? json_integer((json_int_t)bc->m) : json_null());
    json_object_set_new(o, "n", gemm ? json_integer((json_int_t)bc->n) : json_null());
    json_object_set_new(o, "k", gemm ? json_integer((json_int_t)bc->k) : json_null());
    json_object_set_new(o, "seq", gemm ? json_null() : json_integer((json_int_t)bc->seq));
    json_object_set_new(o, "d", gemm ? json_null() : json_integer(ATTN_D));
    json_object_set_new(o, "flops_per_iter", json_real(bc->flops));
    json_object_set_new(o, "gflops_median", json_real(s->gflops_median));
    json_object_set_new(o, "gflops_min", json_real(s->gflops_min));
    json_object_set_new(o, "gflops_max", json_real(s->gflops_max));
    json_object_set_new(o, "time_median_s", json_real(s->median_s));
    json_object_set_new(o, "time_mean_s", json_real(s->mean_s));
    json_object_set_new(o, "time_stddev_s", json_real(s->stddev_s));
    json_object_set_new(o, "time_min_s", json_real(s->min_s));
    json_object_set_new(o, "time_max_s", json_real(s->max_s));
    json_object_set_new(o, "cv", json_real(s->cv));
    json_object_set_new(o, "n_reps", json_integer(s->n));
    json_t *reps = json_array(), *iters = json_array();
    for (int i = 0; i < s->n; i++) {
        json_array_append_new(reps, json_real(s->rep_s[i]));
        json_array_append_new(iters, json_integer((json_int_t)s->rep_iterations[i]));
    }
    json_object_set_new(o, "rep_s", reps);
    json_object_set_new(o, "rep_iterations", iters);
    json_object_set_new(o, "peak_isa", json_string(peak_isa));
    json_object_set_new(o, "peak_gflops", json_real(peak));
    json_object_set_new(o, "pct_peak", json_real(peak > 0 && !s->error ? 100 * s->gflops_median / peak : 0));
    json_object_set_new(o, "error", json_string(s->error_message));
    return o;
}

static const char *const csv_columns[] = {
    "cpu", "impl", "isa", "op", "threads", "shape", "m", "n", "k", "seq", "d", "flops_per_iter",
    "gflops_median", "gflops_min", "gflops_max", "time_median_s", "time_mean_s", "time_stddev_s",
    "cv", "n_reps", "peak_isa", "peak_gflops", "pct_peak", "error"};

static void write_markdown(FILE *fm, const run_context *r, const json_t *rows)
{
    const options *opt = r->opt;
    fprintf(fm, "# ptc kernel benchmark\n\n%s (%s), %s, commit `%s`, %d repetitions of >= %g s%s.\n\n",
            r->cpu, r->features, r->date, r->commit, opt->reps, opt->min_time_s,
            opt->quick ? " (quick)" : "");
    fprintf(fm, "| impl | op | threads | shape | GFLOP/s (median) | %% of peak | min..max | CV | n |\n");
    fprintf(fm, "|---|---|---:|---|---:|---:|---|---:|---:|\n");
    size_t i;
    json_t *o;
    json_array_foreach(rows, i, o) {
#define S(k) json_string_value(json_object_get(o, k))
#define D(k) json_number_value(json_object_get(o, k))
        const int n = (int)json_integer_value(json_object_get(o, "n_reps"));
        const int threads = (int)json_integer_value(json_object_get(o, "threads"));
        if (S("error")[0] || n == 0)
            fprintf(fm, "| %s | %s | %d | %s | — | — | %s | — | 0 |\n", S("impl"), S("op"), threads,
                    S("shape"), S("error"));
        else
            fprintf(fm, "| %s | %s | %d | %s | %.2f | %.1f%% | %.2f..%.2f | %.1f%% | %d |\n", S("impl"),
                    S("op"), threads, S("shape"), D("gflops_median"), D("pct_peak"), D("gflops_min"),
                    D("gflops_max"), 100 * D("cv"), n);
#undef S
#undef D
    }
    fprintf(fm, "\nPeak FP32 FMA (measured, best of many ~10 ms runs):");
    for (int k = 0; k < r->pk->n_isa; k++)
        for (int t = 0; t < opt->n_threads; t++)
            fprintf(fm, " %s %dt %.1f GFLOP/s;", r->pk->isa[k], opt->threads[t], r->pk->gflops[k][t]);
    fprintf(fm, "\nTriad bandwidth:");
    for (int t = 0; t < opt->n_threads; t++)
        fprintf(fm, " %dt %.1f GB/s;", opt->threads[t], r->pk->triad_gbps[t]);
    fprintf(fm, "\n%% of peak: against the peak of the row's ISA (of %s for ref and the peers) at "
                "the same thread count. sgemm C = A B, NT: C = A B^T (the encoder's x W^T). "
                "Peers: %s.\n",
            r->pk->best ? r->pk->best : "none", r->peer);
    for (int k = 0; k < notes.count; k++)
        fprintf(fm, "\n- %s", notes.items[k]);
    fprintf(fm, "\n");
}

/* DIR/bench_kernels.{json,csv,md}. 0, or 1 after a message. */
int bk_write_results(const char *dir, const run_context *r, ptc_gbench *suite,
                     const bench_case *cases, int n_cases)
{
    json_t *rows = json_array();
    for (int i = 0; i < n_cases; i++)
        json_array_append_new(rows, case_row(r, &cases[i],
                                             ptc_gbench_result(suite, (size_t)cases[i].gbench_index)));
    json_t *doc = json_object();
    json_object_set_new(doc, "schema_version", json_integer(1));
    json_object_set_new(doc, "context", context_json(r));
    json_object_set(doc, "rows", rows);
    char path[1200];
    snprintf(path, sizeof path, "%s/bench_kernels.json", dir);
    bool ok = ptc_json_write_file(path, doc, 10) == 0;
    json_decref(doc);
    snprintf(path, sizeof path, "%s/bench_kernels.csv", dir);
    FILE *fc = fopen(path, "w");
    snprintf(path, sizeof path, "%s/bench_kernels.md", dir);
    FILE *fm = fopen(path, "w");
    const size_t n_cols = sizeof csv_columns / sizeof csv_columns[0];
    if (fc) {
        ptc_csv_header(fc, csv_columns, n_cols);
        for (size_t i = 0; i < json_array_size(rows); i++)
            ptc_csv_row(fc, json_array_get(rows, i), csv_columns, n_cols);
    }
    if (fm)
        write_markdown(fm, r, rows);
    ok = ok && fc && fm && !ferror(fc) && !ferror(fm);
    ok = (!fc || fclose(fc) == 0) && ok;
    ok = (!fm || fclose(fm) == 0) && ok;
    json_decref(rows);
    if (!ok) {
        fprintf(stderr, "ptc-bench-kernels: cannot write the result files under %s\n", dir);
        return 1;
    }
    return 0;
}


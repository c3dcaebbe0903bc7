/*
 * harness/report/plot.c — `ptc plot`: gnuplot scripts, data files, captions and images from
 * result rows.
 *
 *   ptc plot [options] PATH...
 *     PATH            rows.jsonl, a run folder, or results/<cpu>/ (its latest run)
 *     --out DIR       output folder (default plots/<run>/; rows of several runs:
 *                     plots/<first run>+<N>/)
 *     --format F      all (default: png, svg and pdf) | png | svg | pdf
 *     --no-render     write scripts, data and captions only, do not run gnuplot
 *     --where, --strict, --all-runs   as for `ptc table`
 *
 * For each plot NAME: NAME.gp (the script: it loops over the formats, skipping one whose
 * gnuplot terminal is missing), NAME.dat (its data: gnuplot index blocks, one per series,
 * each headed by a "# series: ..." comment and column names), NAME.caption.txt (the
 * metadata: plot.h) and NAME.png/.svg/.pdf, made by running `gnuplot NAME.gp` inside
 * DIR, so a user can edit and re-run the script there. The bench rows (rows without an
 * accuracy) are plotted per level (NAME-LEVEL: encoder, layer and kernel rows never share
 * an axis):
 *   speedup_vs_seq            speedup (median, 95% CI error bars) per variant, log2 x
 *   memory_vs_seq             activation memory ratio, and absolute MiB, per variant
 *   speedup_memory_kept_vs_p  speedup, memory ratio and keys kept (% of seq) vs p
 *   speedup_memory_vs_lc      speedup and memory ratio vs the combining layer L_c
 *   gflops_by_isa             GFLOP/s bars per configuration, one bar per ISA
 *   roofline                  GFLOP/s of each row against arithmetic intensity, under
 *                             the calibrated roofs min(peak_gflops, bandwidth_gbps * AI);
 *                             points above the memory roof ringed, the caption says why
 *   table3_bars               (encoder) speedup and memory ratio per variant at seq 512
 *                             (else the longest), the paper's Table 3 beside
 * BERT is a reference line (1 on ratio axes), never a series. The accuracy rows get the
 * plots of plot_paper.c and plot_accuracy.c. A plot whose data is absent (e.g. one
 * sequence length only) is skipped with a note.
 * Roofline intensity = flops.total / bytes, bytes = memory.activations + fp32 weight
 * bytes of the layers run (encoder: layers x (4 h^2 + 2 h ffn + 9 h + ffn) x 4; layer:
 * one layer; kernel: 0): each byte counted once, so a lower bound of the traffic and an
 * upper bound of the intensity.
 * Series are the rows' label plus every other dimension that varies (ISA, threads, run,
 * ...); each gets its own colour and dash pair (plot_style).
 */
#define _GNU_SOURCE
#include "report/plot.h"
#include "common/sys.h"
#include "report/paper.h" /* the paper's Table 3 (harness/report/paper_groups.c) */

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static double keys_kept_frac(const json_t *row)
{
    json_t *a = ptc_row_get(row, "kept.keys_mean");
    double seq;
    if (!json_is_array(a) || json_array_size(a) == 0 || !ptc_row_num(row, "seq", &seq) ||
        seq <= 0)
        return NAN;
    double sum = 0;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) sum += json_number_value(v);
    return 100.0 * sum / (double)json_array_size(a) / seq;
}

/* ---- the plots ------------------------------------------------------------------------------ */


/* The script head of a plot of `panels` panels stacked (gnuplot multiplot): `extra` (set
 * lines, may be "") before the common offsets, then the level's title. */
static void panels_head(plot_ctx *pc, const plot_job *j, int panels, const char *extra,
                        const char *title)
{
    char setup[256];
    snprintf(setup, sizeof setup, "set lmargin 12\nset multiplot layout %d,1\n%s"
             "set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n", panels, extra);
    plot_job_head(pc, j, panels, setup, title);
}

/* Every series' column `using` (speedups with their interval: "1:2:3:4" as yerrorlines,
 * else lines and points), then BERT = 1 dashed; the plot command stays open. */
static void ratio_panel(const plot_job *j, const char *using)
{
    const bool interval = strcmp(using, "1:2:3:4") == 0;
    plot_series(j->gp, j->name, j->s, j->ns, 0, using,
                interval ? "yerrorlines pointsize 0.8" : "linespoints pointsize 0.8", true);
    plot_ref_term(j->gp, 1.0, "BERT = 1");
}

/* true when some row of the series has a number at column c */
static bool any_value(const series *s, size_t ns, value_fn value, int c)
{
    for (size_t i = 0; i < ns; i++)
        for (size_t r = 0; r < s[i].n; r++)
            if (isfinite(value(s[i].rows[r], c)))
                return true;
    return false;
}

static void plot_speedup_vs_seq(plot_ctx *pc, const json_t **all, size_t nall)
{
    static const char *const need[] = {"seq", "speedup.median", NULL};
    static const plot_spec spec = {
        .name = "speedup_vs_seq", .need = need, .x = "seq",
        .one_x = "one sequence length only", .no_rows = "no row has seq and speedup",
        .make = plot_make_series, .drop_single = true, .baseline_ref = true,
        .what = "speedup against BERT (BERT's median time / the variant's, same configuration) vs "
                "sequence length; error bars: 95% interval of the speedup; BERT = 1 dashed"};
    plot_job j;
    if (plot_prepare(pc, &j, &spec, all, nall)) {
        plot_write_blocks(j.dat, j.s, j.ns, "seq", "seq speedup_median speedup_ci_low speedup_ci_high",
                          plot_speedup_value, 3);
        plot_job_head(pc, &j, 1, "", "Speedup vs sequence length");
        fputs("set logscale x 2\nset xlabel 'sequence length (tokens)'\n"
              "set ylabel 'speedup vs BERT (95% CI)'\nset offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n",
              j.gp);
        ratio_panel(&j, "1:2:3:4");
        fputc('\n', j.gp);
        plot_script_tail(j.gp);
    }
    plot_finish(pc, &j);
}

static double v_memory(const json_t *row, int c)
{
    if (c == 0)
        return plot_num_or_nan(row, "memory_ratio");
    return plot_num_or_nan(row, "memory.activations") / (1024.0 * 1024.0);
}

static void plot_memory_vs_seq(plot_ctx *pc, const json_t **all, size_t nall)
{
    static const char *const need[] = {"seq", "memory.activations", NULL};
    static const plot_spec spec = {
        .name = "memory_vs_seq", .need = need, .x = "seq",
        .one_x = "one sequence length only", .no_rows = "no row has seq and memory",
        .make = plot_make_series, .drop_single = true, .baseline_ref = true,
        .what = "activation memory (memory.activations) vs sequence length: top, the ratio to BERT "
                "(BERT = 1 dashed); bottom, MiB (BERT dashed)"};
    plot_job j;
    if (plot_prepare(pc, &j, &spec, all, nall)) {
        plot_write_blocks(j.dat, j.s, j.ns, "seq", "seq memory_ratio activations_mib", v_memory, 2);
        if (j.nref)
            fputs("\n\n", j.dat);
        plot_write_blocks(j.dat, j.ref, j.nref, "seq", "seq memory_ratio activations_mib", v_memory, 2);
        const bool ratio = any_value(j.s, j.ns, v_memory, 0); /* else the MiB panel alone */
        panels_head(pc, &j, ratio ? 2 : 1, "set logscale x 2\n", "Activation memory vs sequence length");
        if (ratio) {
            fputs("set ylabel 'memory ratio vs BERT'\n", j.gp);
            plot_series(j.gp, j.name, j.s, j.ns, 0, "1:2", "linespoints pointsize 0.8", true);
            plot_ref_term(j.gp, 1.0, "BERT");
            fputs("\nunset title\nunset key\n", j.gp);
        }
        fputs("set logscale y\nset ylabel 'activations (MiB)'\nset xlabel 'sequence length (tokens)'\n", j.gp);
        plot_series(j.gp, j.name, j.s, j.ns, 0, "1:3", "linespoints pointsize 0.8", true);
        for (size_t r = 0; r < j.nref; r++) /* BERT's absolute memory: the reference style */
        {
            fprintf(j.gp, ", \\\n     '%s.dat' index %zu using 1:3 with lines lc rgb 'black' dt %zu "
                          "lw 1.2 title \"", j.name, j.ns + r, r + 2);
            plot_put_string(j.gp, j.ref[r].name);
            fputc('"', j.gp);
        }
        fputs("\nunset multiplot\n", j.gp);
        plot_script_tail(j.gp);
    }
    plot_finish(pc, &j);
}

/* the columns of the p and L_c sweeps: 0-2 the speedup and its interval, 3 the memory
 * ratio, 4 the keys kept */
static double v_sweep(const json_t *row, int c)
{
    if (c < 3)
        return plot_speedup_value(row, c);
    if (c == 3)
        return plot_num_or_nan(row, "memory_ratio");
    return keys_kept_frac(row);
}

static void plot_vs_p(plot_ctx *pc, const json_t **all, size_t nall)
{
    static const char *const need[] = {"p", "speedup.median", NULL};
    static const plot_spec spec = {
        .name = "speedup_memory_kept_vs_p", .need = need, .x = "p",
        .one_x = "one threshold p only", .no_rows = "no row has p and speedup",
        .make = plot_make_series, .drop_single = true, .baseline_ref = true,
        .what = "threshold sweep: speedup vs BERT (95% CI), activation memory ratio and keys kept "
                "(% of the sequence, mean of the layers) vs the preservation ratio p; BERT = 1 dashed"};
    plot_job j;
    if (plot_prepare(pc, &j, &spec, all, nall)) {
        plot_write_blocks(j.dat, j.s, j.ns, "p",
                          "p speedup_median speedup_ci_low speedup_ci_high memory_ratio keys_kept_pct",
                          v_sweep, 5);
        /* a panel per measure the rows have (gnuplot refuses a panel without a point) */
        const bool mem = any_value(j.s, j.ns, v_sweep, 3), keys = any_value(j.s, j.ns, v_sweep, 4);
        const int panels = 1 + mem + keys;
        panels_head(pc, &j, panels, "", "Threshold sweep vs p");
        fputs("set ylabel 'speedup (95% CI)'\n", j.gp);
        if (panels == 1)
            fputs("set xlabel 'preservation ratio p'\n", j.gp);
        ratio_panel(&j, "1:2:3:4");
        fputs("\nunset title\nunset key\n", j.gp);
        if (mem) {
            fprintf(j.gp, "set ylabel 'memory ratio'\n%s", keys ? "" : "set xlabel 'preservation ratio p'\n");
            ratio_panel(&j, "1:5");
            fputc('\n', j.gp);
        }
        if (keys) {
            fputs("set ylabel \"keys kept (% of seq,\\nmean of layers)\"\nset xlabel 'preservation ratio p'\n", j.gp);
            plot_series(j.gp, j.name, j.s, j.ns, 0, "1:6", "linespoints pointsize 0.8", true);
            fputc('\n', j.gp);
        }
        fputs("unset multiplot\n", j.gp);
        plot_script_tail(j.gp);
    }
    plot_finish(pc, &j);
}

/* the paper's name of a combining variant without its L_c */
static const char *lc_family(const json_t *row)
{
    const char *v = ptc_row_str(row, "variant"), *r = ptc_row_str(row, "rule");
    if (v && strcmp(v, "combine") == 0)
        return "C";
    if (v && strcmp(v, "combined") == 0 && r)
        return strcmp(r, "topk") == 0 ? "P+C" : strcmp(r, "within") == 0 ? "PFC-within" : "PFC";
    return v ? v : "?";
}

/* "PFC ISA=..": the label family without L_c and the other dims */
static void lc_series_name(const json_t *row, const char **dims, char *out, size_t len)
{
    char rest[200];
    plot_series_name(row, dims, false, rest, sizeof rest);
    snprintf(out, len, "%s%s%s", lc_family(row), rest[0] ? " " : "", rest);
}

/* Series of the L_c plot: by variant and rule (and the other varying dims), not by label
 * (the label names L_c), each named by its label family ("PFC", "C", "P+C") and the other
 * dims; `sdims` gets variant, rule and those dims. */
static size_t lc_series(const json_t **rows, size_t n, const char *x, series **out,
                        const char **sdims)
{
    const char *dims[32];
    plot_series_dims(rows, n, x, dims);
    size_t nd = 0;
    while (dims[nd])
        nd++;
    sdims[0] = "variant";
    sdims[1] = "rule";
    memcpy(sdims + 2, dims, (nd + 1) * sizeof *dims);
    plot_sort_by(rows, n, x);
    for (size_t d = nd + 2; d-- > 0;)
        plot_sort_by(rows, n, sdims[d]);
    return plot_group_series(rows, n, dims, lc_series_name, out);
}

static void plot_vs_lc(plot_ctx *pc, const json_t **all, size_t nall)
{
    static const char *const need[] = {"lc", "speedup.median", NULL};
    static const plot_spec spec = {
        .name = "speedup_memory_vs_lc", .need = need, .x = "lc",
        .one_x = "one combining layer L_c only", .no_rows = "no row has lc and speedup",
        .make = lc_series, .drop_single = true,
        .what = "combining layer: speedup vs BERT (95% CI) and activation memory ratio vs L_c; "
                "BERT = 1 dashed"};
    plot_job j;
    if (plot_prepare(pc, &j, &spec, all, nall)) {
        plot_write_blocks(j.dat, j.s, j.ns, "lc",
                          "lc speedup_median speedup_ci_low speedup_ci_high memory_ratio", v_sweep, 4);
        const bool mem = any_value(j.s, j.ns, v_sweep, 3); /* else the speedup panel alone */
        panels_head(pc, &j, mem ? 2 : 1, "set xtics 1\n", "Speedup and memory vs L_c");
        fprintf(j.gp, "set ylabel 'speedup (95%% CI)'\n%s", mem ? "" : "set xlabel 'combining layer L_c'\n");
        ratio_panel(&j, "1:2:3:4");
        if (mem) {
            fputs("\nunset title\nunset key\nset ylabel 'memory ratio'\nset xlabel 'combining layer L_c'\n", j.gp);
            ratio_panel(&j, "1:5");
        }
        fputs("\nunset multiplot\n", j.gp);
        plot_script_tail(j.gp);
    }
    plot_finish(pc, &j);
}

static void plot_isa(plot_ctx *pc, const json_t **all, size_t nall)
{
    /* categories (series): label + varying dims except isa; bars: isa */
    static const char *const need[] = {"gflops", NULL};
    static const plot_spec spec = {
        .name = "gflops_by_isa", .need = need, .x = "isa",
        .one_x = "one ISA only", .no_rows = "no row has gflops",
        .make = plot_make_series, .drop_single = false,
        .what = "GFLOP/s (flops.total / median time) per configuration, one bar per ISA"};
    plot_job j;
    if (plot_prepare(pc, &j, &spec, all, nall)) {
        /* the ISAs in order, from a copy: the series point into j.rows */
        const json_t **by_isa = malloc(j.n * sizeof *by_isa);
        memcpy(by_isa, j.rows, j.n * sizeof *by_isa);
        plot_sort_by(by_isa, j.n, "isa");
        const char *isas[16];
        size_t ni = 0;
        for (size_t i = 0; i < j.n && ni < 16; i++) {
            const char *isa = ptc_row_str(by_isa[i], "isa");
            if (isa && (ni == 0 || strcmp(isas[ni - 1], isa) != 0))
                isas[ni++] = isa;
        }
        free(by_isa);
        const series *cat = j.s;
        const size_t nc = j.ns;
        fputs("# configuration", j.dat);
        for (size_t k = 0; k < ni; k++)
            fprintf(j.dat, " gflops_%s", isas[k]);
        fputc('\n', j.dat);
        for (size_t c = 0; c < nc; c++) {
            fputc('"', j.dat);
            plot_put_string(j.dat, cat[c].name);
            fputc('"', j.dat);
            for (size_t k = 0; k < ni; k++) {
                double v = NAN;
                for (size_t r = 0; r < cat[c].n; r++) {
                    const char *isa = ptc_row_str(cat[c].rows[r], "isa");
                    if (isa && strcmp(isa, isas[k]) == 0)
                        v = plot_num_or_nan(cat[c].rows[r], "gflops");
                }
                plot_put_num(j.dat, v);
            }
            fputc('\n', j.dat);
        }
        plot_job_head(pc, &j, 1, "", "GFLOP/s per ISA");
        fputs("set style data histograms\nset style histogram clustered gap 1\n"
              "set style fill solid 0.85 border -1\nset boxwidth 0.9\nset yrange [0:*]\n"
              "set xtics rotate by 30 right scale 0\nset ylabel 'GFLOP/s (flops.total / median time)'\n"
              "set grid noxtics ytics\n",
              j.gp);
        fputs("plot ", j.gp);
        for (size_t k = 0; k < ni; k++) {
            char st[96];
            plot_style(k, false, st, sizeof st);
            fprintf(j.gp, "%s'%s.dat' using %zu%s%s title \"", k ? ", \\\n     " : "", j.name, k + 2,
                    k == 0 ? ":xtic(1)" : "", st);
            plot_put_string(j.gp, isas[k]);
            fputs("\"", j.gp);
        }
        fputc('\n', j.gp);
        plot_script_tail(j.gp);
    }
    plot_finish(pc, &j);
}

/* The bench plots of the rows without an accuracy (those of `ptc bench`), one set per
 * level: encoder, layer and kernel rows never share an axis (names get "-LEVEL"). */
static void plot_bench_levels(plot_ctx *pc, const json_t **all, size_t nall)
{
    const json_t **bench = malloc((nall + 1) * sizeof *bench), **rows = malloc((nall + 1) * sizeof *rows);
    size_t nb = 0;
    double v;
    for (size_t i = 0; i < nall; i++)
        if (!ptc_row_num(all[i], "accuracy", &v))
            bench[nb++] = all[i];
    plot_sort_by(bench, nb, "level");
    for (size_t start = 0; start < nb;) {
        size_t end = start + 1;
        while (end < nb && ptc_dim_cmp(bench[start], bench[end], "level") == 0)
            end++;
        const char *level = ptc_row_str(bench[start], "level");
        {
            const char *saved = pc->level;
            pc->level = level;
            memcpy(rows, bench + start, (end - start) * sizeof *rows);
            const size_t n = end - start;
            plot_speedup_vs_seq(pc, rows, n);
            plot_memory_vs_seq(pc, rows, n);
            plot_vs_p(pc, rows, n);
            plot_vs_lc(pc, rows, n);
            plot_isa(pc, rows, n);
            plot_roofline(pc, rows, n);
            plot_table3_bench(pc, rows, n);
            pc->level = saved;
        }
        start = end;
    }
    free(rows);
    free(bench);
}

/* ---- main ---------------------------------------------------------------------------------------- */

static const char *const image_formats[] = {"all", "png", "svg", "pdf", NULL};

typedef struct {
    const char *out_dir;
    int format; /* index in image_formats */
    bool no_render;
} plot_opts;

#define P(field) offsetof(plot_opts, field)
static const ptc_option plot_rows[] = {
    {"out", PTC_OPT_STR, P(out_dir), "DIR", "the folder of scripts, data and images (plots/<run>/)"},
    {"format", PTC_OPT_CHOICE, P(format), "FMT", "the images: png, svg, pdf, or all three (all)", "all", .choices = image_formats},
    {"no-render", PTC_OPT_FLAG, P(no_render), NULL, "write scripts and data, do not run gnuplot"},
    {NULL},
};
#undef P

int ptc_plot_main(int argc, char **argv)
{
    plot_opts po = {0};
    static ptc_report_cli cli;
    int rc = ptc_report_parse(&cli, "ptc plot", "ptc plot [options] PATH...",
                              "plot", plot_rows, &po, PTC_OPT_ARGS_MAX, argc, argv);
    ptc_rowset set;
    ptc_rows_init(&set);
    const json_t **rows = NULL;
    const char **paths = cli.seen.args;
    const size_t npaths = cli.seen.n_args;
    const char *out_dir = po.out_dir, *format = image_formats[po.format];
    const bool render_images = !po.no_render;
    if (rc != 0) {
        rc = rc == 1 ? 0 : rc;
        goto done;
    }
    if ((rc = ptc_report_load_all(&set, paths, npaths, &cli.lo, &cli.filters, &rows)) != 0)
        goto done;
    char dir[4096];
    if (out_dir) {
        snprintf(dir, sizeof dir, "%s", out_dir);
    } else {
        char run[256];
        ptc_dim_value_text(rows[0], "run", run, sizeof run);
        for (char *p = run; *p; p++)
            if (*p == '/')
                *p = '_';
        size_t nruns = 0;
        for (size_t i = 0; i < set.n; i++) {
            bool seen = false;
            for (size_t j = 0; j < i && !seen; j++)
                seen = ptc_dim_cmp(rows[i], rows[j], "run") == 0;
            nruns += !seen;
        }
        if (nruns > 1)
            snprintf(dir, sizeof dir, "plots/%s+%zu", run[0] ? run : "unnamed", nruns - 1);
        else
            snprintf(dir, sizeof dir, "plots/%s", run[0] ? run : "unnamed");
    }
    if (ptc_mkdir_p(dir) != 0) {
        fprintf(stderr, "ptc plot: cannot create %s: %s\n", dir, strerror(errno));
        rc = 1;
        goto done;
    }
    plot_ctx pc = {.dir = dir, .render = render_images,
                   .formats = strcmp(format, "all") == 0 ? "png svg pdf" : format};
    if (set.errors)
        printf("note: %zu row%s with status \"error\" excluded\n", set.errors,
               set.errors == 1 ? "" : "s");
    if (set.malformed)
        printf("note: %zu malformed line%s skipped\n", set.malformed,
               set.malformed == 1 ? "" : "s");
    plot_bench_levels(&pc, rows, set.n);
    ptc_paper_resolve_paths(&set);
    ptc_plot_paper(&pc, rows, set.n);
    if (pc.failed)
        rc = 1;
    else if (pc.written == 0) {
        fprintf(stderr, "ptc plot: none of the plots has data in the selected rows\n");
        rc = 1;
    }
done:
    fflush(stdout);
    free(rows);
    ptc_rows_free(&set);
    ptc_filters_free(&cli.filters);
    return rc;
}

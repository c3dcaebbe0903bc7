/*
 * harness/report/plot.c — `ptc plot`: gnuplot scripts, data files and images from result rows.
 *
 *   ptc plot [options] PATH...
 *     PATH            rows.jsonl, a run folder, or results/<cpu>/ (its latest run)
 *     --out DIR       output folder (default plots/<run>/; rows of several runs:
 *                     plots/<first run>+<N>/)
 *     --format F      png (default, pngcairo) | svg | pdf (pdfcairo)
 *     --no-render     write scripts and data only, do not run gnuplot
 *     --where, --strict, --all-runs   as for `ptc table`
 *
 * For each plot NAME: NAME.gp (the script), NAME.dat (its data: gnuplot index blocks,
 * one per series, each headed by a "# series: ..." comment and column names) and
 * NAME.<format>, made by running `gnuplot NAME.gp` inside DIR, so a user can edit and
 * re-run the script there. Plots:
 *   speedup_vs_seq            speedup (median, 95% CI error bars) per variant, log2 x
 *   memory_vs_seq             activation memory ratio, and absolute MiB, per variant
 *   speedup_memory_kept_vs_p  speedup, memory ratio and keys kept (% of seq) vs p
 *   speedup_memory_vs_lc      speedup and memory ratio vs the combining layer L_c
 *   gflops_by_isa             GFLOP/s bars per configuration, one bar per ISA
 *   roofline                  GFLOP/s of each row against arithmetic intensity, under
 *                             the calibrated roofs min(peak_gflops, bandwidth_gbps * AI)
 * A plot whose data is absent (e.g. one sequence length only) is skipped with a note.
 * Roofline intensity = flops.total / bytes, bytes = memory.activations + fp32 weight
 * bytes of the layers run (encoder: layers x (4 h^2 + 2 h ffn + 9 h + ffn) x 4; layer:
 * one layer; kernel: 0): each byte counted once, so a lower bound of the traffic and an
 * upper bound of the intensity.
 * Series are the rows' label plus every other dimension that varies (ISA, threads, run,
 * ...); titles state what is constant (CPU, ISA, threads, model, ...).
 */
#define _GNU_SOURCE
#include "report/plot.h"
#include "common/sys.h"
#include "learn/train.h" /* ptc_plot_accuracy (harness/report/plot_accuracy.c) */
#include "report/paper.h" /* ptc_plot_paper (harness/report/plot_paper.c) */

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

static double v_speedup(const json_t *row, int c)
{
    double med = plot_num_or_nan(row, "speedup.median");
    if (c == 0)
        return med;
    double v = plot_num_or_nan(row, c == 1 ? "speedup.ci_low" : "speedup.ci_high");
    return isnan(v) ? med : v;
}

static void plot_speedup_vs_seq(plot_ctx *pc, const json_t **all, size_t nall)
{
    static const char *const need[] = {"seq", "speedup.median", NULL};
    static const plot_spec spec = {
        .name = "speedup_vs_seq", .need = need, .x = "seq",
        .one_x = "one sequence length only", .no_rows = "no row has seq and speedup",
        .make = plot_make_series, .drop_single = true};
    plot_job j;
    if (plot_prepare(pc, &j, &spec, all, nall)) {
        plot_write_blocks(j.dat, j.s, j.ns, "seq", "seq speedup_median speedup_ci_low speedup_ci_high",
                     v_speedup, 3);
        plot_script_head(pc, j.gp, j.name);
        plot_put_title(j.gp, "Speedup against BERT vs sequence length (median, 95% CI)", j.cap);
        fputs("set logscale x 2\nset xlabel 'sequence length (tokens)'\n"
              "set ylabel 'speedup (BERT time / variant time)'\nset offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n",
              j.gp);
        plot_series(j.gp, j.name, j.s, j.ns, "1:2:3:4", "yerrorlines pointsize 0.8");
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
        .make = plot_make_series, .drop_single = true};
    plot_job j;
    if (plot_prepare(pc, &j, &spec, all, nall)) {
        plot_write_blocks(j.dat, j.s, j.ns, "seq", "seq memory_ratio activations_mib", v_memory, 2);
        plot_script_head(pc, j.gp, j.name);
        fputs("set multiplot layout 2,1\nset logscale x 2\nset xlabel 'sequence length (tokens)'\n"
              "set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n",
              j.gp);
        plot_put_title(j.gp, "Activation memory vs sequence length (memory.activations)", j.cap);
        fputs("set ylabel 'memory ratio (variant / BERT)'\n", j.gp);
        plot_series(j.gp, j.name, j.s, j.ns, "1:2", "linespoints pointsize 0.8");
        fputs("unset title\nset logscale y\nset ylabel 'activations (MiB)'\n", j.gp);
        plot_series(j.gp, j.name, j.s, j.ns, "1:3", "linespoints pointsize 0.8");
        fputs("unset multiplot\n", j.gp);
    }
    plot_finish(pc, &j);
}

static double v_p(const json_t *row, int c)
{
    if (c < 3)
        return v_speedup(row, c);
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
        .make = plot_make_series, .drop_single = true};
    plot_job j;
    if (plot_prepare(pc, &j, &spec, all, nall)) {
        plot_write_blocks(j.dat, j.s, j.ns, "p",
                     "p speedup_median speedup_ci_low speedup_ci_high memory_ratio keys_kept_pct",
                     v_p, 5);
        plot_script_head(pc, j.gp, j.name);
        fputs("set multiplot layout 3,1\nset xlabel 'preservation ratio p'\nset offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n", j.gp);
        plot_put_title(j.gp, "Threshold sweep: speedup, memory ratio and keys kept vs p", j.cap);
        fputs("set ylabel 'speedup (95% CI)'\n", j.gp);
        plot_series(j.gp, j.name, j.s, j.ns, "1:2:3:4", "yerrorlines pointsize 0.8");
        fputs("unset title\nset ylabel 'memory ratio'\n", j.gp);
        plot_series(j.gp, j.name, j.s, j.ns, "1:5", "linespoints pointsize 0.8");
        fputs("set ylabel \"keys kept (% of seq,\\nmean of layers)\"\n", j.gp);
        plot_series(j.gp, j.name, j.s, j.ns, "1:6", "linespoints pointsize 0.8");
        fputs("unset multiplot\n", j.gp);
    }
    plot_finish(pc, &j);
}

static double v_lc(const json_t *row, int c)
{
    if (c < 3)
        return v_speedup(row, c);
    return plot_num_or_nan(row, "memory_ratio");
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
        .make = lc_series, .drop_single = true};
    plot_job j;
    if (plot_prepare(pc, &j, &spec, all, nall)) {
        plot_write_blocks(j.dat, j.s, j.ns, "lc", "lc speedup_median speedup_ci_low speedup_ci_high memory_ratio",
                     v_lc, 4);
        plot_script_head(pc, j.gp, j.name);
        fputs("set multiplot layout 2,1\nset xlabel 'combining layer L_c'\nset xtics 1\nset offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n", j.gp);
        plot_put_title(j.gp, "Combining layer: speedup and memory ratio vs L_c", j.cap);
        fputs("set ylabel 'speedup (95% CI)'\n", j.gp);
        plot_series(j.gp, j.name, j.s, j.ns, "1:2:3:4", "yerrorlines pointsize 0.8");
        fputs("unset title\nset ylabel 'memory ratio'\n", j.gp);
        plot_series(j.gp, j.name, j.s, j.ns, "1:5", "linespoints pointsize 0.8");
        fputs("unset multiplot\n", j.gp);
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
        .make = plot_make_series, .drop_single = false};
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
        plot_script_head(pc, j.gp, j.name);
        plot_put_title(j.gp, "GFLOP/s per ISA", j.cap);
        fputs("set style data histograms\nset style histogram clustered gap 1\n"
              "set style fill solid 0.8 border -1\nset boxwidth 0.9\nset yrange [0:*]\n"
              "set xtics rotate by -45 scale 0\nset ylabel 'GFLOP/s (flops.total / median time)'\n"
              "set grid noxtics ytics\n",
              j.gp);
        fputs("plot ", j.gp);
        for (size_t k = 0; k < ni; k++) {
            fprintf(j.gp, "%s'%s.dat' using %zu%s title \"", k ? ", " : "", j.name, k + 2,
                    k == 0 ? ":xtic(1)" : "");
            plot_put_string(j.gp, isas[k]);
            fputs("\"", j.gp);
        }
        fputc('\n', j.gp);
    }
    plot_finish(pc, &j);
}

/* bytes for the roofline: activations + fp32 weights of the layers run */
static double roofline_bytes(const json_t *row)
{
    double act, h, ffn, layers = 0;
    if (!ptc_row_num(row, "memory.activations", &act))
        return NAN;
    const char *level = ptc_row_str(row, "level");
    if (ptc_row_num(row, "hidden", &h) && ptc_row_num(row, "ffn", &ffn) && level) {
        if (strcmp(level, "encoder") == 0)
            ptc_row_num(row, "layers", &layers);
        else if (strcmp(level, "layer") == 0)
            layers = 1;
    } else {
        h = ffn = 0;
    }
    return act + 4.0 * layers * (4 * h * h + 2 * h * ffn + 9 * h + ffn);
}

static double v_roof(const json_t *row, int c)
{
    if (c == 0)
        return plot_num_or_nan(row, "gflops");
    if (c == 1)
        return plot_num_or_nan(row, "flops.total");
    return roofline_bytes(row);
}

/* Series of the roofline: label + the machine dims that vary (not seq: each series spans
 * the sequence lengths, which move the points along the intensity axis). x = intensity is
 * a computed column, so rows are not sorted by x. */
static size_t roofline_series(const json_t **rows, size_t n, const char *x, series **out,
                              const char **dims)
{
    (void)x;
    static const char *const machine[] = {"isa", "threads", "cpu", NULL};
    size_t nd = 0;
    for (const char *const *d = machine; *d; d++)
        if (ptc_dim_varies(rows, n, *d))
            dims[nd++] = *d;
    dims[nd] = NULL;
    for (size_t d = nd; d-- > 0;)
        plot_sort_by(rows, n, dims[d]);
    plot_sort_by(rows, n, "label");
    return plot_group_series(rows, n, dims, plot_labelled_series_name, out);
}

static void plot_roofline(plot_ctx *pc, const json_t **all, size_t nall)
{
    static const char *const need[] = {"gflops", "flops.total", "memory.activations",
                                       "calibration.peak_gflops", "calibration.bandwidth_gbps",
                                       NULL};
    /* x "gflops": only left out of the caption; any number of distinct values */
    static const plot_spec spec = {
        .name = "roofline", .need = need, .x = "gflops", .one_x = NULL,
        .no_rows = "no row has gflops, flops.total, memory.activations and a calibration "
                   "(peak_gflops, bandwidth_gbps)",
        .make = roofline_series, .drop_single = false};
    plot_job job;
    if (plot_prepare(pc, &job, &spec, all, nall)) {
        const json_t **rows = job.rows;
        const size_t n = job.n;
        /* roofs: distinct (peak, bandwidth) pairs with their isa/threads */
        double peaks[16], bws[16];
        char roof_names[16][160];
        size_t nr = 0;
        for (size_t i = 0; i < n && nr < 16; i++) {
            double pk = plot_num_or_nan(rows[i], "calibration.peak_gflops");
            double bw = plot_num_or_nan(rows[i], "calibration.bandwidth_gbps");
            size_t j = 0;
            while (j < nr && !(peaks[j] == pk && bws[j] == bw))
                j++;
            if (j < nr)
                continue;
            char isa[32], th[32];
            ptc_dim_value_text(rows[i], "isa", isa, sizeof isa);
            ptc_dim_value_text(rows[i], "threads", th, sizeof th);
            peaks[nr] = pk;
            bws[nr] = bw;
            snprintf(roof_names[nr++], sizeof roof_names[0], "roof %s %st: %.4g GFLOP/s, %.4g GB/s",
                     isa, th, pk, bw);
        }
        for (size_t i = 0; i < job.ns; i++) {
            fprintf(job.dat, "%s# series: %s\n# intensity_flop_per_byte gflops flops_total bytes\n",
                    i ? "\n\n" : "", job.s[i].name);
            for (size_t r = 0; r < job.s[i].n; r++) {
                double fl = v_roof(job.s[i].rows[r], 1), by = v_roof(job.s[i].rows[r], 2);
                plot_put_num(job.dat, by > 0 ? fl / by : NAN);
                plot_put_num(job.dat, v_roof(job.s[i].rows[r], 0));
                plot_put_num(job.dat, fl);
                plot_put_num(job.dat, by);
                fputc('\n', job.dat);
            }
        }
        plot_script_head(pc, job.gp, job.name);
        plot_put_title(job.gp, "Roofline: achieved GFLOP/s vs arithmetic intensity", job.cap);
        fputs("# intensity = flops.total / (memory.activations + fp32 weight bytes of the layers\n"
              "# run): bytes counted once, so intensity is an upper bound.\n"
              "set logscale xy\nset xlabel 'arithmetic intensity (FLOP/byte)'\n"
              "set ylabel 'GFLOP/s'\nset samples 400\n",
              job.gp);
        /* x range around the data and the ridge points */
        double xmin = INFINITY, xmax = 0, ymax = 0;
        for (size_t i = 0; i < n; i++) {
            double x = v_roof(rows[i], 1) / v_roof(rows[i], 2);
            if (x > 0 && x < xmin)
                xmin = x;
            if (x > xmax)
                xmax = x;
        }
        for (size_t j = 0; j < nr; j++) {
            double ridge = peaks[j] / bws[j];
            if (ridge < xmin)
                xmin = ridge;
            if (ridge > xmax)
                xmax = ridge;
            if (peaks[j] > ymax)
                ymax = peaks[j];
        }
        fprintf(job.gp, "set xrange [%g:%g]\nset yrange [*:%g]\n", xmin / 4, xmax * 4, ymax * 2);
        fputs("plot ", job.gp);
        for (size_t j = 0; j < nr; j++) {
            fprintf(job.gp, "%s(x * %.17g < %.17g ? x * %.17g : %.17g) with lines lw 2 dt %zu "
                        "lc rgb 'gray30' title \"", j ? ", \\\n     " : "", bws[j], peaks[j],
                    bws[j], peaks[j], j + 1);
            plot_put_string(job.gp, roof_names[j]);
            fputs("\"", job.gp);
        }
        for (size_t i = 0; i < job.ns; i++) {
            fprintf(job.gp, ", \\\n     '%s.dat' index %zu using 1:2 with points pointsize 1.2 title \"",
                    job.name, i);
            plot_put_string(job.gp, job.s[i].name);
            fputs("\"", job.gp);
        }
        fputc('\n', job.gp);
    }
    plot_finish(pc, &job);
}

/* ---- main ---------------------------------------------------------------------------------------- */

static const char *const image_formats[] = {"png", "svg", "pdf", NULL};

typedef struct {
    const char *out_dir;
    int format; /* index in image_formats */
    bool no_render;
} plot_opts;

#define P(field) offsetof(plot_opts, field)
static const ptc_option plot_rows[] = {
    {"out", PTC_OPT_STR, P(out_dir), "DIR", "the folder of scripts, data and images (plots/<run>/)"},
    {"format", PTC_OPT_CHOICE, P(format), "FMT", "png svg pdf", "png", .choices = image_formats},
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
    plot_ctx pc = {.dir = dir, .ext = format, .render = render_images};
    pc.terminal = strcmp(format, "svg") == 0   ? "svg size 1100,700 dynamic noenhanced font 'sans,11'"
                  : strcmp(format, "pdf") == 0 ? "pdfcairo size 9in,6in noenhanced font 'sans,9'"
                                               : "pngcairo size 1100,700 noenhanced font 'sans,10'";
    if (set.errors)
        printf("note: %zu row%s with status \"error\" excluded\n", set.errors,
               set.errors == 1 ? "" : "s");
    if (set.malformed)
        printf("note: %zu malformed line%s skipped\n", set.malformed,
               set.malformed == 1 ? "" : "s");
    plot_speedup_vs_seq(&pc, rows, set.n);
    plot_memory_vs_seq(&pc, rows, set.n);
    plot_vs_p(&pc, rows, set.n);
    plot_vs_lc(&pc, rows, set.n);
    plot_isa(&pc, rows, set.n);
    plot_roofline(&pc, rows, set.n);
    ptc_plot_accuracy(pc.dir, pc.terminal, pc.ext, pc.render, rows, set.n, &pc.written, &pc.skipped,
                      &pc.failed);
    ptc_paper_resolve_paths(&set);
    ptc_plot_paper(pc.dir, pc.terminal, pc.ext, pc.render, rows, set.n, &pc.written, &pc.skipped,
                   &pc.failed);
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

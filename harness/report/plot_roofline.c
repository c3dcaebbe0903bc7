/*
 * harness/report/plot_roofline.c — the roofline plot of `ptc plot` (plot.h): achieved
 * GFLOP/s of each bench row against its arithmetic intensity, under the calibrated roofs
 * min(peak_gflops, bandwidth_gbps x intensity). Intensity = flops.total / bytes, bytes =
 * memory.activations + fp32 weight bytes of the layers run (encoder: layers x (4 h^2 +
 * 2 h ffn + 9 h + ffn) x 4; layer: one layer; kernel: 0): each byte counted once, so a
 * lower bound of the traffic and an upper bound of the intensity. Points above the
 * memory roof are ringed, and the caption says why (cache-resident working sets).
 */
#include "report/plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* the roofs: distinct (peak, bandwidth) pairs of the rows, named by their isa/threads */
typedef struct {
    double peak[16], bw[16];
    char name[16][160];
    size_t n;
} roofs;

static void collect_roofs(const json_t **rows, size_t n, roofs *rf)
{
    rf->n = 0;
    for (size_t i = 0; i < n && rf->n < 16; i++) {
        double pk = plot_num_or_nan(rows[i], "calibration.peak_gflops");
        double bw = plot_num_or_nan(rows[i], "calibration.bandwidth_gbps");
        size_t j = 0;
        while (j < rf->n && !(rf->peak[j] == pk && rf->bw[j] == bw))
            j++;
        if (j < rf->n)
            continue;
        char isa[32], th[32];
        ptc_dim_value_text(rows[i], "isa", isa, sizeof isa);
        ptc_dim_value_text(rows[i], "threads", th, sizeof th);
        rf->peak[rf->n] = pk;
        rf->bw[rf->n] = bw;
        snprintf(rf->name[rf->n++], sizeof rf->name[0], "roof %s %st: %.4g GFLOP/s, %.4g GB/s", isa, th, pk,
                 bw);
    }
}

/* 1 when a row's GFLOP/s lies above its memory roof (bandwidth x intensity) */
static bool above_memory_roof(const json_t *row)
{
    const double fl = v_roof(row, 1), by = v_roof(row, 2), g = v_roof(row, 0);
    const double bw = plot_num_or_nan(row, "calibration.bandwidth_gbps");
    return by > 0 && g > bw * (fl / by);
}

static void put_roof_point(FILE *dat, const json_t *row)
{
    const double fl = v_roof(row, 1), by = v_roof(row, 2);
    plot_put_num(dat, by > 0 ? fl / by : NAN);
    plot_put_num(dat, v_roof(row, 0));
    plot_put_num(dat, fl);
    plot_put_num(dat, by);
    fprintf(dat, " %d\n", above_memory_roof(row));
}

/* data: per series "intensity gflops flops bytes above", then a block of the points
 * above the memory roof (their ring); the notes say why such points exist */
static size_t roofline_data(plot_job *job)
{
    static const char *const header = "# intensity_flop_per_byte gflops flops_total bytes above_memory_roof\n";
    for (size_t i = 0; i < job->ns; i++) {
        fprintf(job->dat, "%s# series: %s\n%s", i ? "\n\n" : "", job->s[i].name, header);
        for (size_t r = 0; r < job->s[i].n; r++)
            put_roof_point(job->dat, job->s[i].rows[r]);
    }
    fprintf(job->dat, "\n\n# above the memory roof\n%s", header);
    size_t above = 0;
    double ws_min = INFINITY, ws_max = 0;
    for (size_t k = 0; k < job->n; k++)
        if (above_memory_roof(job->rows[k])) {
            put_roof_point(job->dat, job->rows[k]);
            above++;
            ws_min = fmin(ws_min, v_roof(job->rows[k], 2));
            ws_max = fmax(ws_max, v_roof(job->rows[k], 2));
        }
    if (above)
        snprintf(job->notes, sizeof job->notes,
                 "note: %zu point%s above the memory roof (ringed): the roof is the DRAM bandwidth of "
                 "`ptc calibrate`, and these working sets (%.3g-%.3g MiB, activations + weights) are small "
                 "enough to stay in the caches, whose bandwidth is higher; bytes are also counted once "
                 "(a lower bound of the traffic), so the intensity is an upper bound\n",
                 above, above == 1 ? " lies" : "s lie", ws_min / 1048576.0, ws_max / 1048576.0);
    return above;
}

void plot_roofline(plot_ctx *pc, const json_t **all, size_t nall)
{
    static const char *const need[] = {"gflops", "flops.total", "memory.activations",
                                       "calibration.peak_gflops", "calibration.bandwidth_gbps",
                                       NULL};
    /* x "gflops": only left out of the caption; any number of distinct values */
    static const plot_spec spec = {
        .name = "roofline", .need = need, .x = "gflops", .one_x = NULL,
        .no_rows = "no row has gflops, flops.total, memory.activations and a calibration "
                   "(peak_gflops, bandwidth_gbps)",
        .make = roofline_series, .drop_single = false,
        .what = "roofline: achieved GFLOP/s vs arithmetic intensity (flops.total / (memory.activations + "
                "fp32 weight bytes of the layers run)) under the calibrated roofs min(peak, bandwidth x "
                "intensity)"};
    plot_job job;
    if (plot_prepare(pc, &job, &spec, all, nall)) {
        roofs rf;
        collect_roofs(job.rows, job.n, &rf);
        const size_t above = roofline_data(&job);
        plot_job_head(pc, &job, 1, "", "Roofline");
        fputs("# intensity = flops.total / (memory.activations + fp32 weight bytes of the layers\n"
              "# run): bytes counted once, so intensity is an upper bound.\n"
              "set logscale xy\nset xlabel 'arithmetic intensity (FLOP/byte)'\n"
              "set ylabel 'GFLOP/s'\nset samples 400\n",
              job.gp);
        /* x range around the data and the ridge points */
        double xmin = INFINITY, xmax = 0, ymax = 0;
        for (size_t i = 0; i < job.n; i++) {
            double x = v_roof(job.rows[i], 1) / v_roof(job.rows[i], 2);
            if (x > 0 && x < xmin)
                xmin = x;
            if (x > xmax)
                xmax = x;
        }
        for (size_t j = 0; j < rf.n; j++) {
            const double ridge = rf.peak[j] / rf.bw[j];
            xmin = fmin(xmin, ridge);
            xmax = fmax(xmax, ridge);
            ymax = fmax(ymax, rf.peak[j]);
        }
        fprintf(job.gp, "set xrange [%g:%g]\nset yrange [*:%g]\n", xmin / 4, xmax * 4, ymax * 2);
        if (above)
            fputs("set label 1 'ringed: above the DRAM roof (cache-resident working set; see the caption)' "
                  "at graph 0.02, graph 0.95 left font ',9'\n", job.gp);
        fputs("plot ", job.gp);
        for (size_t j = 0; j < rf.n; j++) {
            fprintf(job.gp, "%s(x * %.17g < %.17g ? x * %.17g : %.17g) with lines lw 2 "
                            "lc rgb 'gray30' dt %zu title \"", j ? ", \\\n     " : "", rf.bw[j], rf.peak[j],
                    rf.bw[j], rf.peak[j], j + 1);
            plot_put_string(job.gp, rf.name[j]);
            fputs("\"", job.gp);
        }
        for (size_t i = 0; i < job.ns; i++) {
            char st[96];
            plot_style(i, true, st, sizeof st);
            fprintf(job.gp, ", \\\n     '%s.dat' index %zu using 1:2 with points%s pointsize 1.2 title \"",
                    job.name, i, st);
            plot_put_string(job.gp, job.s[i].name);
            fputs("\"", job.gp);
        }
        if (above)
            fprintf(job.gp, ", \\\n     '%s.dat' index %zu using 1:2 with points lc rgb 'black' dt 1 pt 6 "
                            "pointsize 2.6 title 'above the memory roof'", job.name, job.ns);
        fputc('\n', job.gp);
        plot_script_tail(job.gp);
    }
    plot_finish(pc, &job);
}

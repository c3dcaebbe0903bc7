/*
 * harness/bench/bench_plan.c — the configurations of a `ptc bench` run and what is left
 * of them: estimated seconds per configuration (FLOPs at a fraction of the calibrated
 * or a default peak, plus set-up, warm-up and repetitions) and the --dry-run listing.
 * Contract: harness/bench/bench_parts.h.
 */
#define _GNU_SOURCE
#include "bench/bench_parts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- estimates ------------------------------------------------------------------------ */

/* Seconds of one forward: FLOPs at a fraction of the (calibrated or default) peak. */
static double forward_seconds(const ptc_sweep_config *c, const ptc_calibration *cal)
{
    if (strcmp(c->isa, "ref") == 0)
        return c->est_flops / (2e9 * c->threads);
    const char *peak_isa;
    double peak = ptc_calibration_peak(cal, c->isa, c->threads, &peak_isa);
    if (peak <= 0) /* defaults per thread: AVX-512 ~ 2 x 16 x 2 x 3 GHz, AVX2 half */
        peak = (strcmp(c->isa, "avx512") == 0 ? 150e0 : strcmp(c->isa, "avx2") == 0 ? 75 : 30) *
               c->threads;
    const double efficiency = c->level == PTC_LEVEL_KERNEL ? 0.3 : 0.6;
    return c->est_flops / (efficiency * peak * 1e9);
}

/* Seconds the whole measurement of c takes: memory probe and check call (one
 * forward each, plus weight set-up), warm-up, and the repetitions (GB runs
 * iterations until min_time; its iteration search costs about one more). */
static double config_seconds(const ptc_sweep_config *c, const ptc_calibration *cal,
                             const ptc_sweep_opts *o)
{
    const double f = forward_seconds(c, cal);
    const double params = c->level == PTC_LEVEL_ENCODER ? (double)c->model.layers : 1.0;
    const double setup = c->level == PTC_LEVEL_KERNEL ? 0.01
                         : params * 12.0 * c->model.hidden * c->model.hidden * 4 / 1e9 + 0.01;
    const double rep = f >= o->min_time_s ? f : 2 * o->min_time_s;
    return setup + 2 * f + (o->warmup_s > f ? o->warmup_s : 0) + o->reps * rep;
}

void bench_format_duration(double s, char *out, size_t len)
{
    const long r = lround(s);
    if (r < 90)
        snprintf(out, len, "%ld s", r);
    else if (r < 5400)
        snprintf(out, len, "%ld min %02ld s", r / 60, r % 60);
    else
        snprintf(out, len, "%.1f h", s / 3600);
}


void bench_plan_free(bench_plan *p)
{
    ptc_rows_free_ids(p->done_ids, p->n_done);
    free(p->configs);
    free(p->pending);
    free(p->cost);
    free(p->mine);
    memset(p, 0, sizeof *p);
}

/* Estimated seconds of every configuration and of the pending ones together. */
void bench_plan_costs(bench_plan *p, const ptc_calibration *cal, const ptc_sweep_opts *o)
{
    p->total_cost = 0;
    for (size_t i = 0; i < p->n_configs; i++) {
        p->cost[i] = config_seconds(&p->configs[i], cal, o);
        p->total_cost += p->pending[i] ? p->cost[i] : 0;
    }
}


/* --dry-run: the configurations, their count and the estimated time. */
void bench_print_dry_run(const bench_plan *p, const ptc_sweep_opts *o, bool calibrated)
{
    printf("%5s %5s  %-14s %-7s %-9s %5s %5s %-12s %-6s %2s %-7s %10s %9s\n", "#", "group", "label",
           "level", "model", "seq", "batch", "pad", "isa", "t", "status", "GFLOP", "est s");
    size_t g = 0;
    for (size_t i = 0; i < p->n_configs; i++) {
        g += i == 0 || strcmp(p->configs[i].group, p->configs[i - 1].group) != 0;
        if (!p->mine[i])
            continue;
        const ptc_sweep_config *c = &p->configs[i];
        char label[64];
        snprintf(label, sizeof label, "%s", c->label);
        if (c->has_p)
            snprintf(label + strlen(label), sizeof label - strlen(label), " p=%g", c->p);
        if (c->has_project && !c->project_kept)
            snprintf(label + strlen(label), sizeof label - strlen(label), " all-kv");
        printf("%5zu %5zu  %-14s %-7s %-9s %5d %5d %-12s %-6s %2d %-7s %10.2f %9.2f\n", i + 1, g,
               label, ptc_level_name(c->level), c->model.name, c->seq, c->batch,
               c->level == PTC_LEVEL_KERNEL ? "-" : ptc_pad_name(c->pad), c->isa, c->threads,
               p->pending[i] ? "pending" : "done", c->est_flops * 1e-9, p->cost[i]);
    }
    char d[32];
    bench_format_duration(p->total_cost, d, sizeof d);
    printf("%zu configurations in %zu groups (%zu pending), %zu combinations skipped (they do not "
           "exist at their level)\nestimated time %s (%d repetitions of >= %g s; FLOPs at %s)\n",
           p->n_configs, p->n_groups, p->n_pending, p->skipped, d, o->reps, o->min_time_s,
           calibrated ? "60% of the calibrated peak (30% at kernel level)"
                        : "60% of a default peak (no calibration yet: ptc calibrate)");
}


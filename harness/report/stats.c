/*
 * harness/report/stats.c — summaries, exact McNemar, the paired bootstrap and
 * ratio intervals of the accuracy tables (contract in stats.h).
 */
#include "report/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double ptc_t975(size_t df)
{
    static const double t[] = {0,      12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                               2.262,  2.228,  2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110,
                               2.101,  2.093,  2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
                               2.052,  2.048,  2.045, 2.042};
    if (df == 0)
        return NAN;
    if (df <= 30)
        return t[df];
    /* Cornish-Fisher expansion around z = 1.959964 (error < 1e-4 for df > 30) */
    const double z = 1.959963984540054, v = (double)df;
    return z + (z * z * z + z) / (4 * v) + (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * v * v);
}

void ptc_summarize(const double *x, size_t n, ptc_summary *s)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    if (n == 0) {
        s->mean = s->sd = s->lo = s->hi = NAN;
        return;
    }
    double m = 0, v = 0;
    for (size_t i = 0; i < n; i++)
        m += x[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
    s->mean = m;
    s->sd = n > 1 ? sqrt(v / (double)(n - 1)) : 0.0;
    const double h = n > 1 ? ptc_t975(n - 1) * s->sd / sqrt((double)n) : 0.0;
    s->lo = m - h;
    s->hi = m + h;
}

double ptc_mcnemar_exact(size_t b, size_t c)
{
    const size_t n = b + c, k = b < c ? b : c;
    if (n == 0)
        return 1.0;
    /* P(X <= k) summed in log space: C(n, i) 2^-n */
    double sum = 0;
    for (size_t i = 0; i <= k; i++)
        sum += exp(lgamma((double)n + 1) - lgamma((double)i + 1) - lgamma((double)(n - i) + 1) -
                   (double)n * log(2.0));
    const double p = 2 * sum;
    return p > 1 ? 1.0 : p;
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static size_t draw(uint64_t *s, size_t n)
{
    return (size_t)(((unsigned __int128)splitmix64(s) * n) >> 64);
}

static int cmp_d(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* percentile q of sorted v[0..n) with linear interpolation */
static double percentile(const double *v, size_t n, double q)
{
    const double h = q * (double)(n - 1);
    const size_t lo = (size_t)h;
    return lo + 1 < n ? v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]) : v[n - 1];
}

int ptc_paired_bootstrap(const uint8_t *a, const uint8_t *b, size_t n_seeds, size_t n_docs,
                         size_t reps, uint64_t seed, ptc_boot *out)
{
    if (n_seeds == 0 || n_docs == 0 || reps == 0)
        return -1;
    /* per (seed, doc) difference in {-1, 0, 1} */
    int8_t *d = malloc(n_seeds * n_docs);
    double *rep = malloc(reps * sizeof *rep);
    size_t *seeds = malloc(n_seeds * sizeof *seeds);
    int64_t *count = malloc(n_docs * sizeof *count);
    if (!d || !rep || !seeds || !count) {
        free(d), free(rep), free(seeds), free(count);
        return -1;
    }
    double total = 0;
    for (size_t i = 0; i < n_seeds * n_docs; i++) {
        d[i] = (int8_t)((int)a[i] - (int)b[i]);
        total += d[i];
    }
    out->diff = total / (double)(n_seeds * n_docs);
    uint64_t st = seed;
    size_t le = 0, ge = 0;
    for (size_t r = 0; r < reps; r++) {
        for (size_t s = 0; s < n_seeds; s++)
            seeds[s] = draw(&st, n_seeds);
        memset(count, 0, n_docs * sizeof *count);
        for (size_t k = 0; k < n_docs; k++)
            count[draw(&st, n_docs)]++;
        int64_t sum = 0;
        for (size_t s = 0; s < n_seeds; s++) {
            const int8_t *row = d + seeds[s] * n_docs;
            for (size_t k = 0; k < n_docs; k++)
                sum += count[k] * row[k];
        }
        rep[r] = (double)sum / (double)(n_seeds * n_docs);
        le += rep[r] <= 0;
        ge += rep[r] >= 0;
    }
    qsort(rep, reps, sizeof *rep, cmp_d);
    out->lo = percentile(rep, reps, 0.025);
    out->hi = percentile(rep, reps, 0.975);
    const double p = 2.0 * (double)(le < ge ? le : ge) / (double)reps;
    out->p = p > 1 ? 1.0 : p;
    free(d), free(rep), free(seeds), free(count);
    return 0;
}

void ptc_ratio_interval(const double *r, size_t n, double cv_a, size_t n_a, double cv_b, size_t n_b,
                        ptc_summary *s)
{
    double lr[256] = {0};
    size_t k = 0;
    for (size_t i = 0; i < n && k < 256; i++)
        if (r[i] > 0 && isfinite(r[i]))
            lr[k++] = log(r[i]);
    ptc_summarize(lr, k, s);
    if (k == 1 && cv_a > 0 && cv_b > 0 && n_a > 0 && n_b > 0) {
        const double se = sqrt(cv_a * cv_a / (double)n_a + cv_b * cv_b / (double)n_b);
        s->lo = s->mean - 1.959963984540054 * se;
        s->hi = s->mean + 1.959963984540054 * se;
    }
    s->mean = exp(s->mean);
    s->lo = exp(s->lo);
    s->hi = exp(s->hi);
    s->sd = NAN; /* of log r: not reported on the ratio scale */
}

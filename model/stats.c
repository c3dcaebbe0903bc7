/*
 * model/stats.c — the statistics ptc reports (contract: include/ptc/stats.h): the
 * description and median of a sample, summaries over seeds, exact McNemar, the paired
 * bootstrap, ratio intervals, the bootstrap interval of a speedup, and the
 * Mann-Whitney U test:
 *
 *   ranks of x and y pooled (ties: their mean rank); U1 = R1 - n1 (n1 + 1) / 2,
 *   U2 = n1 n2 - U1, U = max(U1, U2);
 *   exact:      p = 2 P(U' >= U) over the n1 + n2 choose n1 equally likely
 *               arrangements (counted as the coefficients of the Gaussian binomial);
 *   asymptotic: z = (U - n1 n2 / 2 - 0.5) / s,
 *               s = sqrt(n1 n2 / 12 ((n + 1) - sum(t^3 - t) / (n (n - 1)))),
 *               p = 2 (1 - Phi(z));
 *   p clipped to [0, 1].
 */
#include "ptc/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Quantile q of sorted x: (n), linear interpolation. */
static double quantile_sorted(const double *x, size_t n, double q)
{
    const double h = q * (double)(n - 1);
    const size_t lo = (size_t)h;
    return lo + 1 < n ? x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]) : x[n - 1];
}

/* ---- one sample -------------------------------------------------------------------- */

static double median_inplace(double *x, size_t n)
{
    qsort(x, n, sizeof *x, cmp_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

double ptc_median(const double *x, size_t n)
{
    if (n == 0)
        return 0;
    double *t = malloc(n * sizeof *t);
    if (!t)
        return 0;
    memcpy(t, x, n * sizeof *t);
    const double m = median_inplace(t, n);
    free(t);
    return m;
}

int ptc_describe(const double *x, size_t n, ptc_sample_desc *d)
{
    memset(d, 0, sizeof *d);
    d->n = n;
    if (n == 0)
        return 0;
    double sum = 0, var = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    d->mean = sum / (double)n;
    for (size_t i = 0; i < n; i++)
        var += (x[i] - d->mean) * (x[i] - d->mean);
    d->sd = n > 1 ? sqrt(var / (double)(n - 1)) : 0.0;
    d->cv = n > 1 && d->mean > 0 ? d->sd / d->mean : 0.0;
    double *s = malloc(n * sizeof *s);
    if (!s)
        return -1;
    memcpy(s, x, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    d->min = s[0];
    d->max = s[n - 1];
    d->median = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    free(s);
    return 0;
}

/* ---- over seeds ------------------------------------------------------------------ */

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

static size_t draw(uint64_t *s, size_t n)
{
    return (size_t)(((unsigned __int128)splitmix64(s) * n) >> 64);
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
    qsort(rep, reps, sizeof *rep, cmp_double);
    out->lo = quantile_sorted(rep, reps, 0.025);
    out->hi = quantile_sorted(rep, reps, 0.975);
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

/* ---- speedups --------------------------------------------------------------------- */

double ptc_bootstrap_speedup(const double *base, size_t n_base, const double *variant,
                             size_t n_variant, uint64_t seed, int resamples, double *lo,
                             double *hi)
{
    *lo = *hi = 0;
    if (n_base == 0 || n_variant == 0)
        return 0;
    const double point = ptc_median(base, n_base) / ptc_median(variant, n_variant);
    if (resamples < 1) {
        *lo = *hi = point;
        return point;
    }
    double *rb = malloc(n_base * sizeof *rb), *rv = malloc(n_variant * sizeof *rv);
    double *ratios = malloc((size_t)resamples * sizeof *ratios);
    if (!rb || !rv || !ratios) {
        free(rb);
        free(rv);
        free(ratios);
        *lo = *hi = point;
        return point;
    }
    uint64_t s = seed;
    for (int r = 0; r < resamples; r++) {
        for (size_t i = 0; i < n_base; i++)
            rb[i] = base[splitmix64(&s) % n_base];
        for (size_t i = 0; i < n_variant; i++)
            rv[i] = variant[splitmix64(&s) % n_variant];
        ratios[r] = median_inplace(rb, n_base) / median_inplace(rv, n_variant);
    }
    qsort(ratios, (size_t)resamples, sizeof *ratios, cmp_double);
    *lo = quantile_sorted(ratios, (size_t)resamples, 0.025);
    *hi = quantile_sorted(ratios, (size_t)resamples, 0.975);
    free(rb);
    free(rv);
    free(ratios);
    return point;
}

/* ---- the Mann-Whitney U test ----------------------------------------------------- */

typedef struct valued {
    double v;
    size_t from_x;
} valued;

static int cmp_valued(const void *a, const void *b)
{
    const double x = ((const valued *)a)->v, y = ((const valued *)b)->v;
    return (x > y) - (x < y);
}

/* P(U >= u) for samples of m and n values, no ties: the count of arrangements with
 * U = k is the coefficient of q^k of prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i). */
static double exact_sf(size_t m, size_t n, double u)
{
    if (m > n) {
        const size_t t = m;
        m = n;
        n = t;
    }
    const size_t len = m * n + 1;
    double *c = calloc(len, sizeof *c);
    if (!c)
        return NAN;
    c[0] = 1;
    for (size_t i = 1; i <= m; i++) {
        for (size_t k = len; k-- > n + i;) /* times (1 - q^(n+i)) */
            c[k] -= c[k - (n + i)];
        for (size_t k = i; k < len; k++)   /* divided by (1 - q^i) */
            c[k] += c[k - i];
    }
    double total = 0, tail = 0;
    for (size_t k = 0; k < len; k++) {
        total += c[k];
        if ((double)k >= u - 1e-9)
            tail += c[k];
    }
    free(c);
    return tail / total;
}

int ptc_mann_whitney_u(const double *x, size_t n1, const double *y, size_t n2, double *u1,
                       double *p)
{
    if (n1 == 0 || n2 == 0)
        return -1;
    const size_t n = n1 + n2;
    valued *all = malloc(n * sizeof *all);
    if (!all)
        return -1;
    for (size_t i = 0; i < n1; i++)
        all[i] = (valued){x[i], 1};
    for (size_t i = 0; i < n2; i++)
        all[n1 + i] = (valued){y[i], 0};
    qsort(all, n, sizeof *all, cmp_valued);
    double r1 = 0, tie_term = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && all[j].v == all[i].v)
            j++;
        const double t = (double)(j - i), mean_rank = 0.5 * (double)(i + 1 + j);
        tie_term += t * t * t - t;
        for (size_t k = i; k < j; k++)
            r1 += all[k].from_x ? mean_rank : 0;
        i = j;
    }
    free(all);
    const double a = (double)n1, b = (double)n2;
    const double U1 = r1 - a * (a + 1) / 2, U2 = a * b - U1;
    const double U = U1 > U2 ? U1 : U2;
    const bool exact = !(n1 > 8 && n2 > 8) && tie_term == 0;
    double sf;
    if (exact) {
        sf = exact_sf(n1, n2, U);
    } else {
        const double s = sqrt(a * b / 12 * (((double)n + 1) - tie_term / ((double)n * ((double)n - 1))));
        const double z = (U - a * b / 2 - 0.5) / s;
        sf = s > 0 ? 0.5 * erfc(z / sqrt(2.0)) : 1.0; /* all values equal */
    }
    double pv = 2 * sf;
    if (pv > 1)
        pv = 1;
    if (pv < 0)
        pv = 0;
    *u1 = U1;
    *p = pv;
    return isnan(sf) ? -1 : 0;
}

/*
 * ptc/stats.h — the statistics ptc reports, one implementation each (model/stats.c):
 * a sample's description (median, mean, sd, spread), the median alone, summaries
 * over seeds with 95% t-intervals, the exact McNemar test, a paired bootstrap of an
 * accuracy difference over documents and seeds, intervals of speed ratios, the
 * bootstrap interval of a speedup of medians, and the two-sided Mann-Whitney U test.
 * Pure functions of their inputs; deterministic (the bootstraps draw from a seeded
 * splitmix64). No OpenMP, no ops.
 */
#ifndef PTC_STATS_H
#define PTC_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* x: (n). 0 when n == 0; x is not modified. */
double ptc_median(const double *x, size_t n);

/* The description of a sample x: (n): mean, sample sd (0 for n == 1), cv = sd / mean
 * (0 unless n > 1 and mean > 0), min, max, median. All 0 when n == 0. Returns 0, or -1
 * when out of memory (then only n, mean, sd and cv are set). */
typedef struct ptc_sample_desc {
    size_t n;
    double mean, sd, cv, min, max, median;
} ptc_sample_desc;
int ptc_describe(const double *x, size_t n, ptc_sample_desc *d);

/* mean, sample sd and the 95% t-interval of the mean of x[0..n) (n >= 1; for
 * n == 1 sd is 0 and the interval is [mean, mean]; n == 0: all NAN) */
typedef struct ptc_summary {
    size_t n;
    double mean, sd, lo, hi;
} ptc_summary;
void ptc_summarize(const double *x, size_t n, ptc_summary *s);
/* two-sided 97.5% quantile of Student's t with df degrees of freedom (df >= 1) */
double ptc_t975(size_t df);

/* Exact McNemar test, two-sided: b documents right only under A, c right only
 * under B; p = min(1, 2 P(X <= min(b, c))) for X ~ Binomial(b + c, 1/2); 1 when
 * b + c == 0. */
double ptc_mcnemar_exact(size_t b, size_t c);

/* Paired bootstrap of the accuracy difference A - B over documents and seeds:
 * a[s * n_docs + d], b[...] are 1 when document d was classified right under
 * seed s (A and B of the same seed see the same documents). Each of `reps`
 * replicates draws n_seeds seeds and n_docs documents with replacement (the same
 * documents for every drawn seed) and takes the mean difference. diff: the
 * observed mean difference; lo/hi: the 2.5/97.5 percentiles of the replicates;
 * p: two-sided, 2 min(P*(diff* <= 0), P*(diff* >= 0)) capped at 1. */
typedef struct ptc_boot {
    double diff, lo, hi, p;
} ptc_boot;
int ptc_paired_bootstrap(const uint8_t *a, const uint8_t *b, size_t n_seeds, size_t n_docs,
                         size_t reps, uint64_t seed, ptc_boot *out);

/* Interval of a ratio of positive measurements over seeds: the geometric mean of
 * r[0..n) and the 95% t-interval of the mean of log r, exponentiated. With one
 * seed, the interval of the ratio of two means from their spread (delta method
 * on the log: se^2 = (sd_a/mean_a)^2/n_a + (sd_b/mean_b)^2/n_b), when given
 * (cv_a, n_a, cv_b, n_b > 0); else [r, r]. */
void ptc_ratio_interval(const double *r, size_t n, double cv_a, size_t n_a, double cv_b, size_t n_b,
                        ptc_summary *s);

/* Speedup = median(base) / median(variant) and its percentile bootstrap 95%
 * interval: `resamples` times, resample both samples with replacement and take
 * the ratio of medians; lo/hi = the 2.5% / 97.5% quantiles. Deterministic for a
 * seed (splitmix64). Returns the point estimate (0 if a sample is empty).
 * base: (n_base), variant: (n_variant). */
double ptc_bootstrap_speedup(const double *base, size_t n_base, const double *variant,
                             size_t n_variant, uint64_t seed, int resamples, double *lo,
                             double *hi);

/* The two-sided Mann-Whitney U test as scipy.stats.mannwhitneyu(x, y,
 * alternative='two-sided', method 'auto', use_continuity True) computes it (and
 * Google Benchmark's tools/compare.py with it). x: (n1), y: (n2). u1: U of x (the
 * count of pairs x > y, ties counting half); p: two-sided p-value. Exact (the U
 * distribution by counting) when a sample has at most 8 values and no value ties;
 * otherwise the normal approximation with the tie correction and a continuity
 * correction of 0.5. Returns 0, or -1 when a sample is empty or out of memory. */
int ptc_mann_whitney_u(const double *x, size_t n1, const double *y, size_t n2, double *u1,
                       double *p);

#ifdef __cplusplus
}
#endif
#endif /* PTC_STATS_H */

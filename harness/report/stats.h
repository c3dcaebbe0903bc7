/*
 * harness/report/stats.h — the statistics of the accuracy tables (issue 12):
 * summaries over seeds, exact McNemar, a paired bootstrap over documents and
 * seeds, and intervals of speed ratios. Pure functions of their inputs;
 * deterministic (the bootstrap draws from a seeded splitmix64).
 */
#ifndef PTC_HARNESS_STATS_H
#define PTC_HARNESS_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* mean, sample sd and the 95% t-interval of the mean of x[0..n) (n >= 1; for
 * n == 1 sd is 0 and the interval is [mean, mean]) */
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

#endif /* PTC_HARNESS_STATS_H */

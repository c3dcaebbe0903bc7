/*
 * harness/report/utest.h — the two-sided Mann-Whitney U test that `ptc compare` runs on
 * the raw repetitions of two rows, computed as Google Benchmark's tools/compare.py
 * computes it (scipy.stats.mannwhitneyu(x, y, alternative='two-sided'), method 'auto'),
 * and the table cell that shows it.
 */
#ifndef PTC_HARNESS_UTEST_H
#define PTC_HARNESS_UTEST_H

#include <jansson.h>
#include <stddef.h>

/* compare.py tests from this many repetitions a side and calls fewer than
 * PTC_UTEST_OPTIMAL_REPS unreliable. */
#define PTC_UTEST_MIN_REPS 2
#define PTC_UTEST_OPTIMAL_REPS 9

/* x: (n1), y: (n2). u1: U of x (the count of pairs x > y, ties counting half);
 * p: two-sided p-value. Exact (the U distribution by counting) when a sample has at
 * most 8 values and no value ties; otherwise the normal approximation with the tie
 * correction and a continuity correction of 0.5. Returns 0, or -1 when a sample is
 * empty or out of memory. */
int ptc_mann_whitney_u(const double *x, size_t n1, const double *y, size_t n2, double *u1,
                       double *p);

/* `ptc compare`'s cell (r, c) of table t: the p-value of the test on the raw repetitions
 * (time_s.reps) of rows a and b, "(few reps)" below PTC_UTEST_OPTIMAL_REPS a side; counts
 * the pairs with too few repetitions for a test (*few_min: the cell stays n/a) or for a
 * reliable one (*few_optimal). */
struct ptc_rtable;
void ptc_cell_utest(struct ptc_rtable *t, size_t r, size_t c, const json_t *a, const json_t *b,
                    size_t *few_min, size_t *few_optimal);

#endif /* PTC_HARNESS_UTEST_H */

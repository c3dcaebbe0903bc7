/*
 * tests/harness/test_stats.c — model/stats.c (ptc/stats.h) against hand-computed values:
 *   stats_mcnemar    exact two-sided binomial p: (1, 9) -> 22/1024, (0, 5) -> 2/32,
 *                    (2, 8) -> 112/1024, ties and empty -> 1, symmetric in (b, c)
 *   stats_summary    {1, 2, 3, 4}: mean 2.5, sd sqrt(5/3), interval 2.5 ± 3.182 sd / 2;
 *                    t quantiles (df 1, 4, 30, 120)
 *   stats_bootstrap  always right vs always wrong: diff 1, [1, 1], p 0; identical
 *                    systems: diff 0, p 1; 8 of 100 documents better: diff 0.08, an
 *                    interval around it excluding 0, p < 0.05; same seed, same result
 *   stats_ratio      geometric mean and t-interval of log ratios; one seed: delta method
 *   stats_describe   {3, 1, 2, 10}: mean 4, sd sqrt(50/3), cv sd / 4, min 1, max 10, median
 *                    2.5 (the input left unsorted); one value: sd and cv 0; none: all 0;
 *                    ptc_median of odd and even counts
 */
#include "../ptc_test.h"
#include "ptc/stats.h"

#include <math.h>
#include <string.h>

#define NEAR(x, y, tol) (fabs((x) - (y)) <= (tol))

PTC_TEST(stats_describe)
{
    const double x[] = {3, 1, 2, 10};
    ptc_sample_desc d;
    ptc_check(ctx, ptc_describe(x, 4, &d) == 0, "describe failed");
    const double sd = sqrt(50.0 / 3.0);
    ptc_check(ctx, d.n == 4 && NEAR(d.mean, 4, 1e-12) && NEAR(d.sd, sd, 1e-12) && NEAR(d.cv, sd / 4, 1e-12),
              "mean %g sd %g cv %g", d.mean, d.sd, d.cv);
    ptc_check(ctx, d.min == 1 && d.max == 10 && d.median == 2.5, "min %g max %g median %g", d.min, d.max,
              d.median);
    ptc_check(ctx, x[0] == 3 && x[1] == 1 && x[3] == 10, "input modified");
    ptc_describe(x + 3, 1, &d);
    ptc_check(ctx, d.n == 1 && d.mean == 10 && d.sd == 0 && d.cv == 0 && d.median == 10, "one value");
    ptc_describe(x, 0, &d);
    ptc_check(ctx, d.n == 0 && d.mean == 0 && d.median == 0 && d.max == 0, "no value");
    ptc_check(ctx, ptc_median(x, 3) == 2 && ptc_median(x, 4) == 2.5 && ptc_median(x, 0) == 0,
              "median %g / %g", ptc_median(x, 3), ptc_median(x, 4));
}

PTC_TEST(stats_mcnemar)
{
    ptc_check(ctx, NEAR(ptc_mcnemar_exact(1, 9), 22.0 / 1024, 1e-12), "(1,9): %.12g", ptc_mcnemar_exact(1, 9));
    ptc_check(ctx, NEAR(ptc_mcnemar_exact(9, 1), 22.0 / 1024, 1e-12), "(9,1) symmetric");
    ptc_check(ctx, NEAR(ptc_mcnemar_exact(0, 5), 2.0 / 32, 1e-12), "(0,5): %.12g", ptc_mcnemar_exact(0, 5));
    ptc_check(ctx, NEAR(ptc_mcnemar_exact(2, 8), 112.0 / 1024, 1e-12), "(2,8): %.12g", ptc_mcnemar_exact(2, 8));
    ptc_check(ctx, ptc_mcnemar_exact(3, 3) == 1.0 && ptc_mcnemar_exact(0, 0) == 1.0, "ties and empty: 1");
    /* (10, 40): P(X <= 10 | 50, 1/2) = 1.193e-5 (scipy.stats.binomtest: p = 2.386e-05) */
    ptc_check(ctx, NEAR(ptc_mcnemar_exact(10, 40), 2.3861e-05, 1e-8), "(10,40): %.6g", ptc_mcnemar_exact(10, 40));
}

PTC_TEST(stats_summary)
{
    const double x[] = {1, 2, 3, 4};
    ptc_summary s;
    ptc_summarize(x, 4, &s);
    const double sd = sqrt(5.0 / 3.0), h = 3.182 * sd / 2;
    ptc_check(ctx, s.n == 4 && NEAR(s.mean, 2.5, 1e-12) && NEAR(s.sd, sd, 1e-12), "mean %g sd %g", s.mean, s.sd);
    ptc_check(ctx, NEAR(s.lo, 2.5 - h, 1e-9) && NEAR(s.hi, 2.5 + h, 1e-9), "interval [%g, %g]", s.lo, s.hi);
    ptc_summarize(x, 1, &s);
    ptc_check(ctx, s.sd == 0 && s.lo == 1 && s.hi == 1, "one value: no spread");
    ptc_check(ctx, ptc_t975(1) == 12.706 && ptc_t975(4) == 2.776 && ptc_t975(30) == 2.042, "t table");
    ptc_check(ctx, NEAR(ptc_t975(120), 1.9799, 2e-4), "t(120) = %.5f, wanted 1.9799", ptc_t975(120));
}

PTC_TEST(stats_bootstrap)
{
    enum { S = 3, D = 100 };
    static uint8_t a[S * D], b[S * D];
    ptc_boot r, r2;
    memset(a, 1, sizeof a);
    memset(b, 0, sizeof b);
    ptc_check(ctx, ptc_paired_bootstrap(a, b, S, D, 500, 7, &r) == 0, "runs");
    ptc_check(ctx, r.diff == 1 && r.lo == 1 && r.hi == 1 && r.p == 0, "always better: %g [%g, %g] p %g",
              r.diff, r.lo, r.hi, r.p);
    ptc_paired_bootstrap(a, a, S, D, 500, 7, &r);
    ptc_check(ctx, r.diff == 0 && r.p == 1, "identical: diff %g p %g", r.diff, r.p);
    /* B right on 80 documents, A on the same 80 and 8 more, in every seed */
    for (size_t s = 0; s < S; s++)
        for (size_t d = 0; d < D; d++) {
            b[s * D + d] = d < 80;
            a[s * D + d] = d < 88;
        }
    ptc_paired_bootstrap(a, b, S, D, 2000, 11, &r);
    ptc_paired_bootstrap(a, b, S, D, 2000, 11, &r2);
    ptc_check(ctx, NEAR(r.diff, 0.08, 1e-12) && r.lo > 0 && r.lo < 0.08 && r.hi > 0.08 && r.p < 0.05,
              "8 better: %g [%g, %g] p %g", r.diff, r.lo, r.hi, r.p);
    ptc_check(ctx, memcmp(&r, &r2, sizeof r) == 0, "same seed, same result");
    ptc_check(ctx, ptc_paired_bootstrap(a, b, 0, D, 10, 1, &r) != 0, "no seeds refused");
}

PTC_TEST(stats_ratio)
{
    const double r[] = {1, 4}, same[] = {2, 2, 2}, one[] = {2};
    ptc_summary s;
    ptc_ratio_interval(r, 2, 0, 0, 0, 0, &s);
    const double h = 12.706 * (log(4.0) / sqrt(2.0)) / sqrt(2.0);
    ptc_check(ctx, NEAR(s.mean, 2, 1e-12) && NEAR(s.lo, exp(log(2.0) - h), 1e-9) &&
                   NEAR(s.hi, exp(log(2.0) + h), 1e-9), "{1, 4}: %g [%g, %g]", s.mean, s.lo, s.hi);
    ptc_ratio_interval(same, 3, 0, 0, 0, 0, &s);
    ptc_check(ctx, NEAR(s.mean, 2, 1e-12) && NEAR(s.lo, 2, 1e-12) && NEAR(s.hi, 2, 1e-12), "constant");
    ptc_ratio_interval(one, 1, 0.1, 100, 0.1, 100, &s);
    const double se = sqrt(2e-4);
    ptc_check(ctx, NEAR(s.lo, 2 * exp(-1.959963984540054 * se), 1e-9) &&
                   NEAR(s.hi, 2 * exp(1.959963984540054 * se), 1e-9), "one seed: [%g, %g]", s.lo, s.hi);
}

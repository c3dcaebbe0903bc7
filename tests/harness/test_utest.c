/*
 * tests/harness/test_utest.c — the Mann-Whitney U test of `ptc compare`
 * (ptc/stats.h, model/stats.c) against small cases computed by hand (and agreeing
 * with scipy.stats.mannwhitneyu(x, y, alternative='two-sided'), which compare.py
 * calls): the exact distribution without ties, the normal approximation with ties.
 */
#include "../ptc_test.h"
#include "ptc/stats.h"

#include <math.h>

#define NEAR(a, b, tol) (fabs((a) - (b)) <= (tol))

PTC_TEST(utest_exact_by_hand)
{
    double u = -1, p = -1;
    int rc;
    /* x below every y: U1 = 0, U = 9; one arrangement of C(6,3) = 20 has U >= 9:
     * p = 2 * 1/20 */
    const double x1[] = {1, 2, 3}, y1[] = {4, 5, 6};
    rc = ptc_mann_whitney_u(x1, 3, y1, 3, &u, &p);
    ptc_check(ctx, rc == 0 && u == 0 && NEAR(p, 0.1, 1e-12),
              "{1,2,3} vs {4,5,6}: U %g p %.12g, wanted 0 and 0.1", u, p);
    /* ranks of x 1,3,5: R1 = 9, U1 = 3, U = 6; the counts of U = 0..9 for 3 and 3 are
     * 1 1 2 3 3 3 3 2 1 1: P(U >= 6) = 7/20, p = 0.7 */
    const double x2[] = {1, 3, 5}, y2[] = {2, 4, 6};
    rc = ptc_mann_whitney_u(x2, 3, y2, 3, &u, &p);
    ptc_check(ctx, rc == 0 && u == 3 && NEAR(p, 0.7, 1e-12),
              "{1,3,5} vs {2,4,6}: U %g p %.12g, wanted 3 and 0.7", u, p);
    /* symmetric in its p-value; U of the other side n1 n2 - U1 */
    rc = ptc_mann_whitney_u(y2, 3, x2, 3, &u, &p);
    ptc_check(ctx, rc == 0 && u == 6 && NEAR(p, 0.7, 1e-12),
              "swapped: U %g p %.12g", u, p);
    /* 1 vs 4 values, no ties: U = 4 has one arrangement of 5: p = 2/5 */
    const double x3[] = {10}, y3[] = {1, 2, 3, 4};
    rc = ptc_mann_whitney_u(x3, 1, y3, 4, &u, &p);
    ptc_check(ctx, rc == 0 && u == 4 && NEAR(p, 0.4, 1e-12),
              "{10} vs 4 smaller: U %g p %.12g, wanted 4 and 0.4", u, p);
}

PTC_TEST(utest_asymptotic_with_ties_by_hand)
{
    double u = -1, p = -1;
    int rc;
    /* pooled 1 2 2 2 3 4 5 6: ranks 1, 3 3 3, 5, 6 7 8; R1 = 1+3+3+5 = 12, U1 = 2,
     * U = 14; ties: one group of 3, sum(t^3 - t) = 24;
     * s = sqrt(16/12 * (9 - 24/56)) = 3.3806170, z = (14 - 8 - 0.5) / s = 1.6269231,
     * p = 2 (1 - Phi(z)) = 0.1037537 (scipy: 0.10375367752098565) */
    const double x[] = {1, 2, 2, 3}, y[] = {2, 4, 5, 6};
    rc = ptc_mann_whitney_u(x, 4, y, 4, &u, &p);
    ptc_check(ctx, rc == 0 && u == 2 &&
                       NEAR(p, 0.10375367752098565, 1e-9),
              "ties: U %g p %.12g, wanted 2 and 0.1037537", u, p);
    /* 10 and 10 values: asymptotic even without ties; scipy: U 9, p 0.0022022199424970783 */
    const double a[] = {1.0, 1.2, 1.3, 1.1, 1.5, 1.4, 1.25, 1.35, 1.15, 1.45};
    const double b[] = {1.6, 1.05, 1.7, 1.8, 1.55, 1.65, 1.75, 1.9, 1.85, 2.0};
    rc = ptc_mann_whitney_u(a, 10, b, 10, &u, &p);
    ptc_check(ctx, rc == 0 && u == 9 &&
                       NEAR(p, 0.0022022199424970783, 1e-10),
              "10 vs 10: U %g p %.12g", u, p);
    /* every value equal: no evidence at all */
    const double e[] = {2, 2, 2};
    rc = ptc_mann_whitney_u(e, 3, e, 3, &u, &p);
    ptc_check(ctx, rc == 0 && p == 1, "all equal: p %g", p);
    rc = ptc_mann_whitney_u(e, 0, e, 3, &u, &p);
    ptc_check(ctx, rc == -1, "an empty sample is refused");
}

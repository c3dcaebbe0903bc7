/*
 * harness/report/utest.c — the two-sided Mann-Whitney U test (contract: utest.h), the
 * one compare.py reports: scipy.stats.mannwhitneyu, alternative 'two-sided', method
 * 'auto', use_continuity True.
 *
 *   ranks of x and y pooled (ties: their mean rank); U1 = R1 - n1 (n1 + 1) / 2,
 *   U2 = n1 n2 - U1, U = max(U1, U2);
 *   exact:      p = 2 P(U' >= U) over the n1 + n2 choose n1 equally likely
 *               arrangements (counted as the coefficients of the Gaussian binomial);
 *   asymptotic: z = (U - n1 n2 / 2 - 0.5) / s,
 *               s = sqrt(n1 n2 / 12 ((n + 1) - sum(t^3 - t) / (n (n - 1)))),
 *               p = 2 (1 - Phi(z));
 *   p clipped to [0, 1].
 * ptc_cell_utest: the test on two rows' time_s.reps, into a `ptc compare` cell.
 */
#include "report/utest.h"
#include "report/report.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

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

/* ---- the cell of ptc compare -------------------------------------------------------------- */

/* The raw repetitions of row (time_s.reps) into a new array; their count (0: none). */
static size_t row_reps(const json_t *row, double **out)
{
    const json_t *reps = ptc_row_get(row, "time_s.reps");
    const size_t n = json_is_array(reps) ? json_array_size(reps) : 0;
    *out = n ? malloc(n * sizeof **out) : NULL;
    if (!*out)
        return 0;
    for (size_t i = 0; i < n; i++)
        (*out)[i] = json_number_value(json_array_get(reps, i));
    return n;
}

/* The U test's p-value of a pair into its cell; counts the pairs with too few
 * repetitions for the test (*few_min) or for a reliable one (*few_optimal). */
void ptc_cell_utest(ptc_rtable *t, size_t r, size_t c, const json_t *a, const json_t *b,
                    size_t *few_min, size_t *few_optimal)
{
    double *x, *y, u, p;
    const size_t nx = row_reps(a, &x), ny = row_reps(b, &y);
    const size_t n = nx < ny ? nx : ny;
    if (n < PTC_UTEST_MIN_REPS) {
        (*few_min)++;
    } else if (ptc_mann_whitney_u(x, nx, y, ny, &u, &p) == 0) {
        char text[64], csv[40];
        snprintf(text, sizeof text, "%.4f%s", p, n < PTC_UTEST_OPTIMAL_REPS ? " (few reps)" : "");
        ptc_rtable_set(t, r, c, text, ptc_fmt_double_exact(p, csv, sizeof csv), NULL, NULL, NULL);
        *few_optimal += n < PTC_UTEST_OPTIMAL_REPS;
    }
    free(x);
    free(y);
}

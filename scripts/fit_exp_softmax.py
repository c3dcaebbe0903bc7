#!/usr/bin/python3
"""scripts/fit_exp_softmax.py — derives the polynomial of the fused attention's online
softmax exp (ptc_attn_exp_poly in kernels/attention_common.h, used by exp_nonpos_avx2
and exp_nonpos_avx512) and checks its error in float32.

    /usr/bin/python3 scripts/fit_exp_softmax.py      (the standard library only)

exp(x) = 2^n exp(r), n = round(x / ln 2), r = x - n ln2 with ln2 rounded to float
(one constant), |r| <= ln2 / 2; exp(r) ~ P(r), P of degree 6. The fit minimizes the
relative error of P on Chebyshev nodes by weighted least squares reweighted toward
minimax (Lawson's iteration), in double. It prints the coefficients as float literals,
the fit's maximum relative error, and the error of the float32 evaluation (the
kernel's operations, each FMA rounded once to float32; emulated in double, so a rare
double rounding may differ from the hardware) against math.exp on a sample of x in
[-86.64, 0]: absolute (beside the softmax's largest term, 1) and relative, by range.
"""
import math
import struct

DEGREE = 6
HALF_LN2 = math.log(2.0) / 2


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def solve(a, b):
    """Gaussian elimination with partial pivoting: a x = b."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for i in range(n):
        p = max(range(i, n), key=lambda r: abs(m[r][i]))
        m[i], m[p] = m[p], m[i]
        for r in range(n):
            if r != i:
                f = m[r][i] / m[i][i]
                for c in range(i, n + 1):
                    m[r][c] -= f * m[i][c]
    return [m[i][n] / m[i][i] for i in range(n)]


def fit(nodes=1500, rounds=200):
    xs = [HALF_LN2 * math.cos(math.pi * (k + 0.5) / nodes) for k in range(nodes)]
    w = [1.0] * nodes
    for _ in range(rounds):
        ata = [[0.0] * (DEGREE + 1) for _ in range(DEGREE + 1)]
        atb = [0.0] * (DEGREE + 1)
        for x, wi in zip(xs, w):
            e = math.exp(x)
            b = [x ** k / e for k in range(DEGREE + 1)]
            for r in range(DEGREE + 1):
                atb[r] += wi * b[r]
                for s in range(DEGREE + 1):
                    ata[r][s] += wi * b[r] * b[s]
        c = solve(ata, atb)
        rel = [abs(sum(c[k] * x ** k for k in range(DEGREE + 1)) / math.exp(x) - 1) for x in xs]
        w = [wi * (r + 1e-30) for wi, r in zip(w, rel)]
        total = sum(w)
        w = [wi / total for wi in w]
    fine = [-HALF_LN2 + 2 * HALF_LN2 * i / 200000 for i in range(200001)]
    max_rel = max(abs(sum(c[k] * x ** k for k in range(DEGREE + 1)) / math.exp(x) - 1) for x in fine)
    return c, max_rel


def exp_nonpos(x, c):
    """The kernel's operations in float32 (each FMA rounded once)."""
    x = f32(max(x, -86.643))
    t = f32(x * f32(1.44269504088896341) + 12582912.0)
    n = f32(t - 12582912.0)
    r = f32(x - n * f32(0.693147182))
    y = c[DEGREE]
    for k in range(DEGREE - 1, -1, -1):
        y = f32(y * r + c[k])
    return y * 2.0 ** n


def main():
    c, max_rel = fit()
    c32 = [f32(v) for v in c]
    print("degree-%d fit on |r| <= ln2/2: max relative error %.3g" % (DEGREE, max_rel))
    print("coefficients, highest degree first:")
    for k in range(DEGREE, -1, -1):
        print("    %.10ef" % c32[k])
    for lo in (10.0, 20.0, 86.64):
        worst_abs = worst_rel = 0.0
        for i in range(200001):
            x = f32(-lo * i / 200000)
            e = math.exp(x)
            got = exp_nonpos(x, c32)
            worst_abs = max(worst_abs, abs(got - e))
            worst_rel = max(worst_rel, abs(got / e - 1))
        print("float32 on [-%g, 0]: max absolute error %.3g, max relative error %.3g"
              % (lo, worst_abs, worst_rel))


if __name__ == "__main__":
    main()

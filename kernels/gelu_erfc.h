/*
 * kernels/gelu_erfc.h — the constants of the SIMD GELU and its derivative (gelu_fwd,
 * gelu_bwd of the avx2, avx512 and neon tables; the ref table keeps libm's erff).
 *
 * GELU(x) = x Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2. With z = |x| / sqrt 2 and
 * E = exp(-x^2 / 2) = exp(-z^2):
 *   erfc(z) = E R(t),  t = 1 / (1 + P z),  R(t) = C0 + C1 t + ... + C9 t^9
 *   1 + erf(x / sqrt 2) = 2 - erfc(z) for x >= 0, erfc(z) for x < 0 (nothing cancels)
 *   GELU'(x) = Phi(x) + x E / sqrt(2 pi)   (one exponential serves both terms)
 * R approximates erfcx(z) = exp(z^2) erfc(z) for z in [0, 10] with relative error
 * 8.9e-9; past z = 10, E is below 4e-44 and the product underflows to the limit
 * (GELU(x) = x for large x, -0 for very negative x; GELU(-inf) is NaN, as in the erf
 * form). Evaluated in float32 (Horner with FMA, SLEEF's 1-ulp expf, a true division),
 * the avx2 table on every 7th float with 2^-30 <= |x| <= 16, both signs: GELU within
 * 1.21 eps of |x| + |GELU(x)|, GELU' within 1.27 eps of the scale tests/test_rowops.c
 * uses (libm's erff in the ref table: 0.48 and 0.48); the tests allow 5. The constants
 * come from scripts/fit_gelu_erfc.py (weighted least squares toward minimax), which
 * also simulates these errors in numpy.
 *
 * Why not erf itself: SLEEF's 1-ulp erff costs about 16 cycles per element on Zen 3
 * (5.4 ns per element against 1.0-1.4 ns for its expf, 1 thread); GELU needs only an
 * absolute error of erf near eps, which a polynomial after one exponential gives.
 */
#ifndef PTC_KERNELS_GELU_ERFC_H
#define PTC_KERNELS_GELU_ERFC_H

#define PTC_GELU_P 0.47f
#define PTC_GELU_C0 1.1740688023564871e-05f
#define PTC_GELU_C1 0.2648487687110901f
#define PTC_GELU_C2 0.2689615786075592f
#define PTC_GELU_C3 0.21027500927448273f
#define PTC_GELU_C4 0.2861504852771759f
#define PTC_GELU_C5 (-0.20316684246063232f)
#define PTC_GELU_C6 0.5677185654640198f
#define PTC_GELU_C7 (-0.6445154547691345f)
#define PTC_GELU_C8 0.3037066161632538f
#define PTC_GELU_C9 (-0.05399048700928688f)
#define PTC_GELU_SQRT1_2 0.70710678118654752f    /* 1 / sqrt 2 */
#define PTC_GELU_INV_SQRT_2PI 0.3989422804014327f /* 1 / sqrt(2 pi) */

#endif

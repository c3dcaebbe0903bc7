/*
 * kernels/peak.c — measured peak FP32 FMA rate and triad memory bandwidth.
 * Contract and method: include/ptc/peak.h.
 *
 * This file is built WITHOUT ISA flags (as cpu.c: the top of kernels/ gets none). The x86 FMA loops
 * carry their ISA in a per-function target attribute and are only called after
 * ptc_cpu_features() reports the ISA; NEON is baseline on aarch64.
 */
#include "ptc/cpu.h"
#include "ptc/peak.h"
#include "ptc/sys.h"

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

/* Written by every loop so the compiler keeps the chains. */
static volatile float peak_sink;

/* 12 independent chains acc_j = a * b + acc_j (the accumulator is the addend,
 * as in a GEMM micro-kernel: one FMA instruction per chain, no moves); acc grows
 * by ~1e-3 per iteration, so it stays finite and normal. Returns a sum of lanes. */
#define PEAK_CHAINS 12
/* X(j) for each chain j; the chains are named variables so they live in registers */
#define PEAK_FOR_EACH_CHAIN(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static float fma_loop_avx2(long iters)
{
    const __m256 a = _mm256_set1_ps(0.9999f), b = _mm256_set1_ps(1e-3f);
#define DECLARE(j) __m256 acc##j = _mm256_set1_ps(1.0f + 0.01f * (j));
#define STEP(j) acc##j = _mm256_fmadd_ps(a, b, acc##j);
#define REDUCE(j) sum = _mm256_add_ps(sum, acc##j);
    PEAK_FOR_EACH_CHAIN(DECLARE)
    for (long i = 0; i < iters; i++) {
        PEAK_FOR_EACH_CHAIN(STEP)
    }
    __m256 sum = _mm256_setzero_ps();
    PEAK_FOR_EACH_CHAIN(REDUCE)
#undef DECLARE
#undef STEP
#undef REDUCE
    float lanes[8];
    _mm256_storeu_ps(lanes, sum);
    return lanes[0] + lanes[7];
}

__attribute__((target("avx512f"))) static float fma_loop_avx512(long iters)
{
    const __m512 a = _mm512_set1_ps(0.9999f), b = _mm512_set1_ps(1e-3f);
#define DECLARE(j) __m512 acc##j = _mm512_set1_ps(1.0f + 0.01f * (j));
#define STEP(j) acc##j = _mm512_fmadd_ps(a, b, acc##j);
#define REDUCE(j) sum = _mm512_add_ps(sum, acc##j);
    PEAK_FOR_EACH_CHAIN(DECLARE)
    for (long i = 0; i < iters; i++) {
        PEAK_FOR_EACH_CHAIN(STEP)
    }
    __m512 sum = _mm512_setzero_ps();
    PEAK_FOR_EACH_CHAIN(REDUCE)
#undef DECLARE
#undef STEP
#undef REDUCE
    float lanes[16];
    _mm512_storeu_ps(lanes, sum);
    return lanes[0] + lanes[15];
}
#elif defined(__aarch64__)
static float fma_loop_neon(long iters)
{
    const float32x4_t a = vdupq_n_f32(0.9999f), b = vdupq_n_f32(1e-3f);
#define DECLARE(j) float32x4_t acc##j = vdupq_n_f32(1.0f + 0.01f * (j));
#define STEP(j) acc##j = vfmaq_f32(acc##j, a, b);
#define REDUCE(j) sum = vaddq_f32(sum, acc##j);
    PEAK_FOR_EACH_CHAIN(DECLARE)
    for (long i = 0; i < iters; i++) {
        PEAK_FOR_EACH_CHAIN(STEP)
    }
    float32x4_t sum = vdupq_n_f32(0.0f);
    PEAK_FOR_EACH_CHAIN(REDUCE)
#undef DECLARE
#undef STEP
#undef REDUCE
    return vgetq_lane_f32(sum, 0) + vgetq_lane_f32(sum, 3);
}
#endif

typedef float (*fma_loop_fn)(long iters);

/* The loop for `isa` and its floats per vector, or NULL when unavailable here. */
static fma_loop_fn fma_loop_for(const char *isa, int *width)
{
    const uint32_t have = ptc_cpu_features();
#if defined(__x86_64__)
    if (strcmp(isa, "avx512") == 0 && (have & PTC_CPU_AVX512F)) {
        *width = 16;
        return fma_loop_avx512;
    }
    if (strcmp(isa, "avx2") == 0 && (have & PTC_CPU_AVX2) && (have & PTC_CPU_FMA)) {
        *width = 8;
        return fma_loop_avx2;
    }
#elif defined(__aarch64__)
    if (strcmp(isa, "neon") == 0 && (have & PTC_CPU_NEON)) {
        *width = 4;
        return fma_loop_neon;
    }
#endif
    (void)have;
    (void)isa;
    return NULL;
}

const char *ptc_peak_best_isa(void)
{
    static const char *const order[] = {"avx512", "avx2", "neon"};
    int width;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (fma_loop_for(order[i], &width))
            return order[i];
    return NULL;
}

/* Wall time of `threads` threads each running loop(iters). */
static double time_parallel_loop(fma_loop_fn loop, long iters, int threads)
{
    double t0 = 0, t1 = 0;
#pragma omp parallel num_threads(threads)
    {
#pragma omp barrier
#pragma omp master
        t0 = ptc_now();
        const float r = loop(iters);
#pragma omp barrier
#pragma omp master
        {
            t1 = ptc_now();
            peak_sink = r;
        }
    }
    return t1 - t0;
}

double ptc_peak_fma_gflops(const char *isa, int threads, double seconds)
{
    int width = 0;
    fma_loop_fn loop = fma_loop_for(isa, &width);
    if (!loop || threads < 1)
        return 0;
    if (seconds <= 0)
        seconds = 0.25;
    /* Many short runs (~10 ms), best one kept: on a shared machine a run that a
     * descheduled thread stretched is simply not the best. */
    const double run_s = 0.01;
    int runs = (int)(seconds / run_s);
    runs = runs < 5 ? 5 : runs > 200 ? 200 : runs;
    /* Calibrate the iterations of one ~10 ms run on the calling thread alone
     * (fastest of 3, so a busy machine does not shrink the runs); this also
     * warms the vector units and clocks up. */
    long iters = 1 << 12;
    double t;
    for (;;) {
        t = INFINITY;
        for (int trial = 0; trial < 3; trial++) {
            const double t0 = ptc_now();
            peak_sink = loop(iters);
            const double dt = ptc_now() - t0;
            t = dt < t ? dt : t;
        }
        if (t >= 0.002)
            break;
        iters *= 4;
    }
    iters = (long)((double)iters * run_s / t) + 1;
    double best = 0;
    for (int r = 0; r < runs; r++) {
        const double dt = time_parallel_loop(loop, iters, threads);
        const double flops = (double)threads * (double)iters * PEAK_CHAINS * 2.0 * width;
        if (dt > 0 && flops / dt > best)
            best = flops / dt;
    }
    return best * 1e-9;
}

double ptc_peak_triad_gbps(int threads, size_t total_bytes, int passes)
{
    if (total_bytes == 0)
        total_bytes = (size_t)256 << 20;
    if (passes <= 0)
        passes = 5;
    if (threads < 1)
        threads = 1;
    const size_t n = total_bytes / (3 * sizeof(float)) / 16 * 16;
    float *a = aligned_alloc(64, n * sizeof(float));
    float *b = aligned_alloc(64, n * sizeof(float));
    float *c = aligned_alloc(64, n * sizeof(float));
    double best = 0;
    if (a && b && c) {
        /* first touch by the same threads and schedule as the timed loop */
#pragma omp parallel for schedule(static) num_threads(threads)
        for (size_t i = 0; i < n; i++) {
            a[i] = 0.0f;
            b[i] = 1.0f;
            c[i] = 2.0f;
        }
        const float s = 0.5f;
        for (int p = 0; p < passes; p++) {
            const double t0 = ptc_now();
#pragma omp parallel for schedule(static) num_threads(threads)
            for (size_t i = 0; i < n; i++)
                a[i] = b[i] + s * c[i];
            const double dt = ptc_now() - t0;
            const double bytes = 3.0 * sizeof(float) * (double)n;
            if (dt > 0 && bytes / dt > best)
                best = bytes / dt;
        }
        peak_sink = a[n / 2];
    }
    free(a);
    free(b);
    free(c);
    return best * 1e-9;
}

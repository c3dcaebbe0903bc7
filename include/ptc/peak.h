/*
 * ptc/peak.h — measured machine ceilings: peak FP32 FMA rate and memory bandwidth
 * (kernels/peak.c; `ptc calibrate` records them, rows and estimates cite them).
 *
 * Peak FMA: per thread, 12 independent accumulator chains of vector FMAs
 * (acc = acc * a + b) in a loop that touches no memory; enough chains to cover
 * FMA latency x FMA ports on current x86 and Arm cores. One vector FMA on W
 * floats = 2W flops. Each figure is the BEST of many ~10 ms runs (a ceiling,
 * not a typical value; on a shared machine a run stretched by a descheduled
 * thread is thereby discarded). N threads run the same loop in an OpenMP parallel
 * region; the time is the wall time of the region, so the figure is the
 * aggregate rate.
 *
 * Bandwidth: the triad a[i] = b[i] + s * c[i] over three float arrays of
 * 256 MiB together (well past any L3 of today), counted as 3 * 4 bytes per
 * element (reads of b and c, write of a; write-allocate traffic not counted,
 * as in STREAM). Best of several passes; N threads split i statically.
 *
 * ISA-specific loops are compiled per function (target attributes) and only
 * called after ptc_cpu_features() says the CPU has the ISA: no file-wide ISA flags.
 */
#ifndef PTC_PEAK_H
#define PTC_PEAK_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Names accepted by ptc_peak_fma_gflops: "avx512", "avx2", "neon". */
/* Peak FP32 FMA rate in GFLOP/s with `isa` vectors on `threads` threads (>= 1),
 * measured for about `seconds` in total (0: 0.25 s; at least 5 runs of ~10 ms). Returns 0 when this build
 * or CPU has no such ISA. */
double ptc_peak_fma_gflops(const char *isa, int threads, double seconds);

/* The widest vector ISA this CPU and build support for the FMA peak ("avx512",
 * "avx2", "neon"), or NULL when none. */
const char *ptc_peak_best_isa(void);

/* Triad bandwidth in GB/s (1e9 bytes/s) on `threads` threads over arrays of
 * `total_bytes` together (0: 256 MiB), best of `passes` (0: 5). Returns 0 when
 * the arrays cannot be allocated. */
double ptc_peak_triad_gbps(int threads, size_t total_bytes, int passes);

#ifdef __cplusplus
}
#endif
#endif /* PTC_PEAK_H */

/*
 * ptc/cpu.h — CPU feature detection.
 *
 * x86-64: cpuid, and XGETBV for the register state the OS saves (YMM for AVX2,
 * opmask + ZMM for AVX-512). aarch64: Advanced SIMD is architectural.
 * Built without any ISA flags (kernels/cpu.c), so it runs on every CPU.
 */
#ifndef PTC_CPU_H
#define PTC_CPU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    PTC_CPU_AVX2     = 1u << 0, /* AVX2 with YMM state enabled by the OS */
    PTC_CPU_FMA      = 1u << 1, /* FMA3 */
    PTC_CPU_AVX512F  = 1u << 2, /* AVX-512 F with opmask/ZMM state enabled by the OS */
    PTC_CPU_AVX512DQ = 1u << 3,
    PTC_CPU_AVX512BW = 1u << 4,
    PTC_CPU_AVX512VL = 1u << 5,
    PTC_CPU_NEON     = 1u << 6, /* aarch64 Advanced SIMD */
};

/* Features of the running CPU, detected once. */
uint32_t ptc_cpu_features(void);

/* Data cache sizes in bytes, as one core sees them: its own L1d and L2, and the
 * L3 it shares (0: the CPU has none, or it could not be read). */
typedef struct ptc_cpu_caches {
    size_t l1d, l2, l3;
} ptc_cpu_caches;

/* The running CPU's caches: cpuid's deterministic cache parameters (leaf 4 on
 * Intel, 0x8000001D on AMD), else sysconf, else 32 KiB / 1 MiB / 8 MiB; unless
 * ptc_cpu_set_caches() has overridden them. sgemm sizes its blocks from these. */
ptc_cpu_caches ptc_cpu_cache_sizes(void);

/* Overrides what ptc_cpu_cache_sizes() returns (a field of 0 keeps the detected
 * value); NULL restores detection. For a harness that reads the topology another
 * way (hwloc) and for tests; call it before kernels run, not concurrently. */
void ptc_cpu_set_caches(const ptc_cpu_caches *caches);

/* How the CPU executes one 512-bit FMA: on two full-width units (Intel server
 * parts, AMD Zen 5), or as two 256-bit halves (AMD Zen 4); NONE without
 * AVX-512. A vendor/family rule, since no cpuid bit says it. */
typedef enum { PTC_FMA512_NONE, PTC_FMA512_SPLIT, PTC_FMA512_FULL } ptc_fma512_class;
ptc_fma512_class ptc_cpu_fma512_class(void);

/* Overrides what ptc_cpu_fma512_class() returns (the AVX-512 sgemm picks its tile
 * by it); NULL restores detection. For tests, which run both choices on any
 * AVX-512 CPU; call it before kernels run, not concurrently. */
void ptc_cpu_set_fma512_class(const ptc_fma512_class *cls);

/* Writes the names of the features in `mask`, space separated, into buf. */
void ptc_cpu_feature_string(uint32_t mask, char *buf, unsigned long len);

/* The hardware threads this process may run on (kernels/affinity.c): its CPU
 * affinity (taskset, a cgroup cpuset, a Slurm task) as the kernel reports it,
 * read once, at the first call, so that binding the calling thread afterwards
 * does not shrink it. The OS indices, ascending, in *os_index (static storage;
 * os_index may be NULL); returns their count (at least 1: the CPU count of the
 * machine if affinity is unknown). */
int ptc_cpus_allowed(const unsigned **os_index);
/* "0-3,8": a CPU list as taskset writes it; returns out. */
char *ptc_cpus_format(const unsigned *os_index, int n, char *out, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* PTC_CPU_H */

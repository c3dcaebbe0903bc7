/*
 * ptc/cpu.h — CPU feature detection.
 *
 * x86-64: cpuid, and XGETBV for the register state the OS saves (YMM for AVX2,
 * opmask + ZMM for AVX-512). aarch64: Advanced SIMD is architectural.
 * Built without any ISA flags (kernels/cpu.c), so it runs on every CPU.
 */
#ifndef PTC_CPU_H
#define PTC_CPU_H

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

/* Writes the names of the features in `mask`, space separated, into buf. */
void ptc_cpu_feature_string(uint32_t mask, char *buf, unsigned long len);

#ifdef __cplusplus
}
#endif
#endif /* PTC_CPU_H */

/*
 * kernels/cpu.c — CPU feature detection (contract in include/ptc/cpu.h).
 *
 * Compiled without ISA flags: it must run on any x86-64 or aarch64 CPU.
 * x86-64: a feature counts only when cpuid reports it AND the OS saves the
 * register state it needs (XCR0 via XGETBV): YMM for AVX2/FMA, opmask + ZMM
 * for AVX-512. aarch64: Advanced SIMD (NEON) is part of the base architecture.
 */
#include "ptc/cpu.h"

#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t read_xcr0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static uint32_t detect(void)
{
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid_count(1, 0, &eax, &ebx, &ecx, &edx))
        return 0;
    const int has_osxsave = (ecx >> 27) & 1;
    const int has_avx = (ecx >> 28) & 1;
    const int has_fma = (ecx >> 12) & 1;
    if (!has_osxsave || !has_avx)
        return 0;
    const uint64_t xcr0 = read_xcr0();
    const int ymm_state = (xcr0 & 0x6) == 0x6;     /* SSE + AVX state */
    const int zmm_state = (xcr0 & 0xe6) == 0xe6;   /* + opmask, ZMM_Hi256, Hi16_ZMM */
    if (!ymm_state)
        return 0;

    uint32_t f = 0;
    if (has_fma)
        f |= PTC_CPU_FMA;
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
        if ((ebx >> 5) & 1)
            f |= PTC_CPU_AVX2;
        if (zmm_state) {
            if ((ebx >> 16) & 1) f |= PTC_CPU_AVX512F;
            if ((ebx >> 17) & 1) f |= PTC_CPU_AVX512DQ;
            if ((ebx >> 30) & 1) f |= PTC_CPU_AVX512BW;
            if ((ebx >> 31) & 1) f |= PTC_CPU_AVX512VL;
        }
    }
    return f;
}
#elif defined(__aarch64__)
static uint32_t detect(void) { return PTC_CPU_NEON; }
#else
static uint32_t detect(void) { return 0; }
#endif

uint32_t ptc_cpu_features(void)
{
    /* detect() is pure and cheap; racing first calls compute the same value. */
    static volatile int done;
    static volatile uint32_t features;
    if (!done) {
        features = detect();
        done = 1;
    }
    return features;
}

void ptc_cpu_feature_string(uint32_t mask, char *buf, unsigned long len)
{
    static const struct { uint32_t bit; const char *name; } names[] = {
        {PTC_CPU_AVX2, "avx2"},         {PTC_CPU_FMA, "fma"},
        {PTC_CPU_AVX512F, "avx512f"},   {PTC_CPU_AVX512DQ, "avx512dq"},
        {PTC_CPU_AVX512BW, "avx512bw"}, {PTC_CPU_AVX512VL, "avx512vl"},
        {PTC_CPU_NEON, "neon"},
    };
    size_t used = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(mask & names[i].bit))
            continue;
        int w = snprintf(buf + used, len - used, "%s%s", used ? " " : "", names[i].name);
        if (w < 0 || (size_t)w >= len - used)
            break;
        used += (size_t)w;
    }
    if (used == 0)
        snprintf(buf, len, "(none)");
}

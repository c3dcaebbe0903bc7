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
#include <unistd.h>

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

/* cpuid's vendor string is "AuthenticAMD" / "GenuineIntel"; ebx holds its first 4 bytes */
static int vendor_is_amd(void)
{
    unsigned eax, ebx, ecx, edx;
    return __get_cpuid(0, &eax, &ebx, &ecx, &edx) && ebx == 0x68747541u; /* "Auth" */
}

/* Deterministic cache parameters (Intel leaf 4, AMD 0x8000001D: the same layout). */
static void detect_caches_cpuid(ptc_cpu_caches *out)
{
    unsigned eax, ebx, ecx, edx;
    unsigned leaf = 4;
    if (vendor_is_amd()) {
        if (!__get_cpuid(0x80000001u, &eax, &ebx, &ecx, &edx) || !((ecx >> 22) & 1))
            return; /* no topology extensions: no leaf 0x8000001D */
        leaf = 0x8000001Du;
    }
    const unsigned max_leaf = __get_cpuid_max(leaf & 0x80000000u, NULL);
    if (max_leaf < leaf)
        return;
    for (unsigned sub = 0; sub < 16; sub++) {
        __cpuid_count(leaf, sub, eax, ebx, ecx, edx);
        const unsigned type = eax & 0x1f; /* 0: no more, 1: data, 2: instruction, 3: unified */
        if (type == 0)
            break;
        if (type == 2)
            continue;
        const unsigned level = (eax >> 5) & 0x7;
        const size_t bytes = (size_t)((ebx >> 22) + 1) * (((ebx >> 12) & 0x3ff) + 1) *
                             ((ebx & 0xfff) + 1) * ((size_t)ecx + 1);
        if (level == 1)
            out->l1d = bytes;
        else if (level == 2)
            out->l2 = bytes;
        else if (level == 3)
            out->l3 = bytes;
    }
}

static ptc_fma512_class detect_fma512(void)
{
    if (!(ptc_cpu_features() & PTC_CPU_AVX512F))
        return PTC_FMA512_NONE;
    unsigned eax, ebx, ecx, edx;
    if (vendor_is_amd() && __get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        const unsigned family = ((eax >> 8) & 0xf) + ((eax >> 20) & 0xff);
        if (family == 0x19) /* Zen 4: each 512-bit op runs as two 256-bit halves */
            return PTC_FMA512_SPLIT;
    }
    return PTC_FMA512_FULL;
}
#elif defined(__aarch64__)
static uint32_t detect(void) { return PTC_CPU_NEON; }
static void detect_caches_cpuid(ptc_cpu_caches *out) { (void)out; }
static ptc_fma512_class detect_fma512(void) { return PTC_FMA512_NONE; }
#else
static uint32_t detect(void) { return 0; }
static void detect_caches_cpuid(ptc_cpu_caches *out) { (void)out; }
static ptc_fma512_class detect_fma512(void) { return PTC_FMA512_NONE; }
#endif

static size_t sysconf_size(int name)
{
    const long v = sysconf(name);
    return v > 0 ? (size_t)v : 0;
}

static ptc_cpu_caches detect_caches(void)
{
    ptc_cpu_caches c = {0, 0, 0};
    detect_caches_cpuid(&c);
#if defined(_SC_LEVEL1_DCACHE_SIZE)
    if (!c.l1d) c.l1d = sysconf_size(_SC_LEVEL1_DCACHE_SIZE);
    if (!c.l2) c.l2 = sysconf_size(_SC_LEVEL2_CACHE_SIZE);
    if (!c.l3) c.l3 = sysconf_size(_SC_LEVEL3_CACHE_SIZE);
#endif
    if (!c.l1d) c.l1d = 32u << 10;
    if (!c.l2) c.l2 = 1u << 20;
    if (!c.l3) c.l3 = 8u << 20;
    return c;
}

static ptc_cpu_caches cache_override;

ptc_cpu_caches ptc_cpu_cache_sizes(void)
{
    /* detection is pure; racing first calls compute the same value */
    static volatile int done;
    static ptc_cpu_caches detected;
    if (!done) {
        detected = detect_caches();
        done = 1;
    }
    ptc_cpu_caches c = detected;
    if (cache_override.l1d) c.l1d = cache_override.l1d;
    if (cache_override.l2) c.l2 = cache_override.l2;
    if (cache_override.l3) c.l3 = cache_override.l3;
    return c;
}

void ptc_cpu_set_caches(const ptc_cpu_caches *caches)
{
    if (caches)
        cache_override = *caches;
    else
        cache_override = (ptc_cpu_caches){0, 0, 0};
}

static int fma512_overridden;
static ptc_fma512_class fma512_override;

void ptc_cpu_set_fma512_class(const ptc_fma512_class *cls)
{
    fma512_overridden = cls != NULL;
    fma512_override = cls ? *cls : PTC_FMA512_NONE;
}

ptc_fma512_class ptc_cpu_fma512_class(void)
{
    if (fma512_overridden)
        return fma512_override;
    static volatile int done;
    static volatile ptc_fma512_class cls;
    if (!done) {
        cls = detect_fma512();
        done = 1;
    }
    return cls;
}

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

/*
 * kernels/sys.c — clock, peak resident set, FNV-1a (include/ptc/sys.h); at the bottom
 * of the library, so that kernels, variants, model and datasets can all use it.
 */
#include "ptc/sys.h"

#include <string.h>
#include <sys/resource.h>
#include <time.h>

double ptc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

size_t ptc_peak_rss(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (size_t)ru.ru_maxrss * 1024; /* Linux: KiB */
}

uint64_t ptc_fnv1a(const void *p, size_t n, uint64_t h)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t ptc_hash_string(const char *s)
{
    return ptc_fnv1a(s, strlen(s), PTC_FNV_OFFSET);
}

/*
 * ptc/sys.h — the small system pieces the library and its programs share, one
 * implementation each: a monotonic clock (every time ptc reports), the peak
 * resident set of the process (every memory figure), 64-bit FNV-1a hashing
 * (checkpoint and configuration identities). Implemented in kernels/sys.c.
 */
#ifndef PTC_SYS_H
#define PTC_SYS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Seconds of CLOCK_MONOTONIC. */
double ptc_now(void);
/* Peak resident set of this process in bytes (getrusage; 0 when unknown). */
size_t ptc_peak_rss(void);
/* 64-bit FNV-1a of n bytes, continuing from h (start: PTC_FNV_OFFSET). */
#define PTC_FNV_OFFSET 0xcbf29ce484222325ULL
uint64_t ptc_fnv1a(const void *p, size_t n, uint64_t h);
/* ptc_fnv1a of a string's bytes from PTC_FNV_OFFSET */
uint64_t ptc_hash_string(const char *s);

#ifdef __cplusplus
}
#endif
#endif /* PTC_SYS_H */

/*
 * harness/common/machine.h — what machine a result was measured on.
 *
 * CPU model, core and hardware-thread counts and cache sizes, from hwloc when the
 * build has it (PTC_WITH_HWLOC=1), else from /proc/cpuinfo and sysfs (cross
 * builds). Every result row and `ptc info` cite this.
 */
#ifndef PTC_HARNESS_MACHINE_H
#define PTC_HARNESS_MACHINE_H

#include <stddef.h>

typedef struct ptc_machine {
    char cpu_model[128];  /* "AMD EPYC 9R14", or "unknown" */
    unsigned packages;
    unsigned cores;       /* physical cores */
    unsigned pus;         /* hardware threads */
    size_t l1d_bytes;     /* per core; 0 = unknown */
    size_t l2_bytes;      /* per core (or per cluster) */
    size_t l3_bytes;      /* per L3 instance */
    const char *source;   /* "hwloc" or "procfs" */
} ptc_machine;

/* Fills m; returns 0, or -1 with a one-line reason in err when nothing could be read. */
int ptc_machine_describe(ptc_machine *m, char *err, size_t errlen);

/* Lower-case file-name-safe slug of the CPU model ("amd-epyc-9r14"). */
void ptc_machine_slug(const ptc_machine *m, char *out, size_t len);

#endif /* PTC_HARNESS_MACHINE_H */

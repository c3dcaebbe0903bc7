/*
 * harness/common/machine.h — what machine a result was measured on.
 *
 * CPU model, core and hardware-thread counts and cache sizes, from hwloc when the
 * build has it (PTC_WITH_HWLOC=1), else from /proc/cpuinfo and sysfs (cross
 * builds). Every result row and `ptc info` cite this.
 *
 * The slug names the folders results are written to (results/<slug>/,
 * results/kernels/<slug>/) and the calibration they are measured against
 * (results/<slug>/calibration.json). A virtual machine may show a generic model
 * name ("AMD EPYC" on Zen 3 and on Zen 4 alike), so on x86 the slug ends with the
 * CPUID family and model ("amd-epyc-f25-m1"): two CPUs of one name but different
 * cores never share a folder or a peak.
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
    int x86_family;       /* "cpu family" of /proc/cpuinfo (25 = AMD Zen 3/4); -1 = not x86 or unknown */
    int x86_model;        /* "model" of /proc/cpuinfo (1 = Zen 3 Milan, 17 = Zen 4 Genoa); -1 = unknown */
    const char *source;   /* "hwloc" or "procfs" */
} ptc_machine;

/* Fills m; returns 0, or -1 with a one-line reason in err when nothing could be read. */
int ptc_machine_describe(ptc_machine *m, char *err, size_t errlen);

/* Lower-case file-name-safe slug of the CPU model, then "-f<family>-m<model>" when
 * both are known (family > 0) ("amd-epyc-9r14-f25-m17"; "amd-epyc-9r14" without them). */
void ptc_machine_slug(const ptc_machine *m, char *out, size_t len);

#endif /* PTC_HARNESS_MACHINE_H */

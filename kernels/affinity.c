/*
 * kernels/affinity.c — the CPUs this process may use (contract: include/ptc/cpu.h):
 * its affinity as the kernel reports it (sched_getaffinity), read once; and a CPU
 * list in taskset's notation.
 */
#define _GNU_SOURCE
#include "ptc/cpu.h"

#include <sched.h>
#include <stdio.h>
#include <unistd.h>

enum { MAX_CPUS = 4096 };

int ptc_cpus_allowed(const unsigned **os_index)
{
    static unsigned cpus[MAX_CPUS];
    static int n = -1;
    if (n < 0) {
        cpu_set_t *set = CPU_ALLOC(MAX_CPUS);
        const size_t bytes = CPU_ALLOC_SIZE(MAX_CPUS);
        int count = 0;
        if (set && sched_getaffinity(0, bytes, set) == 0)
            for (unsigned c = 0; c < MAX_CPUS; c++)
                if (CPU_ISSET_S(c, bytes, set))
                    cpus[count++] = c;
        if (set)
            CPU_FREE(set);
        if (count == 0) { /* unknown: every online CPU */
            const long online = sysconf(_SC_NPROCESSORS_ONLN);
            for (long c = 0; c < (online < 1 ? 1 : online) && c < MAX_CPUS; c++)
                cpus[count++] = (unsigned)c;
        }
        n = count;
    }
    if (os_index)
        *os_index = cpus;
    return n;
}

char *ptc_cpus_format(const unsigned *os_index, int n, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && os_index[j + 1] == os_index[j] + 1)
            j++;
        const int w = j > i ? snprintf(out + used, len - used, "%s%u-%u", i ? "," : "", os_index[i], os_index[j])
                            : snprintf(out + used, len - used, "%s%u", i ? "," : "", os_index[i]);
        if (w < 0 || (size_t)w >= len - used)
            break;
        used += (size_t)w;
        i = j + 1;
    }
    return out;
}

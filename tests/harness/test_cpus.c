/*
 * tests/harness/test_cpus.c — the CPUs the process may use (include/ptc/cpu.h, kernels/affinity.c).
 *
 *   cpus_allowed   the list equals this process's affinity (sched_getaffinity),
 *                  ascending; it stays the same after the calling thread is bound
 *                  to one of them (read once)
 *   cpus_format    lists as taskset writes them: "0-3,8", "5", "1,3-4"
 * `taskset -c N ptc bench` binding to CPU N: scripts/test-robustness.sh.
 */
#define _GNU_SOURCE
#include "../ptc_test.h"
#include "ptc/cpu.h"

#include <sched.h>
#include <string.h>

PTC_TEST(cpus_allowed)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (!ptc_check(ctx, sched_getaffinity(0, sizeof set, &set) == 0, "sched_getaffinity"))
        return;
    const unsigned *cpus;
    const int n = ptc_cpus_allowed(&cpus);
    ptc_check(ctx, n == CPU_COUNT(&set), "%d allowed CPUs, affinity has %d", n, CPU_COUNT(&set));
    for (int i = 0; i < n; i++)
        ptc_check(ctx, CPU_ISSET(cpus[i], &set) && (i == 0 || cpus[i] > cpus[i - 1]),
                  "CPU %u (entry %d) allowed and ascending", cpus[i], i);
    /* bind this thread to the last one: the list does not shrink */
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpus[n - 1], &one);
    ptc_check(ctx, sched_setaffinity(0, sizeof one, &one) == 0, "bind");
    const unsigned *again;
    ptc_check(ctx, ptc_cpus_allowed(&again) == n && again == cpus, "the list is read once");
    sched_setaffinity(0, sizeof set, &set);
}

PTC_TEST(cpus_format)
{
    char out[64];
    static const unsigned a[] = {0, 1, 2, 3, 8}, b[] = {5}, c[] = {1, 3, 4};
    ptc_check(ctx, strcmp(ptc_cpus_format(a, 5, out, sizeof out), "0-3,8") == 0, "a: %s", out);
    ptc_check(ctx, strcmp(ptc_cpus_format(b, 1, out, sizeof out), "5") == 0, "b: %s", out);
    ptc_check(ctx, strcmp(ptc_cpus_format(c, 3, out, sizeof out), "1,3-4") == 0, "c: %s", out);
    ptc_check(ctx, strcmp(ptc_cpus_format(c, 0, out, sizeof out), "") == 0, "empty: %s", out);
}

/*
 * harness/common/cpus.h — the hardware threads this process may run on: its CPU
 * affinity (taskset, a cgroup cpuset, a Slurm task) as the kernel reports it
 * (sched_getaffinity), read once, at the first call, so that binding the calling
 * thread afterwards does not shrink it. Thread counts are checked against it,
 * and `ptc bench` binds its threads to these CPUs only.
 */
#ifndef PTC_HARNESS_CPUS_H
#define PTC_HARNESS_CPUS_H

#include <stddef.h>

/* The allowed CPUs' OS indices, ascending, in *os_index (static storage); returns
 * their count (at least 1: the CPU count of the machine if affinity is unknown). */
int ptc_cpus_allowed(const unsigned **os_index);
/* "0-3,8": a CPU list as taskset writes it; returns out. */
char *ptc_cpus_format(const unsigned *os_index, int n, char *out, size_t len);

#endif /* PTC_HARNESS_CPUS_H */

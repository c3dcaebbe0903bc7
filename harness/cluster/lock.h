/*
 * harness/cluster/lock.h — one writer per run folder.
 *
 * A process that writes a run folder (ptc bench, ptc experiment, ptc merge --out)
 * holds an exclusive flock(2) on DIR/.lock for as long as it writes; the file holds
 * the holder's pid and host for the message. A second writer is refused at once
 * with one line ("DIR is in use by pid 123 on host h (DIR/.lock); ..."), never
 * queued. The kernel drops the lock when the holder exits however it exits (a
 * SIGKILL'ed or requeued Slurm task included), so a stale lock cannot exist. The
 * descriptor is close-on-exec: programs the holder execs do not hold it; children
 * it forks without exec do, until they exit. flock works across NFS clients on
 * Linux >= 2.6.12 (it is emulated with POSIX byte-range locks there).
 */
#ifndef PTC_HARNESS_CLUSTER_LOCK_H
#define PTC_HARNESS_CLUSTER_LOCK_H

#include <stddef.h>

/* Takes the lock of DIR (which must exist). Returns the lock's descriptor (>= 0;
 * keep it open while writing), or -1 with a one-line reason in err. */
int ptc_run_lock(const char *dir, char *err, size_t err_len);

/* Releases a lock taken by ptc_run_lock (fd < 0: nothing). */
void ptc_run_unlock(int fd);

/* Whether some process holds DIR's lock now: 1 held (holder's "pid P on host H" in
 * who, when given), 0 free or never taken. */
int ptc_run_lock_held(const char *dir, char *who, size_t who_len);

#endif /* PTC_HARNESS_CLUSTER_LOCK_H */

/*
 * harness/cluster/lock.c — flock(2) on DIR/.lock: one writer per run folder
 * (contract in lock.h).
 */
#define _GNU_SOURCE
#include "cluster/lock.h"

#include <stdbool.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static void lock_path(const char *dir, char *out, size_t len)
{
    snprintf(out, len, "%s/.lock", dir);
}

/* The holder's "pid P on host H" as written in the lock file, or "another process". */
static void read_holder(int fd, char *who, size_t who_len)
{
    char buf[256];
    const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    snprintf(who, who_len, "%s", buf[0] ? buf : "another process");
}

/* Whether the lock's note names a process of this host that no longer exists: the
 * holder was killed and what still holds the lock is a child of it that is exiting
 * (bench's group workers and experiment's children die with their parent, but the
 * kernel takes a moment to close their descriptors after the parent is gone). */
static bool holder_is_gone(int fd)
{
    char who[256], host[128] = "", me[128] = "?";
    long pid = 0;
    read_holder(fd, who, sizeof who);
    if (sscanf(who, "pid %ld on host %127s", &pid, host) != 2 || pid <= 0)
        return false;
    gethostname(me, sizeof me - 1);
    return strcmp(host, me) == 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* flock(LOCK_EX | LOCK_NB), retried for up to 5 s while the holder named in the note is
 * gone (its exiting children still hold the lock); 0 or -1 with errno. */
static int lock_now_or_after_dead_holder(int fd)
{
    for (int tries = 0;; tries++) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return 0;
        if (errno != EWOULDBLOCK)
            return -1;
        if (tries >= 500 || !holder_is_gone(fd)) {
            errno = EWOULDBLOCK;
            return -1;
        }
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    }
}

int ptc_run_lock(const char *dir, char *err, size_t err_len)
{
    char path[4200];
    lock_path(dir, path, sizeof path);
    const int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, err_len, "cannot open the lock %s: %s", path, strerror(errno));
        return -1;
    }
    if (lock_now_or_after_dead_holder(fd) != 0) {
        const int e = errno;
        char who[256];
        read_holder(fd, who, sizeof who);
        close(fd);
        if (e == EWOULDBLOCK)
            snprintf(err, err_len, "%s is in use by %s (lock %s); wait for it or use another folder",
                     dir, who, path);
        else
            snprintf(err, err_len, "cannot lock %s: %s", path, strerror(e));
        return -1;
    }
    char host[128] = "?";
    gethostname(host, sizeof host - 1);
    char line[256];
    const int n = snprintf(line, sizeof line, "pid %ld on host %s\n", (long)getpid(), host);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != n) {
        /* the lock holds without its note; the message then says "another process" */
    }
    return fd;
}

void ptc_run_unlock(int fd)
{
    if (fd >= 0) {
        flock(fd, LOCK_UN);
        close(fd);
    }
}

int ptc_run_lock_held(const char *dir, char *who, size_t who_len)
{
    char path[4200];
    lock_path(dir, path, sizeof path);
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int held = 0;
    if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
        held = errno == EWOULDBLOCK;
        if (held && who)
            read_holder(fd, who, who_len);
    } else {
        flock(fd, LOCK_UN);
    }
    close(fd);
    return held;
}

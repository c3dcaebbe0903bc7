/*
 * harness/common/sys.c — mkdir -p, path exists, load averages, git commit (harness/common/sys.h).
 */
#include "common/sys.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void ptc_load_averages(double v[3])
{
    v[0] = v[1] = v[2] = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &v[0], &v[1], &v[2]) != 3)
            v[0] = v[1] = v[2] = -1;
        fclose(f);
    }
}

bool ptc_path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int ptc_mkdir_p(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

void ptc_git_describe(char *commit, size_t len, bool *dirty)
{
    char self[PATH_MAX] = ".";
    const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash)
            *slash = '\0';
    }
    char cmd[PATH_MAX + 96], line[128] = "";
    snprintf(cmd, sizeof cmd, "git -C '%s' describe --always --dirty --abbrev=12 2>/dev/null", self);
    snprintf(commit, len, "unknown");
    if (dirty)
        *dirty = false;
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    if (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *d = strstr(line, "-dirty");
        if (d && d[6] == '\0') {
            if (dirty)
                *dirty = true;
            *d = '\0';
        }
        if (line[0])
            snprintf(commit, len, "%s", line);
    }
    pclose(p);
}

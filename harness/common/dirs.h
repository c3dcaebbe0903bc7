/*
 * harness/common/dirs.h — creating output folders.
 *
 * ptc_make_dirs(path): mkdir -p: creates path and every missing parent (mode
 * 0777 less the umask). 0 when path exists as a folder afterwards; -1 with errno
 * set otherwise (a parent that is a file: ENOTDIR; a path too long: ENAMETOOLONG).
 */
#ifndef PTC_HARNESS_DIRS_H
#define PTC_HARNESS_DIRS_H

int ptc_make_dirs(const char *path);

#endif /* PTC_HARNESS_DIRS_H */

/*
 * tests/test_dirs.h — scratch folders of the core tests (ptc_tests): made empty, removed after.
 */
#ifndef PTC_TEST_DIRS_H
#define PTC_TEST_DIRS_H

#include <stddef.h>

/* out = $TMPDIR (or /tmp)/ptc-<prefix>-<pid>-<name>, removed if present, then created
 * empty (a failure is printed; the test's own checks then fail on the folder) */
void test_fresh_dir(char *out, size_t len, const char *prefix, const char *name);
/* rm -rf dir (a failure is printed) */
void test_remove_dir(const char *dir);

#endif

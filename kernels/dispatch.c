/*
 * kernels/dispatch.c — choosing the ops table once per process.
 *
 * The tables this build contains are listed best first. The active table is
 * PTC_ISA=<name> when that variable is set (an unknown name, or one the CPU
 * cannot run, is an error: never a silent fallback, so no result can carry the
 * wrong ISA label), otherwise the first supported table. Resolved once under
 * pthread_once. A command's --isa NAME picks a table by name with the same rule
 * (ptc_ops_select). Built without ISA flags.
 */
#include "ptc/ops.h"
#include "ptc/cpu.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const ptc_ops ptc_ops_ref;
#if defined(__x86_64__)
extern const ptc_ops ptc_ops_avx512;
extern const ptc_ops ptc_ops_avx2;
#elif defined(__aarch64__)
extern const ptc_ops ptc_ops_neon;
#endif

static const ptc_ops *const tables[] = {
#if defined(__x86_64__)
    &ptc_ops_avx512,
    &ptc_ops_avx2,
#elif defined(__aarch64__)
    &ptc_ops_neon,
#endif
    &ptc_ops_ref,
};
enum { table_count = sizeof tables / sizeof tables[0] };

const ptc_ops *const *ptc_ops_all(size_t *count)
{
    *count = table_count;
    return tables;
}

const ptc_ops *ptc_ops_find(const char *name)
{
    for (size_t i = 0; i < table_count; i++)
        if (strcmp(tables[i]->name, name) == 0)
            return tables[i];
    return NULL;
}

int ptc_ops_supported(const ptc_ops *ops)
{
    const uint32_t need = ops->required_features;
    return (ptc_cpu_features() & need) == need;
}

/* The table `name` if this build has it and the CPU runs it; else NULL with a
 * one-line reason that starts with `what` ("PTC_ISA=avx512", "--isa avx512"). */
static const ptc_ops *find_runnable(const char *name, const char *what, char *err, size_t err_len)
{
    const ptc_ops *ops = ptc_ops_find(name);
    if (!ops) {
        char names[128] = "";
        for (size_t i = 0; i < table_count; i++) {
            strncat(names, i ? ", " : "", sizeof names - strlen(names) - 1);
            strncat(names, tables[i]->name, sizeof names - strlen(names) - 1);
        }
        snprintf(err, err_len, "%s: this build has no such table (it has: %s)", what, names);
        return NULL;
    }
    if (!ptc_ops_supported(ops)) {
        char missing[96];
        ptc_cpu_feature_string(ops->required_features & ~ptc_cpu_features(), missing,
                               sizeof missing);
        snprintf(err, err_len, "%s: this CPU lacks %s", what, missing);
        return NULL;
    }
    return ops;
}

static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;
static const ptc_ops *active;
static char error_line[256];

static void resolve(void)
{
    const char *forced = getenv("PTC_ISA");
    if (forced && *forced) {
        char what[96];
        snprintf(what, sizeof what, "PTC_ISA=%.80s", forced);
        active = find_runnable(forced, what, error_line, sizeof error_line);
        return;
    }
    for (size_t i = 0; i < table_count; i++) {
        if (ptc_ops_supported(tables[i])) {
            active = tables[i];
            return;
        }
    }
    snprintf(error_line, sizeof error_line, "no ops table can run on this CPU");
}

const ptc_ops *ptc_ops_select(const char *name, char *err, size_t err_len)
{
    if (!name || !*name || strcmp(name, "best") == 0) {
        const ptc_ops *ops = ptc_ops_active();
        if (!ops)
            snprintf(err, err_len, "%s", ptc_ops_error());
        return ops;
    }
    char what[96];
    snprintf(what, sizeof what, "--isa %.80s", name);
    return find_runnable(name, what, err, err_len);
}

const ptc_ops *ptc_ops_active(void)
{
    pthread_once(&resolve_once, resolve);
    return active;
}

const char *ptc_ops_error(void)
{
    pthread_once(&resolve_once, resolve);
    return active ? NULL : error_line;
}

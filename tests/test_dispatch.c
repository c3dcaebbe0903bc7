/*
 * tests/test_dispatch.c — CPU detection and ops-table dispatch.
 *
 * The active table must be the forced one when PTC_ISA is set, and otherwise the
 * first supported table in priority order; every table must fill every entry.
 */
#include "ptc_test.h"
#include "ptc/cpu.h"

#include <stdlib.h>
#include <string.h>

PTC_TEST(dispatch_active_is_forced_or_best)
{
    const ptc_ops *active = ptc_ops_active();
    const char *forced = getenv("PTC_ISA");
    if (!ptc_check(ctx, active != NULL, "no active table: %s", ptc_ops_error()))
        return;
    if (forced && *forced) {
        ptc_check(ctx, strcmp(active->name, forced) == 0,
                  "PTC_ISA=%s but the active table is %s", forced, active->name);
        return;
    }
    size_t n;
    const ptc_ops *const *tables = ptc_ops_all(&n);
    const ptc_ops *best = NULL;
    for (size_t i = 0; i < n && !best; i++)
        if (ptc_ops_supported(tables[i]))
            best = tables[i];
    ptc_check(ctx, active == best, "active table %s is not the best supported %s",
              active->name, best ? best->name : "(none)");
}

PTC_TEST(dispatch_ref_is_last_and_always_supported)
{
    size_t n;
    const ptc_ops *const *tables = ptc_ops_all(&n);
    ptc_check(ctx, n >= 1 && strcmp(tables[n - 1]->name, "ref") == 0,
              "ref must be the last (fallback) table");
    ptc_check(ctx, ptc_ops_supported(ptc_ops_find("ref")), "ref must run everywhere");
    ptc_check(ctx, ptc_ops_find("no-such-isa") == NULL, "unknown names must not resolve");
}

PTC_TEST(dispatch_tables_complete)
{
    size_t n;
    const ptc_ops *const *tables = ptc_ops_all(&n);
    for (size_t i = 0; i < n; i++) {
        const ptc_ops *t = tables[i];
        /* every member after the three header fields is a function pointer */
        const size_t first = offsetof(ptc_ops, sgemm);
        const size_t count = (sizeof(ptc_ops) - first) / sizeof(void (*)(void));
        for (size_t f = 0; f < count; f++) {
            void (*fn)(void);
            memcpy(&fn, (const char *)t + first + f * sizeof fn, sizeof fn);
            ptc_check(ctx, fn != NULL, "table %s: entry %zu is NULL", t->name, f);
        }
        ptc_check(ctx, t->vector_floats >= 1 && t->vector_floats <= 64,
                  "table %s: vector_floats %u", t->name, t->vector_floats);
    }
}

PTC_TEST(cpu_features_consistent)
{
    const uint32_t f = ptc_cpu_features();
    char names[128];
    ptc_cpu_feature_string(f, names, sizeof names);
    ptc_check(ctx, strlen(names) > 0, "feature string empty");
    /* AVX-512 parts are only reported together with the state check, and VL/BW/DQ imply F */
    if (f & (PTC_CPU_AVX512DQ | PTC_CPU_AVX512BW | PTC_CPU_AVX512VL))
        ptc_check(ctx, f & PTC_CPU_AVX512F, "AVX-512 subsets without F: %s", names);
#if defined(__aarch64__)
    ptc_check(ctx, f & PTC_CPU_NEON, "aarch64 without NEON");
#endif
}

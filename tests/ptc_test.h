/*
 * tests/ptc_test.h — the test framework of ptc_tests.
 *
 * A test is a function registered at load time (constructor), so each test file
 * stands alone. Two kinds:
 *   PTC_TEST(name)         runs once;
 *   PTC_KERNEL_TEST(name)  runs once per ops table under test, with ctx->ops the
 *                          table and ctx->ref the ref table (for ref itself the
 *                          test compares against its own double-precision oracle).
 * Checks record a failure with the table, the op, the shape, the index and the
 * seed, and the test goes on; the run prints "N passed, N failed" and exits
 * non-zero on any failure.
 *
 * Buffers from ptc_test_alloc() sit between guard zones and may be deliberately
 * misaligned; ptc_test_free() verifies the guards (writes past either end fail
 * the test).
 */
#ifndef PTC_TEST_H
#define PTC_TEST_H

#include "ptc/ops.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ptc_test_ctx {
    const ptc_ops *ops;   /* table under test (NULL for PTC_TEST) */
    const ptc_ops *ref;   /* the ref table */
    bool quick;           /* small shapes only (sanitizers, emulators) */
    uint64_t seed;        /* base seed; tests derive theirs from it */
    const char *test_name;
    int failures;         /* checks failed so far in this test */
} ptc_test_ctx;

typedef void (*ptc_test_fn)(ptc_test_ctx *ctx);
void ptc_test_register(const char *name, ptc_test_fn fn, bool per_table);

#define PTC_TEST_REGISTER_(name, per_table)                                         \
    static void name(ptc_test_ctx *ctx);                                            \
    __attribute__((constructor)) static void name##_register(void)                  \
    {                                                                               \
        ptc_test_register(#name, name, per_table);                                  \
    }                                                                               \
    static void name(ptc_test_ctx *ctx)
#define PTC_TEST(name) PTC_TEST_REGISTER_(name, false)
#define PTC_KERNEL_TEST(name) PTC_TEST_REGISTER_(name, true)

/* ---- checks: each returns true on success, and on failure prints one line
 * "FAIL <table> <what>: ..." and counts it. `what` names the op and shape. */
__attribute__((format(printf, 3, 4)))
bool ptc_check(ptc_test_ctx *ctx, bool ok, const char *fmt, ...);
/* every |got[i] - want[i]| <= atol + rtol*|want[i]|; NaN only where want is NaN,
 * infinities must match exactly. */
bool ptc_check_close(ptc_test_ctx *ctx, const char *what, const float *got,
                     const float *want, size_t n, float atol, float rtol);
/* same for a (rows, cols) matrix with leading dimensions */
bool ptc_check_close_2d(ptc_test_ctx *ctx, const char *what, const float *got, size_t ldg,
                        const float *want, size_t ldw, size_t rows, size_t cols,
                        float atol, float rtol);
/* normalized mean squared error sum (got-want)^2 / max(sum want^2, tiny) <= bound */
bool ptc_check_nmse(ptc_test_ctx *ctx, const char *what, const float *got,
                    const float *want, size_t n, double bound);
bool ptc_check_equal_i32(ptc_test_ctx *ctx, const char *what, const int32_t *got,
                         const int32_t *want, size_t n);

/* ---- data ---------------------------------------------------------------------- */
typedef struct ptc_rng { uint64_t state; } ptc_rng;
ptc_rng ptc_rng_seeded(uint64_t seed);
uint64_t ptc_rng_next(ptc_rng *rng);
float ptc_rng_uniform(ptc_rng *rng, float lo, float hi);
void ptc_rng_fill(ptc_rng *rng, float *x, size_t n, float lo, float hi);

/* n floats, filled with NaN, `misalign_floats` past a 64-byte boundary, with guard
 * zones on both sides. */
float *ptc_test_alloc(size_t n, size_t misalign_floats);
/* n int32 values between guard zones */
int32_t *ptc_test_alloc_i32(size_t n);
/* frees a buffer from ptc_test_alloc*; a damaged guard fails the current test */
void ptc_test_free(ptc_test_ctx *ctx, void *p);

#endif /* PTC_TEST_H */

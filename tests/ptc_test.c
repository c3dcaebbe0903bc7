/*
 * tests/ptc_test.c — runner and helpers for ptc_tests (contract in ptc_test.h).
 *
 *   ptc_tests [--isa NAME]... [--quick] [--filter SUBSTRING] [--seed N] [--list]
 *
 * Without --isa, every table of this build that the CPU supports is tested, and
 * each one it cannot run is reported as not run. Naming an ISA the CPU lacks is
 * an error (exit 2). PTC_ISA, when set, must equal the active table (checked by a
 * test). Prints one "ok"/"FAIL" line per test and table, then "N passed, N failed".
 */
#include "ptc_test.h"
#include "ptc/cpu.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { max_tests = 512, guard_bytes = 256 };
static const unsigned char guard_byte = 0xA5;

static struct { const char *name; ptc_test_fn fn; bool per_table; } registry[max_tests];
static int registry_count;
static ptc_test_ctx *current;

void ptc_test_register(const char *name, ptc_test_fn fn, bool per_table)
{
    if (registry_count == max_tests) {
        fprintf(stderr, "ptc_tests: more than %d tests\n", max_tests);
        exit(2);
    }
    registry[registry_count].name = name;
    registry[registry_count].fn = fn;
    registry[registry_count].per_table = per_table;
    registry_count++;
}

static const char *table_name(const ptc_test_ctx *ctx)
{
    return ctx->ops ? ctx->ops->name : "-";
}

bool ptc_check(ptc_test_ctx *ctx, bool ok, const char *fmt, ...)
{
    if (ok)
        return true;
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL %s %s: ", table_name(ctx), ctx->test_name);
    vprintf(fmt, ap);
    printf(" (seed %llu)\n", (unsigned long long)ctx->seed);
    va_end(ap);
    ctx->failures++;
    return false;
}

static bool close_enough(float got, float want, float atol, float rtol)
{
    if (isnan(want))
        return isnan(got);
    if (isinf(want))
        return got == want;
    if (!isfinite(got))
        return false;
    return fabsf(got - want) <= atol + rtol * fabsf(want);
}

bool ptc_check_close_2d(ptc_test_ctx *ctx, const char *what, const float *got, size_t ldg,
                        const float *want, size_t ldw, size_t rows, size_t cols,
                        float atol, float rtol)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) {
            const float g = got[r * ldg + c], w = want[r * ldw + c];
            if (!close_enough(g, w, atol, rtol))
                return ptc_check(ctx, false, "%s: at (%zu, %zu) got %.9g want %.9g "
                                 "(atol %g rtol %g)", what, r, c, g, w, atol, rtol);
        }
    return true;
}

bool ptc_check_close(ptc_test_ctx *ctx, const char *what, const float *got,
                     const float *want, size_t n, float atol, float rtol)
{
    for (size_t i = 0; i < n; i++)
        if (!close_enough(got[i], want[i], atol, rtol))
            return ptc_check(ctx, false, "%s: at [%zu] got %.9g want %.9g (atol %g rtol %g)",
                             what, i, got[i], want[i], atol, rtol);
    return true;
}

bool ptc_check_nmse(ptc_test_ctx *ctx, const char *what, const float *got,
                    const float *want, size_t n, double bound)
{
    double err = 0.0, norm = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(got[i]))
            return ptc_check(ctx, false, "%s: non-finite %g at [%zu]", what, got[i], i);
        const double e = (double)got[i] - (double)want[i];
        err += e * e;
        norm += (double)want[i] * want[i];
    }
    const double nmse = err / (norm > 1e-30 ? norm : 1e-30);
    return ptc_check(ctx, nmse <= bound, "%s: NMSE %.3g > %.3g", what, nmse, bound);
}

bool ptc_check_equal_i32(ptc_test_ctx *ctx, const char *what, const int32_t *got,
                         const int32_t *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i])
            return ptc_check(ctx, false, "%s: at [%zu] got %d want %d", what, i,
                             (int)got[i], (int)want[i]);
    return true;
}

/* ---- data ---------------------------------------------------------------------- */
ptc_rng ptc_rng_seeded(uint64_t seed)
{
    ptc_rng rng = {seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull};
    return rng;
}

uint64_t ptc_rng_next(ptc_rng *rng) /* splitmix64 */
{
    uint64_t z = (rng->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

float ptc_rng_uniform(ptc_rng *rng, float lo, float hi)
{
    const float unit = (float)(ptc_rng_next(rng) >> 40) * (1.0f / 16777216.0f);
    return lo + (hi - lo) * unit;
}

void ptc_rng_fill(ptc_rng *rng, float *x, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = ptc_rng_uniform(rng, lo, hi);
}

/* layout: [size_t bytes][pad to 64][guard][payload (misaligned)][guard] */
typedef struct { size_t payload_bytes; size_t offset; } alloc_header;

static void *guarded_alloc(size_t payload_bytes, size_t misalign_bytes)
{
    const size_t head = 64 + guard_bytes + misalign_bytes;
    unsigned char *base = aligned_alloc(64, ((head + payload_bytes + guard_bytes + 63) / 64) * 64);
    if (!base) {
        fprintf(stderr, "ptc_tests: out of memory\n");
        exit(2);
    }
    unsigned char *payload = base + head;
    alloc_header h = {payload_bytes, head};
    memcpy(payload - guard_bytes - sizeof h, &h, sizeof h);
    memset(payload - guard_bytes, guard_byte, guard_bytes);
    memset(payload + payload_bytes, guard_byte, guard_bytes);
    return payload;
}

float *ptc_test_alloc(size_t n, size_t misalign_floats)
{
    float *x = guarded_alloc(n * sizeof(float), (misalign_floats % 16) * sizeof(float));
    for (size_t i = 0; i < n; i++)
        x[i] = NAN;
    return x;
}

int32_t *ptc_test_alloc_i32(size_t n)
{
    int32_t *x = guarded_alloc(n * sizeof(int32_t), 0);
    memset(x, 0, n * sizeof(int32_t));
    return x;
}

void ptc_test_free(ptc_test_ctx *ctx, void *p)
{
    if (!p)
        return;
    unsigned char *payload = p;
    alloc_header h;
    memcpy(&h, payload - guard_bytes - sizeof h, sizeof h);
    for (size_t i = 0; i < guard_bytes; i++) {
        if (payload[-1 - (ptrdiff_t)i] != guard_byte) {
            ptc_check(ctx ? ctx : current, false, "write %zu bytes before a buffer", i + 1);
            break;
        }
    }
    for (size_t i = 0; i < guard_bytes; i++) {
        if (payload[h.payload_bytes + i] != guard_byte) {
            ptc_check(ctx ? ctx : current, false, "write %zu bytes past the end of a buffer", i + 1);
            break;
        }
    }
    free(payload - h.offset);
}

/* ---- runner ---------------------------------------------------------------------- */
static int run_one(const char *name, ptc_test_fn fn, const ptc_ops *ops, bool quick,
                   uint64_t seed)
{
    ptc_test_ctx ctx = {ops, ptc_ops_find("ref"), quick, seed, name, 0};
    current = &ctx;
    fn(&ctx);
    current = NULL;
    printf("%s %s %s\n", ctx.failures ? "FAIL" : "ok", ops ? ops->name : "-", name);
    fflush(stdout);
    return ctx.failures == 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: ptc_tests [--isa NAME]... [--quick] [--filter SUBSTRING] "
                    "[--seed N] [--list]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const ptc_ops *selected[16];
    size_t n_selected = 0;
    bool quick = false, list = false;
    const char *filter = NULL;
    uint64_t seed = 20231;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--isa") == 0 && i + 1 < argc) {
            const ptc_ops *ops = ptc_ops_find(argv[++i]);
            if (!ops) {
                fprintf(stderr, "ptc_tests: this build has no table named '%s'\n", argv[i]);
                return 2;
            }
            if (!ptc_ops_supported(ops)) {
                char missing[96];
                ptc_cpu_feature_string(ops->required_features & ~ptc_cpu_features(),
                                       missing, sizeof missing);
                fprintf(stderr, "ptc_tests: cannot run table '%s': this CPU lacks %s\n",
                        ops->name, missing);
                return 2;
            }
            if (n_selected < 16)
                selected[n_selected++] = ops;
        } else if (strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc) {
            filter = argv[++i];
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--list") == 0) {
            list = true;
        } else {
            usage();
        }
    }

    size_t n_tables;
    const ptc_ops *const *tables = ptc_ops_all(&n_tables);
    if (n_selected == 0) {
        for (size_t t = 0; t < n_tables; t++) {
            if (ptc_ops_supported(tables[t])) {
                selected[n_selected++] = tables[t];
            } else {
                char missing[96];
                ptc_cpu_feature_string(tables[t]->required_features & ~ptc_cpu_features(),
                                       missing, sizeof missing);
                printf("# table %s: not run natively (CPU lacks %s)\n", tables[t]->name,
                       missing);
            }
        }
    }

    if (list) {
        for (int i = 0; i < registry_count; i++)
            printf("%s%s\n", registry[i].name, registry[i].per_table ? " (per table)" : "");
        return 0;
    }

    printf("# ptc_tests: tables");
    for (size_t t = 0; t < n_selected; t++)
        printf(" %s", selected[t]->name);
    printf("%s, seed %llu\n", quick ? " (quick)" : "", (unsigned long long)seed);

    int passed = 0, failed = 0;
    for (int i = 0; i < registry_count; i++) {
        if (filter && !strstr(registry[i].name, filter))
            continue;
        if (!registry[i].per_table) {
            run_one(registry[i].name, registry[i].fn, NULL, quick, seed) ? passed++ : failed++;
            continue;
        }
        for (size_t t = 0; t < n_selected; t++)
            run_one(registry[i].name, registry[i].fn, selected[t], quick, seed) ? passed++
                                                                                 : failed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

/*
 * variants/common.c — helpers every variants/ source uses: the checks of a
 * batch's tokens and of the head split, the linear projection y = x W^T + b on
 * the ops table and its backward, the accounting (FLOP total, pooling of layer
 * statistics), the clock of the per-op time, and the counter-based noise of training (hash, dropout).
 * Depends on nothing else in variants/. Contracts: include/ptc/variants.h and
 * variants/internal.h.
 */
#include "internal.h"
#include "ptc/sys.h"

#include <omp.h>
#include <string.h>

int ptc_tokens_check(const ptc_tokens *tok, char *err, size_t err_len)
{
    if (!tok)
        return ptc_fail(err, err_len, "tokens: NULL");
    if (tok->batch == 0)
        return ptc_fail(err, err_len, "tokens: batch must be >= 1");
    if (tok->pad_mode != PTC_PAD_LENGTH_AWARE && tok->pad_mode != PTC_PAD_PADDED)
        return ptc_fail(err, err_len, "tokens: pad mode %d unknown", (int)tok->pad_mode);
    if (ptc_tok_rows(tok) > INT32_MAX)
        return ptc_fail(err, err_len, "tokens: %zu rows per sample exceed int32", ptc_tok_rows(tok));
    for (size_t b = 0; b < tok->batch; b++) {
        if (tok->lengths && (tok->lengths[b] < 0 || (size_t)tok->lengths[b] > tok->n_text))
            return ptc_fail(err, err_len, "tokens: length %d of sample %zu outside [0, n_text = %zu]",
                            (int)tok->lengths[b], b, tok->n_text);
        if (ptc_tok_active(tok, b) == 0)
            return ptc_fail(err, err_len, "tokens: sample %zu has no token (length 0, no "
                            "combination tokens)", b);
    }
    return PTC_OK;
}

int ptc_heads_check(size_t hidden, size_t n_heads, char *err, size_t err_len)
{
    if (hidden == 0 || n_heads == 0)
        return ptc_fail(err, err_len, "hidden = %zu and n_heads = %zu must be >= 1", hidden, n_heads);
    if (hidden % n_heads != 0)
        return ptc_fail(err, err_len, "head size: n_heads = %zu does not divide hidden = %zu",
                        n_heads, hidden);
    return PTC_OK;
}

void ptc_linear(const ptc_ops *ops, size_t rows, size_t in, size_t out,
                const float *x, size_t ldx, const float *w, const float *b,
                float *y, size_t ldy)
{
    /* the bias enters in the GEMM's first store of each tile (ops->linear) */
    ops->linear(rows, in, out, x, ldx, w, b, PTC_ACT_NONE, y, ldy);
}

/* ---- row-wise ops over threads ----------------------------------------------------
 * The ops table's row-wise kernels are single-threaded (include/ptc/ops.h); these
 * split their rows into one contiguous range per thread. Each output row depends on
 * its own input row alone and every element of a row goes through the same vector
 * code wherever the range starts (the SIMD tables' tails use the same function,
 * masked), so the results are those of one call, bit for bit, for any thread count. */

/* At least this many floats per thread (below it, waking a thread costs more). 8k:
 * the training step at hidden 128 (its per-sample runs are 256 x 128 = 32k floats)
 * on 2 threads, Zen 3, 3 alternated runs: norm 13.1-14.7 -> 9.3-11.7 ms and the
 * uncategorized rest (dropout among it) 24.7-27.0 -> 20.4-23.8 ms per step against
 * 32k per thread. */
enum { ROWS_MIN_FLOATS_PER_THREAD = 1 << 13 };

typedef void (*rows_fn)(const void *ctx, size_t r0, size_t r1);

/* fn(ctx, r0, r1) over [0, rows) in per-thread ranges; on the calling thread alone
 * inside a parallel region or when the work is small */
static void rows_parallel(size_t rows, size_t cols, rows_fn fn, const void *ctx)
{
    int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
    while (threads > 1 && (rows < (size_t)threads ||
                           rows * cols / (size_t)threads < ROWS_MIN_FLOATS_PER_THREAD))
        threads--;
    if (threads <= 1) {
        fn(ctx, 0, rows);
        return;
    }
#pragma omp parallel num_threads(threads)
    {
        const size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
        fn(ctx, rows * t / nt, rows * (t + 1) / nt);
    }
}

typedef struct gelu_job {
    const ptc_ops *ops;
    size_t cols;
    const float *x;
    float *out;
} gelu_job;

static void gelu_fwd_range(const void *ctx, size_t r0, size_t r1)
{
    const gelu_job *j = ctx;
    j->ops->gelu_fwd((r1 - r0) * j->cols, j->x + r0 * j->cols, j->out + r0 * j->cols);
}

void ptc_gelu_rows(const ptc_ops *ops, size_t rows, size_t cols, const float *x, float *y)
{
    const gelu_job j = {.ops = ops, .cols = cols, .x = x, .out = y};
    rows_parallel(rows, cols, gelu_fwd_range, &j);
}

typedef struct gelu_fwd_bwd_job {
    const ptc_ops *ops;
    size_t cols;
    const float *x, *dy;
    float *y, *dx;
} gelu_fwd_bwd_job;

static void gelu_fwd_bwd_range(const void *ctx, size_t r0, size_t r1)
{
    const gelu_fwd_bwd_job *j = ctx;
    const size_t at = r0 * j->cols;
    j->ops->gelu_fwd_bwd((r1 - r0) * j->cols, j->x + at, j->dy + at, j->y + at, j->dx + at);
}

void ptc_gelu_fwd_bwd_rows(const ptc_ops *ops, size_t rows, size_t cols, const float *x,
                           const float *dy, float *y, float *dx)
{
    const gelu_fwd_bwd_job j = {ops, cols, x, dy, y, dx};
    rows_parallel(rows, cols, gelu_fwd_bwd_range, &j);
}

typedef struct norm_job {
    const ptc_ops *ops;
    size_t cols;
    const float *x, *res, *gamma, *beta;
    size_t ldx, ldr, ldy, lds;
    float eps;
    float *y, *sum, *mean, *rstd;
} norm_job;

static void residual_layernorm_range(const void *ctx, size_t r0, size_t r1)
{
    const norm_job *j = ctx;
    j->ops->residual_layernorm(r1 - r0, j->cols, j->x + r0 * j->ldx, j->ldx,
                               j->res + r0 * j->ldr, j->ldr, j->gamma, j->beta, j->eps,
                               j->y + r0 * j->ldy, j->ldy, j->sum ? j->sum + r0 * j->lds : NULL,
                               j->lds, j->mean ? j->mean + r0 : NULL,
                               j->rstd ? j->rstd + r0 : NULL);
}

static void layernorm_range(const void *ctx, size_t r0, size_t r1)
{
    const norm_job *j = ctx;
    j->ops->layernorm_fwd(r1 - r0, j->cols, j->x + r0 * j->ldx, j->ldx, j->gamma, j->beta,
                          j->eps, j->y + r0 * j->ldy, j->ldy, j->mean ? j->mean + r0 : NULL,
                          j->rstd ? j->rstd + r0 : NULL);
}

void ptc_residual_layernorm_rows(const ptc_ops *ops, size_t rows, size_t cols, const float *x,
                                 size_t ldx, const float *res, size_t ldr, const float *gamma,
                                 const float *beta, float eps, float *y, size_t ldy, float *sum,
                                 size_t lds, float *mean, float *rstd)
{
    const norm_job j = {.ops = ops, .cols = cols, .x = x, .ldx = ldx, .res = res, .ldr = ldr,
                        .gamma = gamma, .beta = beta, .eps = eps, .y = y, .ldy = ldy,
                        .sum = sum, .lds = lds, .mean = mean, .rstd = rstd};
    rows_parallel(rows, cols, residual_layernorm_range, &j);
}

void ptc_layernorm_rows(const ptc_ops *ops, size_t rows, size_t cols, const float *x, size_t ldx,
                        const float *gamma, const float *beta, float eps, float *y, size_t ldy,
                        float *mean, float *rstd)
{
    const norm_job j = {.ops = ops, .cols = cols, .x = x, .ldx = ldx, .gamma = gamma,
                        .beta = beta, .eps = eps, .y = y, .ldy = ldy, .mean = mean, .rstd = rstd};
    rows_parallel(rows, cols, layernorm_range, &j);
}

double ptc_op_clock(void)
{
    return ptc_now(); /* the library's one clock (ptc/sys.h) */
}

const char *ptc_op_category_name(int category)
{
    static const char *const names[PTC_OPCAT_COUNT] = {
        "linear", "attention", "scoring", "selection", "combining", "norm", "activation",
        "optimizer", "other"};
    return category >= 0 && category < PTC_OPCAT_COUNT ? names[category] : NULL;
}

double ptc_op_times_sum(const ptc_op_times *t)
{
    double sum = 0.0;
    for (int c = 0; c < PTC_OPCAT_COUNT; c++)
        sum += t->s[c];
    return sum;
}

double ptc_stats_flops_total(const ptc_layer_stats *s)
{
    return s->flops_linear + s->flops_attention + s->flops_softmax + s->flops_norm +
           s->flops_scoring + s->flops_selection + s->flops_combining;
}

static void stat3_pool(ptc_stat3 *a, size_t *na, ptc_stat3 b, size_t nb)
{
    if (nb == 0)
        return;
    if (*na == 0) {
        *a = b;
    } else {
        a->min = a->min < b.min ? a->min : b.min;
        a->max = a->max > b.max ? a->max : b.max;
        a->mean = (a->mean * (double)*na + b.mean * (double)nb) / (double)(*na + nb);
    }
    *na += nb;
}

void ptc_stats_accumulate(ptc_layer_stats *a, const ptc_layer_stats *b)
{
    stat3_pool(&a->tokens, &a->n_tokens, b->tokens, b->n_tokens);
    stat3_pool(&a->keys, &a->n_keys, b->keys, b->n_keys);
    stat3_pool(&a->keys_next, &a->n_keys_next, b->keys_next, b->n_keys_next);
    a->kv_rows += b->kv_rows;
    a->flops_linear += b->flops_linear;
    a->flops_attention += b->flops_attention;
    a->flops_softmax += b->flops_softmax;
    a->flops_norm += b->flops_norm;
    a->flops_scoring += b->flops_scoring;
    a->flops_selection += b->flops_selection;
    a->flops_combining += b->flops_combining;
    a->bytes_activations += b->bytes_activations;
    a->bytes_kv += b->bytes_kv;
    a->bytes_scores += b->bytes_scores;
    if (b->bytes_workspace > a->bytes_workspace)
        a->bytes_workspace = b->bytes_workspace;
}

/* Vectorized (omp simd; on x86-64 also an AVX2 clone picked at load time): each
 * element is one add, so the bits are the scalar loop's. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
void ptc_add_row(size_t n, const float *restrict src, float *restrict dst)
{
#pragma omp simd
    for (size_t c = 0; c < n; c++)
        dst[c] += src[c];
}

void ptc_linear_backward(const ptc_ops *ops, size_t rows, size_t in, size_t out,
                         const float *x, size_t ldx, const float *w, const float *dy, size_t lddy,
                         float *dw, float *db, float *dx, size_t lddx, bool accumulate)
{
    if (rows == 0)
        return;
    if (dw)
        ops->sgemm(PTC_TRANS, PTC_NO_TRANS, out, in, rows, 1.0f, dy, lddy, x, ldx, 1.0f, dw, in);
    if (db)
        for (size_t r = 0; r < rows; r++)
            ptc_add_row(out, dy + r * lddy, db);
    if (dx)
        ops->sgemm(PTC_NO_TRANS, PTC_NO_TRANS, rows, in, out, 1.0f, dy, lddy, w, in,
                   accumulate ? 1.0f : 0.0f, dx, lddx);
}

/* ---- noise ------------------------------------------------------------------------------ */
/* The hash of (seed, a, b, c) in two steps: a prefix of (seed, a, b), then the 53-bit
 * draw of position c (ptc_dropout_draw, include/ptc/ops.h); its uniform is
 * u = (draw + 0.5) 2^-53, in (0, 1). */
static inline uint64_t hash_prefix(uint64_t seed, uint64_t a, uint64_t b)
{
    uint64_t z = ptc_mix64(seed + 0x9E3779B97F4A7C15ull);
    z = ptc_mix64(z ^ (a * 0xD1B54A32D192ED03ull));
    return ptc_mix64(z ^ (b * 0x8CB92BA72F3D8DD7ull));
}
static inline double draw_u01(uint64_t k)
{
    return ((double)k + 0.5) * (1.0 / 9007199254740992.0);
}

double ptc_hash_u01(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    return draw_u01(ptc_dropout_draw(hash_prefix(seed, a, b), c));
}

/* The draws k with draw_u01(k) < p are exactly those below the returned bound
 * (draw_u01 is non-decreasing in k): the least k in [0, 2^53] whose u is >= p, by
 * bisection. Dropout then compares integers, with the same masks as u < p. */
static uint64_t draws_below(double p)
{
    uint64_t lo = 0, hi = 1ull << 53;
    while (lo < hi) {
        const uint64_t mid = lo + (hi - lo) / 2;
        if (draw_u01(mid) < p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

typedef struct dropout_job {
    const ptc_ops *ops;
    uint64_t prefix, bound; /* hash_prefix(seed, site, b); draws below bound are dropped */
    float keep_scale;
    size_t row0, cols, ldx;
    float *x;
} dropout_job;

static void dropout_range(const void *ctx, size_t r0, size_t r1)
{
    const dropout_job *j = ctx;
    j->ops->dropout_rows(r1 - r0, j->cols, j->x + r0 * j->ldx, j->ldx, j->prefix,
                         (j->row0 + r0) * j->cols, j->bound, j->keep_scale);
}

/* Rows split over the threads (rows_parallel): each element's mask is a hash of
 * its position, so every split gives the same bits. */
void ptc_dropout(const ptc_ops *ops, float p, uint64_t seed, uint64_t site, size_t b,
                 size_t row0, size_t rows, size_t cols, float *x, size_t ldx)
{
    if (p <= 0.0f)
        return;
    const dropout_job job = {ops, hash_prefix(seed, site, b), draws_below((double)p),
                             1.0f / (1.0f - p), row0, cols, ldx, x};
    rows_parallel(rows, cols, dropout_range, &job);
}

/*
 * ptc/ops.h — the kernel operations table, one per instruction set.
 *
 * Contract
 *   - Every op exists in every table. `kernels/ref/` is the specification: plain C,
 *     compiled with -ffp-contract=off. Every other table must agree with it within
 *     the tolerances of tests/ (element-wise |a-b| <= atol + rtol*|ref|, or NMSE for
 *     whole attention outputs).
 *   - Layout is row-major everywhere. A matrix argument `x` with leading dimension
 *     `ldx` holds element (r, c) at x[r*ldx + c]; ldx >= number of columns.
 *   - Kernels never allocate on the heap in their hot path (scratch that some need
 *     is per thread, allocated once and kept: kernels/scratch.h) and never read or write
 *     outside the rows and columns described by their arguments (no over-read of
 *     inputs past the last element, no write past the last output element).
 *   - Kernels are single-threaded, except `sgemm`, which splits its output over
 *     OpenMP threads when called outside a parallel region (omp_get_max_threads()),
 *     and runs on the calling thread alone inside one. Every op gives bit-identical
 *     results for any thread count.
 *   - Token indices are int32_t row numbers.
 *
 * Adding an ISA: a folder kernels/<isa>/ with its kernels and a table
 * `const ptc_ops ptc_ops_<isa>` (see kernels/<isa>/table_<isa>.c), and one line in
 * kernels/dispatch.c. Entries an ISA does not specialise point at the ref kernels.
 */
#ifndef PTC_OPS_H
#define PTC_OPS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ptc_trans { PTC_NO_TRANS = 0, PTC_TRANS = 1 } ptc_trans;

/* The activation a fused epilogue applies (linear). */
typedef enum ptc_act { PTC_ACT_NONE = 0, PTC_ACT_GELU = 1 } ptc_act;

/*
 * One attention head. Queries are all present; keys and values may be a subset
 * ("kept" keys) given by an index list, so pruned keys are never copied.
 *
 *   kept key j (0 <= j < n_kv) is row r_j = kv_rows ? kv_rows[j] : j of k and v
 *   s[i][j] = scale * dot(q_i, k_{r_j}) + (key_bias ? key_bias[r_j] : 0)
 *   p[i][j] = exp(s[i][j] - lse[i]),  lse[i] = log(sum_j exp(s[i][j]))
 *   o_i     = sum_j p[i][j] * v_{r_j}
 *
 * A query row whose every key is masked (-INFINITY bias) gets o_i = 0 and
 * lse[i] = -INFINITY, never NaN. n_kv == 0 behaves the same for every row.
 */
typedef struct ptc_attention_args {
    size_t n_q;             /* query rows */
    size_t n_kv;            /* kept keys */
    size_t d;               /* head dimension */
    const float *q;         /* (n_q, d), leading dimension ldq */
    size_t ldq;
    const float *k;         /* key rows, leading dimension ldk */
    size_t ldk;
    const float *v;         /* value rows, leading dimension ldv */
    size_t ldv;
    const int32_t *kv_rows; /* (n_kv) row numbers of kept keys into k and v, or NULL */
    const float *key_bias;  /* additive bias per key ROW (indexed by r_j), or NULL */
    float scale;            /* usually 1/sqrt(d) */
    float *o;               /* (n_q, d) output, leading dimension ldo */
    size_t ldo;
    float *lse;             /* (n_q) log-sum-exp per query row, or NULL */
} ptc_attention_args;

/*
 * Backward of `attention` for one head (flash-attention backward): the
 * probabilities are recomputed from the forward's saved lse, tile by tile; nothing
 * of size (n_q, n_kv) is stored. With s, p, r_j as at ptc_attention_args and dO
 * the gradient of the loss with respect to o:
 *
 *   D_i      = sum_c dO[i][c] * o[i][c]
 *   p[i][j]  = exp(s[i][j] - lse[i])              (0 where s = -INFINITY)
 *   dP[i][j] = dot(dO_i, v_{r_j})
 *   dS[i][j] = p[i][j] * (dP[i][j] - D_i)
 *   dq_i     = scale * sum_j dS[i][j] * k_{r_j}      for every query row i < n_q
 *   dk_{r_j} = scale * sum_i dS[i][j] * q_i          for every kept key j < n_kv
 *   dv_{r_j} = sum_i p[i][j] * dO_i
 *
 * `fwd` is the forward call's argument block, unchanged: n_q, n_kv, d, q, k, v,
 * kv_rows, key_bias, scale as given to `attention`; fwd.o (read only here) is the
 * forward's output and fwd.lse (required, read only) its log-sum-exp, from any
 * table. key_bias is not differentiated.
 *
 * Outputs are overwritten, never read before being written:
 *   dq: (n_q, d), leading dimension lddq; every row is written. A row with
 *       lse[i] = -INFINITY (every key masked) gets dq_i = 0 and contributes nothing.
 *   dk, dv: indexed like k and v (row r_j, leading dimensions lddk, lddv); the rows
 *       of the kept keys are written (0 for a key whose bias is -INFINITY), no other
 *       row is touched. kv_rows must not repeat a row (a kept-key list never does).
 * dq, dk, dv must not overlap each other or any input. Nothing outside the rows and
 * columns above is read back or written (masked lanes, no read-modify-write past d),
 * so calls for different heads may run concurrently on the column slices
 * [h*d, h*d + d) of shared (n, H) buffers. Deterministic (a fixed summation order
 * per table), single-threaded, no scratch from the caller; the forward's lse is its
 * `lse` output (ptc_attention_args). Scratch: with n_kv <= 512 and rows >= 1 KiB
 * apart (training's 768-float rows) the vector tables stage the kept K and V rows
 * and the row operands of their rank updates in dense per-thread buffers (4 n_kv d +
 * 3 x 16..32 d floats, kept between calls; in place when they cannot be had),
 * bit-identically.
 */
typedef struct ptc_attention_bwd_args {
    ptc_attention_args fwd; /* the forward's arguments, with its o and lse (inputs here) */
    const float *dout;      /* (n_q, d) dO, leading dimension lddout */
    size_t lddout;
    float *dq;              /* (n_q, d), leading dimension lddq */
    size_t lddq;
    float *dk;              /* key rows r_j, leading dimension lddk */
    size_t lddk;
    float *dv;              /* value rows r_j, leading dimension lddv */
    size_t lddv;
} ptc_attention_bwd_args;

typedef struct ptc_ops {
    const char *name;           /* "ref", "avx2", "avx512", "neon" */
    uint32_t required_features; /* PTC_CPU_* bits (ptc/cpu.h) the CPU must have */
    unsigned vector_floats;     /* floats per vector register (1 for ref): tests cover 1..2W+1 */

    /* ---- sgemm -------------------------------------------------------------
     * C (m, n) = alpha * op(A) * op(B) + beta * C
     *   op(A) = A (m, k) when ta == PTC_NO_TRANS, else A^T with A stored (k, m)
     *   op(B) = B (k, n) when tb == PTC_NO_TRANS, else B^T with B stored (n, k)
     * beta == 0: C is written without being read (NaN/Inf in C are ignored).
     * k == 0 or alpha == 0: C = beta * C. */
    void (*sgemm)(ptc_trans ta, ptc_trans tb, size_t m, size_t n, size_t k,
                  float alpha, const float *a, size_t lda,
                  const float *b, size_t ldb,
                  float beta, float *c, size_t ldc);

    /* ---- fused epilogues ----------------------------------------------------
     * linear: y (rows, out) = act(x (rows, in) W^T + bias), W stored (out, in) as in
     *   nn.Linear, bias (out) or NULL, act PTC_ACT_NONE or PTC_ACT_GELU. The bias
     *   enters in the GEMM's first store of each output tile and GELU follows its
     *   last, while the tile is in cache: bit-identical to copying bias into every
     *   row of y, sgemm(N, T, ..., beta = bias ? 1 : 0, y) and gelu_fwd over each
     *   row, on the same table. Threads as sgemm (bit-identical for any count).
     *   y must not overlap x, W or bias.
     * residual_layernorm: s = x + res per element, y = layernorm_fwd(s) (same
     *   gamma, beta, eps, mean, rstd); s is written to sum (leading dimension lds)
     *   when sum != NULL, else never stored. One pass over memory: each row is
     *   summed into a cache-resident buffer and normalized there. Bit-identical to
     *   the add followed by layernorm_fwd on the same table. y may equal x or res;
     *   sum may equal x or res. */
    void (*linear)(size_t rows, size_t in, size_t out, const float *x, size_t ldx,
                   const float *w, const float *bias, ptc_act act, float *y, size_t ldy);
    void (*residual_layernorm)(size_t rows, size_t cols, const float *x, size_t ldx,
                               const float *res, size_t ldr, const float *gamma,
                               const float *beta, float eps, float *y, size_t ldy,
                               float *sum, size_t lds, float *mean, float *rstd);

    /* ---- attention ---------------------------------------------------------
     * attention: o and lse as described at ptc_attention_args.
     * attention_importance: the same, and also
     *   importance[j] = sum_i w_i * p[i][j]  for every kept key j (length n_kv),
     *   w_i = query_weight ? query_weight[i] : 1/n_q
     * (the column mean of the attention probabilities: the pruning score of the
     * paper), computed without materialising the (n_q, n_kv) matrix.
     * Memory: nothing of size (n_q, n_kv); the x86 tables copy the kept K and V
     * rows dense for the call when they lie >= 1 KiB apart and n_kv <= 512
     * (2 n_kv d floats of per-thread scratch, kept between calls; rows are read in
     * place otherwise or when the scratch cannot be had), with no effect on the
     * results. */
    void (*attention)(const ptc_attention_args *args);
    void (*attention_importance)(const ptc_attention_args *args,
                                 const float *query_weight, float *importance);
    /* attention_backward: dq, dk, dv as described at ptc_attention_bwd_args. */
    void (*attention_backward)(const ptc_attention_bwd_args *args);

    /* ---- row ops -----------------------------------------------------------
     * softmax_rows: y[r][c] = exp(x[r][c] + bias[c] - max) / sum; bias may be NULL;
     *   a row whose entries are all -INFINITY gives zeros; +INFINITY entries are not
     *   supported (the row becomes NaN). y may equal x.
     * layernorm_fwd: y = (x - mean) * rstd * gamma + beta per row, biased variance,
     *   rstd = 1/sqrt(var + eps); mean and rstd (rows) are written when not NULL.
     *   Statistics are accumulated in double, the mean is rounded to float before
     *   it is subtracted (as PyTorch does): |mean| >> std loses relative precision.
     * layernorm_bwd: dx from dy, x, gamma and the saved mean/rstd;
     *   dgamma[c] += sum_r dy*xhat, dbeta[c] += sum_r dy (each may be NULL).
     * gelu_fwd: y = 0.5 x (1 + erf(x / sqrt 2)); gelu_bwd: dx = dy * gelu'(x).
     *   Finite x only (gelu(-inf) is NaN in this form). gelu_bwd: dx may equal dy.
     *   Accuracy: gelu_fwd within 5 eps of |x| + |gelu(x)|, gelu_bwd within 5 eps of the
     *   scale in tests/test_rowops.c; ref uses libm's erff, the SIMD tables one expf and an
     *   erfc polynomial (kernels/gelu_erfc.h).
     * vexp / verf / vtanh: element-wise. y may equal x in all element-wise ops. */
    void (*softmax_rows)(size_t rows, size_t cols, const float *x, size_t ldx,
                         const float *bias, float *y, size_t ldy);
    void (*layernorm_fwd)(size_t rows, size_t cols, const float *x, size_t ldx,
                          const float *gamma, const float *beta, float eps,
                          float *y, size_t ldy, float *mean, float *rstd);
    void (*layernorm_bwd)(size_t rows, size_t cols, const float *dy, size_t lddy,
                          const float *x, size_t ldx, const float *gamma,
                          const float *mean, const float *rstd,
                          float *dx, size_t lddx, float *dgamma, float *dbeta);
    void (*gelu_fwd)(size_t n, const float *x, float *y);
    void (*gelu_bwd)(size_t n, const float *x, const float *dy, float *dx);
    /* gelu_fwd_bwd: gelu_fwd(n, x, y) and gelu_bwd(n, x, dy, dx) in one pass, the same
     *   bits as the two calls (training's backward: the recomputed activation and the
     *   gradient share their erf and exp). dx may equal dy; y overlaps nothing else. */
    void (*gelu_fwd_bwd)(size_t n, const float *x, const float *dy, float *y, float *dx);
    void (*vexp)(size_t n, const float *x, float *y);
    void (*verf)(size_t n, const float *x, float *y);
    void (*vtanh)(size_t n, const float *x, float *y);
    /* dropout_rows: x[r][c] = 0 where ptc_dropout_draw(prefix, first + r * cols + c) <
     *   bound, else x[r][c] * keep_scale, for r < rows, c < cols (leading dimension
     *   ldx; the rest of each row untouched). An integer hash per element: the same
     *   bits on every table. ptc_dropout (include/ptc/variants.h) makes prefix and
     *   bound from its seed, site, sample and p. */
    void (*dropout_rows)(size_t rows, size_t cols, float *x, size_t ldx, uint64_t prefix,
                         uint64_t first, uint64_t bound, float keep_scale);

    /* ---- token ops (pruning and token combining) ---------------------------
     * gather_rows: dst[i] = src[rows[i]] for i < n_idx (cols floats each); every
     *   rows[i] is a valid row of src (0 <= rows[i]).
     * col_sum: out[c] = sum_{r < rows} x[r][c], summed in row order (overwrites out).
     * col_argmax: out[c] = the smallest r with x[r][c] maximal over r < rows
     *   (NaN never wins; a column of NaN gives 0). rows >= 1.
     * segment_sum_rows: dst[segment[r]] += src[r] for r < n; segment[r] < 0 skips
     *   row r, any other segment[r] is a valid row of dst. Rows are added in
     *   increasing r. */
    void (*gather_rows)(size_t n_idx, size_t cols, const float *src, size_t lds,
                        const int32_t *rows, float *dst, size_t ldd);
    void (*col_sum)(size_t rows, size_t cols, const float *x, size_t ldx, float *out);
    void (*col_argmax)(size_t rows, size_t cols, const float *x, size_t ldx, int32_t *out);
    void (*segment_sum_rows)(size_t n, size_t cols, const float *src, size_t lds,
                             const int32_t *segment, float *dst, size_t ldd);
} ptc_ops;

/* ---- the hash of dropout_rows (and of ptc_hash_u01) ----------------------------
 * ptc_mix64: splitmix64's finalizer. ptc_dropout_draw: the 53-bit draw of position
 * `index` under `prefix`; its uniform is (draw + 0.5) 2^-53. The SIMD tables compute
 * the same integers lane by lane. */
enum { PTC_DROPOUT_DRAW_SHIFT = 11 };
#define PTC_MIX64_C1 0xBF58476D1CE4E5B9ull
#define PTC_MIX64_C2 0x94D049BB133111EBull
#define PTC_DROPOUT_INDEX_MUL 0xABC98388FB8FAC03ull
static inline uint64_t ptc_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * PTC_MIX64_C1;
    z = (z ^ (z >> 27)) * PTC_MIX64_C2;
    return z ^ (z >> 31);
}
static inline uint64_t ptc_dropout_draw(uint64_t prefix, uint64_t index)
{
    return ptc_mix64(prefix ^ (index * PTC_DROPOUT_INDEX_MUL)) >> PTC_DROPOUT_DRAW_SHIFT;
}

/* ---- dispatch (kernels/dispatch.c) ----------------------------------------- */

/* Tables compiled into this build, best first. */
const ptc_ops *const *ptc_ops_all(size_t *count);
/* The table named `name`, or NULL if this build has none by that name. */
const ptc_ops *ptc_ops_find(const char *name);
/* Non-zero when the running CPU (and OS) support every feature the table needs. */
int ptc_ops_supported(const ptc_ops *ops);
/* The active table, resolved once (thread-safe): PTC_ISA=<name> when set, else
 * the best supported table. Returns NULL when PTC_ISA names a table this build
 * lacks or the CPU cannot run; ptc_ops_error() then says why in one line. */
const ptc_ops *ptc_ops_active(void);
const char *ptc_ops_error(void);
/* The table a command's --isa NAME asks for: NULL, "" or "best" give
 * ptc_ops_active(); a name gives that table if this build has it and the CPU
 * runs it. NULL with a one-line reason in err otherwise (never a fallback). */
const ptc_ops *ptc_ops_select(const char *name, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif
#endif /* PTC_OPS_H */

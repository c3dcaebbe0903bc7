/*
 * variants/internal.h — helpers shared by the variants/ sources (not installed).
 *
 * Files and what they use (no cycle): common.c (checks, linear, row ops over
 * threads, accounting) uses nothing; mhsa.c, prune.c, combine.c use common.c; layer.c uses mhsa.c;
 * workspace.c (the shared workspace plan) uses layer.c, prune.c, combine.c;
 * plan.c (the layer rules) uses prune.c and mhsa.c defaults; token_prune.c
 * (whole-token removal: TopK, LTP) uses prune.c; token_merge.c (ToMe) uses
 * token_prune.c; encoder.c uses them all;
 * embed.c (the embeddings pair) uses common.c.
 *
 * An arena hands out 64-byte aligned pieces of the caller's workspace in a fixed
 * order; with base == NULL it only counts, so a plan and a forward carve the same
 * layout. Nothing here allocates.
 */
#ifndef PTC_VARIANTS_INTERNAL_H
#define PTC_VARIANTS_INTERNAL_H

#include "ptc/variants.h"

#include <stdarg.h>
#include <stdio.h>

typedef struct ptc_arena {
    char *base;   /* NULL: count only */
    size_t used;  /* bytes carved so far */
} ptc_arena;

static inline void *ptc_arena_take(ptc_arena *a, size_t bytes)
{
    const size_t off = (a->used + 63) & ~(size_t)63;
    a->used = off + ((bytes + 63) & ~(size_t)63);
    return a->base ? a->base + off : NULL;
}

__attribute__((format(printf, 3, 4)))
static inline int ptc_fail(char *err, size_t err_len, const char *fmt, ...)
{
    if (err && err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return PTC_EINVAL;
}

/* Running min / mean / max. */
typedef struct ptc_stat_acc { double min, max, sum; size_t n; } ptc_stat_acc;
static inline ptc_stat_acc ptc_stat_begin(void) { ptc_stat_acc s = {0, 0, 0, 0}; return s; }
static inline void ptc_stat_add(ptc_stat_acc *s, double v)
{
    if (s->n == 0 || v < s->min)
        s->min = v;
    if (s->n == 0 || v > s->max)
        s->max = v;
    s->sum += v;
    s->n++;
}
static inline ptc_stat3 ptc_stat_end(const ptc_stat_acc *s)
{
    ptc_stat3 r = {s->min, s->n ? s->sum / (double)s->n : 0.0, s->max};
    return r;
}

/* Real text length of sample b. */
static inline size_t ptc_tok_len(const ptc_tokens *tok, size_t b)
{
    return tok->lengths ? (size_t)tok->lengths[b] : tok->n_text;
}
static inline size_t ptc_tok_rows(const ptc_tokens *tok) { return tok->n_text + tok->n_comb; }
/* Rows the layer sees in sample b: length-aware real + combination, padded all. */
static inline size_t ptc_tok_active(const ptc_tokens *tok, size_t b)
{
    return tok->pad_mode == PTC_PAD_PADDED ? ptc_tok_rows(tok) : ptc_tok_len(tok, b) + tok->n_comb;
}

/* Seen rows of sample b in order: [0, n_first) then [second_at, second_at +
 * n_second) (padded mode: one run [0, n_rows)). Seen position i <-> sample row. */
typedef struct ptc_seen_rows { size_t n_first, second_at, n_second; } ptc_seen_rows;

static inline ptc_seen_rows ptc_seen_of(const ptc_tokens *tok, size_t b)
{
    ptc_seen_rows s;
    if (tok->pad_mode == PTC_PAD_PADDED) {
        s.n_first = ptc_tok_rows(tok);
        s.second_at = s.n_first;
        s.n_second = 0;
    } else {
        s.n_first = ptc_tok_len(tok, b);
        s.second_at = tok->n_text;
        s.n_second = tok->n_comb;
    }
    if (s.n_first == s.second_at || s.n_second == 0) { /* one contiguous run */
        s.n_first += s.n_second;
        s.n_second = 0;
    }
    return s;
}

static inline size_t ptc_seen_to_row(const ptc_seen_rows *s, size_t i)
{
    return i < s->n_first ? i : s->second_at + (i - s->n_first);
}

/* variants/common.c: checks batch, lengths and that every sample has a row to compute. */
int ptc_tokens_check(const ptc_tokens *tok, char *err, size_t err_len);
int ptc_heads_check(size_t hidden, size_t n_heads, char *err, size_t err_len);

/* Workspace bytes of each forward at the shapes of `tok` (arena in count mode):
 * mhsa.c, prune.c, layer.c, combine.c; workspace.c takes the largest. */
size_t ptc_mhsa_workspace_need(const ptc_tokens *tok, size_t hidden, size_t n_heads);
size_t ptc_select_workspace_need(const ptc_tokens *tok, size_t n_heads);
size_t ptc_encoder_workspace_need(const ptc_tokens *tok, size_t hidden, size_t n_heads, size_t ffn);
size_t ptc_combine_workspace_need(const ptc_tokens *tok, size_t hidden);

/* The row-wise ops of the ops table on (rows, cols) blocks, rows split over the
 * OpenMP threads outside a parallel region (variants/common.c): the same arguments
 * and results, bit for bit, as one call of ops->gelu_fwd (x, y contiguous, rows *
 * cols floats), ops->gelu_fwd_bwd, ops->residual_layernorm and ops->layernorm_fwd. */
void ptc_gelu_rows(const ptc_ops *ops, size_t rows, size_t cols, const float *x, float *y);
void ptc_gelu_fwd_bwd_rows(const ptc_ops *ops, size_t rows, size_t cols, const float *x,
                           const float *dy, float *y, float *dx);
void ptc_residual_layernorm_rows(const ptc_ops *ops, size_t rows, size_t cols, const float *x,
                                 size_t ldx, const float *res, size_t ldr, const float *gamma,
                                 const float *beta, float eps, float *y, size_t ldy, float *sum,
                                 size_t lds, float *mean, float *rstd);
void ptc_layernorm_rows(const ptc_ops *ops, size_t rows, size_t cols, const float *x, size_t ldx,
                        const float *gamma, const float *beta, float eps, float *y, size_t ldy,
                        float *mean, float *rstd);

/* FLOPs of ptc_linear */
static inline double ptc_linear_flops(size_t rows, size_t in, size_t out, bool bias)
{
    return 2.0 * (double)rows * (double)in * (double)out + (bias ? (double)rows * (double)out : 0.0);
}

/* ---- training: what each forward saves, the backward scratch ------------------------ */
/* MHSA (variants/mhsa.c). Per sample a stride of n_rows rows: q and ctx by seen
 * position, k and v by k/v row (only n_src[b] rows are written: kept rows with
 * project_kept), lse by (head, seen position). */
typedef struct ptc_mhsa_save {
    float *q, *k, *v, *ctx;  /* (batch, n_rows, hidden) */
    float *lse;              /* (batch, n_heads, n_rows) */
    float *key_bias;         /* (batch, n_rows) by k/v row */
    int32_t *src;            /* (batch, n_rows) k/v row -> sample row */
    int32_t *kv_idx;         /* (batch, n_heads, n_rows) kept keys as k/v rows */
    int32_t *count;          /* (batch, n_heads) keys attended */
    int32_t *n_src;          /* (batch) k/v rows */
    bool has_key_bias;       /* key_bias carries ToMe's log sizes (set by the forward) */
} ptc_mhsa_save;

/* Whole-token removal after a layer (variants/token_prune.c), by sample row
 * of the layer's tokens; only carved for steps that remove tokens. */
typedef struct ptc_token_save {
    int32_t *keep;        /* (batch, n_rows) rows that go on; TopK */
    int32_t *count;       /* (batch) how many; TopK (the next step's lengths) */
    float *mask, *y_raw;  /* (batch, n_rows), (batch, n_rows, hidden): LTP's soft mask, unmasked y */
    float *score;         /* (batch, n_rows) LTP: the importance the mask used */
    int32_t *dest;        /* (batch, n_rows) ToMe: output row of each row (-1: pad); count above */
    float *weight;        /* (batch, n_rows) ToMe: its weight in that row's average */
} ptc_token_save;

/* Encoder layer (variants/layer.c), by sample row (stride n_rows). */
typedef struct ptc_layer_save {
    ptc_mhsa_save attn;
    float *res1, *res2;                    /* (batch, n_rows, hidden) pre-LN1, pre-LN2 */
    float *u;                              /* (batch, n_rows, ffn) FFN pre-GELU */
    float *mean1, *rstd1, *mean2, *rstd2;  /* (batch, n_rows) */
    ptc_token_save tokens;                 /* steps with token_remove */
} ptc_layer_save;

/* The combining module (variants/combine.c). */
typedef struct ptc_combine_save {
    float *c, *mc, *rc;   /* LN_c output (batch, m, hidden), mean/rstd (batch, m) */
    float *e, *me, *re;   /* LN_e output (batch, n_text, hidden), mean/rstd (batch, n_text) */
    float *qc, *qk;       /* (batch, m, hidden): Wq c + bq; qc Wk */
    float *soft;          /* (batch, m, n_text): softmax over i of the logits, ld len_b */
    float *es, *cnt, *u;  /* (batch, m, hidden) grouped sums, (batch, m) counts, (batch, m, hidden) */
    int32_t *assign;      /* (batch, n_text) */
} ptc_combine_save;

/* A training forward of one step: where to save, and its noise. */
typedef struct ptc_step_train {
    void *save;              /* ptc_layer_save or ptc_combine_save */
    float dropout;
    uint64_t seed;
    size_t step;             /* 0-based plan step (dropout sites, Gumbel seed) */
    bool soft_assign;
    bool frozen_token_scores; /* LTP: reuse the saved importance (test hook) */
    ptc_op_times *times;     /* the backward's per-op time (NULL: not timed) */
} ptc_step_train;

/* Backward scratch, shared by every step (capacity of the first step). */
typedef struct ptc_bwd_scratch {
    float *dattn, *dctx, *dq, *dk, *dv;  /* (batch, n_rows, hidden) */
    float *t1, *t2, *gather, *dsrc;      /* (n_rows, hidden); gather also holds x1 in layer backward */
    float *g, *du;                       /* (n_rows, ffn) */
    float *dlogit;                       /* (m, n_text) */
    float *de;                           /* (n_text, hidden) */
    float *dc, *dnum, *des, *dqk, *dqc;  /* (m, hidden) */
    float *dcnt;                         /* (m) */
} ptc_bwd_scratch;

/* The forwards with an optional training context (NULL: inference) and their
 * backwards. x, dy, dx: (batch, n_rows, hidden) in the layout of ptc_tokens;
 * backwards write dx (pad rows 0) except ptc_mhsa_backward, which adds. */
int ptc_mhsa_run(const ptc_ops *ops, const ptc_mhsa_weights *w, size_t hidden, size_t n_heads,
                 const ptc_tokens *tok, const float *x, float *y, ptc_prune_state *state,
                 const ptc_mhsa_options *opt, void *workspace, size_t workspace_bytes,
                 ptc_layer_stats *stats, ptc_mhsa_save *save, char *err, size_t err_len);
void ptc_mhsa_backward(const ptc_ops *ops, const ptc_mhsa_weights *w, const ptc_mhsa_grads *g,
                       size_t hidden, size_t n_heads, const ptc_tokens *tok, const float *x,
                       const float *dy, float *dx, const ptc_mhsa_save *save,
                       const ptc_bwd_scratch *sc, ptc_op_times *times /* NULL: not timed */);
int ptc_layer_run(const ptc_ops *ops, const ptc_encoder_weights *w, size_t hidden, size_t n_heads,
                  size_t ffn, const ptc_tokens *tok, const float *x, float *y,
                  ptc_prune_state *state, const ptc_mhsa_options *opt, void *workspace,
                  size_t workspace_bytes, ptc_layer_stats *stats, const ptc_step_train *train,
                  char *err, size_t err_len);
void ptc_layer_backward(const ptc_ops *ops, const ptc_encoder_weights *w, const ptc_encoder_grads *g,
                        size_t hidden, size_t n_heads, size_t ffn, const ptc_tokens *tok,
                        const float *x, const float *dy, float *dx, const ptc_step_train *train,
                        const ptc_bwd_scratch *sc);
int ptc_combine_run(const ptc_ops *ops, const ptc_combine_weights *w, size_t hidden,
                    const ptc_tokens *tok, const float *x, float *out, int32_t *assign,
                    const ptc_combine_options *opt, void *workspace, size_t workspace_bytes,
                    ptc_layer_stats *stats, const ptc_step_train *train, char *err, size_t err_len);
void ptc_combine_backward(const ptc_ops *ops, const ptc_combine_weights *w,
                          const ptc_combine_grads *g, size_t hidden, const ptc_tokens *tok,
                          const float *x, const float *dout, float *dx, const ptc_combine_options *opt,
                          const ptc_step_train *train, const ptc_bwd_scratch *sc);

/* ---- whole-token pruning (variants/token_prune.c; the methods and their refs there) ------ */
size_t ptc_token_keep_count(double keep, size_t len);                     /* 1 + floor(keep (len-1)) */
void ptc_token_score(const ptc_prune_state *st, const ptc_tokens *tok, float *score,
                     bool accumulate);
double ptc_token_select(const ptc_variant_config *cfg, size_t layer, const ptc_tokens *tok,
                        const float *score, float threshold, int32_t *keep, int32_t *count,
                        void *scratch);
size_t ptc_token_rows_after(size_t batch, const int32_t *count);
size_t ptc_token_compact(const ptc_tokens *tok, size_t hidden, const int32_t *keep,
                         const int32_t *count, float *x, float *score);
void ptc_token_expand(const ptc_tokens *tok, size_t hidden, const int32_t *keep,
                      const int32_t *count, const float *dy, float *dx);
double ptc_token_soft_mask(const ptc_variant_config *cfg, const ptc_tokens *tok, size_t hidden,
                           const float *score, float theta, float *mask, float *y);
/* variants/token_merge.c (ToMe) */
size_t ptc_token_merge_scratch_bytes(size_t rows, size_t hidden);
/* ToMe's part of the workspace: the merged rows y (ptc_token_merge_rows_bytes, 64-byte
 * multiple), then the matching's scratch */
size_t ptc_token_merge_rows_bytes(const ptc_tokens *tok, size_t hidden);
size_t ptc_token_merge_workspace_need(const ptc_tokens *tok, size_t hidden);
size_t ptc_token_merge(const ptc_variant_config *cfg, const ptc_tokens *tok, size_t hidden,
                       const float *x, const float *size, int32_t *dest, float *weight,
                       int32_t *count, float *y, float *size_out, void *scratch, double *flops);
void ptc_token_merge_backward(const ptc_tokens *tok, size_t hidden, const int32_t *dest,
                              const float *weight, const int32_t *count, const float *dy,
                              float *dx);
double ptc_token_soft_mask_backward(const ptc_variant_config *cfg, const ptc_tokens *tok,
                                    size_t hidden, const float *mask, const float *y_raw,
                                    float *dy);

#endif /* PTC_VARIANTS_INTERNAL_H */

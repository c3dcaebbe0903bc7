/*
 * ptc/variants.h — the building blocks of the four encoder variants of
 * Yun, Kim, Kim, "Focus on the Core: Efficient Attention via Pruned Token
 * Compression for Document Classification", Findings of EMNLP 2023
 * (spec: PAPER.md): baseline, pruning-only (P = top-k, PF = fuzzy),
 * combining-only (C) and combined (PFC); and, beside them, the established
 * token-reduction methods: cascade top-k (TopK, SpAtten) and learned-threshold
 * token pruning (LTP) in variants/token_prune.c, token merging (ToMe) in
 * variants/token_merge.c.
 *
 * Everything here is built from the ops table (include/ptc/ops.h) and plain C;
 * nothing allocates: every forward takes a caller-owned workspace whose size a
 * plan function computes once for (batch, max length, config).
 *
 * Conventions
 *   - Weights are stored [out, in] row-major (Hugging Face / PyTorch nn.Linear),
 *     so y = x W^T + b is sgemm(NO_TRANS, TRANS, ...) on the stored matrix.
 *     Every projection of the attention layer and of the combining module is
 *     (hidden, hidden); biases are (hidden) and may be NULL (zero).
 *   - Hidden states of a batch are one array (batch, n_rows, hidden), leading
 *     dimension hidden, n_rows = n_text + n_comb: sample b's rows
 *       [0, len_b)                real tokens,
 *       [len_b, n_text)           pads,
 *       [n_text, n_text + n_comb) combination tokens (the module's m tokens).
 *     After the combining module only the combination tokens continue: the
 *     later layers see n_text = 0 and n_comb = m.
 *   - Padding modes. LENGTH_AWARE (default): pad rows are never read, their
 *     output rows are written as zero, they are no queries and no keys.
 *     PADDED (the paper's measurements): pad rows are queries and keys like any
 *     token, masked as keys with a -INFINITY bias (so their importance is 0 and
 *     they are pruned first); pruning counts them in t.
 *   - Layers are numbered from 1, as in the paper.
 *   - Errors: functions that take parameters from a caller return 0 on success
 *     or PTC_EINVAL and write one line into `err` (err_len bytes, may be NULL).
 *     Nothing aborts.
 *   - Threading: forwards run OpenMP parallel over (sample, head) pairs or over
 *     samples; ops->sgemm runs multi-threaded outside those regions and single-
 *     threaded inside them. Every result is bit-identical for any thread count.
 */
#ifndef PTC_VARIANTS_H
#define PTC_VARIANTS_H

#include "ptc/ops.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { PTC_OK = 0, PTC_EINVAL = -1 };
enum { PTC_MAX_LAYERS = 64 };

/* ---- tokens of a batch ---------------------------------------------------------- */
typedef enum ptc_pad_mode { PTC_PAD_LENGTH_AWARE = 0, PTC_PAD_PADDED = 1 } ptc_pad_mode;

typedef struct ptc_tokens {
    size_t batch;            /* samples */
    size_t n_text;           /* text rows per sample (the padded length) */
    size_t n_comb;           /* combination tokens after the text rows (0: none) */
    const int32_t *lengths;  /* (batch) real text lengths, 0..n_text; NULL: all n_text */
    ptc_pad_mode pad_mode;
} ptc_tokens;

/* ---- layer dimensions and the workspace plan ------------------------------------ */
typedef struct ptc_dims {
    size_t batch;    /* max samples per forward */
    size_t n_text;   /* max text rows per sample */
    size_t n_comb;   /* combination tokens (0 if the variant has none) */
    size_t hidden;   /* 768 for BERT-base */
    size_t n_heads;  /* 12; hidden % n_heads == 0 */
    size_t ffn;      /* FFN inner size (3072), for ptc_encoder_layer_forward; 0 if unused */
} ptc_dims;

/* Bytes of the one workspace every forward below needs for shapes up to `dims`
 * (the largest of MHSA + selection, encoder layer, combining module). 0 when
 * dims are invalid (the message says why). The workspace must be 64-byte aligned. */
size_t ptc_workspace_bytes(const ptc_dims *dims, char *err, size_t err_len);

/* ---- accounting ------------------------------------------------------------------- */
typedef struct ptc_stat3 { double min, mean, max; } ptc_stat3;

/* FLOPs count one multiply-add as 2. The attention products (Q K^T and P V) are
 * kept apart so that both conventions (with and without them) can be reported.
 * bytes_*: the buffers this forward touched at its actual shapes. */
typedef struct ptc_layer_stats {
    ptc_stat3 tokens;        /* query rows computed per sample */
    ptc_stat3 keys;          /* keys attended per (sample, head) */
    ptc_stat3 keys_next;     /* keys kept per (sample, head) after this layer's selection */
    size_t kv_rows;          /* K/V rows projected, summed over samples */
    double flops_linear;     /* projections (and FFN) incl. bias adds */
    double flops_attention;  /* Q K^T + P V: 4 n_q n_kv d per head */
    double flops_softmax;    /* 5 n_q n_kv per head (scale, max, subtract, exp, sum) + n_q d */
    double flops_norm;       /* LayerNorm (8/elt), GELU (8/elt), residual adds */
    double flops_scoring;    /* importance column means: 2 n_q n_kv per head */
    double flops_selection;  /* comparisons of the quartile and per-head sorts (n log2 n) */
    double flops_combining;  /* the combining module's logits, argmax, grouped sums, projections */
    size_t bytes_activations;/* inputs read, outputs, Q, context, FFN inner */
    size_t bytes_kv;         /* K and V */
    size_t bytes_scores;     /* importance scores, quartile pools, index lists */
    size_t bytes_workspace;  /* the planned workspace (capacity, not use) */
    /* layers pooled into tokens / keys / keys_next (1 after a forward; 0 when
     * the step has no such quantity, e.g. keys of the combining module) */
    size_t n_tokens, n_keys, n_keys_next;
} ptc_layer_stats;

double ptc_stats_flops_total(const ptc_layer_stats *s); /* every FLOP field above */
/* a += b over layers: sums the counters, keeps the largest workspace, pools each
 * stat3 as min of mins, max of maxes and the mean of the per-layer means (each
 * layer that reports it weighs the same). Start from a zeroed a. */
void ptc_stats_accumulate(ptc_layer_stats *a, const ptc_layer_stats *b);

/* ---- per-op time ------------------------------------------------------------------------
 * Wall time of a forward by what it spends it on, measured with the monotonic clock
 * around the op calls (from the calling thread, outside the OpenMP regions, so a
 * parallel attention loop counts its wall time once). Enabled only when a caller
 * passes a ptc_op_times (ptc_mhsa_options.times, ptc_combine_options.times; the
 * encoder uses cfg->mhsa.times); otherwise nothing is read or timed. Timing never
 * changes a result. Seconds are added (+=) to what is there.
 *   linear      ptc_linear: Q, K, V (or the fused QKV), output and FFN projections
 *   attention   ops->attention (layers that do not score)
 *   scoring     ops->attention_importance: the attention of a layer that scores,
 *               fused with the importance column sums (one kernel, so this is that
 *               layer's attention and its scoring together)
 *   selection   ptc_prune_select (quartiles, per-head sorts, kept lists), and the
 *               token methods' choice of tokens between layers: TopK's ranking and
 *               removal, LTP's threshold mask, ToMe's matching and merge
 *   combining   the token combining module, whole
 *   norm        the residual adds with LayerNorm
 *   activation  GELU
 *   optimizer   AdamW (training steps only: ptc_model_backward_adamw)
 *   other       the rest of a timed public forward: row gathers, index lists,
 *               zeroed pad rows, dropout (its wall time minus the categories above)
 * The categories of one call of a public forward (ptc_mhsa_forward,
 * ptc_encoder_layer_forward, ptc_combine_forward, ptc_encoder_forward) sum to its
 * wall time. A training step (ptc_encoder_forward_train, ptc_encoder_backward and
 * the model's around them) adds its backward into the same categories: linear the
 * projections' input and weight gradients, attention ops->attention_backward, norm
 * the LayerNorm backward (and the recomputed LayerNorm), activation GELU's backward
 * (and the recomputed GELU), combining the module's backward; other the rest
 * (dropout masks, gathers, zeroing, the classifier and the embeddings). */
typedef enum ptc_op_category {
    PTC_OPCAT_LINEAR = 0,
    PTC_OPCAT_ATTENTION,
    PTC_OPCAT_SCORING,
    PTC_OPCAT_SELECTION,
    PTC_OPCAT_COMBINING,
    PTC_OPCAT_NORM,
    PTC_OPCAT_ACTIVATION,
    PTC_OPCAT_OPTIMIZER,
    PTC_OPCAT_OTHER,
    PTC_OPCAT_COUNT
} ptc_op_category;

typedef struct ptc_op_times { double s[PTC_OPCAT_COUNT]; } ptc_op_times;

/* "linear", "attention", "scoring", "selection", "combining", "norm", "activation",
 * "optimizer", "other"; NULL outside the range. */
const char *ptc_op_category_name(int category);
double ptc_op_times_sum(const ptc_op_times *t);
double ptc_op_clock(void); /* the clock of the per-op time: monotonic seconds */

/* t0 = ptc_op_tick(times); op(...); ptc_op_tock(times, PTC_OPCAT_..., t0);
 * with times == NULL neither reads the clock. A public function brackets its work
 * with ptc_op_span_begin/end, which puts the time no category took into other
 * (spans nest: an inner span's other is a category to the outer one). */
static inline double ptc_op_tick(const ptc_op_times *t) { return t ? ptc_op_clock() : 0.0; }
static inline void ptc_op_tock(ptc_op_times *t, ptc_op_category c, double t0)
{
    if (t)
        t->s[c] += ptc_op_clock() - t0;
}
typedef struct ptc_op_span { double t0, sum0; } ptc_op_span;
static inline ptc_op_span ptc_op_span_begin(const ptc_op_times *t)
{
    ptc_op_span s = {0.0, 0.0};
    if (t) {
        s.sum0 = ptc_op_times_sum(t);
        s.t0 = ptc_op_clock();
    }
    return s;
}
static inline void ptc_op_span_end(ptc_op_times *t, ptc_op_span s)
{
    if (!t)
        return;
    const double rest = (ptc_op_clock() - s.t0) - (ptc_op_times_sum(t) - s.sum0);
    t->s[PTC_OPCAT_OTHER] += rest > 0.0 ? rest : 0.0;
}

/* ---- fuzzy token pruning ------------------------------------------------------------ */
typedef enum ptc_prune_rule {
    PTC_PRUNE_CLAMP = 0,  /* prune min(t - k, |candidates|) lowest candidates (default, PF) */
    PTC_PRUNE_TOPK = 1,   /* keep exactly k by score, no fuzzy step (the paper's ours-P) */
    PTC_PRUNE_WITHIN = 2, /* prune ceil((1 - p) |candidates|) lowest candidates */
} ptc_prune_rule;

typedef enum ptc_quantile_scope {
    PTC_QUANTILE_PER_SAMPLE = 0, /* pool the scores of all heads of one sample (default) */
    PTC_QUANTILE_PER_BATCH = 1,  /* pool all heads of all samples */
} ptc_quantile_scope;

typedef struct ptc_prune_config {
    ptc_prune_rule rule;      /* PTC_PRUNE_CLAMP */
    double p;                 /* preservation ratio, (0, 1]; 0.9 */
    double alpha_important;   /* alpha-cut of Important, [0, 1]; 0.01 */
    double alpha_unimportant; /* alpha-cut of Unimportant, (0, 1]; 0.9 */
    double q_low, q_high;     /* quartiles a, b: 0.25, 0.75; 0 <= q_low <= q_high <= 1 */
    ptc_quantile_scope scope; /* PTC_QUANTILE_PER_SAMPLE */
    bool protect_cls;         /* never prune row 0 (false) */
    bool protect_sep;         /* never prune row len_b - 1 (false) */
} ptc_prune_config;

void ptc_prune_config_default(ptc_prune_config *cfg);
int ptc_prune_config_check(const ptc_prune_config *cfg, char *err, size_t err_len);

/* numpy.quantile(x, q) with method "linear" of n >= 1 ascending values, in double:
 * h = q (n - 1), lo = floor(h), f = h - lo,
 * value = x[lo] + f (x[lo+1] - x[lo]) (f < 0.5) or x[lo+1] - (1 - f)(x[lo+1] - x[lo]). */
double ptc_quantile_linear(const float *sorted, size_t n, double q);

/* Candidate threshold test of the fuzzy step for quartiles a <= b: S is a pruning
 * candidate when Unimportant(S) >= alpha_U or Important(S) < alpha_I, i.e.
 *   S <= a + (1 - alpha_U)(b - a)  or  S < a + alpha_I (b - a).
 * With the defaults the second set lies inside the first: thr = a + 0.1 (b - a).
 * a == b: Important is 0 for S <= a and 1 above (its first branch wins, nothing
 * is divided), so the candidates are exactly {S <= a}. */
bool ptc_prune_is_candidate(const ptc_prune_config *cfg, double a, double b, float s);

/* Keep count k = floor(t p) (computed in double with a 1e-9 guard so that a
 * decimal p such as 0.9 gives the exact decimal count). */
size_t ptc_prune_keep_count(double p, size_t t);

/* One head's selection. `score` (t) are the importance of its kept keys,
 * `protect` (t, may be NULL) marks keys that may not be pruned (combination
 * tokens, protected [CLS]/[SEP]); those are kept on top of the rule and are not
 * counted in t_eff = t - protected:
 *   k = keep_count(p, t_eff);
 *   clamp : prune min(t_eff - k, |C|) lowest-scored candidates C;
 *   topk  : prune t_eff - k lowest-scored unprotected keys (keep exactly k);
 *   within: prune ceil((1 - p) |C| - 1e-9) lowest-scored candidates.
 * Among equal scores the higher position is pruned first (lower index kept).
 * Writes the kept positions (ascending) to keep_pos and returns their number.
 * scratch: t uint64 values. */
size_t ptc_prune_head(const ptc_prune_config *cfg, double a, double b, size_t t,
                      const float *score, const uint8_t *protect, int32_t *keep_pos,
                      uint64_t *scratch);

/* One head's selection from the importance scores of all its t keys, quartiles
 * pooled over that head alone (the kernel-level benchmark's selection; the
 * encoder pools the heads of a sample in ptc_prune_select): sorts a copy of
 * `importance`, takes the linear quantiles q_low and q_high, then
 * ptc_prune_head with nothing protected. Writes the kept positions (ascending)
 * to keep_pos (t) and returns their number. scratch:
 * ptc_prune_select_head_scratch_bytes(t) bytes, 8-byte aligned. */
size_t ptc_prune_select_head_scratch_bytes(size_t t);
size_t ptc_prune_select_head(const ptc_prune_config *cfg, size_t t, const float *importance,
                             int32_t *keep_pos, void *scratch);

/* The pruning state that cascades across layers: per sample and head, the
 * ascending list of kept key rows (row numbers within the sample, see
 * ptc_tokens). Selection composes: kept_next = kept_now[selected], never a
 * re-selection over the full sequence. Memory: ptc_prune_state_bytes(), owned by
 * the caller, 64-byte aligned. */
typedef struct ptc_prune_state {
    size_t batch, n_heads, n_rows; /* capacity: n_rows = n_text + n_comb */
    int32_t *kept;      /* (batch, n_heads, n_rows); first count[b*n_heads+h] valid */
    int32_t *count;     /* (batch, n_heads) */
    float *importance;  /* (batch, n_heads, n_rows), aligned with kept; set by ptc_mhsa_forward */
    bool has_importance;
    double *quartiles;  /* (batch, 2): a, b of the last selection (per-batch scope: all equal) */
} ptc_prune_state;

size_t ptc_prune_state_bytes(size_t batch, size_t n_heads, size_t n_rows);
/* Every head keeps every key the layer can see: length-aware [0, len_b) and the
 * combination rows; padded all n_text + n_comb rows. */
int ptc_prune_state_init(ptc_prune_state *state, void *mem, size_t mem_bytes,
                         const ptc_tokens *tok, size_t n_heads, char *err, size_t err_len);

/* Selects the keys of the next layer from state->importance (written by the
 * last ptc_mhsa_forward with want_importance): quartiles over the importance of
 * every kept real token of every head (pads and combination tokens excluded),
 * then ptc_prune_head per head; combination tokens are always kept. Fills
 * stats->keys_next, flops_selection, bytes_scores (added to what is there). */
int ptc_prune_select(const ptc_prune_config *cfg, const ptc_tokens *tok,
                     ptc_prune_state *state, void *workspace, size_t workspace_bytes,
                     ptc_layer_stats *stats, char *err, size_t err_len);

/* ---- multi-head self-attention -------------------------------------------------------- */
typedef struct ptc_mhsa_weights {
    const float *wq, *bq;  /* (hidden, hidden) [out, in], (hidden) or NULL */
    const float *wk, *bk;
    const float *wv, *bv;
    const float *wo, *bo;  /* output projection */
    /* optional, for ptc_mhsa_options.fused_qkv: [Wq; Wk; Wv] (3 hidden, hidden) and
     * [bq; bk; bv] (3 hidden, NULL when all three are NULL), packed once by
     * ptc_mhsa_pack_qkv; NULL: Q, K and V always by three GEMMs */
    const float *wqkv, *bqkv;
} ptc_mhsa_weights;

/* Packs w's Wq, Wk, Wv into wqkv (3 hidden, hidden) and, when bqkv != NULL, bq, bk,
 * bv into bqkv (3 hidden; a NULL bias as zeros). */
void ptc_mhsa_pack_qkv(const ptc_mhsa_weights *w, size_t hidden, float *wqkv, float *bqkv);

typedef struct ptc_mhsa_options {
    bool use_kept;        /* attend only over state->kept (needs state) */
    /* write state->importance (needs state and use_kept): per head, the column
     * mean of the attention probabilities over every query row the layer sees
     * (combination tokens included; pads too in padded mode, where pad keys
     * score exactly 0), aligned with state->kept */
    bool want_importance;
    /* K/V projected only for the union over heads of the kept rows of a sample
     * (true, default) or for every row the layer sees, as the paper did (false).
     * Same attention output, different FLOPs. The union is per sample, so a row
     * kept by one head is projected for all heads: stats count those FLOPs. */
    bool project_kept;
    ptc_op_times *times;  /* per-op time added here (NULL: not timed, the default) */
    /* Q, K and V from one GEMM over w->wqkv (needs it; inference only) for the
     * samples whose K/V rows are Q's rows: every sample unless project_kept
     * projects a kept subset (then three GEMMs, K/V on the kept rows only).
     * Same values as the three GEMMs (the same dot products on the same table).
     * false (default): three GEMMs. */
    bool fused_qkv;
    /* ToMe's proportional attention: (batch, n_rows) by sample row, log of the
     * number of tokens each row stands for, added to its key logits (NULL: none) */
    const float *key_log_size;
} ptc_mhsa_options;

/* all kept, no importance, project_kept, not timed, three GEMMs for Q, K, V */
void ptc_mhsa_options_default(ptc_mhsa_options *opt);

/* y (batch, n_rows, hidden) = MHSA(x), the attention sub-layer output before the
 * residual: per head h, o_h = softmax(Q_h K_h^T / sqrt(d) + key_mask) V_h over
 * the head's kept keys, y = concat_h(o_h) Wo^T + bo. Queries: every row the
 * layer sees (pads included in padded mode only). stats may be NULL. */
int ptc_mhsa_forward(const ptc_ops *ops, const ptc_mhsa_weights *w, size_t hidden,
                     size_t n_heads, const ptc_tokens *tok, const float *x, float *y,
                     ptc_prune_state *state, const ptc_mhsa_options *opt,
                     void *workspace, size_t workspace_bytes, ptc_layer_stats *stats,
                     char *err, size_t err_len);

/* ---- encoder layer (post-LN, as BERT) -------------------------------------------------- */
typedef struct ptc_encoder_weights {
    ptc_mhsa_weights attn;
    const float *ln1_gamma, *ln1_beta; /* (hidden) */
    const float *w1, *b1;              /* (ffn, hidden) [out, in], (ffn) */
    const float *w2, *b2;              /* (hidden, ffn), (hidden) */
    const float *ln2_gamma, *ln2_beta;
    float ln_eps;                      /* 1e-12 in BERT */
} ptc_encoder_weights;

/* x1 = LN1(x + MHSA(x)); y = LN2(x1 + W2 gelu(W1 x1 + b1) + b2) on every row the
 * layer sees (pad rows of y are zero in length-aware mode). y may not alias x. */
int ptc_encoder_layer_forward(const ptc_ops *ops, const ptc_encoder_weights *w,
                              size_t hidden, size_t n_heads, size_t ffn,
                              const ptc_tokens *tok, const float *x, float *y,
                              ptc_prune_state *state, const ptc_mhsa_options *opt,
                              void *workspace, size_t workspace_bytes,
                              ptc_layer_stats *stats, char *err, size_t err_len);

/* ---- token combining module ------------------------------------------------------------- */
typedef struct ptc_combine_weights {
    const float *ln_c_gamma, *ln_c_beta; /* LayerNorm of the combination tokens (hidden) */
    const float *ln_e_gamma, *ln_e_beta; /* LayerNorm of the text tokens (hidden) */
    const float *wq, *bq;                /* (hidden, hidden) [out, in]; biases may be NULL */
    const float *wk, *bk;
    const float *wv, *bv;
    const float *wo, *bo;
    float ln_eps;
} ptc_combine_weights;

typedef struct ptc_combine_options {
    bool training;      /* add Gumbel(0,1) noise to the logits before the argmax */
    uint64_t seed;      /* Gumbel noise: a counter-based hash of (seed, sample, i, j) */
    bool residual_raw;  /* c' = c_raw + ... instead of the LayerNorm'd c (default false) */
    ptc_op_times *times;/* ptc_combine_forward's time added to its combining (NULL: none) */
} ptc_combine_options;

/* Token combining module (GroupViT-style hard assignment), per sample:
 *   c = LN_c(x[comb rows]) (m, hidden), e = LN_e(x[real rows]) (len, hidden)
 *   logit[i][j] = (Wq c_i + bq) . (Wk e_j + bk) / sqrt(hidden)   (+ Gumbel in training)
 *   g(j) = argmax_i logit[i][j] (= argmax of the softmax over i; lowest i on ties)
 *   out_i = c_i + Wo (sum_{g(j)=i} (Wv e_j + bv)) / (|{j: g(j)=i}| + 1) + bo
 * In inference the straight-through term soft - stopgrad(soft) is 0 and is not
 * formed. Pads never join a group (padded mode included); every text token is
 * assigned, including those whose K/V were pruned. Computed as
 *   logits = ((Wq c + bq) Wk) e^T + (Wq c + bq) bk  and  Wv (sum e_j) + n_i bv,
 * the same values with O(m) instead of O(len) projections (stats count these).
 * out: (batch, m, hidden). assign (batch, n_text) or NULL: g(j), -1 for pads. */
int ptc_combine_forward(const ptc_ops *ops, const ptc_combine_weights *w, size_t hidden,
                        const ptc_tokens *tok, const float *x, float *out,
                        int32_t *assign, const ptc_combine_options *opt,
                        void *workspace, size_t workspace_bytes,
                        ptc_layer_stats *stats, char *err, size_t err_len);

/* ---- variants and their per-layer plan --------------------------------------------------- */
typedef enum ptc_variant {
    PTC_VARIANT_BASELINE = 0,      /* BERT */
    PTC_VARIANT_PRUNE = 1,         /* P (rule topk) or PF (clamp/within): pruning only */
    PTC_VARIANT_COMBINE = 2,       /* C: combining at L_c */
    PTC_VARIANT_PRUNE_COMBINE = 3, /* PFC: pruning before L_c, combining at L_c */
    PTC_VARIANT_TOKEN_TOPK = 4,    /* TopK: cascade top-k token pruning (SpAtten) */
    PTC_VARIANT_TOKEN_LTP = 5,     /* LTP: learned-threshold token pruning */
    PTC_VARIANT_TOKEN_TOME = 6,    /* ToMe: token merging (bipartite soft matching) */
} ptc_variant;
enum { PTC_VARIANT_LAST = PTC_VARIANT_TOKEN_TOME };

/* Whole-token pruning and merging (TopK, LTP, ToMe; variants/token_prune.c,
 * token_merge.c). Layer l of
 * prune_first..n_layers-1 scores its tokens and removes some before layer
 * l + 1: their queries, keys, values and FFN rows are gone from then on; the
 * [CLS] token (row 0) is always kept. */
typedef struct ptc_token_config {
    /* TopK: keep[l] is the fraction of the non-[CLS] tokens that layer l sees
     * which layer l + 1 still sees (k = 1 + floor(keep (len - 1))); 0: prune.p */
    double keep[PTC_MAX_LAYERS + 1];
    double temperature; /* LTP: T of the training mask sigmoid((s - theta_l) / T); 0.05 */
    double lambda;      /* LTP: weight of the mask regularizer lambda sum_l mean_t m; 0.01 */
    /* LTP: the thresholds' initial values rise linearly over the removing
     * layers to this one (theta = init i / n for the i-th of n); 0.5 */
    double threshold_init;
    size_t merge_r;     /* ToMe: r, tokens merged away by each merging layer; 8 */
} ptc_token_config;

typedef struct ptc_variant_config {
    ptc_variant variant;
    size_t n_layers;          /* 12 */
    size_t hidden, n_heads;   /* 768, 12 */
    size_t n_comb;            /* m = 8 (C, PFC) */
    size_t combine_layer;     /* L_c = 11, in 1..n_layers */
    bool combine_replaces;    /* true: the module replaces layer L_c; false: runs after it */
    size_t prune_first;       /* 2: the first layer that selects keys for the next */
    ptc_prune_config prune;   /* rule clamp (PF); topk gives P */
    ptc_mhsa_options mhsa;
    ptc_pad_mode pad_mode;    /* length-aware */
    ptc_token_config token;   /* TopK, LTP */
} ptc_variant_config;

void ptc_variant_config_default(ptc_variant_config *cfg, ptc_variant variant);
/* TopK's keep ratios: removing layer prune_first + i keeps ratios[i], the last
 * ratio repeats over the layers after (variants/token_prune.c). */
void ptc_token_set_keep_ratios(ptc_variant_config *cfg, const double *ratios, size_t n);
/* TopK's keep ratio of removing layer `layer`: keep[layer], else prune.p. */
double ptc_token_keep_ratio(const ptc_variant_config *cfg, size_t layer);
/* TopK's keep ratio when every removing layer shares one, else 0. */
double ptc_token_keep_uniform(const ptc_variant_config *cfg);
/* The settings of a token variant as a short tag for labels and file names:
 * TopK "k0.7" (one ratio) or "k0.9,0.8,0.7" (by removing layer), ToMe "r8",
 * else "" (LTP's thresholds are tensors). Returns the length it needed. */
size_t ptc_token_options_tag(const ptc_variant_config *cfg, char *buf, size_t len);
int ptc_variant_config_check(const ptc_variant_config *cfg, char *err, size_t err_len);

typedef enum ptc_step_kind { PTC_STEP_ENCODER = 0, PTC_STEP_COMBINE = 1 } ptc_step_kind;

typedef struct ptc_step {
    ptc_step_kind kind;
    size_t layer;       /* encoder layer whose weights this step uses (1-based); for
                         * COMBINE the layer it replaces or follows */
    bool keys_pruned;   /* attends over the kept keys of an earlier selection */
    bool select;        /* scores importance and selects keys for the next step */
    bool comb_only;     /* only the m combination tokens remain (after combining) */
    size_t n_comb;      /* combination rows present in this step's input */
    bool token_score;   /* TopK, LTP: scores the importance of its tokens */
    bool token_remove;  /* TopK, LTP: removes tokens after itself (for the next step) */
} ptc_step;

typedef struct ptc_variant_plan {
    size_t n_steps;
    ptc_step steps[PTC_MAX_LAYERS + 1];
} ptc_variant_plan;

/* Which step does what. Layer l selects (after its own attention, for layer
 * l + 1) when prune_first <= l and layer l + 1 is an encoder layer that sees the
 * text tokens; so PF selects in layers 2..L-1, PFC in 2..L_c-2 (the selection of
 * layer L_c - 1, inside the paper's "pruning in 2..L_c-1", would only feed the
 * combining module, which reads every token, and is skipped). Layer 1 never
 * selects. With the module replacing L_c: layers 1..L_c-1, COMBINE, layers
 * L_c+1..L on the m tokens; inserted: layers 1..L_c, COMBINE, L_c+1..L. */
int ptc_variant_plan_make(const ptc_variant_config *cfg, ptc_variant_plan *plan,
                          char *err, size_t err_len);
/* The layer rules ptc_variant_plan_make follows, for callers that estimate
 * without running (FLOP and memory estimates). They read only variant,
 * n_layers, combine_layer, combine_replaces and prune_first of cfg (no check).
 *   ptc_variant_combines / prunes: C, PFC / P(F), PFC.
 *   ptc_plan_last_text_layer: the last encoder layer that sees the text
 *     tokens: n_layers without combining; L_c - 1 when the module replaces
 *     L_c, L_c when it follows it.
 *   ptc_plan_layer_selects: layer l (1-based) scores importance and selects
 *     the keys of layer l + 1: pruning variant, prune_first <= l and
 *     l + 1 <= last text layer. */
bool ptc_variant_combines(ptc_variant variant);
bool ptc_variant_prunes(ptc_variant variant);
bool ptc_variant_prunes_tokens(ptc_variant variant); /* TopK, LTP, ToMe (merges) */
size_t ptc_plan_last_text_layer(const ptc_variant_config *cfg);
bool ptc_plan_layer_selects(const ptc_variant_config *cfg, size_t layer);

/* Analytic FLOPs from shapes alone, for estimates (variants/flops.c; a run
 * counts its own in ptc_layer_stats). One encoder layer: n_q query rows
 * attending over n_kv keys per head (heads of 64), kv_rows rows projected to K
 * and V, hidden h, FFN ffn. One sample through the encoder of cfg's plan (its
 * hidden, n_comb, combine_layer, n_layers) over n text tokens, keeping
 * ptc_prune_keep_count(p, keys) after each selection; project_all: K/V
 * projected for every row, else only for the kept ones. */
double ptc_flops_encoder_layer(double n_q, double n_kv, double kv_rows, double h, double ffn);
double ptc_flops_encoder(const ptc_variant_config *cfg, double n, double ffn, double p, bool project_all);
/* One head's attention: n_q queries over n_kv keys of size d (Q K^T and P V, the
 * softmax, the output scaling). The combining module alone: n text tokens of
 * hidden h into m combination tokens (logits, grouped sums, projections). */
double ptc_flops_attention_head(double n_q, double n_kv, double d);
double ptc_flops_combine(double n, double m, double h);
/* one line per step, for logs: "3 encoder L3 keys=kept select" */
size_t ptc_variant_plan_describe(const ptc_variant_plan *plan, char *buf, size_t buf_len);


/* ---- the whole encoder (inference, or training-mode noise) -------------------------------- */
typedef struct ptc_encoder_stack {
    const ptc_encoder_weights *layers;   /* (n_layers), layers[l - 1] is layer l */
    const ptc_combine_weights *combine;  /* the combining module; NULL unless C/PFC */
    size_t ffn;                          /* FFN inner size */
    const float *token_threshold;        /* LTP: (n_layers) learned thresholds theta_l; else NULL */
} ptc_encoder_stack;

typedef struct ptc_encoder_result {
    const float *out;        /* (batch, out_rows, hidden), inside the arena */
    size_t out_rows;         /* n_text + n_comb before combining; m after it */
    bool combined;           /* out holds only the m combination tokens */
    /* (batch) real tokens of each sample in out (TopK, LTP: after token
     * removal, [CLS] first; NULL: the input's lengths) */
    const int32_t *out_lengths;
    /* LTP training: the mask regularizer lambda sum_l mean_b mean_t m_l,b,t
     * (its gradient is part of ptc_encoder_backward); else 0 */
    double aux_loss;
    const int32_t *kept;     /* final prune state (batch, n_heads, n_text + n_comb) */
    const int32_t *kept_count;/* (batch, n_heads) */
    const int32_t *assign;   /* (batch, n_text) combining groups, -1 for pads; NULL if none */
    size_t n_steps;
    ptc_layer_stats steps[PTC_MAX_LAYERS + 1]; /* per step of the plan */
    ptc_layer_stats total;   /* pooled over the steps (ptc_stats_accumulate) */
    /* FNV-1a of every step's kept-key counts and lists and of the combining
     * assignment (tests: a perturbation did not flip a selection) */
    uint64_t selection_hash;
} ptc_encoder_result;

/* Bytes of the arena ptc_encoder_forward needs for up to (batch, n_text) under
 * cfg: two activation buffers, the workspace, the prune state and the
 * assignment. Exact and planned once; 0 with a message when cfg is invalid. */
size_t ptc_encoder_arena_bytes(const ptc_variant_config *cfg, size_t batch, size_t n_text,
                               size_t ffn, char *err, size_t err_len);

/* The pieces of an encoder arena as ptc_encoder_forward lays it out, so that a
 * caller (the model's training path) can use the same buffers between forwards.
 * With arena == NULL every pointer is NULL (sizes only). Returns 0, or
 * PTC_EINVAL with a message when cfg is invalid. */
typedef struct ptc_encoder_arena_parts {
    float *act[2];          /* (batch, n_text + n_comb, hidden) each; act[0] is the input */
    void *workspace;        /* ptc_workspace_bytes() of the arena's dims */
    size_t workspace_bytes;
    void *state_mem;        /* ptc_prune_state_bytes(batch, n_heads, n_text + n_comb) */
    size_t state_bytes;
    int32_t *assign;        /* (batch, n_text) */
    /* TopK, LTP only (else NULL): importance by sample row (batch, n_text),
     * the rows that go on (batch, n_text) and their counts (batch) */
    float *token_score;
    int32_t *token_keep, *token_count;
    /* ToMe only (else NULL): tokens each row stands for and their logs (batch,
     * n_text), the merge's destinations (batch, n_text) and weights */
    float *token_size, *token_log_size, *token_weight;
} ptc_encoder_arena_parts;

int ptc_encoder_arena_split(const ptc_variant_config *cfg, size_t batch, size_t n_text,
                            size_t ffn, void *arena, ptc_encoder_arena_parts *parts,
                            char *err, size_t err_len);

/* Runs the variant's plan over the stack: x (batch, n_text + n_comb, hidden) in
 * the row layout of ptc_tokens (the caller places the m combination tokens in
 * the last rows; x may be the arena's own act[0], then nothing is copied).
 * tok->n_comb must equal cfg->n_comb for C/PFC and 0 otherwise.
 * arena: ptc_encoder_arena_bytes() bytes, 64-byte aligned; nothing else is
 * allocated. combine_opt may be NULL (inference). */
int ptc_encoder_forward(const ptc_ops *ops, const ptc_variant_config *cfg,
                        const ptc_encoder_stack *stack, const ptc_tokens *tok,
                        const float *x, const ptc_combine_options *combine_opt,
                        void *arena, size_t arena_bytes, ptc_encoder_result *res,
                        char *err, size_t err_len);

/* ---- training: the same forwards saving what backward needs, and backward ----------------
 * Training runs the code above (one implementation per layer): the forwards
 * take a save area, add hidden dropout and Gumbel noise, and keep K and V only
 * for the kept rows (with project_kept), so what is saved scales with the kept
 * keys; backward recomputes the attention probabilities from the saved
 * log-sum-exp (ops->attention_backward), in parallel over (sample, head).
 * Gradients accumulate (+=) into the caller's slabs in a fixed order, so a step
 * is bit-identical for any thread count. */

/* dst[c] += src[c] for c < n (src and dst do not overlap). */
void ptc_add_row(size_t n, const float *src, float *dst);

/* The linear layer y = x W^T + b on `rows` rows, W (out, in) [out, in], b may
 * be NULL; its backward: dW += dy^T x, db += colsum(dy) (dW and db may be NULL),
 * dx = dy W (+= when accumulate; dx may be NULL). */
void ptc_linear(const ptc_ops *ops, size_t rows, size_t in, size_t out,
                const float *x, size_t ldx, const float *w, const float *b,
                float *y, size_t ldy);
void ptc_linear_backward(const ptc_ops *ops, size_t rows, size_t in, size_t out,
                         const float *x, size_t ldx, const float *w, const float *dy, size_t lddy,
                         float *dw, float *db, float *dx, size_t lddx, bool accumulate);

/* Counter-based hash of (seed, a, b, c) -> uniform in (0, 1) (53 bits). */
double ptc_hash_u01(uint64_t seed, uint64_t a, uint64_t b, uint64_t c);
/* Hidden dropout of rows [row0, row0 + rows) of sample b at site `site`: x[r][c]
 * becomes 0 when ptc_hash_u01(seed, site, b, (row0 + r) * cols + c) < p, else
 * x / (1 - p). Its backward is the same call on the gradient. p = 0: nothing.
 * Through ops->dropout_rows (the same masks on every table), rows split over the
 * threads. */
void ptc_dropout(const ptc_ops *ops, float p, uint64_t seed, uint64_t site, size_t b,
                 size_t row0, size_t rows, size_t cols, float *x, size_t ldx);
/* Dropout sites of ptc_dropout used by the encoder (the model adds its own below 16):
 * step s (0-based) of the plan: attention output 16 + 2 s, FFN output 17 + 2 s;
 * the combining module's Gumbel noise 5000 + s. */
enum { PTC_SITE_ATTN = 16, PTC_SITE_FFN = 17, PTC_SITE_GUMBEL = 5000 };

typedef struct ptc_train_noise {
    float dropout;      /* hidden dropout probability, [0, 1) */
    uint64_t seed;      /* dropout masks and Gumbel noise of this step */
    bool gumbel;        /* Gumbel(0, 1) noise on the combining module's logits */
    /* test hook: the combining module's value uses the soft assignment (softmax)
     * instead of onehot(argmax): differentiable, with the straight-through
     * estimator's gradient formula, so finite differences can check it */
    bool soft_assign;
    /* test hook: LTP reuses the token importance its previous training forward
     * in this arena saved (constant in s, as backward treats it) */
    bool frozen_token_scores;
} ptc_train_noise;

/* Gradients mirror the weights (NULL where the weight is NULL). */
typedef struct ptc_mhsa_grads { float *wq, *bq, *wk, *bk, *wv, *bv, *wo, *bo; } ptc_mhsa_grads;
typedef struct ptc_encoder_grads {
    ptc_mhsa_grads attn;
    float *ln1_gamma, *ln1_beta, *w1, *b1, *w2, *b2, *ln2_gamma, *ln2_beta;
} ptc_encoder_grads;
typedef struct ptc_combine_grads {
    float *ln_c_gamma, *ln_c_beta, *ln_e_gamma, *ln_e_beta;
    float *wq, *bq, *wk, *bk, *wv, *bv, *wo, *bo;
} ptc_combine_grads;
typedef struct ptc_encoder_stack_grads {
    ptc_encoder_grads *layers;    /* (n_layers) */
    ptc_combine_grads *combine;   /* NULL unless C/PFC */
    float *token_threshold;       /* LTP: (n_layers); NULL otherwise */
    /* Optional (NULL: none): called before the backward of each plan step (done
     * false; it may re-point that step's gradients, layers[step->layer - 1] or
     * *combine) and after it (done true: they are final), so a caller can
     * update the step's weights at once and keep one step's gradients alive */
    void (*on_step)(void *ctx, const ptc_step *step, bool done);
    void *ctx;
} ptc_encoder_stack_grads;

/* BERT's embeddings of one sample's rows [0, rows) (variants/embed.c):
 *   sum_i = word[ids_i] + pos[i] + type[types_i]   (types NULL: type 0)
 *   x_i   = dropout(LN(sum_i))                      (drop NULL: none)
 * sum (rows, hidden) is written (kept for backward); mean, rstd (rows) may be
 * NULL. Backward: dx (rows, hidden) is consumed (dropout applied in place),
 * dsum (rows, hidden) scratch; the tables' gradients are added in row order. */
typedef struct ptc_embed_weights {
    const float *word, *pos, *type;       /* (vocab, H), (max_positions, H), (type_vocab, H) */
    const float *ln_gamma, *ln_beta;      /* (H) */
    float ln_eps;
} ptc_embed_weights;
typedef struct ptc_embed_grads { float *word, *pos, *type, *ln_gamma, *ln_beta; } ptc_embed_grads;
typedef struct ptc_embed_dropout { float p; uint64_t seed, site; size_t sample; } ptc_embed_dropout;
void ptc_embed_forward(const ptc_ops *ops, const ptc_embed_weights *w, size_t hidden, size_t rows,
                       const int32_t *ids, const int32_t *types, float *sum, float *mean,
                       float *rstd, float *x, const ptc_embed_dropout *drop);
void ptc_embed_backward(const ptc_ops *ops, const ptc_embed_weights *w, const ptc_embed_grads *g,
                        size_t hidden, size_t rows, const int32_t *ids, const int32_t *types,
                        const float *sum, const float *mean, const float *rstd, float *dx,
                        float *dsum, const ptc_embed_dropout *drop);

/* Bytes of the training arena for up to (batch, n_text) under cfg: every
 * step's input and saved activations (capacity for no pruning; the rows a step
 * does not keep are never touched, so resident memory follows the kept keys),
 * the shared workspace, the prune state and the backward scratch. 0 with a
 * message when cfg is invalid. */
size_t ptc_encoder_train_bytes(const ptc_variant_config *cfg, size_t batch, size_t n_text,
                               size_t ffn, char *err, size_t err_len);
/* ptc_encoder_forward with dropout and Gumbel noise, saving into the training
 * arena what ptc_encoder_backward needs. Same arguments as ptc_encoder_forward
 * (res->out points into the arena); noise NULL: none. With no noise the result
 * equals ptc_encoder_forward's bit for bit (except LTP: soft mask in training,
 * token removal at inference). */
int ptc_encoder_forward_train(const ptc_ops *ops, const ptc_variant_config *cfg,
                              const ptc_encoder_stack *stack, const ptc_tokens *tok,
                              const float *x, const ptc_train_noise *noise,
                              void *arena, size_t arena_bytes, ptc_encoder_result *res,
                              char *err, size_t err_len);
/* Where ptc_encoder_forward_train of (batch, n_text) in this arena keeps its
 * input x: a caller that writes x there saves the copy (as act[0] of
 * ptc_encoder_arena_split for inference). NULL when cfg is invalid. */
float *ptc_encoder_train_input(const ptc_variant_config *cfg, size_t batch, size_t n_text,
                               size_t ffn, void *arena);
/* Bytes of saved activations the last ptc_encoder_forward_train wrote (rows
 * actually kept, not the capacity). */
size_t ptc_encoder_saved_bytes(const void *arena);
/* Backward of the last ptc_encoder_forward_train in this arena: dout (batch,
 * res->out_rows, hidden) is d loss / d res->out; dx (batch, n_text + n_comb,
 * hidden) receives d loss / d x (written, pad rows 0); weight gradients are
 * added into grads. dout may not alias dx or the arena. */
int ptc_encoder_backward(const ptc_ops *ops, const ptc_variant_config *cfg,
                         const ptc_encoder_stack *stack, const ptc_encoder_stack_grads *grads,
                         const float *dout, float *dx, void *arena, size_t arena_bytes,
                         char *err, size_t err_len);

#ifdef __cplusplus
}
#endif
#endif /* PTC_VARIANTS_H */

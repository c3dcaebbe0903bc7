/*
 * ptc/model.h — the BERT-style encoder classifier: configuration, parameters in
 * one slab, inference and training forward, backward, AdamW, safetensors
 * checkpoints compatible with Hugging Face BERT, and what a checkpoint holds (`ptc inspect`).
 *
 * Shape of the code (after llm.c's train_gpt2.c): every parameter tensor lives in
 * one float slab described by a size table, with a struct of pointers into it;
 * gradients and the two AdamW moments are slabs of the same layout; zero-grad is
 * one memset; AdamW is one flat loop per tensor. Per-layer tensors are stacked
 * (n_layers, ...) as in llm.c; checkpoints split them per layer under Hugging
 * Face's names.
 *
 * Model (PAPER.md "Model"): embeddings (word + position + token type) ->
 * LayerNorm -> dropout; post-LN encoder layers run through the variant plan of
 * include/ptc/variants.h (baseline, P/PF pruning, C combining, PFC); mean of the
 * final real tokens (or of the m combination tokens after the combining module);
 * dropout; linear classifier; softmax cross-entropy averaged over the batch.
 *
 * Memory: activations live in one arena planned by ptc_model_plan for a
 * (batch, length) and mode; forwards and backward never allocate.
 *   inference  two ping-pong hidden-state buffers, the variants workspace, the
 *              prune state, pooled/logits (ptc_encoder_layer_forward etc.);
 *   training   also the encoder's training arena (ptc_encoder_train_bytes:
 *              every step's input and what its backward needs, K/V only for
 *              kept rows, and the backward scratch), the embedding LayerNorm's
 *              input and the gradient buffers. ptc_model_activation_bytes() is
 *              the exact size (capacity: rows a step does not keep are never
 *              touched, so resident memory follows the kept keys).
 *
 * Dropout: hidden dropout after the embedding LayerNorm, after the attention
 * output projection, after the FFN output projection, and before the classifier
 * (BERT's places; attention-probability dropout is not implemented). The mask is
 * a counter-based hash of (seed, site, sample, row, column), so a training step
 * is identical for any thread count.
 *
 * Errors: functions return 0 (PTC_OK) or PTC_EINVAL and write one line into
 * err (err_len bytes, may be NULL). Nothing aborts.
 * Threading: ops->sgemm threads itself; attention forward and backward run
 * OpenMP over (sample, head) pairs (variants/). Every result, training steps
 * included, is bit-identical for any thread count.
 */
#ifndef PTC_MODEL_H
#define PTC_MODEL_H

#include "ptc/ops.h"
#include "ptc/variants.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- configuration ----------------------------------------------------------------- */
typedef struct ptc_model_config {
    size_t vocab_size;     /* 30522 */
    size_t hidden;         /* 768 */
    size_t n_layers;       /* 12 */
    size_t n_heads;        /* 12 */
    size_t ffn;            /* 3072 */
    size_t max_positions;  /* 512 */
    size_t type_vocab;     /* 2 */
    size_t n_classes;      /* 2 */
    float dropout;         /* hidden dropout probability, [0, 1); 0.1 */
    float ln_eps;          /* LayerNorm epsilon, 1e-12 as BERT */
    float init_std;        /* N(0, init_std) weights; 0.02 */
    /* The variant and its settings (pruning rule, p, pad mode, L_c, m, insert
     * or replace). Its n_layers, hidden and n_heads must equal the fields above
     * (ptc_model_config_sync copies them). */
    ptc_variant_config variant;
} ptc_model_config;

/* A named model shape. The table (model/config.c) is the one vocabulary of
 * presets for every command; PTC_MODEL_PRESET_DEFAULT is the one default. */
typedef struct ptc_model_preset {
    const char *name;
    size_t layers, hidden, heads, ffn;
} ptc_model_preset;
#define PTC_MODEL_PRESET_DEFAULT "bert-base"
const ptc_model_preset *ptc_model_presets(size_t *count);

/* Presets "bert-base" (12/768/12/3072), "bert-medium" (8/512/8/2048), "bert-small" (4/512/8/2048), "bert-mini"
 * (4/256/4/1024), "bert-tiny" (2/128/2/512); vocab 30522, 512 positions, type
 * vocab 2, 2 classes, dropout 0.1, eps 1e-12. The variant gets its defaults
 * (ptc_variant_config_default) with L_c clamped to the layer count. */
int ptc_model_config_preset(ptc_model_config *cfg, const char *name, ptc_variant variant,
                            char *err, size_t err_len);
/* Upper bounds of ptc_model_config_check, far above any real BERT (bert-large:
 * hidden 1024, ffn 4096, 512 positions, 335M parameters) and low enough that
 * the sizes of the model and its activations never overflow size_t. vocab_size
 * is below 2^31 (token ids are int32). */
enum {
    PTC_MAX_HIDDEN = 1 << 16,
    PTC_MAX_FFN = 1 << 18,
    PTC_MAX_POSITIONS = 1 << 20, /* also the most combination tokens */
    PTC_MAX_CLASSES = 1 << 20,   /* also the most token types */
};
#define PTC_MAX_PARAMS ((size_t)1 << 34) /* 64 GiB of float32 */
/* cfg->variant.{n_layers, hidden, n_heads} = cfg->{n_layers, hidden, n_heads} */
void ptc_model_config_sync(ptc_model_config *cfg);
int ptc_model_config_check(const ptc_model_config *cfg, char *err, size_t err_len);
/* One line per field ("hidden 768"), for logs and `ptc inspect`. Returns the
 * length it needed (snprintf style). */
size_t ptc_model_config_describe(const ptc_model_config *cfg, char *buf, size_t buf_len);
const char *ptc_variant_name(const ptc_variant_config *v); /* "baseline" "P" "PF" "C" "PFC" "TopK" "LTP" "ToMe" */

/* ---- names (model/names.c): the one vocabulary of each dimension ------------------ */
/* A variant name (paper's or long). *rule_hint gets the rule the name implies
 * (P: topk, PF: clamp) or -1. 0, or PTC_EINVAL with a one-line reason. */
int ptc_parse_variant(const char *s, ptc_variant *v, int *rule_hint, char *err, size_t len);
/* The learn name of a parsed variant ("baseline", "P", "PF", "C", "PFC"): the
 * name train's run.json, eval and experiment rows keep. */
const char *ptc_variant_learn_name(ptc_variant v, int rule_hint);
/* The paper's name of a variant: BERT P PF C PFC (prune with clamp/within: PF). */
const char *ptc_variant_paper_name(ptc_variant v, ptc_prune_rule rule);
/* names by enum value: the one spelling of rules and pad modes */
extern const char *const ptc_rule_names[3];
extern const char *const ptc_pad_names[2];
const char *ptc_rule_name(ptc_prune_rule r);
const char *ptc_pad_name(ptc_pad_mode p);
int ptc_parse_rule(const char *s, ptc_prune_rule *r, char *err, size_t len);
int ptc_parse_pad(const char *s, ptc_pad_mode *p, char *err, size_t len);
/* A preset of the table above by name; NULL with a reason listing the presets
 * (model/config.c). */
const ptc_model_preset *ptc_parse_model_preset(const char *s, char *err, size_t len);

/* ---- parameters ------------------------------------------------------------------------ */
enum { PTC_NUM_PARAM_TENSORS = 37 };

/* Pointers into one slab, in slab order. Shapes (L layers, H hidden, F ffn,
 * C classes, m combination tokens); matrices are [out, in] as nn.Linear. */
typedef struct ptc_params {
    float *word_emb;        /* (vocab, H) */
    float *pos_emb;         /* (max_positions, H) */
    float *type_emb;        /* (type_vocab, H) */
    float *emb_ln_g, *emb_ln_b;          /* (H) */
    float *wq, *bq, *wk, *bk, *wv, *bv;  /* (L, H, H), (L, H) */
    float *wo, *bo;                      /* (L, H, H), (L, H) */
    float *ln1_g, *ln1_b;                /* (L, H) attention.output.LayerNorm */
    float *w1, *b1;                      /* (L, F, H), (L, F) intermediate.dense */
    float *w2, *b2;                      /* (L, H, F), (L, H) output.dense */
    float *ln2_g, *ln2_b;                /* (L, H) output.LayerNorm */
    float *cls_w, *cls_b;                /* (C, H), (C) */
    float *comb_tokens;                  /* (m, H); m = 0 without combining */
    float *tcm_lnc_g, *tcm_lnc_b, *tcm_lne_g, *tcm_lne_b; /* (H) each, or 0 */
    float *tcm_wq, *tcm_bq, *tcm_wk, *tcm_bk;             /* (H, H), (H) or 0 */
    float *tcm_wv, *tcm_bv, *tcm_wo, *tcm_bo;
    float *ltp_threshold;                /* (L): LTP's learned thresholds theta_l, or 0 */
} ptc_params;

/* Element counts of the tensors of a config, in slab order (model/config.c); returns the total,
 * SIZE_MAX when a count does not fit in size_t (ptc_model_config_check refuses
 * such configs, and any above PTC_MAX_PARAMS). */
size_t ptc_param_sizes(const ptc_model_config *cfg, size_t sizes[PTC_NUM_PARAM_TENSORS]);
/* Short name of tensor i ("wq", "comb_tokens") and whether AdamW decays it
 * (weights and embeddings yes; biases and LayerNorm no). */
const char *ptc_param_tensor_name(size_t i);
bool ptc_param_tensor_decays(size_t i);

/* ---- the model -------------------------------------------------------------------------- */
typedef struct ptc_model_acts ptc_model_acts; /* the arena layout (model/internal.h) */

typedef struct ptc_model {
    ptc_model_config cfg;
    const ptc_ops *ops;
    ptc_variant_plan plan;
    size_t param_sizes[PTC_NUM_PARAM_TENSORS];
    size_t n_params;
    float *params_memory;  ptc_params params;   /* n_params floats */
    float *grads_memory;   ptc_params grads;    /* allocated by zero-grad or ptc_model_backward */
    float *adam_m, *adam_v;                     /* allocated by the first AdamW step */
    uint64_t adam_t;                            /* AdamW steps taken */
    /* activations */
    void *arena;
    size_t arena_bytes;
    size_t plan_batch, plan_n;
    bool plan_training;
    ptc_model_acts *acts;
    /* results of the last forward (point into the arena) */
    float *logits;   /* (batch, C) */
    float *probs;    /* (batch, C) softmax of logits */
    float loss;      /* mean cross-entropy (when labels were given) */
    size_t last_batch, last_n;
    /* statistics of each step of the last inference forward (ptc_model_forward) */
    ptc_layer_stats step_stats[PTC_MAX_LAYERS + 1];
    size_t n_step_stats;
    bool backward_ready;   /* a training forward with labels ran */
    uint64_t selection_hash; /* hash of the kept lists and assignments of the last
                              * training forward (tests: perturbation did not flip them) */
} ptc_model;

/* Allocates the parameters and initialises them (seeded, deterministic):
 * weights and embeddings N(0, init_std), biases 0, LayerNorm gamma 1 beta 0,
 * combination tokens N(0, init_std). ops: the table to run on. */
int ptc_model_init(ptc_model *m, const ptc_model_config *cfg, const ptc_ops *ops,
                   uint64_t seed, char *err, size_t err_len);
void ptc_model_free(ptc_model *m);
/* Re-draws every parameter as ptc_model_init does. */
void ptc_model_init_params(ptc_model *m, uint64_t seed);
/* Re-draws one tensor (slab index) as ptc_model_init does (for checkpoints
 * that lack it). */
void ptc_model_init_tensor(ptc_model *m, size_t tensor, uint64_t seed);

/* Plans the arena for batches of up to `batch` samples of up to `n` tokens, in
 * inference or training mode (training also allocates the gradient slab), and
 * allocates it once. Calling it again with the same or smaller shapes and mode
 * keeps the arena. */
int ptc_model_plan(ptc_model *m, size_t batch, size_t n, bool training, char *err, size_t err_len);
size_t ptc_model_activation_bytes(const ptc_model *m); /* the arena, exact bytes */
/* Bytes of activations the last training forward saved for backward (the rows
 * actually kept; 0 before a training forward). */
size_t ptc_model_saved_bytes(const ptc_model *m);

typedef struct ptc_batch {
    size_t batch, n;           /* samples, padded length (<= max_positions) */
    const int32_t *ids;        /* (batch, n) token ids < vocab_size */
    const int32_t *type_ids;   /* (batch, n) < type_vocab, or NULL (all 0) */
    const int32_t *lengths;    /* (batch) real lengths 1..n, or NULL (all n) */
    const int32_t *labels;     /* (batch) < n_classes, or NULL (no loss) */
} ptc_batch;

/* Inference forward through the variants' kernels (ptc_encoder_layer_forward,
 * ptc_prune_select, ptc_combine_forward): no dropout, no Gumbel noise. Writes
 * m->logits, m->probs and (with labels) *loss. stats (may be NULL): the layer
 * statistics of every step accumulated. Needs a plan (either mode) that covers
 * the batch. */
int ptc_model_forward(ptc_model *m, const ptc_batch *in, float *loss, ptc_layer_stats *stats,
                      char *err, size_t err_len);

typedef struct ptc_train_options {
    uint64_t seed;      /* dropout masks and Gumbel noise of this step */
    bool dropout;       /* apply cfg.dropout (true) */
    bool gumbel;        /* Gumbel(0,1) noise in the combining module (true) */
    /* Test hook: the combining module's forward uses the soft assignment
     * A = softmax as its value instead of onehot(argmax) — a differentiable
     * surrogate whose exact gradient has the same form as the straight-through
     * estimator's, so finite differences can check it (false). */
    bool soft_assign;
    /* Test hook: LTP's token importance is that of the previous training
     * forward (held constant, as backward treats it), so finite differences
     * check the rest of the gradient (false). */
    bool frozen_token_scores;
} ptc_train_options;
void ptc_train_options_default(ptc_train_options *opt, uint64_t seed);

/* Training forward: the same layers as ptc_model_forward
 * (ptc_encoder_forward_train: bit-identical to inference without dropout and
 * Gumbel noise), with dropout and Gumbel noise when enabled, saving what
 * backward needs. Needs a training plan. */
int ptc_model_forward_train(ptc_model *m, const ptc_batch *in, const ptc_train_options *opt,
                            float *loss, char *err, size_t err_len);
void ptc_model_zero_grad(ptc_model *m);
/* Accumulates (+=) d(mean loss)/d(params) of the last training forward into
 * m->grads. Pruning selections and combining argmaxes carry no gradient;
 * pruned keys get none; the combining module uses the straight-through
 * estimator A = onehot + soft - stopgrad(soft). */
int ptc_model_backward(ptc_model *m, char *err, size_t err_len);

/* ---- AdamW --------------------------------------------------------------------------------- */
typedef struct ptc_adamw_config {
    float lr;            /* peak learning rate (2e-5 in the paper) */
    float beta1, beta2;  /* 0.9, 0.999 */
    float eps;           /* 1e-8 */
    float weight_decay;  /* 0.01, decoupled, not on biases and LayerNorm */
    size_t warmup_steps; /* linear warm-up from 0 to lr */
    size_t total_steps;  /* then linear decay to 0 at total_steps (0: constant) */
} ptc_adamw_config;
void ptc_adamw_config_default(ptc_adamw_config *a);
/* learning rate of step (0-based) under the schedule */
float ptc_adamw_lr(const ptc_adamw_config *a, size_t step);
/* One AdamW update of every parameter with learning rate lr (bias-corrected
 * moments; allocates the moment slabs on the first call). */
int ptc_model_adamw_step(ptc_model *m, const ptc_adamw_config *a, float lr, char *err, size_t err_len);
/* The training step's second half: backward of the last training forward with
 * each tensor's AdamW update applied as soon as its gradient is final, equal
 * bit for bit to ptc_model_zero_grad + ptc_model_backward +
 * ptc_model_adamw_step, without the gradient slab (m->grads is neither needed
 * nor touched; one group of tensors' gradients lives in the training arena at
 * a time). One batch per update: gradient accumulation over batches takes the
 * separate calls. Refused (nothing updated) without a training forward. */
int ptc_model_backward_adamw(ptc_model *m, const ptc_adamw_config *a, float lr, char *err,
                             size_t err_len);

/* ---- checkpoints (model/safetensors.c) ----------------------------------------------------------
 * Hugging Face BERT names: bert.embeddings.{word,position,token_type}_embeddings.weight,
 * bert.embeddings.LayerNorm.{weight,bias}, bert.encoder.layer.N.attention.self.{query,key,value}.{weight,bias},
 * ...attention.output.dense, ...attention.output.LayerNorm, ...intermediate.dense,
 * ...output.dense, ...output.LayerNorm, classifier.{weight,bias}; ptc's own tensors
 * under "ptc." (ptc.combination_tokens, ptc.combine.{ln_c,ln_e}.{weight,bias},
 * ptc.combine.{query,key,value,output}.{weight,bias}). The ptc config is stored
 * as strings in __metadata__. */

/* One checkpoint tensor that a load did not use, or a model tensor it lacked. */
typedef struct ptc_load_report {
    size_t n_loaded;
    size_t n_missing;            /* model tensors (per layer) absent: initialised */
    size_t n_ignored;            /* file tensors not used (e.g. bert.pooler.*) */
    char missing[64][96];        /* the first 64 names of each */
    char ignored[64][96];
    bool config_from_metadata;   /* ptc's __metadata__ */
    bool config_from_json;       /* config.json beside the file */
} ptc_load_report;

/* Writes every parameter and the config (atomic: temporary file in the same
 * directory, fsync, rename). */
int ptc_model_save(const ptc_model *m, const char *path, char *err, size_t err_len);
/* Reads the config of a checkpoint: ptc's __metadata__ when present, else the
 * config.json beside it (transformers: hidden_size, num_hidden_layers,
 * num_attention_heads, intermediate_size, vocab_size, max_position_embeddings,
 * type_vocab_size, layer_norm_eps, num_labels / id2label), else an error. The
 * variant is the one in the metadata, else `variant`. */
int ptc_checkpoint_config(const char *path, ptc_variant variant, ptc_model_config *cfg,
                          ptc_load_report *rep, char *err, size_t err_len);
/* Loads the tensors of a checkpoint into an initialised model whose config
 * matches it. Missing tensors keep their initial values and are listed;
 * extra tensors are ignored and listed. Names with or without the "bert."
 * prefix are accepted. Refused (with the tensor's name): wrong dtype (F32, F16,
 * BF16 accepted), shape mismatch, data offsets out of range or overlapping,
 * truncated file, non-finite values. On failure the parameters may be partly
 * overwritten. rep may be NULL; otherwise every field is rewritten except the
 * config_from_* flags, which are kept (ptc_checkpoint_config sets them): pass a
 * report that ptc_checkpoint_config filled, or one zero-initialised. */
int ptc_model_load_tensors(ptc_model *m, const char *path, ptc_load_report *rep,
                           char *err, size_t err_len);
/* ptc_checkpoint_config + ptc_model_init + ptc_model_load_tensors. */
int ptc_model_load(ptc_model *m, const char *path, ptc_variant variant, const ptc_ops *ops,
                   uint64_t seed, ptc_load_report *rep, char *err, size_t err_len);

/* What a checkpoint holds, read without loading it (model/inspect.c; the command
 * `ptc inspect` prints it: harness/report/inspect.c). */
enum { PTC_CHECKPOINT_MAX_DIMS = 8 };
typedef struct ptc_checkpoint_tensor {
    char *name;                  /* malloc'ed */
    char dtype[16];              /* "F32", "BF16", ... */
    size_t ndim;
    uint64_t shape[PTC_CHECKPOINT_MAX_DIMS];
    uint64_t begin, end;         /* byte offsets from the data start */
} ptc_checkpoint_tensor;
typedef struct ptc_checkpoint_info {
    uint64_t file_size, header_bytes;
    ptc_model_config cfg;        /* ptc_checkpoint_config (variant: the metadata's, else baseline) */
    ptc_load_report rep;         /* its config_from_* flags */
    ptc_checkpoint_tensor *tensors; /* in header order */
    size_t n_tensors;
    uint64_t elements;           /* of all tensors */
} ptc_checkpoint_info;
/* Reads the header and config of a checkpoint into info (free it with
 * ptc_checkpoint_info_free). PTC_OK, or PTC_EINVAL with a one-line reason. */
int ptc_checkpoint_read_info(const char *path, ptc_checkpoint_info *info, char *err, size_t err_len);
void ptc_checkpoint_info_free(ptc_checkpoint_info *info);

#ifdef __cplusplus
}
#endif
#endif /* PTC_MODEL_H */

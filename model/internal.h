/*
 * model/internal.h — helpers shared by the model/ sources (not installed):
 * error formatting, a counting arena (with base == NULL it only measures, so
 * the plan and the forwards carve the same layout), the activation layout.
 */
#ifndef PTC_MODEL_INTERNAL_H
#define PTC_MODEL_INTERNAL_H

#include "ptc/model.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

__attribute__((format(printf, 3, 4)))
static inline int ptc_model_fail(char *err, size_t err_len, const char *fmt, ...)
{
    if (err && err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return PTC_EINVAL;
}

typedef struct ptc_marena {
    char *base;   /* NULL: count only */
    size_t used;
} ptc_marena;

static inline void *ptc_marena_take(ptc_marena *a, size_t bytes)
{
    const size_t off = (a->used + 63) & ~(size_t)63;
    a->used = off + ((bytes + 63) & ~(size_t)63);
    return a->base ? a->base + off : NULL;
}
#define PTC_TAKE_F(a, n) ((float *)ptc_marena_take((a), (size_t)(n) * sizeof(float)))
#define PTC_TAKE_I(a, n) ((int32_t *)ptc_marena_take((a), (size_t)(n) * sizeof(int32_t)))

struct ptc_model_acts {
    /* both modes */
    float *pooled, *pooled_in, *logits, *probs; /* (B, H), (B, H), (B, C), (B, C) */
    float *losses;                /* (B) */
    void *enc;                    /* the encoder arena of inference (ptc_encoder_arena_bytes);
                                   * its act[0] the input: embeddings, pads, m tokens */
    size_t enc_bytes;
    int32_t *ids, *types, *lengths, *labels; /* copies of the batch (B, n), (B, n), (B), (B) */
    float *emb_tmp;               /* (n, H) embedding sums of one sample (inference) */
    /* training */
    void *train;                  /* the encoder's training arena (ptc_encoder_train_bytes),
                                   * the inference arena and emb_tmp in its end */
    size_t train_bytes;
    const float *enc_out;         /* the last training forward's encoder output, in `train` */
    size_t enc_out_rows;
    bool enc_combined;
    const int32_t *enc_out_lengths; /* real rows per sample of enc_out (TopK, LTP); NULL: lengths */
    float *emb_sum, *emb_mean, *emb_rstd; /* (B, n, H), (B, n), (B, n) embedding LayerNorm */
    float *dout, *dx;             /* (B, R0, H) gradient wrt the encoder output / input */
    float *demb;                  /* (n, H) */
    float *dpooled, *dlogits;     /* (B, H), (B, C) */
    /* the fused backward + AdamW (model/backward.c): the gradients of one group
     * of tensors at a time, the word embedding's only for the batch's ids */
    float *grad;                  /* (grad_floats) */
    size_t grad_floats;
    int32_t *word_slot;           /* (vocab) row of an id in the word gradient, -1: none */
    int32_t *word_ids, *word_rows; /* (B, n) ids as word gradient rows; (B n) the ids of the rows */
    /* dims */
    size_t batch, n, r0;
    bool training;
    /* the last training forward's dropout probability and seed (backward
     * re-derives the masks from them) */
    float train_dropout;
    uint64_t train_seed;
};

/* rows per sample the variants layout holds */
static inline size_t ptc_model_rows(const ptc_model_config *cfg, size_t n)
{
    return n + cfg->variant.n_comb;
}

/* index of a member of ptc_params (slab order) */
#define PTC_TENSOR(member) (offsetof(ptc_params, member) / sizeof(float *))

/* model/params.c */
int ptc_model_alloc_grads(ptc_model *m, char *err, size_t err_len);
/* first element of tensor t in the slabs */
size_t ptc_param_offset(const ptc_model *m, size_t t);
/* One AdamW update, tensor by tensor: ptc_adamw_begin counts the step (moments
 * allocated on the first), ptc_adamw_apply updates elements [first, first +
 * count) of tensor t from their gradients g (count). The updates of the
 * elements are independent, so any split of the tensors gives the same bits
 * as ptc_model_adamw_step. */
typedef struct ptc_adamw_run {
    float lr, b1, b2, eps, weight_decay;
    float c1, c2; /* bias corrections 1 - beta^t */
} ptc_adamw_run;
int ptc_adamw_begin(ptc_model *m, const ptc_adamw_config *a, float lr, ptc_adamw_run *r,
                    char *err, size_t err_len);
void ptc_adamw_apply(ptc_model *m, const ptc_adamw_run *r, size_t t, size_t first, size_t count,
                     const float *g);
/* model/backward.c: floats of the fused step's gradient scratch for (batch, n) */
size_t ptc_model_grad_scratch_floats(const ptc_model *m, size_t batch, size_t n);
/* model/forward.c */
bool ptc_model_has_combine(const ptc_model_config *cfg);
/* text rows step input sees for sample b (length-aware len_b, padded n) */
size_t ptc_model_text_rows(const ptc_model *m, size_t b);
/* dropout sites of the model (ptc_dropout; the encoder's start at PTC_SITE_ATTN) */
enum { PTC_SITE_EMB = 1, PTC_SITE_CLS = 2 };
/* layer l's (0-based) slices of a slab laid out as ptc_params: the parameters or their
 * gradients (the one place the per-layer offsets are computed) */
void ptc_model_layer_slices(const ptc_params *slab, const ptc_model_config *cfg, size_t l,
                            ptc_encoder_grads *out);
/* the stack of per-layer weights and their gradients (pointers into the slabs) */
void ptc_model_stack(const ptc_model *m, ptc_encoder_weights *layers, ptc_combine_weights *comb,
                     ptc_encoder_stack *stack);
void ptc_model_stack_grads(ptc_model *m, ptc_encoder_grads *layers, ptc_combine_grads *comb,
                           ptc_encoder_stack_grads *grads);
size_t ptc_model_layout(const ptc_model *m, ptc_model_acts *acts, void *base, size_t batch,
                        size_t n, bool training);

/* model/safetensors.c: a parsed safetensors header (names point into it) */
enum { PTC_ST_MAX_DIMS = 8 };
typedef struct ptc_st_entry {
    const char *name;
    const char *dtype;                 /* "F32", "BF16", ... */
    size_t ndim;
    uint64_t shape[PTC_ST_MAX_DIMS];
    uint64_t begin, end;               /* byte offsets from the data start */
} ptc_st_entry;
typedef struct ptc_st_file {
    FILE *fp;
    uint64_t file_size, data_start;
    void *root;                        /* json_t */
    void *metadata;                    /* json_t object or NULL */
    ptc_st_entry *entries;             /* in header order */
    size_t n;
} ptc_st_file;
int ptc_st_open(const char *path, ptc_st_file *f, char *err, size_t err_len);
void ptc_st_close(ptc_st_file *f);
const ptc_st_entry *ptc_st_find(const ptc_st_file *f, const char *name);
const char *ptc_st_meta(const ptc_st_file *f, const char *key);
int ptc_st_read_f32(const ptc_st_file *f, const ptc_st_entry *e, float *dst, size_t count,
                    char *err, size_t err_len);

#endif /* PTC_MODEL_INTERNAL_H */

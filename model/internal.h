/*
 * model/internal.h — helpers shared by the model/ sources (not installed):
 * error formatting, a counting arena (with base == NULL it only measures, so
 * the plan and the forwards carve the same layout), the activation layout.
 */
#ifndef PTC_MODEL_INTERNAL_H
#define PTC_MODEL_INTERNAL_H

#include "ptc/model.h"

#include <stdarg.h>
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

/* Saved activations of one plan step (training). Rows are per sample, compact:
 * text rows the step sees [0, T_b) (T_b = len_b length-aware, n padded), then
 * the step's combination rows; sample stride R_s rows. After the combining
 * module only the m combination rows remain (T_b = 0). */
typedef struct ptc_step_save {
    size_t rows;                  /* R_s: rows per sample of this step's input */
    /* encoder */
    float *q, *k, *v, *ctx;       /* (B, R, H) */
    float *lse;                   /* (B, heads, R) */
    float *res1, *mean1, *rstd1;  /* (B, R, H), (B, R), (B, R) */
    float *x1;                    /* (B, R, H) LN1 output */
    float *u, *g;                 /* (B, R, F) FFN pre-GELU and post-GELU */
    float *res2, *mean2, *rstd2;
    int32_t *idx;                 /* (B, heads, R) kept keys, compact rows */
    int32_t *cnt;                 /* (B, heads) */
    /* combining module (n = text rows, m tokens) */
    float *c, *mc, *rc;           /* (B, m, H) LN_c output, its mean/rstd (B, m) */
    float *e, *me, *re;           /* (B, n, H), (B, n), (B, n) */
    float *qc, *ke, *ve;          /* (B, m, H), (B, n, H), (B, n, H) */
    float *soft, *aval;           /* (B, m, n) softmax over i; the assignment value */
    int32_t *assign;              /* (B, n) */
    float *num, *den, *uu;        /* (B, m, H), (B, m), (B, m, H) */
} ptc_step_save;

struct ptc_model_acts {
    /* both modes */
    float *pooled, *pooled_in, *logits, *probs; /* (B, H), (B, H), (B, C), (B, C) */
    float *losses;                /* (B) */
    void *enc;                    /* the encoder arena (ptc_encoder_arena_bytes); state_mem, ws,
                                     xa, xb below are its parts (ptc_encoder_arena_split) */
    size_t enc_bytes;
    void *state_mem;              /* prune state */
    size_t state_bytes;
    void *ws;                     /* variants workspace (inference; selection in training) */
    size_t ws_bytes;
    int32_t *ids, *types, *lengths, *labels; /* copies of the batch (B, n), (B, n), (B), (B) */
    /* inference */
    float *xa, *xb;               /* (B, R0, H) ping-pong, variants layout */
    /* training */
    float *emb_sum, *emb_mean, *emb_rstd; /* (B, n, H), (B, n), (B, n) */
    float *xs[PTC_MAX_LAYERS + 2];        /* input of step s (B, R_s, H); xs[n_steps] final */
    ptc_step_save save[PTC_MAX_LAYERS + 1];
    /* backward scratch (per sample unless said) */
    float *dxa, *dxb;             /* (B, R0, H) gradient wrt a step's output / input */
    float *dq, *dk, *dv, *dctx, *dt1, *dt2; /* (R0, H) */
    float *du;                    /* (R0, F) */
    float *att_p, *att_dp;        /* (R0, R0) */
    float *kh, *vh, *dkh, *dvh;   /* (R0, d) */
    float *dlogit;                /* (m, n) */
    float *dden;                  /* (m) */
    float *dpooled;               /* (B, H) */
    /* dims */
    size_t batch, n, r0;
    bool training;
    /* the last training forward's dropout switch and seed (backward re-derives
     * the masks from them) */
    bool training_dropout;
    uint64_t train_seed;
};

/* rows per sample the variants layout holds */
static inline size_t ptc_model_rows(const ptc_model_config *cfg, size_t n)
{
    return n + cfg->variant.n_comb;
}

/* counter-based hash -> uniform (0, 1) in double */
static inline uint64_t ptc_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static inline double ptc_hash_u01(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t z = ptc_mix64(seed + 0x9E3779B97F4A7C15ull);
    z = ptc_mix64(z ^ (a * 0xD1B54A32D192ED03ull));
    z = ptc_mix64(z ^ (b * 0x8CB92BA72F3D8DD7ull));
    z = ptc_mix64(z ^ (c * 0xABC98388FB8FAC03ull));
    return ((double)(z >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* model/params.c */
int ptc_model_alloc_grads(ptc_model *m, char *err, size_t err_len);
/* model/forward.c */
bool ptc_model_has_combine(const ptc_model_config *cfg);
/* text rows step input sees for sample b (length-aware len_b, padded n) */
size_t ptc_model_text_rows(const ptc_model *m, size_t b);
void ptc_model_dropout(float p, uint64_t seed, uint64_t site, size_t b, size_t rows, size_t cols,
                       float *x, size_t ldx);
enum { PTC_SITE_EMB = 1, PTC_SITE_CLS = 2, PTC_SITE_ATTN = 16, PTC_SITE_FFN = 17 /* + 2 s */ };
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

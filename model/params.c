/*
 * model/params.c — the parameter slab (size table + struct of pointers, as
 * llm.c), initialisation, gradient slab, zero-grad, AdamW with a linear
 * warm-up / linear decay schedule.
 *
 * Initialisation is counter-based: element i of tensor t is a function of
 * (seed, t, i), so one tensor can be re-drawn alone (checkpoints lacking it)
 * and the result never depends on the thread count.
 */
#include "internal.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

enum init_kind { INIT_NORMAL, INIT_ZERO, INIT_ONE, INIT_LTP };

static const struct {
    const char *name;
    enum init_kind init;
    bool decay;
} tensor_info[PTC_NUM_PARAM_TENSORS] = {
    {"word_emb", INIT_NORMAL, true}, {"pos_emb", INIT_NORMAL, true},
    {"type_emb", INIT_NORMAL, true}, {"emb_ln_g", INIT_ONE, false}, {"emb_ln_b", INIT_ZERO, false},
    {"wq", INIT_NORMAL, true}, {"bq", INIT_ZERO, false}, {"wk", INIT_NORMAL, true},
    {"bk", INIT_ZERO, false}, {"wv", INIT_NORMAL, true}, {"bv", INIT_ZERO, false},
    {"wo", INIT_NORMAL, true}, {"bo", INIT_ZERO, false},
    {"ln1_g", INIT_ONE, false}, {"ln1_b", INIT_ZERO, false},
    {"w1", INIT_NORMAL, true}, {"b1", INIT_ZERO, false}, {"w2", INIT_NORMAL, true},
    {"b2", INIT_ZERO, false}, {"ln2_g", INIT_ONE, false}, {"ln2_b", INIT_ZERO, false},
    {"cls_w", INIT_NORMAL, true}, {"cls_b", INIT_ZERO, false},
    {"comb_tokens", INIT_NORMAL, true},
    {"tcm_lnc_g", INIT_ONE, false}, {"tcm_lnc_b", INIT_ZERO, false},
    {"tcm_lne_g", INIT_ONE, false}, {"tcm_lne_b", INIT_ZERO, false},
    {"tcm_wq", INIT_NORMAL, true}, {"tcm_bq", INIT_ZERO, false},
    {"tcm_wk", INIT_NORMAL, true}, {"tcm_bk", INIT_ZERO, false},
    {"tcm_wv", INIT_NORMAL, true}, {"tcm_bv", INIT_ZERO, false},
    {"tcm_wo", INIT_NORMAL, true}, {"tcm_bo", INIT_ZERO, false},
    {"ltp_threshold", INIT_LTP, false},
};

const char *ptc_param_tensor_name(size_t i)
{
    return i < PTC_NUM_PARAM_TENSORS ? tensor_info[i].name : "?";
}

bool ptc_param_tensor_decays(size_t i)
{
    return i < PTC_NUM_PARAM_TENSORS && tensor_info[i].decay;
}

/* Points the struct's members at consecutive pieces of mem (slab order). */
static void point_params(ptc_params *p, float *mem, const size_t sizes[PTC_NUM_PARAM_TENSORS])
{
    float **ptrs = (float **)p; /* ptc_params is PTC_NUM_PARAM_TENSORS float pointers */
    for (size_t i = 0; i < PTC_NUM_PARAM_TENSORS; i++) {
        ptrs[i] = mem;
        mem += sizes[i];
    }
}
_Static_assert(sizeof(ptc_params) == PTC_NUM_PARAM_TENSORS * sizeof(float *),
               "ptc_params must hold exactly the tensor pointers");

static float normal_at(uint64_t seed, size_t tensor, size_t i)
{
    /* Box-Muller on two hashed uniforms */
    const double u1 = ptc_hash_u01(seed, tensor, i, 1), u2 = ptc_hash_u01(seed, tensor, i, 2);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void ptc_model_init_tensor(ptc_model *m, size_t t, uint64_t seed)
{
    if (t >= PTC_NUM_PARAM_TENSORS)
        return;
    float *p = ((float **)&m->params)[t];
    const size_t n = m->param_sizes[t];
    switch (tensor_info[t].init) {
    case INIT_ZERO:
        memset(p, 0, n * sizeof(float));
        break;
    case INIT_ONE:
        for (size_t i = 0; i < n; i++)
            p[i] = 1.0f;
        break;
    case INIT_NORMAL: { /* each value depends on (seed, t, i) alone: any thread count gives the same */
        const float std = m->cfg.init_std;
#pragma omp parallel for schedule(static) if (n >= 65536)
        for (size_t i = 0; i < n; i++)
            p[i] = std * normal_at(seed, t, i);
        break;
    }
    case INIT_LTP: { /* theta_l rises linearly to threshold_init over the removing layers */
        const ptc_variant_config *v = &m->cfg.variant;
        size_t removing = 0, i = 0;
        for (size_t l = 1; l <= n; l++)
            removing += ptc_plan_layer_selects(v, l);
        for (size_t l = 1; l <= n; l++)
            p[l - 1] = ptc_plan_layer_selects(v, l)
                           ? (float)(v->token.threshold_init * (double)++i / (double)removing) : 0.0f;
        break;
    }
    }
}

void ptc_model_init_params(ptc_model *m, uint64_t seed)
{
    for (size_t t = 0; t < PTC_NUM_PARAM_TENSORS; t++)
        ptc_model_init_tensor(m, t, seed);
}

int ptc_model_init(ptc_model *m, const ptc_model_config *cfg, const ptc_ops *ops,
                   uint64_t seed, char *err, size_t err_len)
{
    if (!m || !ops)
        return ptc_model_fail(err, err_len, "model init: NULL model or ops");
    memset(m, 0, sizeof *m);
    if (ptc_model_config_check(cfg, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    m->cfg = *cfg;
    m->ops = ops;
    char sub[200];
    if (ptc_variant_plan_make(&cfg->variant, &m->plan, sub, sizeof sub) != PTC_OK)
        return ptc_model_fail(err, err_len, "variant plan: %s", sub);
    m->n_params = ptc_param_sizes(cfg, m->param_sizes); /* <= PTC_MAX_PARAMS: config check */
    m->params_memory = aligned_alloc(64, ((m->n_params * sizeof(float)) + 63) & ~(size_t)63);
    if (!m->params_memory)
        return ptc_model_fail(err, err_len, "model init: out of memory for %zu parameters",
                              m->n_params);
    point_params(&m->params, m->params_memory, m->param_sizes);
    ptc_model_init_params(m, seed);
    return PTC_OK;
}

void ptc_model_free(ptc_model *m)
{
    if (!m)
        return;
    free(m->params_memory);
    free(m->grads_memory);
    free(m->adam_m);
    free(m->adam_v);
    free(m->arena);
    free(m->acts);
    memset(m, 0, sizeof *m);
}

/* Allocates the gradient slab (zeroed) when missing: zero-grad and the
 * separate backward do (the fused step, model/backward.c, needs none). */
int ptc_model_alloc_grads(ptc_model *m, char *err, size_t err_len)
{
    if (m->grads_memory)
        return PTC_OK;
    m->grads_memory = aligned_alloc(64, ((m->n_params * sizeof(float)) + 63) & ~(size_t)63);
    if (!m->grads_memory)
        return ptc_model_fail(err, err_len, "out of memory for the gradients (%zu floats)",
                              m->n_params);
    point_params(&m->grads, m->grads_memory, m->param_sizes);
    memset(m->grads_memory, 0, m->n_params * sizeof(float));
    return PTC_OK;
}

void ptc_model_zero_grad(ptc_model *m)
{
    if (!m->grads_memory && m->params_memory) /* out of memory: backward says so */
        ptc_model_alloc_grads(m, NULL, 0);
    if (m->grads_memory)
        memset(m->grads_memory, 0, m->n_params * sizeof(float));
}

/* ---- AdamW ------------------------------------------------------------------------------ */
void ptc_adamw_config_default(ptc_adamw_config *a)
{
    a->lr = 2e-5f;
    a->beta1 = 0.9f;
    a->beta2 = 0.999f;
    a->eps = 1e-8f;
    a->weight_decay = 0.01f;
    a->warmup_steps = 0;
    a->total_steps = 0;
}

float ptc_adamw_lr(const ptc_adamw_config *a, size_t step)
{
    if (a->warmup_steps > 0 && step < a->warmup_steps)
        return a->lr * (float)(step + 1) / (float)a->warmup_steps;
    if (a->total_steps == 0)
        return a->lr;
    if (step >= a->total_steps)
        return 0.0f;
    const size_t decay_steps = a->total_steps - a->warmup_steps;
    return a->lr * (float)(a->total_steps - step) / (float)(decay_steps ? decay_steps : 1);
}

int ptc_adamw_begin(ptc_model *m, const ptc_adamw_config *a, float lr, ptc_adamw_run *r,
                    char *err, size_t err_len)
{
    if (!m->adam_m) {
        const size_t bytes = ((m->n_params * sizeof(float)) + 63) & ~(size_t)63;
        m->adam_m = aligned_alloc(64, bytes);
        m->adam_v = aligned_alloc(64, bytes);
        if (!m->adam_m || !m->adam_v) {
            free(m->adam_m);
            free(m->adam_v);
            m->adam_m = m->adam_v = NULL;
            return ptc_model_fail(err, err_len, "adamw: out of memory for the moments");
        }
        memset(m->adam_m, 0, m->n_params * sizeof(float));
        memset(m->adam_v, 0, m->n_params * sizeof(float));
    }
    m->adam_t++;
    r->lr = lr;
    r->b1 = a->beta1;
    r->b2 = a->beta2;
    r->eps = a->eps;
    r->weight_decay = a->weight_decay;
    r->c1 = 1.0f - powf(a->beta1, (float)m->adam_t);
    r->c2 = 1.0f - powf(a->beta2, (float)m->adam_t);
    return PTC_OK;
}

size_t ptc_param_offset(const ptc_model *m, size_t t)
{
    size_t off = 0;
    for (size_t i = 0; i < t && i < PTC_NUM_PARAM_TENSORS; i++)
        off += m->param_sizes[i];
    return off;
}

/* Elements of one AdamW update from which it is split over threads (32k per thread
 * at 2 threads: below, the fork costs more than the loop). */
#define ADAMW_PARALLEL_MIN 65536

/* AdamW on `count` elements on the calling thread: p, mm, vv updated from g. Every
 * element on its own, vectorized (omp simd; this file is built with
 * -fno-math-errno so sqrtf may be a vector square root): vector division and
 * square root round like the scalar ones and nothing is summed, so any split of
 * the elements gives the scalar loop's bits. On x86-64 a second clone with AVX2 (8
 * lanes instead of SSE2's 4; FMA not enabled, so no product is fused and the bits
 * stay those of the scalar loop) is picked at load time where the CPU has it:
 * bert-base, 110M elements, 1 thread, Zen 3: 152 -> 104 ms in a micro-benchmark. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
static void adamw_elements(const ptc_adamw_run *r, float wd, size_t count, float *restrict p,
                           float *restrict mm, float *restrict vv, const float *restrict g)
{
    const float b1 = r->b1, b2 = r->b2, c1 = r->c1, c2 = r->c2, lr = r->lr, eps = r->eps;
#pragma omp simd
    for (size_t i = 0; i < count; i++) {
        mm[i] = b1 * mm[i] + (1.0f - b1) * g[i];
        vv[i] = b2 * vv[i] + (1.0f - b2) * g[i] * g[i];
        const float mh = mm[i] / c1, vh = vv[i] / c2;
        p[i] -= lr * (mh / (sqrtf(vh) + eps) + wd * p[i]);
    }
}

void ptc_adamw_apply(ptc_model *m, const ptc_adamw_run *r, size_t t, size_t first, size_t count,
                     const float *g)
{
    const size_t off = ptc_param_offset(m, t) + first;
    const float wd = tensor_info[t].decay ? r->weight_decay : 0.0f;
    float *p = m->params_memory + off, *mm = m->adam_m + off, *vv = m->adam_v + off;
    /* Past ADAMW_PARALLEL_MIN elements outside a parallel region: one range per
     * thread, cut at multiples of 16 elements. (A `parallel for simd` with an `if`
     * clause ran GCC 12's scalar loop whenever it forked: bert-base's AdamW took
     * 351 ms per step at 2 threads against 244 ms at 1; Zen 3.) */
    const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
    if (threads <= 1 || count < ADAMW_PARALLEL_MIN) {
        adamw_elements(r, wd, count, p, mm, vv, g);
        return;
    }
#pragma omp parallel num_threads(threads)
    {
        const size_t i = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
        const size_t lo = count * i / nt / 16 * 16;
        const size_t hi = i + 1 == nt ? count : count * (i + 1) / nt / 16 * 16;
        adamw_elements(r, wd, hi - lo, p + lo, mm + lo, vv + lo, g + lo);
    }
}

int ptc_model_adamw_step(ptc_model *m, const ptc_adamw_config *a, float lr, char *err, size_t err_len)
{
    if (!m->grads_memory)
        return ptc_model_fail(err, err_len, "adamw: no gradients (plan a training run first)");
    ptc_adamw_run r;
    if (ptc_adamw_begin(m, a, lr, &r, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    for (size_t t = 0, off = 0; t < PTC_NUM_PARAM_TENSORS; off += m->param_sizes[t], t++)
        ptc_adamw_apply(m, &r, t, 0, m->param_sizes[t], m->grads_memory + off);
    return PTC_OK;
}

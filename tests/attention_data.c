/*
 * tests/attention_data.c — random inputs of one attention head and the double-precision
 * reference pieces (attention_data.h).
 */
#include "attention_data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

attn_case attn_plain(size_t n_q, size_t n_kv, size_t d)
{
    attn_case cs = {n_q, n_kv, d, KV_DIRECT, MASK_NONE, false, false, 0, 0, false};
    return cs;
}

size_t attn_overflow_cases(bool quick, attn_case out[4])
{
    static const size_t full_shapes[][3] = {{17, 113, 64}, {3, 512, 1}, {40, 77, 128}, {113, 17, 16}};
    static const size_t quick_shapes[][3] = {{5, 40, 16}, {3, 20, 1}};
    const size_t (*shapes)[3] = quick ? quick_shapes : full_shapes;
    const size_t n_shapes = quick ? 2 : 4;
    for (size_t s = 0; s < n_shapes; s++) {
        attn_case cs = attn_plain(shapes[s][0], shapes[s][1], shapes[s][2]);
        cs.overflow = true;
        cs.kv = (enum kv_mode)(s % 3);
        cs.bias = s % 2 == 0;
        cs.mask = s == 1 ? MASK_RANDOM : MASK_NONE;
        out[s] = cs;
    }
    return n_shapes;
}

attn_case attn_stride_case(bool quick, size_t d, size_t pad, size_t di)
{
    attn_case cs = attn_plain(quick ? 7 : 33, quick ? 11 : 70, d);
    cs.pad = pad;
    cs.misalign = pad + di;
    cs.kv = (enum kv_mode)((pad + di) % 3);
    cs.bias = true;
    return cs;
}

size_t attn_key_row(const attn_data *a, size_t j)
{
    return a->rows ? (size_t)a->rows[j] : j;
}

void attn_describe(const attn_case *cs, char *buf, size_t size)
{
    static const char *kv_names[] = {"direct", "sorted", "shuffled"};
    static const char *mask_names[] = {"none", "random", "middle", "all"};
    snprintf(buf, size, "n_q=%zu n_kv=%zu d=%zu kv=%s mask=%s bias=%d overflow=%d pad=%zu "
             "misalign=%zu weights=%d", cs->n_q, cs->n_kv, cs->d, kv_names[cs->kv],
             mask_names[cs->mask], cs->bias, cs->overflow, cs->pad, cs->misalign, cs->weights);
}

void attn_make_data(attn_data *a, const attn_case *cs, uint64_t seed)
{
    ptc_rng rng = ptc_rng_seeded(seed);
    memset(a, 0, sizeof *a);
    a->cs = *cs;
    const size_t d = cs->d;
    a->n_rows = cs->kv == KV_DIRECT ? cs->n_kv : cs->n_kv + cs->n_kv / 2 + 3;
    a->ldq = a->ldk = a->ldv = a->ldo = d + cs->pad;
    a->scale = 1.0f / sqrtf((float)d);
    /* every buffer has at least one element so pointers are never NULL */
    a->q = ptc_test_alloc(cs->n_q * a->ldq + 1, cs->misalign);
    a->k = ptc_test_alloc(a->n_rows * a->ldk + 1, cs->misalign + 1);
    a->v = ptc_test_alloc(a->n_rows * a->ldv + 1, cs->misalign + 2);
    a->bias = (cs->bias || cs->mask != MASK_NONE) ? ptc_test_alloc(a->n_rows + 1, cs->misalign) : NULL;
    a->qw = cs->weights ? ptc_test_alloc(cs->n_q + 1, 3) : NULL;

    /* which rows of k / v are kept: rows[j] */
    if (cs->kv != KV_DIRECT) {
        a->rows = ptc_test_alloc_i32(cs->n_kv + 1);
        int32_t *perm = malloc((a->n_rows + 1) * sizeof *perm);
        for (size_t r = 0; r < a->n_rows; r++)
            perm[r] = (int32_t)r;
        for (size_t r = a->n_rows; r > 1; r--) {
            const size_t s = ptc_rng_next(&rng) % r;
            const int32_t t = perm[r - 1]; perm[r - 1] = perm[s]; perm[s] = t;
        }
        if (cs->kv == KV_SORTED) { /* the first n_kv of the permutation, sorted */
            bool *used = calloc(a->n_rows + 1, 1);
            for (size_t j = 0; j < cs->n_kv; j++)
                used[perm[j]] = true;
            size_t j = 0;
            for (size_t r = 0; r < a->n_rows; r++)
                if (used[r])
                    a->rows[j++] = (int32_t)r;
            free(used);
        } else {
            memcpy(a->rows, perm, cs->n_kv * sizeof *perm);
        }
        free(perm);
    }

    /* values: kept rows get data, everything else stays NaN */
    const float lo = -1.0f, hi = 1.0f;
    const float base = cs->overflow ? sqrtf(84.0f / sqrtf((float)d)) : 0.0f;
    for (size_t i = 0; i < cs->n_q; i++)
        for (size_t c = 0; c < d; c++)
            a->q[i * a->ldq + c] = base + ptc_rng_uniform(&rng, lo, hi);
    for (size_t j = 0; j < cs->n_kv; j++) {
        const size_t r = a->rows ? (size_t)a->rows[j] : j;
        for (size_t c = 0; c < d; c++) {
            a->k[r * a->ldk + c] = base + ptc_rng_uniform(&rng, lo, hi);
            a->v[r * a->ldv + c] = ptc_rng_uniform(&rng, -1.0f, 1.0f);
        }
        if (a->bias) {
            float b = cs->bias ? ptc_rng_uniform(&rng, -2.0f, 2.0f) : 0.0f;
            if (cs->mask == MASK_ALL)
                b = -INFINITY;
            else if (cs->mask == MASK_RANDOM && ptc_rng_next(&rng) % 4 == 0)
                b = -INFINITY;
            else if (cs->mask == MASK_MIDDLE && j >= cs->n_kv / 5 && j < cs->n_kv * 3 / 5)
                b = -INFINITY; /* a long masked run: whole key tiles in the middle */
            a->bias[r] = b;
        }
    }
    if (a->qw)
        for (size_t i = 0; i < cs->n_q; i++)
            a->qw[i] = ptc_rng_uniform(&rng, 0.0f, 2.0f / (float)cs->n_q);
}

void attn_free_data(ptc_test_ctx *ctx, attn_data *a)
{
    ptc_test_free(ctx, a->q);
    ptc_test_free(ctx, a->k);
    ptc_test_free(ctx, a->v);
    ptc_test_free(ctx, a->bias);
    ptc_test_free(ctx, a->qw);
    ptc_test_free(ctx, a->rows);
}

ptc_attention_args attn_make_args(const attn_data *a, float *o, float *lse)
{
    ptc_attention_args args = {
        .n_q = a->cs.n_q, .n_kv = a->cs.n_kv, .d = a->cs.d,
        .q = a->q, .ldq = a->ldq, .k = a->k, .ldk = a->ldk, .v = a->v, .ldv = a->ldv,
        .kv_rows = a->rows, .key_bias = a->bias, .scale = a->scale,
        .o = o, .ldo = a->ldo, .lse = lse,
    };
    return args;
}

/* copies the (n_q, d) block of o (leading dimension ldo) into a packed buffer */
void attn_unpad(const float *o, size_t ldo, size_t rows, size_t d, float *packed)
{
    for (size_t i = 0; i < rows; i++)
        memcpy(packed + i * d, o + i * ldo, d * sizeof(float));
}

void attn_scores_double(const attn_data *a, double *s)
{
    const size_t nq = a->cs.n_q, nkv = a->cs.n_kv, d = a->cs.d;
    for (size_t i = 0; i < nq; i++)
        for (size_t j = 0; j < nkv; j++) {
            const size_t r = attn_key_row(a, j);
            double dot = 0.0;
            for (size_t c = 0; c < d; c++)
                dot += (double)a->q[i * a->ldq + c] * (double)a->k[r * a->ldk + c];
            s[i * nkv + j] = (double)a->scale * dot + (a->bias ? (double)a->bias[r] : 0.0);
        }
}

double attn_softmax_row_double(const attn_data *a, const double *si, double *p, double *o)
{
    const size_t nkv = a->cs.n_kv, d = a->cs.d;
    double mx = -INFINITY, sum = 0.0;
    for (size_t j = 0; j < nkv; j++)
        mx = si[j] > mx ? si[j] : mx;
    for (size_t c = 0; c < d; c++)
        o[c] = 0.0;
    if (mx == -INFINITY) {
        for (size_t j = 0; j < nkv; j++)
            p[j] = 0.0;
        return -INFINITY;
    }
    for (size_t j = 0; j < nkv; j++)
        sum += exp(si[j] - mx); /* exp(-inf) = 0 */
    for (size_t j = 0; j < nkv; j++) {
        const size_t r = attn_key_row(a, j);
        p[j] = exp(si[j] - mx) / sum;
        for (size_t c = 0; c < d; c++)
            o[c] += p[j] * (double)a->v[r * a->ldv + c];
    }
    return mx + log(sum);
}

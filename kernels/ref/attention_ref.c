/*
 * kernels/ref/attention_ref.c — reference attention for one head: the specification.
 *
 * Streams over kept keys with an online softmax (running max m, running sum l),
 * so nothing of size (n_q, n_kv) is stored. -INFINITY scores are skipped; a row
 * with no finite score gets o = 0 and lse = -INFINITY. The importance pass
 * recomputes each score and uses the saved lse: p = exp(s - lse). The backward
 * (ptc_attention_backward_ref) recomputes p the same way, row by row.
 * Contract: include/ptc/ops.h (ptc_attention_args, ptc_attention_bwd_args).
 */
#include "ref.h"

#include <math.h>

static float score(const ptc_attention_args *args, size_t i, size_t j)
{
    const size_t row = args->kv_rows ? (size_t)args->kv_rows[j] : j;
    const float *q = args->q + i * args->ldq;
    const float *k = args->k + row * args->ldk;
    float dot = 0.0f;
    for (size_t c = 0; c < args->d; c++)
        dot += q[c] * k[c];
    float s = args->scale * dot;
    if (args->key_bias)
        s += args->key_bias[row];
    return s;
}

void ptc_attention_ref(const ptc_attention_args *args)
{
    const size_t d = args->d;
    for (size_t i = 0; i < args->n_q; i++) {
        float *o = args->o + i * args->ldo;
        float running_max = -INFINITY, running_sum = 0.0f;
        for (size_t c = 0; c < d; c++)
            o[c] = 0.0f;
        for (size_t j = 0; j < args->n_kv; j++) {
            const float s = score(args, i, j);
            if (s == -INFINITY)
                continue;
            if (s > running_max) {
                const float rescale = expf(running_max - s); /* 0 on the first key */
                running_sum *= rescale;
                for (size_t c = 0; c < d; c++)
                    o[c] *= rescale;
                running_max = s;
            }
            const float p = expf(s - running_max);
            const size_t row = args->kv_rows ? (size_t)args->kv_rows[j] : j;
            const float *v = args->v + row * args->ldv;
            running_sum += p;
            for (size_t c = 0; c < d; c++)
                o[c] += p * v[c];
        }
        if (running_sum > 0.0f) {
            const float inv = 1.0f / running_sum;
            for (size_t c = 0; c < d; c++)
                o[c] *= inv;
        }
        if (args->lse)
            args->lse[i] = running_sum > 0.0f ? running_max + logf(running_sum) : -INFINITY;
    }
}

void ptc_attention_importance_ref(const ptc_attention_args *args,
                                  const float *query_weight, float *importance)
{
    for (size_t j = 0; j < args->n_kv; j++)
        importance[j] = 0.0f;
    if (args->n_q == 0)
        return;

    /* pass 1: o and the log-sum-exp of every row (into args->lse, or scratch rows) */
    ptc_attention_args pass = *args;
    const float uniform = 1.0f / (float)args->n_q;
    for (size_t i = 0; i < args->n_q; i++) {
        float lse;
        pass.n_q = 1;
        pass.q = args->q + i * args->ldq;
        pass.o = args->o + i * args->ldo;
        pass.lse = &lse;
        ptc_attention_ref(&pass);
        if (args->lse)
            args->lse[i] = lse;
        if (lse == -INFINITY)
            continue;
        /* pass 2 for this row: its probabilities, weighted into the column sums */
        const float w = query_weight ? query_weight[i] : uniform;
        for (size_t j = 0; j < args->n_kv; j++) {
            const float s = score(args, i, j);
            importance[j] += w * expf(s - lse);
        }
    }
}

/* The backward, row by row: for query i, each kept key's score is recomputed,
 * p = exp(s - lse_i), and its contributions to dq_i, dk_{r_j}, dv_{r_j} are added
 * in key order; rows are visited in order, so dk and dv sum over i in order. */
void ptc_attention_backward_ref(const ptc_attention_bwd_args *args)
{
    const ptc_attention_args *fwd = &args->fwd;
    const size_t d = fwd->d;
    for (size_t i = 0; i < fwd->n_q; i++)
        for (size_t c = 0; c < d; c++)
            args->dq[i * args->lddq + c] = 0.0f;
    for (size_t j = 0; j < fwd->n_kv; j++) {
        const size_t row = fwd->kv_rows ? (size_t)fwd->kv_rows[j] : j;
        for (size_t c = 0; c < d; c++) {
            args->dk[row * args->lddk + c] = 0.0f;
            args->dv[row * args->lddv + c] = 0.0f;
        }
    }
    for (size_t i = 0; i < fwd->n_q; i++) {
        const float lse = fwd->lse[i];
        if (lse == -INFINITY)
            continue;
        const float *q = fwd->q + i * fwd->ldq;
        const float *o = fwd->o + i * fwd->ldo;
        const float *dout = args->dout + i * args->lddout;
        float *dq = args->dq + i * args->lddq;
        float delta = 0.0f; /* D_i */
        for (size_t c = 0; c < d; c++)
            delta += dout[c] * o[c];
        for (size_t j = 0; j < fwd->n_kv; j++) {
            const float s = score(fwd, i, j);
            if (s == -INFINITY)
                continue;
            const size_t row = fwd->kv_rows ? (size_t)fwd->kv_rows[j] : j;
            const float *k = fwd->k + row * fwd->ldk;
            const float *v = fwd->v + row * fwd->ldv;
            float *dk = args->dk + row * args->lddk;
            float *dv = args->dv + row * args->lddv;
            const float p = expf(s - lse);
            float dp = 0.0f;
            for (size_t c = 0; c < d; c++)
                dp += dout[c] * v[c];
            const float ds = fwd->scale * (p * (dp - delta)); /* scale * dS[i][j] */
            for (size_t c = 0; c < d; c++) {
                dq[c] += ds * k[c];
                dk[c] += ds * q[c];
                dv[c] += p * dout[c];
            }
        }
    }
}

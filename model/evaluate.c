/*
 * model/evaluate.c — documents of a split into batches, and the evaluation of the
 * classifier over a split: loss, accuracy, macro/micro-F1, confusion, FLOPs and
 * activation bytes, keys kept per step, inference time (contract: include/ptc/train.h).
 */
#include "ptc/stats.h"
#include "ptc/sys.h"
#include "ptc/train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ptc_batcher_init(ptc_batcher *bt, size_t batch, size_t n)
{
    memset(bt, 0, sizeof *bt);
    bt->cap_batch = batch;
    bt->cap_n = n;
    bt->ids = calloc(batch * n, sizeof *bt->ids);
    bt->lengths = calloc(batch, sizeof *bt->lengths);
    bt->labels = calloc(batch, sizeof *bt->labels);
    return bt->ids && bt->lengths && bt->labels ? 0 : -1;
}

void ptc_batcher_free(ptc_batcher *bt)
{
    free(bt->ids);
    free(bt->lengths);
    free(bt->labels);
    memset(bt, 0, sizeof *bt);
}

void ptc_batcher_fill(ptc_batcher *bt, const ptc_split *s, const size_t *idx, size_t count,
                      int32_t pad_id, bool pad_full)
{
    size_t n = 1;
    for (size_t b = 0; b < count; b++) {
        const size_t l = ptc_split_len(s, idx[b]);
        if (l > n)
            n = l;
    }
    if (pad_full || n > bt->cap_n)
        n = bt->cap_n;
    bt->tokens = 0;
    for (size_t b = 0; b < count; b++) {
        size_t l = ptc_split_len(s, idx[b]);
        if (l > n)
            l = n;
        memcpy(bt->ids + b * n, s->ids + s->offsets[idx[b]], l * sizeof *bt->ids);
        for (size_t j = l; j < n; j++)
            bt->ids[b * n + j] = pad_id;
        bt->lengths[b] = (int32_t)l;
        bt->labels[b] = s->labels[idx[b]];
        bt->tokens += l;
    }
    bt->b.batch = count;
    bt->b.n = n;
    bt->b.ids = bt->ids;
    bt->b.type_ids = NULL;
    bt->b.lengths = bt->lengths;
    bt->b.labels = bt->labels;
}

void ptc_eval_result_free(ptc_eval_result *r)
{
    free(r->confusion);
    free(r->predicted);
    free(r->logits);
    free(r->batch_times);
    memset(r, 0, sizeof *r);
}

/* Keys attended and query rows per step of the plan, from one forward over b (each
 * step's statistics count one mean per step; a step without keys, the combining
 * module, reports 0). */
static int per_step_kept(ptc_model *m, const ptc_batch *b, ptc_eval_result *r, char *err,
                         size_t err_len)
{
    if (ptc_model_forward(m, b, NULL, NULL, err, err_len) != PTC_OK)
        return -1;
    r->n_steps = m->n_step_stats;
    for (size_t s = 0; s < m->n_step_stats; s++) {
        const ptc_layer_stats *st = &m->step_stats[s];
        r->keys_mean[s] = st->n_keys ? st->keys.mean : 0.0;
        r->tokens_mean[s] = st->n_tokens ? st->tokens.mean : 0.0;
    }
    return 0;
}

int ptc_evaluate(ptc_model *m, const ptc_split *s, size_t n_classes, size_t batch, int32_t pad_id,
                 ptc_eval_result *r, char *err, size_t err_len)
{
    memset(r, 0, sizeof *r);
    r->n = s->n;
    r->n_classes = n_classes;
    if (s->n == 0) {
        snprintf(err, err_len, "empty split");
        return -1;
    }
    size_t max_n = 2;
    for (size_t i = 0; i < s->n; i++)
        if (ptc_split_len(s, i) > max_n)
            max_n = ptc_split_len(s, i);
    const bool padded = m->cfg.variant.pad_mode == PTC_PAD_PADDED;
    if (ptc_model_plan(m, batch, max_n, m->plan_training, err, err_len) != PTC_OK)
        return -1;
    ptc_batcher bt;
    r->confusion = calloc(n_classes * n_classes, sizeof *r->confusion);
    r->predicted = calloc(s->n, sizeof *r->predicted);
    r->logits = calloc(s->n * n_classes, sizeof *r->logits);
    r->batch_times = calloc(s->n / batch + 2, sizeof *r->batch_times);
    size_t *idx = malloc(batch * sizeof *idx);
    if (ptc_batcher_init(&bt, batch, max_n) != 0 || !r->confusion || !r->predicted || !r->logits ||
        !idx || !r->batch_times) {
        snprintf(err, err_len, "out of memory");
        free(idx);
        ptc_batcher_free(&bt);
        return -1;
    }
    double loss_sum = 0, flops = 0, act = 0;
    size_t correct = 0, full_batches = 0;
    int rc = 0;
    for (size_t start = 0; start < s->n && rc == 0; start += batch) {
        const size_t count = s->n - start < batch ? s->n - start : batch;
        for (size_t b = 0; b < count; b++)
            idx[b] = start + b;
        ptc_batcher_fill(&bt, s, idx, count, pad_id, padded);
        if (start == 0 && (rc = per_step_kept(m, &bt.b, r, err, err_len)) != 0)
            break;
        ptc_layer_stats st;
        float loss;
        const double t0 = ptc_now();
        rc = ptc_model_forward(m, &bt.b, &loss, &st, err, err_len);
        const double dt = ptc_now() - t0;
        if (rc != 0)
            break;
        r->seconds += dt;
        if (count == batch)
            r->batch_times[full_batches++] = dt;
        r->batches++;
        r->tokens += bt.tokens;
        loss_sum += (double)loss * (double)count;
        flops += ptc_stats_flops_total(&st);
        act += (double)(st.bytes_activations + st.bytes_kv + st.bytes_scores);
        for (size_t b = 0; b < count; b++) {
            const float *lg = m->logits + b * n_classes;
            size_t best = 0;
            for (size_t c = 1; c < n_classes; c++)
                if (lg[c] > lg[best])
                    best = c;
            memcpy(r->logits + (start + b) * n_classes, lg, n_classes * sizeof *lg);
            r->predicted[start + b] = (int32_t)best;
            r->confusion[(size_t)bt.labels[b] * n_classes + best]++;
            correct += (size_t)bt.labels[b] == best;
        }
    }
    free(idx);
    ptc_batcher_free(&bt);
    if (rc != 0)
        return -1;
    r->loss = loss_sum / (double)s->n;
    r->accuracy = (double)correct / (double)s->n;
    r->flops_per_sample = flops / (double)s->n;
    r->act_bytes_per_batch = act / (double)r->batches;
    /* F1: macro = mean over classes that occur (in truth or prediction); micro =
     * 2 TP / (2 TP + FP + FN) pooled, which equals accuracy for single-label data */
    double f1_sum = 0;
    size_t f1_n = 0, tp_all = 0, fp_all = 0, fn_all = 0;
    for (size_t c = 0; c < n_classes; c++) {
        size_t tp = r->confusion[c * n_classes + c], fp = 0, fn = 0;
        for (size_t k = 0; k < n_classes; k++)
            if (k != c) {
                fp += r->confusion[k * n_classes + c];
                fn += r->confusion[c * n_classes + k];
            }
        tp_all += tp;
        fp_all += fp;
        fn_all += fn;
        if (tp + fp + fn == 0)
            continue;
        f1_sum += 2.0 * (double)tp / (double)(2 * tp + fp + fn);
        f1_n++;
    }
    r->n_batch_times = full_batches;
    r->macro_f1 = f1_n ? f1_sum / (double)f1_n : 0.0;
    r->micro_f1 = tp_all ? 2.0 * (double)tp_all / (double)(2 * tp_all + fp_all + fn_all) : 0.0;
    if (full_batches) {
        r->batch_time_median = ptc_median(r->batch_times, full_batches);
    } else {
        r->batch_time_median = r->seconds;
    }
    return 0;
}

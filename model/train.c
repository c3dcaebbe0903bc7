/*
 * model/train.c — the training loop (contract: include/ptc/train.h): epochs in a
 * seeded order, one AdamW step per batch (fused into backward: no gradient
 * slab), validation at each epoch's end, the best-validation weights,
 * checkpoints, the JSONL log.
 */
#include "ptc/sys.h"
#include "ptc/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* permutation of 0..n-1 for (seed, epoch): Fisher-Yates on a splitmix stream */
static void epoch_order(size_t *perm, size_t n, uint64_t seed, size_t epoch)
{
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    uint64_t s = mix(seed * 0x2545f4914f6cdd1dULL + epoch + 1);
    for (size_t i = n; i > 1; i--) {
        s = mix(s);
        const size_t j = (size_t)(s % i);
        const size_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}

size_t ptc_train_steps_per_epoch(size_t n_train, size_t batch)
{
    return (n_train + batch - 1) / batch;
}

/* The loop's state between steps. */
typedef struct loop {
    ptc_model *m;
    const ptc_train_config *c;
    ptc_train_result *r;
    ptc_train_progress p;
    double loss_sum, epoch_t0;
    size_t loss_n;
} loop;

static int save(const loop *L, size_t next_step, char *err, size_t err_len)
{
    const ptc_train_state s = {next_step, L->r->best_loss, L->r->best_epoch, L->c->seed};
    return ptc_checkpoint_save(L->m, L->c->run, &s, err, err_len);
}

/* One AdamW step on the batch; its log line. */
static int step_once(loop *L, const ptc_batch *b, size_t tokens, char *err, size_t err_len)
{
    const ptc_train_config *c = L->c;
    const size_t step = L->p.step;
    ptc_train_options topt;
    ptc_train_options_default(&topt, mix(c->seed * 0x9e3779b97f4a7c15ULL + step));
    const float lr = ptc_adamw_lr(&c->adamw, step);
    float loss;
    char sub[768];
    const double t0 = ptc_now();
    if (ptc_model_forward_train(L->m, b, &topt, &loss, sub, sizeof sub) != PTC_OK ||
        ptc_model_backward_adamw(L->m, &c->adamw, lr, sub, sizeof sub) != PTC_OK) {
        snprintf(err, err_len, "step %zu: %s", step, sub);
        return -1;
    }
    const double dt = ptc_now() - t0;
    L->r->step_times[L->r->n_step_times++] = dt;
    L->p.tokens += tokens;
    L->loss_sum += loss;
    L->loss_n++;
    L->p.loss_mean = L->loss_sum / (double)L->loss_n;
    if (c->log) {
        fprintf(c->log,
                "{\"type\":\"step\",\"step\":%zu,\"epoch\":%zu,\"loss\":%.6g,\"lr\":%.6g,"
                "\"time_s\":%.6g,\"batch\":%zu,\"seq\":%zu,\"tokens\":%zu}\n",
                step, L->p.epoch, (double)loss, (double)lr, dt, b->batch, b->n, tokens);
        fflush(c->log); /* a kill keeps every line written */
    }
    return 0;
}

/* Validation at an epoch's end: the best weights, the log line, the hook, the
 * training plan again and the epoch's checkpoint. */
static int end_epoch(loop *L, const ptc_split *dev, size_t n_classes, char *err, size_t err_len)
{
    const ptc_train_config *c = L->c;
    ptc_train_result *r = L->r;
    ptc_eval_result er;
    char sub[768];
    L->p.seconds = ptc_now() - L->epoch_t0;
    if (ptc_evaluate(L->m, dev, n_classes, c->eval_batch ? c->eval_batch : c->batch, c->pad_id, &er,
                     sub, sizeof sub) != 0) {
        snprintf(err, err_len, "validation: %s", sub);
        return -1;
    }
    int rc = 0;
    const bool better = er.loss < r->best_loss;
    if (better) {
        r->best_loss = er.loss;
        r->best_epoch = L->p.epoch + 1;
        char path[4200];
        snprintf(path, sizeof path, "%s/best.safetensors", c->run);
        rc = ptc_model_save(L->m, path, err, err_len) == PTC_OK ? 0 : -1;
    }
    if (c->log) {
        /* query rows (tokens kept) of each step on the first dev batch */
        char tokens[PTC_MAX_LAYERS * 16 + 2] = "";
        for (size_t k = 0, at = 0; k < er.n_steps && at < sizeof tokens; k++)
            at += (size_t)snprintf(tokens + at, sizeof tokens - at, "%s%.4g", k ? "," : "",
                                   er.tokens_mean[k]);
        fprintf(c->log,
                "{\"type\":\"val\",\"epoch\":%zu,\"step\":%zu,\"loss\":%.6g,\"accuracy\":%.6g,"
                "\"macro_f1\":%.6g,\"train_loss\":%.6g,\"train_tokens_per_s\":%.6g,"
                "\"peak_rss\":%zu,\"tokens_mean\":[%s],\"best\":%s}\n",
                L->p.epoch + 1, L->p.step + 1, er.loss, er.accuracy, er.macro_f1, L->p.loss_mean,
                (double)L->p.tokens / L->p.seconds, ptc_peak_rss(), tokens, better ? "true" : "false");
        fflush(c->log);
    }
    if (c->on_epoch)
        c->on_epoch(c->ctx, &L->p, &er, better);
    ptc_eval_result_free(&er);
    if (ptc_model_plan(L->m, c->batch, c->max_len, true, err, err_len) != PTC_OK)
        return -1;
    if (rc == 0 && save(L, L->p.step + 1, err, err_len) != 0)
        rc = -1;
    L->epoch_t0 = ptc_now();
    L->p.tokens = 0;
    L->p.loss_mean = L->loss_sum = 0;
    L->loss_n = 0;
    return rc;
}

int ptc_train_run(ptc_model *m, const ptc_split *train, const ptc_split *dev, size_t n_classes,
                  const ptc_train_config *c, const ptc_train_state *from, ptc_train_result *r,
                  char *err, size_t err_len)
{
    memset(r, 0, sizeof *r);
    r->best_loss = INFINITY;
    const size_t spe = ptc_train_steps_per_epoch(train->n, c->batch), total = spe * c->epochs;
    size_t step = 0;
    if (from) {
        step = from->next_step;
        r->best_loss = from->best_loss;
        r->best_epoch = from->best_epoch;
    }
    if (ptc_model_plan(m, c->batch, c->max_len, true, err, err_len) != PTC_OK)
        return -1;
    r->activation_bytes = ptc_model_activation_bytes(m);
    ptc_batcher bt;
    size_t *perm = malloc((train->n + 1) * sizeof *perm);
    r->step_times = malloc((total + 1) * sizeof *r->step_times);
    if (ptc_batcher_init(&bt, c->batch, c->max_len) != 0 || !perm || !r->step_times) {
        snprintf(err, err_len, "out of memory");
        ptc_batcher_free(&bt);
        free(perm);
        return -1;
    }
    const bool padded = m->cfg.variant.pad_mode == PTC_PAD_PADDED;
    const size_t stop_at = c->max_steps ? c->max_steps : total;
    loop L = {.m = m, .c = c, .r = r, .epoch_t0 = ptc_now()};
    L.p = (ptc_train_progress){.steps_per_epoch = spe, .epochs = c->epochs, .epoch = (size_t)-1};
    int rc = 0;
    for (; step < total; step++) {
        const size_t epoch = step / spe, in_epoch = step % spe;
        if (epoch != L.p.epoch) {
            epoch_order(perm, train->n, c->seed, epoch);
            L.p.epoch = epoch;
        }
        if (step >= stop_at || (c->stop && *c->stop)) {
            r->stopped = true;
            break;
        }
        const size_t first = in_epoch * c->batch;
        const size_t count = train->n - first < c->batch ? train->n - first : c->batch;
        ptc_batcher_fill(&bt, train, perm + first, count, c->pad_id, padded);
        L.p.step = step;
        L.p.in_epoch = in_epoch + 1;
        if ((rc = step_once(&L, &bt.b, bt.tokens, err, err_len)) != 0)
            break;
        L.p.seconds = ptc_now() - L.epoch_t0;
        if (c->on_step)
            c->on_step(c->ctx, &L.p);
        if (in_epoch + 1 == spe)
            rc = end_epoch(&L, dev, n_classes, err, err_len);
        else if (c->save_every && (step + 1) % c->save_every == 0)
            rc = save(&L, step + 1, err, err_len);
        if (rc)
            break;
    }
    r->steps_done = step;
    if (rc == 0 && r->stopped)
        rc = save(&L, step, err, err_len);
    ptc_batcher_free(&bt);
    free(perm);
    return rc;
}

/*
 * tests/test_train_loop.c — the library's training loop, evaluation and text
 * reader (include/ptc/train.h, ptc_split_read_texts), on a small model and
 * split built here (ref table, one thread's worth of work).
 *
 *   evaluate_metrics     ptc_evaluate over 13 documents in batches of 5: the
 *                        confusion counts every document once at its argmax,
 *                        accuracy / micro-F1 / macro-F1 follow from it (macro
 *                        recomputed here over the classes that occur), logits
 *                        are the ones of a single-
 *                        document forward
 *   train_loop_hooks     4 steps of 2 epochs: a hook call per step and per
 *                        epoch, a log line for each, best.safetensors and last/
 *                        written, the result's counts
 *   train_loop_stop_resume  stopped by the stop flag after step 2, resumed from
 *                        its checkpoint: the final weights equal an
 *                        uninterrupted run's, bit for bit
 *   split_read_texts     label<TAB>text and plain lines; invalid UTF-8 named by
 *                        line; an empty file refused
 */
#include "ptc_test.h"
#include "test_dirs.h"
#include "ptc/sys.h"
#include "ptc/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* CLASSES classes, of which the documents use the first LABELED (so that macro-F1
 * averages over the classes that occur only) */
enum { VOCAB = 40, DOCS = 13, CLASSES = 4, LABELED = 3 };

static bool tiny_model(ptc_model *m, uint64_t seed)
{
    ptc_model_config cfg;
    ptc_model_config_preset(&cfg, "bert-tiny", PTC_VARIANT_BASELINE, NULL, 0);
    cfg.vocab_size = VOCAB;
    cfg.hidden = 16;
    cfg.n_heads = 2;
    cfg.ffn = 32;
    cfg.n_layers = 1;
    cfg.max_positions = 16;
    cfg.n_classes = CLASSES;
    ptc_model_config_sync(&cfg);
    char err[256];
    return ptc_model_init(m, &cfg, ptc_ops_find("ref"), seed, err, sizeof err) == PTC_OK;
}

/* DOCS documents of 2..9 tokens, ids from a fixed pattern, labels by class */
static void tiny_split(ptc_split *s, size_t first)
{
    s->n = DOCS;
    s->labels = malloc(DOCS * sizeof *s->labels);
    s->offsets = malloc((DOCS + 1) * sizeof *s->offsets);
    s->ids = malloc(DOCS * 10 * sizeof *s->ids);
    s->offsets[0] = 0;
    for (size_t d = 0; d < DOCS; d++) {
        const size_t len = 2 + (d + first) % 8;
        s->labels[d] = (int32_t)((d + first) % LABELED);
        for (size_t j = 0; j < len; j++)
            s->ids[s->offsets[d] + j] = (int32_t)(4 + (7 * d + 3 * j + (size_t)s->labels[d] * 5) % (VOCAB - 4));
        s->offsets[d + 1] = s->offsets[d] + len;
    }
}

PTC_TEST(evaluate_metrics)
{
    ptc_model m;
    ptc_split s;
    char err[512];
    if (!ptc_check(ctx, tiny_model(&m, 7), "model"))
        return;
    tiny_split(&s, 0);
    m.params.cls_b[CLASSES - 1] = -1e3f; /* the class no document has is never predicted */
    ptc_eval_result r;
    if (!ptc_check(ctx, ptc_evaluate(&m, &s, CLASSES, 5, 0, &r, err, sizeof err) == 0, "evaluate: %s", err))
        goto out;
    size_t total = 0, diag = 0;
    double f1 = 0;
    size_t f1_n = 0;
    for (size_t c = 0; c < CLASSES; c++) {
        size_t tp = r.confusion[c * CLASSES + c], fp = 0, fn = 0;
        for (size_t k = 0; k < CLASSES; k++) {
            total += r.confusion[c * CLASSES + k];
            if (k != c) {
                fp += r.confusion[k * CLASSES + c];
                fn += r.confusion[c * CLASSES + k];
            }
        }
        diag += tp;
        if (tp + fp + fn) {
            f1 += 2.0 * (double)tp / (double)(2 * tp + fp + fn);
            f1_n++;
        }
    }
    ptc_check(ctx, total == DOCS && r.n == DOCS && r.batches == 3, "%zu counted of %d, %zu batches",
              total, DOCS, r.batches);
    ptc_check(ctx, r.accuracy == (double)diag / DOCS, "accuracy %g vs %zu/%d", r.accuracy, diag, DOCS);
    ptc_check(ctx, fabs(r.micro_f1 - r.accuracy) < 1e-12, "micro-F1 %g = accuracy %g", r.micro_f1,
              r.accuracy);
    ptc_check(ctx, f1_n < CLASSES && fabs(r.macro_f1 - f1 / (double)f1_n) < 1e-12,
              "macro-F1 %g vs %g over %zu classes", r.macro_f1, f1 / (double)f1_n, f1_n);
    for (size_t d = 0; d < DOCS; d++) {
        const float *lg = r.logits + d * CLASSES;
        size_t best = 0;
        for (size_t c = 1; c < CLASSES; c++)
            best = lg[c] > lg[best] ? c : best;
        ptc_check(ctx, r.predicted[d] == (int32_t)best, "doc %zu: predicted %d, argmax %zu", d,
                  r.predicted[d], best);
        ptc_check(ctx, r.confusion[(size_t)s.labels[d] * CLASSES + best] > 0, "doc %zu counted", d);
    }
    /* document 11 alone: the same logits as in its batch (length-aware padding) */
    ptc_batcher bt;
    const size_t one = 11;
    ptc_check(ctx, ptc_batcher_init(&bt, 1, 16) == 0, "batcher");
    ptc_batcher_fill(&bt, &s, &one, 1, 0, false);
    ptc_check(ctx, bt.b.n == ptc_split_len(&s, one) && bt.tokens == bt.b.n, "batch of one: n %zu",
              bt.b.n);
    ptc_check(ctx, ptc_model_forward(&m, &bt.b, NULL, NULL, err, sizeof err) == PTC_OK, "forward: %s", err);
    ptc_check_close(ctx, "logits of doc 11", m.logits, r.logits + one * CLASSES, CLASSES, 1e-5f, 1e-5f);
    ptc_batcher_free(&bt);
    ptc_eval_result_free(&r);
out:
    ptc_split_free(&s);
    ptc_model_free(&m);
}

typedef struct {
    size_t steps, epochs, stop_after;
    volatile sig_atomic_t *stop;
} hook_count;

static void count_step(void *ctx, const ptc_train_progress *p)
{
    hook_count *h = ctx;
    h->steps++;
    if (h->stop && p->step + 1 == h->stop_after)
        *h->stop = 1;
}

static void count_epoch(void *ctx, const ptc_train_progress *p, const ptc_eval_result *dev, bool best)
{
    hook_count *h = ctx;
    h->epochs++;
    (void)p;
    (void)dev;
    (void)best;
}

static void loop_config(ptc_train_config *c, const char *run, hook_count *h)
{
    *c = (ptc_train_config){.batch = 7, .max_len = 16, .epochs = 2, .seed = 5, .run = run,
                            .on_step = count_step, .on_epoch = count_epoch, .ctx = h};
    ptc_adamw_config_default(&c->adamw);
    c->adamw.lr = 1e-3f;
    c->adamw.total_steps = 4;
}

static size_t count_lines(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    size_t n = 0;
    while (f && fgets(line, sizeof line, f))
        n += strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return n;
}

PTC_TEST(train_loop_hooks)
{
    char run[512], path[700], err[512];
    test_fresh_dir(run, sizeof run, "train-loop", "hooks");
    ptc_model m;
    ptc_split tr, dev;
    if (!ptc_check(ctx, tiny_model(&m, 3), "model"))
        return;
    tiny_split(&tr, 0);
    tiny_split(&dev, 1);
    hook_count h = {0};
    ptc_train_config c;
    loop_config(&c, run, &h);
    snprintf(path, sizeof path, "%s/log.jsonl", run);
    c.log = fopen(path, "w");
    ptc_train_result r;
    const int rc = ptc_train_run(&m, &tr, &dev, CLASSES, &c, NULL, &r, err, sizeof err);
    fclose(c.log);
    ptc_check(ctx, rc == 0, "train: %s", err);
    ptc_check(ctx, ptc_train_steps_per_epoch(DOCS, 7) == 2 && r.steps_done == 4 && !r.stopped &&
                   r.n_step_times == 4, "steps done %zu, times %zu", r.steps_done, r.n_step_times);
    ptc_check(ctx, h.steps == 4 && h.epochs == 2, "hooks: %zu steps, %zu epochs", h.steps, h.epochs);
    ptc_check(ctx, r.best_epoch >= 1 && r.best_epoch <= 2 && isfinite(r.best_loss),
              "best epoch %zu loss %g", r.best_epoch, r.best_loss);
    ptc_check(ctx, count_lines(path, "\"type\":\"step\"") == 4 && count_lines(path, "\"type\":\"val\"") == 2,
              "log: 4 step lines and 2 validation lines");
    ptc_check(ctx, r.activation_bytes == ptc_model_activation_bytes(&m) && r.activation_bytes > 0,
              "training plan bytes");
    snprintf(path, sizeof path, "%s/best.safetensors", run);
    ptc_check(ctx, access(path, R_OK) == 0 && ptc_checkpoint_exists(run), "best and last written");
    free(r.step_times);
    ptc_split_free(&tr);
    ptc_split_free(&dev);
    ptc_model_free(&m);
    test_remove_dir(run);
}

PTC_TEST(train_loop_stop_resume)
{
    char run_a[512], run_b[512], err[512];
    test_fresh_dir(run_a, sizeof run_a, "train-loop", "straight");
    test_fresh_dir(run_b, sizeof run_b, "train-loop", "stopped");
    ptc_model a, b, b2;
    ptc_split tr, dev;
    if (!ptc_check(ctx, tiny_model(&a, 3) && tiny_model(&b, 3) && tiny_model(&b2, 3), "models"))
        return;
    tiny_split(&tr, 0);
    tiny_split(&dev, 1);
    hook_count ha = {0}, hb = {0};
    volatile sig_atomic_t stop = 0;
    ptc_train_config ca, cb;
    loop_config(&ca, run_a, &ha);
    loop_config(&cb, run_b, &hb);
    cb.stop = &stop;
    hb.stop = &stop;
    hb.stop_after = 3; /* mid-epoch 2 */
    ptc_train_result ra, rb, rc2;
    ptc_check(ctx, ptc_train_run(&a, &tr, &dev, CLASSES, &ca, NULL, &ra, err, sizeof err) == 0, "a: %s", err);
    ptc_check(ctx, ptc_train_run(&b, &tr, &dev, CLASSES, &cb, NULL, &rb, err, sizeof err) == 0, "b: %s", err);
    ptc_check(ctx, rb.stopped && rb.steps_done == 3 && hb.steps == 3, "stopped after step %zu",
              rb.steps_done);
    ptc_train_state st;
    ptc_check(ctx, ptc_checkpoint_load(&b2, run_b, 4, 2, &st, err, sizeof err) == 0 && st.next_step == 3,
              "load: %s", err);
    stop = 0;
    hb.stop = NULL;
    ptc_check(ctx, ptc_train_run(&b2, &tr, &dev, CLASSES, &cb, &st, &rc2, err, sizeof err) == 0,
              "resume: %s", err);
    ptc_check(ctx, rc2.steps_done == 4 && !rc2.stopped && rc2.n_step_times == 1, "resumed: 1 step");
    ptc_check(ctx, memcmp(a.params_memory, b2.params_memory, a.n_params * sizeof(float)) == 0,
              "resumed weights equal the straight run's");
    ptc_check(ctx, ra.best_epoch == rc2.best_epoch && ra.best_loss == rc2.best_loss, "same best");
    free(ra.step_times);
    free(rb.step_times);
    free(rc2.step_times);
    ptc_split_free(&tr);
    ptc_split_free(&dev);
    ptc_model_free(&a);
    ptc_model_free(&b);
    ptc_model_free(&b2);
    test_remove_dir(run_a);
    test_remove_dir(run_b);
}

PTC_TEST(split_read_texts)
{
    char dir[512], path[700], err[512];
    test_fresh_dir(dir, sizeof dir, "train-loop", "texts");
    snprintf(path, sizeof path, "%s/in.tsv", dir);
    const char *vocab_words[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world"};
    char vpath[700];
    snprintf(vpath, sizeof vpath, "%s/vocab.txt", dir);
    FILE *f = fopen(vpath, "w");
    for (size_t i = 0; i < 7; i++)
        fprintf(f, "%s\n", vocab_words[i]);
    fclose(f);
    ptc_tokenizer *tok = ptc_tokenizer_load(vpath, err, sizeof err);
    if (!ptc_check(ctx, tok != NULL, "vocab: %s", err))
        return;
    f = fopen(path, "w");
    fprintf(f, "2\thello world\nhello\n\n");
    fclose(f);
    ptc_split s = {0};
    ptc_check(ctx, ptc_split_read_texts(&s, path, tok, 8, err, sizeof err) == 0, "read: %s", err);
    ptc_check(ctx, s.n == 3 && ptc_split_len(&s, 0) == 4 && ptc_split_len(&s, 1) == 3 &&
                   ptc_split_len(&s, 2) == 2 && s.labels[0] == 0,
              "3 docs: [CLS] hello world [SEP], [CLS] hello [SEP], [CLS] [SEP]");
    ptc_check(ctx, s.ids[1] == 5 && s.ids[2] == 6, "the label column is not text");
    ptc_split_free(&s);
    f = fopen(path, "w");
    fprintf(f, "hello\nbad \xff byte\n");
    fclose(f);
    ptc_check(ctx, ptc_split_read_texts(&s, path, tok, 8, err, sizeof err) != 0 && strstr(err, ":2:"),
              "invalid UTF-8 named at line 2: %s", err);
    ptc_split_free(&s);
    f = fopen(path, "w");
    fclose(f);
    ptc_check(ctx, ptc_split_read_texts(&s, path, tok, 8, err, sizeof err) != 0 && strstr(err, "no lines"),
              "an empty file refused: %s", err);
    ptc_split_free(&s);
    ptc_tokenizer_free(tok);
    test_remove_dir(dir);
}

/*
 * harness/learn/train_common.c — what `ptc train/eval/predict/experiment` share
 * (harness/learn/train.h): the common options, model config, tokenizer and dataset
 * from options, batching, and evaluation (accuracy, macro/micro-F1, confusion,
 * FLOPs and activation bytes, keys kept per layer, inference time).
 * Single-threaded around the model (which threads itself).
 */
#include "learn/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

double ptc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

size_t ptc_peak_rss(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (size_t)ru.ru_maxrss * 1024; /* Linux: KiB */
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

json_t *ptc_time_stats(const double *v, size_t n)
{
    json_t *o = json_object();
    if (n == 0) {
        json_object_set_new(o, "n", json_integer(0));
        return o;
    }
    double *s = malloc(n * sizeof *s);
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    double mean = 0, var = 0;
    for (size_t i = 0; i < n; i++)
        mean += s[i] / (double)n;
    for (size_t i = 0; i < n; i++)
        var += (s[i] - mean) * (s[i] - mean);
    const double sd = n > 1 ? sqrt(var / (double)(n - 1)) : 0.0;
    const double med = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    json_object_set_new(o, "median", json_real(med));
    json_object_set_new(o, "mean", json_real(mean));
    json_object_set_new(o, "stddev", json_real(sd));
    json_object_set_new(o, "min", json_real(s[0]));
    json_object_set_new(o, "max", json_real(s[n - 1]));
    json_object_set_new(o, "cv", json_real(mean > 0 ? sd / mean : 0.0));
    json_object_set_new(o, "n", json_integer((json_int_t)n));
    free(s);
    return o;
}

/* ---- options ------------------------------------------------------------------------------ */
void ptc_run_opts_default(ptc_run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_len = 512;
    o->split_seed = 20231;
    o->model = "bert-mini";
    o->variant = "baseline";
    o->dropout = -1.0;
    o->batch = 16;
    o->epochs = 3;
    o->lr = 1e-4;
    o->warmup = 0.1;
    o->weight_decay = 0.01;
    o->seed = 1;
}

static int parse_size(const char *prog, const char *name, const char *v, size_t *out)
{
    char *e;
    unsigned long long x = strtoull(v, &e, 10);
    if (!*v || *e || v[0] == '-') {
        fprintf(stderr, "%s: %s '%s': not a non-negative integer\n", prog, name, v);
        return -1;
    }
    *out = (size_t)x;
    return 1;
}

static int parse_double(const char *prog, const char *name, const char *v, double *out)
{
    char *e;
    double x = strtod(v, &e);
    if (!*v || *e || !isfinite(x)) {
        fprintf(stderr, "%s: %s '%s': not a number\n", prog, name, v);
        return -1;
    }
    *out = x;
    return 1;
}

/* "--name VALUE" or "--name=VALUE" */
static bool opt_is(int argc, char **argv, int *i, const char *name, const char **val, bool *missing)
{
    const size_t l = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, l) != 0)
        return false;
    if (a[l] == '=') {
        *val = a + l + 1;
        return true;
    }
    if (a[l] != '\0')
        return false;
    if (*i + 1 >= argc) {
        *missing = true;
        return true;
    }
    *val = argv[++*i];
    return true;
}

int ptc_run_opts_parse(ptc_run_opts *o, int argc, char **argv, int *i, const char *prog)
{
    const char *v = NULL;
    bool missing = false;
    const char *a = argv[*i];
#define STR(name, field)                                   \
    if (opt_is(argc, argv, i, name, &v, &missing)) {       \
        if (missing)                                       \
            goto miss;                                     \
        o->field = v;                                      \
        return 1;                                          \
    }
#define SIZE(name, field)                                  \
    if (opt_is(argc, argv, i, name, &v, &missing)) {       \
        if (missing)                                       \
            goto miss;                                     \
        return parse_size(prog, name, v, &o->field);       \
    }
#define DBL(name, field)                                   \
    if (opt_is(argc, argv, i, name, &v, &missing)) {       \
        if (missing)                                       \
            goto miss;                                     \
        return parse_double(prog, name, v, &o->field);     \
    }
    STR("--data", data)
    STR("--data-dir", data_dir)
    STR("--train", train)
    STR("--dev", dev)
    STR("--test", test)
    STR("--labels", labels)
    STR("--vocab", vocab)
    STR("--cache-dir", cache_dir)
    SIZE("--max-len", max_len)
    SIZE("--synthetic-train", synth_train)
    SIZE("--synthetic-dev", synth_dev)
    SIZE("--synthetic-test", synth_test)
    SIZE("--synthetic-classes", synth_classes)
    STR("--model", model)
    SIZE("--hidden", hidden)
    SIZE("--layers", layers)
    SIZE("--heads", heads)
    SIZE("--ffn", ffn)
    STR("--variant", variant)
    STR("--rule", rule)
    DBL("--p", p)
    SIZE("--lc", lc)
    SIZE("--m", m)
    STR("--pad-mode", pad_mode)
    DBL("--dropout", dropout)
    SIZE("--batch", batch)
    SIZE("--epochs", epochs)
    SIZE("--max-steps", max_steps)
    SIZE("--save-every", save_every)
    SIZE("--eval-batch", eval_batch)
    DBL("--lr", lr)
    DBL("--warmup", warmup)
    DBL("--weight-decay", weight_decay)
    STR("--out", out)
    if (opt_is(argc, argv, i, "--seed", &v, &missing)) {
        if (missing)
            goto miss;
        size_t s;
        int rc = parse_size(prog, "--seed", v, &s);
        o->seed = s;
        return rc;
    }
    if (opt_is(argc, argv, i, "--split-seed", &v, &missing)) {
        if (missing)
            goto miss;
        size_t s;
        int rc = parse_size(prog, "--split-seed", v, &s);
        o->split_seed = s;
        return rc;
    }
    if (opt_is(argc, argv, i, "--threads", &v, &missing)) {
        if (missing)
            goto miss;
        size_t t;
        int rc = parse_size(prog, "--threads", v, &t);
        o->threads = (int)t;
        return rc;
    }
#undef STR
#undef SIZE
#undef DBL
    if (strcmp(a, "--skip-bad-lines") == 0) {
        o->skip_bad_lines = true;
        return 1;
    }
    if (strcmp(a, "--resume") == 0) {
        o->resume = true;
        return 1;
    }
    if (strcmp(a, "--quiet") == 0) {
        o->quiet = true;
        return 1;
    }
    if (strcmp(a, "--no-progress") == 0) {
        o->no_progress = true;
        return 1;
    }
    return 0;
miss:
    fprintf(stderr, "%s: %s needs a value\n", prog, a);
    return -1;
}

void ptc_run_opts_usage(FILE *out)
{
    fprintf(out,
            "data:   --data NAME (imdb bbc 20ng sst2 r8 r52 hyperpartisan agnews-test synthetic)\n"
            "        --data-dir DIR (or $PTC_DATA) | --train F [--dev F] [--test F] --labels F\n"
            "        --vocab vocab.txt (or $PTC_VOCAB) --max-len N (512) --cache-dir DIR\n"
            "        --skip-bad-lines --split-seed N --synthetic-{train,dev,test,classes} N\n"
            "model:  --model bert-base|bert-small|bert-mini|bert-tiny (bert-mini)\n"
            "        --hidden N --layers N --heads N --ffn N --dropout X\n"
            "        --variant baseline|P|PF|C|PFC --rule topk|clamp|within --p X (0.9)\n"
            "        --lc N (layers-1) --m N (8) --pad-mode length-aware|padded\n"
            "train:  --batch N (16) --epochs N (3) --lr X (1e-4) --warmup X (0.1: fraction,\n"
            "        >= 1: steps) --weight-decay X (0.01) --seed N (1) --threads N\n"
            "        --out DIR --resume --max-steps N --save-every N --eval-batch N\n"
            "        --no-progress --quiet\n");
}

int ptc_run_model_config(const ptc_run_opts *o, size_t vocab_size, size_t n_classes,
                         ptc_model_config *cfg, char *err, size_t err_len)
{
    ptc_variant var;
    const char *v = o->variant;
    if (strcmp(v, "baseline") == 0 || strcmp(v, "BERT") == 0)
        var = PTC_VARIANT_BASELINE;
    else if (strcmp(v, "P") == 0 || strcmp(v, "PF") == 0)
        var = PTC_VARIANT_PRUNE;
    else if (strcmp(v, "C") == 0)
        var = PTC_VARIANT_COMBINE;
    else if (strcmp(v, "PFC") == 0)
        var = PTC_VARIANT_PRUNE_COMBINE;
    else {
        snprintf(err, err_len, "unknown --variant '%s' (baseline, P, PF, C, PFC)", v);
        return -1;
    }
    if (ptc_model_config_preset(cfg, o->model, var, err, err_len) != PTC_OK)
        return -1;
    if (o->hidden)
        cfg->hidden = o->hidden;
    if (o->layers)
        cfg->n_layers = o->layers;
    if (o->heads)
        cfg->n_heads = o->heads;
    if (o->ffn)
        cfg->ffn = o->ffn;
    cfg->vocab_size = vocab_size;
    cfg->n_classes = n_classes;
    if (o->dropout >= 0)
        cfg->dropout = (float)o->dropout;
    ptc_model_config_sync(cfg);
    ptc_variant_config *vc = &cfg->variant;
    if (strcmp(v, "P") == 0)
        vc->prune.rule = PTC_PRUNE_TOPK;
    if (o->rule) {
        if (strcmp(o->rule, "topk") == 0)
            vc->prune.rule = PTC_PRUNE_TOPK;
        else if (strcmp(o->rule, "clamp") == 0)
            vc->prune.rule = PTC_PRUNE_CLAMP;
        else if (strcmp(o->rule, "within") == 0)
            vc->prune.rule = PTC_PRUNE_WITHIN;
        else {
            snprintf(err, err_len, "unknown --rule '%s' (topk, clamp, within)", o->rule);
            return -1;
        }
    }
    if (o->p > 0)
        vc->prune.p = o->p;
    if (var == PTC_VARIANT_COMBINE || var == PTC_VARIANT_PRUNE_COMBINE) {
        vc->combine_layer = o->lc ? o->lc : (cfg->n_layers > 1 ? cfg->n_layers - 1 : 1);
        if (o->m)
            vc->n_comb = o->m;
    } else if (o->lc || o->m) {
        snprintf(err, err_len, "--lc/--m apply to the C and PFC variants only");
        return -1;
    }
    if (o->pad_mode) {
        if (strcmp(o->pad_mode, "length-aware") == 0)
            vc->pad_mode = PTC_PAD_LENGTH_AWARE;
        else if (strcmp(o->pad_mode, "padded") == 0)
            vc->pad_mode = PTC_PAD_PADDED;
        else {
            snprintf(err, err_len, "unknown --pad-mode '%s' (length-aware, padded)", o->pad_mode);
            return -1;
        }
    }
    if (o->max_len > cfg->max_positions) {
        snprintf(err, err_len, "--max-len %zu exceeds the model's %zu positions", o->max_len,
                 cfg->max_positions);
        return -1;
    }
    return ptc_model_config_check(cfg, err, err_len) == PTC_OK ? 0 : -1;
}

static const char *find_vocab(const ptc_run_opts *o)
{
    if (o->vocab)
        return o->vocab;
    const char *env = getenv("PTC_VOCAB");
    if (env && *env)
        return env;
    static const char *const c[] = {"../shared/models/bert-base-uncased-vocab/vocab.txt",
                                    "../../shared/models/bert-base-uncased-vocab/vocab.txt"};
    for (size_t i = 0; i < 2; i++)
        if (access(c[i], R_OK) == 0)
            return c[i];
    return NULL;
}

static void synth_config(const ptc_run_opts *o, ptc_synthetic_config *c)
{
    ptc_synthetic_config_default(c);
    if (o->synth_train)
        c->n_train = o->synth_train;
    if (o->synth_dev)
        c->n_dev = o->synth_dev;
    if (o->synth_test)
        c->n_test = o->synth_test;
    if (o->synth_classes)
        c->n_classes = o->synth_classes;
    c->seed = o->split_seed;
}

static bool is_synthetic(const ptc_run_opts *o)
{
    return o->data && strcmp(o->data, "synthetic") == 0 && !o->train;
}

ptc_tokenizer *ptc_run_tokenizer(const ptc_run_opts *o, const char **vocab_path, char *err,
                                 size_t err_len)
{
    if (is_synthetic(o) && !o->vocab) {
        ptc_synthetic_config c;
        synth_config(o, &c);
        *vocab_path = "synthetic";
        return ptc_synthetic_tokenizer(&c, err, err_len);
    }
    const char *p = find_vocab(o);
    if (!p) {
        snprintf(err, err_len, "no vocabulary: give --vocab vocab.txt or set PTC_VOCAB");
        return NULL;
    }
    *vocab_path = p;
    return ptc_tokenizer_load(p, err, err_len);
}

int ptc_run_dataset(const ptc_run_opts *o, const ptc_tokenizer *tok, ptc_dataset *ds, char *err,
                    size_t err_len)
{
    ptc_dataset_options d;
    ptc_dataset_options_default(&d);
    d.name = o->data;
    d.data_dir = o->data_dir;
    d.train_path = o->train;
    d.dev_path = o->dev;
    d.test_path = o->test;
    d.labels_path = o->labels;
    d.cache_dir = o->cache_dir;
    d.max_len = o->max_len;
    d.skip_bad_lines = o->skip_bad_lines;
    d.split_seed = o->split_seed;
    d.log = stderr;
    synth_config(o, &d.synthetic);
    if (!o->data && !o->train) {
        snprintf(err, err_len, "no data: give --data NAME or --train FILE --labels FILE");
        return -1;
    }
    return ptc_dataset_load(ds, tok, &d, err, err_len);
}

/* ---- batches ------------------------------------------------------------------------------------ */
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

/* ---- evaluation ------------------------------------------------------------------------------------- */
void ptc_eval_result_free(ptc_eval_result *r)
{
    free(r->confusion);
    free(r->predicted);
    free(r->logits);
    free(r->batch_times);
    memset(r, 0, sizeof *r);
}

/* Keys attended and query rows per step of the plan the forward ran, from the
 * model's per-step accounting of its last forward (a step without keys, such as
 * the combining module, reports 0 keys). */
static void per_step_kept(const ptc_model *m, ptc_eval_result *r)
{
    r->n_steps = m->last_n_steps;
    for (size_t s = 0; s < m->last_n_steps; s++) {
        const ptc_layer_stats *st = &m->last_steps[s];
        r->keys_mean[s] = st->n_keys ? st->keys.mean : 0.0;
        r->tokens_mean[s] = st->n_tokens ? st->tokens.mean : 0.0;
    }
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
        ptc_layer_stats st;
        float loss;
        const double t0 = ptc_now();
        rc = ptc_model_forward(m, &bt.b, &loss, &st, err, err_len);
        const double dt = ptc_now() - t0;
        if (rc != 0)
            break;
        if (start == 0)
            per_step_kept(m, r);
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
        double *t = malloc(full_batches * sizeof *t);
        memcpy(t, r->batch_times, full_batches * sizeof *t);
        qsort(t, full_batches, sizeof *t, cmp_double);
        r->batch_time_median = full_batches % 2 ? t[full_batches / 2]
                                                : 0.5 * (t[full_batches / 2 - 1] + t[full_batches / 2]);
        free(t);
    } else {
        r->batch_time_median = r->seconds;
    }
    return 0;
}

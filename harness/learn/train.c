/*
 * harness/learn/train.c — `ptc train`: fine-tune / train a classifier of any preset or
 * shape and any variant on a dataset, with validation each epoch, the best-
 * validation checkpoint, resumable state, a JSONL training log and a summary
 * (run folder layout and determinism: harness/learn/train.h).
 * The loop, its checkpoints and its log are the library's (include/ptc/train.h);
 * this file reads the options, prepares the run folder and prints the progress.
 */
#include "learn/train.h"

#include "cluster/lock.h"
#include "ptc/ops.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t g_interrupted;
static void on_sigint(int sig)
{
    (void)sig;
    g_interrupted = 1;
}

static void write_run_json(const ptc_run_opts *o, const ptc_model_config *cfg,
                           const ptc_dataset *ds, const char *vocab_path, int argc, char **argv,
                           size_t steps_per_epoch, size_t total_steps, size_t warmup_steps)
{
    json_t *r = json_object(), *a = json_array(), *labels = json_array();
    for (int i = 0; i < argc; i++)
        json_array_append_new(a, json_string(argv[i]));
    for (size_t c = 0; c < ds->n_classes; c++)
        json_array_append_new(labels, json_string(ds->label_names[c]));
    json_object_set_new(r, "schema", json_string("ptc.trainrun/1"));
    json_object_set_new(r, "argv", a);
    json_object_set_new(r, "dataset", json_string(ds->name));
    json_object_set_new(r, "vocab", json_string(vocab_path));
    json_object_set_new(r, "max_len", json_integer((json_int_t)o->max_len));
    json_object_set_new(r, "labels", labels);
    json_object_set_new(r, "model", json_string(o->model));
    json_object_set_new(r, "variant", json_string(ptc_variant_name(&cfg->variant)));
    json_object_set_new(r, "hidden", json_integer((json_int_t)cfg->hidden));
    json_object_set_new(r, "layers", json_integer((json_int_t)cfg->n_layers));
    json_object_set_new(r, "heads", json_integer((json_int_t)cfg->n_heads));
    json_object_set_new(r, "ffn", json_integer((json_int_t)cfg->ffn));
    json_object_set_new(r, "seed", json_integer((json_int_t)o->seed));
    json_object_set_new(r, "split_seed", json_integer((json_int_t)o->split_seed));
    json_object_set_new(r, "batch", json_integer((json_int_t)o->batch));
    json_object_set_new(r, "epochs", json_integer((json_int_t)o->epochs));
    json_object_set_new(r, "lr", json_real(o->lr));
    json_object_set_new(r, "weight_decay", json_real(o->weight_decay));
    json_object_set_new(r, "steps_per_epoch", json_integer((json_int_t)steps_per_epoch));
    json_object_set_new(r, "total_steps", json_integer((json_int_t)total_steps));
    json_object_set_new(r, "warmup_steps", json_integer((json_int_t)warmup_steps));
    json_object_set_new(r, "train_docs", json_integer((json_int_t)ds->train.n));
    json_object_set_new(r, "dev_docs", json_integer((json_int_t)ds->dev.n));
    json_object_set_new(r, "test_docs", json_integer((json_int_t)ds->test.n));
    if (o->data_dir)
        json_object_set_new(r, "data_dir", json_string(o->data_dir));
    char path[4096];
    snprintf(path, sizeof path, "%s/run.json", o->out);
    json_dump_file(r, path, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(r);
}

static void fmt_eta(double s, char *out, size_t len)
{
    if (!(s >= 0) || s > 1e7)
        snprintf(out, len, "?");
    else if (s >= 3600)
        snprintf(out, len, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
    else
        snprintf(out, len, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
}


/* What the progress hooks print on stderr: the bar (a terminal only) and the
 * per-epoch line. bar_open: the bar line is on screen unfinished. */
typedef struct progress {
    const ptc_run_opts *o;
    bool bar, bar_open;
} progress;

static void on_step(void *ctx, const ptc_train_progress *p)
{
    progress *pr = ctx;
    if (!pr->bar)
        return;
    char eta[32];
    fmt_eta(p->seconds / (double)p->in_epoch * (double)(p->steps_per_epoch - p->in_epoch), eta,
            sizeof eta);
    const int filled = (int)(24.0 * (double)p->in_epoch / (double)p->steps_per_epoch);
    fprintf(stderr, "\repoch %zu/%zu [%.*s%*s] %zu/%zu loss %.4f %.0f tok/s ETA %s   ", p->epoch + 1,
            p->epochs, filled, "########################", 24 - filled, "", p->in_epoch,
            p->steps_per_epoch, p->loss_mean, (double)p->tokens / p->seconds, eta);
    pr->bar_open = true;
}

static void on_epoch(void *ctx, const ptc_train_progress *p, const ptc_eval_result *dev, bool best)
{
    progress *pr = ctx;
    if (!pr->o->quiet)
        fprintf(stderr,
                "%sepoch %zu/%zu: train loss %.4f, %.0f tok/s | dev loss %.4f acc %.4f macro-F1 %.4f%s\n",
                pr->bar ? "\r" : "", p->epoch + 1, p->epochs, p->loss_mean,
                (double)p->tokens / p->seconds, dev->loss, dev->accuracy, dev->macro_f1,
                best ? " (best)" : "");
    pr->bar_open = false;
}

/* --resume: the checkpoint into m and *from, the log trimmed to it; else a new
 * run.json. 0, or the exit code after a message. */
static int start_or_resume(const ptc_run_opts *o, ptc_model *m, const ptc_model_config *cfg,
                           const ptc_dataset *ds, const char *vocab_path, int argc, char **argv,
                           const ptc_adamw_config *ac, ptc_train_state *from, const char *log_path)
{
    const size_t spe = ptc_train_steps_per_epoch(ds->train.n, o->batch);
    char err[1024];
    if (!o->resume) {
        write_run_json(o, cfg, ds, vocab_path, argc, argv, spe, ac->total_steps, ac->warmup_steps);
        return 0;
    }
    if (!ptc_checkpoint_exists(o->out)) {
        fprintf(stderr, "ptc train: --resume: no checkpoint in %s (nothing to resume)\n", o->out);
        return 1;
    }
    if (ptc_checkpoint_load(m, o->out, ac->total_steps, o->epochs, from, err, sizeof err) != 0) {
        fprintf(stderr, "ptc train: --resume: %s\n", err);
        return 1;
    }
    if (from->seed != o->seed) {
        fprintf(stderr, "ptc train: --resume: the run used --seed %llu, not %llu\n",
                (unsigned long long)from->seed, (unsigned long long)o->seed);
        return 2;
    }
    if (!o->quiet)
        fprintf(stderr, "ptc train: resuming %s at step %llu of %zu\n", o->out,
                (unsigned long long)from->next_step, ac->total_steps);
    if (ptc_train_log_trim(log_path, from->next_step, err, sizeof err) != 0) {
        fprintf(stderr, "ptc train: --resume: %s\n", err);
        return 1;
    }
    return 0;
}

static void write_summary(const ptc_run_opts *o, const ptc_train_result *r, size_t total,
                          const ptc_ops *ops)
{
    json_t *s = json_object();
    json_object_set_new(s, "schema", json_string("ptc.trainsummary/1"));
    json_object_set_new(s, "steps_done", json_integer((json_int_t)r->steps_done));
    json_object_set_new(s, "total_steps", json_integer((json_int_t)total));
    json_object_set_new(s, "finished", json_boolean(r->steps_done >= total));
    json_object_set_new(s, "step_time_s", ptc_time_stats(r->step_times, r->n_step_times));
    json_object_set_new(s, "train_activation_bytes", json_integer((json_int_t)r->activation_bytes));
    json_object_set_new(s, "peak_rss", json_integer((json_int_t)ptc_peak_rss()));
    json_object_set_new(s, "best_epoch", json_integer((json_int_t)r->best_epoch));
    json_object_set_new(s, "best_val_loss", isfinite(r->best_loss) ? json_real(r->best_loss) : json_null());
    json_object_set_new(s, "isa", json_string(ops->name));
    json_object_set_new(s, "threads", json_integer(omp_get_max_threads()));
    char path[4096];
    snprintf(path, sizeof path, "%s/summary.json", o->out);
    json_dump_file(s, path, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(s);
}

/* Trains the loaded data and model of o (the run folder exists): resume or
 * run.json, the loop, the summary. The exit code. */
static int train_run(const ptc_run_opts *o, const ptc_ops *ops, ptc_model *m, const ptc_dataset *ds,
                     const ptc_tokenizer *tok, const char *vocab_path, int argc, char **argv)
{
    const size_t spe = ptc_train_steps_per_epoch(ds->train.n, o->batch), total = spe * o->epochs;
    ptc_train_config c = {.batch = o->batch, .max_len = o->max_len, .eval_batch = o->eval_batch,
                          .epochs = o->epochs, .max_steps = o->max_steps, .save_every = o->save_every,
                          .seed = o->seed, .pad_id = ptc_tokenizer_pad_id(tok), .run = o->out,
                          .stop = &g_interrupted, .on_step = on_step, .on_epoch = on_epoch};
    ptc_adamw_config_default(&c.adamw);
    c.adamw.lr = (float)o->lr;
    c.adamw.weight_decay = (float)o->weight_decay;
    c.adamw.warmup_steps = o->warmup >= 1 ? (size_t)o->warmup : (size_t)(o->warmup * (double)total);
    c.adamw.total_steps = total;
    char path[4096], err[1024];
    snprintf(path, sizeof path, "%s/train_log.jsonl", o->out);
    ptc_train_state from;
    int rc = start_or_resume(o, m, &m->cfg, ds, vocab_path, argc, argv, &c.adamw, &from, path);
    if (rc != 0)
        return rc;
    if (!(c.log = fopen(path, o->resume ? "a" : "w"))) {
        fprintf(stderr, "ptc train: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (!o->quiet)
        fprintf(stderr,
                "ptc train: %s (%zu train / %zu dev / %zu test docs, %zu classes), %s %s, "
                "%zu params, %s, %zu steps/epoch x %zu epochs, batch %zu, lr %g\n",
                ds->name, ds->train.n, ds->dev.n, ds->test.n, ds->n_classes, o->model,
                ptc_variant_name(&m->cfg.variant), m->n_params, ops->name, spe, o->epochs, o->batch, o->lr);
    progress pr = {.o = o, .bar = !o->no_progress && !o->quiet && isatty(2)};
    c.ctx = &pr;
    g_interrupted = 0;
    struct sigaction sa = {0}, old_sa;
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &old_sa);
    ptc_train_result r;
    rc = ptc_train_run(m, &ds->train, &ds->dev, ds->n_classes, &c, o->resume ? &from : NULL, &r, err,
                       sizeof err) != 0;
    sigaction(SIGINT, &old_sa, NULL);
    fclose(c.log);
    if (rc)
        fprintf(stderr, "%sptc train: %s\n", pr.bar_open ? "\n" : "", err);
    else if (r.stopped && !o->quiet)
        fprintf(stderr, "%sptc train: stopped at step %zu of %zu (%s); continue with --resume\n",
                pr.bar_open ? "\n" : "", r.steps_done, total, g_interrupted ? "interrupted" : "--max-steps");
    if (rc == 0 && r.stopped && g_interrupted)
        rc = 130;
    if (rc == 0) {
        write_summary(o, &r, total, ops);
        if (!o->quiet && !r.stopped)
            fprintf(stderr, "ptc train: done; best epoch %zu (dev loss %.4f): %s/best.safetensors\n",
                    r.best_epoch, r.best_loss, o->out);
    }
    free(r.step_times);
    return rc;
}

int ptc_train_main(int argc, char **argv)
{
    ptc_run_opts o;
    ptc_run_opts_default(&o);
    ptc_opt_group g[PTC_LEARN_NGROUPS], others[PTC_LEARN_NOTHERS];
    ptc_learn_groups_all(g, &o);
    ptc_learn_others(others);
    const ptc_command_spec spec = {
        .prog = "ptc train",
        .usage = "ptc train --data NAME|--train F --labels F --out DIR [options]",
        .groups = g,
        .n_groups = PTC_LEARN_NGROUPS,
        .others = others,
        .n_others = PTC_LEARN_NOTHERS,
    };
    ptc_opt_seen seen;
    const int prc = ptc_opts_parse(&spec, argc, argv, 1, &seen);
    if (prc != 0)
        return prc == 1 ? 0 : prc;
    if (ptc_run_opts_check(&o, &seen, spec.prog) != 0)
        return 2;
    if (!o.out) {
        fprintf(stderr, "ptc train: give --out DIR (the run folder)\n");
        return 2;
    }
    const ptc_ops *ops = ptc_opts_compute(spec.prog, o.isa, o.threads);
    if (!ops)
        return 1;
    char err[1024];
    int rc = 1;
    const char *vocab_path = NULL;
    ptc_dataset ds = {0};
    ptc_model m = {0};
    /* one trainer per run folder for its whole life (cluster/lock.h): a second is refused at once */
    const bool out_existed = ptc_path_exists(o.out);
    if (ptc_mkdir_p(o.out) != 0) {
        fprintf(stderr, "ptc train: cannot create %s: %s\n", o.out, strerror(errno));
        return 1;
    }
    const int lock_fd = ptc_run_lock(o.out, err, sizeof err);
    if (lock_fd < 0) {
        fprintf(stderr, "ptc train: %s\n", err);
        return 1;
    }
    ptc_model_config cfg;
    bool model_ok = false;
    ptc_tokenizer *tok = ptc_run_tokenizer(&o, &vocab_path, err, sizeof err);
    if (!tok || ptc_run_dataset(&o, tok, &ds, err, sizeof err) != 0)
        fprintf(stderr, "ptc train: %s\n", err);
    else if (ds.train.n == 0 || ds.dev.n == 0)
        fprintf(stderr, "ptc train: %s: empty %s split\n", ds.name, ds.train.n ? "dev" : "train");
    else if (ptc_run_model_config(&o, ptc_tokenizer_vocab_size(tok), ds.n_classes, &cfg, err,
                                  sizeof err) != 0) {
        fprintf(stderr, "ptc train: %s\n", err);
        rc = 2;
    } else if (ptc_model_init(&m, &cfg, ops, o.seed, err, sizeof err) != PTC_OK)
        fprintf(stderr, "ptc train: %s\n", err);
    else {
        model_ok = true;
        rc = train_run(&o, ops, &m, &ds, tok, vocab_path, argc, argv);
    }
    if (model_ok)
        ptc_model_free(&m);
    ptc_dataset_free(&ds);
    ptc_tokenizer_free(tok);
    ptc_run_unlock(lock_fd);
    if (rc == 2 && !out_existed) { /* refused before anything was written: no folder left */
        char lock_file[4200];
        snprintf(lock_file, sizeof lock_file, "%s/.lock", o.out);
        unlink(lock_file);
        rmdir(o.out);
    }
    return rc;
}

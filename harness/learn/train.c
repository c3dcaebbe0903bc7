/*
 * harness/learn/train.c — `ptc train`: fine-tune / train a classifier of any preset or
 * shape and any variant on a dataset, with validation each epoch, the best-
 * validation checkpoint, resumable state, a JSONL training log and a summary
 * (run folder layout and determinism: harness/learn/train.h).
 * The resumable state is one checkpoint folder, committed as a unit
 * (harness/learn/checkpoint.h).
 */
#include "learn/train.h"

#include "learn/checkpoint.h"

#include "cluster/lock.h"
#include "common/sys.h"
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

static int save_checkpoint(const ptc_model *m, const char *dir, size_t next_step, double best_loss,
                           size_t best_epoch, uint64_t seed, char *err, size_t err_len)
{
    const ptc_train_state s = {next_step, best_loss, best_epoch, seed};
    return ptc_checkpoint_save(m, dir, &s, err, err_len);
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
    ptc_tokenizer *tok = NULL;
    ptc_dataset ds = {0};
    ptc_model m = {0};
    ptc_batcher bt = {0};
    size_t *perm = NULL;
    double *step_times = NULL;
    FILE *log = NULL;
    bool model_ok = false;
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

    tok = ptc_run_tokenizer(&o, &vocab_path, err, sizeof err);
    if (!tok || ptc_run_dataset(&o, tok, &ds, err, sizeof err) != 0) {
        fprintf(stderr, "ptc train: %s\n", err);
        goto done;
    }
    if (ds.train.n == 0 || ds.dev.n == 0) {
        fprintf(stderr, "ptc train: %s: empty %s split\n", ds.name, ds.train.n ? "dev" : "train");
        goto done;
    }
    ptc_model_config cfg;
    if (ptc_run_model_config(&o, ptc_tokenizer_vocab_size(tok), ds.n_classes, &cfg, err,
                             sizeof err) != 0) {
        fprintf(stderr, "ptc train: %s\n", err);
        rc = 2;
        goto done;
    }
    if (ptc_model_init(&m, &cfg, ops, o.seed, err, sizeof err) != PTC_OK) {
        fprintf(stderr, "ptc train: %s\n", err);
        goto done;
    }
    model_ok = true;
    const size_t spe = (ds.train.n + o.batch - 1) / o.batch;
    const size_t total = spe * o.epochs;
    const size_t warm = o.warmup >= 1 ? (size_t)o.warmup : (size_t)(o.warmup * (double)total);
    ptc_adamw_config ac;
    ptc_adamw_config_default(&ac);
    ac.lr = (float)o.lr;
    ac.weight_decay = (float)o.weight_decay;
    ac.warmup_steps = warm;
    ac.total_steps = total;
    size_t step = 0, best_epoch = 0;
    double best_loss = INFINITY;
    if (o.resume) {
        ptc_train_state h;
        if (!ptc_checkpoint_exists(o.out)) {
            fprintf(stderr, "ptc train: --resume: no checkpoint in %s (nothing to resume)\n", o.out);
            goto done;
        }
        if (ptc_checkpoint_load(&m, o.out, total, o.epochs, &h, err, sizeof err) != 0) {
            fprintf(stderr, "ptc train: --resume: %s\n", err);
            goto done;
        }
        if (h.seed != o.seed) {
            fprintf(stderr, "ptc train: --resume: the run used --seed %llu, not %llu\n",
                    (unsigned long long)h.seed, (unsigned long long)o.seed);
            rc = 2;
            goto done;
        }
        step = h.next_step;
        best_loss = h.best_loss;
        best_epoch = h.best_epoch;
        if (!o.quiet)
            fprintf(stderr, "ptc train: resuming %s at step %zu of %zu\n", o.out, step, total);
    } else {
        write_run_json(&o, &cfg, &ds, vocab_path, argc, argv, spe, total, warm);
    }
    if (ptc_model_plan(&m, o.batch, o.max_len, true, err, sizeof err) != PTC_OK) {
        fprintf(stderr, "ptc train: %s\n", err);
        goto done;
    }
    const size_t train_act_bytes = ptc_model_activation_bytes(&m);
    char path[4096];
    snprintf(path, sizeof path, "%s/train_log.jsonl", o.out);
    if (o.resume && ptc_train_log_trim(path, step, err, sizeof err) != 0) {
        fprintf(stderr, "ptc train: --resume: %s\n", err);
        goto done;
    }
    log = fopen(path, o.resume ? "a" : "w");
    perm = malloc(ds.train.n * sizeof *perm);
    step_times = malloc((total + 1) * sizeof *step_times);
    if (!log || !perm || !step_times || ptc_batcher_init(&bt, o.batch, o.max_len) != 0) {
        fprintf(stderr, "ptc train: cannot write %s or out of memory\n", path);
        goto done;
    }
    if (!o.quiet) {
        fprintf(stderr,
                "ptc train: %s (%zu train / %zu dev / %zu test docs, %zu classes), %s %s, "
                "%zu params, %s, %zu steps/epoch x %zu epochs, batch %zu, lr %g\n",
                ds.name, ds.train.n, ds.dev.n, ds.test.n, ds.n_classes, o.model,
                ptc_variant_name(&cfg.variant), m.n_params, ops->name, spe, o.epochs, o.batch, o.lr);
    }
    const int32_t pad = ptc_tokenizer_pad_id(tok);
    const bool padded = cfg.variant.pad_mode == PTC_PAD_PADDED;
    const bool bar = !o.no_progress && !o.quiet && isatty(2);
    g_interrupted = 0;
    struct sigaction sa = {0}, old_sa;
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &old_sa);
    size_t n_times = 0, epoch_tokens = 0, stop_at = o.max_steps ? o.max_steps : total;
    double epoch_t0 = ptc_now(), loss_sum = 0;
    size_t loss_n = 0, cur_epoch = (size_t)-1;
    const size_t eval_batch = o.eval_batch ? o.eval_batch : o.batch;
    bool stopped = false;
    rc = 0;
    for (; step < total; step++) {
        const size_t epoch = step / spe, in_epoch = step % spe;
        if (epoch != cur_epoch) {
            epoch_order(perm, ds.train.n, o.seed, epoch);
            cur_epoch = epoch;
        }
        if (step >= stop_at || g_interrupted) {
            stopped = true;
            break;
        }
        const size_t first = in_epoch * o.batch;
        const size_t count = ds.train.n - first < o.batch ? ds.train.n - first : o.batch;
        ptc_batcher_fill(&bt, &ds.train, perm + first, count, pad, padded);
        ptc_train_options topt;
        ptc_train_options_default(&topt, mix(o.seed * 0x9e3779b97f4a7c15ULL + step));
        const float lr = ptc_adamw_lr(&ac, step);
        float loss;
        const double t0 = ptc_now();
        ptc_model_zero_grad(&m);
        if (ptc_model_forward_train(&m, &bt.b, &topt, &loss, err, sizeof err) != PTC_OK ||
            ptc_model_backward(&m, err, sizeof err) != PTC_OK ||
            ptc_model_adamw_step(&m, &ac, lr, err, sizeof err) != PTC_OK) {
            fprintf(stderr, "%sptc train: step %zu: %s\n", bar ? "\n" : "", step, err);
            rc = 1;
            break;
        }
        const double dt = ptc_now() - t0;
        step_times[n_times++] = dt;
        epoch_tokens += bt.tokens;
        loss_sum += loss;
        loss_n++;
        fprintf(log,
                "{\"type\":\"step\",\"step\":%zu,\"epoch\":%zu,\"loss\":%.6g,\"lr\":%.6g,"
                "\"time_s\":%.6g,\"batch\":%zu,\"seq\":%zu,\"tokens\":%zu}\n",
                step, epoch, (double)loss, (double)lr, dt, count, bt.b.n, bt.tokens);
        fflush(log); /* a kill keeps every line written */
        if (bar) {
            const double el = ptc_now() - epoch_t0;
            const size_t done_in = in_epoch + 1;
            char eta[32];
            fmt_eta(el / (double)done_in * (double)(spe - done_in), eta, sizeof eta);
            int filled = (int)(24.0 * (double)done_in / (double)spe);
            fprintf(stderr, "\repoch %zu/%zu [%.*s%*s] %zu/%zu loss %.4f %.0f tok/s ETA %s   ",
                    epoch + 1, o.epochs, filled, "########################", 24 - filled, "",
                    done_in, spe, loss_sum / (double)loss_n, (double)epoch_tokens / el, eta);
        }
        const bool epoch_end = in_epoch + 1 == spe;
        if (epoch_end) {
            ptc_eval_result er;
            const double train_s = ptc_now() - epoch_t0;
            if (ptc_evaluate(&m, &ds.dev, ds.n_classes, eval_batch, pad, &er, err, sizeof err) != 0) {
                fprintf(stderr, "%sptc train: validation: %s\n", bar ? "\n" : "", err);
                rc = 1;
                break;
            }
            const bool better = er.loss < best_loss;
            if (better) {
                best_loss = er.loss;
                best_epoch = epoch + 1;
                snprintf(path, sizeof path, "%s/best.safetensors", o.out);
                if (ptc_model_save(&m, path, err, sizeof err) != PTC_OK) {
                    fprintf(stderr, "ptc train: %s\n", err);
                    rc = 1;
                }
            }
            fprintf(log,
                    "{\"type\":\"val\",\"epoch\":%zu,\"step\":%zu,\"loss\":%.6g,\"accuracy\":%.6g,"
                    "\"macro_f1\":%.6g,\"train_loss\":%.6g,\"train_tokens_per_s\":%.6g,"
                    "\"peak_rss\":%zu,\"best\":%s}\n",
                    epoch + 1, step + 1, er.loss, er.accuracy, er.macro_f1,
                    loss_n ? loss_sum / (double)loss_n : 0.0, (double)epoch_tokens / train_s,
                    ptc_peak_rss(), better ? "true" : "false");
            fflush(log);
            if (!o.quiet)
                fprintf(stderr,
                        "%sepoch %zu/%zu: train loss %.4f, %.0f tok/s | dev loss %.4f acc %.4f "
                        "macro-F1 %.4f%s\n",
                        bar ? "\r" : "", epoch + 1, o.epochs, loss_n ? loss_sum / (double)loss_n : 0.0,
                        (double)epoch_tokens / train_s, er.loss, er.accuracy, er.macro_f1,
                        better ? " (best)" : "");
            ptc_eval_result_free(&er);
            if (ptc_model_plan(&m, o.batch, o.max_len, true, err, sizeof err) != PTC_OK) {
                fprintf(stderr, "ptc train: %s\n", err);
                rc = 1;
                break;
            }
            if (rc == 0 && save_checkpoint(&m, o.out, step + 1, best_loss, best_epoch, o.seed, err,
                                           sizeof err) != 0) {
                fprintf(stderr, "ptc train: %s\n", err);
                rc = 1;
            }
            if (rc)
                break;
            epoch_t0 = ptc_now();
            epoch_tokens = 0;
            loss_sum = 0;
            loss_n = 0;
        } else if (o.save_every && (step + 1) % o.save_every == 0) {
            if (save_checkpoint(&m, o.out, step + 1, best_loss, best_epoch, o.seed, err, sizeof err) != 0) {
                fprintf(stderr, "ptc train: %s\n", err);
                rc = 1;
                break;
            }
        }
    }
    sigaction(SIGINT, &old_sa, NULL);
    if (rc == 0 && stopped) {
        if (save_checkpoint(&m, o.out, step, best_loss, best_epoch, o.seed, err, sizeof err) != 0) {
            fprintf(stderr, "ptc train: %s\n", err);
            rc = 1;
        } else if (!o.quiet) {
            fprintf(stderr, "%sptc train: stopped at step %zu of %zu (%s); continue with --resume\n",
                    bar ? "\n" : "", step, total, g_interrupted ? "interrupted" : "--max-steps");
        }
        if (g_interrupted)
            rc = 130;
    }
    if (rc == 0) {
        json_t *s = json_object();
        json_object_set_new(s, "schema", json_string("ptc.trainsummary/1"));
        json_object_set_new(s, "steps_done", json_integer((json_int_t)step));
        json_object_set_new(s, "total_steps", json_integer((json_int_t)total));
        json_object_set_new(s, "finished", json_boolean(step >= total));
        json_object_set_new(s, "step_time_s", ptc_time_stats(step_times, n_times));
        json_object_set_new(s, "train_activation_bytes", json_integer((json_int_t)train_act_bytes));
        json_object_set_new(s, "peak_rss", json_integer((json_int_t)ptc_peak_rss()));
        json_object_set_new(s, "best_epoch", json_integer((json_int_t)best_epoch));
        json_object_set_new(s, "best_val_loss", isfinite(best_loss) ? json_real(best_loss) : json_null());
        json_object_set_new(s, "isa", json_string(ops->name));
        json_object_set_new(s, "threads", json_integer(omp_get_max_threads()));
        snprintf(path, sizeof path, "%s/summary.json", o.out);
        json_dump_file(s, path, JSON_INDENT(2) | JSON_SORT_KEYS);
        json_decref(s);
        if (!o.quiet && !stopped)
            fprintf(stderr, "ptc train: done; best epoch %zu (dev loss %.4f): %s/best.safetensors\n",
                    best_epoch, best_loss, o.out);
    }
done:
    if (log)
        fclose(log);
    free(perm);
    free(step_times);
    ptc_batcher_free(&bt);
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

/*
 * tests/test_train_checkpoint.c — train checkpoints committed as one unit
 * (include/ptc/train.h) and the training log a resume trims.
 *
 *   checkpoint_roundtrip    save, load: weights, moments and state identical
 *   checkpoint_kill_points  the folders a kill can leave at each point of a save
 *                           (a partial .last.tmp/; last.prev/ without last/; both):
 *                           the load takes the newest complete checkpoint, and the
 *                           next save commits over any of them
 *   checkpoint_refused      a state of another checkpoint (parameter hash), a next
 *                           step of 2^63-1, a truncated state: refused, named
 *   checkpoint_log_trim     the log keeps step lines < next step and validation
 *                           lines <= next step, drops a line cut short
 */
#include "ptc_test.h"
#include "test_dirs.h"
#include "ptc/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool sh(const char *fmt, const char *a, const char *b)
{
    char cmd[2000];
    snprintf(cmd, sizeof cmd, fmt, a, b ? b : "");
    return system(cmd) == 0;
}

/* a small model with moments whose weights depend on seed */
static bool small_model(ptc_model *m, uint64_t seed)
{
    ptc_model_config cfg;
    ptc_model_config_preset(&cfg, "bert-tiny", PTC_VARIANT_BASELINE, NULL, 0);
    cfg.vocab_size = 50;
    cfg.hidden = 16;
    cfg.n_heads = 2;
    cfg.ffn = 32;
    cfg.n_layers = 1;
    cfg.max_positions = 16;
    ptc_model_config_sync(&cfg);
    char err[256];
    if (ptc_model_init(m, &cfg, ptc_ops_find("ref"), seed, err, sizeof err) != PTC_OK)
        return false;
    const size_t bytes = ((m->n_params * sizeof(float)) + 63) & ~(size_t)63;
    m->adam_m = aligned_alloc(64, bytes);
    m->adam_v = aligned_alloc(64, bytes);
    for (size_t i = 0; i < m->n_params; i++) {
        m->adam_m[i] = (float)(i % 7) * 0.25f + (float)seed;
        m->adam_v[i] = (float)(i % 5) * 0.5f;
    }
    m->adam_t = 3;
    return true;
}

static const ptc_train_state STATE3 = {3, 0.5, 1, 42};

PTC_TEST(checkpoint_roundtrip)
{
    char run[512], err[1024];
    test_fresh_dir(run, sizeof run, "ckpt-test", "roundtrip");
    ptc_model a, b;
    if (!ptc_check(ctx, small_model(&a, 1) && small_model(&b, 2), "models"))
        return;
    ptc_check(ctx, !ptc_checkpoint_exists(run), "empty run has no checkpoint");
    ptc_check(ctx, ptc_checkpoint_save(&a, run, &STATE3, err, sizeof err) == 0, "save: %s", err);
    ptc_check(ctx, ptc_checkpoint_exists(run), "checkpoint exists after a save");
    ptc_train_state s;
    b.adam_t = 0;
    ptc_check(ctx, ptc_checkpoint_load(&b, run, 10, 2, &s, err, sizeof err) == 0, "load: %s", err);
    ptc_check(ctx, memcmp(a.params_memory, b.params_memory, a.n_params * 4) == 0 &&
                   memcmp(a.adam_m, b.adam_m, a.n_params * 4) == 0 &&
                   memcmp(a.adam_v, b.adam_v, a.n_params * 4) == 0 && b.adam_t == 3,
              "weights and moments identical");
    ptc_check(ctx, s.next_step == 3 && s.best_loss == 0.5 && s.best_epoch == 1 && s.seed == 42,
              "state identical");
    char p[600];
    snprintf(p, sizeof p, "%s/.last.tmp", run);
    ptc_check(ctx, access(p, F_OK) != 0, "no temporary folder left");
    ptc_model_free(&a);
    ptc_model_free(&b);
    test_remove_dir(run);
}

PTC_TEST(checkpoint_kill_points)
{
    char run[512], err[1024];
    test_fresh_dir(run, sizeof run, "ckpt-test", "kills");
    ptc_model a, b, c;
    if (!ptc_check(ctx, small_model(&a, 1) && small_model(&b, 2) && small_model(&c, 3), "models"))
        return;
    ptc_train_state s3 = STATE3, s6 = STATE3, got;
    s6.next_step = 6;
    b.adam_t = 6;
    ptc_checkpoint_save(&a, run, &s3, err, sizeof err); /* checkpoint at step 3 */
    /* a kill while step 6 was written: a partial .last.tmp/ beside last/ */
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/.last.tmp' && head -c 100 '%s/last/model.safetensors' > "
             "'%s/.last.tmp/model.safetensors'", run, run, run);
    ptc_check(ctx, system(cmd) == 0, "partial save");
    ptc_check(ctx, ptc_checkpoint_load(&c, run, 10, 2, &got, err, sizeof err) == 0 && got.next_step == 3 &&
                   memcmp(c.params_memory, a.params_memory, a.n_params * 4) == 0,
              "partial .last.tmp: step 3 loads: %s", err);
    /* the save of step 6 commits over the leftover */
    ptc_check(ctx, ptc_checkpoint_save(&b, run, &s6, err, sizeof err) == 0, "save over leftovers: %s", err);
    ptc_check(ctx, ptc_checkpoint_load(&c, run, 10, 2, &got, err, sizeof err) == 0 && got.next_step == 6 &&
                   memcmp(c.params_memory, b.params_memory, b.n_params * 4) == 0,
              "after the save: step 6 loads: %s", err);
    /* a kill between the two renames: last.prev/ holds the newest complete one */
    ptc_check(ctx, sh("mv '%s/last' '%s/last.prev'", run, run), "mv");
    ptc_check(ctx, ptc_checkpoint_exists(run), "last.prev counts as a checkpoint");
    ptc_check(ctx, ptc_checkpoint_load(&c, run, 10, 2, &got, err, sizeof err) == 0 && got.next_step == 6,
              "last.prev only: step 6 loads: %s", err);
    /* the next save keeps last.prev until its own last/ is in place, then removes it */
    ptc_check(ctx, ptc_checkpoint_save(&a, run, &s3, err, sizeof err) == 0, "save with last.prev: %s", err);
    char p[600];
    snprintf(p, sizeof p, "%s/last.prev", run);
    ptc_check(ctx, access(p, F_OK) != 0, "last.prev removed after a commit");
    ptc_check(ctx, ptc_checkpoint_load(&c, run, 10, 2, &got, err, sizeof err) == 0 && got.next_step == 3,
              "the newest save loads: %s", err);
    /* a kill after the second rename, before last.prev was removed: last/ wins */
    ptc_check(ctx, sh("cp -r '%s/last' '%s/last.prev'", run, run), "cp");
    ptc_check(ctx, ptc_checkpoint_save(&b, run, &s6, err, sizeof err) == 0, "save: %s", err);
    ptc_check(ctx, sh("cp -r '%s/last' '%s/last.prev'", run, run) &&
                   ptc_checkpoint_load(&c, run, 10, 2, &got, err, sizeof err) == 0 && got.next_step == 6,
              "last and last.prev: last loads: %s", err);
    ptc_model_free(&a);
    ptc_model_free(&b);
    ptc_model_free(&c);
    test_remove_dir(run);
}

/* overwrites 8 bytes at offset of path */
static bool patch_u64(const char *path, long offset, uint64_t v)
{
    FILE *f = fopen(path, "r+b");
    bool ok = f && fseek(f, offset, SEEK_SET) == 0 && fwrite(&v, 8, 1, f) == 1;
    if (f)
        ok = fclose(f) == 0 && ok;
    return ok;
}

PTC_TEST(checkpoint_refused)
{
    char run[512], other[512], err[1024], state[600];
    test_fresh_dir(run, sizeof run, "ckpt-test", "refused");
    test_fresh_dir(other, sizeof other, "ckpt-test", "other");
    ptc_model a, b, c;
    if (!ptc_check(ctx, small_model(&a, 1) && small_model(&b, 2) && small_model(&c, 3), "models"))
        return;
    ptc_train_state got;
    ptc_checkpoint_save(&a, run, &STATE3, err, sizeof err);
    ptc_checkpoint_save(&b, other, &STATE3, err, sizeof err);
    snprintf(state, sizeof state, "%s/last/state", run);
    /* a state of another checkpoint */
    ptc_check(ctx, sh("cp '%s/last/state' '%s/last/state'", other, run), "cp");
    err[0] = '\0';
    ptc_check(ctx, ptc_checkpoint_load(&c, run, 10, 2, &got, err, sizeof err) != 0 &&
                   strstr(err, "parameter hash"), "mixed checkpoint: \"%s\"", err);
    /* next step 2^63-1 (offset 16: after magic, version, header bytes) */
    ptc_checkpoint_save(&a, run, &STATE3, err, sizeof err);
    ptc_check(ctx, patch_u64(state, 16, INT64_MAX), "patch");
    err[0] = '\0';
    ptc_check(ctx, ptc_checkpoint_load(&c, run, 10, 2, &got, err, sizeof err) != 0 && strstr(err, "next step"),
              "next step 2^63-1: \"%s\"", err);
    /* a step past this run's 10 steps, though consistent in itself */
    ptc_train_state s = STATE3;
    s.next_step = 12;
    a.adam_t = 12;
    ptc_checkpoint_save(&a, run, &s, err, sizeof err);
    err[0] = '\0';
    ptc_check(ctx, ptc_checkpoint_load(&c, run, 10, 2, &got, err, sizeof err) != 0 && strstr(err, "next step"),
              "step 12 of 10: \"%s\"", err);
    a.adam_t = 3;
    /* truncated */
    ptc_checkpoint_save(&a, run, &STATE3, err, sizeof err);
    ptc_check(ctx, truncate(state, 200) == 0, "truncate");
    err[0] = '\0';
    ptc_check(ctx, ptc_checkpoint_load(&c, run, 10, 2, &got, err, sizeof err) != 0 && strstr(err, "truncated"),
              "truncated state: \"%s\"", err);
    ptc_model_free(&a);
    ptc_model_free(&b);
    ptc_model_free(&c);
    test_remove_dir(run);
    test_remove_dir(other);
}

PTC_TEST(checkpoint_log_trim)
{
    char run[512], log[600], err[1024];
    test_fresh_dir(run, sizeof run, "ckpt-test", "log");
    snprintf(log, sizeof log, "%s/train_log.jsonl", run);
    FILE *f = fopen(log, "w");
    if (!ptc_check(ctx, f != NULL, "log"))
        return;
    for (int s = 0; s < 8; s++) {
        fprintf(f, "{\"type\":\"step\",\"step\":%d,\"loss\":1}\n", s);
        if (s == 3 || s == 7)
            fprintf(f, "{\"type\":\"val\",\"epoch\":%d,\"step\":%d}\n", s / 4 + 1, s + 1);
    }
    fputs("{\"type\":\"step\",\"st", f); /* cut short by a kill */
    fclose(f);
    ptc_check(ctx, ptc_train_log_trim(log, 6, err, sizeof err) == 0, "trim: %s", err);
    f = fopen(log, "r");
    char line[256], want[64];
    int n = 0, steps = 0, vals = 0;
    while (f && fgets(line, sizeof line, f)) {
        n++;
        if (strstr(line, "\"step\",")) {
            snprintf(want, sizeof want, "\"step\":%d,", steps);
            ptc_check(ctx, strstr(line, want) != NULL, "line %d: %s", n, line);
            steps++;
        } else {
            vals++;
        }
    }
    if (f)
        fclose(f);
    ptc_check(ctx, steps == 6 && vals == 1, "kept %d step lines (want 0..5) and %d validations (want 1)",
              steps, vals);
    snprintf(log, sizeof log, "%s/none.jsonl", run);
    ptc_check(ctx, ptc_train_log_trim(log, 6, err, sizeof err) == 0, "missing log is fine: %s", err);
    test_remove_dir(run);
}

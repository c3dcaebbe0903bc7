/*
 * tests/test_model_ckpt.c — safetensors checkpoints.
 *
 *   roundtrip   a PFC model (BERT + ptc.* tensors, config in __metadata__) saved
 *               and loaded back: parameters bit-identical, config identical,
 *               nothing missing or ignored, same logits; no temporary file left.
 *   fixture     files from an independent writer (tests/data/gen_tiny_bert.py,
 *               Python stdlib only): BertForSequenceClassification names in F32
 *               with config.json (3 labels via id2label) and BertModel names
 *               without the "bert." prefix in F16: every value as the generator's
 *               formula, classifier missing (initialised), pooler and
 *               position_ids ignored.
 *   corrupt     truncated file, bad header length, wrong dtype, shape mismatch,
 *               NaN value, overlapping offsets: refused, the message names the
 *               tensor.
 * Data directory: $PTC_TEST_DATA or tests/data (run from the repository root).
 */
#include "test_model_util.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *data_dir(void)
{
    const char *d = getenv("PTC_TEST_DATA");
    return d ? d : "tests/data";
}

static char *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *size = (size_t)ftell(f);
    rewind(f);
    char *buf = malloc(*size + 1);
    if (buf && fread(buf, 1, *size, f) != *size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static void write_all(const char *path, const void *buf, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(buf, 1, size, f);
        fclose(f);
    }
}

static size_t count_files(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")))
            n++;
    closedir(d);
    return n;
}

static void make_pfc(ptc_test_ctx *ctx, ptc_model *m)
{
    ptc_model_config cfg;
    tm_config(&cfg, TM_PFC, 3);
    cfg.variant.prune.p = 0.8;
    cfg.variant.pad_mode = PTC_PAD_PADDED;
    cfg.dropout = 0.05f;
    char err[256];
    ptc_check(ctx, ptc_model_init(m, &cfg, ctx->ref, 5, err, sizeof err) == PTC_OK, "init: %s", err);
    ptc_rng rng = ptc_rng_seeded(6); /* every tensor non-trivial */
    ptc_rng_fill(&rng, m->params_memory, m->n_params, -0.5f, 0.5f);
}

PTC_TEST(model_ckpt_roundtrip)
{
    char dir[] = "/tmp/ptc-ckpt-XXXXXX", path[128], err[256];
    if (!ptc_check(ctx, mkdtemp(dir) != NULL, "mkdtemp"))
        return;
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    ptc_model a, b;
    make_pfc(ctx, &a);
    ptc_check(ctx, ptc_model_save(&a, path, err, sizeof err) == PTC_OK, "save: %s", err);
    ptc_check(ctx, count_files(dir) == 1, "save left %zu files in %s (temporary file?)", count_files(dir), dir);
    ptc_check(ctx, ptc_model_save(&a, path, err, sizeof err) == PTC_OK, "save over: %s", err);
    ptc_load_report rep;
    if (ptc_check(ctx, ptc_model_load(&b, path, PTC_VARIANT_BASELINE, ctx->ref, 1, &rep, err, sizeof err) == PTC_OK,
                  "load: %s", err)) {
        ptc_check(ctx, b.n_params == a.n_params &&
                       memcmp(a.params_memory, b.params_memory, a.n_params * sizeof(float)) == 0,
                  "parameters differ after the round trip");
        ptc_check(ctx, rep.n_missing == 0 && rep.n_ignored == 0 && rep.config_from_metadata,
                  "missing %zu ignored %zu from metadata %d", rep.n_missing, rep.n_ignored,
                  (int)rep.config_from_metadata);
        char da[1024], db[1024];
        ptc_model_config_describe(&a.cfg, da, sizeof da);
        ptc_model_config_describe(&b.cfg, db, sizeof db);
        ptc_check(ctx, strcmp(da, db) == 0 && a.cfg.dropout == b.cfg.dropout &&
                       a.cfg.variant.prune.p == b.cfg.variant.prune.p &&
                       memcmp(&a.cfg.variant.prune, &b.cfg.variant.prune, sizeof a.cfg.variant.prune) == 0,
                  "config differs:\n%s---\n%s", da, db);
        tm_batch tb;
        tm_batch_random(&tb, 2, 9, a.cfg.vocab_size, a.cfg.n_classes, 3);
        float la = 0, lb = 1;
        ptc_model_plan(&a, 2, 9, false, err, sizeof err);
        ptc_model_plan(&b, 2, 9, false, err, sizeof err);
        ptc_check(ctx, ptc_model_forward(&a, &tb.b, &la, NULL, err, sizeof err) == PTC_OK &&
                       ptc_model_forward(&b, &tb.b, &lb, NULL, err, sizeof err) == PTC_OK && la == lb,
                  "loss after round trip %g vs %g (%s)", (double)la, (double)lb, err);
        ptc_model_free(&b);
    }
    /* a directory that does not exist */
    ptc_check(ctx, ptc_model_save(&a, "/nonexistent-ptc-dir/x.safetensors", err, sizeof err) != PTC_OK &&
                   strstr(err, "nonexistent") != NULL, "save into a missing directory: \"%s\"", err);
    ptc_model_free(&a);
    unlink(path);
    rmdir(dir);
}

static float fixture_value(size_t t, size_t i)
{
    return (float)((double)((long)((i * 7 + t * 3) % 23) - 11) / 64.0);
}

/* checks the loaded tensors against the generator's formula: t-th tensor in the
 * generator's order = embeddings (5), then per layer 16, in the model's order */
static void check_fixture_values(ptc_test_ctx *ctx, const ptc_model *m, const char *what)
{
    const size_t H = m->cfg.hidden, F = m->cfg.ffn;
    const ptc_params *P = &m->params;
    struct { const float *p; size_t n; } emb[5] = {
        {P->word_emb, m->param_sizes[0]}, {P->pos_emb, m->param_sizes[1]}, {P->type_emb, m->param_sizes[2]},
        {P->emb_ln_g, H}, {P->emb_ln_b, H}};
    size_t t = 0, bad = 0;
    for (; t < 5; t++)
        for (size_t i = 0; i < emb[t].n; i++)
            bad += emb[t].p[i] != fixture_value(t, i);
    for (size_t l = 0; l < m->cfg.n_layers; l++) {
        const struct { const float *p; size_t n; } lay[16] = {
            {P->wq + l * H * H, H * H}, {P->bq + l * H, H}, {P->wk + l * H * H, H * H}, {P->bk + l * H, H},
            {P->wv + l * H * H, H * H}, {P->bv + l * H, H}, {P->wo + l * H * H, H * H}, {P->bo + l * H, H},
            {P->ln1_g + l * H, H}, {P->ln1_b + l * H, H}, {P->w1 + l * F * H, F * H}, {P->b1 + l * F, F},
            {P->w2 + l * H * F, H * F}, {P->b2 + l * H, H}, {P->ln2_g + l * H, H}, {P->ln2_b + l * H, H}};
        for (size_t k = 0; k < 16; k++, t++)
            for (size_t i = 0; i < lay[k].n; i++)
                bad += lay[k].p[i] != fixture_value(t, i);
    }
    ptc_check(ctx, bad == 0, "%s: %zu values differ from the generator's", what, bad);
}

PTC_TEST(model_ckpt_fixture)
{
    char path[512], err[256];
    ptc_model m;
    ptc_load_report rep;
    snprintf(path, sizeof path, "%s/tiny_bert/model.safetensors", data_dir());
    if (ptc_check(ctx, ptc_model_load(&m, path, PTC_VARIANT_BASELINE, ctx->ref, 1, &rep, err, sizeof err) == PTC_OK,
                  "load %s: %s", path, err)) {
        ptc_check(ctx, m.cfg.hidden == 8 && m.cfg.n_layers == 2 && m.cfg.n_heads == 2 && m.cfg.ffn == 16 &&
                       m.cfg.vocab_size == 20 && m.cfg.max_positions == 12 && m.cfg.type_vocab == 2 &&
                       m.cfg.n_classes == 3 && m.cfg.ln_eps == 1e-12f && rep.config_from_json,
                  "config from config.json");
        check_fixture_values(ctx, &m, "tiny_bert (F32)");
        bool cls = rep.n_missing == 2 && strcmp(rep.missing[0], "classifier.weight") == 0 &&
                   strcmp(rep.missing[1], "classifier.bias") == 0;
        ptc_check(ctx, cls, "missing: %zu (%s)", rep.n_missing, rep.n_missing ? rep.missing[0] : "");
        ptc_check(ctx, rep.n_ignored == 3, "ignored %zu (pooler x2, position_ids)", rep.n_ignored);
        size_t zeros = 0;
        for (size_t i = 0; i < m.cfg.n_classes; i++)
            zeros += m.params.cls_b[i] == 0.0f;
        ptc_check(ctx, zeros == 3 && m.params.cls_w[0] != 0.0f, "classifier initialised");
        tm_batch tb;
        tm_batch_random(&tb, 2, 12, 20, 3, 4);
        float loss = NAN;
        ptc_model_plan(&m, 2, 12, false, err, sizeof err);
        ptc_check(ctx, ptc_model_forward(&m, &tb.b, &loss, NULL, err, sizeof err) == PTC_OK && isfinite(loss),
                  "forward on the fixture: %s", err);
        ptc_model_free(&m);
    }
    snprintf(path, sizeof path, "%s/tiny_bertmodel/model.safetensors", data_dir());
    if (ptc_check(ctx, ptc_model_load(&m, path, PTC_VARIANT_PRUNE_COMBINE, ctx->ref, 1, &rep, err, sizeof err) ==
                       PTC_OK, "load %s: %s", path, err)) {
        ptc_check(ctx, m.cfg.n_classes == 2 && m.cfg.variant.variant == PTC_VARIANT_PRUNE_COMBINE,
                  "classes %zu", m.cfg.n_classes);
        check_fixture_values(ctx, &m, "tiny_bertmodel (F16, no prefix)");
        /* classifier (2) and the 13 ptc tensors are missing */
        ptc_check(ctx, rep.n_missing == 15 && rep.n_ignored == 2, "missing %zu ignored %zu", rep.n_missing,
                  rep.n_ignored);
        ptc_model_free(&m);
    }
}

/* copy of `src` with the first occurrence of `from` replaced by `to` (same length) */
static bool patched_copy(const char *src, const char *dst, const char *from, const char *to)
{
    size_t size;
    char *buf = read_all(src, &size);
    if (!buf)
        return false;
    buf[size] = '\0';
    char *at = NULL;
    for (size_t i = 8; i + strlen(from) <= size && !at; i++)
        if (memcmp(buf + i, from, strlen(from)) == 0)
            at = buf + i;
    if (at)
        memcpy(at, to, strlen(to));
    write_all(dst, buf, size);
    free(buf);
    return at != NULL;
}

static void expect_refused(ptc_test_ctx *ctx, ptc_model *m, const char *path, const char *what,
                           const char *needle1, const char *needle2)
{
    char err[512] = "";
    ptc_model_init_params(m, 5);
    const int rc = ptc_model_load_tensors(m, path, NULL, err, sizeof err);
    ptc_check(ctx, rc != PTC_OK && strstr(err, needle1) && (!needle2 || strstr(err, needle2)),
              "%s: rc %d, message \"%s\" should contain \"%s\"%s%s", what, rc, err, needle1,
              needle2 ? " and " : "", needle2 ? needle2 : "");
}

PTC_TEST(model_ckpt_corrupt)
{
    char dir[] = "/tmp/ptc-ckpt-XXXXXX", good[128], bad[128], err[256];
    if (!ptc_check(ctx, mkdtemp(dir) != NULL, "mkdtemp"))
        return;
    snprintf(good, sizeof good, "%s/good.safetensors", dir);
    snprintf(bad, sizeof bad, "%s/bad.safetensors", dir);
    ptc_model m;
    make_pfc(ctx, &m);
    ptc_model_save(&m, good, err, sizeof err);
    size_t size;
    char *buf = read_all(good, &size);
    if (!ptc_check(ctx, buf != NULL, "read back"))
        return;
    ptc_check(ctx, ptc_model_load_tensors(&m, good, NULL, err, sizeof err) == PTC_OK, "good file: %s", err);

    /* truncated: the last tensor runs past the end */
    write_all(bad, buf, size - 10);
    expect_refused(ctx, &m, bad, "truncated", "ptc.combine.output.bias", "past the end");
    write_all(bad, buf, 5);
    expect_refused(ctx, &m, bad, "5-byte file", "truncated", NULL);
    /* header length larger than the file */
    char *hb = malloc(size);
    memcpy(hb, buf, size);
    hb[6] = 0x7f;
    write_all(bad, hb, size);
    expect_refused(ctx, &m, bad, "header length", "bad header length", NULL);
    /* header length that cuts the JSON short */
    memcpy(hb, buf, size);
    hb[0] = (char)(hb[0] - 8);
    write_all(bad, hb, size);
    expect_refused(ctx, &m, bad, "short header", "header is not a JSON object", NULL);
    free(hb);
    /* wrong dtype (same size, so only the dtype check can refuse it) */
    ptc_check(ctx, patched_copy(good, bad, "\"dtype\":\"F32\"", "\"dtype\":\"I32\""), "patch dtype");
    expect_refused(ctx, &m, bad, "dtype", "bert.embeddings.word_embeddings.weight", "I32");
    /* shape mismatch with a consistent byte span: [50,16] -> [16,50] */
    ptc_check(ctx, patched_copy(good, bad, "[50,16]", "[16,50]"), "patch shape");
    expect_refused(ctx, &m, bad, "shape", "bert.embeddings.word_embeddings.weight", "shape [16, 50]");
    /* byte span that does not match the shape */
    ptc_check(ctx, patched_copy(good, bad, "\"shape\":[50,16]", "\"shape\":[50,15]"), "patch span");
    expect_refused(ctx, &m, bad, "span", "bert.embeddings.word_embeddings.weight", "need");
    /* NaN in classifier.bias (the second-to-last BERT tensor before ptc.*): find its offset */
    {
        ptc_model_config cfg = m.cfg;
        (void)cfg;
        char key[] = "\"classifier.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[";
        char *at = strstr(buf + 8, key);
        if (ptc_check(ctx, at != NULL, "classifier.bias in the header")) {
            const unsigned long long begin = strtoull(at + strlen(key), NULL, 10);
            uint64_t hlen = 0;
            for (int i = 7; i >= 0; i--)
                hlen = (hlen << 8) | (unsigned char)buf[i];
            char *copy = malloc(size);
            memcpy(copy, buf, size);
            const float nan = NAN;
            memcpy(copy + 8 + hlen + begin + 4, &nan, 4);
            write_all(bad, copy, size);
            free(copy);
            expect_refused(ctx, &m, bad, "NaN", "classifier.bias", "non-finite");
        }
    }
    /* overlapping data offsets, written by hand */
    {
        const char hdr[] = "{\"classifier.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                           "\"classifier.weight\":{\"dtype\":\"F32\",\"shape\":[3,1],\"data_offsets\":[8,20]}}";
        char file[256] = {0};
        const uint64_t n = sizeof hdr - 1;
        for (int i = 0; i < 8; i++)
            file[i] = (char)(n >> (8 * i));
        memcpy(file + 8, hdr, n);
        write_all(bad, file, 8 + n + 20);
        expect_refused(ctx, &m, bad, "overlap", "classifier.bias and classifier.weight overlap", NULL);
    }
    free(buf);
    ptc_model_free(&m);
    unlink(good);
    unlink(bad);
    rmdir(dir);
}

/* What a checkpoint holds (the library part of `ptc inspect`; the command's output is
 * tested in tests/harness/test_report.c): the fixture's config, its tensors with dtype
 * and shape, and what a load into its model misses or ignores; an unreadable file is
 * refused with a reason. */
PTC_TEST(model_checkpoint_info)
{
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/tiny_bert/model.safetensors", data_dir());
    ptc_checkpoint_info info;
    if (!ptc_check(ctx, ptc_checkpoint_read_info(path, &info, err, sizeof err) == PTC_OK,
                   "read_info: %s", err))
        return;
    ptc_check(ctx, info.cfg.hidden == 8 && info.cfg.n_classes == 3 && !info.rep.config_from_metadata,
              "config: hidden %zu, n_classes %zu", (size_t)info.cfg.hidden, (size_t)info.cfg.n_classes);
    bool pooler = false, i64 = false;
    uint64_t elements = 0;
    for (size_t i = 0; i < info.n_tensors; i++) {
        const ptc_checkpoint_tensor *t = &info.tensors[i];
        pooler |= strcmp(t->name, "bert.pooler.dense.weight") == 0 && t->ndim == 2 && t->shape[0] == 8 &&
                  t->shape[1] == 8;
        i64 |= strcmp(t->dtype, "I64") == 0;
        uint64_t count = 1;
        for (size_t k = 0; k < t->ndim; k++)
            count *= t->shape[k];
        elements += count;
    }
    ptc_check(ctx, info.n_tensors > 0 && pooler && i64 && elements == info.elements &&
                   info.header_bytes > 0 && info.file_size > info.header_bytes,
              "tensors: %zu, pooler %d, I64 %d, elements %llu of %llu", info.n_tensors, pooler, i64,
              (unsigned long long)elements, (unsigned long long)info.elements);
    ptc_model m;
    ptc_load_report rep = info.rep;
    if (ptc_check(ctx, ptc_model_init(&m, &info.cfg, ctx->ref, 0, err, sizeof err) == PTC_OK,
                  "init: %s", err)) {
        ptc_check(ctx, ptc_model_load_tensors(&m, path, &rep, err, sizeof err) == PTC_OK &&
                       rep.n_missing == 2 && rep.n_ignored == 3,
                  "load: missing %zu, ignored %zu (%s)", rep.n_missing, rep.n_ignored, err);
        ptc_model_free(&m);
    }
    ptc_checkpoint_info_free(&info);
    ptc_check(ctx, info.tensors == NULL && info.n_tensors == 0, "freed info is zeroed");
    ptc_check(ctx, ptc_checkpoint_read_info("/nonexistent.safetensors", &info, err, sizeof err) ==
                           PTC_EINVAL && strstr(err, "nonexistent"),
              "unreadable file refused: %s", err);
}

/*
 * tests/test_dataset.c — datasets (include/ptc/dataset.h).
 *
 *   dataset_synthetic    deterministic, sizes, labels in range, every document
 *                        holds a core word of its class, [CLS]/[SEP] framing
 *   dataset_bad_lines    each malformed line kind is reported as file:line: reason;
 *                        skip_bad_lines skips and counts them
 *   dataset_cache        a second load comes from the cache and equals the first;
 *                        a corrupted cache is noticed (note) and rebuilt
 *   dataset_dev_split    stratified 20% dev split, deterministic, disjoint
 *   dataset_registry_bbc the bbc registry entry (test = line % 5 == 0, dev 20% of
 *                        the rest) when the data and the vocab are present; SKIP
 *                        otherwise, and in quick mode unless PTC_TEST_DATASETS is set
 * Temporary files go to $TMPDIR (default /tmp).
 */
#include "ptc_test.h"
#include "ptc/dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool splits_equal(const ptc_split *a, const ptc_split *b)
{
    return a->n == b->n && memcmp(a->labels, b->labels, a->n * sizeof *a->labels) == 0 &&
           memcmp(a->offsets, b->offsets, (a->n + 1) * sizeof *a->offsets) == 0 &&
           memcmp(a->ids, b->ids, a->offsets[a->n] * sizeof *a->ids) == 0;
}

static void tmp_path(char *out, size_t len, const char *name)
{
    const char *d = getenv("TMPDIR");
    snprintf(out, len, "%s/ptc-test-%ld-%s", d && *d ? d : "/tmp", (long)getpid(), name);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

PTC_TEST(dataset_synthetic)
{
    char err[256];
    ptc_dataset_options o;
    ptc_dataset_options_default(&o);
    o.name = "synthetic";
    o.max_len = 64;
    o.synthetic.n_train = ctx->quick ? 40 : 200;
    o.synthetic.n_dev = 16;
    o.synthetic.n_test = 24;
    o.synthetic.max_words = 48; /* + up to 5 core words + [CLS]/[SEP] <= 64: nothing truncated */
    ptc_tokenizer *tok = ptc_synthetic_tokenizer(&o.synthetic, err, sizeof err);
    if (!ptc_check(ctx, tok != NULL, "synthetic tokenizer: %s", err))
        return;
    ptc_dataset a, b;
    if (!ptc_check(ctx, ptc_dataset_load(&a, tok, &o, err, sizeof err) == 0, "load: %s", err))
        return;
    ptc_dataset_load(&b, tok, &o, err, sizeof err);
    ptc_check(ctx, splits_equal(&a.train, &b.train) && splits_equal(&a.test, &b.test),
              "two loads differ");
    ptc_check(ctx, a.train.n == o.synthetic.n_train && a.dev.n == 16 && a.test.n == 24 &&
                   a.n_classes == 4,
              "sizes %zu %zu %zu classes %zu", a.train.n, a.dev.n, a.test.n, a.n_classes);
    size_t per_class[4] = {0};
    for (size_t i = 0; i < a.train.n; i++) {
        const int32_t y = a.train.labels[i];
        if (!ptc_check(ctx, y >= 0 && y < 4, "label %d", y))
            break;
        per_class[y]++;
        const int32_t *ids = a.train.ids + a.train.offsets[i];
        const size_t n = ptc_split_len(&a.train, i);
        bool has_core = false;
        char core[32];
        for (size_t j = 0; j < n; j++) {
            const char *t = ptc_tokenizer_token(tok, ids[j]);
            snprintf(core, sizeof core, "core%dx", y);
            has_core |= strncmp(t, core, strlen(core)) == 0;
        }
        if (!ptc_check(ctx, has_core && ids[0] == ptc_tokenizer_cls_id(tok) &&
                                ids[n - 1] == ptc_tokenizer_sep_id(tok) && n <= 64,
                       "doc %zu: core %d, length %zu", i, has_core, n))
            break;
    }
    for (int c = 0; c < 4; c++)
        ptc_check(ctx, per_class[c] > 0, "class %d never drawn", c);
    /* another seed gives other documents */
    o.synthetic.seed = 2;
    ptc_dataset d;
    ptc_dataset_load(&d, tok, &o, err, sizeof err);
    ptc_check(ctx, !splits_equal(&a.train, &d.train), "seed does not change the documents");
    ptc_dataset_free(&a);
    ptc_dataset_free(&b);
    ptc_dataset_free(&d);
    ptc_tokenizer_free(tok);
}

static ptc_tokenizer *tiny_tok(ptc_test_ctx *ctx)
{
    static const char *const v[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "good", "bad", "movie",
                                    "film", "##s", "!"};
    char err[128];
    ptc_tokenizer *t = ptc_tokenizer_from_tokens(v, sizeof v / sizeof v[0], err, sizeof err);
    ptc_check(ctx, t != NULL, "tokenizer: %s", err);
    return t;
}

PTC_TEST(dataset_bad_lines)
{
    char err[512], path[512];
    ptc_tokenizer *tok = tiny_tok(ctx);
    if (!tok)
        return;
    ptc_dataset_options o;
    ptc_dataset_options_default(&o);
    o.max_len = 16;
    tmp_path(path, sizeof path, "bad.tsv");
    static const struct {
        const char *line2, *reason;
    } cases[] = {
        {"1 good movie\n", "no TAB"},
        {"x\tgood\n", "not a non-negative integer"},
        {"-1\tgood\n", "not a non-negative integer"},
        {"2\tgood\n", "out of range"},
        {"1\t  \n", "empty text"},
        {"\tgood\n", "empty label"},
        {"1\tgo\xff" "od\n", "invalid UTF-8"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char text[256];
        snprintf(text, sizeof text, "0\tgood movie\n%s1\tbad films!\n", cases[k].line2);
        write_text(path, text);
        ptc_split s;
        err[0] = '\0';
        const int rc = ptc_split_read(&s, path, tok, 2, &o, NULL, NULL, err, sizeof err);
        char want[600];
        snprintf(want, sizeof want, "%s:2: ", path);
        ptc_check(ctx, rc != 0 && strncmp(err, want, strlen(want)) == 0 && strstr(err, cases[k].reason),
                  "case %zu: rc %d, message '%s' (want '%s%s')", k, rc, err, want, cases[k].reason);
        if (rc == 0)
            ptc_split_free(&s);
        /* skipping */
        o.skip_bad_lines = true;
        size_t skipped = 0;
        if (ptc_check(ctx, ptc_split_read(&s, path, tok, 2, &o, &skipped, NULL, err, sizeof err) == 0,
                      "case %zu skip: %s", k, err)) {
            ptc_check(ctx, s.n == 2 && skipped == 1 && s.labels[1] == 1, "case %zu skip: n %zu skipped %zu",
                      k, s.n, skipped);
            /* "bad films!" -> [CLS] bad film ##s ! [SEP] */
            const int32_t want_ids[6] = {2, 5, 7, 8, 9, 3};
            ptc_check(ctx, ptc_split_len(&s, 1) == 6, "len %zu", ptc_split_len(&s, 1));
            ptc_check_equal_i32(ctx, "ids", s.ids + s.offsets[1], want_ids, 6);
            ptc_split_free(&s);
        }
        o.skip_bad_lines = false;
    }
    /* CRLF, a last line without LF */
    write_text(path, "0\tgood\r\n1\tbad");
    ptc_split s;
    if (ptc_check(ctx, ptc_split_read(&s, path, tok, 2, &o, NULL, NULL, err, sizeof err) == 0, "crlf: %s", err)) {
        ptc_check(ctx, s.n == 2 && ptc_split_len(&s, 0) == 3 && ptc_split_len(&s, 1) == 3, "crlf docs");
        ptc_split_free(&s);
    }
    /* a missing file names itself */
    ptc_check(ctx, ptc_split_read(&s, "/nonexistent/x.tsv", tok, 2, &o, NULL, NULL, err, sizeof err) != 0 &&
                   strstr(err, "/nonexistent/x.tsv: cannot open"),
              "missing file: '%s'", err);
    unlink(path);
    ptc_tokenizer_free(tok);
}

PTC_TEST(dataset_cache)
{
    char err[512], path[512], dir[512], note_buf[2048] = "";
    ptc_tokenizer *tok = tiny_tok(ctx);
    if (!tok)
        return;
    tmp_path(path, sizeof path, "cache.tsv");
    tmp_path(dir, sizeof dir, "cachedir");
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    if (system(cmd) != 0)
        return;
    write_text(path, "0\tgood movie\n1\tbad films!\n0\tgood good good film\n");
    ptc_dataset_options o;
    ptc_dataset_options_default(&o);
    o.max_len = 5;
    o.cache_dir = dir;
    FILE *log = fmemopen(note_buf, sizeof note_buf, "w");
    o.log = log;
    ptc_split a, b, c;
    ptc_check(ctx, ptc_split_read(&a, path, tok, 2, &o, NULL, NULL, err, sizeof err) == 0, "first: %s", err);
    /* the cache now serves the load, even with the source unreadable... keep it readable,
     * but prove use: the cache file exists and loads equal */
    ptc_check(ctx, ptc_split_read(&b, path, tok, 2, &o, NULL, NULL, err, sizeof err) == 0, "second: %s", err);
    ptc_check(ctx, splits_equal(&a, &b) && a.n == 3 && ptc_split_len(&a, 2) == 5, "cached split differs");
    /* corrupt the payload */
    snprintf(cmd, sizeof cmd, "f=$(ls '%s'/*.ptcids) && printf '\\377\\377' | dd of=\"$f\" bs=1 seek=120 conv=notrunc 2>/dev/null", dir);
    ptc_check(ctx, system(cmd) == 0, "corrupting the cache");
    ptc_check(ctx, ptc_split_read(&c, path, tok, 2, &o, NULL, NULL, err, sizeof err) == 0, "third: %s", err);
    fflush(log);
    ptc_check(ctx, splits_equal(&a, &c), "split after a corrupt cache differs");
    ptc_check(ctx, strstr(note_buf, "corrupt") != NULL, "no note on the corrupt cache: '%s'", note_buf);
    fclose(log);
    ptc_split_free(&a);
    ptc_split_free(&b);
    ptc_split_free(&c);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        ptc_check(ctx, false, "cleanup");
    unlink(path);
    ptc_tokenizer_free(tok);
}

PTC_TEST(dataset_dev_split)
{
    char err[512], path[512], labels[512];
    ptc_tokenizer *tok = tiny_tok(ctx);
    if (!tok)
        return;
    tmp_path(path, sizeof path, "split.tsv");
    tmp_path(labels, sizeof labels, "labels.txt");
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 100; i++) /* 70 of class 0, 30 of class 1 */
        fprintf(f, "%d\t%s %d\n", i % 10 < 7 ? 0 : 1, i % 10 < 7 ? "good" : "bad", i);
    fclose(f);
    write_text(labels, "neg\npos\n");
    ptc_dataset_options o;
    ptc_dataset_options_default(&o);
    o.max_len = 8;
    o.train_path = path;
    o.labels_path = labels;
    ptc_dataset a, b;
    if (!ptc_check(ctx, ptc_dataset_load(&a, tok, &o, err, sizeof err) == 0, "load: %s", err))
        return;
    ptc_dataset_load(&b, tok, &o, err, sizeof err);
    size_t dev_pos = 0;
    for (size_t i = 0; i < a.dev.n; i++)
        dev_pos += a.dev.labels[i] == 1;
    ptc_check(ctx, a.train.n == 80 && a.dev.n == 20 && dev_pos == 6 && a.test.n == 0,
              "train %zu dev %zu (positives %zu)", a.train.n, a.dev.n, dev_pos);
    ptc_check(ctx, splits_equal(&a.dev, &b.dev), "dev split not deterministic");
    ptc_check(ctx, strcmp(a.label_names[1], "pos") == 0, "label names");
    /* another split seed moves documents */
    o.split_seed = 7;
    ptc_dataset c;
    ptc_dataset_load(&c, tok, &o, err, sizeof err);
    ptc_check(ctx, c.dev.n == 20 && !splits_equal(&a.dev, &c.dev), "split seed has no effect");
    ptc_dataset_free(&a);
    ptc_dataset_free(&b);
    ptc_dataset_free(&c);
    unlink(path);
    unlink(labels);
    ptc_tokenizer_free(tok);
}

PTC_TEST(dataset_registry_bbc)
{
    char err[512];
    if (ctx->quick && !getenv("PTC_TEST_DATASETS")) { /* 5 MB of text: slow under emulators */
        printf("  SKIP dataset_registry_bbc in quick mode (PTC_TEST_DATASETS=1 runs it)\n");
        return;
    }
    const char *vocab = getenv("PTC_VOCAB");
    static const char *const vc[] = {"../shared/models/bert-base-uncased-vocab/vocab.txt",
                                     "../../shared/models/bert-base-uncased-vocab/vocab.txt"};
    for (size_t i = 0; !vocab && i < 2; i++)
        if (access(vc[i], R_OK) == 0)
            vocab = vc[i];
    ptc_dataset_options o;
    ptc_dataset_options_default(&o);
    o.name = "bbc";
    o.max_len = 128;
    ptc_tokenizer *tok = vocab ? ptc_tokenizer_load(vocab, err, sizeof err) : NULL;
    ptc_dataset d;
    if (!tok || ptc_dataset_load(&d, tok, &o, err, sizeof err) != 0) {
        printf("  SKIP dataset_registry_bbc: %s\n", tok ? err : "no bert vocab.txt");
        ptc_tokenizer_free(tok);
        return;
    }
    ptc_check(ctx, d.n_classes == 5 && d.test.n == 445 && d.train.n + d.dev.n == 1780 &&
                   d.dev.n >= 350 && d.dev.n <= 362,
              "bbc: train %zu dev %zu test %zu classes %zu", d.train.n, d.dev.n, d.test.n, d.n_classes);
    ptc_check(ctx, strcmp(d.label_names[0], "business") == 0 && d.test.labels[0] == 0,
              "bbc labels");
    ptc_dataset_free(&d);
    o.name = "no-such-set";
    ptc_check(ctx, ptc_dataset_load(&d, tok, &o, err, sizeof err) != 0 && strstr(err, "unknown dataset"),
              "unknown name: '%s'", err);
    ptc_tokenizer_free(tok);
}

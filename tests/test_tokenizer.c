/*
 * tests/test_tokenizer.c — BERT uncased tokenizer (include/ptc/tokenizer.h)
 * against token ids from an independent implementation.
 *
 *   tokenizer_fixture_tiny  every case of tests/data/tokenizer_cases_tiny.tsv over
 *                           tests/data/vocab_tiny.txt (always runs)
 *   tokenizer_fixture_bert  tests/data/tokenizer_cases_bert.tsv over the real
 *                           bert-base-uncased vocab: $PTC_VOCAB, else
 *                           ../shared/models/bert-base-uncased-vocab/vocab.txt
 *                           (relative to the repository root); SKIPPED with a
 *                           note when absent (the repo does not ship it)
 *   tokenizer_api           special ids, truncation flags, invalid-byte counts,
 *                           UTF-8 validation, basic-tokenizer words, vocab errors
 *
 * The fixtures are written by tests/data/tokenizer_gen.py (Python standard
 * library only, written from BERT's published algorithm, not from this C code):
 * name<TAB>input bytes in hex<TAB>ids of [CLS] + pieces[:max_len-2] + [SEP].
 * Data directory: $PTC_TEST_DATA or tests/data (run from the repository root).
 */
#include "ptc_test.h"
#include "ptc/tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *data_dir(void)
{
    const char *d = getenv("PTC_TEST_DATA");
    return d ? d : "tests/data";
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Runs every fixture line; returns the number of cases checked. */
static size_t run_fixture(ptc_test_ctx *ctx, const ptc_tokenizer *tok, const char *path,
                          size_t max_len)
{
    FILE *f = fopen(path, "r");
    if (!ptc_check(ctx, f != NULL, "cannot open fixture %s", path))
        return 0;
    size_t cap = 1 << 16, cases = 0;
    char *line = malloc(cap);
    char *bytes = malloc(cap);
    int32_t *want = malloc(cap * sizeof *want), *got = malloc((max_len + 1) * sizeof *got);
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        line[strcspn(line, "\n")] = '\0';
        char *name = line, *hex = strchr(line, '\t');
        if (!ptc_check(ctx, hex != NULL, "%s: malformed line", path))
            break;
        *hex++ = '\0';
        char *idtxt = strchr(hex, '\t');
        if (!ptc_check(ctx, idtxt != NULL, "%s: malformed line", path))
            break;
        *idtxt++ = '\0';
        bytes = realloc(bytes, strlen(hex) / 2 + 1);
        size_t nb = 0;
        for (char *h = hex; h[0] && h[1]; h += 2)
            bytes[nb++] = (char)(hexval(h[0]) * 16 + hexval(h[1]));
        want = realloc(want, (strlen(idtxt) + 1) * sizeof *want);
        size_t nw = 0;
        for (char *s = idtxt; *s;) {
            char *e;
            want[nw++] = (int32_t)strtol(s, &e, 10);
            s = *e ? e + 1 : e;
        }
        ptc_tokenize_info info;
        const size_t n = ptc_tokenizer_encode(tok, bytes, nb, max_len, got, &info);
        ptc_check_equal_i32(ctx, name, got, want, n == nw ? n : 0);
        if (n != nw) {
            ptc_check(ctx, false, "%s: case '%s': %zu ids, the reference has %zu", path, name, n, nw);
            for (size_t i = 0; i < n && i < 24; i++)
                fprintf(stderr, " %d", got[i]);
            fprintf(stderr, "\n");
        }
        cases++;
    }
    fclose(f);
    free(line);
    free(bytes);
    free(want);
    free(got);
    return cases;
}

PTC_TEST(tokenizer_fixture_tiny)
{
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/vocab_tiny.txt", data_dir());
    ptc_tokenizer *tok = ptc_tokenizer_load(path, err, sizeof err);
    if (!ptc_check(ctx, tok != NULL, "load: %s", err))
        return;
    snprintf(path, sizeof path, "%s/tokenizer_cases_tiny.tsv", data_dir());
    const size_t cases = run_fixture(ctx, tok, path, 64);
    ptc_check(ctx, cases >= 30, "only %zu fixture cases", cases);
    ptc_tokenizer_free(tok);
}

/* The real vocabulary: $PTC_VOCAB or ../shared/models/... beside the clone. */
static const char *bert_vocab_path(void)
{
    const char *v = getenv("PTC_VOCAB");
    if (v && *v)
        return v;
    static const char *const candidates[] = {
        "../shared/models/bert-base-uncased-vocab/vocab.txt",
        "../../shared/models/bert-base-uncased-vocab/vocab.txt",
    };
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        if (access(candidates[i], R_OK) == 0)
            return candidates[i];
    return NULL;
}

PTC_TEST(tokenizer_fixture_bert)
{
    const char *vocab = bert_vocab_path();
    if (!vocab) {
        printf("  SKIP tokenizer_fixture_bert: bert-base-uncased vocab.txt not found "
               "(set PTC_VOCAB or place ../shared/models/bert-base-uncased-vocab/)\n");
        return;
    }
    char path[512], err[256];
    ptc_tokenizer *tok = ptc_tokenizer_load(vocab, err, sizeof err);
    if (!ptc_check(ctx, tok != NULL, "load: %s", err))
        return;
    ptc_check(ctx, ptc_tokenizer_vocab_size(tok) == 30522 && ptc_tokenizer_cls_id(tok) == 101 &&
                   ptc_tokenizer_sep_id(tok) == 102 && ptc_tokenizer_unk_id(tok) == 100 &&
                   ptc_tokenizer_pad_id(tok) == 0,
              "bert vocab: size %zu cls %d sep %d unk %d pad %d", ptc_tokenizer_vocab_size(tok),
              ptc_tokenizer_cls_id(tok), ptc_tokenizer_sep_id(tok), ptc_tokenizer_unk_id(tok),
              ptc_tokenizer_pad_id(tok));
    snprintf(path, sizeof path, "%s/tokenizer_cases_bert.tsv", data_dir());
    const size_t cases = run_fixture(ctx, tok, path, 128);
    ptc_check(ctx, cases >= 30, "only %zu fixture cases", cases);
    ptc_tokenizer_free(tok);
}

typedef struct {
    char words[16][32];
    size_t n;
} word_list;

static void collect(const char *w, size_t len, void *user)
{
    word_list *l = user;
    if (l->n < 16 && len < 32) {
        memcpy(l->words[l->n], w, len);
        l->words[l->n][len] = '\0';
    }
    l->n++;
}

PTC_TEST(tokenizer_api)
{
    static const char *const vocab[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b", "##b", "c"};
    char err[256];
    ptc_tokenizer *tok = ptc_tokenizer_from_tokens(vocab, 8, err, sizeof err);
    if (!ptc_check(ctx, tok != NULL, "from_tokens: %s", err))
        return;
    ptc_check(ctx, ptc_tokenizer_id(tok, "##b") == 6 && ptc_tokenizer_id(tok, "d") == -1 &&
                   strcmp(ptc_tokenizer_token(tok, 7), "c") == 0 && !ptc_tokenizer_token(tok, 8),
              "lookups");
    int32_t ids[8];
    ptc_tokenize_info info;
    /* truncation: [CLS] + first 3 pieces + [SEP] */
    size_t n = ptc_tokenizer_encode(tok, "a bb c a", 8, 5, ids, &info);
    const int32_t want[5] = {2, 4, 5, 6, 3};
    ptc_check(ctx, n == 5 && info.truncated, "truncation: n %zu truncated %d", n, info.truncated);
    ptc_check_equal_i32(ctx, "truncated ids", ids, want, 5);
    n = ptc_tokenizer_encode(tok, "a bb", 4, 5, ids, &info);
    ptc_check(ctx, n == 5 && !info.truncated, "exact fit: n %zu truncated %d", n, info.truncated);
    /* invalid bytes dropped without splitting, counted even past the budget */
    n = ptc_tokenizer_encode(tok, "a\xff" "b \xc3 c\x80", 9, 8, ids, &info);
    const int32_t want2[5] = {2, 4, 6, 7, 3}; /* "ab" = a ##b, then c */
    ptc_check(ctx, n == 5 && info.invalid_bytes == 3, "invalid: n %zu invalid %zu", n,
              info.invalid_bytes);
    ptc_check_equal_i32(ctx, "invalid ids", ids, want2, 5);
    n = ptc_tokenizer_encode(tok, "a a a \xff", 7, 3, ids, &info);
    ptc_check(ctx, n == 3 && info.truncated && info.invalid_bytes == 1,
              "invalid after budget: n %zu invalid %zu", n, info.invalid_bytes);
    size_t bad = 0;
    ptc_check(ctx, ptc_utf8_valid("caf\xc3\xa9", 5, &bad) && !ptc_utf8_valid("ab\xed\xa0\x80", 5, &bad) &&
                   bad == 2 && !ptc_utf8_valid("\xc0\xaf", 2, &bad) && bad == 0,
              "utf8 validation (bad offset %zu)", bad);
    /* basic tokenizer words */
    word_list l = {0};
    ptc_basic_tokenize("Héllo, WORLD!我", strlen("Héllo, WORLD!我"), collect, &l);
    ptc_check(ctx, l.n == 5 && strcmp(l.words[0], "hello") == 0 && strcmp(l.words[1], ",") == 0 &&
                   strcmp(l.words[2], "world") == 0 && strcmp(l.words[3], "!") == 0 &&
                   strcmp(l.words[4], "我") == 0,
              "basic words: %zu '%s' '%s' '%s'", l.n, l.words[0], l.words[1], l.words[2]);
    ptc_tokenizer_free(tok);
    /* a vocabulary without [CLS] is refused; a missing file too */
    static const char *const no_cls[] = {"[PAD]", "[UNK]", "[SEP]"};
    ptc_check(ctx, !ptc_tokenizer_from_tokens(no_cls, 3, err, sizeof err) && strstr(err, "[CLS]"),
              "vocab without [CLS]: '%s'", err);
    ptc_check(ctx, !ptc_tokenizer_load("/nonexistent/vocab.txt", err, sizeof err) &&
                   strstr(err, "/nonexistent/vocab.txt"),
              "missing vocab: '%s'", err);
}

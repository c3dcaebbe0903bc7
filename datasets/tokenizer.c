/*
 * datasets/tokenizer.c — BERT uncased BasicTokenizer + WordPiece (contract and
 * algorithm: include/ptc/tokenizer.h).
 *
 * Data: the vocabulary is one blob of NUL-terminated tokens, an offset per id,
 * and an open-addressing hash table (power of two, load <= 1/2) of ids keyed by
 * the token bytes (FNV-1a). Text is processed as a stream of code points: a
 * whitespace-separated word is collected (after the clean and CJK steps), then
 * lowercased, NFD-decomposed (utf8proc_decompose, canonical order), stripped of
 * Mn, split on punctuation and WordPiece'd. Scratch buffers grow on the heap per
 * call (never shared), so a tokenizer is read-only after loading.
 */
#include "ptc/tokenizer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

struct ptc_tokenizer {
    size_t n;             /* vocabulary size */
    char *blob;           /* tokens, NUL-terminated, in id order */
    size_t *offset;       /* (n) start of token id in blob */
    int32_t *table;       /* (cap) ids, -1 empty */
    size_t cap;
    size_t max_piece_cps; /* longest token in code points (without "##") */
    int32_t pad, unk, cls, sep;
    uint64_t hash;
};

static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
    if (!err || err_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

static uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}
#define FNV_INIT 0xcbf29ce484222325ULL

static int32_t lookup(const ptc_tokenizer *t, const char *s, size_t len)
{
    size_t i = (size_t)fnv1a(s, len, FNV_INIT) & (t->cap - 1);
    for (;;) {
        int32_t id = t->table[i];
        if (id < 0)
            return -1;
        const char *tok = t->blob + t->offset[id];
        if (strncmp(tok, s, len) == 0 && tok[len] == '\0')
            return id;
        i = (i + 1) & (t->cap - 1);
    }
}

static size_t count_cps(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Builds the tokenizer from a blob of n NUL-terminated tokens (takes ownership). */
static ptc_tokenizer *build(char *blob, size_t blob_len, size_t n, const char *what, char *err,
                            size_t err_len)
{
    ptc_tokenizer *t = calloc(1, sizeof *t);
    if (!t) {
        free(blob);
        set_err(err, err_len, "%s: out of memory", what);
        return NULL;
    }
    t->blob = blob;
    t->n = n;
    t->offset = malloc((n ? n : 1) * sizeof *t->offset);
    t->cap = 16;
    while (t->cap < 2 * n)
        t->cap *= 2;
    t->table = malloc(t->cap * sizeof *t->table);
    if (!t->offset || !t->table) {
        ptc_tokenizer_free(t);
        set_err(err, err_len, "%s: out of memory", what);
        return NULL;
    }
    memset(t->table, 0xff, t->cap * sizeof *t->table);
    t->hash = FNV_INIT;
    size_t off = 0;
    for (size_t id = 0; id < n; id++) {
        t->offset[id] = off;
        const char *tok = blob + off;
        const size_t len = strlen(tok);
        t->hash = fnv1a(tok, len + 1, t->hash);
        off += len + 1;
        if (lookup(t, tok, len) < 0) { /* the first id of a duplicate wins */
            size_t i = (size_t)fnv1a(tok, len, FNV_INIT) & (t->cap - 1);
            while (t->table[i] >= 0)
                i = (i + 1) & (t->cap - 1);
            t->table[i] = (int32_t)id;
        }
        const char *body = strncmp(tok, "##", 2) == 0 ? tok + 2 : tok;
        const size_t cps = count_cps(body);
        if (cps > t->max_piece_cps)
            t->max_piece_cps = cps;
    }
    (void)blob_len;
    t->unk = lookup(t, "[UNK]", 5);
    t->cls = lookup(t, "[CLS]", 5);
    t->sep = lookup(t, "[SEP]", 5);
    t->pad = lookup(t, "[PAD]", 5);
    if (t->pad < 0)
        t->pad = 0;
    if (t->unk < 0 || t->cls < 0 || t->sep < 0) {
        set_err(err, err_len, "%s: vocabulary lacks %s", what,
                t->unk < 0 ? "[UNK]" : t->cls < 0 ? "[CLS]" : "[SEP]");
        ptc_tokenizer_free(t);
        return NULL;
    }
    return t;
}

ptc_tokenizer *ptc_tokenizer_load(const char *vocab_path, char *err, size_t err_len)
{
    FILE *f = fopen(vocab_path, "rb");
    if (!f) {
        set_err(err, err_len, "%s: cannot open vocabulary", vocab_path);
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *blob = malloc(cap + 1);
    size_t got;
    while (blob && (got = fread(blob + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            char *nb = realloc(blob, 2 * cap + 1);
            if (!nb) {
                free(blob);
                blob = NULL;
                break;
            }
            blob = nb;
            cap *= 2;
        }
    }
    const bool read_error = ferror(f);
    fclose(f);
    if (!blob || read_error) {
        free(blob);
        set_err(err, err_len, "%s: cannot read vocabulary", vocab_path);
        return NULL;
    }
    /* lines -> NUL-terminated tokens in place (a final line without LF counts) */
    size_t n = 0, w = 0;
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && blob[e] != '\n')
            e++;
        size_t l = e - i;
        if (l > 0 && blob[i + l - 1] == '\r')
            l--;
        if (memchr(blob + i, '\0', l)) {
            free(blob);
            set_err(err, err_len, "%s:%zu: NUL byte in token", vocab_path, n + 1);
            return NULL;
        }
        memmove(blob + w, blob + i, l);
        w += l;
        blob[w++] = '\0';
        n++;
        i = e + 1;
    }
    if (n == 0) {
        free(blob);
        set_err(err, err_len, "%s: empty vocabulary", vocab_path);
        return NULL;
    }
    return build(blob, w, n, vocab_path, err, err_len);
}

ptc_tokenizer *ptc_tokenizer_from_tokens(const char *const *tokens, size_t n, char *err,
                                         size_t err_len)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(tokens[i]) + 1;
    char *blob = malloc(total ? total : 1);
    if (!blob) {
        set_err(err, err_len, "vocabulary: out of memory");
        return NULL;
    }
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        const size_t l = strlen(tokens[i]) + 1;
        memcpy(blob + w, tokens[i], l);
        w += l;
    }
    return build(blob, w, n, "vocabulary", err, err_len);
}

void ptc_tokenizer_free(ptc_tokenizer *t)
{
    if (!t)
        return;
    free(t->blob);
    free(t->offset);
    free(t->table);
    free(t);
}

size_t ptc_tokenizer_vocab_size(const ptc_tokenizer *t) { return t->n; }
int32_t ptc_tokenizer_id(const ptc_tokenizer *t, const char *token)
{
    return lookup(t, token, strlen(token));
}
const char *ptc_tokenizer_token(const ptc_tokenizer *t, int32_t id)
{
    return id >= 0 && (size_t)id < t->n ? t->blob + t->offset[id] : NULL;
}
int32_t ptc_tokenizer_pad_id(const ptc_tokenizer *t) { return t->pad; }
int32_t ptc_tokenizer_unk_id(const ptc_tokenizer *t) { return t->unk; }
int32_t ptc_tokenizer_cls_id(const ptc_tokenizer *t) { return t->cls; }
int32_t ptc_tokenizer_sep_id(const ptc_tokenizer *t) { return t->sep; }
uint64_t ptc_tokenizer_hash(const ptc_tokenizer *t) { return t->hash; }

/* ---- character classes (BERT's definitions) ------------------------------------------- */
static bool is_whitespace(int32_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
           utf8proc_category(c) == UTF8PROC_CATEGORY_ZS;
}

static bool is_control(int32_t c)
{
    if (c == '\t' || c == '\n' || c == '\r')
        return false;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN:
        return true;
    default:
        return false;
    }
}

static bool is_punctuation(int32_t c)
{
    if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
        (c >= 123 && c <= 126))
        return true;
    const utf8proc_category_t k = utf8proc_category(c);
    return k >= UTF8PROC_CATEGORY_PC && k <= UTF8PROC_CATEGORY_PO;
}

static bool is_cjk(int32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
           (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* Unicode "Cased" and "Case_Ignorable", as far as the final-sigma rule needs them
 * (utf8proc has no direct property): cased = a letter with a case mapping or
 * category Lu/Ll/Lt; case-ignorable = Mn, Me, Cf, Lm, Sk or a Word_Break
 * MidLetter/MidNumLet/Single_Quote character. */
static bool is_cased(int32_t c)
{
    const utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LL || k == UTF8PROC_CATEGORY_LT ||
           utf8proc_tolower(c) != c || utf8proc_toupper(c) != c;
}

static bool is_case_ignorable(int32_t c)
{
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_SK:
        return true;
    default:
        break;
    }
    switch (c) {
    case '\'': case '.': case ':': case 0x00B7: case 0x0387: case 0x05F4: case 0x2018:
    case 0x2019: case 0x2024: case 0x2027: case 0xFE13: case 0xFE52: case 0xFE55:
    case 0xFF07: case 0xFF0E: case 0xFF1A:
        return true;
    default:
        return false;
    }
}

/* ---- growable buffers ---------------------------------------------------------------------- */
typedef struct {
    int32_t *v;
    size_t n, cap;
} cpbuf;

static bool cp_push(cpbuf *b, int32_t c)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 256;
        int32_t *v = realloc(b->v, cap * sizeof *v);
        if (!v)
            return false;
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = c;
    return true;
}

bool ptc_utf8_valid(const char *text, size_t len, size_t *bad_offset)
{
    size_t i = 0;
    while (i < len) {
        if ((unsigned char)text[i] < 0x80) {
            i++;
            continue;
        }
        int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
                                              (utf8proc_ssize_t)(len - i), &c);
        if (k <= 0) {
            if (bad_offset)
                *bad_offset = i;
            return false;
        }
        i += (size_t)k;
    }
    return true;
}

/* ---- the word pipeline ------------------------------------------------------------------------ */
typedef struct {
    const ptc_tokenizer *tok;  /* NULL: basic tokenizer only (callback) */
    int32_t *ids;
    size_t max_ids, n_ids;
    ptc_tokenize_info *info;
    void (*fn)(const char *, size_t, void *);
    void *user;
    bool stop;                 /* budget reached */
    bool oom;
    cpbuf word;                /* whitespace word, cleaned */
    cpbuf low;                 /* lowercased */
    char *utf8;                /* scratch */
    size_t utf8_cap;
    cpbuf nfd;
} wpipe;

static bool utf8_reserve(wpipe *p, size_t need)
{
    if (need <= p->utf8_cap)
        return true;
    size_t cap = p->utf8_cap ? p->utf8_cap : 512;
    while (cap < need)
        cap *= 2;
    char *s = realloc(p->utf8, cap);
    if (!s)
        return false;
    p->utf8 = s;
    p->utf8_cap = cap;
    return true;
}

/* code points -> UTF-8 in p->utf8 (with an optional "##" prefix); returns bytes */
static size_t encode_cps(wpipe *p, const int32_t *cps, size_t n, bool prefix)
{
    size_t w = 0;
    if (prefix) {
        p->utf8[w++] = '#';
        p->utf8[w++] = '#';
    }
    for (size_t i = 0; i < n; i++)
        w += (size_t)utf8proc_encode_char(cps[i], (utf8proc_uint8_t *)p->utf8 + w);
    p->utf8[w] = '\0';
    return w;
}

static void emit_id(wpipe *p, int32_t id)
{
    if (p->n_ids >= p->max_ids) {
        p->stop = true;
        if (p->info)
            p->info->truncated = true;
        return;
    }
    p->ids[p->n_ids++] = id;
    if (p->info && id == p->tok->unk)
        p->info->unk++;
}

/* One basic-tokenizer word (code points) -> callback or WordPiece ids. */
static void piece_word(wpipe *p, const int32_t *cps, size_t n)
{
    if (n == 0 || p->stop)
        return;
    if (p->info)
        p->info->words++;
    if (!utf8_reserve(p, 4 * n + 3)) {
        p->oom = true;
        return;
    }
    if (!p->tok) {
        const size_t bytes = encode_cps(p, cps, n, false);
        p->fn(p->utf8, bytes, p->user);
        return;
    }
    if (n > 100) {
        emit_id(p, p->tok->unk);
        return;
    }
    int32_t found[100];
    size_t n_found = 0, start = 0;
    while (start < n) {
        size_t end = n;
        if (end - start > p->tok->max_piece_cps)
            end = start + p->tok->max_piece_cps;
        int32_t id = -1;
        for (; end > start; end--) {
            const size_t bytes = encode_cps(p, cps + start, end - start, start > 0);
            if ((id = lookup(p->tok, p->utf8, bytes)) >= 0)
                break;
        }
        if (id < 0) {
            emit_id(p, p->tok->unk);
            return;
        }
        found[n_found++] = id;
        start = end;
    }
    for (size_t i = 0; i < n_found && !p->stop; i++)
        emit_id(p, found[i]);
}

/* A whitespace word is complete: lowercase, NFD, strip Mn, split on punctuation. */
static void finish_word(wpipe *p)
{
    cpbuf *w = &p->word;
    if (w->n == 0 || p->stop)
        return;
    p->low.n = 0;
    for (size_t i = 0; i < w->n && !p->oom; i++) {
        const int32_t c = w->v[i];
        if (c == 0x03A3) { /* final sigma: cased before, no cased after (skipping ignorables) */
            bool before = false, after = false;
            for (size_t j = i; j-- > 0;) {
                if (is_case_ignorable(w->v[j]))
                    continue;
                before = is_cased(w->v[j]);
                break;
            }
            for (size_t j = i + 1; j < w->n; j++) {
                if (is_case_ignorable(w->v[j]))
                    continue;
                after = is_cased(w->v[j]);
                break;
            }
            p->oom |= !cp_push(&p->low, before && !after ? 0x03C2 : 0x03C3);
        } else if (c == 0x0130) { /* full lowercase mapping: i + combining dot above */
            p->oom |= !cp_push(&p->low, 'i') || !cp_push(&p->low, 0x0307);
        } else {
            p->oom |= !cp_push(&p->low, utf8proc_tolower(c));
        }
    }
    w->n = 0;
    if (p->oom || !utf8_reserve(p, 4 * p->low.n + 3)) {
        p->oom = true;
        return;
    }
    const size_t bytes = encode_cps(p, p->low.v, p->low.n, false);
    /* NFD (canonical decomposition + canonical ordering); 4 code points per input
     * one is utf8proc's documented bound per step, grow until it fits */
    for (;;) {
        utf8proc_ssize_t got = utf8proc_decompose((const utf8proc_uint8_t *)p->utf8,
                                                  (utf8proc_ssize_t)bytes, p->nfd.v,
                                                  (utf8proc_ssize_t)p->nfd.cap,
                                                  UTF8PROC_DECOMPOSE | UTF8PROC_STABLE);
        if (got < 0) {
            p->oom = true; /* cannot happen on our own valid UTF-8 */
            return;
        }
        if ((size_t)got <= p->nfd.cap) {
            p->nfd.n = (size_t)got;
            break;
        }
        int32_t *v = realloc(p->nfd.v, (size_t)got * sizeof *v);
        if (!v) {
            p->oom = true;
            return;
        }
        p->nfd.v = v;
        p->nfd.cap = (size_t)got;
    }
    /* strip Mn in place, then split on punctuation */
    size_t k = 0;
    for (size_t i = 0; i < p->nfd.n; i++)
        if (utf8proc_category(p->nfd.v[i]) != UTF8PROC_CATEGORY_MN)
            p->nfd.v[k++] = p->nfd.v[i];
    size_t start = 0;
    for (size_t i = 0; i < k && !p->stop; i++) {
        if (is_punctuation(p->nfd.v[i])) {
            piece_word(p, p->nfd.v + start, i - start);
            piece_word(p, p->nfd.v + i, 1);
            start = i + 1;
        }
    }
    if (!p->stop)
        piece_word(p, p->nfd.v + start, k - start);
}

static size_t run(wpipe *p, const char *text, size_t len)
{
    size_t invalid = 0;
    size_t i = 0;
    while (i < len && !p->stop && !p->oom) {
        int32_t c;
        const unsigned char b = (unsigned char)text[i];
        if (b < 0x80) {
            c = b;
            i++;
        } else {
            utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
                                                  (utf8proc_ssize_t)(len - i), &c);
            if (k <= 0) { /* one invalid byte -> U+FFFD -> dropped by the clean step */
                invalid++;
                i++;
                continue;
            }
            i += (size_t)k;
        }
        if (c == 0 || c == 0xFFFD || is_control(c))
            continue;
        if (is_whitespace(c)) {
            finish_word(p);
        } else if (is_cjk(c)) {
            finish_word(p);
            p->oom |= !cp_push(&p->word, c);
            finish_word(p);
        } else {
            p->oom |= !cp_push(&p->word, c);
        }
    }
    if (!p->stop && !p->oom)
        finish_word(p);
    /* count the rest's invalid bytes too, so the figure does not depend on the budget */
    for (; i < len; i++) {
        if ((unsigned char)text[i] < 0x80)
            continue;
        int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
                                              (utf8proc_ssize_t)(len - i), &c);
        if (k <= 0)
            invalid++;
        else
            i += (size_t)k - 1;
    }
    free(p->word.v);
    free(p->low.v);
    free(p->nfd.v);
    free(p->utf8);
    return invalid;
}

size_t ptc_tokenize(const ptc_tokenizer *tok, const char *text, size_t len, int32_t *ids,
                    size_t max_ids, ptc_tokenize_info *info)
{
    if (info)
        memset(info, 0, sizeof *info);
    wpipe p = {.tok = tok, .ids = ids, .max_ids = max_ids, .info = info};
    const size_t invalid = run(&p, text, len);
    if (info)
        info->invalid_bytes = invalid;
    return p.n_ids;
}

size_t ptc_tokenizer_encode(const ptc_tokenizer *tok, const char *text, size_t len,
                            size_t max_len, int32_t *ids, ptc_tokenize_info *info)
{
    if (max_len < 2)
        return 0;
    ids[0] = tok->cls;
    const size_t n = ptc_tokenize(tok, text, len, ids + 1, max_len - 2, info);
    ids[n + 1] = tok->sep;
    return n + 2;
}

size_t ptc_basic_tokenize(const char *text, size_t len,
                          void (*fn)(const char *word, size_t word_len, void *user), void *user)
{
    wpipe p = {.fn = fn, .user = user, .max_ids = (size_t)-1};
    return run(&p, text, len);
}

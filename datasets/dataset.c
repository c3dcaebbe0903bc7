/*
 * datasets/dataset.c — `label<TAB>text` files, the dataset registry, splits,
 * the synthetic dataset and token caches (contract: include/ptc/dataset.h).
 *
 * Reading a file: the whole file is read into memory; a serial pass finds and
 * validates every line (so errors come in line order), then the texts are
 * tokenized in parallel (OpenMP over lines, each into its own max_len slot) and
 * compacted.
 *
 * Cache file layout (little-endian host order; a cache is not portable across
 * byte orders, the magic check catches that):
 *   header  char magic[8] "PTCIDS\0\0", u32 version (1), u32 header_bytes,
 *           u64 source size, i64 mtime s, i64 mtime ns, u64 vocab hash,
 *           u64 max_len, u64 n_classes, u64 docs, u64 ids, u64 skipped,
 *           u64 payload FNV-1a
 *   payload i32 labels[docs], i32 lengths[docs], u32 line_index[docs], i32 ids[ids]
 * Written to a temporary name and renamed, so readers never see half a file.
 */
#include "ptc/dataset.h"
#include "ptc/sys.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
    if (!err || err_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

static void note(const ptc_dataset_options *o, const char *fmt, ...)
{
    if (!o || !o->log)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(o->log, fmt, ap);
    va_end(ap);
    fputc('\n', o->log);
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}


void ptc_synthetic_config_default(ptc_synthetic_config *c)
{
    c->n_classes = 4;
    c->n_train = 512;
    c->n_dev = 128;
    c->n_test = 256;
    c->min_words = 24;
    c->max_words = 96;
    c->n_filler = 200;
    c->cores_per_class = 3;
    c->seed = 1;
}

void ptc_dataset_options_default(ptc_dataset_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_len = 512;
    o->dev_fraction = 0.2;
    o->split_seed = 20231;
    ptc_synthetic_config_default(&o->synthetic);
}

const char *const ptc_dataset_names[] = {"imdb", "bbc", "20ng", "sst2", "r8", "r52",
                                         "hyperpartisan", "agnews-test", "synthetic", NULL};

bool ptc_dataset_needs_vocab(const char *name) { return !name || strcmp(name, "synthetic") != 0; }

void ptc_split_free(ptc_split *s)
{
    free(s->labels);
    free(s->offsets);
    free(s->ids);
    memset(s, 0, sizeof *s);
}

void ptc_dataset_free(ptc_dataset *ds)
{
    if (ds->label_names)
        for (size_t i = 0; i < ds->n_classes; i++)
            free(ds->label_names[i]);
    free(ds->label_names);
    ptc_split_free(&ds->train);
    ptc_split_free(&ds->dev);
    ptc_split_free(&ds->test);
    memset(ds, 0, sizeof *ds);
}

/* ---- files ------------------------------------------------------------------------------------ */
static char *read_file(const char *path, size_t *len, char *err, size_t err_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_err(err, err_len, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap + 1);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    const bool bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        set_err(err, err_len, "%s: cannot read", path);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

int ptc_labels_read(const char *path, char ***names, size_t *n, char *err, size_t err_len)
{
    size_t len;
    char *buf = read_file(path, &len, err, err_len);
    if (!buf)
        return -1;
    size_t cap = 16, k = 0;
    char **v = malloc(cap * sizeof *v);
    size_t line = 0;
    for (char *s = buf; s < buf + len;) {
        char *e = memchr(s, '\n', (size_t)(buf + len - s));
        if (!e)
            e = buf + len;
        line++;
        size_t l = (size_t)(e - s);
        if (l && s[l - 1] == '\r')
            l--;
        if (l == 0) {
            set_err(err, err_len, "%s:%zu: empty label name", path, line);
            for (size_t i = 0; i < k; i++)
                free(v[i]);
            free(v);
            free(buf);
            return -1;
        }
        if (k == cap)
            v = realloc(v, (cap *= 2) * sizeof *v);
        v[k] = malloc(l + 1);
        memcpy(v[k], s, l);
        v[k++][l] = '\0';
        s = e + 1;
    }
    free(buf);
    if (k == 0) {
        free(v);
        set_err(err, err_len, "%s: no labels", path);
        return -1;
    }
    *names = v;
    *n = k;
    return 0;
}

/* ---- cache ------------------------------------------------------------------------------------- */
typedef struct {
    char magic[8];
    uint32_t version, header_bytes;
    uint64_t size;
    int64_t mtime_s, mtime_ns;
    uint64_t vocab_hash, max_len, n_classes, docs, ids, skipped, checksum;
} cache_header;
#define CACHE_VERSION 1u

static void cache_path(char *out, size_t len, const char *dir, const char *src, uint64_t key)
{
    const char *base = strrchr(src, '/');
    base = base ? base + 1 : src;
    snprintf(out, len, "%s/%s.%016llx.ptcids", dir, base, (unsigned long long)key);
}

static uint64_t cache_key(const char *src, const cache_header *h)
{
    uint64_t k = ptc_fnv1a(src, strlen(src), PTC_FNV_OFFSET);
    k = ptc_fnv1a(&h->vocab_hash, sizeof h->vocab_hash, k);
    k = ptc_fnv1a(&h->max_len, sizeof h->max_len, k);
    return ptc_fnv1a(&h->n_classes, sizeof h->n_classes, k);
}

/* 1 loaded, 0 absent or stale, -1 corrupt (note written) */
static int cache_load(const char *path, const cache_header *want, ptc_split *out,
                      uint32_t **line_index, size_t *skipped, const ptc_dataset_options *opt)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    cache_header h;
    int rc = -1;
    int32_t *lengths = NULL;
    ptc_split s = {0};
    uint32_t *lines = NULL;
    if (fread(&h, sizeof h, 1, f) != 1 || memcmp(h.magic, "PTCIDS\0\0", 8) != 0 ||
        h.header_bytes != sizeof h)
        goto done;
    if (h.version != CACHE_VERSION || h.size != want->size || h.mtime_s != want->mtime_s ||
        h.mtime_ns != want->mtime_ns || h.vocab_hash != want->vocab_hash ||
        h.max_len != want->max_len || h.n_classes != want->n_classes) {
        rc = 0;
        goto done;
    }
    if (h.docs > ((uint64_t)1 << 32) || h.ids > h.docs * h.max_len)
        goto done;
    s.n = h.docs;
    s.labels = malloc((s.n + 1) * sizeof *s.labels);
    lengths = malloc((s.n + 1) * sizeof *lengths);
    lines = malloc((s.n + 1) * sizeof *lines);
    s.offsets = malloc((s.n + 1) * sizeof *s.offsets);
    s.ids = malloc((h.ids + 1) * sizeof *s.ids);
    if (!s.labels || !lengths || !lines || !s.offsets || !s.ids ||
        fread(s.labels, sizeof *s.labels, s.n, f) != s.n ||
        fread(lengths, sizeof *lengths, s.n, f) != s.n ||
        fread(lines, sizeof *lines, s.n, f) != s.n ||
        fread(s.ids, sizeof *s.ids, h.ids, f) != h.ids || fgetc(f) != EOF)
        goto done;
    uint64_t ck = ptc_fnv1a(s.labels, s.n * sizeof *s.labels, PTC_FNV_OFFSET);
    ck = ptc_fnv1a(lengths, s.n * sizeof *lengths, ck);
    ck = ptc_fnv1a(lines, s.n * sizeof *lines, ck);
    ck = ptc_fnv1a(s.ids, h.ids * sizeof *s.ids, ck);
    if (ck != h.checksum)
        goto done;
    s.offsets[0] = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (lengths[i] < 2 || (uint64_t)lengths[i] > h.max_len || s.labels[i] < 0 ||
            (uint64_t)s.labels[i] >= h.n_classes)
            goto done;
        s.offsets[i + 1] = s.offsets[i] + (size_t)lengths[i];
    }
    if (s.offsets[s.n] != h.ids)
        goto done;
    *out = s;
    *line_index = lines;
    *skipped = h.skipped;
    lines = NULL;
    memset(&s, 0, sizeof s);
    rc = 1;
done:
    fclose(f);
    if (rc == -1)
        note(opt, "note: token cache %s is corrupt; tokenizing again", path);
    free(lengths);
    free(lines);
    ptc_split_free(&s);
    return rc;
}

static void cache_store(const char *path, cache_header h, const ptc_split *s,
                        const uint32_t *lines, const ptc_dataset_options *opt)
{
    int32_t *lengths = malloc((s->n + 1) * sizeof *lengths);
    if (!lengths)
        return;
    for (size_t i = 0; i < s->n; i++)
        lengths[i] = (int32_t)ptc_split_len(s, i);
    h.docs = s->n;
    h.ids = s->offsets[s->n];
    uint64_t ck = ptc_fnv1a(s->labels, s->n * sizeof *s->labels, PTC_FNV_OFFSET);
    ck = ptc_fnv1a(lengths, s->n * sizeof *lengths, ck);
    ck = ptc_fnv1a(lines, s->n * sizeof *lines, ck);
    h.checksum = ptc_fnv1a(s->ids, h.ids * sizeof *s->ids, ck);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(&h, sizeof h, 1, f) == 1 &&
              fwrite(s->labels, sizeof *s->labels, s->n, f) == s->n &&
              fwrite(lengths, sizeof *lengths, s->n, f) == s->n &&
              fwrite(lines, sizeof *lines, s->n, f) == s->n &&
              fwrite(s->ids, sizeof *s->ids, h.ids, f) == h.ids;
    if (f)
        ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        note(opt, "note: cannot write token cache %s", path);
        unlink(tmp);
    }
    free(lengths);
}

/* ---- parsing -------------------------------------------------------------------------------------- */
typedef struct {
    const char *text;
    size_t len;
    int32_t label;
    uint32_t line; /* 0-based */
} parsed_line;

/* Validates one line; returns NULL or the reason. */
static const char *parse_line(const char *s, size_t l, size_t n_classes, parsed_line *out,
                              char *why, size_t why_len)
{
    const char *tab = memchr(s, '\t', l);
    if (!tab)
        return "no TAB between label and text";
    if (tab == s)
        return "empty label";
    long long v = 0;
    for (const char *p = s; p < tab; p++) {
        if (*p < '0' || *p > '9') {
            snprintf(why, why_len, "label '%.*s' is not a non-negative integer",
                     (int)(tab - s > 40 ? 40 : tab - s), s);
            return why;
        }
        v = v * 10 + (*p - '0');
        if (v > 1000000000LL)
            break;
    }
    if (v >= (long long)n_classes) {
        snprintf(why, why_len, "label %lld out of range (%zu classes)", v, n_classes);
        return why;
    }
    const char *text = tab + 1;
    const size_t tl = l - (size_t)(text - s);
    bool blank = true;
    for (size_t i = 0; i < tl && blank; i++)
        blank = text[i] == ' ' || text[i] == '\t';
    if (blank)
        return "empty text";
    size_t bad;
    if (!ptc_utf8_valid(text, tl, &bad)) {
        snprintf(why, why_len, "invalid UTF-8 at byte %zu of the text", bad);
        return why;
    }
    out->text = text;
    out->len = tl;
    out->label = (int32_t)v;
    return NULL;
}

static int tokenize_lines(ptc_split *out, const parsed_line *pl, size_t n,
                          const ptc_tokenizer *tok, size_t max_len)
{
    size_t n_slots;
    if (__builtin_mul_overflow(n ? n : 1, max_len, &n_slots) || n_slots > SIZE_MAX / sizeof(int32_t))
        return -1; /* the caller reports out of memory */
    int32_t *slots = malloc(n_slots * sizeof *slots);
    int32_t *lens = malloc((n ? n : 1) * sizeof *lens);
    if (!slots || !lens) {
        free(slots);
        free(lens);
        return -1;
    }
#pragma omp parallel for schedule(dynamic, 16)
    for (size_t i = 0; i < n; i++)
        lens[i] = (int32_t)ptc_tokenizer_encode(tok, pl[i].text, pl[i].len, max_len,
                                                slots + i * max_len, NULL);
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += (size_t)lens[i];
    out->n = n;
    out->labels = malloc((n + 1) * sizeof *out->labels);
    out->offsets = malloc((n + 1) * sizeof *out->offsets);
    out->ids = malloc((total + 1) * sizeof *out->ids);
    if (!out->labels || !out->offsets || !out->ids) {
        free(slots);
        free(lens);
        ptc_split_free(out);
        return -1;
    }
    out->offsets[0] = 0;
    for (size_t i = 0; i < n; i++) {
        out->labels[i] = pl[i].label;
        memcpy(out->ids + out->offsets[i], slots + i * max_len, (size_t)lens[i] * sizeof *slots);
        out->offsets[i + 1] = out->offsets[i] + (size_t)lens[i];
    }
    free(slots);
    free(lens);
    return 0;
}

static int split_read_u32(ptc_split *out, const char *path, const ptc_tokenizer *tok,
                          size_t n_classes, const ptc_dataset_options *opt, size_t *skipped,
                          uint32_t **line_index, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(path, &st) != 0) {
        set_err(err, err_len, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    cache_header h = {.magic = "PTCIDS", .version = CACHE_VERSION, .header_bytes = sizeof h};
    h.size = (uint64_t)st.st_size;
    h.mtime_s = (int64_t)st.st_mtim.tv_sec;
    h.mtime_ns = (int64_t)st.st_mtim.tv_nsec;
    h.vocab_hash = ptc_tokenizer_hash(tok);
    h.max_len = opt->max_len;
    h.n_classes = n_classes;
    char cpath[4096];
    if (opt->cache_dir) {
        mkdir(opt->cache_dir, 0777); /* one level; an error shows when the cache is written */
        cache_path(cpath, sizeof cpath, opt->cache_dir, path, cache_key(path, &h));
        size_t sk = 0;
        if (cache_load(cpath, &h, out, line_index, &sk, opt) == 1) {
            if (sk == 0 || opt->skip_bad_lines) {
                if (sk)
                    note(opt, "note: %s: %zu malformed line%s skipped", path, sk, sk == 1 ? "" : "s");
                if (skipped)
                    *skipped = sk;
                return 0;
            }
            ptc_split_free(out); /* the cache skipped lines this load must report */
            free(*line_index);
            *line_index = NULL;
        }
    }
    size_t len;
    char *buf = read_file(path, &len, err, err_len);
    if (!buf)
        return -1;
    size_t cap = 1024, n = 0, bad = 0, line = 0;
    parsed_line *pl = malloc(cap * sizeof *pl);
    char why[160], first[512] = "";
    for (char *s = buf; s < buf + len; line++) {
        char *e = memchr(s, '\n', (size_t)(buf + len - s));
        if (!e)
            e = buf + len;
        size_t l = (size_t)(e - s);
        if (l && s[l - 1] == '\r')
            l--;
        if (n == cap)
            pl = realloc(pl, (cap *= 2) * sizeof *pl);
        const char *reason = parse_line(s, l, n_classes, &pl[n], why, sizeof why);
        if (reason) {
            if (bad == 0)
                snprintf(first, sizeof first, "%s:%zu: %s", path, line + 1, reason);
            if (bad < 10 && !opt->skip_bad_lines)
                note(opt, "%s:%zu: %s", path, line + 1, reason);
            bad++;
        } else {
            pl[n].line = (uint32_t)line;
            n++;
        }
        s = e + 1;
    }
    if (bad && !opt->skip_bad_lines) {
        if (bad > 1)
            set_err(err, err_len, "%s (and %zu more malformed line%s; --skip-bad-lines skips them)",
                    first, bad - 1, bad == 2 ? "" : "s");
        else
            set_err(err, err_len, "%s", first);
        free(pl);
        free(buf);
        return -1;
    }
    if (bad)
        note(opt, "note: %s: %zu malformed line%s skipped (first: %s)", path, bad,
             bad == 1 ? "" : "s", first);
    if (n == 0) {
        set_err(err, err_len, "%s: no documents", path);
        free(pl);
        free(buf);
        return -1;
    }
    int rc = tokenize_lines(out, pl, n, tok, opt->max_len);
    uint32_t *lines = malloc(n * sizeof *lines);
    for (size_t i = 0; lines && i < n; i++)
        lines[i] = pl[i].line;
    free(pl);
    free(buf);
    if (rc != 0 || !lines) {
        free(lines);
        ptc_split_free(out);
        set_err(err, err_len, "%s: out of memory", path);
        return -1;
    }
    if (skipped)
        *skipped = bad;
    if (opt->cache_dir) {
        h.skipped = bad;
        cache_store(cpath, h, out, lines, opt);
    }
    *line_index = lines;
    return 0;
}

int ptc_split_read(ptc_split *out, const char *path, const ptc_tokenizer *tok, size_t n_classes,
                   const ptc_dataset_options *opt, size_t *skipped, size_t **line_index,
                   char *err, size_t err_len)
{
    uint32_t *lines = NULL;
    if (split_read_u32(out, path, tok, n_classes, opt, skipped, &lines, err, err_len) != 0)
        return -1;
    if (line_index) {
        *line_index = malloc((out->n + 1) * sizeof **line_index);
        for (size_t i = 0; *line_index && i < out->n; i++)
            (*line_index)[i] = lines[i];
    }
    free(lines);
    return 0;
}

/* ---- splitting -------------------------------------------------------------------------------------- */
/* Copies the documents with keep[i] into dst. */
static int subset(ptc_split *dst, const ptc_split *src, const bool *keep, bool want)
{
    size_t n = 0, ids = 0;
    for (size_t i = 0; i < src->n; i++)
        if (keep[i] == want) {
            n++;
            ids += ptc_split_len(src, i);
        }
    dst->n = n;
    dst->labels = malloc((n + 1) * sizeof *dst->labels);
    dst->offsets = malloc((n + 1) * sizeof *dst->offsets);
    dst->ids = malloc((ids + 1) * sizeof *dst->ids);
    if (!dst->labels || !dst->offsets || !dst->ids)
        return -1;
    dst->offsets[0] = 0;
    size_t k = 0;
    for (size_t i = 0; i < src->n; i++)
        if (keep[i] == want) {
            const size_t l = ptc_split_len(src, i);
            dst->labels[k] = src->labels[i];
            memcpy(dst->ids + dst->offsets[k], src->ids + src->offsets[i], l * sizeof *dst->ids);
            dst->offsets[k + 1] = dst->offsets[k] + l;
            k++;
        }
    return 0;
}

typedef struct {
    uint64_t key;
    size_t i;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key ? 1 : (x->i > y->i) - (x->i < y->i);
}

/* Stratified: per class, docs ordered by hash(seed, line), first round(frac * count) to dev. */
static int split_dev(ptc_split *train, ptc_split *dev, const ptc_split *all, const size_t *lines,
                     size_t n_classes, double frac, uint64_t seed)
{
    bool *is_dev = calloc(all->n + 1, sizeof *is_dev);
    keyed *k = malloc((all->n + 1) * sizeof *k);
    if (!is_dev || !k) {
        free(is_dev);
        free(k);
        return -1;
    }
    for (size_t c = 0; c < n_classes; c++) {
        size_t m = 0;
        for (size_t i = 0; i < all->n; i++)
            if ((size_t)all->labels[i] == c) {
                uint64_t s = seed ^ (0x9e3779b97f4a7c15ULL * ((uint64_t)lines[i] + 1));
                k[m].key = splitmix(&s);
                k[m++].i = i;
            }
        qsort(k, m, sizeof *k, cmp_keyed);
        const size_t take = (size_t)(frac * (double)m + 0.5);
        for (size_t j = 0; j < take && j < m; j++)
            is_dev[k[j].i] = true;
    }
    int rc = subset(dev, all, is_dev, true) | subset(train, all, is_dev, false);
    free(is_dev);
    free(k);
    return rc;
}

/* ---- synthetic --------------------------------------------------------------------------------------- */
enum { SYNTH_MAX_CLASSES = 1 << 12, SYNTH_MAX_WORDS = 1 << 16, SYNTH_MAX_DOCS = 1 << 22 };

/* true (with a message) for a configuration the generator cannot make; the caps
 * lie far above any use and keep the sizes of the vocabulary and texts in range */
static bool synthetic_config_bad(const ptc_synthetic_config *c, char *err, size_t err_len)
{
    if (c->n_classes < 2 || c->n_train == 0 || c->n_filler == 0 || c->cores_per_class == 0 ||
        c->max_words < c->min_words) {
        set_err(err, err_len, "synthetic dataset: bad configuration");
        return true;
    }
    if (c->n_classes > SYNTH_MAX_CLASSES || c->cores_per_class > SYNTH_MAX_CLASSES ||
        c->n_filler > SYNTH_MAX_WORDS || c->max_words > SYNTH_MAX_WORDS ||
        c->n_train > SYNTH_MAX_DOCS || c->n_dev > SYNTH_MAX_DOCS || c->n_test > SYNTH_MAX_DOCS) {
        set_err(err, err_len, "synthetic dataset: at most %d classes (and core words per class), "
                "%d filler words or words per document, %d documents per split",
                SYNTH_MAX_CLASSES, SYNTH_MAX_WORDS, SYNTH_MAX_DOCS);
        return true;
    }
    return false;
}

ptc_tokenizer *ptc_synthetic_tokenizer(const ptc_synthetic_config *c, char *err, size_t err_len)
{
    if (synthetic_config_bad(c, err, err_len))
        return NULL;
    const size_t n = 5 + c->n_filler + c->n_classes * c->cores_per_class;
    char **tok = malloc(n * sizeof *tok);
    char *blob = malloc(n * 48);
    if (!tok || !blob) {
        free(tok);
        free(blob);
        set_err(err, err_len, "synthetic vocabulary: out of memory");
        return NULL;
    }
    static const char *const special[5] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    size_t k = 0;
    for (size_t i = 0; i < 5; i++, k++)
        snprintf(tok[k] = blob + 48 * k, 48, "%s", special[i]);
    for (size_t i = 0; i < c->n_filler; i++, k++)
        snprintf(tok[k] = blob + 48 * k, 48, "filler%zu", i);
    for (size_t cl = 0; cl < c->n_classes; cl++)
        for (size_t j = 0; j < c->cores_per_class; j++, k++)
            snprintf(tok[k] = blob + 48 * k, 48, "core%zux%zu", cl, j);
    ptc_tokenizer *t = ptc_tokenizer_from_tokens((const char *const *)tok, n, err, err_len);
    free(tok);
    free(blob);
    return t;
}

int32_t ptc_synthetic_doc(const ptc_synthetic_config *c, int split, size_t i, char *buf,
                          size_t buf_len)
{
    uint64_t s = c->seed * 0x2545f4914f6cdd1dULL + (uint64_t)split * 0x9e3779b97f4a7c15ULL +
                 (uint64_t)i * 0xda942042e4dd58b5ULL;
    splitmix(&s);
    const int32_t label = (int32_t)(splitmix(&s) % c->n_classes);
    const size_t span = c->max_words > c->min_words ? c->max_words - c->min_words + 1 : 1;
    const size_t words = c->min_words + (size_t)(splitmix(&s) % span);
    size_t n_core = 2 + (size_t)(splitmix(&s) % 3);
    bool distract = c->n_classes > 1 && splitmix(&s) % 10 < 3;
    const size_t total = words + n_core + distract;
    size_t w = 0;
    buf[0] = '\0';
    for (size_t j = 0; j < total; j++) {
        const size_t left = total - j;
        const size_t cores_left = n_core + distract;
        char word[40];
        /* place a core word with probability cores_left / left (uniform positions) */
        if (cores_left > 0 && splitmix(&s) % left < cores_left) {
            size_t cl = (size_t)label;
            if (n_core == 0) { /* the distractor: another class */
                cl = ((size_t)label + 1 + (size_t)(splitmix(&s) % (c->n_classes - 1))) % c->n_classes;
                distract = false;
            } else {
                n_core--;
            }
            snprintf(word, sizeof word, "core%zux%zu", cl, (size_t)(splitmix(&s) % c->cores_per_class));
        } else {
            snprintf(word, sizeof word, "filler%zu", (size_t)(splitmix(&s) % c->n_filler));
        }
        const int wrote = snprintf(buf + w, buf_len > w ? buf_len - w : 0, "%s%s", j ? " " : "", word);
        if (wrote > 0 && w + (size_t)wrote < buf_len)
            w += (size_t)wrote;
    }
    return label;
}

static int synthetic_split(ptc_split *out, const ptc_tokenizer *tok, const ptc_synthetic_config *c,
                           int split, size_t n, size_t max_len)
{
    parsed_line *pl = malloc((n + 1) * sizeof *pl);
    const size_t doc_cap = (c->max_words + 8) * 24;
    char *texts = malloc((n + 1) * doc_cap);
    if (!pl || !texts) {
        free(pl);
        free(texts);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        pl[i].label = ptc_synthetic_doc(c, split, i, texts + i * doc_cap, doc_cap);
        pl[i].text = texts + i * doc_cap;
        pl[i].len = strlen(pl[i].text);
        pl[i].line = (uint32_t)i;
    }
    int rc = tokenize_lines(out, pl, n, tok, max_len);
    free(pl);
    free(texts);
    return rc;
}

/* ---- the registry ---------------------------------------------------------------------------------------- */
typedef struct {
    const char *name, *train, *dev, *test, *labels;
    bool mod5_test; /* one file: test = lines i % 5 == 0 */
} reg_entry;

static const reg_entry registry[] = {
    {"imdb", "imdb/train.tsv", NULL, "imdb/test.tsv", "imdb/labels.txt", false},
    {"bbc", "bbc/all.tsv", NULL, NULL, "bbc/labels.txt", true},
    {"20ng", "20newsgroups/train.tsv", NULL, "20newsgroups/test.tsv", "20newsgroups/labels.txt", false},
    {"sst2", "sst2/train.tsv", "sst2/dev.tsv", "sst2/test.tsv", "sst2/labels.txt", false},
    {"r8", "reuters21578/r8_train.tsv", NULL, "reuters21578/r8_test.tsv",
     "reuters21578/r8_labels.txt", false},
    {"r52", "reuters21578/r52_train.tsv", NULL, "reuters21578/r52_test.tsv",
     "reuters21578/r52_labels.txt", false},
    {"hyperpartisan", "hyperpartisan/clean_train.tsv", "hyperpartisan/clean_dev.tsv",
     "hyperpartisan/clean_test.tsv", "hyperpartisan/labels.txt", false},
    {"agnews-test", "ag_news/test.tsv", NULL, NULL, "ag_news/labels.txt", true},
};

static const char *resolve_data_dir(const ptc_dataset_options *opt)
{
    if (opt->data_dir && *opt->data_dir)
        return opt->data_dir;
    const char *env = getenv("PTC_DATA");
    if (env && *env)
        return env;
    if (access("../shared/datasets", R_OK) == 0)
        return "../shared/datasets";
    if (access("../../shared/datasets", R_OK) == 0)
        return "../../shared/datasets";
    return NULL;
}

static void count_truncated(ptc_dataset *ds, const ptc_split *s, const ptc_tokenizer *tok)
{
    (void)tok;
    for (size_t i = 0; i < s->n; i++)
        ds->truncated_docs += ptc_split_len(s, i) == ds->max_len;
}

int ptc_dataset_load(ptc_dataset *ds, const ptc_tokenizer *tok, const ptc_dataset_options *opt,
                     char *err, size_t err_len)
{
    memset(ds, 0, sizeof *ds);
    ds->max_len = opt->max_len;
    if (opt->max_len < 2) {
        set_err(err, err_len, "max length %zu: must be at least 2", opt->max_len);
        return -1;
    }
    const char *name = opt->name;
    if (name && strcmp(name, "synthetic") == 0 && !opt->train_path) {
        const ptc_synthetic_config *c = &opt->synthetic;
        if (synthetic_config_bad(c, err, err_len))
            return -1;
        snprintf(ds->name, sizeof ds->name, "synthetic");
        ds->n_classes = c->n_classes;
        ds->label_names = calloc(c->n_classes, sizeof *ds->label_names);
        for (size_t i = 0; i < c->n_classes; i++) {
            ds->label_names[i] = malloc(32);
            snprintf(ds->label_names[i], 32, "class%zu", i);
        }
        if (synthetic_split(&ds->train, tok, c, 0, c->n_train, opt->max_len) ||
            synthetic_split(&ds->dev, tok, c, 1, c->n_dev, opt->max_len) ||
            synthetic_split(&ds->test, tok, c, 2, c->n_test, opt->max_len)) {
            ptc_dataset_free(ds);
            set_err(err, err_len, "synthetic dataset: out of memory");
            return -1;
        }
        count_truncated(ds, &ds->train, tok);
        return 0;
    }
    const reg_entry *e = NULL;
    if (name && !opt->train_path) {
        for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
            if (strcmp(registry[i].name, name) == 0)
                e = &registry[i];
        if (!e) {
            set_err(err, err_len,
                    "unknown dataset '%s' (imdb, bbc, 20ng, sst2, r8, r52, hyperpartisan, "
                    "agnews-test, synthetic; or --train FILE)",
                    name);
            return -1;
        }
    }
    char train[4096] = "", dev[4096] = "", test[4096] = "", labels[4096] = "";
    if (e) {
        const char *dir = resolve_data_dir(opt);
        if (!dir) {
            set_err(err, err_len,
                    "dataset '%s': no data directory (give --data-dir or set PTC_DATA)", name);
            return -1;
        }
        snprintf(train, sizeof train, "%s/%s", dir, e->train);
        if (e->dev)
            snprintf(dev, sizeof dev, "%s/%s", dir, e->dev);
        if (e->test)
            snprintf(test, sizeof test, "%s/%s", dir, e->test);
        snprintf(labels, sizeof labels, "%s/%s", dir, e->labels);
        snprintf(ds->name, sizeof ds->name, "%s", name);
    } else {
        if (!opt->train_path || !opt->labels_path) {
            set_err(err, err_len, "give a dataset name or --train FILE and --labels FILE");
            return -1;
        }
        snprintf(train, sizeof train, "%s", opt->train_path);
        if (opt->dev_path)
            snprintf(dev, sizeof dev, "%s", opt->dev_path);
        if (opt->test_path)
            snprintf(test, sizeof test, "%s", opt->test_path);
        snprintf(labels, sizeof labels, "%s", opt->labels_path);
        snprintf(ds->name, sizeof ds->name, "%s", name ? name : "files");
    }
    if (opt->labels_path)
        snprintf(labels, sizeof labels, "%s", opt->labels_path);
    if (ptc_labels_read(labels, &ds->label_names, &ds->n_classes, err, err_len) != 0)
        return -1;
    size_t *lines = NULL, sk = 0;
    ptc_split all = {0};
    if (ptc_split_read(&all, train, tok, ds->n_classes, opt, &sk, &lines, err, err_len) != 0)
        goto fail;
    ds->skipped_lines += sk;
    if (e && e->mod5_test) {
        /* test = line % 5 == 0; the rest is train (then dev from it) */
        bool *is_test = calloc(all.n + 1, sizeof *is_test);
        for (size_t i = 0; is_test && i < all.n; i++)
            is_test[i] = lines[i] % 5 == 0;
        ptc_split rest = {0};
        size_t *rest_lines = malloc((all.n + 1) * sizeof *rest_lines);
        int rc = !is_test || !rest_lines || subset(&ds->test, &all, is_test, true) ||
                 subset(&rest, &all, is_test, false);
        size_t k = 0;
        for (size_t i = 0; !rc && i < all.n; i++)
            if (!is_test[i])
                rest_lines[k++] = lines[i];
        if (!rc)
            rc = split_dev(&ds->train, &ds->dev, &rest, rest_lines, ds->n_classes,
                           opt->dev_fraction, opt->split_seed);
        free(is_test);
        free(rest_lines);
        ptc_split_free(&rest);
        if (rc) {
            set_err(err, err_len, "%s: out of memory", train);
            goto fail;
        }
    } else if (dev[0]) {
        ds->train = all;
        memset(&all, 0, sizeof all);
        if (ptc_split_read(&ds->dev, dev, tok, ds->n_classes, opt, &sk, NULL, err, err_len) != 0)
            goto fail;
        ds->skipped_lines += sk;
    } else {
        if (split_dev(&ds->train, &ds->dev, &all, lines, ds->n_classes, opt->dev_fraction,
                      opt->split_seed) != 0) {
            set_err(err, err_len, "%s: out of memory", train);
            goto fail;
        }
    }
    if (test[0]) {
        if (ptc_split_read(&ds->test, test, tok, ds->n_classes, opt, &sk, NULL, err, err_len) != 0)
            goto fail;
        ds->skipped_lines += sk;
    }
    free(lines);
    ptc_split_free(&all);
    count_truncated(ds, &ds->train, tok);
    count_truncated(ds, &ds->dev, tok);
    count_truncated(ds, &ds->test, tok);
    return 0;
fail:
    free(lines);
    ptc_split_free(&all);
    ptc_dataset_free(ds);
    return -1;
}

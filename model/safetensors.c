/*
 * model/safetensors.c — checkpoints in the safetensors format with Hugging Face
 * BERT tensor names, the header parsed and written with jansson.
 *
 * Format (https://github.com/huggingface/safetensors): 8-byte little-endian
 * header length N, N bytes of JSON {"name": {"dtype": "F32", "shape": [..],
 * "data_offsets": [begin, end]}, ..., "__metadata__": {string: string}}, then
 * the data; offsets are relative to the byte after the header. Values are
 * little-endian (this file assumes a little-endian host, checked at compile
 * time).
 *
 * Reading refuses, naming the tensor: a file shorter than its header, a header
 * that is not a JSON object, dtypes other than F32/F16/BF16 for tensors the
 * model uses, shapes that differ from the model's, offsets past the end of the
 * file or overlapping, byte spans that do not match dtype x shape, non-finite
 * values. Writing is atomic: a temporary file in the destination directory,
 * fsync, rename, fsync of the directory.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "model/safetensors.c assumes a little-endian host"
#endif

/* ---- the model's tensor names ----------------------------------------------------------- */
typedef struct named_tensor {
    char name[96];
    size_t tensor;      /* slab index */
    size_t offset;      /* floats into the slab tensor */
    size_t ndim;
    uint64_t shape[2];
} named_tensor;

static void add_name(named_tensor *t, size_t *n, const char *name, size_t tensor, size_t offset,
                     size_t ndim, uint64_t d0, uint64_t d1)
{
    named_tensor *e = &t[(*n)++];
    snprintf(e->name, sizeof e->name, "%s", name);
    e->tensor = tensor;
    e->offset = offset;
    e->ndim = ndim;
    e->shape[0] = d0;
    e->shape[1] = d1;
}

/* Every checkpoint tensor of the model, in writing order; returns the count
 * (at most 16 + 16 L + 14). Slab indices follow ptc_params's member order. */
static size_t ptc_model_named_tensors(const ptc_model *m, named_tensor *t)
{
    const ptc_model_config *c = &m->cfg;
    const size_t H = c->hidden, F = c->ffn, C = c->n_classes;
    size_t n = 0;
    char nm[96];
    add_name(t, &n, "bert.embeddings.word_embeddings.weight", 0, 0, 2, c->vocab_size, H);
    add_name(t, &n, "bert.embeddings.position_embeddings.weight", 1, 0, 2, c->max_positions, H);
    add_name(t, &n, "bert.embeddings.token_type_embeddings.weight", 2, 0, 2, c->type_vocab, H);
    add_name(t, &n, "bert.embeddings.LayerNorm.weight", 3, 0, 1, H, 0);
    add_name(t, &n, "bert.embeddings.LayerNorm.bias", 4, 0, 1, H, 0);
    static const struct { const char *suffix; size_t tensor; int kind; } layer_names[] = {
        {"attention.self.query.weight", 5, 0}, {"attention.self.query.bias", 6, 1},
        {"attention.self.key.weight", 7, 0}, {"attention.self.key.bias", 8, 1},
        {"attention.self.value.weight", 9, 0}, {"attention.self.value.bias", 10, 1},
        {"attention.output.dense.weight", 11, 0}, {"attention.output.dense.bias", 12, 1},
        {"attention.output.LayerNorm.weight", 13, 1}, {"attention.output.LayerNorm.bias", 14, 1},
        {"intermediate.dense.weight", 15, 2}, {"intermediate.dense.bias", 16, 3},
        {"output.dense.weight", 17, 4}, {"output.dense.bias", 18, 1},
        {"output.LayerNorm.weight", 19, 1}, {"output.LayerNorm.bias", 20, 1},
    };
    for (size_t l = 0; l < c->n_layers; l++)
        for (size_t i = 0; i < sizeof layer_names / sizeof layer_names[0]; i++) {
            snprintf(nm, sizeof nm, "bert.encoder.layer.%zu.%s", l, layer_names[i].suffix);
            switch (layer_names[i].kind) {
            case 0: add_name(t, &n, nm, layer_names[i].tensor, l * H * H, 2, H, H); break;
            case 1: add_name(t, &n, nm, layer_names[i].tensor, l * H, 1, H, 0); break;
            case 2: add_name(t, &n, nm, layer_names[i].tensor, l * F * H, 2, F, H); break;
            case 3: add_name(t, &n, nm, layer_names[i].tensor, l * F, 1, F, 0); break;
            default: add_name(t, &n, nm, layer_names[i].tensor, l * H * F, 2, H, F); break;
            }
        }
    add_name(t, &n, "classifier.weight", 21, 0, 2, C, H);
    add_name(t, &n, "classifier.bias", 22, 0, 1, C, 0);
    if (m->param_sizes[23] > 0) {
        add_name(t, &n, "ptc.combination_tokens", 23, 0, 2, c->variant.n_comb, H);
        static const char *const tcm[12] = {
            "ptc.combine.ln_c.weight", "ptc.combine.ln_c.bias", "ptc.combine.ln_e.weight",
            "ptc.combine.ln_e.bias", "ptc.combine.query.weight", "ptc.combine.query.bias",
            "ptc.combine.key.weight", "ptc.combine.key.bias", "ptc.combine.value.weight",
            "ptc.combine.value.bias", "ptc.combine.output.weight", "ptc.combine.output.bias"};
        for (size_t i = 0; i < 12; i++) {
            const bool matrix = i >= 4 && i % 2 == 0;
            add_name(t, &n, tcm[i], 24 + i, 0, matrix ? 2 : 1, H, matrix ? H : 0);
        }
    }
    return n;
}

static size_t named_count(const named_tensor *t)
{
    size_t n = 1;
    for (size_t i = 0; i < t->ndim; i++)
        n *= t->shape[i];
    return n;
}

/* ---- reading the header ------------------------------------------------------------------ */
/* the most elements of a tensor: its byte count (8 bytes at most each) fits in 64 bits */
#define PTC_ST_MAX_ELEMENTS ((uint64_t)1 << 60)

static size_t dtype_bytes(const char *dtype)
{
    static const struct { const char *name; size_t bytes; } types[] = {
        {"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8}, {"I32", 4}, {"I16", 2},
        {"I8", 1}, {"U64", 8}, {"U32", 4}, {"U16", 2}, {"U8", 1}, {"BOOL", 1},
        {"F8_E4M3", 1}, {"F8_E5M2", 1}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dtype, types[i].name) == 0)
            return types[i].bytes;
    return 0;
}

static int cmp_begin(const void *a, const void *b)
{
    const ptc_st_entry *x = *(const ptc_st_entry *const *)a, *y = *(const ptc_st_entry *const *)b;
    return (x->begin > y->begin) - (x->begin < y->begin);
}

void ptc_st_close(ptc_st_file *f)
{
    if (!f)
        return;
    if (f->fp)
        fclose(f->fp);
    free(f->entries);
    if (f->root)
        json_decref((json_t *)f->root);
    memset(f, 0, sizeof *f);
}

/* formats the message first: it may quote names inside the header */
#define ST_FAIL(...)                                   \
    do {                                               \
        ptc_model_fail(err, err_len, __VA_ARGS__);     \
        ptc_st_close(f);                               \
        return PTC_EINVAL;                             \
    } while (0)

int ptc_st_open(const char *path, ptc_st_file *f, char *err, size_t err_len)
{
    memset(f, 0, sizeof *f);
    f->fp = fopen(path, "rb");
    if (!f->fp)
        return ptc_model_fail(err, err_len, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f->fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        ST_FAIL("%s: not a regular file (a checkpoint is a .safetensors file)", path);
    }
    if (fseeko(f->fp, 0, SEEK_END) != 0) {
        ST_FAIL("%s: cannot seek", path);
    }
    const off_t size = ftello(f->fp);
    f->file_size = size < 0 ? 0 : (uint64_t)size;
    rewind(f->fp);
    unsigned char len8[8];
    if (f->file_size < 8 || fread(len8, 1, 8, f->fp) != 8) {
        ST_FAIL("%s: truncated: %llu bytes, no 8-byte header length", path,
                              (unsigned long long)size);
    }
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = (n << 8) | len8[i];
    if (n > f->file_size - 8 || n > ((uint64_t)1 << 30)) {
        ST_FAIL("%s: bad header length %llu (file has %llu bytes)", path,
                              (unsigned long long)n, (unsigned long long)f->file_size);
    }
    char *hdr = malloc(n ? n : 1);
    if (!hdr || fread(hdr, 1, n, f->fp) != n) {
        free(hdr);
        ST_FAIL("%s: cannot read the %llu-byte header", path,
                              (unsigned long long)n);
    }
    json_error_t jerr;
    json_t *root = json_loadb(hdr, n, JSON_REJECT_DUPLICATES, &jerr);
    free(hdr);
    if (!root || !json_is_object(root)) {
        if (root)
            json_decref(root);
        ST_FAIL("%s: header is not a JSON object (%s, column %d)", path,
                              root ? "not an object" : jerr.text, jerr.column);
    }
    f->root = root;
    f->data_start = 8 + n;
    const uint64_t data_size = f->file_size - f->data_start;
    f->entries = calloc(json_object_size(root) + 1, sizeof *f->entries);
    if (!f->entries) {
        ST_FAIL("%s: out of memory", path);
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        if (strcmp(key, "__metadata__") == 0) {
            if (!json_is_object(val)) {
                ST_FAIL("%s: __metadata__ is not an object", path);
            }
            const char *mk;
            json_t *mv;
            json_object_foreach(val, mk, mv) {
                if (!json_is_string(mv)) {
                    ST_FAIL("%s: __metadata__ value of \"%s\" is not a "
                                          "string", path, mk);
                }
            }
            f->metadata = val;
            continue;
        }
        ptc_st_entry *e = &f->entries[f->n];
        e->name = key;
        json_t *dt = json_object_get(val, "dtype"), *sh = json_object_get(val, "shape");
        json_t *off = json_object_get(val, "data_offsets");
        if (!json_is_object(val) || !json_is_string(dt) || !json_is_array(sh) || !json_is_array(off) ||
            json_array_size(off) != 2 || json_array_size(sh) > PTC_ST_MAX_DIMS) {
            ST_FAIL("%s: tensor %s: malformed entry (dtype, shape, "
                                  "data_offsets)", path, key);
        }
        e->dtype = json_string_value(dt);
        e->ndim = json_array_size(sh);
        uint64_t count = 1;
        for (size_t i = 0; i < e->ndim; i++) {
            json_t *d = json_array_get(sh, i);
            if (!json_is_integer(d) || json_integer_value(d) < 0) {
                ST_FAIL("%s: tensor %s: shape entry %zu is not a "
                                      "non-negative integer", path, key, i);
            }
            e->shape[i] = (uint64_t)json_integer_value(d);
            if (__builtin_mul_overflow(count, e->shape[i], &count) || count > PTC_ST_MAX_ELEMENTS) {
                ST_FAIL("%s: tensor %s: shape has more than 2^60 elements", path, key);
            }
        }
        json_t *b0 = json_array_get(off, 0), *b1 = json_array_get(off, 1);
        if (!json_is_integer(b0) || !json_is_integer(b1) || json_integer_value(b0) < 0 ||
            json_integer_value(b1) < json_integer_value(b0)) {
            ST_FAIL("%s: tensor %s: bad data_offsets", path, key);
        }
        e->begin = (uint64_t)json_integer_value(b0);
        e->end = (uint64_t)json_integer_value(b1);
        if (e->end > data_size) {
            ST_FAIL("%s: tensor %s: data_offsets [%llu, %llu) past the "
                                  "end of the data (%llu bytes; truncated file?)", path, key,
                                  (unsigned long long)e->begin, (unsigned long long)e->end,
                                  (unsigned long long)data_size);
        }
        const size_t eb = dtype_bytes(e->dtype);
        if (eb && e->end - e->begin != count * eb) {
            ST_FAIL("%s: tensor %s: data_offsets span %llu bytes, "
                                  "dtype %s and its shape need %llu", path, key,
                                  (unsigned long long)(e->end - e->begin), e->dtype,
                                  (unsigned long long)(count * eb));
        }
        f->n++;
    }
    /* overlapping spans */
    ptc_st_entry **order = malloc((f->n + 1) * sizeof *order);
    if (!order) {
        ST_FAIL("%s: out of memory", path);
    }
    for (size_t i = 0; i < f->n; i++)
        order[i] = &f->entries[i];
    qsort(order, f->n, sizeof *order, cmp_begin);
    for (size_t i = 1; i < f->n; i++)
        if (order[i]->begin < order[i - 1]->end && order[i]->end > order[i]->begin) {
            const int rc = ptc_model_fail(err, err_len, "%s: tensors %s and %s overlap in the data",
                                          path, order[i - 1]->name, order[i]->name);
            free(order);
            ptc_st_close(f);
            return rc;
        }
    free(order);
    return PTC_OK;
}

const ptc_st_entry *ptc_st_find(const ptc_st_file *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->entries[i].name, name) == 0)
            return &f->entries[i];
    return NULL;
}

const char *ptc_st_meta(const ptc_st_file *f, const char *key)
{
    if (!f->metadata)
        return NULL;
    json_t *v = json_object_get((json_t *)f->metadata, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static float half_to_float(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: value man * 2^-24 */
            const float v = (float)man * 5.9604644775390625e-8f;
            return sign ? -v : v;
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* Reads `count` values of entry e (F32, F16 or BF16) as floats into dst;
 * refuses non-finite values. */
int ptc_st_read_f32(const ptc_st_file *f, const ptc_st_entry *e, float *dst, size_t count,
                    char *err, size_t err_len)
{
    const size_t eb = dtype_bytes(e->dtype);
    const bool f32 = strcmp(e->dtype, "F32") == 0, f16 = strcmp(e->dtype, "F16") == 0;
    const bool bf16 = strcmp(e->dtype, "BF16") == 0;
    if (!f32 && !f16 && !bf16)
        return ptc_model_fail(err, err_len, "tensor %s: dtype %s not supported (F32, F16, BF16)",
                              e->name, e->dtype);
    if (e->end - e->begin != (uint64_t)count * eb)
        return ptc_model_fail(err, err_len, "tensor %s: %llu bytes, %zu values expected", e->name,
                              (unsigned long long)(e->end - e->begin), count);
    if (fseeko(f->fp, (off_t)(f->data_start + e->begin), SEEK_SET) != 0)
        return ptc_model_fail(err, err_len, "tensor %s: cannot seek (truncated file?)", e->name);
    if (f32) {
        if (fread(dst, 4, count, f->fp) != count)
            return ptc_model_fail(err, err_len, "tensor %s: truncated file", e->name);
    } else {
        uint16_t buf[1024];
        for (size_t done = 0; done < count;) {
            const size_t k = count - done < 1024 ? count - done : 1024;
            if (fread(buf, 2, k, f->fp) != k)
                return ptc_model_fail(err, err_len, "tensor %s: truncated file", e->name);
            for (size_t i = 0; i < k; i++) {
                if (bf16) {
                    const uint32_t bits = (uint32_t)buf[i] << 16;
                    memcpy(&dst[done + i], &bits, sizeof bits);
                } else {
                    dst[done + i] = half_to_float(buf[i]);
                }
            }
            done += k;
        }
    }
    for (size_t i = 0; i < count; i++)
        if (!isfinite(dst[i]))
            return ptc_model_fail(err, err_len, "tensor %s: non-finite value %g at index %zu",
                                  e->name, (double)dst[i], i);
    return PTC_OK;
}

/* ---- config in the metadata / config.json --------------------------------------------------- */
static json_t *config_metadata(const ptc_model_config *c)
{
    json_t *md = json_object();
    char v[64];
#define PUT_SIZE(key, val) (snprintf(v, sizeof v, "%zu", (size_t)(val)), json_object_set_new(md, "ptc." key, json_string(v)))
#define PUT_REAL(key, val) (snprintf(v, sizeof v, "%.17g", (double)(val)), json_object_set_new(md, "ptc." key, json_string(v)))
    json_object_set_new(md, "format", json_string("pt"));
    PUT_SIZE("vocab_size", c->vocab_size);
    PUT_SIZE("hidden", c->hidden);
    PUT_SIZE("n_layers", c->n_layers);
    PUT_SIZE("n_heads", c->n_heads);
    PUT_SIZE("ffn", c->ffn);
    PUT_SIZE("max_positions", c->max_positions);
    PUT_SIZE("type_vocab", c->type_vocab);
    PUT_SIZE("n_classes", c->n_classes);
    PUT_REAL("dropout", c->dropout);
    PUT_REAL("ln_eps", c->ln_eps);
    PUT_REAL("init_std", c->init_std);
    const ptc_variant_config *vc = &c->variant;
    PUT_SIZE("variant", vc->variant);
    json_object_set_new(md, "ptc.variant_name", json_string(ptc_variant_name(vc)));
    PUT_SIZE("n_comb", vc->n_comb);
    PUT_SIZE("combine_layer", vc->combine_layer);
    PUT_SIZE("combine_replaces", vc->combine_replaces);
    PUT_SIZE("prune_first", vc->prune_first);
    json_object_set_new(md, "ptc.prune_rule", json_string((unsigned)vc->prune.rule < 3 ?
                                                          ptc_rule_names[vc->prune.rule] : "clamp"));
    PUT_REAL("prune_p", vc->prune.p);
    PUT_REAL("alpha_important", vc->prune.alpha_important);
    PUT_REAL("alpha_unimportant", vc->prune.alpha_unimportant);
    PUT_REAL("q_low", vc->prune.q_low);
    PUT_REAL("q_high", vc->prune.q_high);
    PUT_SIZE("quantile_scope", vc->prune.scope);
    PUT_SIZE("protect_cls", vc->prune.protect_cls);
    PUT_SIZE("protect_sep", vc->prune.protect_sep);
    PUT_SIZE("pad_mode", vc->pad_mode);
    PUT_SIZE("project_kept", vc->mhsa.project_kept);
#undef PUT_SIZE
#undef PUT_REAL
    return md;
}

static int meta_size(const ptc_st_file *f, const char *key, size_t *out, char *err, size_t err_len)
{
    char full[64];
    snprintf(full, sizeof full, "ptc.%s", key);
    const char *s = ptc_st_meta(f, full);
    if (!s)
        return ptc_model_fail(err, err_len, "metadata: %s missing", full);
    char *end;
    errno = 0;
    const unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return ptc_model_fail(err, err_len, "metadata: %s = \"%s\" is not a count", full, s);
    *out = (size_t)v;
    return PTC_OK;
}

static int meta_real(const ptc_st_file *f, const char *key, double *out, char *err, size_t err_len)
{
    char full[64];
    snprintf(full, sizeof full, "ptc.%s", key);
    const char *s = ptc_st_meta(f, full);
    if (!s)
        return ptc_model_fail(err, err_len, "metadata: %s missing", full);
    char *end;
    const double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v))
        return ptc_model_fail(err, err_len, "metadata: %s = \"%s\" is not a number", full, s);
    *out = v;
    return PTC_OK;
}

static int config_from_metadata(const ptc_st_file *f, ptc_model_config *c, char *err, size_t err_len)
{
    size_t variant = 0, flag = 0;
    double r = 0.0;
    ptc_model_config_preset(c, "bert-base", PTC_VARIANT_BASELINE, NULL, 0);
    int rc = PTC_OK;
    rc |= meta_size(f, "vocab_size", &c->vocab_size, err, err_len);
    rc |= meta_size(f, "hidden", &c->hidden, err, err_len);
    rc |= meta_size(f, "n_layers", &c->n_layers, err, err_len);
    rc |= meta_size(f, "n_heads", &c->n_heads, err, err_len);
    rc |= meta_size(f, "ffn", &c->ffn, err, err_len);
    rc |= meta_size(f, "max_positions", &c->max_positions, err, err_len);
    rc |= meta_size(f, "type_vocab", &c->type_vocab, err, err_len);
    rc |= meta_size(f, "n_classes", &c->n_classes, err, err_len);
    rc |= meta_real(f, "dropout", &r, err, err_len);
    c->dropout = (float)r;
    rc |= meta_real(f, "ln_eps", &r, err, err_len);
    c->ln_eps = (float)r;
    rc |= meta_real(f, "init_std", &r, err, err_len);
    c->init_std = (float)r;
    rc |= meta_size(f, "variant", &variant, err, err_len);
    if (rc != PTC_OK)
        return PTC_EINVAL;
    if (variant > PTC_VARIANT_PRUNE_COMBINE)
        return ptc_model_fail(err, err_len, "metadata: ptc.variant = %zu unknown", variant);
    ptc_variant_config *v = &c->variant;
    ptc_variant_config_default(v, (ptc_variant)variant);
    rc |= meta_size(f, "n_comb", &v->n_comb, err, err_len);
    rc |= meta_size(f, "combine_layer", &v->combine_layer, err, err_len);
    rc |= meta_size(f, "combine_replaces", &flag, err, err_len);
    v->combine_replaces = flag != 0;
    rc |= meta_size(f, "prune_first", &v->prune_first, err, err_len);
    const char *rule = ptc_st_meta(f, "ptc.prune_rule");
    v->prune.rule = PTC_PRUNE_CLAMP;
    for (int i = 0; rule && i < 3; i++)
        if (strcmp(rule, ptc_rule_names[i]) == 0)
            v->prune.rule = (ptc_prune_rule)i;
    rc |= meta_real(f, "prune_p", &v->prune.p, err, err_len);
    rc |= meta_real(f, "alpha_important", &v->prune.alpha_important, err, err_len);
    rc |= meta_real(f, "alpha_unimportant", &v->prune.alpha_unimportant, err, err_len);
    rc |= meta_real(f, "q_low", &v->prune.q_low, err, err_len);
    rc |= meta_real(f, "q_high", &v->prune.q_high, err, err_len);
    rc |= meta_size(f, "quantile_scope", &flag, err, err_len);
    v->prune.scope = (ptc_quantile_scope)flag;
    rc |= meta_size(f, "protect_cls", &flag, err, err_len);
    v->prune.protect_cls = flag != 0;
    rc |= meta_size(f, "protect_sep", &flag, err, err_len);
    v->prune.protect_sep = flag != 0;
    rc |= meta_size(f, "pad_mode", &flag, err, err_len);
    v->pad_mode = (ptc_pad_mode)flag;
    rc |= meta_size(f, "project_kept", &flag, err, err_len);
    v->mhsa.project_kept = flag != 0;
    ptc_model_config_sync(c);
    return rc == PTC_OK ? PTC_OK : PTC_EINVAL;
}

static int json_count(json_t *o, const char *key, size_t *out, bool required, const char *path,
                      char *err, size_t err_len)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return required ? ptc_model_fail(err, err_len, "%s: \"%s\" missing", path, key) : PTC_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return ptc_model_fail(err, err_len, "%s: \"%s\" is not a non-negative integer", path, key);
    *out = (size_t)json_integer_value(v);
    return PTC_OK;
}

static int config_from_json(const char *path, ptc_variant variant, ptc_model_config *c, char *err,
                            size_t err_len)
{
    json_error_t jerr;
    json_t *o = json_load_file(path, 0, &jerr);
    if (!o || !json_is_object(o)) {
        if (o)
            json_decref(o);
        return ptc_model_fail(err, err_len, "%s: %s (line %d)", path, o ? "not an object" : jerr.text,
                              jerr.line);
    }
    ptc_model_config_preset(c, "bert-base", variant, NULL, 0);
    int rc = PTC_OK;
    rc |= json_count(o, "hidden_size", &c->hidden, true, path, err, err_len);
    rc |= json_count(o, "num_hidden_layers", &c->n_layers, true, path, err, err_len);
    rc |= json_count(o, "num_attention_heads", &c->n_heads, true, path, err, err_len);
    rc |= json_count(o, "intermediate_size", &c->ffn, true, path, err, err_len);
    rc |= json_count(o, "vocab_size", &c->vocab_size, true, path, err, err_len);
    rc |= json_count(o, "max_position_embeddings", &c->max_positions, false, path, err, err_len);
    rc |= json_count(o, "type_vocab_size", &c->type_vocab, false, path, err, err_len);
    rc |= json_count(o, "num_labels", &c->n_classes, false, path, err, err_len);
    json_t *id2label = json_object_get(o, "id2label");
    if (json_is_object(id2label) && json_object_size(id2label) > 0)
        c->n_classes = json_object_size(id2label);
    json_t *eps = json_object_get(o, "layer_norm_eps");
    if (json_is_number(eps))
        c->ln_eps = (float)json_number_value(eps);
    json_t *drop = json_object_get(o, "hidden_dropout_prob");
    if (json_is_number(drop))
        c->dropout = (float)json_number_value(drop);
    json_t *act = json_object_get(o, "hidden_act");
    if (json_is_string(act) && strcmp(json_string_value(act), "gelu") != 0)
        rc |= ptc_model_fail(err, err_len, "%s: hidden_act \"%s\" not supported (gelu)", path,
                             json_string_value(act));
    json_decref(o);
    if (rc != PTC_OK)
        return PTC_EINVAL;
    if (c->variant.combine_layer > c->n_layers)
        c->variant.combine_layer = c->n_layers;
    ptc_model_config_sync(c);
    return PTC_OK;
}

int ptc_checkpoint_config(const char *path, ptc_variant variant, ptc_model_config *cfg,
                          ptc_load_report *rep, char *err, size_t err_len)
{
    ptc_st_file f;
    if (ptc_st_open(path, &f, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    int rc;
    if (rep)
        rep->config_from_metadata = rep->config_from_json = false;
    if (ptc_st_meta(&f, "ptc.hidden")) {
        rc = config_from_metadata(&f, cfg, err, err_len);
        if (rc == PTC_OK && rep)
            rep->config_from_metadata = true;
    } else {
        char dir[4096], json_path[4200];
        snprintf(dir, sizeof dir, "%s", path);
        snprintf(json_path, sizeof json_path, "%s/config.json", dirname(dir));
        if (access(json_path, R_OK) != 0) {
            rc = ptc_model_fail(err, err_len, "%s: no ptc metadata and no readable %s", path, json_path);
        } else {
            rc = config_from_json(json_path, variant, cfg, err, err_len);
            if (rc == PTC_OK && rep)
                rep->config_from_json = true;
        }
    }
    ptc_st_close(&f);
    if (rc != PTC_OK)
        return PTC_EINVAL;
    char sub[200];
    if (ptc_model_config_check(cfg, sub, sizeof sub) != PTC_OK)
        return ptc_model_fail(err, err_len, "%s: config: %s", path, sub);
    return PTC_OK;
}

/* ---- loading ---------------------------------------------------------------------------------- */
static const ptc_st_entry *find_tensor(const ptc_st_file *f, const char *name)
{
    const ptc_st_entry *e = ptc_st_find(f, name);
    if (!e && strncmp(name, "bert.", 5) == 0)
        e = ptc_st_find(f, name + 5); /* BertModel saves without the prefix */
    if (!e) { /* TF-era names: LayerNorm.gamma / LayerNorm.beta */
        char alt[112];
        const char *ln = strstr(name, "LayerNorm.");
        if (ln) {
            const char *what = ln + 10;
            const char *repl = strcmp(what, "weight") == 0 ? "gamma" : strcmp(what, "bias") == 0 ? "beta" : NULL;
            if (repl) {
                snprintf(alt, sizeof alt, "%.*s%s", (int)(what - name), name, repl);
                e = ptc_st_find(f, alt);
                if (!e && strncmp(alt, "bert.", 5) == 0)
                    e = ptc_st_find(f, alt + 5);
            }
        }
    }
    return e;
}

int ptc_model_load_tensors(ptc_model *m, const char *path, ptc_load_report *rep, char *err,
                           size_t err_len)
{
    ptc_load_report local;
    if (!rep) {
        memset(&local, 0, sizeof local);
        rep = &local;
    }
    const bool from_md = rep->config_from_metadata, from_json = rep->config_from_json;
    memset(rep, 0, sizeof *rep);
    rep->config_from_metadata = from_md;
    rep->config_from_json = from_json;
    if (!m || !m->params_memory)
        return ptc_model_fail(err, err_len, "load: model not initialised");
    ptc_st_file f;
    if (ptc_st_open(path, &f, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    named_tensor *names = malloc((32 + 16 * m->cfg.n_layers) * sizeof *names);
    bool *used = calloc(f.n + 1, sizeof *used);
    int rc = PTC_OK;
    if (!names || !used) {
        rc = ptc_model_fail(err, err_len, "load: out of memory");
        goto done;
    }
    const size_t n_names = ptc_model_named_tensors(m, names);
    for (size_t i = 0; i < n_names && rc == PTC_OK; i++) {
        const named_tensor *t = &names[i];
        const ptc_st_entry *e = find_tensor(&f, t->name);
        if (!e) {
            if (rep->n_missing < 64)
                snprintf(rep->missing[rep->n_missing], sizeof rep->missing[0], "%s", t->name);
            rep->n_missing++;
            continue;
        }
        used[e - f.entries] = true;
        bool same = e->ndim == t->ndim;
        for (size_t k = 0; same && k < t->ndim; k++)
            same = e->shape[k] == t->shape[k];
        if (!same) {
            char got[96] = "", want[96] = "";
            for (size_t k = 0; k < e->ndim; k++)
                snprintf(got + strlen(got), sizeof got - strlen(got), "%s%llu", k ? ", " : "",
                         (unsigned long long)e->shape[k]);
            for (size_t k = 0; k < t->ndim; k++)
                snprintf(want + strlen(want), sizeof want - strlen(want), "%s%llu", k ? ", " : "",
                         (unsigned long long)t->shape[k]);
            rc = ptc_model_fail(err, err_len, "%s: tensor %s: shape [%s] in the file, [%s] expected",
                                path, e->name, got, want);
            break;
        }
        float *dst = ((float **)&m->params)[t->tensor] + t->offset;
        char sub[256];
        if (ptc_st_read_f32(&f, e, dst, named_count(t), sub, sizeof sub) != PTC_OK) {
            rc = ptc_model_fail(err, err_len, "%s: %s", path, sub);
            break;
        }
        rep->n_loaded++;
    }
    for (size_t i = 0; rc == PTC_OK && i < f.n; i++)
        if (!used[i]) {
            if (rep->n_ignored < 64)
                snprintf(rep->ignored[rep->n_ignored], sizeof rep->ignored[0], "%s", f.entries[i].name);
            rep->n_ignored++;
        }
done:
    free(names);
    free(used);
    ptc_st_close(&f);
    return rc;
}

int ptc_model_load(ptc_model *m, const char *path, ptc_variant variant, const ptc_ops *ops,
                   uint64_t seed, ptc_load_report *rep, char *err, size_t err_len)
{
    ptc_load_report local;
    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof *rep);
    ptc_model_config cfg;
    if (ptc_checkpoint_config(path, variant, &cfg, rep, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    if (ptc_model_init(m, &cfg, ops, seed, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    if (ptc_model_load_tensors(m, path, rep, err, err_len) != PTC_OK) {
        ptc_model_free(m);
        return PTC_EINVAL;
    }
    return PTC_OK;
}

/* ---- saving ------------------------------------------------------------------------------------- */
int ptc_model_save(const ptc_model *m, const char *path, char *err, size_t err_len)
{
    if (!m || !m->params_memory || !path)
        return ptc_model_fail(err, err_len, "save: NULL model or path");
    named_tensor *names = malloc((32 + 16 * m->cfg.n_layers) * sizeof *names);
    if (!names)
        return ptc_model_fail(err, err_len, "save: out of memory");
    const size_t n_names = ptc_model_named_tensors(m, names);
    json_t *root = json_object();
    json_object_set_new(root, "__metadata__", config_metadata(&m->cfg));
    uint64_t off = 0;
    for (size_t i = 0; i < n_names; i++) {
        const uint64_t bytes = (uint64_t)named_count(&names[i]) * 4;
        json_t *shape = json_array();
        for (size_t k = 0; k < names[i].ndim; k++)
            json_array_append_new(shape, json_integer((json_int_t)names[i].shape[k]));
        json_t *offs = json_array();
        json_array_append_new(offs, json_integer((json_int_t)off));
        json_array_append_new(offs, json_integer((json_int_t)(off + bytes)));
        json_t *t = json_object();
        json_object_set_new(t, "dtype", json_string("F32"));
        json_object_set_new(t, "shape", shape);
        json_object_set_new(t, "data_offsets", offs);
        json_object_set_new(root, names[i].name, t);
        off += bytes;
    }
    char *hdr = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!hdr) {
        free(names);
        return ptc_model_fail(err, err_len, "save: cannot format the header");
    }
    size_t hlen = strlen(hdr);
    const size_t padded = (hlen + 7) & ~(size_t)7; /* spaces up to a multiple of 8, as the format allows */

    char dir[4096], tmp[4200];
    snprintf(dir, sizeof dir, "%s", path);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp.XXXXXX", dirname(dir), "ptc-save");
    int fd = mkstemp(tmp);
    if (fd < 0) {
        free(hdr);
        free(names);
        return ptc_model_fail(err, err_len, "save: cannot create a temporary file beside %s: %s", path,
                              strerror(errno));
    }
    fchmod(fd, 0644);
    FILE *fp = fdopen(fd, "wb");
    bool ok = fp != NULL;
    unsigned char len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    ok = ok && fwrite(len8, 1, 8, fp) == 8 && fwrite(hdr, 1, hlen, fp) == hlen;
    for (size_t i = hlen; ok && i < padded; i++)
        ok = fputc(' ', fp) != EOF;
    for (size_t i = 0; ok && i < n_names; i++) {
        const float *src = ((float *const *)&m->params)[names[i].tensor] + names[i].offset;
        const size_t count = named_count(&names[i]);
        ok = fwrite(src, 4, count, fp) == count;
    }
    ok = ok && fflush(fp) == 0 && fsync(fileno(fp)) == 0;
    const int saved_errno = errno;
    if (fp)
        ok = (fclose(fp) == 0) && ok;
    else
        close(fd);
    free(hdr);
    free(names);
    if (!ok) {
        unlink(tmp);
        return ptc_model_fail(err, err_len, "save: writing %s failed: %s", tmp, strerror(saved_errno));
    }
    if (rename(tmp, path) != 0) {
        const int e = errno;
        unlink(tmp);
        return ptc_model_fail(err, err_len, "save: rename to %s failed: %s", path, strerror(e));
    }
    snprintf(dir, sizeof dir, "%s", path);
    const int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return PTC_OK;
}

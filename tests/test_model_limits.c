/*
 * tests/test_model_limits.c — sizes that come from input: a config or a
 * checkpoint header with huge dimensions is refused with a message, never
 * multiplied into a wrapped count and a short allocation.
 *
 *   model_limits_config       hidden 2^62 (the crash), 10^12 (the wrapped
 *                             count), ffn / positions / classes past their caps:
 *                             refused, the message quotes the value as given;
 *                             ptc_param_sizes says SIZE_MAX on overflow;
 *                             ptc_model_init refuses without allocating.
 *   model_limits_checkpoint   config.json with hidden_size 2^62 beside a
 *                             header-only safetensors file: ptc_checkpoint_config
 *                             refuses; a header whose shape product overflows;
 *                             a directory given as a checkpoint.
 */
#include "test_model_util.h"
#include "../model/internal.h" /* ptc_st_open: the header reader */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

PTC_TEST(model_limits_config)
{
    char err[256];
    ptc_model_config cfg;
    ptc_model_config_preset(&cfg, "bert-tiny", PTC_VARIANT_BASELINE, NULL, 0);
    cfg.hidden = (size_t)1 << 62;
    cfg.n_heads = 2;
    cfg.n_layers = 1;
    cfg.ffn = 16;
    ptc_model_config_sync(&cfg);
    err[0] = '\0';
    ptc_check(ctx, ptc_model_config_check(&cfg, err, sizeof err) != PTC_OK &&
                   strstr(err, "hidden = 4611686018427387904"), "hidden 2^62: \"%s\"", err);
    size_t sizes[PTC_NUM_PARAM_TENSORS];
    ptc_check(ctx, ptc_param_sizes(&cfg, sizes) == SIZE_MAX, "2^62 x 30522: SIZE_MAX, got %zu",
              ptc_param_sizes(&cfg, sizes));
    ptc_model m;
    err[0] = '\0';
    ptc_check(ctx, ptc_model_init(&m, &cfg, ctx->ref, 1, err, sizeof err) != PTC_OK &&
                   m.params_memory == NULL, "init of hidden 2^62 refused: \"%s\"", err);

    cfg.hidden = 1000000000000ULL;
    ptc_model_config_sync(&cfg);
    err[0] = '\0';
    ptc_check(ctx, ptc_model_config_check(&cfg, err, sizeof err) != PTC_OK &&
                   strstr(err, "1000000000000"), "hidden 10^12: \"%s\"", err);

    /* each dimension alone past its cap */
    for (int i = 0; i < 5; i++) {
        ptc_model_config_preset(&cfg, "bert-tiny", PTC_VARIANT_BASELINE, NULL, 0);
        const char *needle = NULL;
        switch (i) {
        case 0: cfg.ffn = (size_t)1 << 40; needle = "ffn"; break;
        case 1: cfg.max_positions = (size_t)1 << 40; needle = "max_positions"; break;
        case 2: cfg.n_classes = (size_t)1 << 40; needle = "n_classes"; break;
        case 3: cfg.type_vocab = (size_t)1 << 40; needle = "type_vocab"; break;
        default: /* every dimension inside its cap, the product past 2^34 parameters */
            cfg.vocab_size = INT32_MAX;
            cfg.hidden = 1024;
            cfg.n_heads = 16;
            needle = "parameters";
            break;
        }
        ptc_model_config_sync(&cfg);
        err[0] = '\0';
        ptc_check(ctx, ptc_model_config_check(&cfg, err, sizeof err) != PTC_OK && strstr(err, needle),
                  "cap %s: \"%s\"", needle, err);
    }
}

static void write_file(const char *path, const void *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(buf, 1, n, f);
        fclose(f);
    }
}

/* a safetensors file whose header is json (no data) */
static void write_header_only(const char *path, const char *json)
{
    const size_t n = strlen(json);
    unsigned char buf[1024];
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)((uint64_t)n >> (8 * i));
    memcpy(buf + 8, json, n);
    write_file(path, buf, 8 + n);
}

PTC_TEST(model_limits_checkpoint)
{
    char dir[] = "/tmp/ptc-limits-XXXXXX", path[128], json[128], err[512];
    if (!ptc_check(ctx, mkdtemp(dir) != NULL, "mkdtemp"))
        return;
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    snprintf(json, sizeof json, "%s/config.json", dir);
    write_header_only(path, "{}");
    const char *cfg_json = "{\"hidden_size\": 4611686018427387904, \"num_hidden_layers\": 1, "
                           "\"num_attention_heads\": 2, \"intermediate_size\": 16, "
                           "\"vocab_size\": 30522}";
    write_file(json, cfg_json, strlen(cfg_json));
    ptc_model_config cfg;
    err[0] = '\0';
    ptc_check(ctx, ptc_checkpoint_config(path, PTC_VARIANT_BASELINE, &cfg, NULL, err, sizeof err) !=
                       PTC_OK && strstr(err, "hidden"), "config.json hidden 2^62: \"%s\"", err);
    ptc_model m;
    err[0] = '\0';
    ptc_check(ctx, ptc_model_load(&m, path, PTC_VARIANT_BASELINE, ctx->ref, 1, NULL, err, sizeof err) !=
                       PTC_OK, "load with hidden 2^62 refused: \"%s\"", err);

    /* 2^62 x 8 F32 elements: the byte count wraps to 0, the same as the span */
    write_header_only(path, "{\"t\": {\"dtype\": \"F32\", \"shape\": [4611686018427387904, 8], "
                            "\"data_offsets\": [0, 0]}}");
    ptc_st_file f;
    err[0] = '\0';
    ptc_check(ctx, ptc_st_open(path, &f, err, sizeof err) != PTC_OK && strstr(err, "shape"),
              "overflowing shape: \"%s\"", err);

    err[0] = '\0';
    ptc_check(ctx, ptc_st_open(dir, &f, err, sizeof err) != PTC_OK && strstr(err, "not a regular file"),
              "directory as checkpoint: \"%s\"", err);
    unlink(path);
    unlink(json);
    rmdir(dir);
}

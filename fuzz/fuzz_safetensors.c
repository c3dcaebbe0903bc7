/*
 * fuzz/fuzz_safetensors.c — a checkpoint: safetensors header and data, with a
 * config.json beside it. Input: a 2-byte little-endian length L, L bytes of
 * config.json (none when L is 0), then the .safetensors file. The config is
 * read (ptc metadata or config.json) and checked; a model up to 2^20
 * parameters is built and the tensors are loaded into it (larger ones stop
 * after the config: the size checks are what must hold there).
 */
#include "fuzz_util.h"

#include "ptc/model.h"
#include "ptc/ops.h"

enum { MAX_FUZZ_PARAMS = 1 << 20 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > (1 << 20))
        return 0;
    const size_t lj = (size_t)data[0] | (size_t)data[1] << 8;
    if (lj > size - 2)
        return 0;
    const char *json = fuzz_path("config.json");
    if (lj)
        fuzz_write("config.json", data + 2, lj);
    else
        unlink(json);
    char path[512];
    snprintf(path, sizeof path, "%s", fuzz_write("model.safetensors", data + 2 + lj, size - 2 - lj));

    char err[1024];
    ptc_model_config cfg;
    ptc_load_report rep;
    memset(&rep, 0, sizeof rep);
    if (ptc_checkpoint_config(path, PTC_VARIANT_BASELINE, &cfg, &rep, err, sizeof err) != PTC_OK)
        return 0;
    size_t sizes[PTC_NUM_PARAM_TENSORS];
    const size_t n_params = ptc_param_sizes(&cfg, sizes);
    if (n_params == SIZE_MAX || n_params > PTC_MAX_PARAMS)
        abort(); /* ptc_model_config_check lets no such config through */
    if (n_params > MAX_FUZZ_PARAMS)
        return 0;
    ptc_model m;
    if (ptc_model_init(&m, &cfg, ptc_ops_find("ref"), 1, err, sizeof err) != PTC_OK)
        return 0;
    ptc_model_load_tensors(&m, path, &rep, err, sizeof err);
    ptc_model_free(&m);
    return 0;
}

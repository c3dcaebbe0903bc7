/*
 * model/inspect.c — what a safetensors checkpoint holds, read without loading it into
 * a model: file and header size, the config (ptc metadata or the config.json beside
 * the file) and every tensor with dtype, shape and byte range. The command that prints
 * it, `ptc inspect`, is harness/report/inspect.c. Contract: include/ptc/model.h.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

void ptc_checkpoint_info_free(ptc_checkpoint_info *info)
{
    for (size_t i = 0; i < info->n_tensors; i++)
        free(info->tensors[i].name);
    free(info->tensors);
    memset(info, 0, sizeof *info);
}

int ptc_checkpoint_read_info(const char *path, ptc_checkpoint_info *info, char *err, size_t err_len)
{
    memset(info, 0, sizeof *info);
    ptc_st_file f;
    if (ptc_st_open(path, &f, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    if (ptc_checkpoint_config(path, PTC_VARIANT_BASELINE, &info->cfg, &info->rep, err, err_len) != PTC_OK) {
        ptc_st_close(&f);
        return PTC_EINVAL;
    }
    info->file_size = f.file_size;
    info->header_bytes = f.data_start - 8;
    info->tensors = calloc(f.n ? f.n : 1, sizeof *info->tensors);
    if (!info->tensors) {
        ptc_st_close(&f);
        snprintf(err, err_len, "%s: out of memory", path);
        return PTC_EINVAL;
    }
    for (size_t i = 0; i < f.n; i++) {
        const ptc_st_entry *e = &f.entries[i];
        ptc_checkpoint_tensor *t = &info->tensors[i];
        t->name = strdup(e->name);
        if (!t->name) {
            ptc_st_close(&f);
            ptc_checkpoint_info_free(info);
            snprintf(err, err_len, "%s: out of memory", path);
            return PTC_EINVAL;
        }
        info->n_tensors = i + 1;
        snprintf(t->dtype, sizeof t->dtype, "%s", e->dtype);
        t->ndim = e->ndim;
        uint64_t count = 1;
        for (size_t k = 0; k < e->ndim; k++) {
            t->shape[k] = e->shape[k];
            count *= e->shape[k];
        }
        t->begin = e->begin;
        t->end = e->end;
        info->elements += count;
    }
    ptc_st_close(&f);
    return PTC_OK;
}

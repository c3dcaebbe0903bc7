/*
 * model/checkpoint.c — one-unit checkpoints of the training loop, and the log a
 * resume trims (contract: include/ptc/train.h).
 *
 * File state (host byte order):
 *   char magic[8] "PTCSTATE", u32 version (1), u32 header bytes,
 *   u64 next step, u64 adam_t, f64 best validation loss, u64 best epoch (0: none),
 *   u64 n_params, u64 seed, u64 FNV-1a of the parameter slab (ties the state to
 *   model.safetensors), u64 has_moments, then (has_moments) the AdamW m and v slabs.
 */
#include "ptc/sys.h"
#include "ptc/train.h"

#include <dirent.h>
#include <jansson.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char magic[8];
    uint32_t version, header_bytes;
    uint64_t next_step, adam_t;
    double best_loss;
    uint64_t best_epoch, n_params, seed, params_hash, has_moments;
} state_header;

static const char *const LAST = "last", *const PREV = "last.prev", *const TMP = ".last.tmp";

static uint64_t params_hash(const ptc_model *m)
{
    return ptc_fnv1a(m->params_memory, m->n_params * sizeof(float), PTC_FNV_OFFSET);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int fsync_path(const char *path)
{
    const int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    const int rc = fsync(fd);
    close(fd);
    return rc;
}

/* removes a flat folder (a checkpoint, or a save cut short) and what it holds */
static void remove_flat_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char path[4200];
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int write_state(const ptc_model *m, const char *path, const ptc_train_state *s, char *err,
                       size_t err_len)
{
    state_header h = {.magic = "PTCSTATE", .version = 1, .header_bytes = sizeof h};
    h.next_step = s->next_step;
    h.adam_t = m->adam_t;
    h.best_loss = s->best_loss;
    h.best_epoch = s->best_epoch;
    h.n_params = m->n_params;
    h.seed = s->seed;
    h.params_hash = params_hash(m);
    h.has_moments = m->adam_m != NULL;
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(&h, sizeof h, 1, f) == 1;
    if (ok && h.has_moments)
        ok = fwrite(m->adam_m, sizeof(float), m->n_params, f) == m->n_params &&
             fwrite(m->adam_v, sizeof(float), m->n_params, f) == m->n_params;
    if (f) {
        ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
        ok = fclose(f) == 0 && ok;
    }
    if (!ok) {
        snprintf(err, err_len, "%.900s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int ptc_checkpoint_save(const ptc_model *m, const char *run, const ptc_train_state *s, char *err,
                        size_t err_len)
{
    char tmp[4200], last[4200], prev[4200], path[4300];
    snprintf(tmp, sizeof tmp, "%s/%s", run, TMP);
    snprintf(last, sizeof last, "%s/%s", run, LAST);
    snprintf(prev, sizeof prev, "%s/%s", run, PREV);
    remove_flat_dir(tmp); /* a save cut short */
    if (mkdir(tmp, 0777) != 0) {
        snprintf(err, err_len, "%.900s: cannot create: %s", tmp, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof path, "%s/model.safetensors", tmp);
    if (ptc_model_save(m, path, err, err_len) != PTC_OK)
        goto fail;
    snprintf(path, sizeof path, "%s/state", tmp);
    if (write_state(m, path, s, err, err_len) != 0)
        goto fail;
    if (fsync_path(tmp) != 0) {
        snprintf(err, err_len, "%.900s: cannot sync: %s", tmp, strerror(errno));
        goto fail;
    }
    /* without last/, last.prev/ is the newest complete checkpoint: keep it until
     * the new one is in place */
    if (is_dir(last)) {
        remove_flat_dir(prev);
        if (rename(last, prev) != 0 || fsync_path(run) != 0) {
            snprintf(err, err_len, "%.900s: cannot rename to %s: %s", last, PREV, strerror(errno));
            goto fail;
        }
    }
    if (rename(tmp, last) != 0 || fsync_path(run) != 0) {
        snprintf(err, err_len, "%.900s: cannot rename to %s: %s", tmp, LAST, strerror(errno));
        goto fail;
    }
    remove_flat_dir(prev);
    return 0;
fail:
    remove_flat_dir(tmp);
    return -1;
}

bool ptc_checkpoint_exists(const char *run)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", run, LAST);
    if (is_dir(path))
        return true;
    snprintf(path, sizeof path, "%s/%s", run, PREV);
    if (is_dir(path))
        return true;
    snprintf(path, sizeof path, "%s/last.state", run);
    return access(path, R_OK) == 0;
}

/* the header fields a run of total_steps steps and epochs epochs can have */
static const char *implausible(const state_header *h, size_t total_steps, size_t epochs)
{
    if (h->next_step > total_steps)
        return "its next step lies past the run's last";
    if (h->adam_t != h->next_step)
        return "its optimiser step differs from its training step";
    if (h->best_epoch > epochs || isnan(h->best_loss) || (h->best_epoch == 0) != isinf(h->best_loss))
        return "bad best epoch or loss";
    if (h->has_moments > 1 || (h->has_moments == 0) != (h->adam_t == 0))
        return "bad moments flag";
    return NULL;
}

static int load_pair(ptc_model *m, const char *model_path, const char *state_path, size_t total_steps,
                     size_t epochs, ptc_train_state *s, char *err, size_t err_len)
{
    ptc_load_report rep;
    memset(&rep, 0, sizeof rep); /* ptc_model_load_tensors keeps its config_from_* flags */
    if (ptc_model_load_tensors(m, model_path, &rep, err, err_len) != PTC_OK)
        return -1;
    if (rep.n_missing) {
        snprintf(err, err_len, "%.700s: lacks %zu tensors of this model (first: %.96s): config mismatch",
                 model_path, rep.n_missing, rep.missing[0]);
        return -1;
    }
    FILE *f = fopen(state_path, "rb");
    if (!f) {
        snprintf(err, err_len, "%.900s: cannot open: %s", state_path, strerror(errno));
        return -1;
    }
    state_header h;
    const bool read = fread(&h, sizeof h, 1, f) == 1 && memcmp(h.magic, "PTCSTATE", 8) == 0 &&
                      h.version == 1 && h.header_bytes == sizeof h;
    const char *why = !read ? "truncated or not a ptc training state"
                      : h.n_params != m->n_params ? "parameter count differs from the model's: config mismatch"
                      : h.params_hash != params_hash(m) ? "does not belong to its model.safetensors (parameter hash)"
                      : implausible(&h, total_steps, epochs);
    if (!why && h.has_moments) {
        const size_t bytes = ((m->n_params * sizeof(float)) + 63) & ~(size_t)63;
        if (!m->adam_m) {
            m->adam_m = aligned_alloc(64, bytes);
            m->adam_v = aligned_alloc(64, bytes);
        }
        if (!m->adam_m || !m->adam_v ||
            fread(m->adam_m, sizeof(float), m->n_params, f) != m->n_params ||
            fread(m->adam_v, sizeof(float), m->n_params, f) != m->n_params)
            why = "truncated or not a ptc training state";
    }
    if (!why && fgetc(f) != EOF)
        why = "longer than its moments: not a ptc training state";
    fclose(f);
    if (why) {
        snprintf(err, err_len, "%.900s: %s", state_path, why);
        return -1;
    }
    m->adam_t = h.adam_t;
    s->next_step = h.next_step;
    s->best_loss = h.best_loss;
    s->best_epoch = h.best_epoch;
    s->seed = h.seed;
    return 0;
}

int ptc_checkpoint_load(ptc_model *m, const char *run, size_t total_steps, size_t epochs,
                        ptc_train_state *s, char *err, size_t err_len)
{
    char folder[4200], model[4300], state[4300];
    const char *const dirs[] = {LAST, PREV};
    for (size_t i = 0; i < 2; i++) {
        snprintf(folder, sizeof folder, "%s/%s", run, dirs[i]);
        if (is_dir(folder)) {
            snprintf(model, sizeof model, "%s/model.safetensors", folder);
            snprintf(state, sizeof state, "%s/state", folder);
            return load_pair(m, model, state, total_steps, epochs, s, err, err_len);
        }
    }
    snprintf(model, sizeof model, "%s/last.safetensors", run); /* the older layout */
    snprintf(state, sizeof state, "%s/last.state", run);
    return load_pair(m, model, state, total_steps, epochs, s, err, err_len);
}

int ptc_train_log_trim(const char *path, size_t next_step, char *err, size_t err_len)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return errno == ENOENT ? 0 : (snprintf(err, err_len, "%.900s: %s", path, strerror(errno)), -1);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *out = fopen(tmp, "wb");
    if (!out) {
        snprintf(err, err_len, "%.900s: cannot write: %s", tmp, strerror(errno));
        fclose(in);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    bool ok = true;
    while (ok && (n = getline(&line, &cap, in)) > 0) {
        if (line[n - 1] != '\n')
            break; /* cut short by the kill */
        json_t *j = json_loadb(line, (size_t)n, 0, NULL);
        json_t *step = json_object_get(j, "step"), *type = json_object_get(j, "type");
        const json_int_t k = json_is_integer(step) ? json_integer_value(step) : -1;
        const bool val = json_is_string(type) && strcmp(json_string_value(type), "val") == 0;
        const bool keep = k >= 0 && (val ? (size_t)k <= next_step : (size_t)k < next_step);
        json_decref(j);
        if (keep)
            ok = fwrite(line, 1, (size_t)n, out) == (size_t)n;
    }
    free(line);
    fclose(in);
    ok = fflush(out) == 0 && fsync(fileno(out)) == 0 && ok;
    ok = fclose(out) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, err_len, "%.900s: cannot rewrite: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

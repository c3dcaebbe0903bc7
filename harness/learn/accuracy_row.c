/*
 * harness/learn/accuracy_row.c — the ptc.row/1 row of one accuracy run
 * (harness/SCHEMA.md, "Accuracy rows"), built from the JSON files a run leaves:
 * the eval JSON of the test split (ptc.eval/1), and when the run trained, its
 * run.json and summary.json. `ptc experiment` writes two per run (phase "train":
 * time_s per training step; phase "infer": time_s per inference batch); `ptc eval
 * --rows` one per sweep point (phase "infer", sweep "inference"). Ratios
 * (speedup, FLOPs, memory, RSS) against the baseline's row of the same phase are
 * added by ptc_accuracy_row_ratios.
 * The rows of a run are appended in one write (common/rows.h: O_APPEND, fsync),
 * so rows that were written survive a kill.
 */
#include "learn/train.h"

#include "common/rows.h"

#include <fcntl.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* number at a dotted path ("a.b"), NaN when absent */
double ptc_json_num(json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = o;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save))
        cur = json_object_get(cur, tok);
    return cur && json_is_number(cur) ? json_number_value(cur) : NAN;
}

/* the row's variant: the bench's family names; TopK, LTP and ToMe keep theirs */
static const char *family(const char *v)
{
    return strcmp(v, "baseline") == 0 ? "baseline"
           : strcmp(v, "C") == 0      ? "combine"
           : strcmp(v, "PFC") == 0 || strcmp(v, "PC") == 0 ? "combined"
           : strcmp(v, "TopK") == 0 || strcmp(v, "LTP") == 0 || strcmp(v, "ToMe") == 0 ? v
                                                            : "prune";
}

/* "BERT", "P", "PF", "C L4", "PFC L4", "TopK k0.7", "ToMe r8" */
static void default_label(json_t *ev, char *out, size_t len)
{
    const char *v = json_string_value(json_object_get(ev, "variant"));
    const char *tag = json_string_value(json_object_get(ev, "token_options"));
    v = v ? v : "?";
    json_t *lc = json_object_get(ev, "lc");
    if (strcmp(v, "baseline") == 0)
        snprintf(out, len, "BERT");
    else if (json_is_integer(lc))
        snprintf(out, len, "%s L%lld", v, (long long)json_integer_value(lc));
    else
        snprintf(out, len, "%s%s%s", v, tag ? " " : "", tag ? tag : "");
}

static void set_copy(json_t *row, const char *key, json_t *from, const char *from_key)
{
    json_t *v = from ? json_object_get(from, from_key) : NULL;
    json_object_set(row, key, v ? v : json_null());
}

void ptc_accuracy_row_ratios(json_t *row, json_t *base)
{
    const double med = ptc_json_num(row, "time_s.median"), bmed = ptc_json_num(base, "time_s.median");
    json_t *sp = json_object();
    json_object_set_new(sp, "median", json_real(bmed / med));
    json_object_set_new(row, "speedup", sp);
    json_object_set_new(row, "flops_ratio",
                        json_real(ptc_json_num(row, "flops.total") / ptc_json_num(base, "flops.total")));
    json_object_set_new(row, "memory_ratio", json_real(ptc_json_num(row, "memory.activations") /
                                                       ptc_json_num(base, "memory.activations")));
    json_object_set_new(row, "rss_ratio", json_real(ptc_json_num(row, "memory.peak_rss") /
                                                    ptc_json_num(base, "memory.peak_rss")));
}

json_t *ptc_accuracy_row(const ptc_accuracy_row_in *in, bool infer)
{
    json_t *row = json_object(), *ev = in->ev;
    const char *var = json_string_value(json_object_get(ev, "variant"));
    var = var ? var : "baseline";
    char label[64], cid[512], ts[40];
    if (in->label)
        snprintf(label, sizeof label, "%s", in->label);
    else
        default_label(ev, label, sizeof label);
    const char *dataset = json_string_value(json_object_get(ev, "dataset"));
    const char *model = in->runj ? json_string_value(json_object_get(in->runj, "model")) : NULL;
    const double seed = in->runj ? ptc_json_num(in->runj, "seed") : NAN;
    if (in->config_id)
        snprintf(cid, sizeof cid, "%s;phase=%s", in->config_id, infer ? "infer" : "train");
    else /* token variants: their tag after m (TopK's keep ratios, ToMe's r) */
        snprintf(cid, sizeof cid, "dataset=%s;model=%s;seq=%lld;%s-%s-p%.17g-lc%lld-m%lld%s%.200s;seed=%.0f;phase=%s",
                 dataset ? dataset : "?", model ? model : "?",
                 (long long)ptc_json_num(ev, "max_len"), var,
                 json_is_string(json_object_get(ev, "rule")) ? json_string_value(json_object_get(ev, "rule")) : "none",
                 json_is_number(json_object_get(ev, "p")) ? ptc_json_num(ev, "p") : 0.0,
                 json_is_integer(json_object_get(ev, "lc")) ? (long long)ptc_json_num(ev, "lc") : 0,
                 json_is_integer(json_object_get(ev, "m")) ? (long long)ptc_json_num(ev, "m") : 0,
                 json_is_string(json_object_get(ev, "token_options")) ? "-" : "",
                 json_is_string(json_object_get(ev, "token_options")) ? json_string_value(json_object_get(ev, "token_options")) : "",
                 isnan(seed) ? 0.0 : seed, infer ? "infer" : "train");
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    json_object_set_new(row, "schema", json_string("ptc.row/1"));
    json_object_set_new(row, "run", json_string(in->run ? in->run : "eval"));
    json_object_set_new(row, "config_id", json_string(cid));
    json_object_set_new(row, "status", json_string("ok"));
    json_object_set_new(row, "level", json_string("encoder"));
    json_object_set_new(row, "phase", json_string(infer ? "infer" : "train"));
    json_object_set_new(row, "variant", json_string(family(var)));
    json_object_set_new(row, "label", json_string(label));
    set_copy(row, "rule", ev, "rule");
    set_copy(row, "p", ev, "p");
    set_copy(row, "lc", ev, "lc");
    set_copy(row, "m", ev, "m");
    if (json_is_string(json_object_get(ev, "token_options"))) { /* TopK, ToMe (other rows unchanged) */
        set_copy(row, "keep_ratios", ev, "keep_ratios");
        set_copy(row, "tome_r", ev, "tome_r");
    }
    set_copy(row, "pad_mode", ev, "pad_mode");
    json_object_set_new(row, "project_kept", json_true());
    json_object_set_new(row, "model", json_string(in->model ? in->model : model ? model : "custom"));
    set_copy(row, "hidden", ev, "hidden");
    set_copy(row, "layers", ev, "layers");
    set_copy(row, "heads", ev, "heads");
    set_copy(row, "ffn", ev, "ffn");
    set_copy(row, "seq", ev, "max_len");
    if (!infer && in->runj)
        set_copy(row, "batch", in->runj, "batch");
    else
        set_copy(row, "batch", ev, "batch");
    set_copy(row, "isa", ev, "isa");
    set_copy(row, "threads", ev, "threads");
    json_object_set_new(row, "binding", json_string("none"));
    json_object_set_new(row, "cpu", json_string(in->cpu ? in->cpu : "?"));
    set_copy(row, "dataset", ev, "dataset");
    json_object_set_new(row, "seed", isnan(seed) ? json_null() : json_integer((json_int_t)seed));
    set_copy(row, "epochs", in->runj, "epochs");
    set_copy(row, "lr", in->runj, "lr");
    set_copy(row, "accuracy", ev, "accuracy");
    set_copy(row, "macro_f1", ev, "macro_f1");
    set_copy(row, "micro_f1", ev, "micro_f1");
    set_copy(row, "test_loss", ev, "loss");
    set_copy(row, "val_loss", in->sum, "best_val_loss");
    set_copy(row, "best_epoch", in->sum, "best_epoch");
    const double step = in->sum ? ptc_json_num(in->sum, "step_time_s.median") : NAN;
    json_object_set_new(row, "train_step_time_s", isnan(step) ? json_null() : json_real(step));
    set_copy(row, "tokens_per_s", ev, "tokens_per_s");
    json_t *t = json_object_get(infer ? ev : in->sum, infer ? "batch_times_s" : "step_time_s");
    json_object_set_new(row, "time_s", t ? json_deep_copy(t) : json_null());
    json_t *fl = json_object();
    json_object_set_new(fl, "total", json_real(ptc_json_num(ev, "flops_per_doc")));
    json_object_set_new(row, "flops", fl);
    json_t *mem = json_object();
    json_object_set_new(mem, "activations", json_real(ptc_json_num(ev, "activation_bytes_per_batch")));
    set_copy(mem, "peak_rss", infer ? ev : in->sum, "peak_rss");
    if (!infer)
        set_copy(mem, "train_arena", in->sum, "train_activation_bytes");
    json_object_set_new(row, "memory", mem);
    json_t *kept = json_object();
    set_copy(kept, "keys_mean", ev, "keys_mean");
    set_copy(kept, "tokens_mean", ev, "tokens_mean");
    json_object_set_new(row, "kept", kept);
    /* new in issue 12: where the variant was set, and the per-document predictions */
    json_object_set_new(row, "sweep", json_string(in->infer_only ? "inference" : "train"));
    json_object_set_new(row, "predictions", in->predictions ? json_string(in->predictions)
                                            : json_is_string(json_object_get(ev, "predictions"))
                                                ? json_incref(json_object_get(ev, "predictions"))
                                                : json_null());
    set_copy(row, "test_docs", ev, "docs");
    if (in->infer_only)
        set_copy(row, "trained_variant", ev, "trained_variant");
    json_object_set_new(row, "timestamp", json_string(in->timestamp ? in->timestamp : ts));
    return row;
}

int ptc_accuracy_rows_append(const char *path, json_t *rows, char *err, size_t err_len)
{
    /* the lines of all rows in one write (common/rows.h: O_APPEND, fsync) */
    const size_t n = json_is_array(rows) ? json_array_size(rows) : 1;
    char *buf = NULL;
    size_t len = 0;
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        char *line = ptc_row_line(json_is_array(rows) ? json_array_get(rows, i) : rows);
        const size_t l = line ? strlen(line) : 0;
        char *nb = line ? realloc(buf, len + l + 1) : NULL;
        ok = nb != NULL;
        if (ok) {
            buf = nb;
            memcpy(buf + len, line, l + 1);
            len += l;
        }
        free(line);
    }
    const int fd = ok ? open(path, O_WRONLY | O_APPEND | O_CREAT, 0644) : -1;
    ok = fd >= 0 && ptc_rows_append_line(fd, buf) == 0;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    free(buf);
    if (!ok) {
        snprintf(err, err_len, "cannot append rows to %.300s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

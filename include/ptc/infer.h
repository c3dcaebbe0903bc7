/*
 * ptc/infer.h — the model config of an inference run: a checkpoint's config with
 * a variant and its settings applied at inference (model/infer_config.c). `ptc
 * eval` and `ptc predict` sweep these; any program that loads a checkpoint can.
 *
 * What applies to which checkpoint:
 *   BERT, P, PF, TopK, ToMe   any checkpoint (a Hugging Face BERT too): key
 *                             pruning and token pruning/merging need no trained
 *                             tensors;
 *   C, PFC                    a checkpoint trained with combining (its m and
 *                             trained combining module; L_c may change);
 *   LTP                       a checkpoint trained as LTP (its learned thresholds).
 * Anything else is a one-line error before a model is built.
 *
 * Sweeps: every list below is a dimension, the points are their Cartesian
 * product in the order p x rule x L_c x keep ratios x r (the last varies
 * fastest). A dimension not given keeps the checkpoint's value when the
 * variant is the one trained, else the variant's default. TopK's keep ratios
 * are one list per point (ptc_infer_parse_keep_ratios: "0.9,0.8;0.7" is two
 * points, the first with layer-by-layer ratios); a p for TopK is one ratio for
 * every removing layer.
 *
 * Errors: functions return 0 (PTC_OK) or PTC_EINVAL and write one line into err.
 * Pure: no files, no printing.
 */
#ifndef PTC_INFER_H
#define PTC_INFER_H

#include "ptc/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* TopK's keep ratios of one point: v[i] for removing layer prune_first + i, the
 * last repeating over the layers after (as `ptc train --keep-ratios`). */
typedef struct ptc_keep_ratios {
    size_t n;
    double v[PTC_MAX_LAYERS];
} ptc_keep_ratios;

/* What an inference sweep sets (NULL / n 0: not given). */
typedef struct ptc_infer_options {
    const char *variant;              /* a name of ptc_parse_variant; NULL: the checkpoint's */
    const double *p;                  /* key preservation ratios (P, PF, PFC) or TopK's keep ratio */
    size_t n_p;
    const char *const *rules;         /* pruning rule names (P, PF, PFC) */
    size_t n_rules;
    const size_t *lc;                 /* combining layers (C, PFC) */
    size_t n_lc;
    const ptc_keep_ratios *keep;      /* TopK: keep ratios by layer, one list per point */
    size_t n_keep;
    const size_t *tome_r;             /* ToMe: tokens merged away per merging layer */
    size_t n_tome_r;
    const char *pad_mode;             /* NULL: the checkpoint's */
    size_t max_len;                   /* tokens per document the run feeds (0: unchecked) */
} ptc_infer_options;

/* Parses TopK keep-ratio lists: lists separated by ';', ratios in (0, 1] by ','
 * ("0.9,0.8,0.7" one point, "0.9;0.8;0.7" three). Returns the count (<= max),
 * or -1 with a message. */
int ptc_infer_parse_keep_ratios(const char *s, ptc_keep_ratios *out, size_t max, char *err,
                                size_t err_len);

/* Checks a checkpoint's config (read from path) against the data and
 * vocabulary, and against shape (hidden, layers, heads, ffn) when shape is not
 * NULL ("config mismatch: ..."). */
int ptc_infer_check_checkpoint(const char *path, const ptc_model_config *ck,
                               const ptc_model_config *shape, size_t vocab_size, size_t n_classes,
                               char *err, size_t err_len);

/* The configs of every point of o on checkpoint config ck, each checked, into
 * out[0..*n) (at most max; more is an error). */
int ptc_infer_configs(const ptc_model_config *ck, const ptc_infer_options *o,
                      ptc_model_config *out, size_t max, size_t *n, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif
#endif /* PTC_INFER_H */

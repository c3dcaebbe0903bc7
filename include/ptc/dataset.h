/*
 * ptc/dataset.h — document-classification datasets for the harness: the
 * `label<TAB>text` files of shared/datasets (SOURCES.md), a registry of the
 * paper's datasets, deterministic validation/test splits, a built-in synthetic
 * dataset, and token-id caches.
 *
 * File format: UTF-8, one document per line, `label<TAB>text`, no header; label
 * = 0-based index into labels.txt (one name per line). A trailing CR is
 * dropped (CRLF files work). A line is malformed when it has no TAB, its label
 * is not a plain non-negative decimal integer below the class count, its text
 * is empty, or it is not valid UTF-8; the loader reports `file:line: reason`
 * and fails, or with skip_bad_lines counts and skips such lines.
 *
 * Each document is stored as its encoding [CLS] + first max_len-2 WordPiece
 * ids + [SEP] (include/ptc/tokenizer.h).
 *
 * Registry (paths under the data directory: opt->data_dir, else $PTC_DATA,
 * else ../shared/datasets or ../../shared/datasets when present):
 *   imdb           imdb/{train,test}.tsv                     dev = 20% of train
 *   20ng           20newsgroups/{train,test}.tsv             dev = 20% of train
 *   r8, r52        reuters21578/r8_{train,test}.tsv ...      dev = 20% of train
 *   sst2           sst2/{train,dev,test}.tsv                 the official dev
 *   hyperpartisan  hyperpartisan/clean_{train,dev,test}.tsv  the clean split
 *   bbc            bbc/all.tsv: test = lines i with i % 5 == 0 (SOURCES.md's
 *                  suggestion, 445 docs), train = the rest, dev = 20% of train
 *   agnews-test    ag_news/test.tsv, split as bbc (the train split is absent)
 *   synthetic      built in, no files (ptc_synthetic_*)
 * Explicit files (train_path, dev_path, test_path, labels_path) override the
 * registry; without a dev file dev = 20% of train; without a test file the
 * test split is empty.
 *
 * Validation split ("20% of train held out", as the paper): stratified per
 * class; within a class the documents are ordered by a hash of (split_seed,
 * line index) and the first round(fraction * count) go to dev. Independent of
 * the training seed, so every variant and seed sees the same split.
 *
 * Token cache (cache_dir non-NULL): one file per (source file, max_len, vocab),
 * `<cache_dir>/<basename>.<key>.ptcids`, keyed by the file's size and mtime, the
 * vocabulary hash, max_len and the class count; a header with magic, version
 * and a checksum of the payload. A missing, stale or corrupt cache is rebuilt
 * (a corrupt one with a note on the log).
 *
 * Errors: 0 or -1 with one line in err. Notes (cache rebuilt, lines skipped)
 * go to opt->log when non-NULL. Threading: tokenization runs OpenMP over lines.
 */
#ifndef PTC_DATASET_H
#define PTC_DATASET_H

#include "ptc/tokenizer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ptc_split {
    size_t n;          /* documents */
    int32_t *labels;   /* (n) */
    size_t *offsets;   /* (n + 1): document i is ids[offsets[i] .. offsets[i+1]) */
    int32_t *ids;      /* encodings, [CLS] ... [SEP], each 2..max_len ids */
} ptc_split;

typedef struct ptc_dataset {
    char name[64];          /* registry name or "files" */
    size_t n_classes;
    char **label_names;     /* (n_classes) */
    ptc_split train, dev, test;
    size_t max_len;
    size_t skipped_lines;   /* malformed lines skipped (skip_bad_lines) */
    size_t truncated_docs;  /* documents longer than max_len (all splits) */
} ptc_dataset;

typedef struct ptc_synthetic_config {
    size_t n_classes;       /* 4 */
    size_t n_train, n_dev, n_test; /* 512, 128, 256 */
    size_t min_words, max_words;   /* 24, 96 filler words per document */
    size_t n_filler;        /* 200 filler word types */
    size_t cores_per_class; /* 3 core word types per class */
    uint64_t seed;          /* 1 */
} ptc_synthetic_config;
void ptc_synthetic_config_default(ptc_synthetic_config *c);

typedef struct ptc_dataset_options {
    const char *name;          /* registry name, or NULL with explicit files */
    const char *data_dir;      /* NULL: $PTC_DATA, then ../shared/datasets */
    const char *train_path, *dev_path, *test_path, *labels_path; /* override */
    const char *cache_dir;     /* NULL: no cache */
    size_t max_len;            /* 512 */
    bool skip_bad_lines;       /* false: a malformed line fails the load */
    double dev_fraction;       /* 0.2 */
    uint64_t split_seed;       /* 20231 */
    ptc_synthetic_config synthetic;
    FILE *log;                 /* notes; may be NULL */
} ptc_dataset_options;
void ptc_dataset_options_default(ptc_dataset_options *o);

/* Names of the registry, NULL-terminated. */
extern const char *const ptc_dataset_names[];
/* true for a registry name that needs a vocabulary file (everything but synthetic) */
bool ptc_dataset_needs_vocab(const char *name);

/* Loads (and tokenizes) every split. tok: the vocabulary; for "synthetic" pass
 * the tokenizer of ptc_synthetic_tokenizer(). */
int ptc_dataset_load(ptc_dataset *ds, const ptc_tokenizer *tok, const ptc_dataset_options *opt,
                     char *err, size_t err_len);
void ptc_dataset_free(ptc_dataset *ds);

/* Reads one `label<TAB>text` file into a split (all of it), with the cache of
 * opt->cache_dir. skipped (may be NULL) gets the number of skipped lines;
 * line_index (may be NULL) the 0-based line number of each document. */
int ptc_split_read(ptc_split *out, const char *path, const ptc_tokenizer *tok, size_t n_classes,
                   const ptc_dataset_options *opt, size_t *skipped, size_t **line_index,
                   char *err, size_t err_len);
void ptc_split_free(ptc_split *s);
static inline size_t ptc_split_len(const ptc_split *s, size_t i)
{
    return s->offsets[i + 1] - s->offsets[i];
}

/* Reads a file of texts, one a line (or label<TAB>text, the label ignored), each
 * encoded to at most max_len ids as a document of label 0 (datasets/texts.c).
 * Refuses invalid UTF-8 (file:line) and a file without lines. 0, or -1. */
int ptc_split_read_texts(ptc_split *sp, const char *path, const ptc_tokenizer *tok, size_t max_len,
                         char *err, size_t err_len);

/* Reads labels.txt: one name per line (empty lines refused). */
int ptc_labels_read(const char *path, char ***names, size_t *n, char *err, size_t err_len);

/* ---- the synthetic dataset ------------------------------------------------------------
 * Documents of filler words ("filler17") with 2-4 core words of their class
 * ("core2x1": class 2, core word 1) at random positions, and with probability
 * 0.3 one core word of another class (a distractor); labels uniform. Generated
 * from the seed (splitmix64), as text, then tokenized like any file. The
 * vocabulary: [PAD] [UNK] [CLS] [SEP] [MASK], the filler words, the core words. */
ptc_tokenizer *ptc_synthetic_tokenizer(const ptc_synthetic_config *c, char *err, size_t err_len);
/* Document i of a split (0 train, 1 dev, 2 test) as text into buf (NUL-
 * terminated, truncated to buf_len); returns its label. */
int32_t ptc_synthetic_doc(const ptc_synthetic_config *c, int split, size_t i, char *buf,
                          size_t buf_len);

#ifdef __cplusplus
}
#endif
#endif /* PTC_DATASET_H */

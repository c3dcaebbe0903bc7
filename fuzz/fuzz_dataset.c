/*
 * fuzz/fuzz_dataset.c — the dataset files: labels.txt and a `label<TAB>text`
 * split, read as `ptc train --train F --labels F` reads them. Input: labels
 * text, a line "=====", then the TSV (with a first byte choosing strict or
 * --skip-bad-lines and the maximum length). Every document read must hold
 * 2..max_len ids inside the vocabulary and a label below the class count.
 */
#include "fuzz_util.h"

#include "ptc/dataset.h"
#include "ptc/tokenizer.h"

static const char *const vocab[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "a",
                                    "good", "bad", "film", "##s", "##ing", "un", "##like", ",",
                                    ".", "!", "caf", "##e", "\xc3\xa9", "x", "##x"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    static ptc_tokenizer *tok;
    char err[512];
    if (!tok && !(tok = ptc_tokenizer_from_tokens(vocab, sizeof vocab / sizeof vocab[0], err, sizeof err)))
        abort();
    const uint8_t *labels, *tsv;
    size_t n_labels, n_tsv;
    fuzz_split(data + 1, size - 1, "\n=====\n", &labels, &n_labels, &tsv, &n_tsv);
    char labels_path[512], tsv_path[512];
    snprintf(labels_path, sizeof labels_path, "%s", fuzz_write("labels.txt", labels, n_labels));
    snprintf(tsv_path, sizeof tsv_path, "%s", fuzz_write("split.tsv", tsv, n_tsv));

    char **names = NULL;
    size_t n_classes = 0;
    if (ptc_labels_read(labels_path, &names, &n_classes, err, sizeof err) != 0) {
        n_classes = 4; /* the split is read against a fixed class count then */
        names = NULL;
    }
    ptc_dataset_options opt;
    ptc_dataset_options_default(&opt);
    opt.skip_bad_lines = data[0] & 1;
    opt.max_len = 2 + (data[0] >> 1) % 64;
    ptc_split s = {0};
    size_t skipped = 0, *line_index = NULL;
    if (ptc_split_read(&s, tsv_path, tok, n_classes, &opt, &skipped, &line_index, err, sizeof err) == 0) {
        const size_t vs = ptc_tokenizer_vocab_size(tok);
        for (size_t i = 0; i < s.n; i++) {
            const size_t len = ptc_split_len(&s, i);
            if (len < 2 || len > opt.max_len || s.labels[i] < 0 || (size_t)s.labels[i] >= n_classes)
                abort();
            for (size_t k = s.offsets[i]; k < s.offsets[i + 1]; k++)
                if (s.ids[k] < 0 || (size_t)s.ids[k] >= vs)
                    abort();
        }
        free(line_index);
        ptc_split_free(&s);
    }
    if (names) {
        for (size_t i = 0; i < n_classes; i++)
            free(names[i]);
        free(names);
    }
    return 0;
}

/*
 * fuzz/fuzz_tokenizer.c — a vocab.txt and BERT's BasicTokenizer + WordPiece on
 * arbitrary bytes. Input: vocabulary text, a NUL byte, then the text to encode
 * (with a fixed vocabulary when the first part is no valid vocab.txt). Every id
 * must lie in the vocabulary, the encoding must fit max_len and start with [CLS]
 * and end with [SEP], and the same text must encode the same way twice.
 */
#include "fuzz_util.h"

#include "ptc/tokenizer.h"

static const char *const fixed[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "a", "##s", "un",
                                    "##able", "\xe4\xb8\xad", "caf", "##e", ",", "x", "##x"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    /* no NUL: all of it is text */
    const uint8_t *nul = memchr(data, 0, size);
    const size_t n_voc = nul ? (size_t)(nul - data) : 0;
    const uint8_t *text = nul ? nul + 1 : data;
    const size_t n_text = nul ? size - n_voc - 1 : size;
    const uint8_t *voc = data;
    char err[512];
    ptc_tokenizer *tok = NULL;
    if (n_voc)
        tok = ptc_tokenizer_load(fuzz_write("vocab.txt", voc, n_voc), err, sizeof err);
    if (!tok)
        tok = ptc_tokenizer_from_tokens(fixed, sizeof fixed / sizeof fixed[0], err, sizeof err);
    if (!tok)
        abort();
    const size_t vs = ptc_tokenizer_vocab_size(tok);
    enum { MAX_LEN = 96 };
    int32_t ids[MAX_LEN], again[MAX_LEN];
    const size_t n = ptc_tokenizer_encode(tok, (const char *)text, n_text, MAX_LEN, ids, NULL);
    if (n < 2 || n > MAX_LEN || ids[0] != ptc_tokenizer_cls_id(tok) || ids[n - 1] != ptc_tokenizer_sep_id(tok))
        abort();
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || (size_t)ids[i] >= vs)
            abort();
    if (ptc_tokenizer_encode(tok, (const char *)text, n_text, MAX_LEN, again, NULL) != n ||
        memcmp(ids, again, n * sizeof *ids) != 0)
        abort();
    for (size_t i = 0; i < n; i++)
        if (!ptc_tokenizer_token(tok, ids[i]))
            abort();
    ptc_tokenizer_free(tok);
    return 0;
}

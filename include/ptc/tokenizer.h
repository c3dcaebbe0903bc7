/*
 * ptc/tokenizer.h — BERT's uncased tokenizer (BasicTokenizer + WordPiece) over a
 * vocab.txt, for the document-classification harness.
 *
 * Algorithm (Devlin et al. 2019, the tokenizer released with BERT; the
 * uncased, "do_lower_case" form used by bert-base-uncased):
 *   1. decode UTF-8; invalid bytes (malformed, overlong, surrogates, truncated)
 *      become U+FFFD, one per byte that cannot start a valid sequence;
 *   2. clean: drop U+0000, U+FFFD and control characters (Unicode category C*,
 *      except TAB/LF/CR); whitespace (space, TAB, LF, CR, category Zs) -> ' ';
 *      so invalid bytes vanish WITHOUT splitting the word they sit in
 *      (ptc_tokenize_info.invalid_bytes counts them; the dataset loader
 *      refuses lines that have any);
 *   3. CJK ideographs (BERT's 8 ranges) become words of their own;
 *   4. per whitespace-separated word: lowercase (full mapping as Python's
 *      str.lower(): U+0130 and the final-sigma rule included), NFD, drop
 *      nonspacing marks (Mn) = accents;
 *   5. split on punctuation: ASCII 33-47, 58-64, 91-96, 123-126 (even where
 *      Unicode says S*, e.g. '$' '+' '^' '`'), and category P*; each
 *      punctuation character is its own word;
 *   6. WordPiece, greedy longest match first; pieces after the first carry the
 *      "##" prefix; a word longer than 100 code points, or one with a rest no
 *      piece matches, becomes one [UNK].
 * Normalisation, case mapping and categories come from utf8proc (its Unicode
 * version may differ from Python's for newly assigned characters).
 *
 * Encoding for the classifier: [CLS] + the first max_len - 2 pieces + [SEP]
 * (the paper keeps the first 512 tokens). Tokenization stops as soon as the
 * budget is reached, so long documents cost little.
 *
 * Threading: a loaded tokenizer is read-only and may be shared by threads.
 * Errors: functions return 0 or -1 with one line in err (err_len bytes).
 */
#ifndef PTC_TOKENIZER_H
#define PTC_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ptc_tokenizer ptc_tokenizer;

/* Loads a vocab.txt: one token per line (LF; a trailing CR is stripped too,
 * so CRLF files work), id = line index from 0. Must contain [UNK], [CLS], [SEP]; [PAD] defaults to id 0 when absent.
 * A token listed twice keeps its first id. */
ptc_tokenizer *ptc_tokenizer_load(const char *vocab_path, char *err, size_t err_len);
/* The same from n in-memory tokens (the synthetic dataset's vocabulary). */
ptc_tokenizer *ptc_tokenizer_from_tokens(const char *const *tokens, size_t n, char *err,
                                         size_t err_len);
void ptc_tokenizer_free(ptc_tokenizer *tok);

size_t ptc_tokenizer_vocab_size(const ptc_tokenizer *tok);
/* id of a vocabulary token, -1 when absent */
int32_t ptc_tokenizer_id(const ptc_tokenizer *tok, const char *token);
const char *ptc_tokenizer_token(const ptc_tokenizer *tok, int32_t id); /* NULL if out of range */
int32_t ptc_tokenizer_pad_id(const ptc_tokenizer *tok);
int32_t ptc_tokenizer_unk_id(const ptc_tokenizer *tok);
int32_t ptc_tokenizer_cls_id(const ptc_tokenizer *tok);
int32_t ptc_tokenizer_sep_id(const ptc_tokenizer *tok);
/* 64-bit FNV-1a of the vocabulary (tokens and order): the token caches' key */
uint64_t ptc_tokenizer_hash(const ptc_tokenizer *tok);

typedef struct ptc_tokenize_info {
    size_t invalid_bytes;   /* bytes that were not valid UTF-8 (dropped) */
    size_t words;           /* basic-tokenizer words seen (until the budget stopped it) */
    size_t unk;             /* [UNK] pieces emitted */
    bool truncated;         /* the text had more pieces than the budget */
} ptc_tokenize_info;

/* WordPiece ids of text[0..len) without [CLS]/[SEP]: writes at most max_ids
 * and returns how many it wrote; info (may be NULL) as above. */
size_t ptc_tokenize(const ptc_tokenizer *tok, const char *text, size_t len, int32_t *ids,
                    size_t max_ids, ptc_tokenize_info *info);

/* [CLS] + first max_len - 2 pieces + [SEP]; max_len >= 2. Returns the length
 * (2..max_len). */
size_t ptc_tokenizer_encode(const ptc_tokenizer *tok, const char *text, size_t len,
                            size_t max_len, int32_t *ids, ptc_tokenize_info *info);

/* The basic tokenizer alone (tests, `ptc predict --show-tokens`): calls
 * fn(word, word_len, user) for each word (UTF-8, lowercased, accents
 * stripped). Returns the number of invalid bytes. */
size_t ptc_basic_tokenize(const char *text, size_t len,
                          void (*fn)(const char *word, size_t word_len, void *user), void *user);

/* true when text[0..len) is valid UTF-8 (utf8proc's rules: no surrogates,
 * no overlongs); *bad_offset gets the first bad byte otherwise. */
bool ptc_utf8_valid(const char *text, size_t len, size_t *bad_offset);

#ifdef __cplusplus
}
#endif
#endif /* PTC_TOKENIZER_H */

/*
 * datasets/texts.c — a file of texts to classify, one a line, as a split
 * (contract: include/ptc/dataset.h, ptc_split_read_texts).
 */
#include "ptc/dataset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

int ptc_split_read_texts(ptc_split *sp, const char *path, const ptc_tokenizer *tok, size_t max_len,
                         char *err, size_t err_len)
{
    FILE *in = fopen(path, "rb");
    if (!in) {
        snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 0, cap_docs = 256, n = 0, ids_cap = 1 << 16;
    sp->labels = calloc(cap_docs, sizeof *sp->labels);
    sp->offsets = calloc(cap_docs + 1, sizeof *sp->offsets);
    sp->ids = malloc(ids_cap * sizeof *sp->ids);
    char *line = NULL;
    ssize_t len;
    size_t lineno = 0;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, in)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        char *text = line;
        char *tab = strchr(line, '\t');
        if (tab) {
            bool num = tab > line;
            for (char *p = line; p < tab; p++)
                num &= *p >= '0' && *p <= '9';
            if (num)
                text = tab + 1;
        }
        size_t bad;
        if (!ptc_utf8_valid(text, strlen(text), &bad)) {
            snprintf(err, err_len, "%s:%zu: invalid UTF-8 at byte %zu of the text", path, lineno, bad);
            rc = -1;
            break;
        }
        if (n + 1 >= cap_docs) {
            cap_docs *= 2;
            sp->labels = realloc(sp->labels, cap_docs * sizeof *sp->labels);
            sp->offsets = realloc(sp->offsets, (cap_docs + 1) * sizeof *sp->offsets);
        }
        if (sp->offsets[n] + max_len > ids_cap) {
            while (sp->offsets[n] + max_len > ids_cap)
                ids_cap *= 2;
            sp->ids = realloc(sp->ids, ids_cap * sizeof *sp->ids);
        }
        const size_t k = ptc_tokenizer_encode(tok, text, strlen(text), max_len,
                                              sp->ids + sp->offsets[n], NULL);
        sp->labels[n] = 0;
        sp->offsets[n + 1] = sp->offsets[n] + k;
        n++;
    }
    free(line);
    fclose(in);
    sp->n = n;
    if (rc == 0 && n == 0) {
        snprintf(err, err_len, "%s: no lines", path);
        rc = -1;
    }
    return rc;
}

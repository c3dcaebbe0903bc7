/*
 * variants/token_merge.c — token merging between encoder layers (ToMe):
 * ref: D. Bolya, C.-Y. Fu, X. Dai, P. Zhang, C. Feichtenhofer, J. Hoffman,
 * "Token Merging: Your ViT But Faster", ICLR 2023, Sec. 3 (bipartite soft
 * matching, size-weighted averages, proportional attention), applied to text.
 *
 * After each merging layer (prune_first..n_layers-1, as the other token
 * variants), per sample: the real tokens alternate into A (rows 0, 2, 4, ...)
 * and B (rows 1, 3, ...); every A token but [CLS] (row 0, never merged) finds
 * its most similar B token by cosine similarity; the r (option, ToMe's r)
 * A tokens with the highest similarity are merged into their B token as the
 * size-weighted average, sizes add. The remaining rows keep their order
 * ([CLS] at row 0), compacted to the first rows of the sample as the pruning
 * variants do, and the layers after add log(size) to each key's logits
 * (proportional attention, through ptc_mhsa_options.key_log_size).
 * Choices where ToMe (for ViTs) differs or leaves it open: the merge runs
 * after the layer, not between its attention and MLP, and the similarity is
 * that of the layer's output rows rather than of the attention keys (both so
 * that a merge sits between two ordinary layers); r is capped at the A tokens
 * of a sample minus [CLS]; ties go to the lower row. The matching has no
 * gradient; the weighted average is linear in the rows (backward: each merged
 * row's gradient goes to its sources with the same weights).
 * Option: --tome-r N (r, 8; ptc train, eval, bench, experiment; eval and bench
 * sweep a list). The merging layers (prune_first = 2 .. L-1) are fixed.
 * Nothing allocates; scratch comes from the caller's workspace.
 */
#include "internal.h"

#include <math.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* B rows per step of the matching's dot products */
enum { MATCH_B = 8 };

/* Scratch bytes of ptc_token_merge for rows per sample of `hidden` floats: per row
 * a norm, a sort key, a best match and a similarity, and the B rows transposed
 * ((rows / 2) x hidden floats). */
size_t ptc_token_merge_scratch_bytes(size_t rows, size_t hidden)
{
    return rows * (sizeof(double) + sizeof(uint64_t) + sizeof(int32_t) + sizeof(float)) +
           (rows / 2 + MATCH_B) * hidden * sizeof(float) + 128;
}

size_t ptc_token_merge_rows_bytes(const ptc_tokens *tok, size_t hidden)
{
    return (tok->batch * ptc_tok_rows(tok) * hidden * sizeof(float) + 63) & ~(size_t)63;
}

size_t ptc_token_merge_workspace_need(const ptc_tokens *tok, size_t hidden)
{
    return ptc_token_merge_rows_bytes(tok, hidden) +
           ptc_token_merge_scratch_bytes(ptc_tok_rows(tok), hidden);
}

/* dot[k] = sum_c xa[c] bt[c][j0 + k] in double for k < nb (<= MATCH_B), c in
 * increasing order, over the B rows transposed (bt: hidden x n_bt floats): every
 * sum gets the products and additions of a one-pair loop over c in its order (a
 * multiply, then an add: no fused multiply-add on x86-64's baseline; aarch64 fuses
 * both alike), but up to MATCH_B of them advance together from contiguous floats
 * instead of one chain of dependent additions: a full group in SSE2 (x86-64's
 * baseline) two doubles per register, otherwise plain C the compiler vectorizes. Same bits (the test keeps
 * the one-pair loop as its oracle). */
static void dots_with_b(const float *xa, const float *bt, size_t n_bt, size_t hidden, size_t j0,
                        size_t nb, double *dot)
{
    const float *col = bt + j0;
#if defined(__SSE2__)
    if (nb == MATCH_B) {
        __m128d s0 = _mm_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
        for (size_t c = 0; c < hidden; c++, col += n_bt) {
            const __m128d a = _mm_set1_pd((double)xa[c]);
            const __m128 f0 = _mm_loadu_ps(col), f1 = _mm_loadu_ps(col + 4);
            s0 = _mm_add_pd(s0, _mm_mul_pd(a, _mm_cvtps_pd(f0)));
            s1 = _mm_add_pd(s1, _mm_mul_pd(a, _mm_cvtps_pd(_mm_movehl_ps(f0, f0))));
            s2 = _mm_add_pd(s2, _mm_mul_pd(a, _mm_cvtps_pd(f1)));
            s3 = _mm_add_pd(s3, _mm_mul_pd(a, _mm_cvtps_pd(_mm_movehl_ps(f1, f1))));
        }
        _mm_storeu_pd(dot, s0);
        _mm_storeu_pd(dot + 2, s1);
        _mm_storeu_pd(dot + 4, s2);
        _mm_storeu_pd(dot + 6, s3);
        return;
    }
#endif
    double s[MATCH_B] = {0.0};
    for (size_t c = 0; c < hidden; c++, col += n_bt) {
        const double ac = (double)xa[c];
        for (size_t k = 0; k < nb; k++)
            s[k] += ac * (double)col[k];
    }
    memcpy(dot, s, nb * sizeof *s);
}

/* The matching of one sample (len real rows of x, stride hidden): dest[r] for
 * r < len, the output row of r (merged A rows: their B row's); returns the
 * rows left. */
static size_t match_sample(size_t len, size_t hidden, size_t r_want, const float *x, int32_t *dest,
                           void *scratch, double *flops)
{
    double *norm = scratch;
    uint64_t *order = (uint64_t *)(norm + len);
    int32_t *best = (int32_t *)(order + len);
    float *sim = (float *)(best + len);
    const size_t n_a = (len + 1) / 2, n_b = len / 2;
    const size_t r = n_b == 0 ? 0 : (r_want < n_a - 1 ? r_want : n_a - 1);
    /* the B rows (1, 3, 5, ...) transposed, when anything merges: bt[c][j] = x[2 j + 1][c] */
    float *bt = (float *)(((uintptr_t)(sim + len) + 63) & ~(uintptr_t)63);
    for (size_t j = 0; r > 0 && j < n_b; j++)
        for (size_t c = 0; c < hidden; c++)
            bt[c * n_b + j] = x[(2 * j + 1) * hidden + c];
    for (size_t i = 0; i < len; i++) {
        double s = 0.0;
        for (size_t c = 0; c < hidden; c++)
            s += (double)x[i * hidden + c] * (double)x[i * hidden + c];
        norm[i] = sqrt(s) + 1e-12;
        dest[i] = 0;
    }
    size_t n_order = 0;
    for (size_t a = 2; a < len && r > 0; a += 2) { /* A without [CLS] */
        double top = -INFINITY;
        const float *xa = x + a * hidden;
        for (size_t j0 = 0; j0 < n_b; j0 += MATCH_B) {
            double dot[MATCH_B];
            const size_t nb = n_b - j0 < MATCH_B ? n_b - j0 : MATCH_B;
            dots_with_b(xa, bt, n_b, hidden, j0, nb, dot);
            for (size_t k = 0; k < nb; k++) { /* in row order: ties go to the lower row */
                const size_t b = 2 * (j0 + k) + 1;
                const double s = dot[k] / (norm[a] * norm[b]);
                if (s > top) {
                    top = s;
                    best[a] = (int32_t)b;
                }
            }
        }
        sim[a] = (float)top;
        /* sort key: similarity descending, then row ascending */
        uint32_t u;
        memcpy(&u, &sim[a], sizeof u);
        u = (u & 0x80000000u) ? ~u : u | 0x80000000u; /* order-preserving bits */
        order[n_order++] = ((uint64_t)~u << 32) | (uint64_t)a;
    }
    *flops += 2.0 * (double)len * (double)hidden + 2.0 * (double)(n_a - 1) * (double)n_b * hidden;
    /* the r most similar A rows are merged (a small insertion sort of the keys) */
    for (size_t i = 1; i < n_order; i++)
        for (size_t j = i; j > 0 && order[j] < order[j - 1]; j--) {
            const uint64_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (size_t i = 0; i < r; i++)
        dest[(uint32_t)order[i]] = -1; /* marked: merged */
    size_t n_out = 0;
    for (size_t i = 0; i < len; i++)
        if (dest[i] == 0)
            dest[i] = (int32_t)n_out++;
    for (size_t i = 0; i < len; i++)
        if (dest[i] == -1)
            dest[i] = dest[best[i]];
    return n_out;
}

/* Merges the rows of every sample of x (batch, n_rows, hidden: the layer's
 * output) into y (batch, n_out, hidden), n_out = the largest count:
 *   y[dest_i] = sum_i size_i x_i / sum_i size_i,  size_out[dest] = sum_i size_i,
 * rows [count_b, n_out) zero with size 1. dest (batch, n_rows; -1 for pads),
 * weight (batch, n_rows: size_i / size_out[dest_i]) and count (batch) are
 * written for backward. scratch: ptc_token_merge_scratch_bytes(n_rows, hidden).
 * Returns n_out; flops of matching and averaging are added to *flops. */
size_t ptc_token_merge(const ptc_variant_config *cfg, const ptc_tokens *tok, size_t hidden,
                       const float *x, const float *size, int32_t *dest, float *weight,
                       int32_t *count, float *y, float *size_out, void *scratch, double *flops)
{
    const size_t n_rows = ptc_tok_rows(tok);
    for (size_t b = 0; b < tok->batch; b++) {
        const size_t len = ptc_tok_len(tok, b);
        int32_t *db = dest + b * n_rows;
        count[b] = (int32_t)match_sample(len, hidden, cfg->token.merge_r, x + b * n_rows * hidden,
                                         db, scratch, flops);
        for (size_t i = len; i < n_rows; i++)
            db[i] = -1;
    }
    const size_t n_out = ptc_token_rows_after(tok->batch, count);
    memset(y, 0, tok->batch * n_out * hidden * sizeof(float));
    for (size_t b = 0; b < tok->batch; b++) {
        float *sb = size_out + b * n_out;
        for (size_t j = 0; j < n_out; j++)
            sb[j] = 0.0f;
        for (size_t i = 0; i < n_rows; i++)
            if (dest[b * n_rows + i] >= 0)
                sb[dest[b * n_rows + i]] += size[b * n_rows + i];
        for (size_t i = 0; i < n_rows; i++) {
            const int32_t j = dest[b * n_rows + i];
            if (j < 0)
                continue;
            const float w = size[b * n_rows + i] / sb[j];
            weight[b * n_rows + i] = w;
            const float *xr = x + (b * n_rows + i) * hidden;
            float *yr = y + (b * n_out + (size_t)j) * hidden;
            for (size_t c = 0; c < hidden; c++)
                yr[c] += w * xr[c];
        }
        for (size_t j = (size_t)count[b]; j < n_out; j++)
            sb[j] = 1.0f;
        *flops += 2.0 * (double)ptc_tok_len(tok, b) * (double)hidden;
    }
    return n_out;
}

/* Backward of ptc_token_merge: dx (batch, n_rows, hidden of tok) row i =
 * weight_i dy[dest_i] (0 for pads); dy (batch, n_out, hidden). */
void ptc_token_merge_backward(const ptc_tokens *tok, size_t hidden, const int32_t *dest,
                              const float *weight, const int32_t *count, const float *dy,
                              float *dx)
{
    const size_t n_rows = ptc_tok_rows(tok), n_out = ptc_token_rows_after(tok->batch, count);
    for (size_t b = 0; b < tok->batch; b++)
        for (size_t i = 0; i < n_rows; i++) {
            const int32_t j = dest[b * n_rows + i];
            float *dr = dx + (b * n_rows + i) * hidden;
            if (j < 0) {
                memset(dr, 0, hidden * sizeof(float));
                continue;
            }
            const float w = weight[b * n_rows + i];
            const float *g = dy + (b * n_out + (size_t)j) * hidden;
            for (size_t c = 0; c < hidden; c++)
                dr[c] = w * g[c];
        }
}

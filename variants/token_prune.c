/*
 * variants/token_prune.c — whole-token pruning between encoder layers: the
 * established token-reduction methods beside the paper's key pruning.
 *
 *   TopK  cascade top-k token pruning, the software part of SpAtten:
 *         ref: H. Wang, Z. Zhang, S. Han, "SpAtten: Efficient Sparse Attention
 *         Architecture with Cascade Token and Head Pruning", HPCA 2021, Sec. III-A.
 *         The importance of a token is accumulated over layers ("cumulative
 *         importance score"); after layer l (prune_first <= l < n_layers) only
 *         the top 1 + floor(keep_l (len - 1)) tokens by cumulative importance
 *         go on ([CLS] always, the keep ratio per layer an option: SpAtten sets
 *         it per model and task). The selection has no gradient: training runs
 *         the same removal and backpropagates through the kept tokens.
 *   LTP   learned-threshold token pruning:
 *         ref: S. Kim, S. Shen, D. Thorsley, A. Gholami, W. Kwon, J. Hassoun,
 *         K. Keutzer, "Learned Token Pruning for Transformers", KDD 2022, Sec. 3.
 *         After layer l a token goes on when its importance s >= theta_l (a
 *         learned per-layer threshold; [CLS] always). Training uses the soft
 *         mask m = sigmoid((s - theta_l) / T) on the layer's output rows (no
 *         token removed) and adds lambda sum_l mean_b mean_t m to the loss
 *         (T, lambda and the thresholds' initial values are options: the
 *         paper leaves them to the task); inference removes the tokens below
 *         theta_l.
 *         Open choices made here: s is treated as a constant in backward (the
 *         gradient reaches theta_l and the masked rows, not the attention
 *         probabilities behind s); the regularizer averages m over the non-[CLS]
 *         tokens of a sample.
 *
 * Importance (both): s_t = (1/H) sum_h sum_q P_h[q][t], the column sum of the
 * attention probabilities averaged over heads: n_q times the mean over heads of
 * ops->attention_importance's column means, so the s of a layer's tokens average
 * exactly 1 (a threshold means the same at every length; the ranking equals the
 * column mean's). Removal compacts the kept rows of each sample to its first
 * rows (their order kept, [CLS] at row 0), so the layers after are ordinary
 * layers over fewer tokens: queries, keys, values and FFN rows all shrink.
 * Options (what the papers leave to the task; the first removing layer,
 * prune_first = 2, is fixed as for the paper's pruning):
 *   TopK  --p X (one keep ratio for every removing layer) or --keep-ratios
 *         A,B,.. (by removing layer, the last repeating): ptc train, eval,
 *         experiment; bench takes lists of lists ("0.9,0.8;0.7") to sweep.
 *   LTP   --ltp-temperature T (0.05), --ltp-lambda (0.01),
 *         --ltp-threshold-init (0.5): ptc train, experiment; inference uses the
 *         learned thresholds (ptc eval on an LTP checkpoint) or, in ptc bench,
 *         --ltp-thresholds X (a fixed theta for every removing layer, 1).
 * Nothing here allocates; scratch comes from the caller's workspace.
 */
#include "internal.h"

#include <math.h>
#include <string.h>

double ptc_token_keep_ratio(const ptc_variant_config *cfg, size_t layer)
{
    const double k = layer <= PTC_MAX_LAYERS ? cfg->token.keep[layer] : 0.0;
    return k > 0.0 ? k : cfg->prune.p;
}

void ptc_token_set_keep_ratios(ptc_variant_config *cfg, const double *ratios, size_t n)
{
    for (size_t l = cfg->prune_first, i = 0; n && l <= PTC_MAX_LAYERS; l++, i++)
        cfg->token.keep[l] = ratios[i < n ? i : n - 1];
}

double ptc_token_keep_uniform(const ptc_variant_config *cfg)
{
    const double k = ptc_token_keep_ratio(cfg, cfg->prune_first);
    for (size_t l = cfg->prune_first + 1; l < cfg->n_layers; l++)
        if (ptc_token_keep_ratio(cfg, l) != k)
            return 0.0;
    return k;
}

size_t ptc_token_options_tag(const ptc_variant_config *cfg, char *buf, size_t len)
{
    size_t n = 0;
    if (len)
        buf[0] = '\0';
#define PUT(...) (n += (size_t)snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, __VA_ARGS__))
    if (cfg->variant == PTC_VARIANT_TOKEN_TOME) {
        PUT("r%zu", cfg->token.merge_r);
    } else if (cfg->variant == PTC_VARIANT_TOKEN_TOPK && ptc_token_keep_uniform(cfg) > 0) {
        PUT("k%g", ptc_token_keep_uniform(cfg));
    } else if (cfg->variant == PTC_VARIANT_TOKEN_TOPK) {
        for (size_t l = cfg->prune_first; l < cfg->n_layers; l++)
            PUT("%s%g", l == cfg->prune_first ? "k" : ",", ptc_token_keep_ratio(cfg, l));
    }
#undef PUT
    return n;
}

size_t ptc_token_keep_count(double keep, size_t len)
{
    if (len <= 1)
        return len;
    return 1 + ptc_prune_keep_count(keep, len - 1);
}

/* score (batch, n_rows) by sample row: s_t (see above) from state->importance,
 * added (accumulate) or written. Rows no head kept are left as they are. */
void ptc_token_score(const ptc_prune_state *st, const ptc_tokens *tok, float *score,
                     bool accumulate)
{
    const size_t n_rows = ptc_tok_rows(tok), heads = st->n_heads;
    for (size_t b = 0; b < tok->batch; b++) {
        float *s = score + b * n_rows;
        const double w = (double)ptc_tok_active(tok, b) / (double)heads;
        if (!accumulate)
            memset(s, 0, n_rows * sizeof(float));
        for (size_t h = 0; h < heads; h++) {
            const size_t at = (b * heads + h) * st->n_rows;
            for (int32_t j = 0; j < st->count[b * heads + h]; j++)
                s[st->kept[at + (size_t)j]] += (float)(w * st->importance[at + (size_t)j]);
        }
    }
}

/* The rows of each sample that go on after `layer`: keep (batch, n_rows),
 * ascending, [CLS] (row 0) first; count (batch). Only real tokens are
 * candidates (pads never go on). TopK: the top 1 + floor(keep (len - 1)) by
 * score, ties keep the lower row; LTP: [CLS] and every row with score >=
 * threshold. scratch: n_rows * 9 bytes, 8-byte aligned. Returns the FLOPs of
 * the selection (comparisons; sorts as n log2 n). */
double ptc_token_select(const ptc_variant_config *cfg, size_t layer, const ptc_tokens *tok,
                        const float *score, float threshold, int32_t *keep, int32_t *count,
                        void *scratch)
{
    const size_t n_rows = ptc_tok_rows(tok);
    double flops = 0.0;
    uint64_t *sort = scratch;
    uint8_t *protect = (uint8_t *)(sort + n_rows);
    ptc_prune_config topk = cfg->prune;
    topk.rule = PTC_PRUNE_TOPK;
    topk.p = ptc_token_keep_ratio(cfg, layer);
    for (size_t b = 0; b < tok->batch; b++) {
        const size_t len = ptc_tok_len(tok, b);
        const float *s = score + b * n_rows;
        int32_t *kb = keep + b * n_rows;
        size_t n = 0;
        if (cfg->variant == PTC_VARIANT_TOKEN_TOPK) {
            memset(protect, 0, len);
            if (len)
                protect[0] = 1;
            n = ptc_prune_head(&topk, 0.0, 0.0, len, s, protect, kb, sort);
            flops += len > 1 ? (double)len * log2((double)len) : 0.0;
        } else {
            for (size_t r = 0; r < len; r++)
                if (r == 0 || s[r] >= threshold)
                    kb[n++] = (int32_t)r;
            flops += (double)len;
        }
        count[b] = (int32_t)n;
    }
    return flops;
}

/* The rows per sample after removal: the largest count. */
size_t ptc_token_rows_after(size_t batch, const int32_t *count)
{
    size_t n = 0;
    for (size_t b = 0; b < batch; b++)
        if ((size_t)count[b] > n)
            n = (size_t)count[b];
    return n;
}

/* In place: x (batch, n_rows, hidden) -> (batch, n_out, hidden) with row j of
 * sample b = old row keep[b][j], rows [count_b, n_out) zero; score (batch,
 * n_rows) -> (batch, n_out) likewise when not NULL. Every destination lies at
 * or before its source and samples go in order, so nothing unread is
 * overwritten. Returns n_out. */
size_t ptc_token_compact(const ptc_tokens *tok, size_t hidden, const int32_t *keep,
                         const int32_t *count, float *x, float *score)
{
    const size_t n_rows = ptc_tok_rows(tok), n_out = ptc_token_rows_after(tok->batch, count);
    for (size_t b = 0; b < tok->batch; b++) {
        const size_t k = (size_t)count[b];
        const int32_t *kb = keep + b * n_rows;
        for (size_t j = 0; j < k; j++) {
            memmove(x + (b * n_out + j) * hidden, x + (b * n_rows + (size_t)kb[j]) * hidden,
                    hidden * sizeof(float));
            if (score)
                score[b * n_out + j] = score[b * n_rows + (size_t)kb[j]];
        }
        memset(x + (b * n_out + k) * hidden, 0, (n_out - k) * hidden * sizeof(float));
        if (score)
            for (size_t j = k; j < n_out; j++)
                score[b * n_out + j] = 0.0f;
    }
    return n_out;
}

/* Backward of the compaction: dy (batch, n_out, hidden) -> dx (batch, n_rows,
 * hidden of tok, the layout before removal): removed rows and pads get 0. */
void ptc_token_expand(const ptc_tokens *tok, size_t hidden, const int32_t *keep,
                      const int32_t *count, const float *dy, float *dx)
{
    const size_t n_rows = ptc_tok_rows(tok), n_out = ptc_token_rows_after(tok->batch, count);
    memset(dx, 0, tok->batch * n_rows * hidden * sizeof(float));
    for (size_t b = 0; b < tok->batch; b++)
        for (size_t j = 0; j < (size_t)count[b]; j++)
            memcpy(dx + (b * n_rows + (size_t)keep[b * n_rows + j]) * hidden,
                   dy + (b * n_out + j) * hidden, hidden * sizeof(float));
}

/* ---- LTP's soft mask (training) ----------------------------------------------------------- */
/* m (batch, n_rows): sigmoid((s - theta) / T) on the real non-[CLS] rows, 1 on
 * [CLS], 0 on pads; the rows of y are scaled by m. Returns the regularizer
 * lambda mean_b mean_t m over the non-[CLS] real tokens (the caller sums layers). */
double ptc_token_soft_mask(const ptc_variant_config *cfg, const ptc_tokens *tok, size_t hidden,
                           const float *score, float theta, float *mask, float *y)
{
    const size_t n_rows = ptc_tok_rows(tok);
    const double T = cfg->token.temperature;
    double reg = 0.0;
    for (size_t b = 0; b < tok->batch; b++) {
        const size_t len = ptc_tok_len(tok, b);
        double sum = 0.0;
        for (size_t r = 0; r < n_rows; r++) {
            float m = 0.0f;
            if (r == 0 && len)
                m = 1.0f;
            else if (r < len)
                m = (float)(1.0 / (1.0 + exp(-((double)score[b * n_rows + r] - theta) / T)));
            if (r > 0 && r < len)
                sum += m;
            mask[b * n_rows + r] = m;
            float *yr = y + (b * n_rows + r) * hidden;
            for (size_t c = 0; c < hidden; c++)
                yr[c] *= m;
        }
        if (len > 1)
            reg += sum / (double)(len - 1);
    }
    return cfg->token.lambda * reg / (double)tok->batch;
}

/* Backward of ptc_token_soft_mask and its regularizer: dy (the gradient of the
 * masked rows) becomes the gradient of the unmasked rows y_raw in place (dy *=
 * m), and d loss / d theta is returned: sum over masked rows of
 * -(m (1 - m) / T) (dy . y_raw + lambda / (B (len - 1))). */
double ptc_token_soft_mask_backward(const ptc_variant_config *cfg, const ptc_tokens *tok,
                                    size_t hidden, const float *mask, const float *y_raw,
                                    float *dy)
{
    const size_t n_rows = ptc_tok_rows(tok);
    const double T = cfg->token.temperature;
    double dtheta = 0.0;
    for (size_t b = 0; b < tok->batch; b++) {
        const size_t len = ptc_tok_len(tok, b);
        const double dreg = len > 1 ? cfg->token.lambda / ((double)tok->batch * (double)(len - 1))
                                    : 0.0;
        for (size_t r = 0; r < n_rows; r++) {
            const size_t at = (b * n_rows + r) * hidden;
            const float m = mask[b * n_rows + r];
            if (r > 0 && r < len) {
                double dm = dreg;
                for (size_t c = 0; c < hidden; c++)
                    dm += (double)dy[at + c] * (double)y_raw[at + c];
                dtheta -= dm * (double)m * (1.0 - (double)m) / T;
            }
            for (size_t c = 0; c < hidden; c++)
                dy[at + c] *= m;
        }
    }
    return dtheta;
}

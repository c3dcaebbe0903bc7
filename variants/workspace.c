/*
 * variants/workspace.c — the one workspace every forward shares: its size is
 * the largest need of MHSA + selection, the encoder layer, ToMe's merge and the
 * combining module at the shapes of `dims` (each file plans its own part in count
 * mode).
 * Contract: ptc_workspace_bytes in include/ptc/variants.h.
 */
#include "internal.h"

size_t ptc_workspace_bytes(const ptc_dims *dims, char *err, size_t err_len)
{
    if (!dims) {
        ptc_fail(err, err_len, "dims: NULL");
        return 0;
    }
    if (ptc_heads_check(dims->hidden, dims->n_heads, err, err_len) != PTC_OK)
        return 0;
    if (dims->batch == 0 || dims->n_text + dims->n_comb == 0) {
        ptc_fail(err, err_len, "dims: batch = %zu and n_text + n_comb = %zu must be >= 1",
                 dims->batch, dims->n_text + dims->n_comb);
        return 0;
    }
    const ptc_tokens tok = {dims->batch, dims->n_text, dims->n_comb, NULL, PTC_PAD_PADDED};
    size_t need = ptc_encoder_workspace_need(&tok, dims->hidden, dims->n_heads, dims->ffn);
    const size_t sel = ptc_select_workspace_need(&tok, dims->n_heads);
    if (sel > need)
        need = sel;
    const size_t merge = ptc_token_merge_workspace_need(&tok, dims->hidden); /* ToMe */
    if (merge > need)
        need = merge;
    if (dims->n_comb > 0) {
        const size_t comb = ptc_combine_workspace_need(&tok, dims->hidden);
        if (comb > need)
            need = comb;
    }
    return need;
}

/*
 * variants/encoder.c — the whole encoder of a variant, driven by its plan.
 *
 * One arena, planned once for (batch, n_text, cfg), holds two activation
 * buffers that the steps ping-pong between, the shared workspace, the pruning
 * state and the combining assignment: nothing is allocated per forward. Each
 * step of ptc_variant_plan_make() is an encoder layer (over the kept keys when
 * an earlier layer selected, selecting for the next when the plan says so) or
 * the combining module, after which only the m combination tokens continue.
 * Contract: include/ptc/variants.h.
 */
#include "internal.h"

#include <string.h>

static ptc_dims dims_of(const ptc_variant_config *cfg, size_t batch, size_t n_text, size_t ffn)
{
    const size_t n_comb = ptc_variant_combines(cfg->variant) ? cfg->n_comb : 0;
    const ptc_dims d = {batch, n_text, n_comb, cfg->hidden, cfg->n_heads, ffn};
    return d;
}

/* Carves the arena in a fixed order; base == NULL only counts. Returns total bytes. */
static size_t carve(const ptc_variant_config *cfg, size_t batch, size_t n_text, size_t ffn,
                    char *base, ptc_encoder_arena_parts *out, char *err, size_t err_len)
{
    const ptc_dims dims = dims_of(cfg, batch, n_text, ffn);
    const size_t ws_bytes = ptc_workspace_bytes(&dims, err, err_len);
    if (ws_bytes == 0)
        return 0;
    const size_t rows = n_text + dims.n_comb;
    const size_t act_bytes = batch * rows * cfg->hidden * sizeof(float);
    ptc_arena a = {base, 0};
    ptc_encoder_arena_parts e;
    e.act[0] = ptc_arena_take(&a, act_bytes);
    e.act[1] = ptc_arena_take(&a, act_bytes);
    e.workspace_bytes = ws_bytes;
    e.workspace = ptc_arena_take(&a, ws_bytes);
    e.state_bytes = ptc_prune_state_bytes(batch, cfg->n_heads, rows);
    e.state_mem = ptc_arena_take(&a, e.state_bytes);
    e.assign = ptc_arena_take(&a, batch * (n_text ? n_text : 1) * sizeof(int32_t));
    if (out)
        *out = e;
    return a.used;
}

int ptc_encoder_arena_split(const ptc_variant_config *cfg, size_t batch, size_t n_text,
                            size_t ffn, void *arena, ptc_encoder_arena_parts *parts,
                            char *err, size_t err_len)
{
    if (ptc_encoder_arena_bytes(cfg, batch, n_text, ffn, err, err_len) == 0)
        return PTC_EINVAL;
    carve(cfg, batch, n_text, ffn, arena, parts, err, err_len);
    return PTC_OK;
}

size_t ptc_encoder_arena_bytes(const ptc_variant_config *cfg, size_t batch, size_t n_text,
                               size_t ffn, char *err, size_t err_len)
{
    if (ptc_variant_config_check(cfg, err, err_len) != PTC_OK)
        return 0;
    if (ffn == 0) {
        ptc_fail(err, err_len, "ffn = 0: the encoder layers need an FFN size");
        return 0;
    }
    return carve(cfg, batch, n_text, ffn, NULL, NULL, err, err_len);
}

int ptc_encoder_forward(const ptc_ops *ops, const ptc_variant_config *cfg,
                        const ptc_encoder_stack *stack, const ptc_tokens *tok_in,
                        const float *x, const ptc_combine_options *combine_opt,
                        void *arena, size_t arena_bytes, ptc_encoder_result *res,
                        char *err, size_t err_len)
{
    memset(res, 0, sizeof *res);
    ptc_variant_plan plan;
    if (ptc_variant_plan_make(cfg, &plan, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    const bool combines = ptc_variant_combines(cfg->variant);
    if (tok_in->n_comb != (combines ? cfg->n_comb : 0))
        return ptc_fail(err, err_len, "tokens carry %zu combination rows, the variant needs %zu",
                        tok_in->n_comb, combines ? cfg->n_comb : (size_t)0);
    if (tok_in->pad_mode != cfg->pad_mode)
        return ptc_fail(err, err_len, "tokens and config disagree on the padding mode");
    if (combines && !stack->combine)
        return ptc_fail(err, err_len, "the variant combines but the stack has no combining module");
    if (ptc_tokens_check(tok_in, err, err_len) != PTC_OK)
        return PTC_EINVAL;

    const size_t need = ptc_encoder_arena_bytes(cfg, tok_in->batch, tok_in->n_text, stack->ffn,
                                                err, err_len);
    if (need == 0)
        return PTC_EINVAL;
    if (arena_bytes < need || ((uintptr_t)arena & 63) != 0)
        return ptc_fail(err, err_len, "encoder arena: %zu bytes at %p, need %zu, 64-byte aligned",
                        arena_bytes, arena, need);
    ptc_encoder_arena_parts e;
    carve(cfg, tok_in->batch, tok_in->n_text, stack->ffn, arena, &e, err, err_len);

    ptc_tokens tok = *tok_in;
    const size_t hidden = cfg->hidden, rows = ptc_tok_rows(&tok);
    if (x != e.act[0])
        memcpy(e.act[0], x, tok.batch * rows * hidden * sizeof(float));
    ptc_prune_state state;
    if (ptc_prune_state_init(&state, e.state_mem, e.state_bytes, &tok, cfg->n_heads, err,
                             err_len) != PTC_OK)
        return PTC_EINVAL;
    const ptc_combine_options inference = {false, 0, false};
    int cur = 0;
    for (size_t i = 0; i < plan.n_steps; i++) {
        const ptc_step *step = &plan.steps[i];
        ptc_layer_stats *st = &res->steps[i];
        int rc;
        if (step->kind == PTC_STEP_COMBINE) {
            rc = ptc_combine_forward(ops, stack->combine, hidden, &tok, e.act[cur], e.act[!cur],
                                     e.assign, combine_opt ? combine_opt : &inference,
                                     e.workspace, e.workspace_bytes, st, err, err_len);
            tok.n_text = 0; /* only the m combination tokens continue */
            tok.lengths = NULL;
            res->assign = e.assign;
            res->combined = true;
        } else {
            ptc_mhsa_options opt = cfg->mhsa;
            opt.use_kept = !step->comb_only;
            opt.want_importance = step->select;
            rc = ptc_encoder_layer_forward(ops, &stack->layers[step->layer - 1], hidden,
                                           cfg->n_heads, stack->ffn, &tok, e.act[cur],
                                           e.act[!cur], step->comb_only ? NULL : &state, &opt,
                                           e.workspace, e.workspace_bytes, st, err, err_len);
            if (rc == PTC_OK && step->select)
                rc = ptc_prune_select(&cfg->prune, &tok, &state, e.workspace,
                                      e.workspace_bytes, st, err, err_len);
        }
        if (rc != PTC_OK)
            return rc;
        ptc_stats_accumulate(&res->total, st);
        cur = !cur;
        res->n_steps = i + 1;
    }
    res->out = e.act[cur];
    res->out_rows = ptc_tok_rows(&tok);
    res->kept = state.kept;
    res->kept_count = state.count;
    return PTC_OK;
}

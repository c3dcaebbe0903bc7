/*
 * kernels/ref/table_ref.c — the ref ops table: plain C, runs on every CPU.
 */
#include "ref.h"

const ptc_ops ptc_ops_ref = {
    .name = "ref",
    .required_features = 0,
    .vector_floats = 1,
    .sgemm = ptc_sgemm_ref,
    .linear = ptc_linear_ref,
    .residual_layernorm = ptc_residual_layernorm_ref,
    .attention = ptc_attention_ref,
    .attention_importance = ptc_attention_importance_ref,
    .attention_backward = ptc_attention_backward_ref,
    .softmax_rows = ptc_softmax_rows_ref,
    .layernorm_fwd = ptc_layernorm_fwd_ref,
    .layernorm_bwd = ptc_layernorm_bwd_ref,
    .gelu_fwd = ptc_gelu_fwd_ref,
    .gelu_bwd = ptc_gelu_bwd_ref,
    .gelu_fwd_bwd = ptc_gelu_fwd_bwd_ref,
    .vexp = ptc_vexp_ref,
    .verf = ptc_verf_ref,
    .vtanh = ptc_vtanh_ref,
    .dropout_rows = ptc_dropout_rows_ref,
    .gather_rows = ptc_gather_rows_ref,
    .col_sum = ptc_col_sum_ref,
    .col_argmax = ptc_col_argmax_ref,
    .segment_sum_rows = ptc_segment_sum_rows_ref,
};

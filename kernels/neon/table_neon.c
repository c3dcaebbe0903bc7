/*
 * kernels/neon/table_neon.c — the neon ops table.
 *
 * Starts from the ref kernels; each family's block points its entries at the
 * neon kernels that specialise it (declared in neon.h). Built with this folder's
 * ISA flags (Makefile); selected only when the CPU has every required feature.
 */
#include "neon.h"
#include "../ref/ref.h"
#include "ptc/cpu.h"

#if !defined(__aarch64__) || !defined(__ARM_NEON)
#error "kernels/neon/ is for aarch64 with Advanced SIMD"
#endif

const ptc_ops ptc_ops_neon = {
    .name = "neon",
    .required_features = PTC_CPU_NEON,
    .vector_floats = 4,

    /* gemm family */
    .sgemm = ptc_sgemm_neon,
    .linear = ptc_linear_neon,
    .residual_layernorm = ptc_residual_layernorm_neon,


    /* attention family */
    .attention = ptc_attention_neon,
    .attention_importance = ptc_attention_importance_neon,
    .attention_backward = ptc_attention_backward_neon,


    /* row ops family */
    .softmax_rows = ptc_softmax_rows_neon,
    .layernorm_fwd = ptc_layernorm_fwd_neon,
    .layernorm_bwd = ptc_layernorm_bwd_neon,
    .gelu_fwd = ptc_gelu_fwd_neon,
    .gelu_bwd = ptc_gelu_bwd_neon,
    .gelu_fwd_bwd = ptc_gelu_fwd_bwd_neon,
    .vexp = ptc_vexp_neon,
    .verf = ptc_verf_neon,
    .vtanh = ptc_vtanh_neon,
    .dropout_rows = ptc_dropout_rows_ref, /* no 64-bit vector multiply: the scalar hash */


    /* token ops family */
    .gather_rows = ptc_gather_rows_neon,
    .col_sum = ptc_col_sum_neon,
    .col_argmax = ptc_col_argmax_neon,
    .segment_sum_rows = ptc_segment_sum_rows_neon,
};

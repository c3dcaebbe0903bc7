/*
 * kernels/avx2/table_avx2.c — the avx2 ops table.
 *
 * Starts from the ref kernels; each family's block points its entries at the
 * avx2 kernels that specialise it (declared in avx2.h). Built with this folder's
 * ISA flags (Makefile); selected only when the CPU has every required feature.
 */
#include "avx2.h"
#include "../ref/ref.h"
#include "ptc/cpu.h"

#if !defined(__AVX2__) || !defined(__FMA__)
#error "kernels/avx2/ must be compiled with -mavx2 -mfma"
#endif

const ptc_ops ptc_ops_avx2 = {
    .name = "avx2",
    .required_features = PTC_CPU_AVX2 | PTC_CPU_FMA,
    .vector_floats = 8,

    /* gemm family */
    .sgemm = ptc_sgemm_avx2,
    .linear = ptc_linear_avx2,
    .residual_layernorm = ptc_residual_layernorm_avx2,


    /* attention family */
    .attention = ptc_attention_avx2,
    .attention_importance = ptc_attention_importance_avx2,
    .attention_backward = ptc_attention_backward_avx2,


    /* row ops family */
    .softmax_rows = ptc_softmax_rows_avx2,
    .layernorm_fwd = ptc_layernorm_fwd_avx2,
    .layernorm_bwd = ptc_layernorm_bwd_avx2,
    .gelu_fwd = ptc_gelu_fwd_avx2,
    .gelu_bwd = ptc_gelu_bwd_avx2,
    .gelu_fwd_bwd = ptc_gelu_fwd_bwd_avx2,
    .vexp = ptc_vexp_avx2,
    .verf = ptc_verf_avx2,
    .vtanh = ptc_vtanh_avx2,
    .dropout_rows = ptc_dropout_rows_avx2,


    /* token ops family */
    .gather_rows = ptc_gather_rows_avx2,
    .col_sum = ptc_col_sum_avx2,
    .col_argmax = ptc_col_argmax_avx2,
    .segment_sum_rows = ptc_segment_sum_rows_avx2,
};

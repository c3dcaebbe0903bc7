/*
 * kernels/avx512/table_avx512.c — the avx512 ops table.
 *
 * Starts from the ref kernels; each family's block points its entries at the
 * avx512 kernels that specialise it (declared in avx512.h). Built with this folder's
 * ISA flags (Makefile); selected only when the CPU has every required feature.
 */
#include "avx512.h"
#include "../ref/ref.h"
#include "ptc/cpu.h"

#if !defined(__AVX512F__) || !defined(__AVX512DQ__) || !defined(__AVX512BW__) || !defined(__AVX512VL__)
#error "kernels/avx512/ must be compiled with -mavx512f -mavx512dq -mavx512bw -mavx512vl"
#endif

const ptc_ops ptc_ops_avx512 = {
    .name = "avx512",
    .required_features = PTC_CPU_AVX512F | PTC_CPU_AVX512DQ | PTC_CPU_AVX512BW | PTC_CPU_AVX512VL,
    .vector_floats = 16,

    /* gemm family */
    .sgemm = ptc_sgemm_avx512,
    .linear = ptc_linear_avx512,
    .residual_layernorm = ptc_residual_layernorm_avx512,


    /* attention family */
    .attention = ptc_attention_avx512,
    .attention_importance = ptc_attention_importance_avx512,
    .attention_backward = ptc_attention_backward_avx512,


    /* row ops family */
    .softmax_rows = ptc_softmax_rows_avx512,
    .layernorm_fwd = ptc_layernorm_fwd_avx512,
    .layernorm_bwd = ptc_layernorm_bwd_avx512,
    .gelu_fwd = ptc_gelu_fwd_avx512,
    .gelu_bwd = ptc_gelu_bwd_avx512,
    .gelu_fwd_bwd = ptc_gelu_fwd_bwd_avx512,
    .vexp = ptc_vexp_avx512,
    .verf = ptc_verf_avx512,
    .vtanh = ptc_vtanh_avx512,
    .dropout_rows = ptc_dropout_rows_avx512,


    /* token ops family */
    .gather_rows = ptc_gather_rows_avx512,
    .col_sum = ptc_col_sum_avx512,
    .col_argmax = ptc_col_argmax_avx512,
    .segment_sum_rows = ptc_segment_sum_rows_avx512,
};

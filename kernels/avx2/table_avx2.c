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
    .sgemm = ptc_sgemm_ref,


    /* attention family */
    .attention = ptc_attention_avx2,
    .attention_importance = ptc_attention_importance_avx2,


    /* row ops family */
    .softmax_rows = ptc_softmax_rows_ref,
    .layernorm_fwd = ptc_layernorm_fwd_ref,
    .layernorm_bwd = ptc_layernorm_bwd_ref,
    .gelu_fwd = ptc_gelu_fwd_ref,
    .gelu_bwd = ptc_gelu_bwd_ref,
    .vexp = ptc_vexp_ref,
    .verf = ptc_verf_ref,
    .vtanh = ptc_vtanh_ref,


    /* token ops family */
    .gather_rows = ptc_gather_rows_ref,
    .col_sum = ptc_col_sum_ref,
    .col_argmax = ptc_col_argmax_ref,
    .segment_sum_rows = ptc_segment_sum_rows_ref,
};

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
    .sgemm = ptc_sgemm_ref,


    /* attention family */
    .attention = ptc_attention_neon,
    .attention_importance = ptc_attention_importance_neon,


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

/*
 * kernels/avx2/avx2.h — declarations of the avx2 kernels that table_avx2.c lists.
 * Contracts: the matching fields of ptc_ops in include/ptc/ops.h.
 */
#ifndef PTC_KERNELS_AVX2_H
#define PTC_KERNELS_AVX2_H

#include "ptc/ops.h"

/* gemm family */


/* attention family */
void ptc_attention_avx2(const ptc_attention_args *args);
void ptc_attention_importance_avx2(const ptc_attention_args *args,
                                  const float *query_weight, float *importance);


/* row ops family */


/* token ops family */


#endif /* PTC_KERNELS_AVX2_H */

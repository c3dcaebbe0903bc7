/*
 * kernels/avx512/avx512.h — declarations of the avx512 kernels that table_avx512.c lists.
 * Contracts: the matching fields of ptc_ops in include/ptc/ops.h.
 */
#ifndef PTC_KERNELS_AVX512_H
#define PTC_KERNELS_AVX512_H

#include "ptc/ops.h"

/* gemm family */


/* attention family */
void ptc_attention_avx512(const ptc_attention_args *args);
void ptc_attention_importance_avx512(const ptc_attention_args *args,
                                  const float *query_weight, float *importance);


/* row ops family */


/* token ops family */


#endif /* PTC_KERNELS_AVX512_H */

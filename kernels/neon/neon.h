/*
 * kernels/neon/neon.h — declarations of the neon kernels that table_neon.c lists.
 * Contracts: the matching fields of ptc_ops in include/ptc/ops.h.
 */
#ifndef PTC_KERNELS_NEON_H
#define PTC_KERNELS_NEON_H

#include "ptc/ops.h"

/* gemm family */


/* attention family */
void ptc_attention_neon(const ptc_attention_args *args);
void ptc_attention_importance_neon(const ptc_attention_args *args,
                                  const float *query_weight, float *importance);


/* row ops family */


/* token ops family */


#endif /* PTC_KERNELS_NEON_H */

/*
 * kernels/avx512/avx512.h — declarations of the avx512 kernels that table_avx512.c lists.
 * Contracts: the matching fields of ptc_ops in include/ptc/ops.h.
 */
#ifndef PTC_KERNELS_AVX512_H
#define PTC_KERNELS_AVX512_H

#include "ptc/ops.h"

/* gemm family */


/* attention family */


/* row ops family */


/* token ops family */


#endif /* PTC_KERNELS_AVX512_H */

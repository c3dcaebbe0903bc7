/*
 * kernels/neon/neon.h — declarations of the neon kernels that table_neon.c lists.
 * Contracts: the matching fields of ptc_ops in include/ptc/ops.h.
 */
#ifndef PTC_KERNELS_NEON_H
#define PTC_KERNELS_NEON_H

#include "ptc/ops.h"

/* gemm family */


/* attention family */


/* row ops family */


/* token ops family */


#endif /* PTC_KERNELS_NEON_H */

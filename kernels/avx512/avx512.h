/*
 * kernels/avx512/avx512.h — declarations of the avx512 kernels that table_avx512.c lists.
 * Contracts: the matching fields of ptc_ops in include/ptc/ops.h.
 */
#ifndef PTC_KERNELS_AVX512_H
#define PTC_KERNELS_AVX512_H

#include "ptc/ops.h"

/* gemm family */
void ptc_sgemm_avx512(ptc_trans ta, ptc_trans tb, size_t m, size_t n, size_t k, float alpha,
                      const float *a, size_t lda, const float *b, size_t ldb, float beta,
                      float *c, size_t ldc);


/* attention family */
void ptc_attention_avx512(const ptc_attention_args *args);
void ptc_attention_importance_avx512(const ptc_attention_args *args,
                                  const float *query_weight, float *importance);
void ptc_attention_backward_avx512(const ptc_attention_bwd_args *args);


/* row ops family */
void ptc_softmax_rows_avx512(size_t rows, size_t cols, const float *x, size_t ldx,
                             const float *bias, float *y, size_t ldy);
void ptc_linear_avx512(size_t rows, size_t in, size_t out, const float *x, size_t ldx,
                       const float *w, const float *bias, ptc_act act, float *y, size_t ldy);
void ptc_residual_layernorm_avx512(size_t rows, size_t cols, const float *x, size_t ldx,
                                   const float *res, size_t ldr, const float *gamma, const float *beta,
                                   float eps, float *y, size_t ldy, float *sum, size_t lds, float *mean,
                                   float *rstd);
void ptc_layernorm_fwd_avx512(size_t rows, size_t cols, const float *x, size_t ldx,
                              const float *gamma, const float *beta, float eps,
                              float *y, size_t ldy, float *mean, float *rstd);
void ptc_layernorm_bwd_avx512(size_t rows, size_t cols, const float *dy, size_t lddy,
                              const float *x, size_t ldx, const float *gamma,
                              const float *mean, const float *rstd,
                              float *dx, size_t lddx, float *dgamma, float *dbeta);
void ptc_gelu_fwd_avx512(size_t n, const float *x, float *y);
void ptc_gelu_bwd_avx512(size_t n, const float *x, const float *dy, float *dx);
void ptc_gelu_fwd_bwd_avx512(size_t n, const float *x, const float *dy, float *y, float *dx);
void ptc_vexp_avx512(size_t n, const float *x, float *y);
void ptc_verf_avx512(size_t n, const float *x, float *y);
void ptc_vtanh_avx512(size_t n, const float *x, float *y);
void ptc_dropout_rows_avx512(size_t rows, size_t cols, float *x, size_t ldx, uint64_t prefix,
                             uint64_t first, uint64_t bound, float keep_scale);


/* token ops family */
void ptc_gather_rows_avx512(size_t n_idx, size_t cols, const float *src, size_t lds,
                            const int32_t *rows, float *dst, size_t ldd);
void ptc_col_sum_avx512(size_t rows, size_t cols, const float *x, size_t ldx, float *out);
void ptc_col_argmax_avx512(size_t rows, size_t cols, const float *x, size_t ldx, int32_t *out);
void ptc_segment_sum_rows_avx512(size_t n, size_t cols, const float *src, size_t lds,
                                 const int32_t *segment, float *dst, size_t ldd);


#endif /* PTC_KERNELS_AVX512_H */

/*
 * kernels/gemm_driver.h — the ISA-free BLIS-style sgemm driver and the
 * descriptor an ISA fills in to use it.
 *
 * An ISA's sgemm is one register-blocked MR x NR micro-kernel (plus packing
 * routines if it wants its own) and a `ptc_gemm_desc`; its table entry is a
 * three-line function calling ptc_gemm_drive() with that descriptor.
 *
 * Packed formats (what the micro-kernel reads)
 *   A micro-panel: op(A) rows [i, i+MR) x columns [p, p+kc), stored k-major:
 *     a_panel[q*MR + r] = op(A)[i+r][p+q]; rows past m are zero.
 *   B micro-panel: op(B) rows [p, p+kc) x columns [j, j+NR), stored k-major:
 *     b_panel[q*NR + s] = op(B)[p+q][j+s]; columns past n are zero.
 *   A pack buffer = consecutive A micro-panels (MR*kc floats each),
 *   B pack buffer = consecutive B micro-panels (kc*NR floats each); both are
 *   64-byte aligned.
 *
 * Micro-kernel contract
 *   ukernel(kc, a_panel, b_panel, c, ldc, m_eff, n_eff, alpha, beta):
 *     acc[r][s] = sum_{q < kc, in order} a_panel[q*MR + r] * b_panel[q*NR + s]
 *     for r < m_eff, s < n_eff:  c[r*ldc + s] = alpha*acc[r][s] (+ beta*c[r*ldc + s])
 *   computed as t = alpha*acc, then (beta != 0 only) t = fma(beta, c, t).
 *   beta == 0: c is never read. 1 <= m_eff <= MR, 1 <= n_eff <= NR, kc >= 1.
 *   The kernel owns its edge case: it touches no element of c outside
 *   m_eff x n_eff, and computes every element the same way whatever m_eff and
 *   n_eff are (so results do not depend on where tile borders fall).
 *
 * Threading and determinism: see gemm_driver.c. Every C element is computed by
 * one thread, with the k dimension cut at the same KC borders and summed in the
 * same order, so results are bit-identical for any thread count.
 */
#ifndef PTC_KERNELS_GEMM_DRIVER_H
#define PTC_KERNELS_GEMM_DRIVER_H

#include "ptc/ops.h"

#include <stddef.h>

typedef void (*ptc_gemm_ukernel_fn)(size_t kc, const float *a_panel, const float *b_panel,
                                    float *c, size_t ldc, size_t m_eff, size_t n_eff,
                                    float alpha, float beta);

/* The micro-kernel's contract for a whole MR-row tile with op(A) = A read in place
 * instead of packed: row r of the tile is a + r*lda (r < MR), its k columns
 * a[r*lda + q] for q < kc; the same products summed in the same order as ukernel on
 * the packed panel with m_eff = MR (the same bits). */
typedef void (*ptc_gemm_ukernel_a_rows_fn)(size_t kc, const float *a, size_t lda,
                                           const float *b_panel, float *c, size_t ldc,
                                           size_t n_eff, float alpha, float beta);

/* The longest k block (KC) of any descriptor */
#define PTC_GEMM_KC_MAX 1024

/* Packs op(A) rows [i0, i0+mc) x cols [p0, p0+kc) into ceil(mc/MR) A micro-panels
 * at dst (zero-padded to MR rows). `a`, `lda`, `ta` describe A as passed to sgemm. */
typedef void (*ptc_gemm_pack_a_fn)(ptc_trans ta, const float *a, size_t lda, size_t i0,
                                   size_t mc, size_t p0, size_t kc, size_t mr, float *dst);
/* Packs op(B) rows [p0, p0+kc) x cols [j0, j0+nc) into ceil(nc/NR) B micro-panels
 * at dst (zero-padded to NR columns). */
typedef void (*ptc_gemm_pack_b_fn)(ptc_trans tb, const float *b, size_t ldb, size_t p0,
                                   size_t kc, size_t j0, size_t nc, size_t nr, float *dst);

typedef struct ptc_gemm_desc {
    const char *name;        /* e.g. "6x16_avx2" */
    size_t mr, nr;           /* micro-tile */
    /* Cache blocking, sized per CPU at run time from ptc_cpu_cache_sizes()
     * (ptc_gemm_blocking): */
    unsigned kc_l1_pct;      /* KC: a B micro-panel (KC x NR) fills this % of L1d */
    unsigned mc_l2_pct;      /* MC: the packed A block (MC x KC) fills this % of L2 */
    size_t nc_max;           /* NC: the packed B panel (KC x NC) fits half of L3, NC <= this */
    ptc_gemm_ukernel_fn ukernel;
    /* NULL, or ukernel reading op(A) = A in place on whole tiles: used where packing A
     * costs more than it saves (ptc_gemm_drive: each A block serves few B
     * micro-panels; a block's last micro-panel of fewer than MR rows is packed) */
    ptc_gemm_ukernel_a_rows_fn ukernel_a_rows;
    ptc_gemm_pack_a_fn pack_a; /* NULL: ptc_gemm_pack_a_generic */
    ptc_gemm_pack_b_fn pack_b; /* NULL: ptc_gemm_pack_b_generic */
} ptc_gemm_desc;

/* The block sizes of `d` on a CPU with caches `caches` (bytes): KC a multiple of 8
 * in [32, PTC_GEMM_KC_MAX], MC a multiple of MR, NC a multiple of NR, none below one tile.
 * Only KC changes results (where k is cut); it depends on L1d and k alone. */
typedef struct ptc_gemm_blocks { size_t kc, mc, nc; } ptc_gemm_blocks;
ptc_gemm_blocks ptc_gemm_blocking(const ptc_gemm_desc *d, size_t l1d, size_t l2, size_t l3);

/* The sgemm of ops.h, driven by descriptor `d`. */
void ptc_gemm_drive(const ptc_gemm_desc *d, ptc_trans ta, ptc_trans tb, size_t m, size_t n,
                    size_t k, float alpha, const float *a, size_t lda, const float *b,
                    size_t ldb, float beta, float *c, size_t ldc);

/* An element-wise row function applied in place (the table's gelu_fwd). */
typedef void (*ptc_gemm_rows_fn)(size_t n, const float *x, float *y);

/* The linear of ops.h driven by `d`: y = act(x W^T + bias); `act` is the table's
 * activation for the requested ptc_act, or NULL for none. The bias is copied into
 * each C tile before its first micro-kernel call (which then runs with beta 1) and
 * `act` runs on the tile's rows after its last: the same operations as the
 * unfused bias copy, sgemm and activation. */
void ptc_gemm_drive_linear(const ptc_gemm_desc *d, ptc_gemm_rows_fn act, size_t rows, size_t in,
                           size_t out, const float *x, size_t ldx, const float *w,
                           const float *bias, float *y, size_t ldy);

/* Plain C packing, correct for any MR/NR (the defaults). */
void ptc_gemm_pack_a_generic(ptc_trans ta, const float *a, size_t lda, size_t i0, size_t mc,
                             size_t p0, size_t kc, size_t mr, float *dst);
void ptc_gemm_pack_b_generic(ptc_trans tb, const float *b, size_t ldb, size_t p0, size_t kc,
                             size_t j0, size_t nc, size_t nr, float *dst);

#endif /* PTC_KERNELS_GEMM_DRIVER_H */

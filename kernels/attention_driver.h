/*
 * kernels/attention_driver.h — the ISA-free drivers of the fused attention
 * kernels, built from per-ISA micro-kernels (the shape of BLIS: loops around
 * micro-kernels; compiled per ISA as SLEEF compiles one algorithm per ISA).
 *
 *   ptc_attn_tile_dots       the scores (or dP) of a block of query rows against
 *                            one key tile, over head-dim chunks (forward and backward)
 *   ptc_attn_backward_drive  ptc_attention_bwd_args's whole backward: the query-block
 *                            loop, the key tiles, and three rank updates per tile
 *
 * An ISA supplies its micro-kernels in a `static const` table and calls the
 * drivers with it: kernels/<isa>/attention_<isa>.h (tile: block sizes, packing,
 * score micro-kernel) and kernels/<isa>/attention_backward_<isa>.c (softmax
 * gradient of a tile, rank update, zeroing, dot product). The drivers are
 * always inlined into the ISA's source, so a table that is a compile-time
 * constant becomes direct (inlined) calls: the ISA's code is what runs, with no
 * indirection. Nothing here touches a vector register; this file is plain C and
 * carries no ISA flags of its own.
 *
 * Layouts ("queries in lanes", kernels/attention_common.h): a block of QB query
 * rows is packed transposed, xt[c][i] (dn x QB); scores are st[t][i] (tile x QB),
 * one QB-vector per key. Results are those of the per-ISA loops this replaces,
 * bit for bit (the same micro-kernel calls in the same order).
 */
#ifndef PTC_KERNELS_ATTENTION_DRIVER_H
#define PTC_KERNELS_ATTENTION_DRIVER_H

#include "attention_common.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Largest query block and head-dim chunk of any ISA (the drivers' stack buffers). */
#define PTC_ATTN_QB_MAX 32
#define PTC_ATTN_DMAX_MAX 256

#define PTC_ATTN_INLINE static inline __attribute__((always_inline))

/* The micro-kernels of the score tiles. */
typedef struct ptc_attn_tile_ukernels {
    size_t qb;    /* query rows per block (<= PTC_ATTN_QB_MAX): the lanes of a score vector */
    size_t kr;    /* keys per score micro-kernel; key tiles are padded to a multiple of it */
    size_t dmax;  /* head-dim columns packed at once (<= PTC_ATTN_DMAX_MAX) */
    /* xt[c][i] = x[i0 + i][c0 + c] for c < dn, i < qb (0 for rows i >= nq) */
    void (*pack)(size_t qb, const float *x, size_t ldx, size_t i0, size_t nq, size_t c0,
                 size_t dn, float *xt);
    /* st[r][0..qb) (+)= sum_{c < dn} xt[c][0..qb) * k[r][c0 + c] for r < kr;
     * accumulate: add to st (later head-dim chunks); bias != NULL (last chunk):
     * st[r] = scale * st[r] + bias[r] */
    void (*scores)(size_t dn, const float *xt, const float *const *k, size_t c0, float *st,
                   bool accumulate, const float *bias, float scale);
} ptc_attn_tile_ukernels;

/* The backward's micro-kernels, besides the tile's. */
typedef struct ptc_attn_bwd_ukernels {
    const ptc_attn_tile_ukernels *tile;
    /* for t < n, vertically over the qb lanes: st[t] = p = exp(st[t] - lse),
     * dpt[t] = scale * p * (dpt[t] - delta); lse, delta: qb floats, 64-byte aligned */
    void (*softmax_grad)(size_t n, float *st, float *dpt, const float *lse, const float *delta,
                         float scale);
    /* out_r[c] += sum_{x < nx} coef[r * crs + x * cxs] * in_x[c] for r < rows, c < d:
     * (rows, d) += coef (rows, nx) * in (nx, d), every row through its own pointer */
    void (*update_rows)(size_t rows, size_t d, float *const *out, const float *coef, size_t crs,
                        size_t cxs, size_t nx, const float *const *in);
    void (*zero_rows)(size_t rows, size_t d, float *const *out); /* (rows, d) = 0 */
    float (*dot)(size_t d, const float *x, const float *y);      /* x . y over d floats */
} ptc_attn_bwd_ukernels;

/* The plain C packing (an ISA's `pack` unless it has its own). */
static inline void ptc_attn_pack_generic(size_t qb, const float *x, size_t ldx, size_t i0,
                                         size_t nq, size_t c0, size_t dn, float *xt)
{
    for (size_t i = 0; i < qb; i++) {
        if (i < nq) {
            const float *row = x + (i0 + i) * ldx + c0;
            for (size_t c = 0; c < dn; c++)
                xt[c * qb + i] = row[c];
        } else {
            for (size_t c = 0; c < dn; c++)
                xt[c * qb + i] = 0.0f;
        }
    }
}

/* st[t][i] = scale * x_{i0+i} . y_t + bias_t for t < n, rounded up to a multiple of
 * u->kr (the row pointers y are padded so); bias == NULL: the plain dot product,
 * unscaled. xt holds x's block transposed for all of d when `resident`, else it is
 * repacked here chunk by chunk. Forward: x = q, y = the tile's keys; backward also
 * x = dO, y = the tile's values (dP). */
PTC_ATTN_INLINE void ptc_attn_tile_dots(const ptc_attn_tile_ukernels *u, const float *x, size_t ldx,
                                        size_t d, bool resident, size_t i0, size_t nq,
                                        const float *const *y, size_t n, const float *bias,
                                        float scale, float *xt, float *st)
{
    size_t c0 = 0;
    do {
        const size_t dn = d - c0 < u->dmax ? d - c0 : u->dmax;
        if (!resident)
            u->pack(u->qb, x, ldx, i0, nq, c0, dn, xt);
        const bool last = c0 + dn >= d;
        for (size_t g = 0; g < n; g += u->kr)
            u->scores(dn, xt, y + g, c0, st + g * u->qb, c0 > 0, last && bias ? bias + g : NULL,
                      scale);
        c0 += dn;
    } while (c0 < d);
}

/* Active keys per tile of the backward, every ISA (96, the AVX2 forward's, measured
 * no faster there) */
#define PTC_ATTN_BWD_TILE 48

/* Dense staging of the backward's row-wise operands, for heads whose rows lie
 * >= PTC_ATTN_COPY_MIN_STRIDE bytes apart (training's q, k, v, dq, dk, dv: 768
 * floats, 3 KiB): the accumulators of dk and dv, one row per listed key in tile
 * order (written to the kept rows once, at the end), and per query block its dq
 * accumulator and copies of its q and dO rows (qb rows each, written back / read
 * once per block). Every row is d floats, so a tile's rows no longer fall into the
 * few L1 sets that rows a multiple of 1 KiB apart share. Each element sees the same
 * operations in the same order: results are bit-identical. */
typedef struct ptc_attn_bwd_stage {
    float *dk, *dv;        /* (keys, d) each, listed-key order */
    float *dq, *q, *dout;  /* (qb, d) each, the current block's rows */
} ptc_attn_bwd_stage;

/* The stage of a head whose `keys` active kept keys are listed, in the calling
 * thread's PTC_SCRATCH_ATTENTION_STAGE buffer (kernels/scratch.h), its dk and dv
 * rows zeroed; false (then everything runs in place) when every row is closer than
 * the stride rule, past PTC_ATTN_COPY_MAX_FLOATS floats, or without the buffer. */
static inline bool ptc_attn_bwd_stage_get(const ptc_attention_bwd_args *args, size_t keys,
                                          size_t qb, ptc_attn_bwd_stage *st)
{
    const ptc_attention_args *fwd = &args->fwd;
    const size_t d = fwd->d;
    const size_t lds[] = {fwd->ldq, args->lddout, args->lddq, args->lddk, args->lddv};
    size_t widest = 0;
    for (size_t i = 0; i < sizeof lds / sizeof lds[0]; i++)
        widest = lds[i] > widest ? lds[i] : widest;
    if (widest * sizeof(float) < PTC_ATTN_COPY_MIN_STRIDE || keys == 0 || d == 0 ||
        d > PTC_ATTN_COPY_MAX_FLOATS / (2 * keys + 3 * qb))
        return false;
    /* each part starts on a 64-byte line */
    const size_t key_part = (keys * d + 15) / 16 * 16, block_part = (qb * d + 15) / 16 * 16;
    float *buf = ptc_scratch_get(PTC_SCRATCH_ATTENTION_STAGE, 2 * key_part + 3 * block_part);
    if (!buf)
        return false;
    st->dk = buf;
    st->dv = st->dk + key_part;
    st->dq = st->dv + key_part;
    st->q = st->dq + block_part;
    st->dout = st->q + block_part;
    memset(st->dk, 0, 2 * key_part * sizeof(float));
    return true;
}

/* The attention backward of ops.h (ptc_attention_bwd_args), flash-attention style.
 * Per block of qb query rows:
 *   - q and dO of the block are packed transposed (once when d <= dmax, else chunk
 *     by chunk per tile); D_i = dO_i . o_i and lse_i one lane per row (rows past n_q
 *     or with lse = -INFINITY get lse = +INFINITY: their p is exactly 0);
 *   - dq rows of the block are zeroed; then for every tile of active kept keys
 *     (keys masked by -INFINITY never enter): st = S^T and dpt = dP^T (tile x qb) by
 *     the score micro-kernel (q with k; dO with v, unscaled), p and ds vertically
 *     (softmax_grad), and three rank updates: dv_t += sum_i p[t][i] dO_i,
 *     dk_t += sum_i ds[t][i] q_i (the kept keys' rows, in place across blocks),
 *     dq_i += sum_t ds[t][i] k_t (the block's rows, in place).
 * The rows of dk and dv of every kept key are zeroed first (masked keys stay 0).
 * The key tiles are built once for the head (ptc_attn_list_head_tiles: up to
 * PTC_ATTN_LIST_MAX_KEYS keys, else per block); then K and V rows >= 1 KiB apart
 * are read from a dense copy (ptc_attn_copy_listed_rows) and the row operands of
 * the rank updates are staged dense (ptc_attn_bwd_stage); bit-identical either way.
 * Nothing of size (n_q, n_kv) exists. Stack: ~81 KiB (qt and dot 32 KiB each,
 * st and dpt 6 KiB each, row pointers and a tile ~3 KiB); per-thread scratch
 * (kernels/scratch.h, kept between calls): the listed tiles (2.3 KiB per 48
 * keys), and when staged 2 n_kv d floats of K and V and 2 n_kv d + 3 qb d of the
 * stage (in place without them).
 * Deterministic (fixed order), single-threaded. */
PTC_ATTN_INLINE void ptc_attn_backward_drive(const ptc_attn_bwd_ukernels *u,
                                             const ptc_attention_bwd_args *args)
{
    const ptc_attn_tile_ukernels *tu = u->tile;
    const ptc_attention_args *fwd = &args->fwd;
    const size_t d = fwd->d, qb = tu->qb;
    const bool resident = d <= tu->dmax;
    float qt[PTC_ATTN_DMAX_MAX * PTC_ATTN_QB_MAX] __attribute__((aligned(64)));
    float dot[PTC_ATTN_DMAX_MAX * PTC_ATTN_QB_MAX] __attribute__((aligned(64)));
    float st[PTC_ATTN_BWD_TILE * PTC_ATTN_QB_MAX] __attribute__((aligned(64)));
    float dpt[PTC_ATTN_BWD_TILE * PTC_ATTN_QB_MAX] __attribute__((aligned(64)));
    float lse[PTC_ATTN_QB_MAX] __attribute__((aligned(64)));
    float delta[PTC_ATTN_QB_MAX] __attribute__((aligned(64)));
    const float *qrow[PTC_ATTN_QB_MAX], *dorow[PTC_ATTN_QB_MAX];
    float *dqrow[PTC_ATTN_QB_MAX], *dkrow[PTC_ATTN_BWD_TILE], *dvrow[PTC_ATTN_BWD_TILE];
    ptc_attn_key_tile tile;
    /* the head's key tiles, built once (else per block), their K and V rows copied
     * dense at wide strides (else read in place) */
    size_t n_listed;
    ptc_attn_key_tile *const listed =
        ptc_attn_list_head_tiles(fwd, PTC_ATTN_BWD_TILE, tu->kr, &n_listed);
    ptc_attn_copy_listed_rows(fwd, listed, n_listed, tu->kr);
    ptc_attn_bwd_stage stage = {0}; /* set by ptc_attn_bwd_stage_get when staged */
    const bool staged =
        n_listed > 0 &&
        ptc_attn_bwd_stage_get(args, ptc_attn_listed_keys(listed, n_listed), qb, &stage);

    /* dk, dv: the rows of every kept key start at 0 (masked keys stay so) */
    for (size_t j = 0; j < fwd->n_kv; j++) {
        const size_t row = fwd->kv_rows ? (size_t)fwd->kv_rows[j] : j;
        float *zero[2] = {args->dk + row * args->lddk, args->dv + row * args->lddv};
        u->zero_rows(2, d, zero);
    }

    for (size_t i0 = 0; i0 < fwd->n_q; i0 += qb) {
        const size_t nq = fwd->n_q - i0 < qb ? fwd->n_q - i0 : qb;
        for (size_t i = 0; i < qb; i++) {
            const bool live = i < nq && fwd->lse[i0 + i] != -INFINITY;
            lse[i] = live ? fwd->lse[i0 + i] : INFINITY;
            delta[i] = live ? u->dot(d, args->dout + (i0 + i) * args->lddout,
                                     fwd->o + (i0 + i) * fwd->ldo)
                            : 0.0f;
            if (i >= nq)
                continue;
            if (staged) {
                memcpy(stage.q + i * d, fwd->q + (i0 + i) * fwd->ldq, d * sizeof(float));
                memcpy(stage.dout + i * d, args->dout + (i0 + i) * args->lddout, d * sizeof(float));
                qrow[i] = stage.q + i * d;
                dorow[i] = stage.dout + i * d;
                dqrow[i] = stage.dq + i * d;
            } else {
                qrow[i] = fwd->q + (i0 + i) * fwd->ldq;
                dorow[i] = args->dout + (i0 + i) * args->lddout;
                dqrow[i] = args->dq + (i0 + i) * args->lddq;
            }
        }
        u->zero_rows(nq, d, dqrow);
        if (resident) {
            tu->pack(qb, fwd->q, fwd->ldq, i0, nq, 0, d, qt);
            tu->pack(qb, args->dout, args->lddout, i0, nq, 0, d, dot);
        }
        size_t next = 0, slot = 0; /* slot: the stage row of the tile's first key */
        const ptc_attn_key_tile *kt;
        while ((kt = ptc_attn_tile_next(fwd, listed, n_listed, &next, PTC_ATTN_BWD_TILE, tu->kr,
                                        &tile))) {
            const size_t n = kt->n;
            ptc_attn_tile_dots(tu, fwd->q, fwd->ldq, d, resident, i0, nq, kt->k, n, kt->bias,
                               fwd->scale, qt, st);
            ptc_attn_tile_dots(tu, args->dout, args->lddout, d, resident, i0, nq, kt->v, n, NULL,
                               1.0f, dot, dpt);
            u->softmax_grad(n, st, dpt, lse, delta, fwd->scale); /* p into st, ds into dpt */
            for (size_t t = 0; t < n; t++) {
                if (staged) {
                    dkrow[t] = stage.dk + (slot + t) * d;
                    dvrow[t] = stage.dv + (slot + t) * d;
                    continue;
                }
                const size_t row = fwd->kv_rows ? (size_t)fwd->kv_rows[kt->kept[t]]
                                                : (size_t)kt->kept[t];
                dkrow[t] = args->dk + row * args->lddk;
                dvrow[t] = args->dv + row * args->lddv;
            }
            slot += n;
            u->update_rows(n, d, dvrow, st, qb, 1, nq, dorow);   /* dv_t += p[t] dO */
            u->update_rows(n, d, dkrow, dpt, qb, 1, nq, qrow);   /* dk_t += ds[t] q */
            u->update_rows(nq, d, dqrow, dpt, 1, qb, n, kt->k); /* dq_i += ds[.][i] k */
        }
        if (staged)
            for (size_t i = 0; i < nq; i++)
                memcpy(args->dq + (i0 + i) * args->lddq, stage.dq + i * d, d * sizeof(float));
    }
    if (staged) /* the staged dk and dv rows to the kept keys' rows */
        for (size_t T = 0, slot = 0; T < n_listed; T++)
            for (size_t t = 0; t < listed[T].n; t++, slot++) {
                const size_t j = (size_t)listed[T].kept[t];
                const size_t row = fwd->kv_rows ? (size_t)fwd->kv_rows[j] : j;
                memcpy(args->dk + row * args->lddk, stage.dk + slot * d, d * sizeof(float));
                memcpy(args->dv + row * args->lddv, stage.dv + slot * d, d * sizeof(float));
            }
}

#endif /* PTC_KERNELS_ATTENTION_DRIVER_H */

/*
 * kernels/attention_common.h — ISA-free pieces shared by the attention kernels
 * (kernels/avx2/attention_avx2.c, kernels/avx512/attention_avx512.c,
 * kernels/neon/attention_neon.c). Contract of the ops: ptc_attention_args in
 * include/ptc/ops.h; specification: kernels/ref/attention_ref.c.
 *
 * Every ISA uses the same shape of algorithm ("queries in lanes"):
 *   - a block of QB query rows is packed transposed, Qt[c][i] (d x QB), once per
 *     block, so one vector holds W query rows of one head-dim column;
 *   - kept keys are streamed in tiles of at most PTC_ATTN_TILE_MAX ACTIVE keys:
 *     the tile builder below walks the kept-key list, skips keys whose bias is
 *     -INFINITY (so fully masked key tiles cost nothing and never reach the
 *     softmax), and records one row pointer per key into k and v: pruned or
 *     masked keys are never copied, and K/V rows are read in place (a key's
 *     value is broadcast, so no transposition of K is needed), or, in the x86
 *     kernels when a head's tiles are listed once and its rows lie >= 1 KiB
 *     apart, from one dense copy of the kept rows (ptc_attn_copy_listed_rows);
 *   - scores St[t][i] (tile x QB) then have one vector per key, so the online
 *     softmax (running max, running sum, rescale) is vertical: no horizontal
 *     reductions per query row;
 *   - the output accumulator is kept transposed, Ot[c][i] (d x QB), and is
 *     transposed into o at the end of the block.
 * This header holds the key-tile builder (and the list of a head's tiles, built
 * once, and the dense copy of their rows), the online softmax's polynomial and
 * the final lse rule; nothing here touches a vector register.
 */
#ifndef PTC_KERNELS_ATTENTION_COMMON_H
#define PTC_KERNELS_ATTENTION_COMMON_H

#include "ptc/ops.h"
#include "scratch.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* capacity of a key tile (active keys): the largest tile of any ISA's forward
 * (AVX2: 96; AVX-512 and NEON: 48) and of the backward (PTC_ATTN_BWD_TILE) */
#define PTC_ATTN_TILE_MAX 96

/* One tile of active (not masked) kept keys, in kept-key order. */
typedef struct ptc_attn_key_tile {
    size_t n;                               /* active keys in the tile */
    const float *k[PTC_ATTN_TILE_MAX];      /* key row of each; padded entries repeat the last */
    const float *v[PTC_ATTN_TILE_MAX];      /* value row of each */
    float bias[PTC_ATTN_TILE_MAX];          /* key_bias of its row, or 0 */
    int32_t kept[PTC_ATTN_TILE_MAX];        /* its kept-key index j (importance column) */
} ptc_attn_key_tile;

/*
 * Fills `tile` with up to `capacity` (<= PTC_ATTN_TILE_MAX) active keys, starting at
 * kept key *next, and advances *next past the keys consumed (masked ones included).
 * Entries n .. round_up(n, pad_to)-1 of k and bias are padding (the last active
 * key's row, bias 0) so a micro-kernel working on groups of pad_to keys reads only
 * valid rows; capacity must be a multiple of pad_to. Returns tile->n (0 = no keys left).
 */
static inline size_t ptc_attn_next_key_tile(const ptc_attention_args *args, size_t *next,
                                            size_t capacity, size_t pad_to,
                                            ptc_attn_key_tile *tile)
{
    size_t n = 0, j = *next;
    for (; j < args->n_kv && n < capacity; j++) {
        const size_t row = args->kv_rows ? (size_t)args->kv_rows[j] : j;
        const float bias = args->key_bias ? args->key_bias[row] : 0.0f;
        if (bias == -INFINITY)
            continue;
        tile->k[n] = args->k + row * args->ldk;
        tile->v[n] = args->v + row * args->ldv;
        tile->bias[n] = bias;
        tile->kept[n] = (int32_t)j;
        n++;
    }
    *next = j;
    tile->n = n;
    for (size_t t = n; n > 0 && t % pad_to != 0; t++) {
        tile->k[t] = tile->k[n - 1];
        tile->v[t] = tile->v[n - 1];
        tile->bias[t] = 0.0f;
        tile->kept[t] = tile->kept[n - 1];
    }
    return n;
}

/* Most kept keys whose tiles ptc_attn_list_head_tiles lists (about 3 MiB of
 * tiles at 48 keys per tile); longer heads build their tiles per pass. */
#define PTC_ATTN_LIST_MAX_KEYS ((size_t)1 << 16)

/*
 * All the key tiles of args's head, as ptc_attn_next_key_tile builds them one after
 * the other (all but the last full), in the calling thread's
 * PTC_SCRATCH_ATTENTION_TILES buffer (kernels/scratch.h: kept between calls, valid
 * until the thread's next call of this function). Sets *n_tiles and returns the
 * list; returns NULL with *n_tiles = 0 when the head has more than
 * PTC_ATTN_LIST_MAX_KEYS kept keys or the buffer cannot be had (the caller then
 * builds its tiles pass by pass: ptc_attn_tile_next). Lets the forward and backward
 * kernels build a head's tiles once, not once per query block.
 */
static inline ptc_attn_key_tile *ptc_attn_list_head_tiles(const ptc_attention_args *args,
                                                          size_t capacity, size_t pad_to,
                                                          size_t *n_tiles)
{
    *n_tiles = 0;
    if (args->n_kv > PTC_ATTN_LIST_MAX_KEYS)
        return NULL;
    const size_t max_tiles = (args->n_kv + capacity - 1) / capacity;
    const size_t tile_floats = (sizeof(ptc_attn_key_tile) + sizeof(float) - 1) / sizeof(float);
    ptc_attn_key_tile *list =
        (ptc_attn_key_tile *)ptc_scratch_get(PTC_SCRATCH_ATTENTION_TILES,
                                             (max_tiles > 0 ? max_tiles : 1) * tile_floats);
    if (!list)
        return NULL;
    /* stops at max_tiles: the call that finds no key left writes tile->n = 0 into its
     * argument, which must not be list[max_tiles] (past the end) when every listed
     * tile is full; max_tiles full tiles hold every key of the head */
    size_t n = 0, next = 0;
    while (n < max_tiles && ptc_attn_next_key_tile(args, &next, capacity, pad_to, &list[n]))
        n++;
    *n_tiles = n;
    return list;
}

/* Most floats ptc_attn_saved_get takes (16 MiB): keys up to 4M / (qb + w + 3),
 * ~155k on AVX2 (16 rows, 8 lanes), ~82k on AVX-512 (32, 16), ~180k on NEON (16, 4). */
#define PTC_ATTN_SAVED_MAX_FLOATS ((size_t)1 << 22)

/*
 * The importance forward's pass-1 state for one head (every ISA's kernel): pass 1's
 * softmax writes each query block's probabilities p[slot] = exp(s - m_T) (slot:
 * the key's place in tile order, m_T: the running max after the key's tile T)
 * into `p` and m_T into `tile_max`, so pass 2 takes exp(s - lse) = p exp(m_T - lse)
 * with no second q k^T and one exp per tile; each slot's weighted sum stays a
 * w-lane vector in key_acc over all query blocks, reduced across lanes once.
 */
typedef struct ptc_attn_saved {
    float *p;             /* (keys, qb): the current block's probabilities, per slot */
    float *tile_max;      /* (tiles, qb): the running max after each tile */
    float *key_acc;       /* (keys, w): per-slot importance sums, zeroed here */
    int32_t *key_of_slot; /* (keys): the kept-key index j of each slot */
    size_t *tile_end;     /* (tiles): the slot past each tile's last key */
    size_t slots, tiles;  /* slots and tiles filled in the current query block */
} ptc_attn_saved;

/* The state for a head of up to n_kv active keys in tiles of `capacity`, in the
 * calling thread's PTC_SCRATCH_ATTENTION_SAVED buffer (kernels/scratch.h), its
 * key_acc zeroed; false (the caller then computes the scores again in pass 2)
 * past PTC_ATTN_SAVED_MAX_FLOATS or without the buffer. */
static inline bool ptc_attn_saved_get(size_t n_kv, size_t capacity, size_t qb, size_t w,
                                      ptc_attn_saved *s)
{
    if (n_kv > PTC_ATTN_SAVED_MAX_FLOATS / (qb + w + 3))
        return false;
    const size_t tiles = (n_kv + capacity - 1) / capacity;
    /* each part starts on a 64-byte line */
    const size_t p_part = (n_kv * qb + 15) / 16 * 16, max_part = (tiles * qb + 15) / 16 * 16;
    const size_t acc_part = (n_kv * w + 15) / 16 * 16, key_part = (n_kv + 15) / 16 * 16;
    const size_t end_part = (tiles * sizeof(size_t) / sizeof(float) + 15) / 16 * 16;
    const size_t total = p_part + max_part + acc_part + key_part + end_part;
    float *buf = ptc_scratch_get(PTC_SCRATCH_ATTENTION_SAVED, total > 0 ? total : 16);
    if (!buf)
        return false;
    s->p = buf;
    s->tile_max = s->p + p_part;
    s->key_acc = s->tile_max + max_part;
    s->key_of_slot = (int32_t *)(s->key_acc + acc_part);
    s->tile_end = (size_t *)(void *)(s->key_acc + acc_part + key_part);
    memset(s->key_acc, 0, n_kv * w * sizeof(float));
    s->slots = s->tiles = 0;
    return true;
}

/* Closes the saved tile kt (its probabilities written at p + slots * qb, its running
 * max at tile_max + tiles * qb): its keys take the next slots. */
static inline void ptc_attn_saved_add_tile(ptc_attn_saved *s, const ptc_attn_key_tile *kt)
{
    for (size_t t = 0; t < kt->n; t++)
        s->key_of_slot[s->slots + t] = kt->kept[t];
    s->slots += kt->n;
    s->tile_end[s->tiles++] = s->slots;
}

/* Active keys in the listed tiles list[0 .. n_tiles). */
static inline size_t ptc_attn_listed_keys(const ptc_attn_key_tile *list, size_t n_tiles)
{
    size_t keys = 0;
    for (size_t T = 0; T < n_tiles; T++)
        keys += list[T].n;
    return keys;
}

/* The online softmax's exp (exp_nonpos_<isa>: x <= 0, whose largest term is 1):
 * x = n ln2 + r with n = round(x / ln2) and ln2 rounded to float (one constant),
 * exp(r) ~ this degree-6 polynomial, highest degree first (near-minimax relative
 * error 1.9e-9 on |r| <= ln2/2; scripts/fit_exp_softmax.py derives it and checks the
 * float32 error: 5.3e-8 absolute, relative 1.0e-7 for x >= -10 and 3.1e-7 at -86.6). */
#define PTC_ATTN_EXP_LN2 0.693147182f
static const float ptc_attn_exp_poly[7] = {1.3836848084e-3f, 8.3748158067e-3f, 4.1668225080e-2f,
                                           1.6666419804e-1f, 4.9999991059e-1f, 1.0f, 1.0f};

/* Most floats ptc_attn_copy_listed_rows copies (16 MiB): 512 keys of d 4096, 32768 of d 64. */
#define PTC_ATTN_COPY_MAX_FLOATS ((size_t)1 << 22)
/* Row strides (bytes) from which it copies: closer rows share pages and spread over the L1 sets. */
#define PTC_ATTN_COPY_MIN_STRIDE 1024

/*
 * Copies the K and V rows of the listed tiles (list[0 .. n_tiles) of args's head,
 * d floats per row) into the calling thread's PTC_SCRATCH_ATTENTION_ROWS buffer
 * (kernels/scratch.h: kept between calls), tile after tile (the tile's K rows, then
 * its V rows, dense), and points the tiles' k and v at the copies (the padding
 * entries up to a multiple of pad_to, as ptc_attn_next_key_tile pads, at the
 * tile's last key). Returns true, or false with the tiles unchanged: when k and v
 * rows are both less than PTC_ATTN_COPY_MIN_STRIDE bytes apart (nothing to gain),
 * when the copy would exceed PTC_ATTN_COPY_MAX_FLOATS, or when the buffer cannot be
 * had. The copy is valid until the thread's next call of this function.
 * The values and their order are unchanged, so results are bit-identical.
 * Why: at leading dimensions that are multiples of 1 KiB (BERT's 768 and 2304
 * floats) every key row starts in the same few L1 sets and on a page of its own;
 * a tile of 48 strided rows (x2 for K and V) overflows those sets and the L1 TLB.
 * Measured on Zen 3 (AVX2, 1 thread, n 512, d 64, rows 9 KiB apart as in BERT's
 * fused QKV): one head 36-40 GFLOP/s read in place, 47-49 with the copy. With
 * rows d floats apart it gains nothing and costs 2-5%, hence the stride rule.
 */
static inline bool ptc_attn_copy_listed_rows(const ptc_attention_args *args,
                                             ptc_attn_key_tile *list, size_t n_tiles,
                                             size_t pad_to)
{
    const size_t d = args->d;
    const size_t stride = (args->ldk > args->ldv ? args->ldk : args->ldv) * sizeof(float);
    if (stride < PTC_ATTN_COPY_MIN_STRIDE)
        return false;
    const size_t keys = ptc_attn_listed_keys(list, n_tiles);
    if (keys == 0 || d == 0 || d > PTC_ATTN_COPY_MAX_FLOATS / (2 * keys))
        return false;
    float *const copy = ptc_scratch_get(PTC_SCRATCH_ATTENTION_ROWS, 2 * keys * d);
    if (!copy)
        return false;
    float *at = copy;
    for (size_t T = 0; T < n_tiles; T++) {
        ptc_attn_key_tile *tile = &list[T];
        const size_t n = tile->n;
        float *k = at, *v = at + n * d;
        for (size_t t = 0; t < n; t++) {
            memcpy(k + t * d, tile->k[t], d * sizeof(float));
            memcpy(v + t * d, tile->v[t], d * sizeof(float));
            tile->k[t] = k + t * d;
            tile->v[t] = v + t * d;
        }
        for (size_t t = n; t % pad_to != 0; t++) { /* padding repeats the last key */
            tile->k[t] = tile->k[n - 1];
            tile->v[t] = tile->v[n - 1];
        }
        at += 2 * n * d;
    }
    return true;
}

/* The next key tile of a pass over the head's keys (*pos = 0 at the start): the
 * listed one when the head's tiles are listed (n_listed > 0), else built into *buf
 * (*pos is then the next kept key). NULL past the last. */
static inline const ptc_attn_key_tile *ptc_attn_tile_next(const ptc_attention_args *args,
                                                         const ptc_attn_key_tile *listed,
                                                         size_t n_listed, size_t *pos,
                                                         size_t capacity, size_t pad_to,
                                                         ptc_attn_key_tile *buf)
{
    if (n_listed > 0)
        return *pos < n_listed ? &listed[(*pos)++] : NULL;
    return ptc_attn_next_key_tile(args, pos, capacity, pad_to, buf) ? buf : NULL;
}

/* lse of a query row from its running max and sum, as the ref computes it */
static inline float ptc_attn_lse(float running_max, float running_sum)
{
    return running_sum > 0.0f ? running_max + logf(running_sum) : -INFINITY;
}

#endif /* PTC_KERNELS_ATTENTION_COMMON_H */

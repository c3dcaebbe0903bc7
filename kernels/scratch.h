/*
 * kernels/scratch.h — per-thread scratch buffers of the kernels, kept between calls.
 *
 * Contract: ptc_scratch_get(slot, floats) returns the calling thread's buffer for
 * `slot`, 64-byte aligned and at least `floats` long, or NULL when that much memory
 * cannot be had (the caller decides: sgemm aborts, attention reads in place). A
 * buffer grows to the largest request and is kept, so kernels called over and over
 * (every head of every layer) allocate and fault in nothing in steady state; its
 * contents are undefined at each call. It is freed when its thread exits (a pthread
 * key destructor) or at process exit, whichever comes first.
 * One slot per kernel family that needs scratch, so one family never overwrites
 * another's live buffer; within a family a call must not hold its slot's buffer
 * across another call that uses the same slot (none does: sgemm and the attention
 * kernels call no kernel, and no kernel calls them).
 */
#ifndef PTC_KERNELS_SCRATCH_H
#define PTC_KERNELS_SCRATCH_H

#include <stddef.h>

typedef enum ptc_scratch_slot {
    PTC_SCRATCH_GEMM,            /* sgemm's packed A block and B panel (kernels/gemm_driver.c) */
    PTC_SCRATCH_GEMM_SHARED,     /* sgemm's B panels its threads share (kernels/gemm_driver.c) */
    PTC_SCRATCH_ATTENTION_ROWS,  /* attention's dense copy of the kept K and V rows (attention_common.h) */
    PTC_SCRATCH_ATTENTION_TILES, /* attention's list of a head's key tiles (attention_common.h) */
    PTC_SCRATCH_ATTENTION_SAVED, /* importance's saved probabilities (attention_common.h) */
    PTC_SCRATCH_ATTENTION_STAGE, /* the attention backward's dense stage (attention_driver.h) */
    PTC_SCRATCH_SLOTS
} ptc_scratch_slot;

float *ptc_scratch_get(ptc_scratch_slot slot, size_t floats);

#endif /* PTC_KERNELS_SCRATCH_H */

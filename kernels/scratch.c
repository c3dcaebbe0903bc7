/*
 * kernels/scratch.c — per-thread scratch buffers (contract in scratch.h).
 *
 * Each thread has one record per slot (thread-local). A record that holds memory
 * is linked into a process-wide list, so the process-exit destructor can free what
 * threads still hold; a thread's records are freed by the pthread key destructor
 * when it exits (OpenMP workers included). The lock guards the list only; a
 * thread's own records are touched by that thread alone, except by the
 * destructors.
 */
#include "scratch.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct scratch_buf {
    float *mem; /* 64-byte aligned */
    size_t floats;
    struct scratch_buf *prev, *next;
    int linked;
} scratch_buf;

static _Thread_local scratch_buf tl_bufs[PTC_SCRATCH_SLOTS];
static scratch_buf *held_list; /* every record that holds memory, of every thread */
static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;
static int exit_key_ok;

static void release(scratch_buf *b) /* caller holds held_lock */
{
    free(b->mem);
    b->mem = NULL;
    b->floats = 0;
    if (b->linked) {
        if (b->prev)
            b->prev->next = b->next;
        else
            held_list = b->next;
        if (b->next)
            b->next->prev = b->prev;
        b->prev = b->next = NULL;
        b->linked = 0;
    }
}

static void thread_exit(void *bufs) /* the thread's tl_bufs */
{
    pthread_mutex_lock(&held_lock);
    for (int s = 0; s < PTC_SCRATCH_SLOTS; s++)
        release((scratch_buf *)bufs + s);
    pthread_mutex_unlock(&held_lock);
}

static void make_exit_key(void)
{
    exit_key_ok = pthread_key_create(&exit_key, thread_exit) == 0;
}

__attribute__((destructor)) static void free_all_at_exit(void)
{
    pthread_mutex_lock(&held_lock);
    while (held_list)
        release(held_list);
    pthread_mutex_unlock(&held_lock);
}

float *ptc_scratch_get(ptc_scratch_slot slot, size_t floats)
{
    scratch_buf *b = &tl_bufs[slot];
    if (b->floats >= floats && b->mem)
        return b->mem;
    pthread_once(&exit_key_once, make_exit_key);
    if (!exit_key_ok) /* no way to free it at thread exit: hand out nothing */
        return NULL;
    if (floats > ((size_t)-1 - 63) / sizeof(float))
        return NULL;
    const size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
    float *mem = aligned_alloc(64, bytes ? bytes : 64);
    if (!mem)
        return NULL;
    pthread_mutex_lock(&held_lock);
    free(b->mem);
    b->mem = mem;
    b->floats = bytes / sizeof(float);
    if (!b->linked) {
        b->prev = NULL;
        b->next = held_list;
        if (held_list)
            held_list->prev = b;
        held_list = b;
        b->linked = 1;
    }
    pthread_mutex_unlock(&held_lock);
    pthread_setspecific(exit_key, tl_bufs);
    return b->mem;
}

/*
 * kernels/gemm_driver.c — the ISA-free BLIS-style sgemm driver.
 *
 * C (m, n) = alpha * op(A) * op(B) + beta * C, row-major (include/ptc/ops.h),
 * as loops around one MR x NR micro-kernel given by a ptc_gemm_desc
 * (gemm_driver.h):
 *
 * The block sizes come from the running CPU's caches (ptc_gemm_blocking).
 *
 *   for jc in n, step NC                      B panel  (kc x nc)  -> L3
 *     for pc in k, step kc (<= KC, balanced)  pack op(B)[pc.., jc..]
 *       for ic in m, step MC                  A block  (mc x kc)  -> L2
 *         pack op(A)[ic.., pc..]             (or, with op(A) = A, read in place:
 *                                             a_in_place_pays, the descriptor's
 *                                             ukernel_a_rows)
 *         for jr in nc, step NR               B micro-panel (kc x NR) -> L1
 *           for ir in mc, step MR             micro-kernel on one C tile
 *
 * The first k block applies the caller's beta (beta == 0: C is never read), the
 * later ones accumulate with beta = 1. Transposes are handled by packing.
 * k == 0 or alpha == 0: C = beta * C (beta == 0 writes zeros without reading).
 *
 * Threading: outside an OpenMP parallel region the output is cut into a
 * tm x tn grid of rectangles (whole MR x NR tiles; tm * tn = threads), one per
 * thread, the grid chosen by a cost model (rectangle_cost); each thread packs its
 * own A blocks and runs the loops above on its rectangle, and the tm threads of a
 * grid column pack each B panel together, a share each, into buffers they all
 * read (gemm_share: two buffers in turn, one barrier per panel), as BLIS does.
 * Inside a parallel region everything runs on the calling thread. The k
 * blocking depends on k alone and the micro-kernel computes every element the
 * same way wherever tile borders fall, so every C element gets the same
 * operations in the same order for any thread count: bit-identical results.
 *
 * Memory: packing buffers are per thread, 64-byte aligned, grown on demand and
 * kept (no allocation in steady state): the PTC_SCRATCH_GEMM slot of
 * kernels/scratch.h, and the shared B panels in the calling thread's
 * PTC_SCRATCH_GEMM_SHARED slot, freed when the thread exits or at process exit.
 * Reads of A and B stay inside the described m x k / k x n (or transposed) elements; writes
 * of C stay inside m x n.
 */
#include "gemm_driver.h"
#include "scratch.h"

#include "ptc/cpu.h"

#include <omp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- generic packing ----------------------------------------------------------- */

/* Copies `len` floats and zero-fills the rest of a `width`-float panel row.
 * Widths of the shipped tiles get a constant-size copy the compiler inlines. */
static inline void copy_panel_row(float *restrict dst, const float *restrict src, size_t len,
                                  size_t width)
{
    if (len == width) {
        switch (width) {
        case 6: memcpy(dst, src, 6 * sizeof(float)); return;
        case 8: memcpy(dst, src, 8 * sizeof(float)); return;
        case 12: memcpy(dst, src, 12 * sizeof(float)); return;
        case 14: memcpy(dst, src, 14 * sizeof(float)); return;
        case 16: memcpy(dst, src, 16 * sizeof(float)); return;
        case 32: memcpy(dst, src, 32 * sizeof(float)); return;
        default: break;
        }
    }
    for (size_t s = 0; s < len; s++)
        dst[s] = src[s];
    for (size_t s = len; s < width; s++)
        dst[s] = 0.0f;
}

/* Packing from a source whose panel rows are contiguous (op(B) = B, or op(A) = A^T):
 * panel row q of panel t is src[(p0+q)*ld + x0 + t*width ..], `len` of them per panel
 * over `total` columns. Source rows are taken 8 at a time across all panels, so
 * each source line is used completely while it is in L1 even when ld is a
 * multiple of 4 KiB (which maps every row to the same L1 set). */
static void pack_rows_contiguous(const float *src, size_t ld, size_t p0, size_t kc, size_t x0,
                                 size_t total, size_t width, float *dst)
{
    enum { ROW_BLOCK = 8 };
    for (size_t q0 = 0; q0 < kc; q0 += ROW_BLOCK) {
        const size_t q1 = q0 + ROW_BLOCK < kc ? q0 + ROW_BLOCK : kc;
        float *panel = dst;
        for (size_t x = 0; x < total; x += width, panel += width * kc) {
            const size_t len = total - x < width ? total - x : width;
            for (size_t q = q0; q < q1; q++)
                copy_panel_row(panel + q * width, src + (p0 + q) * ld + x0 + x, len, width);
        }
    }
}

/* Packing from a source whose panel columns are contiguous (op(A) = A, or
 * op(B) = B^T): panel t, element (q, r) = src[(x0 + t*width + r)*ld + p0 + q]. */
static void pack_cols_contiguous(const float *src, size_t ld, size_t p0, size_t kc, size_t x0,
                                 size_t total, size_t width, float *dst)
{
    for (size_t x = 0; x < total; x += width, dst += width * kc) {
        const size_t len = total - x < width ? total - x : width;
        for (size_t r = 0; r < len; r++) {
            const float *line = src + (x0 + x + r) * ld + p0;
            for (size_t q = 0; q < kc; q++)
                dst[q * width + r] = line[q];
        }
        for (size_t r = len; r < width; r++)
            for (size_t q = 0; q < kc; q++)
                dst[q * width + r] = 0.0f;
    }
}

void ptc_gemm_pack_a_generic(ptc_trans ta, const float *a, size_t lda, size_t i0, size_t mc,
                             size_t p0, size_t kc, size_t mr, float *dst)
{
    if (ta == PTC_NO_TRANS) /* op(A)[i][p] = a[i*lda + p] */
        pack_cols_contiguous(a, lda, p0, kc, i0, mc, mr, dst);
    else                    /* op(A)[i][p] = a[p*lda + i] */
        pack_rows_contiguous(a, lda, p0, kc, i0, mc, mr, dst);
}

void ptc_gemm_pack_b_generic(ptc_trans tb, const float *b, size_t ldb, size_t p0, size_t kc,
                             size_t j0, size_t nc, size_t nr, float *dst)
{
    if (tb == PTC_NO_TRANS) /* op(B)[p][j] = b[p*ldb + j] */
        pack_rows_contiguous(b, ldb, p0, kc, j0, nc, nr, dst);
    else                    /* op(B)[p][j] = b[j*ldb + p] */
        pack_cols_contiguous(b, ldb, p0, kc, j0, nc, nr, dst);
}

/* ---- the blocked loops on one thread's rectangle ----------------------------- */

typedef struct gemm_problem {
    const ptc_gemm_desc *d;
    ptc_trans ta, tb;
    size_t m, n, k;
    float alpha, beta;
    const float *a, *b;
    size_t lda, ldb;
    float *c;
    size_t ldc;
    size_t kc_step; /* k block length: depends on k and KC only */
    size_t mc, nc;  /* m and n blocks */
    bool a_in_place;      /* op(A) = A read by d->ukernel_a_rows, not packed */
    const float *bias;    /* linear: (n) copied into each C tile before its first k block */
    ptc_gemm_rows_fn act; /* linear: applied to each C tile row after its last k block */
} gemm_problem;

static size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }
static size_t min_size(size_t x, size_t y) { return x < y ? x : y; }

/* How the threads of one call share packed B: the output is cut into a tm x tn grid
 * of rectangles; the tm threads of one grid column (its `members`) need the same B
 * panels, so each packs its share of a panel's micro-panels into one of two
 * buffers the column shares, and all wait at a barrier before any reads it.
 * Two buffers, used in turn: a thread packs panel t+1 while others still read
 * panel t, and nobody packs panel t+2 before everyone passed barrier t+1, that is
 * finished reading panel t. members == 1: the thread packs its own B, no barrier. */
typedef struct gemm_share {
    int members, rank;   /* threads of this grid column; this thread's index among them */
    float *b_panels[2];  /* the column's two B panel buffers (members > 1) */
    size_t jc_blocks;    /* NC blocks every thread steps through: the widest column's */
} gemm_share;

/* A thread that packs its own B over columns [0, n): no barrier */
static gemm_share share_alone(const gemm_problem *g)
{
    return (gemm_share){.members = 1, .jc_blocks = (g->n + g->nc - 1) / g->nc};
}

/* C rows [i0, i1) x cols [j0, j1) of problem `g`, on the calling thread; `share`
 * says with whom it packs B (members > 1: every thread of the team calls this with
 * the same jc_blocks and the same k, so all meet the same barriers). */
static void gemm_rectangle(const gemm_problem *g, size_t i0, size_t i1, size_t j0, size_t j1,
                           const gemm_share *share)
{
    const ptc_gemm_desc *d = g->d;
    const bool shared = share->members > 1;
    if (!shared && (i0 >= i1 || j0 >= j1))
        return;
    const size_t mr = d->mr, nr = d->nr;
    const size_t mc_max = min_size(g->mc, round_up(i1 > i0 ? i1 - i0 : 1, mr));
    const size_t nc_max = min_size(g->nc, round_up(j1 > j0 ? j1 - j0 : 1, nr));
    const size_t kc_max = g->kc_step;
    /* panels are whole MR x kc / kc x NR even where MC or NC is no multiple of them */
    const size_t a_floats = round_up(round_up(mc_max, mr) * kc_max, 16); /* B stays 64-byte aligned */
    const size_t pack_floats = a_floats + (shared ? 0 : round_up(nc_max, nr) * kc_max);
    float *a_pack = ptc_scratch_get(PTC_SCRATCH_GEMM, pack_floats);
    if (!a_pack) {
        fprintf(stderr, "ptc sgemm: out of memory (%zu bytes of packing buffer)\n",
                pack_floats * sizeof(float));
        abort();
    }
    ptc_gemm_pack_a_fn pack_a = d->pack_a ? d->pack_a : ptc_gemm_pack_a_generic;
    ptc_gemm_pack_b_fn pack_b = d->pack_b ? d->pack_b : ptc_gemm_pack_b_generic;

    size_t panel_index = 0;
    for (size_t jb = 0; jb < share->jc_blocks; jb++) {
        const size_t jc = j0 + jb * g->nc;
        const bool columns_here = jc < j1;
        const size_t nc = columns_here ? min_size(g->nc, j1 - jc) : 0;
        for (size_t pc = 0; pc < g->k; pc += kc_max, panel_index++) {
            const size_t kc = min_size(kc_max, g->k - pc);
            const float beta = pc == 0 ? g->beta : 1.0f;
            const bool bias_now = pc == 0 && g->bias, act_now = pc + kc >= g->k && g->act;
            float *b_pack = shared ? share->b_panels[panel_index % 2] : a_pack + a_floats;
            if (columns_here) { /* this thread's share of the panel's micro-panels */
                const size_t panels = (nc + nr - 1) / nr;
                const size_t first = panels * (size_t)share->rank / (size_t)share->members;
                const size_t last = panels * (size_t)(share->rank + 1) / (size_t)share->members;
                if (first < last)
                    pack_b(g->tb, g->b, g->ldb, pc, kc, jc + first * nr,
                           min_size(nc, last * nr) - first * nr, nr, b_pack + first * nr * kc);
            }
            if (shared) {
#pragma omp barrier
            }
            if (!columns_here)
                continue;
            for (size_t ic = i0; ic < i1; ic += g->mc) {
                const size_t mc = min_size(g->mc, i1 - ic);
                if (!g->a_in_place)
                    pack_a(g->ta, g->a, g->lda, ic, mc, pc, kc, mr, a_pack);
                else if (mc % mr) /* in place but for a last micro-panel of fewer rows */
                    pack_a(g->ta, g->a, g->lda, ic + mc / mr * mr, mc % mr, pc, kc, mr, a_pack);
                for (size_t jr = 0; jr < nc; jr += nr) {
                    const float *b_panel = b_pack + jr * kc;
                    const size_t n_eff = min_size(nr, nc - jr);
                    for (size_t ir = 0; ir < mc; ir += mr) {
                        float *c_tile = g->c + (ic + ir) * g->ldc + jc + jr;
                        const size_t m_eff = min_size(mr, mc - ir);
                        if (bias_now)
                            for (size_t r = 0; r < m_eff; r++)
                                memcpy(c_tile + r * g->ldc, g->bias + jc + jr,
                                       n_eff * sizeof(float));
                        const float tile_beta = bias_now ? 1.0f : beta;
                        if (g->a_in_place && m_eff == mr)
                            d->ukernel_a_rows(kc, g->a + (ic + ir) * g->lda + pc, g->lda, b_panel,
                                              c_tile, g->ldc, n_eff, g->alpha, tile_beta);
                        else
                            d->ukernel(kc, g->a_in_place ? a_pack : a_pack + ir * kc, b_panel,
                                       c_tile, g->ldc, m_eff, n_eff, g->alpha, tile_beta);
                        if (act_now)
                            for (size_t r = 0; r < m_eff; r++)
                                g->act(n_eff, c_tile + r * g->ldc, c_tile + r * g->ldc);
                    }
                }
            }
        }
    }
}

/* ---- block sizes from the caches --------------------------------------------- */

static size_t round_down(size_t x, size_t to) { return x / to * to; }
static size_t clamp_size(size_t x, size_t lo, size_t hi) { return x < lo ? lo : x > hi ? hi : x; }

ptc_gemm_blocks ptc_gemm_blocking(const ptc_gemm_desc *d, size_t l1d, size_t l2, size_t l3)
{
    ptc_gemm_blocks b;
    const size_t nr_bytes = d->nr * sizeof(float);
    b.kc = clamp_size(round_down(l1d * d->kc_l1_pct / 100 / nr_bytes, 8), 32, PTC_GEMM_KC_MAX);
    const size_t kc_bytes = b.kc * sizeof(float);
    b.mc = round_down(l2 * d->mc_l2_pct / 100 / kc_bytes, d->mr);
    if (b.mc < d->mr)
        b.mc = d->mr;
    b.nc = round_down(min_size(l3 / 2 / kc_bytes, d->nc_max), d->nr);
    if (b.nc < d->nr)
        b.nc = d->nr;
    return b;
}

/* ---- splitting the output over threads --------------------------------------- */

/* Rough per-thread time (in FMA-lane units) of a rectangle of rows x cols in a
 * grid of tm rows: the multiply-adds plus the packing copies it needs: its A once
 * per NC block, and its column's B, of which it packs a tm-th (shared) but streams
 * all; B is charged (1 + 1/tm) / 2 of its packing, the weight that picks the faster
 * grid of every BERT shape measured on 2 threads (Zen 3: a grid of rows wins by
 * 1-2% where m >= n, one of columns by 1.5-3% where n >= 4m, where packing alone
 * would pick rows). */
static double rectangle_cost(const gemm_problem *g, size_t rows, size_t cols, int tm)
{
    const double k = (double)g->k;
    const double compute = (double)round_up(rows, g->d->mr) * (double)round_up(cols, g->d->nr) * k;
    const double n_blocks = (double)((cols + g->nc - 1) / g->nc);
    const double b_weight = (1.0 + 1.0 / tm) / 2.0;
    const double packing = (double)rows * k * n_blocks + (double)cols * k * b_weight;
    return compute / 16.0 + 2.0 * packing; /* ~16 FMA lanes per cycle vs ~0.5 float copied */
}

/* The tm x tn grid (tm * tn == threads) with the smallest largest rectangle cost,
 * and that rectangle's columns (the widest grid column). */
static void choose_grid(const gemm_problem *g, int threads, int *tm_out, int *tn_out,
                        size_t *cols_out)
{
    const size_t m_tiles = (g->m + g->d->mr - 1) / g->d->mr;
    const size_t n_tiles = (g->n + g->d->nr - 1) / g->d->nr;
    double best = -1.0;
    for (int tm = 1; tm <= threads; tm++) {
        if (threads % tm)
            continue;
        const int tn = threads / tm;
        const size_t rows = min_size(g->m, (m_tiles + tm - 1) / tm * g->d->mr);
        const size_t cols = min_size(g->n, (n_tiles + tn - 1) / tn * g->d->nr);
        const double cost = rectangle_cost(g, rows, cols, tm);
        if (best < 0.0 || cost < best) {
            best = cost;
            *tm_out = tm;
            *tn_out = tn;
            *cols_out = cols;
        }
    }
}

/* Part `part` of `parts` of `tiles` tiles of size `tile`, clipped to `len`. */
static void split_range(size_t len, size_t tile, int part, int parts, size_t *lo, size_t *hi)
{
    const size_t tiles = (len + tile - 1) / tile;
    *lo = min_size(len, tiles * (size_t)part / (size_t)parts * tile);
    *hi = min_size(len, tiles * (size_t)(part + 1) / (size_t)parts * tile);
}

/* Thread `thread` of a tm x tn grid: its rectangle, B shared with its grid column
 * through `b_panels` (2 buffers of `panel_floats` per grid column). */
static void gemm_thread_part(const gemm_problem *g, int thread, int tm, int tn, size_t widest,
                             float *b_panels, size_t panel_floats)
{
    const int row = thread / tn, column = thread % tn;
    size_t i0, i1, j0, j1;
    split_range(g->m, g->d->mr, row, tm, &i0, &i1);
    split_range(g->n, g->d->nr, column, tn, &j0, &j1);
    gemm_share share = { .members = tm, .rank = row, .jc_blocks = (widest + g->nc - 1) / g->nc };
    if (b_panels) {
        share.b_panels[0] = b_panels + (size_t)column * 2 * panel_floats;
        share.b_panels[1] = share.b_panels[0] + panel_floats;
    }
    gemm_rectangle(g, i0, i1, j0, j1, &share);
}

/* C = beta * C (beta == 0: zeros, C not read). */
static void scale_c(size_t m, size_t n, float beta, float *c, size_t ldc)
{
    for (size_t i = 0; i < m; i++) {
        float *row = c + i * ldc;
        if (beta == 0.0f)
            memset(row, 0, n * sizeof(float));
        else if (beta != 1.0f)
            for (size_t j = 0; j < n; j++)
                row[j] *= beta;
    }
}

/* Whether op(A) = A is read in place (d->ukernel_a_rows) by a thread whose rectangle
 * is `cols` wide: where each A micro-panel would serve at most 32 B micro-panels, its
 * packing costs more than its contiguity saves. Zen 3, AVX2 (6x16), 1 thread, packed
 * vs in place alternated in one process, median GFLOP/s: n = 128 (the accuracy runs'
 * hidden size) +5 to +11% (256x128x128 NN 78.7 -> 85.8, 4096x128x512 NT 71.6 ->
 * 75.2), n = 384 to 768 level (+-1%), n = 2304 and 3072 1.5 to 2.7% slower. The
 * same bits either way. op(A) = A^T (the weight gradients' TN) is kept packed: a
 * kernel reading it in place (six floats of one row of A per k step, rows lda apart)
 * measured 5 to 40% slower at every TN shape tried, n = 128 included. */
static bool a_in_place_pays(const gemm_problem *g, size_t cols)
{
    enum { MAX_B_PANELS = 32 };
    return g->d->ukernel_a_rows && g->ta == PTC_NO_TRANS && cols <= MAX_B_PANELS * g->d->nr;
}

/* Runs problem `g` (k >= 1, alpha != 0) with blocks for this CPU, over threads. */
static void gemm_run(gemm_problem g)
{
    const ptc_gemm_desc *d = g.d;
    const size_t m = g.m, n = g.n, k = g.k;
    const ptc_cpu_caches caches = ptc_cpu_cache_sizes();
    const ptc_gemm_blocks blk = ptc_gemm_blocking(d, caches.l1d, caches.l2, caches.l3);
    const size_t k_blocks = (k + blk.kc - 1) / blk.kc;
    g.kc_step = (k + k_blocks - 1) / k_blocks; /* equal blocks, none longer than KC */
    g.mc = blk.mc;
    g.nc = blk.nc;

    /* Threads: only outside a parallel region, and only as many as have at least
     * ~2 MFLOP and one tile each. The result does not depend on the count. */
    int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
    const double flops = 2.0 * (double)m * (double)n * (double)k;
    const double tiles = (double)((m + d->mr - 1) / d->mr) * (double)((n + d->nr - 1) / d->nr);
    while (threads > 1 && (flops / threads < 2e6 || tiles < threads))
        threads--;
    if (threads <= 1) {
        g.a_in_place = a_in_place_pays(&g, n);
        const gemm_share alone = share_alone(&g);
        gemm_rectangle(&g, 0, m, 0, n, &alone);
        return;
    }
    int tm = threads, tn = 1;
    size_t widest = n;
    choose_grid(&g, threads, &tm, &tn, &widest);
    g.a_in_place = a_in_place_pays(&g, widest);
    /* the grid columns' shared B panels (NC is a multiple of NR), in the calling
     * thread's scratch */
    const size_t panel_floats = round_up(min_size(g.nc, round_up(widest, d->nr)) * g.kc_step, 16);
    float *b_panels = NULL;
    if (tm > 1) {
        b_panels = ptc_scratch_get(PTC_SCRATCH_GEMM_SHARED, (size_t)tn * 2 * panel_floats);
        if (!b_panels) {
            fprintf(stderr, "ptc sgemm: out of memory (%zu bytes of shared B panels)\n",
                    (size_t)tn * 2 * panel_floats * sizeof(float));
            abort();
        }
    }
#pragma omp parallel num_threads(threads)
    {
        /* a team smaller than asked for (omp_get_num_threads) would miss barriers */
        if (omp_get_num_threads() == threads)
            gemm_thread_part(&g, omp_get_thread_num(), tm, tn, widest, b_panels, panel_floats);
        else if (omp_get_thread_num() == 0) {
            const gemm_share alone = share_alone(&g);
            gemm_rectangle(&g, 0, m, 0, n, &alone);
        }
    }
}

void ptc_gemm_drive(const ptc_gemm_desc *d, ptc_trans ta, ptc_trans tb, size_t m, size_t n,
                    size_t k, float alpha, const float *a, size_t lda, const float *b,
                    size_t ldb, float beta, float *c, size_t ldc)
{
    if (m == 0 || n == 0)
        return;
    if (k == 0 || alpha == 0.0f) {
        scale_c(m, n, beta, c, ldc);
        return;
    }
    gemm_run((gemm_problem){
        .d = d, .ta = ta, .tb = tb, .m = m, .n = n, .k = k, .alpha = alpha, .beta = beta,
        .a = a, .b = b, .lda = lda, .ldb = ldb, .c = c, .ldc = ldc,
    });
}

void ptc_gemm_drive_linear(const ptc_gemm_desc *d, ptc_gemm_rows_fn act, size_t rows, size_t in,
                           size_t out, const float *x, size_t ldx, const float *w,
                           const float *bias, float *y, size_t ldy)
{
    if (rows == 0 || out == 0)
        return;
    if (in == 0) { /* no products: y = act(bias or 0) */
        for (size_t r = 0; r < rows; r++) {
            float *yr = y + r * ldy;
            if (bias)
                memcpy(yr, bias, out * sizeof(float));
            else
                memset(yr, 0, out * sizeof(float));
            if (act)
                act(out, yr, yr);
        }
        return;
    }
    gemm_run((gemm_problem){
        .d = d, .ta = PTC_NO_TRANS, .tb = PTC_TRANS, .m = rows, .n = out, .k = in,
        .alpha = 1.0f, .beta = 0.0f, .a = x, .b = w, .lda = ldx, .ldb = in, .c = y, .ldc = ldy,
        .bias = bias, .act = act,
    });
}

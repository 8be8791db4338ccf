/* Line multigrid for the whole coupled operator A = I - gamma J on this rank's cells: the
 * reaction blocks and the diffusion in every direction.
 *
 * The immobile fields (no transport) are condensed out cell by cell first: with each cell's
 * block split into moving (m) and immobile (s) fields, the cycle works on the Schur
 * complement S = A_mm - A_ms A_ss^{-1} A_sm plus the diffusion, exactly, and the immobile
 * fields are recovered afterwards (x_s = A_ss^{-1} (r_s - A_sm x_m)). Its blocks are
 * CHS_ND x CHS_ND instead of CHS_NF x CHS_NF.
 *
 * Smoother: zebra line Gauss-Seidel over depth columns (columns coloured by (i + j) mod 2),
 * each column solved exactly with its blocks and vertical diffusion (column.h).
 * Coarsening: lateral only (depth is solved exactly), 2 x 2 columns (2 in x-z grids) to one,
 * down to a single column, which is solved exactly. Coarse operators: the blocks and
 * vertical couplings are volume-weighted averages of the fine ones (Galerkin with
 * piecewise-constant transfers); the lateral couplings are the Galerkin ones scaled by
 * h_fine / h_coarse, i.e. rediscretised, because the Galerkin operator of piecewise-constant
 * transfers is twice too stiff per level. One V(1,1)-cycle per solve: a fixed linear
 * operator, as GMRES needs. Every level stores its cells column by column, so the column
 * solves and the lateral sums stream.
 *
 * Across ranks: the fine level's smoother and residual see the neighbours on other ranks
 * through ghosts the caller exchanges (chs_linemg_set_ghosts); the coarse levels work rank by
 * rank (their couplings across rank boundaries are left out, the diagonal keeps them), so the
 * iteration count depends on the decomposition, mildly. */
#ifndef CHS_LINEMG_H
#define CHS_LINEMG_H

#include "core/status.h"
#include "model/transport.h"

typedef struct chs_linemg chs_linemg;

/* The fine level: the columns of an nx x ny x nz block of cells.
 * vol: per x index, the cells' volume (weights of the restriction). */
chs_status chs_linemg_create(int nx, int ny, int nz, const double *vol, chs_linemg **out);
void chs_linemg_destroy(chs_linemg **mg);

/* Set-up, every time the operator changes, in three steps.
 * begin: gamma and the fine level's couplings of the moving fields, per cell in column order
 * (cell (i, j, k) at (j nx + i) nz + k; borrowed, not copied): up, down the vertical ones
 * (CHS_ND each), lat the lateral ones (4 x CHS_ND: x-, x+, y-, y+, 0 where there is no
 * neighbour), all scaled by -gamma in A. */
void chs_linemg_begin(chs_linemg *mg, double gamma, const chs_coupling *up, const chs_coupling *down,
                      const chs_coupling *lat);
/* add_block: cell (i, j, k)'s diagonal block of A (CHS_NB x CHS_NB, row-major, the diffusion
 * diagonal included). Every owned cell once, each column's cells in order k = 0, 1, ...,
 * and columns with the same i / 2 never concurrently (parallelise over x pairs). Returns
 * nonzero if a block is singular. */
int chs_linemg_add_block(chs_linemg *mg, int i, int j, int k, const double *a);
/* finish: the coarse levels. Returns nonzero if a coarse block is singular. */
int chs_linemg_finish(chs_linemg *mg);

/* Fills the ghosts of level 0: called (on every rank, it may communicate) with the fine
 * solution x (the moving fields, CHS_ND values per cell, column order) before a fine sweep
 * or residual reads the neighbours on other ranks. */
typedef void (*chs_linemg_exchange)(void *ctx, const double *x);

/* Level 0's neighbours on other ranks: ghost is a ghosted array of CHS_ND values per cell
 * (dims gd[0] x gd[1] x nz, ghost widths ng[0], ng[1], no ghosts in depth), filled by
 * exchange; neighbour[d] (x-, x+, y-, y+) says whether that side has a rank; parity is
 * lo[0] + lo[1] of this rank's block, so the zebra colours are global. lat must then hold
 * the couplings to those neighbours too. */
void chs_linemg_set_ghosts(chs_linemg *mg, chs_linemg_exchange exchange, void *ctx,
                           const double *ghost, const int gd[2], const int ng[2], int parity,
                           const int neighbour[4]);

/* z = one V-cycle applied to r (cells only, CHS_NB values per cell, in the owned order:
 * cell (i, j, k) at (k ny + j) nx + i; r may be z). */
void chs_linemg_solve(const chs_linemg *mg, const double *r, double *z);

#endif

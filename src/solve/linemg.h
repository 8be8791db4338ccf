/* Line multigrid for the whole coupled operator A = I - gamma J on this rank's cells: all
 * fields at once, the reaction blocks and the diffusion in every direction.
 *
 * Smoother: zebra line Gauss-Seidel over depth columns (columns coloured by (i + j) mod 2),
 * each column solved exactly with its reaction blocks and vertical diffusion (column.h).
 * Coarsening: lateral only (depth is solved exactly), 2 x 2 columns (2 in x-z grids) to one,
 * down to a single column, which is solved exactly. Coarse operators: the reaction blocks
 * and vertical couplings are volume-weighted averages of the fine ones (Galerkin with
 * piecewise-constant transfers); the lateral couplings are the Galerkin ones scaled by
 * h_fine / h_coarse, i.e. rediscretised, because the Galerkin operator of piecewise-constant
 * transfers is twice too stiff per level. One V(1,1)-cycle per solve: a fixed linear
 * operator, as GMRES needs.
 *
 * Across ranks: the fine level's smoother and residual see the neighbours on other ranks
 * through ghosts the caller exchanges (chs_linemg_set_ghosts); the coarse levels work rank by
 * rank (their couplings across rank boundaries are left out, the diagonal keeps them), so the
 * iteration count depends on the decomposition, mildly. */
#ifndef CHS_LINEMG_H
#define CHS_LINEMG_H

#include "core/status.h"

typedef struct chs_linemg chs_linemg;

/* The fine level: the columns of an nx x ny x nz block (cells x fastest, then y, then z).
 * vol: per x index, the cells' volume (weights of the restriction). */
chs_status chs_linemg_create(int nx, int ny, int nz, const double *vol, chs_linemg **out);
void chs_linemg_destroy(chs_linemg **mg);

/* The fine operator's diagonal blocks (CHS_NB2 each, row-major, the diffusion diagonal
 * included), handed over one cell at a time during the caller's set-up and summed into the
 * first coarse level (so the fine level never stores them): every owned cell once per set-up,
 * the cells of one depth level of an aggregate in order (j, then i), and cells with the same
 * i / 2 never concurrently (parallelise over x pairs). */
void chs_linemg_add_block(chs_linemg *mg, int i, int j, int k, const double *a);

/* The rest of the fine operator, per cell: inv the column factorisation of the blocks
 * (column.h: stored column by column, cell (i, j, k) at (j nx + i) nz + k; borrowed, not
 * copied), up/down the vertical and lat the lateral couplings (CHS_ND each; lat in the order
 * x-, x+, y-, y+, 0 where there is no neighbour), all scaled by -gamma in A. Builds the
 * coarse levels. Returns nonzero if a coarse block is singular. */
int chs_linemg_setup(chs_linemg *mg, double gamma, const double *inv, const double *up,
                     const double *down, const double *lat);

/* Fills the ghosts of level 0: called (on every rank, it may communicate) with the fine
 * solution x (owned cells, CHS_NB values each) before a fine sweep or residual reads the
 * neighbours on other ranks. */
typedef void (*chs_linemg_exchange)(void *ctx, const double *x);

/* Level 0's neighbours on other ranks: ghost is a ghosted array of CHS_ND values per cell
 * (dims gd[0] x gd[1] x nz, ghost widths ng[0], ng[1], no ghosts in depth), filled by
 * exchange; neighbour[d] (x-, x+, y-, y+) says whether that side has a rank; parity is
 * lo[0] + lo[1] of this rank's block, so the zebra colours are global. lat must then hold
 * the couplings to those neighbours too. */
void chs_linemg_set_ghosts(chs_linemg *mg, chs_linemg_exchange exchange, void *ctx,
                           const double *ghost, const int gd[2], const int ng[2], int parity,
                           const int neighbour[4]);

/* z = one V-cycle applied to r (cells only, CHS_NB values per cell; r and z distinct). */
void chs_linemg_solve(const chs_linemg *mg, const double *r, double *z);

#endif

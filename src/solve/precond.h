/* Preconditioner for the Newton–Krylov solve of (I - gamma J) x = r:
 *   block:  per cell, the CHS_NF x CHS_NF reaction Jacobian plus the diffusion diagonal;
 *   column: the same blocks coupled along each depth column by the vertical diffusion
 *           (block-tridiagonal, solved exactly by block Thomas elimination).
 * The set-up stores each (Schur-updated) diagonal block's inverse, so a solve is matrix-vector
 * products only: no pivoting, no divides.
 *   mg:     the column solve z = C^{-1} r, then a correction for the lateral diffusion that
 *           the columns leave out: the Jacobian is C - gamma L_lat, so the residual of z is
 *           gamma L_lat z, and z += M^{-1} gamma L_lat z with M one multigrid V-cycle (hypre
 *           PFMG, src/solve/mg.c) per diffusing field on I - gamma (L_f + J_ff).
 *   multigrid (the default): one V-cycle of the line multigrid (src/solve/linemg.c) on the
 *           whole operator, the column solves as its smoother, lateral coarsening; the
 *           immobile fields condensed out of the cycle cell by cell (exactly).
 * Columns are never split across ranks, so block and column are independent of the
 * decomposition; mg and multigrid are not (hypre works on the rank boxes, the multigrid's
 * coarse levels on each rank's columns). */
#ifndef CHS_PRECOND_H
#define CHS_PRECOND_H

#include "core/status.h"
#include "model/model.h"

typedef struct chs_precond chs_precond;

chs_status chs_precond_create(chs_model *m, int kind, chs_precond **out);
void chs_precond_destroy(chs_precond **p);
/* Collective (loads the state's halo). Returns nonzero if a block is singular. */
int chs_precond_setup(chs_precond *p, const double *y, double gamma);
/* z = P^{-1} r on this rank's cells: block and column need no communication, mg and
 * multigrid are collective (they exchange halos). */
void chs_precond_solve(const chs_precond *p, const double *r, double *z);

#endif

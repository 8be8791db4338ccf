/* Preconditioner for the Newton–Krylov solve of (I - gamma J) x = r:
 *   block:  per cell, the 8×8 reaction Jacobian plus the diffusion diagonal;
 *   column: the same blocks coupled along each depth column by the vertical diffusion
 *           (block-tridiagonal, solved exactly by block Thomas elimination).
 * Columns are never split across ranks, so both are independent of the decomposition. */
#ifndef CHS_PRECOND_H
#define CHS_PRECOND_H

#include "core/status.h"
#include "model/model.h"

typedef struct chs_precond chs_precond;

chs_status chs_precond_create(chs_model *m, int kind, chs_precond **out);
void chs_precond_destroy(chs_precond **p);
/* Collective (loads the state's halo). Returns nonzero if a block is singular. */
int chs_precond_setup(chs_precond *p, const double *y, double gamma);
/* z = P^{-1} r on this rank's cells (no communication). */
void chs_precond_solve(const chs_precond *p, const double *r, double *z);

#endif

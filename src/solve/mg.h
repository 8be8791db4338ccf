/* Structured multigrid for scalar 5-point (x, z) or 7-point (x, y, z) operators on the
 * rank-decomposed cell grid: one hypre PFMG V-cycle per solve (Debian's libhypre, the Open
 * MPI build). One operator per field, all on the same grid; used by the preconditioner for
 * (I - gamma div D grad) of each diffusing field. hypre is only called from here. */
#ifndef CHS_MG_H
#define CHS_MG_H

#include "core/status.h"

/* Stencil entries per cell, in this order (the y pair is absent in 2D grids). */
enum { CHS_MG_C, CHS_MG_XM, CHS_MG_XP, CHS_MG_YM, CHS_MG_YP, CHS_MG_ZM, CHS_MG_ZP, CHS_MG_NS };

typedef struct chs_mg chs_mg;

/* Collective over comm (MPI_Comm*, chs_par_comm). lo/ln: this rank's block of cells in
 * global indices (x, y, z); three_d = 0 when y has one cell (the grid is then x-z).
 * nfields operators. */
chs_status chs_mg_create(void *comm, const int lo[3], const int ln[3], int three_d, int nfields,
                         chs_mg **out);
void chs_mg_destroy(chs_mg **mg);

/* Collective. Sets operator `field` from coef (CHS_MG_NS entries per owned cell, cells in
 * owned order: x fastest, then y, then z; entries that point out of the domain must be 0)
 * and builds its multigrid hierarchy. Returns nonzero on failure. */
int chs_mg_setup(chs_mg *mg, int field, const double *coef);

/* Collective. x = one V-cycle (zero initial guess) for operator `field` applied to b
 * (one value per owned cell, owned order). */
void chs_mg_solve(chs_mg *mg, int field, const double *b, double *x);

#endif

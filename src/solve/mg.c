#include "solve/mg.h"

#include <HYPRE_struct_ls.h>
#include <mpi.h> /* only for the MPI_Comm type handed to hypre; par/ makes our calls */
#include <stdlib.h>
#include <string.h>

typedef struct {
  HYPRE_StructMatrix A;
  HYPRE_StructSolver pfmg;
  int ready;
} mg_op;

struct chs_mg {
  MPI_Comm comm;
  int ndim, nent;
  int ilo[3], ihi[3]; /* this rank's box in hypre's index space */
  long ncells;
  HYPRE_StructGrid grid;
  HYPRE_StructStencil stencil;
  HYPRE_StructVector b, x;
  double *values; /* ncells * nent scratch */
  int nfields;
  mg_op *op;
  int entries[CHS_MG_NS];
  int map[CHS_MG_NS]; /* our entry -> position in coef, for the entries hypre gets */
};

static int hypre_up;

chs_status chs_mg_create(void *comm, const int lo[3], const int ln[3], int three_d, int nfields,
                         chs_mg **out)
{
  *out = NULL;
  if (!hypre_up) {
    HYPRE_Init();
    hypre_up = 1;
  }
  chs_mg *mg = calloc(1, sizeof *mg);
  if (!mg) return chs_error(CHS_ERR_NOMEM, "out of memory (multigrid)");
  mg->comm = *(MPI_Comm *)comm;
  mg->ndim = three_d ? 3 : 2;
  mg->nfields = nfields;
  mg->ncells = (long)ln[0] * ln[1] * ln[2];
  /* hypre axes: (x, y, z) in 3D, (x, z) in 2D */
  const int axes3[3] = {0, 1, 2}, axes2[2] = {0, 2};
  const int *axes = three_d ? axes3 : axes2;
  for (int d = 0; d < mg->ndim; d++) {
    mg->ilo[d] = lo[axes[d]];
    mg->ihi[d] = lo[axes[d]] + ln[axes[d]] - 1;
  }
  /* stencil: centre, then -/+ along each hypre axis */
  int offsets[7][3];
  memset(offsets, 0, sizeof offsets);
  const int ours3[7] = {CHS_MG_C, CHS_MG_XM, CHS_MG_XP, CHS_MG_YM, CHS_MG_YP, CHS_MG_ZM, CHS_MG_ZP};
  const int ours2[5] = {CHS_MG_C, CHS_MG_XM, CHS_MG_XP, CHS_MG_ZM, CHS_MG_ZP};
  mg->nent = 1 + 2 * mg->ndim;
  for (int e = 0; e < mg->nent; e++) {
    mg->map[e] = three_d ? ours3[e] : ours2[e];
    mg->entries[e] = e;
    if (e > 0) offsets[e][(e - 1) / 2] = (e % 2) ? -1 : 1;
  }
  mg->values = malloc(sizeof(double) * (size_t)(mg->ncells > 0 ? mg->ncells : 1) * mg->nent);
  mg->op = calloc((size_t)nfields, sizeof *mg->op);
  if (!mg->values || !mg->op) {
    chs_mg_destroy(&mg);
    return chs_error(CHS_ERR_NOMEM, "out of memory (multigrid: %ld cells)", (long)ln[0] * ln[1] * ln[2]);
  }
  int err = HYPRE_StructGridCreate(mg->comm, mg->ndim, &mg->grid);
  if (!err) err = HYPRE_StructGridSetExtents(mg->grid, mg->ilo, mg->ihi);
  if (!err) err = HYPRE_StructGridAssemble(mg->grid);
  if (!err) err = HYPRE_StructStencilCreate(mg->ndim, mg->nent, &mg->stencil);
  for (int e = 0; !err && e < mg->nent; e++) err = HYPRE_StructStencilSetElement(mg->stencil, e, offsets[e]);
  if (!err) err = HYPRE_StructVectorCreate(mg->comm, mg->grid, &mg->b);
  if (!err) err = HYPRE_StructVectorInitialize(mg->b);
  if (!err) err = HYPRE_StructVectorCreate(mg->comm, mg->grid, &mg->x);
  if (!err) err = HYPRE_StructVectorInitialize(mg->x);
  if (err) {
    chs_mg_destroy(&mg);
    return chs_error(CHS_ERR_SOLVER, "hypre: creating the structured grid failed (error %d)", err);
  }
  *out = mg;
  return CHS_OK;
}

static void free_op(mg_op *o)
{
  if (o->pfmg) HYPRE_StructPFMGDestroy(o->pfmg);
  if (o->A) HYPRE_StructMatrixDestroy(o->A);
  memset(o, 0, sizeof *o);
}

void chs_mg_destroy(chs_mg **pmg)
{
  if (!pmg || !*pmg) return;
  chs_mg *mg = *pmg;
  if (mg->op)
    for (int f = 0; f < mg->nfields; f++) free_op(&mg->op[f]);
  if (mg->b) HYPRE_StructVectorDestroy(mg->b);
  if (mg->x) HYPRE_StructVectorDestroy(mg->x);
  if (mg->stencil) HYPRE_StructStencilDestroy(mg->stencil);
  if (mg->grid) HYPRE_StructGridDestroy(mg->grid);
  free(mg->values);
  free(mg->op);
  free(mg);
  *pmg = NULL;
}

int chs_mg_setup(chs_mg *mg, int field, const double *coef)
{
  mg_op *o = &mg->op[field];
  /* A new operator and hierarchy each set-up: PFMG keeps its coarse operators from Setup. */
  free_op(o);
  const long n = mg->ncells;
  const int ne = mg->nent;
  for (long c = 0; c < n; c++)
    for (int e = 0; e < ne; e++) mg->values[c * ne + e] = coef[c * CHS_MG_NS + mg->map[e]];
  int err = HYPRE_StructMatrixCreate(mg->comm, mg->grid, mg->stencil, &o->A);
  if (!err) err = HYPRE_StructMatrixInitialize(o->A);
  if (!err && n > 0)
    err = HYPRE_StructMatrixSetBoxValues(o->A, mg->ilo, mg->ihi, ne, mg->entries, mg->values);
  if (!err) err = HYPRE_StructMatrixAssemble(o->A);
  if (!err) err = HYPRE_StructPFMGCreate(mg->comm, &o->pfmg);
  if (!err) {
    HYPRE_StructPFMGSetMaxIter(o->pfmg, 1);
    HYPRE_StructPFMGSetTol(o->pfmg, 0.0);
    HYPRE_StructPFMGSetZeroGuess(o->pfmg);
    HYPRE_StructPFMGSetRelaxType(o->pfmg, 2); /* red/black Gauss-Seidel, symmetric */
    HYPRE_StructPFMGSetNumPreRelax(o->pfmg, 1);
    HYPRE_StructPFMGSetNumPostRelax(o->pfmg, 1);
    /* Relax on every level: the default skips some, which cost a factor 3 in the
     * convergence rate per cycle on the anisotropic cells here (tests/unit/test_mg.c). */
    HYPRE_StructPFMGSetSkipRelax(o->pfmg, 0);
    HYPRE_StructPFMGSetRAPType(o->pfmg, 0); /* Galerkin coarse operators */
    err = HYPRE_StructPFMGSetup(o->pfmg, o->A, mg->b, mg->x);
  }
  if (err) {
    HYPRE_ClearAllErrors();
    free_op(o);
    return 1;
  }
  o->ready = 1;
  return 0;
}

void chs_mg_solve(chs_mg *mg, int field, const double *b, double *x)
{
  mg_op *o = &mg->op[field];
  if (mg->ncells > 0) HYPRE_StructVectorSetBoxValues(mg->b, mg->ilo, mg->ihi, (double *)b);
  HYPRE_StructVectorAssemble(mg->b);
  HYPRE_StructVectorSetConstantValues(mg->x, 0.0);
  HYPRE_StructPFMGSolve(o->pfmg, o->A, mg->b, mg->x);
  /* One cycle never "converges" to tol 0: hypre flags that, it is not an error here. */
  HYPRE_ClearAllErrors();
  if (mg->ncells > 0) HYPRE_StructVectorGetBoxValues(mg->x, mg->ilo, mg->ihi, x);
}

#include "solve/precond.h"

#include <stdlib.h>

#include "solve/column.h"
#include "solve/linemg.h"
#include "solve/mg.h"

enum { NB = CHS_NB, NB2 = CHS_NB2, NLAT = 4 };

struct chs_precond {
  chs_model *m;
  int kind;
  double gamma;
  /* Per owned cell, in column order (chs_grid_by_column: the column solves stream them): */
  chs_pcreal *inv; /* block and column: the (Schur-updated) diagonal block's inverse (column.h) */
  chs_coupling *up, *down; /* CHS_ND each: vertical couplings */
  double *diag;             /* CHS_ND: the diffusion diagonal (transport.h) */
  double pool_inv[CHS_NPOOL];   /* rank 0: 1 / (1 - gamma dP'/dP), the pools' diagonal */
  /* mg only */
  chs_mg *mg;
  double *coef; /* per owned cell: CHS_MG_NS stencil entries of one field */
  double *work; /* 2 per owned cell: one field's right-hand side and correction */
  double *center; /* per owned cell (owned order), CHS_ND: diagonal of the multigrid operators */
  /* mg, and multigrid with neighbour ranks */
  double *zg;   /* ghosted: a solution's moving fields (CHS_ND per cell) */
  chs_halo *halo; /* exchanges zg */
  chs_coupling *lat; /* per owned cell, NLAT x CHS_ND: lateral diffusion couplings (transport.h) */
  /* multigrid only */
  chs_linemg *lmg;
};

/* The moving fields of x into the ghosted zg, and its halo from the neighbour ranks. x holds
 * CHS_NB values per cell in the owned order (mg's lateral residual), or with by_column the
 * moving fields only (CHS_ND per cell) in column order (the multigrid's fine level).
 * Collective. */
static void exchange_fields(chs_precond *p, const double *x, int by_column)
{
  const chs_grid *g = p->m->grid;
  const int nx = g->ln[0], ny = g->ln[1], nz = g->ln[2];
#pragma omp parallel for collapse(2) schedule(static)
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++)
      for (int i = 0; i < nx; i++) {
        const size_t c = chs_grid_ghosted(g, i, j, k);
        const double *xc = by_column ? x + chs_grid_by_column(g, i, j, k) * CHS_ND : x + chs_grid_owned(g, i, j, k) * NB;
        for (int f = 0; f < CHS_ND; f++) p->zg[c * CHS_ND + f] = xc[f];
      }
  chs_halo_begin(p->halo, p->zg);
  chs_halo_end(p->halo, p->zg);
}

static void exchange_condensed(void *ctx, const double *x) { exchange_fields(ctx, x, 1); }

chs_status chs_precond_create(chs_model *m, int kind, chs_precond **out)
{
  chs_precond *p = calloc(1, sizeof *p);
  size_t n = m->grid->nlocal;
  if (p) {
    p->inv = kind == CHS_PC_MULTIGRID ? NULL : malloc(sizeof(chs_pcreal) * NB2 * n);
    p->up = malloc(sizeof(chs_coupling) * CHS_ND * n);
    p->down = malloc(sizeof(chs_coupling) * CHS_ND * n);
    p->diag = malloc(sizeof(double) * CHS_ND * n);
  }
  if (!p || (!p->inv && kind != CHS_PC_MULTIGRID) || !p->up || !p->down || !p->diag) {
    chs_precond_destroy(&p);
    return chs_error(CHS_ERR_NOMEM, "out of memory (preconditioner: %zu cells)", n);
  }
  p->m = m;
  p->kind = kind;
  const chs_grid *g = m->grid;
  chs_status st = CHS_OK;
  /* Neighbour ranks: mg's residual and the multigrid's fine smoother read their cells. */
  const int nbr[4] = {g->lo[0] > 0, g->lo[0] + g->ln[0] < g->gn[0], g->lo[1] > 0, g->lo[1] + g->ln[1] < g->gn[1]};
  const int halo = kind == CHS_PC_MG || (kind == CHS_PC_MULTIGRID && (nbr[0] || nbr[1] || nbr[2] || nbr[3]));
  if (kind == CHS_PC_MG || kind == CHS_PC_MULTIGRID) {
    p->lat = malloc(sizeof(chs_coupling) * NLAT * CHS_ND * (n ? n : 1));
    if (!p->lat) st = chs_error(CHS_ERR_NOMEM, "out of memory (preconditioner: %zu cells)", n);
  }
  if (st == CHS_OK && halo) {
    p->zg = calloc(CHS_ND * g->nghost, sizeof(double));
    st = p->zg ? chs_halo_create(m->par, g->ln, g->ng, CHS_ND, &p->halo)
               : chs_error(CHS_ERR_NOMEM, "out of memory (preconditioner: %zu cells)", n);
  }
  if (st == CHS_OK && kind == CHS_PC_MULTIGRID) {
    st = chs_linemg_create(g->ln[0], g->ln[1], g->ln[2], g->vol, &p->lmg);
    if (st == CHS_OK && halo)
      chs_linemg_set_ghosts(p->lmg, exchange_condensed, p, p->zg, g->gd, g->ng, g->lo[0] + g->lo[1], nbr);
  }
  if (st == CHS_OK && kind == CHS_PC_MG) {
    p->coef = malloc(sizeof(double) * CHS_MG_NS * (n ? n : 1));
    p->work = malloc(sizeof(double) * 2 * (n ? n : 1));
    p->center = malloc(sizeof(double) * CHS_ND * (n ? n : 1));
    st = p->coef && p->work && p->center
             ? chs_mg_create(m->par->comm, g->lo, g->ln, g->gn[1] > 1, CHS_ND, &p->mg)
             : chs_error(CHS_ERR_NOMEM, "out of memory (preconditioner: %zu cells)", n);
  }
  if (st != CHS_OK) {
    chs_precond_destroy(&p);
    return st;
  }
  *out = p;
  return CHS_OK;
}

void chs_precond_destroy(chs_precond **pp)
{
  if (!pp || !*pp) return;
  chs_precond *p = *pp;
  free(p->inv);
  free(p->up);
  free(p->down);
  free(p->diag);
  chs_mg_destroy(&p->mg);
  chs_halo_destroy(&p->halo);
  free(p->center);
  free(p->zg);
  free(p->coef);
  free(p->work);
  chs_linemg_destroy(&p->lmg);
  free(p->lat);
  free(p);
  *pp = NULL;
}

/* The multigrid operators of the diffusing fields, I - gamma (L_f + J_ff): L_f the diffusion
 * of field f linearised with frozen coefficients (chs_transport_linearize: vertical and
 * lateral couplings, the diagonal with the boundary exchange), J_ff the field's own reaction
 * rate (the diagonal saved by the block set-up). Collective. */
static int mg_setup(chs_precond *p)
{
  const chs_grid *g = p->m->grid;
  const double gamma = p->gamma;
  const int nx = g->ln[0], ny = g->ln[1], nz = g->ln[2];
  int failed = 0;
  for (int f = 0; f < CHS_ND; f++) {
    double *co = p->coef;
#pragma omp parallel for collapse(2) schedule(static)
    for (int k = 0; k < nz; k++)
      for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
          const size_t o = chs_grid_owned(g, i, j, k), ic = chs_grid_by_column(g, i, j, k);
          const chs_coupling *l = p->lat + ic * NLAT * CHS_ND + f;
          double *e = co + o * CHS_MG_NS;
          e[CHS_MG_XM] = -gamma * l[0 * CHS_ND];
          e[CHS_MG_XP] = -gamma * l[1 * CHS_ND];
          e[CHS_MG_YM] = -gamma * l[2 * CHS_ND];
          e[CHS_MG_YP] = -gamma * l[3 * CHS_ND];
          e[CHS_MG_ZM] = -gamma * p->up[ic * CHS_ND + f];
          e[CHS_MG_ZP] = -gamma * p->down[ic * CHS_ND + f];
          e[CHS_MG_C] = p->center[o * CHS_ND + f];
        }
    if (chs_mg_setup(p->mg, f, co)) failed = 1;
  }
  return failed;
}

int chs_precond_setup(chs_precond *p, const double *y, double gamma)
{
  chs_model *m = p->m;
  const chs_grid *g = m->grid;
  chs_model_load_state(m, y);
  chs_transport_linearize(&m->tp, g, m->D, 1, p->diag, p->up, p->down, p->lat); /* lat: mg, multigrid */
  p->gamma = gamma;
  if (m->npool_local) {
    double d[CHS_NPOOL];
    chs_joint_diagonal(&m->joint, m->t_now, y + g->nlocal * NB, d);
    for (int q = 0; q < CHS_NPOOL; q++) p->pool_inv[q] = 1.0 / (1.0 - gamma * d[q]);
  }
  const int nx = g->ln[0], ny = g->ln[1], nz = g->ln[2];
  const int split = p->kind == CHS_PC_MG, multigrid = p->kind == CHS_PC_MULTIGRID;
  const int coupled = p->kind == CHS_PC_COLUMN || split;
  int failed = 0;
  if (multigrid) chs_linemg_begin(p->lmg, gamma, p->up, p->down, p->lat);
  /* Threads take pairs of x indices: the multigrid sums the blocks of each pair into one
   * coarse cell (chs_linemg_add_block). */
#pragma omp parallel for schedule(static) reduction(| : failed)
  for (int ip = 0; ip < (nx + 1) / 2; ip++)
    for (int j = 0; j < ny; j++)
      for (int i = 2 * ip; i < nx && i < 2 * ip + 2; i++)
        for (int k = 0; k < nz; k++) {
          const size_t c = chs_grid_owned(g, i, j, k), ic = chs_grid_by_column(g, i, j, k);
          double a[NB2];
          /* B = I - gamma (J_reaction + diffusion diagonal) */
          chs_cell_env env;
          chs_model_cell_env(m, m->t_now, c, k, &env);
          chs_react_jacobian(&m->rates, &env, y + c * NB, a);
          for (int e = 0; e < NB2; e++) a[e] = -gamma * a[e];
          for (int f = 0; f < NB; f++) a[f * NB + f] += 1.0;
          for (int f = 0; f < CHS_ND; f++) a[f * NB + f] -= gamma * p->diag[ic * CHS_ND + f];
          if (split) /* the multigrid operators' diagonal: 1 - gamma (diffusion + reaction) */
            for (int f = 0; f < CHS_ND; f++) p->center[c * CHS_ND + f] = a[f * NB + f];
          if (multigrid) {
            if (chs_linemg_add_block(p->lmg, i, j, k, a)) failed = 1;
            continue;
          }
          if (coupled && k > 0)
            chs_column_schur(a, p->inv + (ic - 1) * NB2, p->up + ic * CHS_ND, p->down + (ic - 1) * CHS_ND, gamma);
          if (chs_block_invert(a, p->inv + ic * NB2)) failed = 1;
        }
  if (split) failed |= mg_setup(p);
  if (multigrid && !failed) failed |= chs_linemg_finish(p->lmg);
  return failed;
}

/* mg, two stages. The Jacobian is A = C - gamma L_lat: C = I - gamma (J_R + L_vert), what
 * the column solve inverts exactly, and L_lat the lateral diffusion. Stage 1: z = C^{-1} r.
 * Its residual is r - A z = gamma L_lat z, which stage 2 reduces with a multigrid V-cycle
 * per diffusing field on (I - gamma L) (all directions): z += M^{-1} gamma L_lat z.
 * Collective (halo of z, hypre). */
static void column_solve(const chs_precond *p, const double *r, double *z);

static void mg_solve(const chs_precond *p, const double *r, double *z)
{
  const chs_grid *g = p->m->grid;
  const long n = (long)g->nlocal;
  double *b = p->work, *x = p->work + n;
  column_solve(p, r, z);
  exchange_fields((chs_precond *)p, z, 0);
  const int nx = g->ln[0], ny = g->ln[1], nz = g->ln[2];
  const double *zg = p->zg;
  const long step[NLAT] = {-1, 1, -(long)g->gd[0], g->gd[0]};
  const double gamma = p->gamma;
  for (int f = 0; f < CHS_ND; f++) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int k = 0; k < nz; k++)
      for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
          const long c = (long)chs_grid_ghosted(g, i, j, k);
          const size_t o = chs_grid_owned(g, i, j, k);
          const chs_coupling *l = p->lat + chs_grid_by_column(g, i, j, k) * NLAT * CHS_ND + f;
          const double u = zg[c * CHS_ND + f];
          double acc = 0.0;
          for (int d = 0; d < NLAT; d++)
            if (l[d * CHS_ND] != 0.0) acc += l[d * CHS_ND] * (zg[(c + step[d]) * CHS_ND + f] - u);
          b[o] = gamma * acc;
        }
    chs_mg_solve(p->mg, f, b, x);
    for (long c = 0; c < n; c++) z[c * NB + f] += x[c];
  }
}

/* block or column: z = B^{-1} r or C^{-1} r on the cells (not the pools). */
static void column_solve(const chs_precond *p, const double *r, double *z)
{
  const chs_grid *g = p->m->grid;
  const int nx = g->ln[0], ny = g->ln[1], nz = g->ln[2];
  const double gamma = p->gamma;
  const int coupled = p->kind != CHS_PC_BLOCK;
  const size_t ncol = (size_t)nx * ny;
#pragma omp parallel for collapse(2) schedule(static)
  for (int j = 0; j < ny; j++)
    for (int i = 0; i < nx; i++) {
      const size_t col = chs_grid_by_column(g, i, j, 0);
      chs_column_solve_n(NB, p->inv + col * NB2, p->up + col * CHS_ND, p->down + col * CHS_ND, gamma,
                         chs_grid_owned(g, i, j, 0), ncol, nz, coupled, r, z);
    }
}

void chs_precond_solve(const chs_precond *p, const double *r, double *z)
{
  const chs_grid *g = p->m->grid;
  if (p->kind == CHS_PC_MG)
    mg_solve(p, r, z);
  else if (p->kind == CHS_PC_MULTIGRID)
    chs_linemg_solve(p->lmg, r, z);
  else
    column_solve(p, r, z);
  if (p->m->npool_local) {
    size_t o = g->nlocal * NB;
    for (int q = 0; q < CHS_NPOOL; q++) z[o + q] = r[o + q] * p->pool_inv[q];
  }
}

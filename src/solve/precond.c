#include "solve/precond.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { NB = CHS_NF, NB2 = CHS_NF * CHS_NF };

struct chs_precond {
  chs_model *m;
  int kind;
  double gamma;
  double *lu;   /* per owned cell: LU factors of the (Schur-updated) diagonal block */
  int *piv;     /* per owned cell: pivot rows */
  double *up, *down, *diag; /* per owned cell, CHS_ND: vertical couplings, diffusion diagonal */
  double pool_inv[CHS_NPOOL];   /* rank 0: 1 / (1 - gamma dP'/dP), the pools' diagonal */
};

/* In-place LU with partial pivoting of an NB×NB row-major block. */
static int lu_factor(double *a, int *piv)
{
  for (int c = 0; c < NB; c++) {
    int p = c;
    double best = fabs(a[c * NB + c]);
    for (int r = c + 1; r < NB; r++)
      if (fabs(a[r * NB + c]) > best) {
        best = fabs(a[r * NB + c]);
        p = r;
      }
    if (best == 0.0) return -1;
    piv[c] = p;
    if (p != c)
      for (int k = 0; k < NB; k++) {
        double t = a[c * NB + k];
        a[c * NB + k] = a[p * NB + k];
        a[p * NB + k] = t;
      }
    double inv = 1.0 / a[c * NB + c];
    for (int r = c + 1; r < NB; r++) {
      double l = a[r * NB + c] * inv;
      a[r * NB + c] = l;
      if (l != 0.0)
        for (int k = c + 1; k < NB; k++) a[r * NB + k] -= l * a[c * NB + k];
    }
  }
  return 0;
}

static void lu_solve(const double *a, const int *piv, double *x)
{
  for (int c = 0; c < NB; c++) {
    int p = piv[c];
    if (p != c) {
      double t = x[c];
      x[c] = x[p];
      x[p] = t;
    }
    for (int r = c + 1; r < NB; r++) x[r] -= a[r * NB + c] * x[c];
  }
  for (int r = NB - 1; r >= 0; r--) {
    double s = x[r];
    for (int k = r + 1; k < NB; k++) s -= a[r * NB + k] * x[k];
    x[r] = s / a[r * NB + r];
  }
}

chs_status chs_precond_create(chs_model *m, int kind, chs_precond **out)
{
  chs_precond *p = calloc(1, sizeof *p);
  size_t n = m->grid->nlocal;
  if (p) {
    p->lu = malloc(sizeof(double) * NB2 * n);
    p->piv = malloc(sizeof(int) * NB * n);
    p->up = malloc(sizeof(double) * CHS_ND * n);
    p->down = malloc(sizeof(double) * CHS_ND * n);
    p->diag = malloc(sizeof(double) * CHS_ND * n);
  }
  if (!p || !p->lu || !p->piv || !p->up || !p->down || !p->diag) {
    chs_precond_destroy(&p);
    return chs_error(CHS_ERR_NOMEM, "out of memory (preconditioner: %zu cells)", n);
  }
  p->m = m;
  p->kind = kind;
  *out = p;
  return CHS_OK;
}

void chs_precond_destroy(chs_precond **pp)
{
  if (!pp || !*pp) return;
  chs_precond *p = *pp;
  free(p->lu);
  free(p->piv);
  free(p->up);
  free(p->down);
  free(p->diag);
  free(p);
  *pp = NULL;
}

int chs_precond_setup(chs_precond *p, const double *y, double gamma)
{
  chs_model *m = p->m;
  const chs_grid *g = m->grid;
  chs_model_load_state(m, y);
  chs_transport_linearize(&m->tp, g, m->D, p->diag, p->up, p->down);
  p->gamma = gamma;
  if (m->npool_local) {
    double d[CHS_NPOOL];
    chs_joint_diagonal(&m->joint, m->t_now, y + g->nlocal * NB, d);
    for (int q = 0; q < CHS_NPOOL; q++) p->pool_inv[q] = 1.0 / (1.0 - gamma * d[q]);
  }
  const int nx = g->ln[0], ny = g->ln[1], nz = g->ln[2];
  const int coupled = p->kind == CHS_PC_COLUMN;
  int failed = 0;
#pragma omp parallel for collapse(2) schedule(static) reduction(| : failed)
  for (int j = 0; j < ny; j++)
    for (int i = 0; i < nx; i++) {
      size_t prev = 0;
      for (int k = 0; k < nz; k++) {
        size_t c = chs_grid_owned(g, i, j, k);
        double *a = p->lu + c * NB2;
        /* B = I - gamma (J_reaction + diffusion diagonal) */
        chs_cell_env env;
        chs_model_cell_env(m, m->t_now, c, k, &env);
        chs_react_jacobian(&m->rates, &env, y + c * NB, a);
        for (int e = 0; e < NB2; e++) a[e] = -gamma * a[e];
        for (int f = 0; f < NB; f++) a[f * NB + f] += 1.0;
        for (int f = 0; f < CHS_ND; f++) a[f * NB + f] -= gamma * p->diag[c * CHS_ND + f];
        if (coupled && k > 0) {
          /* Schur update: B_k -= L_k D'^{-1}_{k-1} U_{k-1}, L and U diagonal (moving fields). */
          const double *lp = p->lu + prev * NB2;
          const int *pv = p->piv + prev * NB;
          for (int b = 0; b < CHS_ND; b++) {
            double col[NB] = {0};
            col[b] = 1.0;
            lu_solve(lp, pv, col); /* column b of D'^{-1}_{k-1} */
            double ub = gamma * p->down[prev * CHS_ND + b];
            for (int a2 = 0; a2 < CHS_ND; a2++)
              a[a2 * NB + b] -= gamma * p->up[c * CHS_ND + a2] * col[a2] * ub;
          }
        }
        if (lu_factor(a, p->piv + c * NB)) failed = 1;
        prev = c;
      }
    }
  return failed;
}

void chs_precond_solve(const chs_precond *p, const double *r, double *z)
{
  const chs_grid *g = p->m->grid;
  const int nx = g->ln[0], ny = g->ln[1], nz = g->ln[2];
  const double gamma = p->gamma;
  const int coupled = p->kind == CHS_PC_COLUMN;
#pragma omp parallel for collapse(2) schedule(static)
  for (int j = 0; j < ny; j++)
    for (int i = 0; i < nx; i++) {
      double w[NB];
      for (int k = 0; k < nz; k++) { /* forward: y'_k = r_k - L_k D'^{-1}_{k-1} y'_{k-1} */
        size_t c = chs_grid_owned(g, i, j, k);
        double *zk = z + c * NB;
        memcpy(zk, r + c * NB, sizeof(double) * NB);
        if (coupled && k > 0)
          for (int f = 0; f < CHS_ND; f++) zk[f] += gamma * p->up[c * CHS_ND + f] * w[f];
        memcpy(w, zk, sizeof w);
        lu_solve(p->lu + c * NB2, p->piv + c * NB, w);
      }
      for (int k = nz - 1; k >= 0; k--) { /* backward: x_k = D'^{-1}_k (y'_k - U_k x_{k+1}) */
        size_t c = chs_grid_owned(g, i, j, k);
        double *zk = z + c * NB;
        if (coupled && k < nz - 1) {
          const double *below = z + chs_grid_owned(g, i, j, k + 1) * NB;
          for (int f = 0; f < CHS_ND; f++) zk[f] += gamma * p->down[c * CHS_ND + f] * below[f];
        }
        lu_solve(p->lu + c * NB2, p->piv + c * NB, zk);
      }
    }
  if (p->m->npool_local) {
    size_t o = g->nlocal * NB;
    for (int q = 0; q < CHS_NPOOL; q++) z[o + q] = r[o + q] * p->pool_inv[q];
  }
}

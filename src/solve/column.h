/* Dense CHS_NF x CHS_NF blocks and block-tridiagonal depth columns: the kernels shared by
 * the column preconditioner and every level of the line multigrid.
 *
 * A column's operator has diagonal blocks B_k (dense, row-major) and vertical couplings
 * that act on the moving fields only and are diagonal: row k couples to k-1 with
 * -gamma up_k and to k+1 with -gamma down_k (up, down >= 0, CHS_ND per cell). Block Thomas
 * elimination stores the inverse of each Schur-updated diagonal block, so a solve is
 * matrix-vector products only: no pivoting, no divides. */
#ifndef CHS_COLUMN_H
#define CHS_COLUMN_H

#include <math.h>
#include <stddef.h>

#include "model/fields.h"

enum { CHS_NB = CHS_NF, CHS_NB2 = CHS_NF * CHS_NF };

/* inv = a^{-1} by Gauss-Jordan with partial pivoting (set-up only), stored column-major
 * (inv[c * NB + r] = element (r, c)) so that applying it is a sequence of contiguous
 * axpys, which vectorise. a (row-major) is destroyed. Returns -1 if a is singular. */
static inline int chs_block_invert(double *a, double *out)
{
  enum { NB = CHS_NB };
  double inv[CHS_NB2];
  for (int r = 0; r < NB; r++)
    for (int c = 0; c < NB; c++) inv[r * NB + c] = r == c ? 1.0 : 0.0;
  for (int c = 0; c < NB; c++) {
    int p = c;
    double best = fabs(a[c * NB + c]);
    for (int r = c + 1; r < NB; r++)
      if (fabs(a[r * NB + c]) > best) {
        best = fabs(a[r * NB + c]);
        p = r;
      }
    if (best == 0.0 || !isfinite(best)) return -1;
    if (p != c)
      for (int k = 0; k < NB; k++) {
        double t = a[c * NB + k];
        a[c * NB + k] = a[p * NB + k];
        a[p * NB + k] = t;
        t = inv[c * NB + k];
        inv[c * NB + k] = inv[p * NB + k];
        inv[p * NB + k] = t;
      }
    const double d = 1.0 / a[c * NB + c];
    for (int k = 0; k < NB; k++) {
      a[c * NB + k] *= d;
      inv[c * NB + k] *= d;
    }
    for (int r = 0; r < NB; r++) {
      const double l = a[r * NB + c];
      if (r == c || l == 0.0) continue;
      for (int k = 0; k < NB; k++) {
        a[r * NB + k] -= l * a[c * NB + k];
        inv[r * NB + k] -= l * inv[c * NB + k];
      }
    }
  }
  for (int r = 0; r < NB; r++)
    for (int c = 0; c < NB; c++) out[c * NB + r] = inv[r * NB + c];
  return 0;
}

/* Schur update of B_k (in a, row-major) by the row above (inv_prev column-major), before
 * it is inverted:
 * B_k -= L_k B'^{-1}_{k-1} U_{k-1}, with L and U diagonal on the moving fields. */
static inline void chs_column_schur(double *restrict a, const double *restrict inv_prev,
                                    const double *restrict up, const double *restrict down_prev,
                                    double gamma)
{
  enum { NB = CHS_NB };
  for (int b = 0; b < CHS_ND; b++) {
    const double ub = gamma * down_prev[b];
    for (int a2 = 0; a2 < CHS_ND; a2++) a[a2 * NB + b] -= gamma * up[a2] * inv_prev[b * NB + a2] * ub;
  }
}

/* Solves one column: z = C^{-1} r (r may be z). inv holds the column's nz inverse blocks one
 * after the other (column-contiguous: a solve then streams them; blocks of cells a plane
 * apart defeated the prefetcher). Cell k of the column is at index base + k * stride in up,
 * down (CHS_ND values each), r and z (CHS_NB values each). With coupled = 0 the vertical
 * couplings are ignored (pointwise blocks). */
static inline void chs_column_solve(const double *restrict inv, const double *restrict up,
                                    const double *restrict down, double gamma, size_t base,
                                    size_t stride, int nz, int coupled, const double *r,
                                    double *z)
{
  enum { NB = CHS_NB, NB2 = CHS_NB2 };
  /* Forward: w_k = B'^{-1}_k (r_k - L_k w_{k-1}); backward: x_k = w_k - B'^{-1}_k U_k x_{k+1},
   * where U acts on the moving fields only (so only CHS_ND columns of B'^{-1}_k are read). */
  const double *wprev = NULL;
  for (int k = 0; k < nz; k++) {
    const size_t c = base + (size_t)k * stride;
    double rk[NB];
    for (int f = 0; f < NB; f++) rk[f] = r[c * NB + f];
    if (coupled && k > 0)
      for (int f = 0; f < CHS_ND; f++) rk[f] += gamma * up[c * CHS_ND + f] * wprev[f];
    const double *M = inv + (size_t)k * NB2;
    double s[NB] = {0};
    for (int q = 0; q < NB; q++)
      for (int row = 0; row < NB; row++) s[row] += M[q * NB + row] * rk[q];
    for (int row = 0; row < NB; row++) z[c * NB + row] = s[row];
    wprev = z + c * NB;
  }
  if (!coupled) return;
  for (int k = nz - 2; k >= 0; k--) {
    const size_t c = base + (size_t)k * stride, below = c + stride;
    double t[CHS_ND];
    for (int f = 0; f < CHS_ND; f++) t[f] = gamma * down[c * CHS_ND + f] * z[below * NB + f];
    const double *M = inv + (size_t)k * NB2;
    double s[NB] = {0};
    for (int q = 0; q < CHS_ND; q++)
      for (int row = 0; row < NB; row++) s[row] += M[q * NB + row] * t[q];
    for (int row = 0; row < NB; row++) z[c * NB + row] += s[row];
  }
}

#endif

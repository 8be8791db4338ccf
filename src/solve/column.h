/* Dense blocks and block-tridiagonal depth columns: the kernels shared by the column
 * preconditioner (CHS_NF x CHS_NF blocks) and every level of the line multigrid (CHS_ND x
 * CHS_ND blocks, the immobile fields condensed out).
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
#include "model/transport.h"

enum { CHS_NB = CHS_NF, CHS_NB2 = CHS_NF * CHS_NF };

/* The stored inverses are single precision: a preconditioner needs a few digits, and half
 * the bytes are half the memory traffic of a solve and half the largest array of the
 * preconditioners. Arithmetic stays double. */
typedef float chs_pcreal;

/* out = a^{-1} for an n x n block (n <= CHS_NB) by Gauss-Jordan with partial pivoting
 * (set-up only), column-major (out[c * n + r] = element (r, c)) so that applying it is a
 * sequence of contiguous axpys, which vectorise. a (row-major) is destroyed. Returns -1 if a
 * is singular. */
static inline int chs_block_inverse(int n, double *a, double *out)
{
  double inv[CHS_NB2];
  for (int r = 0; r < n; r++)
    for (int c = 0; c < n; c++) inv[r * n + c] = r == c ? 1.0 : 0.0;
  for (int c = 0; c < n; c++) {
    int p = c;
    double best = fabs(a[c * n + c]);
    for (int r = c + 1; r < n; r++)
      if (fabs(a[r * n + c]) > best) {
        best = fabs(a[r * n + c]);
        p = r;
      }
    if (best == 0.0 || !isfinite(best)) return -1;
    if (p != c)
      for (int k = 0; k < n; k++) {
        double t = a[c * n + k];
        a[c * n + k] = a[p * n + k];
        a[p * n + k] = t;
        t = inv[c * n + k];
        inv[c * n + k] = inv[p * n + k];
        inv[p * n + k] = t;
      }
    const double d = 1.0 / a[c * n + c];
    for (int k = 0; k < n; k++) {
      a[c * n + k] *= d;
      inv[c * n + k] *= d;
    }
    for (int r = 0; r < n; r++) {
      const double l = a[r * n + c];
      if (r == c || l == 0.0) continue;
      for (int k = 0; k < n; k++) {
        a[r * n + k] -= l * a[c * n + k];
        inv[r * n + k] -= l * inv[c * n + k];
      }
    }
  }
  for (int r = 0; r < n; r++)
    for (int c = 0; c < n; c++) out[c * n + r] = inv[r * n + c];
  return 0;
}
/* The same, stored (n = CHS_NB, or CHS_ND for the multigrid's condensed blocks). */
static inline int chs_block_invert_n(int n, double *a, chs_pcreal *out)
{
  double t[CHS_NB2];
  if (chs_block_inverse(n, a, t)) return -1;
  for (int e = 0; e < n * n; e++) out[e] = (chs_pcreal)t[e];
  return 0;
}
static inline int chs_block_invert(double *a, chs_pcreal *out) { return chs_block_invert_n(CHS_NB, a, out); }

/* Schur update of B_k (in a, n x n row-major, the moving fields first) by the cell above
 * (inv_prev, n x n column-major), before it is inverted:
 * B_k -= L_k B'^{-1}_{k-1} U_{k-1}, with L and U diagonal on the moving fields. */
static inline void chs_column_schur_n(int n, double *restrict a, const chs_pcreal *restrict inv_prev,
                                      const chs_coupling *restrict up, const chs_coupling *restrict down_prev,
                                      double gamma)
{
  for (int b = 0; b < CHS_ND; b++) {
    const double ub = gamma * down_prev[b];
    for (int a2 = 0; a2 < CHS_ND; a2++) a[a2 * n + b] -= gamma * up[a2] * inv_prev[b * n + a2] * ub;
  }
}
static inline void chs_column_schur(double *restrict a, const chs_pcreal *restrict inv_prev,
                                    const chs_coupling *restrict up, const chs_coupling *restrict down_prev,
                                    double gamma)
{
  chs_column_schur_n(CHS_NB, a, inv_prev, up, down_prev, gamma);
}

/* Solves one column of n-field blocks: z = C^{-1} r (r may be z). inv holds the column's nz
 * inverse blocks (n x n) one after the other, and up, down the column's vertical couplings
 * (CHS_ND per cell, cell k at k * CHS_ND): column-contiguous, so a solve streams them
 * (arrays a plane apart per cell defeated the prefetcher). Cell k's values in r and z are at
 * (base + k * stride) * n. With coupled = 0 the vertical couplings are ignored (pointwise
 * blocks). */
static inline void chs_column_solve_n(int n, const chs_pcreal *restrict inv, const chs_coupling *restrict up,
                                      const chs_coupling *restrict down, double gamma, size_t base,
                                      size_t stride, int nz, int coupled, const double *r, double *z)
{
  /* Forward: w_k = B'^{-1}_k (r_k - L_k w_{k-1}); backward: x_k = w_k - B'^{-1}_k U_k x_{k+1},
   * where U acts on the moving fields only (so only CHS_ND columns of B'^{-1}_k are read). */
  const double *wprev = NULL;
  const size_t n2 = (size_t)n * n;
  for (int k = 0; k < nz; k++) {
    const size_t c = base + (size_t)k * stride;
    double rk[CHS_NB];
    for (int f = 0; f < n; f++) rk[f] = r[c * n + f];
    if (coupled && k > 0)
      for (int f = 0; f < CHS_ND; f++) rk[f] += gamma * up[(size_t)k * CHS_ND + f] * wprev[f];
    const chs_pcreal *M = inv + (size_t)k * n2;
    double s[CHS_NB] = {0};
    for (int q = 0; q < n; q++)
      for (int row = 0; row < n; row++) s[row] += M[q * n + row] * rk[q];
    for (int row = 0; row < n; row++) z[c * n + row] = s[row];
    wprev = z + c * n;
  }
  if (!coupled) return;
  for (int k = nz - 2; k >= 0; k--) {
    const size_t c = base + (size_t)k * stride, below = c + stride;
    double t[CHS_ND];
    for (int f = 0; f < CHS_ND; f++) t[f] = gamma * down[(size_t)k * CHS_ND + f] * z[below * n + f];
    const chs_pcreal *M = inv + (size_t)k * n2;
    double s[CHS_NB] = {0};
    for (int q = 0; q < CHS_ND; q++)
      for (int row = 0; row < n; row++) s[row] += M[q * n + row] * t[q];
    for (int row = 0; row < n; row++) z[c * n + row] += s[row];
  }
}

#endif

/* The multigrid wrapper (src/solve/mg.c, hypre PFMG) on one rank: for I - g div(D grad)
 * with a strongly varying D (a factor 1000 between two regions, harmonic-mean faces, no-flux
 * edges, g large enough that diffusion dominates the identity), used as a stationary
 * iteration x += V-cycle(b - A x) from x = 0, the residual must fall by at least 20 over
 * 6 cycles, in 2D (x-z) and 3D (measured: 740 and 68; with hypre's default skipped
 * relaxation 2D converged 3x slower per cycle). A wrong stencil order, sign or offset
 * makes the cycle a poor or divergent approximation and fails this. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "par/par.h"
#include "solve/mg.h"
#include "support/test_support.h"

static double diffusivity(int i, int j, int k) { return (i + j + k) % 7 < 3 ? 1.0 : 1e-3 + 0.01 * k; }

static double harm(double a, double b) { return 2 * a * b / (a + b); }

static void check_mg(int nx, int ny, int nz)
{
  chs_test_mpi();
  const long n = (long)nx * ny * nz;
  double *coef = calloc((size_t)n * CHS_MG_NS, sizeof(double));
  double *b = malloc(sizeof(double) * n), *x = calloc(n, sizeof(double));
  double *r = malloc(sizeof(double) * n), *e = malloc(sizeof(double) * n);
  cr_assert(coef && b && x && r && e);
  const double g = 50.0;
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++)
      for (int i = 0; i < nx; i++) {
        long c = ((long)k * ny + j) * nx + i;
        double d = diffusivity(i, j, k), *s = coef + c * CHS_MG_NS, diag = 1.0;
        const int nb[6][3] = {{i - 1, j, k}, {i + 1, j, k}, {i, j - 1, k}, {i, j + 1, k}, {i, j, k - 1}, {i, j, k + 1}};
        const int ent[6] = {CHS_MG_XM, CHS_MG_XP, CHS_MG_YM, CHS_MG_YP, CHS_MG_ZM, CHS_MG_ZP};
        for (int q = 0; q < 6; q++) {
          int a = nb[q][0], bb = nb[q][1], cc = nb[q][2];
          if (a < 0 || a >= nx || bb < 0 || bb >= ny || cc < 0 || cc >= nz) continue;
          double w = g * harm(d, diffusivity(a, bb, cc));
          s[ent[q]] = -w;
          diag += w;
        }
        s[CHS_MG_C] = diag;
        b[c] = sin(0.3 * i) + cos(0.7 * k) + 0.1 * j;
      }
  chs_mg *mg = NULL;
  chs_par *par = NULL;
  int lo[3] = {0, 0, 0}, ln[3] = {nx, ny, nz};
  cr_assert_eq(chs_par_create(NULL, ny > 1 ? 2 : 1, ln, &par), CHS_OK, "%s", chs_error_message());
  cr_assert_eq(chs_mg_create(chs_par_comm(par), lo, ln, ny > 1, 2, &mg), CHS_OK, "%s", chs_error_message());
  cr_assert_eq(chs_mg_setup(mg, 1, coef), 0);
  double r0 = 0.0, rn = 0.0;
  for (int it = 0; it <= 6; it++) {
    /* r = b - A x */
    double norm = 0.0;
    for (int k = 0; k < nz; k++)
      for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
          long c = ((long)k * ny + j) * nx + i;
          const double *s = coef + c * CHS_MG_NS;
          double ax = s[CHS_MG_C] * x[c];
          if (i > 0) ax += s[CHS_MG_XM] * x[c - 1];
          if (i < nx - 1) ax += s[CHS_MG_XP] * x[c + 1];
          if (j > 0) ax += s[CHS_MG_YM] * x[c - nx];
          if (j < ny - 1) ax += s[CHS_MG_YP] * x[c + nx];
          if (k > 0) ax += s[CHS_MG_ZM] * x[c - (long)nx * ny];
          if (k < nz - 1) ax += s[CHS_MG_ZP] * x[c + (long)nx * ny];
          r[c] = b[c] - ax;
          norm += r[c] * r[c];
        }
    norm = sqrt(norm);
    if (it == 0) r0 = norm;
    rn = norm;
    if (it == 6) break;
    chs_mg_solve(mg, 1, r, e);
    for (long c = 0; c < n; c++) x[c] += e[c];
  }
  cr_log_info("%d x %d x %d: residual %.3g -> %.3g after 6 V-cycles", nx, ny, nz, r0, rn);
  cr_assert(rn <= 0.05 * r0, "%d x %d x %d: residual fell only from %.3g to %.3g in 6 V-cycles", nx, ny,
            nz, r0, rn);
  chs_mg_destroy(&mg);
  chs_par_destroy(&par);
  free(coef);
  free(b);
  free(x);
  free(r);
  free(e);
}

Test(mg, pfmg_cycle_converges_2d) { check_mg(40, 1, 24); }
Test(mg, pfmg_cycle_converges_3d) { check_mg(16, 12, 10); }

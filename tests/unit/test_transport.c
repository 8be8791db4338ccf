/* chs_transport_apply (src/model/transport.c) computes each face's harmonic-mean
 * coefficient once and reuses it for the neighbour. These tests hold it to a plain
 * per-cell gather (every cell computes its own faces, the earlier form, written out here)
 * bit for bit: random positive u and D in every ghosted cell, solute boundaries on (top
 * Robin, bone oxygen and cytokine), each geometry, odd sizes, 1..3 OpenMP threads (the
 * work split depends on the thread count; the result must not). */
#include <criterion/criterion.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid/grid.h"
#include "model/fields.h"
#include "model/transport.h"
#include "par/par.h"
#include "support/test_support.h"

static void setup(void) { chs_test_mpi(); }
static void teardown(void) { chs_par_finalize(); }
TestSuite(transport, .init = setup, .fini = teardown);

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static double urand(void) { return chs_test_urand(&rng_state); }
static double lrand(double lo, double hi) { return chs_test_lrand(&rng_state, lo, hi); }

/* The reference: each cell gathers its six faces itself. */
static void reference_apply(const chs_transport *tp, const chs_grid *g, const double *ug, const double *D,
                            double *ydot)
{
  const long sx = 1, sy = g->gd[0], sz = (long)g->gd[0] * g->gd[1];
  const int nx = g->ln[0], ny = g->ln[1], nz = g->ln[2];
  const double cz = g->cz, cy = g->cy, dz = g->h[2], half_dz = 0.5 * g->h[2];
  const int ylo = g->lo[1] == 0, yhi = g->lo[1] + ny == g->gn[1];
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++)
      for (int i = 0; i < nx; i++) {
        const long c = (long)chs_grid_ghosted(g, i, j, k);
        const double *u = ug + c * CHS_NF, *Dc = D + c * CHS_ND;
        double *out = ydot + chs_grid_owned(g, i, j, k) * CHS_NF;
        const int has_ym = cy > 0.0 && !(ylo && j == 0), has_yp = cy > 0.0 && !(yhi && j == ny - 1);
        for (int f = 0; f < CHS_ND; f++) {
          double acc = 0.0, uc = u[f], d = Dc[f];
          const int solute = chs_field_kind[f] == CHS_KIND_SOLUTE;
          if (g->cxm[i] > 0.0) acc += g->cxm[i] * chs_harmonic(d, D[(c - sx) * CHS_ND + f]) * (ug[(c - sx) * CHS_NF + f] - uc);
          if (g->cxp[i] > 0.0) acc += g->cxp[i] * chs_harmonic(d, D[(c + sx) * CHS_ND + f]) * (ug[(c + sx) * CHS_NF + f] - uc);
          if (has_ym) acc += cy * chs_harmonic(d, D[(c - sy) * CHS_ND + f]) * (ug[(c - sy) * CHS_NF + f] - uc);
          if (has_yp) acc += cy * chs_harmonic(d, D[(c + sy) * CHS_ND + f]) * (ug[(c + sy) * CHS_NF + f] - uc);
          if (k > 0)
            acc += cz * chs_harmonic(d, D[(c - sz) * CHS_ND + f]) * (ug[(c - sz) * CHS_NF + f] - uc);
          else
            acc += (solute ? chs_transport_robin(tp->h_top, d, half_dz) : 0.0) * (tp->kappa * tp->fluid[f] - uc) / dz;
          if (k < nz - 1)
            acc += cz * chs_harmonic(d, D[(c + sz) * CHS_ND + f]) * (ug[(c + sz) * CHS_NF + f] - uc);
          else {
            double coef = f == CHS_F_OXYGEN ? chs_transport_robin(tp->h_bone, d, half_dz)
                          : f == CHS_F_CYTOKINE ? chs_transport_robin(tp->P_b, d, half_dz) : 0.0;
            double val = f == CHS_F_OXYGEN ? tp->n_bone : (f == CHS_F_CYTOKINE ? tp->bone_cytokine : 0.0);
            acc += coef * (val - uc) / dz;
          }
          out[f] += acc;
        }
      }
}

static void same_as_gather(const char *geometry, int nx, int ny, int nz)
{
  char a[64], b[32], c[32], d[32];
  snprintf(a, sizeof a, "grid.geometry=%s", geometry);
  snprintf(b, sizeof b, "grid.nx=%d", nx);
  snprintf(c, sizeof c, "grid.ny=%d", ny);
  snprintf(d, sizeof d, "grid.nz=%d", nz);
  const char *sets[] = {a, b, c, d, "grid.length=8", "bone.P_b=0.5", NULL};
  chs_config cfg;
  chs_test_config(&cfg, "configs/default.ini", sets);
  const int three = strcmp(geometry, "cartesian3d") == 0;
  int gcells[3] = {nx, three ? ny : 1, nz};
  chs_par *par = NULL;
  chs_grid *g = NULL;
  chs_error_clear();
  cr_assert_eq(chs_par_create(NULL, three ? 2 : 1, gcells, &par), CHS_OK, "%s", chs_error_message());
  cr_assert_eq(chs_grid_create(&cfg, par, &g), CHS_OK, "%s", chs_error_message());
  chs_transport tp;
  chs_transport_from_config(&cfg, &tp);
  tp.bone_cytokine = 0.7;
  tp.fluid[CHS_F_GROWTH_FACTOR] = 3.0;
  cr_assert_gt(tp.h_top, 0.0);
  cr_assert_gt(tp.h_bone, 0.0);
  double *ug = malloc(sizeof(double) * g->nghost * CHS_NF), *D = malloc(sizeof(double) * g->nghost * CHS_ND);
  double *ref = malloc(sizeof(double) * g->nlocal * CHS_NF), *got = malloc(sizeof(double) * g->nlocal * CHS_NF);
  cr_assert(ug && D && ref && got);
  for (size_t q = 0; q < g->nghost; q++) {
    for (int f = 0; f < CHS_NF; f++) ug[q * CHS_NF + f] = lrand(1e-3, 1e3);
    /* some zero coefficients (a blocked face: harmonic mean 0) */
    for (int f = 0; f < CHS_ND; f++) D[q * CHS_ND + f] = urand() < 0.05 ? 0.0 : lrand(1e-3, 10.0);
  }
  for (size_t q = 0; q < g->nlocal * CHS_NF; q++) ref[q] = lrand(1e-3, 1.0); /* apply adds */
  memcpy(got, ref, sizeof(double) * g->nlocal * CHS_NF);
  reference_apply(&tp, g, ug, D, ref);
  const int saved = omp_get_max_threads();
  for (int nt = 1; nt <= 3; nt++) {
    omp_set_num_threads(nt);
    double *y = malloc(sizeof(double) * g->nlocal * CHS_NF);
    memcpy(y, got, sizeof(double) * g->nlocal * CHS_NF);
    chs_transport_apply(&tp, g, ug, D, y);
    size_t bad = 0;
    for (size_t q = 0; q < g->nlocal * CHS_NF; q++) bad += memcmp(&y[q], &ref[q], sizeof(double)) != 0;
    cr_expect_eq(bad, 0, "%s %dx%dx%d, %d threads: %zu entries differ from the per-cell gather",
                 geometry, nx, ny, nz, nt, bad);
    free(y);
  }
  omp_set_num_threads(saved);
  free(ug);
  free(D);
  free(ref);
  free(got);
  chs_grid_destroy(&g);
  chs_par_destroy(&par);
}

Test(transport, face_once_equals_gather_axisymmetric) { same_as_gather("axisymmetric", 37, 1, 9); }
Test(transport, face_once_equals_gather_cartesian2d) { same_as_gather("cartesian2d", 200, 1, 5); }
Test(transport, face_once_equals_gather_cartesian3d) { same_as_gather("cartesian3d", 11, 7, 6); }
Test(transport, face_once_equals_gather_one_cell_wide) { same_as_gather("axisymmetric", 1, 1, 4); }

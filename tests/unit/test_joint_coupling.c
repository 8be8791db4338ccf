/* How the simulated tissue drives the joint (src/model/model.c, docs/model.md §3.7-3.8):
 * the damage feedback and the fluid exchange are joint-level quantities per mm^2 of the
 * joint's cartilage (A_joint), in which the lesion counts with its real area and the rest of
 * the joint like the simulated tissue around it. They must not depend on how wide the
 * simulated box is. The joint's equations at t = 0 (one rank, the initial state of a
 * focal defect) are compared between two domain widths with the same cell size: the
 * healthy columns are native in both, so the pool rates must agree to round-off (before
 * the fix the lesion's share of the box set the damage, and dI/dt differed by ~2x). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid/grid.h"
#include "model/model.h"
#include "par/par.h"
#include "support/test_support.h"

static void setup(void) { chs_test_mpi(); }
static void teardown(void) { chs_par_finalize(); }
TestSuite(joint_coupling, .init = setup, .fini = teardown);

static chs_config g_cfg;

/* The pool rates dP/dt at t = 0 of a 5-mm-radius full-depth defect, no therapy, in a
 * domain of the given width (2 cells per mm laterally, 12 in depth). */
static void pool_rates(const char *geometry, double width, double dP[CHS_NPOOL], double *share)
{
  char w[64], nx[64], geo[64];
  snprintf(w, sizeof w, "grid.width=%g", width);
  snprintf(nx, sizeof nx, "grid.nx=%d", (int)lround(2 * width));
  snprintf(geo, sizeof geo, "grid.geometry=%s", geometry);
  const char *sets[] = {geo, w, nx, "grid.nz=12", "patient.age=60", "therapy.route=none", NULL};
  chs_test_config(&g_cfg, "configs/default.ini", sets);
  chs_par *par = NULL;
  chs_grid *g = NULL;
  chs_model *m = NULL;
  chs_error_clear();
  chs_test_model(&g_cfg, 1, &par, &g, &m);
  long n = chs_model_state_length(m);
  double *y = calloc((size_t)n, sizeof *y), *yd = calloc((size_t)n, sizeof *yd);
  cr_assert(y && yd);
  chs_model_initial_state(m, y);
  chs_model_rhs(m, 0.0, y, yd);
  memcpy(dP, yd + g->nlocal * CHS_NF, sizeof(double) * CHS_NPOOL);
  *share = m->lesion_share;
  free(y);
  free(yd);
  chs_test_model_free(&par, &g, &m);
}

/* Widths w1 < w2 both leave healthy columns around the 5-mm lesion. */
static void expect_width_independent(const char *geometry, double w1, double w2)
{
  double a[CHS_NPOOL], b[CHS_NPOOL], sa, sb;
  pool_rates(geometry, w1, a, &sa);
  pool_rates(geometry, w2, b, &sb);
  /* the lesion stands for its real area (pi 5^2 mm^2) of the joint's cartilage */
  double want = M_PI * 25.0 / g_cfg.joint_A_joint;
  cr_expect(fabs(sa - want) <= 1e-12 * want && fabs(sb - want) <= 1e-12 * want,
            "%s: lesion share %.6g (width %g), %.6g (width %g), want pi R^2 / A_joint = %.6g", geometry, sa, w1, sb, w2,
            want);
  const int pools[] = {CHS_P_I, CHS_P_G};
  for (int q = 0; q < 2; q++) {
    int p = pools[q];
    fprintf(stderr, "%s: d%s/dt at t = 0: %.12g (width %g), %.12g (width %g)\n", geometry, chs_pool_names[p], a[p],
            w1, b[p], w2);
    cr_expect_neq(a[p], 0.0, "%s: d%s/dt = 0 at t = 0: the lesion must move the joint (test would be vacuous)",
                  geometry, chs_pool_names[p]);
    cr_expect_leq(fabs(a[p] - b[p]), 1e-9 * fabs(a[p]),
                  "%s: d%s/dt at t = 0 depends on the domain width: %.10g (%g mm) vs %.10g (%g mm)", geometry,
                  chs_pool_names[p], a[p], w1, b[p], w2);
  }
}

Test(joint_coupling, pool_rates_do_not_depend_on_the_domain_width_axisymmetric)
{
  expect_width_independent("axisymmetric", 10.0, 20.0);
}

Test(joint_coupling, pool_rates_do_not_depend_on_the_domain_width_cartesian2d)
{
  expect_width_independent("cartesian2d", 12.0, 24.0);
}

/* A focal lesion that fills every simulated column: the rest of the joint is intact native
 * tissue, so the joint sees the same rates as with healthy columns around the lesion. */
Test(joint_coupling, a_lesion_filling_the_box_leaves_the_rest_of_the_joint_native)
{
  double a[CHS_NPOOL], b[CHS_NPOOL], sa, sb;
  pool_rates("cartesian2d", 10.0, a, &sa); /* cells at |x| <= 4.75 mm: all inside R = 5 */
  pool_rates("cartesian2d", 12.0, b, &sb);
  cr_expect_eq(sa, sb, "lesion share %g vs %g", sa, sb);
  for (int p = 0; p < CHS_NPOOL; p++)
    cr_expect_leq(fabs(a[p] - b[p]), 1e-9 * fabs(b[p]) + 1e-300, "d%s/dt: %.10g (box filled) vs %.10g",
                  chs_pool_names[p], a[p], b[p]);
}

/* Diffuse OA is the whole joint: its tissue mean is the joint's, whatever the width. */
Test(joint_coupling, diffuse_oa_stands_for_the_whole_joint)
{
  const char *sets[] = {"lesion.shape=diffuse", "therapy.route=none", "grid.nx=4", "grid.nz=8", NULL};
  chs_test_config(&g_cfg, "configs/default.ini", sets);
  chs_par *par = NULL;
  chs_grid *g = NULL;
  chs_model *m = NULL;
  chs_test_model(&g_cfg, 1, &par, &g, &m);
  cr_expect_eq(m->lesion_share, 1.0, "diffuse OA: lesion share %g, want 1", m->lesion_share);
  chs_test_model_free(&par, &g, &m);
}

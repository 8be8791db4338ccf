/* The joint does not depend on the size of the simulated box (docs/model.md §3.7-3.8).
 * The same untreated 5-mm-radius full-depth defect (age 60, I_base = 1, axisymmetric,
 * 2 cells per mm laterally, 12 in depth) in domains 10 and 20 mm wide, 30 days: the fluid
 * pools must agree within 1 %. Before the fix (damage and exchange averaged over the box)
 * the fluid cytokine was 1.46 in the 10-mm box and 1.12 in the 20-mm box (30 %). What is
 * left is the rim: the healthy columns near the lesion wall are averaged into "the rest of
 * the joint" (measured: 0.2 % in I, 0.5 % in G). */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/joint.h"
#include "par/par.h"
#include "run/simulation.h"
#include "support/h5read.h"
#include "support/test_support.h"

static void setup(void) { chs_test_mpi(); }
static void teardown(void) { chs_par_finalize(); }
TestSuite(joint_width, .init = setup, .fini = teardown);

static chs_config g_cfg;

/* Last value of each pool at day 30 in a domain of the given width; the joint-mean
 * cartilage thickness at day 0 and day 30. */
static void run_width(double width, double P[CHS_NPOOL], double thick[2])
{
  char dir[64] = "/tmp/chs_joint_width_XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char w[64], nx[64];
  snprintf(w, sizeof w, "grid.width=%g", width);
  snprintf(nx, sizeof nx, "grid.nx=%d", (int)lround(2 * width));
  const char *sets[] = {"run.name=width", w, nx, "grid.nz=12", "patient.age=60", "therapy.route=none",
                        "run.end_time=30", "output.times=0 30", NULL};
  chs_test_config(&g_cfg, "configs/default.ini", sets);
  char h5[2 * CHS_PATH_MAX + 64];
  chs_test_run(&g_cfg, dir, "test_joint_width", h5, sizeof h5);
  for (int q = 0; q < CHS_NPOOL; q++) {
    char name[128];
    snprintf(name, sizeof name, "/metrics/%s", chs_pool_names[q]);
    double *v = NULL;
    long n = 0;
    cr_assert_eq(chs_h5_read_doubles(h5, name, &v, &n), CHS_OK, "%s", chs_error_message());
    P[q] = v[n - 1];
    free(v);
  }
  double *v = NULL;
  long n = 0;
  cr_assert_eq(chs_h5_read_doubles(h5, "/metrics/thickness_equiv", &v, &n), CHS_OK, "%s", chs_error_message());
  thick[0] = v[0];
  thick[1] = v[n - 1];
  free(v);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

Test(joint_width, fluid_pools_at_day_30_do_not_depend_on_the_domain_width, .timeout = 900)
{
  double a[CHS_NPOOL], b[CHS_NPOOL], ta[2], tb[2];
  run_width(10.0, a, ta);
  run_width(20.0, b, tb);
  const int pools[] = {CHS_P_I, CHS_P_G, CHS_P_M};
  for (int k = 0; k < 3; k++) {
    int q = pools[k];
    double rel = fabs(a[q] - b[q]) / fabs(b[q]);
    fprintf(stderr, "day 30: %s = %.6g (10 mm) vs %.6g (20 mm), relative difference %.2e\n", chs_pool_names[q], a[q],
            b[q], rel);
    cr_expect_leq(rel, 0.01, "%s at day 30 depends on grid.width: %.6g (10 mm) vs %.6g (20 mm)", chs_pool_names[q],
                  a[q], b[q]);
  }
  /* not vacuous: the lesion does move the joint away from its start (I = I_base) */
  cr_expect_gt(fabs(a[CHS_P_I] - g_cfg.patient_inflammation), 1e-3, "fluid cytokine did not move (%.6g)", a[CHS_P_I]);
  /* The outcome the comparisons rank by: the joint-mean thickness (the lesion at its real
   * share of the joint) and its change. Averaged over the box, the 10-mm box gave the
   * lesion a quarter of the joint and the 20-mm box a sixteenth. */
  double rel0 = fabs(ta[0] - tb[0]) / tb[0], rel1 = fabs(ta[1] - tb[1]) / tb[1];
  double da = ta[1] - ta[0], db = tb[1] - tb[0], reld = fabs(da - db) / fabs(db);
  fprintf(stderr, "thickness_equiv: day 0 %.6g vs %.6g (%.2e), day 30 %.6g vs %.6g (%.2e), change %.4g vs %.4g (%.2e)\n",
          ta[0], tb[0], rel0, ta[1], tb[1], rel1, da, db, reld);
  cr_expect_leq(rel0, 1e-3, "thickness_equiv at day 0 depends on grid.width: %.6g vs %.6g", ta[0], tb[0]);
  cr_expect_leq(rel1, 1e-3, "thickness_equiv at day 30 depends on grid.width: %.6g vs %.6g", ta[1], tb[1]);
  cr_expect_leq(reld, 0.05, "the 30-day thickness change depends on grid.width: %.4g vs %.4g", da, db);
  cr_expect_gt(fabs(db), 1e-6, "the thickness did not change (%.3g): the check would be vacuous", db);
}

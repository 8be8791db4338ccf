/* The quiet-joint invariant: intact cartilage (lesion.shape = none) in a quiet joint
 * (patient.inflammation = patient.quiet_inflammation = 0.2), no therapy, integrated for
 * 730 days by the real engine (chs_simulation_run: model rhs, preconditioner, CVODE,
 * output; the default 80 x 24 axisymmetric grid), stays within 2 % of its initial state in
 * every field and every cell, and the joint pools (fluid, synovium, bone, immune, ledger
 * counters) hold still as well, at ages 25, 60 and 80. The fields are read back from the run's HDF5 file at every
 * output time and compared cell by cell with step 0:
 *   relative deviation = |u - u0| / |u0|             where u0 != 0,
 *                        |u| / (the field's scale)   where u0 == 0 (msc: c0; fibrous: 1).
 * The maximum over fields, cells and times is printed (expected to be far below 2 %: the
 * initial state is the discrete steady state of the same operators).
 *
 * Contrast (so the invariant is not vacuous): the same tissue in a post-traumatic joint
 * (patient.inflammation = 3) measurably degrades over two years: proteoglycan and collagen II
 * fall well beyond 2 %, and the healthy_matrix metric drops. One rank. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "support/h5read.h"
#include "model/fields.h"
#include "model/joint.h"
#include "par/par.h"
#include "run/simulation.h"
#include "support/test_support.h"

static void setup(void) { chs_test_mpi(); }
static void teardown(void) { chs_par_finalize(); }
TestSuite(healthy_invariant, .init = setup, .fini = teardown, .timeout = 600);

static chs_config g_cfg;

typedef struct {
  char dir[512], h5[CHS_PATH_MAX + 32];
  int nsteps;
  double *time;
  double maxdev[CHS_NF]; /* over cells and times */
  double lastdev[CHS_NF];
  double mean0[CHS_NF], mean_end[CHS_NF];
  double hm0, hm_end; /* healthy_matrix metric at the first and last row */
  double pool0[CHS_NPOOL], pool_dev[CHS_NPOOL]; /* joint pools: start, max deviation */
  double field_max0[CHS_NF];                    /* max |u| over cells at t = 0 */
} run_out;

/* rm -r of the run directory (files one level down). */
static void remove_tree(const char *dir)
{
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

static void run_intact(double inflammation, double age, run_out *o)
{
  memset(o, 0, sizeof *o);
  snprintf(o->dir, sizeof o->dir, "/tmp/chs_healthy_XXXXXX");
  cr_assert_not_null(mkdtemp(o->dir));
  char infl[64], ag[64];
  snprintf(infl, sizeof infl, "patient.inflammation=%g", inflammation);
  snprintf(ag, sizeof ag, "patient.age=%g", age);
  const char *sets[] = {"run.name=intact", "run.end_time=730", "lesion.shape=none", "therapy.route=none",
                        "patient.quiet_inflammation=0.2", infl, ag,
                        "output.times=0 14 90 180 365 540 730", NULL};
  chs_test_config(&g_cfg, "configs/default.ini", sets);
  chs_run_result res = chs_test_run(&g_cfg, o->dir, "test_healthy_invariant", o->h5, sizeof o->h5);
  fprintf(stderr, "intact cartilage, age %g, I_base = %g: %ld steps, %ld rhs, wall %.1f s (%s)\n", age, inflammation,
          res.stats.steps, res.stats.rhs_evals, res.wall_time, res.run_dir);

  long nt = 0;
  cr_assert_eq(chs_h5_read_doubles(o->h5, "/time", &o->time, &nt), CHS_OK, "%s", chs_error_message());
  o->nsteps = (int)nt;
  cr_assert_eq(o->nsteps, 7, "expected 7 output steps, found %d", o->nsteps);
  cr_assert_float_eq(o->time[o->nsteps - 1], 730.0, 1e-9);

  /* Where a field starts at 0: its deviation is measured in the registry's scale (cells:
   * the native density c0). */
  double zero_scale[CHS_NF];
  for (int f = 0; f < CHS_NF; f++)
    zero_scale[f] = chs_field_kind[f] == CHS_KIND_CELL ? g_cfg.tissue_c0 : chs_field_scale[f];
  for (int f = 0; f < CHS_NF; f++) {
    char name[128];
    snprintf(name, sizeof name, "/step_%05d/%s", 0, chs_field_names[f]);
    double *u0 = NULL;
    long n0 = 0;
    cr_assert_eq(chs_h5_read_doubles(o->h5, name, &u0, &n0), CHS_OK, "%s", chs_error_message());
    cr_assert_eq(n0, (long)g_cfg.grid_nx * g_cfg.grid_nz);
    for (long c = 0; c < n0; c++) {
      o->mean0[f] += u0[c] / (double)n0;
      o->field_max0[f] = fmax(o->field_max0[f], fabs(u0[c]));
    }
    for (int s = 1; s < o->nsteps; s++) {
      snprintf(name, sizeof name, "/step_%05d/%s", s, chs_field_names[f]);
      double *u = NULL;
      long n = 0;
      cr_assert_eq(chs_h5_read_doubles(o->h5, name, &u, &n), CHS_OK, "%s", chs_error_message());
      cr_assert_eq(n, n0);
      double dev = 0.0;
      for (long c = 0; c < n; c++) {
        cr_assert(isfinite(u[c]), "%s not finite at step %d", chs_field_names[f], s);
        double d = u0[c] != 0.0 ? fabs(u[c] - u0[c]) / fabs(u0[c]) : fabs(u[c]) / zero_scale[f];
        dev = fmax(dev, d);
        if (s == o->nsteps - 1) o->mean_end[f] += u[c] / (double)n;
      }
      o->maxdev[f] = fmax(o->maxdev[f], dev);
      if (s == o->nsteps - 1) o->lastdev[f] = dev;
      free(u);
    }
    free(u0);
  }
  double *hm = NULL;
  long nh = 0;
  cr_assert_eq(chs_h5_read_doubles(o->h5, "/metrics/healthy_matrix", &hm, &nh), CHS_OK, "%s",
               chs_error_message());
  cr_assert(nh >= 2);
  o->hm0 = hm[0];
  o->hm_end = hm[nh - 1];
  free(hm);
  /* The joint pools, every accepted step: relative deviation from the start where it is
   * nonzero, else absolute in the pool's unit (cells, or the 0..1 states). */
  for (int q = 0; q < CHS_NPOOL; q++) {
    char name[128];
    snprintf(name, sizeof name, "/metrics/%s", chs_pool_names[q]);
    double *v = NULL;
    long nv = 0;
    cr_assert_eq(chs_h5_read_doubles(o->h5, name, &v, &nv), CHS_OK, "%s", chs_error_message());
    cr_assert(nv >= 2);
    o->pool0[q] = v[0];
    for (long k = 0; k < nv; k++) {
      cr_assert(isfinite(v[k]), "%s not finite", chs_pool_names[q]);
      double d = v[0] != 0.0 ? fabs(v[k] - v[0]) / fabs(v[0]) : fabs(v[k]);
      o->pool_dev[q] = fmax(o->pool_dev[q], d);
    }
    free(v);
  }
  fprintf(stderr, "  field           mean(t=0)     mean(t=730)   max rel. deviation (all cells, all outputs)\n");
  for (int f = 0; f < CHS_NF; f++)
    fprintf(stderr, "  %-14s %12.6g  %12.6g  %.3e\n", chs_field_names[f], o->mean0[f], o->mean_end[f],
            o->maxdev[f]);
  fprintf(stderr, "  healthy_matrix metric: %.6f -> %.6f\n", o->hm0, o->hm_end);
  fprintf(stderr, "  joint pool         start         max deviation (relative, or absolute where it starts at 0)\n");
  for (int q = 0; q < CHS_NPOOL; q++)
    fprintf(stderr, "  %-22s %12.6g  %.3e\n", chs_pool_names[q], o->pool0[q], o->pool_dev[q]);
}

/* The quiet joint at rest with all v2 state: no repair-phase or donor chondrocytes, no
 * MSCs, the latent store at latent.native, synovitis m = 1, no bone-marrow lesion, no
 * immune response, the fluid growth factor at the value the intact surface sustains. */
static void expect_quiet_start(const run_out *o, double age)
{
  cr_expect_eq(o->field_max0[CHS_F_MSC], 0.0, "age %g: MSCs at t = 0", age);
  cr_expect_eq(o->field_max0[CHS_F_REPAIR], 0.0, "age %g: repair chondrocytes at t = 0", age);
  cr_expect_eq(o->field_max0[CHS_F_DONOR], 0.0, "age %g: donor chondrocytes at t = 0", age);
  cr_expect(fabs(o->mean0[CHS_F_LATENT] - g_cfg.latent_native) <= 1e-12 * g_cfg.latent_native,
            "age %g: latent store %g, want latent.native %g", age, o->mean0[CHS_F_LATENT], g_cfg.latent_native);
  cr_expect_eq(o->pool0[CHS_P_M], 1.0, "age %g: synovitis starts at %g", age, o->pool0[CHS_P_M]);
  cr_expect_eq(o->pool0[CHS_P_B], 0.0, "age %g: bml starts at %g", age, o->pool0[CHS_P_B]);
  cr_expect_eq(o->pool0[CHS_P_Z], 0.0, "age %g: immune starts at %g", age, o->pool0[CHS_P_Z]);
  cr_expect_gt(o->pool0[CHS_P_G], 0.0, "age %g: the fluid growth factor must start at its self-sustained value", age);
  for (int q = 0; q < CHS_NPOOL; q++)
    if (q != CHS_P_G && q != CHS_P_I && q != CHS_P_M)
      cr_expect_eq(o->pool0[q], 0.0, "age %g: %s starts at %g", age, chs_pool_names[q], o->pool0[q]);
}

static void quiet_joint_at(double age)
{
  run_out o;
  run_intact(0.2, age, &o);
  expect_quiet_start(&o, age);
  double worst = 0.0, worst_pool = 0.0;
  int wf = 0, wq = 0;
  for (int f = 0; f < CHS_NF; f++)
    if (o.maxdev[f] > worst) worst = o.maxdev[f], wf = f;
  for (int q = 0; q < CHS_NPOOL; q++)
    if (o.pool_dev[q] > worst_pool) worst_pool = o.pool_dev[q], wq = q;
  fprintf(stderr, "quiet-joint invariant, age %g: max relative deviation over 730 days = %.3e (%s); joint pools "
          "%.3e (%s); limit 2e-2\n", age, worst, chs_field_names[wf], worst_pool, chs_pool_names[wq]);
  for (int f = 0; f < CHS_NF; f++)
    cr_expect_leq(o.maxdev[f], 0.02, "age %g: %s drifted by %.3g %% (> 2 %%) in intact cartilage in a quiet joint",
                  age, chs_field_names[f], 100.0 * o.maxdev[f]);
  for (int q = 0; q < CHS_NPOOL; q++)
    cr_expect_leq(o.pool_dev[q], 0.02, "age %g: joint pool %s moved by %.3g (> 2 %%) in a quiet joint", age,
                  chs_pool_names[q], o.pool_dev[q]);
  cr_expect_leq(fabs(o.hm_end - o.hm0), 0.02 * o.hm0, "age %g: healthy_matrix moved %.6f -> %.6f", age, o.hm0,
                o.hm_end);
  free(o.time);
  remove_tree(o.dir);
}

Test(healthy_invariant, quiet_joint_holds_two_years_age_25) { quiet_joint_at(25); }
Test(healthy_invariant, quiet_joint_holds_two_years_age_60) { quiet_joint_at(60); }
Test(healthy_invariant, quiet_joint_holds_two_years_age_80) { quiet_joint_at(80); }

Test(healthy_invariant, inflamed_joint_degrades)
{
  run_out o;
  run_intact(3.0, 25, &o);
  /* Matrix loss well beyond the 2 % band: not a round-off-sized effect. */
  double p_drop = 1.0 - o.mean_end[CHS_F_PROTEOGLYCAN] / o.mean0[CHS_F_PROTEOGLYCAN];
  double k_drop = 1.0 - o.mean_end[CHS_F_COLLAGEN2] / o.mean0[CHS_F_COLLAGEN2];
  double hm_drop = 1.0 - o.hm_end / o.hm0;
  fprintf(stderr, "contrast, I_base = 3: mean proteoglycan -%.1f %%, collagen2 -%.1f %%, healthy_matrix -%.1f %% over "
          "730 days\n", 100.0 * p_drop, 100.0 * k_drop, 100.0 * hm_drop);
  cr_expect_gt(p_drop, 0.10, "proteoglycan fell only %.3g %% in a post-traumatic joint", 100.0 * p_drop);
  cr_expect_gt(k_drop, 0.05, "collagen II fell only %.3g %% in a post-traumatic joint", 100.0 * k_drop);
  cr_expect_gt(hm_drop, 0.05, "healthy_matrix fell only %.3g %%", 100.0 * hm_drop);
  free(o.time);
  remove_tree(o.dir);
}

/* chs_metrics_compute (src/model/metrics.c) reduces over cells with per-row partial sums
 * added in row order, so its values must be bit-identical at any OpenMP thread count
 * (before, a critical section added the threads' partials in arrival order). Random
 * positive states on a 3D grid with a cylinder lesion (every branch: lesion, rim, centre,
 * footprint columns), 1..3 threads; plus the totals against a serial sum (round-off). */
#include <criterion/criterion.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grid/grid.h"
#include "model/metrics.h"
#include "model/model.h"
#include "par/par.h"
#include "support/test_support.h"

static void setup(void) { chs_test_mpi(); }
static void teardown(void) { chs_par_finalize(); }
TestSuite(metrics, .init = setup, .fini = teardown);

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double urand(void) { return chs_test_urand(&rng_state); }

Test(metrics, thread_count_does_not_change_values)
{
  const char *sets[] = {"grid.geometry=cartesian3d", "grid.nx=13", "grid.ny=11", "grid.nz=7",
                        "grid.width=10", "grid.length=10", NULL};
  chs_config cfg;
  chs_test_config(&cfg, "configs/default.ini", sets);
  chs_par *par = NULL;
  chs_grid *g = NULL;
  chs_model *m = NULL;
  chs_error_clear();
  chs_test_model(&cfg, 2, &par, &g, &m);
  long n = chs_model_state_length(m);
  double *y = malloc(sizeof(double) * (size_t)n);
  cr_assert(y);
  chs_model_initial_state(m, y);
  size_t lesion = 0;
  for (size_t c = 0; c < g->nlocal; c++) {
    lesion += g->lesion[c] != 0;
    for (int f = 0; f < CHS_NF; f++) y[c * CHS_NF + f] = (0.5 + urand()) * chs_field_scale[f];
  }
  cr_assert_gt(lesion, 0);
  cr_assert_lt(lesion, g->nlocal);
  double ref[CHS_NMETRICS], got[CHS_NMETRICS];
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  chs_metrics_compute(m, y, 1e7, 0.0, ref);
  for (int nt = 2; nt <= 3; nt++) {
    omp_set_num_threads(nt);
    chs_metrics_compute(m, y, 1e7, 0.0, got);
    for (int q = 0; q < CHS_NMETRICS; q++)
      cr_expect(memcmp(&ref[q], &got[q], sizeof(double)) == 0 || (isnan(ref[q]) && isnan(got[q])),
                "%s at %d threads: %.17g, at 1 thread %.17g", chs_metric_name(q), nt, got[q], ref[q]);
  }
  omp_set_num_threads(saved);
  /* the totals are the volume sums (round-off) */
  for (int f = 0; f < CHS_NF; f++) {
    double s = 0.0, a = 0.0;
    for (int k = 0; k < g->ln[2]; k++)
      for (int j = 0; j < g->ln[1]; j++)
        for (int i = 0; i < g->ln[0]; i++) {
          double v = g->vol[i] * y[chs_grid_owned(g, i, j, k) * CHS_NF + f];
          s += v;
          a += fabs(v);
        }
    cr_expect_leq(fabs(ref[CHS_M_TOTAL0 + f] - s), 1e-15 * a * (double)g->nlocal,
                  "total of %s: %.17g vs serial %.17g", chs_field_names[f], ref[CHS_M_TOTAL0 + f], s);
  }
  free(y);
  chs_test_model_free(&par, &g, &m);
}

#include "support/test_support.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "par/par.h"

void chs_test_mpi(void)
{
  int argc = 0;
  char **argv = NULL;
  if (chs_par_init(&argc, &argv) != CHS_OK) cr_assert_fail("MPI init failed: %s", chs_error_message());
}

void chs_test_config(chs_config *cfg, const char *config_path, const char *const *sets)
{
  int n = 0;
  while (sets && sets[n]) n++;
  chs_error_clear();
  chs_status st = chs_config_load(cfg, config_path ? chs_test_source_path(config_path) : NULL,
                                  NULL, n, sets);
  if (st != CHS_OK) cr_assert_fail("config failed: %s", chs_error_message());
}

const char *chs_test_source_path(const char *relative)
{
  static char buf[8][4096];
  static int slot;
  char *out = buf[slot++ % 8];
  snprintf(out, 4096, "%s/%s", CHS_TEST_SOURCE_DIR, relative);
  return out;
}

double chs_test_urand(uint64_t *state)
{
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return (double)((*state * 0x2545F4914F6CDD1Dull) >> 11) * 0x1.0p-53;
}

double chs_test_lrand(uint64_t *state, double lo, double hi) { return lo * pow(hi / lo, chs_test_urand(state)); }

void chs_test_model(const chs_config *cfg, int ndecomp, chs_par **par, chs_grid **g, chs_model **m)
{
  int gcells[3] = {cfg->grid_nx, cfg->grid_geometry == CHS_GEOM_CARTESIAN3D ? cfg->grid_ny : 1, cfg->grid_nz};
  *par = NULL;
  *g = NULL;
  *m = NULL;
  chs_error_clear();
  if (chs_par_create(NULL, ndecomp, gcells, par) != CHS_OK || chs_grid_create(cfg, *par, g) != CHS_OK ||
      chs_grid_mark_lesion(*g, cfg, *par) != CHS_OK || chs_model_create(cfg, *g, *par, m) != CHS_OK)
    cr_assert_fail("model set-up failed: %s", chs_error_message());
}

void chs_test_model_free(chs_par **par, chs_grid **g, chs_model **m)
{
  chs_model_destroy(m);
  chs_grid_destroy(g);
  chs_par_destroy(par);
}

chs_run_result chs_test_run(const chs_config *cfg, const char *out_dir, const char *label, char *h5,
                            size_t h5len)
{
  chs_run_options opt;
  memset(&opt, 0, sizeof opt);
  opt.out_dir = out_dir;
  opt.quiet = true;
  opt.command_line = label;
  chs_run_result res;
  chs_error_clear();
  chs_status st = chs_simulation_run(cfg, &opt, &res);
  if (st != CHS_OK) cr_assert_fail("the run failed: %s", chs_error_message());
  snprintf(h5, h5len, "%s/%s.h5", res.run_dir, cfg->run_name);
  if (access(h5, R_OK) != 0) cr_assert_fail("no result file %s", h5);
  return res;
}

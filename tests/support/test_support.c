#include "support/test_support.h"

#include <criterion/criterion.h>
#include <stdio.h>

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

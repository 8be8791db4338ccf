/* Helpers shared by the Criterion tests. */
#ifndef CHS_TEST_SUPPORT_H
#define CHS_TEST_SUPPORT_H

#include <stdint.h>

#include "config/config.h"
#include "grid/grid.h"
#include "model/model.h"
#include "par/par.h"
#include "run/simulation.h"

/* MPI for a Criterion worker (singleton init; idempotent). */
void chs_test_mpi(void);
/* Loads the configuration from the repository's models/ with a NULL-terminated list of
 * --set overrides; aborts the test with the error message on failure. */
void chs_test_config(chs_config *cfg, const char *config_path, const char *const *sets);
/* Path of a file in the source tree. */
const char *chs_test_source_path(const char *relative);

/* Runs the real engine (chs_simulation_run, quiet) on cfg into out_dir; aborts the test
 * with the error message on failure or when the result file is missing. Writes the run's
 * HDF5 file path into h5 and returns the run's result (step counts, run directory). */
chs_run_result chs_test_run(const chs_config *cfg, const char *out_dir, const char *label, char *h5,
                            size_t h5len);

/* Reproducible uniform numbers in [0, 1) (xorshift64*), each test with its own state;
 * log-uniform in [lo, hi]. */
double chs_test_urand(uint64_t *state);
double chs_test_lrand(uint64_t *state, double lo, double hi);

/* The model of cfg (par over ndecomp lateral directions, grid with its lesion, model), as
 * a run builds it; aborts the test with the error message on failure. */
void chs_test_model(const chs_config *cfg, int ndecomp, chs_par **par, chs_grid **g, chs_model **m);
void chs_test_model_free(chs_par **par, chs_grid **g, chs_model **m);

#endif

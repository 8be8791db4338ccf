/* Helpers shared by the Criterion tests. */
#ifndef CHS_TEST_SUPPORT_H
#define CHS_TEST_SUPPORT_H

#include "config/config.h"

/* MPI for a Criterion worker (singleton init; idempotent). */
void chs_test_mpi(void);
/* Loads the configuration from the repository's models/ with a NULL-terminated list of
 * --set overrides; aborts the test with the error message on failure. */
void chs_test_config(chs_config *cfg, const char *config_path, const char *const *sets);
/* Path of a file in the source tree. */
const char *chs_test_source_path(const char *relative);

#endif

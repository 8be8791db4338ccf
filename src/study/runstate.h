/* Is a run of a study (a compare scenario, a sweep row) finished with the configuration
 * the study would give it now? Finished means <run_dir>/summary.csv exists (the engine
 * writes it last, atomically); the same configuration means the fingerprint of
 * <run_dir>/config.ini equals `fingerprint` (chs_config_fingerprint of the run's
 * effective configuration), so an edited [set], base config or model file re-runs it. */
#ifndef CHS_RUNSTATE_H
#define CHS_RUNSTATE_H

#include <stddef.h>

typedef enum { CHS_RUN_MISSING, CHS_RUN_DONE, CHS_RUN_STALE } chs_run_state;

/* old_fp (17 bytes, may be NULL) receives the fingerprint of the run's config.ini. */
chs_run_state chs_run_state_of(const char *run_dir, const char *fingerprint, char *old_fp);

#endif

/* One simulation run from a configuration to results/<run>/: decomposition, grid,
 * model, therapy events, time loop with outputs and metrics, provenance, summary. */
#ifndef CHS_SIMULATION_H
#define CHS_SIMULATION_H

#include <stdbool.h>

#include "config/config.h"
#include "solve/integrator.h"

typedef struct {
  const char *out_dir;      /* overrides output.dir when not NULL */
  bool quiet;               /* no progress line */
  void *comm;               /* ranks that run this simulation (NULL = all) */
  const char *command_line; /* recorded as provenance */
  const char *restart;      /* continue from this checkpoint (checkpoint.h), appending to the
                               run's output; NULL = start at day 0 */
  double checkpoint_wall;   /* wall-clock seconds between checkpoints (0 = off) */
} chs_run_options;

typedef struct {
  char run_dir[CHS_PATH_MAX];
  double wall_time;
  double end_day;
  chs_solver_stats stats;
  long cells;        /* global grid cells */
  int ranks, threads;
} chs_run_result;

/* Collective over opt->comm. Checkpoints (<run>.chk.h5) are written every
 * checkpoint.every simulated days, every opt->checkpoint_wall seconds, and when SIGTERM or
 * SIGUSR1 arrives; after a signal's checkpoint the run stops with CHS_ERR_INTERRUPTED. */
chs_status chs_simulation_run(const chs_config *cfg, const chs_run_options *opt,
                              chs_run_result *res);

#endif

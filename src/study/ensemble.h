/* Many simulations side by side in one MPI job: the world is split into groups (MPI
 * sub-communicators), item i runs on group i % groups, each group runs its items one
 * after another. Shared by `compare` (scenario matrices) and `sweep` (manifest rows). */
#ifndef CHS_ENSEMBLE_H
#define CHS_ENSEMBLE_H

#include <stdbool.h>

#include "config/config.h"
#include "core/status.h"

typedef struct {
  int n;                    /* items to run */
  int groups;               /* concurrent groups asked for (0: one per rank); capped at the
                               number of ranks (with a warning) and at n */
  const char *what;         /* "scenario" or "row", for messages */
  const char *const *names; /* n labels for messages */
  const char *out_dir;      /* every run writes <out_dir>/<run.name>/ */
  const char *command_line; /* provenance */
  bool quiet;               /* no per-item progress lines */
  /* Builds item i's configuration; every rank of the item's group calls it. */
  chs_status (*load)(void *ctx, int i, chs_config *cfg);
  /* Optional: called on the group's first rank after item i, with its outcome. */
  void (*finished)(void *ctx, int i, chs_status st, const char *message, double seconds);
  void *ctx;
} chs_ensemble;

/* Collective over the world. On return status[i] is item i's status on every rank; the
 * return value is CHS_OK unless the ensemble itself could not run (a failed item is
 * reported in status[], not here). A run stopped by SIGTERM/SIGUSR1 (CHS_ERR_INTERRUPTED)
 * stops its group: the group's remaining items are not started and get that status too. */
chs_status chs_ensemble_run(const chs_ensemble *e, chs_status *status);

#endif

/* The Slurm side of `chondrosim sweep --slurm`: fills the templates scripts/slurm/
 * sweep.sbatch and collect.sbatch (every @NAME@ field; an unknown one is an error) and
 * writes them with submit.sh into the sweep's results directory. */
#ifndef CHS_SLURM_SCRIPTS_H
#define CHS_SLURM_SCRIPTS_H

#include <stdbool.h>

#include "core/status.h"

typedef struct {
  const char *name;          /* the sweep (job name) */
  const char *rows;          /* array indices, e.g. "0-3,7" */
  int nrows, nrows_total;    /* rows in the array, rows in the sweep */
  int throttle, ntasks, cpus_per_task;
  const char *time, *partition, *account, *mem, *mpi; /* "" when not given */
  /* Absolute paths. */
  const char *chondrosim, *sweep_file, *results_root, *models_dir /* "" = default */,
      *work_dir, *sweep_dir, *scripts_dir;
  bool quiet;                /* tasks run with --quiet */
  int rows_per_task;         /* K rows per array task (<= 1: one) */
  const char *sbatch;        /* extra sbatch options, space separated ("" = none) */
} chs_slurm_sweep;

/* Writes <sweep_dir>/sweep.sbatch, collect.sbatch and submit.sh and prints how to submit. */
chs_status chs_slurm_write_sweep(const chs_slurm_sweep *j);

#endif

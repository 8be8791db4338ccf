/* Checkpoint and restart of a run (HDF5 through io/checkpoint_io.h, MPI through par/).
 *
 * A checkpoint <run_dir>/<run>.chk.h5 holds everything the time loop needs to continue:
 * the state in global layout (/state/<field> as (nz, ny, nx), /state/pools), the day,
 * the loop's counters (accepted steps, next output, next therapy event), the therapy's
 * injected/lost counts and the subchondral inflow rate, the output steps written so far
 * and their times, the metrics series so far (every accepted step: summary.csv is rebuilt
 * from it), the integrator's counters, the effective config (/config) and the
 * model-defining part of it (/physics, fingerprinted by the attribute physics_hash).
 *
 * It is written atomically: <run>.chk.h5.tmp is written collectively, flushed, closed and
 * renamed over <run>.chk.h5, so the previous checkpoint stays until the new one is whole.
 *
 * What it does not hold is CVODE's history (Nordsieck array, step size, order): a
 * restart begins a fresh integration at the checkpoint's day. Checkpoints on the
 * simulated-time schedule (checkpoint.every) are taken where the uninterrupted run also
 * restarts its integrator (every checkpoint day is a stop and a restart in every run that
 * has the same schedule), so continuing from one reproduces the uninterrupted run exactly.
 * Wall-clock and signal checkpoints fall on arbitrary steps, where the uninterrupted run
 * carries its history on: a restart from one agrees to within the solver tolerance. */
#ifndef CHS_CHECKPOINT_H
#define CHS_CHECKPOINT_H

#include <stddef.h>

#include "config/config.h"
#include "model/model.h"
#include "run/summary.h"
#include "solve/integrator.h"

/* Everything in a checkpoint besides the state. For chs_checkpoint_write the pointers are
 * borrowed; chs_checkpoint_read allocates them (chs_checkpoint_free). */
typedef struct {
  double t;              /* simulated day */
  long steps;            /* accepted steps so far (solver.max_steps counts the whole run) */
  int next_event;        /* index of the next therapy event (all with day <= t applied) */
  double injected, lost; /* therapy counters */
  double marrow_rate;    /* subchondral inflow rate at t (model.h) */
  int nsteps;            /* output steps written (all output times <= t) */
  double *step_times;    /* their days */
  chs_series series;     /* the metrics series so far; the output file holds series.n rows */
  chs_solver_stats stats; /* integrator counters so far */
  int fresh;             /* 1: the integrator was (re)started at t by the run that wrote it */
  double wall_time;      /* wall seconds of every attempt so far */
  char reason[16];       /* "schedule", "wall-clock", "SIGTERM", "SIGUSR1" */
} chs_checkpoint;

/* <run_dir>/<run>.chk.h5 */
void chs_checkpoint_path(char *buf, size_t len, const char *run_dir, const char *run);

/* Collective. Writes the checkpoint of state y (this rank's part of the state vector)
 * atomically to path. index numbers the checkpoints of this process (for the test hook
 * of checkpoint_io.h). */
chs_status chs_checkpoint_write(const char *path, const chs_config *cfg, const chs_model *m,
                                const double *y, const chs_checkpoint *c, int index);

/* Collective. Reads the checkpoint at path into y (this rank's block, any rank count) and
 * *c. Refuses (CHS_ERR_CONFIG) a checkpoint of another model: every key outside [run],
 * [output], [checkpoint] and [solver] must be unchanged; the message names the first key
 * that differs. Changed [solver] keys are allowed, with a warning. */
chs_status chs_checkpoint_read(const char *path, const chs_config *cfg, const chs_model *m,
                               double *y, chs_checkpoint *c);
void chs_checkpoint_free(chs_checkpoint *c);

/* Collective. Before a restart: makes <run_dir>/<run>.partial.h5 the file to append to
 * (a finished <run>.h5 is renamed back to it); fails with a message if neither exists. */
chs_status chs_checkpoint_prepare_output(const char *run_dir, const char *run,
                                         const char *checkpoint, const chs_par *par);

/* SIGTERM, SIGUSR1 (Slurm's warning signals) and SIGINT (Ctrl-C; a second one stops at
 * once) only set a flag that the run reads between set-up stages and after each step;
 * every other signal keeps its default action. Nested calls are counted: the handlers are
 * restored by the outermost chs_signals_restore. The flag is never reset. */
void chs_signals_install(void);
void chs_signals_restore(void);
/* The signal caught since install (its number), or 0. */
int chs_signal_caught(void);
/* "SIGTERM", "SIGUSR1", "SIGINT", else "signal N" (static buffer). */
const char *chs_signal_name(int sig);

/* "30m" -> 1800 s: a positive number with an optional suffix s, m or h (default s). */
chs_status chs_parse_duration(const char *text, double *seconds);

#endif

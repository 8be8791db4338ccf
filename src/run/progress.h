/* Time-left estimate for a run's progress lines, from the recent rate of work.
 *
 * A stiff run's steps grow as the tissue settles, so "wall so far x (days left / days done)"
 * overestimates the rest many times over (30x was seen). The estimate here models the step
 * size over the recent part of the run as a line in simulated time, h(t) = a + b t (b >= 0,
 * capped by solver.max_step), counts the steps that line needs to reach the end, and prices
 * them at the recent wall time per step. h proportional to t (equal steps per decade of
 * time, the usual stiff-decay pattern) is then counted exactly.
 *
 * Therapy events and checkpoint days restart the integrator: the steps start small and grow
 * again. A restart begins a new stretch of history (the previous one is kept), and stretches
 * are priced by analogy: a stretch of L days after a restart takes as many steps as the first
 * L days of the reference stretch took (or, past its end, would take on its trend). The
 * reference is the current stretch once 10 % of it is done, before that the previous one.
 *
 * chs_progress keeps bounded, thinned samples of (day, wall, step); the estimate itself is
 * a pure function of them (chs_progress_estimate). No MPI, no I/O. */
#ifndef CHS_PROGRESS_H
#define CHS_PROGRESS_H

#include "core/status.h"

#define CHS_PROGRESS_SAMPLES 256

/* Samples of one stretch between integrator restarts; sample 0 is its start. */
typedef struct {
  int n;       /* samples held */
  long stride; /* steps between kept samples (doubles when the buffer is thinned) */
  double t[CHS_PROGRESS_SAMPLES], wall[CHS_PROGRESS_SAMPLES];
  long step[CHS_PROGRESS_SAMPLES];
} chs_progress_stretch;

typedef struct {
  chs_progress_stretch cur, prev; /* prev.n == 0: no earlier stretch */
} chs_progress;

/* Starts a history at (t0, wall0, step0), the run's (or a restarted run's) first state. */
void chs_progress_init(chs_progress *p, double t0, double wall0, long step0);

/* The integrator restarted at (t, wall, step): the current stretch becomes the previous. */
void chs_progress_restart(chs_progress *p, double t, double wall, long step);

/* Records one accepted step (a step number already recorded is ignored). Keeps a sample
 * every stride steps; when the buffer is full every other sample is dropped and the stride
 * doubles, so the whole stretch stays covered in bounded memory. */
void chs_progress_add(chs_progress *p, double t, double wall, long step);

/* Wall seconds left to reach day `end`, from the current stretch cur and the previous one
 * prev (prev->n == 0 if none; samples increasing in day, wall and step). The step-size line
 * is fitted to the samples of the most recent third of a stretch's steps (at least 4
 * samples); h_max > 0 caps the step size; wall per step is the current stretch's recent
 * rate. restarts[0..nrestarts) are the days of the integrator restarts still to come
 * (increasing; those outside (now, end) are ignored). *eta = -1 (and CHS_OK) when there is
 * too little history to say. Errors: CHS_ERR_INTERNAL for NULL pointers, a bad count, or
 * non-finite / decreasing samples (the message names the sample). */
chs_status chs_progress_estimate(const chs_progress_stretch *cur, const chs_progress_stretch *prev,
                                 double end, double h_max, const double *restarts,
                                 int nrestarts, double *eta);

/* chs_progress_estimate on the history p holds. */
chs_status chs_progress_eta(const chs_progress *p, double end, double h_max,
                            const double *restarts, int nrestarts, double *eta);

#endif

/* Per-phase wall-clock accumulators of one process (master thread only): where a run's
 * time goes, for the log and scripts/bench.sh. A few ns per start/stop; no effect on
 * results. */
#ifndef CHS_TIMERS_H
#define CHS_TIMERS_H

/* X(id, name, what it covers) */
#define CHS_TIMER_LIST(X)                                                        \
  X(CHS_T_RHS, "rhs", "right-hand side evaluations for CVODE's own use")          \
  X(CHS_T_JV, "jv", "Jacobian-vector products (difference quotient or analytic)") \
  X(CHS_T_PSETUP, "psetup", "preconditioner set-ups")                              \
  X(CHS_T_PSOLVE, "psolve", "preconditioner solves")                               \
  X(CHS_T_VEC, "vector", "N_Vector operations inside CVODE and GMRES")             \
  X(CHS_T_STEP, "step", "CVODE steps in total (contains the five above)")          \
  X(CHS_T_METRICS, "metrics", "outcome metrics of every accepted step")            \
  X(CHS_T_OUTPUT, "output", "HDF5 field output and checkpoints")

typedef enum {
#define CHS_X_TID(id, name, doc) id,
  CHS_TIMER_LIST(CHS_X_TID)
#undef CHS_X_TID
  CHS_NTIMERS
} chs_timer_id;

typedef struct {
  double seconds[CHS_NTIMERS];
  long calls[CHS_NTIMERS];
} chs_timers;

/* Monotonic seconds. */
double chs_timer_now(void);
/* Adds now - t0 to the timer and counts one call. */
void chs_timer_add(chs_timer_id id, double t0);
const char *chs_timer_name(chs_timer_id id);
/* Snapshot and reset of this process's accumulators. */
void chs_timers_get(chs_timers *out);
void chs_timers_reset(void);

#endif

/* Time integration: CVODE BDF with Newton and preconditioned GMRES. The only code that
 * includes SUNDIALS. The problem is described by plain callbacks on local arrays. */
#ifndef CHS_INTEGRATOR_H
#define CHS_INTEGRATOR_H

#include "core/status.h"

typedef struct {
  long nlocal; /* length of this rank's part of the state */
  void *comm;  /* MPI_Comm* of the ranks sharing the state (chs_par_comm) */
  void *ctx;   /* passed to the callbacks */
  void (*rhs)(double t, const double *y, double *ydot, void *ctx);
  /* Optional preconditioner for (I - gamma J): setup returns nonzero if it failed. */
  int (*psetup)(double t, const double *y, double gamma, void *ctx);
  void (*psolve)(const double *r, double *z, void *ctx);
  /* Optional exact Jacobian-vector products Jv = (df/dy)(t, y) v; jv_setup is called once
   * per Newton iteration with its y (nonzero: failed). NULL: CVODE's difference quotients
   * of rhs. */
  int (*jv_setup)(double t, const double *y, void *ctx);
  void (*jv)(double t, const double *y, const double *v, double *Jv, void *ctx);
  /* Absolute tolerances: the first nlocal - nrest entries are cells of `period` entries
   * each, entry f of every cell with atol_period[f]; the nrest entries after them have
   * atol_rest[]. All positive; copied by chs_integrator_create. CVODE computes its error
   * weights from them each step, so no tolerance vector is stored. */
  int period, nrest;
  const double *atol_period, *atol_rest;
  double rtol;
  int max_order, krylov_dim;
  double linear_tolerance; /* GMRES tolerance relative to the Newton tolerance */
  long max_steps;     /* over the whole run */
  double max_step;
} chs_ode;

/* Counters (summed over re-initialisations after events). */
#define CHS_SOLVER_STATS(X)                                               \
  X(steps, "accepted time steps")                                         \
  X(rhs_evals, "right-hand side evaluations (incl. difference-quotient Jacobian-vector products)")\
  X(linear_setups, "preconditioner set-ups")                              \
  X(error_test_fails, "steps rejected by the error test")                 \
  X(newton_iters, "Newton iterations")                                    \
  X(newton_fails, "Newton convergence failures")                          \
  X(krylov_iters, "GMRES iterations")                                     \
  X(krylov_fails, "GMRES convergence failures")                           \
  X(prec_solves, "preconditioner solves")                                 \
  X(restarts, "integrator restarts at events")

typedef struct {
#define CHS_X_STAT(name, doc) long name;
  CHS_SOLVER_STATS(CHS_X_STAT)
#undef CHS_X_STAT
  int last_order;
  double last_step;
} chs_solver_stats;

typedef struct chs_integrator chs_integrator;

/* y: the initial state, and from then on the integrator's own: it holds the solution
 * after every step (no copy is kept). It must outlive the integrator. */
chs_status chs_integrator_create(const chs_ode *ode, double t0, double *y, chs_integrator **out);
void chs_integrator_destroy(chs_integrator **it);

/* One internal step, never past t_stop (which it lands on exactly). */
chs_status chs_integrator_step(chs_integrator *it, double t_stop, double *t_reached);
/* Steps until t_out exactly. */
chs_status chs_integrator_advance(chs_integrator *it, double t_out);
/* The current solution: the array given to chs_integrator_create. */
const double *chs_integrator_state(const chs_integrator *it);
/* Restarts from (t, y) after a discontinuity (an event changed the state); y may be the
 * integrator's own array, changed in place. */
chs_status chs_integrator_restart(chs_integrator *it, double t, const double *y);
void chs_integrator_stats(const chs_integrator *it, chs_solver_stats *s);
/* Continues the counters of an earlier attempt (a restart from a checkpoint): from now on
 * chs_integrator_stats reports `earlier` plus this integrator's own counts. */
void chs_integrator_set_earlier_stats(chs_integrator *it, const chs_solver_stats *earlier);
/* "6.4.1" */
const char *chs_integrator_sundials_version(void);

#endif

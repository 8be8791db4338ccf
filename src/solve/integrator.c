#include "solve/integrator.h"

#include <cvode/cvode.h>
#include <cvode/cvode_ls.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sundials/sundials_version.h>
#include <sunlinsol/sunlinsol_spgmr.h>

#include "core/timers.h"
#include "solve/nvector.h"

struct chs_integrator {
  chs_ode ode;
  SUNContext sun;
  N_Vector y; /* wraps the caller's state array */
  SUNLinearSolver ls;
  double *atol; /* atol_period then atol_rest */
  void *cvode;
  double t;
  chs_solver_stats done; /* counters of earlier integrator lives (before restarts) */
};

static int rhs_adapter(sunrealtype t, N_Vector y, N_Vector ydot, void *ud)
{
  chs_integrator *it = ud;
  double t0 = chs_timer_now();
  it->ode.rhs(t, N_VGetArrayPointer(y), N_VGetArrayPointer(ydot), it->ode.ctx);
  chs_timer_add(CHS_T_RHS, t0);
  return 0;
}

/* CVODE's error weights 1 / (rtol |y_i| + atol_i), computed as CVODE does from a
 * tolerance vector (the same round-off), with the tolerances held per field instead. */
static int ewt_adapter(N_Vector yv, N_Vector wv, void *ud)
{
  chs_integrator *it = ud;
  double t0 = chs_timer_now();
  const double *y = N_VGetArrayPointer(yv), rtol = it->ode.rtol;
  double *w = N_VGetArrayPointer(wv);
  const int P = it->ode.period, nrest = it->ode.nrest;
  const long ncell = (it->ode.nlocal - nrest) / P;
  const double *ap = it->atol, *ar = it->atol + P;
#pragma omp parallel for schedule(static) if (ncell > 4096)
  for (long c = 0; c < ncell; c++)
    for (int f = 0; f < P; f++) w[c * P + f] = 1.0 / (rtol * fabs(y[c * P + f]) + ap[f]);
  for (int q = 0; q < nrest; q++) w[ncell * P + q] = 1.0 / (rtol * fabs(y[ncell * P + q]) + ar[q]);
  chs_timer_add(CHS_T_VEC, t0);
  return 0;
}

/* The same function for CVODE's difference-quotient Jacobian-vector products, so their
 * time is booked apart. */
static int jv_rhs_adapter(sunrealtype t, N_Vector y, N_Vector ydot, void *ud)
{
  chs_integrator *it = ud;
  double t0 = chs_timer_now();
  it->ode.rhs(t, N_VGetArrayPointer(y), N_VGetArrayPointer(ydot), it->ode.ctx);
  chs_timer_add(CHS_T_JV, t0);
  return 0;
}

static int jtsetup_adapter(sunrealtype t, N_Vector y, N_Vector fy, void *ud)
{
  chs_integrator *it = ud;
  double t0 = chs_timer_now();
  int r = it->ode.jv_setup(t, N_VGetArrayPointer(y), it->ode.ctx);
  chs_timer_add(CHS_T_JV, t0);
  return r ? -1 : 0;
}

static int jtimes_adapter(N_Vector v, N_Vector Jv, sunrealtype t, N_Vector y, N_Vector fy, void *ud, N_Vector tmp)
{
  chs_integrator *it = ud;
  double t0 = chs_timer_now();
  it->ode.jv(t, N_VGetArrayPointer(y), N_VGetArrayPointer(v), N_VGetArrayPointer(Jv), it->ode.ctx);
  chs_timer_add(CHS_T_JV, t0);
  return 0;
}

static int psetup_adapter(sunrealtype t, N_Vector y, N_Vector fy, sunbooleantype jok,
                          sunbooleantype *jcur, sunrealtype gamma, void *ud)
{
  chs_integrator *it = ud;
  *jcur = SUNTRUE;
  double t0 = chs_timer_now();
  int r = it->ode.psetup(t, N_VGetArrayPointer(y), gamma, it->ode.ctx);
  chs_timer_add(CHS_T_PSETUP, t0);
  /* A positive return asks CVODE to retry with a smaller step. */
  return r ? 1 : 0;
}

static int psolve_adapter(sunrealtype t, N_Vector y, N_Vector fy, N_Vector r, N_Vector z,
                          sunrealtype gamma, sunrealtype delta, int lr, void *ud)
{
  chs_integrator *it = ud;
  double t0 = chs_timer_now();
  it->ode.psolve(N_VGetArrayPointer(r), N_VGetArrayPointer(z), it->ode.ctx);
  chs_timer_add(CHS_T_PSOLVE, t0);
  return 0;
}

/* CVODE and its linear-solver interface name their flags with different functions. */
static chs_status flag_fail(const char *what, int flag, char *(*name_of)(long int))
{
  char *name = name_of(flag);
  chs_status st = chs_error(CHS_ERR_SOLVER, "CVODE %s failed: %s (%d)", what, name ? name : "?", flag);
  free(name);
  return st;
}
static chs_status cv_fail(const char *what, int flag) { return flag_fail(what, flag, CVodeGetReturnFlagName); }
static chs_status cvls_fail(const char *what, int flag) { return flag_fail(what, flag, CVodeGetLinReturnFlagName); }

#define CV_CHECK(call, what)                       \
  do {                                             \
    int cv_flag_ = (call);                         \
    if (cv_flag_ < 0) return cv_fail(what, cv_flag_); \
  } while (0)

#define CVLS_CHECK(call, what)                     \
  do {                                             \
    int cv_flag_ = (call);                         \
    if (cv_flag_ < 0) return cvls_fail(what, cv_flag_); \
  } while (0)

static chs_status configure(chs_integrator *it, double t0)
{
  const chs_ode *o = &it->ode;
  it->cvode = CVodeCreate(CV_BDF, it->sun);
  if (!it->cvode) return chs_error(CHS_ERR_SOLVER, "CVodeCreate failed");
  CV_CHECK(CVodeInit(it->cvode, rhs_adapter, t0, it->y), "init");
  CV_CHECK(CVodeSetUserData(it->cvode, it), "user data");
  CV_CHECK(CVodeWFtolerances(it->cvode, ewt_adapter), "tolerances");
  CV_CHECK(CVodeSetMaxOrd(it->cvode, o->max_order), "max order");
  CV_CHECK(CVodeSetMaxNumSteps(it->cvode, o->max_steps), "max steps");
  CV_CHECK(CVodeSetMaxStep(it->cvode, o->max_step), "max step");
  CVLS_CHECK(CVodeSetLinearSolver(it->cvode, it->ls, NULL), "linear solver");
  if (o->jv_setup && o->jv)
    CVLS_CHECK(CVodeSetJacTimes(it->cvode, jtsetup_adapter, jtimes_adapter), "Jacobian-vector product");
  else
    CV_CHECK(CVodeSetJacTimesRhsFn(it->cvode, jv_rhs_adapter), "Jacobian-vector right-hand side");
  /* GMRES stops at linear_tolerance x the Newton tolerance. CVODE's default (0.05) leaves
   * noise that the order-3..5 error estimate amplifies into tiny steps: on the default
   * scenario 0.05 -> 1e-3 cut the steps from ~13600 to ~400 (see scripts/bench.sh). */
  CVLS_CHECK(CVodeSetEpsLin(it->cvode, o->linear_tolerance), "linear tolerance");
  if (o->psetup && o->psolve)
    CVLS_CHECK(CVodeSetPreconditioner(it->cvode, psetup_adapter, psolve_adapter), "preconditioner");
  return CHS_OK;
}

chs_status chs_integrator_create(const chs_ode *ode, double t0, double *y, chs_integrator **out)
{
  *out = NULL;
  chs_integrator *it = calloc(1, sizeof *it);
  if (!it) return chs_error(CHS_ERR_NOMEM, "out of memory (integrator)");
  it->ode = *ode;
  it->t = t0;
  chs_status st = CHS_OK;
  const int P = ode->period, nrest = ode->nrest;
  if (P < 1 || nrest < 0 || ode->nlocal < nrest || (ode->nlocal - nrest) % P != 0 || !ode->atol_period ||
      (nrest > 0 && !ode->atol_rest)) {
    st = chs_error(CHS_ERR_INTERNAL, "chs_integrator_create: %ld entries do not split into cells of %d and "
                   "%d others", ode->nlocal, P, nrest);
    goto fail;
  }
  it->ode.atol_period = it->ode.atol_rest = NULL;
  if (!(it->atol = malloc(sizeof(double) * (size_t)(P + nrest)))) {
    st = chs_error(CHS_ERR_NOMEM, "out of memory (integrator)");
    goto fail;
  }
  memcpy(it->atol, ode->atol_period, sizeof(double) * (size_t)P);
  if (nrest) memcpy(it->atol + P, ode->atol_rest, sizeof(double) * (size_t)nrest);
  for (int q = 0; q < P + nrest; q++)
    if (!(it->atol[q] > 0.0)) {
      st = chs_error(CHS_ERR_INTERNAL, "chs_integrator_create: absolute tolerance %d is %g, not positive", q,
                     it->atol[q]);
      goto fail;
    }
  if (SUNContext_Create(ode->comm, &it->sun)) {
    it->sun = NULL;
    st = chs_error(CHS_ERR_SOLVER, "SUNContext_Create failed");
    goto fail;
  }
  int nthreads = omp_get_max_threads();
  it->y = chs_nvec_wrap(ode->comm, ode->nlocal, nthreads, y, it->sun);
  if (!it->y) {
    st = chs_error(CHS_ERR_NOMEM, "out of memory (integrator)");
    goto fail;
  }
  int prec = (ode->psetup && ode->psolve) ? SUN_PREC_LEFT : SUN_PREC_NONE;
  it->ls = SUNLinSol_SPGMR(it->y, prec, ode->krylov_dim, it->sun);
  if (!it->ls) {
    st = chs_error(CHS_ERR_SOLVER, "SUNLinSol_SPGMR failed");
    goto fail;
  }
  /* Classical Gram-Schmidt: one fused multiple dot product (one MPI reduction) and one
   * linear combination per Krylov vector instead of k of each; SUNDIALS re-orthogonalises
   * when the new vector's norm drops. */
  if (SUNLinSol_SPGMRSetGSType(it->ls, SUN_CLASSICAL_GS)) {
    st = chs_error(CHS_ERR_SOLVER, "SUNLinSol_SPGMRSetGSType failed");
    goto fail;
  }
  /* Restarts: the multigrid needs fewer iterations than the Krylov size; the weaker
   * preconditioners need 14-19 (column) and 29 (block), and without a restart a solve that
   * runs out of vectors fails and CVODE shrinks the step (the default scenario's first 180
   * days with Krylov size 15: column 809 steps, 10.6 CPU s without restarts, about 250
   * steps, 3-4 s with them; block 7556 steps without, 258 with; the multigrid's run is the
   * same with or without). */
  if (SUNLinSol_SPGMRSetMaxRestarts(it->ls, 3)) {
    st = chs_error(CHS_ERR_SOLVER, "SUNLinSol_SPGMRSetMaxRestarts failed");
    goto fail;
  }
  CHS_TRY(st, configure(it, t0), fail);
  *out = it;
  return CHS_OK;
fail:
  chs_integrator_destroy(&it);
  return st;
}

void chs_integrator_destroy(chs_integrator **pit)
{
  if (!pit || !*pit) return;
  chs_integrator *it = *pit;
  if (it->cvode) CVodeFree(&it->cvode);
  if (it->ls) SUNLinSolFree(it->ls);
  if (it->y) N_VDestroy(it->y);
  free(it->atol);
  if (it->sun) SUNContext_Free(&it->sun);
  free(it);
  *pit = NULL;
}

chs_status chs_integrator_step(chs_integrator *it, double t_stop, double *t_reached)
{
  CV_CHECK(CVodeSetStopTime(it->cvode, t_stop), "set stop time");
  sunrealtype t = it->t;
  double t0 = chs_timer_now();
  int flag = CVode(it->cvode, t_stop, it->y, &t, CV_ONE_STEP);
  chs_timer_add(CHS_T_STEP, t0);
  if (flag < 0) {
    sunrealtype tcur = 0.0;
    CVodeGetCurrentTime(it->cvode, &tcur);
    chs_status st = cv_fail("step", flag);
    return chs_error(st, "at day %.6g", tcur);
  }
  it->t = t;
  *t_reached = t;
  return CHS_OK;
}

chs_status chs_integrator_advance(chs_integrator *it, double t_out)
{
  double t = it->t;
  while (t < t_out) CHS_CHECK(chs_integrator_step(it, t_out, &t));
  return CHS_OK;
}

const double *chs_integrator_state(const chs_integrator *it) { return N_VGetArrayPointer(it->y); }

/* Counters of the current CVODE life. A life without steps (just after a re-init) has
 * done nothing, whatever the linear solver's counters say: CVLS resets them only at the
 * first step after CVodeReInit, so reading them earlier would count the last life twice. */
static void collect(void *cv, chs_solver_stats *s)
{
  long v;
  memset(s, 0, sizeof *s);
  CVodeGetNumSteps(cv, &v);
  if (v == 0) return;
  s->steps = v;
  CVodeGetNumRhsEvals(cv, &v);
  s->rhs_evals = v;
  CVodeGetNumLinRhsEvals(cv, &v);
  s->rhs_evals += v;
  CVodeGetNumLinSolvSetups(cv, &v);
  s->linear_setups = v;
  CVodeGetNumErrTestFails(cv, &v);
  s->error_test_fails = v;
  CVodeGetNumNonlinSolvIters(cv, &v);
  s->newton_iters = v;
  CVodeGetNumNonlinSolvConvFails(cv, &v);
  s->newton_fails = v;
  CVodeGetNumLinIters(cv, &v);
  s->krylov_iters = v;
  CVodeGetNumLinConvFails(cv, &v);
  s->krylov_fails = v;
  CVodeGetNumPrecSolves(cv, &v);
  s->prec_solves = v;
  int q = 0;
  CVodeGetLastOrder(cv, &q);
  s->last_order = q;
  sunrealtype h = 0;
  CVodeGetLastStep(cv, &h);
  s->last_step = h;
}

void chs_integrator_stats(const chs_integrator *it, chs_solver_stats *s)
{
  collect(it->cvode, s);
  if (s->steps == 0) { /* just restarted: the last order and step are the last life's */
    s->last_order = it->done.last_order;
    s->last_step = it->done.last_step;
  }
#define CHS_X_ADD(name, doc) s->name += it->done.name;
  CHS_SOLVER_STATS(CHS_X_ADD)
#undef CHS_X_ADD
}

void chs_integrator_set_earlier_stats(chs_integrator *it, const chs_solver_stats *earlier)
{
  it->done = *earlier;
}

chs_status chs_integrator_restart(chs_integrator *it, double t, const double *y)
{
  chs_solver_stats now;
  chs_integrator_stats(it, &now);
  it->done = now;
  it->done.restarts++;
  double *own = N_VGetArrayPointer(it->y);
  if (y != own) memcpy(own, y, sizeof(double) * (size_t)it->ode.nlocal);
  it->t = t;
  CV_CHECK(CVodeReInit(it->cvode, t, it->y), "re-init");
  return CHS_OK;
}

const char *chs_integrator_sundials_version(void)
{
  static char buf[32];
  SUNDIALSGetVersion(buf, sizeof buf);
  return buf;
}

#define _POSIX_C_SOURCE 200809L
#include "run/simulation.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chs_buildinfo.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/timers.h"
#include "grid/grid.h"
#include "io/checkpoint_io.h"
#include "io/output.h"
#include "model/metrics.h"
#include "model/model.h"
#include "model/therapy.h"
#include "par/par.h"
#include "run/checkpoint.h"
#include "run/progress.h"
#include "run/memory.h"
#include "run/summary.h"
#include "solve/precond.h"

/* Everything one run owns; destroyed in reverse order of creation. */
typedef struct {
  const chs_config *cfg;
  chs_par *par;
  chs_grid *grid;
  chs_model *model;
  chs_precond *pc;
  chs_integrator *it;
  chs_output *out;
  chs_therapy therapy;
  chs_series series;
  double *y; /* the state: the integrator's own once it exists */
  double metrics[CHS_NMETRICS];
  /* checkpoints */
  const chs_checkpoint *resume; /* the checkpoint a restart continues from, else NULL */
  char ckpt_path[CHS_PATH_MAX + 32];
  double ckpt_wall;   /* wall seconds between checkpoints (0 = off) */
  double wall_before; /* wall seconds of earlier attempts (restart) */
  int nckpt;          /* checkpoints written by this process */
  chs_progress prog;  /* recent steps, for the time-left estimate (run/progress.h) */
} run_state;

static void rhs_cb(double t, const double *y, double *ydot, void *ctx)
{
  chs_model_rhs(((run_state *)ctx)->model, t, y, ydot);
}
static int psetup_cb(double t, const double *y, double gamma, void *ctx)
{
  return chs_precond_setup(((run_state *)ctx)->pc, y, gamma);
}
static int jv_setup_cb(double t, const double *y, void *ctx)
{
  return chs_model_jv_setup(((run_state *)ctx)->model, t, y) != CHS_OK;
}
static void jv_cb(double t, const double *y, const double *v, double *Jv, void *ctx)
{
  chs_model_jv(((run_state *)ctx)->model, t, y, v, Jv);
}
static void psolve_cb(const double *r, double *z, void *ctx)
{
  chs_precond_solve(((run_state *)ctx)->pc, r, z);
}

static chs_status record_metrics(run_state *rs, double t, const double *y)
{
  double t0 = chs_timer_now();
  chs_metrics_compute(rs->model, y, rs->therapy.injected, rs->therapy.lost, rs->metrics);
  chs_timer_add(CHS_T_METRICS, t0);
  CHS_CHECK(chs_series_push(&rs->series, t, rs->metrics));
  t0 = chs_timer_now();
  chs_status st = chs_output_add_metrics(rs->out, t, rs->metrics);
  chs_timer_add(CHS_T_OUTPUT, t0);
  return st;
}

/* A field output step, timed as output. */
static chs_status write_step(run_state *rs, double t, const double *y)
{
  double t0 = chs_timer_now();
  chs_status st = chs_par_agree(rs->par, chs_output_write_step(rs->out, t, y, CHS_NF));
  chs_timer_add(CHS_T_OUTPUT, t0);
  return st;
}

static chs_status create_output(run_state *rs, const char *dir)
{
  const chs_config *cfg = rs->cfg;
  const chs_grid *g = rs->grid;
  chs_output_spec spec;
  memset(&spec, 0, sizeof spec);
  for (int a = 0; a < 3; a++) {
    spec.global[a] = g->gn[a];
    spec.lo[a] = g->lo[a];
    spec.ln[a] = g->ln[a];
    spec.origin[a] = g->origin[a];
    spec.spacing[a] = g->h[a];
  }
  spec.geometry = chs_config_enum_name("grid.geometry", cfg->grid_geometry);
  spec.lesion_mask = g->lesion;
  spec.nfields = CHS_NF;
  for (int f = 0; f < CHS_NF; f++) {
    spec.field_names[f] = chs_field_names[f];
    spec.field_units[f] = chs_field_units[f];
  }
  spec.nmetrics = CHS_NMETRICS;
  for (int m = 0; m < CHS_NMETRICS; m++) {
    spec.metric_names[m] = chs_metric_name(m);
    spec.metric_units[m] = chs_metric_unit(m);
  }
  spec.compression = cfg->output_compression;
  char *text = chs_config_to_text(cfg);
  if (!text) return chs_error(CHS_ERR_NOMEM, "out of memory (config text)");
  spec.config_text = text;
  spec.comm = chs_par_comm(rs->par);
  chs_status st;
  if (rs->resume) {
    chs_output_resume r = {.nsteps = rs->resume->nsteps,
                           .times = rs->resume->step_times,
                           /* the checkpoint's series */
                           .metric_rows = rs->series.n,
                           .metric_t = rs->series.t,
                           .metric_values = rs->series.values};
    st = chs_output_reopen(&spec, dir, cfg->run_name, &r, &rs->out);
  } else {
    st = chs_output_create(&spec, dir, cfg->run_name, &rs->out);
  }
  if (st == CHS_OK && rs->par->rank == 0) {
    char path[CHS_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/config.ini", dir);
    st = chs_write_file_atomic(path, text);
  }
  free(text);
  return chs_par_agree(rs->par, st);
}

/* Days of the integrator restarts still to come after t: therapy events from index ev and
 * the checkpoint.every schedule (the time loop restarts at both). At most cap of them. */
static int future_restarts(const run_state *rs, double t, int ev, double *days, int cap)
{
  int n = 0;
  double every = rs->cfg->checkpoint_every, end = rs->cfg->run_end_time;
  double ck = every > 0 ? (floor(t / every) + 1.0) * every : INFINITY;
  while (n < cap) {
    double e = ev < rs->therapy.n ? rs->therapy.ev[ev].day : INFINITY;
    double d = fmin(e, ck);
    if (!(d < end)) break;
    if (d > t && (n == 0 || d > days[n - 1])) days[n++] = d;
    if (e <= d) ev++;
    if (ck <= d) ck += every;
  }
  return n;
}

static void progress(run_state *rs, double t, double t0_wall, long steps, int ev, bool restarted,
                     bool force)
{
  static double last;
  double now = chs_wtime();
  if (restarted) /* steps start small again: the estimate follows this stretch */
    chs_progress_restart(&rs->prog, t, now, steps);
  else
    chs_progress_add(&rs->prog, t, now, steps);
  double wall = now - t0_wall;
  /* A line every 2 s at first, then every 10 % of the wall time so far. */
  if (!force && now - last < fmax(2.0, 0.1 * wall)) return;
  last = now;
  double end = rs->cfg->run_end_time, frac = t / end, eta = -1, days[64];
  int nr = future_restarts(rs, t, ev, days, 64);
  if (chs_progress_eta(&rs->prog, end, rs->cfg->solver_max_step, days, nr, &eta) != CHS_OK) {
    chs_error_clear(); /* a bad estimate must not stop a run: print the line without it */
    eta = -1;
  }
  char left[64] = "";
  if (eta >= 0) snprintf(left, sizeof left, ", about %.0f s left", eta);
  chs_log(CHS_LOG_INFO, "day %.*f of %.0f (%.1f%%), %ld steps, wall %.1f s%s", t < 1 ? 3 : 1, t,
          end, 100.0 * frac, steps, wall, left);
}

/* HDF5 attributes are collective: every rank must pass rank 0's values. */
static void fill_provenance(const run_state *rs, chs_provenance *p, const chs_run_options *opt,
                            char *start, char *end, double *wall)
{
  static char host[256];
  gethostname(host, sizeof host);
  host[sizeof host - 1] = '\0';
  chs_par_bcast(rs->par, host, sizeof host);
  chs_par_bcast(rs->par, start, 32);
  chs_par_bcast(rs->par, end, 32);
  chs_par_bcast(rs->par, wall, sizeof *wall);
  memset(p, 0, sizeof *p);
  p->version = CHS_VERSION;
  p->git_revision = CHS_GIT_REVISION;
  p->compiler = CHS_COMPILER;
  p->compile_flags = CHS_COMPILE_FLAGS;
  p->build_type = CHS_BUILD_TYPE;
  p->sundials_version = chs_integrator_sundials_version();
  p->mpi_version = chs_par_library_version();
  p->command_line = opt->command_line ? opt->command_line : "";
  p->hostname = host;
  p->start_time = start;
  p->end_time = end;
  p->slurm_job_id = getenv("SLURM_JOB_ID");
  p->slurm_array_task_id = getenv("SLURM_ARRAY_TASK_ID");
  p->ranks = rs->par->size;
  p->threads = omp_get_max_threads();
  p->wall_time = *wall;
}

/* Per-phase seconds of this attempt (a restarted run: since the restart), the slowest
 * rank's; written as /solver attributes seconds_<phase> and logged. */
static void fill_timers(const chs_par *par, chs_stats_record *r)
{
  static char names[CHS_NTIMERS][32];
  static double sec[CHS_NTIMERS];
  chs_timers tm;
  chs_timers_get(&tm);
  for (int i = 0; i < CHS_NTIMERS; i++) sec[i] = tm.seconds[i];
  chs_par_max(par, sec, CHS_NTIMERS);
  char line[512];
  int len = 0;
  for (int i = 0; i < CHS_NTIMERS && r->n < 32; i++) {
    snprintf(names[i], sizeof names[i], "seconds_%s", chs_timer_name((chs_timer_id)i));
    r->names[r->n] = names[i];
    r->values[r->n++] = sec[i];
    len += snprintf(line + len, sizeof line - (size_t)len, " %s %.3g s (%ld calls)%s",
                    chs_timer_name((chs_timer_id)i), sec[i], tm.calls[i], i + 1 < CHS_NTIMERS ? "," : "");
  }
  chs_log(CHS_LOG_INFO, "time per phase (slowest rank):%s", line);
}

static void fill_stats(const chs_solver_stats *s, const chs_model *m, chs_stats_record *r)
{
  r->n = 0;
#define CHS_X_REC(name, doc)         \
  r->names[r->n] = #name;            \
  r->values[r->n++] = (double)s->name;
  CHS_SOLVER_STATS(CHS_X_REC)
#undef CHS_X_REC
  r->names[r->n] = "last_order";
  r->values[r->n++] = s->last_order;
  r->names[r->n] = "last_step_days";
  r->values[r->n++] = s->last_step;
  r->names[r->n] = "native_state_residual";
  r->values[r->n++] = m->native.residual;
}

/* Writes the checkpoint of the current state at day t (after this day's outputs and
 * events). fresh: the integrator has just been restarted at t. */
static chs_status write_checkpoint(run_state *rs, double t, long steps, int ev, const char *reason,
                                   int fresh, double wall0)
{
  chs_checkpoint c = {.t = t,
                      .steps = steps,
                      .next_event = ev,
                      .injected = rs->therapy.injected,
                      .lost = rs->therapy.lost,
                      .marrow_rate = rs->model->marrow_rate,
                      .nsteps = chs_output_nsteps(rs->out),
                      .step_times = (double *)chs_output_times(rs->out),
                      .series = rs->series,
                      .fresh = fresh,
                      .wall_time = rs->wall_before + chs_wtime() - wall0};
  snprintf(c.reason, sizeof c.reason, "%s", reason);
  chs_integrator_stats(rs->it, &c.stats);
  double w = chs_wtime(), t0 = chs_timer_now();
  chs_status st = chs_checkpoint_write(rs->ckpt_path, rs->cfg, rs->model, chs_integrator_state(rs->it),
                                       &c, ++rs->nckpt);
  chs_timer_add(CHS_T_OUTPUT, t0);
  CHS_CHECK(st);
  chs_log(CHS_LOG_INFO, "checkpoint (%s) at day %.6g: %s (%.2f s)", reason, t, rs->ckpt_path,
          chs_wtime() - w);
  return CHS_OK;
}

/* The first checkpoint day of the checkpoint.every schedule after t (infinite if off). */
static double next_checkpoint_day(double every, double t)
{
  if (!(every > 0)) return INFINITY;
  double k = floor(t / every);
  while (k * every <= t) k += 1.0;
  return k * every;
}

static chs_status time_loop(run_state *rs, double wall0)
{
  const chs_config *cfg = rs->cfg;
  const chs_real_list *times = &rs->cfg->output_times;
  double end = cfg->run_end_time, t = 0.0;
  int oi = 0, ev = chs_therapy_next(&rs->therapy, 0.0);
  long steps = 0;
  const chs_checkpoint *ck = rs->resume;

  if (ck) {
    /* Continue where the checkpoint left off: its state is in rs->y, its day's outputs and
     * events are done. */
    t = ck->t;
    steps = ck->steps;
    ev = ck->next_event;
    while (oi < times->n && times->v[oi] <= t) oi++;
    if (oi != ck->nsteps)
      chs_log(CHS_LOG_WARN, "output.times has %d entries up to day %g but the checkpoint wrote %d "
              "steps: the step numbering continues at step_%05d", oi, t, ck->nsteps, ck->nsteps);
  } else {
    /* Events on day 0 shape the initial state. */
    while (ev < rs->therapy.n && rs->therapy.ev[ev].day <= 0.0)
      chs_therapy_apply(&rs->therapy, ev++, rs->model, rs->y);
    CHS_CHECK(record_metrics(rs, 0.0, rs->y));
    if (oi < times->n && times->v[oi] <= 0.0) {
      CHS_CHECK(write_step(rs, 0.0, rs->y));
      oi++;
    }
  }

  double atol_cell[CHS_NF], atol_pools[CHS_NPOOL];
  chs_model_tolerances(cfg->solver_atol, rs->therapy.largest_dose, atol_cell, atol_pools);
  chs_ode ode = {
      .nlocal = chs_model_state_length(rs->model),
      .comm = chs_par_comm(rs->par),
      .ctx = rs,
      .rhs = rhs_cb,
      .psetup = rs->pc ? psetup_cb : NULL,
      .psolve = rs->pc ? psolve_cb : NULL,
      .jv_setup = cfg->solver_jacobian_product == CHS_SOLVER_JACOBIAN_PRODUCT_ANALYTIC ? jv_setup_cb : NULL,
      .jv = cfg->solver_jacobian_product == CHS_SOLVER_JACOBIAN_PRODUCT_ANALYTIC ? jv_cb : NULL,
      .period = CHS_NF,
      .nrest = rs->model->npool_local,
      .atol_period = atol_cell,
      .atol_rest = atol_pools,
      .rtol = cfg->solver_rtol,
      .max_order = cfg->solver_max_order,
      .linear_tolerance = cfg->solver_linear_tolerance,
      .krylov_dim = cfg->solver_krylov_dim,
      .max_steps = cfg->solver_max_steps,
      .max_step = cfg->solver_max_step,
  };
  CHS_CHECK(chs_integrator_create(&ode, t, rs->y, &rs->it));
  if (ck) {
    /* The counters go on; starting afresh where the old run did not is one more restart. */
    chs_solver_stats earlier = ck->stats;
    if (!ck->fresh) earlier.restarts++;
    chs_integrator_set_earlier_stats(rs->it, &earlier);
  }

  /* Checkpoint days are stops with an integrator restart in every run with the same
   * checkpoint.every, so a run continued from one equals the uninterrupted run. */
  double next_ck = next_checkpoint_day(cfg->checkpoint_every, t);
  double next_wall = rs->ckpt_wall > 0 ? chs_wtime() + rs->ckpt_wall : INFINITY;
  chs_progress_init(&rs->prog, t, chs_wtime(), steps);
  while (t < end) {
    double stop = end;
    if (oi < times->n && times->v[oi] < stop) stop = times->v[oi];
    if (ev < rs->therapy.n && rs->therapy.ev[ev].day < stop) stop = rs->therapy.ev[ev].day;
    if (next_ck < stop) stop = next_ck;
    int fresh = 0, saved = 0;
    CHS_CHECK(chs_integrator_step(rs->it, stop, &t));
    if (++steps > cfg->solver_max_steps)
      return chs_error(CHS_ERR_SOLVER,
                       "more than solver.max_steps = %ld steps (reached day %g of %g); raise "
                       "solver.max_steps or loosen solver.rtol", (long)cfg->solver_max_steps, t, end);
    const double *y = rs->y; /* = chs_integrator_state(rs->it) */
    CHS_CHECK(record_metrics(rs, t, y));
    if (oi < times->n && t >= times->v[oi]) {
      /* The sidecar and rename happen on one rank: all must learn if they failed. */
      CHS_CHECK(write_step(rs, t, y));
      oi++;
      progress(rs, t, wall0, steps, ev, false, true);
    }
    if (ev < rs->therapy.n && t >= rs->therapy.ev[ev].day) {
      while (ev < rs->therapy.n && rs->therapy.ev[ev].day <= t)
        chs_therapy_apply(&rs->therapy, ev++, rs->model, rs->y);
      CHS_CHECK(chs_integrator_restart(rs->it, t, rs->y));
      CHS_CHECK(record_metrics(rs, t, rs->y));
      fresh = 1;
    }
    if (t >= next_ck) {
      CHS_CHECK(chs_integrator_restart(rs->it, t, rs->y));
      CHS_CHECK(write_checkpoint(rs, t, steps, ev, "schedule", 1, wall0));
      next_ck = next_checkpoint_day(cfg->checkpoint_every, t);
      fresh = saved = 1;
    }
    progress(rs, t, wall0, steps, ev, fresh, false);
    if (t >= end) break; /* done: a late signal lets the run finish */

    /* A signal may reach one rank only, and wall clocks differ: all ranks agree. */
    int flags[2] = {chs_signal_caught(), chs_wtime() >= next_wall};
    chs_par_max_int(rs->par, flags, 2);
    if (!flags[0] && !flags[1]) continue;
    const char *why = flags[0] ? chs_signal_name(flags[0]) : "wall-clock";
    if (!saved) CHS_CHECK(write_checkpoint(rs, t, steps, ev, why, fresh, wall0));
    if (flags[0])
      return chs_error(CHS_ERR_INTERRUPTED,
                       "%s received at day %.6g of %g (step %ld); checkpoint %s written. "
                       "Continue with: chondrosim run %s --restart %s (and the same --set and --out "
                       "options)",
                       why, t, end, steps, rs->ckpt_path, cfg->config_path, rs->ckpt_path);
    next_wall = chs_wtime() + rs->ckpt_wall;
  }
  return CHS_OK;
}

/* Loads a checkpoint into the run: state, therapy counters, metrics series. */
static chs_status resume_from(run_state *rs, chs_checkpoint *ck, const char *path)
{
  const chs_config *cfg = rs->cfg;
  /* Every rank checks: a FIFO or device would block or feed HDF5 garbage. */
  CHS_CHECK(chs_par_agree(rs->par, chs_check_regular(path, "--restart checkpoint", CHS_ERR_IO)));
  CHS_CHECK(chs_checkpoint_read(path, cfg, rs->model, rs->y, ck));
  if (ck->t > cfg->run_end_time)
    return chs_error(CHS_ERR_CONFIG,
                     "restart from %s: its day %g is after run.end_time = %g; raise run.end_time "
                     "(--set run.end_time=...) to continue the run", path, ck->t, cfg->run_end_time);
  /* The events up to the checkpoint's day are applied, the rest are to come. */
  const chs_therapy *th = &rs->therapy;
  int e = ck->next_event;
  if (e < 0 || e > th->n || (e > 0 && th->ev[e - 1].day > ck->t) || (e < th->n && th->ev[e].day <= ck->t))
    return chs_error(CHS_ERR_CONFIG,
                     "restart from %s: the therapy events of this configuration do not match the "
                     "%d applied up to day %g", path, e, ck->t);
  rs->therapy.injected = ck->injected;
  rs->therapy.lost = ck->lost;
  rs->model->marrow_rate = ck->marrow_rate;
  chs_series_free(&rs->series);
  rs->series = ck->series; /* moved */
  memset(&ck->series, 0, sizeof ck->series);
  rs->wall_before = ck->wall_time;
  return CHS_OK;
}

static void destroy_run(run_state *rs)
{
  chs_output_destroy(&rs->out);
  chs_integrator_destroy(&rs->it);
  chs_precond_destroy(&rs->pc);
  chs_model_destroy(&rs->model);
  chs_grid_destroy(&rs->grid);
  chs_par_destroy(&rs->par);
  chs_series_free(&rs->series);
  free(rs->y);
}

/* A signal during set-up (which may take long on a large grid) stops the run before its
 * first step: there is nothing to checkpoint yet. All ranks agree. */
static chs_status setup_interrupted(const run_state *rs, const char *stage)
{
  int flag = chs_signal_caught();
  chs_par_max_int(rs->par, &flag, 1);
  if (!flag) return CHS_OK;
  return chs_error(CHS_ERR_INTERRUPTED, "%s received during set-up (%s), before the first step: "
                   "nothing was computed, so there is no checkpoint; run again to start over",
                   chs_signal_name(flag), stage);
}

/* Before anything is allocated: refuses a grid whose estimated memory exceeds what this
 * run's ranks on this node have available. Collective over opt->comm. */
static chs_status memory_fits(const chs_config *cfg, const chs_run_options *opt)
{
  int size = chs_par_comm_size(opt->comm);
  double share = chs_memory_cells(cfg) * chs_memory_per_cell(cfg) / (size > 0 ? size : 1);
  double need = chs_par_node_sum(opt->comm, share);
  char where[64];
  snprintf(where, sizeof where, "this node (%.0f rank(s) of the run)",
           need / (share > 0 ? share : 1));
  int code = (int)chs_memory_check(cfg, need, chs_available_memory(), where);
  int mine = code;
  chs_par_comm_max_int(opt->comm, &code, 1);
  if (code != CHS_OK && mine == CHS_OK)
    return chs_error((chs_status)code, "another rank's node has too little memory for the grid "
                     "(grid.nx = %d, grid.nz = %d)", cfg->grid_nx, cfg->grid_nz);
  return (chs_status)code;
}

chs_status chs_simulation_run(const chs_config *cfg, const chs_run_options *opt,
                              chs_run_result *res)
{
  run_state rs;
  chs_checkpoint ck;
  memset(&rs, 0, sizeof rs);
  memset(&ck, 0, sizeof ck);
  memset(res, 0, sizeof *res);
  rs.cfg = cfg;
  double wall0 = chs_wtime();
  char start[32];
  chs_iso_time(start, sizeof start);
  chs_log_set_level(opt->quiet ? CHS_LOG_WARN : CHS_LOG_INFO);
  chs_status st;
  int lock_fd = -1; /* rank 0: the run directory's lock */
  /* From here SIGTERM/SIGUSR1/SIGINT only set a flag: set-up stops, the time loop
   * checkpoints and stops. */
  chs_signals_install();
  chs_timers_reset();
  st = memory_fits(cfg, opt);
  if (st != CHS_OK) goto done;

  int gcells[3] = {cfg->grid_nx, cfg->grid_geometry == CHS_GEOM_CARTESIAN3D ? cfg->grid_ny : 1,
                   cfg->grid_nz};
  int ndecomp = cfg->grid_geometry == CHS_GEOM_CARTESIAN3D ? 2 : 1;
  CHS_TRY(st, chs_par_create(opt->comm, ndecomp, gcells, &rs.par), done);
  CHS_TRY(st, setup_interrupted(&rs, "start"), done);
  CHS_TRY(st, chs_grid_create(cfg, rs.par, &rs.grid), done);
  CHS_TRY(st, chs_grid_mark_lesion(rs.grid, cfg, rs.par), done);
  CHS_TRY(st, setup_interrupted(&rs, "grid"), done);
  CHS_TRY(st, chs_model_create(cfg, rs.grid, rs.par, &rs.model), done);
  chs_test_pause("setup", 1); /* test hook: a signal during a (long) set-up */
  CHS_TRY(st, setup_interrupted(&rs, "model and native state"), done);
  CHS_TRY(st, chs_therapy_build(cfg, &rs.therapy), done);
  CHS_TRY(st, chs_series_init(&rs.series, CHS_NMETRICS), done);
  if (cfg->solver_preconditioner != CHS_PC_NONE)
    CHS_TRY(st, chs_precond_create(rs.model, cfg->solver_preconditioner, &rs.pc), done);
  CHS_TRY(st, setup_interrupted(&rs, "preconditioner"), done);

  size_t n = (size_t)chs_model_state_length(rs.model);
  rs.y = malloc(sizeof(double) * n);
  if (!rs.y) {
    st = chs_error(CHS_ERR_NOMEM, "out of memory (state of %zu values)", n);
    goto done;
  }
  chs_model_initial_state(rs.model, rs.y);
  if (opt->restart) {
    CHS_TRY(st, resume_from(&rs, &ck, opt->restart), done);
    rs.resume = &ck;
  }

  snprintf(res->run_dir, sizeof res->run_dir, "%s/%s", opt->out_dir ? opt->out_dir : cfg->output_dir,
           cfg->run_name);
  st = rs.par->rank == 0 ? chs_mkdir_p(res->run_dir) : CHS_OK;
  /* One process per run directory: a second run of the same name and --out would mix
   * its files with this one's. The lock is held until the run ends. */
  if (st == CHS_OK && rs.par->rank == 0) st = chs_lock_dir(res->run_dir, "run directory", &lock_fd);
  /* Left by a process killed mid-write, or a failed write: not part of any result. */
  if (st == CHS_OK && rs.par->rank == 0) chs_remove_stale_tmp(res->run_dir);
  st = chs_par_agree(rs.par, st);
  if (st != CHS_OK) {
    if (rs.par->rank != 0) st = chs_error(st, "rank 0 could not create or lock %s", res->run_dir);
    goto done;
  }
  chs_checkpoint_path(rs.ckpt_path, sizeof rs.ckpt_path, res->run_dir, cfg->run_name);
  rs.ckpt_wall = opt->checkpoint_wall;
  if (rs.par->rank == 0) {
    /* A summary (or checkpoint) from an earlier run of the same name must not pass for
     * this one's. */
    char old[CHS_PATH_MAX + 64];
    snprintf(old, sizeof old, "%s/summary.csv", res->run_dir);
    remove(old);
    snprintf(old, sizeof old, "%s/summary.json", res->run_dir);
    remove(old);
    snprintf(old, sizeof old, "%s.tmp", rs.ckpt_path);
    remove(old);
    if (!opt->restart) remove(rs.ckpt_path);
  }
  if (opt->restart)
    CHS_TRY(st, chs_checkpoint_prepare_output(res->run_dir, cfg->run_name, opt->restart, rs.par), done);
  CHS_TRY(st, create_output(&rs, res->run_dir), done);
  if (opt->restart)
    chs_log(CHS_LOG_INFO, "restart from %s (%s checkpoint): day %.6g, %d output step(s) and %d "
            "metric rows kept", opt->restart, ck.reason, ck.t, ck.nsteps, rs.series.n);
  chs_log(CHS_LOG_INFO, "run %s: %s grid %d x %d x %d cells on %d rank(s) x %d thread(s); "
          "lesion %.3g mm^3; native state residual %.1e",
          cfg->run_name, chs_config_enum_name("grid.geometry", cfg->grid_geometry),
          rs.grid->gn[0], rs.grid->gn[1], rs.grid->gn[2], rs.par->size, omp_get_max_threads(),
          rs.grid->lesion_volume, rs.model->native.residual);

  CHS_TRY(st, time_loop(&rs, wall0), done);

  chs_integrator_stats(rs.it, &res->stats);
  res->wall_time = chs_wtime() - wall0;
  double wall_total = rs.wall_before + res->wall_time; /* every attempt, for the provenance */
  res->end_day = cfg->run_end_time;
  res->cells = (long)rs.grid->gn[0] * rs.grid->gn[1] * rs.grid->gn[2];
  res->ranks = rs.par->size;
  res->threads = omp_get_max_threads();
  {
    char end[32];
    chs_iso_time(end, sizeof end);
    chs_provenance prov;
    chs_stats_record rec;
    fill_provenance(&rs, &prov, opt, start, end, &wall_total);
    fill_stats(&res->stats, rs.model, &rec);
    fill_timers(rs.par, &rec);
    st = chs_par_agree(rs.par, chs_output_finish(rs.out, &prov, &rec));
    if (st != CHS_OK) goto done;
  }
  if (rs.par->rank == 0) {
    char *csv = chs_summary_csv(&rs.series, cfg->run_name);
    char *json = chs_summary_json(csv); /* before summary.csv, which marks the run done */
    char path[CHS_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/summary.json", res->run_dir);
    st = json ? chs_write_file_atomic(path, json) : chs_error(CHS_ERR_NOMEM, "out of memory");
    snprintf(path, sizeof path, "%s/summary.csv", res->run_dir);
    if (st == CHS_OK)
      st = csv ? chs_write_file_atomic(path, csv) : chs_error(CHS_ERR_NOMEM, "out of memory");
    free(json);
    free(csv);
  }
  st = chs_par_agree(rs.par, st);
done:
  chs_signals_restore();
  destroy_run(&rs);
  chs_checkpoint_free(&ck);
  if (lock_fd >= 0) {
    if (st != CHS_OK) chs_remove_stale_tmp(res->run_dir); /* e.g. a write that failed (disk full) */
    chs_unlock_dir(&lock_fd);
  }
  return st;
}

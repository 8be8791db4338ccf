#define _POSIX_C_SOURCE 200809L
#include "study/ensemble.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "par/par.h"
#include "run/simulation.h"

/* A progress line from a group's first rank (chs_log prints on world rank 0 only). */
static void note(const char *level, int group, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(const char *level, int group, const char *fmt, ...)
{
  char stamp[32], msg[2048];
  chs_iso_time(stamp, sizeof stamp);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "%s %s: [group %d] %s\n", stamp, level, group, msg);
}

static int choose_groups(const chs_ensemble *e, int ranks)
{
  int g = e->groups > 0 ? e->groups : ranks;
  if (g > ranks) {
    chs_log(CHS_LOG_WARN, "%d concurrent groups asked for but only %d MPI rank(s): running %d "
            "at a time (start more ranks: mpirun -n %d chondrosim ...)", g, ranks, ranks, g);
    g = ranks;
  }
  if (g > e->n) g = e->n;
  return g < 1 ? 1 : g;
}

chs_status chs_ensemble_run(const chs_ensemble *e, chs_status *status)
{
  for (int i = 0; i < e->n; i++) status[i] = CHS_OK;
  if (e->n == 0) return CHS_OK;
  int ranks = chs_par_world_size();
  int ngroups = choose_groups(e, ranks);
  if (!e->quiet)
    chs_log(CHS_LOG_INFO, "running %d %s(s) in %d concurrent group(s) over %d MPI rank(s)", e->n,
          e->what, ngroups, ranks);

  int group;
  void *comm = NULL;
  CHS_CHECK(chs_par_split(NULL, ngroups, &group, &comm));
  int leader = chs_par_comm_rank(comm) == 0;
  int *codes = calloc((size_t)e->n, sizeof *codes);
  chs_config *cfg = malloc(sizeof *cfg);
  if (!codes || !cfg) {
    free(codes);
    free(cfg);
    chs_par_comm_free(&comm);
    return chs_error(CHS_ERR_NOMEM, "out of memory");
  }

  int mine = 0, done = 0; /* this group's items, and how many have finished */
  for (int i = group; i < e->n; i += ngroups) mine++;
  double group_t0 = chs_wtime();
  for (int i = group; i < e->n; i += ngroups) {
    double t0 = chs_wtime();
    if (leader && !e->quiet)
      note("info", group, "%s %d/%d %s: started", e->what, i + 1, e->n, e->names[i]);
    chs_status st = e->load(e->ctx, i, cfg);
    if (st == CHS_OK) {
      chs_run_options opt = {.out_dir = e->out_dir, .quiet = true, .comm = comm,
                             .command_line = e->command_line};
      chs_run_result res;
      st = chs_simulation_run(cfg, &opt, &res);
      chs_log_set_level(e->quiet ? CHS_LOG_WARN : CHS_LOG_INFO);
    }
    /* Every rank of the group must agree on the outcome. */
    int code = (int)st;
    chs_par_comm_max_int(comm, &code, 1);
    st = (chs_status)code;
    char message[1024];
    snprintf(message, sizeof message, "%s",
             st == CHS_OK ? "" : (*chs_error_message() ? chs_error_message() : chs_status_text(st)));
    chs_error_clear();
    double secs = chs_wtime() - t0;
    if (leader) {
      if (st != CHS_OK)
        note("error", group, "%s %d/%d %s %s after %.1f s: %s", e->what, i + 1, e->n, e->names[i],
             st == CHS_ERR_INTERRUPTED ? "interrupted" : "FAILED", secs, message);
      else if (!e->quiet)
        note("info", group, "%s %d/%d %s: done in %.1f s", e->what, i + 1, e->n, e->names[i], secs);
      done++;
      if (!e->quiet && done < mine) { /* items differ in cost; the mean so far is the guess */
        double per = (chs_wtime() - group_t0) / done;
        note("info", group, "%d of this group's %d %s(s) done (%d in all, %d group(s)), about "
             "%.0f s left for this group", done, mine, e->what, e->n, ngroups, per * (mine - done));
      }
      if (e->finished) e->finished(e->ctx, i, st, message, secs);
    }
    codes[i] = code;
    if (st == CHS_ERR_INTERRUPTED) { /* SIGTERM/SIGUSR1 (e.g. the job's time limit): stop */
      int left = 0;
      for (int k = i + ngroups; k < e->n; k += ngroups, left++) codes[k] = CHS_ERR_INTERRUPTED;
      if (leader)
        note("error", group, "stopped by a signal: %d more %s(s) of this group not started", left,
             e->what);
      break;
    }
  }
  free(cfg);
  chs_par_comm_max_int(NULL, codes, e->n);
  for (int i = 0; i < e->n; i++) status[i] = (chs_status)codes[i];
  free(codes);
  chs_par_comm_free(&comm);
  return CHS_OK;
}

/* Checkpoint and restart of a run: what a checkpoint holds and how it is checked
 * (checkpoint.h). HDF5 goes through io/checkpoint_io.h, MPI through par/. */
#define _POSIX_C_SOURCE 200809L
#include "run/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chs_buildinfo.h"
#include "core/log.h"
#include "io/checkpoint_io.h"
#include "model/metrics.h"

#define CKPT_FORMAT "chondrosim checkpoint"
#define CKPT_VERSION 1

void chs_checkpoint_path(char *buf, size_t len, const char *run_dir, const char *run)
{
  snprintf(buf, len, "%s/%s.chk.h5", run_dir, run);
}

/* ---------------------------------------------------------------- config fingerprint */

/* Sections a restart may change: how long to run, what to write, how often to checkpoint
 * (and, with a warning, the solver's settings). Everything else defines the model. */
static int key_kind(const char *key)
{
  static const char *free_sections[] = {"run.", "output.", "checkpoint."};
  for (size_t i = 0; i < sizeof free_sections / sizeof *free_sections; i++)
    if (!strncmp(key, free_sections[i], strlen(free_sections[i]))) return 0;
  if (!strncmp(key, "solver.", 7)) return strcmp(key, "solver.max_steps") ? 2 : 0;
  return 1; /* physics */
}

/* "key = value" lines of the keys of one kind; reals with 17 digits (exact). */
static char *keys_text(const chs_config *cfg, int kind)
{
  const chs_param *tab = chs_param_table();
  size_t cap = 1 << 16, used = 0;
  char *text = malloc(cap);
  if (!text) return NULL;
  text[0] = '\0';
  for (int i = 0; i < CHS_NPARAMS; i++) {
    const chs_param *p = &tab[i];
    if (key_kind(p->key) != kind) continue;
    const char *v = (const char *)cfg + p->offset;
    char line[CHS_STR_MAX * 20];
    int n = snprintf(line, sizeof line, "%s = ", p->key);
    switch (p->type) {
    case CHS_PT_REAL: n += snprintf(line + n, sizeof line - (size_t)n, "%.17g", *(const double *)v); break;
    case CHS_PT_INT: n += snprintf(line + n, sizeof line - (size_t)n, "%d", *(const int *)v); break;
    case CHS_PT_STRING: n += snprintf(line + n, sizeof line - (size_t)n, "%s", v); break;
    case CHS_PT_ENUM:
      n += snprintf(line + n, sizeof line - (size_t)n, "%s", chs_config_enum_name(p->key, *(const int *)v));
      break;
    case CHS_PT_BOOL: n += snprintf(line + n, sizeof line - (size_t)n, "%s", *(const bool *)v ? "true" : "false"); break;
    case CHS_PT_LIST: {
      const chs_real_list *l = (const chs_real_list *)v;
      for (int k = 0; k < l->n && (size_t)n < sizeof line; k++)
        n += snprintf(line + n, sizeof line - (size_t)n, k ? " %.17g" : "%.17g", l->v[k]);
      break;
    }
    }
    if ((size_t)n >= sizeof line) n = (int)sizeof line - 1;
    if (used + (size_t)n + 2 > cap) {
      char *grown = realloc(text, cap *= 2);
      if (!grown) {
        free(text);
        return NULL;
      }
      text = grown;
    }
    memcpy(text + used, line, (size_t)n);
    used += (size_t)n;
    text[used++] = '\n';
    text[used] = '\0';
  }
  return text;
}

/* FNV-1a, 64 bit, as 16 hex digits. */
static void fingerprint(const char *text, char out[17])
{
  uint64_t h = 1469598103934665603ull;
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) h = (h ^ *p) * 1099511628211ull;
  snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* The first "key = value" line of a that is not in b (or vice versa): *key_a / *key_b
 * point into the texts (NULL if the key is missing on that side). */
static void first_difference(const char *a, const char *b, const char **la, const char **lb)
{
  *la = *lb = NULL;
  for (const char *p = a; *p; p = strchr(p, '\n') + 1) {
    size_t n = (size_t)(strchr(p, '\n') - p);
    const char *eq = strstr(p, " = ");
    size_t klen = eq && (size_t)(eq - p) < n ? (size_t)(eq - p) + 3 : n;
    const char *q = b;
    for (; *q; q = strchr(q, '\n') + 1)
      if (!strncmp(p, q, klen)) break;
    if (!*q) {
      *la = p;
      return;
    }
    if (strncmp(p, q, n + 1)) {
      *la = p;
      *lb = q;
      return;
    }
  }
  for (const char *q = b; *q; q = strchr(q, '\n') + 1) {
    const char *eq = strstr(q, " = ");
    size_t klen = eq ? (size_t)(eq - q) + 3 : strlen(q);
    const char *p = a;
    for (; *p; p = strchr(p, '\n') + 1)
      if (!strncmp(p, q, klen)) break;
    if (!*p) {
      *lb = q;
      return;
    }
  }
}

static int line_len(const char *l) { return l ? (int)strcspn(l, "\n") : 0; }

/* ---------------------------------------------------------------- layout helpers */

static chs_h5ck_block block_of(const chs_grid *g)
{
  chs_h5ck_block b;
  for (int a = 0; a < 3; a++) {
    b.global[a] = g->gn[a];
    b.lo[a] = g->lo[a];
    b.ln[a] = g->ln[a];
  }
  return b;
}

/* Names joined by newlines (metrics, solver counters), to check a checkpoint against the
 * build that reads it. */
static char *metric_names_text(void)
{
  size_t cap = 64;
  for (int k = 0; k < CHS_NMETRICS; k++) cap += strlen(chs_metric_name(k)) + 1;
  char *s = malloc(cap), *p = s;
  if (!s) return NULL;
  for (int k = 0; k < CHS_NMETRICS; k++) p += sprintf(p, "%s\n", chs_metric_name(k));
  *p = '\0';
  return s;
}

#define STATS_LEN(name, doc) +1
enum { NSTATS = 0 CHS_SOLVER_STATS(STATS_LEN) + 2 };
#undef STATS_LEN

static void stats_to_array(const chs_solver_stats *s, double *v)
{
  int n = 0;
#define TO(name, doc) v[n++] = (double)s->name;
  CHS_SOLVER_STATS(TO)
#undef TO
  v[n++] = s->last_order;
  v[n++] = s->last_step;
}

static void stats_from_array(const double *v, chs_solver_stats *s)
{
  int n = 0;
#define FROM(name, doc) s->name = (long)v[n++];
  CHS_SOLVER_STATS(FROM)
#undef FROM
  s->last_order = (int)v[n++];
  s->last_step = v[n++];
}

/* ---------------------------------------------------------------- write */

/* Makes a rename in dir durable (best effort: some file systems refuse fsync on dirs). */
static void sync_dir(const char *path)
{
  char dir[CHS_PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = '\0'; else snprintf(dir, sizeof dir, ".");
  int fd = open(dir, O_RDONLY);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

static chs_status write_contents(chs_h5ck *f, const chs_config *cfg, const chs_model *m,
                                 const double *y, const chs_checkpoint *c, int index)
{
  const chs_grid *g = m->grid;
  char *physics = keys_text(cfg, 1), *numerics = keys_text(cfg, 2), *config = chs_config_to_text(cfg);
  char *metrics = metric_names_text();
  chs_status st = CHS_OK;
  if (!physics || !numerics || !config || !metrics) {
    st = chs_error(CHS_ERR_NOMEM, "out of memory writing a checkpoint");
    goto done;
  }
  char hash[17], when[32];
  fingerprint(physics, hash);
  chs_iso_time(when, sizeof when);
  chs_par_bcast(m->par, when, sizeof when); /* attributes must agree on every rank */

  chs_h5ck_put_string(f, "format", CKPT_FORMAT);
  chs_h5ck_put_long(f, "format_version", CKPT_VERSION);
  chs_h5ck_put_string(f, "chondrosim_version", CHS_VERSION " (" CHS_GIT_REVISION ")");
  chs_h5ck_put_string(f, "written", when);
  chs_h5ck_put_string(f, "reason", c->reason);
  chs_h5ck_put_string(f, "run_name", cfg->run_name);
  chs_h5ck_put_string(f, "physics_hash", hash);
  chs_h5ck_put_long(f, "ranks", m->par->size);
  chs_h5ck_put_double(f, "time", c->t);
  chs_h5ck_put_long(f, "steps", c->steps);
  chs_h5ck_put_long(f, "next_event", c->next_event);
  chs_h5ck_put_double(f, "injected", c->injected);
  chs_h5ck_put_double(f, "lost", c->lost);
  chs_h5ck_put_double(f, "marrow_rate", c->marrow_rate);
  chs_h5ck_put_long(f, "output_steps", c->nsteps);
  chs_h5ck_put_long(f, "metric_rows", c->series.n);
  chs_h5ck_put_long(f, "integrator_fresh", c->fresh);
  chs_h5ck_put_double(f, "wall_time", c->wall_time);
  chs_h5ck_put_text(f, "config", config);
  chs_h5ck_put_text(f, "physics", physics);
  chs_h5ck_put_text(f, "numerics", numerics);
  chs_h5ck_put_text(f, "metric_names", metrics);

  chs_h5ck_block b = block_of(g);
  for (int k = 0; k < CHS_NF; k++) {
    char name[64];
    snprintf(name, sizeof name, "state/%s", chs_field_names[k]);
    chs_h5ck_put_grid(f, name, &b, g->nlocal ? y + k : NULL, CHS_NF);
    if (k == CHS_NF / 2) chs_test_pause("checkpoint", index); /* test-only, checkpoint_io.h */
  }
  /* The pools live on rank 0, which is also the writer of small datasets. */
  chs_h5ck_put_array(f, "state/pools", CHS_NPOOL, 1, m->npool_local ? y + g->nlocal * CHS_NF : NULL);
  chs_h5ck_put_array(f, "output_times", c->nsteps, 1, c->step_times);
  chs_h5ck_put_array(f, "series/time", c->series.n, 1, c->series.t);
  chs_h5ck_put_array(f, "series/values", c->series.n, c->series.nvalues, c->series.values);
  double stats[NSTATS];
  stats_to_array(&c->stats, stats);
  chs_h5ck_put_array(f, "solver_stats", NSTATS, 1, stats);
  st = chs_h5ck_put_long(f, "complete", 1);
done:
  free(physics);
  free(numerics);
  free(config);
  free(metrics);
  return st;
}

chs_status chs_checkpoint_write(const char *path, const chs_config *cfg, const chs_model *m,
                                const double *y, const chs_checkpoint *c, int index)
{
  const chs_par *par = m->par;
  char tmp[CHS_PATH_MAX + 8];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  chs_h5ck *f = NULL;
  chs_status st = chs_h5ck_create(tmp, chs_par_comm(par), par->rank == 0, &f);
  if (st == CHS_OK) {
    st = write_contents(f, cfg, m, y, c, index);
    chs_status cl = chs_h5ck_close(&f);
    if (st == CHS_OK) st = cl;
  }
  st = chs_par_agree(par, st);
  if (st != CHS_OK) {
    if (par->rank == 0) remove(tmp);
    return st;
  }
  /* Every rank has closed (collectively): publish the new checkpoint in one step. */
  if (par->rank == 0) {
    if (rename(tmp, path) != 0)
      st = chs_error(CHS_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    else
      sync_dir(path);
  }
  st = chs_par_agree(par, st);
  if (st != CHS_OK && par->rank != 0)
    st = chs_error(st, "rank 0 could not rename %s to %s", tmp, path);
  return st;
}

/* ---------------------------------------------------------------- read */

/* Refuses a checkpoint of another model; warns about changed solver settings. */
static chs_status check_config(chs_h5ck *f, const char *path, const chs_config *cfg)
{
  char *old_phys = NULL, *old_num = NULL, *old_metrics = NULL;
  char *now_phys = keys_text(cfg, 1), *now_num = keys_text(cfg, 2), *now_metrics = metric_names_text();
  char old_hash[40] = "", now_hash[17];
  chs_status st = CHS_OK;
  if (!now_phys || !now_num || !now_metrics) {
    st = chs_error(CHS_ERR_NOMEM, "out of memory reading %s", path);
    goto done;
  }
  CHS_TRY(st, chs_h5ck_get_string(f, "physics_hash", old_hash, sizeof old_hash), done);
  CHS_TRY(st, chs_h5ck_get_text(f, "physics", &old_phys), done);
  CHS_TRY(st, chs_h5ck_get_text(f, "numerics", &old_num), done);
  CHS_TRY(st, chs_h5ck_get_text(f, "metric_names", &old_metrics), done);
  if (strcmp(old_metrics, now_metrics)) {
    st = chs_error(CHS_ERR_CONFIG,
                   "%s: written by a chondrosim with other metrics than this one (%s); finish "
                   "the run with the version that started it", path, CHS_VERSION);
    goto done;
  }
  fingerprint(now_phys, now_hash);
  if (strcmp(old_hash, now_hash) || strcmp(old_phys, now_phys)) {
    const char *la, *lb;
    first_difference(old_phys, now_phys, &la, &lb);
    char detail[1024];
    if (la && lb)
      snprintf(detail, sizeof detail, "it was written with %.*s but the configuration now gives %.*s",
               line_len(la), la, line_len(lb), lb);
    else if (la)
      snprintf(detail, sizeof detail, "it was written with %.*s, a key this configuration lacks",
               line_len(la), la);
    else if (lb)
      snprintf(detail, sizeof detail, "the configuration now has %.*s, unknown to it", line_len(lb), lb);
    else
      snprintf(detail, sizeof detail, "its model fingerprint %s differs from %s", old_hash, now_hash);
    st = chs_error(CHS_ERR_CONFIG,
                   "restart refused: %s belongs to another model: %s. A restart continues the "
                   "same model; only run.*, output.*, checkpoint.* and solver.* may change "
                   "(use the config and --set options of the run that wrote it)", path, detail);
    goto done;
  }
  if (strcmp(old_num, now_num)) {
    const char *la, *lb;
    first_difference(old_num, now_num, &la, &lb);
    chs_log(CHS_LOG_WARN, "restart with other solver settings than the checkpoint's (%.*s -> %.*s, "
            "...): the continued run will not match an uninterrupted one to round-off",
            line_len(la), la ? la : "", line_len(lb), lb ? lb : "");
  }
done:
  free(old_phys);
  free(old_num);
  free(old_metrics);
  free(now_phys);
  free(now_num);
  free(now_metrics);
  return st;
}

static chs_status read_contents(chs_h5ck *f, const char *path, const chs_config *cfg,
                                const chs_model *m, double *y, chs_checkpoint *c)
{
  const chs_grid *g = m->grid;
  char format[64] = "";
  long version = 0, complete = 0, l = 0;
  if (chs_h5ck_get_string(f, "format", format, sizeof format) != CHS_OK || strcmp(format, CKPT_FORMAT))
    return chs_error(CHS_ERR_IO, "%s: not a chondrosim checkpoint", path);
  CHS_CHECK(chs_h5ck_get_long(f, "format_version", &version));
  if (version != CKPT_VERSION)
    return chs_error(CHS_ERR_IO, "%s: checkpoint format %ld, this chondrosim reads format %d", path,
                     version, CKPT_VERSION);
  if (chs_h5ck_get_long(f, "complete", &complete) != CHS_OK || complete != 1)
    return chs_error(CHS_ERR_IO, "%s: incomplete checkpoint", path);
  CHS_CHECK(check_config(f, path, cfg));

  CHS_CHECK(chs_h5ck_get_double(f, "time", &c->t));
  CHS_CHECK(chs_h5ck_get_long(f, "steps", &c->steps));
  CHS_CHECK(chs_h5ck_get_long(f, "next_event", &l));
  c->next_event = (int)l;
  CHS_CHECK(chs_h5ck_get_double(f, "injected", &c->injected));
  CHS_CHECK(chs_h5ck_get_double(f, "lost", &c->lost));
  CHS_CHECK(chs_h5ck_get_double(f, "marrow_rate", &c->marrow_rate));
  CHS_CHECK(chs_h5ck_get_long(f, "integrator_fresh", &l));
  c->fresh = (int)l;
  CHS_CHECK(chs_h5ck_get_double(f, "wall_time", &c->wall_time));
  CHS_CHECK(chs_h5ck_get_string(f, "reason", c->reason, sizeof c->reason));

  chs_h5ck_block b = block_of(g);
  for (int k = 0; k < CHS_NF; k++) {
    char name[64];
    snprintf(name, sizeof name, "state/%s", chs_field_names[k]);
    CHS_CHECK(chs_h5ck_get_grid(f, name, &b, g->nlocal ? y + k : NULL, CHS_NF));
  }
  long rows;
  int cols;
  double *v = NULL;
  CHS_CHECK(chs_h5ck_get_array(f, "state/pools", &rows, &cols, &v));
  if (rows != CHS_NPOOL) {
    free(v);
    return chs_error(CHS_ERR_IO, "%s: /state/pools has %ld values, expected %d", path, rows, CHS_NPOOL);
  }
  if (m->npool_local) memcpy(y + g->nlocal * CHS_NF, v, sizeof(double) * CHS_NPOOL);
  free(v);

  CHS_CHECK(chs_h5ck_get_array(f, "output_times", &rows, &cols, &c->step_times));
  c->nsteps = (int)rows;
  CHS_CHECK(chs_h5ck_get_array(f, "solver_stats", &rows, &cols, &v));
  if (rows == NSTATS) stats_from_array(v, &c->stats);
  free(v);

  double *t = NULL;
  CHS_CHECK(chs_h5ck_get_array(f, "series/time", &rows, &cols, &t));
  long n = rows;
  chs_status st = chs_h5ck_get_array(f, "series/values", &rows, &cols, &v);
  if (st == CHS_OK && (rows != n || (n > 0 && cols != CHS_NMETRICS)))
    st = chs_error(CHS_ERR_IO, "%s: the metrics series has %ld times but %ld x %d values", path, n,
                   rows, cols);
  if (st == CHS_OK) st = chs_series_init(&c->series, CHS_NMETRICS);
  for (long r = 0; st == CHS_OK && r < n; r++)
    st = chs_series_push(&c->series, t[r], v + r * CHS_NMETRICS);
  free(t);
  free(v);
  return st;
}

chs_status chs_checkpoint_read(const char *path, const chs_config *cfg, const chs_model *m,
                               double *y, chs_checkpoint *c)
{
  memset(c, 0, sizeof *c);
  chs_h5ck *f = NULL;
  chs_status st = chs_h5ck_open(path, chs_par_comm(m->par), &f);
  if (st == CHS_OK) {
    st = read_contents(f, path, cfg, m, y, c);
    chs_h5ck_close(&f);
  }
  /* Every rank reads the same file, so they fail alike; agree anyway (one may lack memory). */
  st = chs_par_agree(m->par, st);
  if (st != CHS_OK) chs_checkpoint_free(c);
  return st;
}

void chs_checkpoint_free(chs_checkpoint *c)
{
  free(c->step_times);
  c->step_times = NULL;
  chs_series_free(&c->series);
}

chs_status chs_checkpoint_prepare_output(const char *run_dir, const char *run,
                                         const char *checkpoint, const chs_par *par)
{
  chs_status st = CHS_OK;
  if (par->rank == 0) {
    char partial[CHS_PATH_MAX + 32], final[CHS_PATH_MAX + 32];
    snprintf(partial, sizeof partial, "%s/%s.partial.h5", run_dir, run);
    snprintf(final, sizeof final, "%s/%s.h5", run_dir, run);
    struct stat sb;
    if (stat(partial, &sb) == 0) {
      /* An attempt is under way: a complete file of the same name is an older result. */
      if (remove(final) != 0 && errno != ENOENT)
        st = chs_error(CHS_ERR_IO, "cannot remove the old %s: %s", final, strerror(errno));
    } else if (stat(final, &sb) == 0) {
      /* The run had finished: it is extended, so its file becomes partial again. */
      if (rename(final, partial) != 0)
        st = chs_error(CHS_ERR_IO, "cannot rename %s to %s: %s", final, partial, strerror(errno));
    } else {
      st = chs_error(CHS_ERR_IO,
                     "restart from %s: no %s or %s to continue; a restart appends to the output of "
                     "the run that wrote the checkpoint (give it the same run.name and --out)",
                     checkpoint, partial, final);
    }
  }
  st = chs_par_agree(par, st);
  if (st != CHS_OK && par->rank != 0) st = chs_error(st, "rank 0 could not prepare the output");
  return st;
}

/* ---------------------------------------------------------------- signals */

static volatile sig_atomic_t g_signal;
static struct sigaction g_old_term, g_old_usr1, g_old_int;
static int g_installed; /* nesting depth: main installs for the whole command, each run again */

static void on_signal(int sig)
{
  /* A second Ctrl-C means "now": the default action, without waiting for a checkpoint. */
  if (sig == SIGINT && g_signal == SIGINT) {
    signal(SIGINT, SIG_DFL);
    raise(SIGINT);
    return;
  }
  g_signal = sig;
}

void chs_signals_install(void)
{
  /* The flag is not reset: a signal that came during set-up (or between the runs of a
   * study) must still stop the run that follows. */
  if (g_installed++) return;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART; /* interrupted file and MPI calls resume */
  sigaction(SIGTERM, &sa, &g_old_term);
  sigaction(SIGUSR1, &sa, &g_old_usr1);
  sigaction(SIGINT, &sa, &g_old_int);
}

void chs_signals_restore(void)
{
  if (!g_installed || --g_installed) return;
  sigaction(SIGTERM, &g_old_term, NULL);
  sigaction(SIGUSR1, &g_old_usr1, NULL);
  sigaction(SIGINT, &g_old_int, NULL);
}

int chs_signal_caught(void) { return (int)g_signal; }

const char *chs_signal_name(int sig)
{
  static char buf[32];
  if (sig == SIGTERM) return "SIGTERM";
  if (sig == SIGUSR1) return "SIGUSR1";
  if (sig == SIGINT) return "SIGINT";
  snprintf(buf, sizeof buf, "signal %d", sig);
  return buf;
}

chs_status chs_parse_duration(const char *text, double *seconds)
{
  char *end = NULL;
  errno = 0;
  double v = text ? strtod(text, &end) : NAN;
  double unit = 0;
  if (end && end != text) {
    if (!strcmp(end, "") || !strcmp(end, "s")) unit = 1;
    else if (!strcmp(end, "m")) unit = 60;
    else if (!strcmp(end, "h")) unit = 3600;
  }
  if (!unit || errno || !(v > 0) || !isfinite(v))
    return chs_error(CHS_ERR_USAGE,
                     "--checkpoint-every-wall '%s': expected a positive duration such as 90s, "
                     "30m or 1.5h", text ? text : "");
  *seconds = v * unit;
  return CHS_OK;
}

#define _DEFAULT_SOURCE /* realpath */
#include "study/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "config/config.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "par/par.h"
#include "study/ensemble.h"
#include "study/runstate.h"
#include "study/slurm_scripts.h"
#include "study/studyfile.h"
#include "study/sweep_spec.h"

/* ---------------------------------------------------------------- manifest */

typedef enum { ROW_PENDING, ROW_DONE, ROW_FAILED } row_state;
static const char *state_name[] = {"pending", "done", "failed"};

typedef struct {
  const chs_sweep_spec *s;
  char dir[CHS_PATH_MAX + CHS_STR_MAX + 8]; /* results/<sweep> */
  char (*fp)[17]; /* per row: fingerprint of its full effective configuration */
} where;

static void row_file(const where *w, int r, const char *file, char *out, size_t len)
{
  if (!strcmp(file, "failed"))
    snprintf(out, len, "%s/status/%s.failed", w->dir, w->s->run[r]);
  else
    snprintf(out, len, "%s/%s/%s", w->dir, w->s->run[r], file);
}

/* done needs the row's result made with the configuration it has now (runstate.h): a
 * result of an earlier [set], base or model file is pending again. */
static row_state row_status(const where *w, int r)
{
  char path[2 * CHS_PATH_MAX];
  snprintf(path, sizeof path, "%s/%s", w->dir, w->s->run[r]);
  if (chs_run_state_of(path, w->fp[r], NULL) == CHS_RUN_DONE) return ROW_DONE;
  row_file(w, r, "failed", path, sizeof path);
  return access(path, F_OK) == 0 ? ROW_FAILED : ROW_PENDING;
}

/* The manifest text; statuses from the files when `w` is given, else all pending. */
static char *manifest_text(const chs_sweep_spec *s, const where *w)
{
  size_t cap = 256, n = 0;
  for (int k = 0; k < s->nkeys; k++) cap += strlen(s->key[k]->key) + 4;
  for (int r = 0; r < s->n; r++) {
    cap += 72 + strlen(s->run[r]);
    for (int k = 0; k < s->nkeys; k++) cap += 2 * strlen(s->cell[r][k]) + 4;
  }
  char *out = malloc(cap), field[1024];
  if (!out) return NULL;
#define PUT(...) n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__)
  PUT("row,run");
  for (int k = 0; k < s->nkeys; k++) PUT(",%s", s->key[k]->key);
  PUT(",fingerprint,status\n");
  for (int r = 0; r < s->n; r++) {
    PUT("%d,%s", r, s->run[r]);
    for (int k = 0; k < s->nkeys; k++) PUT(",%s", chs_csv_field(s->cell[r][k], field, sizeof field));
    PUT(",%s", w && w->fp ? w->fp[r] : "");
    PUT(",%s\n", state_name[w ? row_status(w, r) : ROW_PENDING]);
  }
#undef PUT
  return out;
}

/* An existing manifest must describe the same rows (its statuses may differ). */
static chs_status check_old_manifest(const chs_sweep_spec *s, const char *path, const char *fresh)
{
  FILE *f = fopen(path, "r");
  if (!f) return CHS_OK;
  char *line = NULL;
  size_t cap = 0;
  const char *p = fresh;
  int lineno = 0, old_has_fp = 0;
  chs_status st = CHS_OK;
  for (;;) {
    ssize_t got = getline(&line, &cap, f);
    const char *nl = *p ? strchr(p, '\n') : NULL;
    if (got < 0 && !nl) break;
    lineno++;
    if (got < 0 || !nl) {
      st = chs_error(CHS_ERR_CONFIG, "%s no longer matches %s (%s rows): use a new [sweep] name, "
                     "or delete %s to start over", s->path, path,
                     got < 0 ? "the sweep has more" : "the sweep has fewer", path);
      break;
    }
    char *a[CHS_SWEEP_MAX_KEYS + 4], *b[CHS_SWEEP_MAX_KEYS + 4];
    char *old = line, *new = strndup(p, (size_t)(nl - p));
    int na = chs_csv_split(old, a, CHS_SWEEP_MAX_KEYS + 4), nb = new ? chs_csv_split(new, b, CHS_SWEEP_MAX_KEYS + 4) : -1;
    /* The last field is the status, the one before it the fingerprint: both may differ
     * (a changed fingerprint re-runs the row). A manifest written before fingerprints
     * has no such column. */
    if (lineno == 1) old_has_fp = na >= 2 && !strcmp(a[na - 2], "fingerprint");
    int ka = na - 1 - old_has_fp, kb = nb - 2; /* identity fields */
    int same = ka == kb;
    for (int i = 0; same && i < ka; i++) same = !strcmp(a[i], b[i]);
    free(new);
    if (!same) {
      st = chs_error(CHS_ERR_CONFIG, "%s no longer matches %s (line %d differs): the swept keys or "
                     "values changed; use a new [sweep] name, or delete %s to start over", s->path,
                     path, lineno, path);
      break;
    }
    p = nl + 1;
  }
  free(line);
  fclose(f);
  return st;
}

/* Holds an exclusive lock on <dir>/.manifest.lock (array tasks update it concurrently). */
static int lock_manifest(const where *w)
{
  char path[3 * CHS_PATH_MAX];
  snprintf(path, sizeof path, "%s/.manifest.lock", w->dir);
  int fd = open(path, O_RDWR | O_CREAT, 0644);
  if (fd >= 0) flock(fd, LOCK_EX);
  return fd;
}

static void unlock_manifest(int fd)
{
  if (fd < 0) return;
  flock(fd, LOCK_UN);
  close(fd);
}

/* Writes manifest.csv with the statuses found on disk (checking an old one first). */
static chs_status write_manifest(const chs_sweep_spec *s, const where *w, bool check)
{
  char path[3 * CHS_PATH_MAX];
  snprintf(path, sizeof path, "%s/manifest.csv", w->dir);
  int fd = lock_manifest(w);
  chs_status st = CHS_OK;
  if (check) {
    char *plain = manifest_text(s, NULL);
    st = plain ? check_old_manifest(s, path, plain) : chs_error(CHS_ERR_NOMEM, "out of memory");
    free(plain);
  }
  if (st == CHS_OK) {
    char *text = manifest_text(s, w);
    st = text ? chs_write_file_atomic(path, text) : chs_error(CHS_ERR_NOMEM, "out of memory");
    free(text);
  }
  unlock_manifest(fd);
  return st;
}

/* ---------------------------------------------------------------- row selection */

static chs_status select_rows(const chs_sweep_spec *s, const char *spec, char *sel)
{
  memset(sel, spec ? 0 : 1, (size_t)s->n);
  if (!spec) return CHS_OK;
  const char *p = spec;
  while (*p) {
    char *end;
    long lo = strtol(p, &end, 10), hi = lo;
    if (end == p || lo < 0) goto bad;
    p = end;
    if (*p == '-') {
      hi = strtol(p + 1, &end, 10);
      if (end == p + 1) goto bad;
      p = end;
    }
    if (hi < lo) goto bad;
    if (hi >= s->n)
      return chs_error(CHS_ERR_USAGE, "--rows %s: row %ld does not exist; the sweep has %d rows "
                       "(0 to %d)", spec, hi, s->n, s->n - 1);
    for (long r = lo; r <= hi; r++) sel[r] = 1;
    if (*p == ',') p++;
    else if (*p) goto bad;
  }
  return CHS_OK;
bad:
  return chs_error(CHS_ERR_USAGE, "--rows '%s': expected row numbers and ranges, e.g. 3, 0-7 or "
                   "1,4-6", spec);
}

/* "0-3,5,7-9" from a selection. */
static void array_spec(const char *sel, int n, char *out, size_t len)
{
  out[0] = '\0';
  for (int r = 0; r < n; r++) {
    if (!sel[r]) continue;
    int e = r;
    while (e + 1 < n && sel[e + 1]) e++;
    size_t used = strlen(out);
    if (e > r)
      snprintf(out + used, len - used, "%s%d-%d", used ? "," : "", r, e);
    else
      snprintf(out + used, len - used, "%s%d", used ? "," : "", r);
    r = e;
  }
}

/* ---------------------------------------------------------------- Slurm */

/* The job array over the selected rows not done, via the templates (slurm_scripts.c). */
static chs_status write_slurm(const chs_sweep_spec *s, const where *w, const char *todo, int ntodo,
                              const char *root, const chs_sweep_options *opt)
{
  char exe[PATH_MAX], sweep_file[PATH_MAX], work[PATH_MAX], dir[PATH_MAX], rootabs[PATH_MAX],
      models[PATH_MAX] = "", scripts[CHS_PATH_MAX], rows[8000];
  if (!realpath("/proc/self/exe", exe) || !realpath(s->path, sweep_file) ||
      !getcwd(work, sizeof work) || !realpath(w->dir, dir) || !realpath(root, rootabs))
    return chs_error(CHS_ERR_IO, "cannot resolve the paths for the Slurm scripts: %s",
                     strerror(errno));
  if (opt->models_dir && !realpath(opt->models_dir, models))
    return chs_error(CHS_ERR_IO, "--models %s: %s", opt->models_dir, strerror(errno));
  chs_scripts_dir(scripts, sizeof scripts);
  array_spec(todo, s->n, rows, sizeof rows);
  chs_slurm_sweep j = {.name = s->name, .rows = rows, .nrows = ntodo, .nrows_total = s->n,
                       .throttle = s->throttle, .ntasks = s->ntasks,
                       .cpus_per_task = s->cpus_per_task, .time = s->time,
                       .partition = s->partition, .account = s->account, .mem = s->mem,
                       .mpi = s->mpi, .chondrosim = exe, .sweep_file = sweep_file,
                       .results_root = rootabs, .models_dir = models, .work_dir = work,
                       .sweep_dir = dir, .scripts_dir = scripts, .quiet = opt->quiet,
                       .rows_per_task = s->rows_per_task, .sbatch = s->sbatch};
  return chs_slurm_write_sweep(&j);
}

/* ---------------------------------------------------------------- running */

static void row_finished(void *ctx, int r, chs_status st, const char *message, double seconds)
{
  const where *w = ctx;
  char path[2 * CHS_PATH_MAX];
  row_file(w, r, "failed", path, sizeof path);
  if (st == CHS_OK || st == CHS_ERR_INTERRUPTED) { /* done, or pending again */
    remove(path);
    return;
  }
  char text[2048];
  snprintf(text, sizeof text, "%s: %s\n", chs_status_name(st), message);
  if (chs_write_file_atomic(path, text) != CHS_OK) {
    chs_log(CHS_LOG_ERROR, "%s", chs_error_message());
    chs_error_clear();
  }
}

/* Every rank learns rank 0's status (of something only rank 0 did). */
static chs_status on_rank0(chs_status st_rank0, const char *what)
{
  int code = chs_par_world_rank() == 0 ? (int)st_rank0 : 0;
  chs_par_comm_max_int(NULL, &code, 1);
  if (code == CHS_OK || chs_par_world_rank() == 0) return (chs_status)code;
  return chs_error((chs_status)code, "rank 0 failed to %s", what);
}

static chs_status validate_rows(chs_sweep_spec *s, char *root, size_t len, char (*fp)[17])
{
  chs_config *cfg = malloc(sizeof *cfg);
  if (!cfg) return chs_error(CHS_ERR_NOMEM, "out of memory");
  chs_status st = CHS_OK;
  for (int r = 0; r < s->n && st == CHS_OK; r++) {
    st = chs_sweep_spec_load_row(s, r, cfg);
    if (st == CHS_OK) st = chs_config_fingerprint(cfg, fp[r]);
    if (st == CHS_OK && r == 0) snprintf(root, len, "%s", cfg->output_dir);
  }
  free(cfg);
  return st;
}

/* The ensemble runs items 0..n-1; these map them to rows. */
typedef struct {
  chs_sweep_spec *s;
  where *w;
  const int *items;
} row_map;

static chs_status item_load(void *ctx, int i, chs_config *cfg)
{
  row_map *m = ctx;
  return chs_sweep_spec_load_row(m->s, m->items[i], cfg);
}

static void item_finished(void *ctx, int i, chs_status st, const char *msg, double secs)
{
  row_map *m = ctx;
  row_finished(m->w, m->items[i], st, msg, secs);
}

static chs_status run_rows(chs_sweep_spec *s, where *w, const char *sel, const chs_sweep_options *opt)
{
  int rank0 = chs_par_world_rank() == 0;
  int *todo = calloc((size_t)s->n, sizeof *todo);
  int *items = malloc(sizeof *items * (size_t)s->n);
  if (!todo || !items) {
    free(todo);
    free(items);
    return chs_error(CHS_ERR_NOMEM, "out of memory");
  }
  /* Rank 0 looks at the files; everyone gets its answer. */
  int nselected = 0, nskipped = 0;
  for (int r = 0; r < s->n; r++) {
    if (!sel[r]) continue;
    nselected++;
    if (rank0) {
      if (row_status(w, r) == ROW_DONE) {
        nskipped++;
        if (nskipped <= 20 && !opt->quiet)
          chs_log(CHS_LOG_INFO, "row %d (%s) already done, skipping", r, s->run[r]);
      } else {
        todo[r] = 1;
        char dir[2 * CHS_PATH_MAX], old[17];
        snprintf(dir, sizeof dir, "%s/%s", w->dir, s->run[r]);
        if (chs_run_state_of(dir, w->fp[r], old) == CHS_RUN_STALE)
          chs_log(CHS_LOG_WARN, "row %d (%s) finished with another configuration (fingerprint "
                  "%s, now %s: [set], the base config or a model file changed): running it again",
                  r, s->run[r], old[0] ? old : "unknown", w->fp[r]);
      }
    }
  }
  if (rank0 && nskipped > 20 && !opt->quiet)
    chs_log(CHS_LOG_INFO, "... %d rows already done in all, skipped", nskipped);
  chs_par_comm_max_int(NULL, todo, s->n);
  int n = 0;
  for (int r = 0; r < s->n; r++)
    if (todo[r]) items[n++] = r;

  /* The ensemble sees items 0..n-1; map them to rows. */
  const char **names = malloc(sizeof *names * (size_t)(n + 1));
  chs_status *status = calloc((size_t)n + 1, sizeof *status);
  chs_status st = names && status ? CHS_OK : chs_error(CHS_ERR_NOMEM, "out of memory");
  row_map m = {s, w, items};
  if (st == CHS_OK) {
    for (int i = 0; i < n; i++) names[i] = s->run[items[i]];
    chs_ensemble e = {.n = n, .groups = opt->jobs, .what = "row", .names = names,
                      .out_dir = w->dir, .command_line = opt->command_line, .quiet = opt->quiet,
                      .load = item_load, .finished = item_finished, .ctx = &m};
    st = chs_ensemble_run(&e, status);
  }
  if (st == CHS_OK) st = on_rank0(rank0 ? write_manifest(s, w, false) : CHS_OK, "update the manifest");
  if (st == CHS_OK) {
    int failed = 0, interrupted = 0;
    chs_status first = CHS_OK;
    char list[1024] = "";
    for (int i = 0; i < n; i++) {
      if (status[i] == CHS_ERR_INTERRUPTED) interrupted++;
      if (status[i] == CHS_OK || status[i] == CHS_ERR_INTERRUPTED) continue;
      if (!failed++) first = status[i];
      size_t used = strlen(list);
      if (used + 32 < sizeof list)
        snprintf(list + used, sizeof list - used, "%s%d (%s)", failed > 1 ? ", " : "", items[i],
                 s->run[items[i]]);
    }
    if (!opt->quiet)
      chs_log(CHS_LOG_INFO, "sweep %s: %d row(s) selected: %d already done, %d run now, %d failed%s; "
              "manifest %s/manifest.csv", s->name, nselected, nskipped, n - failed - interrupted,
              failed, interrupted ? ", the rest interrupted" : "", w->dir);
    if (interrupted)
      st = chs_error(CHS_ERR_INTERRUPTED, "sweep %s stopped by a signal with %d selected row(s) "
                     "not finished (pending); run it again to continue (done rows are skipped)",
                     s->name, interrupted);
    else if (failed)
      st = chs_error(first, "%d row(s) of sweep %s failed: %s; the reasons are in %s/status/ and "
                     "the log above; fix them and run the sweep again (done rows are skipped)",
                     failed, s->name, list, w->dir);
  }
  free(names);
  free(status);
  free(todo);
  free(items);
  return st;
}

chs_status chs_sweep(const char *sweep_path, const chs_sweep_options *opt)
{
  chs_sweep_spec s;
  chs_status st = chs_sweep_spec_read(sweep_path, opt->models_dir, &s);
  char root[CHS_PATH_MAX];
  char (*fp)[17] = st == CHS_OK ? calloc((size_t)s.n + 1, sizeof *fp) : NULL;
  if (st == CHS_OK && !fp) st = chs_error(CHS_ERR_NOMEM, "out of memory");
  if (st == CHS_OK) st = validate_rows(&s, root, sizeof root, fp);
  if (st != CHS_OK) {
    free(fp);
    chs_sweep_spec_free(&s);
    return st;
  }
  if (opt->out_dir) snprintf(root, sizeof root, "%s", opt->out_dir);
  where w = {.s = &s, .fp = fp};
  snprintf(w.dir, sizeof w.dir, "%s/%s", root, s.name);
  char *sel = malloc((size_t)s.n);
  st = sel ? select_rows(&s, opt->rows, sel) : chs_error(CHS_ERR_NOMEM, "out of memory");
  int rank0 = chs_par_world_rank() == 0;

  if (st == CHS_OK && opt->dry_run) {
    if (rank0) {
      char *text = manifest_text(&s, &w);
      if (text) fputs(text, stdout);
      free(text);
    }
  } else if (st == CHS_OK) {
    if (!opt->quiet)
      chs_log(CHS_LOG_INFO, "sweep %s: %d row(s) over %d key(s) from %s, base %s, results in %s/",
              s.name, s.n, s.nkeys, sweep_path, s.base, w.dir);
    char status_dir[sizeof w.dir + 16];
    snprintf(status_dir, sizeof status_dir, "%s/status", w.dir);
    chs_status mine = CHS_OK;
    if (rank0) {
      mine = chs_mkdir_p(status_dir);
      if (mine == CHS_OK) mine = write_manifest(&s, &w, true);
    }
    st = on_rank0(mine, "write the manifest");
    if (st == CHS_OK && opt->slurm) {
      if (rank0) {
        int ntodo = 0;
        for (int r = 0; r < s.n; r++) {
          sel[r] = sel[r] && row_status(&w, r) != ROW_DONE;
          ntodo += sel[r];
        }
        if (ntodo == 0)
          printf("sweep %s: all %s rows are done; nothing to submit (aggregate: /usr/bin/python3 "
                 "scripts/aggregate.py %s)\n", s.name, opt->rows ? "selected" : "", w.dir);
        else
          mine = write_slurm(&s, &w, sel, ntodo, root, opt);
      }
      st = on_rank0(mine, "write the Slurm scripts");
    } else if (st == CHS_OK)
      st = run_rows(&s, &w, sel, opt);
  }
  free(sel);
  free(fp);
  chs_sweep_spec_free(&s);
  return st;
}

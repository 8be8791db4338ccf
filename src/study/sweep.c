#define _DEFAULT_SOURCE /* realpath */
#include "study/sweep.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "par/par.h"
#include "study/ensemble.h"
#include "study/studyfile.h"

#define MAX_ROWS 100000
#define MAX_KEYS 64

typedef struct {
  chs_ini ini;
  const char *path;
  char name[CHS_STR_MAX];
  char base[CHS_PATH_MAX];
  int samples;   /* LHS samples (1 when there is no [lhs]) */
  uint64_t seed;
  int nkeys, ngrid_keys;           /* [values] keys first, then [lhs] keys */
  const chs_ini_entry *key[MAX_KEYS];
  char **grid[MAX_KEYS];           /* grid values of [values] key k */
  int ngrid[MAX_KEYS];
  int n;                           /* rows */
  char ***cell;                    /* cell[row][k]: the override value as text */
  char **run;                      /* run name of each row */
  int nset;
  char **set;                      /* [set] as "key=value" */
  /* [slurm] */
  int throttle, ntasks, cpus_per_task;
  char time[32], partition[64], account[64], mem[32], mpi[32];
  const char *models_dir;
} sweep;

static void sweep_free(sweep *s)
{
  for (int k = 0; k < s->ngrid_keys; k++) chs_ini_items_free(s->grid[k], s->ngrid[k]);
  for (int r = 0; s->cell && r < s->n; r++) {
    if (s->cell[r])
      for (int k = 0; k < s->nkeys; k++) free(s->cell[r][k]);
    free(s->cell[r]);
  }
  free(s->cell);
  for (int r = 0; s->run && r < s->n; r++) free(s->run[r]);
  free(s->run);
  for (int i = 0; i < s->nset; i++) free(s->set[i]);
  free(s->set);
  chs_ini_free(&s->ini);
}

/* ---------------------------------------------------------------- random numbers */

/* splitmix64 (Steele, Lea, Flood 2014): small, fast, and the same on every machine. */
static uint64_t splitmix64(uint64_t *state)
{
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Uniform in [0, 1) with 53 random bits. */
static double uniform01(uint64_t *state) { return (double)(splitmix64(state) >> 11) * 0x1.0p-53; }

/* ---------------------------------------------------------------- spec parsing */

static int is_int_key(const char *key)
{
  int idx = chs_param_index(key);
  return idx >= 0 && chs_param_table()[idx].type == CHS_PT_INT;
}

static char *number_text(const char *key, double v)
{
  char buf[64];
  if (is_int_key(key))
    snprintf(buf, sizeof buf, "%.0f", round(v));
  else
    snprintf(buf, sizeof buf, "%.6g", v);
  return strdup(buf);
}

/* "range(lo, hi, n)" or "logrange(lo, hi, n)" into n values; 0 if the text is neither. */
static chs_status parse_range(const sweep *s, const chs_ini_entry *e, int *matched)
{
  const char *v = e->value;
  int logscale = !strncmp(v, "logrange(", 9);
  *matched = logscale || !strncmp(v, "range(", 6);
  if (!*matched) return CHS_OK;
  const char *p = v + (logscale ? 9 : 6);
  char *end;
  double lo = strtod(p, &end);
  double hi = NAN;
  long n = 0;
  int ok = end != p && *end == ',';
  if (ok) {
    p = end + 1;
    hi = strtod(p, &end);
    ok = end != p && *end == ',';
  }
  if (ok) {
    p = end + 1;
    n = strtol(p, &end, 10);
    while (isspace((unsigned char)*end)) end++;
    ok = end != p && *end == ')' && end[1] == '\0';
  }
  if (!ok)
    return chs_error(CHS_ERR_CONFIG, "%s:%d [values] %s = %s: expected %s(lo, hi, n)", s->path,
                     e->line, e->key, v, logscale ? "logrange" : "range");
  if (n < 1 || n > MAX_ROWS)
    return chs_error(CHS_ERR_CONFIG, "%s:%d [values] %s = %s: n = %ld points; allowed 1 to %d",
                     s->path, e->line, e->key, v, n, MAX_ROWS);
  if (!(lo <= hi) || !isfinite(lo) || !isfinite(hi))
    return chs_error(CHS_ERR_CONFIG, "%s:%d [values] %s = %s: needs lo <= hi", s->path, e->line,
                     e->key, v);
  if (logscale && !(lo > 0))
    return chs_error(CHS_ERR_CONFIG, "%s:%d [values] %s = %s: logrange needs lo > 0", s->path,
                     e->line, e->key, v);
  return CHS_OK;
}

static chs_status grid_values(sweep *s, const chs_ini_entry *e, int k)
{
  int matched;
  CHS_CHECK(parse_range(s, e, &matched));
  if (!matched) {
    char where[CHS_PATH_MAX + 200];
    snprintf(where, sizeof where, "%s:%d [values] %s", s->path, e->line, e->key);
    CHS_CHECK(chs_ini_split(e->value, where, &s->grid[k], &s->ngrid[k]));
    if (s->ngrid[k] == 0) return chs_error(CHS_ERR_CONFIG, "%s: no values", where);
    return CHS_OK;
  }
  int logscale = e->value[0] == 'l';
  const char *p = strchr(e->value, '(') + 1;
  char *end;
  double lo = strtod(p, &end), hi = strtod(end + 1, &end);
  int n = (int)strtol(end + 1, NULL, 10);
  s->grid[k] = calloc((size_t)n, sizeof *s->grid[k]);
  if (!s->grid[k]) return chs_error(CHS_ERR_NOMEM, "out of memory");
  s->ngrid[k] = n;
  for (int i = 0; i < n; i++) {
    double x = n == 1 ? 0.0 : (double)i / (double)(n - 1), v;
    if (logscale)
      v = i == n - 1 && n > 1 ? hi : pow(10.0, log10(lo) + x * (log10(hi) - log10(lo)));
    else
      v = i == n - 1 && n > 1 ? hi : lo + x * (hi - lo);
    if (!(s->grid[k][i] = number_text(e->key, v))) return chs_error(CHS_ERR_NOMEM, "out of memory");
  }
  return CHS_OK;
}

typedef struct {
  double lo, hi;
  int logscale;
} lhs_range;

static chs_status lhs_bounds(const sweep *s, const chs_ini_entry *e, lhs_range *b)
{
  char **items = NULL;
  int n = 0;
  char where[CHS_PATH_MAX + 200];
  snprintf(where, sizeof where, "%s:%d [lhs] %s", s->path, e->line, e->key);
  CHS_CHECK(chs_ini_split(e->value, where, &items, &n));
  b->logscale = n == 3 && !strcmp(items[0], "log");
  int first = b->logscale ? 1 : 0;
  chs_status st = CHS_OK;
  char *end1 = NULL, *end2 = NULL;
  if (n != 2 + first)
    st = chs_error(CHS_ERR_CONFIG, "%s = %s: expected 'lo hi' or 'log lo hi'", where, e->value);
  else {
    b->lo = strtod(items[first], &end1);
    b->hi = strtod(items[first + 1], &end2);
    if (*end1 || *end2 || end1 == items[first] || end2 == items[first + 1])
      st = chs_error(CHS_ERR_CONFIG, "%s = %s: lo and hi must be numbers", where, e->value);
    else if (!(b->lo < b->hi))
      st = chs_error(CHS_ERR_CONFIG, "%s = %s: needs lo < hi", where, e->value);
    else if (b->logscale && !(b->lo > 0))
      st = chs_error(CHS_ERR_CONFIG, "%s = %s: a log range needs lo > 0", where, e->value);
    else {
      st = chs_override_check(&s->ini, e, e->key, items[first]);
      if (st == CHS_OK) st = chs_override_check(&s->ini, e, e->key, items[first + 1]);
    }
  }
  chs_ini_items_free(items, n);
  return st;
}

/* Latin hypercube: for each key a random permutation of the n strata and a uniform point
 * inside each stratum; so every one of the n equal slices of every key's range (in log
 * for log keys) holds exactly one sample. */
static chs_status lhs_fill(sweep *s, const lhs_range *b, char ***samples)
{
  uint64_t state = s->seed;
  int n = s->samples, nl = s->nkeys - s->ngrid_keys;
  int *perm = malloc(sizeof *perm * (size_t)n);
  if (!perm) return chs_error(CHS_ERR_NOMEM, "out of memory");
  for (int j = 0; j < nl; j++) {
    for (int i = 0; i < n; i++) perm[i] = i;
    for (int i = n - 1; i > 0; i--) { /* Fisher-Yates */
      int r = (int)(uniform01(&state) * (double)(i + 1));
      int t = perm[i];
      perm[i] = perm[r];
      perm[r] = t;
    }
    const char *key = s->key[s->ngrid_keys + j]->key;
    for (int i = 0; i < n; i++) {
      double x = ((double)perm[i] + uniform01(&state)) / (double)n, v;
      if (b[j].logscale)
        v = pow(10.0, log10(b[j].lo) + x * (log10(b[j].hi) - log10(b[j].lo)));
      else
        v = b[j].lo + x * (b[j].hi - b[j].lo);
      if (!(samples[i][j] = number_text(key, v))) {
        free(perm);
        return chs_error(CHS_ERR_NOMEM, "out of memory");
      }
    }
  }
  free(perm);
  return CHS_OK;
}

static chs_status parse_int_key(const sweep *s, const char *section, const char *key, int lo,
                                int hi, int def, int *out)
{
  const chs_ini_entry *e = chs_ini_find(&s->ini, section, key);
  *out = def;
  if (!e) return CHS_OK;
  char *end;
  long v = strtol(e->value, &end, 10);
  if (end == e->value || *end || v < lo || v > hi)
    return chs_error(CHS_ERR_CONFIG, "%s:%d [%s] %s = '%s': allowed a whole number from %d to %d",
                     s->path, e->line, section, key, e->value, lo, hi);
  *out = (int)v;
  return CHS_OK;
}

static chs_status parse_text_key(const sweep *s, const char *section, const char *key,
                                 const char *def, char *out, size_t len)
{
  const chs_ini_entry *e = chs_ini_find(&s->ini, section, key);
  const char *v = e ? e->value : def;
  for (const char *p = v; *p; p++)
    if (!isalnum((unsigned char)*p) && !strchr(":-_.,", *p))
      return chs_error(CHS_ERR_CONFIG, "%s:%d [%s] %s = '%s': allowed letters, digits and : - _ . ,",
                       s->path, e ? e->line : 0, section, key, v);
  if (strlen(v) >= len)
    return chs_error(CHS_ERR_CONFIG, "%s:%d [%s] %s is too long", s->path, e ? e->line : 0,
                     section, key);
  snprintf(out, len, "%s", v);
  return CHS_OK;
}

static chs_status parse_sweep(const char *path, const char *models_dir, sweep *s)
{
  memset(s, 0, sizeof *s);
  s->path = path;
  s->models_dir = models_dir;
  CHS_CHECK(chs_ini_read(path, &s->ini));
  const chs_ini *ini = &s->ini;
  CHS_CHECK(chs_ini_check_sections(ini, "sweep|values|lhs|set|slurm"));
  CHS_CHECK(chs_ini_check_keys(ini, "sweep", "name|base|samples|seed"));
  CHS_CHECK(chs_ini_check_keys(ini, "slurm", "throttle|time|ntasks|cpus_per_task|partition|account|mem|mpi"));

  const chs_ini_entry *e = chs_ini_find(ini, "sweep", "name");
  if (e && *e->value) snprintf(s->name, sizeof s->name, "%s", e->value);
  else chs_path_stem(path, s->name, sizeof s->name);
  for (const char *p = s->name; *p; p++)
    if (!isalnum((unsigned char)*p) && !strchr("._+-", *p))
      return chs_error(CHS_ERR_CONFIG, "%s:%d [sweep] name = '%s': use letters, digits and . _ + - "
                       "only (it names a directory)", path, e ? e->line : 0, s->name);
  e = chs_ini_find(ini, "sweep", "base");
  if (!e || !*e->value)
    return chs_error(CHS_ERR_CONFIG, "%s: [sweep] base is missing: name the run config every "
                     "row starts from (a path relative to the sweep file)", path);
  chs_path_beside(path, e->value, s->base, sizeof s->base);
  if (access(s->base, R_OK) != 0)
    return chs_error(CHS_ERR_CONFIG, "%s:%d [sweep] base = %s: cannot read %s", path, e->line,
                     e->value, s->base);
  e = chs_ini_find(ini, "sweep", "seed");
  s->seed = 1;
  if (e) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(e->value, &end, 10);
    if (end == e->value || *end || errno || e->value[0] == '-')
      return chs_error(CHS_ERR_CONFIG, "%s:%d [sweep] seed = '%s': allowed a whole number from 0 "
                       "to %llu", path, e->line, e->value, (unsigned long long)UINT64_MAX);
    s->seed = (uint64_t)v;
  }
  CHS_CHECK(parse_int_key(s, "slurm", "throttle", 1, 100000, 4, &s->throttle));
  CHS_CHECK(parse_int_key(s, "slurm", "ntasks", 1, 100000, 1, &s->ntasks));
  CHS_CHECK(parse_int_key(s, "slurm", "cpus_per_task", 1, 100000, 1, &s->cpus_per_task));
  CHS_CHECK(parse_text_key(s, "slurm", "time", "01:00:00", s->time, sizeof s->time));
  CHS_CHECK(parse_text_key(s, "slurm", "partition", "", s->partition, sizeof s->partition));
  CHS_CHECK(parse_text_key(s, "slurm", "account", "", s->account, sizeof s->account));
  CHS_CHECK(parse_text_key(s, "slurm", "mem", "", s->mem, sizeof s->mem));
  CHS_CHECK(parse_text_key(s, "slurm", "mpi", "", s->mpi, sizeof s->mpi));

  /* Keys: [values] first, then [lhs]; [set] collected as overrides. */
  s->set = calloc((size_t)ini->n + 1, sizeof *s->set);
  if (!s->set) return chs_error(CHS_ERR_NOMEM, "out of memory");
  lhs_range bounds[MAX_KEYS];
  long grid_rows = 1;
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < ini->n; i++) {
      e = &ini->e[i];
      if (pass == 0 && !strcmp(e->section, "set")) {
        CHS_CHECK(chs_override_check(ini, e, e->key, e->value));
        if (!(s->set[s->nset] = malloc(strlen(e->key) + strlen(e->value) + 2)))
          return chs_error(CHS_ERR_NOMEM, "out of memory");
        sprintf(s->set[s->nset++], "%s=%s", e->key, e->value);
        continue;
      }
      if (strcmp(e->section, pass == 0 ? "values" : "lhs")) continue;
      if (s->nkeys == MAX_KEYS)
        return chs_error(CHS_ERR_CONFIG, "%s:%d: more than %d swept keys", path, e->line, MAX_KEYS);
      if (!strcmp(e->key, "output.dir"))
        return chs_error(CHS_ERR_CONFIG, "%s:%d [%s] output.dir cannot vary within a sweep", path,
                         e->line, e->section);
      for (int k = 0; k < s->nkeys; k++)
        if (!strcmp(s->key[k]->key, e->key))
          return chs_error(CHS_ERR_CONFIG, "%s:%d [%s] %s is already swept on line %d", path,
                           e->line, e->section, e->key, s->key[k]->line);
      int k = s->nkeys++;
      s->key[k] = e;
      if (pass == 0) {
        s->ngrid_keys++;
        CHS_CHECK(grid_values(s, e, k));
        for (int j = 0; j < s->ngrid[k]; j++) CHS_CHECK(chs_override_check(ini, e, e->key, s->grid[k][j]));
        grid_rows *= s->ngrid[k];
        if (grid_rows > MAX_ROWS)
          return chs_error(CHS_ERR_CONFIG, "%s:%d: the sweep has more than %d rows", path, e->line,
                           MAX_ROWS);
      } else
        CHS_CHECK(lhs_bounds(s, e, &bounds[k - s->ngrid_keys]));
    }
  int nlhs = s->nkeys - s->ngrid_keys;
  e = chs_ini_find(ini, "sweep", "samples");
  if (nlhs > 0 && !e)
    return chs_error(CHS_ERR_CONFIG, "%s: [lhs] needs [sweep] samples = N (the number of Latin "
                     "hypercube samples)", path);
  if (nlhs == 0 && e)
    return chs_error(CHS_ERR_CONFIG, "%s:%d [sweep] samples is for Latin hypercube sampling, but "
                     "there is no [lhs] section", path, e->line);
  CHS_CHECK(parse_int_key(s, "sweep", "samples", 1, MAX_ROWS, 1, &s->samples));
  if (s->nkeys == 0)
    return chs_error(CHS_ERR_CONFIG, "%s: nothing to sweep: add a [values] or [lhs] section", path);
  if (grid_rows * s->samples > MAX_ROWS)
    return chs_error(CHS_ERR_CONFIG, "%s: the sweep has %ld rows; allowed at most %d", path,
                     grid_rows * s->samples, MAX_ROWS);

  /* The rows. */
  s->n = (int)grid_rows * s->samples;
  s->cell = calloc((size_t)s->n, sizeof *s->cell);
  s->run = calloc((size_t)s->n, sizeof *s->run);
  char ***lhs = calloc((size_t)s->samples, sizeof *lhs);
  if (!s->cell || !s->run || !lhs) {
    free(lhs);
    return chs_error(CHS_ERR_NOMEM, "out of memory");
  }
  chs_status st = CHS_OK;
  for (int i = 0; i < s->samples && st == CHS_OK; i++)
    if (!(lhs[i] = calloc((size_t)nlhs + 1, sizeof **lhs))) st = chs_error(CHS_ERR_NOMEM, "out of memory");
  if (st == CHS_OK && nlhs > 0) st = lhs_fill(s, bounds, lhs);
  int width = 4;
  for (int m = s->n - 1; m >= 10000; m /= 10) width++;
  for (int r = 0; r < s->n && st == CHS_OK; r++) {
    char name[32];
    snprintf(name, sizeof name, "r%0*d", width, r);
    s->run[r] = strdup(name);
    s->cell[r] = calloc((size_t)s->nkeys, sizeof **s->cell);
    if (!s->run[r] || !s->cell[r]) {
      st = chs_error(CHS_ERR_NOMEM, "out of memory");
      break;
    }
    int g = r / s->samples, sample = r % s->samples;
    for (int k = s->ngrid_keys - 1; k >= 0; k--) { /* the first key varies slowest */
      s->cell[r][k] = strdup(s->grid[k][g % s->ngrid[k]]);
      g /= s->ngrid[k];
    }
    for (int j = 0; j < nlhs; j++) s->cell[r][s->ngrid_keys + j] = strdup(lhs[sample][j]);
    for (int k = 0; k < s->nkeys; k++)
      if (!s->cell[r][k]) st = chs_error(CHS_ERR_NOMEM, "out of memory");
  }
  for (int i = 0; i < s->samples; i++) {
    for (int j = 0; lhs[i] && j < nlhs; j++) free(lhs[i][j]);
    free(lhs[i]);
  }
  free(lhs);
  return st;
}

static chs_status row_load(void *ctx, int r, chs_config *cfg)
{
  sweep *s = ctx;
  int nset = s->nset + s->nkeys;
  char **sets = calloc((size_t)nset, sizeof *sets);
  if (!sets) return chs_error(CHS_ERR_NOMEM, "out of memory");
  chs_status st = CHS_OK;
  for (int j = 0; j < s->nset; j++) sets[j] = s->set[j];
  for (int k = 0; k < s->nkeys && st == CHS_OK; k++) {
    const char *key = s->key[k]->key, *v = s->cell[r][k];
    if (!(sets[s->nset + k] = malloc(strlen(key) + strlen(v) + 2)))
      st = chs_error(CHS_ERR_NOMEM, "out of memory");
    else
      sprintf(sets[s->nset + k], "%s=%s", key, v);
  }
  if (st == CHS_OK) st = chs_item_load(cfg, s->base, s->models_dir, nset, sets, s->run[r]);
  if (st != CHS_OK) {
    char label[64];
    snprintf(label, sizeof label, "%d (%s)", r, s->run[r]);
    st = chs_override_blame(st, &s->ini, "row", label);
  }
  for (int k = 0; k < s->nkeys; k++) free(sets[s->nset + k]);
  free(sets);
  return st;
}

/* ---------------------------------------------------------------- manifest */

typedef enum { ROW_PENDING, ROW_DONE, ROW_FAILED } row_state;
static const char *state_name[] = {"pending", "done", "failed"};

typedef struct {
  const sweep *s;
  char dir[CHS_PATH_MAX]; /* results/<sweep> */
} where;

static void row_file(const where *w, int r, const char *file, char *out, size_t len)
{
  if (!strcmp(file, "failed"))
    snprintf(out, len, "%s/status/%s.failed", w->dir, w->s->run[r]);
  else
    snprintf(out, len, "%s/%s/%s", w->dir, w->s->run[r], file);
}

static row_state row_status(const where *w, int r)
{
  char path[CHS_PATH_MAX + 256];
  row_file(w, r, "summary.csv", path, sizeof path);
  if (access(path, F_OK) == 0) return ROW_DONE;
  row_file(w, r, "failed", path, sizeof path);
  return access(path, F_OK) == 0 ? ROW_FAILED : ROW_PENDING;
}

/* The manifest text; statuses from the files when `w` is given, else all pending. */
static char *manifest_text(const sweep *s, const where *w)
{
  size_t cap = 256, n = 0;
  for (int k = 0; k < s->nkeys; k++) cap += strlen(s->key[k]->key) + 4;
  for (int r = 0; r < s->n; r++) {
    cap += 48 + strlen(s->run[r]);
    for (int k = 0; k < s->nkeys; k++) cap += 2 * strlen(s->cell[r][k]) + 4;
  }
  char *out = malloc(cap), field[1024];
  if (!out) return NULL;
#define PUT(...) n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__)
  PUT("row,run,status");
  for (int k = 0; k < s->nkeys; k++) PUT(",%s", s->key[k]->key);
  PUT("\n");
  for (int r = 0; r < s->n; r++) {
    PUT("%d,%s,%s", r, s->run[r], state_name[w ? row_status(w, r) : ROW_PENDING]);
    for (int k = 0; k < s->nkeys; k++) PUT(",%s", chs_csv_field(s->cell[r][k], field, sizeof field));
    PUT("\n");
  }
#undef PUT
  return out;
}

/* An existing manifest must describe the same rows (its statuses may differ). */
static chs_status check_old_manifest(const sweep *s, const char *path, const char *fresh)
{
  FILE *f = fopen(path, "r");
  if (!f) return CHS_OK;
  char *line = NULL;
  size_t cap = 0;
  const char *p = fresh;
  int lineno = 0;
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
    char *a[MAX_KEYS + 3], *b[MAX_KEYS + 3];
    char *old = line, *new = strndup(p, (size_t)(nl - p));
    int na = chs_csv_split(old, a, MAX_KEYS + 3), nb = new ? chs_csv_split(new, b, MAX_KEYS + 3) : -1;
    int same = na == nb;
    for (int i = 0; same && i < na; i++)
      if (i != 2 || lineno == 1) same = !strcmp(a[i], b[i]); /* column 2 is the status */
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
  char path[CHS_PATH_MAX + 32];
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
static chs_status write_manifest(const sweep *s, const where *w, bool check)
{
  char path[CHS_PATH_MAX + 32];
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

static chs_status select_rows(const sweep *s, const char *spec, char *sel)
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

/* ---------------------------------------------------------------- Slurm scripts */

/* s in single quotes for a shell script. */
static void shell_quote(const char *s, char *out, size_t len)
{
  size_t n = 0;
  if (n + 1 < len) out[n++] = '\'';
  for (const char *p = s; *p && n + 5 < len; p++) {
    if (*p == '\'') {
      memcpy(out + n, "'\\''", 4);
      n += 4;
    } else
      out[n++] = *p;
  }
  if (n + 1 < len) out[n++] = '\'';
  out[n] = '\0';
}

static char *read_text(const char *path)
{
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += got;
    if (n + 1 == cap) {
      char *g = realloc(buf, cap *= 2);
      if (!g) {
        free(buf);
        buf = NULL;
      }
      buf = g;
    }
  }
  fclose(f);
  if (buf) buf[n] = '\0';
  return buf;
}

typedef struct {
  const char *name, *value;
} subst;

/* The template with every @NAME@ replaced; an unknown @NAME@ is an error. */
static chs_status fill_template(const char *path, const subst *v, int nv, char **out)
{
  char *t = read_text(path);
  if (!t) return chs_error(CHS_ERR_IO, "cannot read the Slurm template %s: %s (set "
                           "CHONDROSIM_SCRIPTS to the scripts/ directory)", path, strerror(errno));
  size_t cap = strlen(t) + 1;
  for (int i = 0; i < nv; i++) cap += 8 * (strlen(v[i].value) + 1);
  char *r = malloc(cap);
  if (!r) {
    free(t);
    return chs_error(CHS_ERR_NOMEM, "out of memory");
  }
  size_t n = 0;
  chs_status st = CHS_OK;
  for (const char *p = t; *p && st == CHS_OK;) {
    const char *close = *p == '@' ? strchr(p + 1, '@') : NULL;
    int matched = 0;
    if (close) {
      for (int i = 0; i < nv && !matched; i++)
        if ((size_t)(close - p - 1) == strlen(v[i].name) && !strncmp(p + 1, v[i].name, strlen(v[i].name))) {
          size_t len = strlen(v[i].value);
          if (n + len + 1 >= cap) {
            st = chs_error(CHS_ERR_INTERNAL, "%s: template too large", path);
            break;
          }
          memcpy(r + n, v[i].value, len);
          n += len;
          p = close + 1;
          matched = 1;
        }
      int word = close - p > 1;
      for (const char *q = p + 1; !matched && q < close; q++)
        word = word && (isupper((unsigned char)*q) || *q == '_');
      if (!matched && word)
        st = chs_error(CHS_ERR_CONFIG, "%s: unknown placeholder %.*s", path, (int)(close - p + 1), p);
      if (matched) continue;
    }
    if (n + 2 >= cap) {
      st = chs_error(CHS_ERR_INTERNAL, "%s: template too large", path);
      break;
    }
    r[n++] = *p++;
  }
  r[n] = '\0';
  free(t);
  if (st != CHS_OK) {
    free(r);
    return st;
  }
  *out = r;
  return CHS_OK;
}

static chs_status write_script(const char *path, const char *text)
{
  CHS_CHECK(chs_write_file_atomic(path, text));
  if (chmod(path, 0755) != 0) return chs_error(CHS_ERR_IO, "chmod %s: %s", path, strerror(errno));
  return CHS_OK;
}

static chs_status write_slurm(const sweep *s, const where *w, const char *todo, int ntodo,
                              const char *root, const chs_sweep_options *opt)
{
  char exe[PATH_MAX], sweep_file[PATH_MAX], work[PATH_MAX], dir[PATH_MAX], rootabs[PATH_MAX],
      models[PATH_MAX] = "";
  if (!realpath("/proc/self/exe", exe) || !realpath(s->path, sweep_file) || !getcwd(work, sizeof work) ||
      !realpath(w->dir, dir) || !realpath(root, rootabs))
    return chs_error(CHS_ERR_IO, "cannot resolve the paths for the Slurm scripts: %s", strerror(errno));
  if (opt->models_dir && !realpath(opt->models_dir, models))
    return chs_error(CHS_ERR_IO, "--models %s: %s", opt->models_dir, strerror(errno));

  char array[8192], ranges[8000];
  array_spec(todo, s->n, ranges, sizeof ranges);
  snprintf(array, sizeof array, "%s%%%d", ranges, s->throttle);
  char q_exe[PATH_MAX * 4 + 8], q_sweep[PATH_MAX * 4 + 8], q_work[PATH_MAX * 4 + 8],
      q_dir[PATH_MAX * 4 + 8], q_logs[PATH_MAX * 4 + 16], q_root[PATH_MAX * 4 + 8],
      q_models[PATH_MAX * 4 + 8], q_agg[PATH_MAX * 4 + 40];
  char logs[PATH_MAX + 8], scripts[CHS_PATH_MAX], agg[CHS_PATH_MAX + 32];
  snprintf(logs, sizeof logs, "%s/logs", dir);
  CHS_CHECK(chs_mkdir_p(logs));
  chs_scripts_dir(scripts, sizeof scripts);
  snprintf(agg, sizeof agg, "%s/aggregate.py", scripts);
  shell_quote(exe, q_exe, sizeof q_exe);
  shell_quote(sweep_file, q_sweep, sizeof q_sweep);
  shell_quote(work, q_work, sizeof q_work);
  shell_quote(dir, q_dir, sizeof q_dir);
  shell_quote(logs, q_logs, sizeof q_logs);
  shell_quote(rootabs, q_root, sizeof q_root);
  shell_quote(models, q_models, sizeof q_models);
  shell_quote(agg, q_agg, sizeof q_agg);

  char args[PATH_MAX * 8 + 64];
  snprintf(args, sizeof args, "--out %s%s%s%s", q_root, models[0] ? " --models " : "",
           models[0] ? q_models : "", opt->quiet ? " --quiet" : "");
  char extra[512] = "", ntasks[16], cpus[16], launch[64];
  if (s->partition[0]) snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "#SBATCH --partition=%s\n", s->partition);
  if (s->account[0]) snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "#SBATCH --account=%s\n", s->account);
  if (s->mem[0]) snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "#SBATCH --mem=%s\n", s->mem);
  snprintf(ntasks, sizeof ntasks, "%d", s->ntasks);
  snprintf(cpus, sizeof cpus, "%d", s->cpus_per_task);
  /* One rank: run the binary directly (a singleton needs no PMI); more: srun with PMI. */
  if (s->ntasks == 1)
    snprintf(launch, sizeof launch, "%s", "");
  else
    snprintf(launch, sizeof launch, "srun --mpi=%s --cpus-per-task=%d ", s->mpi[0] ? s->mpi : "pmix",
             s->cpus_per_task);
  subst v[] = {
      {"JOB_NAME", s->name}, {"ARRAY", array}, {"NTASKS", ntasks}, {"CPUS_PER_TASK", cpus},
      {"TIME", s->time}, {"LOG_DIR", logs}, {"WORK_DIR", work}, {"EXTRA_SBATCH", extra},
      {"LAUNCH", launch}, {"CHONDROSIM", q_exe}, {"SWEEP_FILE", q_sweep}, {"SWEEP_ARGS", args},
      {"PYTHON", "/usr/bin/python3"}, {"AGGREGATE", q_agg}, {"SWEEP_DIR", q_dir},
  };
  int nv = (int)(sizeof v / sizeof v[0]);
  char tpl[CHS_PATH_MAX + 64], path[PATH_MAX + 32];
  char *text = NULL;
  snprintf(tpl, sizeof tpl, "%s/slurm/sweep.sbatch", scripts);
  CHS_CHECK(fill_template(tpl, v, nv, &text));
  snprintf(path, sizeof path, "%s/sweep.sbatch", dir);
  chs_status st = write_script(path, text);
  free(text);
  CHS_CHECK(st);
  snprintf(tpl, sizeof tpl, "%s/slurm/collect.sbatch", scripts);
  CHS_CHECK(fill_template(tpl, v, nv, &text));
  snprintf(path, sizeof path, "%s/collect.sbatch", dir);
  st = write_script(path, text);
  free(text);
  CHS_CHECK(st);

  char submit[4 * PATH_MAX + 2048];
  snprintf(submit, sizeof submit,
           "#!/bin/bash\n"
           "# Submits sweep %s: the array job (rows %s, at most %d at once), then the collector,\n"
           "# which runs after every task has ended (afterany) and exits non-zero if rows are\n"
           "# missing. Written by `chondrosim sweep --slurm`.\n"
           "set -euo pipefail\n"
           "cd %s\n"
           "jid=$(sbatch --parsable sweep.sbatch)\n"
           "jid=${jid%%%%;*}\n"
           "cid=$(sbatch --parsable --dependency=afterany:$jid collect.sbatch)\n"
           "cid=${cid%%%%;*}\n"
           "echo \"sweep %s: array job $jid (%d rows), collector $cid\"\n"
           "echo \"$jid $cid\" > %s/last_submit\n",
           s->name, ranges, s->throttle, q_dir, s->name, ntodo, q_dir);
  snprintf(path, sizeof path, "%s/submit.sh", dir);
  CHS_CHECK(write_script(path, submit));

  printf("sweep %s: %d of %d rows to run: --array=%s\n", s->name, ntodo, s->n, array);
  printf("wrote %s/sweep.sbatch, %s/collect.sbatch and %s/submit.sh\n", dir, dir, dir);
  printf("submit both (the collector after the array, afterany):\n  bash %s/submit.sh\n", dir);
  printf("or by hand:\n  jid=$(sbatch --parsable %s/sweep.sbatch)\n"
         "  sbatch --dependency=afterany:${jid%%%%;*} %s/collect.sbatch\n", dir, dir);
  if (s->n > 1001)
    printf("note: Slurm's default MaxArraySize is 1001 (indices 0-1000); ask your site or split "
           "the sweep with --rows\n");
  fflush(stdout);
  return CHS_OK;
}

/* ---------------------------------------------------------------- running */

static void row_finished(void *ctx, int r, chs_status st, const char *message, double seconds)
{
  const where *w = ctx;
  char path[CHS_PATH_MAX + 256];
  row_file(w, r, "failed", path, sizeof path);
  if (st == CHS_OK) {
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

static chs_status validate_rows(sweep *s, char *root, size_t len)
{
  chs_config *cfg = malloc(sizeof *cfg);
  if (!cfg) return chs_error(CHS_ERR_NOMEM, "out of memory");
  chs_status st = CHS_OK;
  for (int r = 0; r < s->n && st == CHS_OK; r++) {
    st = row_load(s, r, cfg);
    if (st == CHS_OK && r == 0) snprintf(root, len, "%s", cfg->output_dir);
  }
  free(cfg);
  return st;
}

/* The ensemble runs items 0..n-1; these map them to rows. */
typedef struct {
  sweep *s;
  where *w;
  const int *items;
} row_map;

static chs_status item_load(void *ctx, int i, chs_config *cfg)
{
  row_map *m = ctx;
  return row_load(m->s, m->items[i], cfg);
}

static void item_finished(void *ctx, int i, chs_status st, const char *msg, double secs)
{
  row_map *m = ctx;
  row_finished(m->w, m->items[i], st, msg, secs);
}

static chs_status run_rows(sweep *s, where *w, const char *sel, const chs_sweep_options *opt)
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
      } else
        todo[r] = 1;
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
    int failed = 0;
    chs_status first = CHS_OK;
    char list[1024] = "";
    for (int i = 0; i < n; i++)
      if (status[i] != CHS_OK) {
        if (!failed++) first = status[i];
        size_t used = strlen(list);
        if (used + 32 < sizeof list)
          snprintf(list + used, sizeof list - used, "%s%d (%s)", failed > 1 ? ", " : "", items[i],
                   s->run[items[i]]);
      }
    if (!opt->quiet)
      chs_log(CHS_LOG_INFO, "sweep %s: %d row(s) selected: %d already done, %d run now, %d failed; "
              "manifest %s/manifest.csv", s->name, nselected, nskipped, n - failed, failed, w->dir);
    if (failed)
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
  sweep s;
  chs_status st = parse_sweep(sweep_path, opt->models_dir, &s);
  char root[CHS_PATH_MAX];
  if (st == CHS_OK) st = validate_rows(&s, root, sizeof root);
  if (st != CHS_OK) {
    sweep_free(&s);
    return st;
  }
  if (opt->out_dir) snprintf(root, sizeof root, "%s", opt->out_dir);
  where w = {.s = &s};
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
    char status_dir[CHS_PATH_MAX + 16];
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
  sweep_free(&s);
  return st;
}

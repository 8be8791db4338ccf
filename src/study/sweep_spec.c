#define _POSIX_C_SOURCE 200809L
#include "study/sweep_spec.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ROWS CHS_SWEEP_MAX_ROWS
#define MAX_KEYS CHS_SWEEP_MAX_KEYS

void chs_sweep_spec_free(chs_sweep_spec *s)
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
  chs_ini_free(&s->design_cols);
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
static chs_status parse_range(const chs_sweep_spec *s, const chs_ini_entry *e, int *matched)
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

static chs_status grid_values(chs_sweep_spec *s, const chs_ini_entry *e, int k)
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

static chs_status lhs_bounds(const chs_sweep_spec *s, const chs_ini_entry *e, lhs_range *b)
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
static chs_status lhs_fill(chs_sweep_spec *s, const lhs_range *b, char ***samples)
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

/* ---------------------------------------------------------------- external design */

/* [sweep] design = FILE.csv: the header names config keys (appended to s->key after the
 * [values] keys); every following non-empty line is one sample, its values checked like
 * any override (messages name the CSV file, its line and the key). */
static chs_status design_read(chs_sweep_spec *s, const chs_ini_entry *de, char ****samples_out)
{
  chs_path_beside(s->path, de->value, s->design, sizeof s->design);
  FILE *f = fopen(s->design, "r");
  if (!f)
    return chs_error(CHS_ERR_CONFIG, "%s:%d [sweep] design = %s: cannot read %s: %s", s->path,
                     de->line, de->value, s->design, strerror(errno));
  chs_ini *cols = &s->design_cols;
  cols->path = s->design;
  char *line = NULL, *fields[MAX_KEYS + 1];
  size_t cap = 0;
  int lineno = 0, ncols = 0, n = 0, ncap = 0;
  char ***rows = NULL;
  chs_status st = CHS_OK;
  while (st == CHS_OK && getline(&line, &cap, f) >= 0) {
    lineno++;
    if (line[strspn(line, " \t\r\n")] == '\0') continue;
    int nf = chs_csv_split(line, fields, MAX_KEYS + 1);
    if (ncols == 0) { /* the header */
      if (nf > MAX_KEYS || nf > MAX_KEYS - s->nkeys) {
        st = chs_error(CHS_ERR_CONFIG, "%s:%d: more than %d columns", s->design, lineno, MAX_KEYS);
        break;
      }
      if (!(cols->e = calloc((size_t)nf, sizeof *cols->e))) st = chs_error(CHS_ERR_NOMEM, "out of memory");
      for (int c = 0; c < nf && st == CHS_OK; c++) {
        chs_ini_entry *e = &cols->e[cols->n++];
        snprintf(e->section, sizeof e->section, "design");
        snprintf(e->key, sizeof e->key, "%s", fields[c]);
        e->line = lineno;
        if (!(e->value = strdup(""))) st = chs_error(CHS_ERR_NOMEM, "out of memory");
        else if (chs_param_index(e->key) < 0 || !strcmp(e->key, "run.name"))
          st = chs_override_check(cols, e, e->key, "");
        else if (!strcmp(e->key, "output.dir"))
          st = chs_error(CHS_ERR_CONFIG, "%s:%d: column output.dir cannot vary within a sweep",
                         s->design, lineno);
        for (int k = 0; k < s->nkeys + c && st == CHS_OK; k++) {
          const char *other = k < s->nkeys ? s->key[k]->key : cols->e[k - s->nkeys].key;
          if (!strcmp(other, e->key))
            st = chs_error(CHS_ERR_CONFIG, "%s:%d: column %s is already swept%s", s->design, lineno,
                           e->key, k < s->nkeys ? " in [values]" : " (a repeated column)");
        }
      }
      ncols = nf;
      continue;
    }
    if (nf != ncols) {
      st = chs_error(CHS_ERR_CONFIG, "%s:%d: %d field(s), the header has %d", s->design, lineno, nf,
                     ncols);
      break;
    }
    if (n == ncap) {
      ncap = ncap ? 2 * ncap : 64;
      char ***g = realloc(rows, sizeof *g * (size_t)ncap);
      if (!g) {
        st = chs_error(CHS_ERR_NOMEM, "out of memory");
        break;
      }
      rows = g;
    }
    if (n == MAX_ROWS) {
      st = chs_error(CHS_ERR_CONFIG, "%s: more than %d rows", s->design, MAX_ROWS);
      break;
    }
    if (!(rows[n] = calloc((size_t)ncols + 1, sizeof **rows))) {
      st = chs_error(CHS_ERR_NOMEM, "out of memory");
      break;
    }
    n++;
    for (int c = 0; c < ncols && st == CHS_OK; c++) {
      chs_ini_entry at = cols->e[c];
      at.line = lineno;
      st = chs_override_check(cols, &at, at.key, fields[c]);
      if (st == CHS_OK && !(rows[n - 1][c] = strdup(fields[c]))) st = chs_error(CHS_ERR_NOMEM, "out of memory");
    }
  }
  free(line);
  fclose(f);
  if (st == CHS_OK && ncols == 0)
    st = chs_error(CHS_ERR_CONFIG, "%s: empty design (expected a header of config keys)", s->design);
  if (st == CHS_OK && n == 0)
    st = chs_error(CHS_ERR_CONFIG, "%s: the design has a header but no rows", s->design);
  if (st != CHS_OK) {
    for (int r = 0; r < n; r++) {
      for (int c = 0; c < ncols; c++) free(rows[r][c]);
      free(rows[r]);
    }
    free(rows);
    return st;
  }
  for (int c = 0; c < ncols; c++) s->key[s->nkeys++] = &cols->e[c];
  s->samples = n;
  *samples_out = rows;
  return CHS_OK;
}

static chs_status parse_int_key(const chs_sweep_spec *s, const char *section, const char *key, int lo,
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

/* [slurm] sbatch = --qos=long --constraint=skylake: sbatch options (each "--name" or
 * "--name=value"), written as #SBATCH lines into the array and collector scripts. The
 * characters are limited so nothing but options reaches the script. */
static chs_status parse_sbatch_key(const chs_sweep_spec *s, char *out, size_t len)
{
  const chs_ini_entry *e = chs_ini_find(&s->ini, "slurm", "sbatch");
  out[0] = '\0';
  if (!e) return CHS_OK;
  if (strlen(e->value) >= len)
    return chs_error(CHS_ERR_CONFIG, "%s:%d [slurm] sbatch is too long (at most %zu characters)",
                     s->path, e->line, len - 1);
  const char *v = e->value;
  for (const char *w = v; *w;) {
    size_t n = strcspn(w, " \t");
    if (n > 0 && (n < 3 || strncmp(w, "--", 2) != 0))
      return chs_error(CHS_ERR_CONFIG, "%s:%d [slurm] sbatch = '%s': '%.*s' is not an option; "
                       "allowed: sbatch options such as --qos=long --constraint=skylake",
                       s->path, e->line, v, (int)n, w);
    for (size_t i = 0; i < n; i++)
      if (!isalnum((unsigned char)w[i]) && !strchr("-_=:,./+@%", w[i]))
        return chs_error(CHS_ERR_CONFIG, "%s:%d [slurm] sbatch = '%s': character '%c' not "
                         "allowed (letters, digits and - _ = : , . / + @ %%)", s->path, e->line,
                         v, w[i]);
    w += n;
    w += strspn(w, " \t");
  }
  snprintf(out, len, "%s", v);
  return CHS_OK;
}

static chs_status parse_text_key(const chs_sweep_spec *s, const char *section, const char *key,
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

chs_status chs_sweep_spec_read(const char *path, const char *models_dir, chs_sweep_spec *s)
{
  memset(s, 0, sizeof *s);
  s->path = path;
  s->models_dir = models_dir;
  CHS_CHECK(chs_ini_read(path, &s->ini));
  const chs_ini *ini = &s->ini;
  CHS_CHECK(chs_ini_check_sections(ini, "sweep|values|lhs|set|slurm"));
  CHS_CHECK(chs_ini_check_keys(ini, "sweep", "name|base|samples|seed|design"));
  CHS_CHECK(chs_ini_check_keys(ini, "slurm", "throttle|time|ntasks|cpus_per_task|partition|account|mem|mpi|rows_per_task|sbatch"));

  CHS_CHECK(chs_ini_name_and_base(ini, path, "sweep", "row", s->name, sizeof s->name, s->base,
                                  sizeof s->base));
  const chs_ini_entry *e;
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
  CHS_CHECK(parse_int_key(s, "slurm", "rows_per_task", 1, 100000, 1, &s->rows_per_task));
  CHS_CHECK(parse_sbatch_key(s, s->sbatch, sizeof s->sbatch));

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
  const chs_ini_entry *de = chs_ini_find(ini, "sweep", "design");
  char ***design = NULL;
  if (de) {
    if (nlhs > 0)
      return chs_error(CHS_ERR_CONFIG, "%s:%d [sweep] design and [lhs] exclude each other (the "
                       "design's rows take the place of the LHS samples)", path, de->line);
    if ((e = chs_ini_find(ini, "sweep", "samples")))
      return chs_error(CHS_ERR_CONFIG, "%s:%d [sweep] samples is for [lhs]; with a design every "
                       "row of %s is a sample", path, e->line, de->value);
    CHS_CHECK(design_read(s, de, &design));
    nlhs = s->nkeys - s->ngrid_keys;
  }
  e = de ? NULL : chs_ini_find(ini, "sweep", "samples");
  if (nlhs > 0 && !e && !design)
    return chs_error(CHS_ERR_CONFIG, "%s: [lhs] needs [sweep] samples = N (the number of Latin "
                     "hypercube samples)", path);
  if (nlhs == 0 && e)
    return chs_error(CHS_ERR_CONFIG, "%s:%d [sweep] samples is for Latin hypercube sampling, but "
                     "there is no [lhs] section", path, e->line);
  if (!design) CHS_CHECK(parse_int_key(s, "sweep", "samples", 1, MAX_ROWS, 1, &s->samples));
  if (s->nkeys == 0)
    return chs_error(CHS_ERR_CONFIG, "%s: nothing to sweep: add a [values] or [lhs] section", path);
  if (grid_rows * s->samples > MAX_ROWS)
    return chs_error(CHS_ERR_CONFIG, "%s: the sweep has %ld rows; allowed at most %d", path,
                     grid_rows * s->samples, MAX_ROWS);

  /* The rows. */
  s->n = (int)grid_rows * s->samples;
  s->cell = calloc((size_t)s->n, sizeof *s->cell);
  s->run = calloc((size_t)s->n, sizeof *s->run);
  char ***lhs = design ? design : calloc((size_t)s->samples, sizeof *lhs);
  if (!s->cell || !s->run || !lhs) {
    free(lhs);
    return chs_error(CHS_ERR_NOMEM, "out of memory");
  }
  chs_status st = CHS_OK;
  for (int i = 0; i < s->samples && st == CHS_OK; i++)
    if (!design && !(lhs[i] = calloc((size_t)nlhs + 1, sizeof **lhs)))
      st = chs_error(CHS_ERR_NOMEM, "out of memory");
  if (st == CHS_OK && nlhs > 0 && !design) st = lhs_fill(s, bounds, lhs);
  int width = 4;
  for (int m = s->n - 1; m >= 10000; m /= 10) width++;
  for (int r = 0; r < s->n && st == CHS_OK; r++) {
    char name[32];
    snprintf(name, sizeof name, "r%0*d", width & 15, r);
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

chs_status chs_sweep_spec_load_row(const chs_sweep_spec *s, int r, chs_config *cfg)
{
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

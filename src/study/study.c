#define _POSIX_C_SOURCE 200809L
#include "study/study.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "par/par.h"
#include "run/summary.h"
#include "study/runstate.h"
#include "core/fsutil.h"
#include "study/ensemble.h"
#include "study/studyfile.h"

#define MAX_SCENARIOS 10000
#define LABEL_MAX 120

/* The parsed study: the matrix keys with their values and the fixed overrides. */
typedef struct {
  chs_ini ini;
  char name[CHS_STR_MAX];
  char base[CHS_PATH_MAX];
  char rank_by[64];
  int nkeys;
  const chs_ini_entry **key; /* the [matrix] entries, in file order */
  char ***values;            /* values[k][j] */
  int *nvalues;
  int nset;
  char **set;  /* "key=value" of [set] */
  int n;       /* scenarios */
  char **label;
  const char *models_dir;
} study;

static void study_free(study *s)
{
  for (int k = 0; k < s->nkeys; k++) chs_ini_items_free(s->values[k], s->nvalues[k]);
  free(s->values);
  free(s->nvalues);
  free(s->key);
  for (int i = 0; i < s->nset; i++) free(s->set[i]);
  free(s->set);
  for (int i = 0; i < s->n; i++) free(s->label ? s->label[i] : NULL);
  free(s->label);
  chs_ini_free(&s->ini);
}

const char *chs_summary_columns(void)
{
  static char cols[2048];
  if (!cols[0]) {
    chs_series empty;
    chs_series_init(&empty, 1);
    char *csv = chs_summary_csv(&empty, "x");
    if (csv) {
      size_t n = strcspn(csv, "\n");
      snprintf(cols, sizeof cols, "%.*s", (int)n, csv);
    }
    free(csv);
    chs_series_free(&empty);
  }
  return cols;
}

int chs_summary_has_column(const char *name)
{
  char cols[2048];
  snprintf(cols, sizeof cols, "%s", chs_summary_columns());
  char *save = NULL;
  for (char *c = strtok_r(cols, ",", &save); c; c = strtok_r(NULL, ",", &save))
    if (strcmp(c, "run") && !strcmp(c, name)) return 1;
  return 0;
}

/* Scenario i's value index for key k: the first key varies slowest. */
static int value_index(const study *s, int i, int k)
{
  int stride = 1;
  for (int j = s->nkeys - 1; j > k; j--) stride *= s->nvalues[j];
  return (i / stride) % s->nvalues[k];
}

static const char *value_of(const study *s, int i, int k)
{
  return s->values[k][value_index(s, i, k)];
}

/* "dose_2.5e7-source_adipose": the key's last part (the whole key when two keys share
 * it) and the value, file-name safe. */
static chs_status make_label(const study *s, int i, char *out, size_t len)
{
  out[0] = '\0';
  for (int k = 0; k < s->nkeys; k++) {
    const char *key = s->key[k]->key, *dot = strrchr(key, '.');
    const char *shortname = dot ? dot + 1 : key;
    for (int j = 0; j < s->nkeys; j++) {
      const char *other = s->key[j]->key, *od = strrchr(other, '.');
      if (j != k && !strcmp(od ? od + 1 : other, shortname)) shortname = key;
    }
    char part[512];
    snprintf(part, sizeof part, "%s%s_%s", k ? "-" : "", shortname, value_of(s, i, k));
    for (char *p = part + (k ? 1 : 0); *p; p++)
      if (!isalnum((unsigned char)*p) && !strchr("._+-", *p)) *p = '_';
    strncat(out, part, len - strlen(out) - 1);
  }
  if (strlen(out) > LABEL_MAX) snprintf(out, len, "scenario_%04d", i);
  return CHS_OK;
}

static chs_status parse_study(const char *path, const char *models_dir, study *s)
{
  memset(s, 0, sizeof *s);
  s->models_dir = models_dir;
  CHS_CHECK(chs_ini_read(path, &s->ini));
  const chs_ini *ini = &s->ini;
  CHS_CHECK(chs_ini_check_sections(ini, "study|matrix|set"));
  CHS_CHECK(chs_ini_check_keys(ini, "study", "name|base|rank_by"));

  CHS_CHECK(chs_ini_name_and_base(ini, path, "study", "scenario", s->name, sizeof s->name, s->base,
                                  sizeof s->base));
  const chs_ini_entry *e;
  e = chs_ini_find(ini, "study", "rank_by");
  snprintf(s->rank_by, sizeof s->rank_by, "%s", e && *e->value ? e->value : "fill_12mo");
  if (!chs_summary_has_column(s->rank_by))
    return chs_error(CHS_ERR_CONFIG, "%s:%d [study] rank_by = '%s' is not a summary column; "
                     "allowed: %s", path, e ? e->line : 0, s->rank_by, chs_summary_columns() + 4);

  int nentries = ini->n;
  s->key = calloc((size_t)nentries + 1, sizeof *s->key);
  s->values = calloc((size_t)nentries + 1, sizeof *s->values);
  s->nvalues = calloc((size_t)nentries + 1, sizeof *s->nvalues);
  s->set = calloc((size_t)nentries + 1, sizeof *s->set);
  if (!s->key || !s->values || !s->nvalues || !s->set) return chs_error(CHS_ERR_NOMEM, "out of memory");
  long n = 1;
  for (int i = 0; i < nentries; i++) {
    e = &ini->e[i];
    if (!strcmp(e->section, "set")) {
      CHS_CHECK(chs_override_check(ini, e, e->key, e->value));
      if (!(s->set[s->nset] = malloc(strlen(e->key) + strlen(e->value) + 2)))
        return chs_error(CHS_ERR_NOMEM, "out of memory");
      sprintf(s->set[s->nset++], "%s=%s", e->key, e->value);
    } else if (!strcmp(e->section, "matrix")) {
      char where[CHS_PATH_MAX + 64];
      snprintf(where, sizeof where, "%s:%d [matrix] %s", path, e->line, e->key);
      int k = s->nkeys;
      s->key[k] = e;
      CHS_CHECK(chs_ini_split(e->value, where, &s->values[k], &s->nvalues[k]));
      s->nkeys++;
      if (s->nvalues[k] == 0)
        return chs_error(CHS_ERR_CONFIG, "%s: no values (list them separated by spaces)", where);
      if (!strcmp(e->key, "output.dir"))
        return chs_error(CHS_ERR_CONFIG, "%s: output.dir cannot vary within a study", where);
      for (int j = 0; j < s->nvalues[k]; j++) {
        CHS_CHECK(chs_override_check(ini, e, e->key, s->values[k][j]));
        for (int m = 0; m < j; m++)
          if (!strcmp(s->values[k][m], s->values[k][j]))
            return chs_error(CHS_ERR_CONFIG, "%s: value '%s' is listed twice", where,
                             s->values[k][j]);
      }
      n *= s->nvalues[k];
      if (n > MAX_SCENARIOS)
        return chs_error(CHS_ERR_CONFIG, "%s: the matrix has more than %d scenarios; use "
                         "`chondrosim sweep` for large parameter sweeps", where, MAX_SCENARIOS);
    }
  }
  if (s->nkeys == 0)
    return chs_error(CHS_ERR_CONFIG, "%s: [matrix] is missing or empty: list at least one "
                     "config key with its values, e.g. therapy.dose = 1e7 5e7", path);
  s->n = (int)n;
  s->label = calloc((size_t)s->n, sizeof *s->label);
  if (!s->label) return chs_error(CHS_ERR_NOMEM, "out of memory");
  for (int i = 0; i < s->n; i++) {
    char label[LABEL_MAX * 4];
    make_label(s, i, label, sizeof label);
    for (int j = 0; j < i; j++)
      if (!strcmp(s->label[j], label))
        return chs_error(CHS_ERR_CONFIG, "%s: scenarios %d and %d would both be named '%s' "
                         "(values differ only in characters not allowed in a file name)", path,
                         j + 1, i + 1, label);
    if (!(s->label[i] = strdup(label))) return chs_error(CHS_ERR_NOMEM, "out of memory");
  }
  return CHS_OK;
}

/* The overrides of scenario i: [set], then its matrix values. */
static chs_status scenario_load(void *ctx, int i, chs_config *cfg)
{
  study *s = ctx;
  int nset = s->nset + s->nkeys;
  char **sets = calloc((size_t)nset, sizeof *sets);
  if (!sets) return chs_error(CHS_ERR_NOMEM, "out of memory");
  chs_status st = CHS_OK;
  for (int j = 0; j < s->nset; j++) sets[j] = s->set[j];
  for (int k = 0; k < s->nkeys && st == CHS_OK; k++) {
    const char *key = s->key[k]->key, *v = value_of(s, i, k);
    sets[s->nset + k] = malloc(strlen(key) + strlen(v) + 2);
    if (!sets[s->nset + k]) st = chs_error(CHS_ERR_NOMEM, "out of memory");
    else sprintf(sets[s->nset + k], "%s=%s", key, v);
  }
  if (st == CHS_OK) st = chs_item_load(cfg, s->base, s->models_dir, nset, sets, s->label[i]);
  if (st != CHS_OK) st = chs_override_blame(st, &s->ini, "scenario", s->label[i]);
  for (int k = 0; k < s->nkeys; k++) free(sets[s->nset + k]);
  free(sets);
  return st;
}

/* ---------------------------------------------------------------- results */

#define MAX_COLS 128

typedef struct {
  int ncols;
  char *col[MAX_COLS]; /* summary columns (from chs_summary_columns) */
  char ***cell;        /* cell[scenario][col], NULL when missing */
  double *rank_value;  /* NAN when missing */
  int *ok;
} table;

static void table_free(table *t, int n)
{
  for (int i = 0; i < n && t->cell; i++) {
    if (!t->cell[i]) continue;
    for (int c = 0; c < t->ncols; c++) free(t->cell[i][c]);
    free(t->cell[i]);
  }
  for (int c = 0; c < t->ncols; c++) free(t->col[c]);
  free(t->cell);
  free(t->rank_value);
  free(t->ok);
}

/* Reads <dir>/summary.csv into the row's cells, matching columns by name. */
static int read_summary(const char *dir, table *t, char **row)
{
  char path[4 * CHS_PATH_MAX];
  snprintf(path, sizeof path, "%s/summary.csv", dir);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char head[8192], line[8192];
  int ok = fgets(head, sizeof head, f) && fgets(line, sizeof line, f);
  fclose(f);
  if (!ok) return 0;
  char *hf[MAX_COLS], *lf[MAX_COLS];
  int nh = chs_csv_split(head, hf, MAX_COLS), nl = chs_csv_split(line, lf, MAX_COLS);
  for (int c = 0; c < t->ncols; c++)
    for (int j = 0; j < nh && j < nl; j++)
      if (!strcmp(hf[j], t->col[c])) row[c] = strdup(lf[j]);
  return 1;
}

static int col_index(const table *t, const char *name)
{
  for (int c = 0; c < t->ncols; c++)
    if (!strcmp(t->col[c], name)) return c;
  return -1;
}

static chs_status collect(const study *s, const char *dir, const chs_status *status, table *t)
{
  memset(t, 0, sizeof *t);
  char cols[2048];
  snprintf(cols, sizeof cols, "%s", chs_summary_columns());
  char *save = NULL;
  for (char *c = strtok_r(cols, ",", &save); c && t->ncols < MAX_COLS; c = strtok_r(NULL, ",", &save))
    t->col[t->ncols++] = strdup(c);
  t->cell = calloc((size_t)s->n, sizeof *t->cell);
  t->rank_value = calloc((size_t)s->n, sizeof *t->rank_value);
  t->ok = calloc((size_t)s->n, sizeof *t->ok);
  if (!t->cell || !t->rank_value || !t->ok) return chs_error(CHS_ERR_NOMEM, "out of memory");
  int rc = col_index(t, s->rank_by);
  for (int i = 0; i < s->n; i++) {
    t->cell[i] = calloc((size_t)t->ncols, sizeof **t->cell);
    if (!t->cell[i]) return chs_error(CHS_ERR_NOMEM, "out of memory");
    char run_dir[3 * CHS_PATH_MAX];
    snprintf(run_dir, sizeof run_dir, "%s/%s", dir, s->label[i]);
    t->ok[i] = status[i] == CHS_OK && read_summary(run_dir, t, t->cell[i]);
    const char *v = t->ok[i] && rc >= 0 ? t->cell[i][rc] : NULL;
    t->rank_value[i] = v && *v ? strtod(v, NULL) : NAN;
  }
  return CHS_OK;
}

static chs_status write_comparison(const study *s, const table *t, const chs_status *status,
                                   const int *rank, const char *path)
{
  size_t cap = 4096 + (size_t)s->n * (size_t)(256 + 32 * (t->ncols + s->nkeys));
  char *out = malloc(cap), field[1024];
  if (!out) return chs_error(CHS_ERR_NOMEM, "out of memory");
  size_t n = 0;
#define PUT(...) n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__)
  PUT("scenario");
  for (int k = 0; k < s->nkeys; k++) PUT(",%s", chs_csv_field(s->key[k]->key, field, sizeof field));
  PUT(",status");
  for (int c = 0; c < t->ncols; c++) PUT(",%s", t->col[c]);
  PUT(",rank\n");
  for (int i = 0; i < s->n; i++) {
    PUT("%s", chs_csv_field(s->label[i], field, sizeof field));
    for (int k = 0; k < s->nkeys; k++) PUT(",%s", chs_csv_field(value_of(s, i, k), field, sizeof field));
    PUT(",%s", t->ok[i] ? "done" : status[i] == CHS_ERR_INTERRUPTED ? "interrupted" : "failed");
    for (int c = 0; c < t->ncols; c++)
      PUT(",%s", t->cell[i][c] ? chs_csv_field(t->cell[i][c], field, sizeof field) : "");
    PUT(",%d\n", rank[i]);
  }
#undef PUT
  chs_status st = chs_write_file_atomic(path, out);
  free(out);
  return st;
}

static const table *g_sort_table;
static int by_rank_value(const void *a, const void *b)
{
  int i = *(const int *)a, j = *(const int *)b;
  double x = g_sort_table->rank_value[i], y = g_sort_table->rank_value[j];
  int xi = isnan(x), yi = isnan(y);
  if (xi != yi) return xi - yi; /* missing values last */
  if (!xi && x != y) return x > y ? -1 : 1;
  return i - j;
}

static void print_ranking(const study *s, const table *t, const chs_status *status,
                          const int *order)
{
  static const char *outcomes[] = {"fill_6mo", "fill_12mo", "fill_24mo", "hyaline_12mo",
                                   "msc_retained_1mo", "inflammation_auc"};
  int cols[8], ncol = 0;
  cols[ncol++] = col_index(t, s->rank_by);
  for (int o = 0; o < 6; o++) {
    int c = col_index(t, outcomes[o]);
    if (c >= 0 && c != cols[0]) cols[ncol++] = c;
  }
  int w = 8;
  for (int i = 0; i < s->n; i++)
    if ((int)strlen(s->label[i]) > w) w = (int)strlen(s->label[i]);
  printf("study %s: %d scenario(s) ranked by %s (higher first)\n", s->name, s->n, s->rank_by);
  printf("%4s  %-*s", "rank", w, "scenario");
  for (int c = 0; c < ncol; c++) printf("  %*s", (int)(strlen(t->col[cols[c]]) > 10 ? strlen(t->col[cols[c]]) : 10), t->col[cols[c]]);
  printf("\n");
  for (int r = 0; r < s->n; r++) {
    int i = order[r];
    printf("%4d  %-*s", r + 1, w, s->label[i]);
    for (int c = 0; c < ncol; c++) {
      int width = (int)(strlen(t->col[cols[c]]) > 10 ? strlen(t->col[cols[c]]) : 10);
      const char *v = t->cell[i][cols[c]];
      if (!t->ok[i])
        printf("  %*s", width,
               c ? "" : status[i] == CHS_ERR_INTERRUPTED ? "interrupted" : "failed");
      else if (v && *v)
        printf("  %*.4g", width, strtod(v, NULL));
      else
        printf("  %*s", width, "-");
    }
    printf("\n");
  }
  fflush(stdout);
}

static void plot(const char *dir, bool quiet)
{
  char scripts[CHS_PATH_MAX], script[CHS_PATH_MAX + 32];
  chs_scripts_dir(scripts, sizeof scripts);
  snprintf(script, sizeof script, "%s/plot_compare.py", scripts);
  const char *py = "/usr/bin/python3";
  if (access(py, X_OK) != 0 || access(script, R_OK) != 0) {
    chs_log(CHS_LOG_INFO, "no comparison.png: needs %s and %s", py, script);
    return;
  }
  char *argv[] = {(char *)py, script, (char *)dir, NULL};
  int rc = chs_run_program(argv);
  if (rc != 0)
    chs_log(CHS_LOG_WARN, "%s %s %s exited with %d: no comparison.png", py, script, dir, rc);
  else if (!quiet)
    chs_log(CHS_LOG_INFO, "plot: %s/comparison.png", dir);
}

/* World rank 0: comparison.csv, the ranking, the plot. */
static chs_status report(const study *s, const char *dir, const chs_status *status,
                         const chs_compare_options *opt)
{
  table t;
  int *order = malloc(sizeof *order * (size_t)s->n), *rank = malloc(sizeof *rank * (size_t)s->n);
  chs_status st = order && rank ? collect(s, dir, status, &t) : chs_error(CHS_ERR_NOMEM, "out of memory");
  if (st == CHS_OK) {
    for (int i = 0; i < s->n; i++) order[i] = i;
    g_sort_table = &t;
    qsort(order, (size_t)s->n, sizeof *order, by_rank_value);
    for (int r = 0; r < s->n; r++) rank[order[r]] = r + 1;
    char path[3 * CHS_PATH_MAX];
    snprintf(path, sizeof path, "%s/comparison.csv", dir);
    st = write_comparison(s, &t, status, rank, path);
    if (st == CHS_OK) {
      print_ranking(s, &t, status, order);
      if (!opt->quiet) chs_log(CHS_LOG_INFO, "comparison: %s", path);
      if (!opt->no_plot) plot(dir, opt->quiet);
    }
  }
  if (order && rank) table_free(&t, s->n);
  free(order);
  free(rank);
  return st;
}

/* ---------------------------------------------------------------- compare */

static chs_status validate(study *s, char *results_root, size_t len, char (*fp)[17])
{
  chs_config *cfg = malloc(sizeof *cfg);
  if (!cfg) return chs_error(CHS_ERR_NOMEM, "out of memory");
  chs_status st = CHS_OK;
  for (int i = 0; i < s->n && st == CHS_OK; i++) {
    st = scenario_load(s, i, cfg);
    if (st == CHS_OK) st = chs_config_fingerprint(cfg, fp[i]);
    if (st == CHS_OK && i == 0) snprintf(results_root, len, "%s", cfg->output_dir);
  }
  free(cfg);
  return st;
}

/* The scenarios still to run (the ensemble's items 0..n-1) mapped to scenario indices. */
typedef struct {
  study *s;
  const int *items;
} scenario_map;

static chs_status mapped_load(void *ctx, int i, chs_config *cfg)
{
  scenario_map *m = ctx;
  return scenario_load(m->s, m->items[i], cfg);
}

/* World rank 0: <dir>/manifest.csv, one line per scenario with the fingerprint of its full
 * effective configuration and its status (done, failed, interrupted). */
static chs_status write_manifest(const study *s, const char *dir, char (*fp)[17],
                                 const chs_status *status)
{
  size_t cap = 64, n = 0;
  for (int i = 0; i < s->n; i++) cap += strlen(s->label[i]) + 48;
  char *text = malloc(cap);
  if (!text) return chs_error(CHS_ERR_NOMEM, "out of memory");
  n += (size_t)snprintf(text + n, cap - n, "scenario,fingerprint,status\n");
  for (int i = 0; i < s->n; i++)
    n += (size_t)snprintf(text + n, cap - n, "%s,%s,%s\n", s->label[i], fp[i],
                          status[i] == CHS_OK ? "done"
                          : status[i] == CHS_ERR_INTERRUPTED ? "interrupted" : "failed");
  char path[CHS_PATH_MAX + CHS_STR_MAX + 32];
  snprintf(path, sizeof path, "%s/manifest.csv", dir);
  chs_status st = chs_write_file_atomic(path, text);
  free(text);
  return st;
}

chs_status chs_compare(const char *study_path, const chs_compare_options *opt)
{
  study s;
  chs_status st = parse_study(study_path, opt->models_dir, &s);
  char root[CHS_PATH_MAX], dir[CHS_PATH_MAX + CHS_STR_MAX + 2];
  char (*fp)[17] = st == CHS_OK ? calloc((size_t)s.n + 1, sizeof *fp) : NULL;
  if (st == CHS_OK && !fp) st = chs_error(CHS_ERR_NOMEM, "out of memory");
  if (st == CHS_OK) st = validate(&s, root, sizeof root, fp);
  if (st != CHS_OK) {
    free(fp);
    study_free(&s);
    return st;
  }
  snprintf(dir, sizeof dir, "%s/%s", opt->out_dir ? opt->out_dir : root, s.name);
  if (!opt->quiet)
    chs_log(CHS_LOG_INFO, "study %s: %d scenario(s) from %s, base %s, results in %s/", s.name, s.n,
            study_path, s.base, dir);

  /* Rank 0 makes the directory; everyone learns whether it could. */
  int code = 0;
  if (chs_par_world_rank() == 0) code = (int)chs_mkdir_p(dir);
  chs_par_comm_max_int(NULL, &code, 1);
  if (code != CHS_OK) {
    free(fp);
    study_free(&s);
    return chs_par_world_rank() == 0 ? (chs_status)code
                                     : chs_error((chs_status)code, "cannot create %s", dir);
  }

  chs_status *status = calloc((size_t)s.n, sizeof *status);
  int *todo = calloc((size_t)s.n + 1, sizeof *todo), *items = calloc((size_t)s.n + 1, sizeof *items);
  chs_status *sub = calloc((size_t)s.n + 1, sizeof *sub);
  const char **todo_names = calloc((size_t)s.n + 1, sizeof *todo_names);
  if (!status || !todo || !items || !sub || !todo_names) {
    free(status), free(todo), free(items), free(sub), free(todo_names), free(fp);
    study_free(&s);
    return chs_error(CHS_ERR_NOMEM, "out of memory");
  }
  /* A scenario finished with the configuration it has now is not run again (an
   * interrupted study resumes); one made with another configuration is. Rank 0 looks. */
  if (chs_par_world_rank() == 0)
    for (int i = 0; i < s.n; i++) {
      char run_dir[sizeof dir + LABEL_MAX + 2], old[17];
      snprintf(run_dir, sizeof run_dir, "%s/%s", dir, s.label[i]);
      chs_run_state rs = chs_run_state_of(run_dir, fp[i], old);
      todo[i] = rs != CHS_RUN_DONE;
      if (rs == CHS_RUN_DONE && !opt->quiet)
        chs_log(CHS_LOG_INFO, "scenario %s already done with this configuration, skipping", s.label[i]);
      if (rs == CHS_RUN_STALE)
        chs_log(CHS_LOG_WARN, "scenario %s finished with another configuration (fingerprint %s, "
                "now %s): running it again", s.label[i], old[0] ? old : "unknown", fp[i]);
    }
  chs_par_comm_max_int(NULL, todo, s.n);
  int ntodo = 0;
  for (int i = 0; i < s.n; i++)
    if (todo[i]) {
      todo_names[ntodo] = s.label[i];
      items[ntodo++] = i;
    }
  scenario_map map = {&s, items};
  chs_ensemble e = {.n = ntodo, .groups = opt->groups, .what = "scenario", .names = todo_names,
                    .out_dir = dir, .command_line = opt->command_line, .quiet = opt->quiet,
                    .load = mapped_load, .ctx = &map};
  st = chs_ensemble_run(&e, sub);
  for (int k = 0; k < ntodo; k++) status[items[k]] = sub[k];
  if (st == CHS_OK && chs_par_world_rank() == 0) {
    chs_status m = write_manifest(&s, dir, fp, status);
    if (m != CHS_OK) {
      chs_log(CHS_LOG_WARN, "%s", chs_error_message());
      chs_error_clear();
    }
  }
  free(todo), free(items), free(sub), free(todo_names);

  if (st == CHS_OK) {
    code = 0;
    if (chs_par_world_rank() == 0) code = (int)report(&s, dir, status, opt);
    chs_par_comm_max_int(NULL, &code, 1);
    st = chs_par_world_rank() == 0 || code == CHS_OK
             ? (chs_status)code
             : chs_error((chs_status)code, "rank 0 could not write %s/comparison.csv", dir);
  }
  if (st == CHS_OK) {
    int failed = 0, interrupted = 0;
    chs_status first = CHS_OK;
    char names[1024] = "";
    for (int i = 0; i < s.n; i++) {
      if (status[i] == CHS_ERR_INTERRUPTED) interrupted++;
      if (status[i] == CHS_OK || status[i] == CHS_ERR_INTERRUPTED) continue;
      if (!failed++) first = status[i];
      if (strlen(names) + strlen(s.label[i]) + 8 < sizeof names)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", failed > 1 ? ", " : "",
                 s.label[i]);
    }
    if (interrupted)
      st = chs_error(CHS_ERR_INTERRUPTED, "study stopped by a signal: %d of %d scenario(s) not "
                     "finished (status=interrupted in %s/comparison.csv); run the study again",
                     interrupted, s.n, dir);
    else if (failed)
      st = chs_error(first, "%d of %d scenario(s) failed: %s (their rows in %s/comparison.csv "
                     "say status=failed; the reasons are in the log above)", failed, s.n, names, dir);
  }
  free(status);
  free(fp);
  study_free(&s);
  return st;
}

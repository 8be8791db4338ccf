#define _DEFAULT_SOURCE /* realpath */
#include "study/uq.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "model/metrics.h"
#include "par/par.h"
#include "study/study.h"
#include "study/studyfile.h"
#include "study/sweep.h"
#include "study/sweep_spec.h"
#include "study/uq_inputs.h"

#define MAX_WORDS 256

/* The parsed and checked study. */
typedef struct {
  const char *path;
  chs_ini ini;
  char name[CHS_STR_MAX], base[CHS_PATH_MAX], rank_by[64];
  int draws, bootstrap, sobol, nscen, ngroups, rows_per_scenario;
  unsigned long long seed;
  char sampler[16];
  chs_dist_set priors, cohort;
  int have_priors, have_cohort;
  char **vary; /* the prior keys that vary */
  int nvary;
  char **outcomes, **series, **groups;
  int noutcomes, nseries, ngroups_listed;
} uq_study;

static void uq_free(uq_study *u)
{
  chs_ini_items_free(u->vary, u->nvary);
  chs_ini_items_free(u->outcomes, u->noutcomes);
  chs_ini_items_free(u->series, u->nseries);
  chs_ini_items_free(u->groups, u->ngroups_listed);
  if (u->have_priors) chs_dist_set_free(&u->priors);
  if (u->have_cohort) chs_dist_set_free(&u->cohort);
  chs_ini_free(&u->ini);
}

static const chs_ini_entry *find(const uq_study *u, const char *key)
{
  return chs_ini_find(&u->ini, "uq", key);
}

static const char *text_of(const uq_study *u, const char *key, const char *def)
{
  const chs_ini_entry *e = find(u, key);
  return e && *e->value ? e->value : def;
}

static chs_status words(const uq_study *u, const char *key, const char *def, char ***out, int *n)
{
  char where[CHS_PATH_MAX + 64];
  const chs_ini_entry *e = find(u, key);
  snprintf(where, sizeof where, "%s:%d [uq] %s", u->path, e ? e->line : 0, key);
  return chs_ini_split(e ? e->value : def, where, out, n);
}

static chs_status whole(const uq_study *u, const char *key, long lo, long hi, long def, long *out)
{
  const chs_ini_entry *e = find(u, key);
  *out = def;
  if (!e) return CHS_OK;
  char *end;
  errno = 0;
  long v = strtol(e->value, &end, 10);
  if (end == e->value || *end || errno || v < lo || v > hi)
    return chs_error(CHS_ERR_CONFIG, "%s:%d [uq] %s = '%s': allowed a whole number from %ld to %ld",
                     u->path, e->line, key, e->value, lo, hi);
  *out = v;
  return CHS_OK;
}


static int is_metric(const char *name)
{
  for (int m = 0; m < CHS_NMETRICS; m++)
    if (!strcmp(chs_metric_name(m), name)) return 1;
  return 0;
}

/* Does a [matrix] or [set] line fix `key`? */
static const chs_ini_entry *fixed_by_study(const uq_study *u, const char *key)
{
  for (int i = 0; i < u->ini.n; i++) {
    const chs_ini_entry *e = &u->ini.e[i];
    if ((!strcmp(e->section, "matrix") || !strcmp(e->section, "set")) && !strcmp(e->key, key)) return e;
  }
  return NULL;
}

static chs_status read_inputs(uq_study *u, const char *models)
{
  char path[CHS_PATH_MAX + 32];
  const char *pr = text_of(u, "priors", "default");
  const chs_ini_entry *pe = find(u, "priors");
  if (strcmp(pr, "none")) {
    if (!strcmp(pr, "default"))
      snprintf(path, sizeof path, "%s/priors.ini", models);
    else
      chs_path_beside(u->path, pr, path, sizeof path);
    if (access(path, R_OK) != 0)
      return chs_error(CHS_ERR_CONFIG, "%s:%d [uq] priors = %s: cannot read %s", u->path,
                       pe ? pe->line : 0, pr, path);
    CHS_CHECK(chs_priors_read(path, &u->priors));
    u->have_priors = 1;
  }
  CHS_CHECK(words(u, "vary", u->have_priors ? "all" : "none", &u->vary, &u->nvary));
  const chs_ini_entry *ve = find(u, "vary");
  if (u->nvary == 1 && !strcmp(u->vary[0], "none")) {
    chs_ini_items_free(u->vary, u->nvary);
    u->vary = NULL;
    u->nvary = 0;
  } else if (u->nvary == 1 && !strcmp(u->vary[0], "all")) {
    chs_ini_items_free(u->vary, u->nvary);
    u->nvary = u->priors.n;
    u->vary = calloc((size_t)u->nvary + 1, sizeof *u->vary);
    if (!u->vary) return chs_error(CHS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < u->nvary; i++)
      if (!(u->vary[i] = strdup(u->priors.d[i].key))) return chs_error(CHS_ERR_NOMEM, "out of memory");
  } else
    for (int i = 0; i < u->nvary; i++) {
      if (!u->have_priors || chs_dist_find(&u->priors, u->vary[i]) < 0)
        return chs_error(CHS_ERR_CONFIG, "%s:%d [uq] vary: '%s' has no prior in %s", u->path,
                         ve ? ve->line : 0, u->vary[i], u->have_priors ? u->priors.path : "(priors = none)");
      for (int j = 0; j < i; j++)
        if (!strcmp(u->vary[j], u->vary[i]))
          return chs_error(CHS_ERR_CONFIG, "%s:%d [uq] vary: '%s' is listed twice", u->path,
                           ve ? ve->line : 0, u->vary[i]);
    }

  const char *co = text_of(u, "cohort", "none");
  if (strcmp(co, "none")) {
    chs_cohort_path(models, co, u->path, path, sizeof path);
    const chs_ini_entry *ce = find(u, "cohort");
    if (access(path, R_OK) != 0)
      return chs_error(CHS_ERR_CONFIG, "%s:%d [uq] cohort = %s: cannot read %s", u->path,
                       ce ? ce->line : 0, co, path);
    CHS_CHECK(chs_cohort_read(path, &u->cohort));
    u->have_cohort = 1;
  }
  if (u->nvary == 0 && !u->have_cohort)
    return chs_error(CHS_ERR_CONFIG, "%s: nothing is uncertain: [uq] needs priors to vary or a "
                     "cohort", u->path);

  /* A key the study fixes cannot also be drawn; nor can a key be both prior and cohort. */
  for (int i = 0; i < u->nvary + (u->have_cohort ? u->cohort.n : 0); i++) {
    const char *key = i < u->nvary ? u->vary[i] : u->cohort.d[i - u->nvary].key;
    const chs_ini_entry *e = fixed_by_study(u, key);
    if (e)
      return chs_error(CHS_ERR_CONFIG, "%s:%d [%s] %s is fixed by the study but drawn from the %s; "
                       "remove it from one of them%s", u->path, e->line, e->section, key,
                       i < u->nvary ? "priors" : "cohort",
                       i < u->nvary ? " (or list the others in [uq] vary)" : "");
    if (i < u->nvary && u->have_cohort && chs_dist_find(&u->cohort, key) >= 0)
      return chs_error(CHS_ERR_CONFIG, "%s: %s has a prior and a cohort distribution (%s)", u->path,
                       key, u->cohort.path);
  }
  return CHS_OK;
}

static chs_status parse(uq_study *u, const char *path, const char *models)
{
  memset(u, 0, sizeof *u);
  u->path = path;
  CHS_CHECK(chs_ini_read(path, &u->ini));
  CHS_CHECK(chs_ini_check_sections(&u->ini, "study|uq|matrix|set|slurm"));
  CHS_CHECK(chs_ini_check_keys(&u->ini, "study", "name|base|rank_by"));
  CHS_CHECK(chs_ini_check_keys(&u->ini, "uq", "draws|seed|sampler|priors|vary|cohort|outcomes|series|"
                                             "sensitivity|groups|bootstrap"));
  CHS_CHECK(chs_ini_name_and_base(&u->ini, path, "study", "draw", u->name, sizeof u->name, u->base,
                                  sizeof u->base));
  const chs_ini_entry *e = chs_ini_find(&u->ini, "study", "rank_by");
  snprintf(u->rank_by, sizeof u->rank_by, "%s", e && *e->value ? e->value : "fill_12mo");
  if (!chs_summary_has_column(u->rank_by))
    return chs_error(CHS_ERR_CONFIG, "%s:%d [study] rank_by = '%s' is not a summary column; allowed: "
                     "%s", path, e ? e->line : 0, u->rank_by, chs_summary_columns() + 4);
  long v;
  CHS_CHECK(whole(u, "draws", 2, CHS_SWEEP_MAX_ROWS, 64, &v));
  u->draws = (int)v;
  CHS_CHECK(whole(u, "bootstrap", 0, 100000, 200, &v));
  u->bootstrap = (int)v;
  CHS_CHECK(whole(u, "seed", 0, LONG_MAX, 1, &v));
  u->seed = (unsigned long long)v;
  snprintf(u->sampler, sizeof u->sampler, "%s", text_of(u, "sampler", "sobol"));
  if (strcmp(u->sampler, "sobol") && strcmp(u->sampler, "lhs"))
    return chs_error(CHS_ERR_CONFIG, "%s:%d [uq] sampler = '%s': allowed sobol, lhs", path,
                     find(u, "sampler")->line, u->sampler);
  const char *sens = text_of(u, "sensitivity", "none");
  if (strcmp(sens, "none") && strcmp(sens, "sobol"))
    return chs_error(CHS_ERR_CONFIG, "%s:%d [uq] sensitivity = '%s': allowed none, sobol", path,
                     find(u, "sensitivity")->line, sens);
  u->sobol = !strcmp(sens, "sobol");

  CHS_CHECK(read_inputs(u, models));

  char def_outcomes[128];
  snprintf(def_outcomes, sizeof def_outcomes, "%s", u->rank_by);
  CHS_CHECK(words(u, "outcomes", def_outcomes, &u->outcomes, &u->noutcomes));
  for (int i = 0; i < u->noutcomes; i++) {
    char col[128];
    snprintf(col, sizeof col, "%s", u->outcomes[i]);
    char *colon = strchr(col, ':');
    if (colon) {
      if (strcmp(colon, ":lower") && strcmp(colon, ":higher"))
        return chs_error(CHS_ERR_CONFIG, "%s:%d [uq] outcomes: '%s': append :lower when lower is "
                         "better (default :higher)", path, find(u, "outcomes")->line, u->outcomes[i]);
      *colon = '\0';
    }
    if (!chs_summary_has_column(col))
      return chs_error(CHS_ERR_CONFIG, "%s:%d [uq] outcomes: '%s' is not a summary column; allowed: %s",
                       path, find(u, "outcomes")->line, col, chs_summary_columns() + 4);
  }
  CHS_CHECK(words(u, "series", "defect_fill", &u->series, &u->nseries));
  for (int i = 0; i < u->nseries; i++)
    if (!is_metric(u->series[i]))
      return chs_error(CHS_ERR_CONFIG, "%s:%d [uq] series: '%s' is not a metric of the result files "
                       "(/metrics/<name>, e.g. defect_fill, hyaline_fraction, inflammation)", path,
                       find(u, "series") ? find(u, "series")->line : 0, u->series[i]);

  /* Sensitivity groups: listed inputs alone, `cohort` = every patient input, the rest one group. */
  CHS_CHECK(words(u, "groups", "", &u->groups, &u->ngroups_listed));
  if (!u->sobol && u->ngroups_listed)
    return chs_error(CHS_ERR_CONFIG, "%s:%d [uq] groups needs sensitivity = sobol", path,
                     find(u, "groups")->line);
  int covered = 0;
  for (int i = 0; i < u->ngroups_listed; i++) {
    const char *g = u->groups[i];
    int ok = 0;
    if (!strcmp(g, "cohort")) {
      ok = u->have_cohort;
      covered += ok ? u->cohort.n : 0;
    } else {
      for (int j = 0; j < u->nvary; j++) ok |= !strcmp(u->vary[j], g);
      if (u->have_cohort && chs_dist_find(&u->cohort, g) >= 0) ok = 1;
      covered += ok;
    }
    for (int j = 0; j < i; j++)
      if (!strcmp(u->groups[j], g)) ok = 0;
    if (!ok)
      return chs_error(CHS_ERR_CONFIG, "%s:%d [uq] groups: '%s' is not a varied input (a key in [uq] "
                       "vary, a cohort key, or the word cohort), or is listed twice", path,
                       find(u, "groups")->line, g);
  }
  int ninputs = u->nvary + (u->have_cohort ? u->cohort.n : 0);
  u->ngroups = u->ngroups_listed ? u->ngroups_listed + (covered < ninputs) : ninputs;
  u->rows_per_scenario = u->sobol ? u->draws * (u->ngroups + 2) : u->draws;
  return CHS_OK;
}

/* ---------------------------------------------------------------- files for the sweep and Python */

static chs_status write_text(const char *path, char *text, size_t len)
{
  (void)len;
  chs_status st = text ? chs_write_file_atomic(path, text) : chs_error(CHS_ERR_NOMEM, "out of memory");
  free(text);
  return st;
}

static chs_status write_inputs(const uq_study *u, const char *dir)
{
  char path[2 * CHS_PATH_MAX], *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) return chs_error(CHS_ERR_NOMEM, "out of memory");
  chs_dist_set varied = {.n = 0};
  varied.d = u->nvary ? calloc((size_t)u->nvary, sizeof *varied.d) : NULL;
  for (int i = 0; i < u->nvary && varied.d; i++) varied.d[varied.n++] = u->priors.d[chs_dist_find(&u->priors, u->vary[i])];
  chs_status st = chs_dist_set_write_csv(&varied, "prior", 1, f);
  free(varied.d); /* shallow copies: the choices belong to u->priors */
  if (st == CHS_OK && u->have_cohort) st = chs_dist_set_write_csv(&u->cohort, "cohort", 0, f);
  fclose(f);
  snprintf(path, sizeof path, "%s/inputs.csv", dir);
  if (st != CHS_OK) {
    free(text);
    return st;
  }
  return write_text(path, text, len);
}

static void put_list(FILE *f, const char *key, char **items, int n)
{
  fprintf(f, "%s =", key);
  for (int i = 0; i < n; i++) fprintf(f, " %s", items[i]);
  fprintf(f, "\n");
}

/* uq.ini: what scripts/uq.py needs (it reads nothing else of the study). */
static chs_status write_settings(const uq_study *u, const char *dir)
{
  char path[2 * CHS_PATH_MAX], *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) return chs_error(CHS_ERR_NOMEM, "out of memory");
  fprintf(f, "; written by chondrosim uq from %s; read by scripts/uq.py\n[uq]\n", u->path);
  fprintf(f, "name = %s\nstudy = %s\ndraws = %d\nseed = %llu\nsampler = %s\nsensitivity = %s\n",
          u->name, u->path, u->draws, u->seed, u->sampler, u->sobol ? "sobol" : "none");
  fprintf(f, "bootstrap = %d\nrank_by = %s\nrows_per_scenario = %d\n", u->bootstrap, u->rank_by,
          u->rows_per_scenario);
  fprintf(f, "cohort_description = %s\n", u->have_cohort ? u->cohort.description : "");
  put_list(f, "outcomes", u->outcomes, u->noutcomes);
  put_list(f, "series", u->series, u->nseries);
  put_list(f, "groups", u->groups, u->ngroups_listed);
  fprintf(f, "matrix =");
  for (int i = 0; i < u->ini.n; i++)
    if (!strcmp(u->ini.e[i].section, "matrix")) fprintf(f, " %s", u->ini.e[i].key);
  fprintf(f, "\n");
  fclose(f);
  snprintf(path, sizeof path, "%s/uq.ini", dir);
  return write_text(path, text, len);
}

/* sweep.ini: the matrix as [values], the draws as the design, [set] and [slurm] as given. */
static chs_status write_sweep(const uq_study *u, const char *dir)
{
  char path[2 * CHS_PATH_MAX], base[PATH_MAX], *text = NULL;
  size_t len = 0;
  if (!realpath(u->base, base))
    return chs_error(CHS_ERR_IO, "cannot resolve %s: %s", u->base, strerror(errno));
  FILE *f = open_memstream(&text, &len);
  if (!f) return chs_error(CHS_ERR_NOMEM, "out of memory");
  fprintf(f, "; written by chondrosim uq from %s: every scenario x every draw\n", u->path);
  fprintf(f, "[sweep]\nname = %s\nbase = %s\ndesign = design.csv\n", u->name, base);
  const char *sections[] = {"matrix", "set", "slurm"}, *as[] = {"values", "set", "slurm"};
  for (int s = 0; s < 3; s++) {
    int any = 0;
    for (int i = 0; i < u->ini.n; i++) {
      const chs_ini_entry *e = &u->ini.e[i];
      if (strcmp(e->section, sections[s])) continue;
      if (!any++) fprintf(f, "[%s]\n", as[s]);
      fprintf(f, "%s = %s\n", e->key, e->value);
    }
  }
  fclose(f);
  snprintf(path, sizeof path, "%s/sweep.ini", dir);
  return write_text(path, text, len);
}

/* Runs /usr/bin/python3 scripts/uq.py MODE DIR; returns its exit status (-1: not started). */
static int run_python(const char *script_name, const char *mode, const char *dir)
{
  char scripts[CHS_PATH_MAX], script[CHS_PATH_MAX + 32];
  chs_scripts_dir(scripts, sizeof scripts);
  snprintf(script, sizeof script, "%s/%s", scripts, script_name);
  char *argv[] = {"/usr/bin/python3", script, (char *)mode, (char *)dir, NULL};
  if (!mode) {
    argv[2] = (char *)dir;
    argv[3] = NULL;
  }
  return chs_run_program(argv);
}

/* Every rank learns rank 0's status. */
static chs_status on_rank0(chs_status st_rank0, const char *what)
{
  int code = chs_par_world_rank() == 0 ? (int)st_rank0 : 0;
  chs_par_comm_max_int(NULL, &code, 1);
  if (code == CHS_OK || chs_par_world_rank() == 0) return (chs_status)code;
  return chs_error((chs_status)code, "rank 0 failed to %s", what);
}

static chs_status prepare(const uq_study *u, const char *dir, const chs_uq_options *opt)
{
  CHS_CHECK(chs_mkdir_p(dir));
  CHS_CHECK(write_inputs(u, dir));
  CHS_CHECK(write_settings(u, dir));
  int rc = run_python("uq.py", "design", dir);
  if (rc == 3)
    return chs_error(CHS_ERR_CONFIG, "%s no longer matches the draws in %s/design.csv (see above); "
                     "use a new [study] name, or delete %s to start over", u->path, dir, dir);
  if (rc != 0)
    return chs_error(CHS_ERR_IO, "scripts/uq.py design %s failed (exit %d; see above)", dir, rc);
  CHS_CHECK(write_sweep(u, dir));
  if (!opt->quiet)
    chs_log(CHS_LOG_INFO, "uq %s: %d draw(s)%s x %d scenario(s) = %d run(s); draws in %s/design.csv",
            u->name, u->draws, u->sobol ? " (Saltelli: N (G + 2) rows each)" : "", u->nscen,
            u->nscen * u->rows_per_scenario, dir);
  return CHS_OK;
}

static chs_status analyse(const char *dir, bool quiet, bool no_plot)
{
  int rc = run_python("aggregate.py", NULL, dir);
  if (rc != 0 && rc != 1)
    return chs_error(CHS_ERR_IO, "scripts/aggregate.py %s failed (exit %d)", dir, rc);
  rc = run_python("uq.py", no_plot ? "analyze-noplot" : "analyze", dir);
  if (rc == 4)
    return chs_error(CHS_ERR_SOLVER, "uq: runs failed or are missing (listed in %s/report.txt); "
                     "the statistics leave their draws out", dir);
  if (rc != 0) return chs_error(CHS_ERR_IO, "scripts/uq.py analyze %s failed (exit %d; see above)", dir, rc);
  if (!quiet) chs_log(CHS_LOG_INFO, "uq: results in %s/ (report.txt, outcomes.csv, bands.csv, ...)", dir);
  return CHS_OK;
}

chs_status chs_uq(const char *study_path, const chs_uq_options *opt)
{
  const char *models = opt->models_dir ? opt->models_dir : chs_config_default_models_dir();
  uq_study u;
  chs_status st = parse(&u, study_path, models);
  char root[CHS_PATH_MAX] = "", dir[CHS_PATH_MAX + CHS_STR_MAX + 2];
  if (st == CHS_OK) {
    /* The base config with [set]: output.dir, and a first check of the study's overrides. */
    int nset = 0;
    char **sets = calloc((size_t)u.ini.n + 1, sizeof *sets);
    chs_config *cfg = calloc(1, sizeof *cfg);
    u.nscen = 1;
    for (int i = 0; sets && i < u.ini.n && st == CHS_OK; i++) {
      const chs_ini_entry *e = &u.ini.e[i];
      if (strcmp(e->section, "set") && strcmp(e->section, "matrix")) continue;
      if (!strcmp(e->section, "matrix")) {
        char **items = NULL, where[CHS_PATH_MAX + 64];
        int n = 0;
        snprintf(where, sizeof where, "%s:%d [matrix] %s", study_path, e->line, e->key);
        st = chs_ini_split(e->value, where, &items, &n);
        if (st == CHS_OK && n == 0) st = chs_error(CHS_ERR_CONFIG, "%s: no values", where);
        for (int j = 0; j < n && st == CHS_OK; j++) st = chs_override_check(&u.ini, e, e->key, items[j]);
        u.nscen *= n > 0 ? n : 1;
        chs_ini_items_free(items, n);
        continue;
      }
      st = chs_override_check(&u.ini, e, e->key, e->value);
      if (st == CHS_OK && (sets[nset] = malloc(strlen(e->key) + strlen(e->value) + 2)))
        sprintf(sets[nset++], "%s=%s", e->key, e->value);
    }
    if (!sets || !cfg) st = chs_error(CHS_ERR_NOMEM, "out of memory");
    if (st == CHS_OK) st = chs_item_load(cfg, u.base, opt->models_dir, nset, sets, u.name);
    if (st == CHS_OK) snprintf(root, sizeof root, "%s", opt->out_dir ? opt->out_dir : cfg->output_dir);
    for (int i = 0; i < nset; i++) free(sets[i]);
    free(sets);
    free(cfg);
  }
  if (st != CHS_OK) {
    uq_free(&u);
    return st;
  }
  snprintf(dir, sizeof dir, "%s/%s", root, u.name);
  if (opt->dry_run) {
    if (chs_par_world_rank() == 0)
      printf("uq %s: %d scenario(s) x %d draw(s)%s = %d run(s); %d prior(s) varied, cohort %s (%d "
             "input(s)); results in %s/\n", u.name, u.nscen, u.draws,
             u.sobol ? " in a Saltelli design" : "", u.nscen * u.rows_per_scenario, u.nvary,
             u.have_cohort ? u.cohort.path : "none", u.have_cohort ? u.cohort.n : 0, dir);
    uq_free(&u);
    return CHS_OK;
  }
  st = on_rank0(chs_par_world_rank() == 0 ? prepare(&u, dir, opt) : CHS_OK, "write the draws");
  char sweep_file[sizeof dir + 16];
  snprintf(sweep_file, sizeof sweep_file, "%s/sweep.ini", dir);
  chs_status ran = CHS_OK;
  if (st == CHS_OK) {
    chs_sweep_options so = {.out_dir = root, .models_dir = opt->models_dir, .jobs = opt->jobs,
                            .slurm = opt->slurm, .quiet = opt->quiet,
                            .command_line = opt->command_line};
    ran = chs_sweep(sweep_file, &so);
    /* Runs that failed leave their draw out of the analysis (in every scenario: pairing);
     * a sweep that stopped before or during its runs is not analysed. */
    if (ran != CHS_OK && (ran == CHS_ERR_INTERRUPTED || !strstr(chs_error_message(), "row(s) of sweep")))
      st = ran;
  }
  if (st == CHS_OK && opt->slurm && chs_par_world_rank() == 0)
    printf("uq %s: after the job array, run `chondrosim uq %s` again: the finished runs are "
           "skipped and the draws analysed\n", u.name, study_path);
  if (st == CHS_OK && !opt->slurm) {
    /* Failed runs: scripts/uq.py tells inadmissible draws (the model refuses the parameter
     * set at setup, e.g. no viable native tissue: an invalid-configuration status) from
     * real failures, and exits 4 only for the latter. */
    if (ran != CHS_OK) chs_error_clear();
    st = on_rank0(chs_par_world_rank() == 0 ? analyse(dir, opt->quiet, opt->no_plot) : CHS_OK,
                  "analyse the draws");
  }
  uq_free(&u);
  return st;
}

#define _POSIX_C_SOURCE 200809L
#include "study/uq_inputs.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "study/studyfile.h"

static const char *kind_name[] = {"uniform", "loguniform", "truncnormal", "choice"};

void chs_dist_set_free(chs_dist_set *set)
{
  for (int i = 0; i < set->n; i++) {
    chs_ini_items_free(set->d[i].choice, set->d[i].nchoice);
    free(set->d[i].weight);
  }
  free(set->d);
  set->d = NULL;
  set->n = 0;
}

int chs_dist_find(const chs_dist_set *set, const char *key)
{
  for (int i = 0; i < set->n; i++)
    if (!strcmp(set->d[i].key, key)) return i;
  return -1;
}

const char *chs_dist_text(const chs_dist *d, char *buf, size_t len)
{
  int n = snprintf(buf, len, "%s", kind_name[d->kind]);
  if (d->kind == CHS_DIST_CHOICE) {
    for (int i = 0; i < d->nchoice && n > 0 && (size_t)n < len; i++)
      n += snprintf(buf + n, len - (size_t)n, " %s:%.3g", d->choice[i], d->weight[i]);
  } else {
    int np = d->kind == CHS_DIST_TRUNCNORMAL ? 4 : 2;
    for (int i = 0; i < np && n > 0 && (size_t)n < len; i++)
      n += snprintf(buf + n, len - (size_t)n, " %g", d->p[i]);
  }
  return buf;
}

/* ---------------------------------------------------------------- one line */

static int parse_number(const char *s, double *v)
{
  char *end;
  *v = strtod(s, &end);
  return end != s && *end == '\0' && isfinite(*v);
}

/* Probability of a standard normal between a and b. */
static double normal_mass(double a, double b)
{
  return 0.5 * (erfc(-b / sqrt(2.0)) - erfc(-a / sqrt(2.0)));
}

/* Checks `value` of key as the configuration would (type, range, choices). */
static chs_status check_value(const char *where, const char *key, const char *value)
{
  chs_config *scratch = calloc(1, sizeof *scratch);
  if (!scratch) return chs_error(CHS_ERR_NOMEM, "out of memory");
  chs_status st = chs_config_assign(scratch, key, value, where);
  free(scratch);
  return st;
}

static chs_status parse_choices(const char *where, chs_dist *d, char **items, int n)
{
  if (n < 2)
    return chs_error(CHS_ERR_CONFIG, "%s: choice needs at least one value (choice A:0.5 B:0.5)", where);
  d->nchoice = n - 1;
  d->choice = calloc((size_t)d->nchoice, sizeof *d->choice);
  d->weight = calloc((size_t)d->nchoice, sizeof *d->weight);
  if (!d->choice || !d->weight) return chs_error(CHS_ERR_NOMEM, "out of memory");
  double sum = 0;
  for (int i = 0; i < d->nchoice; i++) {
    char *item = items[i + 1], *colon = strrchr(item, ':');
    double w = 1;
    if (colon) {
      *colon = '\0';
      if (!parse_number(colon + 1, &w) || w < 0)
        return chs_error(CHS_ERR_CONFIG, "%s: choice %s: weight '%s' must be a number >= 0", where,
                         item, colon + 1);
    }
    if (!(d->choice[i] = strdup(item))) return chs_error(CHS_ERR_NOMEM, "out of memory");
    for (int j = 0; j < i; j++)
      if (!strcmp(d->choice[j], item))
        return chs_error(CHS_ERR_CONFIG, "%s: choice value '%s' is listed twice", where, item);
    CHS_CHECK(check_value(where, d->key, item));
    d->weight[i] = w;
    sum += w;
  }
  if (!(sum > 0))
    return chs_error(CHS_ERR_CONFIG, "%s: the choice has no probability mass (all weights are 0)",
                     where);
  for (int i = 0; i < d->nchoice; i++) d->weight[i] /= sum;
  return CHS_OK;
}

static chs_status parse_continuous(const char *where, chs_dist *d, const chs_param *p, char **items,
                                   int n)
{
  int np = d->kind == CHS_DIST_TRUNCNORMAL ? 4 : 2;
  if (p->type != CHS_PT_REAL && p->type != CHS_PT_INT)
    return chs_error(CHS_ERR_CONFIG, "%s: %s is not a number; use choice V1:W1 V2:W2 ...", where,
                     d->key);
  if (n != np + 1)
    return chs_error(CHS_ERR_CONFIG, "%s: %s takes %s", where, kind_name[d->kind],
                     np == 4 ? "MEAN SD LO HI" : "LO HI");
  for (int i = 0; i < np; i++)
    if (!parse_number(items[i + 1], &d->p[i]))
      return chs_error(CHS_ERR_CONFIG, "%s: '%s' is not a number", where, items[i + 1]);
  double lo = d->p[np - 2], hi = d->p[np - 1];
  if (!(lo < hi))
    return chs_error(CHS_ERR_CONFIG, "%s: the distribution has no probability mass: LO = %g must "
                     "be below HI = %g", where, lo, hi);
  if (d->kind == CHS_DIST_LOGUNIFORM && !(lo > 0))
    return chs_error(CHS_ERR_CONFIG, "%s: loguniform needs LO > 0 (got %g)", where, lo);
  if (d->kind == CHS_DIST_TRUNCNORMAL) {
    double mu = d->p[0], sd = d->p[1];
    if (!(sd > 0))
      return chs_error(CHS_ERR_CONFIG, "%s: truncnormal needs SD > 0 (got %g)", where, sd);
    double mass = normal_mass((lo - mu) / sd, (hi - mu) / sd);
    if (!(mass > 1e-9))
      return chs_error(CHS_ERR_CONFIG, "%s: the distribution has no probability mass: [%g, %g] is "
                       "%.3g SD from the mean %g", where, lo, hi,
                       fmin(fabs(lo - mu), fabs(hi - mu)) / sd, mu);
  }
  if (lo < p->min || hi > p->max)
    return chs_error(CHS_ERR_CONFIG, "%s: the support [%g, %g] leaves the allowed range [%g, %g]%s%s "
                     "of %s (%s)", where, lo, hi, p->min, p->max, p->unit && *p->unit ? " " : "",
                     p->unit ? p->unit : "", d->key, p->doc);
  if (p->type == CHS_PT_INT && floor(hi) < ceil(lo))
    return chs_error(CHS_ERR_CONFIG, "%s: %s is a whole number, but [%g, %g] holds none", where,
                     d->key, lo, hi);
  return CHS_OK;
}

/* `e` ("uniform 0.01 0.1 \"[G] why\"") into d; `prior` applies the rules of priors.ini. */
static chs_status parse_line(const char *path, const chs_ini_entry *e, int prior, chs_dist *d)
{
  char where[CHS_PATH_MAX + 300];
  snprintf(where, sizeof where, "%s:%d [%s] %s = %s", path, e->line, e->section, e->key, e->value);
  memset(d, 0, sizeof *d);
  snprintf(d->key, sizeof d->key, "%s.%s", e->section, e->key);
  snprintf(d->origin, sizeof d->origin, "%s:%d", path, e->line);
  int idx = chs_param_index(d->key);
  if (idx < 0) return check_value(where, d->key, "0"); /* unknown key, with did-you-mean */
  const chs_param *p = &chs_param_table()[idx];

  /* The distribution, then the evidence in double quotes. */
  char spec[1024];
  snprintf(spec, sizeof spec, "%s", e->value);
  char *quote = strchr(spec, '"');
  if (quote) {
    char *close = strchr(quote + 1, '"');
    if (!close || close[1 + strspn(close + 1, " \t")] != '\0')
      return chs_error(CHS_ERR_CONFIG, "%s: the evidence must be one \"quoted text\" at the end",
                       where);
    *close = '\0';
    snprintf(d->evidence, sizeof d->evidence, "%s", quote + 1);
    *quote = '\0';
  }
  if (prior) {
    if (p->def != CHS_FROM_MODEL)
      return chs_error(CHS_ERR_CONFIG, "%s: %s is not a model parameter; priors hold the "
                       "parameters of models/base.ini (patient inputs go into a cohort, "
                       "models/cohorts/; therapy keys into the study's [matrix] or [set])", where,
                       d->key);
    if (!strcmp(e->section, "source") || !strcmp(e->section, "carrier"))
      return chs_error(CHS_ERR_CONFIG, "%s: %s comes from the %s file chosen by the scenario; a "
                       "prior would overwrite it for every %s", where, d->key, e->section, e->section);
    if (!d->evidence[0] || !(d->evidence[0] == '[' && strchr("ATSG", d->evidence[1]) &&
                             d->evidence[2] == ']'))
      return chs_error(CHS_ERR_CONFIG, "%s: a prior needs its evidence as \"[TAG] reason\" at the "
                       "end (TAG: A, T, S or G as in models/base.ini)", where);
  }
  if (!strcmp(d->key, "run.name") || !strcmp(d->key, "output.dir"))
    return chs_error(CHS_ERR_CONFIG, "%s: %s cannot vary", where, d->key);

  char **items = NULL;
  int n = 0;
  CHS_CHECK(chs_ini_split(spec, where, &items, &n));
  chs_status st = CHS_OK;
  if (n == 0)
    st = chs_error(CHS_ERR_CONFIG, "%s: no distribution (uniform LO HI, loguniform LO HI, "
                   "truncnormal MEAN SD LO HI or choice V1:W1 V2:W2 ...)", where);
  else {
    int k = -1;
    for (int i = 0; i < 4; i++)
      if (!strcmp(items[0], kind_name[i])) k = i;
    if (k < 0)
      st = chs_error(CHS_ERR_CONFIG, "%s: unknown distribution '%s'; allowed: uniform, loguniform, "
                     "truncnormal, choice", where, items[0]);
    else {
      d->kind = (chs_dist_kind)k;
      if (p->type == CHS_PT_LIST)
        st = chs_error(CHS_ERR_CONFIG, "%s: %s is a list and cannot be sampled", where, d->key);
      else if (d->kind == CHS_DIST_CHOICE)
        st = parse_choices(where, d, items, n);
      else
        st = parse_continuous(where, d, p, items, n);
    }
  }
  chs_ini_items_free(items, n);
  return st;
}

/* ---------------------------------------------------------------- files */

static chs_status read_set(const char *path, int prior, chs_dist_set *set)
{
  memset(set, 0, sizeof *set);
  snprintf(set->path, sizeof set->path, "%s", path);
  chs_ini ini;
  chs_status st = chs_ini_read(path, &ini);
  if (st != CHS_OK) return st;
  set->d = calloc((size_t)ini.n + 1, sizeof *set->d);
  if (!set->d) st = chs_error(CHS_ERR_NOMEM, "out of memory");
  for (int i = 0; i < ini.n && st == CHS_OK; i++) {
    const chs_ini_entry *e = &ini.e[i];
    if (!prior && !strcmp(e->section, "cohort")) {
      if (strcmp(e->key, "description"))
        st = chs_error(CHS_ERR_CONFIG, "%s:%d: unknown key '%s' in [cohort] (allowed: description)",
                       path, e->line, e->key);
      else {
        snprintf(set->description, sizeof set->description, "%s", e->value);
        size_t len = strlen(set->description);
        if (len >= 2 && set->description[0] == '"' && set->description[len - 1] == '"') {
          memmove(set->description, set->description + 1, len - 2);
          set->description[len - 2] = '\0';
        }
      }
      continue;
    }
    st = parse_line(path, e, prior, &set->d[set->n]);
    set->n++; /* freed even when it failed half-way */
  }
  chs_ini_free(&ini);
  if (st == CHS_OK && set->n == 0)
    st = chs_error(CHS_ERR_CONFIG, "%s: %s: no inputs with a distribution (e.g. [patient] age = "
                   "uniform 45 70)", path, prior ? "no priors" : "empty cohort");
  if (st != CHS_OK) chs_dist_set_free(set);
  return st;
}

chs_status chs_priors_read(const char *path, chs_dist_set *set) { return read_set(path, 1, set); }
chs_status chs_cohort_read(const char *path, chs_dist_set *set) { return read_set(path, 0, set); }

void chs_cohort_path(const char *models_dir, const char *name_or_path, const char *beside,
                     char *out, size_t len)
{
  size_t n = strlen(name_or_path);
  if (n > 4 && !strcmp(name_or_path + n - 4, ".ini")) {
    if (beside)
      chs_path_beside(beside, name_or_path, out, len);
    else
      snprintf(out, len, "%s", name_or_path);
  } else
    snprintf(out, len, "%s/cohorts/%s.ini", models_dir, name_or_path);
}

/* ---------------------------------------------------------------- listing */

typedef struct {
  char key[128];
  char value[64];
  int guess; /* the line's comment carries [G] */
} base_entry;

/* The keys of models/base.ini with their values and whether they are tagged [G]; read raw
 * because the tags live in the comments. */
static int scan_base(const char *models_dir, base_entry **out)
{
  char path[CHS_PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/base.ini", models_dir);
  FILE *f = fopen(path, "r");
  *out = NULL;
  if (!f) return 0;
  int n = 0, cap = 0;
  char line[1024], section[64] = "";
  while (fgets(line, sizeof line, f)) {
    char *s = line + strspn(line, " \t");
    if (*s == '[') {
      char *close = strchr(s, ']');
      if (close) snprintf(section, sizeof section, "%.*s", (int)(close - s - 1), s + 1);
      continue;
    }
    char *eq = strchr(s, '=');
    if (*s == ';' || *s == '#' || !eq) continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 128;
      base_entry *g = realloc(*out, sizeof *g * (size_t)cap);
      if (!g) break;
      *out = g;
    }
    base_entry *b = &(*out)[n++];
    char *k = s, *ke = eq;
    while (ke > k && isspace((unsigned char)ke[-1])) ke--;
    snprintf(b->key, sizeof b->key, "%s.%.*s", section, (int)(ke - k), k);
    char *v = eq + 1 + strspn(eq + 1, " \t");
    snprintf(b->value, sizeof b->value, "%.*s", (int)strcspn(v, " \t;#\r\n"), v);
    char *comment = strchr(v, ';');
    b->guess = comment && strstr(comment, "[G]");
  }
  fclose(f);
  return n;
}

int chs_priors_print(FILE *out, const chs_dist_set *priors, const char *models_dir)
{
  base_entry *base = NULL;
  int nb = scan_base(models_dir, &base), outside = 0;
  fprintf(out, "priors: %s (%d uncertain model parameters)\n", priors->path, priors->n);
  fprintf(out, "%-28s %-40s %-10s %s\n", "key", "distribution", "base.ini", "evidence");
  for (int i = 0; i < priors->n; i++) {
    const chs_dist *d = &priors->d[i];
    char text[256];
    const char *bv = "-";
    for (int j = 0; j < nb; j++)
      if (!strcmp(base[j].key, d->key)) bv = base[j].value;
    double v;
    int mark = 0;
    if (d->kind != CHS_DIST_CHOICE && parse_number(bv, &v)) {
      double lo = d->p[d->kind == CHS_DIST_TRUNCNORMAL ? 2 : 0], hi = d->p[d->kind == CHS_DIST_TRUNCNORMAL ? 3 : 1];
      mark = v < lo || v > hi;
    }
    outside += mark;
    fprintf(out, "%-28s %-40s %-10s %s%s\n", d->key, chs_dist_text(d, text, sizeof text), bv,
            d->evidence, mark ? "   <- WARNING: base.ini value outside the prior" : "");
  }
  int missing = 0;
  for (int j = 0; j < nb; j++)
    if (base[j].guess && chs_dist_find(priors, base[j].key) < 0) {
      if (!missing++) fprintf(out, "[G]-tagged keys of %s/base.ini without a prior (fixed at their value):\n", models_dir);
      fprintf(out, "  %s = %s\n", base[j].key, base[j].value);
    }
  if (!missing) fprintf(out, "every [G]-tagged key of %s/base.ini has a prior\n", models_dir);
  free(base);
  return outside;
}

/* ---------------------------------------------------------------- for the sampler */

chs_status chs_dist_set_write_csv(const chs_dist_set *set, const char *what, int header, FILE *out)
{
  if (header) fprintf(out, "key,source,kind,p1,p2,p3,p4,choices,weights,type,origin\n");
  for (int i = 0; i < set->n; i++) {
    const chs_dist *d = &set->d[i];
    const chs_param *p = &chs_param_table()[chs_param_index(d->key)];
    const char *type = p->type == CHS_PT_REAL ? "real" : p->type == CHS_PT_INT ? "int" : "text";
    fprintf(out, "%s,%s,%s,%.17g,%.17g,%.17g,%.17g,\"", d->key, what, kind_name[d->kind], d->p[0],
            d->p[1], d->p[2], d->p[3]);
    for (int j = 0; j < d->nchoice; j++) fprintf(out, "%s%s", j ? " " : "", d->choice[j]);
    fprintf(out, "\",\"");
    for (int j = 0; j < d->nchoice; j++) fprintf(out, "%s%.17g", j ? " " : "", d->weight[j]);
    char field[CHS_PATH_MAX + 64];
    fprintf(out, "\",%s,%s\n", type, chs_csv_field(d->origin, field, sizeof field));
  }
  return ferror(out) ? chs_error(CHS_ERR_IO, "cannot write the list of uncertain inputs") : CHS_OK;
}

#define _POSIX_C_SOURCE 200809L
#include "config/config.h"

#include "config/composition.h"
#include "core/fsutil.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/ini_file.h"
#include "core/datadir.h"
#include "core/log.h"

/* Debian's libinih is built with INI_MAX_LINE = 200. */


/* ---------------------------------------------------------------- the table */

static const chs_param g_table[] = {
#define CHS_X_R(sec, name, def, lo, hi, unit, doc) \
  {#sec "." #name, CHS_PT_REAL, def, lo, hi, unit, NULL, doc, offsetof(chs_config, sec##_##name)},
#define CHS_X_I(sec, name, def, lo, hi, doc) \
  {#sec "." #name, CHS_PT_INT, def, lo, hi, "", NULL, doc, offsetof(chs_config, sec##_##name)},
#define CHS_X_S(sec, name, def, doc) \
  {#sec "." #name, CHS_PT_STRING, def, 0, 0, "", NULL, doc, offsetof(chs_config, sec##_##name)},
#define CHS_X_E(sec, name, def, choices, doc) \
  {#sec "." #name, CHS_PT_ENUM, def, 0, 0, "", choices, doc, offsetof(chs_config, sec##_##name)},
#define CHS_X_L(sec, name, def, lo, hi, unit, doc) \
  {#sec "." #name, CHS_PT_LIST, def, lo, hi, unit, NULL, doc, offsetof(chs_config, sec##_##name)},
#define CHS_X_B(sec, name, def, doc) \
  {#sec "." #name, CHS_PT_BOOL, def, 0, 1, "", NULL, doc, offsetof(chs_config, sec##_##name)},
    CHS_PARAMS(CHS_X_R, CHS_X_I, CHS_X_S, CHS_X_E, CHS_X_L, CHS_X_B)
#undef CHS_X_R
#undef CHS_X_I
#undef CHS_X_S
#undef CHS_X_E
#undef CHS_X_L
#undef CHS_X_B
};

const chs_param *chs_param_table(void) { return g_table; }

int chs_param_index(const char *key)
{
  for (int i = 0; i < CHS_NPARAMS; i++)
    if (strcmp(g_table[i].key, key) == 0) return i;
  return -1;
}

const char *chs_config_default_models_dir(void)
{
  static char dir[CHS_PATH_MAX]; /* core/datadir.h: $CHONDROSIM_MODELS, installed, build tree */
  if (chs_data_dir("models", "CHONDROSIM_MODELS", dir, sizeof dir) != CHS_OK) {
    chs_error_clear();
    snprintf(dir, sizeof dir, "models");
  }
  return dir;
}

/* ---------------------------------------------------------------- helpers */

int chs_edit_distance(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);
  if (la > 128 || lb > 128) return 1000;
  int prev[130], cur[130];
  for (size_t j = 0; j <= lb; j++) prev[j] = (int)j;
  for (size_t i = 1; i <= la; i++) {
    cur[0] = (int)i;
    for (size_t j = 1; j <= lb; j++) {
      int cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
      int best = prev[j - 1] + cost;
      if (prev[j] + 1 < best) best = prev[j] + 1;
      if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
      cur[j] = best;
    }
    memcpy(prev, cur, sizeof(int) * (lb + 1));
  }
  return prev[lb];
}

/* The nearest key by edit distance; NULL if nothing is close. */
static const char *nearest_key(const char *key)
{
  const char *best = NULL;
  int best_d = 1 << 30;
  for (int i = 0; i < CHS_NPARAMS; i++) {
    int d = chs_edit_distance(key, g_table[i].key);
    if (d < best_d) {
      best_d = d;
      best = g_table[i].key;
    }
  }
  /* A suggestion farther than a third of the key length is noise. */
  int limit = (int)strlen(key) / 3 + 1;
  return best_d <= limit ? best : NULL;
}

static const char *nearest_choice(const char *choices, const char *value, char *buf, size_t len)
{
  const char *p = choices;
  int best_d = 1 << 30;
  buf[0] = '\0';
  while (*p) {
    const char *bar = strchr(p, '|');
    size_t n = bar ? (size_t)(bar - p) : strlen(p);
    char word[64];
    if (n >= sizeof word) n = sizeof word - 1;
    memcpy(word, p, n);
    word[n] = '\0';
    int d = chs_edit_distance(value, word);
    if (d < best_d && n < len) {
      best_d = d;
      strcpy(buf, word);
    }
    p = bar ? bar + 1 : p + n;
  }
  return best_d <= (int)strlen(value) / 2 + 1 ? buf : NULL;
}

static int enum_lookup(const char *choices, const char *value)
{
  const char *p = choices;
  int idx = 0;
  size_t vl = strlen(value);
  while (*p) {
    const char *bar = strchr(p, '|');
    size_t n = bar ? (size_t)(bar - p) : strlen(p);
    if (n == vl && strncmp(p, value, n) == 0) return idx;
    idx++;
    p = bar ? bar + 1 : p + n;
  }
  return -1;
}

const char *chs_config_enum_name(const char *key, int value)
{
  static char buf[8][64];
  static int slot;
  int i = chs_param_index(key);
  if (i < 0 || g_table[i].type != CHS_PT_ENUM) return "?";
  const char *p = g_table[i].choices;
  for (int k = 0; k < value && p; k++) {
    p = strchr(p, '|');
    if (p) p++;
  }
  if (!p) return "?";
  const char *bar = strchr(p, '|');
  size_t n = bar ? (size_t)(bar - p) : strlen(p);
  char *out = buf[slot++ % 8];
  if (n > 63) n = 63;
  memcpy(out, p, n);
  out[n] = '\0';
  return out;
}

static void trim(char *s)
{
  size_t n = strlen(s);
  while (n > 0 && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
  size_t k = 0;
  while (s[k] && isspace((unsigned char)s[k])) k++;
  if (k) memmove(s, s + k, n - k + 1);
}

static int parse_real(const char *text, double *out)
{
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || errno == ERANGE || !isfinite(v)) return -1;
  while (isspace((unsigned char)*end)) end++;
  if (*end) return -1;
  *out = v;
  return 0;
}

static const char *range_text(const chs_param *p, char *buf, size_t len)
{
  if (p->max >= CHS_BIG)
    snprintf(buf, len, "at least %g", p->min);
  else
    snprintf(buf, len, "%g to %g", p->min, p->max);
  return buf;
}

/* ---------------------------------------------------------------- assign */

chs_status chs_config_assign(chs_config *cfg, const char *key, const char *value_in,
                             const char *origin)
{
  int idx = chs_param_index(key);
  if (idx < 0) {
    const char *near = nearest_key(key);
    if (near)
      return chs_error(CHS_ERR_CONFIG, "%s: unknown key '%s' (did you mean '%s'?)", origin, key,
                       near);
    return chs_error(CHS_ERR_CONFIG,
                     "%s: unknown key '%s' (`chondrosim info --params` lists every key)", origin,
                     key);
  }
  const chs_param *p = &g_table[idx];
  char value[CHS_STR_MAX * 4];
  snprintf(value, sizeof value, "%s", value_in);
  trim(value);
  char *field = (char *)cfg + p->offset;
  char rng[96];
  const char *unit = (p->unit && *p->unit) ? p->unit : "";

  switch (p->type) {
  case CHS_PT_REAL: {
    double v;
    if (parse_real(value, &v))
      return chs_error(CHS_ERR_CONFIG, "%s: %s = '%s' is not a number (%s)", origin, key, value,
                       p->doc);
    if (v < p->min || v > p->max)
      return chs_error(CHS_ERR_CONFIG, "%s: %s = %s is out of range: allowed %s %s (%s)", origin,
                       key, value, range_text(p, rng, sizeof rng), unit, p->doc);
    *(double *)field = v;
    break;
  }
  case CHS_PT_INT: {
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    while (isspace((unsigned char)*end)) end++;
    if (end == value || *end || errno == ERANGE)
      return chs_error(CHS_ERR_CONFIG, "%s: %s = '%s' is not a whole number (%s)", origin, key,
                       value, p->doc);
    if ((double)v < p->min || (double)v > p->max)
      return chs_error(CHS_ERR_CONFIG, "%s: %s = %s is out of range: allowed %s (%s)", origin, key,
                       value, range_text(p, rng, sizeof rng), p->doc);
    *(int *)field = (int)v;
    break;
  }
  case CHS_PT_STRING:
    if (strlen(value) >= CHS_STR_MAX)
      return chs_error(CHS_ERR_CONFIG, "%s: %s is longer than %d characters", origin, key,
                       CHS_STR_MAX - 1);
    strcpy(field, value);
    break;
  case CHS_PT_ENUM: {
    int v = enum_lookup(p->choices, value);
    if (v < 0) {
      char near[64];
      const char *n = nearest_choice(p->choices, value, near, sizeof near);
      char allowed[256];
      snprintf(allowed, sizeof allowed, "%s", p->choices);
      for (char *c = allowed; *c; c++)
        if (*c == '|') *c = ',';
      if (n)
        return chs_error(CHS_ERR_CONFIG, "%s: %s = '%s' is not allowed (did you mean '%s'?); "
                         "allowed: %s", origin, key, value, n, allowed);
      return chs_error(CHS_ERR_CONFIG, "%s: %s = '%s' is not allowed; allowed: %s", origin, key,
                       value, allowed);
    }
    *(int *)field = v;
    break;
  }
  case CHS_PT_BOOL: {
    bool v;
    if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1"))
      v = true;
    else if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0"))
      v = false;
    else
      return chs_error(CHS_ERR_CONFIG, "%s: %s = '%s' is not allowed; allowed: true, false",
                       origin, key, value);
    *(bool *)field = v;
    break;
  }
  case CHS_PT_LIST: {
    chs_real_list list = {0};
    char *save = NULL;
    for (char *tok = strtok_r(value, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
      double v;
      if (list.n == CHS_LIST_MAX)
        return chs_error(CHS_ERR_CONFIG, "%s: %s has more than %d entries", origin, key,
                         CHS_LIST_MAX);
      if (parse_real(tok, &v))
        return chs_error(CHS_ERR_CONFIG, "%s: %s: '%s' is not a number (%s)", origin, key, tok,
                         p->doc);
      if (v < p->min || v > p->max)
        return chs_error(CHS_ERR_CONFIG, "%s: %s: entry %s is out of range: allowed %s %s", origin,
                         key, tok, range_text(p, rng, sizeof rng), unit);
      list.v[list.n++] = v;
    }
    *(chs_real_list *)field = list;
    break;
  }
  }
  snprintf(cfg->origin[idx], sizeof cfg->origin[idx], "%s", origin);
  cfg->is_set[idx] = true;
  return CHS_OK;
}

/* ---------------------------------------------------------------- INI files */

/* Parsed entries are collected first, so the source file can be chosen from the run config. */
typedef struct {
  char key[128];
  char value[CHS_STR_MAX * 2];
  char origin[160];
} entry;

typedef struct {
  entry *items;
  int n, cap;
  const char *path;
} entry_list;

static chs_status collect(void *user, const char *section, const char *name, const char *value,
                          int line)
{
  entry_list *L = user;
  if (L->n == L->cap) {
    int cap = L->cap ? 2 * L->cap : 64;
    entry *grown = realloc(L->items, sizeof(entry) * (size_t)cap);
    if (!grown) return chs_error(CHS_ERR_NOMEM, "out of memory reading %s", L->path);
    L->items = grown;
    L->cap = cap;
  }
  entry *e = &L->items[L->n];
  snprintf(e->key, sizeof e->key, "%s%s%s", section, *section ? "." : "", name);
  /* The same key twice in one file: the last would silently win. */
  for (int i = 0; i < L->n; i++)
    if (!strcmp(L->items[i].key, e->key))
      return chs_error(CHS_ERR_CONFIG, "%s:%d: key '%s' is given twice in this file (first "
                       "at %s): keep one", L->path, line, e->key, L->items[i].origin);
  L->n++;
  snprintf(e->value, sizeof e->value, "%s", value);
  snprintf(e->origin, sizeof e->origin, "%s:%d", L->path, line);
  if (!*section)
    return chs_error(CHS_ERR_CONFIG, "%s: key '%s' is outside any [section]", e->origin, name);
  return CHS_OK;
}

/* The one INI dialect (config/ini_file.h): comments, continuation lines, the line limit,
 * regular files only, a [section] or key given twice is an error. */
static chs_status read_ini(const char *path, const char *what, entry_list *L)
{
  L->path = path;
  return chs_ini_parse(path, what, collect, L);
}

static chs_status apply_entries(chs_config *cfg, const entry_list *L)
{
  for (int i = 0; i < L->n; i++)
    CHS_CHECK(chs_config_assign(cfg, L->items[i].key, L->items[i].value, L->items[i].origin));
  return CHS_OK;
}

static chs_status apply_file(chs_config *cfg, const char *path)
{
  entry_list L = {0};
  chs_status st = read_ini(path, "model file", &L);
  if (st == CHS_OK) st = apply_entries(cfg, &L);
  free(L.items);
  return st;
}

/* The value the run config or --set gives a key (the last one wins), else NULL. */
static const char *pending_value(const entry_list *L, const char *key)
{
  const char *v = NULL;
  for (int i = 0; i < L->n; i++)
    if (!strcmp(L->items[i].key, key)) v = L->items[i].value;
  return v;
}

static const char *pending_origin(const entry_list *L, const char *key)
{
  const char *o = NULL;
  for (int i = 0; i < L->n; i++)
    if (!strcmp(L->items[i].key, key)) o = L->items[i].origin;
  return o;
}

/* <models>/<dir>/<name>.ini, or an error that lists the files there. */
static chs_status data_file(const char *models, const char *dir, const char *key, const char *name,
                            const char *origin, char *path, size_t len)
{
  if (strchr(name, '/') || strlen(name) > 100)
    return chs_error(CHS_ERR_CONFIG, "%s: %s = '%s' must be a plain name (a file in %s/%s/)", origin,
                     key, name, models, dir);
  snprintf(path, len, "%s/%s/%s.ini", models, dir, name);
  FILE *f = fopen(path, "r");
  if (f) {
    fclose(f);
    return CHS_OK;
  }
  char list[1024] = "", near[128] = "";
  int best = 1 << 30;
  char folder[CHS_PATH_MAX + 64];
  snprintf(folder, sizeof folder, "%s/%s", models, dir);
  DIR *d = opendir(folder);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      size_t n = strlen(e->d_name);
      if (n < 5 || strcmp(e->d_name + n - 4, ".ini")) continue;
      char stem[128];
      snprintf(stem, sizeof stem, "%.*s", (int)(n - 4), e->d_name);
      size_t used = strlen(list);
      snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", stem);
      int dist = chs_edit_distance(name, stem);
      if (dist < best) {
        best = dist;
        snprintf(near, sizeof near, "%s", stem);
      }
    }
    closedir(d);
  }
  if (near[0] && best <= (int)strlen(name) / 3 + 1)
    return chs_error(CHS_ERR_CONFIG, "%s: %s = '%s' has no file %s (did you mean '%s'?); available: %s",
                     origin, key, name, path, near, list);
  return chs_error(CHS_ERR_CONFIG, "%s: %s = '%s' has no file %s; available: %s", origin, key, name,
                   path, list[0] ? list : "(none)");
}

/* ---------------------------------------------------------------- checks */

/* Short trial runs (--set run.end_time=90) keep the default output times: the ones after
 * the end are dropped with a note, and the end itself is always an output (appended if
 * missing), so every run's last state is in its file. */
static chs_status fit_output_times(chs_real_list *t, double end, const char *origin)
{
  char dropped[256] = "";
  size_t used = 0;
  int kept = 0;
  for (int k = 0; k < t->n; k++) {
    if (t->v[k] <= end) {
      t->v[kept++] = t->v[k];
    } else if (used < sizeof dropped) {
      int w = snprintf(dropped + used, sizeof dropped - used, " %g", t->v[k]);
      used += w > 0 ? (size_t)w : 0;
    }
  }
  if (kept < t->n)
    chs_log(CHS_LOG_INFO, "%s: output.times after run.end_time = %g dropped:%s", origin, end,
            dropped);
  t->n = kept;
  if (t->n == 0 || t->v[t->n - 1] < end) {
    if (t->n == CHS_LIST_MAX)
      return chs_error(CHS_ERR_CONFIG, "%s: output.times has %d entries before run.end_time = %g "
                       "and the end must be an output too; allowed: at most %d entries before it",
                       origin, t->n, end, CHS_LIST_MAX - 1);
    t->v[t->n++] = end;
  }
  return CHS_OK;
}

static chs_status check_consistency(chs_config *cfg)
{
  for (int i = 0; i < CHS_NPARAMS; i++)
    if (!cfg->is_set[i])
      return chs_error(CHS_ERR_CONFIG,
                       "%s has no value: it is a model parameter and must be set in %s/base.ini "
                       "(or a source/patient file); %s", g_table[i].key, cfg->models_dir,
                       g_table[i].doc);

#define ORIGIN(key) cfg->origin[chs_param_index(key)]
  /* run.name is one directory below output.dir and a CSV field: checked before anything
   * is created. */
  const char *why = chs_plain_name_problem(cfg->run_name);
  if (why)
    return chs_error(CHS_ERR_CONFIG, "%s: run.name = '%s' is not a plain name: %s; allowed: "
                     "one directory name, not '.' or '..', without '/', ',' or control characters",
                     cfg->is_set[chs_param_index("run.name")] && strcmp(ORIGIN("run.name"), "default")
                         ? ORIGIN("run.name")
                         : cfg->config_path,
                     cfg->run_name, why);
  if (!cfg->output_dir[0])
    return chs_error(CHS_ERR_CONFIG, "%s: output.dir is empty: name a directory (e.g. results)",
                     ORIGIN("output.dir"));
  if (cfg->grid_geometry != CHS_GEOM_CARTESIAN3D && cfg->grid_ny != 1)
    return chs_error(CHS_ERR_CONFIG, "%s: grid.ny = %d but grid.geometry = %s is 2D; allowed: 1",
                     ORIGIN("grid.ny"), cfg->grid_ny,
                     chs_config_enum_name("grid.geometry", cfg->grid_geometry));
  chs_real_list *t = &cfg->output_times;
  for (int k = 0; k < t->n; k++) {
    if (k > 0 && t->v[k] <= t->v[k - 1])
      return chs_error(CHS_ERR_CONFIG, "%s: output.times must increase (%g follows %g)",
                       ORIGIN("output.times"), t->v[k], t->v[k - 1]);
  }
  CHS_CHECK(fit_output_times(t, cfg->run_end_time, ORIGIN("output.times")));
  if (cfg->lesion_shape != CHS_LESION_NONE) {
    double half = cfg->grid_geometry == CHS_GEOM_AXISYMMETRIC ? cfg->grid_width
                                                              : 0.5 * cfg->grid_width;
    if (cfg->lesion_radius <= 0 || cfg->lesion_depth <= 0)
      return chs_error(CHS_ERR_CONFIG, "%s: a %s lesion needs lesion.radius > 0 and lesion.depth > 0",
                       ORIGIN("lesion.shape"), chs_config_enum_name("lesion.shape", cfg->lesion_shape));
    if (cfg->lesion_radius + fabs(cfg->lesion_center_x) > half)
      return chs_error(CHS_ERR_CONFIG,
                       "%s: lesion.radius = %g (centre x %g) does not fit the domain: grid.width = %g "
                       "gives room for %g mm; allowed: radius + |center_x| <= %g",
                       ORIGIN("lesion.radius"), cfg->lesion_radius, cfg->lesion_center_x,
                       cfg->grid_width, half, half);
  }
  bool focal = cfg->lesion_shape == CHS_LESION_CYLINDER || cfg->lesion_shape == CHS_LESION_ELLIPSOID ||
               cfg->lesion_shape == CHS_LESION_MASK;
  if ((cfg->therapy_route == CHS_ROUTE_INTRALESIONAL || cfg->therapy_route == CHS_ROUTE_SUBCHONDRAL) &&
      !focal && cfg->therapy_dose > 0)
    return chs_error(CHS_ERR_CONFIG,
                     "%s: therapy.route = %s needs a focal lesion, but lesion.shape = %s; allowed: "
                     "cylinder, ellipsoid, mask (or route intra_articular)", ORIGIN("therapy.route"),
                     chs_config_enum_name("therapy.route", cfg->therapy_route),
                     chs_config_enum_name("lesion.shape", cfg->lesion_shape));
  {
    chs_composition comp;
    CHS_CHECK(chs_composition_parse(cfg, &comp));
  }
  if (cfg->msc_r_s >= cfg->msc_delta)
    return chs_error(CHS_ERR_CONFIG,
                     "%s: msc.r_s = %g must stay below msc.delta = %g: injected MSCs decline in every "
                     "tracking study (no net in-vivo expansion)", ORIGIN("msc.r_s"), cfg->msc_r_s,
                     cfg->msc_delta);
  if (strcmp(cfg->therapy_carrier, "none") && cfg->therapy_route != CHS_ROUTE_INTRALESIONAL)
    return chs_error(CHS_ERR_CONFIG, "%s: therapy.carrier = %s fills the lesion, so it needs "
                     "therapy.route = intralesional", ORIGIN("therapy.carrier"), cfg->therapy_carrier);
  if (cfg->lesion_shape == CHS_LESION_MASK && !cfg->lesion_mask_file[0])
    return chs_error(CHS_ERR_CONFIG, "%s: lesion.shape = mask needs lesion.mask_file",
                     ORIGIN("lesion.shape"));
  if (cfg->therapy_route != CHS_ROUTE_NONE && cfg->therapy_dose > 0) {
    double last = cfg->therapy_day + (cfg->therapy_doses - 1) * cfg->therapy_repeat_every;
    if (cfg->therapy_day > cfg->run_end_time)
      return chs_error(CHS_ERR_CONFIG, "%s: therapy.day = %g is after run.end_time = %g; allowed 0 to %g",
                       ORIGIN("therapy.day"), cfg->therapy_day, cfg->run_end_time, cfg->run_end_time);
    if (last > cfg->run_end_time)
      return chs_error(CHS_ERR_CONFIG,
                       "%s: therapy.doses = %d every %g days from day %g puts the last dose on day %g, "
                       "after run.end_time = %g", ORIGIN("therapy.doses"), cfg->therapy_doses,
                       cfg->therapy_repeat_every, cfg->therapy_day, last, cfg->run_end_time);
  }
  const chs_real_list *ev[3] = {&cfg->prp_days, &cfg->exosomes_days, &cfg->ha_days};
  const char *evkey[3] = {"prp.days", "exosomes.days", "ha.days"};
  for (int e = 0; e < 3; e++)
    for (int k = 0; k < ev[e]->n; k++)
      if (ev[e]->v[k] > cfg->run_end_time)
        return chs_error(CHS_ERR_CONFIG, "%s: %s entry %g is after run.end_time = %g; allowed 0 to %g",
                         ORIGIN(evkey[e]), evkey[e], ev[e]->v[k], cfg->run_end_time, cfg->run_end_time);
#undef ORIGIN
  return CHS_OK;
}

/* ---------------------------------------------------------------- load */

static void set_defaults(chs_config *cfg)
{
  for (int i = 0; i < CHS_NPARAMS; i++) {
    if (!g_table[i].def) continue;
    chs_status st = chs_config_assign(cfg, g_table[i].key, g_table[i].def, "default");
    (void)st; /* a bad default is a bug; test_config checks every default parses */
  }
}

static void stem_of(const char *path, char *out, size_t len)
{
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  snprintf(out, len, "%s", base);
  char *dot = strrchr(out, '.');
  if (dot && dot != out) *dot = '\0';
}

chs_status chs_config_load(chs_config *cfg, const char *config_path, const char *models_dir,
                           int nset, const char *const *sets)
{
  memset(cfg, 0, sizeof *cfg);
  snprintf(cfg->config_path, sizeof cfg->config_path, "%s", config_path ? config_path : "");
  snprintf(cfg->models_dir, sizeof cfg->models_dir, "%s",
           models_dir ? models_dir : chs_config_default_models_dir());
  set_defaults(cfg);

  /* The run config and --set are read first (so the source is known), applied last. */
  entry_list run = {0};
  chs_status st = CHS_OK;
  if (config_path) st = read_ini(config_path, "config file", &run);
  for (int i = 0; st == CHS_OK && i < nset; i++) {
    const char *eq = strchr(sets[i], '=');
    if (!eq || eq == sets[i]) {
      st = chs_error(CHS_ERR_USAGE, "--set '%s': expected section.key=value", sets[i]);
      break;
    }
    entry_list one = {0};
    entry e = {0};
    size_t klen = (size_t)(eq - sets[i]);
    if (klen >= sizeof e.key) klen = sizeof e.key - 1;
    memcpy(e.key, sets[i], klen);
    trim(e.key);
    snprintf(e.value, sizeof e.value, "%s", eq + 1);
    snprintf(e.origin, sizeof e.origin, "--set %s", sets[i]);
    one.items = &e;
    one.n = 1;
    /* Check the key now, so a typo is reported against --set, not a model file. */
    if (chs_param_index(e.key) < 0) {
      st = chs_config_assign(cfg, e.key, e.value, e.origin);
      break;
    }
    if (run.n == run.cap) {
      int cap = run.cap ? 2 * run.cap : 16;
      entry *grown = realloc(run.items, sizeof(entry) * (size_t)cap);
      if (!grown) {
        st = chs_error(CHS_ERR_NOMEM, "out of memory");
        break;
      }
      run.items = grown;
      run.cap = cap;
    }
    run.items[run.n++] = e;
    (void)one;
  }
  /* Unknown keys in the run config are reported with their line before any model file. */
  for (int i = 0; st == CHS_OK && i < run.n; i++)
    if (chs_param_index(run.items[i].key) < 0)
      st = chs_config_assign(cfg, run.items[i].key, run.items[i].value, run.items[i].origin);

  char path[2 * CHS_PATH_MAX];
  if (st == CHS_OK) {
    snprintf(path, sizeof path, "%s/base.ini", cfg->models_dir);
    st = apply_file(cfg, path);
  }
  /* Data files chosen by name in the run config: a source, a carrier, a patient. */
  static const struct {
    const char *key, *dir;
  } layers[] = {{"therapy.source", "sources"},
                 {"therapy.carrier", "carriers"},
                 {"patient.profile", "patients"},
                 {"patient.kl_grade", "oa"}};
  for (int l = 0; st == CHS_OK && l < 4; l++) {
    int idx = chs_param_index(layers[l].key);
    const char *name = pending_value(&run, layers[l].key);
    const char *origin = pending_origin(&run, layers[l].key);
    if (!name) {
      name = g_table[idx].def;
      origin = "default";
    }
    if (!*name) continue; /* e.g. no patient profile */
    st = data_file(cfg->models_dir, layers[l].dir, layers[l].key, name, origin, path, sizeof path);
    if (st == CHS_OK) st = apply_file(cfg, path);
  }
  if (st == CHS_OK) st = apply_entries(cfg, &run);
  free(run.items);
  if (st != CHS_OK) return st;

  if (!cfg->run_name[0]) {
    if (config_path)
      stem_of(config_path, cfg->run_name, sizeof cfg->run_name);
    else
      snprintf(cfg->run_name, sizeof cfg->run_name, "run");
  }
  return check_consistency(cfg);
}

/* ---------------------------------------------------------------- output */

/* The shortest of %.15g / %.17g that reads back to the same double. */
static int real_text(char *buf, size_t len, double v)
{
  int n = snprintf(buf, len, "%.15g", v);
  if (strtod(buf, NULL) != v) n = snprintf(buf, len, "%.17g", v);
  return n;
}

static int value_text(const chs_config *cfg, int i, char *buf, size_t len)
{
  const chs_param *p = &g_table[i];
  const char *field = (const char *)cfg + p->offset;
  switch (p->type) {
  case CHS_PT_REAL: return real_text(buf, len, *(const double *)field);
  case CHS_PT_INT: return snprintf(buf, len, "%d", *(const int *)field);
  case CHS_PT_STRING: return snprintf(buf, len, "%s", field);
  case CHS_PT_ENUM: return snprintf(buf, len, "%s", chs_config_enum_name(p->key, *(const int *)field));
  case CHS_PT_BOOL: return snprintf(buf, len, "%s", *(const bool *)field ? "true" : "false");
  case CHS_PT_LIST: {
    const chs_real_list *l = (const chs_real_list *)field;
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; k < l->n && used < len; k++)
    {
      if (k) used += (size_t)snprintf(buf + used, len - used, " ");
      if (used < len) used += (size_t)real_text(buf + used, len - used, l->v[k]);
    }
    return (int)used;
  }
  }
  return 0;
}

char *chs_config_to_text(const chs_config *cfg)
{
  size_t cap = 65536, used = 0;
  char *text = malloc(cap);
  if (!text) return NULL;
  text[0] = '\0';
  char section[64] = "";
  for (int i = 0; i < CHS_NPARAMS; i++) {
    const char *dot = strchr(g_table[i].key, '.');
    char sec[64];
    snprintf(sec, sizeof sec, "%.*s", (int)(dot - g_table[i].key), g_table[i].key);
    char value[CHS_STR_MAX * 8];
    value_text(cfg, i, value, sizeof value);
    char line[CHS_STR_MAX * 10];
    int n = 0;
    if (strcmp(sec, section)) {
      n += snprintf(line + n, sizeof line - (size_t)n, "%s[%s]\n", section[0] ? "\n" : "", sec);
      snprintf(section, sizeof section, "%s", sec);
    }
    /* The origin goes on its own comment line, cut to fit the INI line limit, so the text
     * reads back as a config file. */
    n += snprintf(line + n, sizeof line - (size_t)n, "; %.150s\n%s = %s\n", cfg->origin[i], dot + 1,
                  value);
    if (used + (size_t)n + 1 > cap) {
      cap *= 2;
      char *grown = realloc(text, cap);
      if (!grown) {
        free(text);
        return NULL;
      }
      text = grown;
    }
    memcpy(text + used, line, (size_t)n + 1);
    used += (size_t)n;
  }
  return text;
}

void chs_config_print_table(FILE *out)
{
  static const char *type_name[] = {"real", "int", "string", "enum", "list", "bool"};
  for (int i = 0; i < CHS_NPARAMS; i++) {
    const chs_param *p = &g_table[i];
    fprintf(out, "%-28s %-6s ", p->key, type_name[p->type]);
    if (p->def)
      fprintf(out, "default %-12s", *p->def ? p->def : "\"\"");
    else
      fprintf(out, "from models/        ");
    if (p->type == CHS_PT_REAL || p->type == CHS_PT_INT || p->type == CHS_PT_LIST)
      fprintf(out, " range [%g, %g]", p->min, p->max);
    if (p->type == CHS_PT_ENUM) fprintf(out, " one of %s", p->choices);
    if (p->unit && *p->unit && strcmp(p->unit, "1")) fprintf(out, " %s", p->unit);
    fprintf(out, "\n    %s\n", p->doc);
  }
}

static void put_json_str(FILE *out, const char *s)
{
  fputc('"', out);
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
    else if (c < 0x20) fprintf(out, "\\u%04x", c);
    else fputc(c, out);
  }
  fputc('"', out);
}

void chs_config_print_table_json(FILE *out)
{
  static const char *type_name[] = {"real", "int", "string", "enum", "list", "bool"};
  fputs("[\n", out);
  for (int i = 0; i < CHS_NPARAMS; i++) {
    const chs_param *p = &g_table[i];
    fputs(" {\"key\": ", out);
    put_json_str(out, p->key);
    fprintf(out, ", \"type\": \"%s\", \"default\": ", type_name[p->type]);
    if (p->def) put_json_str(out, p->def); /* as written in the table: text */
    else fputs("null", out);                 /* comes from models/ */
    if (p->type == CHS_PT_REAL || p->type == CHS_PT_INT || p->type == CHS_PT_LIST)
      fprintf(out, ", \"min\": %.17g, \"max\": %.17g", p->min, p->max);
    if (p->type == CHS_PT_ENUM) {
      fputs(", \"choices\": [", out);
      char buf[512];
      snprintf(buf, sizeof buf, "%s", p->choices ? p->choices : "");
      int k = 0;
      for (char *save, *w = strtok_r(buf, "| ", &save); w; w = strtok_r(NULL, "| ", &save), k++) {
        if (k) fputs(", ", out);
        put_json_str(out, w);
      }
      fputc(']', out);
    }
    fputs(", \"unit\": ", out);
    put_json_str(out, p->unit ? p->unit : "");
    fputs(", \"doc\": ", out);
    put_json_str(out, p->doc);
    fprintf(out, "}%s\n", i + 1 < CHS_NPARAMS ? "," : "");
  }
  fputs("]\n", out);
}

/* ---------------------------------------------------------------- fingerprint */

void chs_config_text_fingerprint(const char *text, char out[17])
{
  /* FNV-1a over the lines that are not comments (the origins may change, e.g. a key
   * moved to another line, without changing the configuration). */
  uint64_t h = 1469598103934665603ull;
  const char *p = text;
  while (*p) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
    if (*p != ';')
      for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    p += n;
  }
  snprintf(out, 17, "%016llx", (unsigned long long)h);
}

chs_status chs_config_fingerprint(const chs_config *cfg, char out[17])
{
  char *text = chs_config_to_text(cfg);
  if (!text) return chs_error(CHS_ERR_NOMEM, "out of memory (configuration text)");
  chs_config_text_fingerprint(text, out);
  free(text);
  return CHS_OK;
}

#define _POSIX_C_SOURCE 200809L
#include "study/studyfile.h"

#include "core/fsutil.h"

#define CHS_PATH_MAX_STUDY 4096

#include <ctype.h>
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/ini_file.h"
#include "core/datadir.h"

static chs_status add_entry(chs_ini *ini, const char *section, const char *key, const char *value,
                            int line)
{
  for (int i = 0; i < ini->n; i++)
    if (!strcmp(ini->e[i].section, section) && !strcmp(ini->e[i].key, key))
      return chs_error(CHS_ERR_CONFIG, "%s:%d: [%s] %s is given twice (first on line %d)",
                       ini->path, line, section, key, ini->e[i].line);
  if (ini->n == ini->cap) {
    int cap = ini->cap ? 2 * ini->cap : 32;
    chs_ini_entry *g = realloc(ini->e, sizeof *g * (size_t)cap);
    if (!g) return chs_error(CHS_ERR_NOMEM, "out of memory reading %s", ini->path);
    ini->e = g;
    ini->cap = cap;
  }
  chs_ini_entry *e = &ini->e[ini->n];
  if (strlen(section) >= sizeof e->section || strlen(key) >= sizeof e->key)
    return chs_error(CHS_ERR_CONFIG, "%s:%d: section or key name too long", ini->path, line);
  snprintf(e->section, sizeof e->section, "%s", section);
  snprintf(e->key, sizeof e->key, "%s", key);
  e->value = strdup(value);
  if (!e->value) return chs_error(CHS_ERR_NOMEM, "out of memory reading %s", ini->path);
  e->line = line;
  ini->n++;
  return CHS_OK;
}

typedef struct {
  chs_ini *ini;
  const char *path;
} ini_reading;

static chs_status on_entry(void *user, const char *section, const char *key, const char *value,
                           int line)
{
  ini_reading *r = user;
  if (!*key) return chs_error(CHS_ERR_CONFIG, "%s:%d: missing key before '='", r->path, line);
  if (!*section)
    return chs_error(CHS_ERR_CONFIG, "%s:%d: key '%s' is outside any [section]", r->path, line,
                     key);
  if (strlen(section) >= sizeof r->ini->e[0].section)
    return chs_error(CHS_ERR_CONFIG, "%s:%d: bad section name '%s'", r->path, line, section);
  return add_entry(r->ini, section, key, value, line);
}

/* The same reader (libinih) and comment rules as run configs: config/ini_file.h. */
chs_status chs_ini_read(const char *path, chs_ini *ini)
{
  memset(ini, 0, sizeof *ini);
  ini->path = path;
  ini_reading r = {ini, path};
  chs_status st = chs_ini_parse(path, "study/sweep file", on_entry, &r);
  if (st != CHS_OK) chs_ini_free(ini);
  return st;
}

void chs_ini_free(chs_ini *ini)
{
  for (int i = 0; i < ini->n; i++) free(ini->e[i].value);
  free(ini->e);
  ini->e = NULL;
  ini->n = ini->cap = 0;
}

/* Is `name` one of the |-separated words of `list`? */
static int in_list(const char *list, const char *name)
{
  size_t n = strlen(name);
  for (const char *p = list; *p;) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len == n && !strncmp(p, name, n)) return 1;
    if (!bar) break;
    p = bar + 1;
  }
  return 0;
}

static const char *commas(const char *list, char *buf, size_t len)
{
  snprintf(buf, len, "%s", list);
  char out[512] = "";
  for (char *tok = strtok(buf, "|"); tok; tok = strtok(NULL, "|")) {
    if (*out) strncat(out, ", ", sizeof out - strlen(out) - 1);
    strncat(out, tok, sizeof out - strlen(out) - 1);
  }
  snprintf(buf, len, "%s", out);
  return buf;
}

chs_status chs_ini_check_sections(const chs_ini *ini, const char *allowed)
{
  char buf[512];
  for (int i = 0; i < ini->n; i++)
    if (!in_list(allowed, ini->e[i].section))
      return chs_error(CHS_ERR_CONFIG, "%s:%d: unknown section [%s]; allowed: %s", ini->path,
                       ini->e[i].line, ini->e[i].section, commas(allowed, buf, sizeof buf));
  return CHS_OK;
}

chs_status chs_ini_check_keys(const chs_ini *ini, const char *section, const char *keys)
{
  char buf[512];
  for (int i = 0; i < ini->n; i++)
    if (!strcmp(ini->e[i].section, section) && !in_list(keys, ini->e[i].key))
      return chs_error(CHS_ERR_CONFIG, "%s:%d: unknown key '%s' in [%s]; allowed: %s", ini->path,
                       ini->e[i].line, ini->e[i].key, section, commas(keys, buf, sizeof buf));
  return CHS_OK;
}

const chs_ini_entry *chs_ini_find(const chs_ini *ini, const char *section, const char *key)
{
  for (int i = 0; i < ini->n; i++)
    if (!strcmp(ini->e[i].section, section) && !strcmp(ini->e[i].key, key)) return &ini->e[i];
  return NULL;
}

chs_status chs_ini_split(const char *value, const char *where, char ***items_out, int *n_out)
{
  int n = 0, cap = 8;
  char **items = malloc(sizeof *items * (size_t)cap);
  char *tok = malloc(strlen(value) + 1);
  if (!items || !tok) {
    free(items);
    free(tok);
    return chs_error(CHS_ERR_NOMEM, "out of memory");
  }
  const char *p = value;
  chs_status st = CHS_OK;
  for (;;) {
    while (isspace((unsigned char)*p)) p++;
    if (!*p) break;
    size_t len = 0;
    if (*p == '"') {
      const char *close = strchr(p + 1, '"');
      if (!close) {
        st = chs_error(CHS_ERR_CONFIG, "%s: unclosed '\"' in '%s'", where, value);
        break;
      }
      len = (size_t)(close - p - 1);
      memcpy(tok, p + 1, len);
      p = close + 1;
    } else {
      while (p[len] && !isspace((unsigned char)p[len])) len++;
      memcpy(tok, p, len);
      p += len;
    }
    tok[len] = '\0';
    if (n == cap) {
      cap *= 2;
      char **g = realloc(items, sizeof *items * (size_t)cap);
      if (!g) {
        st = chs_error(CHS_ERR_NOMEM, "out of memory");
        break;
      }
      items = g;
    }
    if (!(items[n] = strdup(tok))) {
      st = chs_error(CHS_ERR_NOMEM, "out of memory");
      break;
    }
    n++;
  }
  free(tok);
  if (st != CHS_OK) {
    chs_ini_items_free(items, n);
    return st;
  }
  *items_out = items;
  *n_out = n;
  return CHS_OK;
}

void chs_ini_items_free(char **items, int n)
{
  if (!items) return;
  for (int i = 0; i < n; i++) free(items[i]);
  free(items);
}

void chs_path_beside(const char *file, const char *rel, char *out, size_t len)
{
  const char *slash = strrchr(file, '/');
  if (rel[0] == '/' || !slash)
    snprintf(out, len, "%s", rel);
  else
    snprintf(out, len, "%.*s/%s", (int)(slash - file), file, rel);
}

void chs_path_stem(const char *path, char *out, size_t len)
{
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  snprintf(out, len, "%s", base);
  char *dot = strrchr(out, '.');
  if (dot && dot != out) *dot = '\0';
}

void chs_scripts_dir(char *out, size_t len)
{
  /* core/datadir.h: $CHONDROSIM_SCRIPTS, the installed scripts, the build tree's */
  if (chs_data_dir("scripts", "CHONDROSIM_SCRIPTS", out, len) != CHS_OK) {
    chs_error_clear();
    snprintf(out, len, "scripts");
  }
}

extern char **environ;

int chs_run_program(char *const argv[])
{
  pid_t pid;
  fflush(stdout);
  fflush(stderr);
  if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0) return -1;
  int ws;
  while (waitpid(pid, &ws, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
}

const char *chs_csv_field(const char *s, char *buf, size_t len)
{
  if (!strpbrk(s, ",\"\n\r")) {
    snprintf(buf, len, "%s", s);
    return buf;
  }
  size_t n = 0;
  if (n + 1 < len) buf[n++] = '"';
  for (const char *p = s; *p && n + 3 < len; p++) {
    if (*p == '"') buf[n++] = '"';
    buf[n++] = *p;
  }
  if (n + 1 < len) buf[n++] = '"';
  buf[n < len ? n : len - 1] = '\0';
  return buf;
}

int chs_csv_split(char *line, char **fields, int max)
{
  int n = 0;
  char *p = line;
  line[strcspn(line, "\r\n")] = '\0';
  while (n < max) {
    if (*p == '"') {
      char *w = ++p;
      fields[n++] = w;
      for (;;) {
        if (*p == '\0') break;
        if (*p == '"' && p[1] == '"') {
          *w++ = '"';
          p += 2;
        } else if (*p == '"') {
          p++;
          break;
        } else
          *w++ = *p++;
      }
      char *rest = strchr(p, ',');
      *w = '\0';
      if (!rest) break;
      p = rest + 1;
    } else {
      fields[n++] = p;
      char *comma = strchr(p, ',');
      if (!comma) break;
      *comma = '\0';
      p = comma + 1;
    }
  }
  return n;
}

chs_status chs_override_check(const chs_ini *ini, const chs_ini_entry *e, const char *key,
                              const char *value)
{
  char origin[CHS_PATH_MAX_STUDY + 96];
  snprintf(origin, sizeof origin, "%s:%d [%s]", ini->path, e->line, e->section);
  if (!strcmp(key, "run.name"))
    return chs_error(CHS_ERR_CONFIG, "%s: run.name cannot be set here: every run is named "
                     "after its scenario or row", origin);
  chs_config *scratch = calloc(1, sizeof *scratch);
  if (!scratch) return chs_error(CHS_ERR_NOMEM, "out of memory");
  chs_status st = chs_config_assign(scratch, key, value, origin);
  free(scratch);
  return st;
}

chs_status chs_override_blame(chs_status st, const chs_ini *ini, const char *what,
                              const char *label)
{
  char msg[2048];
  snprintf(msg, sizeof msg, "%s", chs_error_message());
  chs_error_clear();
  for (int i = 0; i < ini->n; i++) {
    const chs_ini_entry *e = &ini->e[i];
    char needle[200];
    snprintf(needle, sizeof needle, "--set %s=", e->key);
    if (strstr(msg, needle))
      return chs_error(st, "%s:%d [%s] %s: %s '%s': %s", ini->path, e->line, e->section, e->key,
                       what, label, msg);
  }
  return chs_error(st, "%s: %s '%s': %s", ini->path, what, label, msg);
}

chs_status chs_item_load(chs_config *cfg, const char *base, const char *models_dir, int nset,
                         char *const *sets, const char *name)
{
  const char **all = malloc(sizeof *all * (size_t)(nset + 1));
  char *named = malloc(strlen(name) + 16);
  if (!all || !named) {
    free(all);
    free(named);
    return chs_error(CHS_ERR_NOMEM, "out of memory");
  }
  for (int i = 0; i < nset; i++) all[i] = sets[i];
  sprintf(named, "run.name=%s", name);
  all[nset] = named;
  chs_status st = chs_config_load(cfg, base, models_dir, nset + 1, all);
  free(all);
  free(named);
  return st;
}

chs_status chs_ini_name_and_base(const chs_ini *ini, const char *path, const char *section,
                                 const char *what, char *name, size_t name_len, char *base,
                                 size_t base_len)
{
  const chs_ini_entry *e = chs_ini_find(ini, section, "name");
  if (e && *e->value)
    snprintf(name, name_len, "%s", e->value);
  else
    chs_path_stem(path, name, name_len);
  for (const char *p = name; *p || !strcmp(name, ".") || !strcmp(name, ".."); p++)
    if (!*p || (!isalnum((unsigned char)*p) && !strchr("._+-", *p)))
      return chs_error(CHS_ERR_CONFIG, "%s:%d [%s] name = '%s': use letters, digits and . _ + - "
                       "only (it names a directory)", path, e ? e->line : 0, section, name);
  e = chs_ini_find(ini, section, "base");
  if (!e || !*e->value)
    return chs_error(CHS_ERR_CONFIG, "%s: [%s] base is missing: name the run config every "
                     "%s starts from (a path relative to the %s file)", path, section, what, section);
  chs_path_beside(path, e->value, base, base_len);
  if (access(base, R_OK) != 0)
    return chs_error(CHS_ERR_CONFIG, "%s:%d [%s] base = %s: cannot read %s", path, e->line, section,
                     e->value, base);
  if (chs_check_regular(base, "base config", CHS_ERR_CONFIG) != CHS_OK) {
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", chs_error_message());
    chs_error_clear();
    return chs_error(CHS_ERR_CONFIG, "%s:%d [%s] base = %s: %s", path, e->line, section, e->value, msg);
  }
  return CHS_OK;
}

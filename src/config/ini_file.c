#include "config/ini_file.h"

#include "core/fsutil.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_INIH 200 /* INI_MAX_LINE of Debian's libinih, a compile-time option */

void chs_ini_cut_comment(char *value)
{
  int quoted = 0;
  for (char *p = value; *p; p++) {
    if (*p == '"') quoted = !quoted;
    if (!quoted && (*p == ';' || *p == '#') && p > value && isspace((unsigned char)p[-1])) {
      *p = '\0';
      break;
    }
  }
  size_t n = strlen(value);
  while (n > 0 && isspace((unsigned char)value[n - 1])) value[--n] = '\0';
}

typedef struct {
  char name[64];
  int line;
} seen_section;

typedef struct {
  FILE *fp;
  int line;     /* inih reads one line per reader call, so this is the current line */
  int overlong; /* first line that did not fit inih's buffer, or 0 */
  /* Section headers seen so far: a repeated [section] is an error (the second would
   * silently override keys of the first, or in a study file be a second scenario of the
   * same name). */
  seen_section *sections;
  int nsections, cap_sections;
  int dup_line, dup_first; /* first repeated header and where it first appeared, or 0 */
  char dup_name[64];
  int nomem;
  int indented; /* the current line starts with a blank: inih continues the last value */
  /* The key being read, passed on once its continuation lines are in. */
  char pend_section[64], pend_key[128], pend_value[4096];
  int pend_line, pending;
  const char *path;
  chs_ini_handler h;
  void *user;
  chs_status stopped; /* the handler's status when it stopped the reading */
} reader;

static void note_section(reader *r, const char *s)
{
  while (isspace((unsigned char)*s)) s++;
  if (*s != '[') return;
  const char *close = strchr(s, ']');
  if (!close) return; /* inih reports the line */
  char name[64];
  snprintf(name, sizeof name, "%.*s", (int)(close - s - 1), s + 1);
  for (int i = 0; i < r->nsections; i++)
    if (!strcmp(r->sections[i].name, name)) {
      if (!r->dup_line) {
        r->dup_line = r->line;
        r->dup_first = r->sections[i].line;
        snprintf(r->dup_name, sizeof r->dup_name, "%s", name);
      }
      return;
    }
  if (r->nsections == r->cap_sections) {
    int cap = r->cap_sections ? 2 * r->cap_sections : 16;
    seen_section *g = realloc(r->sections, sizeof *g * (size_t)cap);
    if (!g) {
      r->nomem = 1;
      return;
    }
    r->sections = g;
    r->cap_sections = cap;
  }
  snprintf(r->sections[r->nsections].name, sizeof r->sections[0].name, "%s", name);
  r->sections[r->nsections++].line = r->line;
}

static char *read_line(char *str, int num, void *stream)
{
  reader *r = stream;
  char *s = fgets(str, num, r->fp);
  if (!s) return NULL;
  r->line++;
  size_t n = strlen(s);
  if (n == (size_t)num - 1 && s[n - 1] != '\n' && !feof(r->fp)) {
    /* A cut line would be read as two: drop the rest and report the line instead. The
     * input is a regular file (chs_open_regular), so the drain ends at its end; it also
     * stops on a read error instead of retrying forever. */
    int c;
    while ((c = fgetc(r->fp)) != EOF && c != '\n') {
    }
    if (!r->overlong) r->overlong = r->line;
    s[0] = '\0';
    if (c == EOF && ferror(r->fp)) return NULL;
  }
  r->indented = s[0] == ' ' || s[0] == '\t';
  note_section(r, s);
  return s;
}

/* Hands the pending key to the caller's handler. */
static int flush(reader *r)
{
  if (!r->pending || r->stopped != CHS_OK) return r->stopped == CHS_OK;
  r->pending = 0;
  r->stopped = r->h(r->user, r->pend_section, r->pend_key, r->pend_value, r->pend_line);
  return r->stopped == CHS_OK;
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
  reader *r = user;
  char v[LINE_MAX_INIH * 4];
  snprintf(v, sizeof v, "%s", value);
  chs_ini_cut_comment(v);
  /* inih calls once per line of a value continued on indented lines: join them with a
   * blank into one value (a key given twice is a line that is not indented). */
  if (r->pending && r->indented && !strcmp(section, r->pend_section) && !strcmp(key, r->pend_key)) {
    size_t n = strlen(r->pend_value);
    if (n + 1 + strlen(v) >= sizeof r->pend_value) {
      r->stopped = chs_error(CHS_ERR_CONFIG, "%s:%d: the value of '%s' is longer than %zu "
                             "characters", r->path, r->line, key, sizeof r->pend_value - 1);
      return 0;
    }
    if (*v) snprintf(r->pend_value + n, sizeof r->pend_value - n, "%s%s", n ? " " : "", v);
    return 1;
  }
  if (!flush(r)) return 0;
  snprintf(r->pend_section, sizeof r->pend_section, "%s", section);
  snprintf(r->pend_key, sizeof r->pend_key, "%s", key);
  snprintf(r->pend_value, sizeof r->pend_value, "%s", v);
  r->pend_line = r->line;
  r->pending = 1;
  return 1;
}

chs_status chs_ini_parse(const char *path, const char *what, chs_ini_handler h, void *user)
{
  FILE *fp;
  CHS_CHECK(chs_open_regular(path, "r", what, CHS_ERR_CONFIG, &fp));
  reader r = {.fp = fp, .path = path, .h = h, .user = user, .stopped = CHS_OK};
  int rc = ini_parse_stream(read_line, &r, on_key, &r);
  if (rc == 0) flush(&r);
  int read_error = ferror(fp);
  fclose(fp);
  free(r.sections);
  if (r.nomem) return chs_error(CHS_ERR_NOMEM, "out of memory reading %s", path);
  if (r.stopped != CHS_OK) return r.stopped;
  if (r.dup_line)
    return chs_error(CHS_ERR_CONFIG, "%s:%d: section [%s] appears twice in this file (first on "
                     "line %d): merge the two", path, r.dup_line, r.dup_name, r.dup_first);
  if (read_error) return chs_error(CHS_ERR_CONFIG, "%s %s: read error", what, path);
  if (r.overlong)
    return chs_error(CHS_ERR_CONFIG, "%s:%d: line longer than %d characters (the INI reader's "
                     "limit): split the value or shorten the comment", path, r.overlong,
                     LINE_MAX_INIH - 2);
  if (rc > 0)
    return chs_error(CHS_ERR_CONFIG, "%s:%d: cannot parse this line (expected 'key = value' or "
                     "'[section]')", path, rc);
  if (rc < 0) return chs_error(CHS_ERR_CONFIG, "%s: cannot read the file", path);
  return CHS_OK;
}

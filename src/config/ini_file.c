#include "config/ini_file.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
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
  FILE *fp;
  int line;     /* inih reads one line per reader call, so this is the current line */
  int overlong; /* first line that did not fit inih's buffer, or 0 */
  chs_ini_handler h;
  void *user;
  chs_status stopped; /* the handler's status when it stopped the reading */
} reader;

static char *read_line(char *str, int num, void *stream)
{
  reader *r = stream;
  char *s = fgets(str, num, r->fp);
  if (!s) return NULL;
  r->line++;
  size_t n = strlen(s);
  if (n == (size_t)num - 1 && s[n - 1] != '\n' && !feof(r->fp)) {
    /* A cut line would be read as two: drop the rest and report the line instead. */
    int c;
    while ((c = fgetc(r->fp)) != EOF && c != '\n') {
    }
    if (!r->overlong) r->overlong = r->line;
    s[0] = '\0';
  }
  return s;
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
  reader *r = user;
  char v[LINE_MAX_INIH * 4];
  snprintf(v, sizeof v, "%s", value);
  chs_ini_cut_comment(v);
  r->stopped = r->h(r->user, section, key, v, r->line);
  return r->stopped == CHS_OK;
}

chs_status chs_ini_parse(const char *path, chs_ini_handler h, void *user)
{
  FILE *fp = fopen(path, "r");
  if (!fp) return chs_error(CHS_ERR_CONFIG, "%s: cannot open: %s", path, strerror(errno));
  reader r = {fp, 0, 0, h, user, CHS_OK};
  int rc = ini_parse_stream(read_line, &r, on_key, &r);
  fclose(fp);
  if (r.stopped != CHS_OK) return r.stopped;
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

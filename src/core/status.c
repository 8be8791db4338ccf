#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static char g_message[2048];
static char g_where[256];
static int g_has_message;

const char *chs_status_name(chs_status s)
{
  switch (s) {
#define CHS_X_NAME(name, code, msg) \
  case name: return #name;
    CHS_STATUS_LIST(CHS_X_NAME)
#undef CHS_X_NAME
  default: return "CHS_UNKNOWN";
  }
}

const char *chs_status_text(chs_status s)
{
  switch (s) {
#define CHS_X_TEXT(name, code, msg) \
  case name: return msg;
    CHS_STATUS_LIST(CHS_X_TEXT)
#undef CHS_X_TEXT
  default: return "unknown status";
  }
}

int chs_status_exit_code(chs_status s)
{
  switch (s) {
#define CHS_X_CODE(name, code, msg) \
  case name: return code;
    CHS_STATUS_LIST(CHS_X_CODE)
#undef CHS_X_CODE
  default: return 8;
  }
}

static const char *last_of(const char *s, const char *needle)
{
  const char *last = NULL;
  for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle)) last = p;
  return last;
}

chs_status chs_error_at(const char *file, int line, chs_status s, const char *fmt, ...)
{
  if (!g_has_message) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_message, sizeof g_message, fmt, ap);
    va_end(ap);
    /* From the source tree's src/ or tests/ on: the build's absolute path says nothing. */
    const char *rel = last_of(file, "/src/");
    if (!rel) rel = last_of(file, "/tests/");
    snprintf(g_where, sizeof g_where, "%s:%d", rel ? rel + 1 : file, line);
    g_has_message = 1;
  }
  return s;
}

const char *chs_error_message(void) { return g_has_message ? g_message : ""; }

const char *chs_error_where(void) { return g_has_message ? g_where : ""; }

void chs_error_clear(void)
{
  g_has_message = 0;
  g_message[0] = '\0';
  g_where[0] = '\0';
}

#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>

static char g_message[2048];
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

chs_status chs_error(chs_status s, const char *fmt, ...)
{
  if (!g_has_message) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_message, sizeof g_message, fmt, ap);
    va_end(ap);
    g_has_message = 1;
  }
  return s;
}

const char *chs_error_message(void) { return g_has_message ? g_message : ""; }

void chs_error_clear(void)
{
  g_has_message = 0;
  g_message[0] = '\0';
}

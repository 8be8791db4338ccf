#define _XOPEN_SOURCE 700 /* realpath */
#include "core/datadir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_dir(const char *p)
{
  struct stat sb;
  return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

chs_status chs_exe_dir(char *out, size_t len)
{
  if (!out || len == 0) return chs_error(CHS_ERR_INTERNAL, "chs_exe_dir: no buffer");
  out[0] = '\0';
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return CHS_OK; /* not Linux, or no /proc: unknown */
  buf[n] = '\0';
  char *slash = strrchr(buf, '/');
  if (!slash) return CHS_OK;
  *slash = '\0';
  if ((size_t)snprintf(out, len, "%s", buf) >= len)
    return chs_error(CHS_ERR_INTERNAL, "chs_exe_dir: path of the executable longer than %zu",
                     len);
  return CHS_OK;
}

chs_status chs_data_dir(const char *name, const char *env, char *out, size_t len)
{
  if (!name || !out || len == 0) return chs_error(CHS_ERR_INTERNAL, "chs_data_dir: bad arguments");
  const char *v = env ? getenv(env) : NULL;
  if (v && *v) {
    if ((size_t)snprintf(out, len, "%s", v) >= len)
      return chs_error(CHS_ERR_INTERNAL, "$%s is longer than %zu characters", env, len - 1);
    return CHS_OK;
  }
  char exe[4096], installed[4200] = "", cand[4200];
  CHS_CHECK(chs_exe_dir(exe, sizeof exe));
  if (*exe) {
    snprintf(installed, sizeof installed, "%s/../share/chondrosim/%s", exe, name);
    snprintf(cand, sizeof cand, "%s/chondrosim-source/%s", exe, name);
  }
  const char *order[3] = {installed, *exe ? cand : "", name};
  const char *pick = NULL;
  for (int i = 0; i < 3 && !pick; i++)
    if (*order[i] && is_dir(order[i])) pick = order[i];
  if (!pick) pick = *installed ? installed : name;
  /* Tidy "<bin>/../share" to "<prefix>/share" for messages and generated scripts. */
  char tidy[4200];
  const char *p = pick;
  if (pick == installed && realpath(installed, tidy)) p = tidy;
  if ((size_t)snprintf(out, len, "%s", p) >= len)
    return chs_error(CHS_ERR_INTERNAL, "the %s directory %s is longer than %zu characters", name,
                     p, len - 1);
  return CHS_OK;
}

#define _POSIX_C_SOURCE 200809L
#include "study/runstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

/* The whole file as text, or NULL (missing, unreadable or larger than 16 MB). */
static char *slurp(const char *path)
{
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n - 1, f);
    if (n < cap - 1 || ferror(f)) break;
    if (cap > (16u << 20)) {
      free(buf);
      buf = NULL;
      break;
    }
    char *g = realloc(buf, 2 * cap);
    if (!g) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = g;
    cap *= 2;
  }
  if (buf) buf[n] = '\0';
  fclose(f);
  return buf;
}

chs_run_state chs_run_state_of(const char *run_dir, const char *fingerprint, char *old_fp)
{
  char path[CHS_PATH_MAX + 64];
  if (old_fp) old_fp[0] = '\0';
  snprintf(path, sizeof path, "%s/summary.csv", run_dir);
  if (access(path, F_OK) != 0) return CHS_RUN_MISSING;
  snprintf(path, sizeof path, "%s/config.ini", run_dir);
  char *text = slurp(path);
  if (!text) return CHS_RUN_STALE; /* a result without its configuration cannot be trusted */
  char fp[17];
  chs_config_text_fingerprint(text, fp);
  free(text);
  if (old_fp) memcpy(old_fp, fp, 17);
  return strcmp(fp, fingerprint) ? CHS_RUN_STALE : CHS_RUN_DONE;
}

#define _POSIX_C_SOURCE 200809L
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int g_rank;
static chs_log_level g_level = CHS_LOG_INFO;
static bool g_all_ranks;

void chs_log_init(int rank, chs_log_level level)
{
  g_rank = rank;
  g_level = level;
  const char *all = getenv("CHONDROSIM_LOG_ALL_RANKS");
  g_all_ranks = all && strcmp(all, "1") == 0;
}

void chs_log_set_level(chs_log_level level) { g_level = level; }

bool chs_log_enabled(chs_log_level level)
{
  return level <= g_level && (g_rank == 0 || g_all_ranks || level == CHS_LOG_ERROR);
}

void chs_log(chs_log_level level, const char *fmt, ...)
{
  if (!chs_log_enabled(level)) return;
  static const char *tag[] = {"error", "warning", "info", "debug"};
  char stamp[32];
  chs_iso_time(stamp, sizeof stamp);
  char msg[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  /* One fprintf so lines from different ranks do not interleave mid-line. */
  if (g_all_ranks)
    fprintf(stderr, "%s [rank %d] %s: %s\n", stamp, g_rank, tag[level], msg);
  else
    fprintf(stderr, "%s %s: %s\n", stamp, tag[level], msg);
}

double chs_wtime(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void chs_iso_time(char *buf, int len)
{
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(buf, (size_t)len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

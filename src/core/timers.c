#define _POSIX_C_SOURCE 200809L
#include "core/timers.h"

#include <string.h>
#include <time.h>

static chs_timers acc;

double chs_timer_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void chs_timer_add(chs_timer_id id, double t0)
{
  acc.seconds[id] += chs_timer_now() - t0;
  acc.calls[id]++;
}

const char *chs_timer_name(chs_timer_id id)
{
  static const char *const names[] = {
#define CHS_X_TNAME(id, name, doc) name,
      CHS_TIMER_LIST(CHS_X_TNAME)
#undef CHS_X_TNAME
  };
  return id >= 0 && id < CHS_NTIMERS ? names[id] : "?";
}

void chs_timers_get(chs_timers *out) { *out = acc; }
void chs_timers_reset(void) { memset(&acc, 0, sizeof acc); }

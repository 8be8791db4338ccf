/* Logging to stderr with a timestamp; rank 0 only unless CHONDROSIM_LOG_ALL_RANKS=1. */
#ifndef CHS_LOG_H
#define CHS_LOG_H

#include <stdbool.h>

typedef enum { CHS_LOG_ERROR = 0, CHS_LOG_WARN = 1, CHS_LOG_INFO = 2, CHS_LOG_DEBUG = 3 } chs_log_level;

/* Called once after MPI is up: the rank decides who prints. */
void chs_log_init(int rank, chs_log_level level);
void chs_log_set_level(chs_log_level level);
bool chs_log_enabled(chs_log_level level);
void chs_log(chs_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Wall clock in seconds (monotonic). */
double chs_wtime(void);
/* "2026-11-21T14:33:00Z" into buf. */
void chs_iso_time(char *buf, int len);

#endif

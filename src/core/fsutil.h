/* Small file-system helpers: mkdir -p and atomic text files (tmp + rename). */
#ifndef CHS_FSUTIL_H
#define CHS_FSUTIL_H

#include <stdio.h>

#include "core/status.h"

chs_status chs_mkdir_p(const char *path);
/* Writes text to path.tmp, then renames it over path. */
chs_status chs_write_file_atomic(const char *path, const char *text);

/* Opens an input file for reading ("r" or "rb") after checking that it is a regular file:
 * a FIFO, a device (/dev/zero) or a directory is refused with a message naming `what`
 * (e.g. "config file", "lesion.mask_file") and the path, instead of blocking or reading
 * forever. Fails with status `st` (the caller's class of error). */
chs_status chs_open_regular(const char *path, const char *mode, const char *what, chs_status st,
                            FILE **out);
/* The same check without opening for the caller (e.g. before a library opens the file). */
chs_status chs_check_regular(const char *path, const char *what, chs_status st);

/* A run, study or sweep name is one directory level: not empty, not "." or "..", no '/',
 * no control character (newline) and no ',' (it is a CSV field). Returns NULL if fine,
 * else what is wrong. */
const char *chs_plain_name_problem(const char *name);

/* Removes the stale "*.tmp" files directly in dir (left by a process killed mid-write or a
 * failed write); the caller holds the directory's lock. Returns the number removed. */
int chs_remove_stale_tmp(const char *dir);

/* An exclusive, non-blocking lock on a directory (flock on the directory itself, so no
 * lock file is left behind); released by chs_unlock_dir or when the process dies.
 * Fails with CHS_ERR_IO naming the directory if another process holds it. */
chs_status chs_lock_dir(const char *dir, const char *what, int *fd_out);
void chs_unlock_dir(int *fd);

/* Available memory of this machine in bytes (MemAvailable of /proc/meminfo, else
 * sysconf's available pages); 0 if unknown. */
double chs_available_memory(void);

#endif

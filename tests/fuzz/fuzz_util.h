/* Shared by the libFuzzer harnesses: the input bytes as a file (the readers take paths),
 * one file per process, rewritten for every input. */
#ifndef CHS_FUZZ_UTIL_H
#define CHS_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* <dir>/name, dir = $TMPDIR/chs_fuzz_<pid> (or /tmp/...), so that names resolved beside
 * the file (a sweep's base = base.ini) stay in this process's directory. Returns the path. */
static const char *chs_fuzz_write(const char *name, const uint8_t *data, size_t size)
{
  static char path[4096];
  const char *tmp = getenv("TMPDIR");
  snprintf(path, sizeof path, "%s/chs_fuzz_%ld", tmp && *tmp ? tmp : "/tmp", (long)getpid());
  mkdir(path, 0700);
  size_t used = strlen(path);
  snprintf(path + used, sizeof path - used, "/%s", name);
  FILE *f = fopen(path, "wb");
  if (!f) abort();
  if (size && fwrite(data, 1, size, f) != size) abort();
  fclose(f);
  return path;
}

#endif

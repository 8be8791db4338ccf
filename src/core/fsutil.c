#define _POSIX_C_SOURCE 200809L
#include "core/fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

chs_status chs_mkdir_p(const char *path)
{
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
    return chs_error(CHS_ERR_IO, "%s: path too long", path);
  for (char *p = buf + 1;; p++) {
    char c = *p;
    if (c == '/' || c == '\0') {
      *p = '\0';
      if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return chs_error(CHS_ERR_IO, "cannot create directory %s: %s", buf, strerror(errno));
      struct stat sb;
      if (stat(buf, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return chs_error(CHS_ERR_IO, "%s exists and is not a directory", buf);
      *p = c;
    }
    if (c == '\0') break;
  }
  if (access(path, W_OK) != 0)
    return chs_error(CHS_ERR_IO, "output directory %s is not writable: %s", path, strerror(errno));
  return CHS_OK;
}

chs_status chs_write_file_atomic(const char *path, const char *text)
{
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) return chs_error(CHS_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
  size_t n = strlen(text);
  int bad = fwrite(text, 1, n, f) != n;
  bad |= fflush(f) != 0;
  bad |= fsync(fileno(f)) != 0;
  bad |= fclose(f) != 0;
  if (bad) {
    remove(tmp);
    return chs_error(CHS_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
  }
  if (rename(tmp, path) != 0) {
    remove(tmp);
    return chs_error(CHS_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
  }
  return CHS_OK;
}

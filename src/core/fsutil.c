#define _DEFAULT_SOURCE /* flock, O_DIRECTORY */
#include "core/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
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

static const char *file_kind(mode_t m)
{
  if (S_ISDIR(m)) return "a directory";
  if (S_ISFIFO(m)) return "a FIFO (named pipe)";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

chs_status chs_open_regular(const char *path, const char *mode, const char *what, chs_status st,
                            FILE **out)
{
  *out = NULL;
  /* O_NONBLOCK: opening a FIFO with no writer must not block before the check. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return chs_error(st, "%s %s: cannot open: %s", what, path, strerror(errno));
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    int e = errno;
    close(fd);
    return chs_error(st, "%s %s: cannot stat: %s", what, path, strerror(e));
  }
  if (!S_ISREG(sb.st_mode)) {
    close(fd);
    return chs_error(st, "%s %s is %s: expected a regular file", what, path, file_kind(sb.st_mode));
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  FILE *f = fdopen(fd, mode);
  if (!f) {
    int e = errno;
    close(fd);
    return chs_error(st, "%s %s: cannot open: %s", what, path, strerror(e));
  }
  *out = f;
  return CHS_OK;
}

chs_status chs_check_regular(const char *path, const char *what, chs_status st)
{
  FILE *f;
  CHS_CHECK(chs_open_regular(path, "rb", what, st, &f));
  fclose(f);
  return CHS_OK;
}

const char *chs_plain_name_problem(const char *name)
{
  if (!*name) return "it is empty";
  if (!strcmp(name, ".") || !strcmp(name, "..")) return "'.' and '..' are not names";
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
    if (*p == '/') return "it contains '/'";
    if (*p == ',') return "it contains ',' (it is a field of summary.csv and the manifests)";
    if (*p < 0x20 || *p == 0x7f) return "it contains a control character (e.g. a newline)";
  }
  return NULL;
}

int chs_remove_stale_tmp(const char *dir)
{
  DIR *d = opendir(dir);
  if (!d) return 0;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len < 5 || strcmp(e->d_name + len - 4, ".tmp")) continue;
    char path[4096 + 256];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat sb;
    if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) && unlink(path) == 0) n++;
  }
  closedir(d);
  return n;
}

chs_status chs_lock_dir(const char *dir, const char *what, int *fd_out)
{
  *fd_out = -1;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return chs_error(CHS_ERR_IO, "cannot open %s %s to lock it: %s", what, dir, strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    close(fd);
    if (e == EWOULDBLOCK)
      return chs_error(CHS_ERR_IO, "%s %s is in use by another chondrosim process (it holds the "
                       "directory's lock): wait for it to finish, or choose another --out or "
                       "run.name", what, dir);
    return chs_error(CHS_ERR_IO, "cannot lock %s %s: %s", what, dir, strerror(e));
  }
  *fd_out = fd;
  return CHS_OK;
}

void chs_unlock_dir(int *fd)
{
  if (*fd < 0) return;
  flock(*fd, LOCK_UN);
  close(*fd);
  *fd = -1;
}

double chs_available_memory(void)
{
  FILE *f = fopen("/proc/meminfo", "r");
  if (f) {
    char line[256];
    double kb = -1;
    while (fgets(line, sizeof line, f))
      if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1) break;
    fclose(f);
    if (kb > 0) return kb * 1024.0;
  }
  long pages = sysconf(_SC_AVPHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? (double)pages * (double)size : 0.0;
}

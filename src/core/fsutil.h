/* Small file-system helpers: mkdir -p and atomic text files (tmp + rename). */
#ifndef CHS_FSUTIL_H
#define CHS_FSUTIL_H

#include "core/status.h"

chs_status chs_mkdir_p(const char *path);
/* Writes text to path.tmp, then renames it over path. */
chs_status chs_write_file_atomic(const char *path, const char *text);

#endif

/* Where chondrosim finds its data directories (models/, scripts/) without any path compiled
 * into the binary, so an installed copy, a build tree and a moved prefix all work:
 *   1. the environment variable (CHONDROSIM_MODELS, CHONDROSIM_SCRIPTS), if set;
 *   2. <dir of the executable>/../share/chondrosim/<name>  (cmake --install; /proc/self/exe);
 *   3. <dir of the executable>/chondrosim-source/<name>    (a build tree: CMake links
 *      chondrosim-source to the source tree there; it is never installed);
 *   4. <name> in the working directory.
 * The first that exists wins; if none does, the installed location is returned so that
 * error messages name where the files were expected. */
#ifndef CHS_DATADIR_H
#define CHS_DATADIR_H

#include <stddef.h>

#include "core/status.h"

/* name: "models" or "scripts"; env: the override variable's name. Writes the directory to
 * out. Fails with CHS_ERR_INTERNAL only if out is too small. */
chs_status chs_data_dir(const char *name, const char *env, char *out, size_t len);

/* The directory of the running executable (from /proc/self/exe), or "" if unknown. */
chs_status chs_exe_dir(char *out, size_t len);

#endif

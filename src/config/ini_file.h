/* The one INI dialect of chondrosim (run configs, model files, study and sweep files), read
 * with libinih: [section], key = value, whole-line comments starting with ; or #, inline
 * comments starting with " ;" or " #" (after whitespace, outside "quotes"), values
 * continued on indented lines, at most 200 characters per line (Debian's libinih). */
#ifndef CHS_INI_FILE_H
#define CHS_INI_FILE_H

#include "core/status.h"

/* One key = value; line is the file line. Anything but CHS_OK stops the reading. */
typedef chs_status (*chs_ini_handler)(void *user, const char *section, const char *key,
                                      const char *value, int line);

/* Reads path and calls h for every key. CHS_ERR_CONFIG naming path:line for a line that is
 * not INI, a line over the limit, a [section] given twice, or a file that cannot be opened
 * or is not a regular file (`what` names it: "config file", ...); the handler's own error
 * if it stopped. */
chs_status chs_ini_parse(const char *path, const char *what, chs_ini_handler h, void *user);

/* Cuts an inline " #" or " ;" comment (outside double quotes) and trailing blanks off a
 * value in place. libinih (as Debian builds it) cuts only " ;". */
void chs_ini_cut_comment(char *value);

#endif

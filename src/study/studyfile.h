/* The INI reader of study and sweep files: every entry keeps its section and line, so
 * messages can name file, line and key. Values may be whitespace-separated lists, where
 * "double quotes" keep a value with spaces together. */
#ifndef CHS_STUDYFILE_H
#define CHS_STUDYFILE_H

#include <stddef.h>

#include "config/config.h"
#include "core/status.h"

typedef struct {
  char section[64];
  char key[128];
  char *value;
  int line;
} chs_ini_entry;

typedef struct {
  const char *path;
  chs_ini_entry *e;
  int n, cap;
} chs_ini;

/* Reads `path` in the one INI dialect of run configs (config/ini_file.h: libinih, comments
 * starting with ; or #, inline " ;" and " #" comments). Duplicate keys and keys outside a
 * section are errors. */
chs_status chs_ini_read(const char *path, chs_ini *ini);
void chs_ini_free(chs_ini *ini);

/* Every section must be one of the |-separated names in `allowed`. */
chs_status chs_ini_check_sections(const chs_ini *ini, const char *allowed);
/* Every key of `section` must be one of the |-separated names in `keys`. */
chs_status chs_ini_check_keys(const chs_ini *ini, const char *section, const char *keys);
/* The entry, or NULL. */
const chs_ini_entry *chs_ini_find(const chs_ini *ini, const char *section, const char *key);

/* Splits a value into items; caller frees with chs_ini_items_free. An unclosed quote is
 * an error naming `where`. */
chs_status chs_ini_split(const char *value, const char *where, char ***items, int *n);
void chs_ini_items_free(char **items, int n);

/* [<section>] name (default: the file's stem; it names a directory) and base (the run
 * config every run starts from, resolved beside the file and readable). `what` names a
 * run in messages ("scenario", "row"). Shared by compare and sweep files. */
chs_status chs_ini_name_and_base(const chs_ini *ini, const char *path, const char *section,
                                 const char *what, char *name, size_t name_len, char *base,
                                 size_t base_len);

/* `rel` resolved against the directory of `file` (absolute paths are kept). */
void chs_path_beside(const char *file, const char *rel, char *out, size_t len);
/* The file name without directory and extension. */
void chs_path_stem(const char *path, char *out, size_t len);
/* The directory of chondrosim's scripts: $CHONDROSIM_SCRIPTS, else the source tree's
 * scripts/ (next to the default models/). */
void chs_scripts_dir(char *out, size_t len);
/* Runs argv[0] with arguments argv (NULL-terminated) and waits; returns its exit status
 * (-1 if it could not be started). */
int chs_run_program(char *const argv[]);
/* s as a CSV field: quoted when it holds a comma, quote or newline. Returns buf. */
const char *chs_csv_field(const char *s, char *buf, size_t len);
/* Splits one CSV line (RFC 4180 quoting) in place into at most max fields. */
int chs_csv_split(char *line, char **fields, int max);


/* Checks one override given in a study file: the key exists (with a did-you-mean) and
 * the value has the right type and range. Messages read "FILE:LINE [section]: ...".
 * run.name is refused: compare and sweep name their runs. */
chs_status chs_override_check(const chs_ini *ini, const chs_ini_entry *e, const char *key,
                              const char *value);
/* After an item's chs_config_load failed: the message then names the study file, the
 * line of the override it mentions (if any), the item's label and the original reason. */
chs_status chs_override_blame(chs_status st, const chs_ini *ini, const char *what,
                              const char *label);
/* Loads an item: the base config with `sets` ("key=value") and run.name = name. */
chs_status chs_item_load(chs_config *cfg, const char *base, const char *models_dir, int nset,
                         char *const *sets, const char *name);

#endif

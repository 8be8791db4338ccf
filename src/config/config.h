/* Typed run configuration, built in layers:
 *   built-in defaults (params.h) → models/base.ini → models/sources/(therapy.source).ini
 *   → models/carriers/(therapy.carrier).ini → models/patients/(patient.profile).ini → the run config (configs/NAME.ini) → --set section.key=value (in command-line order).
 * Every key is checked against the parameter table: unknown keys name the file and line
 * and suggest the nearest valid key; out-of-range values name the allowed range. */
#ifndef CHS_CONFIG_H
#define CHS_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "config/params.h"
#include "core/status.h"

#define CHS_LIST_MAX 64
#define CHS_STR_MAX 256
#define CHS_PATH_MAX 4096

typedef struct {
  int n;
  double v[CHS_LIST_MAX];
} chs_real_list;

typedef enum { CHS_PT_REAL, CHS_PT_INT, CHS_PT_STRING, CHS_PT_ENUM, CHS_PT_LIST, CHS_PT_BOOL } chs_param_type;

/* The enum constants (CHS_GEOM_*, CHS_LESION_*, CHS_ROUTE_*, CHS_PC_*, ...), in
 * the order of the choices in params.h: generated from its rows (cmake/gen_enums.cmake). */
#include "chs_enums.h"

#define CHS_X_COUNT(...) +1
enum { CHS_NPARAMS = 0 CHS_PARAMS(CHS_X_COUNT, CHS_X_COUNT, CHS_X_COUNT, CHS_X_COUNT, CHS_X_COUNT, CHS_X_COUNT) };
#undef CHS_X_COUNT

typedef struct chs_config {
#define CHS_X_R(sec, name, ...) double sec##_##name;
#define CHS_X_I(sec, name, ...) int sec##_##name;
#define CHS_X_S(sec, name, ...) char sec##_##name[CHS_STR_MAX];
#define CHS_X_E(sec, name, ...) int sec##_##name;
#define CHS_X_L(sec, name, ...) chs_real_list sec##_##name;
#define CHS_X_B(sec, name, ...) bool sec##_##name;
  CHS_PARAMS(CHS_X_R, CHS_X_I, CHS_X_S, CHS_X_E, CHS_X_L, CHS_X_B)
#undef CHS_X_R
#undef CHS_X_I
#undef CHS_X_S
#undef CHS_X_E
#undef CHS_X_L
#undef CHS_X_B
  /* Where each key's value came from ("default", "models/base.ini:12", "--set"). */
  char origin[CHS_NPARAMS][160];
  bool is_set[CHS_NPARAMS];
  char config_path[CHS_PATH_MAX]; /* the run config file */
  char models_dir[CHS_PATH_MAX];  /* where base.ini, sources/ and patients/ were read */
} chs_config;

typedef struct {
  const char *key; /* "section.name" */
  chs_param_type type;
  const char *def; /* NULL: must come from models/ */
  double min, max; /* for reals, ints and list entries */
  const char *unit;
  const char *choices; /* enums: "a|b|c" */
  const char *doc;
  size_t offset; /* into chs_config */
} chs_param;

const chs_param *chs_param_table(void);
/* Index of key in the table, or -1. */
int chs_param_index(const char *key);

/* Default models directory: $CHONDROSIM_MODELS, else the source tree's models/. */
const char *chs_config_default_models_dir(void);

/* Builds the configuration. models_dir may be NULL (default). sets are "section.key=value". */
chs_status chs_config_load(chs_config *cfg, const char *config_path, const char *models_dir,
                           int nset, const char *const *sets);

/* Assigns one key from text, as if read from `origin`; validates type and range. */
chs_status chs_config_assign(chs_config *cfg, const char *key, const char *value,
                             const char *origin);

/* The text of an enum value ("axisymmetric"), for printing. */
const char *chs_config_enum_name(const char *key, int value);

/* The effective configuration as INI text, every key with its origin; caller frees. */
char *chs_config_to_text(const chs_config *cfg);

/* A fingerprint (16 hex digits) of the full effective configuration: every key's value as
 * chs_config_to_text writes it, origins left out. A run's config.ini gives the same
 * fingerprint through chs_config_text_fingerprint, so a study can tell whether a finished
 * run was made with the configuration it would use now. */
chs_status chs_config_fingerprint(const chs_config *cfg, char out[17]);
void chs_config_text_fingerprint(const char *text, char out[17]);

/* `chondrosim info --params`: the table as a readable list. */
void chs_config_print_table(FILE *out);
/* `chondrosim info --params --json`: the same table as a JSON array of objects (key, type,
 * default (text, null = from models/), min/max, choices, unit, doc). */
void chs_config_print_table_json(FILE *out);

/* Levenshtein distance, exposed for the tests of the did-you-mean suggestions. */
int chs_edit_distance(const char *a, const char *b);

#endif

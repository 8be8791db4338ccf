/* A sweep file ([sweep], [values], [lhs], [set], [slurm]; see sweep.h) parsed and expanded
 * into rows: each row's override values as text, exactly as they go into the manifest and
 * into `--set key=value` of its run. */
#ifndef CHS_SWEEP_SPEC_H
#define CHS_SWEEP_SPEC_H

#include <stdint.h>

#include "config/config.h"
#include "core/status.h"
#include "study/studyfile.h"

#define CHS_SWEEP_MAX_ROWS 100000
#define CHS_SWEEP_MAX_KEYS 256 /* a uq study varies every prior (about 100) plus its cohort */

typedef struct {
  chs_ini ini;
  const char *path;            /* the sweep file */
  const char *models_dir;      /* NULL: default */
  char name[CHS_STR_MAX];      /* [sweep] name, else the file's stem */
  char base[CHS_PATH_MAX];     /* the run config, resolved beside the sweep file */
  int samples;                 /* LHS samples or design rows (1 when neither) */
  uint64_t seed;               /* [sweep] seed (default 1) */
  int nkeys, ngrid_keys;       /* swept keys: [values] keys first, then [lhs] keys */
  const chs_ini_entry *key[CHS_SWEEP_MAX_KEYS];
  char **grid[CHS_SWEEP_MAX_KEYS]; /* the values of [values] key k */
  int ngrid[CHS_SWEEP_MAX_KEYS];
  int n;                       /* rows */
  char ***cell;                /* cell[row][key]: the override value as text */
  char **run;                  /* each row's run name: r0000, r0001, ... */
  int nset;
  char **set;                  /* [set] overrides as "key=value" */
  /* [slurm]: resources of each array task */
  int throttle, ntasks, cpus_per_task;
  char time[32], partition[64], account[64], mem[32], mpi[32];
  int rows_per_task;           /* rows run one after another by each array task (K) */
  char sbatch[512];            /* extra sbatch options, each becomes an #SBATCH line */
  /* [sweep] design = FILE.csv: an external design, one row per sample, its columns
   * config keys (they follow the [values] keys, like [lhs] keys) */
  char design[CHS_PATH_MAX];
  chs_ini design_cols;         /* one entry per column: section "design", line 1 */
} chs_sweep_spec;

/* Reads and expands the file; every swept value and every [set] override is checked
 * against the parameter table (messages name file, line, key, value and range). */
chs_status chs_sweep_spec_read(const char *path, const char *models_dir, chs_sweep_spec *s);
void chs_sweep_spec_free(chs_sweep_spec *s);
/* Row r's configuration: the base config, [set], the row's values, run.name = its run. */
chs_status chs_sweep_spec_load_row(const chs_sweep_spec *s, int r, chs_config *cfg);

#endif

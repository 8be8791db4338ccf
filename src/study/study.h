/* `chondrosim compare STUDY.ini`: a matrix of scenarios (the cartesian product of the
 * [matrix] lists over a base run config), run side by side over MPI groups, compared in
 * results/<study>/comparison.csv and a ranked table on stdout.
 *
 *   [study]
 *   name = dose_source            ; default: the file's stem
 *   base = default.ini            ; run config, relative to the study file
 *   rank_by = fill_12mo           ; any summary.csv column, higher first
 *   [matrix]                      ; config keys = whitespace-separated values
 *   therapy.dose = 1e7 2.5e7 5e7 1e8
 *   therapy.source = bone_marrow adipose
 *   [set]                         ; fixed overrides for every scenario (optional)
 *   run.end_time = 365
 *
 * Scenario i takes the i-th combination (first key slowest) and is named after it, e.g.
 * dose_2.5e7-source_adipose (the key's last part, the whole key if two keys share it;
 * characters other than letters, digits and ._+- become _). Its run goes to
 * <results>/<study>/<label>/. comparison.csv, in scenario order:
 *   scenario,<matrix keys...>,status,<every summary.csv column, from run>,rank
 * status is done, failed or interrupted (summary columns empty unless done); rank is the
 * position by rank_by, descending, with failed and missing values last.
 * <results>/<study>/manifest.csv: scenario,fingerprint,status, the fingerprint hashing the
 * scenario's full effective configuration. Running the study again skips the scenarios
 * whose summary.csv exists and whose config.ini has the same fingerprint (an interrupted
 * study resumes); the others run (again).
 */
#ifndef CHS_STUDY_H
#define CHS_STUDY_H

#include <stdbool.h>

#include "core/status.h"

typedef struct {
  const char *out_dir;      /* results root instead of the base config's output.dir */
  const char *models_dir;   /* NULL: default */
  int groups;               /* concurrent MPI groups (0: min(ranks, scenarios)) */
  bool quiet;               /* no progress lines (the ranked table is still printed) */
  bool no_plot;             /* do not call scripts/plot_compare.py */
  const char *command_line; /* provenance of every run */
} chs_compare_options;

/* Collective over the world. Validates the whole matrix first (nothing runs if any
 * scenario's configuration is invalid), runs every scenario, then world rank 0 writes
 * comparison.csv and prints the ranking. A failed scenario does not stop the others; the
 * study then returns its status. */
chs_status chs_compare(const char *study_path, const chs_compare_options *opt);

/* The columns of summary.csv, comma-separated (what rank_by may name). */
const char *chs_summary_columns(void);
/* Is `name` a column of summary.csv (other than the run name)? */
int chs_summary_has_column(const char *name);

#endif

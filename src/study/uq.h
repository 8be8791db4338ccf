/* `chondrosim uq STUDY.ini`: a comparison under uncertainty. For every scenario of the
 * [matrix] (as in `compare`), the same N draws of the uncertain model parameters
 * (models/priors.ini) and of a virtual cohort's patients (models/cohorts/) run through the
 * sweep machinery (manifest, --jobs over MPI groups, --slurm job arrays, resume); then
 * scripts/uq.py summarises them. Common random numbers: draw j is the same parameter set
 * and patient in every scenario, so comparisons are paired.
 *
 *   [study]
 *   name = uq_dose_source        ; default: the file's stem
 *   base = middle_aged_oa_focal.ini
 *   rank_by = fill_12mo          ; summary column that ranks the scenarios (higher first)
 *   [uq]
 *   draws = 256                  ; N (a power of 2 for sobol)
 *   seed = 1
 *   sampler = sobol              ; sobol (scrambled, scipy.stats.qmc) | lhs
 *   priors = default             ; models/priors.ini | a path | none
 *   vary = all                   ; all | the prior keys to vary (the rest stay at base.ini)
 *   cohort = knee_oa_trial       ; models/cohorts/<name>.ini | a path | none
 *   outcomes = fill_12mo hyaline_12mo inflammation_auc:lower   ; summary columns
 *   series = defect_fill hyaline_fraction   ; /metrics bands over time
 *   sensitivity = none           ; none | sobol (Saltelli design: N (G + 2) runs per scenario)
 *   groups = msc.delta joint.k_att cohort   ; sobol: inputs with their own index; the
 *                                ; word cohort = all patient inputs; the rest = one group
 *   bootstrap = 200              ; resamples for the confidence intervals
 *   [matrix]  [set]  [slurm]     ; as in compare and sweep
 *
 * Results in <output.dir>/<name>/: inputs.csv (the distributions), uq.ini (the settings for
 * scripts/uq.py), design.csv and draws.csv (the draws), sweep.ini + manifest.csv + r00000/ ...
 * (one run per scenario and draw), sweep.csv, then outcomes.csv, stats.csv, bands.csv,
 * pairwise.csv, rank_first.csv, sobol.csv (sensitivity = sobol), report.txt and plots. */
#ifndef CHS_UQ_H
#define CHS_UQ_H

#include <stdbool.h>

#include "core/status.h"

typedef struct {
  const char *out_dir;      /* results root instead of the base config's output.dir */
  const char *models_dir;   /* NULL: default */
  int jobs;                 /* concurrent MPI groups (0: one per rank) */
  bool slurm;               /* write the job array for the runs not done; run nothing */
  bool dry_run;             /* validate and print the plan; write and run nothing */
  bool quiet;
  bool no_plot;
  const char *command_line;
} chs_uq_options;

/* Collective over the world. */
chs_status chs_uq(const char *study_path, const chs_uq_options *opt);

#endif

/* `chondrosim sweep SWEEP.ini`: a parameter sweep expanded into a manifest
 * (results/<sweep>/manifest.csv, one row per run with its overrides and status), run
 * locally over MPI groups or submitted to Slurm as a job array with a collector.
 *
 *   [sweep]
 *   name = dose_attachment        ; default: the file's stem
 *   base = default.ini            ; run config, relative to the sweep file
 *   samples = 8                   ; Latin hypercube samples (needs [lhs])
 *   seed = 42                     ; same seed, same manifest
 *   [values]                      ; explicit grids: a list, range() or logrange()
 *   therapy.source = bone_marrow adipose
 *   therapy.dose = logrange(1e6, 1e8, 5)      ; 5 points, evenly spaced in log
 *   joint.k_att = range(0.5, 2, 4)            ; 4 points, evenly spaced
 *   [lhs]                         ; sampled keys: "lo hi" (linear) or "log lo hi"
 *   msc.delta = log 0.01 0.1
 *   ; or, instead of [lhs]: [sweep] design = rows.csv, an external design (relative to the
 *   ; sweep file): a header of config keys, then one line per sample with their values,
 *   ; e.g. written by a sampler in Python; it takes the place of the LHS samples below
 *   [set]                         ; fixed overrides for every row (not in the manifest)
 *   run.end_time = 365
 *   [slurm]                       ; resources of each array task (see --slurm)
 *   throttle = 4                  ; at most 4 tasks at once (--array=...%4)
 *   time = 01:00:00
 *   ntasks = 1
 *   cpus_per_task = 1
 *
 * Rows are the cartesian product of the [values] grids (first key slowest) crossed with
 * the LHS samples: every grid point gets the same `samples` LHS points, so there are
 * (product of grid sizes) x samples rows. Generated numbers are written with 6 significant
 * digits (integer keys rounded); that text is what the run gets.
 *
 * results/<sweep>/manifest.csv: `row,run,<swept keys...>,fingerprint,status`, one line per
 * row, e.g.
 *   row,run,therapy.source,therapy.dose,joint.k_att,fingerprint,status
 *   0,r0000,bone_marrow,1e+07,0.05,3f0c2a9d81b7e654,done
 * The fingerprint hashes the row's full effective configuration (chs_config_fingerprint).
 * status is derived from files, never remembered: done iff <run>/summary.csv exists (the
 * engine writes it last, atomically) and <run>/config.ini has the row's fingerprint (a
 * result of an edited [set], base or model file runs again); failed iff status/<run>.failed exists (written with
 * the reason when the row's run fails, removed when it succeeds); else pending. The
 * manifest is rewritten atomically under an flock on .manifest.lock (array tasks update it
 * concurrently); an existing manifest whose rows (row, run, swept values) differ from the
 * sweep file is an error.
 * Running the sweep again skips done rows and retries failed and pending ones. */
#ifndef CHS_SWEEP_H
#define CHS_SWEEP_H

#include <stdbool.h>

#include "core/status.h"

typedef struct {
  const char *out_dir;      /* results root instead of the base config's output.dir */
  const char *models_dir;   /* NULL: default */
  const char *rows;         /* "3", "0-7", "1,4-6"; NULL: every row */
  int jobs;                 /* concurrent MPI groups (0: one per rank) */
  bool slurm;               /* write the Slurm scripts for the rows not done; run nothing */
  bool dry_run;             /* print the manifest; write and run nothing */
  bool quiet;
  const char *command_line; /* provenance of every run */
} chs_sweep_options;

/* Collective over the world. Returns an error if any selected row failed. */
chs_status chs_sweep(const char *sweep_path, const chs_sweep_options *opt);

#endif

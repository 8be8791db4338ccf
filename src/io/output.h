/* Run output: results/<run>/<run>.h5 written collectively with parallel HDF5, plus the
 * XDMF 2 sidecar <run>.xdmf that ParaView opens. The only module that includes <hdf5.h>.
 *
 * While the run is going the data file is named <run>.partial.h5 and the sidecar points
 * at it; chs_output_finish renames it to <run>.h5 and rewrites the sidecar, so a run
 * that failed never leaves a file that looks complete. The file a reader sees is never open
 * for writing: each change goes to a copy, <run>.partial.h5.tmp, renamed over it when
 * complete, so a run killed at any moment leaves a readable file whose every step the
 * sidecar lists is whole (output.c, "crash-safe updates"). */
#ifndef CHS_OUTPUT_H
#define CHS_OUTPUT_H

#include "core/status.h"

#define CHS_OUTPUT_MAX_FIELDS 16
#define CHS_OUTPUT_MAX_METRICS 128
#define CHS_OUTPUT_TINY 1e-30 /* field values with |x| below this are written as 0 */

typedef struct {
  /* grid: x fastest in memory; datasets are (nz, ny, nx) */
  int global[3];      /* cells along x, y, z */
  int lo[3], ln[3];   /* this rank's block: first cell and count per axis */
  double origin[3];   /* low corner, mm, x y z */
  double spacing[3];  /* mm, x y z */
  const char *geometry; /* "axisymmetric" | "cartesian2d" | "cartesian3d" */
  const unsigned char *lesion_mask; /* owned cells, x fastest; 1 = lesion (may be NULL) */

  int nfields;
  const char *field_names[CHS_OUTPUT_MAX_FIELDS];
  const char *field_units[CHS_OUTPUT_MAX_FIELDS];

  int nmetrics;
  const char *metric_names[CHS_OUTPUT_MAX_METRICS];
  const char *metric_units[CHS_OUTPUT_MAX_METRICS];

  int compression;         /* deflate level, 0 = off */
  const char *config_text; /* the effective config (INI text) for /config */
  void *comm;              /* MPI_Comm* of the ranks that write this run (chs_par_comm) */
} chs_output_spec;

/* Provenance written as attributes of the root group. */
typedef struct {
  const char *version, *git_revision, *compiler, *compile_flags, *build_type;
  const char *sundials_version, *mpi_version, *command_line, *hostname;
  const char *start_time, *end_time; /* ISO 8601 UTC */
  const char *slurm_job_id, *slurm_array_task_id; /* NULL when not under Slurm */
  int ranks, threads;
  double wall_time; /* s */
} chs_provenance;

/* Solver statistics: names and values, written as attributes of /solver. */
typedef struct {
  int n;
  const char *names[32];
  double values[32];
} chs_stats_record;

typedef struct chs_output chs_output;

/* Collective. Creates <dir>/<run>.partial.h5 (replacing an old partial file), writes
 * /grid, /config and the start-of-run provenance, creates /time and /metrics/<name>.
 * dir must exist. Fails with CHS_ERR_IO and a message naming the path if it cannot. */
chs_status chs_output_create(const chs_output_spec *spec, const char *dir, const char *run,
                             chs_output **out);

/* Where a restart continues an output: the checkpoint's steps and metrics series. */
typedef struct {
  int nsteps;          /* output steps written before the checkpoint */
  const double *times; /* their times (nsteps values) */
  long metric_rows;    /* metric rows up to the checkpoint */
  const double *metric_t;      /* their times (metric_rows values) */
  const double *metric_values; /* metric_rows x nmetrics values, row-major */
} chs_output_resume;

/* Collective. Reopens <dir>/<run>.partial.h5 to continue a run from a checkpoint: rewrites
 * the sidecar to list only the first r->nsteps steps, then deletes later step groups and
 * cuts /time and /metrics back to r->nsteps steps and r->metric_rows rows (what a killed
 * attempt wrote after the checkpoint; rows the file lacks are written from r), replaces
 * /config with spec->config_text, marks the file incomplete and counts the restart in the
 * root attribute `restarts`. Fails with CHS_ERR_IO if the file is missing or is not the
 * output the checkpoint belongs to (fewer steps, other output times). */
chs_status chs_output_reopen(const chs_output_spec *spec, const char *dir, const char *run,
                             const chs_output_resume *r, chs_output **out);

/* Buffers one row of metrics (every rank passes the same values; rank 0 keeps them).
 * Rows reach the file at the next write_step or finish. */
chs_status chs_output_add_metrics(chs_output *o, double t, const double *values);

/* Collective. Writes /step_NNNNN/<field> for every field from this rank's owned cells.
 * field(f) points at nfields interleaved values per cell when stride == nfields, i.e.
 * data[cell * stride + f], cells x fastest. Appends t to /time, flushes buffered
 * metrics, closes the file, then rewrites the sidecar atomically (tmp + rename). */
chs_status chs_output_write_step(chs_output *o, double t, const double *data, int stride);

/* Collective. Writes provenance and solver statistics, marks the file complete,
 * renames <run>.partial.h5 to <run>.h5 and rewrites the sidecar. */
chs_status chs_output_finish(chs_output *o, const chs_provenance *prov,
                             const chs_stats_record *stats);

/* Frees the handle; the file keeps its .partial name. NULL-safe. */
void chs_output_destroy(chs_output **o);

/* Number of steps written so far, and their times (nsteps values, owned by o). */
int chs_output_nsteps(const chs_output *o);
const double *chs_output_times(const chs_output *o);

/* "1.10.8" */
const char *chs_output_hdf5_version(void);

#endif

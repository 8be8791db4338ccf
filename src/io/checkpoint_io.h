/* HDF5 access for checkpoints: a small collective reader/writer of root attributes, text,
 * 1-D/2-D arrays and (nz, ny, nx) grid datasets in global layout. What goes into a
 * checkpoint is decided by src/run/checkpoint.c; this file only knows HDF5.
 *
 * Writing: every rank makes the same calls in the same order (HDF5 metadata is collective);
 * grid datasets take each rank's block, everything else is written by the one `writer`
 * rank (the owner of cell (0,0,0)) while the others join with empty selections.
 * Reading: every rank reads attributes, text and arrays whole, and its own block of a grid
 * dataset, so a checkpoint written on N ranks reads back on any other number. */
#ifndef CHS_CHECKPOINT_IO_H
#define CHS_CHECKPOINT_IO_H

#include "core/status.h"

typedef struct chs_h5ck chs_h5ck;

/* A rank's block of the global grid (x y z order, like chs_output_spec). */
typedef struct {
  int global[3], lo[3], ln[3];
} chs_h5ck_block;

/* Collective over comm (an MPI_Comm*, chs_par_comm). Creates path, replacing any file of
 * that name. */
chs_status chs_h5ck_create(const char *path, void *comm, int writer, chs_h5ck **out);
/* Collective. Opens an existing file read-only. */
chs_status chs_h5ck_open(const char *path, void *comm, chs_h5ck **out);
/* Collective. A file being written is flushed to stable storage first. Returns the first
 * failure of this handle's life if there was one. NULL-safe. */
chs_status chs_h5ck_close(chs_h5ck **f);

/* Root attributes (every rank passes the same value). */
chs_status chs_h5ck_put_double(chs_h5ck *f, const char *name, double v);
chs_status chs_h5ck_put_long(chs_h5ck *f, const char *name, long v);
chs_status chs_h5ck_put_string(chs_h5ck *f, const char *name, const char *v);
chs_status chs_h5ck_get_double(chs_h5ck *f, const char *name, double *v);
chs_status chs_h5ck_get_long(chs_h5ck *f, const char *name, long *v);
chs_status chs_h5ck_get_string(chs_h5ck *f, const char *name, char *buf, int len);

/* A text dataset (e.g. "config"); intermediate groups are created as needed. */
chs_status chs_h5ck_put_text(chs_h5ck *f, const char *name, const char *text);
/* *text is malloc'ed, NUL-terminated. */
chs_status chs_h5ck_get_text(chs_h5ck *f, const char *name, char **text);

/* A (rows, cols) float64 dataset from the writer's data (cols == 1: 1-D). */
chs_status chs_h5ck_put_array(chs_h5ck *f, const char *name, long rows, int cols,
                              const double *data);
/* Every rank reads the whole dataset; *data is malloc'ed (caller frees, never NULL on
 * success even when rows == 0). */
chs_status chs_h5ck_get_array(chs_h5ck *f, const char *name, long *rows, int *cols,
                              double **data);

/* A (nz, ny, nx) float64 dataset: this rank's block is mem[i * stride], cells x fastest. */
chs_status chs_h5ck_put_grid(chs_h5ck *f, const char *name, const chs_h5ck_block *b,
                             const double *mem, int stride);
/* Reads this rank's block into mem[i * stride]; fails if the global dims differ. */
chs_status chs_h5ck_get_grid(chs_h5ck *f, const char *name, const chs_h5ck_block *b, double *mem,
                             int stride);

/* Test-only hook for the killed-mid-run tests (tests/integration/test_kill.sh). With
 * CHONDROSIM_TEST_PAUSE_IN=WHERE@INDEX in the environment (e.g. output@4: the write of
 * step_00004; checkpoint@2: this process's second checkpoint), the write that calls
 * chs_test_pause(WHERE, INDEX) halfway through its data creates the file named by
 * CHONDROSIM_TEST_PAUSE_FILE (if set) and sleeps CHONDROSIM_TEST_PAUSE_SECONDS (default 60),
 * so a test can SIGKILL the process while the write is half done. Without the variable it
 * does nothing. */
void chs_test_pause(const char *where, int index);

#endif

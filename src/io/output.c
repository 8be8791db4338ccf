/* Run output with parallel HDF5 (layout: README, Output).
 *
 * Parallel rules this file follows:
 *  - every rank makes the same metadata calls (create group/dataset/attribute, set_extent)
 *    with the same values, in the same order;
 *  - raw data is written with collective transfers; small or global data (grid vectors,
 *    /config, /time, metrics) is written by one rank, the others select nothing;
 *  - that one rank ("the writer") is the owner of cell (0,0,0), rank 0 of any Cartesian
 *    decomposition; it is found from lo/ln because only src/par/ may ask MPI for ranks.
 *    It also writes the sidecar and renames the file. */
#define _POSIX_C_SOURCE 200809L
#define _GNU_SOURCE /* copy_file_range */
#include "io/output.h"

#include <errno.h>
#include <hdf5.h>
#include <math.h>

#include "io/h5quiet.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/checkpoint_io.h"
#include "io/xdmf.h"
#include "par/par.h"

#define SERIES_CHUNK 256                    /* elements per chunk of the 1-D series */
#define FIELD_WHOLE_CHUNK_MAX (4u << 20)    /* bytes: up to this, one chunk per field */
#define FIELD_TILE 64                       /* else chunks of (nz, 64, 64) */

struct chs_output {
  /* copies of the spec: the caller's spec and strings may be temporaries */
  int global[3], lo[3], ln[3];
  double origin[3], spacing[3];
  int has_mask;
  int planar; /* 2D/axisymmetric: one cell in y, shown as a flat mesh (xdmf.h) */
  int nfields, nmetrics;
  char *field_names[CHS_OUTPUT_MAX_FIELDS], *field_units[CHS_OUTPUT_MAX_FIELDS];
  char *metric_names[CHS_OUTPUT_MAX_METRICS];
  int compression;
  MPI_Comm comm;
  int writer;

  char *partial_path, *final_path, *xdmf_path; /* <dir>/<run>.partial.h5, .h5, .xdmf */
  char *tmp_path;                              /* <dir>/<run>.partial.h5.tmp: see updates */
  char *partial_name, *final_name;             /* the same without <dir>/, for the sidecar */

  int nsteps, times_cap;
  double *times;

  /* metric rows not yet in the file: (t, values[nmetrics]) each */
  int nrows, rows_cap;
  double *rows;
  hsize_t rows_in_file;

  int finished;
};

/* ---------------------------------------------------------------- small helpers */

static void close_id(hid_t *id, herr_t (*close)(hid_t))
{
  if (*id >= 0) close(*id);
  *id = -1;
}

static char *dup_str(const char *s)
{
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static char *join3(const char *a, const char *b, const char *c)
{
  size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
  char *d = malloc(n);
  if (d) snprintf(d, n, "%s%s%s", a, b, c);
  return d;
}

static long local_cells(const chs_output *o) { return (long)o->ln[0] * o->ln[1] * o->ln[2]; }

/* Fixed-length, null-terminated ASCII: VTK's readers reject HDF5's variable-length UTF-8. */
static hid_t string_type(const char *s)
{
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t < 0) return -1;
  if (H5Tset_size(t, strlen(s) + 1) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0 ||
      H5Tset_cset(t, H5T_CSET_ASCII) < 0) {
    H5Tclose(t);
    return -1;
  }
  return t;
}

/* Attributes are metadata: every rank writes the same value (HDF5 requires it). An
 * existing attribute of that name is replaced. */
static herr_t set_attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype, hsize_t n,
                       const void *value)
{
  if (H5Aexists(loc, name) > 0 && H5Adelete(loc, name) < 0) return -1;
  hid_t space = n ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_SCALAR);
  if (space < 0) return -1;
  herr_t r = -1;
  hid_t a = H5Acreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
  if (a >= 0) {
    r = H5Awrite(a, mtype, value);
    if (H5Aclose(a) < 0) r = -1;
  }
  H5Sclose(space);
  return r;
}

static herr_t set_str_attr(hid_t loc, const char *name, const char *value)
{
  hid_t t = string_type(value);
  if (t < 0) return -1;
  herr_t r = set_attr(loc, name, t, t, 0, value);
  H5Tclose(t);
  return r;
}

static herr_t set_int_attr(hid_t loc, const char *name, int value)
{
  return set_attr(loc, name, H5T_STD_I32LE, H5T_NATIVE_INT, 0, &value);
}

static herr_t set_double_attr(hid_t loc, const char *name, double value)
{
  return set_attr(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, &value);
}

static hid_t collective_dxpl(void)
{
  hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
  if (dxpl >= 0 && H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE) < 0) {
    H5Pclose(dxpl);
    return -1;
  }
  return dxpl;
}

/* Collective write of a whole (small) dataset by the writer rank; the others join the
 * collective call with empty selections. */
static herr_t write_by_writer(const chs_output *o, hid_t dset, hid_t mtype, const void *buf,
                              hid_t dxpl)
{
  if (o->writer) return H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, dxpl, buf);
  hid_t space = H5Dget_space(dset);
  if (space < 0) return -1;
  herr_t r = H5Sselect_none(space);
  if (r >= 0) r = H5Dwrite(dset, mtype, space, space, dxpl, buf);
  H5Sclose(space);
  return r;
}

/* A small contiguous dataset with a units attribute, e.g. /grid/origin. */
static herr_t write_small(const chs_output *o, hid_t loc, const char *name, hid_t ftype,
                          hid_t mtype, hsize_t n, const void *buf, const char *units,
                          hid_t dxpl)
{
  hid_t space = H5Screate_simple(1, &n, NULL);
  if (space < 0) return -1;
  herr_t r = -1;
  hid_t d = H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (d >= 0) {
    r = write_by_writer(o, d, mtype, buf, dxpl);
    if (r >= 0) r = set_str_attr(d, "units", units);
    if (H5Dclose(d) < 0) r = -1;
  }
  H5Sclose(space);
  return r;
}

/* An empty 1-D extendible series (/time, /metrics/<name>). */
static herr_t create_series(hid_t loc, const char *name, const char *units)
{
  hsize_t dims = 0, maxdims = H5S_UNLIMITED, chunk = SERIES_CHUNK;
  hid_t space = H5Screate_simple(1, &dims, &maxdims);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  hid_t d = -1;
  herr_t r = -1;
  if (space >= 0 && dcpl >= 0 && H5Pset_chunk(dcpl, 1, &chunk) >= 0) {
    d = H5Dcreate2(loc, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d >= 0) r = set_str_attr(d, "units", units);
  }
  close_id(&d, H5Dclose);
  close_id(&dcpl, H5Pclose);
  close_id(&space, H5Sclose);
  return r;
}

/* Appends n values to a series that holds `old`: mem[i * mem_stride], i < n. Extension is
 * collective, so every rank extends to the same size; only the writer selects data. */
static herr_t append_series(const chs_output *o, hid_t loc, const char *name, hsize_t old,
                            hsize_t n, const double *mem, hsize_t mem_stride, hid_t dxpl)
{
  if (n == 0) return 0;
  hsize_t size = old + n, mem_len = (n - 1) * mem_stride + 1, zero = 0;
  hid_t d = H5Dopen2(loc, name, H5P_DEFAULT), fspace = -1, mspace = -1;
  herr_t r = -1;
  if (d < 0 || H5Dset_extent(d, &size) < 0) goto done;
  if ((fspace = H5Dget_space(d)) < 0) goto done;
  if ((mspace = H5Screate_simple(1, &mem_len, NULL)) < 0) goto done;
  if (o->writer) {
    if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &old, NULL, &n, NULL) < 0) goto done;
    if (H5Sselect_hyperslab(mspace, H5S_SELECT_SET, &zero, &mem_stride, &n, NULL) < 0)
      goto done;
  } else if (H5Sselect_none(fspace) < 0 || H5Sselect_none(mspace) < 0) {
    goto done;
  }
  r = H5Dwrite(d, H5T_NATIVE_DOUBLE, mspace, fspace, dxpl, mem);
done:
  close_id(&mspace, H5Sclose);
  close_id(&fspace, H5Sclose);
  if (d >= 0 && H5Dclose(d) < 0) r = -1;
  return r;
}

/* Creation properties of a (nz, ny, nx) dataset of elements of elem_size bytes. */
static hid_t grid_dcpl(const chs_output *o, size_t elem_size, int level)
{
  hsize_t chunk[3] = {(hsize_t)o->global[2], (hsize_t)o->global[1], (hsize_t)o->global[0]};
  double bytes = (double)elem_size * o->global[0] * o->global[1] * o->global[2];
  if (bytes > FIELD_WHOLE_CHUNK_MAX) {
    if (chunk[1] > FIELD_TILE) chunk[1] = FIELD_TILE;
    if (chunk[2] > FIELD_TILE) chunk[2] = FIELD_TILE;
  }
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (dcpl < 0) return -1;
  /* Every cell is written right after creation: skip writing fill values first. */
  if (H5Pset_chunk(dcpl, 3, chunk) < 0 || H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) < 0 ||
      (level > 0 && H5Pset_deflate(dcpl, (unsigned)level) < 0)) {
    H5Pclose(dcpl);
    return -1;
  }
  return dcpl;
}

/* Creates loc/name as a (nz, ny, nx) grid dataset and writes this rank's block from mem:
 * n_mem elements, the block's cells at mem[i * mem_stride], x fastest. */
static herr_t write_grid_dataset_once(const chs_output *o, hid_t loc, const char *name,
                                      hid_t ftype, hid_t mtype, const void *mem,
                                      hsize_t mem_stride, int level, hid_t dxpl)
{
  hsize_t dims[3] = {(hsize_t)o->global[2], (hsize_t)o->global[1], (hsize_t)o->global[0]};
  hsize_t start[3] = {(hsize_t)o->lo[2], (hsize_t)o->lo[1], (hsize_t)o->lo[0]};
  hsize_t count[3] = {(hsize_t)o->ln[2], (hsize_t)o->ln[1], (hsize_t)o->ln[0]};
  hsize_t ncell = (hsize_t)local_cells(o), zero = 0;
  hsize_t mem_len = ncell ? (ncell - 1) * mem_stride + 1 : 1;
  hid_t dcpl = grid_dcpl(o, H5Tget_size(ftype), level);
  hid_t fspace = H5Screate_simple(3, dims, NULL), mspace = -1, d = -1;
  herr_t r = -1;
  if (dcpl < 0 || fspace < 0) goto done;
  if ((d = H5Dcreate2(loc, name, ftype, fspace, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0) goto done;
  if ((mspace = H5Screate_simple(1, &mem_len, NULL)) < 0) goto done;
  if (ncell > 0) {
    if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        H5Sselect_hyperslab(mspace, H5S_SELECT_SET, &zero, &mem_stride, &ncell, NULL) < 0)
      goto done;
  } else if (H5Sselect_none(fspace) < 0 || H5Sselect_none(mspace) < 0) {
    goto done;
  }
  static const double dummy = 0; /* a rank with no cells still joins the collective write */
  r = H5Dwrite(d, mtype, mspace, fspace, dxpl, ncell ? mem : &dummy);
done:
  close_id(&mspace, H5Sclose);
  close_id(&fspace, H5Sclose);
  close_id(&dcpl, H5Pclose);
  if (d >= 0 && H5Dclose(d) < 0) r = -1;
  return r;
}

/* As above plus the units attribute. Parallel HDF5 1.10.8 compresses only in collective
 * writes (which we use); if the filtered write still fails, the dataset is recreated
 * uncompressed and compression stays off for the rest of the run. This relies on a failed
 * collective write failing on every rank, which holds for HDF5's collective filtered path. */
static herr_t write_grid_dataset(chs_output *o, hid_t loc, const char *name, hid_t ftype,
                                 hid_t mtype, const void *mem, hsize_t mem_stride,
                                 const char *units, hid_t dxpl)
{
  herr_t r = write_grid_dataset_once(o, loc, name, ftype, mtype, mem, mem_stride,
                                     o->compression, dxpl);
  if (r < 0 && o->compression > 0) {
    if (H5Lexists(loc, name, H5P_DEFAULT) > 0 && H5Ldelete(loc, name, H5P_DEFAULT) < 0)
      return -1;
    o->compression = 0;
    r = write_grid_dataset_once(o, loc, name, ftype, mtype, mem, mem_stride, 0, dxpl);
  }
  if (r < 0) return r;
  hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
  if (d < 0) return -1;
  r = set_str_attr(d, "units", units);
  if (H5Dclose(d) < 0) r = -1;
  return r;
}

static hid_t open_path(const chs_output *o, const char *path, int create)
{
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), f = -1;
  if (fapl < 0) return -1;
  if (H5Pset_fapl_mpio(fapl, o->comm, MPI_INFO_NULL) >= 0)
    f = create ? H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl)
               : H5Fopen(path, H5F_ACC_RDWR, fapl);
  H5Pclose(fapl);
  return f;
}

/* ---------------------------------------------------------------- crash-safe updates
 *
 * Readers (ParaView through the sidecar, h5py, a restart) only ever find <run>.partial.h5
 * whole, because it is never open for writing: every change is made to a copy,
 * <run>.partial.h5.tmp, which is flushed to disk, closed and renamed over it. A process
 * killed at any moment leaves the previous file intact (and a stale .tmp that the next
 * change overwrites). Appending in place is not safe with HDF5 1.10: closing the file
 * rewrites metadata (group heaps, B-trees, the superblock) in place, and a SIGKILL in that
 * moment left files h5py could no longer read ("bad heap free list", about 1 kill in 30
 * with frequent outputs). The price: the writer copies the file before each change (each
 * output, the finish, a restart), so the copying grows with the square of the number of
 * outputs; on file systems with copy-on-write extents copy_file_range makes it cheap. */

/* Every rank learns the largest status (ranks of this output's communicator). */
static chs_status agree(const chs_output *o, chs_status local)
{
  int v = (int)local;
  chs_par_comm_max_int((void *)&o->comm, &v, 1);
  return (chs_status)v;
}

static chs_status copy_file(const char *from, const char *to)
{
  int in = open(from, O_RDONLY), out = -1;
  chs_status st = CHS_OK;
  if (in < 0)
    return chs_error(CHS_ERR_IO, "%s: cannot open it to update it: %s (was it moved or deleted?)",
                     from, strerror(errno));
  struct stat sb;
  if (fstat(in, &sb) != 0 || (out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
    st = chs_error(CHS_ERR_IO, "%s: cannot create %s: %s", from, to, strerror(errno));
    goto done;
  }
  off_t left = sb.st_size;
#ifdef __linux__
  /* In-kernel copy (shares extents on XFS/btrfs, server-side on NFS 4.2). */
  while (left > 0) {
    ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
    if (n <= 0) break; /* not supported here: the loop below does the rest */
    left -= n;
  }
#endif
  static char buf[1 << 20];
  while (left > 0) {
    ssize_t n = read(in, buf, sizeof buf), w = 0;
    if (n <= 0) break;
    for (ssize_t k; w < n; w += k)
      if ((k = write(out, buf + w, (size_t)(n - w))) <= 0) break;
    if (w < n) break;
    left -= n;
  }
  if (left > 0) st = chs_error(CHS_ERR_IO, "%s: cannot copy it to %s: %s (disk full?)", from, to,
                               strerror(errno));
done:
  if (out >= 0 && close(out) != 0 && st == CHS_OK)
    st = chs_error(CHS_ERR_IO, "%s: cannot write %s: %s (disk full?)", from, to, strerror(errno));
  close(in);
  return st;
}

/* Collective. The writer copies the visible file to the .tmp, every rank opens the copy.
 * Returns -1 (and *st set) if that failed. */
static hid_t begin_update(const chs_output *o, chs_status *st)
{
  *st = agree(o, o->writer ? copy_file(o->partial_path, o->tmp_path) : CHS_OK);
  if (*st != CHS_OK) {
    if (!o->writer) *st = chs_error(*st, "%s: the writing rank could not copy it", o->partial_path);
    return -1;
  }
  hid_t f = open_path(o, o->tmp_path, 0);
  if (f < 0) {
    /* The copy is byte for byte the file: it is the file that is damaged. */
    *st = chs_error(CHS_ERR_IO, "%s: HDF5 cannot open it (damaged or truncated, e.g. by a full "
                    "disk or a process killed mid-write): restart from a checkpoint written "
                    "after it, or run again from day 0", o->partial_path);
    if (o->writer) remove(o->tmp_path);
  }
  return f;
}

/* Collective. Flushes and closes the copy (r < 0: a change already failed, `what` says
 * which) and, if everything worked, renames it to target. */
static chs_status end_update(const chs_output *o, hid_t file, herr_t r, char *what, size_t wlen,
                             const char *target)
{
  if (file >= 0) {
    if (r >= 0 && H5Fflush(file, H5F_SCOPE_GLOBAL) < 0) {
      r = -1;
      snprintf(what, wlen, "cannot flush the file to disk (disk full?)");
    }
    if (H5Fclose(file) < 0 && r >= 0) {
      r = -1;
      snprintf(what, wlen, "cannot close the file (disk full?)");
    }
  }
  chs_status st = r < 0 ? chs_error(CHS_ERR_IO, "%s: %s", o->partial_path, what) : CHS_OK;
  /* Every rank has closed the copy (H5Fclose is collective) before the writer renames it. */
  if (st == CHS_OK && o->writer && rename(o->tmp_path, target) != 0)
    st = chs_error(CHS_ERR_IO, "%s: cannot rename %s to it: %s", target, o->tmp_path,
                   strerror(errno));
  st = agree(o, st);
  if (st != CHS_OK) {
    if (o->writer) remove(o->tmp_path);
    else st = chs_error(st, "%s: the writing rank could not update it", o->partial_path);
  }
  return st;
}

/* Writes the buffered metric rows; the caller clears them once the file is closed. */
static herr_t flush_metrics(const chs_output *o, hid_t file, hid_t dxpl, char *what, size_t wlen)
{
  if (o->nrows == 0) return 0;
  hsize_t n = (hsize_t)o->nrows, stride = (hsize_t)o->nmetrics + 1;
  hid_t g = H5Gopen2(file, "metrics", H5P_DEFAULT);
  herr_t r = -1;
  snprintf(what, wlen, "cannot open /metrics");
  if (g < 0) return -1;
  snprintf(what, wlen, "cannot append to /metrics/time");
  r = append_series(o, g, "time", o->rows_in_file, n, o->rows, stride, dxpl);
  for (int m = 0; r >= 0 && m < o->nmetrics; m++) {
    snprintf(what, wlen, "cannot append to /metrics/%s", o->metric_names[m]);
    r = append_series(o, g, o->metric_names[m], o->rows_in_file, n, o->rows + 1 + m, stride,
                      dxpl);
  }
  if (H5Gclose(g) < 0) r = -1;
  return r;
}

static chs_status write_sidecar(const chs_output *o, const char *h5_name)
{
  /* ParaView 5.11's XDMFReader crashes (SIGSEGV) on an empty temporal collection. */
  if (!o->writer || o->nsteps == 0) return CHS_OK;
  chs_xdmf_desc d = {.h5_name = h5_name,
                     .cells = {o->global[0], o->global[1], o->global[2]},
                     .origin = {o->origin[0], o->origin[1], o->origin[2]},
                     .spacing = {o->spacing[0], o->spacing[1], o->spacing[2]},
                     .nfields = o->nfields,
                     .planar = o->planar,
                     .field_names = (const char *const *)o->field_names,
                     .field_units = (const char *const *)o->field_units,
                     .has_lesion_mask = o->has_mask,
                     .nsteps = o->nsteps,
                     .times = o->times};
  return chs_xdmf_write(o->xdmf_path, &d);
}

/* Deletes a leftover file; a missing file is fine. Every rank calls it, so every rank
 * sees the same outcome without a reduction. */
static chs_status remove_stale(const char *dir, const char *path)
{
  if (remove(path) != 0 && errno != ENOENT)
    return chs_error(CHS_ERR_IO, "%s: cannot remove the old %s: %s", dir, path,
                     strerror(errno));
  return CHS_OK;
}

/* ---------------------------------------------------------------- create */

static int bad_name(const char *s) { return !s || !*s || strchr(s, '/') || strcmp(s, ".") == 0; }

static chs_status check_spec(const chs_output_spec *s, const char *dir, const char *run)
{
  if (!s || !dir || !*dir || bad_name(run))
    return chs_error(CHS_ERR_INTERNAL, "chs_output_create: missing spec, dir or run name "
                                       "(the run name may not contain '/')");
  if (!s->comm) return chs_error(CHS_ERR_INTERNAL, "chs_output_create: spec.comm is NULL");
  if (!s->geometry) return chs_error(CHS_ERR_INTERNAL, "chs_output_create: spec.geometry is NULL");
  for (int a = 0; a < 3; a++) {
    if (s->global[a] < 1 || s->lo[a] < 0 || s->ln[a] < 0 || s->lo[a] + s->ln[a] > s->global[a])
      return chs_error(CHS_ERR_INTERNAL,
                       "chs_output_create: bad block on axis %d: global %d, lo %d, ln %d", a,
                       s->global[a], s->lo[a], s->ln[a]);
    if (!(s->spacing[a] > 0))
      return chs_error(CHS_ERR_INTERNAL, "chs_output_create: spacing[%d] = %g is not > 0", a,
                       s->spacing[a]);
  }
  if (s->nfields < 0 || s->nfields > CHS_OUTPUT_MAX_FIELDS || s->nmetrics < 0 ||
      s->nmetrics > CHS_OUTPUT_MAX_METRICS)
    return chs_error(CHS_ERR_INTERNAL, "chs_output_create: %d fields / %d metrics (max %d / %d)",
                     s->nfields, s->nmetrics, CHS_OUTPUT_MAX_FIELDS, CHS_OUTPUT_MAX_METRICS);
  for (int f = 0; f < s->nfields; f++) {
    if (bad_name(s->field_names[f]) || !s->field_units[f])
      return chs_error(CHS_ERR_INTERNAL, "chs_output_create: field %d has no valid name or units",
                       f);
    if (strcmp(s->field_names[f], "lesion_mask") == 0)
      return chs_error(CHS_ERR_INTERNAL, "chs_output_create: field name lesion_mask is reserved");
  }
  for (int m = 0; m < s->nmetrics; m++)
    if (bad_name(s->metric_names[m]) || !s->metric_units[m] ||
        strcmp(s->metric_names[m], "time") == 0)
      return chs_error(CHS_ERR_INTERNAL,
                       "chs_output_create: metric %d has no valid name or units ('time' is "
                       "reserved)",
                       m);
  return CHS_OK;
}

/* /config: the effective configuration text (replaced on a restart). */
static herr_t write_config(const chs_output *o, hid_t file, const char *config_text, hid_t dxpl)
{
  const char *text = config_text ? config_text : "";
  if (H5Lexists(file, "config", H5P_DEFAULT) > 0 && H5Ldelete(file, "config", H5P_DEFAULT) < 0)
    return -1;
  hid_t t = string_type(text), space = H5Screate(H5S_SCALAR), d = -1;
  herr_t rc = -1;
  if (t >= 0 && space >= 0 &&
      (d = H5Dcreate2(file, "config", t, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) >= 0) {
    rc = write_by_writer(o, d, t, text, dxpl);
    if (rc >= 0) rc = set_str_attr(d, "units", "none");
  }
  close_id(&d, H5Dclose);
  close_id(&space, H5Sclose);
  close_id(&t, H5Tclose);
  return rc;
}

/* Writes everything create puts in the new file; *what says what failed. */
static herr_t write_header(chs_output *o, const chs_output_spec *s, hid_t file, hid_t dxpl,
                           char *what, size_t wlen)
{
  hid_t g = -1;
  herr_t r = -1;
  int dims[3] = {o->global[0], o->global[1], o->global[2]};

  snprintf(what, wlen, "cannot write the root attributes");
  if (set_int_attr(file, "complete", 0) < 0 ||
      set_str_attr(file, "hdf5_version", chs_output_hdf5_version()) < 0)
    goto done;

  snprintf(what, wlen, "cannot write /grid");
  if ((g = H5Gcreate2(file, "grid", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0) goto done;
  const hid_t f64 = H5T_IEEE_F64LE, dbl = H5T_NATIVE_DOUBLE;
  if (write_small(o, g, "origin", f64, dbl, 3, o->origin, "mm", dxpl) < 0 ||
      write_small(o, g, "spacing", f64, dbl, 3, o->spacing, "mm", dxpl) < 0 ||
      write_small(o, g, "dims", H5T_STD_I32LE, H5T_NATIVE_INT, 3, dims, "cells", dxpl) < 0 ||
      set_str_attr(g, "geometry", s->geometry) < 0)
    goto done;
  if (o->has_mask) {
    snprintf(what, wlen, "cannot write /grid/lesion_mask");
    if (write_grid_dataset(o, g, "lesion_mask", H5T_STD_U8LE, H5T_NATIVE_UCHAR, s->lesion_mask,
                           1, "1", dxpl) < 0)
      goto done;
  }
  close_id(&g, H5Gclose);

  snprintf(what, wlen, "cannot write /config");
  if (write_config(o, file, s->config_text, dxpl) < 0) goto done;

  snprintf(what, wlen, "cannot create /time");
  if (create_series(file, "time", "day") < 0) goto done;

  snprintf(what, wlen, "cannot create /metrics");
  if ((g = H5Gcreate2(file, "metrics", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
      create_series(g, "time", "day") < 0)
    goto done;
  for (int m = 0; m < o->nmetrics; m++) {
    snprintf(what, wlen, "cannot create /metrics/%s", o->metric_names[m]);
    if (create_series(g, o->metric_names[m], s->metric_units[m]) < 0) goto done;
  }
  r = 0;
done:
  if (g >= 0 && H5Gclose(g) < 0) r = -1;
  return r;
}

/* The handle with copies of the spec and the file names; no file is touched. */
static chs_status new_output(const chs_output_spec *spec, const char *dir, const char *run,
                             chs_output **out)
{
  if (!out) return chs_error(CHS_ERR_INTERNAL, "chs_output_create: out is NULL");
  *out = NULL;
  CHS_CHECK(check_spec(spec, dir, run));

  /* Every rank sees the same directory, so this check fails on all ranks or none. */
  struct stat sb;
  if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
    return chs_error(CHS_ERR_IO,
                     "%s: not an existing directory (cannot create %s/%s.partial.h5)", dir,
                     dir, run);

  chs_output *o = calloc(1, sizeof *o);
  if (!o) return chs_error(CHS_ERR_NOMEM, "%s: out of memory creating the output", dir);
  for (int a = 0; a < 3; a++) {
    o->global[a] = spec->global[a];
    o->lo[a] = spec->lo[a];
    o->ln[a] = spec->ln[a];
    o->origin[a] = spec->origin[a];
    o->spacing[a] = spec->spacing[a];
  }
  o->writer = o->lo[0] == 0 && o->lo[1] == 0 && o->lo[2] == 0 && local_cells(o) > 0;
  o->has_mask = spec->lesion_mask != NULL;
  o->planar = strcmp(spec->geometry, "cartesian3d") != 0 && spec->global[1] == 1;
  o->nfields = spec->nfields;
  o->nmetrics = spec->nmetrics;
  o->comm = *(MPI_Comm *)spec->comm;
  o->compression = spec->compression > 9 ? 9 : spec->compression;
  /* No deflate in this HDF5 build: write uncompressed rather than fail. */
  unsigned cfg = 0;
  if (o->compression > 0 && (H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0 ||
                             H5Zget_filter_info(H5Z_FILTER_DEFLATE, &cfg) < 0 ||
                             !(cfg & H5Z_FILTER_CONFIG_ENCODE_ENABLED)))
    o->compression = 0;

  int ok = 1;
  for (int f = 0; f < o->nfields; f++) {
    ok &= (o->field_names[f] = dup_str(spec->field_names[f])) != NULL;
    ok &= (o->field_units[f] = dup_str(spec->field_units[f])) != NULL;
  }
  for (int m = 0; m < o->nmetrics; m++)
    ok &= (o->metric_names[m] = dup_str(spec->metric_names[m])) != NULL;
  char *base = join3(dir, "/", run);
  ok &= base != NULL;
  if (base) {
    ok &= (o->partial_path = join3(base, ".partial.h5", "")) != NULL;
    ok &= (o->tmp_path = join3(base, ".partial.h5.tmp", "")) != NULL;
    ok &= (o->final_path = join3(base, ".h5", "")) != NULL;
    ok &= (o->xdmf_path = join3(base, ".xdmf", "")) != NULL;
  }
  free(base);
  ok &= (o->partial_name = join3(run, ".partial.h5", "")) != NULL;
  ok &= (o->final_name = join3(run, ".h5", "")) != NULL;
  if (!ok) {
    chs_output_destroy(&o);
    return chs_error(CHS_ERR_NOMEM, "%s: out of memory creating the output", dir);
  }
  *out = o;
  return CHS_OK;
}

chs_status chs_output_create(const chs_output_spec *spec, const char *dir, const char *run,
                             chs_output **out)
{
  chs_output *o = NULL;
  CHS_CHECK(new_output(spec, dir, run, &o));
  chs_status st = CHS_OK;

  /* An old complete file or sidecar of the same name must not pass for this run's. */
  CHS_TRY(st, remove_stale(dir, o->final_path), fail);
  CHS_TRY(st, remove_stale(dir, o->xdmf_path), fail);

  /* Written as the .tmp (an old one is truncated: never removed here, as another rank may
   * already be creating it) and renamed: the file appears whole. */
  h5_quiet q;
  quiet_begin(&q);
  char what[512] = "cannot set up the collective transfer";
  hid_t file = open_path(o, o->tmp_path, 1), dxpl = -1;
  herr_t r = -1;
  if (file < 0) {
    snprintf(what, sizeof what, "cannot create it (is the directory %s writable?)", dir);
  } else {
    if ((dxpl = collective_dxpl()) >= 0) r = write_header(o, spec, file, dxpl, what, sizeof what);
    close_id(&dxpl, H5Pclose);
  }
  st = end_update(o, file, r, what, sizeof what, o->partial_path);
  quiet_end(&q);
  if (st != CHS_OK) goto fail;
  *out = o;
  return CHS_OK;

fail:
  chs_output_destroy(&o);
  return st;
}

/* ---------------------------------------------------------------- reopen (restart) */

/* 1-D dataset length, or -1. */
static hssize_t series_length(hid_t loc, const char *name)
{
  hid_t d = H5Dopen2(loc, name, H5P_DEFAULT), space = -1;
  hssize_t n = -1;
  if (d >= 0 && (space = H5Dget_space(d)) >= 0) n = H5Sget_simple_extent_npoints(space);
  close_id(&space, H5Sclose);
  close_id(&d, H5Dclose);
  return n;
}

static herr_t set_length(hid_t loc, const char *name, hsize_t n)
{
  hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
  if (d < 0) return -1;
  herr_t r = H5Dset_extent(d, &n);
  if (H5Dclose(d) < 0) r = -1;
  return r;
}

/* Cuts the open file back to the checkpoint's nsteps steps and rows metric rows, checks
 * that its first steps are the checkpoint's, and replaces /config. */
static herr_t rewind_file(chs_output *o, hid_t file, const chs_output_spec *spec,
                          const chs_output_resume *r, hid_t dxpl, char *what, size_t wlen)
{
  hssize_t nt = series_length(file, "time");
  hid_t g = H5Gopen2(file, "metrics", H5P_DEFAULT);
  hssize_t nr = g >= 0 ? series_length(g, "time") : -1;
  herr_t res = -1;
  snprintf(what, wlen, "it is not a chondrosim output file (no /time or /metrics/time)");
  if (nt < 0 || nr < 0) goto done;
  snprintf(what, wlen,
           "it holds %lld output steps, fewer than the checkpoint's %d: it is not the output "
           "this checkpoint belongs to", (long long)nt, r->nsteps);
  if (nt < r->nsteps) goto done;
  if (r->nsteps > 0) {
    double *t = malloc((size_t)nt * sizeof *t);
    hid_t d = H5Dopen2(file, "time", H5P_DEFAULT);
    herr_t rd = t && d >= 0 ? H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, dxpl, t) : -1;
    close_id(&d, H5Dclose);
    int same = rd >= 0 && memcmp(t, r->times, (size_t)r->nsteps * sizeof *t) == 0;
    free(t);
    snprintf(what, wlen, "its output times differ from the checkpoint's: it is not the output "
                         "this checkpoint belongs to");
    if (!same) goto done;
  }
  /* Steps written after the checkpoint (a killed attempt) are written again. */
  for (int k = r->nsteps;; k++) {
    char step[32];
    snprintf(step, sizeof step, "step_%05d", k);
    if (H5Lexists(file, step, H5P_DEFAULT) <= 0) break;
    snprintf(what, wlen, "cannot delete /%s (written after the checkpoint)", step);
    if (H5Ldelete(file, step, H5P_DEFAULT) < 0) goto done;
  }
  snprintf(what, wlen, "cannot cut /time and /metrics back to the checkpoint");
  hsize_t keep = (hsize_t)(nr < r->metric_rows ? nr : r->metric_rows);
  if (set_length(file, "time", (hsize_t)r->nsteps) < 0 || set_length(g, "time", keep) < 0)
    goto done;
  for (int m = 0; m < o->nmetrics; m++)
    if (set_length(g, o->metric_names[m], keep) < 0) goto done;
  /* Rows the file never got (buffered when the run stopped) come from the checkpoint. */
  if (nr < r->metric_rows) {
    hsize_t n = (hsize_t)r->metric_rows - keep, w = (hsize_t)o->nmetrics;
    snprintf(what, wlen, "cannot append the checkpoint's metric rows");
    if (append_series(o, g, "time", keep, n, r->metric_t + keep, 1, dxpl) < 0) goto done;
    for (int m = 0; m < o->nmetrics; m++)
      if (append_series(o, g, o->metric_names[m], keep, n, r->metric_values + keep * w + m, w,
                        dxpl) < 0)
        goto done;
  }
  snprintf(what, wlen, "cannot replace /config");
  if (write_config(o, file, spec->config_text, dxpl) < 0) goto done;
  int restarts = 0;
  if (H5Aexists(file, "restarts") > 0) {
    hid_t a = H5Aopen(file, "restarts", H5P_DEFAULT);
    if (a >= 0) H5Aread(a, H5T_NATIVE_INT, &restarts);
    close_id(&a, H5Aclose);
  }
  snprintf(what, wlen, "cannot update the root attributes");
  if (set_int_attr(file, "complete", 0) < 0 || set_int_attr(file, "restarts", restarts + 1) < 0)
    goto done;
  res = 0;
done:
  close_id(&g, H5Gclose);
  return res;
}

chs_status chs_output_reopen(const chs_output_spec *spec, const char *dir, const char *run,
                             const chs_output_resume *r, chs_output **out)
{
  chs_output *o = NULL;
  CHS_CHECK(new_output(spec, dir, run, &o));
  chs_status st = CHS_OK;
  if (r->nsteps < 0 || r->metric_rows < 0 || (r->nsteps > 0 && !r->times) ||
      (r->metric_rows > 0 && (!r->metric_t || !r->metric_values))) {
    chs_output_destroy(&o);
    return chs_error(CHS_ERR_INTERNAL, "chs_output_reopen: bad resume point");
  }
  o->times_cap = r->nsteps > 32 ? r->nsteps : 32;
  if (!(o->times = malloc((size_t)o->times_cap * sizeof *o->times))) {
    chs_output_destroy(&o);
    return chs_error(CHS_ERR_NOMEM, "%s: out of memory", dir);
  }
  if (r->nsteps > 0) memcpy(o->times, r->times, (size_t)r->nsteps * sizeof *o->times);
  o->nsteps = r->nsteps;
  o->rows_in_file = (hsize_t)r->metric_rows;

  /* The sidecar first: once it lists only the checkpoint's steps, the later ones may go. */
  chs_status sidecar = CHS_OK;
  if (o->writer && o->nsteps == 0 && remove(o->xdmf_path) != 0 && errno != ENOENT)
    sidecar = chs_error(CHS_ERR_IO, "%s: cannot remove it: %s", o->xdmf_path, strerror(errno));
  else if (o->nsteps > 0)
    sidecar = write_sidecar(o, o->partial_name);
  st = agree(o, sidecar);
  if (st == CHS_OK) {
    h5_quiet q;
    quiet_begin(&q);
    char what[512] = "cannot set up the collective transfer";
    hid_t file = begin_update(o, &st), dxpl = -1;
    herr_t res = -1;
    if (file >= 0) {
      if ((dxpl = collective_dxpl()) >= 0) res = rewind_file(o, file, spec, r, dxpl, what, sizeof what);
      close_id(&dxpl, H5Pclose);
      st = end_update(o, file, res, what, sizeof what, o->partial_path);
    }
    quiet_end(&q);
  }
  if (st != CHS_OK) {
    chs_output_destroy(&o);
    return chs_error(st, "cannot continue the output from the checkpoint");
  }
  *out = o;
  return CHS_OK;
}

/* ---------------------------------------------------------------- writes */

chs_status chs_output_add_metrics(chs_output *o, double t, const double *values)
{
  if (!o || (o->nmetrics > 0 && !values))
    return chs_error(CHS_ERR_INTERNAL, "chs_output_add_metrics: NULL argument");
  if (o->finished)
    return chs_error(CHS_ERR_INTERNAL, "chs_output_add_metrics: output already finished");
  int w = o->nmetrics + 1;
  if (o->nrows == o->rows_cap) {
    int cap = o->rows_cap ? 2 * o->rows_cap : 64;
    double *p = realloc(o->rows, (size_t)cap * w * sizeof *p);
    if (!p) return chs_error(CHS_ERR_NOMEM, "%s: out of memory buffering metrics", o->partial_path);
    o->rows = p;
    o->rows_cap = cap;
  }
  double *row = o->rows + (size_t)o->nrows * w;
  row[0] = t;
  for (int m = 0; m < o->nmetrics; m++) row[1 + m] = values[m];
  o->nrows++;
  return CHS_OK;
}

/* Output only (the state and checkpoints keep every bit): values with |x| < CHS_OUTPUT_TINY
 * are written as 0. Diffusion tails and round-off leave values like -1.7e-121 that mean
 * "nothing here" but stretch colour ranges and break log colour maps in viewers. */
static void flush_tiny(double *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (fabs(v[i]) < CHS_OUTPUT_TINY) v[i] = 0.0;
}

chs_status chs_output_write_step(chs_output *o, double t, const double *data, int stride)
{
  if (!o) return chs_error(CHS_ERR_INTERNAL, "chs_output_write_step: output is NULL");
  if (o->finished)
    return chs_error(CHS_ERR_INTERNAL, "chs_output_write_step: output already finished");
  if (stride < o->nfields || (!data && local_cells(o) > 0 && o->nfields > 0))
    return chs_error(CHS_ERR_INTERNAL, "chs_output_write_step: stride %d < %d fields or no data",
                     stride, o->nfields);
  if (o->nsteps == o->times_cap) {
    int cap = o->times_cap ? 2 * o->times_cap : 32;
    double *p = realloc(o->times, (size_t)cap * sizeof *p);
    if (!p) return chs_error(CHS_ERR_NOMEM, "%s: out of memory", o->partial_path);
    o->times = p;
    o->times_cap = cap;
  }

  /* One field at a time through a buffer of one value per cell: a copy of the whole
   * state would add a state-sized vector to the run's peak memory. */
  double *field = NULL;
  const size_t ncell = (size_t)local_cells(o);
  if (data && ncell > 0 && !(field = malloc(ncell * sizeof *field)))
    return chs_error(CHS_ERR_NOMEM, "%s: out of memory for an output step", o->partial_path);

  h5_quiet q;
  quiet_begin(&q);
  char what[512], step[32];
  snprintf(step, sizeof step, "step_%05d", o->nsteps);
  chs_status st;
  hid_t file = begin_update(o, &st), dxpl = -1, g = -1;
  herr_t r = -1;
  if (file < 0) {
    quiet_end(&q);
    free(field);
    return st;
  }
  snprintf(what, sizeof what, "cannot set up the collective transfer");
  if ((dxpl = collective_dxpl()) < 0) goto done;
  snprintf(what, sizeof what, "cannot create /%s", step);
  if ((g = H5Gcreate2(file, step, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0) goto done;
  for (int f = 0; f < o->nfields; f++) {
    snprintf(what, sizeof what, "cannot write /%s/%s", step, o->field_names[f]);
    if (field) {
      for (size_t c = 0; c < ncell; c++) field[c] = data[c * (size_t)stride + (size_t)f];
      flush_tiny(field, ncell);
    }
    if (write_grid_dataset(o, g, o->field_names[f], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, field, 1,
                           o->field_units[f], dxpl) < 0)
      goto done;
    if (f == o->nfields / 2) chs_test_pause("output", o->nsteps); /* test-only, checkpoint_io.h */
  }
  close_id(&g, H5Gclose);
  snprintf(what, sizeof what, "cannot append to /time");
  if (append_series(o, file, "time", (hsize_t)o->nsteps, 1, &t, 1, dxpl) < 0) goto done;
  if (flush_metrics(o, file, dxpl, what, sizeof what) < 0) goto done;
  r = 0;
done:
  close_id(&g, H5Gclose);
  close_id(&dxpl, H5Pclose);
  st = end_update(o, file, r, what, sizeof what, o->partial_path);
  quiet_end(&q);
  free(field);
  if (st != CHS_OK) return st;

  o->times[o->nsteps++] = t;
  o->rows_in_file += (hsize_t)o->nrows;
  o->nrows = 0;
  /* The data is closed and on disk before the sidecar points at it. */
  return write_sidecar(o, o->partial_name);
}

/* ---------------------------------------------------------------- finish */

static herr_t write_provenance(hid_t file, const chs_provenance *p)
{
  const struct {
    const char *name, *value;
  } s[] = {{"version", p->version},
           {"git_revision", p->git_revision},
           {"compiler", p->compiler},
           {"compile_flags", p->compile_flags},
           {"build_type", p->build_type},
           {"sundials_version", p->sundials_version},
           {"mpi_version", p->mpi_version},
           {"command_line", p->command_line},
           {"hostname", p->hostname},
           {"start_time", p->start_time},
           {"end_time", p->end_time},
           {"slurm_job_id", p->slurm_job_id},
           {"slurm_array_task_id", p->slurm_array_task_id}};
  for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
    if (s[i].value && set_str_attr(file, s[i].name, s[i].value) < 0) return -1;
  if (set_int_attr(file, "ranks", p->ranks) < 0 || set_int_attr(file, "threads", p->threads) < 0 ||
      set_double_attr(file, "wall_time", p->wall_time) < 0)
    return -1;
  return 0;
}

static herr_t write_stats(hid_t file, const chs_stats_record *s)
{
  hid_t g = H5Lexists(file, "solver", H5P_DEFAULT) > 0
                ? H5Gopen2(file, "solver", H5P_DEFAULT)
                : H5Gcreate2(file, "solver", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) return -1;
  herr_t r = 0;
  int n = s->n < 0 ? 0 : s->n > 32 ? 32 : s->n;
  for (int i = 0; r >= 0 && i < n; i++)
    if (s->names[i] && *s->names[i]) r = set_double_attr(g, s->names[i], s->values[i]);
  if (H5Gclose(g) < 0) r = -1;
  return r;
}

chs_status chs_output_finish(chs_output *o, const chs_provenance *prov,
                             const chs_stats_record *stats)
{
  if (!o) return chs_error(CHS_ERR_INTERNAL, "chs_output_finish: output is NULL");
  if (o->finished) return chs_error(CHS_ERR_INTERNAL, "chs_output_finish: called twice");

  h5_quiet q;
  quiet_begin(&q);
  char what[512];
  chs_status st;
  hid_t file = begin_update(o, &st), dxpl = -1;
  herr_t r = -1;
  if (file < 0) {
    quiet_end(&q);
    return st;
  }
  snprintf(what, sizeof what, "cannot set up the collective transfer");
  if ((dxpl = collective_dxpl()) < 0) goto done;
  if (flush_metrics(o, file, dxpl, what, sizeof what) < 0) goto done;
  snprintf(what, sizeof what, "cannot write the provenance attributes");
  if (prov && write_provenance(file, prov) < 0) goto done;
  snprintf(what, sizeof what, "cannot write /solver");
  if (stats && write_stats(file, stats) < 0) goto done;
  snprintf(what, sizeof what, "cannot mark the file complete");
  if (set_int_attr(file, "complete", 1) < 0) goto done;
  r = 0;
done:
  close_id(&dxpl, H5Pclose);
  /* The finished copy becomes <run>.h5; the sidecar follows it, then the partial file goes. */
  st = end_update(o, file, r, what, sizeof what, o->final_path);
  quiet_end(&q);
  if (st != CHS_OK) return st;
  o->rows_in_file += (hsize_t)o->nrows;
  o->nrows = 0;
  o->finished = 1;
  st = write_sidecar(o, o->final_name);
  if (st == CHS_OK && o->writer && remove(o->partial_path) != 0 && errno != ENOENT)
    st = chs_error(CHS_ERR_IO, "%s: cannot remove it after the rename to %s: %s", o->partial_path,
                   o->final_path, strerror(errno));
  return st;
}

/* ---------------------------------------------------------------- the rest */

void chs_output_destroy(chs_output **op)
{
  if (!op || !*op) return;
  chs_output *o = *op;
  for (int f = 0; f < CHS_OUTPUT_MAX_FIELDS; f++) {
    free(o->field_names[f]);
    free(o->field_units[f]);
  }
  for (int m = 0; m < CHS_OUTPUT_MAX_METRICS; m++) free(o->metric_names[m]);
  free(o->partial_path);
  free(o->tmp_path);
  free(o->final_path);
  free(o->xdmf_path);
  free(o->partial_name);
  free(o->final_name);
  free(o->times);
  free(o->rows);
  free(o);
  *op = NULL;
}

int chs_output_nsteps(const chs_output *o) { return o ? o->nsteps : 0; }

const double *chs_output_times(const chs_output *o) { return o ? o->times : NULL; }

const char *chs_output_hdf5_version(void)
{
  static char buf[32];
  unsigned maj = 0, min = 0, rel = 0;
  H5get_libversion(&maj, &min, &rel);
  snprintf(buf, sizeof buf, "%u.%u.%u", maj, min, rel);
  return buf;
}

/* HDF5 access for checkpoints (see checkpoint_io.h). Parallel rules as in output.c: the
 * same metadata calls on every rank, collective raw-data transfers, small data written by
 * one rank. */
#define _POSIX_C_SOURCE 200809L
#include "io/checkpoint_io.h"

#include <hdf5.h>

#include "io/h5quiet.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct chs_h5ck {
  char *path;
  hid_t file, dxpl;
  int writer, writing;
  chs_status first_error;
};

/* Records the first failure of the handle and returns it. */
static chs_status fail(chs_h5ck *f, const char *what, const char *name)
{
  /* A read that fails on an open file means the file is damaged (truncated, overwritten,
   * or written by a process that died): say so, with the item that could not be read. */
  chs_status st = !strncmp(what, "read", 4)
                      ? chs_error(CHS_ERR_IO, "%s: cannot %s '%s' of the checkpoint: the file is "
                                  "damaged or incomplete (truncated, or not written by chondrosim); "
                                  "restart from another checkpoint or run from day 0", f->path, what, name)
                      : chs_error(CHS_ERR_IO, "%s: cannot %s '%s' (disk full?)", f->path, what, name);
  if (f->first_error == CHS_OK) f->first_error = st;
  return st;
}

static hid_t open_fapl(void *comm)
{
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl >= 0 && H5Pset_fapl_mpio(fapl, *(MPI_Comm *)comm, MPI_INFO_NULL) < 0) {
    H5Pclose(fapl);
    return -1;
  }
  return fapl;
}

static chs_status open_common(const char *path, void *comm, int create, int writer,
                              chs_h5ck **out)
{
  *out = NULL;
  chs_h5ck *f = calloc(1, sizeof *f);
  size_t n = strlen(path) + 1;
  if (!f || !(f->path = malloc(n))) {
    free(f);
    return chs_error(CHS_ERR_NOMEM, "%s: out of memory", path);
  }
  memcpy(f->path, path, n);
  f->writer = writer;
  f->writing = create;
  f->file = f->dxpl = -1;
  h5_quiet q;
  quiet_begin(&q);
  hid_t fapl = open_fapl(comm);
  if (fapl >= 0)
    f->file = create ? H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl)
                     : H5Fopen(path, H5F_ACC_RDONLY, fapl);
  if (fapl >= 0) H5Pclose(fapl);
  f->dxpl = H5Pcreate(H5P_DATASET_XFER);
  if (f->dxpl >= 0 && H5Pset_dxpl_mpio(f->dxpl, H5FD_MPIO_COLLECTIVE) < 0) {
    H5Pclose(f->dxpl);
    f->dxpl = -1;
  }
  quiet_end(&q);
  if (f->file < 0 || f->dxpl < 0) {
    chs_status st = chs_error(CHS_ERR_IO, create ? "%s: cannot create it (is the directory writable?)"
                                                 : "%s: cannot open it as an HDF5 checkpoint "
                                                   "(missing, or not a chondrosim checkpoint?)",
                              path);
    f->writing = 0;
    chs_h5ck_close(&f);
    return st;
  }
  *out = f;
  return CHS_OK;
}

chs_status chs_h5ck_create(const char *path, void *comm, int writer, chs_h5ck **out)
{
  return open_common(path, comm, 1, writer, out);
}

chs_status chs_h5ck_open(const char *path, void *comm, chs_h5ck **out)
{
  return open_common(path, comm, 0, 0, out);
}

chs_status chs_h5ck_close(chs_h5ck **fp)
{
  if (!fp || !*fp) return CHS_OK;
  chs_h5ck *f = *fp;
  chs_status st = f->first_error;
  h5_quiet q;
  quiet_begin(&q);
  if (f->dxpl >= 0) H5Pclose(f->dxpl);
  if (f->file >= 0) {
    /* H5Fflush with the MPI-IO driver syncs the file (MPI_File_sync), so the rename that
     * publishes the checkpoint never points at data still in flight. */
    if (f->writing && H5Fflush(f->file, H5F_SCOPE_GLOBAL) < 0 && st == CHS_OK)
      st = chs_error(CHS_ERR_IO, "%s: cannot flush it to disk (disk full?)", f->path);
    if (H5Fclose(f->file) < 0 && st == CHS_OK)
      st = chs_error(CHS_ERR_IO, "%s: cannot close it (disk full?)", f->path);
  }
  quiet_end(&q);
  free(f->path);
  free(f);
  *fp = NULL;
  return st;
}

/* ---------------------------------------------------------------- attributes */

static chs_status put_attr(chs_h5ck *f, const char *name, hid_t ftype, hid_t mtype,
                           const void *v)
{
  if (f->first_error) return f->first_error;
  h5_quiet q;
  quiet_begin(&q);
  herr_t r = -1;
  hid_t space = H5Screate(H5S_SCALAR), a = -1;
  if (space >= 0 && (a = H5Acreate2(f->file, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT)) >= 0)
    r = H5Awrite(a, mtype, v);
  if (a >= 0 && H5Aclose(a) < 0) r = -1;
  if (space >= 0) H5Sclose(space);
  quiet_end(&q);
  return r < 0 ? fail(f, "write attribute", name) : CHS_OK;
}

chs_status chs_h5ck_put_double(chs_h5ck *f, const char *name, double v)
{
  return put_attr(f, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}

chs_status chs_h5ck_put_long(chs_h5ck *f, const char *name, long v)
{
  return put_attr(f, name, H5T_STD_I64LE, H5T_NATIVE_LONG, &v);
}

/* Fixed-length ASCII, as in output.c. */
static hid_t string_type(size_t len)
{
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t < 0) return -1;
  if (H5Tset_size(t, len + 1) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0) {
    H5Tclose(t);
    return -1;
  }
  return t;
}

chs_status chs_h5ck_put_string(chs_h5ck *f, const char *name, const char *v)
{
  hid_t t = string_type(strlen(v));
  if (t < 0) return fail(f, "write attribute", name);
  chs_status st = put_attr(f, name, t, t, v);
  H5Tclose(t);
  return st;
}

static chs_status get_attr(chs_h5ck *f, const char *name, hid_t mtype, void *v)
{
  h5_quiet q;
  quiet_begin(&q);
  herr_t r = -1;
  hid_t a = H5Aopen(f->file, name, H5P_DEFAULT);
  if (a >= 0) r = H5Aread(a, mtype, v);
  if (a >= 0) H5Aclose(a);
  quiet_end(&q);
  return r < 0 ? fail(f, "read attribute", name) : CHS_OK;
}

chs_status chs_h5ck_get_double(chs_h5ck *f, const char *name, double *v)
{
  return get_attr(f, name, H5T_NATIVE_DOUBLE, v);
}

chs_status chs_h5ck_get_long(chs_h5ck *f, const char *name, long *v)
{
  return get_attr(f, name, H5T_NATIVE_LONG, v);
}

chs_status chs_h5ck_get_string(chs_h5ck *f, const char *name, char *buf, int len)
{
  buf[0] = '\0';
  h5_quiet q;
  quiet_begin(&q);
  herr_t r = -1;
  hid_t a = H5Aopen(f->file, name, H5P_DEFAULT), t = -1;
  char *tmp = NULL;
  if (a >= 0 && (t = H5Aget_type(a)) >= 0 && H5Tget_class(t) == H5T_STRING &&
      !H5Tis_variable_str(t) && (tmp = calloc(H5Tget_size(t) + 1, 1)) != NULL)
    r = H5Aread(a, t, tmp);
  if (r >= 0) snprintf(buf, (size_t)len, "%s", tmp);
  free(tmp);
  if (t >= 0) H5Tclose(t);
  if (a >= 0) H5Aclose(a);
  quiet_end(&q);
  return r < 0 ? fail(f, "read attribute", name) : CHS_OK;
}

/* ---------------------------------------------------------------- datasets */

/* Creates name (with intermediate groups) of the given type and shape. */
static hid_t create_dataset(chs_h5ck *f, const char *name, hid_t type, int rank,
                            const hsize_t *dims)
{
  hid_t space = H5Screate_simple(rank, dims, NULL), lcpl = H5Pcreate(H5P_LINK_CREATE), d = -1;
  if (space >= 0 && lcpl >= 0 && H5Pset_create_intermediate_group(lcpl, 1) >= 0)
    d = H5Dcreate2(f->file, name, type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  if (lcpl >= 0) H5Pclose(lcpl);
  if (space >= 0) H5Sclose(space);
  return d;
}

/* A collective write in which only the writer selects anything. */
static herr_t write_by_writer(chs_h5ck *f, hid_t d, hid_t mtype, const void *buf)
{
  if (f->writer) return H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, f->dxpl, buf);
  hid_t space = H5Dget_space(d);
  if (space < 0) return -1;
  herr_t r = H5Sselect_none(space);
  if (r >= 0) r = H5Dwrite(d, mtype, space, space, f->dxpl, buf);
  H5Sclose(space);
  return r;
}

chs_status chs_h5ck_put_text(chs_h5ck *f, const char *name, const char *text)
{
  if (f->first_error) return f->first_error;
  h5_quiet q;
  quiet_begin(&q);
  herr_t r = -1;
  hid_t t = string_type(strlen(text)), d = -1;
  if (t >= 0 && (d = create_dataset(f, name, t, 0, NULL)) >= 0) r = write_by_writer(f, d, t, text);
  if (d >= 0 && H5Dclose(d) < 0) r = -1;
  if (t >= 0) H5Tclose(t);
  quiet_end(&q);
  return r < 0 ? fail(f, "write", name) : CHS_OK;
}

chs_status chs_h5ck_get_text(chs_h5ck *f, const char *name, char **text)
{
  *text = NULL;
  h5_quiet q;
  quiet_begin(&q);
  herr_t r = -1;
  hid_t d = H5Dopen2(f->file, name, H5P_DEFAULT), t = -1;
  char *buf = NULL;
  if (d >= 0 && (t = H5Dget_type(d)) >= 0 && H5Tget_class(t) == H5T_STRING &&
      !H5Tis_variable_str(t) && (buf = calloc(H5Tget_size(t) + 1, 1)) != NULL)
    r = H5Dread(d, t, H5S_ALL, H5S_ALL, f->dxpl, buf);
  if (t >= 0) H5Tclose(t);
  if (d >= 0) H5Dclose(d);
  quiet_end(&q);
  if (r < 0) {
    free(buf);
    return fail(f, "read", name);
  }
  *text = buf;
  return CHS_OK;
}

chs_status chs_h5ck_put_array(chs_h5ck *f, const char *name, long rows, int cols,
                              const double *data)
{
  if (f->first_error) return f->first_error;
  h5_quiet q;
  quiet_begin(&q);
  hsize_t dims[2] = {(hsize_t)rows, (hsize_t)cols};
  herr_t r = -1;
  hid_t d = create_dataset(f, name, H5T_IEEE_F64LE, cols == 1 ? 1 : 2, dims);
  if (d >= 0) r = rows > 0 && cols > 0 ? write_by_writer(f, d, H5T_NATIVE_DOUBLE, data) : 0;
  if (d >= 0 && H5Dclose(d) < 0) r = -1;
  quiet_end(&q);
  return r < 0 ? fail(f, "write", name) : CHS_OK;
}

chs_status chs_h5ck_get_array(chs_h5ck *f, const char *name, long *rows, int *cols,
                              double **data)
{
  *data = NULL;
  *rows = 0;
  *cols = 0;
  h5_quiet q;
  quiet_begin(&q);
  herr_t r = -1;
  hid_t d = H5Dopen2(f->file, name, H5P_DEFAULT), space = -1;
  hsize_t dims[2] = {0, 1};
  int nd = -1;
  double *buf = NULL;
  if (d >= 0 && (space = H5Dget_space(d)) >= 0 && (nd = H5Sget_simple_extent_ndims(space)) >= 1 &&
      nd <= 2 && H5Sget_simple_extent_dims(space, dims, NULL) >= 0) {
    size_t n = (size_t)dims[0] * (size_t)(nd == 2 ? dims[1] : 1);
    if ((buf = malloc((n ? n : 1) * sizeof *buf)) != NULL)
      r = n ? H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, f->dxpl, buf) : 0;
  }
  if (space >= 0) H5Sclose(space);
  if (d >= 0) H5Dclose(d);
  quiet_end(&q);
  if (r < 0) {
    free(buf);
    return fail(f, "read", name);
  }
  *rows = (long)dims[0];
  *cols = nd == 2 ? (int)dims[1] : 1;
  *data = buf;
  return CHS_OK;
}

/* File and memory selections of this rank's block: dims (nz, ny, nx), memory mem[i*stride]. */
static herr_t select_block(const chs_h5ck_block *b, int stride, hid_t fspace, hid_t *mspace)
{
  hsize_t start[3] = {(hsize_t)b->lo[2], (hsize_t)b->lo[1], (hsize_t)b->lo[0]};
  hsize_t count[3] = {(hsize_t)b->ln[2], (hsize_t)b->ln[1], (hsize_t)b->ln[0]};
  hsize_t ncell = count[0] * count[1] * count[2], zero = 0, st = (hsize_t)stride;
  hsize_t mem_len = ncell ? (ncell - 1) * st + 1 : 1;
  if ((*mspace = H5Screate_simple(1, &mem_len, NULL)) < 0) return -1;
  if (ncell == 0) return H5Sselect_none(fspace) < 0 || H5Sselect_none(*mspace) < 0 ? -1 : 0;
  if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
      H5Sselect_hyperslab(*mspace, H5S_SELECT_SET, &zero, &st, &ncell, NULL) < 0)
    return -1;
  return 0;
}

chs_status chs_h5ck_put_grid(chs_h5ck *f, const char *name, const chs_h5ck_block *b,
                             const double *mem, int stride)
{
  if (f->first_error) return f->first_error;
  h5_quiet q;
  quiet_begin(&q);
  hsize_t dims[3] = {(hsize_t)b->global[2], (hsize_t)b->global[1], (hsize_t)b->global[0]};
  herr_t r = -1;
  hid_t d = create_dataset(f, name, H5T_IEEE_F64LE, 3, dims), fspace = -1, mspace = -1;
  static const double dummy = 0; /* a rank without cells still joins the collective write */
  if (d >= 0 && (fspace = H5Dget_space(d)) >= 0 && select_block(b, stride, fspace, &mspace) >= 0)
    r = H5Dwrite(d, H5T_NATIVE_DOUBLE, mspace, fspace, f->dxpl, mem ? mem : &dummy);
  if (mspace >= 0) H5Sclose(mspace);
  if (fspace >= 0) H5Sclose(fspace);
  if (d >= 0 && H5Dclose(d) < 0) r = -1;
  quiet_end(&q);
  return r < 0 ? fail(f, "write", name) : CHS_OK;
}

chs_status chs_h5ck_get_grid(chs_h5ck *f, const char *name, const chs_h5ck_block *b, double *mem,
                             int stride)
{
  h5_quiet q;
  quiet_begin(&q);
  hsize_t want[3] = {(hsize_t)b->global[2], (hsize_t)b->global[1], (hsize_t)b->global[0]};
  hsize_t dims[3] = {0, 0, 0};
  herr_t r = -1;
  int shape_ok = 0;
  hid_t d = H5Dopen2(f->file, name, H5P_DEFAULT), fspace = -1, mspace = -1;
  static double dummy;
  if (d >= 0 && (fspace = H5Dget_space(d)) >= 0 && H5Sget_simple_extent_ndims(fspace) == 3 &&
      H5Sget_simple_extent_dims(fspace, dims, NULL) >= 0 && !memcmp(dims, want, sizeof dims)) {
    shape_ok = 1;
    if (select_block(b, stride, fspace, &mspace) >= 0)
      r = H5Dread(d, H5T_NATIVE_DOUBLE, mspace, fspace, f->dxpl, mem ? mem : &dummy);
  }
  if (mspace >= 0) H5Sclose(mspace);
  if (fspace >= 0) H5Sclose(fspace);
  if (d >= 0) H5Dclose(d);
  quiet_end(&q);
  if (d >= 0 && !shape_ok) {
    chs_status st = chs_error(CHS_ERR_CONFIG,
                              "%s: %s is %llu x %llu x %llu cells (z y x) but this run's grid is "
                              "%d x %d x %d", f->path, name, (unsigned long long)dims[0],
                              (unsigned long long)dims[1], (unsigned long long)dims[2],
                              b->global[2], b->global[1], b->global[0]);
    if (f->first_error == CHS_OK) f->first_error = st;
    return st;
  }
  return r < 0 ? fail(f, "read", name) : CHS_OK;
}

/* ---------------------------------------------------------------- test hook */

void chs_test_pause(const char *where, int index)
{
  const char *spec = getenv("CHONDROSIM_TEST_PAUSE_IN");
  size_t n = strlen(where);
  if (!spec || strncmp(spec, where, n) != 0) return;
  if (spec[n] == '@' ? atoi(spec + n + 1) != index : spec[n] != '\0') return;
  const char *flag = getenv("CHONDROSIM_TEST_PAUSE_FILE");
  const char *secs = getenv("CHONDROSIM_TEST_PAUSE_SECONDS");
  if (flag && *flag) {
    FILE *fp = fopen(flag, "w");
    if (fp) {
      fprintf(fp, "%s@%d pid %ld\n", where, index, (long)getpid());
      fclose(fp);
    }
  }
  fprintf(stderr, "chondrosim: test hook: paused halfway through the %s write #%d (pid %ld)\n",
          where, index, (long)getpid());
  sleep(secs ? (unsigned)atoi(secs) : 60u);
}

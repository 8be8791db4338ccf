#include "support/h5read.h"

#include <hdf5.h>

#include "io/h5quiet.h"
#include <stdlib.h>
#include <string.h>

static chs_status open_file(const char *path, hid_t *file)
{
  *file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (*file < 0)
    return chs_error(CHS_ERR_IO, "%s: cannot open it as HDF5 (missing or not HDF5?)", path);
  return CHS_OK;
}

chs_status chs_h5_dataset_shape(const char *path, const char *dataset, int *ndims, long dims[8])
{
  h5_quiet q;
  quiet_begin(&q);
  hid_t file = -1, d = -1, space = -1;
  chs_status st = open_file(path, &file);
  if (st != CHS_OK) goto done;
  hsize_t h[8];
  int nd = -1;
  if ((d = H5Dopen2(file, dataset, H5P_DEFAULT)) < 0 || (space = H5Dget_space(d)) < 0 ||
      (nd = H5Sget_simple_extent_ndims(space)) < 0 || nd > 8 ||
      H5Sget_simple_extent_dims(space, h, NULL) < 0) {
    st = chs_error(CHS_ERR_IO, "%s: cannot read the shape of dataset %s", path, dataset);
    goto done;
  }
  *ndims = nd;
  for (int i = 0; i < nd; i++) dims[i] = (long)h[i];
done:
  if (space >= 0) H5Sclose(space);
  if (d >= 0) H5Dclose(d);
  if (file >= 0) H5Fclose(file);
  quiet_end(&q);
  return st;
}

chs_status chs_h5_read_doubles(const char *path, const char *dataset, double **data, long *n)
{
  *data = NULL;
  *n = 0;
  h5_quiet q;
  quiet_begin(&q);
  hid_t file = -1, d = -1, space = -1;
  double *buf = NULL;
  chs_status st = open_file(path, &file);
  if (st != CHS_OK) goto done;
  hssize_t count = -1;
  if ((d = H5Dopen2(file, dataset, H5P_DEFAULT)) < 0 || (space = H5Dget_space(d)) < 0 ||
      (count = H5Sget_simple_extent_npoints(space)) < 0) {
    st = chs_error(CHS_ERR_IO, "%s: cannot open dataset %s", path, dataset);
    goto done;
  }
  buf = malloc((count ? (size_t)count : 1) * sizeof *buf);
  if (!buf) {
    st = chs_error(CHS_ERR_NOMEM, "%s: out of memory reading %s", path, dataset);
    goto done;
  }
  if (count > 0 && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
    st = chs_error(CHS_ERR_IO, "%s: cannot read dataset %s as numbers", path, dataset);
    goto done;
  }
  *data = buf;
  *n = (long)count;
  buf = NULL;
done:
  free(buf);
  if (space >= 0) H5Sclose(space);
  if (d >= 0) H5Dclose(d);
  if (file >= 0) H5Fclose(file);
  quiet_end(&q);
  return st;
}

/* Reads a fixed-length string from a dataset (is_attr 0) or an attribute into a new
 * NUL-terminated buffer. */
static chs_status read_fixed_string(const char *path, hid_t obj, int is_attr, const char *what,
                                    char **text)
{
  hid_t ftype = is_attr ? H5Aget_type(obj) : H5Dget_type(obj), mtype = -1;
  chs_status st = CHS_OK;
  char *buf = NULL;
  if (ftype < 0 || H5Tget_class(ftype) != H5T_STRING || H5Tis_variable_str(ftype) != 0) {
    st = chs_error(CHS_ERR_IO, "%s: %s is not a fixed-length string", path, what);
    goto done;
  }
  size_t size = H5Tget_size(ftype);
  if ((mtype = H5Tcopy(ftype)) < 0 || (buf = calloc(size + 1, 1)) == NULL) {
    st = chs_error(CHS_ERR_NOMEM, "%s: out of memory reading %s", path, what);
    goto done;
  }
  herr_t r = is_attr ? H5Aread(obj, mtype, buf)
                     : H5Dread(obj, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
  if (r < 0) {
    st = chs_error(CHS_ERR_IO, "%s: cannot read %s", path, what);
    goto done;
  }
  *text = buf;
  buf = NULL;
done:
  free(buf);
  if (mtype >= 0) H5Tclose(mtype);
  if (ftype >= 0) H5Tclose(ftype);
  return st;
}

chs_status chs_h5_read_string(const char *path, const char *dataset, char **text)
{
  *text = NULL;
  h5_quiet q;
  quiet_begin(&q);
  hid_t file = -1, d = -1;
  chs_status st = open_file(path, &file);
  if (st == CHS_OK) {
    if ((d = H5Dopen2(file, dataset, H5P_DEFAULT)) < 0)
      st = chs_error(CHS_ERR_IO, "%s: cannot open dataset %s", path, dataset);
    else
      st = read_fixed_string(path, d, 0, dataset, text);
  }
  if (d >= 0) H5Dclose(d);
  if (file >= 0) H5Fclose(file);
  quiet_end(&q);
  return st;
}

/* Opens attr of obj; on success *file and *a must be closed by the caller. */
static chs_status open_attr(const char *path, const char *obj, const char *attr, hid_t *file,
                            hid_t *a)
{
  *a = -1;
  CHS_CHECK(open_file(path, file));
  *a = H5Aopen_by_name(*file, obj, attr, H5P_DEFAULT, H5P_DEFAULT);
  if (*a < 0) {
    H5Fclose(*file);
    *file = -1;
    return chs_error(CHS_ERR_IO, "%s: no attribute %s on %s", path, attr, obj);
  }
  return CHS_OK;
}

chs_status chs_h5_read_string_attr(const char *path, const char *obj, const char *attr, char *buf,
                                   int len)
{
  if (len < 1) return chs_error(CHS_ERR_INTERNAL, "chs_h5_read_string_attr: len < 1");
  buf[0] = '\0';
  h5_quiet q;
  quiet_begin(&q);
  hid_t file = -1, a = -1;
  char *text = NULL;
  chs_status st = open_attr(path, obj, attr, &file, &a);
  if (st == CHS_OK) st = read_fixed_string(path, a, 1, attr, &text);
  if (st == CHS_OK) {
    strncpy(buf, text, (size_t)len - 1);
    buf[len - 1] = '\0';
  }
  free(text);
  if (a >= 0) H5Aclose(a);
  if (file >= 0) H5Fclose(file);
  quiet_end(&q);
  return st;
}

static chs_status read_num_attr(const char *path, const char *obj, const char *attr, hid_t mtype,
                                void *value)
{
  h5_quiet q;
  quiet_begin(&q);
  hid_t file = -1, a = -1, space = -1;
  chs_status st = open_attr(path, obj, attr, &file, &a);
  if (st == CHS_OK && ((space = H5Aget_space(a)) < 0 || H5Sget_simple_extent_npoints(space) != 1 ||
                       H5Aread(a, mtype, value) < 0))
    st = chs_error(CHS_ERR_IO, "%s: cannot read attribute %s of %s as one number", path, attr, obj);
  if (space >= 0) H5Sclose(space);
  if (a >= 0) H5Aclose(a);
  if (file >= 0) H5Fclose(file);
  quiet_end(&q);
  return st;
}

chs_status chs_h5_read_int_attr(const char *path, const char *obj, const char *attr, int *value)
{
  return read_num_attr(path, obj, attr, H5T_NATIVE_INT, value);
}

chs_status chs_h5_read_double_attr(const char *path, const char *obj, const char *attr,
                                   double *value)
{
  return read_num_attr(path, obj, attr, H5T_NATIVE_DOUBLE, value);
}

/* Small serial reader of chondrosim's HDF5 result files for the tests (the engine itself
 * reads only checkpoints, through src/io/checkpoint_io.c). Any process may call it; it
 * does not need MPI. Failures return CHS_ERR_IO with a message naming the file and
 * the object. */
#ifndef CHS_TEST_H5READ_H
#define CHS_TEST_H5READ_H

#include "core/status.h"

/* Shape of a dataset: *ndims (0 for a scalar) and up to 8 dims, slowest first. */
chs_status chs_h5_dataset_shape(const char *path, const char *dataset, int *ndims, long dims[8]);

/* Whole dataset converted to double (any numeric type), flattened, slowest axis first.
 * *data is malloc'ed (caller frees); *n is the element count. */
chs_status chs_h5_read_doubles(const char *path, const char *dataset, double **data, long *n);

/* A scalar string dataset (e.g. /config) into a malloc'ed, NUL-terminated *text. */
chs_status chs_h5_read_string(const char *path, const char *dataset, char **text);

/* Attributes of obj ("/" for the root): a string (truncated to len - 1 chars, NUL
 * terminated), an int, or a double. */
chs_status chs_h5_read_string_attr(const char *path, const char *obj, const char *attr, char *buf,
                                   int len);
chs_status chs_h5_read_int_attr(const char *path, const char *obj, const char *attr, int *value);
chs_status chs_h5_read_double_attr(const char *path, const char *obj, const char *attr,
                                   double *value);

#endif

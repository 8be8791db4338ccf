/* Private to src/io: silences HDF5's automatic error-stack printout around our calls,
 * which report their own messages instead. */
#ifndef CHS_H5QUIET_H
#define CHS_H5QUIET_H

#include <hdf5.h>

typedef struct {
  H5E_auto2_t func;
  void *data;
} h5_quiet;

static inline void quiet_begin(h5_quiet *q)
{
  H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static inline void quiet_end(const h5_quiet *q) { H5Eset_auto2(H5E_DEFAULT, q->func, q->data); }

#endif

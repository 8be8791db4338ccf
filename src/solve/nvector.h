/* The project's own SUNDIALS N_Vector: this rank's part of the state as one contiguous
 * array, OpenMP inside the rank, MPI reductions across ranks (through par/). It implements
 * the whole operation table of SUNDIALS 6.4.1 including the fused and vector-array
 * operations, so CVODE and GMRES run kernels compiled with the project's flags, and a
 * multiple dot product is one MPI reduction. Deterministic for a fixed number of ranks
 * and threads: every reduction adds the threads' partial sums in thread order. */
#ifndef CHS_NVECTOR_H
#define CHS_NVECTOR_H

#include <sundials/sundials_nvector.h>

/* comm: MPI_Comm* (chs_par_comm), kept by pointer, must outlive the vector (NULL = world);
 * nthreads: OpenMP team size of each operation. Collective (sums the global length).
 * Returns NULL when out of memory. */
N_Vector chs_nvec_new(void *comm, sunindextype nlocal, int nthreads, SUNContext sun);
/* As chs_nvec_new, over the caller's array `data` of nlocal entries, which the vector
 * uses in place and never frees (clones allocate their own). */
N_Vector chs_nvec_wrap(void *comm, sunindextype nlocal, int nthreads, double *data, SUNContext sun);
/* 1 if v is one of ours. */
int chs_nvec_is(N_Vector v);

#endif

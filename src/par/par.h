/* The only code that calls MPI: start-up, the Cartesian process grid, reductions and the
 * halo exchange. Other modules that hand a communicator to a library (HDF5, SUNDIALS)
 * get it as an opaque pointer from chs_par_comm(). */
#ifndef CHS_PAR_H
#define CHS_PAR_H

#include "core/status.h"

/* MPI_Init_thread (funneled: only the master thread calls MPI). Safe to call twice. */
chs_status chs_par_init(int *argc, char ***argv);
void chs_par_finalize(void);
int chs_par_world_rank(void);
int chs_par_world_size(void);
/* "Open MPI v4.1.4, ..." (first line). */
const char *chs_par_library_version(void);

/* A Cartesian process grid over the decomposed axes. The depth axis z is never split:
 * every rank holds whole columns, so column preconditioners are exact and results do not
 * depend on the decomposition (README, Numerics and verification). */
typedef struct chs_par {
  int rank, size;
  int dims[3];   /* processes along x, y, z (z is always 1) */
  int coords[3]; /* this rank's position */
  int nbr[3][2]; /* neighbour rank at low/high side per axis, -1 at the domain edge */
  void *comm;    /* MPI_Comm* */
} chs_par;

/* Collective over `parent` (NULL = world). ndecomp = 1 splits x only, 2 splits x and y.
 * Fails if any axis would get more ranks than cells. */
chs_status chs_par_create(void *parent, int ndecomp, const int global_cells[3], chs_par **out);
void chs_par_destroy(chs_par **p);
void *chs_par_comm(const chs_par *p);

/* Splits the parent communicator (NULL = world) into `ngroups` nearly equal groups. */
chs_status chs_par_split(void *parent, int ngroups, int *group, void **comm_out);
void chs_par_comm_free(void **comm);
int chs_par_comm_rank(void *comm);
int chs_par_comm_size(void *comm);
/* On a raw communicator (NULL = world): the element-wise maximum of n ints in place
 * (used by the study layer to learn every group's outcome). */
void chs_par_comm_max_int(void *comm, int *v, int n);
/* On a raw communicator (NULL = world), in place over n doubles: sum, maximum, minimum.
 * The solver's vectors use these (one call per fused reduction). */
void chs_par_comm_sum(void *comm, double *v, int n);
void chs_par_comm_max(void *comm, double *v, int n);
void chs_par_comm_min(void *comm, double *v, int n);
/* Number of ranks on this node (this one included) whose CPU affinity mask (`bytes`
 * bytes, one bit per CPU) overlaps this rank's: the ranks that share its cores.
 * Collective over the world. */
int chs_par_node_sharing(const unsigned char *mask, int bytes);

/* Collective over comm (NULL = world): the sum of v over the ranks of comm that share
 * this rank's node (memory), e.g. the bytes a run needs on this node. */
double chs_par_node_sum(void *comm, double v);

/* Block distribution of n cells over p ranks: the first n % p ranks get one more. */
void chs_par_block(int n, int p, int coord, int *lo, int *count);

/* Reductions over the process grid (in place, n values). */
void chs_par_sum(const chs_par *p, double *v, int n);
void chs_par_max(const chs_par *p, double *v, int n);
void chs_par_min(const chs_par *p, double *v, int n);
/* Integer maximum over the process grid (in place, n values): e.g. "did any rank get a
 * signal", so that every rank takes the same branch. */
void chs_par_max_int(const chs_par *p, int *v, int n);
/* Every rank learns whether any rank failed: returns the largest status. A rank that did
 * not fail with it gets the message of the lowest rank that did ("rank 2: ..."). */
chs_status chs_par_agree(const chs_par *p, chs_status local);
/* Rank 0's bytes to every rank (so collective HDF5 attributes agree across nodes). */
void chs_par_bcast(const chs_par *p, void *buf, int bytes);

/* Halo exchange of a ghosted array with nf interleaved values per cell:
 * local ghosted dims gdim[3] (cells incl. ghosts), ghost width ng[3] per axis (0 or 1),
 * owned dims ln[3]. Faces only (the 7-point stencil needs no corners). */
typedef struct chs_halo chs_halo;
chs_status chs_halo_create(const chs_par *p, const int ln[3], const int ng[3], int nf,
                           chs_halo **out);
/* Posts receives and sends of the owned boundary layers; u may be read meanwhile. */
void chs_halo_begin(chs_halo *h, double *u);
/* Waits and unpacks the ghost layers. */
void chs_halo_end(chs_halo *h, double *u);
void chs_halo_destroy(chs_halo **h);

#endif

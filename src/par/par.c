#include "par/par.h"

#include <mpi.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

chs_status chs_par_init(int *argc, char ***argv)
{
  int up = 0;
  MPI_Initialized(&up);
  if (up) return CHS_OK;
  int provided;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    return chs_error(CHS_ERR_MPI, "MPI_Init_thread failed");
  if (provided < MPI_THREAD_FUNNELED)
    return chs_error(CHS_ERR_MPI, "MPI library does not support MPI_THREAD_FUNNELED");
  return CHS_OK;
}

void chs_par_finalize(void)
{
  int up = 0, down = 0;
  MPI_Initialized(&up);
  MPI_Finalized(&down);
  if (up && !down) MPI_Finalize();
}

int chs_par_world_rank(void)
{
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int chs_par_world_size(void)
{
  int s = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

const char *chs_par_library_version(void)
{
  static char buf[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(buf, &len);
  char *nl = strpbrk(buf, "\n,");
  if (nl) *nl = '\0';
  return buf;
}

void chs_par_block(int n, int p, int coord, int *lo, int *count)
{
  int base = n / p, extra = n % p;
  *count = base + (coord < extra ? 1 : 0);
  *lo = coord * base + (coord < extra ? coord : extra);
}

static MPI_Comm as_comm(void *c) { return c ? *(MPI_Comm *)c : MPI_COMM_WORLD; }

chs_status chs_par_create(void *parent, int ndecomp, const int global_cells[3], chs_par **out)
{
  *out = NULL;
  MPI_Comm pc = as_comm(parent);
  int size, rank;
  MPI_Comm_size(pc, &size);
  int dims[3] = {0, ndecomp > 1 ? 0 : 1, 1};
  MPI_Dims_create(size, 3, dims);
  for (int a = 0; a < 3; a++)
    if (dims[a] > global_cells[a])
      return chs_error(CHS_ERR_CONFIG,
                       "%d ranks need %d blocks along %c but the grid has only %d cells there; "
                       "use fewer ranks or a finer grid", size, dims[a], "xyz"[a], global_cells[a]);
  chs_par *p = calloc(1, sizeof *p);
  MPI_Comm *cart = malloc(sizeof *cart);
  if (!p || !cart) {
    free(p);
    free(cart);
    return chs_error(CHS_ERR_NOMEM, "out of memory creating the process grid");
  }
  int periods[3] = {0, 0, 0};
  /* No reordering: rank numbers stay those of the parent, so rank 0 stays the writer. */
  if (MPI_Cart_create(pc, 3, dims, periods, 0, cart) != MPI_SUCCESS) {
    free(p);
    free(cart);
    return chs_error(CHS_ERR_MPI, "MPI_Cart_create failed");
  }
  MPI_Comm_rank(*cart, &rank);
  p->rank = rank;
  p->size = size;
  p->comm = cart;
  memcpy(p->dims, dims, sizeof dims);
  MPI_Cart_coords(*cart, rank, 3, p->coords);
  for (int a = 0; a < 3; a++) {
    int lo, hi;
    MPI_Cart_shift(*cart, a, 1, &lo, &hi);
    p->nbr[a][0] = lo == MPI_PROC_NULL ? -1 : lo;
    p->nbr[a][1] = hi == MPI_PROC_NULL ? -1 : hi;
  }
  *out = p;
  return CHS_OK;
}

void chs_par_destroy(chs_par **pp)
{
  if (!pp || !*pp) return;
  chs_par *p = *pp;
  if (p->comm) {
    MPI_Comm_free((MPI_Comm *)p->comm);
    free(p->comm);
  }
  free(p);
  *pp = NULL;
}

void *chs_par_comm(const chs_par *p) { return p->comm; }

chs_status chs_par_split(void *parent, int ngroups, int *group, void **comm_out)
{
  MPI_Comm pc = as_comm(parent);
  int size, rank;
  MPI_Comm_size(pc, &size);
  MPI_Comm_rank(pc, &rank);
  if (ngroups < 1 || ngroups > size)
    return chs_error(CHS_ERR_CONFIG, "cannot split %d ranks into %d groups", size, ngroups);
  /* Contiguous groups: the first size % ngroups groups get one more rank. */
  int g = 0, lo, cnt;
  for (g = 0; g < ngroups; g++) {
    chs_par_block(size, ngroups, g, &lo, &cnt);
    if (rank >= lo && rank < lo + cnt) break;
  }
  MPI_Comm *c = malloc(sizeof *c);
  if (!c) return chs_error(CHS_ERR_NOMEM, "out of memory");
  if (MPI_Comm_split(pc, g, rank, c) != MPI_SUCCESS) {
    free(c);
    return chs_error(CHS_ERR_MPI, "MPI_Comm_split failed");
  }
  *group = g;
  *comm_out = c;
  return CHS_OK;
}

void chs_par_comm_free(void **comm)
{
  if (!comm || !*comm) return;
  MPI_Comm_free((MPI_Comm *)*comm);
  free(*comm);
  *comm = NULL;
}

int chs_par_comm_rank(void *comm)
{
  int r;
  MPI_Comm_rank(as_comm(comm), &r);
  return r;
}

int chs_par_comm_size(void *comm)
{
  int s;
  MPI_Comm_size(as_comm(comm), &s);
  return s;
}

void chs_par_comm_max_int(void *comm, int *v, int n)
{
  MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_INT, MPI_MAX, as_comm(comm));
}

void chs_par_comm_sum(void *comm, double *v, int n)
{
  MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_SUM, as_comm(comm));
}

void chs_par_comm_max(void *comm, double *v, int n)
{
  MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_MAX, as_comm(comm));
}

void chs_par_comm_min(void *comm, double *v, int n)
{
  MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_MIN, as_comm(comm));
}

int chs_par_node_sharing(const unsigned char *mask, int bytes)
{
  MPI_Comm node;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) !=
      MPI_SUCCESS)
    return 1;
  int size;
  MPI_Comm_size(node, &size);
  unsigned char *all = malloc((size_t)size * (size_t)bytes);
  int sharing = 1;
  if (all && MPI_Allgather(mask, bytes, MPI_BYTE, all, bytes, MPI_BYTE, node) == MPI_SUCCESS) {
    int rank;
    MPI_Comm_rank(node, &rank);
    sharing = 0;
    for (int r = 0; r < size; r++) {
      int overlap = r == rank;
      for (int b = 0; b < bytes && !overlap; b++) overlap = (all[(size_t)r * (size_t)bytes + (size_t)b] & mask[b]) != 0;
      sharing += overlap;
    }
  }
  free(all);
  MPI_Comm_free(&node);
  return sharing;
}

void chs_par_sum(const chs_par *p, double *v, int n)
{
  MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_SUM, *(MPI_Comm *)p->comm);
}

void chs_par_max(const chs_par *p, double *v, int n)
{
  MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_MAX, *(MPI_Comm *)p->comm);
}

void chs_par_min(const chs_par *p, double *v, int n)
{
  MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_MIN, *(MPI_Comm *)p->comm);
}

void chs_par_max_int(const chs_par *p, int *v, int n)
{
  MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_INT, MPI_MAX, *(MPI_Comm *)p->comm);
}

chs_status chs_par_agree(const chs_par *p, chs_status local)
{
  MPI_Comm comm = *(MPI_Comm *)p->comm;
  int v = (int)local;
  MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_MAX, comm);
  if (v == CHS_OK) return CHS_OK;
  /* The lowest rank that failed with the agreed status tells the others why, so rank 0
   * (which prints) shows the failing rank's message, not a generic one. */
  int me = (int)local == v ? p->rank : INT_MAX, from = INT_MAX;
  MPI_Allreduce(&me, &from, 1, MPI_INT, MPI_MIN, comm);
  char msg[1024] = "";
  if (p->rank == from) snprintf(msg, sizeof msg, "%s", chs_error_message());
  MPI_Bcast(msg, (int)sizeof msg, MPI_CHAR, from, comm);
  if ((int)local != v) {
    chs_error_clear();
    if (msg[0])
      chs_error((chs_status)v, "rank %d: %s", from, msg);
    else
      chs_error((chs_status)v, "rank %d: %s", from, chs_status_text((chs_status)v));
  }
  return (chs_status)v;
}

void chs_par_bcast(const chs_par *p, void *buf, int bytes)
{
  MPI_Bcast(buf, bytes, MPI_BYTE, 0, *(MPI_Comm *)p->comm);
}

/* ---------------------------------------------------------------- halo */

struct chs_halo {
  MPI_Comm comm;
  int ln[3], ng[3], gd[3], nf;
  int nbr[3][2];
  double *sendbuf[3][2], *recvbuf[3][2];
  int count[3]; /* doubles per face message on each axis */
  MPI_Request req[12];
  int nreq;
};

chs_status chs_halo_create(const chs_par *p, const int ln[3], const int ng[3], int nf,
                           chs_halo **out)
{
  chs_halo *h = calloc(1, sizeof *h);
  if (!h) return chs_error(CHS_ERR_NOMEM, "out of memory (halo)");
  h->comm = *(MPI_Comm *)p->comm;
  h->nf = nf;
  for (int a = 0; a < 3; a++) {
    h->ln[a] = ln[a];
    h->ng[a] = ng[a];
    h->gd[a] = ln[a] + 2 * ng[a];
    h->nbr[a][0] = p->nbr[a][0];
    h->nbr[a][1] = p->nbr[a][1];
  }
  /* A face normal to axis a holds the owned cells of the other two axes. */
  h->count[0] = ln[1] * ln[2] * nf;
  h->count[1] = ln[0] * ln[2] * nf;
  h->count[2] = ln[0] * ln[1] * nf;
  for (int a = 0; a < 3; a++)
    for (int s = 0; s < 2; s++) {
      if (h->nbr[a][s] < 0) continue;
      if (!ng[a]) {
        free(h);
        return chs_error(CHS_ERR_INTERNAL, "halo: neighbour along %c but no ghost layer", "xyz"[a]);
      }
      h->sendbuf[a][s] = malloc(sizeof(double) * (size_t)h->count[a]);
      h->recvbuf[a][s] = malloc(sizeof(double) * (size_t)h->count[a]);
      if (!h->sendbuf[a][s] || !h->recvbuf[a][s]) {
        chs_halo_destroy(&h);
        return chs_error(CHS_ERR_NOMEM, "out of memory (halo buffers)");
      }
    }
  *out = h;
  return CHS_OK;
}

/* Copies the layer at owned index `layer` of axis a between u and buf. */
static void copy_layer(const chs_halo *h, double *u, double *buf, int a, int layer, int to_buf)
{
  int b = (a + 1) % 3, c = (a + 2) % 3;
  int lo_b = h->ng[b], lo_c = h->ng[c];
  size_t n = 0;
  for (int ic = 0; ic < h->ln[c]; ic++)
    for (int ib = 0; ib < h->ln[b]; ib++) {
      int idx[3];
      idx[a] = layer + h->ng[a];
      idx[b] = ib + lo_b;
      idx[c] = ic + lo_c;
      size_t cell = ((size_t)idx[2] * (size_t)h->gd[1] + (size_t)idx[1]) * (size_t)h->gd[0] + (size_t)idx[0];
      double *v = u + cell * (size_t)h->nf;
      if (to_buf)
        memcpy(buf + n, v, sizeof(double) * (size_t)h->nf);
      else
        memcpy(v, buf + n, sizeof(double) * (size_t)h->nf);
      n += (size_t)h->nf;
    }
}

void chs_halo_begin(chs_halo *h, double *u)
{
  h->nreq = 0;
  for (int a = 0; a < 3; a++)
    for (int s = 0; s < 2; s++) {
      if (h->nbr[a][s] < 0) continue;
      /* Tag = direction of travel, so the two faces between the same pair of ranks
       * (possible with 2 ranks on a periodic-free axis only once) never mix. */
      int tag_recv = 2 * a + (1 - s), tag_send = 2 * a + s;
      MPI_Irecv(h->recvbuf[a][s], h->count[a], MPI_DOUBLE, h->nbr[a][s], tag_recv, h->comm,
                &h->req[h->nreq++]);
      copy_layer(h, u, h->sendbuf[a][s], a, s ? h->ln[a] - 1 : 0, 1);
      MPI_Isend(h->sendbuf[a][s], h->count[a], MPI_DOUBLE, h->nbr[a][s], tag_send, h->comm,
                &h->req[h->nreq++]);
    }
}

void chs_halo_end(chs_halo *h, double *u)
{
  MPI_Waitall(h->nreq, h->req, MPI_STATUSES_IGNORE);
  for (int a = 0; a < 3; a++)
    for (int s = 0; s < 2; s++) {
      if (h->nbr[a][s] < 0) continue;
      copy_layer(h, u, h->recvbuf[a][s], a, s ? h->ln[a] : -1, 0);
    }
  h->nreq = 0;
}

void chs_halo_destroy(chs_halo **hp)
{
  if (!hp || !*hp) return;
  chs_halo *h = *hp;
  for (int a = 0; a < 3; a++)
    for (int s = 0; s < 2; s++) {
      free(h->sendbuf[a][s]);
      free(h->recvbuf[a][s]);
    }
  free(h);
  *hp = NULL;
}

double chs_par_node_sum(void *comm, double v)
{
  MPI_Comm node;
  if (MPI_Comm_split_type(as_comm(comm), MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) !=
      MPI_SUCCESS)
    return v;
  double sum = v;
  MPI_Allreduce(&v, &sum, 1, MPI_DOUBLE, MPI_SUM, node);
  MPI_Comm_free(&node);
  return sum;
}

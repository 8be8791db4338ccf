/* Halo exchange and decomposition invariance on 1, 2, 3 (or more) ranks.
 *
 * For each decomposition (2D axisymmetric and cartesian2d split along x; 3D from
 * chs_par_create, i.e. MPI_Dims_create over x and y; 3D split along y by a hand-built
 * 1 x P x 1 process grid, since 2 and 3 ranks never split y otherwise):
 *   halo       owned cells hold a unique function of (global index, field); after
 *              chs_halo_begin/end every face ghost that has a neighbour rank holds the
 *              neighbour's value, physical-boundary ghosts and owned cells are untouched;
 *   transport  chs_transport_apply (with chs_transport_fill_coefficients on the exchanged
 *              state, Robin surface and bone on) on the decomposed grid equals the
 *              single-domain result that every rank computes redundantly on the whole grid,
 *              compared pointwise by global index;
 *   model rhs  the same for the full chs_model_rhs (reactions + transport + boundary cell
 *              sources + the synovial pools) with a cylinder lesion and MSCs in it;
 *   model Jv   chs_model_jv (the exact Jacobian-vector product) equals the single domain's
 *              in the same way, and on the single domain matches a centred difference of
 *              chs_model_rhs along the same direction;
 *   mass       the global sums V u per field (chs_par_sum) and the grid's domain and lesion
 *              volumes agree with the single-domain values.
 * One line PASS/FAIL per check (rank 0); exit status 1 if any check failed. */
#include <math.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "grid/grid.h"
#include "model/fields.h"
#include "model/model.h"
#include "model/transport.h"
#include "par/par.h"

static int g_rank, g_size, g_failures, g_checks;
static chs_config g_cfg;

/* All ranks agree on ok (logical and); rank 0 prints the line. */
static void report(int ok_local, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(int ok_local, const char *fmt, ...)
{
  int ok = ok_local;
  MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
  g_checks++;
  if (!ok) g_failures++;
  if (g_rank == 0) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    printf("%s [np=%d] %s\n", ok ? "PASS" : "FAIL", g_size, buf);
    fflush(stdout);
  }
}

static void die(const char *what)
{
  fprintf(stderr, "rank %d: %s: %s\n", g_rank, what, chs_error_message());
  MPI_Abort(MPI_COMM_WORLD, 2);
}

static void load_config(const char *const *sets)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/configs/default.ini", CHS_TEST_SOURCE_DIR);
  int n = 0;
  while (sets[n]) n++;
  chs_error_clear();
  if (chs_config_load(&g_cfg, path, NULL, n, sets) != CHS_OK) die("config");
}

/* A unique, exactly representable value per (global cell, field). */
static double tag_value(int gi, int gj, int gk, int f)
{
  return 1.0 + f + 16.0 * (gi + 1000.0 * (gj + 1000.0 * (double)gk));
}

/* Deterministic pseudo-random numbers in [0, 1) from (global cell, field): the same on
 * every rank and decomposition. */
static double hash01(int gi, int gj, int gk, int f)
{
  uint64_t x = ((uint64_t)(unsigned)gi * 73856093u) ^ ((uint64_t)(unsigned)gj * 19349663u) ^
               ((uint64_t)(unsigned)gk * 83492791u) ^ ((uint64_t)(unsigned)f * 2654435761u);
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  x ^= x >> 31;
  return (double)(x >> 11) * 0x1.0p-53;
}

/* A positive state with matrix in [0, 0.7] (so the diffusivities vary cell to cell). */
static double state_value(int gi, int gj, int gk, int f)
{
  double r = hash01(gi, gj, gk, f);
  /* by name; the assertion asks for an entry when the registry grows */
  static const double scale[CHS_NF] = {[CHS_F_MSC] = 2e4, [CHS_F_CHONDROCYTE] = 1e4, [CHS_F_REPAIR] = 5e3,
                                       [CHS_F_DONOR] = 2e3, [CHS_F_GROWTH_FACTOR] = 1.0, [CHS_F_CYTOKINE] = 2.0,
                                       [CHS_F_OXYGEN] = 0.08, [CHS_F_PROTEOGLYCAN] = 1.0, [CHS_F_COLLAGEN2] = 0.5,
                                       [CHS_F_FIBROUS] = 0.2, [CHS_F_LATENT] = 10.0};
  _Static_assert(CHS_NF == 11, "give every field of fields.h a scale here");
  return scale[f] * (0.05 + r);
}

/* A 1 x P x 1 process grid (y split), built like chs_par_create builds its own. */
static chs_par *par_y_split(void)
{
  chs_par *p = calloc(1, sizeof *p);
  MPI_Comm *cart = malloc(sizeof *cart);
  if (!p || !cart) die("out of memory");
  int dims[3] = {1, g_size, 1}, periods[3] = {0, 0, 0};
  MPI_Cart_create(MPI_COMM_WORLD, 3, dims, periods, 0, cart);
  MPI_Comm_rank(*cart, &p->rank);
  p->size = g_size;
  memcpy(p->dims, dims, sizeof dims);
  MPI_Cart_coords(*cart, p->rank, 3, p->coords);
  for (int a = 0; a < 3; a++) {
    int lo, hi;
    MPI_Cart_shift(*cart, a, 1, &lo, &hi);
    p->nbr[a][0] = lo == MPI_PROC_NULL ? -1 : lo;
    p->nbr[a][1] = hi == MPI_PROC_NULL ? -1 : hi;
  }
  p->comm = cart;
  return p;
}

/* ------------------------------------------------------------------ halo */

static void check_halo(const char *label, const chs_par *par, const chs_grid *g)
{
  const int nf = CHS_NF;
  double *u = malloc(sizeof(double) * g->nghost * nf);
  if (!u) die("out of memory");
  for (size_t q = 0; q < g->nghost * nf; q++) u[q] = -1.0;
  for (int k = 0; k < g->ln[2]; k++)
    for (int j = 0; j < g->ln[1]; j++)
      for (int i = 0; i < g->ln[0]; i++)
        for (int f = 0; f < nf; f++)
          u[chs_grid_ghosted(g, i, j, k) * nf + f] = tag_value(g->lo[0] + i, g->lo[1] + j, g->lo[2] + k, f);
  chs_halo *h = NULL;
  chs_error_clear();
  if (chs_halo_create(par, g->ln, g->ng, nf, &h) != CHS_OK) die("halo create");
  chs_halo_begin(h, u);
  chs_halo_end(h, u);
  /* Twice: buffers and requests are reusable. */
  chs_halo_begin(h, u);
  chs_halo_end(h, u);
  chs_halo_destroy(&h);

  long face_ok = 0, face_bad = 0, edge_touched = 0, owned_bad = 0, faces = 0;
  for (int k = -g->ng[2]; k < g->ln[2] + g->ng[2]; k++)
    for (int j = -g->ng[1]; j < g->ln[1] + g->ng[1]; j++)
      for (int i = -g->ng[0]; i < g->ln[0] + g->ng[0]; i++) {
        int idx[3] = {i, j, k}, out = 0, axis = -1, side = 0;
        for (int a = 0; a < 3; a++)
          if (idx[a] < 0 || idx[a] >= g->ln[a]) {
            out++;
            axis = a;
            side = idx[a] >= g->ln[a];
          }
        const double *v = u + chs_grid_ghosted(g, i, j, k) * nf;
        if (out == 0) {
          for (int f = 0; f < nf; f++)
            if (v[f] != tag_value(g->lo[0] + i, g->lo[1] + j, g->lo[2] + k, f)) owned_bad++;
          continue;
        }
        if (out > 1) continue; /* edges/corners: not part of the 7-point stencil */
        if (par->nbr[axis][side] >= 0) {
          faces++;
          int bad = 0;
          for (int f = 0; f < nf; f++)
            if (v[f] != tag_value(g->lo[0] + i, g->lo[1] + j, g->lo[2] + k, f)) bad = 1;
          if (bad) face_bad++;
          else face_ok++;
        } else {
          for (int f = 0; f < nf; f++)
            if (v[f] != -1.0) {
              edge_touched++;
              break;
            }
        }
      }
  long sums[4] = {faces, face_bad, edge_touched, owned_bad};
  MPI_Allreduce(MPI_IN_PLACE, sums, 4, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
  report(face_bad == 0 && edge_touched == 0 && owned_bad == 0,
         "halo      %-30s dims %dx%dx%d: %ld face ghost cells x %d fields checked, %ld wrong; %ld physical-edge "
         "ghosts written; %ld owned values changed",
         label, par->dims[0], par->dims[1], par->dims[2], sums[0], nf, sums[1], sums[2], sums[3]);
  free(u);
}

/* ------------------------------------------------------------------ transport */

static void fill_owned(const chs_grid *g, double *ug)
{
  for (int k = 0; k < g->ln[2]; k++)
    for (int j = 0; j < g->ln[1]; j++)
      for (int i = 0; i < g->ln[0]; i++)
        for (int f = 0; f < CHS_NF; f++)
          ug[chs_grid_ghosted(g, i, j, k) * CHS_NF + f] = state_value(g->lo[0] + i, g->lo[1] + j, g->lo[2] + k, f);
}

/* Single-domain (whole grid on this rank) version of the current configuration. */
static void single_domain(int ndecomp, chs_par **p1, chs_grid **g1)
{
  int gc[3] = {g_cfg.grid_nx, g_cfg.grid_geometry == CHS_GEOM_CARTESIAN3D ? g_cfg.grid_ny : 1, g_cfg.grid_nz};
  MPI_Comm self = MPI_COMM_SELF;
  chs_error_clear();
  if (chs_par_create(&self, ndecomp, gc, p1) != CHS_OK) die("single-domain par");
  if (chs_grid_create(&g_cfg, *p1, g1) != CHS_OK) die("single-domain grid");
  if (chs_grid_mark_lesion(*g1, &g_cfg, *p1) != CHS_OK) die("single-domain lesion");
}

static void check_transport(const char *label, const chs_par *par, const chs_grid *g, int ndecomp)
{
  chs_par *p1 = NULL;
  chs_grid *g1 = NULL;
  single_domain(ndecomp, &p1, &g1);
  chs_transport tp;
  chs_transport_from_config(&g_cfg, &tp);

  /* decomposed */
  double *ug = calloc(g->nghost * CHS_NF, sizeof(double)), *D = calloc(g->nghost * CHS_ND, sizeof(double));
  double *yd = calloc(g->nlocal * CHS_NF, sizeof(double));
  /* single domain */
  double *ug1 = calloc(g1->nghost * CHS_NF, sizeof(double)), *D1 = calloc(g1->nghost * CHS_ND, sizeof(double));
  double *yd1 = calloc(g1->nlocal * CHS_NF, sizeof(double));
  if (!ug || !D || !yd || !ug1 || !D1 || !yd1) die("out of memory");
  fill_owned(g, ug);
  chs_halo *h = NULL;
  if (chs_halo_create(par, g->ln, g->ng, CHS_NF, &h) != CHS_OK) die("halo create");
  chs_halo_begin(h, ug);
  chs_halo_end(h, ug);
  chs_halo_destroy(&h);
  chs_transport_fill_coefficients(&tp, g, ug, D);
  chs_transport_apply(&tp, g, ug, D, yd);
  fill_owned(g1, ug1);
  chs_transport_fill_coefficients(&tp, g1, ug1, D1);
  chs_transport_apply(&tp, g1, ug1, D1, yd1);

  double diff = 0.0, ref = 0.0;
  for (int k = 0; k < g->ln[2]; k++)
    for (int j = 0; j < g->ln[1]; j++)
      for (int i = 0; i < g->ln[0]; i++) {
        const double *a = yd + chs_grid_owned(g, i, j, k) * CHS_NF;
        const double *b = yd1 + chs_grid_owned(g1, g->lo[0] + i, g->lo[1] + j, g->lo[2] + k) * CHS_NF;
        for (int f = 0; f < CHS_NF; f++) diff = fmax(diff, fabs(a[f] - b[f]));
      }
  for (size_t q = 0; q < g1->nlocal * CHS_NF; q++) ref = fmax(ref, fabs(yd1[q]));
  MPI_Allreduce(MPI_IN_PLACE, &diff, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  report(diff <= 1e-14 * ref, "transport %-30s max |decomposed - single| = %.3e (max |ydot| %.3e; limit 1e-14 relative)",
         label, diff, ref);

  /* Global mass sums and volumes. */
  double m[CHS_NF + 2], m1[CHS_NF + 2];
  memset(m, 0, sizeof m);
  memset(m1, 0, sizeof m1);
  for (int k = 0; k < g->ln[2]; k++)
    for (int j = 0; j < g->ln[1]; j++)
      for (int i = 0; i < g->ln[0]; i++)
        for (int f = 0; f < CHS_NF; f++) m[f] += g->vol[i] * ug[chs_grid_ghosted(g, i, j, k) * CHS_NF + f];
  chs_par_sum(par, m, CHS_NF);
  for (int k = 0; k < g1->ln[2]; k++)
    for (int j = 0; j < g1->ln[1]; j++)
      for (int i = 0; i < g1->ln[0]; i++)
        for (int f = 0; f < CHS_NF; f++) m1[f] += g1->vol[i] * ug1[chs_grid_ghosted(g1, i, j, k) * CHS_NF + f];
  m[CHS_NF] = g->domain_volume;
  m[CHS_NF + 1] = g->lesion_volume;
  m1[CHS_NF] = g1->domain_volume;
  m1[CHS_NF + 1] = g1->lesion_volume;
  double worst = 0.0;
  for (int q = 0; q < CHS_NF + 2; q++)
    worst = fmax(worst, fabs(m[q] - m1[q]) / fmax(fabs(m1[q]), 1e-300));
  /* every rank has the same sums; a rank-local failure would still be caught by report() */
  report(worst <= 1e-13, "mass      %-30s global sum V u (8 fields), domain and lesion volume: max relative "
         "difference %.2e (limit 1e-13)", label, worst);

  free(ug);
  free(D);
  free(yd);
  free(ug1);
  free(D1);
  free(yd1);
  chs_grid_destroy(&g1);
  chs_par_destroy(&p1);
}

/* ------------------------------------------------------------------ model rhs */

static void perturb_state(const chs_grid *g, double *y)
{
  for (int k = 0; k < g->ln[2]; k++)
    for (int j = 0; j < g->ln[1]; j++)
      for (int i = 0; i < g->ln[0]; i++) {
        size_t c = chs_grid_owned(g, i, j, k);
        int gi = g->lo[0] + i, gj = g->lo[1] + j, gk = g->lo[2] + k;
        double *u = y + c * CHS_NF;
        /* MSCs everywhere (dense in the lesion), matrix partly rebuilt in the lesion */
        u[CHS_F_MSC] = (g->lesion[c] ? 3e4 : 1e3) * (0.2 + hash01(gi, gj, gk, 0));
        if (g->lesion[c]) {
          u[CHS_F_COLLAGEN2] = 0.5 * hash01(gi, gj, gk, 6);
          u[CHS_F_FIBROUS] = 0.3 * hash01(gi, gj, gk, 7);
          u[CHS_F_PROTEOGLYCAN] = hash01(gi, gj, gk, 5);
          u[CHS_F_CHONDROCYTE] = 5e3 * hash01(gi, gj, gk, 1);
        }
        u[CHS_F_GROWTH_FACTOR] *= 0.5 + hash01(gi, gj, gk, 2);
        u[CHS_F_CYTOKINE] *= 0.5 + hash01(gi, gj, gk, 3);
      }
}

/* The model on the decomposed grid and the single-domain model of the same configuration
 * (whole grid on this rank), compared by global index. */
typedef struct {
  chs_par *p1;
  chs_grid *g1;
  chs_model *m, *m1;
} model_pair;

static model_pair model_pair_create(const chs_par *par, const chs_grid *g, int ndecomp)
{
  model_pair mp = {0};
  single_domain(ndecomp, &mp.p1, &mp.g1);
  chs_error_clear();
  if (chs_model_create(&g_cfg, g, par, &mp.m) != CHS_OK) die("model");
  if (chs_model_create(&g_cfg, mp.g1, mp.p1, &mp.m1) != CHS_OK) die("single-domain model");
  return mp;
}

static void model_pair_destroy(model_pair *mp)
{
  chs_model_destroy(&mp->m);
  chs_model_destroy(&mp->m1);
  chs_grid_destroy(&mp->g1);
  chs_par_destroy(&mp->p1);
}

static void check_model(const char *label, const chs_par *par, const chs_grid *g, int ndecomp)
{
  model_pair mp = model_pair_create(par, g, ndecomp);
  chs_model *m = mp.m, *m1 = mp.m1;
  const chs_grid *g1 = mp.g1;
  long n = chs_model_state_length(m), n1 = chs_model_state_length(m1);
  double *y = calloc((size_t)n, sizeof(double)), *yd = calloc((size_t)n, sizeof(double));
  double *y1 = calloc((size_t)n1, sizeof(double)), *yd1 = calloc((size_t)n1, sizeof(double));
  if (!y || !yd || !y1 || !yd1) die("out of memory");
  chs_model_initial_state(m, y);
  chs_model_initial_state(m1, y1);
  perturb_state(g, y);
  perturb_state(g1, y1);
  chs_model_rhs(m, 1.0, y, yd);
  chs_model_rhs(m1, 1.0, y1, yd1);

  double diff[CHS_NF] = {0}, ref[CHS_NF] = {0}, sdiff = 0.0;
  for (int k = 0; k < g->ln[2]; k++)
    for (int j = 0; j < g->ln[1]; j++)
      for (int i = 0; i < g->ln[0]; i++) {
        size_t c = chs_grid_owned(g, i, j, k), c1 = chs_grid_owned(g1, g->lo[0] + i, g->lo[1] + j, g->lo[2] + k);
        for (int f = 0; f < CHS_NF; f++) {
          diff[f] = fmax(diff[f], fabs(yd[c * CHS_NF + f] - yd1[c1 * CHS_NF + f]));
          sdiff = fmax(sdiff, fabs(y[c * CHS_NF + f] - y1[c1 * CHS_NF + f]));
        }
      }
  for (size_t c = 0; c < g1->nlocal; c++)
    for (int f = 0; f < CHS_NF; f++) ref[f] = fmax(ref[f], fabs(yd1[c * CHS_NF + f]));
  MPI_Allreduce(MPI_IN_PLACE, diff, CHS_NF, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, &sdiff, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  double worst = 0.0;
  for (int f = 0; f < CHS_NF; f++) worst = fmax(worst, ref[f] > 0 ? diff[f] / ref[f] : diff[f]);
  report(sdiff == 0.0, "state     %-30s initial state + perturbation identical to the single domain (max diff %.1e)",
         label, sdiff);
  report(worst <= 1e-13, "model rhs %-30s max |decomposed - single| / max |ydot| over fields = %.3e (limit 1e-13)",
         label, worst);
  /* The synovial pools live on rank 0 of each: their rates use reductions over ranks. */
  double pdiff = 0.0;
  long np = n - (long)(g->nlocal * CHS_NF), np1 = n1 - (long)(g1->nlocal * CHS_NF);
  int pools_ok = 1;
  if (g_rank == 0) {
    pools_ok = np == np1;
    for (long q = 0; pools_ok && q < np; q++) {
      double a = yd[g->nlocal * CHS_NF + q], b = yd1[g1->nlocal * CHS_NF + q];
      pdiff = fmax(pdiff, fabs(a - b) / fmax(fmax(fabs(a), fabs(b)), 1e-300));
    }
    pools_ok = pools_ok && pdiff <= 1e-12;
  }
  MPI_Bcast(&pdiff, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  MPI_Bcast(&np, 1, MPI_LONG, 0, MPI_COMM_WORLD);
  report(pools_ok, "pools     %-30s %ld pool rates, max relative difference %.2e (limit 1e-12: sums over ranks)",
         label, np, pdiff);
  free(y);
  free(yd);
  free(y1);
  free(yd1);
  model_pair_destroy(&mp);
}

/* ------------------------------------------------------------------ model Jv */

/* A state away from the model's kinks (matrix below native everywhere, so the activation
 * of mature cells is off its clip at 0) and a direction of the same scale as each entry.
 * The tissue part of the direction is positive (random sizes): the pools read sums over
 * cells, and with random signs those sums' derivatives cancel to a small part of their
 * terms, leaving both the product and the differences at round-off relative to them. The
 * pools' part has random signs; it is rank 0's (the others hold none). */
static void jv_state_and_direction(const chs_model *m, const chs_grid *g, double *y, double *v)
{
  chs_model_initial_state(m, y);
  perturb_state(g, y);
  for (int k = 0; k < g->ln[2]; k++)
    for (int j = 0; j < g->ln[1]; j++)
      for (int i = 0; i < g->ln[0]; i++) {
        size_t c = chs_grid_owned(g, i, j, k);
        int gi = g->lo[0] + i, gj = g->lo[1] + j, gk = g->lo[2] + k;
        double *u = y + c * CHS_NF, *d = v + c * CHS_NF;
        if (!g->lesion[c]) u[CHS_F_COLLAGEN2] *= 0.95 + 0.04 * hash01(gi, gj, gk, 8);
        for (int f = 0; f < CHS_NF; f++)
          d[f] = (0.25 + hash01(gi, gj, gk, 20 + f)) * (fabs(u[f]) + 1e-3 * chs_field_scale[f]);
      }
  long np = chs_model_state_length(m) - (long)(g->nlocal * CHS_NF);
  double *P = y + g->nlocal * CHS_NF, *dP = v + g->nlocal * CHS_NF;
  for (long q = 0; q < np; q++) {
    if (q == CHS_P_N || q == CHS_P_Y1 || q == CHS_P_Y2 || q == CHS_P_SB) P[q] = 1e5 * (1.0 + hash01(0, 0, 0, (int)q));
    if (q == CHS_P_Z) P[q] = 0.3;
    dP[q] = (2.0 * hash01(1, 2, 3, (int)q) - 1.0) * (fabs(P[q]) + 1e-3);
  }
}

static void check_jv(const char *label, const chs_par *par, const chs_grid *g, int ndecomp)
{
  model_pair mp = model_pair_create(par, g, ndecomp);
  chs_model *m = mp.m, *m1 = mp.m1;
  const chs_grid *g1 = mp.g1;
  long n = chs_model_state_length(m), n1 = chs_model_state_length(m1);
  double *y = calloc((size_t)n, sizeof(double)), *v = calloc((size_t)n, sizeof(double));
  double *jv = calloc((size_t)n, sizeof(double)), *y1 = calloc((size_t)n1, sizeof(double));
  double *v1 = calloc((size_t)n1, sizeof(double)), *jv1 = calloc((size_t)n1, sizeof(double));
  double *yp = calloc((size_t)n1, sizeof(double)), *ym = calloc((size_t)n1, sizeof(double));
  double *fp = calloc((size_t)n1, sizeof(double)), *fm = calloc((size_t)n1, sizeof(double));
  if (!y || !v || !jv || !y1 || !v1 || !jv1 || !yp || !ym || !fp || !fm) die("out of memory");
  jv_state_and_direction(m, g, y, v);
  jv_state_and_direction(m1, g1, y1, v1);
  const double t = 30.0; /* after the immune lag of an allogeneic product */
  if (chs_model_jv_setup(m, t, y) != CHS_OK || chs_model_jv_setup(m1, t, y1) != CHS_OK) die("jv setup");
  chs_model_jv(m, t, y, v, jv);
  chs_model_jv(m1, t, y1, v1, jv1);

  /* The single domain against centred differences at steps h = 1e-6, 1e-5 and 1e-4 of
   * each entry. The difference's truncation error grows as h^2 and its round-off as
   * eps / h: the local fields (observed ~5e-10 at 1e-6, ~5e-8 at 1e-5) are
   * truncation-limited, the pools' sums of large terms round-off-limited. Each entry takes
   * the best of the three; a wrong term is wrong at all. */
  double fd_err[CHS_NF], fd_ref[CHS_NF] = {0}, dec[CHS_NF] = {0};
  long np1 = n1 - (long)(g1->nlocal * CHS_NF);
  double pool_err[CHS_NPOOL];
  for (int f = 0; f < CHS_NF; f++) fd_err[f] = INFINITY;
  for (int q = 0; q < CHS_NPOOL; q++) pool_err[q] = INFINITY;
  for (int trial = 0; trial < 3; trial++) {
    const double h = trial == 0 ? 1e-6 : trial == 1 ? 1e-5 : 1e-4;
    for (long q = 0; q < n1; q++) {
      yp[q] = y1[q] + h * v1[q];
      ym[q] = y1[q] - h * v1[q];
    }
    chs_model_rhs(m1, t, yp, fp);
    chs_model_rhs(m1, t, ym, fm);
    double err[CHS_NF] = {0};
    for (size_t c = 0; c < g1->nlocal; c++)
      for (int f = 0; f < CHS_NF; f++) {
        double fd = (fp[c * CHS_NF + f] - fm[c * CHS_NF + f]) / (2.0 * h);
        err[f] = fmax(err[f], fabs(fd - jv1[c * CHS_NF + f]));
        fd_ref[f] = fmax(fd_ref[f], fabs(jv1[c * CHS_NF + f]));
      }
    for (int f = 0; f < CHS_NF; f++) fd_err[f] = fmin(fd_err[f], err[f]);
    for (long q = 0; q < np1 && q < CHS_NPOOL; q++) {
      size_t o = g1->nlocal * CHS_NF + (size_t)q;
      double fd = (fp[o] - fm[o]) / (2.0 * h);
      pool_err[q] = fmin(pool_err[q], fabs(fd - jv1[o]) / fmax(fmax(fabs(fd), fabs(jv1[o])), 1e-300));
    }
  }
  double worst_fd = 0.0, worst_pool = 0.0;
  int worst_f = 0, worst_q = 0;
  for (int f = 0; f < CHS_NF; f++) {
    double e = fd_ref[f] > 0 ? fd_err[f] / fd_ref[f] : fd_err[f];
    if (e > worst_fd) worst_fd = e, worst_f = f;
  }
  for (long q = 0; q < np1 && q < CHS_NPOOL; q++)
    if (pool_err[q] > worst_pool) worst_pool = pool_err[q], worst_q = (int)q;
  report(worst_fd <= 1e-8 && worst_pool <= 1e-8,
         "model Jv  %-30s exact vs centred differences: fields %.2e (%s, limit 1e-8), pools %.2e (%s, limit 1e-8)",
         label,
         worst_fd, chs_field_names[worst_f], worst_pool, chs_pool_names[worst_q]);

  /* The decomposed product against the single domain's, by global index. */
  for (int k = 0; k < g->ln[2]; k++)
    for (int j = 0; j < g->ln[1]; j++)
      for (int i = 0; i < g->ln[0]; i++) {
        size_t c = chs_grid_owned(g, i, j, k), c1 = chs_grid_owned(g1, g->lo[0] + i, g->lo[1] + j, g->lo[2] + k);
        for (int f = 0; f < CHS_NF; f++) dec[f] = fmax(dec[f], fabs(jv[c * CHS_NF + f] - jv1[c1 * CHS_NF + f]));
      }
  MPI_Allreduce(MPI_IN_PLACE, dec, CHS_NF, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  double worst = 0.0;
  for (int f = 0; f < CHS_NF; f++) worst = fmax(worst, fd_ref[f] > 0 ? dec[f] / fd_ref[f] : dec[f]);
  double pdiff = 0.0;
  if (g_rank == 0)
    for (long q = 0; q < n - (long)(g->nlocal * CHS_NF); q++) {
      double a = jv[g->nlocal * CHS_NF + q], b = jv1[g1->nlocal * CHS_NF + q];
      pdiff = fmax(pdiff, fabs(a - b) / fmax(fmax(fabs(a), fabs(b)), 1e-300));
    }
  MPI_Bcast(&pdiff, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  report(worst <= 1e-13 && pdiff <= 1e-12,
         "model Jv  %-30s decomposed vs single: fields %.2e (limit 1e-13), pools %.2e (limit 1e-12)", label, worst,
         pdiff);
  free(y);
  free(v);
  free(jv);
  free(y1);
  free(v1);
  free(jv1);
  free(yp);
  free(ym);
  free(fp);
  free(fm);
  model_pair_destroy(&mp);
}

/* ------------------------------------------------------------------ cases */

static void run_case(const char *label, const char *const *sets, int ndecomp, int y_split)
{
  load_config(sets);
  int gc[3] = {g_cfg.grid_nx, g_cfg.grid_geometry == CHS_GEOM_CARTESIAN3D ? g_cfg.grid_ny : 1, g_cfg.grid_nz};
  chs_par *par = NULL;
  chs_error_clear();
  if (y_split)
    par = par_y_split();
  else if (chs_par_create(NULL, ndecomp, gc, &par) != CHS_OK)
    die("par");
  chs_grid *g = NULL;
  if (chs_grid_create(&g_cfg, par, &g) != CHS_OK) die("grid");
  if (chs_grid_mark_lesion(g, &g_cfg, par) != CHS_OK) die("lesion");
  check_halo(label, par, g);
  check_transport(label, par, g, ndecomp);
  check_model(label, par, g, ndecomp);
  check_jv(label, par, g, ndecomp);
  chs_grid_destroy(&g);
  chs_par_destroy(&par);
}

/* chs_par_agree: when only the last rank fails, every rank gets its status, and the
 * others (rank 0 prints) get its message, naming the rank. */
static void check_agree(void)
{
  int gc[3] = {4 * g_size, 1, 4};
  chs_par *par = NULL;
  if (chs_par_create(NULL, 1, gc, &par) != CHS_OK) die("chs_par_create");
  chs_error_clear();
  chs_status mine = CHS_OK;
  if (g_rank == g_size - 1) mine = chs_error(CHS_ERR_IO, "mask.pgm: only this rank failed");
  chs_status st = chs_par_agree(par, mine);
  char want[128];
  snprintf(want, sizeof want, g_rank == g_size - 1 ? "mask.pgm: only this rank failed"
                                                   : "rank %d: mask.pgm: only this rank failed", g_size - 1);
  report(st == CHS_ERR_IO && !strcmp(chs_error_message(), want),
         "chs_par_agree: rank %d's failure reaches every rank with its message", g_size - 1);
  chs_error_clear();
  report(chs_par_agree(par, CHS_OK) == CHS_OK && !*chs_error_message(), "chs_par_agree: no failure, no message");
  chs_par_destroy(&par);
}

int main(int argc, char **argv)
{
  if (chs_par_init(&argc, &argv) != CHS_OK) {
    fprintf(stderr, "MPI init failed\n");
    return 1;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  if (g_rank == 0) printf("mpi_halo on %d rank(s)\n", g_size);

  /* Uneven blocks on purpose (13 = 5+4+4 on 3 ranks, 7 + 6 on 2). Lesion radius 2.5 mm
   * of a 5 mm wide domain so it straddles the rank boundaries. */
  run_case("2D axisymmetric, x split",
           (const char *[]){"grid.geometry=axisymmetric", "grid.width=5", "grid.nx=13", "grid.nz=7",
                            "lesion.radius=2.5", "lesion.depth=1.5", NULL},
           1, 0);
  run_case("2D cartesian2d, x split",
           (const char *[]){"grid.geometry=cartesian2d", "grid.width=5", "grid.nx=13", "grid.nz=7",
                            "lesion.radius=1.6", "lesion.center_x=0.4", NULL},
           1, 0);
  run_case("3D, MPI_Dims_create over x,y",
           (const char *[]){"grid.geometry=cartesian3d", "grid.width=5", "grid.length=4", "grid.nx=9",
                            "grid.ny=7", "grid.nz=5", "lesion.radius=1.5", "lesion.center_y=0.5", NULL},
           2, 0);
  run_case("3D, y split (1 x P x 1)",
           (const char *[]){"grid.geometry=cartesian3d", "grid.width=5", "grid.length=4", "grid.nx=6",
                            "grid.ny=10", "grid.nz=4", "lesion.radius=1.5", "lesion.center_x=-0.5", NULL},
           2, 1);

  check_agree();

  if (g_rank == 0)
    printf("%s: %d of %d checks passed on %d rank(s)\n", g_failures ? "FAIL" : "PASS", g_checks - g_failures,
           g_checks, g_size);
  chs_par_finalize();
  return g_failures ? 1 : 0;
}

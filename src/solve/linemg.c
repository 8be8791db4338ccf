#include "solve/linemg.h"

#include <stdlib.h>
#include <string.h>

#include "solve/column.h"

enum { NB = CHS_NB, NB2 = CHS_NB2, NLAT = 4, MAXLEV = 40 };
enum { XM, XP, YM, YP };

typedef struct {
  int nx, ny, nz;
  size_t ncell;
  double *vol; /* per x index: the summed volume of the fine cells below */
  /* The operator (level 0 borrows the caller's; coarse levels own theirs). */
  const double *inv, *up, *down, *lat;
  double *blk, *own_inv, *own_up, *own_down, *own_lat;
  double *b, *x; /* coarse levels: right-hand side and solution */
} level;

struct chs_linemg {
  int nlev;
  double gamma;
  level L[MAXLEV];
  /* Level 0's neighbours on other ranks (chs_linemg_set_ghosts). */
  chs_linemg_exchange exchange;
  void *ctx;
  const double *ghost;
  int gd[2], ng[2], parity, nbr[NLAT];
};

static void level_free(level *v)
{
  free(v->vol);
  free(v->blk);
  free(v->own_inv);
  free(v->own_up);
  free(v->own_down);
  free(v->own_lat);
  free(v->b);
  free(v->x);
}

void chs_linemg_destroy(chs_linemg **pm)
{
  if (!pm || !*pm) return;
  for (int l = 0; l < (*pm)->nlev; l++) level_free(&(*pm)->L[l]);
  free(*pm);
  *pm = NULL;
}

/* Fine cells of coarse index I along an axis of n fine cells: 2I and 2I + 1 (if it exists);
 * an axis of one cell is not coarsened. */
static inline int members(int n, int I) { return n > 1 && 2 * I + 1 < n ? 2 : 1; }
static inline int first(int n, int I) { return n > 1 ? 2 * I : I; }

chs_status chs_linemg_create(int nx, int ny, int nz, const double *vol, chs_linemg **out)
{
  chs_linemg *mg = calloc(1, sizeof *mg);
  if (!mg) return chs_error(CHS_ERR_NOMEM, "out of memory (line multigrid)");
  int ok = 1;
  for (int l = 0; ok; l++) {
    level *v = &mg->L[l];
    mg->nlev = l + 1;
    v->nx = nx;
    v->ny = ny;
    v->nz = nz;
    v->ncell = (size_t)nx * ny * nz;
    v->vol = malloc(sizeof(double) * nx);
    if (!v->vol) {
      ok = 0;
      break;
    }
    if (l == 0)
      memcpy(v->vol, vol, sizeof(double) * nx);
    else {
      const level *f = &mg->L[l - 1];
      for (int I = 0; I < nx; I++) {
        v->vol[I] = 0.0;
        for (int m = 0; m < members(f->nx, I); m++) v->vol[I] += f->vol[first(f->nx, I) + m];
      }
      v->blk = malloc(sizeof(double) * NB2 * v->ncell);
      v->own_inv = malloc(sizeof(double) * NB2 * v->ncell);
      v->own_up = malloc(sizeof(double) * CHS_ND * v->ncell);
      v->own_down = malloc(sizeof(double) * CHS_ND * v->ncell);
      v->own_lat = malloc(sizeof(double) * NLAT * CHS_ND * v->ncell);
      v->b = malloc(sizeof(double) * NB * v->ncell);
      v->x = malloc(sizeof(double) * NB * v->ncell);
      if (!v->blk || !v->own_inv || !v->own_up || !v->own_down || !v->own_lat || !v->b || !v->x) {
        ok = 0;
        break;
      }
      v->inv = v->own_inv;
      v->up = v->own_up;
      v->down = v->own_down;
      v->lat = v->own_lat;
    }
    if ((nx == 1 && ny == 1) || l + 1 == MAXLEV) break;
    nx = nx > 1 ? (nx + 1) / 2 : 1;
    ny = ny > 1 ? (ny + 1) / 2 : 1;
  }
  if (!ok) {
    chs_linemg_destroy(&mg);
    return chs_error(CHS_ERR_NOMEM, "out of memory (line multigrid)");
  }
  *out = mg;
  return CHS_OK;
}

/* Level c's operator from level f's (c = f + 1), see linemg.h. fblk: level f's blocks, or
 * NULL when c->blk already holds their weighted sums (level 1: chs_linemg_add_block). */
static void coarsen(level *c, const level *f, const double *fblk, double gamma)
{
  const int nxc = c->nx, nyc = c->ny, nz = c->nz;
  const size_t fcol = (size_t)f->nx * f->ny, ccol = (size_t)nxc * nyc;
#pragma omp parallel for collapse(2) schedule(static) if (ccol * nz > 256)
  for (int k = 0; k < nz; k++)
    for (int J = 0; J < nyc; J++)
      for (int I = 0; I < nxc; I++) {
        const size_t o = (size_t)k * ccol + (size_t)J * nxc + I;
        double *B = c->blk + o * NB2, *up = c->own_up + o * CHS_ND, *down = c->own_down + o * CHS_ND;
        double *lat = c->own_lat + o * NLAT * CHS_ND;
        if (fblk) memset(B, 0, sizeof(double) * NB2);
        memset(up, 0, sizeof(double) * CHS_ND);
        memset(down, 0, sizeof(double) * CHS_ND);
        memset(lat, 0, sizeof(double) * NLAT * CHS_ND);
        const int mx = members(f->nx, I), my = members(f->ny, J);
        const int i0 = first(f->nx, I), j0 = first(f->ny, J);
        for (int dj = 0; dj < my; dj++)
          for (int di = 0; di < mx; di++) {
            const int i = i0 + di, j = j0 + dj;
            const size_t a = (size_t)k * fcol + (size_t)j * f->nx + i;
            const double w = f->vol[i] / (c->vol[I] * my);
            const double *fl = f->lat + a * NLAT * CHS_ND;
            if (fblk)
              for (int e = 0; e < NB2; e++) B[e] += w * fblk[a * NB2 + e];
            for (int q = 0; q < CHS_ND; q++) {
              up[q] += w * f->up[a * CHS_ND + q];
              down[q] += w * f->down[a * CHS_ND + q];
            }
            /* Is the neighbour in direction d inside this aggregate? */
            const int inside[NLAT] = {di > 0, di + 1 < mx, dj > 0, dj + 1 < my};
            for (int d = 0; d < NLAT; d++)
              for (int q = 0; q < CHS_ND; q++) {
                const double g = w * fl[d * CHS_ND + q];
                if (inside[d])
                  B[q * NB + q] -= gamma * g; /* an internal coupling joins the diagonal */
                else
                  lat[d * CHS_ND + q] += g;
              }
          }
        /* Rediscretise: a coupling over the coarse distance (in fine cells) between the two
         * aggregates' centres; the diagonal keeps its row sum. */
        const double sx[2] = {I > 0 ? 2.0 / (mx + members(f->nx, I - 1)) : 1.0,
                              I + 1 < nxc ? 2.0 / (mx + members(f->nx, I + 1)) : 1.0};
        const double sy[2] = {J > 0 ? 2.0 / (my + members(f->ny, J - 1)) : 1.0,
                              J + 1 < nyc ? 2.0 / (my + members(f->ny, J + 1)) : 1.0};
        const double s[NLAT] = {sx[0], sx[1], sy[0], sy[1]};
        for (int d = 0; d < NLAT; d++)
          for (int q = 0; q < CHS_ND; q++) {
            B[q * NB + q] -= gamma * (1.0 - s[d]) * lat[d * CHS_ND + q];
            lat[d * CHS_ND + q] *= s[d];
          }
      }
}

/* Column factorisation of a coarse level from its blocks. */
static int factor(level *v, double gamma)
{
  const size_t ncol = (size_t)v->nx * v->ny;
  int failed = 0;
#pragma omp parallel for schedule(static) reduction(| : failed) if (ncol > 16)
  for (size_t col = 0; col < ncol; col++)
    for (int k = 0; k < v->nz; k++) {
      const size_t c = col + (size_t)k * ncol;
      double a[NB2];
      memcpy(a, v->blk + c * NB2, sizeof a);
      const size_t ic = col * v->nz + k;
      if (k > 0) chs_column_schur(a, v->inv + (ic - 1) * NB2, v->up + c * CHS_ND, v->down + (c - ncol) * CHS_ND, gamma);
      if (chs_block_invert(a, v->own_inv + ic * NB2)) failed = 1;
    }
  return failed;
}

void chs_linemg_add_block(chs_linemg *mg, int i, int j, int k, const double *a)
{
  if (mg->nlev < 2) return;
  const level *f = &mg->L[0];
  level *c = &mg->L[1];
  const int I = f->nx > 1 ? i / 2 : i, J = f->ny > 1 ? j / 2 : j;
  const double w = f->vol[i] / (c->vol[I] * members(f->ny, J));
  double *B = c->blk + (((size_t)k * c->ny + J) * c->nx + I) * NB2;
  if ((f->nx == 1 || i % 2 == 0) && (f->ny == 1 || j % 2 == 0))
    for (int e = 0; e < NB2; e++) B[e] = w * a[e]; /* the aggregate's first cell */
  else
    for (int e = 0; e < NB2; e++) B[e] += w * a[e];
}

int chs_linemg_setup(chs_linemg *mg, double gamma, const double *inv, const double *up,
                     const double *down, const double *lat)
{
  level *v0 = &mg->L[0];
  mg->gamma = gamma;
  v0->inv = inv;
  v0->up = up;
  v0->down = down;
  v0->lat = lat;
  int failed = 0;
  for (int l = 1; l < mg->nlev && !failed; l++) {
    coarsen(&mg->L[l], &mg->L[l - 1], l == 1 ? NULL : mg->L[l - 1].blk, gamma);
    failed = factor(&mg->L[l], gamma);
  }
  return failed;
}

/* sum over the lateral neighbours of lat * x for moving field f of cell c = (i, j, k):
 * neighbours on this rank from x; at level 0, those on other ranks from the ghosts. */
static inline double lateral_sum(const chs_linemg *mg, const level *v, const double *x, size_t c,
                                 int i, int j, int k, int f)
{
  const double *l = v->lat + c * NLAT * CHS_ND;
  const long sx = 1, sy = v->nx;
  double s = 0.0;
  if (i > 0) s += l[XM * CHS_ND + f] * x[(c - sx) * NB + f];
  if (i + 1 < v->nx) s += l[XP * CHS_ND + f] * x[(c + sx) * NB + f];
  if (j > 0) s += l[YM * CHS_ND + f] * x[(c - sy) * NB + f];
  if (j + 1 < v->ny) s += l[YP * CHS_ND + f] * x[(c + sy) * NB + f];
  if (v == &mg->L[0] && mg->ghost) {
    const int edge[NLAT] = {i == 0, i + 1 == v->nx, j == 0, j + 1 == v->ny};
    const int di[NLAT] = {-1, 1, 0, 0}, dj[NLAT] = {0, 0, -1, 1};
    for (int d = 0; d < NLAT; d++)
      if (edge[d] && mg->nbr[d]) {
        const size_t gi = ((size_t)k * mg->gd[1] + (size_t)(j + dj[d] + mg->ng[1])) * mg->gd[0] +
                          (size_t)(i + di[d] + mg->ng[0]);
        s += l[d * CHS_ND + f] * mg->ghost[gi * CHS_ND + f];
      }
  }
  return s;
}

/* One colour's line solves: every column (i, j) with (i + j) mod 2 = colour gets
 * x = C^{-1} (b - A_lateral x), its neighbours (the other colour) as they are now, or
 * taken as zero when first (the first sweep from a zero guess: the other colour is not read). */
static void sweep(const chs_linemg *mg, const level *v, const double *b, double *x, int colour,
                  int first)
{
  const int nx = v->nx, ny = v->ny, nz = v->nz, half = (nx + 1) / 2;
  const size_t ncol = (size_t)nx * ny;
  const double gamma = mg->gamma;
  if (!first && v == &mg->L[0] && mg->exchange) mg->exchange(mg->ctx, x);
  const int shift = colour ^ (v == &mg->L[0] ? mg->parity : 0);
#pragma omp parallel for collapse(2) schedule(static) if (ncol > 32)
  for (int j = 0; j < ny; j++)
    for (int h = 0; h < half; h++) {
      const int i = 2 * h + ((j + shift) & 1);
      if (i >= nx) continue;
      const size_t col = (size_t)j * nx + i;
      for (int k = 0; k < nz; k++) {
        const size_t c = col + (size_t)k * ncol;
        for (int f = 0; f < NB; f++) x[c * NB + f] = b[c * NB + f];
        if (first) continue;
        for (int f = 0; f < CHS_ND; f++) x[c * NB + f] += gamma * lateral_sum(mg, v, x, c, i, j, k, f);
      }
      chs_column_solve(v->inv + col * nz * NB2, v->up, v->down, gamma, col, ncol, nz, 1, x, x);
    }
}

/* The coarse right-hand side: the volume-weighted residual of level f after a sweep of
 * colour 0 then 1 from zero. Colour-1 columns were solved last, so their residual is 0;
 * a colour-0 column's is gamma * lateral couplings * (the colour-1 neighbours' new values)
 * on the moving fields, 0 on the others. */
static void restrict_residual(const chs_linemg *mg, const level *f, level *c, const double *x)
{
  const int nx = f->nx, ny = f->ny, nz = f->nz, nxc = c->nx, nyc = c->ny;
  const size_t fcol = (size_t)nx * ny, ccol = (size_t)nxc * nyc;
  const double gamma = mg->gamma;
  const int parity = f == &mg->L[0] ? mg->parity : 0;
  if (f == &mg->L[0] && mg->exchange) mg->exchange(mg->ctx, x);
#pragma omp parallel for collapse(2) schedule(static) if (ccol * nz > 256)
  for (int k = 0; k < nz; k++)
    for (int J = 0; J < nyc; J++)
      for (int I = 0; I < nxc; I++) {
        double *bc = c->b + ((size_t)k * ccol + (size_t)J * nxc + I) * NB;
        for (int q = 0; q < NB; q++) bc[q] = 0.0;
        const int mx = members(nx, I), my = members(ny, J), i0 = first(nx, I), j0 = first(ny, J);
        for (int dj = 0; dj < my; dj++)
          for (int di = 0; di < mx; di++) {
            const int i = i0 + di, j = j0 + dj;
            if ((i + j + parity) & 1) continue;
            const size_t a = (size_t)k * fcol + (size_t)j * nx + i;
            const double w = gamma * f->vol[i] / (c->vol[I] * my);
            for (int q = 0; q < CHS_ND; q++) bc[q] += w * lateral_sum(mg, f, x, a, i, j, k, q);
          }
      }
}

/* Interpolation weights along one axis for fine index i of n: the aggregate I and the
 * neighbour aggregate In on i's side, weights 3/4 and 1/4 (cell-centred linear
 * interpolation); at an edge, or for an aggregate of one cell, the aggregate's value alone. */
static inline void interp(int n, int nc, int i, int *I, int *In, double *w)
{
  if (n == 1) {
    *I = *In = i;
    *w = 1.0;
    return;
  }
  *I = i / 2;
  const int side = (i & 1) ? 1 : -1, other = *I + side;
  if (other < 0 || other >= nc || members(n, *I) == 1 || members(n, other) == 1) {
    *In = *I;
    *w = 1.0;
  } else {
    *In = other;
    *w = 0.75;
  }
}

/* x += the coarse solution, interpolated linearly across the columns (piecewise-constant
 * interpolation would leave the V-cycle's factor growing with the number of levels). */
static void prolong_add(const level *c, const level *f, double *x)
{
  const int nx = f->nx, ny = f->ny, nz = f->nz, nxc = c->nx;
  const size_t fcol = (size_t)nx * ny, ccol = (size_t)nxc * c->ny;
#pragma omp parallel for collapse(2) schedule(static) if (fcol * nz > 256)
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++)
      for (int i = 0; i < nx; i++) {
        int I, In, J, Jn;
        double wx, wy;
        interp(nx, nxc, i, &I, &In, &wx);
        interp(ny, c->ny, j, &J, &Jn, &wy);
        const double *base = c->x + (size_t)k * ccol * NB;
        const double *x00 = base + ((size_t)J * nxc + I) * NB, *x10 = base + ((size_t)J * nxc + In) * NB;
        const double *x01 = base + ((size_t)Jn * nxc + I) * NB, *x11 = base + ((size_t)Jn * nxc + In) * NB;
        const double w00 = wx * wy, w10 = (1 - wx) * wy, w01 = wx * (1 - wy), w11 = (1 - wx) * (1 - wy);
        double *xf = x + ((size_t)k * fcol + (size_t)j * nx + i) * NB;
        for (int q = 0; q < NB; q++) xf[q] += w00 * x00[q] + w10 * x10[q] + w01 * x01[q] + w11 * x11[q];
      }
}

static void vcycle(const chs_linemg *mg, int l, const double *b, double *x)
{
  const level *v = &mg->L[l];
  const double gamma = mg->gamma;
  /* One column: exact, unless it is a fine level with neighbour ranks, which must take part
   * in every halo exchange the other ranks' cycles make. */
  if (l + 1 == mg->nlev && v->nx * v->ny == 1 && !(l == 0 && mg->exchange)) {
    chs_column_solve(v->inv, v->up, v->down, gamma, 0, 1, v->nz, 1, b, x);
    return;
  }
  sweep(mg, v, b, x, 0, 1);
  sweep(mg, v, b, x, 1, 0);
  if (l + 1 < mg->nlev) {
    level *c = (level *)&mg->L[l + 1];
    restrict_residual(mg, v, c, x);
    vcycle(mg, l + 1, c->b, c->x);
    prolong_add(c, v, x);
  } else if (l == 0 && mg->exchange) {
    mg->exchange(mg->ctx, x); /* the restriction's exchange on the other ranks */
  }
  sweep(mg, v, b, x, 1, 0);
  sweep(mg, v, b, x, 0, 0);
}

void chs_linemg_set_ghosts(chs_linemg *mg, chs_linemg_exchange exchange, void *ctx,
                           const double *ghost, const int gd[2], const int ng[2], int parity,
                           const int neighbour[4])
{
  mg->exchange = exchange;
  mg->ctx = ctx;
  mg->ghost = ghost;
  for (int a = 0; a < 2; a++) {
    mg->gd[a] = gd[a];
    mg->ng[a] = ng[a];
  }
  mg->parity = parity & 1;
  for (int d = 0; d < NLAT; d++) mg->nbr[d] = neighbour[d];
}

void chs_linemg_solve(const chs_linemg *mg, const double *r, double *z)
{
  vcycle(mg, 0, r, z);
}

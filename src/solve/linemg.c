#include "solve/linemg.h"

#include <stdlib.h>
#include <string.h>

#include "solve/column.h"

enum { NB = CHS_NB, ND = CHS_ND, ND2 = CHS_ND * CHS_ND, NLAT = 4, MAXLEV = 40 };
/* The immobile fields, condensed out of the cycle (at least 1 for array sizes). */
enum { NS = CHS_NB - CHS_ND, NSA = NS > 0 ? NS : 1 };
/* Per fine cell, the condensation at these offsets: G = A_ss^{-1} (NS x NS), H = G A_sm
 * (NS x ND), E = A_ms G (ND x NS), all row-major. */
enum { COND_G = 0, COND_H = NS * NS, COND_E = COND_H + NS * ND, NCOND = COND_E + ND * NS };
enum { XM, XP, YM, YP };

/* Every level's arrays are in column order: cell (i, j, k) at (j nx + i) nz + k. */
typedef struct {
  int nx, ny, nz;
  size_t ncell;
  double *vol; /* per x index: the summed volume of the fine cells below */
  /* The operator on the moving fields (level 0 borrows the caller's couplings; coarse
   * levels own theirs). */
  const chs_coupling *up, *down, *lat;
  chs_pcreal *inv; /* column factorisation: ND x ND per cell (column.h) */
  double *blk;  /* coarse levels: the blocks, ND x ND row-major */
  chs_coupling *own_up, *own_down, *own_lat;
  double *b, *x; /* right-hand side and solution, ND per cell */
} level;

struct chs_linemg {
  int nlev;
  double gamma;
  level L[MAXLEV];
  chs_pcreal *cond; /* level 0: NCOND per cell */
  /* Level 0's neighbours on other ranks (chs_linemg_set_ghosts). */
  chs_linemg_exchange exchange;
  void *ctx;
  const double *ghost;
  int gd[2], ng[2], parity, nbr[NLAT];
};

static inline size_t cell(const level *v, int i, int j, int k)
{
  return ((size_t)j * v->nx + i) * v->nz + k;
}

static void level_free(level *v)
{
  free(v->vol);
  free(v->inv);
  free(v->blk);
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
  free((*pm)->cond);
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
    v->inv = malloc(sizeof(chs_pcreal) * ND2 * v->ncell);
    v->b = malloc(sizeof(double) * ND * v->ncell);
    v->x = malloc(sizeof(double) * ND * v->ncell);
    if (!v->inv || !v->b || !v->x) {
      ok = 0;
      break;
    }
    if (l == 0) {
      memcpy(v->vol, vol, sizeof(double) * nx);
      mg->cond = malloc(sizeof(chs_pcreal) * (NCOND ? NCOND : 1) * v->ncell);
      if (!mg->cond) {
        ok = 0;
        break;
      }
    } else {
      const level *f = &mg->L[l - 1];
      for (int I = 0; I < nx; I++) {
        v->vol[I] = 0.0;
        for (int m = 0; m < members(f->nx, I); m++) v->vol[I] += f->vol[first(f->nx, I) + m];
      }
      v->blk = malloc(sizeof(double) * ND2 * v->ncell);
      v->own_up = malloc(sizeof(chs_coupling) * ND * v->ncell);
      v->own_down = malloc(sizeof(chs_coupling) * ND * v->ncell);
      v->own_lat = malloc(sizeof(chs_coupling) * NLAT * ND * v->ncell);
      if (!v->blk || !v->own_up || !v->own_down || !v->own_lat) {
        ok = 0;
        break;
      }
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
#pragma omp parallel for collapse(2) schedule(static) if ((size_t)nxc * nyc > 16)
  for (int J = 0; J < nyc; J++)
    for (int I = 0; I < nxc; I++)
      for (int k = 0; k < nz; k++) {
        const size_t o = cell(c, I, J, k);
        double *B = c->blk + o * ND2, up[ND] = {0}, down[ND] = {0}, lat[NLAT * ND] = {0};
        if (fblk) memset(B, 0, sizeof(double) * ND2);
        const int mx = members(f->nx, I), my = members(f->ny, J);
        const int i0 = first(f->nx, I), j0 = first(f->ny, J);
        for (int dj = 0; dj < my; dj++)
          for (int di = 0; di < mx; di++) {
            const int i = i0 + di, j = j0 + dj;
            const size_t a = cell(f, i, j, k);
            const double w = f->vol[i] / (c->vol[I] * my);
            const chs_coupling *fl = f->lat + a * NLAT * ND;
            if (fblk)
              for (int e = 0; e < ND2; e++) B[e] += w * fblk[a * ND2 + e];
            for (int q = 0; q < ND; q++) {
              up[q] += w * f->up[a * ND + q];
              down[q] += w * f->down[a * ND + q];
            }
            /* Is the neighbour in direction d inside this aggregate? */
            const int inside[NLAT] = {di > 0, di + 1 < mx, dj > 0, dj + 1 < my};
            for (int d = 0; d < NLAT; d++)
              for (int q = 0; q < ND; q++) {
                const double g = w * fl[d * ND + q];
                if (inside[d])
                  B[q * ND + q] -= gamma * g; /* an internal coupling joins the diagonal */
                else
                  lat[d * ND + q] += g;
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
          for (int q = 0; q < ND; q++) {
            B[q * ND + q] -= gamma * (1.0 - s[d]) * lat[d * ND + q];
            lat[d * ND + q] *= s[d];
          }
        /* Stored rounded; the diagonal takes up the rounding, so the rows keep their sums
         * (transport.h: the smooth modes stay exact). */
        for (int q = 0; q < ND; q++) {
          const chs_coupling u = (chs_coupling)up[q], dn = (chs_coupling)down[q];
          c->own_up[o * ND + q] = u;
          c->own_down[o * ND + q] = dn;
          B[q * ND + q] += gamma * ((u - up[q]) + (dn - down[q]));
          for (int d = 0; d < NLAT; d++) {
            const chs_coupling l = (chs_coupling)lat[d * ND + q];
            c->own_lat[o * NLAT * ND + d * ND + q] = l;
            B[q * ND + q] += gamma * (l - lat[d * ND + q]);
          }
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
      const size_t c = col * v->nz + k;
      double a[ND2];
      memcpy(a, v->blk + c * ND2, sizeof a);
      if (k > 0) chs_column_schur_n(ND, a, v->inv + (c - 1) * ND2, v->up + c * ND, v->down + (c - 1) * ND, gamma);
      if (chs_block_invert_n(ND, a, v->inv + c * ND2)) failed = 1;
    }
  return failed;
}

void chs_linemg_begin(chs_linemg *mg, double gamma, const chs_coupling *up, const chs_coupling *down,
                      const chs_coupling *lat)
{
  level *v0 = &mg->L[0];
  mg->gamma = gamma;
  v0->up = up;
  v0->down = down;
  v0->lat = lat;
}

/* The Schur complement of the immobile fields: with a = [A_mm A_ms; A_sm A_ss] (row-major,
 * NB x NB), S = A_mm - A_ms A_ss^{-1} A_sm into s (ND x ND row-major), and G, H, E into
 * cond (see NCOND). Returns nonzero if A_ss is singular. */
static int condense(const double *a, double *s, chs_pcreal *cond)
{
  for (int r = 0; r < ND; r++)
    for (int c = 0; c < ND; c++) s[r * ND + c] = a[r * NB + c];
  if (NS == 0) return 0;
  double ass[NSA * NSA], g[NSA * NSA], G[NSA * NSA], H[NSA * ND], E[ND * NSA];
  for (int r = 0; r < NS; r++)
    for (int c = 0; c < NS; c++) ass[r * NS + c] = a[(ND + r) * NB + ND + c];
  if (chs_block_inverse(NS, ass, g)) return -1;
  for (int r = 0; r < NS; r++) /* g is column-major */
    for (int c = 0; c < NS; c++) G[r * NS + c] = g[c * NS + r];
  for (int r = 0; r < NS; r++)
    for (int c = 0; c < ND; c++) {
      double h = 0.0;
      for (int q = 0; q < NS; q++) h += G[r * NS + q] * a[(ND + q) * NB + c];
      H[r * ND + c] = h;
    }
  for (int r = 0; r < ND; r++)
    for (int c = 0; c < NS; c++) {
      double e = 0.0;
      for (int q = 0; q < NS; q++) e += a[r * NB + ND + q] * G[q * NS + c];
      E[r * NS + c] = e;
    }
  for (int r = 0; r < ND; r++)
    for (int c = 0; c < ND; c++) {
      double t = 0.0;
      for (int q = 0; q < NS; q++) t += E[r * NS + q] * a[(ND + q) * NB + c];
      s[r * ND + c] -= t;
    }
  for (int e = 0; e < NS * NS; e++) cond[COND_G + e] = (chs_pcreal)G[e];
  for (int e = 0; e < NS * ND; e++) cond[COND_H + e] = (chs_pcreal)H[e];
  for (int e = 0; e < ND * NS; e++) cond[COND_E + e] = (chs_pcreal)E[e];
  return 0;
}

int chs_linemg_add_block(chs_linemg *mg, int i, int j, int k, const double *a)
{
  const level *f = &mg->L[0];
  const size_t c = cell(f, i, j, k);
  double s[ND2];
  if (condense(a, s, mg->cond + c * NCOND)) return -1;
  if (mg->nlev > 1) { /* the first coarse level's block: the volume-weighted sum */
    level *cl = &mg->L[1];
    const int I = f->nx > 1 ? i / 2 : i, J = f->ny > 1 ? j / 2 : j;
    const double w = f->vol[i] / (cl->vol[I] * members(f->ny, J));
    double *B = cl->blk + cell(cl, I, J, k) * ND2;
    if ((f->nx == 1 || i % 2 == 0) && (f->ny == 1 || j % 2 == 0))
      for (int e = 0; e < ND2; e++) B[e] = w * s[e]; /* the aggregate's first cell */
    else
      for (int e = 0; e < ND2; e++) B[e] += w * s[e];
  }
  if (k > 0) chs_column_schur_n(ND, s, f->inv + (c - 1) * ND2, f->up + c * ND, f->down + (c - 1) * ND, mg->gamma);
  return chs_block_invert_n(ND, s, f->inv + c * ND2);
}

int chs_linemg_finish(chs_linemg *mg)
{
  int failed = 0;
  for (int l = 1; l < mg->nlev && !failed; l++) {
    coarsen(&mg->L[l], &mg->L[l - 1], l == 1 ? NULL : mg->L[l - 1].blk, mg->gamma);
    failed = factor(&mg->L[l], mg->gamma);
  }
  return failed;
}

/* sum over the lateral neighbours of lat * x for the moving fields of cell c = (i, j, k):
 * neighbours on this rank from x; at level 0, those on other ranks from the ghosts. */
static inline void lateral_sum(const chs_linemg *mg, const level *v, const double *x, size_t c,
                               int i, int j, int k, double s[ND])
{
  const chs_coupling *l = v->lat + c * NLAT * ND;
  const size_t sx = (size_t)v->nz, sy = (size_t)v->nx * v->nz;
  const double *nb[NLAT] = {i > 0 ? x + (c - sx) * ND : NULL, i + 1 < v->nx ? x + (c + sx) * ND : NULL,
                            j > 0 ? x + (c - sy) * ND : NULL, j + 1 < v->ny ? x + (c + sy) * ND : NULL};
  if (v == &mg->L[0] && mg->ghost) {
    const int edge[NLAT] = {i == 0, i + 1 == v->nx, j == 0, j + 1 == v->ny};
    const int di[NLAT] = {-1, 1, 0, 0}, dj[NLAT] = {0, 0, -1, 1};
    for (int d = 0; d < NLAT; d++)
      if (edge[d] && mg->nbr[d]) {
        const size_t gi = ((size_t)k * mg->gd[1] + (size_t)(j + dj[d] + mg->ng[1])) * mg->gd[0] +
                          (size_t)(i + di[d] + mg->ng[0]);
        nb[d] = mg->ghost + gi * ND;
      }
  }
  for (int f = 0; f < ND; f++) s[f] = 0.0;
  for (int d = 0; d < NLAT; d++)
    if (nb[d])
      for (int f = 0; f < ND; f++) s[f] += l[d * ND + f] * nb[d][f];
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
      const size_t c0 = cell(v, i, j, 0);
      double *xc = x + c0 * ND;
      const double *bc = b + c0 * ND;
      if (first)
        memcpy(xc, bc, sizeof(double) * ND * nz);
      else
        for (int k = 0; k < nz; k++) {
          double s[ND];
          lateral_sum(mg, v, x, c0 + k, i, j, k, s);
          for (int f = 0; f < ND; f++) xc[k * ND + f] = bc[k * ND + f] + gamma * s[f];
        }
      chs_column_solve_n(ND, v->inv + c0 * ND2, v->up + c0 * ND, v->down + c0 * ND, gamma, c0, 1, nz, 1, x, x);
    }
}

/* The coarse right-hand side: the volume-weighted residual of level f after a sweep of
 * colour 0 then 1 from zero. Colour-1 columns were solved last, so their residual is 0;
 * a colour-0 column's is gamma * lateral couplings * (the colour-1 neighbours' new values). */
static void restrict_residual(const chs_linemg *mg, const level *f, level *c, const double *x)
{
  const int nx = f->nx, ny = f->ny, nz = f->nz, nxc = c->nx, nyc = c->ny;
  const double gamma = mg->gamma;
  const int parity = f == &mg->L[0] ? mg->parity : 0;
  if (f == &mg->L[0] && mg->exchange) mg->exchange(mg->ctx, x);
#pragma omp parallel for collapse(2) schedule(static) if ((size_t)nxc * nyc > 16)
  for (int J = 0; J < nyc; J++)
    for (int I = 0; I < nxc; I++) {
      double *bc = c->b + cell(c, I, J, 0) * ND;
      memset(bc, 0, sizeof(double) * ND * nz);
      const int mx = members(nx, I), my = members(ny, J), i0 = first(nx, I), j0 = first(ny, J);
      for (int dj = 0; dj < my; dj++)
        for (int di = 0; di < mx; di++) {
          const int i = i0 + di, j = j0 + dj;
          if ((i + j + parity) & 1) continue;
          const double w = gamma * f->vol[i] / (c->vol[I] * my);
          for (int k = 0; k < nz; k++) {
            double s[ND];
            lateral_sum(mg, f, x, cell(f, i, j, k), i, j, k, s);
            for (int q = 0; q < ND; q++) bc[k * ND + q] += w * s[q];
          }
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
#pragma omp parallel for collapse(2) schedule(static) if ((size_t)nx * ny > 16)
  for (int j = 0; j < ny; j++)
    for (int i = 0; i < nx; i++) {
      int I, In, J, Jn;
      double wx, wy;
      interp(nx, nxc, i, &I, &In, &wx);
      interp(ny, c->ny, j, &J, &Jn, &wy);
      const double *x00 = c->x + cell(c, I, J, 0) * ND, *x10 = c->x + cell(c, In, J, 0) * ND;
      const double *x01 = c->x + cell(c, I, Jn, 0) * ND, *x11 = c->x + cell(c, In, Jn, 0) * ND;
      const double w00 = wx * wy, w10 = (1 - wx) * wy, w01 = wx * (1 - wy), w11 = (1 - wx) * (1 - wy);
      double *xf = x + cell(f, i, j, 0) * ND;
      for (int e = 0; e < nz * ND; e++) xf[e] += w00 * x00[e] + w10 * x10[e] + w01 * x01[e] + w11 * x11[e];
    }
}

static void vcycle(const chs_linemg *mg, int l, const double *b, double *x)
{
  const level *v = &mg->L[l];
  const double gamma = mg->gamma;
  /* One column: exact, unless it is a fine level with neighbour ranks, which must take part
   * in every halo exchange the other ranks' cycles make. */
  if (l + 1 == mg->nlev && v->nx * v->ny == 1 && !(l == 0 && mg->exchange)) {
    chs_column_solve_n(ND, v->inv, v->up, v->down, gamma, 0, 1, v->nz, 1, b, x);
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

/* The immobile fields in and out of the cycle, cell by cell: b_m = r_m - E r_s before it,
 * z_s = G r_s - H x_m after (r and z in the owned order, cell (i, j, k) at
 * (k ny + j) nx + i, CHS_NB values each; level 0 in column order). */
void chs_linemg_solve(const chs_linemg *mg, const double *r, double *z)
{
  const level *v = &mg->L[0];
  const int nx = v->nx, ny = v->ny, nz = v->nz;
  const size_t plane = (size_t)nx * ny;
  /* In r's order: its cells stream, level 0's are read and written a few lines per cell. */
#pragma omp parallel for collapse(2) schedule(static) if (plane > 16)
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++)
      for (int i = 0; i < nx; i++) {
        const size_t c = cell(v, i, j, k), o = ((size_t)k * ny + j) * nx + i;
        const double *ro = r + o * NB;
        const chs_pcreal *E = mg->cond + c * NCOND + COND_E;
        double *bc = v->b + c * ND;
        for (int f = 0; f < ND; f++) {
          double t = ro[f];
          for (int q = 0; q < NS; q++) t -= E[f * NS + q] * ro[ND + q];
          bc[f] = t;
        }
      }
  vcycle(mg, 0, v->b, v->x);
#pragma omp parallel for collapse(2) schedule(static) if (plane > 16)
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++)
      for (int i = 0; i < nx; i++) {
        const size_t c = cell(v, i, j, k), o = ((size_t)k * ny + j) * nx + i;
        const chs_pcreal *G = mg->cond + c * NCOND + COND_G, *H = mg->cond + c * NCOND + COND_H;
        const double *xc = v->x + c * ND;
        double rs[NSA];
        for (int q = 0; q < NS; q++) rs[q] = r[o * NB + ND + q]; /* r may be z */
        for (int q = 0; q < NS; q++) {
          double t = 0.0;
          for (int e = 0; e < NS; e++) t += G[q * NS + e] * rs[e];
          for (int f = 0; f < ND; f++) t -= H[q * ND + f] * xc[f];
          z[o * NB + ND + q] = t;
        }
        for (int f = 0; f < ND; f++) z[o * NB + f] = xc[f];
      }
}

#include "model/transport.h"

#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif

void chs_transport_from_config(const chs_config *cfg, chs_transport *tp)
{
  tp->D_s = cfg->msc_D;
  tp->D_c = cfg->chondrocyte_D;
  tp->Dg_tissue = cfg->growth_factor_D_tissue;
  tp->Dg_free = cfg->growth_factor_D_free;
  tp->Di_tissue = cfg->cytokine_D_tissue;
  tp->Di_free = cfg->cytokine_D_free;
  tp->D_n = cfg->oxygen_D;
  tp->h_top = cfg->joint_h_m;
  tp->kappa = cfg->joint_partition;
  for (int f = 0; f < CHS_ND; f++) tp->fluid[f] = 0.0;
  tp->fluid[CHS_F_GROWTH_FACTOR] = 0.0; /* the fluid pools set these during the run */
  tp->fluid[CHS_F_CYTOKINE] = cfg->patient_inflammation;
  tp->fluid[CHS_F_OXYGEN] = cfg->oxygen_n_sf;
  tp->h_bone = cfg->oxygen_h_bone;
  tp->n_bone = cfg->oxygen_n_bone;
  tp->P_b = cfg->mechanisms_bone ? cfg->bone_P_b : 0.0;
  tp->bone_cytokine = 0.0; /* kappa_B x the BML state, set during the run */
  tp->carrier_cell = cfg->carrier_cell_D;
  tp->carrier_solute = cfg->carrier_solute_D;
  tp->filler = NULL;
}

/* The filler (M = 0) values are scaled by a carrier's factors (1 outside the lesion). */
static inline void coefficients(const chs_transport *tp, const double *u, double cell,
                                double solute, double D[CHS_ND])
{
  /* M: the collagen network that blocks migration, clipped to [0, 1]. */
  double M = u[CHS_F_COLLAGEN2] + u[CHS_F_FIBROUS];
  M = M < 0.0 ? 0.0 : (M > 1.0 ? 1.0 : M);
  double open = (1.0 - M) * (1.0 - M);
  double g_free = tp->Dg_free * solute, i_free = tp->Di_free * solute;
  D[CHS_F_MSC] = tp->D_s * cell * open;
  D[CHS_F_CHONDROCYTE] = tp->D_c * cell * open;
  D[CHS_F_REPAIR] = tp->D_c * cell * open;
  D[CHS_F_DONOR] = tp->D_c * cell * open;
  D[CHS_F_GROWTH_FACTOR] = g_free + (tp->Dg_tissue - g_free) * M;
  D[CHS_F_CYTOKINE] = i_free + (tp->Di_tissue - i_free) * M;
  D[CHS_F_OXYGEN] = tp->D_n;
}

void chs_transport_coefficients(const chs_transport *tp, const double *u, double D[CHS_ND])
{
  coefficients(tp, u, 1.0, 1.0, D);
}

double chs_transport_robin(double h, double D_cell, double half_dz)
{
  /* Series resistance of the film (1/h) and the half cell (dz/2D). */
  if (h <= 0.0 || D_cell <= 0.0) return 0.0;
  return 1.0 / (1.0 / h + half_dz / D_cell);
}

void chs_transport_fill_coefficients(const chs_transport *tp, const chs_grid *g, const double *ug,
                                     double *D)
{
  long n = (long)g->nghost;
#pragma omp parallel for schedule(static)
  for (long c = 0; c < n; c++) {
    const int in_filler = tp->filler && tp->filler[c] > 0.0;
    coefficients(tp, ug + c * CHS_NF, in_filler ? tp->carrier_cell : 1.0,
                 in_filler ? tp->carrier_solute : 1.0, D + c * CHS_ND);
  }
}

/* Exchange coefficient of the solute boundaries: top is Robin to the fluid for the
 * solutes; bottom is Robin to the bone for oxygen and (through the calcified layer) the
 * cytokine of a bone-marrow lesion. Cells never cross either (their inflows are sources). */
static inline double top_coef(const chs_transport *tp, int f, double Dc, double half_dz)
{
  return chs_field_kind[f] == CHS_KIND_SOLUTE ? chs_transport_robin(tp->h_top, Dc, half_dz) : 0.0;
}
static inline double bottom_coef(const chs_transport *tp, int f, double Dc, double half_dz)
{
  if (f == CHS_F_OXYGEN) return chs_transport_robin(tp->h_bone, Dc, half_dz);
  if (f == CHS_F_CYTOKINE) return chs_transport_robin(tp->P_b, Dc, half_dz);
  return 0.0;
}
static inline double bottom_value(const chs_transport *tp, int f)
{
  return f == CHS_F_OXYGEN ? tp->n_bone : (f == CHS_F_CYTOKINE ? tp->bone_cytokine : 0.0);
}

/* Work split of chs_transport_apply: a task is a run of at most TP_RUN cells along x in
 * one row j, for every depth k. Walking down the run, each face's harmonic-mean
 * coefficient is computed once: the x face a cell shares with its left neighbour is the
 * one that neighbour computed (kept in hx), the z face it shares with the cell above is
 * the one computed at depth k - 1 (kept in hz). y faces (3D) are still computed from
 * both sides. Each cell adds its face terms in the same order with the same values as a
 * per-cell gather (the harmonic mean is symmetric bit for bit), so the result depends
 * neither on the split nor on the thread count (tests/unit/test_transport.c). */
enum { TP_RUN = 64 };

static int run_length(int nx, int ny)
{
#ifdef _OPENMP
  const int nt = omp_get_max_threads();
#else
  const int nt = 1;
#endif
  /* About 8 tasks per thread when rows are few (axisymmetric: ny = 1); runs of >= 4 cells. */
  int runs = ny >= 8 * nt ? 1 : (8 * nt + ny - 1) / ny;
  if (runs > (nx + 3) / 4) runs = (nx + 3) / 4;
  if (runs < 1) runs = 1;
  int len = (nx + runs - 1) / runs;
  return len > TP_RUN ? TP_RUN : (len < 1 ? 1 : len);
}

void chs_transport_apply(const chs_transport *tp, const chs_grid *g, const double *ug,
                         const double *D, double *ydot)
{
  const long sx = 1, sy = g->gd[0], sz = (long)g->gd[0] * g->gd[1];
  const int nx = g->ln[0], ny = g->ln[1], nz = g->ln[2];
  if (nx <= 0 || ny <= 0 || nz <= 0) return;
  const double cz = g->cz, cy = g->cy, dz = g->h[2], half_dz = 0.5 * g->h[2];
  const int ylo = g->lo[1] == 0, yhi = g->lo[1] + ny == g->gn[1];
  const int len = run_length(nx, ny), runs = (nx + len - 1) / len;
  const long tasks = (long)ny * runs;
#pragma omp parallel for schedule(static)
  for (long t = 0; t < tasks; t++) {
    const int j = (int)(t / runs), i0 = (int)(t % runs) * len;
    const int i1 = i0 + len < nx ? i0 + len : nx;
    const int has_ym = cy > 0.0 && !(ylo && j == 0), has_yp = cy > 0.0 && !(yhi && j == ny - 1);
    double hz[TP_RUN][CHS_ND]; /* z faces below the cells of the run at the previous depth */
    for (int k = 0; k < nz; k++) {
      double hx[CHS_ND]; /* the x face between the previous cell of the run and this one */
      int hx_ok = 0;
      for (int i = i0; i < i1; i++) {
        const long c = (long)chs_grid_ghosted(g, i, j, k);
        const double *u = ug + c * CHS_NF, *Dc = D + c * CHS_ND;
        double *out = ydot + chs_grid_owned(g, i, j, k) * CHS_NF;
        const double cxm = g->cxm[i], cxp = g->cxp[i];
        double *hzi = hz[i - i0];
        for (int f = 0; f < CHS_ND; f++) {
          double acc = 0.0, uc = u[f], d = Dc[f];
          if (cxm > 0.0) {
            const double h = hx_ok ? hx[f] : chs_harmonic(d, D[(c - sx) * CHS_ND + f]);
            acc += cxm * h * (ug[(c - sx) * CHS_NF + f] - uc);
          }
          if (cxp > 0.0) {
            const double h = chs_harmonic(d, D[(c + sx) * CHS_ND + f]);
            hx[f] = h;
            acc += cxp * h * (ug[(c + sx) * CHS_NF + f] - uc);
          }
          if (has_ym)
            acc += cy * chs_harmonic(d, D[(c - sy) * CHS_ND + f]) * (ug[(c - sy) * CHS_NF + f] - uc);
          if (has_yp)
            acc += cy * chs_harmonic(d, D[(c + sy) * CHS_ND + f]) * (ug[(c + sy) * CHS_NF + f] - uc);
          if (k > 0)
            acc += cz * hzi[f] * (ug[(c - sz) * CHS_NF + f] - uc);
          else
            acc += top_coef(tp, f, d, half_dz) * (tp->kappa * tp->fluid[f] - uc) / dz;
          if (k < nz - 1) {
            const double h = chs_harmonic(d, D[(c + sz) * CHS_ND + f]);
            hzi[f] = h;
            acc += cz * h * (ug[(c + sz) * CHS_NF + f] - uc);
          } else
            acc += bottom_coef(tp, f, d, half_dz) * (bottom_value(tp, f) - uc) / dz;
          out[f] += acc;
        }
        hx_ok = cxp > 0.0;
      }
    }
  }
}

void chs_transport_linearize(const chs_transport *tp, const chs_grid *g, const double *D, int by_column,
                             double *diag, chs_coupling *up, chs_coupling *down, chs_coupling *lat)
{
  const long sx = 1, sy = g->gd[0], sz = (long)g->gd[0] * g->gd[1];
  const int nx = g->ln[0], ny = g->ln[1], nz = g->ln[2];
  const double cz = g->cz, cy = g->cy, dz = g->h[2], half_dz = 0.5 * g->h[2];
  const int ylo = g->lo[1] == 0, yhi = g->lo[1] + ny == g->gn[1];
#pragma omp parallel for collapse(2) schedule(static)
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++)
      for (int i = 0; i < nx; i++) {
        const long c = (long)chs_grid_ghosted(g, i, j, k);
        const double *Dc = D + c * CHS_ND;
        const size_t o = (by_column ? chs_grid_by_column(g, i, j, k) : chs_grid_owned(g, i, j, k)) * CHS_ND;
        const int has_ym = cy > 0.0 && !(ylo && j == 0), has_yp = cy > 0.0 && !(yhi && j == ny - 1);
        for (int f = 0; f < CHS_ND; f++) {
          /* Each coupling rounded to its stored precision first (see transport.h). */
          const double d = Dc[f];
          const chs_coupling xm = g->cxm[i] > 0.0 ? (chs_coupling)(g->cxm[i] * chs_harmonic(d, D[(c - sx) * CHS_ND + f])) : 0;
          const chs_coupling xp = g->cxp[i] > 0.0 ? (chs_coupling)(g->cxp[i] * chs_harmonic(d, D[(c + sx) * CHS_ND + f])) : 0;
          const chs_coupling ym = has_ym ? (chs_coupling)(cy * chs_harmonic(d, D[(c - sy) * CHS_ND + f])) : 0;
          const chs_coupling yp = has_yp ? (chs_coupling)(cy * chs_harmonic(d, D[(c + sy) * CHS_ND + f])) : 0;
          const chs_coupling a = k > 0 ? (chs_coupling)(cz * chs_harmonic(d, D[(c - sz) * CHS_ND + f])) : 0;
          const chs_coupling b = k < nz - 1 ? (chs_coupling)(cz * chs_harmonic(d, D[(c + sz) * CHS_ND + f])) : 0;
          double dg = 0.0;
          dg -= xm;
          dg -= xp;
          dg -= ym;
          dg -= yp;
          if (lat) {
            chs_coupling *l = lat + o * 4 + f;
            l[0 * CHS_ND] = xm;
            l[1 * CHS_ND] = xp;
            l[2 * CHS_ND] = ym;
            l[3 * CHS_ND] = yp;
          }
          if (k == 0) dg -= top_coef(tp, f, d, half_dz) / dz;
          if (k == nz - 1) dg -= bottom_coef(tp, f, d, half_dz) / dz;
          diag[o + f] = dg - a - b;
          up[o + f] = a;
          down[o + f] = b;
        }
      }
}

void chs_transport_surface_uptake(const chs_transport *tp, const chs_grid *g, const double *ug,
                                  const double *D, const unsigned char *columns, double out[CHS_ND])
{
  for (int f = 0; f < CHS_ND; f++) out[f] = 0.0;
  if (g->lo[2] != 0) return;
  const double half_dz = 0.5 * g->h[2], dz = g->h[2];
  for (int j = 0; j < g->ln[1]; j++)
    for (int i = 0; i < g->ln[0]; i++) {
      if (columns && !columns[(size_t)j * (size_t)g->ln[0] + (size_t)i]) continue;
      const size_t c = chs_grid_ghosted(g, i, j, 0);
      for (int f = 0; f < CHS_ND; f++) {
        double coef = top_coef(tp, f, D[c * CHS_ND + f], half_dz);
        if (coef > 0.0) out[f] += coef * (tp->kappa * tp->fluid[f] - ug[c * CHS_NF + f]) / dz * g->vol[i];
      }
    }
}

/* ------------------------------------------------------------ exact derivative */

double chs_transport_robin_dD(double h, double D_cell, double half_dz)
{
  if (h <= 0.0 || D_cell <= 0.0) return 0.0;
  const double r = 1.0 / (1.0 / h + half_dz / D_cell);
  return r * r * half_dz / (D_cell * D_cell);
}

/* The harmonic mean H = 2ab / (a + b) and its derivative dH = 2 (b^2 da + a^2 db) / (a + b)^2
 * with one division (both 0 where the mean is 0). */
static inline double harmonic_jv(double a, double b, double da, double db, double *dH)
{
  const double s = a + b;
  if (!(s > 0.0)) {
    *dH = 0.0;
    return 0.0;
  }
  const double r = 1.0 / s;
  *dH = 2.0 * (b * b * da + a * a * db) * r * r;
  return 2.0 * a * b * r;
}

void chs_transport_fill_coefficients_jv(const chs_transport *tp, const chs_grid *g, const double *ug,
                                        const double *vg, double *dD)
{
  long n = (long)g->nghost;
#pragma omp parallel for schedule(static)
  for (long c = 0; c < n; c++) {
    const int in_filler = tp->filler && tp->filler[c] > 0.0;
    const double cell = in_filler ? tp->carrier_cell : 1.0, solute = in_filler ? tp->carrier_solute : 1.0;
    const double *u = ug + c * CHS_NF;
    const double M = u[CHS_F_COLLAGEN2] + u[CHS_F_FIBROUS];
    const double dM = M < 0.0 || M > 1.0 ? 0.0 : vg[c * CHS_TP_NV + CHS_ND];
    const double dopen = -2.0 * (1.0 - M) * dM;
    double *d = dD + c * CHS_ND;
    d[CHS_F_MSC] = tp->D_s * cell * dopen;
    d[CHS_F_CHONDROCYTE] = tp->D_c * cell * dopen;
    d[CHS_F_REPAIR] = tp->D_c * cell * dopen;
    d[CHS_F_DONOR] = tp->D_c * cell * dopen;
    d[CHS_F_GROWTH_FACTOR] = (tp->Dg_tissue - tp->Dg_free * solute) * dM;
    d[CHS_F_CYTOKINE] = (tp->Di_tissue - tp->Di_free * solute) * dM;
    d[CHS_F_OXYGEN] = 0.0;
  }
}

static inline double bottom_coef_dD(const chs_transport *tp, int f, double Dc, double half_dz)
{
  if (f == CHS_F_OXYGEN) return chs_transport_robin_dD(tp->h_bone, Dc, half_dz);
  if (f == CHS_F_CYTOKINE) return chs_transport_robin_dD(tp->P_b, Dc, half_dz);
  return 0.0;
}

/* The same walk as chs_transport_apply; each face's term c H (u_n - u_c) contributes
 * c (H (v_n - v_c) + dH (u_n - u_c)). */
void chs_transport_apply_jv(const chs_transport *tp, const chs_grid *g, const double *ug, const double *D,
                            const double *vg, const double *dD, const chs_transport_dir *dir, double *jv)
{
  const long sx = 1, sy = g->gd[0], sz = (long)g->gd[0] * g->gd[1];
  const int nx = g->ln[0], ny = g->ln[1], nz = g->ln[2];
  if (nx <= 0 || ny <= 0 || nz <= 0) return;
  const double cz = g->cz, cy = g->cy, dz = g->h[2], half_dz = 0.5 * g->h[2];
  const int ylo = g->lo[1] == 0, yhi = g->lo[1] + ny == g->gn[1];
  const int len = run_length(nx, ny), runs = (nx + len - 1) / len;
  const long tasks = (long)ny * runs;
  enum { NV = CHS_TP_NV };
#pragma omp parallel for schedule(static)
  for (long t = 0; t < tasks; t++) {
    const int j = (int)(t / runs), i0 = (int)(t % runs) * len;
    const int i1 = i0 + len < nx ? i0 + len : nx;
    const int has_ym = cy > 0.0 && !(ylo && j == 0), has_yp = cy > 0.0 && !(yhi && j == ny - 1);
    double hz[TP_RUN][CHS_ND], dhz[TP_RUN][CHS_ND]; /* z faces below the previous depth's cells */
    for (int k = 0; k < nz; k++) {
      double hx[CHS_ND], dhx[CHS_ND]; /* the x face shared with the previous cell of the run */
      int hx_ok = 0;
      for (int i = i0; i < i1; i++) {
        const long c = (long)chs_grid_ghosted(g, i, j, k);
        const double *u = ug + c * CHS_NF, *v = vg + c * NV, *Dc = D + c * CHS_ND, *dDc = dD + c * CHS_ND;
        double *out = jv + chs_grid_owned(g, i, j, k) * CHS_NF;
        const double cxm = g->cxm[i], cxp = g->cxp[i];
        double *hzi = hz[i - i0], *dhzi = dhz[i - i0];
        for (int f = 0; f < CHS_ND; f++) {
          double acc = 0.0;
          const double uc = u[f], vc = v[f], d = Dc[f], dd = dDc[f];
#define CHS_FACE(nb, coef, H, dH) \
  acc += (coef) * ((H) * (vg[(nb) * NV + f] - vc) + (dH) * (ug[(nb) * CHS_NF + f] - uc))
          if (cxm > 0.0) {
            const long n = c - sx;
            double H, dH;
            if (hx_ok) {
              H = hx[f];
              dH = dhx[f];
            } else {
              H = harmonic_jv(d, D[n * CHS_ND + f], dd, dD[n * CHS_ND + f], &dH);
            }
            CHS_FACE(n, cxm, H, dH);
          }
          if (cxp > 0.0) {
            const long n = c + sx;
            double dH;
            const double H = harmonic_jv(d, D[n * CHS_ND + f], dd, dD[n * CHS_ND + f], &dH);
            hx[f] = H;
            dhx[f] = dH;
            CHS_FACE(n, cxp, H, dH);
          }
          if (has_ym) {
            const long n = c - sy;
            double dH;
            const double H = harmonic_jv(d, D[n * CHS_ND + f], dd, dD[n * CHS_ND + f], &dH);
            CHS_FACE(n, cy, H, dH);
          }
          if (has_yp) {
            const long n = c + sy;
            double dH;
            const double H = harmonic_jv(d, D[n * CHS_ND + f], dd, dD[n * CHS_ND + f], &dH);
            CHS_FACE(n, cy, H, dH);
          }
          if (k > 0) {
            CHS_FACE(c - sz, cz, hzi[f], dhzi[f]);
          } else {
            const double U = tp->kappa * tp->fluid[f];
            acc += (top_coef(tp, f, d, half_dz) * (tp->kappa * dir->fluid[f] - vc) +
                    (chs_field_kind[f] == CHS_KIND_SOLUTE ? chs_transport_robin_dD(tp->h_top, d, half_dz) * dd : 0.0) *
                        (U - uc)) / dz;
          }
          if (k < nz - 1) {
            const long n = c + sz;
            double dH;
            const double H = harmonic_jv(d, D[n * CHS_ND + f], dd, dD[n * CHS_ND + f], &dH);
            hzi[f] = H;
            dhzi[f] = dH;
            CHS_FACE(n, cz, H, dH);
          } else {
            const double dvalue = f == CHS_F_CYTOKINE ? dir->bone_cytokine : 0.0;
            acc += (bottom_coef(tp, f, d, half_dz) * (dvalue - vc) +
                    bottom_coef_dD(tp, f, d, half_dz) * dd * (bottom_value(tp, f) - uc)) / dz;
          }
#undef CHS_FACE
          out[f] += acc;
        }
        hx_ok = cxp > 0.0;
      }
    }
  }
}

void chs_transport_surface_uptake_jv(const chs_transport *tp, const chs_grid *g, const double *ug,
                                     const double *D, const double *vg, const double *dD,
                                     const chs_transport_dir *dir, const unsigned char *columns,
                                     double out[CHS_ND])
{
  for (int f = 0; f < CHS_ND; f++) out[f] = 0.0;
  if (g->lo[2] != 0) return;
  const double half_dz = 0.5 * g->h[2], dz = g->h[2];
  for (int j = 0; j < g->ln[1]; j++)
    for (int i = 0; i < g->ln[0]; i++) {
      if (columns && !columns[(size_t)j * (size_t)g->ln[0] + (size_t)i]) continue;
      const size_t c = chs_grid_ghosted(g, i, j, 0);
      for (int f = 0; f < CHS_ND; f++) {
        if (chs_field_kind[f] != CHS_KIND_SOLUTE) continue;
        const double d = D[c * CHS_ND + f];
        const double coef = chs_transport_robin(tp->h_top, d, half_dz);
        const double dcoef = chs_transport_robin_dD(tp->h_top, d, half_dz) * dD[c * CHS_ND + f];
        out[f] += (dcoef * (tp->kappa * tp->fluid[f] - ug[c * CHS_NF + f]) +
                   coef * (tp->kappa * dir->fluid[f] - vg[c * CHS_TP_NV + f])) / dz * g->vol[i];
      }
    }
}

/* Second-order convergence in space of the variable-coefficient diffusion operator
 * (src/model/transport.c) in each geometry, by manufactured solutions. One rank. Every
 * observed order (log2 of successive error ratios, grids n / 2n / 4n) must be >= 1.9.
 *
 * 1. operator: the discrete div(D grad u) of chs_transport_apply at cell centres against
 *    the exact one, for all CHS_ND moving fields (each with its own smooth u and D), with
 *    no flux on every boundary (joint.h_m = 0, oxygen.h_bone = 0, bone.P_b = 0). The manufactured u is
 *    even about every boundary (cosines: u' = u''' = 0 there), so the cell-centred scheme
 *    is second order in the max norm up to and including the boundary cells. D is smooth
 *    and positive, and in the axisymmetric case even in r (a smooth 3D field). Errors: max
 *    norm over all cells, relative to max |exact| (asserted); the volume-weighted L2 norm
 *    is printed alongside. Grids 16/32/64 (2D, nx = nz, square cells) and 12/24/48 (3D; at
 *    8 cells the cos(2 pi x) component is still pre-asymptotic, order 1.89).
 *    Axis note: if D had a nonzero slope dD/dr at r = 0 (a cone: not smooth as a 3D field),
 *    the axis cell's error would be first order (2 F(dx)/dx against (1/r)(r F)' at dx/2
 *    differ by ~ (dD/dr) u_rr(0) dx); checked by hand with D * (1 + 0.5 r/W): oxygen's
 *    max-norm order fell to 1.27 at 32 -> 64 while L2 stayed 2.0. That is a property of
 *    such data, not of the scheme.
 *
 * 2. Robin boundaries: u = R + phi(x,y) w(x,y,z) for the cytokine (Robin to the synovial
 *    fluid at z = 0, no flux at the bone: bone.P_b = 0) and oxygen (Robin at z = 0 and to the bone at
 *    z = H), where w = 1 + b0 z + c z^2 satisfies the homogeneous Robin conditions exactly
 *    with the local D at the surface (b0 = h_m / D(x,y,0)); kappa = 0.8, Biot numbers
 *    about 2 to 10. The surface exchange is a half-cell series resistance whose flux error
 *    is O(dz^2): the operator is only first order in the top and bottom cell rows, but the
 *    solution converges at second order, so the solution error is measured (max norm,
 *    relative to max |u - R|):
 *    a. steady, all geometries: apply(u) = L(u_exact) solved to round-off by Jacobi-PCG
 *       (-V A is symmetric positive definite);
 *    b. transient, axisymmetric: u = R + T(t) phi w with source u_t - L u, integrated with
 *       chs_integrator (rtol 1e-10) from the exact state, error at t = 0.5 day.
 *
 * Exact derivatives come from a tiny forward-mode "jet" (value, gradient, pure second
 * derivatives), so the manufactured functions are written once, without hand algebra. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid/grid.h"
#include "model/fields.h"
#include "model/transport.h"
#include "par/par.h"
#include "solve/integrator.h"
#include "support/test_support.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static void setup(void) { chs_test_mpi(); }
static void teardown(void) { chs_par_finalize(); }
TestSuite(diffusion_convergence, .init = setup, .fini = teardown);

/* ------------------------------------------------------------------ jets */

typedef struct {
  double v, d[3], dd[3]; /* value, d/dx_a, d^2/dx_a^2 */
} jet;

static jet jconst(double c)
{
  jet r;
  memset(&r, 0, sizeof r);
  r.v = c;
  return r;
}
static jet jvar(double x, int a)
{
  jet r = jconst(x);
  r.d[a] = 1.0;
  return r;
}
static jet jadd(jet a, jet b)
{
  a.v += b.v;
  for (int i = 0; i < 3; i++) a.d[i] += b.d[i], a.dd[i] += b.dd[i];
  return a;
}
static jet jaddc(jet a, double c)
{
  a.v += c;
  return a;
}
static jet jscale(jet a, double s)
{
  a.v *= s;
  for (int i = 0; i < 3; i++) a.d[i] *= s, a.dd[i] *= s;
  return a;
}
static jet jmul(jet a, jet b)
{
  jet r;
  r.v = a.v * b.v;
  for (int i = 0; i < 3; i++) {
    r.d[i] = a.d[i] * b.v + a.v * b.d[i];
    r.dd[i] = a.dd[i] * b.v + 2.0 * a.d[i] * b.d[i] + a.v * b.dd[i];
  }
  return r;
}
/* f(a) given f, f', f'' at a.v */
static jet jchain(jet a, double f0, double f1, double f2)
{
  jet r;
  r.v = f0;
  for (int i = 0; i < 3; i++) {
    r.d[i] = f1 * a.d[i];
    r.dd[i] = f2 * a.d[i] * a.d[i] + f1 * a.dd[i];
  }
  return r;
}
static jet jcos(jet a) { return jchain(a, cos(a.v), -sin(a.v), -cos(a.v)); }
static jet jexp(jet a)
{
  double e = exp(a.v);
  return jchain(a, e, e, e);
}
static jet jrecip(jet a)
{
  double v = a.v;
  return jchain(a, 1.0 / v, -1.0 / (v * v), 2.0 / (v * v * v));
}
static jet jdiv(jet a, jet b) { return jmul(a, jrecip(b)); }

/* ------------------------------------------------------------------ domain */

typedef struct {
  int geometry;
  double xlo, W, ylo, L, H; /* extents */
} domain;

static domain domain_of(const chs_grid *g)
{
  domain d;
  d.geometry = g->geometry;
  d.xlo = g->origin[0];
  d.W = g->gn[0] * g->h[0];
  d.ylo = g->origin[1];
  d.L = g->gn[1] * g->h[1];
  d.H = g->gn[2] * g->h[2];
  return d;
}

/* Normalised coordinates xi, eta, zeta in [0, 1] (eta = 0 unless 3D). */
static void normalised(const domain *d, jet X, jet Y, jet Z, jet *xi, jet *eta, jet *zeta)
{
  *xi = jscale(jaddc(X, -d->xlo), 1.0 / d->W);
  *eta = d->geometry == CHS_GEOM_CARTESIAN3D ? jscale(jaddc(Y, -d->ylo), 1.0 / d->L) : jconst(0.0);
  *zeta = jscale(Z, 1.0 / d->H);
}

/* Smooth positive diffusivity of field f, scale d0 (ratio max/min ~ e^1.4 ~ 4). Its
 * lateral derivatives vanish at the lateral edges (and it is even in r at the axis). */
static jet fn_D(const domain *d, int f, double d0, jet X, jet Y, jet Z)
{
  jet xi, eta, zeta;
  normalised(d, X, Y, Z, &xi, &eta, &zeta);
  jet arg = jscale(jmul(jcos(jscale(xi, M_PI)), jcos(jscale(jaddc(zeta, 0.13 * f + 0.1), M_PI))), 0.5);
  if (d->geometry == CHS_GEOM_CARTESIAN3D)
    arg = jadd(arg, jscale(jcos(jscale(eta, 2.0 * M_PI)), 0.2));
  return jscale(jexp(jadd(arg, jscale(zeta, 0.3))), d0);
}

/* Manufactured u of field f for the no-flux operator test: sums of cosine products, even
 * about every boundary plane (and about the axis). */
static jet fn_u(const domain *d, int f, jet X, jet Y, jet Z)
{
  /* Modes per field (by name, so a field that moves in the registry keeps its function);
   * the two chondrocyte kinds of v2 get modes of their own. `shape` indexes the offsets. */
  static const int m1[CHS_ND] = {[CHS_F_MSC] = 1, [CHS_F_CHONDROCYTE] = 2, [CHS_F_REPAIR] = 2,
                                 [CHS_F_DONOR] = 1, [CHS_F_GROWTH_FACTOR] = 1, [CHS_F_CYTOKINE] = 2,
                                 [CHS_F_OXYGEN] = 1};
  static const int n1[CHS_ND] = {[CHS_F_MSC] = 1, [CHS_F_CHONDROCYTE] = 1, [CHS_F_REPAIR] = 2,
                                 [CHS_F_DONOR] = 1, [CHS_F_GROWTH_FACTOR] = 2, [CHS_F_CYTOKINE] = 2,
                                 [CHS_F_OXYGEN] = 1};
  static const int l1[CHS_ND] = {[CHS_F_MSC] = 1, [CHS_F_CHONDROCYTE] = 1, [CHS_F_REPAIR] = 1,
                                 [CHS_F_DONOR] = 2, [CHS_F_GROWTH_FACTOR] = 2, [CHS_F_CYTOKINE] = 1,
                                 [CHS_F_OXYGEN] = 2};
  static const int shape[CHS_ND] = {[CHS_F_MSC] = 0, [CHS_F_CHONDROCYTE] = 1, [CHS_F_GROWTH_FACTOR] = 2,
                                    [CHS_F_CYTOKINE] = 3, [CHS_F_OXYGEN] = 4, [CHS_F_REPAIR] = 5,
                                    [CHS_F_DONOR] = 6};
  _Static_assert(CHS_ND == 7, "give every moving field of fields.h its manufactured modes here");
  jet xi, eta, zeta;
  normalised(d, X, Y, Z, &xi, &eta, &zeta);
  jet a = jmul(jcos(jscale(xi, m1[f] * M_PI)), jcos(jscale(zeta, n1[f] * M_PI)));
  jet b = jmul(jcos(jscale(xi, 2.0 * M_PI)), jcos(jscale(zeta, M_PI)));
  if (d->geometry == CHS_GEOM_CARTESIAN3D) {
    a = jmul(a, jcos(jscale(eta, l1[f] * M_PI)));
    b = jmul(b, jcos(jscale(eta, M_PI)));
  }
  return jaddc(jadd(jscale(a, 0.5), jscale(b, 0.25 - 0.05 * shape[f])), 1.0 + shape[f]);
}

/* Exact div(D grad u) at one point from the jets of u and D: sum over the resolved axes
 * of d_a(D d_a u) = D_a u_a + D u_aa, plus (D/r) u_r in the axisymmetric case (r = x). */
static double exact_operator(const domain *d, double r, jet u, jet D)
{
  double s = 0.0;
  for (int a = 0; a < 3; a++) {
    if (a == 1 && d->geometry != CHS_GEOM_CARTESIAN3D) continue;
    s += D.d[a] * u.d[a] + D.v * u.dd[a];
  }
  if (d->geometry == CHS_GEOM_AXISYMMETRIC) s += D.v * u.d[0] / r;
  return s;
}

/* ------------------------------------------------------------------ helpers */

static const char *geom_name(int geometry)
{
  return chs_config_enum_name("grid.geometry", geometry);
}

typedef struct {
  chs_par *par;
  chs_grid *grid;
  chs_transport tp;
} level;

static void level_create(level *lv, int geometry, int n, const char *const *extra)
{
  static chs_config cfg;
  char s_geom[64], s_nx[32], s_ny[32], s_nz[32];
  snprintf(s_geom, sizeof s_geom, "grid.geometry=%s", geom_name(geometry));
  snprintf(s_nx, sizeof s_nx, "grid.nx=%d", n);
  snprintf(s_ny, sizeof s_ny, "grid.ny=%d", geometry == CHS_GEOM_CARTESIAN3D ? n : 1);
  snprintf(s_nz, sizeof s_nz, "grid.nz=%d", n);
  const char *sets[32] = {s_geom, s_nx, s_ny, s_nz, "grid.width=2.4", "grid.length=2.4",
                          "tissue.thickness=2.4", "lesion.shape=none", "therapy.route=none"};
  int ns = 9;
  for (int i = 0; extra && extra[i]; i++) sets[ns++] = extra[i];
  sets[ns] = NULL;
  chs_test_config(&cfg, "configs/default.ini", sets);
  int gcells[3] = {n, geometry == CHS_GEOM_CARTESIAN3D ? n : 1, n};
  int ndecomp = geometry == CHS_GEOM_CARTESIAN3D ? 2 : 1;
  chs_error_clear();
  cr_assert_eq(chs_par_create(NULL, ndecomp, gcells, &lv->par), CHS_OK, "%s", chs_error_message());
  cr_assert_eq(chs_grid_create(&cfg, lv->par, &lv->grid), CHS_OK, "%s", chs_error_message());
  cr_assert_eq(lv->par->size, 1, "this test runs on one rank");
  chs_transport_from_config(&cfg, &lv->tp);
}

static void level_destroy(level *lv)
{
  chs_grid_destroy(&lv->grid);
  chs_par_destroy(&lv->par);
}

/* Centre of ghosted cell (i, j, k) (local = global on one rank), as jets. */
static void centre(const chs_grid *g, int i, int j, int k, jet *X, jet *Y, jet *Z)
{
  *X = jvar(chs_grid_center(g, 0, g->lo[0] + i), 0);
  *Y = jvar(chs_grid_center(g, 1, g->lo[1] + j), 1);
  *Z = jvar(chs_grid_center(g, 2, g->lo[2] + k), 2);
}

#define FOR_GHOSTED(g, i, j, k)                        \
  for (int k = -(g)->ng[2]; k < (g)->ln[2] + (g)->ng[2]; k++) \
    for (int j = -(g)->ng[1]; j < (g)->ln[1] + (g)->ng[1]; j++) \
      for (int i = -(g)->ng[0]; i < (g)->ln[0] + (g)->ng[0]; i++)
#define FOR_OWNED(g, i, j, k)                \
  for (int k = 0; k < (g)->ln[2]; k++)       \
    for (int j = 0; j < (g)->ln[1]; j++)     \
      for (int i = 0; i < (g)->ln[0]; i++)

static void print_orders(const char *what, int nlev, const int *n, const double *err)
{
  fprintf(stderr, "  %-34s", what);
  for (int l = 0; l < nlev; l++) fprintf(stderr, " n=%-3d %.3e", n[l], err[l]);
  fprintf(stderr, "   orders:");
  for (int l = 1; l < nlev; l++) fprintf(stderr, " %.3f", log2(err[l - 1] / err[l]));
  fprintf(stderr, "\n");
}

/* ------------------------------------------------------------------ 1. the operator */

#define NLEV 3
#define MIN_ORDER 1.9

static void operator_convergence(int geometry, const int n[NLEV])
{
  double emax[NLEV][CHS_ND], el2[NLEV][CHS_ND];
  const char *const extra[] = {"joint.h_m=0", "oxygen.h_bone=0", "bone.P_b=0", NULL};
  for (int l = 0; l < NLEV; l++) {
    level lv;
    level_create(&lv, geometry, n[l], extra);
    const chs_grid *g = lv.grid;
    domain dom = domain_of(g);
    double *ug = calloc(g->nghost * CHS_NF, sizeof(double));
    double *D = calloc(g->nghost * CHS_ND, sizeof(double));
    double *ydot = calloc(g->nlocal * CHS_NF, sizeof(double));
    double *ex = calloc(g->nlocal * CHS_ND, sizeof(double));
    cr_assert(ug && D && ydot && ex);
    FOR_GHOSTED(g, i, j, k) {
      jet X, Y, Z;
      centre(g, i, j, k, &X, &Y, &Z);
      size_t c = chs_grid_ghosted(g, i, j, k);
      for (int f = 0; f < CHS_ND; f++) {
        ug[c * CHS_NF + f] = fn_u(&dom, f, X, Y, Z).v;
        D[c * CHS_ND + f] = fn_D(&dom, f, 1.0, X, Y, Z).v;
      }
      for (int f = CHS_ND; f < CHS_NF; f++) ug[c * CHS_NF + f] = 0.5; /* matrix: unused */
    }
    FOR_OWNED(g, i, j, k) {
      jet X, Y, Z;
      centre(g, i, j, k, &X, &Y, &Z);
      for (int f = 0; f < CHS_ND; f++)
        ex[chs_grid_owned(g, i, j, k) * CHS_ND + f] =
            exact_operator(&dom, X.v, fn_u(&dom, f, X, Y, Z), fn_D(&dom, f, 1.0, X, Y, Z));
    }
    chs_transport_apply(&lv.tp, g, ug, D, ydot);
    for (int f = 0; f < CHS_ND; f++) {
      double e = 0.0, s = 0.0, e2 = 0.0, s2 = 0.0;
      FOR_OWNED(g, i, j, k) {
        size_t c = chs_grid_owned(g, i, j, k);
        double diff = ydot[c * CHS_NF + f] - ex[c * CHS_ND + f];
        e = fmax(e, fabs(diff));
        s = fmax(s, fabs(ex[c * CHS_ND + f]));
        e2 += g->vol[i] * diff * diff;
        s2 += g->vol[i] * ex[c * CHS_ND + f] * ex[c * CHS_ND + f];
      }
      emax[l][f] = e / s;
      el2[l][f] = sqrt(e2 / s2);
      cr_assert(isfinite(emax[l][f]) && s > 0.0);
    }
    /* The matrix fields do not move. */
    for (size_t c = 0; c < g->nlocal; c++)
      for (int f = CHS_ND; f < CHS_NF; f++) cr_assert_eq(ydot[c * CHS_NF + f], 0.0);
    free(ug);
    free(D);
    free(ydot);
    free(ex);
    level_destroy(&lv);
  }
  fprintf(stderr, "diffusion operator, %s, no-flux boundaries (relative errors):\n", geom_name(geometry));
  for (int f = 0; f < CHS_ND; f++) {
    double a[NLEV], b[NLEV];
    char what[96];
    for (int l = 0; l < NLEV; l++) a[l] = emax[l][f], b[l] = el2[l][f];
    snprintf(what, sizeof what, "%s max-norm", chs_field_names[f]);
    print_orders(what, NLEV, n, a);
    snprintf(what, sizeof what, "%s L2", chs_field_names[f]);
    print_orders(what, NLEV, n, b);
  }
  for (int f = 0; f < CHS_ND; f++)
    for (int l = 1; l < NLEV; l++) {
      double p = log2(emax[l - 1][f] / emax[l][f]);
      cr_expect_geq(p, MIN_ORDER, "%s, %s: max-norm order %.3f between n=%d and n=%d (errors %.3e, %.3e)",
                    geom_name(geometry), chs_field_names[f], p, n[l - 1], n[l], emax[l - 1][f],
                    emax[l][f]);
    }
}

Test(diffusion_convergence, operator_axisymmetric)
{
  operator_convergence(CHS_GEOM_AXISYMMETRIC, (const int[]){16, 32, 64});
}
Test(diffusion_convergence, operator_cartesian2d)
{
  operator_convergence(CHS_GEOM_CARTESIAN2D, (const int[]){16, 32, 64});
}
Test(diffusion_convergence, operator_cartesian3d)
{
  operator_convergence(CHS_GEOM_CARTESIAN3D, (const int[]){12, 24, 48});
}

/* ------------------------------------------------------------------ 2. Robin boundaries */

/* Tested fields: cytokine (Robin top, no-flux bone), oxygen (Robin top and bone). */
#define NT 2
static const int tested[NT] = {CHS_F_CYTOKINE, CHS_F_OXYGEN};
static const double dscale[NT] = {1.0, 2.0}; /* mm^2/day */

static double T_of(double t) { return 1.0 + 0.5 * sin(2.0 * t); }
static double dT_of(double t) { return cos(2.0 * t); }

/* phi * w of tested field q at a point; u = R + T(t) * phi * w. */
static jet fn_pw(const domain *d, const chs_transport *tp, int q, jet X, jet Y, jet Z)
{
  int f = tested[q];
  jet xi, eta, zeta;
  normalised(d, X, Y, Z, &xi, &eta, &zeta);
  jet phi = jaddc(jscale(jcos(jscale(xi, M_PI)), 0.5), 1.0);
  if (d->geometry == CHS_GEOM_CARTESIAN3D)
    phi = jmul(phi, jaddc(jscale(jcos(jscale(eta, M_PI)), 0.3), 1.0));
  /* w = 1 + b0 z + c z^2 with w_z(0) = b0 w(0), b0 = h_top / D(x,y,0), and at z = H
   * w_z(H) = -bH w(H), bH = h_bone / D(x,y,H) (oxygen) or 0 (no flux). */
  double H = d->H;
  jet b0 = jdiv(jconst(tp->h_top), fn_D(d, f, dscale[q], X, Y, jconst(0.0)));
  jet bH = jconst(0.0);
  if (f == CHS_F_OXYGEN) bH = jdiv(jconst(tp->h_bone), fn_D(d, f, dscale[q], X, Y, jconst(H)));
  /* c = -(b0 + bH (1 + b0 H)) / (H (2 + bH H)) */
  jet num = jadd(b0, jmul(bH, jaddc(jscale(b0, H), 1.0)));
  jet den = jscale(jaddc(jscale(bH, H), 2.0), H);
  jet c = jscale(jdiv(num, den), -1.0);
  jet w = jaddc(jadd(jmul(b0, Z), jmul(c, jmul(Z, Z))), 1.0);
  return jmul(phi, w);
}

/* Biot numbers h H / D of order 1-10 at the surface and the bone; kappa != 1, and the
 * oxygen references kappa * n_sf = n_bone so one R serves both ends. */
static const char *const robin_sets[] = {"joint.h_m=3", "joint.partition=0.8",
                                         "patient.inflammation=1.5", "oxygen.n_sf=0.05",
                                         "oxygen.n_bone=0.04", "oxygen.h_bone=5", "bone.P_b=0", NULL};

typedef struct {
  const chs_grid *g;
  const chs_transport *tp;
  double *ug, *D;
  double *P, *Q; /* per owned cell and tested field: phi*w and div(D grad(phi*w)) */
  double *diag;
  chs_coupling *up, *down;
  double gamma;
} mms_ctx;

static void mms_rhs(double t, const double *y, double *ydot, void *vctx)
{
  mms_ctx *m = vctx;
  const chs_grid *g = m->g;
  for (int k = 0; k < g->ln[2]; k++)
    for (int j = 0; j < g->ln[1]; j++)
      memcpy(m->ug + chs_grid_ghosted(g, 0, j, k) * CHS_NF, y + chs_grid_owned(g, 0, j, k) * CHS_NF,
             sizeof(double) * CHS_NF * (size_t)g->ln[0]);
  memset(ydot, 0, sizeof(double) * g->nlocal * CHS_NF);
  chs_transport_apply(m->tp, g, m->ug, m->D, ydot);
  double T = T_of(t), dT = dT_of(t);
  for (size_t c = 0; c < g->nlocal; c++) {
    for (int f = 0; f < CHS_NF; f++) {
      int q = -1;
      for (int s = 0; s < NT; s++)
        if (tested[s] == f) q = s;
      if (q < 0)
        ydot[c * CHS_NF + f] = 0.0;
      else
        ydot[c * CHS_NF + f] += dT * m->P[c * NT + q] - T * m->Q[c * NT + q];
    }
  }
}

static int mms_psetup(double t, const double *y, double gamma, void *vctx)
{
  ((mms_ctx *)vctx)->gamma = gamma;
  return 0;
}

/* Exact solve of (I - gamma J_z) along each column (J_z: the vertical couplings and the
 * whole diffusion diagonal), field by field. */
static void mms_psolve(const double *r, double *z, void *vctx)
{
  const mms_ctx *m = vctx;
  const chs_grid *g = m->g;
  const int nz = g->ln[2];
  double cp[4096], dp[4096];
  cr_assert(nz <= 4096);
  memcpy(z, r, sizeof(double) * g->nlocal * CHS_NF);
  for (int j = 0; j < g->ln[1]; j++)
    for (int i = 0; i < g->ln[0]; i++)
      for (int f = 0; f < CHS_ND; f++) {
        for (int k = 0; k < nz; k++) {
          size_t o = chs_grid_owned(g, i, j, k);
          double a = -m->gamma * m->up[o * CHS_ND + f];    /* k-1 */
          double b = -m->gamma * m->down[o * CHS_ND + f];  /* k+1 */
          double d = 1.0 - m->gamma * m->diag[o * CHS_ND + f];
          double rhs = r[o * CHS_NF + f];
          if (k == 0) {
            cp[k] = b / d;
            dp[k] = rhs / d;
          } else {
            double den = d - a * cp[k - 1];
            cp[k] = b / den;
            dp[k] = (rhs - a * dp[k - 1]) / den;
          }
        }
        for (int k = nz - 1; k >= 0; k--) {
          if (k < nz - 1) dp[k] -= cp[k] * dp[k + 1];
          z[chs_grid_owned(g, i, j, k) * CHS_NF + f] = dp[k];
        }
      }
}

static void robin_transient(int geometry, const int n[NLEV])
{
  const char *const *extra = robin_sets;
  const double t_end = 0.5, rtol = 1e-10;
  double err[NLEV][NT];
  long steps[NLEV];
  for (int l = 0; l < NLEV; l++) {
    level lv;
    level_create(&lv, geometry, n[l], extra);
    const chs_grid *g = lv.grid;
    const chs_transport *tp = &lv.tp;
    domain dom = domain_of(g);
    double R[NT];
    R[0] = tp->kappa * tp->fluid[CHS_F_CYTOKINE];
    R[1] = tp->n_bone;
    cr_assert_float_eq(tp->kappa * tp->fluid[CHS_F_OXYGEN], tp->n_bone, 1e-15);
    cr_assert(tp->h_top > 0.0 && tp->h_bone > 0.0);

    mms_ctx m;
    memset(&m, 0, sizeof m);
    m.g = g;
    m.tp = tp;
    size_t nl = g->nlocal;
    m.ug = calloc(g->nghost * CHS_NF, sizeof(double));
    m.D = calloc(g->nghost * CHS_ND, sizeof(double));
    m.P = calloc(nl * NT, sizeof(double));
    m.Q = calloc(nl * NT, sizeof(double));
    m.diag = calloc(nl * CHS_ND, sizeof(double));
    m.up = calloc(nl * CHS_ND, sizeof(chs_coupling));
    m.down = calloc(nl * CHS_ND, sizeof(chs_coupling));
    double *y0 = calloc(nl * CHS_NF, sizeof(double)); /* the integrator works in it */
    cr_assert(m.ug && m.D && m.P && m.Q && m.diag && m.up && m.down && y0);
    /* D: the tested fields' smooth D, 0 for the others (which then stay at 0). */
    FOR_GHOSTED(g, i, j, k) {
      jet X, Y, Z;
      centre(g, i, j, k, &X, &Y, &Z);
      size_t c = chs_grid_ghosted(g, i, j, k);
      for (int q = 0; q < NT; q++) m.D[c * CHS_ND + tested[q]] = fn_D(&dom, tested[q], dscale[q], X, Y, Z).v;
    }
    FOR_OWNED(g, i, j, k) {
      jet X, Y, Z;
      centre(g, i, j, k, &X, &Y, &Z);
      size_t c = chs_grid_owned(g, i, j, k);
      for (int q = 0; q < NT; q++) {
        jet pw = fn_pw(&dom, tp, q, X, Y, Z);
        jet Dj = fn_D(&dom, tested[q], dscale[q], X, Y, Z);
        m.P[c * NT + q] = pw.v;
        m.Q[c * NT + q] = exact_operator(&dom, X.v, pw, Dj);
        y0[c * CHS_NF + tested[q]] = R[q] + T_of(0.0) * pw.v;
      }
    }
    chs_transport_linearize(tp, g, m.D, 0, m.diag, m.up, m.down, NULL);

    const double atol = 1e-13;
    chs_ode ode = {
        .nlocal = (long)(nl * CHS_NF),
        .comm = chs_par_comm(lv.par),
        .ctx = &m,
        .rhs = mms_rhs,
        .psetup = mms_psetup,
        .psolve = mms_psolve,
        .period = 1,
        .atol_period = &atol,
        .rtol = rtol,
        .max_order = 5,
        .linear_tolerance = 1e-3,
        .krylov_dim = 30,
        .max_steps = 1000000,
        .max_step = 0.05,
    };
    chs_integrator *it = NULL;
    chs_error_clear();
    cr_assert_eq(chs_integrator_create(&ode, 0.0, y0, &it), CHS_OK, "%s", chs_error_message());
    cr_assert_eq(chs_integrator_advance(it, t_end), CHS_OK, "%s", chs_error_message());
    const double *y = chs_integrator_state(it);
    chs_solver_stats st;
    chs_integrator_stats(it, &st);
    steps[l] = st.steps;
    fprintf(stderr, "    n=%d: %ld steps, %ld rhs, %ld newton, %ld krylov, %ld psolve\n", n[l], st.steps,
            st.rhs_evals, st.newton_iters, st.krylov_iters, st.prec_solves);
    for (int q = 0; q < NT; q++) {
      double e = 0.0, s = 0.0;
      for (size_t c = 0; c < nl; c++) {
        double dev = T_of(t_end) * m.P[c * NT + q];
        e = fmax(e, fabs(y[c * CHS_NF + tested[q]] - (R[q] + dev)));
        s = fmax(s, fabs(dev));
      }
      err[l][q] = e / s;
    }
    chs_integrator_destroy(&it);
    free(m.ug);
    free(m.D);
    free(m.P);
    free(m.Q);
    free(m.diag);
    free(m.up);
    free(m.down);
    free(y0);
    level_destroy(&lv);
  }
  fprintf(stderr,
          "Robin surface (and bone) MMS, %s, solution error at t = %g day, max-norm relative to "
          "max|u - R| (CVODE rtol %g; steps", geom_name(geometry), t_end, rtol);
  for (int l = 0; l < NLEV; l++) fprintf(stderr, " %ld", steps[l]);
  fprintf(stderr, "):\n");
  for (int q = 0; q < NT; q++) {
    double a[NLEV];
    for (int l = 0; l < NLEV; l++) a[l] = err[l][q];
    print_orders(chs_field_names[tested[q]], NLEV, n, a);
  }
  for (int q = 0; q < NT; q++)
    for (int l = 1; l < NLEV; l++) {
      double p = log2(err[l - 1][q] / err[l][q]);
      cr_expect_geq(p, MIN_ORDER, "%s, %s: Robin MMS max-norm order %.3f between n=%d and n=%d (errors %.3e, %.3e)",
                    geom_name(geometry), chs_field_names[tested[q]], p, n[l - 1], n[l], err[l - 1][q],
                    err[l][q]);
    }
}

/* Steady version: solve the discrete problem  apply(u) = L(u_exact)  (L = exact
 * div(D grad .) at cell centres, u_exact = R + phi w satisfying the Robin conditions) for one
 * field at a time by conjugate gradients, and compare u with u_exact. apply(u) = A u + b
 * with A linear (b: the Robin forcing, apply(0)); -V A is symmetric positive definite (the
 * fluxes are symmetric, the Robin terms add to the diagonal), so CG on -V A u = -V (f - b)
 * with a Jacobi preconditioner solves it to round-off. */
typedef struct {
  const chs_grid *g;
  const chs_transport *tp;
  int f;
  double *ug, *D, *out;
} steady_ctx;

/* y = -V (A x) for field f (x, y: nlocal). */
static void steady_matvec(steady_ctx *s, const double *x, double *y)
{
  const chs_grid *g = s->g;
  FOR_OWNED(g, i, j, k) s->ug[chs_grid_ghosted(g, i, j, k) * CHS_NF + s->f] = x[chs_grid_owned(g, i, j, k)];
  memset(s->out, 0, sizeof(double) * g->nlocal * CHS_NF);
  chs_transport_apply(s->tp, g, s->ug, s->D, s->out);
  FOR_OWNED(g, i, j, k) {
    size_t c = chs_grid_owned(g, i, j, k);
    y[c] = -g->vol[i] * s->out[c * CHS_NF + s->f];
  }
}

static void robin_steady(int geometry, const int n[NLEV])
{
  double err[NLEV][NT];
  int iters[NLEV][NT];
  for (int l = 0; l < NLEV; l++) {
    level lv;
    level_create(&lv, geometry, n[l], robin_sets);
    const chs_grid *g = lv.grid;
    const chs_transport *tp = &lv.tp;
    domain dom = domain_of(g);
    double R[NT] = {tp->kappa * tp->fluid[CHS_F_CYTOKINE], tp->n_bone};
    cr_assert_float_eq(tp->kappa * tp->fluid[CHS_F_OXYGEN], tp->n_bone, 1e-15);
    size_t nl = g->nlocal;
    steady_ctx s = {.g = g, .tp = tp};
    s.ug = calloc(g->nghost * CHS_NF, sizeof(double));
    s.D = calloc(g->nghost * CHS_ND, sizeof(double));
    s.out = calloc(nl * CHS_NF, sizeof(double));
    double *diag = calloc(nl * CHS_ND, sizeof(double));
    chs_coupling *up = calloc(nl * CHS_ND, sizeof(chs_coupling)), *down = calloc(nl * CHS_ND, sizeof(chs_coupling));
    double *ue = calloc(nl, sizeof(double)), *rhs = calloc(nl, sizeof(double));
    double *x = calloc(nl, sizeof(double)), *r = calloc(nl, sizeof(double));
    double *z = calloc(nl, sizeof(double)), *p = calloc(nl, sizeof(double));
    double *q = calloc(nl, sizeof(double)), *b = calloc(nl, sizeof(double));
    double *minv = calloc(nl, sizeof(double));
    cr_assert(s.ug && s.D && s.out && diag && up && down && ue && rhs && x && r && z && p && q && b && minv);
    FOR_GHOSTED(g, i, j, k) {
      jet X, Y, Z;
      centre(g, i, j, k, &X, &Y, &Z);
      size_t c = chs_grid_ghosted(g, i, j, k);
      for (int t = 0; t < NT; t++) s.D[c * CHS_ND + tested[t]] = fn_D(&dom, tested[t], dscale[t], X, Y, Z).v;
    }
    chs_transport_linearize(tp, g, s.D, 0, diag, up, down, NULL);
    for (int t = 0; t < NT; t++) {
      s.f = tested[t];
      /* b = apply(0) (the Robin forcing), exact solution and right-hand side */
      memset(x, 0, sizeof(double) * nl);
      steady_matvec(&s, x, b); /* b = -V apply(0) */
      FOR_OWNED(g, i, j, k) {
        jet X, Y, Z;
        centre(g, i, j, k, &X, &Y, &Z);
        size_t c = chs_grid_owned(g, i, j, k);
        jet pw = fn_pw(&dom, tp, t, X, Y, Z);
        ue[c] = R[t] + pw.v;
        double L = exact_operator(&dom, X.v, pw, fn_D(&dom, s.f, dscale[t], X, Y, Z));
        rhs[c] = -g->vol[i] * L - b[c]; /* -V (f - b) with b already -V apply(0) */
        minv[c] = 1.0 / (g->vol[i] * -diag[c * CHS_ND + s.f]);
        x[c] = R[t]; /* start from the reference level */
      }
      /* PCG; A x = steady_matvec(x) - b  (affine part removed) */
      steady_matvec(&s, x, q);
      double rr0 = 0.0, rz = 0.0;
      for (size_t c = 0; c < nl; c++) {
        r[c] = rhs[c] - (q[c] - b[c]);
        z[c] = minv[c] * r[c];
        p[c] = z[c];
        rr0 += rhs[c] * rhs[c];
        rz += r[c] * z[c];
      }
      int it;
      for (it = 0; it < 20000; it++) {
        steady_matvec(&s, p, q);
        double pq = 0.0;
        for (size_t c = 0; c < nl; c++) {
          q[c] -= b[c];
          pq += p[c] * q[c];
        }
        cr_assert(pq > 0.0, "-V A is not positive definite (p.Ap = %g)", pq);
        double alpha = rz / pq, rr = 0.0, rz_new = 0.0;
        for (size_t c = 0; c < nl; c++) {
          x[c] += alpha * p[c];
          r[c] -= alpha * q[c];
          z[c] = minv[c] * r[c];
          rr += r[c] * r[c];
          rz_new += r[c] * z[c];
        }
        if (rr <= 1e-28 * rr0) break;
        double beta = rz_new / rz;
        rz = rz_new;
        for (size_t c = 0; c < nl; c++) p[c] = z[c] + beta * p[c];
      }
      cr_assert_lt(it, 20000, "CG did not converge");
      iters[l][t] = it + 1;
      double e = 0.0, sc = 0.0;
      for (size_t c = 0; c < nl; c++) {
        e = fmax(e, fabs(x[c] - ue[c]));
        sc = fmax(sc, fabs(ue[c] - R[t]));
      }
      err[l][t] = e / sc;
      /* reset this field in the work array before the next */
      FOR_GHOSTED(g, i, j, k) s.ug[chs_grid_ghosted(g, i, j, k) * CHS_NF + s.f] = 0.0;
    }
    free(s.ug);
    free(s.D);
    free(s.out);
    free(diag);
    free(up);
    free(down);
    free(ue);
    free(rhs);
    free(x);
    free(r);
    free(z);
    free(p);
    free(q);
    free(b);
    free(minv);
    level_destroy(&lv);
  }
  fprintf(stderr, "Robin surface (and bone) MMS, %s, steady solution error, max-norm relative to max|u - R| "
          "(CG iterations", geom_name(geometry));
  for (int l = 0; l < NLEV; l++) fprintf(stderr, " %d/%d", iters[l][0], iters[l][1]);
  fprintf(stderr, "):\n");
  for (int t = 0; t < NT; t++) {
    double a[NLEV];
    for (int l = 0; l < NLEV; l++) a[l] = err[l][t];
    print_orders(chs_field_names[tested[t]], NLEV, n, a);
  }
  for (int t = 0; t < NT; t++)
    for (int l = 1; l < NLEV; l++) {
      double p = log2(err[l - 1][t] / err[l][t]);
      cr_expect_geq(p, MIN_ORDER, "%s, %s: steady Robin max-norm order %.3f between n=%d and n=%d (errors %.3e, %.3e)",
                    geom_name(geometry), chs_field_names[tested[t]], p, n[l - 1], n[l], err[l - 1][t],
                    err[l][t]);
    }
}

Test(diffusion_convergence, robin_steady_axisymmetric)
{
  robin_steady(CHS_GEOM_AXISYMMETRIC, (const int[]){16, 32, 64});
}
Test(diffusion_convergence, robin_steady_cartesian2d)
{
  robin_steady(CHS_GEOM_CARTESIAN2D, (const int[]){16, 32, 64});
}
Test(diffusion_convergence, robin_steady_cartesian3d)
{
  robin_steady(CHS_GEOM_CARTESIAN3D, (const int[]){12, 24, 48});
}
/* The same boundaries through the time integrator (the default geometry only: this is the
 * expensive one). */
Test(diffusion_convergence, robin_transient_axisymmetric, .timeout = 600)
{
  robin_transient(CHS_GEOM_AXISYMMETRIC, (const int[]){16, 32, 64});
}

/* Conservation of the finite-volume transport (src/model/transport.c). One rank.
 *
 * With no flux on every boundary (joint.h_m = 0, oxygen.h_bone = 0, bone.P_b = 0):
 *  1. operator: for random positive u and random positive D (per cell and field) on each
 *     geometry, sum_cells V * (transport part of ydot) = 0 to round-off, relative to
 *     sum_cells |V * ydot| (< 1e-13): every face flux leaves one cell and enters the other.
 *  2. time integration of transport only (a chs_ode whose rhs calls chs_transport_apply
 *     alone, random fixed D; CVODE BDF, rtol 1e-8) keeps every moving field's mass sum V u
 *     constant to round-off. Why round-off and not merely the tolerance: sum V f(y) = 0, the
 *     Nordsieck history starts with zero-mass derivative columns, and with a preconditioner
 *     that satisfies V^T P = V^T (see transport_psolve) every Krylov vector, hence every
 *     Newton correction, has zero mass, so each step is mass-neutral in exact arithmetic.
 *     Asserted: |dM| <= 10 eps * steps * sum V |u|. For reference the printout also gives the
 *     bound that any preconditioner would guarantee (mass moves only by V . Newton residual,
 *     which CVODE keeps under its WRMS tolerance: |dM| <= steps sqrt(N sum (V_i w_i)^2), w_i =
 *     rtol |y_i| + atol_i).
 *  3. the same through the model's own coefficient path (chs_model_load_state: halo, D from
 *     the matrix and the carrier filler) with a cylinder lesion present: chondrocytes + MSCs
 *     (and each moving field) conserved under pure transport over a year, while the cells
 *     measurably move. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grid/grid.h"
#include "support/h5read.h"
#include "model/metrics.h"
#include "model/fields.h"
#include "model/model.h"
#include "model/transport.h"
#include "par/par.h"
#include "run/simulation.h"
#include "solve/integrator.h"
#include "support/test_support.h"

/* Round-off allowance of the mass per accepted step, in units of eps * sum V |u|: the
 * update y_n = y_pred + correction rounds each entry by <= eps/2 |y|, the Nordsieck history
 * update and the volume sums add a few more such terms. */
#define ROUNDOFF_FACTOR 10.0

static void setup(void) { chs_test_mpi(); }
static void teardown(void) { chs_par_finalize(); }
TestSuite(conservation, .init = setup, .fini = teardown);

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double urand(void) { return chs_test_urand(&rng_state); }
static double lrand(double lo, double hi) { return chs_test_lrand(&rng_state, lo, hi); }

static const char *geom_name(int geometry) { return chs_config_enum_name("grid.geometry", geometry); }

typedef struct {
  chs_par *par;
  chs_grid *grid;
  chs_transport tp;
} setup_t;

static chs_config g_cfg;

static void make(setup_t *s, int geometry, int nx, int ny, int nz, const char *lesion)
{
  char a[64], b[32], c[32], d[32], e[64];
  snprintf(a, sizeof a, "grid.geometry=%s", geom_name(geometry));
  snprintf(b, sizeof b, "grid.nx=%d", nx);
  snprintf(c, sizeof c, "grid.ny=%d", ny);
  snprintf(d, sizeof d, "grid.nz=%d", nz);
  snprintf(e, sizeof e, "lesion.shape=%s", lesion);
  const char *sets[] = {a, b, c, d, e, "grid.length=8", "joint.h_m=0", "oxygen.h_bone=0", "bone.P_b=0",
                        strcmp(lesion, "none") ? "therapy.route=intralesional" : "therapy.route=none",
                        NULL};
  chs_test_config(&g_cfg, "configs/default.ini", sets);
  int gcells[3] = {nx, geometry == CHS_GEOM_CARTESIAN3D ? ny : 1, nz};
  chs_error_clear();
  cr_assert_eq(chs_par_create(NULL, geometry == CHS_GEOM_CARTESIAN3D ? 2 : 1, gcells, &s->par), CHS_OK,
               "%s", chs_error_message());
  cr_assert_eq(chs_grid_create(&g_cfg, s->par, &s->grid), CHS_OK, "%s", chs_error_message());
  cr_assert_eq(chs_grid_mark_lesion(s->grid, &g_cfg, s->par), CHS_OK, "%s", chs_error_message());
  chs_transport_from_config(&g_cfg, &s->tp);
  cr_assert_eq(s->tp.h_top, 0.0);
  cr_assert_eq(s->tp.h_bone, 0.0);
  cr_assert_eq(s->tp.P_b, 0.0);
}

static void unmake(setup_t *s)
{
  chs_grid_destroy(&s->grid);
  chs_par_destroy(&s->par);
}

/* Random positive u (1e-3..1e3 per field scale) and D (1e-3..10) in every ghosted cell. */
static void random_fields(const chs_grid *g, double *ug, double *D)
{
  for (size_t c = 0; c < g->nghost; c++) {
    for (int f = 0; f < CHS_NF; f++) ug[c * CHS_NF + f] = lrand(1e-3, 1e3);
    for (int f = 0; f < CHS_ND; f++) D[c * CHS_ND + f] = lrand(1e-3, 10.0);
  }
}

/* Per moving field: sum V ydot and sum |V ydot| over owned cells. */
static void volume_sums(const chs_grid *g, const double *ydot, double sum[CHS_ND], double abs_sum[CHS_ND])
{
  for (int f = 0; f < CHS_ND; f++) sum[f] = abs_sum[f] = 0.0;
  for (int k = 0; k < g->ln[2]; k++)
    for (int j = 0; j < g->ln[1]; j++)
      for (int i = 0; i < g->ln[0]; i++) {
        size_t c = chs_grid_owned(g, i, j, k);
        for (int f = 0; f < CHS_ND; f++) {
          double v = g->vol[i] * ydot[c * CHS_NF + f];
          sum[f] += v;
          abs_sum[f] += fabs(v);
        }
      }
}

/* ------------------------------------------------------------------ 1. operator */

static void operator_conserves(int geometry, int nx, int ny, int nz)
{
  setup_t s;
  make(&s, geometry, nx, ny, nz, "none");
  const chs_grid *g = s.grid;
  double *ug = malloc(sizeof(double) * g->nghost * CHS_NF), *D = malloc(sizeof(double) * g->nghost * CHS_ND);
  double *ydot = calloc(g->nlocal * CHS_NF, sizeof(double));
  cr_assert(ug && D && ydot);
  double worst = 0.0;
  for (int trial = 0; trial < 3; trial++) {
    random_fields(g, ug, D);
    memset(ydot, 0, sizeof(double) * g->nlocal * CHS_NF);
    chs_transport_apply(&s.tp, g, ug, D, ydot);
    double sum[CHS_ND], abs_sum[CHS_ND];
    volume_sums(g, ydot, sum, abs_sum);
    for (int f = 0; f < CHS_ND; f++) {
      double rel = fabs(sum[f]) / abs_sum[f];
      cr_assert(abs_sum[f] > 0.0);
      worst = fmax(worst, rel);
      cr_expect_lt(rel, 1e-13, "%s, %s: |sum V ydot| / sum |V ydot| = %.3e (sum %.3e of %.3e)",
                   geom_name(geometry), chs_field_names[f], rel, sum[f], abs_sum[f]);
    }
    for (size_t c = 0; c < g->nlocal; c++)
      for (int f = CHS_ND; f < CHS_NF; f++) cr_assert_eq(ydot[c * CHS_NF + f], 0.0);
  }
  fprintf(stderr, "conservation, operator, %s %dx%dx%d, random u and D: max |sum V ydot| / sum |V ydot| = %.2e "
          "(bound 1e-13)\n", geom_name(geometry), g->gn[0], g->gn[1], g->gn[2], worst);
  free(ug);
  free(D);
  free(ydot);
  unmake(&s);
}

Test(conservation, operator_axisymmetric) { operator_conserves(CHS_GEOM_AXISYMMETRIC, 40, 1, 16); }
Test(conservation, operator_cartesian2d) { operator_conserves(CHS_GEOM_CARTESIAN2D, 40, 1, 16); }
Test(conservation, operator_cartesian3d) { operator_conserves(CHS_GEOM_CARTESIAN3D, 14, 11, 9); }

/* ------------------------------------------------------------------ 2. transport-only ODE */

typedef struct {
  const chs_grid *g;
  const chs_par *par;
  const chs_transport *tp;
  chs_model *model; /* if set: coefficients from the state via chs_model_load_state */
  double *ug, *D;   /* fixed D when model == NULL */
  double *lo, *hi; /* per owned cell, moving field and axis: couplings (preconditioner) */
  double gamma;
} ode_ctx;

static void copy_owned(const chs_grid *g, const double *y, double *ug)
{
  for (int k = 0; k < g->ln[2]; k++)
    for (int j = 0; j < g->ln[1]; j++)
      memcpy(ug + chs_grid_ghosted(g, 0, j, k) * CHS_NF, y + chs_grid_owned(g, 0, j, k) * CHS_NF,
             sizeof(double) * CHS_NF * (size_t)g->ln[0]);
}

static void transport_rhs(double t, const double *y, double *ydot, void *vctx)
{
  ode_ctx *x = vctx;
  const chs_grid *g = x->g;
  long n = (long)(g->nlocal * CHS_NF) + (x->model ? x->model->npool_local : 0);
  memset(ydot, 0, sizeof(double) * (size_t)n); /* matrix fields and pools: frozen */
  if (x->model) {
    chs_model_load_state(x->model, y);
    chs_transport_apply(x->tp, g, x->model->ug, x->model->D, ydot);
  } else {
    copy_owned(g, y, x->ug);
    chs_transport_apply(x->tp, g, x->ug, x->D, ydot);
  }
}

static void line_coefficients(ode_ctx *x, const double *D);

static int transport_psetup(double t, const double *y, double gamma, void *vctx)
{
  ode_ctx *x = vctx;
  x->gamma = gamma;
  if (x->model) {
    chs_model_load_state(x->model, y);
    line_coefficients(x, x->model->D);
  }
  return 0;
}

/* Preconditioner: P = (I - gamma J_z)(I - gamma J_y)(I - gamma J_x), J_a the part of the
 * transport Jacobian along axis a (couplings lo, hi to the neighbours along a, diagonal
 * -(lo + hi); boundaries are closed here), each factor solved exactly line by line (ADI).
 * Every J_a conserves mass by itself (V_i hi_i = V_{i+1} lo_{i+1}: the face is shared), so
 * V^T P = V^T: the Krylov space of the left-preconditioned GMRES then never leaves the
 * zero-mass subspace, the Newton corrections carry no mass, and the mass is kept to
 * round-off. (A preconditioner that lumps the lateral diagonal into the column blocks,
 * like chs_transport_linearize's diag, breaks V^T P = V^T: it damps the neutral mass mode
 * by ~1/(gamma D/dx^2) so the GMRES test no longer sees it; with it the oxygen mass
 * (D = 130 mm^2/day) drifted by up to ~rtol per step, within the tolerance bound but far
 * from round-off.) The coefficients repeat chs_transport_apply's face formulas; a mismatch
 * would only slow GMRES down, never change the answer. */
static void line_coefficients(ode_ctx *x, const double *D)
{
  const chs_grid *g = x->g;
  const long sx = 1, sy = g->gd[0], sz = (long)g->gd[0] * g->gd[1];
  const int ylo = g->lo[1] == 0, yhi = g->lo[1] + g->ln[1] == g->gn[1];
  for (int k = 0; k < g->ln[2]; k++)
    for (int j = 0; j < g->ln[1]; j++)
      for (int i = 0; i < g->ln[0]; i++) {
        const long c = (long)chs_grid_ghosted(g, i, j, k);
        const size_t o = chs_grid_owned(g, i, j, k);
        const int has_ym = g->cy > 0.0 && !(ylo && j == 0), has_yp = g->cy > 0.0 && !(yhi && j == g->ln[1] - 1);
        for (int f = 0; f < CHS_ND; f++) {
          double d = D[c * CHS_ND + f];
          double *lo = x->lo + (o * CHS_ND + f) * 3, *hi = x->hi + (o * CHS_ND + f) * 3;
          lo[0] = g->cxm[i] > 0.0 ? g->cxm[i] * chs_harmonic(d, D[(c - sx) * CHS_ND + f]) : 0.0;
          hi[0] = g->cxp[i] > 0.0 ? g->cxp[i] * chs_harmonic(d, D[(c + sx) * CHS_ND + f]) : 0.0;
          lo[1] = has_ym ? g->cy * chs_harmonic(d, D[(c - sy) * CHS_ND + f]) : 0.0;
          hi[1] = has_yp ? g->cy * chs_harmonic(d, D[(c + sy) * CHS_ND + f]) : 0.0;
          lo[2] = k > 0 ? g->cz * chs_harmonic(d, D[(c - sz) * CHS_ND + f]) : 0.0;
          hi[2] = k < g->ln[2] - 1 ? g->cz * chs_harmonic(d, D[(c + sz) * CHS_ND + f]) : 0.0;
        }
      }
}

static void transport_psolve(const double *r, double *z, void *vctx)
{
  const ode_ctx *x = vctx;
  const chs_grid *g = x->g;
  long n = (long)(g->nlocal * CHS_NF) + (x->model ? x->model->npool_local : 0);
  const size_t stride[3] = {1, (size_t)g->ln[0], (size_t)g->ln[0] * (size_t)g->ln[1]};
  double cp[1024], dp[1024];
  memcpy(z, r, sizeof(double) * (size_t)n);
  for (int a = 2; a >= 0; a--) {
    const int len = g->ln[a];
    if (len < 2) continue;
    cr_assert(len <= 1024);
    const int b = (a + 1) % 3, e = (a + 2) % 3;
    for (int ie = 0; ie < g->ln[e]; ie++)
      for (int ib = 0; ib < g->ln[b]; ib++) {
        const size_t start = (size_t)ib * stride[b] + (size_t)ie * stride[e];
        for (int f = 0; f < CHS_ND; f++) {
          for (int m = 0; m < len; m++) {
            const size_t o = start + (size_t)m * stride[a];
            const double lo = x->lo[(o * CHS_ND + f) * 3 + a], hi = x->hi[(o * CHS_ND + f) * 3 + a];
            const double sub = -x->gamma * lo, sup = -x->gamma * hi, d = 1.0 + x->gamma * (lo + hi);
            const double den = m ? d - sub * cp[m - 1] : d;
            cp[m] = sup / den;
            dp[m] = (z[o * CHS_NF + f] - (m ? sub * dp[m - 1] : 0.0)) / den;
          }
          for (int m = len - 1; m >= 0; m--) {
            if (m < len - 1) dp[m] -= cp[m] * dp[m + 1];
            z[(start + (size_t)m * stride[a]) * CHS_NF + f] = dp[m];
          }
        }
      }
  }
}

/* Mass per moving field, and the tolerance-weighted norm sqrt(N sum (V w)^2) per field. */
static void masses(const chs_grid *g, const double *y, const double *atol, double rtol,
                   double M[CHS_NF], double W[CHS_NF], double A[CHS_NF])
{
  double w2[CHS_NF] = {0};
  for (int f = 0; f < CHS_NF; f++) M[f] = A[f] = 0.0;
  for (int k = 0; k < g->ln[2]; k++)
    for (int j = 0; j < g->ln[1]; j++)
      for (int i = 0; i < g->ln[0]; i++) {
        size_t c = chs_grid_owned(g, i, j, k);
        for (int f = 0; f < CHS_NF; f++) {
          double u = y[c * CHS_NF + f], vw = g->vol[i] * (rtol * fabs(u) + atol[c * CHS_NF + f]);
          M[f] += g->vol[i] * u;
          A[f] += g->vol[i] * fabs(u);
          w2[f] += vw * vw;
        }
      }
  for (int f = 0; f < CHS_NF; f++) W[f] = sqrt((double)g->nlocal * w2[f]);
}

/* Integrates the transport-only ODE from y0 to t_end and checks every field's mass
 * against the bound above; returns the final state (caller frees). */
static double *integrate_and_check(const char *what, ode_ctx *x, long n, const double *y0,
                                   const double *atol, double rtol, double t_end, double max_step,
                                   long *steps)
{
  const chs_grid *g = x->g;
  chs_ode ode = {
      .nlocal = n,
      .comm = chs_par_comm(x->par),
      .ctx = x,
      .rhs = transport_rhs,
      .psetup = transport_psetup,
      .psolve = transport_psolve,
      /* atol[] is per cell and field, then per pool (the same in every cell) */
      .period = CHS_NF,
      .nrest = (int)(n - (long)g->nlocal * CHS_NF),
      .atol_period = atol,
      .atol_rest = atol + g->nlocal * CHS_NF,
      .rtol = rtol,
      .max_order = 5,
      .linear_tolerance = 1e-3,
      .krylov_dim = 30,
      .max_steps = 1000000,
      .max_step = max_step,
  };
  double *y = malloc(sizeof(double) * (size_t)n); /* the integrator works in it */
  cr_assert(y);
  memcpy(y, y0, sizeof(double) * (size_t)n);
  chs_integrator *it = NULL;
  chs_error_clear();
  cr_assert_eq(chs_integrator_create(&ode, 0.0, y, &it), CHS_OK, "%s", chs_error_message());
  cr_assert_eq(chs_integrator_advance(it, t_end), CHS_OK, "%s", chs_error_message());
  cr_assert_eq(chs_integrator_state(it), y);
  chs_solver_stats st;
  chs_integrator_stats(it, &st);
  *steps = st.steps;
  chs_integrator_destroy(&it);

  double M0[CHS_NF], M1[CHS_NF], W0[CHS_NF], W1[CHS_NF], A0[CHS_NF], A1[CHS_NF];
  masses(g, y0, atol, rtol, M0, W0, A0);
  masses(g, y, atol, rtol, M1, W1, A1);
  fprintf(stderr, "conservation, transport-only CVODE (rtol %.0e), %s: %ld steps to t = %g day "
          "(%ld rhs, %ld Newton, %ld GMRES iterations; failures: %ld error test, %ld Newton, %ld GMRES; "
          "last step %.3g day)\n", rtol, what, st.steps, t_end, st.rhs_evals, st.newton_iters, st.krylov_iters,
          st.error_test_fails, st.newton_fails, st.krylov_fails, st.last_step);
  for (int f = 0; f < CHS_NF; f++) {
    double drift = fabs(M1[f] - M0[f]);
    double tol_bound = (double)st.steps * fmax(W0[f], W1[f]);
    double round_bound = ROUNDOFF_FACTOR * DBL_EPSILON * (double)st.steps * fmax(A0[f], A1[f]);
    if (f < CHS_ND) {
      fprintf(stderr, "  %-14s mass %.9e  relative drift %.2e  (round-off bound %.1e; tolerance bound %.1e)\n",
              chs_field_names[f], M0[f], drift / fabs(M0[f]), round_bound / fabs(M0[f]),
              tol_bound / fabs(M0[f]));
      cr_expect_leq(drift, round_bound,
                    "%s, %s: mass drift %.3e exceeds the round-off bound %.3e (mass %.9e; the tolerance "
                    "bound would be %.3e)", what, chs_field_names[f], drift, round_bound, M0[f], tol_bound);
    } else
      cr_expect_eq(M1[f], M0[f], "%s: the immobile %s changed under pure transport", what,
                   chs_field_names[f]);
  }
  return y;
}

static void integration_conserves(int geometry, int nx, int ny, int nz)
{
  setup_t s;
  make(&s, geometry, nx, ny, nz, "none");
  const chs_grid *g = s.grid;
  size_t nl = g->nlocal, n = nl * CHS_NF;
  ode_ctx x = {.g = g, .par = s.par, .tp = &s.tp};
  x.ug = malloc(sizeof(double) * g->nghost * CHS_NF);
  x.D = malloc(sizeof(double) * g->nghost * CHS_ND);
  x.lo = malloc(sizeof(double) * nl * CHS_ND * 3);
  x.hi = malloc(sizeof(double) * nl * CHS_ND * 3);
  double *y0 = malloc(sizeof(double) * n), *atol = malloc(sizeof(double) * n);
  cr_assert(x.ug && x.D && x.lo && x.hi && y0 && atol);
  random_fields(g, x.ug, x.D); /* D fixed for the run; u0 random */
  for (int k = 0; k < g->ln[2]; k++)
    for (int j = 0; j < g->ln[1]; j++)
      for (int i = 0; i < g->ln[0]; i++) {
        size_t c = chs_grid_owned(g, i, j, k), gc = chs_grid_ghosted(g, i, j, k);
        for (int f = 0; f < CHS_NF; f++) {
          y0[c * CHS_NF + f] = x.ug[gc * CHS_NF + f];
          atol[c * CHS_NF + f] = 1e-10;
        }
      }
  line_coefficients(&x, x.D);
  char what[128];
  snprintf(what, sizeof what, "%s %dx%dx%d, random u0 and D", geom_name(geometry), g->gn[0], g->gn[1], g->gn[2]);
  long steps;
  double *y = integrate_and_check(what, &x, (long)n, y0, atol, 1e-8, 1.0, 0.1, &steps);
  /* Not vacuous: every moving field has been redistributed (sum V |u1 - u0| / sum V u0). */
  for (int f = 0; f < CHS_ND; f++) {
    double ch = 0.0, tot = 0.0;
    for (int k = 0; k < g->ln[2]; k++)
      for (int j = 0; j < g->ln[1]; j++)
        for (int i = 0; i < g->ln[0]; i++) {
          size_t c = chs_grid_owned(g, i, j, k);
          ch += g->vol[i] * fabs(y[c * CHS_NF + f] - y0[c * CHS_NF + f]);
          tot += g->vol[i] * y0[c * CHS_NF + f];
        }
    cr_expect_gt(ch / tot, 0.05, "%s did not evolve (relative L1 change %.3g): the test would be vacuous",
                 chs_field_names[f], ch / tot);
  }
  free(y);
  free(y0);
  free(atol);
  free(x.ug);
  free(x.D);
  free(x.lo);
  free(x.hi);
  unmake(&s);
}

Test(conservation, integration_axisymmetric) { integration_conserves(CHS_GEOM_AXISYMMETRIC, 24, 1, 12); }
Test(conservation, integration_cartesian2d) { integration_conserves(CHS_GEOM_CARTESIAN2D, 24, 1, 12); }
Test(conservation, integration_cartesian3d) { integration_conserves(CHS_GEOM_CARTESIAN3D, 10, 8, 8); }

/* ------------------------------------------------------------------ 3. cells, lesion */

/* A cylinder lesion (default config: R = 5 mm, full thickness, in a 10 mm radius): the
 * model's own transport path, diffusivities from the state (cells move only where the
 * collagen network is open, (1 - M)^2, and the carrier filler in the lesion). Cells are
 * random and positive everywhere; the lesion matrix is random in [0, 0.6]. */
static void cells_with_lesion(int geometry, int nx, int ny, int nz)
{
  char a[64], b[32], c[32], d[32];
  snprintf(a, sizeof a, "grid.geometry=%s", geom_name(geometry));
  snprintf(b, sizeof b, "grid.nx=%d", nx);
  snprintf(c, sizeof c, "grid.ny=%d", ny);
  snprintf(d, sizeof d, "grid.nz=%d", nz);
  const char *sets[] = {a, b, c, d, "grid.length=10", "lesion.shape=cylinder", NULL};
  chs_test_config(&g_cfg, "configs/default.ini", sets);
  int gcells[3] = {nx, geometry == CHS_GEOM_CARTESIAN3D ? ny : 1, nz};
  chs_par *par = NULL;
  chs_grid *g = NULL;
  chs_model *m = NULL;
  chs_error_clear();
  cr_assert_eq(chs_par_create(NULL, geometry == CHS_GEOM_CARTESIAN3D ? 2 : 1, gcells, &par), CHS_OK, "%s",
               chs_error_message());
  cr_assert_eq(chs_grid_create(&g_cfg, par, &g), CHS_OK, "%s", chs_error_message());
  cr_assert_eq(chs_grid_mark_lesion(g, &g_cfg, par), CHS_OK, "%s", chs_error_message());
  /* The native state needs the surface and bone supply; the transport-only test then
   * closes both boundaries (h = 0: no flux for every field). */
  cr_assert_eq(chs_model_create(&g_cfg, g, par, &m), CHS_OK, "%s", chs_error_message());
  m->tp.h_top = 0.0;
  m->tp.h_bone = 0.0;
  m->tp.P_b = 0.0;

  long n = chs_model_state_length(m);
  size_t nl = g->nlocal;
  double *y0 = malloc(sizeof(double) * (size_t)n), *atol = malloc(sizeof(double) * (size_t)n);
  cr_assert(y0 && atol);
  chs_model_initial_state(m, y0);
  double c0 = m->rates.c0;
  for (int k = 0; k < g->ln[2]; k++)
    for (int j = 0; j < g->ln[1]; j++)
      for (int i = 0; i < g->ln[0]; i++) {
        size_t o = chs_grid_owned(g, i, j, k);
        double *u = y0 + o * CHS_NF;
        u[CHS_F_MSC] = c0 * lrand(1e-2, 5.0);
        u[CHS_F_CHONDROCYTE] = c0 * lrand(1e-2, 2.0);
        u[CHS_F_REPAIR] = c0 * lrand(1e-2, 1.0);
        u[CHS_F_DONOR] = c0 * lrand(1e-2, 1.0);
        if (g->lesion[o]) {
          u[CHS_F_COLLAGEN2] = 0.4 * urand();
          u[CHS_F_FIBROUS] = 0.2 * urand();
          u[CHS_F_PROTEOGLYCAN] = urand();
        }
        /* Uniform solutes: they stay put (the random-D tests above cover their transport),
         * so the year-long integration follows the slow cells only. */
        u[CHS_F_GROWTH_FACTOR] = 0.2;
        u[CHS_F_CYTOKINE] = 1.0;
        u[CHS_F_OXYGEN] = 0.05;
      }
  for (size_t o = 0; o < nl; o++)
    for (int f = 0; f < CHS_NF; f++)
      atol[o * CHS_NF + f] = 1e-10 * (chs_field_kind[f] == CHS_KIND_CELL ? c0 : chs_field_scale[f]);
  for (long q = (long)(nl * CHS_NF); q < n; q++) atol[q] = 1e-10 * fmax(1.0, fabs(y0[q]));

  ode_ctx x = {.g = g, .par = par, .tp = &m->tp, .model = m};
  x.lo = malloc(sizeof(double) * nl * CHS_ND * 3);
  x.hi = malloc(sizeof(double) * nl * CHS_ND * 3);
  cr_assert(x.lo && x.hi);
  char what[160];
  snprintf(what, sizeof what, "%s %dx%dx%d with a cylinder lesion (%.3g mm^3), model coefficients",
           geom_name(geometry), g->gn[0], g->gn[1], g->gn[2], g->lesion_volume);
  const double t_end = 365.0;
  const double rtol = 1e-8;
  long steps;
  double *y = integrate_and_check(what, &x, n, y0, atol, rtol, t_end, 30.0, &steps);

  /* All cells together (MSCs and the three chondrocyte kinds; bound: the sum of the fields'
   * bounds), and the cells really moved. */
  double cells0, cells1, moved = 0.0, M0[CHS_NF], M1[CHS_NF], W0[CHS_NF], W1[CHS_NF], A0[CHS_NF], A1[CHS_NF];
  masses(g, y0, atol, rtol, M0, W0, A0);
  masses(g, y, atol, rtol, M1, W1, A1);
  cells0 = cells1 = 0.0;
  double bound = 0.0;
  for (int f = 0; f < CHS_NF; f++)
    if (chs_field_kind[f] == CHS_KIND_CELL) {
      cells0 += M0[f];
      cells1 += M1[f];
      bound += ROUNDOFF_FACTOR * DBL_EPSILON * (double)steps * fmax(A0[f], A1[f]);
    }
  for (size_t o = 0; o < nl; o++)
    moved = fmax(moved, fabs(y[o * CHS_NF + CHS_F_MSC] - y0[o * CHS_NF + CHS_F_MSC]) / y0[o * CHS_NF + CHS_F_MSC]);
  double rel = fabs(cells1 - cells0) / cells0;
  fprintf(stderr, "  all cells: %.9e -> %.9e cells (V-weighted), relative change %.2e (bound %.2e); "
          "largest local MSC change %.0f %%\n", cells0, cells1, rel, bound / cells0, 100.0 * moved);
  cr_expect_leq(fabs(cells1 - cells0), bound, "cells (MSCs + chondrocytes) not conserved: relative change %.3e", rel);
  cr_expect_gt(moved, 0.05, "the cells did not move (largest local change %.3g): the test would be vacuous",
               moved);
  free(y);
  free(y0);
  free(atol);
  free(x.lo);
  free(x.hi);
  chs_test_model_free(&par, &g, &m);
}

Test(conservation, cells_lesion_axisymmetric) { cells_with_lesion(CHS_GEOM_AXISYMMETRIC, 40, 1, 12); }
Test(conservation, cells_lesion_cartesian3d) { cells_with_lesion(CHS_GEOM_CARTESIAN3D, 16, 16, 8); }

/* ------------------------------------------------------------------ 4. joint fluid, 5. ledger */

/* Runs the real engine (chs_simulation_run) on a coarse grid with `sets`; returns the
 * path of the result file (static buffer) and the run's step count. */
static const char *engine_run(const char *const *sets, char *dir, size_t dirlen, long *steps)
{
  snprintf(dir, dirlen, "/tmp/chs_conservation_XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  chs_test_config(&g_cfg, "configs/default.ini", sets);
  static char h5[2 * CHS_PATH_MAX + 512]; /* run_dir + name: room for both */
  *steps = chs_test_run(&g_cfg, dir, "test_conservation", h5, sizeof h5).stats.steps;
  return h5;
}

static double *read_metric(const char *h5, int metric, long *n)
{
  char name[160];
  snprintf(name, sizeof name, "/metrics/%s", chs_metric_name(metric));
  double *v = NULL;
  cr_assert_eq(chs_h5_read_doubles(h5, name, &v, n), CHS_OK, "%s", chs_error_message());
  return v;
}

static void remove_dir(const char *dir)
{
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

/* The conservative joint fluid: with every growth-factor reaction switched off (no decay,
 * no uptake by cells, no chondrocyte or latent-store production, no clearance from the
 * fluid, no therapy) and a uniform initial tissue value, growth factor only moves between
 * tissue and fluid. The fluid takes what the whole joint surface A_joint releases. In intact
 * tissue and in diffuse OA every simulated column stands for the same share of A_joint,
 * A_joint / (simulated surface area), so
 *   Q = V_sf G + (A_joint / surface_area) * integral of g over the simulated tissue
 * is constant. (With a focal lesion the lesion's columns stand for the real lesion area and
 * the others for the rest of the joint, so growth factor diffusing sideways between the two
 * changes Q: there the exchange is area-weighted, not an exact invariant; docs/model.md §3.8.) CVODE keeps a linear invariant only up to its Newton residual: the drift
 * must be at the solver-tolerance level (|Q - Q0| <= 10 rtol Q0 at every accepted step; a
 * missing factor in the exchange would show as an O(1) drift) and it must shrink with rtol. */
static double fluid_drift(const char *shape, const char *rtol, double *fluid_share, long *steps_out)
{
  char rt[64], sh[64];
  snprintf(sh, sizeof sh, "lesion.shape=%s", shape);
  snprintf(rt, sizeof rt, "solver.rtol=%s", rtol);
  const char *sets[] = {"run.name=fluid", "grid.nx=20", "grid.nz=8", "run.end_time=60", "output.times=0 60",
                        "therapy.route=none", "growth_factor.lambda=0", "growth_factor.u_g=0",
                        "growth_factor.sigma_c=0", "joint.G_clearance=0", "mechanisms.latent_gf=false",
                        "init.growth_factor=2", rt, sh, NULL};
  char dir[256];
  long steps = 0;
  const char *h5 = engine_run(sets, dir, sizeof dir, &steps);
  /* surface area and fluid volume of the same configuration, from the model itself */
  chs_par *par = NULL;
  chs_grid *g = NULL;
  chs_model *m = NULL;
  chs_test_model(&g_cfg, 1, &par, &g, &m);
  const double S = m->surface_area, V = m->joint.V_sf_mm3, A = m->joint.A_joint;
  cr_assert(S > 0 && V > 0 && A > 0 && m->joint.exchange);
  cr_expect_eq(m->joint.k_clrG, 0.0);
  long n1, n2;
  double *G = read_metric(h5, CHS_M_POOL0 + CHS_P_G, &n1);
  double *T = read_metric(h5, CHS_M_TOTAL0 + CHS_F_GROWTH_FACTOR, &n2);
  cr_assert(n1 == n2 && n1 >= 2);
  double Q0 = V * G[0] + A / S * T[0], drift = 0.0;
  for (long k = 0; k < n1; k++) drift = fmax(drift, fabs(V * G[k] + A / S * T[k] - Q0));
  *fluid_share = V * G[n1 - 1] / Q0;
  fprintf(stderr, "joint fluid, %s lesion, rtol %s: Q = V_sf G + A_joint/S int g = %.9e (S = %.4g mm^2, V_sf = %.4g mm^3, "
          "A_joint = %.4g mm^2); fluid G %.4g -> %.4g ng/mL (fluid share %.3f); max |Q - Q0| / Q0 = %.2e over %ld "
          "rows, %ld steps\n", shape, rtol, Q0, S, V, A, G[0], G[n1 - 1], *fluid_share, drift / Q0, n1, steps);
  free(G);
  free(T);
  chs_test_model_free(&par, &g, &m);
  remove_dir(dir);
  *steps_out = steps;
  return drift / Q0;
}

static void fluid_case(const char *shape)
{
  double share_a, share_b;
  long steps_a, steps_b;
  double da = fluid_drift(shape, "1e-5", &share_a, &steps_a);
  double db = fluid_drift(shape, "1e-8", &share_b, &steps_b);
  cr_expect_gt(share_a, 0.01, "%s: the fluid took up only %.3g of the growth factor: the test would be vacuous", shape,
               share_a);
  cr_expect_leq(da, 10 * 1e-5, "%s, rtol 1e-5: relative drift %.3g above 10 x rtol (%ld steps)", shape, da, steps_a);
  cr_expect_leq(db, 10 * 1e-8, "%s, rtol 1e-8: relative drift %.3g above 10 x rtol (%ld steps)", shape, db, steps_b);
  cr_expect(db < da || db < 1e-12, "%s: the drift does not shrink with rtol (%.3g at 1e-5, %.3g at 1e-8)", shape, da,
            db);
}

Test(conservation, joint_fluid_growth_factor, .timeout = 900)
{
  fluid_case("none");
  fluid_case("diffuse");
}

/* The cell ledger closes: injected = everything accounted for (tissue, fluid, synovium,
 * bone, marrow reservoir, cleared, died, differentiated - proliferated, lost at delivery),
 * for every route and both donor kinds. ledger_residual = (injected - accounted)/injected
 * is integrated like any other unknown, so it must stay at the integrator's tolerance
 * level: |residual| <= 10 x solver.rtol at every accepted step (printed). */
static void ledger_case_with(const char *route, const char *source, const char *x1, const char *x2)
{
  char r[64], s[64];
  snprintf(r, sizeof r, "therapy.route=%s", route);
  snprintf(s, sizeof s, "therapy.source=%s", source);
  const char *sets[] = {"run.name=ledger", "grid.nx=20", "grid.nz=8", "run.end_time=120", "output.times=0 120",
                        "therapy.dose=1e7", "therapy.day=0", r, s, x1, x2, NULL};
  char dir[256];
  long steps = 0;
  const char *h5 = engine_run(sets, dir, sizeof dir, &steps);
  long n, ni;
  double *res = read_metric(h5, CHS_M_LEDGER_RESIDUAL, &n);
  double *inj = read_metric(h5, CHS_M_CELLS_INJECTED, &ni);
  double *ret = read_metric(h5, CHS_M_RETAINED_JOINT, &ni);
  double worst = 0.0;
  for (long k = 0; k < n; k++) {
    cr_assert(isfinite(res[k]));
    worst = fmax(worst, fabs(res[k]));
  }
  fprintf(stderr, "ledger, %s %s [%s] (%s): injected %.4g cells, retained_joint at day 120 %.3g, max |ledger_residual| "
          "= %.2e over %ld steps (rtol %g)\n", route, source, g_cfg.therapy_components, g_cfg.source_allogeneic ? "allogeneic" : "autologous",
          inj[ni - 1], ret[ni - 1], worst, steps, g_cfg.solver_rtol);
  cr_expect_gt(inj[ni - 1], 0.0, "%s %s: nothing injected", route, source);
  cr_expect_leq(worst, 10.0 * g_cfg.solver_rtol, "%s %s: ledger residual %.3g above 10 x rtol", route, source, worst);
  free(res);
  free(inj);
  free(ret);
  remove_dir(dir);
}

static void ledger_case(const char *route, const char *source) { ledger_case_with(route, source, NULL, NULL); }

Test(conservation, ledger_intra_articular, .timeout = 900)
{
  ledger_case("intra_articular", "bone_marrow");
  ledger_case("intra_articular", "umbilical_cord");
}
Test(conservation, ledger_intralesional, .timeout = 900)
{
  ledger_case("intralesional", "adipose");
  ledger_case("intralesional", "umbilical_cord");
  /* co-implantation: the MSC share is booked, the chondrocytes are not MSCs */
  ledger_case_with("intralesional", "umbilical_cord", "therapy.components=msc chondrocyte",
                   "therapy.fractions=0.5 0.5");
}
Test(conservation, ledger_subchondral, .timeout = 900)
{
  ledger_case("subchondral", "bone_marrow");
  ledger_case("subchondral", "umbilical_cord");
}

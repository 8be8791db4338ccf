/* The native-tissue column (the quiet-joint invariant): chs_native_solve must return the
 * discrete steady state of an intact column in a quiet joint. The test recomputes the
 * full right-hand side (all CHS_NF reaction rates with the returned c_max and the native
 * collagen as the repair reference, plus the z diffusion and the surface/bone exchange
 * written out here from transport.h) and asks every field to be still; then checks the
 * profiles' physics. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/native.h"
#include "support/test_support.h"

enum { S = CHS_F_MSC, C = CHS_F_CHONDROCYTE, CR = CHS_F_REPAIR, CD = CHS_F_DONOR,
       G = CHS_F_GROWTH_FACTOR, I = CHS_F_CYTOKINE, N = CHS_F_OXYGEN, P = CHS_F_PROTEOGLYCAN,
       K = CHS_F_COLLAGEN2, F = CHS_F_FIBROUS, L = CHS_F_LATENT };

static chs_config g_cfg;
static chs_rates g_r;
static chs_transport g_tp;

/* Solves the native column of the configuration `sets` with nz cells (0: grid.nz). */
static double g_fluid_G; /* growth factor of the synovial fluid during the solve */

static chs_status solve(const char *const *sets, int nz, chs_native *nat)
{
  chs_test_config(&g_cfg, "configs/default.ini", sets);
  chs_rates_from_config(&g_cfg, false, &g_r);
  chs_transport_from_config(&g_cfg, &g_tp);
  g_tp.fluid[G] = g_fluid_G;
  if (nz <= 0) nz = g_cfg.grid_nz;
  chs_error_clear();
  return chs_native_solve(&g_r, &g_tp, nz, g_cfg.tissue_thickness / nz,
                          g_cfg.patient_quiet_inflammation, nat);
}

/* Diffusivity of field f in a cell with state u (docs/model.md, written out here). */
static double diffusivity(const double *u, int f)
{
  const chs_config *q = &g_cfg;
  double M = fmin(1.0, fmax(0.0, u[K] + u[F]));
  switch (f) {
  case S: return q->msc_D * (1 - M) * (1 - M);
  case C:
  case CR:
  case CD: return q->chondrocyte_D * (1 - M) * (1 - M);
  case G: return q->growth_factor_D_free + (q->growth_factor_D_tissue - q->growth_factor_D_free) * M;
  case I: return q->cytokine_D_free + (q->cytokine_D_tissue - q->cytokine_D_free) * M;
  case N: return q->oxygen_D;
  }
  return 0.0;
}

static double harmonic(double a, double b) { return a + b > 0 ? 2 * a * b / (a + b) : 0.0; }

/* Film (1/h) in series with the half cell (dz/2D), per unit area, divided by dz. */
static double exchange(double h, double D, double dz)
{
  return (h > 0 && D > 0) ? 1.0 / (1.0 / h + 0.5 * dz / D) / dz : 0.0;
}

/* d/dt of every field at every depth; the worst |d/dt| / scale per field goes to worst[]. */
static void full_rhs(const chs_native *nat, double dz, double worst[CHS_NF], int where[CHS_NF])
{
  const chs_config *q = &g_cfg;
  /* fluid values at the surface in the quiet joint */
  const double U[CHS_NF] = {[G] = g_fluid_G, [I] = q->patient_quiet_inflammation, [N] = q->oxygen_n_sf};
  double scale[CHS_NF];
  for (int f = 0; f < CHS_NF; f++)
    scale[f] = chs_field_kind[f] == CHS_KIND_CELL ? q->tissue_c0 : chs_field_scale[f];
  scale[G] = q->growth_factor_K_g;
  scale[N] = q->oxygen_n_sf;
  for (int f = 0; f < CHS_NF; f++) worst[f] = 0.0, where[f] = -1;
  const int nz = nat->nz;
  for (int k = 0; k < nz; k++) {
    const double *u = nat->state + k * CHS_NF;
    double R[CHS_NF];
    chs_cell_env env = {.c_max = nat->c_max[k], .k_nat = u[K]};
    chs_react(&g_r, &env, u, R);
    for (int f = 0; f < CHS_NF; f++) {
      double rhs = R[f];
      if (f < CHS_ND) {
        double D = diffusivity(u, f);
        if (k > 0) rhs += harmonic(D, diffusivity(u - CHS_NF, f)) * (u[f - CHS_NF] - u[f]) / (dz * dz);
        if (k < nz - 1)
          rhs += harmonic(D, diffusivity(u + CHS_NF, f)) * (u[f + CHS_NF] - u[f]) / (dz * dz);
        if (k == 0 && f >= G) /* solutes exchange with the synovial fluid */
          rhs += exchange(q->joint_h_m, D, dz) * (q->joint_partition * U[f] - u[f]);
        if (k == nz - 1 && f == N) /* oxygen exchanges with the bone */
          rhs += exchange(q->oxygen_h_bone, D, dz) * (q->oxygen_n_bone - u[f]);
        if (k == nz - 1 && f == I) /* cytokine through the calcified layer (no BML: 0) */
          rhs += exchange(g_tp.P_b, D, dz) * (0.0 - u[f]);
      }
      double e = fabs(rhs) / scale[f];
      if (e > worst[f]) worst[f] = e, where[f] = k;
    }
  }
}

Test(native, default_column_is_a_steady_state)
{
  chs_native nat;
  chs_status st = solve(NULL, 0, &nat);
  cr_assert_eq(st, CHS_OK, "native solve: %s", chs_error_message());
  cr_assert_eq(nat.nz, g_cfg.grid_nz);
  cr_expect_lt(nat.residual, 1e-10, "reported residual %g", nat.residual);
  cr_expect(nat.residual >= 0 && isfinite(nat.residual));

  /* cells: no MSCs, chondrocytes at c0; matrix: no fibrous collagen */
  for (int k = 0; k < nat.nz; k++) {
    const double *u = nat.state + k * CHS_NF;
    cr_expect_eq(u[S], 0.0, "msc at depth %d", k);
    cr_expect_eq(u[C], g_cfg.tissue_c0, "chondrocyte at depth %d", k);
    cr_expect_eq(u[F], 0.0, "fibrous at depth %d", k);
    cr_expect_eq(u[CR], 0.0, "repair chondrocytes at depth %d", k);
    cr_expect_eq(u[CD], 0.0, "donor chondrocytes at depth %d", k);
    /* the latent store at its balance with native cells */
    cr_expect(fabs(u[L] - g_cfg.latent_native) <= 1e-12 * g_cfg.latent_native, "latent[%d] = %g, want %g",
              k, u[L], g_cfg.latent_native);
    /* death > 0, so the capacity lies above c0 */
    cr_expect(nat.c_max[k] > g_cfg.tissue_c0 && isfinite(nat.c_max[k]), "c_max[%d] = %g", k,
              nat.c_max[k]);
  }

  /* every field still: reactions with c_max[k] + diffusion + boundary exchange */
  double worst[CHS_NF];
  int where[CHS_NF];
  full_rhs(&nat, g_cfg.tissue_thickness / nat.nz, worst, where);
  for (int f = 0; f < CHS_NF; f++) {
    fprintf(stderr, "[native] max |d%s/dt| / scale = %.3g (depth cell %d)\n", chs_field_names[f],
            worst[f], where[f]);
    cr_expect_lt(worst[f], 1e-10, "%s is not steady: |d/dt| / scale = %g at depth cell %d",
                 chs_field_names[f], worst[f], where[f]);
  }
  chs_native_free(&nat);
}

/* The chondrocyte rate at c = c0 vanishes with the returned c_max, and only there: a
 * slightly denser tissue shrinks, a sparser one grows (c0 is a stable equilibrium). */
Test(native, c0_is_a_stable_chondrocyte_equilibrium)
{
  chs_native nat;
  cr_assert_eq(solve(NULL, 0, &nat), CHS_OK, "%s", chs_error_message());
  for (int k = 0; k < nat.nz; k++) {
    double u[CHS_NF], R[CHS_NF];
    memcpy(u, nat.state + k * CHS_NF, sizeof u);
    chs_cell_env env = {.c_max = nat.c_max[k], .k_nat = u[K]};
    chs_react(&g_r, &env, u, R);
    double death = g_r.delta_c * (1 + g_r.a_c * u[I]) * u[C]; /* the size of the balance */
    cr_expect(fabs(R[C]) <= 1e-12 * death, "R_c at c0, depth %d: %g (death %g)", k, R[C], death);
    u[C] = 1.01 * g_cfg.tissue_c0;
    chs_react(&g_r, &env, u, R);
    cr_expect_lt(R[C], 0.0, "denser than c0 grows at depth %d", k);
    u[C] = 0.99 * g_cfg.tissue_c0;
    chs_react(&g_r, &env, u, R);
    cr_expect_gt(R[C], 0.0, "sparser than c0 shrinks at depth %d", k);
  }
  chs_native_free(&nat);
}

/* The profiles the physics implies (depth index k = 0 at the surface):
 *  - oxygen: fed from the fluid (n_sf) at the top and the bone (n_bone < n_sf) at the
 *    bottom, consumed everywhere: D n'' = consumption > 0, so the profile is convex; with
 *    the default numbers the consumption is too weak to dip below the bone value, so it
 *    falls strictly from the surface to the bone and stays inside (n_bone, n_sf);
 *  - cytokine: enters only at the surface (quiet level) and decays: strictly decreasing
 *    with depth, within (0, i_quiet];
 *  - growth factor: made by the chondrocytes and released from the latent store, lost to
 *    the fluid (G = 0 there in this test): rises with depth, positive, below the no-loss
 *    balance (sigma_c c0 + basal release k_a0 L) / lambda_g;
 *  - matrix: proteoglycan and collagen II in (0, 1]. */
Test(native, profiles_follow_the_physics)
{
  chs_native nat;
  cr_assert_eq(solve(NULL, 0, &nat), CHS_OK, "%s", chs_error_message());
  const chs_config *q = &g_cfg;
  const int nz = nat.nz;
  for (int k = 0; k < nz; k++) {
    const double *u = nat.state + k * CHS_NF;
    cr_expect(u[N] > q->oxygen_n_bone && u[N] < q->oxygen_n_sf, "oxygen[%d] = %g outside (%g, %g)",
              k, u[N], q->oxygen_n_bone, q->oxygen_n_sf);
    cr_expect(u[I] > 0 && u[I] <= q->joint_partition * q->patient_quiet_inflammation, "cytokine[%d] = %g", k, u[I]);
    cr_expect(u[G] > 0 && u[G] < (q->growth_factor_sigma_c * q->tissue_c0 + g_r.k_a0 * u[L]) /
                                       q->growth_factor_lambda,
              "growth factor[%d] = %g", k, u[G]);
    cr_expect(u[P] > 0 && u[P] <= 1, "proteoglycan[%d] = %g", k, u[P]);
    cr_expect(u[K] > 0 && u[K] <= 1, "collagen2[%d] = %g", k, u[K]);
    if (k > 0) {
      const double *a = u - CHS_NF;
      cr_expect_lt(u[N], a[N], "oxygen must fall with depth at %d", k);
      cr_expect_lt(u[I], a[I], "cytokine must fall with depth at %d", k);
      cr_expect_gt(u[G], a[G], "growth factor must rise with depth at %d", k);
    }
    if (k > 0 && k < nz - 1) {
      double second = u[N - CHS_NF] - 2 * u[N] + u[N + CHS_NF];
      cr_expect_gt(second, 0.0, "oxygen must be convex at %d (second difference %g)", k, second);
    }
  }
  /* deep tissue, shielded from the fluid's cytokine, holds more matrix than the surface */
  cr_expect_gt(nat.state[(nz - 1) * CHS_NF + P], nat.state[P], "proteoglycan deep vs surface");
  fprintf(stderr, "[native] oxygen %.4f (surface) .. %.4f (bone side) mM; p %.3f .. %.3f; k %.4f .. %.4f\n",
          nat.state[N], nat.state[(nz - 1) * CHS_NF + N], nat.state[P],
          nat.state[(nz - 1) * CHS_NF + P], nat.state[K], nat.state[(nz - 1) * CHS_NF + K]);
  chs_native_free(&nat);
}

/* The steady state is the discrete one of whatever grid the run uses: a coarse odd grid
 * and an inflamed fluid (which only changes the run, not the quiet native state) too. */
Test(native, steady_on_other_grids)
{
  const int grids[] = {3, 7, 60};
  for (int m = 0; m < 3; m++) {
    chs_native nat;
    cr_assert_eq(solve((const char *[]){"patient.inflammation=5", NULL}, grids[m], &nat), CHS_OK,
                 "nz = %d: %s", grids[m], chs_error_message());
    cr_expect_lt(nat.residual, 1e-10, "nz = %d: residual %g", grids[m], nat.residual);
    double worst[CHS_NF];
    int where[CHS_NF];
    full_rhs(&nat, g_cfg.tissue_thickness / grids[m], worst, where);
    for (int f = 0; f < CHS_NF; f++)
      cr_expect_lt(worst[f], 1e-10, "nz = %d: %s not steady (%g at cell %d)", grids[m],
                   chs_field_names[f], worst[f], where[f]);
    chs_native_free(&nat);
  }
}

/* Chondrocytes that die faster than they can divide have no native state: the error
 * says so and names the knob. */
Test(native, cells_that_cannot_persist_are_a_config_error)
{
  chs_native nat;
  chs_status st = solve((const char *[]){"chondrocyte.delta=50", NULL}, 0, &nat);
  cr_assert_eq(st, CHS_ERR_CONFIG, "got %s", chs_status_name(st));
  const char *m = chs_error_message();
  cr_expect(strstr(m, "chondrocyte.r_c") != NULL, "message: %s", m);
  cr_expect(strstr(m, "cannot persist") != NULL, "message: %s", m);
  chs_native_free(&nat); /* safe after a failure */
}

/* In a run the fluid holds the growth factor the intact surface sustains (model.c); the
 * column must be steady against that boundary value too, at several ages. */
Test(native, steady_with_fluid_growth_factor_and_ages)
{
  const char *ages[] = {"patient.age=25", "patient.age=60", "patient.age=80"};
  for (int a = 0; a < 3; a++) {
    chs_native nat;
    g_fluid_G = 0.05;
    cr_assert_eq(solve((const char *[]){ages[a], NULL}, 0, &nat), CHS_OK, "%s: %s", ages[a], chs_error_message());
    double worst[CHS_NF];
    int where[CHS_NF];
    full_rhs(&nat, g_cfg.tissue_thickness / nat.nz, worst, where);
    for (int f = 0; f < CHS_NF; f++)
      cr_expect_lt(worst[f], 1e-10, "%s, fluid G 0.05: %s not steady (%g at cell %d)", ages[a],
                   chs_field_names[f], worst[f], where[f]);
    g_fluid_G = 0.0;
    chs_native_free(&nat);
  }
}

/* Pointwise reactions (docs/model.md §3), checked through properties that could fail:
 *  - at the native state the rates of the immobile fields and of the cells vanish
 *    (the solutes are balanced by transport instead, tested in test_native.c);
 *  - chs_react_jacobian (a one-sided difference quotient, a preconditioner ingredient)
 *    agrees with a centred difference of chs_react to within the one-sided quotient's own
 *    truncation error (step x local curvature) plus round-off;
 *  - chs_react_jv (the exact directional derivative) agrees with centred differences of
 *    chs_react_and_flows along random directions, is flat where the activation is
 *    clipped and is linear in the direction;
 *  - positivity: a field at 0 with the others nonnegative never gets a negative rate;
 *  - the immune term clears allogeneic MSCs and donor chondrocytes, nothing else;
 *  - each mechanism switch removes its term; the catabolic switch is Hill with exponent
 *    matrix.n_deg (Michaelis-Menten when switched off);
 *  - the age factor and the cell source's multipliers. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/native.h"
#include "model/reactions.h"
#include "model/transport.h"
#include "support/test_support.h"

enum { S = CHS_F_MSC, C = CHS_F_CHONDROCYTE, CR = CHS_F_REPAIR, CD = CHS_F_DONOR,
       G = CHS_F_GROWTH_FACTOR, I = CHS_F_CYTOKINE, N = CHS_F_OXYGEN, P = CHS_F_PROTEOGLYCAN,
       K = CHS_F_COLLAGEN2, F = CHS_F_FIBROUS, L = CHS_F_LATENT };

static chs_config g_cfg;

static void rates_for(chs_rates *r, bool allogeneic, const char *const *sets)
{
  chs_test_config(&g_cfg, "configs/default.ini", sets);
  chs_rates_from_config(&g_cfg, allogeneic, r);
}

/* Deterministic uniform numbers in [0, 1) (a 64-bit LCG: the same samples every run). */
static double uniform(unsigned long long *s)
{
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(*s >> 11) / 9007199254740992.0;
}

/* ------------------------------------------------------------ native state */

/* The native column of the default configuration: at every depth, with the environment
 * the model gives intact tissue (c_max and native collagen of that depth, no injury, no
 * immune response), cells, matrix and latent store are at rest by themselves. */
Test(reactions, native_state_rates_vanish)
{
  const char *const cases[][3] = {{NULL}, {"patient.age=60", NULL}, {"patient.age=80", NULL}};
  for (int m = 0; m < 3; m++) {
    chs_rates r;
    rates_for(&r, false, cases[m]);
    chs_transport tp;
    chs_transport_from_config(&g_cfg, &tp);
    chs_native nat;
    cr_assert_eq(chs_native_solve(&r, &tp, g_cfg.grid_nz, g_cfg.tissue_thickness / g_cfg.grid_nz,
                                  g_cfg.patient_quiet_inflammation, &nat),
                 CHS_OK, "%s", chs_error_message());
    double worst[CHS_NF] = {0};
    for (int k = 0; k < nat.nz; k++) {
      const double *u = nat.state + k * CHS_NF;
      chs_cell_env e = {.c_max = nat.c_max[k], .k_nat = u[K], .k_inj = 0.0, .Z = 0.0};
      double R[CHS_NF];
      chs_react(&r, &e, u, R);
      cr_expect_eq(u[S], 0.0);
      cr_expect_eq(u[CR], 0.0);
      cr_expect_eq(u[CD], 0.0);
      /* the size each balance is made of: the loss term of that field */
      const double size[CHS_NF] = {
          [S] = 1.0, [CR] = 1.0, [CD] = 1.0,
          [C] = r.delta_c * (1.0 + r.a_c * u[I]) * u[C],
          [P] = (r.k_p0 + r.k_pi) * u[P], [K] = (r.k_k0 + r.k_ki) * u[K], [F] = 1.0,
          [L] = r.k_a0 * u[L] + 1e-300};
      for (int f = 0; f < CHS_NF; f++) {
        if (chs_field_kind[f] == CHS_KIND_SOLUTE) continue; /* balanced by transport */
        double e_rel = fabs(R[f]) / size[f];
        worst[f] = fmax(worst[f], e_rel);
        cr_expect(e_rel <= 1e-12, "age case %d, depth %d: R_%s = %g (size %g)", m, k,
                  chs_field_names[f], R[f], size[f]);
      }
    }
    for (int f = 0; f < CHS_NF; f++)
      if (chs_field_kind[f] != CHS_KIND_SOLUTE)
        fprintf(stderr, "[native rates, case %d] max |R_%s| / its loss term = %.3g\n", m,
                chs_field_names[f], worst[f]);
    cr_expect_gt(r.k_a0, 0.0, "the default has a latent store: the check above is not vacuous");
    chs_native_free(&nat);
  }
}

/* ------------------------------------------------------------ Jacobian */

typedef struct {
  const char *name;
  double u[CHS_NF]; /* s, c, cr, cd, g, i, n, p, k, f, l */
  chs_cell_env e;
} state;

/* States away from the model's deliberate kinks (the repair activation is clipped where
 * collagen equals native, |x| in the saturations at 0), where a one-sided and a centred
 * quotient legitimately differ: a repair lesion around the MSC threshold s*, a fibrous
 * repair, an inflamed OA matrix with an immune response, a hypoxic crowded lesion, an
 * injured rim releasing the latent store, and integrator undershoots below zero. */
static const state g_states[] = {
    {"repair, s < s*", {1.7e4, 800, 900, 0, 1.8, 1.0, 0.045, 0.05, 0.02, 0.03, 2.0},
     {12000, 0.95, 0, 0}},
    {"repair, s ~ s*", {2e4, 800, 900, 300, 1.8, 1.0, 0.045, 0.05, 0.02, 0.03, 2.0},
     {12000, 0.95, 0, 0.3}},
    {"repair, s > s*", {2.3e4, 800, 900, 300, 1.8, 1.0, 0.045, 0.05, 0.02, 0.03, 2.0},
     {12000, 0.95, 0, 0.7}},
    {"fibrous repair", {3000, 2500, 1200, 400, 0.4, 0.6, 0.035, 0.3, 0.15, 0.55, 4.0},
     {11000, 0.9, 0, 1.0}},
    {"inflamed OA", {800, 6000, 1500, 0, 0.1, 1.5, 0.03, 0.4, 0.7, 0.1, 8.0},
     {10500, 0.93, 0, 0.2}},
    {"hypoxic crowded", {6e4, 4000, 2000, 1000, 1.0, 0.8, 0.004, 0.2, 0.3, 0.2, 3.0},
     {12000, 0.95, 0, 0.5}},
    {"injured rim", {500, 7000, 2000, 0, 0.3, 0.5, 0.05, 0.7, 0.8, 0.0, 15.0},
     {12000, 0.95, 0.4, 0}},
    {"undershoot", {-0.5, 9000, -0.2, -0.1, -1e-4, -1e-3, -1e-4, -1e-3, 0.9, -1e-3, -1e-3},
     {12000, 0.95, 0, 0}},
};
#define NSTATES ((int)(sizeof g_states / sizeof g_states[0]))

/* The step chs_react_jacobian takes in field b (reactions.c): sqrt(eps)-sized. */
static double jac_step(const double *u, int b)
{
  double du = 1.5e-8 * fmax(fabs(u[b]), 1e-3 * chs_field_scale[b]);
  volatile double v = u[b] + du;
  return v - u[b];
}

/* Per entry: a centred quotient with step h = eps^(1/3) x size (truncation ~ h^2 |R'''|,
 * round-off ~ eps |R| / h, both ~1e-11 relative) is the reference. The one-sided quotient
 * with step du differs from the derivative by du/2 |R''| (truncation) plus 2 x (the
 * round-off noise of chs_react near u) / du. R'' is estimated from centred and forward
 * second differences with step h; the noise is measured, not guessed: chs_react along
 * u_b + j du/4 (j = 0..8) is a straight line up to round-off, so the largest second
 * difference of those samples bounds the noise (it is at least the noise of one
 * evaluation; cancellations inside the model, e.g. 1 + tanh far below s*, show there).
 * The noise is floored by eps x (|R| + the size of its terms, sum_b |J_ab u_b|). The
 * tolerance is twice the truncation bound (R'' may vary within the step) plus the
 * round-off bounds of both quotients. */
static void check_jacobian(const chs_rates *r, const state *st, double *worst_ratio,
                           double *worst_rel, const char **where)
{
  double J[CHS_NF * CHS_NF], R0[CHS_NF], Jc[CHS_NF * CHS_NF], d2[CHS_NF * CHS_NF];
  double noise[CHS_NF * CHS_NF], hstep[CHS_NF], dustep[CHS_NF];
  chs_react_jacobian(r, &st->e, st->u, J);
  chs_react(r, &st->e, st->u, R0);
  for (int b = 0; b < CHS_NF; b++) {
    double up[CHS_NF], dn[CHS_NF], up2[CHS_NF], Rp[CHS_NF], Rm[CHS_NF], Rp2[CHS_NF];
    double h = 6e-6 * fmax(fabs(st->u[b]), 1e-3 * chs_field_scale[b]);
    memcpy(up, st->u, sizeof up);
    memcpy(dn, st->u, sizeof dn);
    memcpy(up2, st->u, sizeof up2);
    up[b] += h;
    dn[b] -= h;
    up2[b] += 2 * h;
    chs_react(r, &st->e, up, Rp);
    chs_react(r, &st->e, dn, Rm);
    chs_react(r, &st->e, up2, Rp2);
    double du = jac_step(st->u, b);
    hstep[b] = h;
    dustep[b] = du;
    double line[9][CHS_NF];
    for (int j = 0; j < 9; j++) {
      double v[CHS_NF];
      memcpy(v, st->u, sizeof v);
      v[b] += j * du / 4;
      chs_react(r, &st->e, v, line[j]);
    }
    for (int a = 0; a < CHS_NF; a++) {
      Jc[a * CHS_NF + b] = (Rp[a] - Rm[a]) / ((up[b] - st->u[b]) + (st->u[b] - dn[b]));
      d2[a * CHS_NF + b] = fmax(fabs(Rp[a] - 2 * R0[a] + Rm[a]), fabs(Rp2[a] - 2 * Rp[a] + R0[a])) / (h * h);
      double nz = 0;
      for (int j = 1; j < 8; j++) nz = fmax(nz, fabs(line[j + 1][a] - 2 * line[j][a] + line[j - 1][a]));
      noise[a * CHS_NF + b] = nz;
    }
  }
  for (int a = 0; a < CHS_NF; a++) {
    double terms = fabs(R0[a]);
    for (int b = 0; b < CHS_NF; b++) terms += fabs(Jc[a * CHS_NF + b] * st->u[b]);
    for (int b = 0; b < CHS_NF; b++) {
      double Jab = J[a * CHS_NF + b], fd = Jc[a * CHS_NF + b];
      double nz = fmax(noise[a * CHS_NF + b], 2 * DBL_EPSILON * terms);
      double tol = 2.0 * (0.5 * dustep[b] * d2[a * CHS_NF + b]) + 2 * nz / dustep[b] + 2 * nz / hstep[b] +
                   1e-13 * fabs(fd);
      double err = fabs(Jab - fd);
      cr_expect(err <= tol, "%s: dR_%s/d%s one-sided %.12g vs centred %.12g (tolerance %.3g)",
                st->name, chs_field_names[a], chs_field_names[b], Jab, fd, tol);
      if (tol > 0 && err / tol > *worst_ratio) *worst_ratio = err / tol, *where = st->name;
      if (fabs(fd) > 100 * tol) *worst_rel = fmax(*worst_rel, err / fabs(fd)); /* entries above the noise */
    }
  }
}

static void jacobian_cases(bool allogeneic, const char *const *sets, const char *label)
{
  chs_rates r;
  rates_for(&r, allogeneic, sets);
  double ratio = 0, rel = 0;
  const char *where = "";
  for (int k = 0; k < NSTATES; k++) check_jacobian(&r, &g_states[k], &ratio, &rel, &where);
  fprintf(stderr, "[jacobian %s] worst error / tolerance %.3g (%s); worst relative error of entries above 100 x tolerance %.3g\n",
          label, ratio, where, rel);
}

Test(reactions, jacobian_matches_centred_differences)
{
  jacobian_cases(false, NULL, "default, autologous");
}

/* Aged host, allogeneic cells, a non-integer Hill exponent (the pow() path), a mechanical
 * multiplier: A != A_d, immune clearance on, so no factor can hide behind a 1. */
Test(reactions, jacobian_matches_centred_differences_aged_allogeneic)
{
  jacobian_cases(true, (const char *[]){"patient.age=62", "matrix.n_deg=2.5", "patient.mech=1.5", NULL},
                 "aged allogeneic");
}

/* The differentiation switch is sharp (width eps): a fine sweep across s*. */
Test(reactions, jacobian_across_the_differentiation_threshold)
{
  chs_rates r;
  rates_for(&r, false, NULL);
  double ratio = 0, rel = 0;
  const char *where = "";
  for (int j = -20; j <= 20; j++) {
    state st = g_states[1];
    st.u[S] = r.s_star + j * 0.15 * r.eps;
    st.name = "threshold sweep";
    check_jacobian(&r, &st, &ratio, &rel, &where);
  }
  fprintf(stderr, "[jacobian threshold sweep] worst error / tolerance %.3g\n", ratio);
}

/* A broken Jacobian (one entry off by 1 %) must fail the same measure: the tolerance is
 * not so wide that it would accept anything. */
Test(reactions, jacobian_check_detects_a_one_percent_error)
{
  chs_rates r;
  rates_for(&r, false, NULL);
  const state *st = &g_states[4];
  double J[CHS_NF * CHS_NF];
  chs_react_jacobian(&r, &st->e, st->u, J);
  int detected = 0, nonzero = 0;
  for (int a = 0; a < CHS_NF; a++)
    for (int b = 0; b < CHS_NF; b++) {
      double Jab = J[a * CHS_NF + b];
      if (fabs(Jab) < 1e-12) continue;
      nonzero++;
      double up[CHS_NF], dn[CHS_NF], Rp[CHS_NF], Rm[CHS_NF];
      double h = 6e-6 * fmax(fabs(st->u[b]), 1e-3 * chs_field_scale[b]);
      memcpy(up, st->u, sizeof up);
      memcpy(dn, st->u, sizeof dn);
      up[b] += h;
      dn[b] -= h;
      chs_react(&r, &st->e, up, Rp);
      chs_react(&r, &st->e, dn, Rm);
      double fd = (Rp[a] - Rm[a]) / (up[b] - dn[b]);
      if (fabs(1.01 * Jab - fd) > 1e-4 * fabs(fd)) detected++;
    }
  cr_expect_gt(nonzero, 30, "only %d nonzero entries", nonzero);
  cr_expect_eq(detected, nonzero, "a 1 %% error went unnoticed in %d of %d entries",
               nonzero - detected, nonzero);
}

/* ------------------------------------------------------------ positivity */

/* Random nonnegative states (matrix fractions with collagen2 + fibrous <= 1), every field
 * set to 0 in turn: its rate is >= 0, exactly, so the exact solution cannot leave the
 * nonnegative cone. Autologous and allogeneic, with injury and immune response. */
Test(reactions, zero_field_never_decreases)
{
  for (int allo = 0; allo <= 1; allo++) {
    chs_rates r;
    rates_for(&r, allo, NULL);
    unsigned long long seed = 12345 + (unsigned long long)allo;
    int checked = 0;
    for (int n = 0; n < 4000; n++) {
      double u[CHS_NF];
      u[S] = 8e4 * uniform(&seed);
      u[C] = 1.5e4 * uniform(&seed);
      u[CR] = 1e4 * uniform(&seed);
      u[CD] = 5e3 * uniform(&seed);
      u[G] = 5 * uniform(&seed);
      u[I] = 8 * uniform(&seed);
      u[N] = 0.1 * uniform(&seed);
      u[P] = uniform(&seed);
      u[K] = uniform(&seed);
      u[F] = (1 - u[K]) * uniform(&seed);
      u[L] = 30 * uniform(&seed);
      chs_cell_env e = {.c_max = 9000 + 6000 * uniform(&seed), .k_nat = 0.8 + 0.2 * uniform(&seed),
                        .k_inj = (n % 3 == 0) ? uniform(&seed) : 0.0, .Z = uniform(&seed)};
      for (int f = 0; f < CHS_NF; f++) {
        double v[CHS_NF], R[CHS_NF];
        memcpy(v, u, sizeof v);
        v[f] = 0.0;
        chs_react(&r, &e, v, R);
        cr_expect(R[f] >= 0.0, "%s: %s = 0 gets rate %g (sample %d)", allo ? "allogeneic" : "autologous",
                  chs_field_names[f], R[f], n);
        checked++;
      }
    }
    cr_expect_eq(checked, 4000 * CHS_NF);
  }
}

/* ------------------------------------------------------------ immune clearance */

/* R(Z = 1) - R(Z = 0): -delta_X s in the MSC rate only if the MSCs are allogeneic,
 * -delta_D cd in the donor chondrocytes always (they come from a donor), every other
 * rate unchanged to the bit. */
Test(reactions, immune_clears_allogeneic_msc_and_donor_chondrocytes_only)
{
  const double u[CHS_NF] = {2e4, 6000, 1500, 800, 0.8, 0.7, 0.04, 0.4, 0.5, 0.2, 5.0};
  for (int allo = 0; allo <= 1; allo++) {
    chs_rates r;
    rates_for(&r, allo, NULL);
    cr_assert_gt(g_cfg.immune_delta_imm, 0.0);
    chs_cell_env e0 = {12000, 0.95, 0.0, 0.0}, e1 = e0;
    e1.Z = 1.0;
    double R0[CHS_NF], R1[CHS_NF];
    chs_react(&r, &e0, u, R0);
    chs_react(&r, &e1, u, R1);
    double want_s = allo ? -g_cfg.immune_delta_imm * u[S] : 0.0;
    double want_d = -g_cfg.immune_delta_imm * (1.0 + g_cfg.immune_chi_d) * u[CD];
    cr_expect(fabs((R1[S] - R0[S]) - want_s) <= 1e-12 * (fabs(R0[S]) + fabs(want_s) + 1),
              "%s: MSC change %g, want %g", allo ? "allogeneic" : "autologous", R1[S] - R0[S], want_s);
    cr_expect(fabs((R1[CD] - R0[CD]) - want_d) <= 1e-12 * (fabs(R0[CD]) + fabs(want_d)),
              "donor chondrocyte change %g, want %g", R1[CD] - R0[CD], want_d);
    cr_expect_lt(want_d, 0.0);
    for (int f = 0; f < CHS_NF; f++)
      if (f != S && f != CD)
        cr_expect_eq(R1[f], R0[f], "%s: the immune response changed R_%s (%g -> %g)",
                     allo ? "allogeneic" : "autologous", chs_field_names[f], R0[f], R1[f]);
  }
}

/* ------------------------------------------------------------ mechanism switches */

Test(reactions, immune_switch_removes_clearance)
{
  const double u[CHS_NF] = {2e4, 6000, 1500, 800, 0.8, 0.7, 0.04, 0.4, 0.5, 0.2, 5.0};
  chs_rates r;
  rates_for(&r, true, (const char *[]){"mechanisms.immune=false", NULL});
  cr_expect_eq(r.delta_X, 0.0);
  cr_expect_eq(r.delta_D, 0.0);
  chs_cell_env e0 = {12000, 0.95, 0.0, 0.0}, e1 = e0;
  e1.Z = 1.0;
  double R0[CHS_NF], R1[CHS_NF];
  chs_react(&r, &e0, u, R0);
  chs_react(&r, &e1, u, R1);
  for (int f = 0; f < CHS_NF; f++)
    cr_expect_eq(R1[f], R0[f], "immune off: Z changed R_%s", chs_field_names[f]);
}

/* Latent store off: no store production, no release into the growth factor (the model
 * also sets the injury release to 0 then, model.c). */
Test(reactions, latent_switch_removes_the_store)
{
  chs_rates on, off;
  rates_for(&on, false, NULL);
  rates_for(&off, false, (const char *[]){"mechanisms.latent_gf=false", NULL});
  double u[CHS_NF] = {3000, 7000, 1500, 0, 0.5, 0.4, 0.05, 0.7, 0.8, 0.05, 12.0};
  chs_cell_env e = {12000, 0.95, 0.0, 0.0};
  double Ron[CHS_NF], Roff[CHS_NF], Rnol[CHS_NF];
  chs_react(&on, &e, u, Ron);
  chs_react(&off, &e, u, Roff);
  cr_expect_eq(Roff[L], 0.0, "latent off: R_latent = %g", Roff[L]);
  cr_expect_neq(Ron[L], 0.0, "latent on: the store must move at this state");
  u[L] = 0.0;
  chs_react(&off, &e, u, Rnol);
  cr_expect_eq(Roff[G], Rnol[G], "latent off: the store still feeds the growth factor");
  for (int f = 0; f < CHS_NF; f++)
    if (f != L && f != G) cr_expect_eq(Roff[f], Ron[f], "latent switch changed R_%s", chs_field_names[f]);
}

/* Trophic off: MSCs no longer raise repair-cell growth or synthesis; the matrix rates do
 * not depend on s at all then (with on, they do). */
Test(reactions, trophic_switch_removes_the_boost)
{
  chs_rates on, off;
  rates_for(&on, false, NULL);
  rates_for(&off, false, (const char *[]){"mechanisms.trophic=false", NULL});
  cr_assert_gt(on.beta_T, 0.0);
  cr_expect_eq(off.beta_T, 0.0);
  double u[CHS_NF] = {5000, 3000, 2000, 500, 0.6, 0.5, 0.05, 0.3, 0.3, 0.1, 3.0}, v[CHS_NF];
  memcpy(v, u, sizeof v);
  v[S] = 0.0;
  chs_cell_env e = {12000, 0.95, 0.0, 0.0};
  double Ru_on[CHS_NF], Rv_on[CHS_NF], Ru_off[CHS_NF], Rv_off[CHS_NF];
  chs_react(&on, &e, u, Ru_on);
  chs_react(&on, &e, v, Rv_on);
  chs_react(&off, &e, u, Ru_off);
  chs_react(&off, &e, v, Rv_off);
  cr_expect_eq(Ru_off[P], Rv_off[P], "trophic off: proteoglycan depends on s");
  cr_expect_eq(Ru_off[K], Rv_off[K], "trophic off: collagen II depends on s");
  cr_expect_gt(Ru_on[P], Rv_on[P], "trophic on: MSCs must raise proteoglycan synthesis");
  cr_expect_gt(Ru_on[K], Rv_on[K], "trophic on: MSCs must raise collagen II synthesis");
}

/* Chondrocyte kinetics off: mature cells hold still, repair/donor cells only receive
 * differentiating MSCs. */
Test(reactions, chondrocyte_kinetics_switch_freezes_chondrocytes)
{
  chs_rates on, off;
  for (int allo = 0; allo <= 1; allo++) {
    rates_for(&on, allo, NULL);
    rates_for(&off, allo, (const char *[]){"mechanisms.chondrocyte_kinetics=false", NULL});
    double u[CHS_NF] = {2e4, 6000, 1500, 800, 1.2, 0.7, 0.04, 0.4, 0.5, 0.2, 5.0};
    chs_cell_env e = {12000, 0.95, 0.0, 0.0};
    double R[CHS_NF], Ron[CHS_NF], p, d, x;
    chs_react(&off, &e, u, R);
    chs_react(&on, &e, u, Ron);
    chs_react_msc_flows(&off, &e, u, &p, &d, &x);
    cr_expect_gt(d, 0.0);
    cr_expect_eq(R[C], 0.0, "kinetics off: R_chondrocyte = %g", R[C]);
    cr_expect_eq(R[CR], allo ? 0.0 : d, "kinetics off: R_repair = %g, differentiation %g", R[CR], d);
    cr_expect_eq(R[CD], allo ? d : 0.0, "kinetics off: R_donor = %g, differentiation %g", R[CD], d);
    cr_expect_neq(Ron[C], 0.0, "kinetics on: the mature cells must move at this state");
    /* immune clearance of donor chondrocytes is the immune switch's, not the kinetics' */
    chs_cell_env ez = e;
    ez.Z = 1.0;
    double Rz[CHS_NF];
    chs_react(&off, &ez, u, Rz);
    double want = -g_cfg.immune_delta_imm * (1.0 + g_cfg.immune_chi_d) * u[CD];
    cr_expect(fabs((Rz[CD] - R[CD]) - want) <= 1e-12 * fabs(want),
              "kinetics off: immune clearance of donor chondrocytes %g, want %g", Rz[CD] - R[CD], want);
  }
}

/* The catabolic switch, read back from the proteoglycan rate with no synthesising cells:
 * R_p = -(k_p0 + mech k_pi D(i)) p, so D(i) = (-R_p / p - k_p0) / (mech k_pi). It must be
 * i^n / (K^n + i^n) with n = matrix.n_deg (the default, a non-integer exponent through
 * the pow() path) and n = 1 with the switch off. */
Test(reactions, catabolic_switch_is_hill_with_n_deg)
{
  const char *const *cases[] = {(const char *[]){"patient.mech=1.7", NULL},
                                (const char *[]){"matrix.n_deg=2.5", NULL},
                                (const char *[]){"matrix.n_deg=2.5", "mechanisms.catabolic_switch=false", NULL}};
  for (int m = 0; m < 3; m++) {
    chs_rates r;
    rates_for(&r, false, cases[m]);
    const double n = m == 2 ? 1.0 : g_cfg.matrix_n_deg, K = g_cfg.matrix_K_deg;
    cr_expect_eq(r.n_deg, n);
    if (m == 1) cr_expect_eq(n, 2.5);
    double worst = 0;
    for (int j = 0; j <= 40; j++) {
      double i = K * pow(10.0, -1.5 + 3.0 * j / 40.0); /* K/30 .. 30 K */
      double u[CHS_NF] = {0, 0, 0, 0, 0.5, i, 0.05, 0.6, 0.6, 0.1, 0.0};
      chs_cell_env e = {12000, 0.6, 0.0, 0.0}; /* no repair activation (k + f > k_nat) */
      double R[CHS_NF];
      chs_react(&r, &e, u, R);
      double D = (-R[P] / u[P] - g_cfg.matrix_k_p0) / (g_cfg.patient_mech * g_cfg.matrix_k_pi);
      double want = pow(i, n) / (pow(K, n) + pow(i, n));
      worst = fmax(worst, fabs(D - want));
      cr_expect(fabs(D - want) <= 1e-12, "case %d, i = %g: D = %.15g, Hill(n = %g) = %.15g", m, i, D, n, want);
    }
    fprintf(stderr, "[catabolic switch, case %d] n = %g: max |D - Hill| = %.3g\n", m, n, worst);
  }
  /* the steepness is real: the default switch is steeper than Michaelis-Menten */
  chs_rates r;
  rates_for(&r, false, NULL);
  cr_expect_gt(r.n_deg, 1.0, "default matrix.n_deg = %g", r.n_deg);
}

/* ------------------------------------------------------------ age and sources */

Test(reactions, age_factor)
{
  cr_expect_eq(chs_age_factor(0, 0.6), 1.0);
  cr_expect_eq(chs_age_factor(30, 0.6), 1.0);
  cr_expect(fabs(chs_age_factor(80, 0.6) - 0.6) < 1e-15);
  cr_expect(fabs(chs_age_factor(55, 0.6) - 0.8) < 1e-15, "halfway: %g", chs_age_factor(55, 0.6));
  cr_expect(fabs(chs_age_factor(40, 0.6) - 0.92) < 1e-15, "40 y: %g", chs_age_factor(40, 0.6));
  cr_expect(fabs(chs_age_factor(100, 0.6) - 0.6) < 1e-15, "A_80 beyond 80 y");
  cr_expect(fabs(chs_age_factor(30.001, 0.6) - 1.0) < 1e-4);
  cr_expect(fabs(chs_age_factor(79.999, 0.6) - 0.6) < 1e-4);
}

static void expect_close(const char *what, const char *src, double got, double want)
{
  cr_expect(fabs(got - want) <= 1e-14 * fabs(want), "%s (%s): %.17g, want %.17g", what, src, got, want);
}

/* Each source's multipliers (as loaded from models/sources/) reach the rates, except the
 * culture expansion r_s, which v2 deliberately does not apply in vivo; allogeneic cells
 * carry no host age penalty. */
Test(reactions, source_multipliers_and_donor_age)
{
  const char *sources[] = {"bone_marrow", "adipose", "umbilical_cord", "synovial"};
  for (int m = 0; m < 4; m++) {
    char set[64];
    snprintf(set, sizeof set, "therapy.source=%s", sources[m]);
    for (int allo = 0; allo <= 1; allo++) {
      chs_rates r;
      rates_for(&r, allo, (const char *[]){set, "patient.age=60", NULL});
      const chs_config *q = &g_cfg;
      double A = 1.0 + (q->age_A_80 - 1.0) * 0.6;
      expect_close("A", sources[m], r.A, A);
      /* allogeneic MSCs carry the donor's age (therapy.donor_age, default 25 y: A = 1) */
      expect_close("A_d", sources[m], r.A_d, allo ? chs_age_factor(q->therapy_donor_age, q->age_A_80) : A);
      expect_close("r_s (no source multiplier)", sources[m], r.r_s, q->msc_r_s);
      expect_close("k_d", sources[m], r.k_d, q->msc_k_d * q->source_k_d);
      expect_close("psi_i", sources[m], r.psi_i, q->cytokine_psi * q->source_psi_i);
      expect_close("P_f", sources[m], r.P_f, q->matrix_P_f * q->source_P_f);
      expect_close("r_c", sources[m], r.r_c, q->chondrocyte_r_c);
      expect_close("delta_s", sources[m], r.delta_s, q->msc_delta);
      expect_close("c0", sources[m], r.c0, q->tissue_c0);
      /* bounded expansion in vivo: MSCs cannot outgrow their death rate */
      cr_expect_lt(r.r_s, r.delta_s, "%s: r_s %g >= delta %g", sources[m], r.r_s, r.delta_s);
    }
  }
}

/* Donor chondrocytes are the donor's cells: their synthesis carries the donor's age factor
 * (therapy.donor_age), not the host's. Before, c_D used the host factor A, so a 70-year-old
 * host halved the output of cells from a young donor. Allogeneic MSCs follow the same age. */
Test(reactions, donor_chondrocytes_synthesise_at_the_donors_age)
{
  double u[CHS_NF] = {0};
  u[CD] = 5000.0; /* donor chondrocytes only: no host cells, no MSCs */
  u[G] = 0.5;
  u[I] = 0.3;
  u[N] = 0.07;
  u[P] = 0.2;
  u[K] = 0.2;
  chs_cell_env e = {.c_max = 1e4, .k_nat = 0.99, .k_inj = 0.0, .Z = 0.0};
  chs_rates young_host, old_host, old_donor;
  rates_for(&young_host, true, (const char *[]){"patient.age=25", "therapy.donor_age=25", NULL});
  rates_for(&old_host, true, (const char *[]){"patient.age=70", "therapy.donor_age=25", NULL});
  rates_for(&old_donor, true, (const char *[]){"patient.age=25", "therapy.donor_age=70", NULL});
  double Ry[CHS_NF], Ro[CHS_NF], Rd[CHS_NF];
  chs_react(&young_host, &e, u, Ry);
  chs_react(&old_host, &e, u, Ro);
  chs_react(&old_donor, &e, u, Rd);
  cr_expect_lt(old_host.A, 1.0, "a 70-year-old host has A < 1 (%g)", old_host.A);
  for (int f = P; f <= K; f++) {
    cr_expect_gt(Ry[f], 0.0, "donor cells must make matrix here (field %d: %g)", f, Ry[f]);
    cr_expect_eq(Ro[f], Ry[f], "field %d: the host's age changed donor-cell synthesis (%.10g vs %.10g)", f, Ro[f],
                 Ry[f]);
    cr_expect_lt(Rd[f], Ry[f], "field %d: an old donor's cells must make less (%.10g vs %.10g)", f, Rd[f], Ry[f]);
  }
  expect_close("A_D", "donor 70 y", old_donor.A_D, chs_age_factor(70.0, g_cfg.age_A_80));
  expect_close("A_d of allogeneic MSCs", "donor 70 y", old_donor.A_d, old_donor.A_D);
}

/* The right-hand side takes the rates and the MSC ledger flows from one evaluation: the same
 * numbers, bit for bit, as chs_react and chs_react_msc_flows, and the flows add up to the
 * MSC rate (autologous and allogeneic, every test state). */
Test(reactions, rates_and_flows_from_one_evaluation)
{
  for (int allo = 0; allo < 2; allo++) {
    chs_rates r;
    rates_for(&r, allo, NULL);
    for (int k = 0; k < NSTATES; k++) {
      const state *st = &g_states[k];
      double R[CHS_NF], Rf[CHS_NF], flows[3], p, d, x;
      chs_react(&r, &st->e, st->u, R);
      chs_react_and_flows(&r, &st->e, st->u, Rf, flows);
      chs_react_msc_flows(&r, &st->e, st->u, &p, &d, &x);
      for (int f = 0; f < CHS_NF; f++)
        cr_expect(memcmp(&R[f], &Rf[f], sizeof(double)) == 0, "%s: %s differs: %.17g vs %.17g", st->name,
                  chs_field_names[f], R[f], Rf[f]);
      cr_expect(flows[0] == p && flows[1] == d && flows[2] == x, "%s: flows (%g %g %g) vs (%g %g %g)", st->name,
                flows[0], flows[1], flows[2], p, d, x);
      cr_expect(R[CHS_F_MSC] == flows[0] - flows[1] - flows[2], "%s: R_msc %.17g != %.17g", st->name,
                R[CHS_F_MSC], flows[0] - flows[1] - flows[2]);
    }
  }
}

/* ------------------------------------------------------------ exact derivative */

/* chs_react_jv (the analytic Jacobian-vector product's pointwise part) is the exact
 * derivative: each column (v = unit vector b), the immune response's (dZ) and the MSC
 * flows' against centred differences, relative to the row's size (|R_a| plus its terms
 * sum_b |dR_a/du_b| size_b). A centred difference with step h (of the entry's size) has a
 * truncation error ~h^2 (more across the sharp MSC threshold) and a round-off error
 * ~eps / h, more where a value carries its own round-off: below s*, H = (1 + tanh) / 2
 * loses digits to the cancellation, and that error over h dominates dR/ds (~1e-7 of the
 * row at h = 1e-5 in the injured-rim state); each entry takes the best of h = 1e-4, 1e-5
 * and 2e-6, and must be within 1e-8 of the row. A
 * wrong or missing term is as large as the term; the last case shows a 1e-6 error fails. */
static void jv_columns(const chs_rates *r, const state *st, double h_rel, double size[CHS_NF + 1],
                       double Jc[CHS_NF + 1][CHS_NF], double Fc[CHS_NF + 1][3])
{
  for (int b = 0; b <= CHS_NF; b++) { /* b = CHS_NF: the immune response Z */
    size[b] = b < CHS_NF ? fmax(fabs(st->u[b]), 1e-3 * chs_field_scale[b]) : 1.0;
    const double h = h_rel * size[b];
    double up[CHS_NF], dn[CHS_NF], Rp[CHS_NF], Rm[CHS_NF], fp[3], fm[3];
    chs_cell_env ep = st->e, em = st->e;
    memcpy(up, st->u, sizeof up);
    memcpy(dn, st->u, sizeof dn);
    if (b < CHS_NF) {
      up[b] += h;
      dn[b] -= h;
    } else {
      ep.Z += h;
      em.Z -= h;
    }
    chs_react_and_flows(r, &ep, up, Rp, fp);
    chs_react_and_flows(r, &em, dn, Rm, fm);
    for (int a = 0; a < CHS_NF; a++) Jc[b][a] = (Rp[a] - Rm[a]) / (2 * h);
    for (int q = 0; q < 3; q++) Fc[b][q] = (fp[q] - fm[q]) / (2 * h);
  }
}

static double jv_check(const chs_rates *r, const state *st, double perturb)
{
  double worst = 0.0;
  double size[CHS_NF + 1], Jx[CHS_NF + 1][CHS_NF], Fx[CHS_NF + 1][3];
  double Jc[3][CHS_NF + 1][CHS_NF], Fc[3][CHS_NF + 1][3];
  for (int b = 0; b <= CHS_NF; b++) {
    double v[CHS_NF] = {0}, dZ = b == CHS_NF ? 1.0 : 0.0;
    if (b < CHS_NF) v[b] = 1.0;
    chs_react_jv(r, &st->e, st->u, v, dZ, Jx[b], Fx[b]);
  }
  Jx[CHS_F_MSC][CHS_F_MSC] *= 1.0 + perturb;
  jv_columns(r, st, 1e-5, size, Jc[0], Fc[0]);
  jv_columns(r, st, 2e-6, size, Jc[1], Fc[1]);
  jv_columns(r, st, 1e-4, size, Jc[2], Fc[2]);
  double R0[CHS_NF], F0[3];
  chs_react_and_flows(r, &st->e, st->u, R0, F0);
  for (int a = 0; a < CHS_NF + 3; a++) {
    double row = a < CHS_NF ? fabs(R0[a]) : fabs(F0[a - CHS_NF]);
    for (int b = 0; b <= CHS_NF; b++) row += fabs(a < CHS_NF ? Jc[0][b][a] : Fc[0][b][a - CHS_NF]) * size[b];
    for (int b = 0; b <= CHS_NF; b++) {
      double ex = a < CHS_NF ? Jx[b][a] : Fx[b][a - CHS_NF], e = INFINITY, fd = 0.0;
      for (int s = 0; s < 3; s++) {
        double c = a < CHS_NF ? Jc[s][b][a] : Fc[s][b][a - CHS_NF];
        double es = row > 0 ? fabs(ex - c) * size[b] / row : fabs(ex - c);
        if (es < e) e = es, fd = c;
      }
      worst = fmax(worst, e);
      if (perturb == 0.0)
        cr_expect(e <= 1e-8, "%s: d%s/d%s exact %.12g, centred %.12g (%.2e of the row)", st->name,
                  a < CHS_NF ? chs_field_names[a] : (const char *[]){"prolif", "diff", "died"}[a - CHS_NF],
                  b < CHS_NF ? chs_field_names[b] : "Z", ex, fd, e);
    }
  }
  return worst;
}

Test(reactions, exact_derivative_matches_centred_differences)
{
  const char *const *cases[] = {
      NULL,
      (const char *[]){"patient.age=62", "matrix.n_deg=2.5", "patient.mech=1.5", NULL},
      (const char *[]){"mechanisms.chondrocyte_kinetics=false", NULL},
      (const char *[]){"mechanisms.catabolic_switch=false", NULL},
      (const char *[]){"mechanisms.latent_gf=false", "mechanisms.trophic=false", NULL},
  };
  double worst = 0.0;
  for (int c = 0; c < 5; c++)
    for (int allo = 0; allo < 2; allo++) {
      chs_rates r;
      rates_for(&r, allo, cases[c]);
      for (int k = 0; k < NSTATES; k++) worst = fmax(worst, jv_check(&r, &g_states[k], 0.0));
    }
  fprintf(stderr, "[exact derivative] worst error / row size %.3g (limit 1e-8)\n", worst);
  /* The measure sees an error of 1e-6 in one entry (dR_msc/ds). */
  chs_rates r;
  rates_for(&r, false, NULL);
  cr_expect_gt(jv_check(&r, &g_states[1], 1e-6), 1e-8, "a 1e-6 error in dR_msc/ds went unseen");
  /* Linear in the direction: a zero direction gives exactly zero. */
  double zero[CHS_NF] = {0}, J[CHS_NF], F[3];
  chs_react_jv(&r, &g_states[3].e, g_states[3].u, zero, 0.0, J, F);
  for (int a = 0; a < CHS_NF; a++) cr_expect_eq(J[a], 0.0);
}

/* A random cell: cells up to ~1e4 (MSCs to 4e4, across the threshold s* = 2e4), matrix
 * fractions with k + f < 0.99, growth factor and cytokine O(1), oxygen ~0.05, latent store
 * ~10; one cell in eight with MSCs and solutes undershooting zero (the |x| of the
 * saturations and of the cytokine on their negative side). Every field is at least 1e-3
 * of its scale in magnitude and lost = 1 - (k + f) / k_nat at least 1e-3 from the clip's
 * edges: a step of 1e-5 of each field crosses no kink. Half the cells are in an injured rim. */
static void random_cell(unsigned long long *seed, double u[CHS_NF], chs_cell_env *e)
{
  const double *sc = chs_field_scale;
  double lost;
  do {
    u[S] = sc[S] * (0.01 + 4.0 * uniform(seed));
    u[C] = sc[C] * (0.01 + 1.2 * uniform(seed));
    u[CR] = sc[CR] * (0.01 + 0.6 * uniform(seed));
    u[CD] = sc[CD] * (0.01 + 0.6 * uniform(seed));
    u[G] = sc[G] * (0.01 + 3.0 * uniform(seed));
    u[I] = sc[I] * (0.01 + 3.0 * uniform(seed));
    u[N] = sc[N] * (0.05 + 0.9 * uniform(seed));
    u[P] = sc[P] * (0.01 + 0.98 * uniform(seed));
    u[K] = sc[K] * (0.01 + 0.9 * uniform(seed));
    u[F] = sc[F] * (0.001 + (0.98 - u[K]) * uniform(seed));
    u[L] = sc[L] * (0.01 + 2.0 * uniform(seed));
    if (uniform(seed) < 0.125) {
      const int under[] = {S, G, I, N};
      for (int j = 0; j < 4; j++) u[under[j]] = -sc[under[j]] * (1e-3 + 1e-2 * uniform(seed));
    }
    e->c_max = 5e3 + 1e4 * uniform(seed);
    e->k_nat = 0.5 + 0.5 * uniform(seed);
    e->k_inj = uniform(seed) < 0.5 ? 0.0 : 0.5 * uniform(seed);
    e->Z = uniform(seed);
    lost = 1.0 - (u[K] + u[F]) / e->k_nat;
  } while (fabs(lost) < 1e-3 || fabs(lost - 1.0) < 1e-3);
}

/* A random direction: each field by up to its own value, either sign; dZ in (-1, 1). */
static void random_direction(unsigned long long *seed, const double u[CHS_NF], double v[CHS_NF], double *dZ)
{
  for (int b = 0; b < CHS_NF; b++) v[b] = (2.0 * uniform(seed) - 1.0) * fabs(u[b]);
  *dZ = 2.0 * uniform(seed) - 1.0;
}

/* R and the three MSC flows (one row each after the fields) at u + t v, Z + t dZ. */
static void rates_along(const chs_rates *r, const chs_cell_env *e, const double u[CHS_NF], const double v[CHS_NF],
                        double dZ, double t, double out[CHS_NF + 3])
{
  double w[CHS_NF];
  chs_cell_env et = *e;
  for (int b = 0; b < CHS_NF; b++) w[b] = u[b] + t * v[b];
  et.Z += t * dZ;
  chs_react_and_flows(r, &et, w, out, out + CHS_NF);
}

static const char *row_name(int a)
{
  return a < CHS_NF ? chs_field_names[a] : (const char *[]){"prolif", "diff", "died"}[a - CHS_NF];
}

/* The configurations the derivative must follow, each autologous and allogeneic: every
 * branch of chs_react_and_flows (kinetics, immune clearance, catabolic switch n = 4, 1 and
 * the pow() path, latent store, trophic boost) and an aged host (A, A_d, A_D apart). */
static const char *const *const jv_configs[] = {
    NULL,
    (const char *[]){"mechanisms.immune=true", NULL},
    (const char *[]){"mechanisms.immune=false", NULL},
    (const char *[]){"mechanisms.chondrocyte_kinetics=false", NULL},
    (const char *[]){"mechanisms.catabolic_switch=false", NULL},
    (const char *[]){"matrix.n_deg=2.5", "patient.age=62", "patient.mech=1.5", "therapy.donor_age=45", NULL},
    (const char *[]){"mechanisms.latent_gf=false", NULL},
    (const char *[]){"mechanisms.trophic=false", NULL},
};
#define NJV_CONFIGS ((int)(sizeof jv_configs / sizeof jv_configs[0]))

/* chs_react_jv along random directions (v, dZ) at random cells against the centred
 * difference (R(u + h v, Z + h dZ) - R(u - h v, Z - h dZ)) / 2h of chs_react_and_flows,
 * rates and flows, h = 1e-5 (every field moves by at most 1e-5 of its value).
 * Tolerance, per row a: the difference's error is truncation h^2 |R'''| / 6 plus round-off
 * ~eps |the terms of R_a| / h, both measured against the row's size |R_a| + sum_b
 * |dR_a/du_b v_b| + |dR_a/dZ dZ| (the columns by centred differences too, not by the
 * function under test): what the derivative's terms add up to without cancellation.
 * Round-off is eps / h ~ 2e-11 of it, except where R carries its own: below the MSC
 * threshold H = (1 + tanh) / 2 loses digits (H ~ 5e-5 at s = 0: relative error ~2e-12),
 * ~2e-7 of the differentiation flow over h (observed: ~5e-8 of its row). Truncation is
 * h^2 = 1e-10 times the steepest relative curvature: the MSC threshold (width
 * eps = s* / 5, s up to 2 s*: (s / eps)^3 ~ 1e3) and the collagen room's saturation
 * (K_room = 0.02 at room >= 0.02, steps up to 1e-5: ~1e-7 of that term). Limit 1e-6 of the
 * row: above both with margin, below a wrong or missing term unless that term is itself
 * below 1e-6 of its row. */
Test(reactions, directional_derivative_is_exact)
{
  const double h = 1e-5, limit = 1e-6;
  double worst = 0.0;
  int compared = 0;
  for (int m = 0; m < NJV_CONFIGS; m++)
    for (int allo = 0; allo < 2; allo++) {
      chs_rates r;
      rates_for(&r, allo, jv_configs[m]);
      unsigned long long seed = 2024 + 100 * (unsigned long long)m + (unsigned long long)allo;
      double worst_here = 0.0;
      for (int n = 0; n < 1000; n++) {
        double u[CHS_NF], v[CHS_NF], dZ, JR[CHS_NF + 3], Rp[CHS_NF + 3], Rm[CHS_NF + 3], row[CHS_NF + 3];
        chs_cell_env e;
        random_cell(&seed, u, &e);
        random_direction(&seed, u, v, &dZ);
        chs_react_jv(&r, &e, u, v, dZ, JR, JR + CHS_NF);
        rates_along(&r, &e, u, v, dZ, 0.0, row);
        for (int a = 0; a < CHS_NF + 3; a++) row[a] = fabs(row[a]);
        for (int b = 0; b <= CHS_NF; b++) { /* b = CHS_NF: the immune response */
          double vb[CHS_NF] = {0};
          if (b < CHS_NF) vb[b] = v[b];
          rates_along(&r, &e, u, vb, b == CHS_NF ? dZ : 0.0, h, Rp);
          rates_along(&r, &e, u, vb, b == CHS_NF ? dZ : 0.0, -h, Rm);
          for (int a = 0; a < CHS_NF + 3; a++) row[a] += fabs(Rp[a] - Rm[a]) / (2 * h);
        }
        rates_along(&r, &e, u, v, dZ, h, Rp);
        rates_along(&r, &e, u, v, dZ, -h, Rm);
        for (int a = 0; a < CHS_NF + 3; a++) {
          double fd = (Rp[a] - Rm[a]) / (2 * h), err = fabs(JR[a] - fd) / fmax(row[a], DBL_MIN);
          worst_here = fmax(worst_here, err);
          compared++;
          cr_expect(err <= limit, "config %d%s, cell %d: d%s exact %.12g, centred %.12g (%.2e of the row %.3g)", m,
                    allo ? " allogeneic" : "", n, row_name(a), JR[a], fd, err, row[a]);
        }
      }
      fprintf(stderr, "[directional derivative, config %d%s] worst error / row %.3g\n", m,
              allo ? " allogeneic" : "", worst_here);
      worst = fmax(worst, worst_here);
    }
  fprintf(stderr, "[directional derivative] %d comparisons, worst error / row %.3g (limit %g)\n", compared, worst,
          limit);
}

/* The activation's clip matters: where lost = 1 - (k + f) / k_nat is clipped (at 1 with
 * collagen undershooting zero or exactly at the edge, at 0 or below it) the activation
 * does not move with k or f, exactly, as the one-sided difference into the clip says;
 * inside it moves by k_act c / k_nat (and the repair cells by the opposite); without a
 * native collagen (k_nat = 0) not at all. */
Test(reactions, directional_derivative_at_the_activation_clip)
{
  chs_rates r;
  rates_for(&r, false, NULL);
  cr_assert_gt(r.k_act, 0.0);
  const struct {
    double k, f, k_nat;
    int clipped, into_clip, edge; /* into_clip: the side on which the clip holds (-1: decreasing) */
  } cases[] = {
      {-1e-3, -2e-3, 0.9, 1, -1, 0}, /* lost > 1 */
      {0.0, 0.0, 0.9, 1, -1, 1},     /* lost == 1: the clip's branch */
      {0.5, 0.25, 0.75, 1, +1, 1},   /* lost == 0 exactly */
      {0.7, 0.25, 0.75, 1, +1, 0},   /* lost < 0 */
      {0.3, 0.1, 0.9, 0, 0, 0},      /* inside */
      {0.3, 0.1, 0.0, 1, 0, 0},      /* no native collagen */
  };
  for (int m = 0; m < (int)(sizeof cases / sizeof cases[0]); m++) {
    double u[CHS_NF] = {5000, 6000, 1500, 800, 0.8, 0.7, 0.04, 0.4, cases[m].k, cases[m].f, 5.0};
    chs_cell_env e = {12000, cases[m].k_nat, 0.0, 0.3};
    for (int b = K; b <= F; b++) {
      double v[CHS_NF] = {0}, JR[CHS_NF], R0[CHS_NF], R1[CHS_NF];
      v[b] = 1.0;
      chs_react_jv(&r, &e, u, v, 0.0, JR, NULL);
      double want = cases[m].clipped ? 0.0 : r.k_act * u[C] / e.k_nat;
      cr_expect(fabs(JR[C] - want) <= 1e-14 * fabs(want), "case %d: dR_chondrocyte/d%s = %.17g, want %.17g", m,
                chs_field_names[b], JR[C], want);
      cr_expect(fabs(JR[CR] + want) <= 1e-14 * fabs(want), "case %d: dR_repair/d%s = %.17g, want %.17g", m,
                chs_field_names[b], JR[CR], -want);
      if (cases[m].into_clip) { /* one-sided difference into the clip: the rates do not move */
        chs_react(&r, &e, u, R0);
        u[b] += cases[m].into_clip * 1e-6;
        chs_react(&r, &e, u, R1);
        u[b] -= cases[m].into_clip * 1e-6;
        cr_expect(R1[C] == R0[C] && R1[CR] == R0[CR], "case %d: the clip does not hold along %s", m,
                  chs_field_names[b]);
      }
      if (cases[m].edge) { /* at an edge the other side moves: the kink is real */
        u[b] -= cases[m].into_clip * 1e-6;
        chs_react(&r, &e, u, R1);
        u[b] += cases[m].into_clip * 1e-6;
        cr_expect(R1[C] != R0[C], "case %d: no kink along %s", m, chs_field_names[b]);
      }
    }
  }
}

/* Linear in (v, dZ): a zero direction gives exactly 0 (no term lacks a derivative factor);
 * doubling the direction doubles the result to the bit (every term carries exactly one
 * derivative factor, and scaling by 2 commutes with rounding); the sum of two directions
 * gives the sum of the results to round-off (of the terms, |J| |v1| + |J| |v2| by
 * columns). Every configuration, random cells and directions. */
Test(reactions, directional_derivative_is_linear)
{
  for (int m = 0; m < NJV_CONFIGS; m++)
    for (int allo = 0; allo < 2; allo++) {
      chs_rates r;
      rates_for(&r, allo, jv_configs[m]);
      unsigned long long seed = 77 + 100 * (unsigned long long)m + (unsigned long long)allo;
      for (int n = 0; n < 300; n++) {
        double u[CHS_NF], v1[CHS_NF], v2[CHS_NF], v12[CHS_NF], w[CHS_NF], zero[CHS_NF] = {0}, dZ1, dZ2;
        double J1[CHS_NF + 3], J2[CHS_NF + 3], J12[CHS_NF + 3], Jw[CHS_NF + 3], J0[CHS_NF + 3];
        chs_cell_env e;
        random_cell(&seed, u, &e);
        random_direction(&seed, u, v1, &dZ1);
        random_direction(&seed, u, v2, &dZ2);
        for (int b = 0; b < CHS_NF; b++) v12[b] = v1[b] + v2[b], w[b] = 2.0 * v1[b];
        chs_react_jv(&r, &e, u, v1, dZ1, J1, J1 + CHS_NF);
        chs_react_jv(&r, &e, u, v2, dZ2, J2, J2 + CHS_NF);
        chs_react_jv(&r, &e, u, v12, dZ1 + dZ2, J12, J12 + CHS_NF);
        chs_react_jv(&r, &e, u, w, 2.0 * dZ1, Jw, Jw + CHS_NF);
        chs_react_jv(&r, &e, u, zero, 0.0, J0, J0 + CHS_NF);
        double size[CHS_NF + 3] = {0};
        for (int b = 0; b <= CHS_NF; b++) {
          double vb[CHS_NF] = {0}, Jb[CHS_NF + 3];
          if (b < CHS_NF) vb[b] = 1.0;
          chs_react_jv(&r, &e, u, vb, b == CHS_NF, Jb, Jb + CHS_NF);
          double scale = b < CHS_NF ? fabs(v1[b]) + fabs(v2[b]) : fabs(dZ1) + fabs(dZ2);
          for (int a = 0; a < CHS_NF + 3; a++) size[a] += fabs(Jb[a]) * scale;
        }
        for (int a = 0; a < CHS_NF + 3; a++) {
          cr_expect(J0[a] == 0.0, "config %d, cell %d: d%s = %g along zero", m, n, row_name(a), J0[a]);
          cr_expect(Jw[a] == 2.0 * J1[a], "config %d, cell %d: d%s along 2v %.17g, 2 x along v %.17g", m, n,
                    row_name(a), Jw[a], 2.0 * J1[a]);
          cr_expect(fabs(J12[a] - (J1[a] + J2[a])) <= 1e-13 * size[a],
                    "config %d, cell %d: d%s along v1 + v2 %.17g, sum %.17g (size %g)", m, n, row_name(a), J12[a],
                    J1[a] + J2[a], size[a]);
        }
      }
    }
}

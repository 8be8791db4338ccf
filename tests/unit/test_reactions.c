/* Pointwise reactions (MODEL.md §3): chs_react against the formulas written out here
 * independently, the analytic Jacobian against central finite differences of chs_react,
 * the age factor, and the cell source's multipliers in chs_rates_from_config. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/reactions.h"
#include "support/test_support.h"

enum { S = CHS_F_MSC, C = CHS_F_CHONDROCYTE, G = CHS_F_GROWTH_FACTOR, I = CHS_F_CYTOKINE,
       N = CHS_F_OXYGEN, P = CHS_F_PROTEOGLYCAN, K = CHS_F_COLLAGEN2, F = CHS_F_FIBROUS };

static chs_config g_cfg;

static void rates_for(chs_rates *r, const char *const *sets)
{
  chs_test_config(&g_cfg, "configs/default.ini", sets);
  chs_rates_from_config(&g_cfg, r);
}

/* ------------------------------------------------------------ Jacobian vs FD */

typedef struct {
  const char *name;
  double u[CHS_NF]; /* s, c, g, i, n, p, k, f */
  double c_max;
} state;

/* States that exercise every branch of the rates: intact tissue, an MSC-dense lesion on
 * and either side of the differentiation threshold s*, a fibrous repair, an inflamed
 * joint, a hypoxic MSC-crowded lesion (n ~ K_n), and the small negative undershoots an
 * integrator produces (the rates use |x| in the saturations there). */
static const state g_states[] = {
    {"native", {0, 9626, 0.35, 0.2, 0.06, 0.6, 0.95, 0}, 12000},
    {"msc at s*", {2e4, 800, 1.8, 1.0, 0.045, 0.05, 0.02, 0.03}, 12000},
    {"msc below s*", {1.7e4, 800, 1.8, 1.0, 0.045, 0.05, 0.02, 0.03}, 12000},
    {"msc above s*", {2.3e4, 800, 1.8, 1.0, 0.045, 0.05, 0.02, 0.03}, 12000},
    {"fibrous repair", {3000, 2500, 0.4, 0.6, 0.035, 0.3, 0.15, 0.55}, 11000},
    {"inflamed", {800, 6000, 0.1, 5.0, 0.03, 0.4, 0.7, 0.1}, 10500},
    {"hypoxic crowded", {6e4, 4000, 1.0, 1.0, 0.004, 0.2, 0.3, 0.2}, 12000},
    {"undershoot", {-0.5, 9000, -1e-4, -1e-3, -1e-4, -1e-3, 0.9, -1e-3}, 12000},
};
#define NSTATES ((int)(sizeof g_states / sizeof g_states[0]))

typedef struct {
  double err;  /* the discrepancy (in the measure of the check) */
  double J, Jfd;
  int a, b;
  const char *state;
} worst;

static void note(worst *w, double err, double J, double Jfd, int a, int b, const char *name)
{
  if (err > w->err) *w = (worst){err, J, Jfd, a, b, name};
}

/* Checks every entry at one state; two measures:
 *  - plain: |J - Jfd| <= 1e-6 max(1, |J|), with h = 1e-6 max(1, |u_b|);
 *  - scaled: in the field scales sc = (c0, c0, K_g, 1, n_sf, 1, 1, 1), i.e. on
 *    J^_ab = J_ab sc_b / sc_a (1/day): |J^ - J^fd| <= 1e-9/day + (1e-6 |J| + FD round-off
 *    4 eps |R_a| / h) sc_b / sc_a. The plain check alone would pass any error in entries far below 1
 *    such as dR_p/dc ~ P_p / c0 ~ 1e-6; the scaled one does not. */
static void check_jacobian(const chs_rates *r, const state *st, worst *wp, worst *ws)
{
  const double sc[CHS_NF] = {r->c0, r->c0, r->K_g, 1, g_cfg.oxygen_n_sf, 1, 1, 1};
  double J[CHS_NF * CHS_NF];
  chs_react_jacobian(r, st->c_max, st->u, J);
  for (int b = 0; b < CHS_NF; b++) {
    double up[CHS_NF], dn[CHS_NF], Rp[CHS_NF], Rm[CHS_NF];
    double h = 1e-6 * fmax(1.0, fabs(st->u[b]));
    memcpy(up, st->u, sizeof up);
    memcpy(dn, st->u, sizeof dn);
    up[b] += h;
    dn[b] -= h;
    chs_react(r, st->c_max, up, Rp);
    chs_react(r, st->c_max, dn, Rm);
    for (int a = 0; a < CHS_NF; a++) {
      double Jab = J[a * CHS_NF + b], fd = (Rp[a] - Rm[a]) / ((up[b] - dn[b]));
      double e = fabs(Jab - fd);
      cr_expect(e <= 1e-6 * fmax(1.0, fabs(Jab)),
                "%s: dR_%s/d%s analytic %.10g vs FD %.10g", st->name, chs_field_names[a],
                chs_field_names[b], Jab, fd);
      note(wp, e / fmax(1.0, fabs(Jab)), Jab, fd, a, b, st->name);
      /* FD round-off: a few ulps of the rate itself, divided by the step */
      double noise = 4.0 * DBL_EPSILON * fmax(fabs(Rp[a]), fabs(Rm[a])) / h;
      double f = sc[b] / sc[a], es = fabs(Jab - fd) * f, tol = 1e-9 + (1e-6 * fabs(Jab) + noise) * f;
      cr_expect(es <= tol,
                "%s: dR_%s/d%s analytic %.10g vs FD %.10g (scaled difference %.3g)", st->name,
                chs_field_names[a], chs_field_names[b], Jab, fd, es);
      note(ws, es / tol, Jab, fd, a, b, st->name);
    }
  }
}

static void report(const char *what, const worst *wp, const worst *ws)
{
  fprintf(stderr,
          "[jacobian %s] worst plain |J-Jfd|/max(1,|J|) = %.3g at dR_%s/d%s (%s: J %.10g, FD %.10g)\n"
          "[jacobian %s] worst scaled error / tolerance = %.3g at dR_%s/d%s (%s: J %.10g, FD %.10g)\n",
          what, wp->err, chs_field_names[wp->a], chs_field_names[wp->b], wp->state, wp->J, wp->Jfd,
          what, ws->err, chs_field_names[ws->a], chs_field_names[ws->b], ws->state, ws->J, ws->Jfd);
}

Test(reactions, jacobian_matches_finite_differences)
{
  chs_rates r;
  rates_for(&r, NULL);
  worst wp = {0}, ws = {0};
  for (int k = 0; k < NSTATES; k++) check_jacobian(&r, &g_states[k], &wp, &ws);
  report("default", &wp, &ws);
  cr_expect_lt(wp.err, 1e-6);
}

/* Aged host, allogeneic cord cells: A != A_d != 1 and every source multiplier != 1, so
 * a factor dropped from one Jacobian entry cannot hide behind a 1. */
Test(reactions, jacobian_matches_finite_differences_aged_allogeneic)
{
  chs_rates r;
  rates_for(&r, (const char *[]){"therapy.source=umbilical_cord", "patient.age=62", NULL});
  cr_assert(r.A < 1.0 && r.A_d == 1.0);
  worst wp = {0}, ws = {0};
  for (int k = 0; k < NSTATES; k++) check_jacobian(&r, &g_states[k], &wp, &ws);
  report("aged allogeneic", &wp, &ws);
}

/* The differentiation switch is sharp (width eps = 0.2 s*): check dR/ds across it on a
 * fine sweep, where a wrong dH/ds would show. */
Test(reactions, jacobian_across_the_differentiation_threshold)
{
  chs_rates r;
  rates_for(&r, NULL);
  worst wp = {0}, ws = {0};
  for (int j = -20; j <= 20; j++) {
    state st = g_states[1];
    st.u[S] = r.s_star + j * 0.15 * r.eps;
    st.name = "threshold sweep";
    check_jacobian(&r, &st, &wp, &ws);
  }
  report("threshold sweep", &wp, &ws);
}

/* ------------------------------------------------------------ the formulas */

/* |a - b| <= 1e-12 x (the sum of the magnitudes of the terms that make up b). */
static void expect_rate(const char *name, double got, double want, double terms)
{
  cr_expect(fabs(got - want) <= 1e-12 * terms + 1e-300, "%s: chs_react %.17g, MODEL.md %.17g",
            name, got, want);
}

/* Each of the 8 rates written out from MODEL.md §3 with the parameters read straight from
 * the configuration (base values x the source's multipliers, A from the age rule), at a
 * repair state with A = 0.76 (age 60), allogeneic donor A_d = 1. */
Test(reactions, rates_match_model_formulas)
{
  chs_rates r;
  rates_for(&r, (const char *[]){"therapy.source=umbilical_cord", "patient.age=60", NULL});
  const chs_config *q = &g_cfg;
  const double s = 2.2e4, c = 3000, g = 0.9, i = 0.7, n = 0.03, p = 0.35, k = 0.25, f = 0.4;
  const double u[CHS_NF] = {s, c, g, i, n, p, k, f}, c_max = 11500;
  double R[CHS_NF];
  chs_react(&r, c_max, u, R);

  const double A = 1.0 + (q->age_A_80 - 1.0) * (60.0 - 30.0) / 50.0, Ad = 1.0;
  const double r_s = q->msc_r_s * 2.5, k_d = q->msc_k_d * 0.8, pi = 1.3, psi = q->cytokine_psi * 1.3;
  const double P_f = q->matrix_P_f * 1.0, c0 = q->tissue_c0;
  const double f_n = n / (q->oxygen_K_n + n), hh = g / (q->growth_factor_K_g + g);
  const double qq = 1.0 / (1.0 + i / q->cytokine_K_I);
  const double eps = q->msc_eps_frac * q->msc_s_star;
  const double H = 0.5 * (1.0 + tanh((s - q->msc_s_star) / eps));
  const double rho = s + c;
  const double deg = i / (q->matrix_K_deg + i);

  double t1 = r_s * Ad * f_n * s * (1 - rho / q->msc_rho_max), t2 = k_d * Ad * H * hh * qq * s,
         t3 = q->msc_delta * s;
  expect_rate("msc", R[S], t1 - t2 - t3, fabs(t1) + t2 + t3);

  double c1 = q->chondrocyte_r_c * A * (1 + q->chondrocyte_beta_c * hh) * f_n * c * (1 - rho / c_max);
  double c3 = q->chondrocyte_delta * (1 + q->chondrocyte_a_c * i) * c;
  expect_rate("chondrocyte", R[C], c1 + t2 - c3, fabs(c1) + t2 + c3);

  double g1 = q->growth_factor_sigma_s * pi * s, g2 = q->growth_factor_sigma_c * c,
         g3 = q->growth_factor_lambda * g, g4 = q->growth_factor_u_g * rho * g / (q->growth_factor_K_m + g);
  expect_rate("growth_factor", R[G], g1 + g2 - g3 - g4, g1 + g2 + g3 + g4);

  double i1 = q->cytokine_lambda * i, i2 = psi * (s / (q->cytokine_K_psi + s)) * i;
  expect_rate("cytokine", R[I], -i1 - i2, i1 + i2);

  double n1 = q->oxygen_q_n * rho * n / (q->oxygen_K_qn + n);
  expect_rate("oxygen", R[N], -n1, n1);

  double p1 = q->matrix_P_p * A * (1 + q->matrix_beta_p * hh) * qq * f_n * (c / c0) * (1 - p),
         p2 = (q->matrix_k_p0 + q->matrix_k_pi * deg) * p;
  expect_rate("proteoglycan", R[P], p1 - p2, p1 + p2);

  double k1 = q->matrix_P_k * A * (1 + q->matrix_beta_k * hh) * qq * f_n * (c / c0) * (1 - k - f),
         k2 = (q->matrix_k_k0 + q->matrix_k_ki * deg) * k;
  expect_rate("collagen2", R[K], k1 - k2, fabs(k1) + k2);

  double f1 = P_f * Ad * (1 - hh) * f_n * (s / c0) * (1 - k - f), f2 = q->matrix_k_f0 * f;
  expect_rate("fibrous", R[F], f1 - f2, fabs(f1) + f2);

  /* the state is a genuine test point: every rate has a non-trivial size */
  for (int a = 0; a < CHS_NF; a++) cr_expect(R[a] != 0.0, "%s rate is zero", chs_field_names[a]);
  cr_expect(H > 0.6 && H < 0.99, "s should sit on the threshold's flank (H = %g)", H);
}

/* Full beds: the logistic and (1 - k - f) terms change sign past their limits. */
Test(reactions, crowding_and_full_matrix_limit_growth)
{
  chs_rates r;
  rates_for(&r, NULL);
  double R[CHS_NF];
  /* chondrocytes at c_max, no MSCs, no cytokine: only death remains */
  double u[CHS_NF] = {0, 12000, 0.3, 0, 0.06, 1, 1, 0};
  chs_react(&r, 12000, u, R);
  cr_expect(fabs(R[C] + r.delta_c * 12000) <= 1e-12 * r.delta_c * 12000,
            "R_c at c_max = %.17g, want -delta_c c", R[C]);
  /* collagen II + fibrous = 1: no synthesis of either, only loss */
  double v[CHS_NF] = {5000, 5000, 0.3, 0, 0.06, 0.5, 0.6, 0.4};
  chs_react(&r, 12000, v, R);
  cr_expect(fabs(R[K] + r.k_k0 * 0.6) <= 1e-15, "R_k = %.17g", R[K]);
  cr_expect(fabs(R[F] + r.k_f0 * 0.4) <= 1e-15, "R_f = %.17g", R[F]);
}

/* ------------------------------------------------------------ age and sources */

Test(reactions, age_factor)
{
  cr_expect_eq(chs_age_factor(0, 0.6), 1.0);
  cr_expect_eq(chs_age_factor(18, 0.6), 1.0);
  cr_expect_eq(chs_age_factor(29.999, 0.6), 1.0);
  cr_expect_eq(chs_age_factor(30, 0.6), 1.0);
  cr_expect(fabs(chs_age_factor(80, 0.6) - 0.6) < 1e-15);
  cr_expect(fabs(chs_age_factor(55, 0.6) - 0.8) < 1e-15, "halfway: %g", chs_age_factor(55, 0.6));
  cr_expect(fabs(chs_age_factor(40, 0.6) - 0.92) < 1e-15, "40 y: %g", chs_age_factor(40, 0.6));
  cr_expect(fabs(chs_age_factor(70, 0.5) - 0.6) < 1e-15, "A_80 = 0.5 at 70 y");
  cr_expect(fabs(chs_age_factor(100, 0.6) - 0.6) < 1e-15, "A_80 beyond 80 y");
  /* continuous at both knees */
  cr_expect(fabs(chs_age_factor(30.001, 0.6) - 1.0) < 1e-4);
  cr_expect(fabs(chs_age_factor(79.999, 0.6) - 0.6) < 1e-4);
}

/* Multipliers of MODEL.md §6 (relative to bone marrow), applied to the base values. */
typedef struct {
  const char *source;
  double r_s, k_d, pi, psi_i, P_f;
  bool allogeneic;
} multipliers;

static const multipliers g_mult[] = {
    {"bone_marrow", 1, 1, 1, 1, 1, false},
    {"adipose", 1.35, 0.6, 1.1, 1.1, 1.3, false},
    {"umbilical_cord", 2.5, 0.8, 1.3, 1.3, 1, true},
    {"synovial", 1.3, 1.25, 1, 1, 0.8, false},
};

static void expect_close(const char *what, const char *src, double got, double want)
{
  cr_expect(fabs(got - want) <= 1e-14 * fabs(want), "%s (%s): %.17g, want %.17g", what, src, got,
            want);
}

Test(reactions, source_multipliers_and_donor_age)
{
  for (int m = 0; m < 4; m++) {
    char set[64];
    snprintf(set, sizeof set, "therapy.source=%s", g_mult[m].source);
    chs_rates r;
    rates_for(&r, (const char *[]){set, "patient.age=60", NULL});
    const chs_config *q = &g_cfg;
    const char *src = g_mult[m].source;
    double A = 1.0 + (q->age_A_80 - 1.0) * 0.6;
    expect_close("A", src, r.A, A);
    expect_close("A_d", src, r.A_d, g_mult[m].allogeneic ? 1.0 : A);
    expect_close("r_s", src, r.r_s, q->msc_r_s * g_mult[m].r_s);
    expect_close("k_d", src, r.k_d, q->msc_k_d * g_mult[m].k_d);
    expect_close("sigma_s (pi)", src, r.sigma_s, q->growth_factor_sigma_s * g_mult[m].pi);
    expect_close("psi_i", src, r.psi_i, q->cytokine_psi * g_mult[m].psi_i);
    expect_close("P_f", src, r.P_f, q->matrix_P_f * g_mult[m].P_f);
    /* parameters the source does not touch */
    expect_close("sigma_c", src, r.sigma_c, q->growth_factor_sigma_c);
    expect_close("r_c", src, r.r_c, q->chondrocyte_r_c);
    expect_close("P_k", src, r.P_k, q->matrix_P_k);
    expect_close("delta_s", src, r.delta_s, q->msc_delta);
    expect_close("eps", src, r.eps, q->msc_eps_frac * q->msc_s_star);
    expect_close("c0", src, r.c0, q->tissue_c0);
  }
}

/* allogeneic is what sets A_d, not the source's name; a young host has A = A_d = 1. */
Test(reactions, allogeneic_flag_sets_donor_age_factor)
{
  chs_rates r;
  rates_for(&r, (const char *[]){"therapy.source=adipose", "patient.age=70",
                                 "source.allogeneic=true", NULL});
  cr_expect(r.A < 0.7 && r.A > 0.6, "A(70) = %g", r.A);
  cr_expect_eq(r.A_d, 1.0);
  rates_for(&r, (const char *[]){"therapy.source=umbilical_cord", "patient.age=70",
                                 "source.allogeneic=false", NULL});
  cr_expect_eq(r.A_d, r.A, "autologous: A_d = A");
  rates_for(&r, (const char *[]){"patient.age=25", NULL});
  cr_expect_eq(r.A, 1.0);
  cr_expect_eq(r.A_d, 1.0);

  /* A_d enters the MSC and fibrous rates: halving it (via A_80) moves them */
  double u[CHS_NF] = {2e4, 3000, 0.9, 0.7, 0.03, 0.35, 0.25, 0.4}, Ra[CHS_NF], Rb[CHS_NF];
  rates_for(&r, (const char *[]){"therapy.source=adipose", "patient.age=80", NULL});
  chs_react(&r, 11500, u, Ra);
  rates_for(&r, (const char *[]){"therapy.source=adipose", "patient.age=80",
                                 "source.allogeneic=true", NULL});
  chs_react(&r, 11500, u, Rb);
  cr_expect(Ra[F] + r.k_f0 * u[F] > 0);
  expect_close("fibrous synthesis ratio", "adipose", (Ra[F] + r.k_f0 * u[F]) / (Rb[F] + r.k_f0 * u[F]),
               g_cfg.age_A_80);
}

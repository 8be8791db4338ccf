/* The joint's equations (src/model/joint.c) under the mechanism switches: each switch
 * removes its term and leaves the others alone; the ledger counters add up to the cell
 * flows they book; the quiet joint holds still. Pure functions: no grid, no solver. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "config/composition.h"
#include "model/joint.h"
#include "support/test_support.h"

static chs_config g_cfg;

static void joint_for(chs_joint *j, bool allogeneic, const char *const *sets)
{
  chs_test_config(&g_cfg, "configs/default.ini", sets);
  /* the first allogeneic cells come on day 0 if there are any */
  chs_joint_from_config(&g_cfg, 78.5, allogeneic, allogeneic ? 0.0 : INFINITY, j);
}

/* A joint with every pool nonzero, after the immune lag, and a damaged tissue. */
static void busy_state(double P[CHS_NPOOL], chs_tissue_flows *tf)
{
  for (int q = 0; q < CHS_NPOOL; q++) P[q] = 1e5 * (q + 1);
  P[CHS_P_G] = 0.8;
  P[CHS_P_I] = 1.3;
  P[CHS_P_M] = 0.7;
  P[CHS_P_B] = 0.4;
  P[CHS_P_Z] = 0.3;
  P[CHS_P_HA] = 0.5;
  *tf = (chs_tissue_flows){.died = 300, .differentiated = 200, .proliferated = 50, .msc_tissue = 4e4,
                           .donor_cells = 1e4, .damage = 0.3, .uptake_G = 0.02, .uptake_I = 0.05};
}

/* Pools other than `skip` (a -1-terminated list) have bitwise equal derivatives. */
static void expect_same_except(const double a[CHS_NPOOL], const double b[CHS_NPOOL], const int *skip,
                               const char *what)
{
  for (int q = 0; q < CHS_NPOOL; q++) {
    bool s = false;
    for (const int *k = skip; *k >= 0; k++) s |= *k == q;
    if (!s) cr_expect_eq(a[q], b[q], "%s changed d%s/dt (%g -> %g)", what, chs_pool_names[q], a[q], b[q]);
  }
}

Test(joint, synovitis_switch_freezes_m_and_its_effect_on_the_drive)
{
  chs_joint on, off;
  joint_for(&on, false, NULL);
  joint_for(&off, false, (const char *[]){"mechanisms.synovitis=false", NULL});
  double P[CHS_NPOOL], d1[CHS_NPOOL], d2[CHS_NPOOL], don[CHS_NPOOL];
  chs_tissue_flows tf;
  busy_state(P, &tf);
  chs_joint_rhs(&off, 10.0, P, &tf, 0.0, d1);
  chs_joint_rhs(&on, 10.0, P, &tf, 0.0, don);
  cr_expect_eq(d1[CHS_P_M], 0.0, "synovitis off: dm/dt = %g", d1[CHS_P_M]);
  cr_expect_neq(don[CHS_P_M], 0.0, "synovitis on: m must move at this state");
  P[CHS_P_M] = 1.0;
  chs_joint_rhs(&off, 10.0, P, &tf, 0.0, d2);
  cr_expect_eq(d1[CHS_P_I], d2[CHS_P_I], "synovitis off: m still scales the inflammatory drive");
}

Test(joint, damage_feedback_switch_removes_the_damage_term)
{
  chs_joint on, off;
  joint_for(&on, false, NULL);
  joint_for(&off, false, (const char *[]){"mechanisms.damage_feedback=false", NULL});
  cr_expect_eq(chs_joint_drive(&off, 0.4), chs_joint_drive(&off, 0.0));
  cr_expect_eq(chs_joint_drive(&off, 0.0), g_cfg.patient_inflammation);
  cr_expect_gt(chs_joint_drive(&on, 0.4), chs_joint_drive(&on, 0.0), "feedback on: damage must raise the drive");
  cr_expect_eq(chs_joint_drive(&on, -0.2), chs_joint_drive(&on, 0.0), "matrix above native is no damage");
}

Test(joint, bone_switch_freezes_the_bml_state)
{
  chs_joint on, off;
  joint_for(&on, false, (const char *[]){"patient.bml=0.6", NULL});
  joint_for(&off, false, (const char *[]){"patient.bml=0.6", "mechanisms.bone=false", NULL});
  double P[CHS_NPOOL], d[CHS_NPOOL], don[CHS_NPOOL], P0[CHS_NPOOL];
  chs_tissue_flows tf;
  busy_state(P, &tf);
  chs_joint_rhs(&off, 10.0, P, &tf, 0.0, d);
  chs_joint_rhs(&on, 10.0, P, &tf, 0.0, don);
  cr_expect_eq(d[CHS_P_B], 0.0);
  cr_expect_neq(don[CHS_P_B], 0.0);
  chs_joint_initial(&off, P0);
  cr_expect_eq(P0[CHS_P_B], 0.0, "bone off: no initial BML");
  chs_joint_initial(&on, P0);
  cr_expect_eq(P0[CHS_P_B], 0.6);
}

Test(joint, fluid_exchange_switch_decouples_the_fluid_from_tissue_uptake)
{
  chs_joint on, off;
  joint_for(&on, false, NULL);
  joint_for(&off, false, (const char *[]){"mechanisms.fluid_exchange=false", NULL});
  double P[CHS_NPOOL], a[CHS_NPOOL], b[CHS_NPOOL], c[CHS_NPOOL], e[CHS_NPOOL];
  chs_tissue_flows tf, tf2;
  busy_state(P, &tf);
  tf2 = tf;
  tf2.uptake_G *= 3;
  tf2.uptake_I *= 3;
  chs_joint_rhs(&off, 10.0, P, &tf, 0.0, a);
  chs_joint_rhs(&off, 10.0, P, &tf2, 0.0, b);
  chs_joint_rhs(&on, 10.0, P, &tf, 0.0, c);
  chs_joint_rhs(&on, 10.0, P, &tf2, 0.0, e);
  cr_expect_eq(a[CHS_P_G], b[CHS_P_G]);
  cr_expect_eq(a[CHS_P_I], b[CHS_P_I]);
  /* on: uptake leaves the fluid at the rate A_joint / V_sf per unit surface flux */
  double k = on.A_joint / on.V_sf_mm3;
  cr_expect(fabs((e[CHS_P_G] - c[CHS_P_G]) + k * 2 * tf.uptake_G) <= 1e-12 * k * tf.uptake_G,
            "exchange: dG/dt moved by %g, want %g", e[CHS_P_G] - c[CHS_P_G], -k * 2 * tf.uptake_G);
  cr_expect(fabs((e[CHS_P_I] - c[CHS_P_I]) + k * 2 * tf.uptake_I) <= 1e-12 * k * tf.uptake_I);
}

/* The immune response and its clearance act only on allogeneic products; switched off,
 * an allogeneic product behaves as an autologous one in the joint. */
Test(joint, immune_only_for_allogeneic_and_switchable)
{
  chs_joint auto_, allo, allo_off;
  joint_for(&auto_, false, NULL);
  joint_for(&allo, true, NULL);
  joint_for(&allo_off, true, (const char *[]){"mechanisms.immune=false", NULL});
  cr_expect(isinf(auto_.t_on) && isinf(allo_off.t_on) && isfinite(allo.t_on));
  cr_expect_eq(auto_.delta_X, 0.0);
  cr_expect_eq(allo_off.delta_X, 0.0);
  cr_expect_gt(allo.delta_X, 0.0);
  double P[CHS_NPOOL], a[CHS_NPOOL], b[CHS_NPOOL];
  chs_tissue_flows tf;
  busy_state(P, &tf);
  double t = allo.t_on + 1.0;
  chs_joint_rhs(&auto_, t, P, &tf, 0.0, a);
  chs_joint_rhs(&allo_off, t, P, &tf, 0.0, b);
  for (int q = 0; q < CHS_NPOOL; q++)
    cr_expect_eq(a[q], b[q], "immune off: allogeneic differs from autologous in d%s/dt", chs_pool_names[q]);
  chs_joint_rhs(&allo, t, P, &tf, 0.0, b);
  cr_expect_lt(b[CHS_P_Y1], a[CHS_P_Y1], "allogeneic: the response must clear loose synovial MSCs");
  cr_expect_gt(b[CHS_P_Z], 0.0, "allogeneic cells present after the lag: the response rises");
  expect_same_except(a, b, (const int[]){CHS_P_Y1, CHS_P_Y2, CHS_P_SB, CHS_P_Z, CHS_P_DIED, CHS_P_I, -1},
                     "the immune response");
}

/* The counters book every MSC flow of the joint: d/dt (MSCs anywhere + counters) = 0
 * for the cells the joint's own equations move (tissue flows booked as given). */
Test(joint, ledger_counters_balance_the_joint_flows)
{
  for (int allo = 0; allo <= 1; allo++) {
    chs_joint j;
    joint_for(&j, allo, NULL);
    double P[CHS_NPOOL], d[CHS_NPOOL];
    chs_tissue_flows tf;
    busy_state(P, &tf);
    const double marrow = 700.0;
    chs_joint_rhs(&j, j.t_on + 1.0, P, &tf, marrow, d);
    /* N + Y1 + Y2 + Sb + reservoir change; the tissue gains phi * attach * N + marrow
     * and loses died + differentiated - proliferated (booked by the counters). */
    double attach_lesion = j.phi * chs_joint_attach_rate(&j, P) * P[CHS_P_N];
    double pools = d[CHS_P_N] + d[CHS_P_Y1] + d[CHS_P_Y2] + d[CHS_P_SB] + d[CHS_P_MARROW];
    double tissue = attach_lesion + marrow - tf.died - tf.differentiated + tf.proliferated;
    double counters = d[CHS_P_CLEARED] + d[CHS_P_DIED] + d[CHS_P_DIFFERENTIATED] - d[CHS_P_PROLIFERATED];
    double sum = pools + tissue + counters, size = fabs(pools) + fabs(tissue) + fabs(counters);
    cr_expect(fabs(sum) <= 1e-13 * size, "%s: joint ledger off by %g cells/day (of %g)",
              allo ? "allogeneic" : "autologous", sum, size);
  }
}

/* The quiet, untreated, undamaged joint holds still (exchange with a native surface
 * that takes up what the synovium's drive replaces). */
Test(joint, quiet_joint_at_rest)
{
  chs_joint j;
  joint_for(&j, false, (const char *[]){"patient.inflammation=0.2", NULL});
  j.I_uptake_native = 0.01;
  double P[CHS_NPOOL], d[CHS_NPOOL];
  chs_joint_initial(&j, P);
  chs_tissue_flows tf = {.damage = 0.0, .uptake_I = 0.01 * j.I_base};
  chs_joint_rhs(&j, 100.0, P, &tf, 0.0, d);
  for (int q = 0; q < CHS_NPOOL; q++)
    cr_expect(fabs(d[q]) <= 1e-15, "quiet joint: d%s/dt = %g", chs_pool_names[q], d[q]);
}

/* Allogeneic chondrocytes (or chondrons) given with autologous or no MSCs start the immune
 * clock as allogeneic MSCs do (the clock used to start only for an allogeneic MSC
 * component, so such grafts were never cleared); the antigen is then the donor cells
 * alone, not the patient's own MSCs. */
Test(joint, donor_chondrocytes_alone_start_the_immune_clock)
{
  const char *sets[] = {"therapy.components=chondrocyte", "therapy.donors=allogeneic", "therapy.route=intralesional",
                        NULL};
  chs_test_config(&g_cfg, "configs/default.ini", sets);
  chs_composition p;
  cr_assert_eq(chs_composition_parse(&g_cfg, &p), CHS_OK, "%s", chs_error_message());
  cr_expect(!p.msc_allogeneic && p.any_allogeneic);
  double day = chs_composition_first_allogeneic_day(&g_cfg, &p);
  cr_expect_eq(day, g_cfg.therapy_day, "allogeneic chondrocytes alone: immune clock from day %g, want %g", day,
               g_cfg.therapy_day);
  /* autologous chondrocytes never start it */
  const char *auto_sets[] = {"therapy.components=chondrocyte", "therapy.donors=autologous", NULL};
  chs_test_config(&g_cfg, "configs/default.ini", auto_sets);
  cr_assert_eq(chs_composition_parse(&g_cfg, &p), CHS_OK, "%s", chs_error_message());
  cr_expect(isinf(chs_composition_first_allogeneic_day(&g_cfg, &p)));
  /* autologous MSCs with allogeneic chondrons: the clock starts, MSCs are no antigen */
  const char *mix[] = {"therapy.components=msc chondron", "therapy.fractions=0.8 0.2",
                       "therapy.donors=autologous allogeneic", NULL};
  chs_test_config(&g_cfg, "configs/default.ini", mix);
  cr_assert_eq(chs_composition_parse(&g_cfg, &p), CHS_OK, "%s", chs_error_message());
  day = chs_composition_first_allogeneic_day(&g_cfg, &p);
  cr_expect(isfinite(day));
  chs_joint j;
  chs_joint_from_config(&g_cfg, 78.5, p.msc_allogeneic, day, &j);
  cr_expect(isfinite(j.t_on) && j.delta_X == 0.0, "t_on %g, delta_X %g", j.t_on, j.delta_X);
  double P[CHS_NPOOL], d[CHS_NPOOL];
  chs_tissue_flows tf;
  busy_state(P, &tf);
  P[CHS_P_Z] = 0.0;
  chs_joint_rhs(&j, j.t_on + 1.0, P, &tf, 0.0, d);
  cr_expect_gt(d[CHS_P_Z], 0.0, "donor chondrocytes present after the lag: the response must rise");
  tf.donor_cells = 0.0; /* only the patient's own MSCs left (N, Y1, Y2, S_b, tissue) */
  P[CHS_P_Z] = 0.5;
  chs_joint_rhs(&j, j.t_on + 1.0, P, &tf, 0.0, d);
  cr_expect_lt(d[CHS_P_Z], 0.0, "autologous MSCs are no antigen: Z must decay (dZ/dt %g)", d[CHS_P_Z]);
  /* immune mechanism off: no clock */
  const char *off[] = {"therapy.components=chondrocyte", "therapy.donors=allogeneic", "mechanisms.immune=false", NULL};
  chs_test_config(&g_cfg, "configs/default.ini", off);
  chs_joint_from_config(&g_cfg, 78.5, false, 0.0, &j);
  cr_expect(isinf(j.t_on));
}

/* The cell source's multipliers weigh its own cells in the synovium's exposure, not the
 * cell-free products: PRP and exosomes (already in MSC-equivalents) act the same whatever
 * therapy.source says. They used to multiply the whole exposure term. */
Test(joint, source_multipliers_weigh_only_the_cells)
{
  chs_joint plain, strong;
  joint_for(&plain, false, (const char *[]){"source.paracrine=1", "source.psi_i=1", NULL});
  joint_for(&strong, false, (const char *[]){"source.paracrine=1.3", "source.psi_i=1.3", NULL});
  double P[CHS_NPOOL], a[CHS_NPOOL], b[CHS_NPOOL];
  chs_tissue_flows tf;
  busy_state(P, &tf);
  P[CHS_P_N] = P[CHS_P_Y1] = P[CHS_P_Y2] = 0.0; /* products only */
  P[CHS_P_E] = 1e6;
  P[CHS_P_PRP] = 2e6;
  chs_joint_rhs(&plain, 10.0, P, &tf, 0.0, a);
  chs_joint_rhs(&strong, 10.0, P, &tf, 0.0, b);
  cr_expect_neq(a[CHS_P_M], (1.0 - P[CHS_P_M]) / plain.tau_m, "the products must act on m (test not vacuous)");
  cr_expect_eq(a[CHS_P_M], b[CHS_P_M], "PRP/exosomes only: source paracrine changed dm/dt (%.12g vs %.12g)", a[CHS_P_M],
               b[CHS_P_M]);
  cr_expect_eq(a[CHS_P_I], b[CHS_P_I], "PRP/exosomes only: source psi_i changed dI/dt (%.12g vs %.12g)", a[CHS_P_I],
               b[CHS_P_I]);
  /* with cells present the source does matter: more effect per cell */
  P[CHS_P_E] = P[CHS_P_PRP] = 0.0;
  P[CHS_P_Y1] = 1e6;
  chs_joint_rhs(&plain, 10.0, P, &tf, 0.0, a);
  chs_joint_rhs(&strong, 10.0, P, &tf, 0.0, b);
  cr_expect_lt(b[CHS_P_M], a[CHS_P_M], "cells: a stronger paracrine source must lower m faster");
  cr_expect_lt(b[CHS_P_I], a[CHS_P_I], "cells: a stronger anti-inflammatory source must clear I faster");
}

/* chs_joint_rhs_jv is the exact derivative of chs_joint_rhs: against a centred difference
 * along random directions (relative to each pool's size, so a derivative is as large as
 * the terms it comes from), under the mechanism switches. Step h = 1e-6 of the state: the
 * difference's truncation error is ~h^2 = 1e-12 and its round-off ~eps/h = 2e-10 of the
 * largest term; a wrong or missing term is of the order of the term itself. */
Test(joint, analytic_derivative_matches_a_centred_difference)
{
  const char *const *cases[] = {
      NULL,
      (const char *[]){"mechanisms.synovitis=false", NULL},
      (const char *[]){"mechanisms.damage_feedback=false", "mechanisms.fluid_exchange=false", NULL},
      (const char *[]){"mechanisms.bone=true", "patient.bml=0.6", NULL},
      (const char *[]){"mechanisms.bone=false", NULL},
  };
  unsigned long long seed = 12345;
  double worst = 0.0;
  for (int c = 0; c < 5; c++)
    for (int allo = 0; allo < 2; allo++)
      for (int trial = 0; trial < 20; trial++) {
        chs_joint j;
        joint_for(&j, allo, cases[c]);
        double P[CHS_NPOOL], dP[CHS_NPOOL], Pp[CHS_NPOOL], Pm[CHS_NPOOL];
        chs_tissue_flows tf, dtf, tp, tm;
        busy_state(P, &tf);
        for (int q = 0; q < CHS_NPOOL; q++) {
          seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
          double r = (double)(seed >> 11) / 9007199254740992.0 - 0.5;
          P[q] *= 1.0 + 0.8 * r;
          dP[q] = 2.0 * r * P[q];
        }
        const double s = (double)(trial % 7) / 7.0 - 0.4; /* a sign change for the damage kink */
        double *f = &tf.died, *df = &dtf.died;
        for (int q = 0; q < (int)(sizeof tf / sizeof(double)); q++) df[q] = (s + 0.13 * q) * f[q];
        const double h = 1e-6;
        for (int q = 0; q < CHS_NPOOL; q++) {
          Pp[q] = P[q] + h * dP[q];
          Pm[q] = P[q] - h * dP[q];
        }
        double *fp = &tp.died, *fm = &tm.died;
        for (int q = 0; q < (int)(sizeof tf / sizeof(double)); q++) {
          fp[q] = f[q] + h * df[q];
          fm[q] = f[q] - h * df[q];
        }
        const double t = 30.0; /* after the immune lag */
        double Rp[CHS_NPOOL], Rm[CHS_NPOOL], R0[CHS_NPOOL], Jv[CHS_NPOOL];
        chs_joint_rhs(&j, t, Pp, &tp, 5.0, Rp);
        chs_joint_rhs(&j, t, Pm, &tm, 5.0, Rm);
        chs_joint_rhs(&j, t, P, &tf, 5.0, R0);
        chs_joint_rhs_jv(&j, t, P, &tf, dP, &dtf, Jv);
        for (int q = 0; q < CHS_NPOOL; q++) {
          double fd = (Rp[q] - Rm[q]) / (2.0 * h);
          double size = fmax(fmax(fabs(fd), fabs(Jv[q])), fmax(fabs(R0[q]), 1e-300));
          double e = fabs(fd - Jv[q]) / size;
          worst = fmax(worst, e);
          cr_expect(e <= 1e-7, "case %d allo %d trial %d: d%s/dt: analytic %.10g, centred %.10g", c, allo, trial,
                    chs_pool_names[q], Jv[q], fd);
        }
        /* linear in the direction */
        double Jv0[CHS_NPOOL], zero[CHS_NPOOL] = {0};
        chs_tissue_flows tf0 = {0};
        chs_joint_rhs_jv(&j, t, P, &tf, zero, &tf0, Jv0);
        for (int q = 0; q < CHS_NPOOL; q++) cr_expect_eq(Jv0[q], 0.0, "a zero direction gives %g", Jv0[q]);
      }
  cr_log_info("joint: worst relative difference to the centred quotient %.2e", worst);
}

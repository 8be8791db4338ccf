#include "model/joint.h"

#include <math.h>
#include <string.h>

const char *const chs_pool_names[CHS_NPOOL] = {
#define CHS_X_P(id, name, unit, doc) name,
    CHS_POOL_LIST(CHS_X_P)
#undef CHS_X_P
};
const char *const chs_pool_units[CHS_NPOOL] = {
#define CHS_X_P(id, name, unit, doc) unit,
    CHS_POOL_LIST(CHS_X_P)
#undef CHS_X_P
};

void chs_joint_from_config(const chs_config *cfg, double lesion_area, bool msc_allogeneic,
                           double first_allo_day, chs_joint *j)
{
  memset(j, 0, sizeof *j);
  j->k_clr = cfg->joint_k_clr;
  j->k_att = cfg->joint_k_att;
  j->att_I = cfg->joint_att_inflammation;
  j->V_sf_mm3 = 1000.0 * cfg->patient_V_sf;
  j->k_clrG = cfg->joint_G_clearance / cfg->patient_V_sf; /* clearance (mL/day) / volume */
  j->paracrine = cfg->source_paracrine;
  j->sigma_sf = cfg->joint_sigma_sf * cfg->source_paracrine;
  j->k_I = cfg->joint_k_I;
  j->I_base = cfg->patient_inflammation;
  j->psi_sf = cfg->joint_psi_sf;
  j->psi_cells = cfg->source_psi_i;
  j->A_joint = cfg->joint_A_joint;
  double a = lesion_area, w = cfg->joint_w_les, A = cfg->joint_A_joint;
  double rest = A - a > 0 ? A - a : 0.0;
  j->phi = a > 0 ? w * a / (w * a + rest) : 0.0;
  /* An inflamed joint holds attached cells longer. */
  double rho = cfg->patient_inflammation >= cfg->synovium_I_OA ? cfg->synovium_rho_OA : 1.0;
  j->k_eng = cfg->synovium_k_eng;
  j->d_Y1 = rho * cfg->synovium_delta_Y1;
  j->d_Y2 = rho * cfg->synovium_delta_Y2;
  j->K_Phi = cfg->synovium_K_Phi;
  j->kappa_m = cfg->synovium_kappa_m;
  j->tau_m = cfg->synovium_tau_m;
  j->synovitis = cfg->mechanisms_synovitis;
  j->gamma_F = cfg->mechanisms_damage_feedback ? cfg->joint_gamma_F : 0.0;
  j->k_E = cfg->products_k_E;
  j->k_P = cfg->products_k_P;
  j->sigma_P = cfg->products_sigma_P * 1e-6; /* per MSC-equivalent */
  j->k_H = cfg->products_k_H;
  j->bone = cfg->mechanisms_bone;
  j->B_0 = j->bone ? cfg->patient_bml : 0.0;
  j->B_init = !j->bone ? 0.0 : cfg->init_bml >= 0 ? cfg->init_bml : j->B_0;
  j->delta_b = cfg->bone_delta_b;
  j->K_B = cfg->bone_K_B;
  j->psi_B = cfg->bone_psi_B;
  j->tau_B = cfg->bone_tau_B;
  j->allogeneic = msc_allogeneic && cfg->mechanisms_immune;
  /* Any allogeneic cells start the clock: donor MSCs, or donor chondrocytes/chondrons alone. */
  j->t_on = cfg->mechanisms_immune && isfinite(first_allo_day) ? first_allo_day + cfg->immune_t_lag : INFINITY;
  j->tau_Z = cfg->immune_tau_Z;
  j->tau_mem = cfg->immune_tau_mem;
  j->delta_X = j->allogeneic ? cfg->immune_delta_imm : 0.0;
  j->sigma_rej = j->allogeneic ? cfg->immune_sigma_rej : 0.0;
  j->K_present = cfg->immune_K_present;
  j->K_N = cfg->joint_K_N;
  j->exchange = cfg->mechanisms_fluid_exchange;
}

void chs_joint_initial(const chs_joint *j, double P[CHS_NPOOL])
{
  memset(P, 0, sizeof(double) * CHS_NPOOL);
  P[CHS_P_I] = j->I_base; /* the joint starts at its own inflammation level */
  P[CHS_P_M] = 1.0;       /* untreated synovium */
  P[CHS_P_B] = j->B_init; /* a lesion present at the start may be resolving (init.bml) */
}

double chs_joint_attach_rate(const chs_joint *j, const double P[CHS_NPOOL])
{
  double I = P[CHS_P_I] > 0 ? P[CHS_P_I] : 0.0;
  return j->k_att * (1.0 + j->att_I * I);
}

double chs_joint_drive(const chs_joint *j, double damage)
{
  return j->I_base * (1.0 + j->gamma_F * (damage > 0 ? damage : 0.0));
}

/* Exposure of the synovium in MSC-equivalents and its saturation Phi. The injected cells
 * weigh `weight` (the source's multiplier) each; PRP and exosomes are already counted in
 * MSC-equivalents, whatever the run's cell source. */
static double exposure(const chs_joint *j, const double P[CHS_NPOOL], double weight)
{
  double X = weight * (P[CHS_P_N] + P[CHS_P_Y1] + P[CHS_P_Y2]) + P[CHS_P_E] + P[CHS_P_PRP];
  return X > 0 ? X / (j->K_Phi + X) : 0.0;
}

void chs_joint_rhs(const chs_joint *j, double t, const double P[CHS_NPOOL], const chs_tissue_flows *tf,
                   double marrow_rate, double dP[CHS_NPOOL])
{
  const double N = P[CHS_P_N], I = P[CHS_P_I], Y1 = P[CHS_P_Y1], Y2 = P[CHS_P_Y2], Sb = P[CHS_P_SB];
  const double Z = P[CHS_P_Z], m = P[CHS_P_M], B = P[CHS_P_B];
  const double att = chs_joint_attach_rate(j, P) * N;
  const double Phi_m = exposure(j, P, j->paracrine), Phi_psi = exposure(j, P, j->psi_cells);
  const double kill = j->delta_X * Z; /* immune clearance of allogeneic MSCs */
  const double exch = j->exchange ? j->A_joint / j->V_sf_mm3 : 0.0;

  dP[CHS_P_N] = -j->k_clr * N - att;
  dP[CHS_P_Y1] = (1.0 - j->phi) * att - (j->d_Y1 + j->k_eng + kill) * Y1;
  dP[CHS_P_Y2] = j->k_eng * Y1 - (j->d_Y2 + kill) * Y2;
  dP[CHS_P_E] = -j->k_E * P[CHS_P_E];
  dP[CHS_P_PRP] = -j->k_P * P[CHS_P_PRP];
  dP[CHS_P_HA] = -j->k_H * P[CHS_P_HA];
  dP[CHS_P_G] = j->sigma_sf * (N + Y1 + Y2) + j->sigma_P * j->k_P * P[CHS_P_PRP] - j->k_clrG * P[CHS_P_G] -
                exch * tf->uptake_G;
  /* The synovium's drive, lowered by the slow synovitis state m; it also replaces what the
   * native joint surface takes up, so an intact joint's fluid sits at I_eff m. */
  double drive = chs_joint_drive(j, tf->damage) * (j->synovitis ? m : 1.0);
  double N_allo = j->allogeneic ? N : 0.0;
  dP[CHS_P_I] = j->k_I * (drive - I) + exch * (j->I_uptake_native * drive - tf->uptake_I) -
                j->psi_sf * Phi_psi * I + j->sigma_rej * Z * N_allo / (j->K_N + N_allo);
  dP[CHS_P_M] = j->synovitis ? (1.0 - m) / j->tau_m - j->kappa_m * Phi_m * m : 0.0;
  dP[CHS_P_SB] = -(j->delta_b + kill) * Sb;
  dP[CHS_P_B] = j->bone ? (j->B_0 - B) / j->tau_B - j->psi_B * (Sb / (j->K_B + Sb)) * B : 0.0;
  dP[CHS_P_MARROW] = -marrow_rate;
  /* Antigen drive: allogeneic cells anywhere (MSCs only if they are a donor's; donor
   * chondrocytes always), after the lag of the first exposure. */
  double a = 0.0;
  if (t >= j->t_on) {
    double X = tf->donor_cells;
    if (j->allogeneic) X += N + Y1 + Y2 + Sb + P[CHS_P_MARROW] + tf->msc_tissue;
    a = X > 0 ? X / (j->K_present + X) : 0.0;
  }
  dP[CHS_P_Z] = a * (1.0 - Z) / j->tau_Z - (1.0 - a) * Z / j->tau_mem;
  dP[CHS_P_CLEARED] = j->k_clr * N;
  dP[CHS_P_DIED] = tf->died + (j->d_Y1 + kill) * Y1 + (j->d_Y2 + kill) * Y2 + (j->delta_b + kill) * Sb;
  dP[CHS_P_DIFFERENTIATED] = tf->differentiated;
  dP[CHS_P_PROLIFERATED] = tf->proliferated;
}

void chs_joint_diagonal(const chs_joint *j, double t, const double P[CHS_NPOOL], double d[CHS_NPOOL])
{
  memset(d, 0, sizeof(double) * CHS_NPOOL);
  const double Phi_m = exposure(j, P, j->paracrine), Phi_psi = exposure(j, P, j->psi_cells);
  const double kill = j->delta_X * P[CHS_P_Z];
  d[CHS_P_N] = -j->k_clr - chs_joint_attach_rate(j, P);
  d[CHS_P_Y1] = -(j->d_Y1 + j->k_eng + kill);
  d[CHS_P_Y2] = -(j->d_Y2 + kill);
  d[CHS_P_E] = -j->k_E;
  d[CHS_P_PRP] = -j->k_P;
  d[CHS_P_HA] = -j->k_H;
  d[CHS_P_G] = -j->k_clrG;
  d[CHS_P_I] = -j->k_I - j->psi_sf * Phi_psi;
  d[CHS_P_M] = j->synovitis ? -1.0 / j->tau_m - j->kappa_m * Phi_m : 0.0;
  d[CHS_P_SB] = -(j->delta_b + kill);
  d[CHS_P_B] = j->bone ? -1.0 / j->tau_B - j->psi_B * P[CHS_P_SB] / (j->K_B + P[CHS_P_SB]) : 0.0;
  d[CHS_P_Z] = t >= j->t_on ? -1.0 / j->tau_Z : -1.0 / j->tau_mem;
}

/* d exposure / d P in direction dP (0 where the exposure is 0, as the function is). */
static double exposure_jv(const chs_joint *j, const double P[CHS_NPOOL], const double dP[CHS_NPOOL], double weight)
{
  double X = weight * (P[CHS_P_N] + P[CHS_P_Y1] + P[CHS_P_Y2]) + P[CHS_P_E] + P[CHS_P_PRP];
  if (!(X > 0)) return 0.0;
  double dX = weight * (dP[CHS_P_N] + dP[CHS_P_Y1] + dP[CHS_P_Y2]) + dP[CHS_P_E] + dP[CHS_P_PRP];
  double s = j->K_Phi + X;
  return j->K_Phi / (s * s) * dX;
}

double chs_joint_attach_rate_jv(const chs_joint *j, const double P[CHS_NPOOL], const double dP[CHS_NPOOL])
{
  return P[CHS_P_I] > 0 ? j->k_att * j->att_I * dP[CHS_P_I] : 0.0;
}

void chs_joint_rhs_jv(const chs_joint *j, double t, const double P[CHS_NPOOL], const chs_tissue_flows *tf,
                      const double dP[CHS_NPOOL], const chs_tissue_flows *dtf, double out[CHS_NPOOL])
{
  const double N = P[CHS_P_N], I = P[CHS_P_I], Y1 = P[CHS_P_Y1], Y2 = P[CHS_P_Y2], Sb = P[CHS_P_SB];
  const double Z = P[CHS_P_Z], m = P[CHS_P_M], B = P[CHS_P_B];
  const double dN = dP[CHS_P_N], dI = dP[CHS_P_I], dY1 = dP[CHS_P_Y1], dY2 = dP[CHS_P_Y2], dSb = dP[CHS_P_SB];
  const double dZ = dP[CHS_P_Z], dm = dP[CHS_P_M], dB = dP[CHS_P_B];
  const double rate = chs_joint_attach_rate(j, P);
  const double datt = chs_joint_attach_rate_jv(j, P, dP) * N + rate * dN;
  const double Phi_m = exposure(j, P, j->paracrine), Phi_psi = exposure(j, P, j->psi_cells);
  const double dPhi_m = exposure_jv(j, P, dP, j->paracrine), dPhi_psi = exposure_jv(j, P, dP, j->psi_cells);
  const double kill = j->delta_X * Z, dkill = j->delta_X * dZ;
  const double exch = j->exchange ? j->A_joint / j->V_sf_mm3 : 0.0;

  out[CHS_P_N] = -j->k_clr * dN - datt;
  out[CHS_P_Y1] = (1.0 - j->phi) * datt - (j->d_Y1 + j->k_eng + kill) * dY1 - dkill * Y1;
  out[CHS_P_Y2] = j->k_eng * dY1 - (j->d_Y2 + kill) * dY2 - dkill * Y2;
  out[CHS_P_E] = -j->k_E * dP[CHS_P_E];
  out[CHS_P_PRP] = -j->k_P * dP[CHS_P_PRP];
  out[CHS_P_HA] = -j->k_H * dP[CHS_P_HA];
  out[CHS_P_G] = j->sigma_sf * (dN + dY1 + dY2) + j->sigma_P * j->k_P * dP[CHS_P_PRP] - j->k_clrG * dP[CHS_P_G] -
                 exch * dtf->uptake_G;
  /* drive = I_base (1 + gamma_F max(damage, 0)) (x m with synovitis) */
  const double drive0 = chs_joint_drive(j, tf->damage);
  const double ddrive0 = tf->damage > 0 ? j->I_base * j->gamma_F * dtf->damage : 0.0;
  const double ddrive = j->synovitis ? ddrive0 * m + drive0 * dm : ddrive0;
  const double N_allo = j->allogeneic ? N : 0.0, dN_allo = j->allogeneic ? dN : 0.0;
  const double sN = j->K_N + N_allo;
  out[CHS_P_I] = j->k_I * (ddrive - dI) + exch * (j->I_uptake_native * ddrive - dtf->uptake_I) -
                 j->psi_sf * (dPhi_psi * I + Phi_psi * dI) +
                 j->sigma_rej * (dZ * N_allo / sN + Z * j->K_N / (sN * sN) * dN_allo);
  out[CHS_P_M] = j->synovitis ? -dm / j->tau_m - j->kappa_m * (dPhi_m * m + Phi_m * dm) : 0.0;
  out[CHS_P_SB] = -(j->delta_b + kill) * dSb - dkill * Sb;
  const double sB = j->K_B + Sb;
  out[CHS_P_B] = j->bone ? -dB / j->tau_B - j->psi_B * (j->K_B / (sB * sB) * dSb * B + Sb / sB * dB) : 0.0;
  out[CHS_P_MARROW] = 0.0; /* the inflow rate is set by events, not by the state */
  double a = 0.0, da = 0.0;
  if (t >= j->t_on) {
    double X = tf->donor_cells, dX = dtf->donor_cells;
    if (j->allogeneic) {
      X += N + Y1 + Y2 + Sb + P[CHS_P_MARROW] + tf->msc_tissue;
      dX += dN + dY1 + dY2 + dSb + dP[CHS_P_MARROW] + dtf->msc_tissue;
    }
    if (X > 0) {
      a = X / (j->K_present + X);
      da = j->K_present / ((j->K_present + X) * (j->K_present + X)) * dX;
    }
  }
  out[CHS_P_Z] = (da * (1.0 - Z) - a * dZ) / j->tau_Z - (-da * Z + (1.0 - a) * dZ) / j->tau_mem;
  out[CHS_P_CLEARED] = j->k_clr * dN;
  out[CHS_P_DIED] = dtf->died + (j->d_Y1 + kill) * dY1 + dkill * Y1 + (j->d_Y2 + kill) * dY2 + dkill * Y2 +
                    (j->delta_b + kill) * dSb + dkill * Sb;
  out[CHS_P_DIFFERENTIATED] = dtf->differentiated;
  out[CHS_P_PROLIFERATED] = dtf->proliferated;
}

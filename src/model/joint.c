#include "model/joint.h"

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

void chs_joint_from_config(const chs_config *cfg, double lesion_area, chs_joint *j)
{
  memset(j, 0, sizeof *j);
  j->k_clr = cfg->joint_k_clr;
  j->k_att = cfg->joint_k_att;
  j->att_I = cfg->joint_att_inflammation;
  j->k_clrG = cfg->joint_k_clrG;
  j->sigma_sf = cfg->joint_sigma_sf * cfg->source_paracrine;
  j->k_I = cfg->joint_k_I;
  j->I_base = cfg->patient_inflammation;
  j->psi_sf = cfg->joint_psi_sf * cfg->source_psi_i;
  j->K_N = cfg->joint_K_N;
  j->k_E = cfg->joint_k_E;
  j->delta_s = cfg->joint_delta_elsewhere;
  double a = lesion_area, w = cfg->joint_w_les, A = cfg->joint_A_joint;
  double rest = A - a > 0 ? A - a : 0.0;
  j->phi = a > 0 ? w * a / (w * a + rest) : 0.0;
}

void chs_joint_initial(const chs_joint *j, double P[CHS_NPOOL])
{
  memset(P, 0, sizeof(double) * CHS_NPOOL);
  P[CHS_P_I] = j->I_base; /* the joint starts at its own inflammation level */
}

double chs_joint_attach_rate(const chs_joint *j, const double P[CHS_NPOOL])
{
  double I = P[CHS_P_I] > 0 ? P[CHS_P_I] : 0.0;
  return j->k_att * (1.0 + j->att_I * I);
}

void chs_joint_rhs(const chs_joint *j, const double P[CHS_NPOOL], const chs_tissue_flows *t,
                   double marrow_rate, double dP[CHS_NPOOL])
{
  double N = P[CHS_P_N], E = P[CHS_P_E], I = P[CHS_P_I];
  double att = chs_joint_attach_rate(j, P) * N;
  double calm = N + E > 0 ? (N + E) / (j->K_N + N + E) : 0.0;
  dP[CHS_P_N] = -j->k_clr * N - att;
  dP[CHS_P_G] = j->sigma_sf * (N + E) - j->k_clrG * P[CHS_P_G];
  dP[CHS_P_I] = j->k_I * (j->I_base - I) - j->psi_sf * calm * I;
  dP[CHS_P_E] = -j->k_E * E;
  dP[CHS_P_ELSEWHERE] = (1.0 - j->phi) * att - j->delta_s * P[CHS_P_ELSEWHERE];
  dP[CHS_P_MARROW] = -marrow_rate;
  dP[CHS_P_CLEARED] = j->k_clr * N;
  dP[CHS_P_DIED] = t->died + j->delta_s * P[CHS_P_ELSEWHERE];
  dP[CHS_P_DIFFERENTIATED] = t->differentiated;
  dP[CHS_P_PROLIFERATED] = t->proliferated;
}

void chs_joint_diagonal(const chs_joint *j, const double P[CHS_NPOOL], double d[CHS_NPOOL])
{
  memset(d, 0, sizeof(double) * CHS_NPOOL);
  double N = P[CHS_P_N], E = P[CHS_P_E];
  double calm = N + E > 0 ? (N + E) / (j->K_N + N + E) : 0.0;
  d[CHS_P_N] = -j->k_clr - chs_joint_attach_rate(j, P);
  d[CHS_P_G] = -j->k_clrG;
  d[CHS_P_I] = -j->k_I - j->psi_sf * calm;
  d[CHS_P_E] = -j->k_E;
  d[CHS_P_ELSEWHERE] = -j->delta_s;
}

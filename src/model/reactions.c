#include "model/reactions.h"

#include <math.h>
#include <string.h>

const char *const chs_field_names[CHS_NF] = {
#define CHS_X_FIELD(id, name, unit) name,
    CHS_FIELD_LIST(CHS_X_FIELD)
#undef CHS_X_FIELD
};
const char *const chs_field_units[CHS_NF] = {
#define CHS_X_FIELD(id, name, unit) unit,
    CHS_FIELD_LIST(CHS_X_FIELD)
#undef CHS_X_FIELD
};

double chs_age_factor(double age, double A_80)
{
  if (age <= 30.0) return 1.0;
  if (age >= 80.0) return A_80;
  return 1.0 + (A_80 - 1.0) * (age - 30.0) / 50.0;
}

void chs_rates_from_config(const chs_config *cfg, chs_rates *r)
{
  memset(r, 0, sizeof *r);
  r->A = chs_age_factor(cfg->patient_age, cfg->age_A_80);
  r->A_d = cfg->source_allogeneic ? 1.0 : r->A;
  r->r_s = cfg->msc_r_s * cfg->source_r_s;
  r->rho_max = cfg->msc_rho_max;
  r->k_d = cfg->msc_k_d * cfg->source_k_d;
  r->s_star = cfg->msc_s_star;
  r->eps = cfg->msc_eps_frac * cfg->msc_s_star;
  r->delta_s = cfg->msc_delta;
  r->r_c = cfg->chondrocyte_r_c;
  r->delta_c = cfg->chondrocyte_delta;
  r->a_c = cfg->chondrocyte_a_c;
  r->beta_c = cfg->chondrocyte_beta_c;
  r->sigma_s = cfg->growth_factor_sigma_s * cfg->source_paracrine;
  r->sigma_c = cfg->growth_factor_sigma_c;
  r->lambda_g = cfg->growth_factor_lambda;
  r->u_g = cfg->growth_factor_u_g;
  r->K_m = cfg->growth_factor_K_m;
  r->K_g = cfg->growth_factor_K_g;
  r->lambda_i = cfg->cytokine_lambda;
  r->psi_i = cfg->cytokine_psi * cfg->source_psi_i;
  r->K_psi = cfg->cytokine_K_psi;
  r->K_I = cfg->cytokine_K_I;
  r->q_n = cfg->oxygen_q_n;
  r->K_qn = cfg->oxygen_K_qn;
  r->K_n = cfg->oxygen_K_n;
  r->P_p = cfg->matrix_P_p;
  r->P_k = cfg->matrix_P_k;
  r->P_f = cfg->matrix_P_f * cfg->source_P_f;
  r->beta_p = cfg->matrix_beta_p;
  r->beta_k = cfg->matrix_beta_k;
  r->k_p0 = cfg->matrix_k_p0;
  r->k_k0 = cfg->matrix_k_k0;
  r->k_f0 = cfg->matrix_k_f0;
  r->k_pi = cfg->matrix_k_pi;
  r->k_ki = cfg->matrix_k_ki;
  r->K_deg = cfg->matrix_K_deg;
  r->c0 = cfg->tissue_c0;
}

/* Saturating x/(K+x), written x/(K+|x|) so that a round-off negative x (the integrator
 * may undershoot zero by ~atol) cannot hit the pole; identical for x >= 0. */
static inline double sat(double x, double K) { return x / (K + fabs(x)); }
static inline double dsat(double x, double K)
{
  double d = K + fabs(x);
  return K / (d * d);
}

typedef struct {
  double fn, dfn, h, dh, q, dq, H, dH, di, ddi, ps, dps, gm, dgm, nq, dnq;
} helpers;

static void eval_helpers(const chs_rates *r, const double *u, helpers *e)
{
  double s = u[CHS_F_MSC], g = u[CHS_F_GROWTH_FACTOR], i = u[CHS_F_CYTOKINE], n = u[CHS_F_OXYGEN];
  e->fn = sat(n, r->K_n);
  e->dfn = dsat(n, r->K_n);
  e->h = sat(g, r->K_g);
  e->dh = dsat(g, r->K_g);
  double qd = 1.0 + fabs(i) / r->K_I;
  e->q = 1.0 / qd;
  e->dq = -(i >= 0 ? 1.0 : -1.0) / (r->K_I * qd * qd);
  double T = tanh((s - r->s_star) / r->eps);
  e->H = 0.5 * (1.0 + T);
  e->dH = (1.0 - T * T) / (2.0 * r->eps);
  e->di = sat(i, r->K_deg);
  e->ddi = dsat(i, r->K_deg);
  e->ps = sat(s, r->K_psi);
  e->dps = dsat(s, r->K_psi);
  e->gm = sat(g, r->K_m);
  e->dgm = dsat(g, r->K_m);
  e->nq = sat(n, r->K_qn);
  e->dnq = dsat(n, r->K_qn);
}

void chs_react(const chs_rates *r, double c_max, const double u[CHS_NF], double R[CHS_NF])
{
  helpers e;
  eval_helpers(r, u, &e);
  double s = u[CHS_F_MSC], c = u[CHS_F_CHONDROCYTE], g = u[CHS_F_GROWTH_FACTOR];
  double i = u[CHS_F_CYTOKINE], p = u[CHS_F_PROTEOGLYCAN], k = u[CHS_F_COLLAGEN2];
  double f = u[CHS_F_FIBROUS];
  double rho = s + c;
  double diff = r->k_d * r->A_d * e.H * e.h * e.q * s; /* MSC -> chondrocyte */

  R[CHS_F_MSC] = r->r_s * r->A_d * e.fn * s * (1.0 - rho / r->rho_max) - diff - r->delta_s * s;
  R[CHS_F_CHONDROCYTE] = r->r_c * r->A * (1.0 + r->beta_c * e.h) * e.fn * c * (1.0 - rho / c_max) +
                         diff - r->delta_c * (1.0 + r->a_c * i) * c;
  R[CHS_F_GROWTH_FACTOR] = r->sigma_s * s + r->sigma_c * c - r->lambda_g * g - r->u_g * rho * e.gm;
  R[CHS_F_CYTOKINE] = -r->lambda_i * i - r->psi_i * e.ps * i;
  R[CHS_F_OXYGEN] = -r->q_n * rho * e.nq;
  double syn = r->A * e.q * e.fn * c / r->c0; /* shared by proteoglycan and collagen II */
  R[CHS_F_PROTEOGLYCAN] = r->P_p * (1.0 + r->beta_p * e.h) * syn * (1.0 - p) -
                          (r->k_p0 + r->k_pi * e.di) * p;
  R[CHS_F_COLLAGEN2] = r->P_k * (1.0 + r->beta_k * e.h) * syn * (1.0 - k - f) -
                       (r->k_k0 + r->k_ki * e.di) * k;
  R[CHS_F_FIBROUS] = r->P_f * r->A_d * (1.0 - e.h) * e.fn * (s / r->c0) * (1.0 - k - f) -
                     r->k_f0 * f;
}

void chs_react_msc_flows(const chs_rates *r, const double u[CHS_NF], double *proliferated,
                         double *differentiated, double *died)
{
  helpers e;
  eval_helpers(r, u, &e);
  double s = u[CHS_F_MSC], rho = s + u[CHS_F_CHONDROCYTE];
  *proliferated = r->r_s * r->A_d * e.fn * s * (1.0 - rho / r->rho_max);
  *differentiated = r->k_d * r->A_d * e.H * e.h * e.q * s;
  *died = r->delta_s * s;
}

void chs_react_jacobian(const chs_rates *r, double c_max, const double u[CHS_NF],
                        double J[CHS_NF * CHS_NF])
{
  helpers e;
  eval_helpers(r, u, &e);
  double s = u[CHS_F_MSC], c = u[CHS_F_CHONDROCYTE];
  double i = u[CHS_F_CYTOKINE], p = u[CHS_F_PROTEOGLYCAN], k = u[CHS_F_COLLAGEN2];
  double f = u[CHS_F_FIBROUS];
  double rho = s + c;
  memset(J, 0, sizeof(double) * CHS_NF * CHS_NF);
#define JJ(a, b) J[(a) * CHS_NF + (b)]
  enum { S = CHS_F_MSC, C = CHS_F_CHONDROCYTE, G = CHS_F_GROWTH_FACTOR, I = CHS_F_CYTOKINE,
         N = CHS_F_OXYGEN, P = CHS_F_PROTEOGLYCAN, K = CHS_F_COLLAGEN2, F = CHS_F_FIBROUS };

  /* differentiation term D = k_d A_d H h q s */
  double kd = r->k_d * r->A_d;
  double dD_ds = kd * e.h * e.q * (e.H + s * e.dH);
  double dD_dg = kd * e.H * e.q * s * e.dh;
  double dD_di = kd * e.H * e.h * s * e.dq;

  /* MSC */
  double grow_s = r->r_s * r->A_d;
  double log_s = 1.0 - rho / r->rho_max;
  JJ(S, S) = grow_s * e.fn * (log_s - s / r->rho_max) - dD_ds - r->delta_s;
  JJ(S, C) = -grow_s * e.fn * s / r->rho_max;
  JJ(S, G) = -dD_dg;
  JJ(S, I) = -dD_di;
  JJ(S, N) = grow_s * e.dfn * s * log_s;

  /* chondrocytes */
  double Gc = r->r_c * r->A * (1.0 + r->beta_c * e.h) * e.fn;
  double log_c = 1.0 - rho / c_max;
  JJ(C, S) = -Gc * c / c_max + dD_ds;
  JJ(C, C) = Gc * (log_c - c / c_max) - r->delta_c * (1.0 + r->a_c * i);
  JJ(C, G) = r->r_c * r->A * r->beta_c * e.dh * e.fn * c * log_c + dD_dg;
  JJ(C, I) = dD_di - r->delta_c * r->a_c * c;
  JJ(C, N) = r->r_c * r->A * (1.0 + r->beta_c * e.h) * e.dfn * c * log_c;

  /* growth factor */
  JJ(G, S) = r->sigma_s - r->u_g * e.gm;
  JJ(G, C) = r->sigma_c - r->u_g * e.gm;
  JJ(G, G) = -r->lambda_g - r->u_g * rho * e.dgm;

  /* cytokine */
  JJ(I, S) = -r->psi_i * e.dps * i;
  JJ(I, I) = -r->lambda_i - r->psi_i * e.ps;

  /* oxygen */
  JJ(N, S) = -r->q_n * e.nq;
  JJ(N, C) = -r->q_n * e.nq;
  JJ(N, N) = -r->q_n * rho * e.dnq;

  /* proteoglycan and collagen II: synthesis = P (1 + beta h) A q fn (c/c0) * (room) */
  double base = r->A / r->c0;
  double room_p = 1.0 - p, room_k = 1.0 - k - f;
  double Bp = r->P_p * (1.0 + r->beta_p * e.h), Bk = r->P_k * (1.0 + r->beta_k * e.h);
  double qfn = e.q * e.fn;
  JJ(P, C) = Bp * base * qfn * room_p;
  JJ(P, G) = r->P_p * r->beta_p * e.dh * base * qfn * c * room_p;
  JJ(P, I) = Bp * base * e.dq * e.fn * c * room_p - r->k_pi * e.ddi * p;
  JJ(P, N) = Bp * base * e.q * e.dfn * c * room_p;
  JJ(P, P) = -Bp * base * qfn * c - (r->k_p0 + r->k_pi * e.di);
  JJ(K, C) = Bk * base * qfn * room_k;
  JJ(K, G) = r->P_k * r->beta_k * e.dh * base * qfn * c * room_k;
  JJ(K, I) = Bk * base * e.dq * e.fn * c * room_k - r->k_ki * e.ddi * k;
  JJ(K, N) = Bk * base * e.q * e.dfn * c * room_k;
  JJ(K, K) = -Bk * base * qfn * c - (r->k_k0 + r->k_ki * e.di);
  JJ(K, F) = -Bk * base * qfn * c;

  /* fibrous collagen */
  double Pf = r->P_f * r->A_d / r->c0;
  JJ(F, S) = Pf * (1.0 - e.h) * e.fn * room_k;
  JJ(F, G) = -Pf * e.dh * e.fn * s * room_k;
  JJ(F, N) = Pf * (1.0 - e.h) * e.dfn * s * room_k;
  JJ(F, K) = -Pf * (1.0 - e.h) * e.fn * s;
  JJ(F, F) = -Pf * (1.0 - e.h) * e.fn * s - r->k_f0;
#undef JJ
}

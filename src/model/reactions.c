#include "model/reactions.h"

#include <math.h>
#include <string.h>

double chs_age_factor(double age, double A_80)
{
  if (age <= 30.0) return 1.0;
  if (age >= 80.0) return A_80;
  return 1.0 + (A_80 - 1.0) * (age - 30.0) / 50.0;
}

void chs_rates_from_config(const chs_config *cfg, bool msc_allogeneic, chs_rates *r)
{
  memset(r, 0, sizeof *r);
  r->A = chs_age_factor(cfg->patient_age, cfg->age_A_80);
  r->A_D = chs_age_factor(cfg->therapy_donor_age, cfg->age_A_80); /* a donor's cells: the donor's age */
  r->A_d = msc_allogeneic ? r->A_D : r->A;
  r->msc_allogeneic = msc_allogeneic;
  /* The source's culture expansion multiplier is deliberately not applied: in vivo every
   * source declines (msc.r_s < msc.delta is checked at load). */
  r->r_s = cfg->msc_r_s;
  r->rho_max = cfg->msc_rho_max;
  r->k_d = cfg->msc_k_d * cfg->source_k_d;
  r->s_star = cfg->msc_s_star;
  r->eps = cfg->msc_eps_frac * cfg->msc_s_star;
  r->delta_s = cfg->msc_delta;
  bool immune = cfg->mechanisms_immune;
  r->delta_X = immune && msc_allogeneic ? cfg->immune_delta_imm : 0.0;
  r->delta_D = immune ? cfg->immune_delta_imm * (1.0 + cfg->immune_chi_d) : 0.0;
  r->chondro_kinetics = cfg->mechanisms_chondrocyte_kinetics;
  r->r_c = cfg->chondrocyte_r_c;
  r->r_cm = cfg->chondrocyte_r_c_mature;
  r->delta_c = cfg->chondrocyte_delta;
  r->a_c = cfg->chondrocyte_a_c;
  r->beta_c = cfg->chondrocyte_beta_c;
  r->k_act = cfg->chondrocyte_k_act;
  r->k_mat = cfg->chondrocyte_k_mat;
  r->sigma_c = cfg->growth_factor_sigma_c;
  r->sigma_rel = cfg->growth_factor_sigma_rel;
  r->lambda_g = cfg->growth_factor_lambda;
  r->u_g = cfg->growth_factor_u_g;
  r->K_m = cfg->growth_factor_K_m;
  r->K_g = cfg->growth_factor_K_g;
  if (cfg->mechanisms_latent_gf) {
    r->k_a0 = cfg->latent_k_a0;
    r->sigma_l = cfg->latent_k_a0 * cfg->latent_native; /* native store = latent.native */
    r->k_aS = cfg->latent_k_aS;
  }
  r->K_aS = cfg->latent_K_aS;
  r->K_T = cfg->trophic_K_T;
  r->beta_T = cfg->mechanisms_trophic ? cfg->trophic_beta_T : 0.0;
  r->lambda_i = cfg->cytokine_lambda;
  r->psi_i = cfg->cytokine_psi * cfg->source_psi_i;
  r->K_psi = cfg->cytokine_K_psi;
  r->K_I = cfg->cytokine_K_I;
  r->q_n = cfg->oxygen_q_n;
  r->K_qn = cfg->oxygen_K_qn;
  r->K_n = cfg->oxygen_K_n;
  r->P_p = cfg->matrix_P_p;
  r->P_k = cfg->matrix_P_k;
  r->P_pm = cfg->matrix_P_p_mature;
  r->P_km = cfg->matrix_P_k_mature;
  r->P_f = cfg->matrix_P_f * cfg->source_P_f;
  r->beta_p = cfg->matrix_beta_p;
  r->beta_k = cfg->matrix_beta_k;
  r->k_p0 = cfg->matrix_k_p0;
  r->k_k0 = cfg->matrix_k_k0;
  r->k_f0 = cfg->matrix_k_f0;
  r->k_pi = cfg->matrix_k_pi;
  r->k_ki = cfg->matrix_k_ki;
  r->K_deg = cfg->matrix_K_deg;
  r->K_room = cfg->matrix_K_room;
  r->n_deg = cfg->mechanisms_catabolic_switch ? cfg->matrix_n_deg : 1.0;
  r->mech = cfg->patient_mech;
  r->c0 = cfg->tissue_c0;
}

/* Saturating x/(K+x), written x/(K+|x|) so that a round-off negative x (the integrator
 * may undershoot zero by ~atol) cannot hit the pole; identical for x >= 0. */
static inline double sat(double x, double K) { return x / (K + fabs(x)); }

/* The catabolic switch D(i) = i^n / (K^n + i^n), on |i|. */
static inline double switch_deg(double i, double K, double n)
{
  double a = fabs(i);
  if (n == 1.0) return a / (K + a);
  double y = a / K, x;
  if (n == 4.0) { /* the default: avoid pow() in the innermost loop */
    x = y * y;
    x *= x;
  } else {
    x = pow(y, n);
  }
  return x / (1.0 + x);
}

typedef struct {
  double fn, h, q, H, T, ps, gm, nq, deg, open_act;
} helpers;

static void eval_helpers(const chs_rates *r, const chs_cell_env *e, const double *u, helpers *x)
{
  double s = u[CHS_F_MSC], g = u[CHS_F_GROWTH_FACTOR], i = u[CHS_F_CYTOKINE], n = u[CHS_F_OXYGEN];
  x->fn = sat(n, r->K_n);
  x->h = sat(g, r->K_g);
  x->q = 1.0 / (1.0 + fabs(i) / r->K_I);
  x->H = 0.5 * (1.0 + tanh((s - r->s_star) / r->eps));
  x->T = sat(s, r->K_T);
  x->ps = sat(s, r->K_psi);
  x->gm = sat(g, r->K_m);
  x->nq = sat(n, r->K_qn);
  x->deg = switch_deg(i, r->K_deg, r->n_deg);
  /* Mature cells enter the repair phase in proportion to the collagen lost below native. */
  double lost = e->k_nat > 0 ? 1.0 - (u[CHS_F_COLLAGEN2] + u[CHS_F_FIBROUS]) / e->k_nat : 0.0;
  x->open_act = lost > 0.0 ? (lost < 1.0 ? lost : 1.0) : 0.0;
}

void chs_react(const chs_rates *r, const chs_cell_env *e, const double u[CHS_NF], double R[CHS_NF])
{
  chs_react_and_flows(r, e, u, R, NULL);
}

void chs_react_and_flows(const chs_rates *r, const chs_cell_env *e, const double u[CHS_NF],
                         double R[CHS_NF], double flows[3])
{
  helpers x;
  eval_helpers(r, e, u, &x);
  const double s = u[CHS_F_MSC], c = u[CHS_F_CHONDROCYTE], cr = u[CHS_F_REPAIR], cd = u[CHS_F_DONOR];
  const double g = u[CHS_F_GROWTH_FACTOR], i = u[CHS_F_CYTOKINE], p = u[CHS_F_PROTEOGLYCAN];
  const double k = u[CHS_F_COLLAGEN2], f = u[CHS_F_FIBROUS], l = u[CHS_F_LATENT];
  const double rho = s + c + cr + cd;
  const double diff = r->k_d * r->A_d * x.H * x.h * x.q * s; /* MSC -> chondrocyte */
  const double boost = 1.0 + r->beta_T * x.T;                /* trophic support of repair cells */

  const double prolif = r->r_s * r->A_d * x.fn * s * (1.0 - rho / r->rho_max);
  const double died = (r->delta_s + r->delta_X * e->Z) * s;
  R[CHS_F_MSC] = prolif - diff - died;
  if (flows) { /* the same numbers, for the cell ledger (chs_react_msc_flows) */
    flows[0] = prolif;
    flows[1] = diff;
    flows[2] = died;
  }
  /* MSC-derived chondrocytes: the patient's own join the repair phase, a donor's stay
   * apart (cleared by the immune response). */
  R[CHS_F_REPAIR] = r->msc_allogeneic ? 0.0 : diff;
  R[CHS_F_DONOR] = r->msc_allogeneic ? diff : 0.0;
  R[CHS_F_CHONDROCYTE] = 0.0;
  if (r->chondro_kinetics) {
    const double room = 1.0 - rho / e->c_max, death = r->delta_c * (1.0 + r->a_c * fabs(i));
    const double act = r->k_act * x.open_act * c, mat = r->k_mat * cr;
    R[CHS_F_CHONDROCYTE] += r->r_cm * r->A * x.fn * c * room + mat - act - death * c;
    R[CHS_F_REPAIR] += r->r_c * r->A * (1.0 + r->beta_c * x.h) * boost * x.fn * cr * room + act - mat -
                       death * cr;
    R[CHS_F_DONOR] -= death * cd;
  }
  /* Immune clearance has its own switch (mechanisms.immune), independent of the kinetics. */
  R[CHS_F_DONOR] -= r->delta_D * e->Z * cd;
  const double kA = r->k_a0 + e->k_inj + r->k_aS * sat(s, r->K_aS);
  R[CHS_F_GROWTH_FACTOR] = r->sigma_c * (c + r->sigma_rel * (cr + cd)) + kA * l - r->lambda_g * g -
                           r->u_g * rho * x.gm;
  R[CHS_F_LATENT] = r->sigma_l * (c + cr) / r->c0 - kA * l;
  R[CHS_F_CYTOKINE] = -r->lambda_i * i - r->psi_i * x.ps * i;
  R[CHS_F_OXYGEN] = -r->q_n * rho * x.nq;
  /* Synthesis by the chondrocyte lineages, per native-cell equivalent. Age (A) limits the
   * repair capacity, not maintenance. Mature cells maintain collagen at a rate that hardly
   * depends on how much is missing (saturating in the room left, K_room): adult collagen
   * turns over in decades and a lost network does not regrow by maintenance. Repair-phase
   * cells build new matrix into the room left (v1's logistic form). */
  const double env = x.q * x.fn / r->c0, room_k = 1.0 - k - f;
  const double rep = (cr * r->A + cd * r->A_D) * boost; /* donor chondrocytes: the donor's age */
  R[CHS_F_PROTEOGLYCAN] = (c * r->P_pm + rep * r->P_p) * env * (1.0 + r->beta_p * x.h) * (1.0 - p) -
                          (r->k_p0 + r->mech * r->k_pi * x.deg) * p;
  R[CHS_F_COLLAGEN2] = (c * r->P_km * sat(room_k, r->K_room) + rep * r->P_k * room_k) * env *
                           (1.0 + r->beta_k * x.h) -
                       (r->k_k0 + r->mech * r->k_ki * x.deg) * k;
  R[CHS_F_FIBROUS] = r->P_f * r->A_d * (1.0 - x.h) * x.fn * (s / r->c0) * (1.0 - k - f) - r->k_f0 * f;
}

/* sat(x, K) and its derivative K / (K + |x|)^2 dx (the same for either sign of x) from
 * one division. */
static inline double sat_jv(double x, double dx, double K, double *dsat)
{
  const double inv = 1.0 / (K + fabs(x));
  *dsat = K * inv * inv * dx;
  return x * inv;
}

/* eval_helpers and the helpers' derivatives along v in one pass (dx: the same fields).
 * The values agree with eval_helpers to round-off, not to the bit: only chs_react's
 * results must not change. At the kinks the derivative of the branch the value takes:
 * |x| is differentiated as x >= 0 at 0, the clipped activation has slope 0 at and beyond
 * its edges and when k_nat <= 0. */
static void eval_helpers_jv(const chs_rates *r, const chs_cell_env *e, const double *u, const double *v,
                            helpers *x, helpers *dx)
{
  const double s = u[CHS_F_MSC], g = u[CHS_F_GROWTH_FACTOR], n = u[CHS_F_OXYGEN];
  const double ds = v[CHS_F_MSC], dg = v[CHS_F_GROWTH_FACTOR], dn = v[CHS_F_OXYGEN];
  const double i = u[CHS_F_CYTOKINE], a = fabs(i), da = i >= 0.0 ? v[CHS_F_CYTOKINE] : -v[CHS_F_CYTOKINE];
  x->fn = sat_jv(n, dn, r->K_n, &dx->fn);
  x->h = sat_jv(g, dg, r->K_g, &dx->h);
  x->T = sat_jv(s, ds, r->K_T, &dx->T);
  x->ps = sat_jv(s, ds, r->K_psi, &dx->ps);
  x->gm = sat_jv(g, dg, r->K_m, &dx->gm);
  x->nq = sat_jv(n, dn, r->K_qn, &dx->nq);
  const double inv_q = 1.0 / (r->K_I + a); /* q = K_I / (K_I + |i|) */
  x->q = r->K_I * inv_q;
  dx->q = -x->q * inv_q * da;
  /* H = (1 + tanh z) / 2 = 1 / (1 + exp(-2z)): with w = exp(-2|z|) H and its slope
   * 2w / (1 + w)^2 keep their relative precision on both sides, where 1 +- tanh cancels. */
  const double inv_eps = 1.0 / r->eps, z = (s - r->s_star) * inv_eps, w = exp(-2.0 * fabs(z));
  const double inv_w = 1.0 / (1.0 + w);
  x->H = z >= 0.0 ? inv_w : w * inv_w;
  dx->H = 2.0 * w * inv_w * inv_w * inv_eps * ds;
  /* switch_deg: D = y^n / (1 + y^n), y = |i| / K_deg, dD/dy = n y^(n-1) / (1 + y^n)^2 */
  const double inv_K = 1.0 / r->K_deg, y = a * inv_K;
  double yn, slope; /* y^n and n y^(n-1) */
  if (r->n_deg == 1.0) {
    yn = y;
    slope = 1.0;
  } else if (r->n_deg == 4.0) {
    const double y2 = y * y;
    yn = y2 * y2;
    slope = 4.0 * y2 * y;
  } else {
    yn = pow(y, r->n_deg);
    slope = y > 0.0 ? r->n_deg * yn / y : 0.0;
  }
  const double inv_D = 1.0 / (1.0 + yn);
  x->deg = yn * inv_D;
  dx->deg = slope * inv_D * inv_D * inv_K * da;
  /* lost as eval_helpers computes it, so that the clip takes the same branch */
  x->open_act = dx->open_act = 0.0;
  if (e->k_nat > 0) {
    const double lost = 1.0 - (u[CHS_F_COLLAGEN2] + u[CHS_F_FIBROUS]) / e->k_nat;
    if (lost >= 1.0)
      x->open_act = 1.0;
    else if (lost > 0.0) {
      x->open_act = lost;
      dx->open_act = -(v[CHS_F_COLLAGEN2] + v[CHS_F_FIBROUS]) / e->k_nat;
    }
  }
}

/* chs_react_and_flows differentiated term by term (the same order, d* the derivatives). */
void chs_react_jv(const chs_rates *r, const chs_cell_env *e, const double u[CHS_NF], const double v[CHS_NF],
                  double dZ, double JR[CHS_NF], double dflows[3])
{
  helpers x, dx;
  eval_helpers_jv(r, e, u, v, &x, &dx);
  const double s = u[CHS_F_MSC], c = u[CHS_F_CHONDROCYTE], cr = u[CHS_F_REPAIR], cd = u[CHS_F_DONOR];
  const double i = u[CHS_F_CYTOKINE], p = u[CHS_F_PROTEOGLYCAN], k = u[CHS_F_COLLAGEN2], f = u[CHS_F_FIBROUS];
  const double l = u[CHS_F_LATENT];
  const double ds = v[CHS_F_MSC], dc = v[CHS_F_CHONDROCYTE], dcr = v[CHS_F_REPAIR], dcd = v[CHS_F_DONOR];
  const double dg = v[CHS_F_GROWTH_FACTOR], di = v[CHS_F_CYTOKINE], dp = v[CHS_F_PROTEOGLYCAN];
  const double dk = v[CHS_F_COLLAGEN2], df = v[CHS_F_FIBROUS], dl = v[CHS_F_LATENT];
  const double inv_c0 = 1.0 / r->c0;
  const double rho = s + c + cr + cd, drho = ds + dc + dcr + dcd;
  const double Hhq = x.H * x.h * x.q, dHhq = dx.H * x.h * x.q + x.H * (dx.h * x.q + x.h * dx.q);
  const double ddiff = r->k_d * r->A_d * (dHhq * s + Hhq * ds);
  const double boost = 1.0 + r->beta_T * x.T, dboost = r->beta_T * dx.T;

  const double inv_rho_max = 1.0 / r->rho_max;
  const double crowd = 1.0 - rho * inv_rho_max, dcrowd = -drho * inv_rho_max;
  const double dprolif = r->r_s * r->A_d * (dx.fn * s * crowd + x.fn * (ds * crowd + s * dcrowd));
  const double ddied = (r->delta_s + r->delta_X * e->Z) * ds + r->delta_X * dZ * s;
  JR[CHS_F_MSC] = dprolif - ddiff - ddied;
  if (dflows) {
    dflows[0] = dprolif;
    dflows[1] = ddiff;
    dflows[2] = ddied;
  }
  JR[CHS_F_REPAIR] = r->msc_allogeneic ? 0.0 : ddiff;
  JR[CHS_F_DONOR] = r->msc_allogeneic ? ddiff : 0.0;
  JR[CHS_F_CHONDROCYTE] = 0.0;
  if (r->chondro_kinetics) {
    const double inv_c_max = 1.0 / e->c_max;
    const double room = 1.0 - rho * inv_c_max, droom = -drho * inv_c_max;
    const double death = r->delta_c * (1.0 + r->a_c * fabs(i));
    const double ddeath = r->delta_c * r->a_c * (i >= 0.0 ? di : -di);
    const double dact = r->k_act * (dx.open_act * c + x.open_act * dc), dmat = r->k_mat * dcr;
    /* growth per cell: mature r_cm A fn room, repair r_c A (1 + beta_c h) boost fn room */
    const double grow = x.fn * room, dgrow = dx.fn * room + x.fn * droom;
    const double grow_r = (1.0 + r->beta_c * x.h) * boost * grow;
    const double dgrow_r = (r->beta_c * dx.h * boost + (1.0 + r->beta_c * x.h) * dboost) * grow +
                           (1.0 + r->beta_c * x.h) * boost * dgrow;
    JR[CHS_F_CHONDROCYTE] += r->r_cm * r->A * (dgrow * c + grow * dc) + dmat - dact - ddeath * c - death * dc;
    JR[CHS_F_REPAIR] += r->r_c * r->A * (dgrow_r * cr + grow_r * dcr) + dact - dmat - ddeath * cr - death * dcr;
    JR[CHS_F_DONOR] -= ddeath * cd + death * dcd;
  }
  JR[CHS_F_DONOR] -= r->delta_D * (dZ * cd + e->Z * dcd);
  double dsat_aS;
  const double kA = r->k_a0 + e->k_inj + r->k_aS * sat_jv(s, ds, r->K_aS, &dsat_aS), dkA = r->k_aS * dsat_aS;
  JR[CHS_F_GROWTH_FACTOR] = r->sigma_c * (dc + r->sigma_rel * (dcr + dcd)) + dkA * l + kA * dl - r->lambda_g * dg -
                            r->u_g * (drho * x.gm + rho * dx.gm);
  JR[CHS_F_LATENT] = r->sigma_l * (dc + dcr) * inv_c0 - dkA * l - kA * dl;
  JR[CHS_F_CYTOKINE] = -r->lambda_i * di - r->psi_i * (dx.ps * i + x.ps * di);
  JR[CHS_F_OXYGEN] = -r->q_n * (drho * x.nq + rho * dx.nq);

  const double env = x.q * x.fn * inv_c0, denv = (dx.q * x.fn + x.q * dx.fn) * inv_c0, room_k = 1.0 - k - f;
  const double droom_k = -dk - df;
  const double rep0 = cr * r->A + cd * r->A_D, drep0 = dcr * r->A + dcd * r->A_D;
  const double rep = rep0 * boost, drep = drep0 * boost + rep0 * dboost;
  /* proteoglycan: cells_p env (1 + beta_p h) (1 - p) - (k_p0 + mech k_pi D) p */
  const double cells_p = c * r->P_pm + rep * r->P_p, dcells_p = dc * r->P_pm + drep * r->P_p;
  const double syn_p = cells_p * env * (1.0 + r->beta_p * x.h);
  const double dsyn_p = (dcells_p * env + cells_p * denv) * (1.0 + r->beta_p * x.h) +
                        cells_p * env * r->beta_p * dx.h;
  JR[CHS_F_PROTEOGLYCAN] = dsyn_p * (1.0 - p) - syn_p * dp - r->mech * r->k_pi * dx.deg * p -
                           (r->k_p0 + r->mech * r->k_pi * x.deg) * dp;
  /* collagen II: cells_k env (1 + beta_k h) - (k_k0 + mech k_ki D) k */
  double dsk;
  const double sk = sat_jv(room_k, droom_k, r->K_room, &dsk);
  const double cells_k = c * r->P_km * sk + rep * r->P_k * room_k;
  const double dcells_k = (dc * sk + c * dsk) * r->P_km + (drep * room_k + rep * droom_k) * r->P_k;
  JR[CHS_F_COLLAGEN2] = (dcells_k * env + cells_k * denv) * (1.0 + r->beta_k * x.h) +
                        cells_k * env * r->beta_k * dx.h - r->mech * r->k_ki * dx.deg * k -
                        (r->k_k0 + r->mech * r->k_ki * x.deg) * dk;
  /* fibrous: P_f A_d (1 - h) fn (s / c0) room_k - k_f0 f */
  const double hfn = (1.0 - x.h) * x.fn, dhfn = (1.0 - x.h) * dx.fn - dx.h * x.fn;
  JR[CHS_F_FIBROUS] = r->P_f * r->A_d * inv_c0 * (dhfn * s * room_k + hfn * (ds * room_k + s * droom_k)) -
                      r->k_f0 * df;
}

void chs_react_msc_flows(const chs_rates *r, const chs_cell_env *e, const double u[CHS_NF],
                         double *proliferated, double *differentiated, double *died)
{
  helpers x;
  eval_helpers(r, e, u, &x);
  double s = u[CHS_F_MSC];
  double rho = s + u[CHS_F_CHONDROCYTE] + u[CHS_F_REPAIR] + u[CHS_F_DONOR];
  *proliferated = r->r_s * r->A_d * x.fn * s * (1.0 - rho / r->rho_max);
  *differentiated = r->k_d * r->A_d * x.H * x.h * x.q * s;
  *died = (r->delta_s + r->delta_X * e->Z) * s;
}

void chs_react_jacobian(const chs_rates *r, const chs_cell_env *e, const double u[CHS_NF],
                        double J[CHS_NF * CHS_NF])
{
  double R0[CHS_NF], R1[CHS_NF], v[CHS_NF];
  chs_react(r, e, u, R0);
  memcpy(v, u, sizeof v);
  for (int b = 0; b < CHS_NF; b++) {
    /* Step sqrt(eps) relative to the value or to the field's typical size. */
    double du = 1.5e-8 * fmax(fabs(u[b]), 1e-3 * chs_field_scale[b]);
    v[b] = u[b] + du;
    du = v[b] - u[b]; /* the step actually taken */
    chs_react(r, e, v, R1);
    for (int a = 0; a < CHS_NF; a++) J[a * CHS_NF + b] = (R1[a] - R0[a]) / du;
    v[b] = u[b];
  }
}

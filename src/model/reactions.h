/* Pointwise reaction terms of MODEL.md §3 and their analytic Jacobian. Pure functions of
 * one cell's state: tested without a grid (tests/unit/test_reactions.c). */
#ifndef CHS_REACTIONS_H
#define CHS_REACTIONS_H

#include "config/config.h"
#include "model/fields.h"

/* Rate constants with the cell source's multipliers and the age factors applied. */
typedef struct {
  double r_s, rho_max, k_d, s_star, eps, delta_s;  /* MSC */
  double r_c, delta_c, a_c, beta_c;                /* chondrocytes */
  double sigma_s, sigma_c, lambda_g, u_g, K_m, K_g; /* growth factor */
  double lambda_i, psi_i, K_psi, K_I;              /* cytokine */
  double q_n, K_qn, K_n;                           /* oxygen */
  double P_p, P_k, P_f, beta_p, beta_k;            /* matrix synthesis */
  double k_p0, k_k0, k_f0, k_pi, k_ki, K_deg;      /* matrix loss */
  double c0;                                       /* native chondrocyte density */
  double A, A_d;                                   /* host and donor age factors */
} chs_rates;

/* A(age): 1 up to 30 years, linear to A_80 at 80 years, A_80 beyond. */
double chs_age_factor(double age, double A_80);

void chs_rates_from_config(const chs_config *cfg, chs_rates *r);

/* R = reaction rates at state u; c_max is the local chondrocyte carrying capacity. */
void chs_react(const chs_rates *r, double c_max, const double u[CHS_NF], double R[CHS_NF]);

/* The MSC rate split into its parts (cells/mm^3/day): net proliferation, differentiation
 * into chondrocytes and death; R_msc = proliferated - differentiated - died. */
void chs_react_msc_flows(const chs_rates *r, const double u[CHS_NF], double *proliferated,
                         double *differentiated, double *died);

/* J[a*CHS_NF + b] = dR_a/du_b. */
void chs_react_jacobian(const chs_rates *r, double c_max, const double u[CHS_NF],
                        double J[CHS_NF * CHS_NF]);

#endif

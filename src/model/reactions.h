/* Pointwise reaction terms of the tissue model (docs/model.md §3) and their Jacobian.
 * Pure functions of one cell's state and its local context: tested without a grid
 * (tests/unit/test_reactions.c). */
#ifndef CHS_REACTIONS_H
#define CHS_REACTIONS_H

#include <stdbool.h>

#include "config/config.h"
#include "model/fields.h"

/* Rate constants with the cell source's multipliers, the age factors and the mechanism
 * switches applied. */
typedef struct {
  double r_s, rho_max, k_d, s_star, eps, delta_s;        /* MSC */
  double delta_X;                                        /* immune clearance of MSCs at Z = 1 */
  double r_c, r_cm, delta_c, a_c, beta_c, k_act, k_mat;  /* chondrocytes (repair, mature) */
  double delta_D;                                        /* immune clearance of donor chondrocytes at Z = 1 */
  bool msc_allogeneic, chondro_kinetics;
  double sigma_c, sigma_rel, lambda_g, u_g, K_m, K_g;    /* growth factor */
  double sigma_l, k_a0, k_aS, K_aS;                      /* latent store (sigma_l = 0: off) */
  double K_T, beta_T;                                    /* trophic effect (beta_T = 0: off) */
  double lambda_i, psi_i, K_psi, K_I;                    /* cytokine */
  double q_n, K_qn, K_n;                                 /* oxygen */
  double P_p, P_k, P_pm, P_km, P_f, beta_p, beta_k;      /* matrix synthesis (repair, mature) */
  double k_p0, k_k0, k_f0, k_pi, k_ki, K_deg, n_deg;     /* matrix loss */
  double K_room;                                         /* room of half mature collagen synthesis */
  double mech;                                           /* mechanical multiplier on catabolism */
  double c0;                                             /* native chondrocyte density */
  double A, A_d;                                         /* host age factor; age factor of the MSCs */
  double A_D;                                            /* age factor of allogeneic (donor) cells */
} chs_rates;

/* Where a cell is and when: what the reactions need beyond the cell's own state. */
typedef struct {
  double c_max;  /* chondrocyte carrying capacity (native state, per depth) */
  double k_nat;  /* native collagen at this depth: activation starts below it */
  double k_inj;  /* injury activation of the latent store now (1/day; 0 away from the rim) */
  double Z;      /* immune response 0..1 (joint state) */
} chs_cell_env;

/* A(age): 1 up to 30 years, linear to A_80 at 80 years, A_80 beyond. */
double chs_age_factor(double age, double A_80);

/* msc_allogeneic: the MSC component's donor (therapy composition). */
void chs_rates_from_config(const chs_config *cfg, bool msc_allogeneic, chs_rates *r);

/* R = reaction rates at state u. */
void chs_react(const chs_rates *r, const chs_cell_env *e, const double u[CHS_NF], double R[CHS_NF]);

/* chs_react and, when flows is not NULL, chs_react_msc_flows' three parts from the same
 * evaluation (the right-hand side needs both in every cell with MSCs). */
void chs_react_and_flows(const chs_rates *r, const chs_cell_env *e, const double u[CHS_NF],
                         double R[CHS_NF], double flows[3]);

/* The MSC rate split into its parts (cells/mm^3/day): proliferation, differentiation into
 * chondrocytes and death (incl. immune clearance); R_msc = proliferated - differentiated - died. */
void chs_react_msc_flows(const chs_rates *r, const chs_cell_env *e, const double u[CHS_NF],
                         double *proliferated, double *differentiated, double *died);

/* JR = (dR/du) v + (dR/dZ) dZ: the exact derivative of chs_react at u along the direction v
 * and dZ of the immune response (a joint unknown); with dflows, also that of the three MSC
 * flows. At the kinks the branch the function takes (|x| at 0 as x >= 0, the activation's
 * clip flat at its edges). One pass, no difference quotient: the Krylov solver's product. */
void chs_react_jv(const chs_rates *r, const chs_cell_env *e, const double u[CHS_NF], const double v[CHS_NF],
                  double dZ, double JR[CHS_NF], double dflows[3]);

/* J[a*CHS_NF + b] = dR_a/du_b by one-sided differences (a preconditioner ingredient: the
 * Newton iteration itself uses exact residuals). */
void chs_react_jacobian(const chs_rates *r, const chs_cell_env *e, const double u[CHS_NF],
                        double J[CHS_NF * CHS_NF]);

#endif

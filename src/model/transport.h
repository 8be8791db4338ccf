/* Diffusion of cells and solutes (docs/model.md): conservative cell-centred finite
 * volumes, harmonic-mean face coefficients, matrix-dependent diffusivities, and the
 * boundary conditions of the articular surface (Robin to the fluid) and the bone. */
#ifndef CHS_TRANSPORT_H
#define CHS_TRANSPORT_H

#include "config/config.h"
#include "grid/grid.h"
#include "model/fields.h"

typedef struct {
  double D_s, D_c;                  /* cell motility at M = 0 (scaled by (1-M)^2) */
  double Dg_tissue, Dg_free;        /* growth factor at M = 1 and M = 0 */
  double Di_tissue, Di_free;        /* cytokine */
  double D_n;                       /* oxygen (independent of M) */
  double h_top, kappa;              /* surface mass transfer (mm/day), partition */
  double fluid[CHS_ND];             /* fluid values U at the surface (solutes only) */
  double h_bone, n_bone;            /* bone-side oxygen exchange */
  double P_b, bone_cytokine;        /* bone-side cytokine exchange (bml): permeability, value */
  double carrier_cell, carrier_solute; /* filler multipliers of an intralesional carrier */
  const double *filler;             /* ghosted, 1 in lesion cells (carrier filler), or NULL */
} chs_transport;

void chs_transport_from_config(const chs_config *cfg, chs_transport *tp);

/* Diffusivities of the CHS_ND moving fields in a cell with state u. */
void chs_transport_coefficients(const chs_transport *tp, const double *u, double D[CHS_ND]);

/* Harmonic mean of two face neighbours' coefficients (0 if either is 0). */
static inline double chs_harmonic(double a, double b)
{
  double s = a + b;
  return s > 0.0 ? 2.0 * a * b / s : 0.0;
}

/* Fills D (ghosted, CHS_ND per cell) from the ghosted state ug (and tp->filler). */
void chs_transport_fill_coefficients(const chs_transport *tp, const chs_grid *g, const double *ug,
                                     double *D);

/* ydot[cell*CHS_NF + f] += div(D grad u_f) + boundary fluxes, for owned cells.
 * ug: ghosted state with ghosts exchanged; D from chs_transport_fill_coefficients. */
void chs_transport_apply(const chs_transport *tp, const chs_grid *g, const double *ug,
                         const double *D, double *ydot);

/* The linearised couplings are preconditioner ingredients, stored in single precision:
 * they are the largest arrays the preconditioners' solves stream. */
typedef float chs_coupling;

/* The linearisation with frozen coefficients, per owned cell and moving field:
 * diag (d ydot_f / d u_f of the cell itself), and the couplings to the cells above
 * (k-1) and below (k+1) in the same column. Arrays: CHS_ND per owned cell. lat (NULL: not
 * wanted): the lateral couplings, 4 x CHS_ND per owned cell in the order x-, x+, y-, y+
 * (neighbours on other ranks included), 0 where there is no neighbour. Cells in the owned
 * order (chs_grid_owned), or with by_column in column order (chs_grid_by_column), the
 * order the preconditioners' column solves stream. diag (double) is made of the rounded
 * couplings, so that the rows of the stored operator still sum to the boundary exchange
 * alone (rounding them apart would perturb the operator's smooth modes by about
 * 6e-8 gamma D / h^2, which reaches 0.1 on fine grids at long steps). */
void chs_transport_linearize(const chs_transport *tp, const chs_grid *g, const double *D, int by_column,
                             double *diag, chs_coupling *up, chs_coupling *down, chs_coupling *lat);

/* Amount of each solute entering the tissue through the articular surface per day
 * (out[f] for f < CHS_ND; cells 0), summed over this rank's surface cells, or only over
 * those of the columns marked in `columns` (owned columns, x fastest; NULL: all). */
void chs_transport_surface_uptake(const chs_transport *tp, const chs_grid *g, const double *ug,
                                  const double *D, const unsigned char *columns, double out[CHS_ND]);

/* ---- The exact derivative (analytic Jacobian-vector products) ----
 * A direction is carried, ghosted, as CHS_TP_NV values per cell: the moving fields'
 * components, then that of the network's raw sum k + f (the diffusivities depend on the
 * state through it alone). The joint's part of the direction enters through the fluid
 * values and the bone-side cytokine. At the clip of M to [0, 1] the derivative is that of
 * the branch taken (0 outside, the slope inside and on the edges). */
enum { CHS_TP_NV = CHS_ND + 1 };
typedef struct {
  double fluid[CHS_ND];  /* d fluid values */
  double bone_cytokine;  /* d bone-side cytokine value */
} chs_transport_dir;

/* dD (ghosted, CHS_ND per cell): the derivative of the diffusivities along vg. */
void chs_transport_fill_coefficients_jv(const chs_transport *tp, const chs_grid *g, const double *ug,
                                        const double *vg, double *dD);
/* jv[cell*CHS_NF + f] += the derivative of chs_transport_apply's terms along (vg, dir). */
void chs_transport_apply_jv(const chs_transport *tp, const chs_grid *g, const double *ug, const double *D,
                            const double *vg, const double *dD, const chs_transport_dir *dir, double *jv);
/* The derivative of chs_transport_surface_uptake along (vg, dir). */
void chs_transport_surface_uptake_jv(const chs_transport *tp, const chs_grid *g, const double *ug,
                                     const double *D, const double *vg, const double *dD,
                                     const chs_transport_dir *dir, const unsigned char *columns,
                                     double out[CHS_ND]);
/* d chs_transport_robin / d D_cell. */
double chs_transport_robin_dD(double h, double D_cell, double half_dz);

/* Surface and bone boundary terms of one cell's face: flux into the cell per unit area
 * is coef * (U - u); returns coef (0 when there is no exchange). */
double chs_transport_robin(double h, double D_cell, double half_dz);

#endif

/* The joint around the simulated tissue: the well-mixed synovial fluid (cells, growth
 * factor, cytokine, cell-free products), the synovium (resident MSC pools, the slow
 * synovitis state), the bone under the cartilage (progenitor pool, bone-marrow lesion),
 * the adaptive immune response to allogeneic cells, and the cell ledger. These global
 * unknowns follow the tissue cells in the state vector of rank 0.
 *
 * Ledger (cells): injected = MSCs in tissue + N + Y1 + Y2 + S_b + marrow reservoir
 *   + cleared + died + differentiated - proliferated + lost at delivery. */
#ifndef CHS_JOINT_H
#define CHS_JOINT_H

#include <stdbool.h>

#include "config/config.h"

#define CHS_POOL_LIST(X)                                                                          \
  X(CHS_P_N, "fluid_msc", "cells", "free MSCs in the synovial fluid")                             \
  X(CHS_P_G, "fluid_growth_factor", "ng/mL", "growth factor in the synovial fluid")               \
  X(CHS_P_I, "fluid_cytokine", "relative", "cytokine in the synovial fluid")                      \
  X(CHS_P_E, "fluid_exosomes", "MSC-equivalents", "exosomes in the joint")                        \
  X(CHS_P_PRP, "fluid_prp", "MSC-equivalents", "platelet-rich plasma still acting")               \
  X(CHS_P_HA, "fluid_ha", "injections", "hyaluronic acid still in the joint")                     \
  X(CHS_P_Y1, "synovium_msc_loose", "cells", "MSCs loosely attached to synovium and cartilage")   \
  X(CHS_P_Y2, "synovium_msc_engrafted", "cells", "MSCs engrafted as long-term residents")         \
  X(CHS_P_SB, "bone_msc", "cells", "progenitors placed in the subchondral bone")                  \
  X(CHS_P_MARROW, "marrow_reservoir", "cells", "subchondral dose still to enter the lesion")      \
  X(CHS_P_M, "synovitis", "1", "synovitis / macrophage activation state (1 = untreated)")         \
  X(CHS_P_B, "bml", "1", "bone-marrow lesion state")                                              \
  X(CHS_P_Z, "immune", "1", "adaptive immune response to allogeneic cells")                       \
  X(CHS_P_CLEARED, "msc_cleared", "cells", "MSCs cleared from the fluid (cumulative)")            \
  X(CHS_P_DIED, "msc_died", "cells", "MSCs died anywhere (cumulative)")                           \
  X(CHS_P_DIFFERENTIATED, "msc_differentiated", "cells", "MSCs become chondrocytes (cumulative)") \
  X(CHS_P_PROLIFERATED, "msc_proliferated", "cells", "MSC divisions in tissue (cumulative)")

enum {
#define CHS_X_P(id, name, unit, doc) id,
  CHS_POOL_LIST(CHS_X_P)
#undef CHS_X_P
  CHS_NPOOL
};

extern const char *const chs_pool_names[CHS_NPOOL];
extern const char *const chs_pool_units[CHS_NPOOL];

typedef struct {
  /* fluid and attachment */
  double k_clr, k_att, att_I, k_clrG, sigma_sf, k_I, I_base, psi_sf, V_sf_mm3;
  double phi;                  /* the lesion's share of attaching cells */
  /* synovium */
  double k_eng, d_Y1, d_Y2, K_Phi, kappa_m, tau_m;
  /* the cell source's multipliers on its cells' exposure weight (not on PRP or exosomes):
   * paracrine (synovitis drive, pi) and psi_cells (fluid cytokine clearance, pi_psi) */
  double paracrine, psi_cells;
  bool synovitis;
  /* damage feedback */
  double gamma_F;
  /* products */
  double k_E, k_P, sigma_P, k_H;
  /* bone */
  double B_0, delta_b, K_B, psi_B, tau_B;
  double B_init; /* B(0): init.bml, else B_0 */
  bool bone;
  /* immune */
  bool allogeneic;             /* MSC component allogeneic (and the immune mechanism on) */
  double t_on;                 /* day the adaptive response can start (inf: never) */
  double tau_Z, tau_mem, delta_X, sigma_rej, K_present, K_N;
  /* fluid exchange with the tissue: A_joint / V_sf / simulated surface area */
  bool exchange;
  double A_joint;
  double I_uptake_native;      /* cytokine the native joint surface takes up per unit I, 1/day */
} chs_joint;

/* What the tissue contributes to the joint's equations, over the real lesion/joint. */
typedef struct {
  double died, differentiated, proliferated; /* MSC flows in tissue, cells/day */
  double msc_tissue;                          /* MSCs in the tissue, cells */
  double donor_cells;                         /* allogeneic chondrocytes in tissue, cells */
  double damage;                              /* 1 - mean collagen / native mean collagen */
  double uptake_G, uptake_I;                  /* solute entering the tissue per mm^2 of surface per day */
} chs_tissue_flows;

/* lesion_area: the real lesion opening (mm^2), for the homing share phi. msc_allogeneic:
 * the MSC component is a donor's (immune clearance of MSCs, rejection flare);
 * first_allo_day: the first dose with allogeneic cells of any component (the immune clock
 * starts t_lag after it; INFINITY: never). */
void chs_joint_from_config(const chs_config *cfg, double lesion_area, bool msc_allogeneic,
                           double first_allo_day, chs_joint *j);
void chs_joint_initial(const chs_joint *j, double P[CHS_NPOOL]);
/* Attachment rate of free MSCs (1/day), rising with the fluid cytokine. */
double chs_joint_attach_rate(const chs_joint *j, const double P[CHS_NPOOL]);
/* The effective inflammatory drive of the synovium (I_base raised by damage). */
double chs_joint_drive(const chs_joint *j, double damage);
/* dP/dt at day t; marrow_rate: cells/day leaving the marrow reservoir into the lesion. */
void chs_joint_rhs(const chs_joint *j, double t, const double P[CHS_NPOOL], const chs_tissue_flows *tf,
                   double marrow_rate, double dP[CHS_NPOOL]);
/* The exact derivatives, in the direction dP of the pools and dtf of the tissue's
 * contributions, of chs_joint_attach_rate and chs_joint_rhs (analytic Jacobian-vector
 * products; at a kink, max(x, 0) and the like, the branch the function takes). */
double chs_joint_attach_rate_jv(const chs_joint *j, const double P[CHS_NPOOL], const double dP[CHS_NPOOL]);
void chs_joint_rhs_jv(const chs_joint *j, double t, const double P[CHS_NPOOL], const chs_tissue_flows *tf,
                      const double dP[CHS_NPOOL], const chs_tissue_flows *dtf, double out[CHS_NPOOL]);
/* Diagonal of dP'/dP (for the preconditioner). */
void chs_joint_diagonal(const chs_joint *j, double t, const double P[CHS_NPOOL], double d[CHS_NPOOL]);

#endif

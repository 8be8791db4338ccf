/* The well-mixed synovial fluid of the joint (MODEL.md §3) and the cell ledger.
 * These global unknowns follow the tissue cells in the state vector of rank 0.
 *
 * Ledger (cells): injected = MSCs in tissue + N + attached elsewhere + marrow reservoir
 *   + cleared + died + differentiated - proliferated + lost at delivery. */
#ifndef CHS_JOINT_H
#define CHS_JOINT_H

#include "config/config.h"

#define CHS_POOL_LIST(X)                                                                    \
  X(CHS_P_N, "fluid_msc", "cells", "free MSCs in the synovial fluid")                       \
  X(CHS_P_G, "fluid_growth_factor", "ng/mL", "growth factor in the synovial fluid")         \
  X(CHS_P_I, "fluid_cytokine", "relative", "cytokine in the synovial fluid")                \
  X(CHS_P_E, "fluid_exosomes", "MSC-equivalents", "exosome pool")                           \
  X(CHS_P_ELSEWHERE, "msc_attached_elsewhere", "cells", "MSCs attached to cartilage outside the lesion") \
  X(CHS_P_MARROW, "marrow_reservoir", "cells", "subchondral dose still to enter the lesion") \
  X(CHS_P_CLEARED, "msc_cleared", "cells", "MSCs cleared from the fluid (cumulative)")       \
  X(CHS_P_DIED, "msc_died", "cells", "MSCs died, in tissue or attached elsewhere (cumulative)") \
  X(CHS_P_DIFFERENTIATED, "msc_differentiated", "cells", "MSCs become chondrocytes (cumulative)") \
  X(CHS_P_PROLIFERATED, "msc_proliferated", "cells", "net MSC divisions in tissue (cumulative)")

enum {
#define CHS_X_P(id, name, unit, doc) id,
  CHS_POOL_LIST(CHS_X_P)
#undef CHS_X_P
  CHS_NPOOL
};

extern const char *const chs_pool_names[CHS_NPOOL];
extern const char *const chs_pool_units[CHS_NPOOL];

typedef struct {
  double k_clr, k_att, att_I, k_clrG, sigma_sf, k_I, I_base, psi_sf, K_N, k_E;
  double phi;     /* the lesion's share of attaching cells */
  double delta_s; /* net loss of MSCs attached elsewhere */
} chs_joint;

/* Tissue integrals the ledger needs, cells/day over the real lesion (see grid phys_scale). */
typedef struct {
  double died, differentiated, proliferated;
} chs_tissue_flows;

/* lesion_area: the real lesion opening (mm^2), for the homing share phi. */
void chs_joint_from_config(const chs_config *cfg, double lesion_area, chs_joint *j);
void chs_joint_initial(const chs_joint *j, double P[CHS_NPOOL]);
/* Attachment rate of free MSCs (1/day), rising with the fluid cytokine. */
double chs_joint_attach_rate(const chs_joint *j, const double P[CHS_NPOOL]);
/* dP/dt; marrow_rate: cells/day leaving the marrow reservoir into the lesion. */
void chs_joint_rhs(const chs_joint *j, const double P[CHS_NPOOL], const chs_tissue_flows *t,
                   double marrow_rate, double dP[CHS_NPOOL]);
/* Diagonal of dP'/dP (for the preconditioner). */
void chs_joint_diagonal(const chs_joint *j, const double P[CHS_NPOOL], double d[CHS_NPOOL]);

#endif

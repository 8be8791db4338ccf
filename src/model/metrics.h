/* Outcome metrics of docs/model.md plus per-field totals, lesion means and minima
 * (minima show any negative overshoot of the integrator). Collective: reductions. */
#ifndef CHS_METRICS_H
#define CHS_METRICS_H

#include "model/model.h"

/* X(id, name, unit, doc) — the clinical outcomes. */
#define CHS_OUTCOME_LIST(X)                                                                  \
  X(CHS_M_DEFECT_FILL, "defect_fill", "fraction of native",                                  \
    "lesion-volume mean of collagen2 + fibrous")                                             \
  X(CHS_M_HYALINE_FRACTION, "hyaline_fraction", "1", "sum collagen2 / sum (collagen2 + fibrous) in the lesion") \
  X(CHS_M_PROTEOGLYCAN, "proteoglycan", "fraction of native", "lesion mean of proteoglycan") \
  X(CHS_M_INFLAMMATION, "inflammation", "relative", "lesion mean of cytokine")               \
  X(CHS_M_INFLAMMATION_FLUID, "inflammation_fluid", "relative", "cytokine of the synovial fluid") \
  X(CHS_M_MSC_RETAINED, "msc_retained", "1",                                                 \
    "MSCs in the joint (tissue, fluid, attached elsewhere) / cells injected so far")           \
  X(CHS_M_MSC_TISSUE, "msc_tissue", "cells", "MSCs in the simulated tissue")                  \
  X(CHS_M_CHONDROCYTES_LESION, "chondrocytes_lesion", "cells", "chondrocytes in the lesion")  \
  X(CHS_M_HEALTHY_MATRIX, "healthy_matrix", "fraction of native", "mean collagen2 outside the lesion") \
  X(CHS_M_CELLS_INJECTED, "cells_injected", "cells", "cells delivered so far")                \
  X(CHS_M_CELLS_LOST, "cells_lost_at_delivery", "cells", "the share of doses that never arrives") \
  X(CHS_M_LEDGER_RESIDUAL, "ledger_residual", "1",                                           \
    "(injected - all cells accounted for) / injected: the cell balance, ideally 0")           \
  X(CHS_M_RETAINED_JOINT, "retained_joint", "1",                                             \
    "MSCs anywhere in the joint (fluid, synovium, tissue, bone) / cells injected so far")      \
  X(CHS_M_DONOR_LINEAGE, "donor_lineage", "1",                                               \
    "upper bound of donor-lineage cells (retained MSCs + all ever differentiated) / injected")  \
  X(CHS_M_DONOR_FRACTION, "donor_fraction_lesion", "1",                                      \
    "donor cells (allogeneic MSCs and chondrocytes) / all cells in the lesion")               \
  X(CHS_M_SYNOVITIS, "synovitis_m", "1", "synovitis state (1 = untreated)")                  \
  X(CHS_M_BML, "bone_B", "1", "bone-marrow lesion state")                                    \
  X(CHS_M_THICKNESS, "thickness_equiv", "mm", "mean over columns of the depth integral of collagen2") \
  X(CHS_M_THICKNESS_LESION, "thickness_equiv_lesion", "mm", "the same over the lesion's columns") \
  X(CHS_M_THICKNESS_HEALTHY, "thickness_equiv_healthy", "mm", "the same outside the lesion's columns") \
  X(CHS_M_PAIN, "pain_proxy", "relative", "w_I fluid cytokine + w_B BML state - w_H hyaluronic acid") \
  X(CHS_M_RIM_FILL, "rim_fill", "fraction of native",                                       \
    "lesion mean of collagen2 + fibrous within 2 mm (laterally) of the wall")                 \
  X(CHS_M_CENTER_FILL, "center_fill", "fraction of native",                                 \
    "lesion mean of collagen2 + fibrous farther than 2 mm from the wall")

enum {
#define CHS_X_M(id, name, unit, doc) id,
  CHS_OUTCOME_LIST(CHS_X_M)
#undef CHS_X_M
  CHS_M_NOUTCOMES,
  /* then the fluid pools and ledger counters (joint.h), then per field f: total (amount
   * over the grid), lesion mean, minimum */
  CHS_M_POOL0 = CHS_M_NOUTCOMES,
  CHS_M_TOTAL0 = CHS_M_POOL0 + CHS_NPOOL,
  CHS_M_LESION0 = CHS_M_TOTAL0 + CHS_NF,
  CHS_M_MIN0 = CHS_M_LESION0 + CHS_NF,
  CHS_NMETRICS = CHS_M_MIN0 + CHS_NF
};

const char *chs_metric_name(int m);
const char *chs_metric_unit(int m);

/* values[CHS_NMETRICS]; injected and lost: the therapy's counts so far. Collective. */
void chs_metrics_compute(chs_model *m, const double *y, double injected, double lost,
                         double *values);

#endif

#include "model/metrics.h"

#include <math.h>
#include <stdio.h>

static const char *const outcome_names[] = {
#define CHS_X_M(id, name, unit, doc) name,
    CHS_OUTCOME_LIST(CHS_X_M)
#undef CHS_X_M
};
static const char *const outcome_units[] = {
#define CHS_X_M(id, name, unit, doc) unit,
    CHS_OUTCOME_LIST(CHS_X_M)
#undef CHS_X_M
};

/* Amount units: a field's unit times mm^3. */
static const char *const total_units[CHS_NF] = {
    "cells", "cells", "ng/mL mm^3", "relative mm^3", "mM mm^3",
    "native mm^3", "native mm^3", "native mm^3"};

const char *chs_metric_name(int m)
{
  static char names[3 * CHS_NF][48];
  static int built;
  if (!built) {
    for (int f = 0; f < CHS_NF; f++) {
      snprintf(names[f], sizeof names[f], "total_%s", chs_field_names[f]);
      snprintf(names[CHS_NF + f], sizeof names[0], "lesion_mean_%s", chs_field_names[f]);
      snprintf(names[2 * CHS_NF + f], sizeof names[0], "min_%s", chs_field_names[f]);
    }
    built = 1;
  }
  if (m < CHS_M_NOUTCOMES) return outcome_names[m];
  if (m < CHS_M_TOTAL0) return chs_pool_names[m - CHS_M_POOL0];
  return names[m - CHS_M_TOTAL0];
}

const char *chs_metric_unit(int m)
{
  if (m < CHS_M_NOUTCOMES) return outcome_units[m];
  if (m < CHS_M_TOTAL0) return chs_pool_units[m - CHS_M_POOL0];
  if (m < CHS_M_LESION0) return total_units[m - CHS_M_TOTAL0];
  return chs_field_units[(m - CHS_M_TOTAL0) % CHS_NF];
}

void chs_metrics_compute(chs_model *m, const double *y, double injected, double lost,
                         double *values)
{
  const chs_grid *g = m->grid;
  chs_model_sync_pools(m, y);
  const double *P = m->pools;
  /* sums: [0..NF) total amount, [NF..2NF) lesion amount, then lesion k, lesion k+f,
   * healthy k amount, healthy volume */
  enum { S_TOT = 0, S_LES = CHS_NF, S_K = 2 * CHS_NF, S_KF, S_HK, S_HV, S_N };
  double sums[S_N] = {0};
  double mins[CHS_NF];
  for (int f = 0; f < CHS_NF; f++) mins[f] = INFINITY;
  for (int k = 0; k < g->ln[2]; k++)
    for (int j = 0; j < g->ln[1]; j++)
      for (int i = 0; i < g->ln[0]; i++) {
        size_t c = chs_grid_owned(g, i, j, k);
        const double *u = y + c * CHS_NF;
        double v = g->vol[i];
        for (int f = 0; f < CHS_NF; f++) {
          sums[S_TOT + f] += u[f] * v;
          mins[f] = fmin(mins[f], u[f]);
        }
        if (g->lesion[c]) {
          for (int f = 0; f < CHS_NF; f++) sums[S_LES + f] += u[f] * v;
        } else {
          sums[S_HK] += u[CHS_F_COLLAGEN2] * v;
          sums[S_HV] += v;
        }
      }
  sums[S_K] = sums[S_LES + CHS_F_COLLAGEN2];
  sums[S_KF] = sums[S_LES + CHS_F_COLLAGEN2] + sums[S_LES + CHS_F_FIBROUS];
  chs_par_sum(m->par, sums, S_N);
  chs_par_min(m->par, mins, CHS_NF);

  double vl = g->lesion_volume;
  for (int f = 0; f < CHS_NF; f++) {
    values[CHS_M_TOTAL0 + f] = sums[S_TOT + f];
    values[CHS_M_LESION0 + f] = vl > 0 ? sums[S_LES + f] / vl : 0.0;
    values[CHS_M_MIN0 + f] = mins[f];
  }
  values[CHS_M_DEFECT_FILL] = vl > 0 ? sums[S_KF] / vl : 0.0;
  values[CHS_M_HYALINE_FRACTION] = sums[S_KF] > 0 ? sums[S_K] / sums[S_KF] : 0.0;
  values[CHS_M_PROTEOGLYCAN] = values[CHS_M_LESION0 + CHS_F_PROTEOGLYCAN];
  values[CHS_M_INFLAMMATION] = values[CHS_M_LESION0 + CHS_F_CYTOKINE];
  values[CHS_M_INFLAMMATION_FLUID] = P[CHS_P_I];
  /* Real cell counts: a cartesian2d slice stands for the whole lesion (grid.h). */
  double tissue = sums[S_TOT + CHS_F_MSC] * g->phys_scale;
  double joint = tissue + P[CHS_P_N] + P[CHS_P_ELSEWHERE];
  values[CHS_M_MSC_TISSUE] = tissue;
  values[CHS_M_MSC_RETAINED] = injected > 0 ? joint / injected : 0.0;
  values[CHS_M_CHONDROCYTES_LESION] = sums[S_LES + CHS_F_CHONDROCYTE] * g->phys_scale;
  values[CHS_M_HEALTHY_MATRIX] = sums[S_HV] > 0 ? sums[S_HK] / sums[S_HV] : 0.0;
  values[CHS_M_CELLS_INJECTED] = injected;
  values[CHS_M_CELLS_LOST] = lost;
  double accounted = joint + P[CHS_P_MARROW] + P[CHS_P_CLEARED] + P[CHS_P_DIED] +
                     P[CHS_P_DIFFERENTIATED] - P[CHS_P_PROLIFERATED] + lost;
  values[CHS_M_LEDGER_RESIDUAL] = injected > 0 ? (injected - accounted) / injected : 0.0;
  for (int q = 0; q < CHS_NPOOL; q++) values[CHS_M_POOL0 + q] = P[q];
}

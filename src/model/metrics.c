#include "model/metrics.h"

#include <math.h>
#include <stdlib.h>
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
  if (m < CHS_M_LESION0) return chs_field_amount_units[m - CHS_M_TOTAL0];
  return chs_field_units[(m - CHS_M_TOTAL0) % CHS_NF];
}

void chs_metrics_compute(chs_model *m, const double *y, double injected, double lost,
                         double *values)
{
  const chs_grid *g = m->grid;
  chs_model_sync_pools(m, y);
  const double *P = m->pools;
  const double rim_width = 2.0; /* mm: the outer ring of the lesion */
  enum {
    S_TOT = 0, S_LES = CHS_NF, S_K = 2 * CHS_NF, S_KF, S_HK, S_HV, S_CK, S_CV, S_OK, S_OV,
    S_RIM, S_RIMV, S_CEN, S_CENV, S_DONOR, S_CELLS, S_N
  };
  double mins[CHS_NF];
  for (int f = 0; f < CHS_NF; f++) mins[f] = INFINITY;
  double sums[S_N] = {0};
  const bool allo_msc = m->product.msc_allogeneic;
  /* Deterministic reduction: each row (j, k) of cells has its own partial sums (summed
   * along i), and the rows are then added in row order by one thread. The result depends
   * neither on the thread count nor on the schedule (an OpenMP critical section added
   * the threads' partials in whatever order they arrived). Minima are exact anyway. */
  const long nrows = (long)g->ln[1] * g->ln[2];
  double *rows = calloc((size_t)(nrows > 0 ? nrows : 1) * S_N, sizeof(double));
  double *rmin = malloc(sizeof(double) * (size_t)(nrows > 0 ? nrows : 1) * CHS_NF);
  if (!rows || !rmin) { /* out of memory: the serial loop below still works on one row buffer */
    free(rows);
    free(rmin);
    rows = rmin = NULL;
  }
  for (long r = 0; r < nrows; r++) {
    if (!rows) break;
    for (int f = 0; f < CHS_NF; f++) rmin[r * CHS_NF + f] = INFINITY;
  }
#pragma omp parallel for schedule(static) if (rows)
  for (long r = 0; r < nrows; r++) {
    double one[S_N], onemin[CHS_NF];
    double *ls = rows ? rows + r * S_N : one, *lm = rows ? rmin + r * CHS_NF : onemin;
    if (!rows) {
      for (int q = 0; q < S_N; q++) ls[q] = 0.0;
      for (int f = 0; f < CHS_NF; f++) lm[f] = INFINITY;
    }
    const int j = (int)(r % g->ln[1]), k = (int)(r / g->ln[1]);
    for (int i = 0; i < g->ln[0]; i++) {
      size_t c = chs_grid_owned(g, i, j, k);
      const double *u = y + c * CHS_NF;
      double v = g->vol[i];
      for (int f = 0; f < CHS_NF; f++) {
        ls[S_TOT + f] += u[f] * v;
        lm[f] = fmin(lm[f], u[f]);
      }
      int column = g->footprint[(size_t)j * (size_t)g->ln[0] + (size_t)i];
      ls[column ? S_CK : S_OK] += u[CHS_F_COLLAGEN2] * v;
      ls[column ? S_CV : S_OV] += v;
      if (g->lesion[c]) {
        for (int f = 0; f < CHS_NF; f++) ls[S_LES + f] += u[f] * v;
        double fill = u[CHS_F_COLLAGEN2] + u[CHS_F_FIBROUS], w = m->rim.wall[c];
        if (w >= 0.0) {
          ls[w < rim_width ? S_RIM : S_CEN] += fill * v;
          ls[w < rim_width ? S_RIMV : S_CENV] += v;
        }
        double cells = u[CHS_F_MSC] + u[CHS_F_CHONDROCYTE] + u[CHS_F_REPAIR] + u[CHS_F_DONOR];
        ls[S_DONOR] += (u[CHS_F_DONOR] + (allo_msc ? u[CHS_F_MSC] : 0.0)) * v;
        ls[S_CELLS] += cells * v;
      } else {
        ls[S_HK] += u[CHS_F_COLLAGEN2] * v;
        ls[S_HV] += v;
      }
    }
    if (!rows) { /* serial fallback (the loop ran on one thread): add in row order */
      for (int q = 0; q < S_N; q++) sums[q] += ls[q];
      for (int f = 0; f < CHS_NF; f++) mins[f] = fmin(mins[f], lm[f]);
    }
  }
  if (rows) {
    for (long r = 0; r < nrows; r++) {
      for (int q = 0; q < S_N; q++) sums[q] += rows[r * S_N + q];
      for (int f = 0; f < CHS_NF; f++) mins[f] = fmin(mins[f], rmin[r * CHS_NF + f]);
    }
    free(rows);
    free(rmin);
  }
  sums[S_K] = sums[S_LES + CHS_F_COLLAGEN2];
  sums[S_KF] = sums[S_LES + CHS_F_COLLAGEN2] + sums[S_LES + CHS_F_FIBROUS];
  chs_par_sum(m->par, sums, S_N);
  chs_par_min(m->par, mins, CHS_NF);

  double vl = g->lesion_volume, H = g->h[2] * g->gn[2];
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
  double joint = tissue + P[CHS_P_N] + P[CHS_P_Y1] + P[CHS_P_Y2];
  double anywhere = joint + P[CHS_P_SB] + P[CHS_P_MARROW];
  values[CHS_M_MSC_TISSUE] = tissue;
  values[CHS_M_MSC_RETAINED] = injected > 0 ? joint / injected : 0.0;
  values[CHS_M_RETAINED_JOINT] = injected > 0 ? anywhere / injected : 0.0;
  values[CHS_M_DONOR_LINEAGE] = injected > 0 ? (anywhere + P[CHS_P_DIFFERENTIATED]) / injected : 0.0;
  values[CHS_M_DONOR_FRACTION] = sums[S_CELLS] > 0 ? sums[S_DONOR] / sums[S_CELLS] : 0.0;
  values[CHS_M_CHONDROCYTES_LESION] =
      (sums[S_LES + CHS_F_CHONDROCYTE] + sums[S_LES + CHS_F_REPAIR] + sums[S_LES + CHS_F_DONOR]) * g->phys_scale;
  values[CHS_M_HEALTHY_MATRIX] = sums[S_HV] > 0 ? sums[S_HK] / sums[S_HV] : 0.0;
  values[CHS_M_CELLS_INJECTED] = injected;
  values[CHS_M_CELLS_LOST] = lost;
  double accounted = anywhere + P[CHS_P_CLEARED] + P[CHS_P_DIED] + P[CHS_P_DIFFERENTIATED] -
                     P[CHS_P_PROLIFERATED] + lost;
  values[CHS_M_LEDGER_RESIDUAL] = injected > 0 ? (injected - accounted) / injected : 0.0;
  values[CHS_M_SYNOVITIS] = P[CHS_P_M];
  values[CHS_M_BML] = P[CHS_P_B];
  values[CHS_M_THICKNESS_LESION] = sums[S_CV] > 0 ? H * sums[S_CK] / sums[S_CV] : 0.0;
  /* Without columns outside the lesion, the rest of the joint is intact native tissue. */
  values[CHS_M_THICKNESS_HEALTHY] = sums[S_OV] > 0 ? H * sums[S_OK] / sums[S_OV] : H * m->k_native_mean;
  /* The joint's mean: the lesion at its real share of the joint's cartilage, the rest like
   * the columns around it (as the joint coupling weighs them, model.c), so the measure does
   * not depend on how wide the simulated box is. Without a lesion, or with diffuse OA
   * (every column is lesion), this is the mean over all columns. */
  if (sums[S_CV] <= 0)
    values[CHS_M_THICKNESS] = values[CHS_M_THICKNESS_HEALTHY];
  else if (sums[S_OV] <= 0 && m->lesion_share >= 1.0)
    values[CHS_M_THICKNESS] = values[CHS_M_THICKNESS_LESION];
  else
    values[CHS_M_THICKNESS] = m->lesion_share * values[CHS_M_THICKNESS_LESION] +
                              (1.0 - m->lesion_share) * values[CHS_M_THICKNESS_HEALTHY];
  values[CHS_M_PAIN] = m->pain_w[0] * P[CHS_P_I] + m->pain_w[1] * P[CHS_P_B] - m->pain_w[2] * P[CHS_P_HA];
  values[CHS_M_RIM_FILL] = sums[S_RIMV] > 0 ? sums[S_RIM] / sums[S_RIMV] : 0.0;
  values[CHS_M_CENTER_FILL] = sums[S_CENV] > 0 ? sums[S_CEN] / sums[S_CENV] : 0.0;
  for (int q = 0; q < CHS_NPOOL; q++) values[CHS_M_POOL0 + q] = P[q];
}

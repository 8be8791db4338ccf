#include "model/therapy.h"

#include <string.h>

chs_status chs_therapy_build(const chs_config *cfg, chs_therapy *th)
{
  memset(th, 0, sizeof *th);
  th->eta_il = cfg->delivery_eta_il;
  if (cfg->therapy_route != CHS_ROUTE_NONE && cfg->therapy_dose > 0) {
    th->ev[0].day = 0.0;
    th->ev[0].route = cfg->therapy_route;
    th->ev[0].cells = cfg->therapy_dose;
    th->n = 1;
  }
  return CHS_OK;
}

int chs_therapy_next(const chs_therapy *th, double t)
{
  int e = 0;
  while (e < th->n && th->ev[e].day < t) e++;
  return e;
}

double chs_therapy_apply(const chs_therapy *th, int e, const chs_model *m, double *y)
{
  const chs_dose_event *ev = &th->ev[e];
  const chs_grid *g = m->grid;
  if (ev->route == CHS_ROUTE_INTRALESIONAL && g->lesion_volume > 0) {
    /* Spread evenly over the discrete lesion so the cells placed equal eta_il * dose. */
    double density = th->eta_il * ev->cells / g->lesion_volume;
    for (size_t c = 0; c < g->nlocal; c++)
      if (g->lesion[c]) y[c * CHS_NF + CHS_F_MSC] += density;
  }
  return ev->cells;
}

#include "model/therapy.h"

#include <stdlib.h>
#include <string.h>

static int by_day(const void *a, const void *b)
{
  const chs_event *x = a, *y = b;
  if (x->day != y->day) return x->day < y->day ? -1 : 1;
  return x->kind - y->kind; /* same day: cells first, then the rest, deterministic */
}

static chs_status add(chs_therapy *th, double day, int kind, int route, double amount)
{
  if (th->n == CHS_MAX_EVENTS)
    return chs_error(CHS_ERR_CONFIG, "more than %d therapy events", CHS_MAX_EVENTS);
  th->ev[th->n++] = (chs_event){day, kind, route, amount};
  return CHS_OK;
}

chs_status chs_therapy_build(const chs_config *cfg, chs_therapy *th)
{
  memset(th, 0, sizeof *th);
  th->eta_il = cfg->delivery_eta_il;
  th->eta_b = cfg->delivery_eta_b;
  th->tau_b = cfg->delivery_tau_b;
  th->cell_field = cfg->therapy_cell_type == CHS_CELLS_CHONDROCYTE ? CHS_F_CHONDROCYTE : CHS_F_MSC;
  if (cfg->therapy_route != CHS_ROUTE_NONE && cfg->therapy_dose > 0) {
    th->largest_dose = cfg->therapy_dose;
    for (int d = 0; d < cfg->therapy_doses; d++) {
      double day = cfg->therapy_day + d * cfg->therapy_repeat_every;
      CHS_CHECK(add(th, day, CHS_EV_CELLS, cfg->therapy_route, cfg->therapy_dose));
      if (cfg->therapy_route == CHS_ROUTE_SUBCHONDRAL && day + th->tau_b < cfg->run_end_time)
        CHS_CHECK(add(th, day + th->tau_b, CHS_EV_MARROW_END, 0,
                      th->eta_b * cfg->therapy_dose / th->tau_b));
    }
  }
  for (int k = 0; k < cfg->prp_days.n; k++)
    CHS_CHECK(add(th, cfg->prp_days.v[k], CHS_EV_PRP, 0, cfg->prp_bolus));
  for (int k = 0; k < cfg->exosomes_days.n; k++) {
    CHS_CHECK(add(th, cfg->exosomes_days.v[k], CHS_EV_EXOSOMES, 0, cfg->exosomes_bolus));
    if (cfg->exosomes_bolus > th->largest_dose) th->largest_dose = cfg->exosomes_bolus;
  }
  qsort(th->ev, (size_t)th->n, sizeof th->ev[0], by_day);
  return CHS_OK;
}

int chs_therapy_next(const chs_therapy *th, double t)
{
  int e = 0;
  while (e < th->n && th->ev[e].day < t) e++;
  return e;
}

void chs_therapy_apply(chs_therapy *th, int e, chs_model *m, double *y)
{
  const chs_event *ev = &th->ev[e];
  const chs_grid *g = m->grid;
  double *pools = m->npool_local ? y + g->nlocal * CHS_NF : NULL; /* rank 0 only */
  switch (ev->kind) {
  case CHS_EV_CELLS:
    if (th->cell_field == CHS_F_CHONDROCYTE) { /* not MSCs: outside the MSC ledger */
      double density = th->eta_il * ev->amount / g->lesion_volume_phys;
      for (size_t c = 0; c < g->nlocal; c++)
        if (g->lesion[c]) y[c * CHS_NF + CHS_F_CHONDROCYTE] += density;
      break;
    }
    th->injected += ev->amount;
    if (ev->route == CHS_ROUTE_INTRALESIONAL) {
      /* Spread evenly over the lesion so that the cells placed equal eta_il * dose. */
      double density = th->eta_il * ev->amount / g->lesion_volume_phys;
      for (size_t c = 0; c < g->nlocal; c++)
        if (g->lesion[c]) y[c * CHS_NF + CHS_F_MSC] += density;
      th->lost += (1.0 - th->eta_il) * ev->amount;
    } else if (ev->route == CHS_ROUTE_INTRA_ARTICULAR) {
      if (pools) pools[CHS_P_N] += ev->amount;
    } else if (ev->route == CHS_ROUTE_SUBCHONDRAL) {
      if (pools) pools[CHS_P_MARROW] += th->eta_b * ev->amount;
      m->marrow_rate += th->eta_b * ev->amount / th->tau_b;
      th->lost += (1.0 - th->eta_b) * ev->amount;
    }
    break;
  case CHS_EV_MARROW_END:
    m->marrow_rate -= ev->amount;
    if (m->marrow_rate < 1e-9 * ev->amount) m->marrow_rate = 0.0;
    break;
  case CHS_EV_PRP:
    if (pools) pools[CHS_P_G] += ev->amount;
    break;
  case CHS_EV_EXOSOMES:
    if (pools) pools[CHS_P_E] += ev->amount;
    break;
  }
}

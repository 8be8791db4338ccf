#include "model/therapy.h"

#include <math.h>
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
  th->bone_lesion_share = cfg->delivery_bone_lesion_share;
  CHS_CHECK(chs_composition_parse(cfg, &th->product));
  const chs_composition *p = &th->product;
  if (cfg->therapy_route != CHS_ROUTE_NONE && cfg->therapy_dose > 0) {
    th->largest_dose = cfg->therapy_dose;
    for (int d = 0; d < cfg->therapy_doses; d++) {
      double day = cfg->therapy_day + d * cfg->therapy_repeat_every;
      CHS_CHECK(add(th, day, CHS_EV_CELLS, cfg->therapy_route, cfg->therapy_dose));
      if (p->msc >= 0 && p->c[p->msc].route == CHS_ROUTE_SUBCHONDRAL && day + th->tau_b < cfg->run_end_time) {
        double into_lesion = th->eta_b * th->bone_lesion_share * p->c[p->msc].fraction * cfg->therapy_dose;
        CHS_CHECK(add(th, day + th->tau_b, CHS_EV_MARROW_END, 0, into_lesion / th->tau_b));
      }
    }
    /* The adaptive response may start t_lag days after the first allogeneic cells (MSCs,
     * chondrocytes or chondrons): a discontinuity of the joint's equations, so a stop for
     * the integrator. */
    double first_allo = chs_composition_first_allogeneic_day(cfg, p);
    if (isfinite(first_allo) && cfg->mechanisms_immune) {
      double on = first_allo + cfg->immune_t_lag;
      if (on > cfg->therapy_day && on < cfg->run_end_time) CHS_CHECK(add(th, on, CHS_EV_IMMUNE_ON, 0, 0.0));
    }
  }
  for (int k = 0; k < cfg->prp_days.n; k++)
    CHS_CHECK(add(th, cfg->prp_days.v[k], CHS_EV_PRP, 0, cfg->products_prp_dose));
  for (int k = 0; k < cfg->ha_days.n; k++) CHS_CHECK(add(th, cfg->ha_days.v[k], CHS_EV_HA, 0, 1.0));
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

/* Spreads `cells` evenly over the lesion volume into field f. */
static void into_lesion(const chs_model *m, double *y, int f, double cells)
{
  const chs_grid *g = m->grid;
  double density = cells / g->lesion_volume_phys;
  for (size_t c = 0; c < g->nlocal; c++)
    if (g->lesion[c]) y[c * CHS_NF + f] += density;
}

static void apply_component(chs_therapy *th, const chs_component *k, double dose, chs_model *m,
                            double *y, double *pools)
{
  double cells = k->fraction * dose;
  if (cells <= 0.0) return;
  if (k->type != CHS_COMP_MSC) { /* chondrocytes, chondrons: implanted; outside the MSC ledger */
    into_lesion(m, y, k->allogeneic ? CHS_F_DONOR : CHS_F_REPAIR, th->eta_il * cells);
    return;
  }
  th->injected += cells;
  if (k->route == CHS_ROUTE_INTRALESIONAL) {
    into_lesion(m, y, CHS_F_MSC, th->eta_il * cells);
    th->lost += (1.0 - th->eta_il) * cells;
  } else if (k->route == CHS_ROUTE_INTRA_ARTICULAR) {
    if (pools) pools[CHS_P_N] += cells;
  } else if (k->route == CHS_ROUTE_SUBCHONDRAL) {
    double alive = th->eta_b * cells, lesion = th->bone_lesion_share * alive;
    if (pools) {
      pools[CHS_P_MARROW] += lesion;
      pools[CHS_P_SB] += alive - lesion;
    }
    m->marrow_rate += lesion / th->tau_b;
    th->lost += (1.0 - th->eta_b) * cells;
  }
}

void chs_therapy_apply(chs_therapy *th, int e, chs_model *m, double *y)
{
  const chs_event *ev = &th->ev[e];
  const chs_grid *g = m->grid;
  double *pools = m->npool_local ? y + g->nlocal * CHS_NF : NULL; /* rank 0 only */
  switch (ev->kind) {
  case CHS_EV_CELLS:
    for (int k = 0; k < th->product.n; k++) apply_component(th, &th->product.c[k], ev->amount, m, y, pools);
    break;
  case CHS_EV_MARROW_END:
    m->marrow_rate -= ev->amount;
    if (m->marrow_rate < 1e-9 * ev->amount) m->marrow_rate = 0.0;
    break;
  case CHS_EV_PRP:
    if (pools) pools[CHS_P_PRP] += ev->amount;
    break;
  case CHS_EV_EXOSOMES:
    if (pools) pools[CHS_P_E] += ev->amount;
    break;
  case CHS_EV_HA:
    if (pools) pools[CHS_P_HA] += ev->amount;
    break;
  case CHS_EV_IMMUNE_ON: /* nothing to change: the stop itself is the point */
    break;
  }
}

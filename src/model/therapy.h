/* The treatment as a time-ordered list of events: doses of a product (its components
 * each by their route), the end of a subchondral inflow, PRP, exosome and hyaluronic-acid
 * injections, and the day the adaptive immune response to allogeneic cells can start. Each event is a
 * discontinuity: the run stops the integrator exactly at its day, applies it to the
 * state and restarts the integrator. */
#ifndef CHS_THERAPY_H
#define CHS_THERAPY_H

#include "config/config.h"
#include "model/model.h"

#define CHS_MAX_EVENTS 512

enum { CHS_EV_CELLS, CHS_EV_MARROW_END, CHS_EV_PRP, CHS_EV_EXOSOMES, CHS_EV_HA, CHS_EV_IMMUNE_ON };

typedef struct {
  double day;
  int kind;   /* CHS_EV_* */
  int route;  /* CHS_ROUTE_* for cell doses */
  double amount; /* cells (product dose), cells/day (marrow end), MSC-equivalents (PRP,
                    exosomes), injections (HA); unused for the immune start */
} chs_event;

typedef struct {
  int n;
  chs_event ev[CHS_MAX_EVENTS];
  double eta_il, eta_b, tau_b, bone_lesion_share;
  chs_composition product;
  double injected; /* MSCs delivered so far */
  double lost;     /* cells lost at delivery (the 1 - eta share) */
  double largest_dose;
} chs_therapy;

chs_status chs_therapy_build(const chs_config *cfg, chs_therapy *th);
/* Index of the first event with day >= t (n if none). */
int chs_therapy_next(const chs_therapy *th, double t);
/* Applies event e: changes the state y (tissue cells or, on rank 0, the pools) and the
 * model's marrow inflow rate; updates the injected and lost counts. */
void chs_therapy_apply(chs_therapy *th, int e, chs_model *m, double *y);

#endif

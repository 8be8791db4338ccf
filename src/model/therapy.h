/* The treatment as a list of dose events (day, route, cells). Each event is a
 * discontinuity: the run stops the integrator exactly at its day, applies it to the
 * state and restarts. Issue #3 adds routes, schedules and cell-free events here. */
#ifndef CHS_THERAPY_H
#define CHS_THERAPY_H

#include "config/config.h"
#include "model/model.h"

#define CHS_MAX_EVENTS 256

typedef struct {
  double day;
  int route; /* CHS_ROUTE_* */
  double cells;
} chs_dose_event;

typedef struct {
  int n;
  chs_dose_event ev[CHS_MAX_EVENTS];
  double eta_il; /* fraction of an intralesional dose that stays in the lesion */
} chs_therapy;

chs_status chs_therapy_build(const chs_config *cfg, chs_therapy *th);
/* Index of the first event with day >= t (n if none). */
int chs_therapy_next(const chs_therapy *th, double t);
/* Applies event e to the state; returns the cells it delivered. */
double chs_therapy_apply(const chs_therapy *th, int e, const chs_model *m, double *y);

#endif

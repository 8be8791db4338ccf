/* The model on this rank's block: rates, transport, the native state, the initial
 * condition and the right-hand side dy/dt = reactions + transport that the integrator
 * calls. State layout: CHS_NF interleaved values per owned cell, x fastest. */
#ifndef CHS_MODEL_H
#define CHS_MODEL_H

#include "config/config.h"
#include "grid/grid.h"
#include "model/native.h"
#include "model/reactions.h"
#include "model/transport.h"
#include "par/par.h"

typedef struct chs_model {
  const chs_grid *grid;
  const chs_par *par;
  chs_rates rates;
  chs_transport tp;
  chs_native native;  /* per depth: native state and c_max */
  double *ug;         /* ghosted copy of the state (CHS_NF per cell) */
  double *D;          /* ghosted diffusivities (CHS_ND per cell) */
  chs_halo *halo;
  long nrhs;          /* right-hand side evaluations */
} chs_model;

/* Collective. */
chs_status chs_model_create(const chs_config *cfg, const chs_grid *g, const chs_par *par,
                            chs_model **out);
void chs_model_destroy(chs_model **m);

/* Native tissue everywhere, the lesion emptied (cells and matrix 0, solutes at their
 * fluid values). Doses are applied separately (therapy.h). */
void chs_model_initial_state(const chs_model *m, double *y);

/* Collective (halo exchange). ydot = f(t, y). */
void chs_model_rhs(chs_model *m, double t, const double *y, double *ydot);

/* Copies y into the ghosted work array and exchanges halos (collective); afterwards
 * m->ug and m->D describe y. Used by the rhs and the preconditioner set-up. */
void chs_model_load_state(chs_model *m, const double *y);

/* Per-field absolute tolerance scale (atol = solver.atol * scale). */
void chs_model_field_scales(const chs_model *m, double scale[CHS_NF]);

#endif

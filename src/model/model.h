/* The model on this rank's block: rates, transport, the native state, the lesion rim, the
 * initial condition and the right-hand side dy/dt = reactions + transport + joint that the
 * integrator calls. State layout: CHS_NF interleaved values per owned cell, x fastest; then,
 * on rank 0 only, the CHS_NPOOL joint unknowns and ledger counters (joint.h). */
#ifndef CHS_MODEL_H
#define CHS_MODEL_H

#include "config/composition.h"
#include "config/config.h"
#include "grid/grid.h"
#include "model/joint.h"
#include "model/native.h"
#include "model/reactions.h"
#include "model/rim.h"
#include "model/transport.h"
#include "par/par.h"

typedef struct chs_model {
  const chs_grid *grid;
  const chs_par *par;
  chs_rates rates;
  chs_transport tp;
  chs_native native;  /* per depth: native state and c_max */
  chs_rim rim;        /* injured rim and wall distances */
  chs_composition product;
  double *ug;         /* ghosted copy of the state (CHS_NF per cell) */
  double *D;          /* ghosted diffusivities (CHS_ND per cell) */
  chs_halo *halo;
  double *filler;     /* ghosted: 1 in lesion cells (where a carrier sets the filler) */
  chs_joint joint;
  int npool_local;    /* CHS_NPOOL on rank 0, else 0 */
  double pools[CHS_NPOOL]; /* rank 0's pool values, broadcast by chs_model_sync_pools */
  bool diffuse;       /* diffuse OA: cells and matrix lowered everywhere at t = 0 */
  double oa_cells, oa_proteoglycan, oa_collagen;
  double init_solute[CHS_ND]; /* uniform initial solute values (< 0: native profile) */
  double k_inj, tau_inj;      /* latent-store release at the injured rim */
  double kappa_B;             /* bone cytokine per unit BML state */
  double pain_w[3];           /* pain proxy weights: fluid cytokine, BML, hyaluronic acid */
  double surface_area;        /* simulated articular surface, mm^2 (global) */
  double k_native_mean;       /* volume mean of native collagen (global) */
  /* Joint-level coupling by physical areas (docs/model.md §3.7-3.8): the columns under the
   * lesion opening (the footprint) stand for the real lesion, the other columns for the
   * rest of the joint's cartilage, whatever the size of the simulated box. */
  double footprint_area;      /* simulated surface of the footprint columns, mm^2 (global) */
  double footprint_volume;    /* simulated volume of the footprint columns, mm^3 (global) */
  double lesion_share;        /* real lesion area / A_joint (1 for diffuse OA, 0 without a lesion) */
  double marrow_rate; /* cells/day entering the lesion from the bone (subchondral route) */
  /* Analytic Jacobian-vector products (chs_model_jv), allocated on first use: */
  double *vg;         /* ghosted direction, CHS_TP_NV per cell (transport.h) */
  double *dD;         /* ghosted derivative of the diffusivities, CHS_ND per cell */
  chs_halo *halo_v;   /* exchanges vg */
  long loads;         /* states loaded into ug (right-hand sides and set-ups) */
  long jv_loaded;     /* the load chs_model_jv_setup made (ug, D, pools describe its y) */
  chs_tissue_flows tf; /* what the joint read in the last right-hand side, at (tf_t, tf_y) */
  double tf_t;
  const double *tf_y;
  long nrhs;          /* right-hand side evaluations */
  double t_now;       /* day of the last right-hand side (the preconditioner's time) */
} chs_model;

/* Collective. */
chs_status chs_model_create(const chs_config *cfg, const chs_grid *g, const chs_par *par,
                            chs_model **out);
void chs_model_destroy(chs_model **m);

/* Length of this rank's part of the state vector. */
long chs_model_state_length(const chs_model *m);

/* Native tissue everywhere, the lesion emptied (cells and matrix 0, solutes at their
 * fluid values), the joint at rest; diffuse OA lowers cells and matrix everywhere.
 * Doses are applied separately (therapy.h). */
void chs_model_initial_state(const chs_model *m, double *y);

/* Collective (halo exchange). ydot = f(t, y). */
void chs_model_rhs(chs_model *m, double t, const double *y, double *ydot);

/* The reaction context of owned cell c (local index, depth k local) at day t. */
void chs_model_cell_env(const chs_model *m, double t, size_t c, int k, chs_cell_env *env);

/* Copies y into the ghosted work array and exchanges halos (collective); afterwards
 * m->ug and m->D describe y. Used by the rhs and the preconditioner set-up. */
void chs_model_load_state(chs_model *m, const double *y);

/* The exact Jacobian-vector product Jv = (df/dy)(t, y) v (collective). chs_model_jv_setup
 * loads y once for the products that follow at the same y; chs_model_jv reloads it if a
 * right-hand side or set-up loaded another state in between. */
chs_status chs_model_jv_setup(chs_model *m, double t, const double *y);
void chs_model_jv(chs_model *m, double t, const double *y, const double *v, double *Jv);

/* Collective: m->pools = rank 0's pool part of y. */
void chs_model_sync_pools(chs_model *m, const double *y);

/* Absolute tolerances: solver.atol times each field's registry scale (the same in every
 * cell), and each pool's scale (dose_scale: the largest dose, for the cell counters). The
 * state is chs_model_state_length entries: the cells' fields, then the pools on the rank
 * that holds them (m->npool_local of them). */
void chs_model_tolerances(double atol, double dose_scale, double cell[CHS_NF], double pools[CHS_NPOOL]);

#endif

#include "model/model.h"

#include <stdlib.h>
#include <string.h>

chs_status chs_model_create(const chs_config *cfg, const chs_grid *g, const chs_par *par,
                            chs_model **out)
{
  *out = NULL;
  chs_model *m = calloc(1, sizeof *m);
  if (!m) return chs_error(CHS_ERR_NOMEM, "out of memory (model)");
  m->grid = g;
  m->par = par;
  chs_rates_from_config(cfg, &m->rates);
  chs_transport_from_config(cfg, &m->tp);
  chs_status st;
  CHS_TRY(st, chs_native_solve(&m->rates, &m->tp, g->gn[2], g->h[2],
                               cfg->patient_quiet_inflammation, &m->native), fail);
  m->ug = calloc(g->nghost * CHS_NF, sizeof(double));
  m->D = calloc(g->nghost * CHS_ND, sizeof(double));
  if (!m->ug || !m->D) {
    st = chs_error(CHS_ERR_NOMEM, "out of memory (model work arrays)");
    goto fail;
  }
  CHS_TRY(st, chs_halo_create(par, g->ln, g->ng, CHS_NF, &m->halo), fail);
  *out = m;
  return CHS_OK;
fail:
  chs_model_destroy(&m);
  return st;
}

void chs_model_destroy(chs_model **mp)
{
  if (!mp || !*mp) return;
  chs_model *m = *mp;
  chs_native_free(&m->native);
  free(m->ug);
  free(m->D);
  chs_halo_destroy(&m->halo);
  free(m);
  *mp = NULL;
}

void chs_model_initial_state(const chs_model *m, double *y)
{
  const chs_grid *g = m->grid;
  for (int k = 0; k < g->ln[2]; k++)
    for (int j = 0; j < g->ln[1]; j++)
      for (int i = 0; i < g->ln[0]; i++) {
        size_t c = chs_grid_owned(g, i, j, k);
        double *u = y + c * CHS_NF;
        memcpy(u, m->native.state + (size_t)(g->lo[2] + k) * CHS_NF, sizeof(double) * CHS_NF);
        if (!g->lesion[c]) continue;
        for (int f = 0; f < CHS_NF; f++) u[f] = 0.0;
        u[CHS_F_GROWTH_FACTOR] = m->tp.kappa * m->tp.fluid[CHS_F_GROWTH_FACTOR];
        u[CHS_F_CYTOKINE] = m->tp.kappa * m->tp.fluid[CHS_F_CYTOKINE];
        u[CHS_F_OXYGEN] = m->tp.kappa * m->tp.fluid[CHS_F_OXYGEN];
      }
}

void chs_model_load_state(chs_model *m, const double *y)
{
  const chs_grid *g = m->grid;
  const int nx = g->ln[0], ny = g->ln[1], nz = g->ln[2];
#pragma omp parallel for collapse(2) schedule(static)
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++)
      memcpy(m->ug + chs_grid_ghosted(g, 0, j, k) * CHS_NF, y + chs_grid_owned(g, 0, j, k) * CHS_NF,
             sizeof(double) * CHS_NF * (size_t)nx);
  chs_halo_begin(m->halo, m->ug);
  chs_halo_end(m->halo, m->ug);
  chs_transport_fill_coefficients(&m->tp, g, m->ug, m->D);
}

void chs_model_rhs(chs_model *m, double t, const double *y, double *ydot)
{
  const chs_grid *g = m->grid;
  const int nx = g->ln[0], ny = g->ln[1], nz = g->ln[2];
  m->nrhs++;
  /* Post the halo exchange, do the pointwise reactions while messages travel. */
#pragma omp parallel for collapse(2) schedule(static)
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++)
      memcpy(m->ug + chs_grid_ghosted(g, 0, j, k) * CHS_NF, y + chs_grid_owned(g, 0, j, k) * CHS_NF,
             sizeof(double) * CHS_NF * (size_t)nx);
  chs_halo_begin(m->halo, m->ug);
  const double *cmax = m->native.c_max;
#pragma omp parallel for collapse(2) schedule(static)
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++)
      for (int i = 0; i < nx; i++) {
        size_t c = chs_grid_owned(g, i, j, k);
        chs_react(&m->rates, cmax[g->lo[2] + k], y + c * CHS_NF, ydot + c * CHS_NF);
      }
  chs_halo_end(m->halo, m->ug);
  chs_transport_fill_coefficients(&m->tp, g, m->ug, m->D);
  chs_transport_apply(&m->tp, g, m->ug, m->D, ydot);
}

void chs_model_field_scales(const chs_model *m, double scale[CHS_NF])
{
  scale[CHS_F_MSC] = m->rates.c0;
  scale[CHS_F_CHONDROCYTE] = m->rates.c0;
  scale[CHS_F_GROWTH_FACTOR] = m->rates.K_g;
  scale[CHS_F_CYTOKINE] = 1.0;
  scale[CHS_F_OXYGEN] = m->tp.fluid[CHS_F_OXYGEN] > 0 ? m->tp.fluid[CHS_F_OXYGEN] : 0.1;
  scale[CHS_F_PROTEOGLYCAN] = 1.0;
  scale[CHS_F_COLLAGEN2] = 1.0;
  scale[CHS_F_FIBROUS] = 1.0;
}

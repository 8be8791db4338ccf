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
  chs_joint_from_config(cfg, g->lesion_area_phys, &m->joint);
  chs_joint_initial(&m->joint, m->pools);
  m->npool_local = par->rank == 0 ? CHS_NPOOL : 0;
  m->diffuse = cfg->lesion_shape == CHS_LESION_DIFFUSE;
  m->oa_cells = cfg->lesion_oa_cells;
  m->oa_proteoglycan = cfg->lesion_oa_proteoglycan;
  m->oa_collagen = cfg->lesion_oa_collagen;
  chs_status st;
  CHS_TRY(st, chs_native_solve(&m->rates, &m->tp, g->gn[2], g->h[2],
                               cfg->patient_quiet_inflammation, &m->native), fail);
  m->ug = calloc(g->nghost * CHS_NF, sizeof(double));
  m->D = calloc(g->nghost * CHS_ND, sizeof(double));
  m->filler = calloc(g->nghost, sizeof(double));
  if (!m->ug || !m->D || !m->filler) {
    st = chs_error(CHS_ERR_NOMEM, "out of memory (model work arrays)");
    goto fail;
  }
  CHS_TRY(st, chs_halo_create(par, g->ln, g->ng, CHS_NF, &m->halo), fail);
  /* The carrier fills focal lesions; diffuse OA has no filler. */
  if (cfg->lesion_shape != CHS_LESION_DIFFUSE) {
    chs_halo *h1 = NULL;
    CHS_TRY(st, chs_halo_create(par, g->ln, g->ng, 1, &h1), fail);
    for (int k = 0; k < g->ln[2]; k++)
      for (int j = 0; j < g->ln[1]; j++)
        for (int i = 0; i < g->ln[0]; i++)
          m->filler[chs_grid_ghosted(g, i, j, k)] = g->lesion[chs_grid_owned(g, i, j, k)];
    chs_halo_begin(h1, m->filler);
    chs_halo_end(h1, m->filler);
    chs_halo_destroy(&h1);
    m->tp.filler = m->filler;
  }
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
  free(m->filler);
  chs_halo_destroy(&m->halo);
  free(m);
  *mp = NULL;
}

long chs_model_state_length(const chs_model *m)
{
  return (long)(m->grid->nlocal * CHS_NF) + m->npool_local;
}

void chs_model_initial_state(const chs_model *m, double *y)
{
  const chs_grid *g = m->grid;
  const bool diffuse = m->diffuse;
  for (int k = 0; k < g->ln[2]; k++)
    for (int j = 0; j < g->ln[1]; j++)
      for (int i = 0; i < g->ln[0]; i++) {
        size_t c = chs_grid_owned(g, i, j, k);
        double *u = y + c * CHS_NF;
        memcpy(u, m->native.state + (size_t)(g->lo[2] + k) * CHS_NF, sizeof(double) * CHS_NF);
        if (diffuse) {
          u[CHS_F_CHONDROCYTE] *= m->oa_cells;
          u[CHS_F_PROTEOGLYCAN] *= m->oa_proteoglycan;
          u[CHS_F_COLLAGEN2] *= m->oa_collagen;
          continue;
        }
        if (!g->lesion[c]) continue;
        for (int f = 0; f < CHS_NF; f++) u[f] = 0.0;
        u[CHS_F_GROWTH_FACTOR] = m->tp.kappa * m->pools[CHS_P_G];
        u[CHS_F_CYTOKINE] = m->tp.kappa * m->pools[CHS_P_I];
        u[CHS_F_OXYGEN] = m->tp.kappa * m->tp.fluid[CHS_F_OXYGEN];
      }
  if (m->npool_local) memcpy(y + g->nlocal * CHS_NF, m->pools, sizeof(double) * CHS_NPOOL);
}

void chs_model_sync_pools(chs_model *m, const double *y)
{
  if (m->npool_local) memcpy(m->pools, y + m->grid->nlocal * CHS_NF, sizeof(double) * CHS_NPOOL);
  chs_par_bcast(m->par, m->pools, (int)sizeof m->pools);
  m->tp.fluid[CHS_F_GROWTH_FACTOR] = m->pools[CHS_P_G];
  m->tp.fluid[CHS_F_CYTOKINE] = m->pools[CHS_P_I];
}

static void copy_to_ghosted(chs_model *m, const double *y)
{
  const chs_grid *g = m->grid;
  const int nx = g->ln[0], ny = g->ln[1], nz = g->ln[2];
#pragma omp parallel for collapse(2) schedule(static)
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++)
      memcpy(m->ug + chs_grid_ghosted(g, 0, j, k) * CHS_NF, y + chs_grid_owned(g, 0, j, k) * CHS_NF,
             sizeof(double) * CHS_NF * (size_t)nx);
}

void chs_model_load_state(chs_model *m, const double *y)
{
  copy_to_ghosted(m, y);
  chs_halo_begin(m->halo, m->ug);
  chs_halo_end(m->halo, m->ug);
  chs_transport_fill_coefficients(&m->tp, m->grid, m->ug, m->D);
}

/* Cells crossing the surface over the lesion (intra-articular attachment) and the bone
 * under it (subchondral inflow), as sources in the boundary cells: flux per area / dz. */
static void boundary_cell_sources(const chs_model *m, double *ydot)
{
  const chs_grid *g = m->grid;
  const double area = g->lesion_area_phys;
  if (area <= 0.0) return;
  double top = m->joint.phi * chs_joint_attach_rate(&m->joint, m->pools) * m->pools[CHS_P_N] / area;
  double bottom = m->marrow_rate / area;
  if (top == 0.0 && bottom == 0.0) return;
  const int nz = g->ln[2];
  for (int j = 0; j < g->ln[1]; j++)
    for (int i = 0; i < g->ln[0]; i++) {
      if (!g->footprint[(size_t)j * (size_t)g->ln[0] + (size_t)i]) continue;
      ydot[chs_grid_owned(g, i, j, 0) * CHS_NF + CHS_F_MSC] += top / g->h[2];
      ydot[chs_grid_owned(g, i, j, nz - 1) * CHS_NF + CHS_F_MSC] += bottom / g->h[2];
    }
}

void chs_model_rhs(chs_model *m, double t, const double *y, double *ydot)
{
  const chs_grid *g = m->grid;
  const int nx = g->ln[0], ny = g->ln[1], nz = g->ln[2];
  m->nrhs++;
  chs_model_sync_pools(m, y);
  /* Post the halo exchange, do the pointwise reactions while messages travel. */
  copy_to_ghosted(m, y);
  chs_halo_begin(m->halo, m->ug);
  const double *cmax = m->native.c_max;
  double prolif = 0.0, diff = 0.0, died = 0.0;
#pragma omp parallel for collapse(2) schedule(static) reduction(+ : prolif, diff, died)
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++)
      for (int i = 0; i < nx; i++) {
        size_t c = chs_grid_owned(g, i, j, k);
        const double *u = y + c * CHS_NF;
        chs_react(&m->rates, cmax[g->lo[2] + k], u, ydot + c * CHS_NF);
        if (u[CHS_F_MSC] != 0.0) {
          double p, d, x;
          chs_react_msc_flows(&m->rates, u, &p, &d, &x);
          prolif += p * g->vol[i];
          diff += d * g->vol[i];
          died += x * g->vol[i];
        }
      }
  chs_halo_end(m->halo, m->ug);
  chs_transport_fill_coefficients(&m->tp, g, m->ug, m->D);
  chs_transport_apply(&m->tp, g, m->ug, m->D, ydot);
  boundary_cell_sources(m, ydot);

  /* The ledger counts real cells: a 2D slice stands for the whole lesion. */
  double flows[3] = {prolif, diff, died};
  chs_par_sum(m->par, flows, 3);
  if (m->npool_local) {
    chs_tissue_flows tf = {flows[2] * g->phys_scale, flows[1] * g->phys_scale, flows[0] * g->phys_scale};
    chs_joint_rhs(&m->joint, m->pools, &tf, m->marrow_rate, ydot + g->nlocal * CHS_NF);
  }
}

void chs_model_tolerances(const chs_model *m, double atol, double dose_scale, double *out)
{
  double scale[CHS_NF];
  scale[CHS_F_MSC] = m->rates.c0;
  scale[CHS_F_CHONDROCYTE] = m->rates.c0;
  scale[CHS_F_GROWTH_FACTOR] = m->rates.K_g;
  scale[CHS_F_CYTOKINE] = 1.0;
  scale[CHS_F_OXYGEN] = m->tp.fluid[CHS_F_OXYGEN] > 0 ? m->tp.fluid[CHS_F_OXYGEN] : 0.1;
  scale[CHS_F_PROTEOGLYCAN] = 1.0;
  scale[CHS_F_COLLAGEN2] = 1.0;
  scale[CHS_F_FIBROUS] = 1.0;
  for (size_t c = 0; c < m->grid->nlocal; c++)
    for (int f = 0; f < CHS_NF; f++) out[c * CHS_NF + f] = atol * scale[f];
  if (!m->npool_local) return;
  double *p = out + m->grid->nlocal * CHS_NF;
  double cells = dose_scale > 1.0 ? dose_scale : 1.0;
  for (int q = 0; q < CHS_NPOOL; q++) p[q] = atol * cells;
  p[CHS_P_G] = atol * m->rates.K_g;
  p[CHS_P_I] = atol;
}

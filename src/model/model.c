#include "model/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Solute uptake of the intact joint surface per unit fluid cytokine (1/day x mm), from the
 * native column: the synovium's drive replaces it, so an intact joint's fluid holds still. */
static double native_cytokine_uptake(const chs_model *m, double i_quiet)
{
  const double *u = m->native.state; /* surface cell */
  double D[CHS_ND];
  chs_transport_coefficients(&m->tp, u, D);
  double coef = chs_transport_robin(m->tp.h_top, D[CHS_F_CYTOKINE], 0.5 * m->grid->h[2]);
  return i_quiet > 0 ? coef * (m->tp.kappa * i_quiet - u[CHS_F_CYTOKINE]) / i_quiet : 0.0;
}

/* The native state with the fluid growth factor it sustains itself (what the intact
 * surface releases is cleared from the fluid): a few fixed-point sweeps of the column. */
static chs_status native_with_fluid(chs_model *m, const chs_config *cfg)
{
  const chs_grid *g = m->grid;
  double G = 0.0;
  double exch = m->joint.exchange ? m->joint.A_joint / m->joint.V_sf_mm3 : 0.0;
  for (int it = 0; it < 50; it++) {
    chs_native_free(&m->native);
    m->tp.fluid[CHS_F_GROWTH_FACTOR] = G;
    CHS_CHECK(chs_native_solve(&m->rates, &m->tp, g->gn[2], g->h[2], cfg->patient_quiet_inflammation,
                               &m->native));
    if (exch == 0.0 || m->joint.k_clrG <= 0.0) break;
    const double *u = m->native.state;
    double D[CHS_ND];
    chs_transport_coefficients(&m->tp, u, D);
    double coef = chs_transport_robin(m->tp.h_top, D[CHS_F_GROWTH_FACTOR], 0.5 * g->h[2]);
    /* k_clrG G = exch coef (u_top - kappa G), solved for G with u_top held */
    double next = exch * coef * u[CHS_F_GROWTH_FACTOR] / (m->joint.k_clrG + exch * coef * m->tp.kappa);
    if (fabs(next - G) <= 1e-13 * (fabs(G) + 1e-12)) {
      G = next;
      break;
    }
    G = next;
  }
  m->pools[CHS_P_G] = G;
  m->tp.fluid[CHS_F_GROWTH_FACTOR] = G;
  m->joint.I_uptake_native = native_cytokine_uptake(m, cfg->patient_quiet_inflammation);
  return CHS_OK;
}

chs_status chs_model_create(const chs_config *cfg, const chs_grid *g, const chs_par *par,
                            chs_model **out)
{
  *out = NULL;
  if (chs_fields_check_order())
    return chs_error(CHS_ERR_INTERNAL, "field registry: moving fields must come first (fields.h)");
  chs_model *m = calloc(1, sizeof *m);
  if (!m) return chs_error(CHS_ERR_NOMEM, "out of memory (model)");
  m->grid = g;
  m->par = par;
  chs_status st;
  CHS_TRY(st, chs_composition_parse(cfg, &m->product), fail);
  chs_rates_from_config(cfg, m->product.msc_allogeneic, &m->rates);
  chs_transport_from_config(cfg, &m->tp);
  chs_joint_from_config(cfg, g->lesion_area_phys, m->product.msc_allogeneic,
                        chs_composition_first_allogeneic_day(cfg, &m->product), &m->joint);
  chs_joint_initial(&m->joint, m->pools);
  m->npool_local = par->rank == 0 ? CHS_NPOOL : 0;
  m->diffuse = cfg->lesion_shape == CHS_LESION_DIFFUSE;
  m->oa_cells = cfg->lesion_oa_cells;
  m->oa_proteoglycan = cfg->lesion_oa_proteoglycan;
  m->oa_collagen = cfg->lesion_oa_collagen;
  for (int f = 0; f < CHS_ND; f++) m->init_solute[f] = -1.0;
  m->init_solute[CHS_F_GROWTH_FACTOR] = cfg->init_growth_factor;
  m->init_solute[CHS_F_CYTOKINE] = cfg->init_cytokine;
  m->init_solute[CHS_F_OXYGEN] = cfg->init_oxygen;
  m->k_inj = cfg->mechanisms_latent_gf ? cfg->latent_k_inj : 0.0;
  m->tau_inj = cfg->latent_tau_inj;
  m->kappa_B = cfg->mechanisms_bone ? cfg->bone_kappa_B : 0.0;
  m->pain_w[0] = cfg->pain_w_I;
  m->pain_w[1] = cfg->pain_w_B;
  m->pain_w[2] = cfg->products_w_H;
  CHS_TRY(st, native_with_fluid(m, cfg), fail);
  CHS_TRY(st, chs_rim_build(cfg, g, &m->rim), fail);
  m->ug = calloc(g->nghost * CHS_NF, sizeof(double));
  m->D = calloc(g->nghost * CHS_ND, sizeof(double));
  m->filler = calloc(g->nghost, sizeof(double));
  if (!m->ug || !m->D || !m->filler) {
    st = chs_error(CHS_ERR_NOMEM, "out of memory (model work arrays)");
    goto fail;
  }
  CHS_TRY(st, chs_halo_create(par, g->ln, g->ng, CHS_NF, &m->halo), fail);
  /* Global constants of the joint coupling: the simulated surface, the native collagen,
   * the footprint of the lesion opening, and the share of the joint it stands for. */
  {
    double sums[4] = {0.0, 0.0, 0.0, 0.0};
    for (int k = 0; k < g->ln[2]; k++)
      for (int j = 0; j < g->ln[1]; j++)
        for (int i = 0; i < g->ln[0]; i++) {
          bool fp = g->footprint[(size_t)j * (size_t)g->ln[0] + (size_t)i];
          if (g->lo[2] + k == 0) {
            sums[0] += g->vol[i] / g->h[2];
            if (fp) sums[2] += g->vol[i] / g->h[2];
          }
          sums[1] += g->vol[i] * m->native.state[(size_t)(g->lo[2] + k) * CHS_NF + CHS_F_COLLAGEN2];
          if (fp) sums[3] += g->vol[i];
        }
    chs_par_sum(par, sums, 4);
    m->surface_area = sums[0];
    m->k_native_mean = g->domain_volume > 0 ? sums[1] / g->domain_volume : 1.0;
    m->footprint_area = sums[2];
    m->footprint_volume = sums[3];
    /* The footprint stands for the real lesion (area lesion_area_phys), the other columns
     * for the rest of the joint's cartilage (intact native tissue if the lesion fills the
     * simulated box). Diffuse OA is the whole joint. */
    if (m->footprint_area <= 0.0)
      m->lesion_share = 0.0;
    else if (m->diffuse)
      m->lesion_share = 1.0;
    else
      m->lesion_share = fmin(1.0, g->lesion_area_phys / m->joint.A_joint);
  }
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
  chs_rim_free(&m->rim);
  free(m->ug);
  free(m->D);
  free(m->filler);
  chs_halo_destroy(&m->halo);
  free(m->vg);
  free(m->dD);
  chs_halo_destroy(&m->halo_v);
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
          u[CHS_F_LATENT] *= m->oa_collagen; /* the store is bound to the matrix */
        } else if (g->lesion[c]) {
          for (int f = 0; f < CHS_NF; f++) u[f] = 0.0;
          for (int f = 0; f < CHS_ND; f++)
            if (chs_field_kind[f] == CHS_KIND_SOLUTE) u[f] = m->tp.kappa * m->tp.fluid[f];
          u[CHS_F_CYTOKINE] = m->tp.kappa * m->pools[CHS_P_I];
        }
        for (int f = 0; f < CHS_ND; f++)
          if (m->init_solute[f] >= 0.0) u[f] = m->init_solute[f];
      }
  if (m->npool_local) memcpy(y + g->nlocal * CHS_NF, m->pools, sizeof(double) * CHS_NPOOL);
}

void chs_model_sync_pools(chs_model *m, const double *y)
{
  if (m->npool_local) memcpy(m->pools, y + m->grid->nlocal * CHS_NF, sizeof(double) * CHS_NPOOL);
  chs_par_bcast(m->par, m->pools, (int)sizeof m->pools);
  m->tp.fluid[CHS_F_GROWTH_FACTOR] = m->pools[CHS_P_G];
  m->tp.fluid[CHS_F_CYTOKINE] = m->pools[CHS_P_I];
  m->tp.bone_cytokine = m->kappa_B * m->pools[CHS_P_B];
}

static void copy_to_ghosted(chs_model *m, const double *y)
{
  const chs_grid *g = m->grid;
  m->loads++;
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

void chs_model_cell_env(const chs_model *m, double t, size_t c, int k, chs_cell_env *env)
{
  int z = m->grid->lo[2] + k;
  env->c_max = m->native.c_max[z];
  env->k_nat = m->native.state[(size_t)z * CHS_NF + CHS_F_COLLAGEN2];
  env->k_inj = m->rim.W[c] > 0.0 && t >= 0.0 ? m->k_inj * m->rim.W[c] * exp(-t / m->tau_inj) : 0.0;
  env->Z = m->pools[CHS_P_Z];
}

/* Solute f entering an intact native surface per mm^2 per day at the current fluid value. */
static double native_surface_uptake(const chs_model *m, int f)
{
  const double *u = m->native.state; /* surface cell */
  double D[CHS_ND];
  chs_transport_coefficients(&m->tp, u, D);
  double coef = chs_transport_robin(m->tp.h_top, D[f], 0.5 * m->grid->h[2]);
  return coef * (m->tp.kappa * m->tp.fluid[f] - u[f]);
}

/* The joint-level mean per mm^2 of cartilage of a quantity known as a total over the
 * footprint columns (les, over area_les) and over all columns (all, over area_all):
 * share x (footprint mean) + (1 - share) x (mean of the other columns). When a focal
 * lesion fills every simulated column, the rest of the joint is intact: `native`. */
static double joint_mean(double share, double les, double area_les, double all, double area_all, double native)
{
  double mean_les = area_les > 0.0 ? les / area_les : 0.0;
  double rest = area_all - area_les;
  double mean_rest = rest > 0.0 ? (all - les) / rest : native;
  return share * mean_les + (1.0 - share) * mean_rest;
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

/* The tissue totals the joint reads, summed over this rank (then over all ranks). */
enum { S_PROLIF, S_DIFF, S_DIED, S_MSC, S_DONOR, S_COLL, S_COLL_FP, S_UPG, S_UPI, S_UPG_FP, S_UPI_FP, S_N };

/* The pointwise reactions into ydot (NULL: only the totals) and the cell totals
 * S_PROLIF..S_COLL_FP of this rank. */
static void react_and_sum(const chs_model *m, double t, const double *y, double *ydot, double sums[S_N])
{
  const chs_grid *g = m->grid;
  const int nx = g->ln[0], ny = g->ln[1], nz = g->ln[2];
  double prolif = 0.0, diff = 0.0, died = 0.0, msc = 0.0, donor = 0.0, coll = 0.0, coll_fp = 0.0;
#pragma omp parallel for collapse(2) schedule(static) \
    reduction(+ : prolif, diff, died, msc, donor, coll, coll_fp)
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++)
      for (int i = 0; i < nx; i++) {
        size_t c = chs_grid_owned(g, i, j, k);
        const double *u = y + c * CHS_NF;
        chs_cell_env env;
        chs_model_cell_env(m, t, c, k, &env);
        double flows[3], R[CHS_NF];
        chs_react_and_flows(&m->rates, &env, u, ydot ? ydot + c * CHS_NF : R, u[CHS_F_MSC] != 0.0 ? flows : NULL);
        double v = g->vol[i];
        coll += u[CHS_F_COLLAGEN2] * v;
        if (g->footprint[(size_t)j * (size_t)nx + (size_t)i]) coll_fp += u[CHS_F_COLLAGEN2] * v;
        donor += u[CHS_F_DONOR] * v;
        if (u[CHS_F_MSC] != 0.0) {
          prolif += flows[0] * v;
          diff += flows[1] * v;
          died += flows[2] * v;
          msc += u[CHS_F_MSC] * v;
        }
      }
  const double cell[] = {[S_PROLIF] = prolif, [S_DIFF] = diff,   [S_DIED] = died,      [S_MSC] = msc,
                         [S_DONOR] = donor,   [S_COLL] = coll,   [S_COLL_FP] = coll_fp};
  for (int q = 0; q <= S_COLL_FP; q++) sums[q] = cell[q];
}

/* The solute uptake totals S_UPG..S_UPI_FP of this rank (m->ug and m->D loaded). */
static void uptake_sums(const chs_model *m, double sums[S_N])
{
  double up[CHS_ND], fp[CHS_ND];
  chs_transport_surface_uptake(&m->tp, m->grid, m->ug, m->D, NULL, up);
  chs_transport_surface_uptake(&m->tp, m->grid, m->ug, m->D, m->grid->footprint, fp);
  sums[S_UPG] = up[CHS_F_GROWTH_FACTOR];
  sums[S_UPI] = up[CHS_F_CYTOKINE];
  sums[S_UPG_FP] = fp[CHS_F_GROWTH_FACTOR];
  sums[S_UPI_FP] = fp[CHS_F_CYTOKINE];
}

/* What the joint's equations read, from the totals over all ranks and the uptake of an
 * intact native surface (native_uptake: growth factor, cytokine). The map is affine in the
 * totals and the native uptakes, so with `derivative` (its constant parts dropped) it takes
 * their derivatives to the inputs' derivatives (chs_model_jv). */
static chs_tissue_flows tissue_flows(const chs_model *m, const double sums[S_N], const double native_uptake[2],
                                     bool derivative)
{
  const chs_grid *g = m->grid;
  /* The ledger counts real cells: a 2D slice stands for the whole lesion. */
  const double ps = g->phys_scale;
  const double intact = derivative ? 0.0 : 1.0;
  return (chs_tissue_flows){
      .died = sums[S_DIED] * ps,
      .differentiated = sums[S_DIFF] * ps,
      .proliferated = sums[S_PROLIF] * ps,
      .msc_tissue = sums[S_MSC] * ps,
      .donor_cells = sums[S_DONOR] * ps,
      /* Joint-level values per mm^2 of the joint's cartilage: the lesion weighs its real
       * area, the rest of the joint is like the simulated tissue around it. */
      .damage = intact - joint_mean(m->lesion_share, sums[S_COLL_FP], m->footprint_volume, sums[S_COLL],
                                    g->domain_volume, intact * m->k_native_mean) /
                             m->k_native_mean,
      .uptake_G = joint_mean(m->lesion_share, sums[S_UPG_FP], m->footprint_area, sums[S_UPG], m->surface_area,
                             native_uptake[0]),
      .uptake_I = joint_mean(m->lesion_share, sums[S_UPI_FP], m->footprint_area, sums[S_UPI], m->surface_area,
                             native_uptake[1]),
  };
}

/* The joint's inputs at the loaded state. */
static chs_tissue_flows tissue_flows_now(const chs_model *m, const double sums[S_N])
{
  const double native[2] = {native_surface_uptake(m, CHS_F_GROWTH_FACTOR), native_surface_uptake(m, CHS_F_CYTOKINE)};
  return tissue_flows(m, sums, native, false);
}

void chs_model_rhs(chs_model *m, double t, const double *y, double *ydot)
{
  const chs_grid *g = m->grid;
  m->nrhs++;
  m->t_now = t;
  chs_model_sync_pools(m, y);
  /* Post the halo exchange, do the pointwise reactions while messages travel. */
  copy_to_ghosted(m, y);
  chs_halo_begin(m->halo, m->ug);
  double sums[S_N];
  react_and_sum(m, t, y, ydot, sums);
  chs_halo_end(m->halo, m->ug);
  chs_transport_fill_coefficients(&m->tp, g, m->ug, m->D);
  chs_transport_apply(&m->tp, g, m->ug, m->D, ydot);
  boundary_cell_sources(m, ydot);
  uptake_sums(m, sums);
  chs_par_sum(m->par, sums, S_N);
  /* Kept for the Jacobian-vector products at this state (chs_model_jv_setup). */
  m->tf = tissue_flows_now(m, sums);
  m->tf_t = t;
  m->tf_y = y;
  if (m->npool_local) chs_joint_rhs(&m->joint, t, m->pools, &m->tf, m->marrow_rate, ydot + g->nlocal * CHS_NF);
}

/* ------------------------------------------------------------ exact Jacobian-vector product */

chs_status chs_model_jv_setup(chs_model *m, double t, const double *y)
{
  const chs_grid *g = m->grid;
  if (!m->vg) {
    m->vg = calloc(g->nghost * CHS_TP_NV, sizeof(double));
    m->dD = calloc(g->nghost * CHS_ND, sizeof(double));
    if (!m->vg || !m->dD) return chs_error(CHS_ERR_NOMEM, "out of memory (Jacobian-vector product)");
    CHS_CHECK(chs_halo_create(m->par, g->ln, g->ng, CHS_TP_NV, &m->halo_v));
  }
  m->t_now = t;
  chs_model_sync_pools(m, y);
  chs_model_load_state(m, y);
  m->jv_loaded = m->loads;
  /* The joint's inputs at y: CVODE sets up the products right after the residual f(t, y),
   * whose tissue totals are kept; anyone else gets them summed afresh. */
  if (m->tf_y != y || m->tf_t != t) {
    double sums[S_N];
    react_and_sum(m, t, y, NULL, sums);
    uptake_sums(m, sums);
    chs_par_sum(m->par, sums, S_N);
    m->tf = tissue_flows_now(m, sums);
    m->tf_t = t;
    m->tf_y = y;
  }
  return CHS_OK;
}

/* The derivative of native_surface_uptake: the native surface cell does not move, only
 * the fluid value does. */
static double native_surface_uptake_jv(const chs_model *m, int f, double dfluid)
{
  double D[CHS_ND];
  chs_transport_coefficients(&m->tp, m->native.state, D);
  return chs_transport_robin(m->tp.h_top, D[f], 0.5 * m->grid->h[2]) * m->tp.kappa * dfluid;
}

/* Mirrors chs_model_rhs term by term: the reactions (chs_react_jv), the transport with its
 * state-dependent diffusivities and the fluid's boundary values, the cells attaching from
 * the fluid, and the joint's equations through the tissue sums they read. */
void chs_model_jv(chs_model *m, double t, const double *y, const double *v, double *Jv)
{
  const chs_grid *g = m->grid;
  const int nx = g->ln[0], ny = g->ln[1], nz = g->ln[2];
  if (m->loads != m->jv_loaded || m->t_now != t) chs_model_jv_setup(m, t, y); /* allocated already */
  double dP[CHS_NPOOL];
  if (m->npool_local) memcpy(dP, v + g->nlocal * CHS_NF, sizeof dP);
  chs_par_bcast(m->par, dP, (int)sizeof dP);
  const chs_transport_dir dir = {
      .fluid = {[CHS_F_GROWTH_FACTOR] = dP[CHS_P_G], [CHS_F_CYTOKINE] = dP[CHS_P_I]},
      .bone_cytokine = m->kappa_B * dP[CHS_P_B],
  };
  /* The direction's moving fields and network sum into the ghosted vg. */
#pragma omp parallel for collapse(2) schedule(static)
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++)
      for (int i = 0; i < nx; i++) {
        const double *vc = v + chs_grid_owned(g, i, j, k) * CHS_NF;
        double *w = m->vg + chs_grid_ghosted(g, i, j, k) * CHS_TP_NV;
        for (int f = 0; f < CHS_ND; f++) w[f] = vc[f];
        w[CHS_ND] = vc[CHS_F_COLLAGEN2] + vc[CHS_F_FIBROUS];
      }
  chs_halo_begin(m->halo_v, m->vg);
  double prolif = 0.0, diff = 0.0, died = 0.0, msc = 0.0, donor = 0.0, coll = 0.0, coll_fp = 0.0;
#pragma omp parallel for collapse(2) schedule(static) \
    reduction(+ : prolif, diff, died, msc, donor, coll, coll_fp)
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++)
      for (int i = 0; i < nx; i++) {
        size_t c = chs_grid_owned(g, i, j, k);
        const double *u = y + c * CHS_NF, *vc = v + c * CHS_NF;
        chs_cell_env env;
        chs_model_cell_env(m, t, c, k, &env);
        const int has_msc = u[CHS_F_MSC] != 0.0 || vc[CHS_F_MSC] != 0.0;
        double dflows[3];
        chs_react_jv(&m->rates, &env, u, vc, dP[CHS_P_Z], Jv + c * CHS_NF, has_msc ? dflows : NULL);
        double vol = g->vol[i];
        coll += vc[CHS_F_COLLAGEN2] * vol;
        if (g->footprint[(size_t)j * (size_t)nx + (size_t)i]) coll_fp += vc[CHS_F_COLLAGEN2] * vol;
        donor += vc[CHS_F_DONOR] * vol;
        if (has_msc) {
          prolif += dflows[0] * vol;
          diff += dflows[1] * vol;
          died += dflows[2] * vol;
          msc += vc[CHS_F_MSC] * vol;
        }
      }
  chs_halo_end(m->halo_v, m->vg);
  chs_transport_fill_coefficients_jv(&m->tp, g, m->ug, m->vg, m->dD);
  chs_transport_apply_jv(&m->tp, g, m->ug, m->D, m->vg, m->dD, &dir, Jv);
  /* Cells attaching from the fluid over the lesion (boundary_cell_sources); the bone's
   * inflow rate is set by events, not by the state. */
  const double area = g->lesion_area_phys;
  if (area > 0.0) {
    const double dtop = m->joint.phi *
                        (chs_joint_attach_rate_jv(&m->joint, m->pools, dP) * m->pools[CHS_P_N] +
                         chs_joint_attach_rate(&m->joint, m->pools) * dP[CHS_P_N]) / area;
    if (dtop != 0.0)
      for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++)
          if (g->footprint[(size_t)j * (size_t)nx + (size_t)i])
            Jv[chs_grid_owned(g, i, j, 0) * CHS_NF + CHS_F_MSC] += dtop / g->h[2];
  }
  double up[CHS_ND], fp[CHS_ND];
  chs_transport_surface_uptake_jv(&m->tp, g, m->ug, m->D, m->vg, m->dD, &dir, NULL, up);
  chs_transport_surface_uptake_jv(&m->tp, g, m->ug, m->D, m->vg, m->dD, &dir, g->footprint, fp);
  double sums[S_N] = {prolif, diff, died, msc, donor, coll, coll_fp, up[CHS_F_GROWTH_FACTOR], up[CHS_F_CYTOKINE],
                      fp[CHS_F_GROWTH_FACTOR], fp[CHS_F_CYTOKINE]};
  chs_par_sum(m->par, sums, S_N);
  if (m->npool_local) {
    const double dnative[2] = {native_surface_uptake_jv(m, CHS_F_GROWTH_FACTOR, dP[CHS_P_G]),
                               native_surface_uptake_jv(m, CHS_F_CYTOKINE, dP[CHS_P_I])};
    const chs_tissue_flows dtf = tissue_flows(m, sums, dnative, true);
    chs_joint_rhs_jv(&m->joint, t, m->pools, &m->tf, dP, &dtf, Jv + g->nlocal * CHS_NF);
  }
}

void chs_model_tolerances(double atol, double dose_scale, double cell[CHS_NF], double pools[CHS_NPOOL])
{
  for (int f = 0; f < CHS_NF; f++) cell[f] = atol * chs_field_scale[f];
  double cells = dose_scale > 1.0 ? dose_scale : 1.0;
  for (int q = 0; q < CHS_NPOOL; q++) pools[q] = atol * cells;
  pools[CHS_P_G] = atol;
  pools[CHS_P_I] = atol;
  pools[CHS_P_M] = atol;
  pools[CHS_P_B] = atol;
  pools[CHS_P_Z] = atol;
  pools[CHS_P_HA] = atol;
}

#include "run/memory.h"

#include <stdio.h>

#include "model/fields.h"
#include "solve/column.h"

double chs_memory_cells(const chs_config *cfg)
{
  double ny = cfg->grid_geometry == CHS_GEOM_CARTESIAN3D ? (double)cfg->grid_ny : 1.0;
  return (double)cfg->grid_nx * ny * (double)cfg->grid_nz;
}

double chs_memory_per_cell(const chs_config *cfg)
{
  /* Vectors of CHS_NF doubles per cell. */
  double vectors = 1.0                                /* the state (the integrator works in it;
                                                       * CVODE computes the error weights from
                                                       * per-field tolerances: no tolerance vector) */
                   + 1.0                              /* the model's ghosted copy of the state */
                   + (cfg->solver_max_order + 1.0)    /* CVODE's Nordsieck history */
                   + 7.0                              /* CVODE work: ewt, acor, tempv, ftemp, vtemp1-3 */
                   + (cfg->solver_krylov_dim + 1.0)   /* GMRES basis */
                   + 4.0                              /* GMRES and CVLS work vectors */
                   + 1.0 / CHS_NF;                    /* an output step's buffer: one field */
  double bytes = 8.0 * CHS_NF * vectors;
  bytes += 8.0 * (CHS_ND + 1.0); /* diffusivities and filler (ghosted) */
  if (cfg->solver_jacobian_product == CHS_SOLVER_JACOBIAN_PRODUCT_ANALYTIC)
    bytes += 8.0 * (2.0 * CHS_ND + 1.0); /* the direction (moving fields and k + f) and dD, ghosted */
  bytes += 1.0;                  /* lesion mask */
  const double cp = sizeof(chs_coupling), pc = sizeof(chs_pcreal);
  if (cfg->solver_preconditioner != CHS_PC_NONE)
    bytes += (8.0 + 2.0 * cp) * CHS_ND; /* diffusion diagonal, vertical couplings */
  if (cfg->solver_preconditioner == CHS_PC_MULTIGRID) {
    /* fine: lateral couplings, the halo of the moving fields, the condensed blocks' column
     * factorisation, the condensation (A_ss^{-1}, A_ss^{-1} A_sm, A_ms A_ss^{-1}) and two
     * vectors of the moving fields; coarse levels: blocks, inverses, couplings and two
     * vectors, on 1/4 + 1/16 + ... = 1/3 of the cells in 3D, 1/2 + 1/4 + ... = 1 in x-z. */
    const double ns = CHS_NF - CHS_ND;
    const double coarse = cfg->grid_geometry == CHS_GEOM_CARTESIAN3D ? 1.0 / 3.0 : 1.0;
    bytes += (4.0 * cp + 8.0) * CHS_ND;
    bytes += pc * (CHS_ND * CHS_ND + ns * ns + 2.0 * ns * CHS_ND) + 8.0 * 2.0 * CHS_ND;
    bytes += coarse * ((8.0 + pc) * CHS_ND * CHS_ND + (6.0 * cp + 16.0) * CHS_ND);
  } else if (cfg->solver_preconditioner != CHS_PC_NONE) {
    bytes += pc * CHS_NF * CHS_NF; /* inverse blocks */
  }
  return bytes;
}

static const char *human(double b, char *buf, size_t len)
{
  static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (b >= 1024.0 && u < 6) {
    b /= 1024.0;
    u++;
  }
  snprintf(buf, len, "%.3g %s", b, unit[u]);
  return buf;
}

chs_status chs_memory_check(const chs_config *cfg, double need, double available, const char *where)
{
  if (!(available > 0) || need <= available) return CHS_OK;
  char a[32], b[32], ny[48] = "";
  int ix = chs_param_index("grid.nx"), iz = chs_param_index("grid.nz");
  int is3d = cfg->grid_geometry == CHS_GEOM_CARTESIAN3D;
  if (is3d) snprintf(ny, sizeof ny, ", grid.ny = %d", cfg->grid_ny);
  return chs_error(CHS_ERR_NOMEM,
                   "grid.nx = %d (%s)%s, grid.nz = %d (%s): %.4g cells need about %s (%.0f bytes "
                   "per cell: state, preconditioner and CVODE vectors) but %s has %s available: "
                   "reduce grid.nx/grid.nz%s, or spread the run over more nodes",
                   cfg->grid_nx, cfg->origin[ix], ny,
                   cfg->grid_nz, cfg->origin[iz], chs_memory_cells(cfg), human(need, a, sizeof a),
                   chs_memory_per_cell(cfg), where, human(available, b, sizeof b),
                   is3d ? "/grid.ny" : "");
}

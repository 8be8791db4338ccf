#include "model/rim.h"

#include <math.h>
#include <stdlib.h>

/* Distance of a point (lateral rho, depth z) from the lesion's wall and floor, and the
 * lateral distance from the wall at that depth (lesion cells). */
static void distances(int shape, double R, double d, double H, double rho, double z, int inside,
                      double *wall, double *lateral)
{
  if (shape == CHS_LESION_CYLINDER) {
    double floor_gap = d < H ? fabs(z - d) : INFINITY; /* a full-depth lesion has no floor */
    if (inside) {
      *lateral = R - rho;
      *wall = fmin(R - rho, floor_gap);
    } else if (z <= d) {
      *lateral = -1.0;
      *wall = rho - R;
    } else {
      *lateral = -1.0;
      *wall = rho <= R ? z - d : hypot(rho - R, z - d);
    }
    return;
  }
  /* ellipsoidal cap: distance along the scaled radius (exact on the axes) */
  double q = sqrt((rho / R) * (rho / R) + (z / d) * (z / d));
  *wall = fabs(1.0 - q) * fmin(R, d);
  double Rz = z < d ? R * sqrt(1.0 - (z / d) * (z / d)) : 0.0;
  *lateral = inside ? Rz - rho : -1.0;
}

chs_status chs_rim_build(const chs_config *cfg, const chs_grid *g, chs_rim *rim)
{
  rim->W = calloc(g->nlocal ? g->nlocal : 1, sizeof(double));
  rim->wall = malloc(sizeof(double) * (g->nlocal ? g->nlocal : 1));
  if (!rim->W || !rim->wall) {
    chs_rim_free(rim);
    return chs_error(CHS_ERR_NOMEM, "out of memory (lesion rim)");
  }
  int shape = cfg->lesion_shape;
  rim->has_wall = shape == CHS_LESION_CYLINDER || shape == CHS_LESION_ELLIPSOID;
  const double w = cfg->latent_w_inj, H = cfg->tissue_thickness;
  for (int k = 0; k < g->ln[2]; k++) {
    double z = chs_grid_center(g, 2, g->lo[2] + k);
    for (int j = 0; j < g->ln[1]; j++)
      for (int i = 0; i < g->ln[0]; i++) {
        size_t c = chs_grid_owned(g, i, j, k);
        rim->wall[c] = -1.0;
        if (!rim->has_wall) continue;
        double rho = chs_grid_lateral_distance(g, cfg, g->lo[0] + i, g->lo[1] + j);
        double wall, lateral;
        distances(shape, cfg->lesion_radius, cfg->lesion_depth, H, rho, z, g->lesion[c], &wall, &lateral);
        rim->wall[c] = lateral;
        /* the injured rim: native cells whose centre is within w_inj (+ half a cell, so a
         * rim narrower than a cell still marks the first layer) of the wall */
        if (!g->lesion[c] && wall <= w + 0.5 * g->h[0]) rim->W[c] = 1.0;
      }
  }
  return CHS_OK;
}

void chs_rim_free(chs_rim *rim)
{
  free(rim->W);
  free(rim->wall);
  rim->W = rim->wall = NULL;
}

/* Geometry of the cartilage slab and this rank's block of it: spacing, metric factors of
 * the finite-volume faces (axisymmetric faces weighted by r), cell volumes, lesion mask.
 *
 * Axes: x = r (axisymmetric) or lateral x; y = lateral y (cartesian3d only, else one
 * cell); z = depth, 0 at the articular surface, thickness at the bone. Cell-centred. */
#ifndef CHS_GRID_H
#define CHS_GRID_H

#include <stddef.h>

#include "config/config.h"
#include "core/status.h"
#include "par/par.h"

typedef struct chs_grid {
  int geometry;     /* CHS_GEOM_* */
  int gn[3];        /* global cells x, y, z */
  double h[3];      /* spacing, mm */
  double origin[3]; /* low corner, mm */
  int lo[3], ln[3]; /* owned block */
  int ng[3];        /* ghost width per axis (z has none: columns are never split) */
  int gd[3];        /* ghosted local dims */
  size_t nlocal;    /* owned cells */
  size_t nghost;    /* cells in a ghosted array */

  /* Divergence metric along x per owned i: flux difference factors so that
   * (div)_i = cxm[i]*(F_{i-1/2}) ... see transport.c. Zero at no-flux edges and the axis. */
  double *cxm, *cxp; /* A_face / (V * dx), for the low and high x faces */
  double cy, cz;     /* 1/dy^2 (0 if y is not resolved), 1/dz^2 */
  double *vol;       /* cell volume per owned i (mm^3; cartesian2d per mm of depth in y) */

  unsigned char *lesion;    /* owned cells, 1 inside the lesion (diffuse OA: everywhere) */
  unsigned char *footprint; /* owned columns (x fastest), 1 if the surface cell is lesion */
  double lesion_volume;     /* global, mm^3 of the grid (cartesian2d: per mm of y) */
  double lesion_area;       /* global area of the lesion's opening at the surface, mm^2 */
  double domain_volume;     /* global, mm^3 */
  /* The real lesion: equal to the grid values in axisymmetric and 3D runs; a cartesian2d
   * slice stands for a lesion of area pi R^2 (cylinder, ellipsoid) or w^2 (mask, diffuse:
   * extruded over its own width w). phys_scale = real / slice, in mm. */
  double lesion_area_phys, lesion_volume_phys, phys_scale;
} chs_grid;

chs_status chs_grid_create(const chs_config *cfg, const chs_par *par, chs_grid **out);
void chs_grid_destroy(chs_grid **g);

/* Index of owned cell (i,j,k) in an owned-only array, and in a ghosted array. */
static inline size_t chs_grid_owned(const chs_grid *g, int i, int j, int k)
{
  return ((size_t)k * (size_t)g->ln[1] + (size_t)j) * (size_t)g->ln[0] + (size_t)i;
}
static inline size_t chs_grid_ghosted(const chs_grid *g, int i, int j, int k)
{
  return ((size_t)(k + g->ng[2]) * (size_t)g->gd[1] + (size_t)(j + g->ng[1])) * (size_t)g->gd[0] +
         (size_t)(i + g->ng[0]);
}
/* The owned cells column by column (depth fastest): the preconditioners' storage order. */
static inline size_t chs_grid_by_column(const chs_grid *g, int i, int j, int k)
{
  return ((size_t)j * (size_t)g->ln[0] + (size_t)i) * (size_t)g->ln[2] + (size_t)k;
}
/* Cell-centre coordinate along axis a of global index n. */
static inline double chs_grid_center(const chs_grid *g, int a, int n)
{
  return g->origin[a] + ((double)n + 0.5) * g->h[a];
}

/* Lateral distance of the centre of global column (gi, gj) from the lesion axis, mm. */
double chs_grid_lateral_distance(const chs_grid *g, const chs_config *cfg, int gi, int gj);

/* Reads a 0/1 lesion mask file: a PGM image (P2 text or P5 binary; maxval up to 65535,
 * two bytes per sample big-endian above 255; 2D geometries, nx wide and nz high) or a
 * text volume "nx ny nz" then nx*ny*nz values, x fastest (cartesian3d), or a NIfTI label
 * volume (.nii/.nii.gz, resampled by voxel size against the cell size h). A PGM or text
 * volume must have the size gn[3]; values after the last are an error, and so is a mask that marks no cell. The
 * block lo/ln of the values goes to owned (x fastest; NULL: only check and count);
 * *marked = cells with a non-zero value. */
chs_status chs_mask_read(const char *path, int geometry, const int gn[3], const double h[3],
                         const int lo[3], const int ln[3], unsigned char *owned, long *marked);

/* Builds the lesion mask and volumes (collective: sums over ranks). */
chs_status chs_grid_mark_lesion(chs_grid *g, const chs_config *cfg, const chs_par *par);

#endif

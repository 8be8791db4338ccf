#include "grid/grid.h"
#include "grid/nifti_mask.h"

#include "core/fsutil.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>

chs_status chs_grid_create(const chs_config *cfg, const chs_par *par, chs_grid **out)
{
  *out = NULL;
  chs_grid *g = calloc(1, sizeof *g);
  if (!g) return chs_error(CHS_ERR_NOMEM, "out of memory (grid)");
  g->geometry = cfg->grid_geometry;
  bool is3d = g->geometry == CHS_GEOM_CARTESIAN3D;
  g->gn[0] = cfg->grid_nx;
  g->gn[1] = is3d ? cfg->grid_ny : 1;
  g->gn[2] = cfg->grid_nz;
  g->h[0] = cfg->grid_width / g->gn[0];
  g->h[1] = is3d ? cfg->grid_length / g->gn[1] : g->h[0]; /* 2D: one cell, drawn square */
  g->h[2] = cfg->tissue_thickness / g->gn[2];
  /* Axisymmetric r starts at the axis; cartesian axes are centred on the domain. */
  g->origin[0] = g->geometry == CHS_GEOM_AXISYMMETRIC ? 0.0 : -0.5 * cfg->grid_width;
  g->origin[1] = is3d ? -0.5 * cfg->grid_length : 0.0;
  g->origin[2] = 0.0;
  for (int a = 0; a < 3; a++) {
    chs_par_block(g->gn[a], par->dims[a], par->coords[a], &g->lo[a], &g->ln[a]);
    g->ng[a] = (a < 2 && g->gn[a] > 1) ? 1 : 0;
    g->gd[a] = g->ln[a] + 2 * g->ng[a];
  }
  g->nlocal = (size_t)g->ln[0] * (size_t)g->ln[1] * (size_t)g->ln[2];
  g->nghost = (size_t)g->gd[0] * (size_t)g->gd[1] * (size_t)g->gd[2];

  g->cxm = calloc((size_t)g->ln[0], sizeof(double));
  g->cxp = calloc((size_t)g->ln[0], sizeof(double));
  g->vol = calloc((size_t)g->ln[0], sizeof(double));
  g->lesion = calloc(g->nlocal, 1);
  g->footprint = calloc((size_t)g->ln[0] * (size_t)g->ln[1], 1);
  if (!g->cxm || !g->cxp || !g->vol || !g->lesion || !g->footprint) {
    chs_grid_destroy(&g);
    return chs_error(CHS_ERR_NOMEM, "out of memory (grid metrics)");
  }
  double dx = g->h[0];
  /* Depth of the y direction per cell: dy in 3D; 1 mm for the 2D geometries
   * (cartesian2d is per mm of thickness; axisymmetric carries 2*pi*r in wx). */
  double dyeff = is3d ? g->h[1] : 1.0;
  for (int i = 0; i < g->ln[0]; i++) {
    int gi = g->lo[0] + i;
    double wx = 1.0, wlo = 1.0, whi = 1.0;
    if (g->geometry == CHS_GEOM_AXISYMMETRIC) {
      wx = 2.0 * M_PI * (gi + 0.5) * dx;
      wlo = 2.0 * M_PI * gi * dx;
      whi = 2.0 * M_PI * (gi + 1.0) * dx;
    }
    if (gi == 0) wlo = 0.0;              /* axis or lateral edge: no flux */
    if (gi == g->gn[0] - 1) whi = 0.0;   /* outer lateral edge: no flux */
    g->cxm[i] = wlo / (wx * dx * dx);
    g->cxp[i] = whi / (wx * dx * dx);
    g->vol[i] = wx * dx * dyeff * g->h[2];
  }
  g->cy = g->gn[1] > 1 ? 1.0 / (g->h[1] * g->h[1]) : 0.0;
  g->cz = 1.0 / (g->h[2] * g->h[2]);

  double vol = 0.0;
  for (int k = 0; k < g->ln[2]; k++)
    for (int j = 0; j < g->ln[1]; j++)
      for (int i = 0; i < g->ln[0]; i++) vol += g->vol[i];
  chs_par_sum(par, &vol, 1);
  g->domain_volume = vol;
  *out = g;
  return CHS_OK;
}

void chs_grid_destroy(chs_grid **gp)
{
  if (!gp || !*gp) return;
  chs_grid *g = *gp;
  free(g->cxm);
  free(g->cxp);
  free(g->vol);
  free(g->lesion);
  free(g->footprint);
  free(g);
  *gp = NULL;
}

/* Lateral distance of a cell centre from the lesion axis. */
static double lateral_distance(const chs_grid *g, const chs_config *cfg, int gi, int gj)
{
  double x = chs_grid_center(g, 0, gi);
  if (g->geometry == CHS_GEOM_AXISYMMETRIC) return x;
  double dxl = x - cfg->lesion_center_x;
  if (g->geometry == CHS_GEOM_CARTESIAN2D) return fabs(dxl);
  double dyl = chs_grid_center(g, 1, gj) - cfg->lesion_center_y;
  return sqrt(dxl * dxl + dyl * dyl);
}

/* Skips whitespace and '#' comments (to the end of the line) in a PGM header. */
static int pgm_skip(FILE *f)
{
  int c;
  for (;;) {
    c = fgetc(f);
    if (c == '#') {
      while (c != '\n' && c != EOF) c = fgetc(f);
      if (c == EOF) return EOF;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') continue;
    return c;
  }
}

/* A whole number of the header, 1..max; -1 if missing or out of range. */
static long pgm_header_int(FILE *f, long max)
{
  int c = pgm_skip(f);
  if (c < '0' || c > '9') return -1;
  long v = 0;
  while (c >= '0' && c <= '9') {
    v = 10 * v + (c - '0');
    if (v > max) return -1;
    c = fgetc(f);
  }
  if (c != EOF) ungetc(c, f);
  return v >= 1 ? v : -1;
}

/* The next text value (a whole number), or -1 if none / not a number / too large. */
static long text_value(FILE *f, int *at_end)
{
  int c = pgm_skip(f);
  *at_end = c == EOF;
  if (c < '0' || c > '9') return -1;
  long v = 0;
  while (c >= '0' && c <= '9') {
    if (v < 100000000) v = 10 * v + (c - '0');
    c = fgetc(f);
  }
  if (c != EOF && c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f') return -1;
  return v;
}

chs_status chs_mask_read(const char *path, int geometry, const int gn[3], const double h[3],
                         const int lo[3], const int ln[3], unsigned char *owned, long *marked)
{
  FILE *f;
  *marked = 0;
  if (chs_nifti_is_mask_file(path)) { /* label volumes resampled by voxel size: nifti_mask.h */
    CHS_CHECK(chs_open_regular(path, "rb", "lesion.mask_file", CHS_ERR_CONFIG, &f));
    fclose(f);
    CHS_CHECK(chs_nifti_mask_read(path, gn, h, lo, ln, geometry != CHS_GEOM_CARTESIAN3D, owned,
                                  marked));
    if (*marked == 0)
      return chs_error(CHS_ERR_CONFIG, "lesion.mask_file = %s: no voxel has a label > 0", path);
    return CHS_OK;
  }
  CHS_CHECK(chs_open_regular(path, "rb", "lesion.mask_file", CHS_ERR_CONFIG, &f));
  long dims[3] = {0, 1, 0}, maxval = 1;
  int binary = 0, text_pgm = 0;
  chs_status st = CHS_OK;
  int c0 = pgm_skip(f), c1 = c0 == EOF ? EOF : fgetc(f);
  if (c0 == EOF) {
    fclose(f);
    return chs_error(CHS_ERR_CONFIG, "lesion.mask_file = %s: empty file", path);
  }
  if (c0 == 'P' && (c1 == '2' || c1 == '5')) {
    binary = c1 == '5';
    text_pgm = !binary;
    /* Header: width height maxval (1..65535), with # comments. */
    dims[0] = pgm_header_int(f, 1000000);
    dims[2] = pgm_header_int(f, 1000000);
    maxval = pgm_header_int(f, 65535);
    if (dims[0] < 0 || dims[2] < 0 || maxval < 0) {
      fclose(f);
      return chs_error(CHS_ERR_CONFIG, "lesion.mask_file = %s: bad PGM header (expected P2 or P5, "
                       "width, height and maxval 1 to 65535)", path);
    }
    if (binary) {
      int sep = fgetc(f); /* the single whitespace after maxval */
      if (sep != ' ' && sep != '\t' && sep != '\n' && sep != '\r') {
        fclose(f);
        return chs_error(CHS_ERR_CONFIG, "lesion.mask_file = %s: bad PGM header (no whitespace "
                         "after maxval %ld)", path, maxval);
      }
    }
    if (geometry == CHS_GEOM_CARTESIAN3D)
      st = chs_error(CHS_ERR_CONFIG, "lesion.mask_file = %s: a 2D PGM image needs a 2D geometry; "
                     "cartesian3d takes a text volume ('nx ny nz' then values)", path);
  } else {
    rewind(f);
    int end;
    for (int a = 0; a < 3; a++) dims[a] = text_value(f, &end);
    if (dims[0] < 1 || dims[1] < 1 || dims[2] < 1)
      st = chs_error(CHS_ERR_CONFIG, "lesion.mask_file = %s: expected a PGM image (P2 or P5) or a "
                     "text volume starting with 'nx ny nz'", path);
  }
  if (st == CHS_OK && (dims[0] != gn[0] || dims[1] != gn[1] || dims[2] != gn[2]))
    st = chs_error(CHS_ERR_CONFIG, "lesion.mask_file = %s is %ld x %ld x %ld (x y z) but the grid is "
                   "%d x %d x %d: resample the mask or set grid.nx/ny/nz to match", path, dims[0],
                   dims[1], dims[2], gn[0], gn[1], gn[2]);
  long total = st == CHS_OK ? dims[0] * dims[1] * dims[2] : 0;
  /* maxval > 255: two bytes per sample, most significant first (the PGM format). */
  int bytes = maxval > 255 ? 2 : 1;
  for (long q = 0; st == CHS_OK && q < total; q++) {
    long v;
    if (binary) {
      int hi = fgetc(f), lo2 = bytes == 2 ? fgetc(f) : 0;
      v = hi == EOF || lo2 == EOF ? -1 : (bytes == 2 ? 256L * hi + lo2 : hi);
    } else {
      int end;
      v = text_value(f, &end);
    }
    if (v < 0 || v > maxval) {
      st = chs_error(CHS_ERR_CONFIG, "lesion.mask_file = %s: value %ld of %ld is missing or out of "
                     "range 0..%ld", path, q + 1, total, maxval);
      break;
    }
    if (v > 0) (*marked)++;
    if (!owned) continue;
    int gi = (int)(q % dims[0]), gj = (int)((q / dims[0]) % dims[1]), gk = (int)(q / (dims[0] * dims[1]));
    int i = gi - lo[0], j = gj - lo[1], k = gk - lo[2];
    if (i >= 0 && i < ln[0] && j >= 0 && j < ln[1] && k >= 0 && k < ln[2])
      owned[((size_t)k * (size_t)ln[1] + (size_t)j) * (size_t)ln[0] + (size_t)i] = v > 0;
  }
  /* Anything after the last value means the file is not the size it claims. */
  if (st == CHS_OK) {
    int extra;
    if (binary)
      extra = fgetc(f) != EOF;
    else {
      int c = pgm_skip(f);
      extra = c != EOF;
      (void)text_pgm;
    }
    if (extra)
      st = chs_error(CHS_ERR_CONFIG, "lesion.mask_file = %s: data after the %ld values the header "
                     "announces (%ld x %ld x %ld%s): the file is not the size it claims", path, total,
                     dims[0], dims[1], dims[2], binary && bytes == 2 ? ", 2 bytes each" : "");
  }
  fclose(f);
  if (st == CHS_OK && *marked == 0)
    st = chs_error(CHS_ERR_CONFIG, "lesion.mask_file = %s marks no cell: all %ld values are 0, so "
                   "the lesion is empty (use lesion.shape = none for intact cartilage)", path, total);
  return st;
}

chs_status chs_grid_mark_lesion(chs_grid *g, const chs_config *cfg, const chs_par *par)
{
  int shape = cfg->lesion_shape;
  double R = cfg->lesion_radius, d = cfg->lesion_depth;
  if (shape == CHS_LESION_MASK) {
    long marked;
    chs_status st = chs_par_agree(par, chs_mask_read(cfg->lesion_mask_file, g->geometry, g->gn, g->h,
                                                     g->lo, g->ln, g->lesion, &marked));
    if (st != CHS_OK) return st;
  } else {
    for (int k = 0; k < g->ln[2]; k++) {
      double z = chs_grid_center(g, 2, g->lo[2] + k);
      for (int j = 0; j < g->ln[1]; j++)
        for (int i = 0; i < g->ln[0]; i++) {
          double rho = lateral_distance(g, cfg, g->lo[0] + i, g->lo[1] + j);
          int in = 0;
          if (shape == CHS_LESION_CYLINDER)
            in = rho <= R && z <= d;
          else if (shape == CHS_LESION_ELLIPSOID)
            in = (rho / R) * (rho / R) + (z / d) * (z / d) <= 1.0;
          else if (shape == CHS_LESION_DIFFUSE)
            in = 1;
          g->lesion[chs_grid_owned(g, i, j, k)] = (unsigned char)in;
        }
    }
  }
  /* volume, opening area, and the opening's lateral extent (for the 2D scale) */
  double sums[3] = {0.0, 0.0, 0.0};
  for (int k = 0; k < g->ln[2]; k++)
    for (int j = 0; j < g->ln[1]; j++)
      for (int i = 0; i < g->ln[0]; i++) {
        if (!g->lesion[chs_grid_owned(g, i, j, k)]) continue;
        sums[0] += g->vol[i];
        if (g->lo[2] + k == 0) {
          sums[1] += g->vol[i] / g->h[2];
          sums[2] += g->h[0];
        }
      }
  for (int j = 0; j < g->ln[1]; j++)
    for (int i = 0; i < g->ln[0]; i++)
      g->footprint[(size_t)j * (size_t)g->ln[0] + (size_t)i] =
          g->lo[2] == 0 && g->lesion[chs_grid_owned(g, i, j, 0)];
  chs_par_sum(par, sums, 3);
  g->lesion_volume = sums[0];
  g->lesion_area = sums[1];
  g->phys_scale = 1.0;
  if (g->geometry == CHS_GEOM_CARTESIAN2D && sums[1] > 0) {
    double width = sums[2]; /* opening width in x */
    double area = (shape == CHS_LESION_CYLINDER || shape == CHS_LESION_ELLIPSOID) ? M_PI * R * R
                                                                                  : width * width;
    g->phys_scale = area / sums[1];
  }
  g->lesion_area_phys = g->lesion_area * g->phys_scale;
  g->lesion_volume_phys = g->lesion_volume * g->phys_scale;
  if (shape != CHS_LESION_NONE && sums[0] <= 0.0)
    return chs_error(CHS_ERR_CONFIG,
                     "the %s lesion (radius %g mm, depth %g mm) contains no cell centre of the grid "
                     "(dx = %g mm, dz = %g mm): refine grid.nx/grid.nz or enlarge the lesion",
                     chs_config_enum_name("lesion.shape", shape), R, d, g->h[0], g->h[2]);
  if (shape != CHS_LESION_NONE && sums[1] <= 0.0)
    return chs_error(CHS_ERR_CONFIG, "the lesion does not reach the articular surface (z = 0): "
                     "chondrosim models defects open to the joint");
  return CHS_OK;
}

double chs_grid_lateral_distance(const chs_grid *g, const chs_config *cfg, int gi, int gj)
{
  return lateral_distance(g, cfg, gi, gj);
}

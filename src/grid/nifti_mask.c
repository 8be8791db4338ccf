#include "grid/nifti_mask.h"

#include <math.h>
#include <string.h>

static int ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !strcmp(s + n - m, suffix);
}

int chs_nifti_is_mask_file(const char *path)
{
  return path && (ends_with(path, ".nii") || ends_with(path, ".nii.gz"));
}

#ifndef CHS_HAVE_NIFTI

chs_status chs_nifti_mask_read(const char *path, const int gn[3], const double h[3],
                               const int lo[3], const int ln[3], int planar,
                               unsigned char *lesion, long *nlabel)
{
  return chs_error(CHS_ERR_CONFIG, "lesion.mask_file = %s: this chondrosim was built without "
                   "NIfTI support (install libnifti2-dev and rebuild)", path);
}

#else

#include <nifti2_io.h>

/* Label of voxel v as a double, whatever the stored type; NAN for an unsupported type. */
static double voxel(const nifti_image *nim, int64_t v)
{
  const void *d = nim->data;
  switch (nim->datatype) {
  case DT_UINT8: return ((const unsigned char *)d)[v];
  case DT_INT8: return ((const signed char *)d)[v];
  case DT_INT16: return ((const short *)d)[v];
  case DT_UINT16: return ((const unsigned short *)d)[v];
  case DT_INT32: return ((const int *)d)[v];
  case DT_UINT32: return ((const unsigned int *)d)[v];
  case DT_FLOAT32: return ((const float *)d)[v];
  case DT_FLOAT64: return ((const double *)d)[v];
  default: return NAN;
  }
}

chs_status chs_nifti_mask_read(const char *path, const int gn[3], const double h[3],
                               const int lo[3], const int ln[3], int planar,
                               unsigned char *lesion, long *nlabel)
{
  nifti_set_debug_level(0); /* its messages go to stderr; ours name the file */
  nifti_image *nim = nifti_image_read(path, 1);
  if (!nim || !nim->data) {
    if (nim) nifti_image_free(nim);
    return chs_error(CHS_ERR_CONFIG, "lesion.mask_file = %s: cannot read it as a NIfTI-1/2 "
                     "image", path);
  }
  chs_status st = CHS_OK;
  double unit = 1.0; /* to mm */
  if (nim->xyz_units == NIFTI_UNITS_MICRON) unit = 1e-3;
  if (nim->xyz_units == NIFTI_UNITS_METER) unit = 1e3;
  double vs[3] = {nim->dx * unit, nim->dy * unit, nim->dz * unit};
  int64_t n[3] = {nim->nx, nim->ny > 0 ? nim->ny : 1, nim->nz > 0 ? nim->nz : 1};
  if (nim->ndim > 3 && nim->nt > 1)
    st = chs_error(CHS_ERR_CONFIG, "lesion.mask_file = %s: %lld time points; a label volume has "
                   "one", path, (long long)nim->nt);
  for (int a = 0; st == CHS_OK && a < 3; a++)
    if (!(vs[a] > 0) && n[a] > 1)
      st = chs_error(CHS_ERR_CONFIG, "lesion.mask_file = %s: voxel size %g on axis %d; allowed > 0",
                     path, vs[a], a + 1);
  if (st == CHS_OK && isnan(voxel(nim, 0)))
    st = chs_error(CHS_ERR_CONFIG, "lesion.mask_file = %s: data type %s; allowed integer or "
                   "float labels", path, nifti_datatype_string(nim->datatype));
  long count = 0;
  for (int64_t v = 0; st == CHS_OK && v < n[0] * n[1] * n[2]; v++) count += voxel(nim, v) > 0;
  /* Nearest voxel of each owned cell centre. */
  for (int k = 0; st == CHS_OK && k < ln[2]; k++)
    for (int j = 0; j < ln[1]; j++)
      for (int i = 0; i < ln[0]; i++) {
        double c[3] = {(lo[0] + i + 0.5) * h[0], (lo[1] + j + 0.5) * h[1], (lo[2] + k + 0.5) * h[2]};
        int64_t q[3];
        int inside = 1;
        for (int a = 0; a < 3; a++) {
          if (a == 1 && planar) {
            q[a] = n[1] / 2;
            continue;
          }
          q[a] = n[a] == 1 && !(vs[a] > 0) ? 0 : (int64_t)floor(c[a] / vs[a]);
          if (q[a] < 0 || q[a] >= n[a]) inside = 0;
        }
        double lab = inside ? voxel(nim, (q[2] * n[1] + q[1]) * n[0] + q[0]) : 0.0;
        if (lesion) lesion[((size_t)k * (size_t)ln[1] + (size_t)j) * (size_t)ln[0] + (size_t)i] = lab > 0;
      }
  nifti_image_free(nim);
  if (nlabel) *nlabel = count;
  return st;
}

#endif

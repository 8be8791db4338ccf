#define _POSIX_C_SOURCE 200809L
/* libFuzzer harness: the lesion-mask reader (grid/grid.c chs_mask_read) — P2/P5 PGM with
 * comments, 8- and 16-bit samples, text volumes — on arbitrary bytes, for a 2D grid of
 * 10 x 4 cells and a 3D grid of 4 x 3 x 2 cells, read whole and as a rank's block. */
#include <string.h>

#include "fuzz_util.h"
#include "grid/grid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *path = chs_fuzz_write("mask.pgm", data, size);
  static const int gn2[3] = {10, 1, 4}, gn3[3] = {4, 3, 2};
  static const int zero[3] = {0, 0, 0}, lo2[3] = {5, 0, 0}, ln2[3] = {5, 1, 4};
  static const double h1[3] = {1, 1, 1}; /* cell size: only NIfTI masks use it */
  unsigned char owned[40];
  long marked;
  chs_error_clear();
  if (chs_mask_read(path, CHS_GEOM_CARTESIAN2D, gn2, h1, zero, gn2, owned, &marked) == CHS_OK &&
      (marked < 1 || marked > 40))
    abort(); /* a mask that passes marks between 1 and all cells */
  chs_error_clear();
  chs_mask_read(path, CHS_GEOM_AXISYMMETRIC, gn2, h1, lo2, ln2, owned, &marked);
  chs_error_clear();
  chs_mask_read(path, CHS_GEOM_CARTESIAN3D, gn3, h1, zero, gn3, owned, &marked);
  chs_error_clear();
  return 0;
}

/* XDMF 2 sidecar for a run's HDF5 file: a temporal collection of cell-centred fields on a
 * 3DCoRectMesh, in the form ParaView 5.11's XDMF readers accept. Plain text, no HDF5:
 * called by the output module on one rank.
 *
 * Orientation for the viewer: depth (grid z, 0 at the articular surface) is written as a
 * negative spacing, so the surface is the top of the picture in ParaView, whose default
 * camera has +y (2D) or +z (3D) up. 3D runs: ParaView x, y = lateral x, y; ParaView z =
 * -depth. 2D and axisymmetric runs: a flat mesh in ParaView's x-y plane (x = lateral or r,
 * y = -depth, one point in z) that opens as a coloured surface facing the default camera.
 * ParaView 5.11: the Xdmf3 readers show cell data on that flat mesh; the legacy
 * "XDMF Reader" (libXdmf2) drops cell data on any 3DCoRectMesh with one point on an axis. */
#ifndef CHS_XDMF_H
#define CHS_XDMF_H

#include "core/status.h"

typedef struct {
  const char *h5_name;       /* data file name relative to the sidecar, e.g. "run.h5" */
  int cells[3];              /* x y z */
  int planar;                /* 2D/axisymmetric: cells[1] == 1, written as a flat x-y mesh */
  double origin[3];          /* x y z (written z y x) */
  double spacing[3];         /* x y z (written z y x) */
  int nfields;
  const char *const *field_names;
  const char *const *field_units; /* may be NULL; else one per field, kept as Information */
  int has_lesion_mask;       /* adds /grid/lesion_mask as the cell attribute lesion_mask */
  int nsteps;
  const double *times;       /* nsteps values, days */
} chs_xdmf_desc;

/* Writes path via path.tmp + rename, so a reader never sees a half-written sidecar. */
chs_status chs_xdmf_write(const char *path, const chs_xdmf_desc *d);

#endif

/* XDMF 2 sidecar for a run's HDF5 file: a temporal collection of cell-centred fields on a
 * 3DCoRectMesh, in the form ParaView 5.11's XDMF readers accept (notes/ecosystem.md §1.3).
 * Plain text, no HDF5: called by the output module on one rank. */
#ifndef CHS_XDMF_H
#define CHS_XDMF_H

#include "core/status.h"

typedef struct {
  const char *h5_name;       /* data file name relative to the sidecar, e.g. "run.h5" */
  int cells[3];              /* x y z */
  double origin[3];          /* x y z (written z y x) */
  double spacing[3];         /* x y z (written z y x) */
  int nfields;
  const char *const *field_names;
  int has_lesion_mask;       /* adds /grid/lesion_mask as the cell attribute lesion_mask */
  int nsteps;
  const double *times;       /* nsteps values, days */
} chs_xdmf_desc;

/* Writes path via path.tmp + rename, so a reader never sees a half-written sidecar. */
chs_status chs_xdmf_write(const char *path, const chs_xdmf_desc *d);

#endif

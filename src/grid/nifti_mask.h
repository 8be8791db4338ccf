/* Lesion masks from NIfTI-1/2 label volumes (.nii, .nii.gz; Debian libnifti2-dev), resampled
 * onto the grid with the voxel size from the header.
 *
 * Axes: the volume's i, j, k are the grid's x, y and depth; voxel (0,0,0) starts at the
 * grid's origin and the surface (k = 0 is the articular surface). A cell is lesion when
 * the voxel containing its centre has a label > 0 (nearest-voxel resampling; cells outside
 * the volume are not lesion). 2D and axisymmetric runs use the volume's middle j slice.
 * Voxel sizes in mm, µm or m (xyz_units; unknown units are taken as mm). */
#ifndef CHS_NIFTI_MASK_H
#define CHS_NIFTI_MASK_H

#include "core/status.h"

/* Is path a NIfTI file (ends in .nii or .nii.gz)? */
int chs_nifti_is_mask_file(const char *path);

/* Marks this rank's block: gn cells x y z, spacing h (mm), owned block lo/ln, lesion[] owned
 * cells x fastest. *nlabel = lesion voxels in the whole volume (for messages). Errors name the
 * file: unreadable, not a 3D volume, a datatype that is not integer/float, a voxel size <= 0. */
chs_status chs_nifti_mask_read(const char *path, const int gn[3], const double h[3],
                               const int lo[3], const int ln[3], int planar,
                               unsigned char *lesion, long *nlabel);

#endif

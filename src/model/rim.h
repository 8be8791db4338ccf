/* The surgical wall of a focal lesion: which native cells form the injured rim (where the
 * latent growth-factor store is released after surgery), and how far each lesion cell lies
 * laterally from the wall (for the rim-versus-centre outcome). Computed from the lesion's
 * shape for cylinders and ellipsoidal caps; masks and diffuse OA have no rim (documented). */
#ifndef CHS_RIM_H
#define CHS_RIM_H

#include "config/config.h"
#include "grid/grid.h"

typedef struct {
  double *W;        /* owned cells: 1 in native tissue within latent.w_inj of the wall, else 0 */
  double *wall;     /* owned cells: lateral distance of a lesion cell from the wall, mm (-1: n/a) */
  int has_wall;     /* 0 for masks, diffuse OA and intact tissue */
} chs_rim;

chs_status chs_rim_build(const chs_config *cfg, const chs_grid *g, chs_rim *rim);
void chs_rim_free(chs_rim *rim);

#endif

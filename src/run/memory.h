/* The memory a run needs, estimated from its configuration before anything is allocated,
 * so a grid that cannot fit is refused at once (by `check` and by `run`) instead of
 * failing minutes later out of memory. */
#ifndef CHS_MEMORY_H
#define CHS_MEMORY_H

#include "config/config.h"
#include "core/status.h"

/* Bytes per grid cell: the state and tolerance vectors, the model's ghosted copies, the
 * preconditioner's blocks and CVODE's vectors (BDF history of solver.max_order + 1, its
 * work vectors, GMRES's solver.krylov_dim + 1 basis vectors). */
double chs_memory_per_cell(const chs_config *cfg);
/* Global cells of the grid (as a double: nx * ny * nz may not fit an int). */
double chs_memory_cells(const chs_config *cfg);

/* Refuses (CHS_ERR_NOMEM, naming grid.nx, grid.ny, grid.nz and the files they come from)
 * when `need` bytes exceed `available` (0 = unknown: accepted). `where` says whose memory
 * ("this machine", "this node (3 ranks)"). */
chs_status chs_memory_check(const chs_config *cfg, double need, double available, const char *where);

#endif

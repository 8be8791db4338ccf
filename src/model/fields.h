/* The field registry: one row per field of the tissue state. Every per-field array of the
 * engine (state layout, diffusivities, output datasets, XDMF attributes, metrics, absolute
 * tolerances, checkpoints, tests) is generated from this table, so adding a field is one
 * row here plus its physics.
 *
 *   X(id, dataset name, unit, amount unit, tolerance scale, kind)
 *
 * kind: CELL and SOLUTE fields move (diffusion); MATRIX and STORE fields do not. Moving
 * fields come first (the transport and preconditioner work on the first CHS_ND), which
 * fields_check_order() in fields.c verifies at start-up.
 * Storage is interleaved: cell-major, CHS_NF values per cell, in this order. */
#ifndef CHS_FIELDS_H
#define CHS_FIELDS_H

enum { CHS_KIND_CELL, CHS_KIND_SOLUTE, CHS_KIND_MATRIX, CHS_KIND_STORE };

#define CHS_FIELD_LIST(X)                                                                          \
  X(CHS_F_MSC, "msc", "cells/mm^3", "cells", 1e4, CHS_KIND_CELL)                                   \
  X(CHS_F_CHONDROCYTE, "chondrocyte", "cells/mm^3", "cells", 1e4, CHS_KIND_CELL)                   \
  X(CHS_F_REPAIR, "chondrocyte_repair", "cells/mm^3", "cells", 1e4, CHS_KIND_CELL)                 \
  X(CHS_F_DONOR, "chondrocyte_donor", "cells/mm^3", "cells", 1e4, CHS_KIND_CELL)                   \
  X(CHS_F_GROWTH_FACTOR, "growth_factor", "ng/mL", "ng/mL mm^3", 1.0, CHS_KIND_SOLUTE)             \
  X(CHS_F_CYTOKINE, "cytokine", "relative", "relative mm^3", 1.0, CHS_KIND_SOLUTE)                 \
  X(CHS_F_OXYGEN, "oxygen", "mM", "mM mm^3", 0.1, CHS_KIND_SOLUTE)                                 \
  X(CHS_F_PROTEOGLYCAN, "proteoglycan", "fraction of native", "native mm^3", 1.0, CHS_KIND_MATRIX) \
  X(CHS_F_COLLAGEN2, "collagen2", "fraction of native", "native mm^3", 1.0, CHS_KIND_MATRIX)       \
  X(CHS_F_FIBROUS, "fibrous", "fraction of native collagen", "native mm^3", 1.0, CHS_KIND_MATRIX)  \
  X(CHS_F_LATENT, "latent_gf", "ng/mL-eq", "ng/mL-eq mm^3", 10.0, CHS_KIND_STORE)

enum {
#define CHS_X_FIELD(id, name, unit, amount, scale, kind) id,
  CHS_FIELD_LIST(CHS_X_FIELD)
#undef CHS_X_FIELD
  CHS_NF
};

/* Number of moving fields (cells and solutes), which are the first CHS_ND. */
enum {
#define CHS_X_FIELD(id, name, unit, amount, scale, kind) +((kind) <= CHS_KIND_SOLUTE)
  CHS_ND = 0 CHS_FIELD_LIST(CHS_X_FIELD)
#undef CHS_X_FIELD
};

extern const char *const chs_field_names[CHS_NF];
extern const char *const chs_field_units[CHS_NF];
extern const char *const chs_field_amount_units[CHS_NF];
extern const double chs_field_scale[CHS_NF]; /* typical size: absolute tolerance = atol x scale */
extern const int chs_field_kind[CHS_NF];

/* Nonzero if the moving fields are not all before the immobile ones (a registry error). */
int chs_fields_check_order(void);

#endif

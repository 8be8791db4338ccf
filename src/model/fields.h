/* The eight fields of MODEL.md §2: index, dataset name, unit. Interleaved storage:
 * cell-major, CHS_NF values per cell, in this order. */
#ifndef CHS_FIELDS_H
#define CHS_FIELDS_H

#define CHS_FIELD_LIST(X)                                         \
  X(CHS_F_MSC, "msc", "cells/mm^3")                               \
  X(CHS_F_CHONDROCYTE, "chondrocyte", "cells/mm^3")               \
  X(CHS_F_GROWTH_FACTOR, "growth_factor", "ng/mL")                \
  X(CHS_F_CYTOKINE, "cytokine", "relative")                       \
  X(CHS_F_OXYGEN, "oxygen", "mM")                                 \
  X(CHS_F_PROTEOGLYCAN, "proteoglycan", "fraction of native")     \
  X(CHS_F_COLLAGEN2, "collagen2", "fraction of native")           \
  X(CHS_F_FIBROUS, "fibrous", "fraction of native collagen")

enum {
#define CHS_X_FIELD(id, name, unit) id,
  CHS_FIELD_LIST(CHS_X_FIELD)
#undef CHS_X_FIELD
  CHS_NF
};

/* Fields that diffuse (cells, solutes); the matrix fields do not move. */
#define CHS_ND 5

extern const char *const chs_field_names[CHS_NF];
extern const char *const chs_field_units[CHS_NF];

#endif

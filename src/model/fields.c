#include "model/fields.h"

const char *const chs_field_names[CHS_NF] = {
#define CHS_X_FIELD(id, name, unit, amount, scale, kind) name,
    CHS_FIELD_LIST(CHS_X_FIELD)
#undef CHS_X_FIELD
};
const char *const chs_field_units[CHS_NF] = {
#define CHS_X_FIELD(id, name, unit, amount, scale, kind) unit,
    CHS_FIELD_LIST(CHS_X_FIELD)
#undef CHS_X_FIELD
};
const char *const chs_field_amount_units[CHS_NF] = {
#define CHS_X_FIELD(id, name, unit, amount, scale, kind) amount,
    CHS_FIELD_LIST(CHS_X_FIELD)
#undef CHS_X_FIELD
};
const double chs_field_scale[CHS_NF] = {
#define CHS_X_FIELD(id, name, unit, amount, scale, kind) scale,
    CHS_FIELD_LIST(CHS_X_FIELD)
#undef CHS_X_FIELD
};
const int chs_field_kind[CHS_NF] = {
#define CHS_X_FIELD(id, name, unit, amount, scale, kind) kind,
    CHS_FIELD_LIST(CHS_X_FIELD)
#undef CHS_X_FIELD
};

int chs_fields_check_order(void)
{
  for (int f = 0; f < CHS_NF; f++)
    if ((f < CHS_ND) != (chs_field_kind[f] <= CHS_KIND_SOLUTE)) return 1;
  return 0;
}

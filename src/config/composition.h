/* A therapy product as a list of components (therapy.components, .fractions, .donors,
 * .routes): which cells, what share of the dose, whose cells, and where they go. Parsed
 * and checked once from the configuration; the therapy applies it at each dose. */
#ifndef CHS_COMPOSITION_H
#define CHS_COMPOSITION_H

#include <stdbool.h>

#include "config/config.h"

enum { CHS_COMP_MSC, CHS_COMP_CHONDROCYTE, CHS_COMP_CHONDRON };
#define CHS_COMP_MAX 3

typedef struct {
  int type;        /* CHS_COMP_* */
  double fraction; /* of each dose */
  bool allogeneic;
  int route;       /* CHS_ROUTE_* */
} chs_component;

typedef struct {
  int n;
  chs_component c[CHS_COMP_MAX];
  bool msc_allogeneic; /* the MSC component's donor (false if there is none) */
  bool any_allogeneic; /* some component (MSCs, chondrocytes or chondrons) is a donor's */
  int msc;             /* index of the MSC component, or -1 */
} chs_composition;

/* Parses and checks the product; errors name the key, its origin and the allowed values. */
chs_status chs_composition_parse(const chs_config *cfg, chs_composition *out);

/* Day of the first dose that brings allogeneic cells of any component (MSCs, chondrocytes,
 * chondrons): the day the adaptive immune clock starts from. INFINITY if none does. */
double chs_composition_first_allogeneic_day(const chs_config *cfg, const chs_composition *p);

#endif

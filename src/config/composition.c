#define _POSIX_C_SOURCE 200809L
#include "config/composition.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const type_names[] = {"msc", "chondrocyte", "chondron"};
static const char *const route_names[] = {"none", "intralesional", "intra_articular", "subchondral"};

/* Splits s into whitespace-separated words (at most max); returns the count, or max + 1. */
static int split(const char *s, char words[][32], int max)
{
  int n = 0;
  while (*s) {
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) break;
    size_t len = strcspn(s, " \t");
    if (n == max || len >= 32) return max + 1;
    memcpy(words[n], s, len);
    words[n++][len] = '\0';
    s += len;
  }
  return n;
}

static int lookup(const char *w, const char *const *names, int n)
{
  for (int i = 0; i < n; i++)
    if (!strcmp(w, names[i])) return i;
  return -1;
}

#define ORIGIN(key) cfg->origin[chs_param_index(key)]

chs_status chs_composition_parse(const chs_config *cfg, chs_composition *out)
{
  memset(out, 0, sizeof *out);
  out->msc = -1;
  char types[CHS_COMP_MAX + 1][32], donors[CHS_COMP_MAX + 1][32], routes[CHS_COMP_MAX + 1][32];
  int n = split(cfg->therapy_components, types, CHS_COMP_MAX);
  if (n < 1 || n > CHS_COMP_MAX)
    return chs_error(CHS_ERR_CONFIG, "%s: therapy.components = '%s': give 1 to %d of msc, chondrocyte, "
                     "chondron", ORIGIN("therapy.components"), cfg->therapy_components, CHS_COMP_MAX);
  if (cfg->therapy_fractions.n != n)
    return chs_error(CHS_ERR_CONFIG, "%s: therapy.fractions has %d values but therapy.components has %d "
                     "words", ORIGIN("therapy.fractions"), cfg->therapy_fractions.n, n);
  int nd = split(cfg->therapy_donors, donors, CHS_COMP_MAX);
  if (nd != 0 && nd != n)
    return chs_error(CHS_ERR_CONFIG, "%s: therapy.donors = '%s' needs one word per component (%d) or "
                     "none", ORIGIN("therapy.donors"), cfg->therapy_donors, n);
  int nr = split(cfg->therapy_routes, routes, CHS_COMP_MAX);
  if (nr != 0 && nr != n)
    return chs_error(CHS_ERR_CONFIG, "%s: therapy.routes = '%s' needs one word per component (%d) or "
                     "none", ORIGIN("therapy.routes"), cfg->therapy_routes, n);
  double sum = 0.0;
  for (int i = 0; i < n; i++) {
    chs_component *c = &out->c[i];
    c->type = lookup(types[i], type_names, 3);
    if (c->type < 0)
      return chs_error(CHS_ERR_CONFIG, "%s: therapy.components: unknown component '%s'; allowed: msc, "
                       "chondrocyte, chondron", ORIGIN("therapy.components"), types[i]);
    for (int j = 0; j < i; j++)
      if (out->c[j].type == c->type)
        return chs_error(CHS_ERR_CONFIG, "%s: therapy.components lists '%s' twice",
                         ORIGIN("therapy.components"), types[i]);
    c->fraction = cfg->therapy_fractions.v[i];
    sum += c->fraction;
    if (c->type == CHS_COMP_MSC) {
      out->msc = i;
      c->allogeneic = cfg->source_allogeneic;
    }
    if (nd) {
      if (!strcmp(donors[i], "allogeneic"))
        c->allogeneic = true;
      else if (!strcmp(donors[i], "autologous"))
        c->allogeneic = false;
      else
        return chs_error(CHS_ERR_CONFIG, "%s: therapy.donors: '%s' is not a donor; allowed: autologous, "
                         "allogeneic", ORIGIN("therapy.donors"), donors[i]);
    }
    if (c->type == CHS_COMP_MSC && !c->allogeneic && cfg->source_allogeneic_only)
      return chs_error(CHS_ERR_CONFIG, "%s: therapy.donors: the source '%s' is used only as allogeneic "
                       "cells (source.allogeneic_only = true); allowed: allogeneic",
                       ORIGIN("therapy.donors"), cfg->therapy_source);
    c->route = cfg->therapy_route;
    if (nr) {
      c->route = lookup(routes[i], route_names, 4);
      if (c->route <= 0)
        return chs_error(CHS_ERR_CONFIG, "%s: therapy.routes: '%s' is not a route; allowed: "
                         "intralesional, intra_articular, subchondral", ORIGIN("therapy.routes"), routes[i]);
    }
    if (c->type != CHS_COMP_MSC && c->route != CHS_ROUTE_INTRALESIONAL && c->route != CHS_ROUTE_NONE)
      return chs_error(CHS_ERR_CONFIG, "%s: %s: a %s component is implanted into the lesion; allowed "
                       "route: intralesional (got %s)", nr ? ORIGIN("therapy.routes") : ORIGIN("therapy.route"),
                       nr ? "therapy.routes" : "therapy.route", types[i], route_names[c->route]);
  }
  if (fabs(sum - 1.0) > 1e-9)
    return chs_error(CHS_ERR_CONFIG, "%s: therapy.fractions sum to %.12g; they must sum to 1",
                     ORIGIN("therapy.fractions"), sum);
  out->n = n;
  if (out->msc >= 0) out->msc_allogeneic = out->c[out->msc].allogeneic;
  for (int i = 0; i < n; i++)
    if (out->c[i].allogeneic && out->c[i].fraction > 0.0) out->any_allogeneic = true;
  return CHS_OK;
}

double chs_composition_first_allogeneic_day(const chs_config *cfg, const chs_composition *p)
{
  if (cfg->therapy_route == CHS_ROUTE_NONE || cfg->therapy_dose <= 0.0) return INFINITY;
  for (int i = 0; i < p->n; i++)
    if (p->c[i].allogeneic && p->c[i].fraction > 0.0 && p->c[i].route != CHS_ROUTE_NONE) return cfg->therapy_day;
  return INFINITY;
}

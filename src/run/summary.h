/* The metrics time series of a run (every accepted step) and the derived scalars of
 * docs/model.md written to summary.csv. */
#ifndef CHS_SUMMARY_H
#define CHS_SUMMARY_H

#include "core/status.h"

typedef struct {
  int n, cap, nvalues;
  double *t;      /* n */
  double *values; /* n * nvalues */
} chs_series;

chs_status chs_series_init(chs_series *s, int nvalues);
chs_status chs_series_push(chs_series *s, double t, const double *values);
void chs_series_free(chs_series *s);
/* Value of metric m at time t by linear interpolation; NAN outside the series. */
double chs_series_at(const chs_series *s, int m, double t);
/* First time metric m reaches level (linear interpolation); NAN if never. */
double chs_series_first_reach(const chs_series *s, int m, double level);
/* Integral of metric m over the series (trapezoid rule). */
double chs_series_integral(const chs_series *s, int m);

/* summary.csv text (header + one row); caller frees. */
char *chs_summary_csv(const chs_series *s, const char *run_name);

/* The same summary as one JSON object (summary.json): {"run": "...", "end_day": 730, ...},
 * numbers as numbers, an empty CSV cell (an outcome never reached) as null. csv is the text
 * chs_summary_csv returned. NULL if out of memory or csv is not a header plus one row. */
char *chs_summary_json(const char *csv);

#endif

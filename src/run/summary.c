#include "run/summary.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/metrics.h"

chs_status chs_series_init(chs_series *s, int nvalues)
{
  memset(s, 0, sizeof *s);
  s->nvalues = nvalues;
  return CHS_OK;
}

chs_status chs_series_push(chs_series *s, double t, const double *values)
{
  if (s->n == s->cap) {
    int cap = s->cap ? 2 * s->cap : 1024;
    double *nt = realloc(s->t, sizeof(double) * (size_t)cap);
    if (!nt) return chs_error(CHS_ERR_NOMEM, "out of memory (metrics series)");
    s->t = nt;
    double *nv = realloc(s->values, sizeof(double) * (size_t)cap * (size_t)s->nvalues);
    if (!nv) return chs_error(CHS_ERR_NOMEM, "out of memory (metrics series)");
    s->values = nv;
    s->cap = cap;
  }
  s->t[s->n] = t;
  memcpy(s->values + (size_t)s->n * (size_t)s->nvalues, values, sizeof(double) * (size_t)s->nvalues);
  s->n++;
  return CHS_OK;
}

void chs_series_free(chs_series *s)
{
  free(s->t);
  free(s->values);
  memset(s, 0, sizeof *s);
}

static double val(const chs_series *s, int row, int m) { return s->values[(size_t)row * (size_t)s->nvalues + (size_t)m]; }

double chs_series_at(const chs_series *s, int m, double t)
{
  if (s->n == 0 || t < s->t[0] || t > s->t[s->n - 1]) return NAN;
  for (int r = 1; r < s->n; r++)
    if (s->t[r] >= t) {
      double t0 = s->t[r - 1], t1 = s->t[r];
      if (t1 == t0) return val(s, r, m);
      double w = (t - t0) / (t1 - t0);
      return (1.0 - w) * val(s, r - 1, m) + w * val(s, r, m);
    }
  return val(s, 0, m);
}

double chs_series_first_reach(const chs_series *s, int m, double level)
{
  if (s->n == 0) return NAN;
  if (val(s, 0, m) >= level) return s->t[0];
  for (int r = 1; r < s->n; r++)
    if (val(s, r, m) >= level) {
      double a = val(s, r - 1, m), b = val(s, r, m);
      return s->t[r - 1] + (level - a) / (b - a) * (s->t[r] - s->t[r - 1]);
    }
  return NAN;
}

double chs_series_integral(const chs_series *s, int m)
{
  double sum = 0.0;
  for (int r = 1; r < s->n; r++) sum += 0.5 * (val(s, r, m) + val(s, r - 1, m)) * (s->t[r] - s->t[r - 1]);
  return sum;
}

typedef struct {
  const char *name;
  int kind; /* 0 value at day, 1 first reach, 2 integral, 3 final, 4 change since day 0 */
  int metric;
  double arg;
} derived;

static const derived g_derived[] = {
    {"days_to_50pct_fill", 1, CHS_M_DEFECT_FILL, 0.5},
    {"days_to_90pct_fill", 1, CHS_M_DEFECT_FILL, 0.9},
    {"fill_6wk", 0, CHS_M_DEFECT_FILL, 42},
    {"fill_6mo", 0, CHS_M_DEFECT_FILL, 180},
    {"fill_12mo", 0, CHS_M_DEFECT_FILL, 365},
    {"fill_24mo", 0, CHS_M_DEFECT_FILL, 730},
    {"hyaline_6wk", 0, CHS_M_HYALINE_FRACTION, 42},
    {"hyaline_6mo", 0, CHS_M_HYALINE_FRACTION, 180},
    {"hyaline_12mo", 0, CHS_M_HYALINE_FRACTION, 365},
    {"hyaline_24mo", 0, CHS_M_HYALINE_FRACTION, 730},
    {"inflammation_auc", 2, CHS_M_INFLAMMATION, 0},
    {"msc_retained_1mo", 0, CHS_M_MSC_RETAINED, 30},
    {"msc_retained_6mo", 0, CHS_M_MSC_RETAINED, 180},
    {"final_fill", 3, CHS_M_DEFECT_FILL, 0},
    {"final_hyaline", 3, CHS_M_HYALINE_FRACTION, 0},
    {"final_healthy_matrix", 3, CHS_M_HEALTHY_MATRIX, 0},
    {"thickness_change_12mo", 4, CHS_M_THICKNESS, 365},
    {"thickness_change_24mo", 4, CHS_M_THICKNESS, 730},
    {"pain_12mo", 0, CHS_M_PAIN, 365},
    {"pain_auc", 2, CHS_M_PAIN, 0},
    {"synovitis_12mo", 0, CHS_M_SYNOVITIS, 365},
    {"retained_joint_1mo", 0, CHS_M_RETAINED_JOINT, 30},
    {"retained_joint_6mo", 0, CHS_M_RETAINED_JOINT, 180},
    {"donor_fraction_12mo", 0, CHS_M_DONOR_FRACTION, 365},
    {"rim_fill_6mo", 0, CHS_M_RIM_FILL, 180},
    {"center_fill_6mo", 0, CHS_M_CENTER_FILL, 180},
};

char *chs_summary_csv(const chs_series *s, const char *run_name)
{
  size_t cap = 8192;
  char *out = malloc(cap);
  if (!out) return NULL;
  int n = snprintf(out, cap, "run,end_day");
  int nd = (int)(sizeof g_derived / sizeof g_derived[0]);
  for (int d = 0; d < nd; d++) n += snprintf(out + n, cap - (size_t)n, ",%s", g_derived[d].name);
  n += snprintf(out + n, cap - (size_t)n, "\n%s,%.10g", run_name, s->n ? s->t[s->n - 1] : 0.0);
  for (int d = 0; d < nd; d++) {
    const derived *q = &g_derived[d];
    double v = NAN;
    if (q->kind == 0) v = chs_series_at(s, q->metric, q->arg);
    if (q->kind == 1) v = chs_series_first_reach(s, q->metric, q->arg);
    if (q->kind == 2) v = chs_series_integral(s, q->metric);
    if (q->kind == 3 && s->n) v = val(s, s->n - 1, q->metric);
    if (q->kind == 4 && s->n) v = chs_series_at(s, q->metric, q->arg) - val(s, 0, q->metric);
    if (isnan(v))
      n += snprintf(out + n, cap - (size_t)n, ",");
    else
      n += snprintf(out + n, cap - (size_t)n, ",%.10g", v);
  }
  snprintf(out + n, cap - (size_t)n, "\n");
  return out;
}

/* JSON string body: the run name may hold quotes or backslashes (it is a file name). */
static size_t put_json_string(char *out, size_t cap, size_t n, const char *s, size_t len)
{
  for (size_t i = 0; i < len && n + 8 < cap; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      out[n++] = '\\';
      out[n++] = (char)c;
    } else if (c < 0x20) {
      n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
    } else {
      out[n++] = (char)c;
    }
  }
  return n;
}

static int finite_number(const char *v, size_t len)
{
  char buf[64], *end;
  if (len >= sizeof buf) return 0;
  memcpy(buf, v, len);
  buf[len] = '\0';
  double x = strtod(buf, &end);
  return end == buf + len && isfinite(x);
}

char *chs_summary_json(const char *csv)
{
  const char *row = csv ? strchr(csv, '\n') : NULL;
  if (!row) return NULL;
  row++;
  size_t cap = 2 * strlen(csv) + 64, n = 0;
  char *out = malloc(cap);
  if (!out) return NULL;
  const char *h = csv, *v = row;
  out[n++] = '{';
  for (int col = 0; *h && *h != '\n'; col++) {
    size_t hl = strcspn(h, ",\n"), vl = strcspn(v, ",\n");
    n += (size_t)snprintf(out + n, cap - n, "%s\n \"", col ? "," : "");
    n = put_json_string(out, cap, n, h, hl);
    n += (size_t)snprintf(out + n, cap - n, "\": ");
    if (col == 0) { /* the run name */
      out[n++] = '"';
      n = put_json_string(out, cap, n, v, vl);
      out[n++] = '"';
    } else if (vl == 0 || !finite_number(v, vl)) { /* JSON has no inf or nan */
      n += (size_t)snprintf(out + n, cap - n, "null");
    } else {
      n += (size_t)snprintf(out + n, cap - n, "%.*s", (int)vl, v);
    }
    h += hl + (h[hl] == ',');
    v += vl + (v[vl] == ',');
  }
  snprintf(out + n, cap - n, "\n}\n");
  return out;
}

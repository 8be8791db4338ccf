#include "run/progress.h"

#include <math.h>
#include <stddef.h>

static void stretch_init(chs_progress_stretch *s, double t0, double wall0, long step0)
{
  s->n = 1;
  s->stride = 1;
  s->t[0] = t0;
  s->wall[0] = wall0;
  s->step[0] = step0;
}

void chs_progress_init(chs_progress *p, double t0, double wall0, long step0)
{
  stretch_init(&p->cur, t0, wall0, step0);
  p->prev.n = 0;
}

void chs_progress_restart(chs_progress *p, double t, double wall, long step)
{
  if (p->cur.n >= 4) p->prev = p->cur; /* a stretch of a few steps says nothing */
  stretch_init(&p->cur, t, wall, step);
}

void chs_progress_add(chs_progress *p, double t, double wall, long step)
{
  chs_progress_stretch *s = &p->cur;
  if (step - s->step[s->n - 1] < s->stride) return; /* also drops repeats of a step */
  if (s->n == CHS_PROGRESS_SAMPLES) {                /* thin: keep samples 0, 2, 4, ... */
    int m = 0;
    for (int i = 0; i < s->n; i += 2, m++) {
      s->t[m] = s->t[i];
      s->wall[m] = s->wall[i];
      s->step[m] = s->step[i];
    }
    s->n = m;
    s->stride *= 2;
  }
  s->t[s->n] = t;
  s->wall[s->n] = wall;
  s->step[s->n] = step;
  s->n++;
}

/* The fitted step-size model of a stretch: h(t) = a + b t capped at h_max (b > 0), or a
 * constant h0; wall seconds per step over the same window. */
typedef struct {
  int ok, linear;
  double a, b, h0, h_max, wall_per_step;
} step_model;

/* Steps from t0 to t1 at step size h(t) = a + b t (b > 0, h > 0 on [t0, t1]). */
static double steps_linear(double a, double b, double t0, double t1)
{
  return log1p(b * (t1 - t0) / (a + b * t0)) / b; /* log1p: exact as b -> 0 too */
}

/* Steps the model needs from day t0 to day t1. */
static double model_steps(const step_model *m, double t0, double t1)
{
  if (t1 <= t0) return 0.0;
  if (!m->linear) return (t1 - t0) / m->h0;
  double cap = m->h_max > 0 ? (m->h_max - m->a) / m->b : INFINITY; /* day h reaches h_max */
  if (cap <= t0) return (t1 - t0) / m->h_max;
  if (cap >= t1) return steps_linear(m->a, m->b, t0, t1);
  return steps_linear(m->a, m->b, t0, cap) + (t1 - cap) / m->h_max;
}

static chs_status check_stretch(const chs_progress_stretch *s, const char *name)
{
  if (s->n < 0 || s->n > CHS_PROGRESS_SAMPLES)
    return chs_error(CHS_ERR_INTERNAL, "chs_progress_estimate: %s has %d samples (0..%d)", name,
                     s->n, CHS_PROGRESS_SAMPLES);
  for (int i = 0; i < s->n; i++) {
    if (!isfinite(s->t[i]) || !isfinite(s->wall[i]))
      return chs_error(CHS_ERR_INTERNAL, "chs_progress_estimate: %s sample %d is not finite",
                       name, i);
    if (i > 0 && (s->t[i] < s->t[i - 1] || s->wall[i] < s->wall[i - 1] ||
                  s->step[i] <= s->step[i - 1]))
      return chs_error(CHS_ERR_INTERNAL,
                       "chs_progress_estimate: %s sample %d (day %g, wall %g, step %ld) goes "
                       "back from sample %d (day %g, wall %g, step %ld)",
                       name, i, s->t[i], s->wall[i], s->step[i], i - 1, s->t[i - 1],
                       s->wall[i - 1], s->step[i - 1]);
  }
  return CHS_OK;
}

/* Fits the model to the samples of the last third of the stretch's steps (at least 4). */
static step_model fit(const chs_progress_stretch *s, double h_max)
{
  step_model m = {.ok = 0, .h_max = h_max};
  int n = s->n;
  if (n < 4) return m;
  const double *t = s->t, *wall = s->wall;
  const long *step = s->step;
  long from = step[n - 1] - (step[n - 1] - step[0]) / 3;
  int i0 = n - 4;
  while (i0 > 0 && step[i0 - 1] >= from) i0--;
  double span_t = t[n - 1] - t[i0];
  long span_s = step[n - 1] - step[i0];
  if (!(span_t > 0)) return m; /* no simulated time passed: nothing to go on */
  m.ok = 1;
  m.wall_per_step = (wall[n - 1] - wall[i0]) / (double)span_s;
  m.h0 = span_t / (double)span_s;

  /* Weighted least squares of the mean step size between samples against the midpoint. */
  double sw = 0, sx = 0, sh = 0;
  for (int k = i0 + 1; k < n; k++) {
    double w = (double)(step[k] - step[k - 1]);
    sw += w;
    sx += w * 0.5 * (t[k] + t[k - 1]);
    sh += t[k] - t[k - 1]; /* = w * h_k */
  }
  double xm = sx / sw, hm = sh / sw, sxx = 0, sxh = 0;
  for (int k = i0 + 1; k < n; k++) {
    double w = (double)(step[k] - step[k - 1]);
    double x = 0.5 * (t[k] + t[k - 1]) - xm, h = (t[k] - t[k - 1]) / w - hm;
    sxx += w * x * x;
    sxh += w * x * h;
  }
  m.b = sxx > 0 ? sxh / sxx : 0.0;
  m.a = hm - m.b * xm;
  m.linear = m.b > 0 && isfinite(m.b) && m.a + m.b * t[n - 1] > 0;
  /* Steps not growing (or a fit that says nothing): the recent mean step from here on. */
  if (!m.linear && h_max > 0 && m.h0 > h_max) m.h0 = h_max;
  return m;
}

/* Steps stretch s took (or, past its last sample, would take on model m) in its first `len`
 * days. */
static double steps_in_first(const chs_progress_stretch *s, const step_model *m, double len)
{
  const double *t = s->t;
  int n = s->n;
  double at = t[0] + len;
  if (at >= t[n - 1])
    return (double)(s->step[n - 1] - s->step[0]) + model_steps(m, t[n - 1], at);
  int k = 1;
  while (t[k] < at) k++;
  double f = t[k] > t[k - 1] ? (at - t[k - 1]) / (t[k] - t[k - 1]) : 1.0;
  return (double)(s->step[k - 1] - s->step[0]) + f * (double)(s->step[k] - s->step[k - 1]);
}

chs_status chs_progress_estimate(const chs_progress_stretch *cur, const chs_progress_stretch *prev,
                                 double end, double h_max, const double *restarts,
                                 int nrestarts, double *eta)
{
  if (!eta || !cur || !prev || nrestarts < 0 || (nrestarts > 0 && !restarts))
    return chs_error(CHS_ERR_INTERNAL, "chs_progress_estimate: NULL pointer or bad count");
  *eta = -1.0;
  CHS_CHECK(check_stretch(cur, "current stretch"));
  CHS_CHECK(check_stretch(prev, "previous stretch"));
  if (cur->n < 1) return CHS_OK;
  double now = cur->t[cur->n - 1], start = cur->t[0];
  if (now >= end) {
    *eta = 0.0;
    return CHS_OK;
  }
  int r = 0;
  while (r < nrestarts && restarts[r] <= now) r++;
  double next = r < nrestarts && restarts[r] < end ? restarts[r] : end;

  step_model mc = fit(cur, h_max), mp = fit(prev, h_max);
  /* The current stretch speaks for itself once 10 % of it is done (like the run as a whole);
   * before that a restarted integrator's first steps say little, and the previous stretch
   * is the better guide. */
  int young = now - start < 0.1 * (next - start);
  const chs_progress_stretch *ref = cur;
  const step_model *mr = &mc;
  if ((young || !mc.ok) && mp.ok) ref = prev, mr = &mp;
  if (!mr->ok) return CHS_OK;
  double wall_per_step = mr->wall_per_step;

  double steps;
  if (ref == cur) {
    steps = model_steps(&mc, now, next);
  } else { /* this stretch's remaining steps: the reference's steps for its length, less ours */
    double done = (double)(cur->step[cur->n - 1] - cur->step[0]);
    steps = fmax(steps_in_first(prev, &mp, next - start) - done, 0.0);
  }
  for (; r < nrestarts && restarts[r] < end; r++) {
    double stop = r + 1 < nrestarts && restarts[r + 1] < end ? restarts[r + 1] : end;
    steps += steps_in_first(ref, mr, stop - restarts[r]);
  }
  *eta = steps * wall_per_step;
  return CHS_OK;
}

chs_status chs_progress_eta(const chs_progress *p, double end, double h_max,
                            const double *restarts, int nrestarts, double *eta)
{
  if (!p) return chs_error(CHS_ERR_INTERNAL, "chs_progress_eta: NULL history");
  return chs_progress_estimate(&p->cur, &p->prev, end, h_max, restarts, nrestarts, eta);
}

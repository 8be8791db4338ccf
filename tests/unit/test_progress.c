/* The time-left estimate (run/progress.h): exact on the step-size patterns it models, errors
 * for bad histories, bounded memory, and within 2x of the truth on recorded step histories of
 * real runs once 10 % of the simulated time is done.
 *
 * tests/data/progress/<run>.txt: one accepted step per line, "day wall_seconds step", written
 * by chondrosim runs on the development machine (a shared 2-core box, so the wall times carry
 * real load noise). Header lines: "# end <day>", and "# restarts <day>..." for the
 * integrator restarts of the run (therapy events after day 0, checkpoint days). */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/progress.h"

/* A history where step k ends at day t_k and every step costs `cost` wall seconds. */
static void feed(chs_progress *p, const double *t, int n, double cost)
{
  chs_progress_init(p, t[0], 0.0, 0);
  for (int k = 1; k < n; k++) chs_progress_add(p, t[k], cost * k, k);
}

Test(progress, step_size_proportional_to_time_is_counted_exactly)
{
  /* h = c t: t_k = t0 (1 + c)^k; from t to T it takes ln(T / t) / ln(1 + c) steps. */
  enum { N = 400 };
  double t[N], c = 0.02, T = 1000.0;
  t[0] = 1e-3;
  for (int k = 1; k < N; k++) t[k] = t[k - 1] * (1 + c);
  chs_progress p;
  feed(&p, t, N, 0.5);
  double eta = -1;
  cr_assert_eq(chs_progress_eta(&p, T, 0, NULL, 0, &eta), CHS_OK);
  double want = 0.5 * log(T / t[N - 1]) / log(1 + c);
  cr_expect(fabs(eta - want) < 0.02 * want, "eta %g, want %g", eta, want);

  /* The old estimate (wall so far x days left / days done) for the same point. */
  double old = 0.5 * (N - 1) * (T - t[N - 1]) / t[N - 1];
  cr_log_info("h = c t at day %.3g of %g: estimate %.1f s, truth %.1f s, linear-in-days %.1f s",
              t[N - 1], T, eta, want, old);
}

Test(progress, constant_steps_and_the_step_cap)
{
  enum { N = 100 };
  double t[N];
  for (int k = 0; k < N; k++) t[k] = 0.25 * k;
  chs_progress p;
  feed(&p, t, N, 2.0);
  double eta = -1;
  cr_assert_eq(chs_progress_eta(&p, 100.0, 0, NULL, 0, &eta), CHS_OK);
  double want = 2.0 * (100.0 - t[N - 1]) / 0.25;
  cr_expect(fabs(eta - want) < 1e-9 * want, "constant h: eta %g, want %g", eta, want);

  /* Growing steps (h_k = 0.01 k) and solver.max_step = 1 day: the steps reach the cap soon,
   * so nearly all of the remaining days go at 1 day per step. */
  double u[N];
  u[0] = 0;
  for (int k = 1; k < N; k++) u[k] = u[k - 1] + 0.01 * k;
  feed(&p, u, N, 1.0);
  cr_assert_eq(chs_progress_eta(&p, 1000.0, 1.0, NULL, 0, &eta), CHS_OK);
  double rest = 1000.0 - u[N - 1];
  cr_expect(eta > 0.9 * rest / 1.0 && eta < rest / 0.99, "capped: eta %g for %g days at <= 1 "
            "day per step", eta, rest);
}

static chs_progress_stretch stretch(const double *t, const double *w, int n)
{
  chs_progress_stretch s = {.n = n, .stride = 1};
  for (int i = 0; i < n; i++) s.t[i] = t[i], s.wall[i] = w[i], s.step[i] = i;
  return s;
}

Test(progress, too_little_history_and_bad_histories)
{
  double t[4] = {0, 1, 2, 3}, w[4] = {0, 1, 2, 3}, eta = 7;
  chs_progress_stretch none = {.n = 0}, s3 = stretch(t, w, 3), s4 = stretch(t, w, 4);
  cr_assert_eq(chs_progress_estimate(&s3, &none, 10, 0, NULL, 0, &eta), CHS_OK);
  cr_expect_eq(eta, -1.0, "3 samples: no estimate, got %g", eta);
  cr_assert_eq(chs_progress_estimate(&s4, &none, 3, 0, NULL, 0, &eta), CHS_OK);
  cr_expect_eq(eta, 0.0, "at the end: 0 left");
  cr_assert_eq(chs_progress_estimate(&s4, &none, 10, 0, NULL, 0, &eta), CHS_OK);
  cr_expect_eq(eta, 7.0, "1 day per step, 1 s per step, 7 days left: got %g", eta);
  double z[4] = {0, 0, 0, 0};
  chs_progress_stretch sz = stretch(z, w, 4);
  cr_assert_eq(chs_progress_estimate(&sz, &none, 3, 0, NULL, 0, &eta), CHS_OK);
  cr_expect_eq(eta, -1.0, "no simulated time passed: no estimate");

  double back[4] = {0, 2, 1, 3};
  chs_progress_stretch sb = stretch(back, w, 4);
  cr_expect_eq(chs_progress_estimate(&s4, &sb, 10, 0, NULL, 0, &eta), CHS_ERR_INTERNAL);
  cr_expect(strstr(chs_error_message(), "previous stretch sample 2 (day 1"), "message: %s",
            chs_error_message());
  chs_error_clear();
  double bad[4] = {0, 1, NAN, 3};
  chs_progress_stretch sn = stretch(bad, w, 4);
  cr_expect_eq(chs_progress_estimate(&sn, &none, 10, 0, NULL, 0, &eta), CHS_ERR_INTERNAL);
  chs_error_clear();
  cr_expect_eq(chs_progress_estimate(&s4, &none, 10, 0, NULL, 0, NULL), CHS_ERR_INTERNAL);
  chs_error_clear();
  cr_expect_eq(chs_progress_estimate(&s4, &none, 10, 0, NULL, 2, &eta), CHS_ERR_INTERNAL);
  chs_error_clear();
}

Test(progress, restarts_to_come_are_priced_like_the_last_stretch)
{
  /* Stretch 1: days 0..100, h = 1 (100 steps of 1 s). A restart at day 100; 5 steps into
   * stretch 2 (young) the rest of it and a third stretch (restart at 150, end 200) are
   * priced from stretch 1: 50 - 5 + 50 = 95 steps. */
  chs_progress p;
  chs_progress_init(&p, 0, 0, 0);
  for (int k = 1; k <= 100; k++) chs_progress_add(&p, k, k, k);
  chs_progress_restart(&p, 100, 100, 100);
  for (int k = 101; k <= 105; k++) chs_progress_add(&p, 100 + 0.001 * (k - 100), k, k);
  double r[1] = {150}, eta = -1;
  cr_assert_eq(chs_progress_eta(&p, 200, 0, r, 1, &eta), CHS_OK, "%s", chs_error_message());
  cr_expect(fabs(eta - 95.0) < 1e-9, "eta %g, want 95", eta);
}

Test(progress, bounded_history_covers_the_whole_run)
{
  chs_progress p;
  chs_progress_init(&p, 0, 0, 0);
  for (long k = 1; k <= 100000; k++) {
    chs_progress_add(&p, 0.001 * k, 0.01 * k, k);
    chs_progress_add(&p, 0.001 * k, 0.01 * k, k); /* the same step again: ignored */
  }
  const chs_progress_stretch *c = &p.cur;
  cr_expect(c->n <= CHS_PROGRESS_SAMPLES && c->n > CHS_PROGRESS_SAMPLES / 2, "n = %d", c->n);
  cr_expect_eq(c->step[0], 0);
  cr_expect(c->step[c->n - 1] > 100000 - 2 * c->stride, "last sample at step %ld",
            c->step[c->n - 1]);
  for (int i = 1; i < c->n; i++) cr_assert(c->step[i] > c->step[i - 1]);
  double eta = -1;
  cr_assert_eq(chs_progress_eta(&p, 200.0, 0, NULL, 0, &eta), CHS_OK);
  double now = 0.001 * c->step[c->n - 1], want = (200.0 - now) / 0.001 * 0.01;
  cr_expect(fabs(eta - want) < 1e-6 * want, "eta %g, want %g", eta, want);
}

/* ---------------------------------------------------------------- recorded histories */

typedef struct {
  int n, nr;
  double end, *t, *w, r[16];
  long *s;
} history;

static history load(const char *name)
{
  char path[1024];
  snprintf(path, sizeof path, "%s/progress/%s.txt", CHS_TEST_DATA_DIR, name);
  FILE *f = fopen(path, "r");
  cr_assert_not_null(f, "cannot open %s", path);
  history h = {0};
  int cap = 0;
  char line[256];
  while (fgets(line, sizeof line, f)) {
    if (!strncmp(line, "# restarts", 10)) {
      char *p = line + 10, *q;
      for (double v; h.nr < 16 && (v = strtod(p, &q), q != p); p = q) h.r[h.nr++] = v;
      continue;
    }
    if (sscanf(line, "# end %lf", &h.end) == 1 || line[0] == '#') continue;
    if (h.n == cap) {
      cap = cap ? 2 * cap : 1024;
      h.t = realloc(h.t, cap * sizeof *h.t);
      h.w = realloc(h.w, cap * sizeof *h.w);
      h.s = realloc(h.s, cap * sizeof *h.s);
      cr_assert(h.t && h.w && h.s);
    }
    cr_assert_eq(sscanf(line, "%lf %lf %ld", &h.t[h.n], &h.w[h.n], &h.s[h.n]), 3, "%s: %s", path,
                 line);
    h.n++;
  }
  fclose(f);
  cr_assert(h.n > 10 && h.end > 0, "%s: %d steps, end %g", path, h.n, h.end);
  return h;
}

/* Replays the history through the tracker as the run's progress lines do (a restart starts
 * the history afresh, the restarts to come are passed on); at every step past 10 % of the
 * simulated time compares the estimate with the wall time the run really needed. */
static void replay(const char *name)
{
  history h = load(name);
  chs_progress p;
  chs_progress_init(&p, h.t[0], h.w[0], h.s[0]);
  double worst_lo = INFINITY, worst_hi = 0, old_hi = 0, w_end = h.w[h.n - 1];
  int checked = 0;
  int next = 0; /* the next restart */
  for (int k = 1; k < h.n; k++) {
    if (next < h.nr && h.t[k] >= h.r[next]) {
      chs_progress_restart(&p, h.t[k], h.w[k], h.s[k]);
      next++;
    } else {
      chs_progress_add(&p, h.t[k], h.w[k], h.s[k]);
    }
    if (h.t[k] < 0.1 * h.end || h.t[k] >= h.end) continue;
    double truth = w_end - h.w[k], eta = -1;
    if (truth < 1.0) continue; /* the last second: timer noise, nothing to estimate */
    cr_assert_eq(chs_progress_eta(&p, h.end, 30.0, h.r + next, h.nr - next, &eta), CHS_OK, "%s",
                 chs_error_message());
    double r = eta / truth, old = (h.w[k] - h.w[0]) * (h.end - h.t[k]) / (h.t[k] - h.t[0]);
    worst_lo = fmin(worst_lo, r);
    worst_hi = fmax(worst_hi, r);
    old_hi = fmax(old_hi, old / truth);
    checked++;
    cr_expect(r >= 0.5 && r <= 2.0, "%s: day %g of %g (step %ld): estimate %.1f s, truth %.1f s "
              "(ratio %.2f)", name, h.t[k], h.end, h.s[k], eta, truth, r);
  }
  cr_expect(checked > 5, "%s: only %d points checked", name, checked);
  cr_log_info("%s: %d points past 10 %% of %g days: estimate/truth %.3f..%.3f "
              "(linear in days: up to %.1fx)", name, checked, h.end, worst_lo, worst_hi, old_hi);
  free(h.t);
  free(h.w);
  free(h.s);
}

Test(progress, recorded_default_run) { replay("default_axisymmetric_730d"); }
Test(progress, recorded_3d_run) { replay("cartesian3d_32x32x12_90d"); }
Test(progress, recorded_repeated_doses) { replay("oa_knee_3_doses_1095d"); }
Test(progress, recorded_3d_run_smaller) { replay("cartesian3d_28x28x12_90d"); }

#include "model/native.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Residual of one moving solute f along the column (diffusion + boundary + reaction),
 * and its tridiagonal Jacobian (lo, di, up). c_max does not enter the solute rates. */
static void column_residual(const chs_rates *r, const chs_transport *tp, int nz, double dz,
                            const double *state, int f, double *res, double *lo, double *di,
                            double *up)
{
  double cz = 1.0 / (dz * dz);
  for (int k = 0; k < nz; k++) {
    const double *u = state + k * CHS_NF;
    double D[CHS_ND], R[CHS_NF], J[CHS_NF * CHS_NF];
    chs_cell_env env = {.c_max = 1.0};
    chs_transport_coefficients(tp, u, D);
    chs_react(r, &env, u, R);
    chs_react_jacobian(r, &env, u, J);
    double acc = R[f], dg = J[f * CHS_NF + f], a = 0.0, b = 0.0;
    if (k > 0) {
      double Dn[CHS_ND];
      chs_transport_coefficients(tp, state + (k - 1) * CHS_NF, Dn);
      a = cz * chs_harmonic(D[f], Dn[f]);
      acc += a * (state[(k - 1) * CHS_NF + f] - u[f]);
    } else {
      double h = chs_transport_robin(tp->h_top, D[f], 0.5 * dz) / dz;
      acc += h * (tp->kappa * tp->fluid[f] - u[f]);
      dg -= h;
    }
    if (k < nz - 1) {
      double Dn[CHS_ND];
      chs_transport_coefficients(tp, state + (k + 1) * CHS_NF, Dn);
      b = cz * chs_harmonic(D[f], Dn[f]);
      acc += b * (state[(k + 1) * CHS_NF + f] - u[f]);
    } else if (f == CHS_F_OXYGEN || f == CHS_F_CYTOKINE) {
      double hb = f == CHS_F_OXYGEN ? tp->h_bone : tp->P_b;
      double ub = f == CHS_F_OXYGEN ? tp->n_bone : tp->bone_cytokine;
      double h = chs_transport_robin(hb, D[f], 0.5 * dz) / dz;
      acc += h * (ub - u[f]);
      dg -= h;
    }
    res[k] = acc;
    lo[k] = a;
    up[k] = b;
    di[k] = dg - a - b;
  }
}

/* Thomas algorithm: solves (lo, di, up) x = rhs in place of rhs. */
static int tridiag_solve(int n, const double *lo, const double *di, const double *up, double *x,
                         double *work)
{
  double beta = di[0];
  if (beta == 0.0) return -1;
  x[0] /= beta;
  for (int k = 1; k < n; k++) {
    work[k] = up[k - 1] / beta;
    beta = di[k] - lo[k] * work[k];
    if (beta == 0.0) return -1;
    x[k] = (x[k] - lo[k] * x[k - 1]) / beta;
  }
  for (int k = n - 2; k >= 0; k--) x[k] -= work[k + 1] * x[k + 1];
  return 0;
}

static chs_status newton_field(const chs_rates *r, const chs_transport *tp, int nz, double dz,
                               double *state, int f, double scale)
{
  double *buf = malloc(sizeof(double) * 5 * (size_t)nz);
  if (!buf) return chs_error(CHS_ERR_NOMEM, "out of memory (native state)");
  double *res = buf, *lo = buf + nz, *di = buf + 2 * nz, *up = buf + 3 * nz, *work = buf + 4 * nz;
  chs_status st = CHS_OK;
  for (int it = 0; it < 100; it++) {
    column_residual(r, tp, nz, dz, state, f, res, lo, di, up);
    /* Newton: J dx = -res */
    double change = 0.0;
    for (int k = 0; k < nz; k++) res[k] = -res[k];
    if (tridiag_solve(nz, lo, di, up, res, work)) {
      st = chs_error(CHS_ERR_CONFIG, "the native %s profile is singular: check the %s parameters",
                     chs_field_names[f], chs_field_names[f]);
      break;
    }
    for (int k = 0; k < nz; k++) {
      state[k * CHS_NF + f] += res[k];
      change = fmax(change, fabs(res[k]));
    }
    if (change <= 1e-13 * scale) break; /* the Jacobian is a difference quotient */
    if (it == 99)
      st = chs_error(CHS_ERR_CONFIG, "the native %s profile did not converge (last change %g): check the "
                     "%s parameters in models/base.ini", chs_field_names[f], change, chs_field_names[f]);
  }
  free(buf);
  return st;
}

chs_status chs_native_solve(const chs_rates *r, const chs_transport *tp_in, int nz, double dz,
                            double i_quiet, chs_native *out)
{
  memset(out, 0, sizeof *out);
  chs_transport tp = *tp_in;
  tp.fluid[CHS_F_CYTOKINE] = i_quiet;
  out->nz = nz;
  out->state = calloc((size_t)nz * CHS_NF, sizeof(double));
  out->c_max = calloc((size_t)nz, sizeof(double));
  if (!out->state || !out->c_max) {
    chs_native_free(out);
    return chs_error(CHS_ERR_NOMEM, "out of memory (native state)");
  }
  for (int k = 0; k < nz; k++) {
    double *u = out->state + k * CHS_NF;
    u[CHS_F_CHONDROCYTE] = r->c0;
    /* The latent store at its equilibrium with native cells (basal activation only). */
    u[CHS_F_LATENT] = r->k_a0 > 0 ? r->sigma_l / r->k_a0 : 0.0;
    u[CHS_F_GROWTH_FACTOR] = r->sigma_c * r->c0 / (r->lambda_g > 0 ? r->lambda_g : 1.0);
    u[CHS_F_CYTOKINE] = i_quiet;
    u[CHS_F_OXYGEN] = tp.fluid[CHS_F_OXYGEN];
    u[CHS_F_PROTEOGLYCAN] = 1.0;
    u[CHS_F_COLLAGEN2] = 1.0;
  }
  /* Fixed point: solutes given the matrix (it sets their diffusivity), then the matrix
   * equilibrium given the solutes. The coupling is weak; a few sweeps suffice. */
  const double *scale = chs_field_scale;
  chs_cell_env env = {.c_max = 1.0};
  int it;
  for (it = 0; it < 200; it++) {
    for (int f = CHS_F_GROWTH_FACTOR; f <= CHS_F_OXYGEN; f++)
      CHS_CHECK(newton_field(r, &tp, nz, dz, out->state, f, scale[f]));
    double change = 0.0;
    for (int k = 0; k < nz; k++) {
      double *u = out->state + k * CHS_NF, R[CHS_NF];
      /* Each matrix rate falls monotonically in its own field: bisection on [0, 1]. */
      double save_p = u[CHS_F_PROTEOGLYCAN], save_k = u[CHS_F_COLLAGEN2];
      for (int mf = CHS_F_PROTEOGLYCAN; mf <= CHS_F_COLLAGEN2; mf++) {
        double lo = 0.0, hi = 1.0;
        for (int b = 0; b < 60; b++) {
          u[mf] = 0.5 * (lo + hi);
          chs_react(r, &env, u, R);
          if (R[mf] > 0.0) lo = u[mf]; else hi = u[mf];
        }
        u[mf] = 0.5 * (lo + hi);
      }
      change = fmax(change, fabs(u[CHS_F_PROTEOGLYCAN] - save_p));
      change = fmax(change, fabs(u[CHS_F_COLLAGEN2] - save_k));
    }
    if (change < 1e-15) break;
  }
  out->iterations = it + 1;
  if (it == 200)
    return chs_error(CHS_ERR_CONFIG, "the native matrix state did not converge: check matrix.* "
                     "(synthesis P_p_mature, P_k_mature and turnover k_p0, k_k0) in models/base.ini");

  /* c_max(z): the chondrocyte rate vanishes at c = c0, s = 0. */
  for (int k = 0; k < nz; k++) {
    double *u = out->state + k * CHS_NF;
    double fn = u[CHS_F_OXYGEN] / (r->K_n + u[CHS_F_OXYGEN]);
    double h = u[CHS_F_GROWTH_FACTOR] / (r->K_g + u[CHS_F_GROWTH_FACTOR]);
    (void)h; /* mature cells: no growth-factor boost */
    double growth = r->r_cm * r->A * fn;
    double death = r->delta_c * (1.0 + r->a_c * u[CHS_F_CYTOKINE]);
    if (growth <= death)
      return chs_error(CHS_ERR_CONFIG,
                       "native chondrocytes cannot persist at depth %.3g mm: growth %.3g/day <= "
                       "death %.3g/day (raise chondrocyte.r_c_mature or lower chondrocyte.delta)",
                       (k + 0.5) * dz, growth, death);
    out->c_max[k] = r->c0 / (1.0 - death / growth);
  }

  /* Report how steady the result is, in each field's scale. */
  double res_max = 0.0;
  double *res = malloc(sizeof(double) * 4 * (size_t)nz);
  if (!res) return chs_error(CHS_ERR_NOMEM, "out of memory (native state)");
  for (int f = CHS_F_GROWTH_FACTOR; f <= CHS_F_OXYGEN; f++) {
    column_residual(r, &tp, nz, dz, out->state, f, res, res + nz, res + 2 * nz, res + 3 * nz);
    for (int k = 0; k < nz; k++) res_max = fmax(res_max, fabs(res[k]) / scale[f]);
  }
  free(res);
  out->residual = res_max;
  return CHS_OK;
}

void chs_native_free(chs_native *n)
{
  free(n->state);
  free(n->c_max);
  n->state = n->c_max = NULL;
}

/* The project's N_Vector (src/solve/nvector.c) against SUNDIALS' own nvector_openmp, op by
 * op, on the same random data (one rank). Element-wise operations must agree bitwise (the
 * same arithmetic per entry); reductions to 1e-13 relative (the summation order differs:
 * four lanes per thread). Each operation is checked on a short vector (one thread) and on
 * a long one split over three threads, with the in-place forms SUNDIALS uses. */
#include <criterion/criterion.h>
#include <math.h>
#include <nvector/nvector_openmp.h>
#include <stdlib.h>
#include <string.h>

#include "solve/nvector.h"
#include "support/test_support.h"

enum { NV = 8 };

typedef struct {
  SUNContext sun;
  sunindextype n;
  N_Vector a[NV]; /* ours */
  N_Vector b[NV]; /* nvector_openmp */
} pairs;

static unsigned long long rng_state = 12345;
static double rnd(void)
{
  rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(rng_state >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

/* Random entries of both sizes and signs, a few exact zeros. */
static void fill(pairs *p, int k, int zeros)
{
  double *x = N_VGetArrayPointer(p->a[k]), *y = N_VGetArrayPointer(p->b[k]);
  for (sunindextype i = 0; i < p->n; i++) {
    double v = rnd() * pow(10.0, 3.0 * rnd());
    if (zeros && i % 97 == 5) v = 0.0;
    x[i] = y[i] = v;
  }
}

static void setup_pairs(pairs *p, sunindextype n, int threads)
{
  chs_test_mpi();
  cr_assert_eq(SUNContext_Create(NULL, &p->sun), 0);
  p->n = n;
  for (int k = 0; k < NV; k++) {
    p->a[k] = chs_nvec_new(NULL, n, threads, p->sun);
    p->b[k] = N_VNew_OpenMP(n, 1, p->sun);
    cr_assert(p->a[k] && p->b[k]);
    cr_assert(chs_nvec_is(p->a[k]));
    cr_assert_eq(N_VEnableFusedOps_OpenMP(p->b[k], SUNTRUE), 0);
    fill(p, k, 1);
  }
}

static void free_pairs(pairs *p)
{
  for (int k = 0; k < NV; k++) {
    N_VDestroy(p->a[k]);
    N_VDestroy(p->b[k]);
  }
  SUNContext_Free(&p->sun);
}

static void same_vec(const pairs *p, int k, const char *op)
{
  const double *x = N_VGetArrayPointer(p->a[k]), *y = N_VGetArrayPointer(p->b[k]);
  for (sunindextype i = 0; i < p->n; i++)
    if (!(x[i] == y[i] || (isnan(x[i]) && isnan(y[i]))))
      cr_assert_fail("%s (n = %ld): entry %ld of vector %d: ours %.17g, nvector_openmp %.17g", op,
                     (long)p->n, (long)i, k, x[i], y[i]);
}

static void close_val(double x, double y, const char *op, long n)
{
  cr_assert(fabs(x - y) <= 1e-13 * fmax(fabs(y), 1e-300) || x == y,
            "%s (n = %ld): ours %.17g, nvector_openmp %.17g", op, n, x, y);
}

static void run_all(sunindextype n, int threads)
{
  pairs p;
  setup_pairs(&p, n, threads);
  N_Vector *A = p.a, *B = p.b;
  const long nl = (long)n;

  /* sizes and bookkeeping */
  cr_assert_eq(N_VGetLength(A[0]), n);
  /* Deprecated in SUNDIALS 6 but still called by its MPI-aware solvers: keep testing it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  cr_assert_eq(N_VGetLocalLength(A[0]), n);
#pragma GCC diagnostic pop
  cr_assert_eq(N_VGetVectorID(A[0]), SUNDIALS_NVEC_CUSTOM);
  sunindextype lrw, liw;
  N_VSpace(A[0], &lrw, &liw);
  cr_assert_eq(lrw, n);

  /* linear sum: every special case of the serial code, and z aliasing x or y */
  const double ab[][2] = {{1, 1}, {1, -1}, {-1, 1}, {1, 0.3}, {0.7, 1}, {-1, 2.5},
                          {1.5, -1}, {0.4, 0.4}, {0.4, -0.4}, {0.3, -1.7}};
  for (size_t c = 0; c < sizeof ab / sizeof ab[0]; c++) {
    N_VLinearSum(ab[c][0], A[0], ab[c][1], A[1], A[2]);
    N_VLinearSum(ab[c][0], B[0], ab[c][1], B[1], B[2]);
    same_vec(&p, 2, "N_VLinearSum");
    N_VLinearSum(ab[c][0], A[2], ab[c][1], A[1], A[2]);
    N_VLinearSum(ab[c][0], B[2], ab[c][1], B[1], B[2]);
    same_vec(&p, 2, "N_VLinearSum in place");
  }
  N_VConst(0.25, A[3]);
  N_VConst(0.25, B[3]);
  same_vec(&p, 3, "N_VConst");
  fill(&p, 3, 0);
  N_VProd(A[0], A[1], A[2]);
  N_VProd(B[0], B[1], B[2]);
  same_vec(&p, 2, "N_VProd");
  N_VDiv(A[0], A[3], A[2]);
  N_VDiv(B[0], B[3], B[2]);
  same_vec(&p, 2, "N_VDiv");
  const double sc[] = {1.0, -1.0, 3.7};
  for (int c = 0; c < 3; c++) {
    N_VScale(sc[c], A[0], A[2]);
    N_VScale(sc[c], B[0], B[2]);
    same_vec(&p, 2, "N_VScale");
    N_VScale(sc[c], A[2], A[2]);
    N_VScale(sc[c], B[2], B[2]);
    same_vec(&p, 2, "N_VScale in place");
  }
  N_VAbs(A[0], A[2]);
  N_VAbs(B[0], B[2]);
  same_vec(&p, 2, "N_VAbs");
  N_VInv(A[3], A[2]);
  N_VInv(B[3], B[2]);
  same_vec(&p, 2, "N_VInv");
  N_VAddConst(A[0], -0.5, A[2]);
  N_VAddConst(B[0], -0.5, B[2]);
  same_vec(&p, 2, "N_VAddConst");
  N_VCompare(0.3, A[0], A[2]);
  N_VCompare(0.3, B[0], B[2]);
  same_vec(&p, 2, "N_VCompare");

  /* reductions */
  N_VAbs(A[1], A[4]); /* positive weights */
  N_VAbs(B[1], B[4]);
  close_val(N_VDotProd(A[0], A[1]), N_VDotProd(B[0], B[1]), "N_VDotProd", nl);
  close_val(N_VMaxNorm(A[0]), N_VMaxNorm(B[0]), "N_VMaxNorm", nl);
  close_val(N_VWrmsNorm(A[0], A[4]), N_VWrmsNorm(B[0], B[4]), "N_VWrmsNorm", nl);
  close_val(N_VWrmsNormMask(A[0], A[4], A[1]), N_VWrmsNormMask(B[0], B[4], B[1]), "N_VWrmsNormMask", nl);
  close_val(N_VMin(A[0]), N_VMin(B[0]), "N_VMin", nl);
  close_val(N_VWL2Norm(A[0], A[4]), N_VWL2Norm(B[0], B[4]), "N_VWL2Norm", nl);
  close_val(N_VL1Norm(A[0]), N_VL1Norm(B[0]), "N_VL1Norm", nl);
  close_val(N_VMinQuotient(A[0], A[1]), N_VMinQuotient(B[0], B[1]), "N_VMinQuotient", nl);
  N_VConst(0.0, A[6]);
  N_VConst(0.0, B[6]);
  close_val(N_VMinQuotient(A[0], A[6]), N_VMinQuotient(B[0], B[6]), "N_VMinQuotient (no divisor)", nl);
  /* invtest: with zeros (false, nonzero entries inverted) and without */
  N_VConst(7.0, A[2]);
  N_VConst(7.0, B[2]);
  cr_assert_eq(N_VInvTest(A[0], A[2]), N_VInvTest(B[0], B[2]));
  cr_assert_eq(N_VInvTest(A[0], A[2]), SUNFALSE);
  same_vec(&p, 2, "N_VInvTest (zeros)");
  cr_assert_eq(N_VInvTest(A[3], A[2]), SUNTRUE);
  cr_assert_eq(N_VInvTest(B[3], B[2]), SUNTRUE);
  same_vec(&p, 2, "N_VInvTest");
  /* constraint mask: c in {0, +-1, +-2} */
  {
    double *ca = N_VGetArrayPointer(A[5]), *cb = N_VGetArrayPointer(B[5]);
    for (sunindextype i = 0; i < n; i++) ca[i] = cb[i] = (double)((int)(i % 5) - 2);
    cr_assert_eq(N_VConstrMask(A[5], A[0], A[2]), N_VConstrMask(B[5], B[0], B[2]));
    same_vec(&p, 2, "N_VConstrMask");
    N_VAbs(A[0], A[6]);
    N_VAbs(B[0], B[6]);
    N_VAddConst(A[6], 1.0, A[6]);
    N_VAddConst(B[6], 1.0, B[6]);
    for (sunindextype i = 0; i < n; i++) ca[i] = cb[i] = (double)(i % 3); /* 0, 1, 2 */
    cr_assert_eq(N_VConstrMask(A[5], A[6], A[2]), SUNTRUE);
    cr_assert_eq(N_VConstrMask(B[5], B[6], B[2]), SUNTRUE);
    same_vec(&p, 2, "N_VConstrMask (satisfied)");
  }

  /* local reductions (the *Local slots) */
  close_val(N_VDotProdLocal(A[0], A[1]), N_VDotProdLocal(B[0], B[1]), "N_VDotProdLocal", nl);
  close_val(N_VMaxNormLocal(A[0]), N_VMaxNormLocal(B[0]), "N_VMaxNormLocal", nl);
  close_val(N_VMinLocal(A[0]), N_VMinLocal(B[0]), "N_VMinLocal", nl);
  close_val(N_VL1NormLocal(A[0]), N_VL1NormLocal(B[0]), "N_VL1NormLocal", nl);
  close_val(N_VWSqrSumLocal(A[0], A[4]), N_VWSqrSumLocal(B[0], B[4]), "N_VWSqrSumLocal", nl);
  close_val(N_VWSqrSumMaskLocal(A[0], A[4], A[1]), N_VWSqrSumMaskLocal(B[0], B[4], B[1]),
            "N_VWSqrSumMaskLocal", nl);
  close_val(N_VMinQuotientLocal(A[0], A[1]), N_VMinQuotientLocal(B[0], B[1]), "N_VMinQuotientLocal", nl);
  cr_assert_eq(N_VInvTestLocal(A[3], A[2]), N_VInvTestLocal(B[3], B[2]));
  same_vec(&p, 2, "N_VInvTestLocal");
  cr_assert_eq(N_VConstrMaskLocal(A[5], A[0], A[2]), N_VConstrMaskLocal(B[5], B[0], B[2]));
  same_vec(&p, 2, "N_VConstrMaskLocal");

  /* fused: linear combination (nv = 1, 2, 5; z = X[0] with c0 = 1 and c0 != 1) */
  double c[NV] = {1.0, -0.3, 2.1, 0.7, -1.9, 0.11, 3.3, -0.05};
  for (int nv = 1; nv <= 5; nv += (nv == 2 ? 3 : 1)) {
    N_VLinearCombination(nv, c + 1, A, A[6]);
    N_VLinearCombination(nv, c + 1, B, B[6]);
    same_vec(&p, 6, "N_VLinearCombination");
  }
  for (int first = 0; first < 2; first++) {
    double cc[5];
    memcpy(cc, c + first, sizeof cc); /* c[0] = 1 (update in place), then -0.3 */
    N_Vector xa[5] = {A[6], A[1], A[2], A[3], A[4]}, xb[5] = {B[6], B[1], B[2], B[3], B[4]};
    N_VLinearCombination(5, cc, xa, A[6]);
    N_VLinearCombination(5, cc, xb, B[6]);
    same_vec(&p, 6, "N_VLinearCombination in place");
  }
  /* scale-add multi: Z_i = a_i x + Y_i (nv = 1, 3; and Z = Y) */
  for (int nv = 1; nv <= 3; nv += 2) {
    N_VScaleAddMulti(nv, c + 1, A[0], A + 1, A + 4);
    N_VScaleAddMulti(nv, c + 1, B[0], B + 1, B + 4);
    for (int k = 0; k < nv; k++) same_vec(&p, 4 + k, "N_VScaleAddMulti");
    N_VScaleAddMulti(nv, c + 1, A[0], A + 4, A + 4);
    N_VScaleAddMulti(nv, c + 1, B[0], B + 4, B + 4);
    for (int k = 0; k < nv; k++) same_vec(&p, 4 + k, "N_VScaleAddMulti in place");
  }
  /* multiple dot products (nv = 1, 7), and the local + all-reduce pair */
  for (int nv = 1; nv <= 7; nv += 6) {
    double da[NV], db[NV];
    cr_assert_eq(N_VDotProdMulti(nv, A[0], A + 1, da), 0);
    cr_assert_eq(N_VDotProdMulti(nv, B[0], B + 1, db), 0);
    for (int k = 0; k < nv; k++) close_val(da[k], db[k], "N_VDotProdMulti", nl);
    cr_assert_eq(N_VDotProdMultiLocal(nv, A[0], A + 1, da), 0);
    cr_assert_eq(N_VDotProdMultiAllReduce(nv, A[0], da), 0);
    for (int k = 0; k < nv; k++) close_val(da[k], db[k], "N_VDotProdMultiLocal + AllReduce", nl);
  }

  /* vector arrays */
  N_VLinearSumVectorArray(3, 0.3, A, -1.2, A + 3, A + 5);
  N_VLinearSumVectorArray(3, 0.3, B, -1.2, B + 3, B + 5);
  for (int k = 5; k < 8; k++) same_vec(&p, k, "N_VLinearSumVectorArray");
  N_VScaleVectorArray(3, c, A, A + 5);
  N_VScaleVectorArray(3, c, B, B + 5);
  for (int k = 5; k < 8; k++) same_vec(&p, k, "N_VScaleVectorArray");
  N_VConstVectorArray(3, -2.5, A + 5);
  N_VConstVectorArray(3, -2.5, B + 5);
  for (int k = 5; k < 8; k++) same_vec(&p, k, "N_VConstVectorArray");
  {
    double na[3], nb[3];
    N_Vector wa[3] = {A[4], A[4], A[4]}, wb[3] = {B[4], B[4], B[4]};
    N_VWrmsNormVectorArray(3, A, wa, na);
    N_VWrmsNormVectorArray(3, B, wb, nb);
    for (int k = 0; k < 3; k++) close_val(na[k], nb[k], "N_VWrmsNormVectorArray", nl);
    N_VWrmsNormMaskVectorArray(3, A, wa, A[1], na);
    N_VWrmsNormMaskVectorArray(3, B, wb, B[1], nb);
    for (int k = 0; k < 3; k++) close_val(na[k], nb[k], "N_VWrmsNormMaskVectorArray", nl);
  }
  {
    /* Z[j][i] = a[j] X[i] + Y[j][i]: X = {A0, A1}, Y rows {A2,A3},{A4,A5}, Z rows {A6,A7},{A4,A5} */
    N_Vector ya0[2] = {A[2], A[3]}, ya1[2] = {A[4], A[5]}, za0[2] = {A[6], A[7]};
    N_Vector yb0[2] = {B[2], B[3]}, yb1[2] = {B[4], B[5]}, zb0[2] = {B[6], B[7]};
    N_Vector *Ya[2] = {ya0, ya1}, *Za[2] = {za0, ya1}, *Yb[2] = {yb0, yb1}, *Zb[2] = {zb0, yb1};
    double a2[2] = {0.6, -1.4};
    N_VScaleAddMultiVectorArray(2, 2, a2, A, Ya, Za);
    N_VScaleAddMultiVectorArray(2, 2, a2, B, Yb, Zb);
    for (int k = 4; k < 8; k++) same_vec(&p, k, "N_VScaleAddMultiVectorArray");
    /* Z[j] = sum_i c[i] X[i][j]: X rows (i) {A0,A1},{A2,A3},{A4,A5}; Z = {A6, A7} */
    N_Vector xa0[2] = {A[0], A[1]}, xa1[2] = {A[2], A[3]}, xa2[2] = {A[4], A[5]};
    N_Vector xb0[2] = {B[0], B[1]}, xb1[2] = {B[2], B[3]}, xb2[2] = {B[4], B[5]};
    N_Vector *Xa[3] = {xa0, xa1, xa2}, *Xb[3] = {xb0, xb1, xb2};
    N_VLinearCombinationVectorArray(2, 3, c + 1, Xa, A + 6);
    N_VLinearCombinationVectorArray(2, 3, c + 1, Xb, B + 6);
    for (int k = 6; k < 8; k++) same_vec(&p, k, "N_VLinearCombinationVectorArray");
  }

  /* clones carry the operations and the length; set/get array pointer */
  N_Vector cl = N_VClone(A[0]), ce = N_VCloneEmpty(A[0]);
  cr_assert(cl && ce && chs_nvec_is(cl) && chs_nvec_is(ce));
  cr_assert_eq(N_VGetLength(cl), n);
  cr_assert_null(N_VGetArrayPointer(ce));
  N_VSetArrayPointer(N_VGetArrayPointer(A[1]), ce);
  N_VScale(1.0, A[0], cl);
  cr_assert_eq(N_VDotProd(cl, ce), N_VDotProd(A[0], A[1]));
  N_VDestroy(cl);
  N_VDestroy(ce);
  free_pairs(&p);
}

Test(nvector, every_operation_short_one_thread) { run_all(37, 1); }
Test(nvector, every_operation_long_one_thread) { run_all(10007, 1); }
Test(nvector, every_operation_long_three_threads) { run_all(20011, 3); }

#include "solve/nvector.h"

#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/timers.h"
#include "par/par.h"

enum {
  MAXT = 64,       /* most threads per operation (partial-sum slots) */
  PAR_MIN = 4096,  /* shorter vectors run on one thread: a team costs more than the loop */
  BLOCK = 512      /* fused operations work in blocks that stay in L1 */
};

typedef struct {
  sunindextype n, nglobal;
  double *data;
  int own;      /* data was allocated here */
  int nthreads; /* team size for long enough vectors */
  int nranks;   /* 1: no MPI reduction at all */
  void *comm;
} nv_content;

#define NC(v) ((nv_content *)(v)->content)
#define ND(v) (NC(v)->data)
#define NN(v) (NC(v)->n)

static int team(const nv_content *c) { return c->n >= PAR_MIN ? c->nthreads : 1; }

/* This thread's share [lo, hi) of n entries (static split, the same every call). */
static int split(sunindextype n, sunindextype *lo, sunindextype *hi)
{
  int t = omp_get_thread_num(), nt = omp_get_num_threads();
  sunindextype q = n / nt, r = n % nt;
  *lo = t * q + (t < r ? t : r);
  *hi = *lo + q + (t < r ? 1 : 0);
  return t;
}

/* Sum of EXPR(i) over [lo, hi) in four interleaved lanes (vectorisable without
 * reassociating: the order is fixed by the code, not by the compiler). */
#define LANE_SUM(lo, hi, EXPR, out)                                   \
  do {                                                                \
    double s0_ = 0.0, s1_ = 0.0, s2_ = 0.0, s3_ = 0.0;                \
    sunindextype j_ = (lo);                                           \
    for (; j_ + 4 <= (hi); j_ += 4) {                                 \
      { sunindextype i = j_;     s0_ += (EXPR); }                     \
      { sunindextype i = j_ + 1; s1_ += (EXPR); }                     \
      { sunindextype i = j_ + 2; s2_ += (EXPR); }                     \
      { sunindextype i = j_ + 3; s3_ += (EXPR); }                     \
    }                                                                 \
    for (; j_ < (hi); j_++) { sunindextype i = j_; s0_ += (EXPR); }   \
    (out) = (s0_ + s1_) + (s2_ + s3_);                                \
  } while (0)

/* Local (this rank's) sum of EXPR(i), threads' partial sums added in thread order. */
#define PAR_SUM(c, EXPR, result)                                       \
  do {                                                                 \
    const int nt_ = team(c);                                           \
    const sunindextype n_ = (c)->n;                                    \
    double part_[MAXT];                                                \
    int got_ = 1;                                                      \
    _Pragma("omp parallel num_threads(nt_) if (nt_ > 1)")              \
    {                                                                  \
      sunindextype lo_, hi_;                                           \
      int t_ = split(n_, &lo_, &hi_);                                  \
      double s_;                                                       \
      LANE_SUM(lo_, hi_, EXPR, s_);                                    \
      part_[t_] = s_;                                                  \
      if (t_ == 0) got_ = omp_get_num_threads();                       \
    }                                                                  \
    double r_ = 0.0;                                                   \
    for (int k_ = 0; k_ < got_; k_++) r_ += part_[k_];                 \
    (result) = r_;                                                     \
  } while (0)

/* Element-wise loop over a vector's entries. */
#define PAR_FOR(c) _Pragma("omp parallel for simd schedule(static) num_threads(nt_) if (nt_ > 1)")

static void reduce_sum(const nv_content *c, double *v, int n)
{
  if (c->nranks > 1) chs_par_comm_sum(c->comm, v, n);
}
static void reduce_max(const nv_content *c, double *v, int n)
{
  if (c->nranks > 1) chs_par_comm_max(c->comm, v, n);
}
static void reduce_min(const nv_content *c, double *v, int n)
{
  if (c->nranks > 1) chs_par_comm_min(c->comm, v, n);
}

#define TIC const double tic_ = chs_timer_now()
#define TOC chs_timer_add(CHS_T_VEC, tic_)

/* ---------------------------------------------------------------- constructors */

static N_Vector_ID get_id(N_Vector v) { return SUNDIALS_NVEC_CUSTOM; }

static N_Vector clone_empty(N_Vector w)
{
  if (!w) return NULL;
  N_Vector v = N_VNewEmpty(w->sunctx);
  if (!v) return NULL;
  if (N_VCopyOps(w, v)) {
    N_VDestroy(v);
    return NULL;
  }
  nv_content *c = malloc(sizeof *c);
  if (!c) {
    N_VDestroy(v);
    return NULL;
  }
  *c = *NC(w);
  c->data = NULL;
  c->own = 0;
  v->content = c;
  return v;
}

static N_Vector clone(N_Vector w)
{
  N_Vector v = clone_empty(w);
  if (!v) return NULL;
  if (NN(v) > 0) {
    ND(v) = malloc(sizeof(double) * (size_t)NN(v));
    if (!ND(v)) {
      N_VDestroy(v);
      return NULL;
    }
    NC(v)->own = 1;
  }
  return v;
}

static void destroy(N_Vector v)
{
  if (!v) return;
  if (v->content) {
    if (NC(v)->own) free(ND(v));
    free(v->content);
    v->content = NULL;
  }
  N_VFreeEmpty(v);
}

static void space(N_Vector v, sunindextype *lrw, sunindextype *liw)
{
  *lrw = NC(v)->nglobal;
  *liw = 2 * NC(v)->nranks;
}

static double *get_array(N_Vector v) { return ND(v); }
static void set_array(double *d, N_Vector v)
{
  if (NC(v)->own) free(ND(v));
  ND(v) = d;
  NC(v)->own = 0;
}
static void *get_comm(N_Vector v) { return NC(v)->comm; }
static sunindextype get_length(N_Vector v) { return NC(v)->nglobal; }
static sunindextype get_local_length(N_Vector v) { return NN(v); }

static void print_file(N_Vector v, FILE *f)
{
  for (sunindextype i = 0; i < NN(v); i++) fprintf(f, "%.16e\n", ND(v)[i]);
  fprintf(f, "\n");
}
static void print(N_Vector v) { print_file(v, stdout); }

/* ---------------------------------------------------------------- element-wise */

static void linear_sum(double a, N_Vector x, double b, N_Vector y, N_Vector z)
{
  TIC;
  const int nt_ = team(NC(z));
  const sunindextype n = NN(z);
  const double *xd = ND(x), *yd = ND(y);
  double *zd = ND(z);
  /* The special cases of nvector_serial, so the round-off is the same. */
  if (a == 1.0 && b == 1.0) {
    PAR_FOR(NC(z)) for (sunindextype i = 0; i < n; i++) zd[i] = xd[i] + yd[i];
  } else if (a == 1.0 && b == -1.0) {
    PAR_FOR(NC(z)) for (sunindextype i = 0; i < n; i++) zd[i] = xd[i] - yd[i];
  } else if (a == -1.0 && b == 1.0) {
    PAR_FOR(NC(z)) for (sunindextype i = 0; i < n; i++) zd[i] = yd[i] - xd[i];
  } else if (a == 1.0) {
    PAR_FOR(NC(z)) for (sunindextype i = 0; i < n; i++) zd[i] = xd[i] + b * yd[i];
  } else if (b == 1.0) {
    PAR_FOR(NC(z)) for (sunindextype i = 0; i < n; i++) zd[i] = a * xd[i] + yd[i];
  } else if (a == -1.0) {
    PAR_FOR(NC(z)) for (sunindextype i = 0; i < n; i++) zd[i] = b * yd[i] - xd[i];
  } else if (b == -1.0) {
    PAR_FOR(NC(z)) for (sunindextype i = 0; i < n; i++) zd[i] = a * xd[i] - yd[i];
  } else if (a == b) {
    PAR_FOR(NC(z)) for (sunindextype i = 0; i < n; i++) zd[i] = a * (xd[i] + yd[i]);
  } else if (a == -b) {
    PAR_FOR(NC(z)) for (sunindextype i = 0; i < n; i++) zd[i] = a * (xd[i] - yd[i]);
  } else {
    PAR_FOR(NC(z)) for (sunindextype i = 0; i < n; i++) zd[i] = a * xd[i] + b * yd[i];
  }
  TOC;
}

static void set_const(double c, N_Vector z)
{
  TIC;
  const int nt_ = team(NC(z));
  const sunindextype n = NN(z);
  double *zd = ND(z);
  PAR_FOR(NC(z)) for (sunindextype i = 0; i < n; i++) zd[i] = c;
  TOC;
}

static void prod(N_Vector x, N_Vector y, N_Vector z)
{
  TIC;
  const int nt_ = team(NC(z));
  const sunindextype n = NN(z);
  const double *xd = ND(x), *yd = ND(y);
  double *zd = ND(z);
  PAR_FOR(NC(z)) for (sunindextype i = 0; i < n; i++) zd[i] = xd[i] * yd[i];
  TOC;
}

static void divide(N_Vector x, N_Vector y, N_Vector z)
{
  TIC;
  const int nt_ = team(NC(z));
  const sunindextype n = NN(z);
  const double *xd = ND(x), *yd = ND(y);
  double *zd = ND(z);
  PAR_FOR(NC(z)) for (sunindextype i = 0; i < n; i++) zd[i] = xd[i] / yd[i];
  TOC;
}

static void scale(double c, N_Vector x, N_Vector z)
{
  TIC;
  const int nt_ = team(NC(z));
  const sunindextype n = NN(z);
  const double *xd = ND(x);
  double *zd = ND(z);
  if (c == 1.0) {
    if (xd != zd) PAR_FOR(NC(z)) for (sunindextype i = 0; i < n; i++) zd[i] = xd[i];
  } else if (c == -1.0) {
    PAR_FOR(NC(z)) for (sunindextype i = 0; i < n; i++) zd[i] = -xd[i];
  } else {
    PAR_FOR(NC(z)) for (sunindextype i = 0; i < n; i++) zd[i] = c * xd[i];
  }
  TOC;
}

static void vabs(N_Vector x, N_Vector z)
{
  TIC;
  const int nt_ = team(NC(z));
  const sunindextype n = NN(z);
  const double *xd = ND(x);
  double *zd = ND(z);
  PAR_FOR(NC(z)) for (sunindextype i = 0; i < n; i++) zd[i] = fabs(xd[i]);
  TOC;
}

static void inv(N_Vector x, N_Vector z)
{
  TIC;
  const int nt_ = team(NC(z));
  const sunindextype n = NN(z);
  const double *xd = ND(x);
  double *zd = ND(z);
  PAR_FOR(NC(z)) for (sunindextype i = 0; i < n; i++) zd[i] = 1.0 / xd[i];
  TOC;
}

static void add_const(N_Vector x, double b, N_Vector z)
{
  TIC;
  const int nt_ = team(NC(z));
  const sunindextype n = NN(z);
  const double *xd = ND(x);
  double *zd = ND(z);
  PAR_FOR(NC(z)) for (sunindextype i = 0; i < n; i++) zd[i] = xd[i] + b;
  TOC;
}

static void compare(double c, N_Vector x, N_Vector z)
{
  TIC;
  const int nt_ = team(NC(z));
  const sunindextype n = NN(z);
  const double *xd = ND(x);
  double *zd = ND(z);
  PAR_FOR(NC(z)) for (sunindextype i = 0; i < n; i++) zd[i] = fabs(xd[i]) >= c ? 1.0 : 0.0;
  TOC;
}

/* ---------------------------------------------------------------- local reductions */

static double dot_local(N_Vector x, N_Vector y)
{
  const double *xd = ND(x), *yd = ND(y);
  double r;
  PAR_SUM(NC(x), xd[i] * yd[i], r);
  return r;
}

static double wsqrsum_local(N_Vector x, N_Vector w)
{
  const double *xd = ND(x), *wd = ND(w);
  double r;
  PAR_SUM(NC(x), (xd[i] * wd[i]) * (xd[i] * wd[i]), r);
  return r;
}

static double wsqrsum_mask_local(N_Vector x, N_Vector w, N_Vector id)
{
  const double *xd = ND(x), *wd = ND(w), *idd = ND(id);
  double r;
  PAR_SUM(NC(x), idd[i] > 0.0 ? (xd[i] * wd[i]) * (xd[i] * wd[i]) : 0.0, r);
  return r;
}

static double l1_local(N_Vector x)
{
  const double *xd = ND(x);
  double r;
  PAR_SUM(NC(x), fabs(xd[i]), r);
  return r;
}

static double maxnorm_local(N_Vector x)
{
  const int nt_ = team(NC(x));
  const sunindextype n = NN(x);
  const double *xd = ND(x);
  double m = 0.0;
#pragma omp parallel for simd schedule(static) num_threads(nt_) if (nt_ > 1) reduction(max : m)
  for (sunindextype i = 0; i < n; i++) m = fmax(m, fabs(xd[i]));
  return m;
}

static double min_local(N_Vector x)
{
  const int nt_ = team(NC(x));
  const sunindextype n = NN(x);
  const double *xd = ND(x);
  double m = n > 0 ? xd[0] : DBL_MAX;
#pragma omp parallel for simd schedule(static) num_threads(nt_) if (nt_ > 1) reduction(min : m)
  for (sunindextype i = 0; i < n; i++) m = fmin(m, xd[i]);
  return m;
}

static booleantype invtest_local(N_Vector x, N_Vector z)
{
  const int nt_ = team(NC(z));
  const sunindextype n = NN(z);
  const double *xd = ND(x);
  double *zd = ND(z);
  int zero = 0;
#pragma omp parallel for schedule(static) num_threads(nt_) if (nt_ > 1) reduction(| : zero)
  for (sunindextype i = 0; i < n; i++) {
    if (xd[i] == 0.0)
      zero = 1;
    else
      zd[i] = 1.0 / xd[i];
  }
  return zero ? SUNFALSE : SUNTRUE;
}

static booleantype constrmask_local(N_Vector c, N_Vector x, N_Vector m)
{
  const int nt_ = team(NC(x));
  const sunindextype n = NN(x);
  const double *cd = ND(c), *xd = ND(x);
  double *md = ND(m);
  int bad = 0;
#pragma omp parallel for schedule(static) num_threads(nt_) if (nt_ > 1) reduction(| : bad)
  for (sunindextype i = 0; i < n; i++) {
    md[i] = 0.0;
    if (cd[i] == 0.0) continue;
    /* |c| = 2: x > 0 required, |c| = 1: x >= 0 (the sign of c gives the side) */
    int viol = (fabs(cd[i]) > 1.5 && xd[i] * cd[i] <= 0.0) || (fabs(cd[i]) > 0.5 && xd[i] * cd[i] < 0.0);
    if (viol) {
      md[i] = 1.0;
      bad = 1;
    }
  }
  return bad ? SUNFALSE : SUNTRUE;
}

static double minquotient_local(N_Vector num, N_Vector denom)
{
  const int nt_ = team(NC(num));
  const sunindextype n = NN(num);
  const double *nd = ND(num), *dd = ND(denom);
  double m = BIG_REAL;
#pragma omp parallel for schedule(static) num_threads(nt_) if (nt_ > 1) reduction(min : m)
  for (sunindextype i = 0; i < n; i++)
    if (dd[i] != 0.0) m = fmin(m, nd[i] / dd[i]);
  return m;
}

/* Timed wrappers of the local reductions for SUNDIALS' *Local slots. */
static double t_dot_local(N_Vector x, N_Vector y) { TIC; double r = dot_local(x, y); TOC; return r; }
static double t_maxnorm_local(N_Vector x) { TIC; double r = maxnorm_local(x); TOC; return r; }
static double t_min_local(N_Vector x) { TIC; double r = min_local(x); TOC; return r; }
static double t_l1_local(N_Vector x) { TIC; double r = l1_local(x); TOC; return r; }
static booleantype t_invtest_local(N_Vector x, N_Vector z) { TIC; booleantype r = invtest_local(x, z); TOC; return r; }
static booleantype t_constrmask_local(N_Vector c, N_Vector x, N_Vector m) { TIC; booleantype r = constrmask_local(c, x, m); TOC; return r; }
static double t_minquotient_local(N_Vector a, N_Vector b) { TIC; double r = minquotient_local(a, b); TOC; return r; }
static double t_wsqrsum_local(N_Vector x, N_Vector w) { TIC; double r = wsqrsum_local(x, w); TOC; return r; }
static double t_wsqrsum_mask_local(N_Vector x, N_Vector w, N_Vector id) { TIC; double r = wsqrsum_mask_local(x, w, id); TOC; return r; }

/* ---------------------------------------------------------------- global reductions */

static double dot(N_Vector x, N_Vector y)
{
  TIC;
  double r = dot_local(x, y);
  reduce_sum(NC(x), &r, 1);
  TOC;
  return r;
}

static double maxnorm(N_Vector x)
{
  TIC;
  double r = maxnorm_local(x);
  reduce_max(NC(x), &r, 1);
  TOC;
  return r;
}

static double wrmsnorm(N_Vector x, N_Vector w)
{
  TIC;
  double r = wsqrsum_local(x, w);
  reduce_sum(NC(x), &r, 1);
  r = sqrt(r / (double)NC(x)->nglobal);
  TOC;
  return r;
}

static double wrmsnorm_mask(N_Vector x, N_Vector w, N_Vector id)
{
  TIC;
  double r = wsqrsum_mask_local(x, w, id);
  reduce_sum(NC(x), &r, 1);
  r = sqrt(r / (double)NC(x)->nglobal);
  TOC;
  return r;
}

static double vmin(N_Vector x)
{
  TIC;
  double r = min_local(x);
  if (NC(x)->nranks > 1) {
    if (NN(x) == 0) r = DBL_MAX;
    reduce_min(NC(x), &r, 1);
  }
  TOC;
  return r;
}

static double wl2norm(N_Vector x, N_Vector w)
{
  TIC;
  double r = wsqrsum_local(x, w);
  reduce_sum(NC(x), &r, 1);
  TOC;
  return sqrt(r);
}

static double l1norm(N_Vector x)
{
  TIC;
  double r = l1_local(x);
  reduce_sum(NC(x), &r, 1);
  TOC;
  return r;
}

/* A boolean that must hold on every rank: the minimum of 1/0 over the ranks. */
static booleantype all_ranks(const nv_content *c, booleantype local)
{
  double v = local ? 1.0 : 0.0;
  reduce_min(c, &v, 1);
  return v > 0.5 ? SUNTRUE : SUNFALSE;
}

static booleantype invtest(N_Vector x, N_Vector z)
{
  TIC;
  booleantype r = all_ranks(NC(x), invtest_local(x, z));
  TOC;
  return r;
}

static booleantype constrmask(N_Vector c, N_Vector x, N_Vector m)
{
  TIC;
  booleantype r = all_ranks(NC(x), constrmask_local(c, x, m));
  TOC;
  return r;
}

static double minquotient(N_Vector num, N_Vector denom)
{
  TIC;
  double r = minquotient_local(num, denom);
  reduce_min(NC(num), &r, 1);
  TOC;
  return r;
}

/* ---------------------------------------------------------------- fused operations */

/* z = sum_i c_i X_i in one pass over z (blocks stay in L1). z may be X[0]. */
static int linear_combination(int nv, double *c, N_Vector *X, N_Vector z)
{
  if (nv < 1) return -1;
  if (nv == 1) {
    scale(c[0], X[0], z);
    return 0;
  }
  if (nv == 2) {
    linear_sum(c[0], X[0], c[1], X[1], z);
    return 0;
  }
  TIC;
  const int nt_ = team(NC(z));
  const sunindextype n = NN(z);
  double *zd = ND(z);
  const int in_place = X[0] == z, keep = in_place && c[0] == 1.0;
#pragma omp parallel num_threads(nt_) if (nt_ > 1)
  {
    sunindextype lo, hi;
    split(n, &lo, &hi);
    for (sunindextype b = lo; b < hi; b += BLOCK) {
      const sunindextype e = b + BLOCK < hi ? b + BLOCK : hi;
      const double *x0 = ND(X[0]);
      if (!keep) {
        const double c0 = c[0];
#pragma omp simd
        for (sunindextype i = b; i < e; i++) zd[i] = c0 * x0[i];
      }
      for (int k = 1; k < nv; k++) {
        const double *xk = ND(X[k]), ck = c[k];
#pragma omp simd
        for (sunindextype i = b; i < e; i++) zd[i] += ck * xk[i];
      }
    }
  }
  TOC;
  return 0;
}

/* Z_i = a_i x + Y_i, i < nv, in one pass over x. */
static int scale_add_multi(int nv, double *a, N_Vector x, N_Vector *Y, N_Vector *Z)
{
  if (nv < 1) return -1;
  if (nv == 1) {
    linear_sum(a[0], x, 1.0, Y[0], Z[0]);
    return 0;
  }
  TIC;
  const int nt_ = team(NC(x));
  const sunindextype n = NN(x);
  const double *xd = ND(x);
#pragma omp parallel num_threads(nt_) if (nt_ > 1)
  {
    sunindextype lo, hi;
    split(n, &lo, &hi);
    for (sunindextype b = lo; b < hi; b += BLOCK) {
      const sunindextype e = b + BLOCK < hi ? b + BLOCK : hi;
      for (int k = 0; k < nv; k++) {
        const double *yk = ND(Y[k]), ak = a[k];
        double *zk = ND(Z[k]);
#pragma omp simd
        for (sunindextype i = b; i < e; i++) zk[i] = ak * xd[i] + yk[i];
      }
    }
  }
  TOC;
  return 0;
}

/* d_i = x . Y_i on this rank, i < nv, in one pass over x. */
static int dot_multi_local(int nv, N_Vector x, N_Vector *Y, double *d)
{
  if (nv < 1) return -1;
  if (nv == 1) {
    d[0] = dot_local(x, Y[0]);
    return 0;
  }
  const int nt_ = team(NC(x));
  const sunindextype n = NN(x);
  const double *xd = ND(x);
  double stack[8 * MAXT];
  double *part = (size_t)nv * MAXT <= sizeof stack / sizeof stack[0] ? stack : malloc(sizeof(double) * (size_t)nv * MAXT);
  if (!part) return -1;
  int got = 1;
#pragma omp parallel num_threads(nt_) if (nt_ > 1)
  {
    sunindextype lo, hi;
    int t = split(n, &lo, &hi);
    double *mine = part + (size_t)t * nv;
    for (int k = 0; k < nv; k++) mine[k] = 0.0;
    for (sunindextype b = lo; b < hi; b += BLOCK) {
      const sunindextype e = b + BLOCK < hi ? b + BLOCK : hi;
      for (int k = 0; k < nv; k++) {
        const double *yk = ND(Y[k]);
        double s;
        LANE_SUM(b, e, xd[i] * yk[i], s);
        mine[k] += s;
      }
    }
    if (t == 0) got = omp_get_num_threads();
  }
  for (int k = 0; k < nv; k++) {
    double s = 0.0;
    for (int t = 0; t < got; t++) s += part[(size_t)t * nv + k];
    d[k] = s;
  }
  if (part != stack) free(part);
  return 0;
}

static int dot_multi(int nv, N_Vector x, N_Vector *Y, double *d)
{
  TIC;
  int r = dot_multi_local(nv, x, Y, d);
  if (r == 0) reduce_sum(NC(x), d, nv); /* one reduction for all nv products */
  TOC;
  return r;
}

static int t_dot_multi_local(int nv, N_Vector x, N_Vector *Y, double *d)
{
  TIC;
  int r = dot_multi_local(nv, x, Y, d);
  TOC;
  return r;
}

static int dot_multi_allreduce(int nv, N_Vector x, double *d)
{
  TIC;
  reduce_sum(NC(x), d, nv);
  TOC;
  return 0;
}

/* ---------------------------------------------------------------- vector arrays */

static int linear_sum_array(int nv, double a, N_Vector *X, double b, N_Vector *Y, N_Vector *Z)
{
  for (int k = 0; k < nv; k++) linear_sum(a, X[k], b, Y[k], Z[k]);
  return 0;
}

static int scale_array(int nv, double *c, N_Vector *X, N_Vector *Z)
{
  for (int k = 0; k < nv; k++) scale(c[k], X[k], Z[k]);
  return 0;
}

static int const_array(int nv, double c, N_Vector *Z)
{
  for (int k = 0; k < nv; k++) set_const(c, Z[k]);
  return 0;
}

static int wrmsnorm_array(int nv, N_Vector *X, N_Vector *W, double *nrm)
{
  TIC;
  for (int k = 0; k < nv; k++) nrm[k] = wsqrsum_local(X[k], W[k]);
  reduce_sum(NC(X[0]), nrm, nv);
  for (int k = 0; k < nv; k++) nrm[k] = sqrt(nrm[k] / (double)NC(X[0])->nglobal);
  TOC;
  return 0;
}

static int wrmsnorm_mask_array(int nv, N_Vector *X, N_Vector *W, N_Vector id, double *nrm)
{
  TIC;
  for (int k = 0; k < nv; k++) nrm[k] = wsqrsum_mask_local(X[k], W[k], id);
  reduce_sum(NC(X[0]), nrm, nv);
  for (int k = 0; k < nv; k++) nrm[k] = sqrt(nrm[k] / (double)NC(X[0])->nglobal);
  TOC;
  return 0;
}

/* Z[j][i] = a[j] X[i] + Y[j][i], i < nvec, j < nsum. */
static int scale_add_multi_array(int nvec, int nsum, double *a, N_Vector *X, N_Vector **Y,
                                 N_Vector **Z)
{
  N_Vector ys[64], zs[64];
  if (nsum > 64) return -1;
  for (int i = 0; i < nvec; i++) {
    for (int j = 0; j < nsum; j++) {
      ys[j] = Y[j][i];
      zs[j] = Z[j][i];
    }
    int r = scale_add_multi(nsum, a, X[i], ys, zs);
    if (r) return r;
  }
  return 0;
}

/* Z[j] = sum_i c[i] X[i][j], j < nvec, i < nsum. */
static int linear_combination_array(int nvec, int nsum, double *c, N_Vector **X, N_Vector *Z)
{
  N_Vector xs[64];
  if (nsum > 64) return -1;
  for (int j = 0; j < nvec; j++) {
    for (int i = 0; i < nsum; i++) xs[i] = X[i][j];
    int r = linear_combination(nsum, c, xs, Z[j]);
    if (r) return r;
  }
  return 0;
}

/* ---------------------------------------------------------------- the table */

/* data: the caller's array (not owned) or NULL to allocate one. */
static N_Vector make(void *comm, sunindextype nlocal, int nthreads, double *data, SUNContext sun)
{
  N_Vector v = N_VNewEmpty(sun);
  if (!v) return NULL;
  N_Vector_Ops o = v->ops;
  o->nvgetvectorid = get_id;
  o->nvclone = clone;
  o->nvcloneempty = clone_empty;
  o->nvdestroy = destroy;
  o->nvspace = space;
  o->nvgetarraypointer = get_array;
  o->nvsetarraypointer = set_array;
  o->nvgetcommunicator = get_comm;
  o->nvgetlength = get_length;
  o->nvgetlocallength = get_local_length;
  o->nvlinearsum = linear_sum;
  o->nvconst = set_const;
  o->nvprod = prod;
  o->nvdiv = divide;
  o->nvscale = scale;
  o->nvabs = vabs;
  o->nvinv = inv;
  o->nvaddconst = add_const;
  o->nvdotprod = dot;
  o->nvmaxnorm = maxnorm;
  o->nvwrmsnorm = wrmsnorm;
  o->nvwrmsnormmask = wrmsnorm_mask;
  o->nvmin = vmin;
  o->nvwl2norm = wl2norm;
  o->nvl1norm = l1norm;
  o->nvcompare = compare;
  o->nvinvtest = invtest;
  o->nvconstrmask = constrmask;
  o->nvminquotient = minquotient;
  o->nvlinearcombination = linear_combination;
  o->nvscaleaddmulti = scale_add_multi;
  o->nvdotprodmulti = dot_multi;
  o->nvlinearsumvectorarray = linear_sum_array;
  o->nvscalevectorarray = scale_array;
  o->nvconstvectorarray = const_array;
  o->nvwrmsnormvectorarray = wrmsnorm_array;
  o->nvwrmsnormmaskvectorarray = wrmsnorm_mask_array;
  o->nvscaleaddmultivectorarray = scale_add_multi_array;
  o->nvlinearcombinationvectorarray = linear_combination_array;
  o->nvdotprodlocal = t_dot_local;
  o->nvmaxnormlocal = t_maxnorm_local;
  o->nvminlocal = t_min_local;
  o->nvl1normlocal = t_l1_local;
  o->nvinvtestlocal = t_invtest_local;
  o->nvconstrmasklocal = t_constrmask_local;
  o->nvminquotientlocal = t_minquotient_local;
  o->nvwsqrsumlocal = t_wsqrsum_local;
  o->nvwsqrsummasklocal = t_wsqrsum_mask_local;
  o->nvdotprodmultilocal = t_dot_multi_local;
  o->nvdotprodmultiallreduce = dot_multi_allreduce;
  o->nvprint = print;
  o->nvprintfile = print_file;

  nv_content *c = calloc(1, sizeof *c);
  if (!c) {
    N_VDestroy(v);
    return NULL;
  }
  v->content = c;
  c->n = nlocal;
  c->comm = comm;
  c->nranks = chs_par_comm_size(comm);
  c->nthreads = nthreads < 1 ? 1 : (nthreads > MAXT ? MAXT : nthreads);
  double ng = (double)nlocal;
  chs_par_comm_sum(comm, &ng, 1);
  c->nglobal = (sunindextype)ng;
  if (data) {
    c->data = data;
  } else if (nlocal > 0) {
    c->data = malloc(sizeof(double) * (size_t)nlocal);
    if (!c->data) {
      N_VDestroy(v);
      return NULL;
    }
    c->own = 1;
  }
  return v;
}

N_Vector chs_nvec_new(void *comm, sunindextype nlocal, int nthreads, SUNContext sun)
{
  return make(comm, nlocal, nthreads, NULL, sun);
}

N_Vector chs_nvec_wrap(void *comm, sunindextype nlocal, int nthreads, double *data, SUNContext sun)
{
  return make(comm, nlocal, nthreads, data, sun);
}

int chs_nvec_is(N_Vector v) { return v && v->ops && v->ops->nvclone == clone; }

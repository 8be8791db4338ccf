/* Kernel benchmark: right-hand side and preconditioner of the full model on a 3D grid,
 * against a STREAM-like copy and a STREAM triad in the same process (the ratio is what
 * to compare across machines; absolute GB/s on a shared 2-core VM is noise).
 *   bench_kernels [nx ny nz] [repeats] [block|column|mg] */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/log.h"
#include "grid/grid.h"
#include "model/model.h"
#include "par/par.h"
#include "solve/precond.h"

static double best_of(int reps, void (*fn)(void *), void *arg)
{
  double best = 1e30;
  for (int r = 0; r < reps; r++) {
    double t0 = chs_wtime();
    fn(arg);
    double dt = chs_wtime() - t0;
    if (dt < best) best = dt;
  }
  return best;
}

typedef struct {
  chs_model *m;
  chs_precond *pc;
  double *y, *ydot, *a, *b, *copy_dst, *copy_src, *triad_c;
  size_t n, ncopy;
} bench;

static void run_copy(void *p)
{
  bench *b = p;
  const long n = (long)b->ncopy;
  double *restrict dst = b->copy_dst;
  const double *restrict src = b->copy_src;
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; i++) dst[i] = src[i];
}
static void run_triad(void *p)
{
  bench *b = p;
  const long n = (long)b->ncopy;
  double *restrict dst = b->copy_dst;
  const double *restrict src = b->copy_src, *restrict c = b->triad_c;
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; i++) dst[i] = src[i] + 3.0 * c[i];
}
static void run_rhs(void *p)
{
  bench *b = p;
  chs_model_rhs(b->m, 0.0, b->y, b->ydot);
}
static void run_psetup(void *p)
{
  bench *b = p;
  chs_precond_setup(b->pc, b->y, 0.5);
}
static void run_psolve(void *p)
{
  bench *b = p;
  chs_precond_solve(b->pc, b->ydot, b->a);
}

int main(int argc, char **argv)
{
  chs_par_init(&argc, &argv);
  chs_log_init(chs_par_world_rank(), CHS_LOG_WARN);
  int nx = argc > 3 ? atoi(argv[1]) : 64, ny = argc > 3 ? atoi(argv[2]) : 64;
  int nz = argc > 3 ? atoi(argv[3]) : 24, reps = argc > 4 ? atoi(argv[4]) : 10;
  const char *kind_name = argc > 5 ? argv[5] : "column";
  int kind = !strcmp(kind_name, "block")       ? CHS_PC_BLOCK
             : !strcmp(kind_name, "mg")        ? CHS_PC_MG
             : !strcmp(kind_name, "multigrid") ? CHS_PC_MULTIGRID
                                               : CHS_PC_COLUMN;
  char sets[4][64];
  snprintf(sets[0], 64, "grid.nx=%d", nx);
  snprintf(sets[1], 64, "grid.ny=%d", ny);
  snprintf(sets[2], 64, "grid.nz=%d", nz);
  snprintf(sets[3], 64, "grid.geometry=cartesian3d");
  const char *setp[] = {sets[3], sets[0], sets[1], sets[2], "grid.width=20", "grid.length=20"};
  static chs_config cfg;
  chs_par *par = NULL;
  chs_grid *g = NULL;
  bench b = {0};
  if (chs_config_load(&cfg, NULL, NULL, 6, setp) != CHS_OK) goto fail;
  int gc[3] = {nx, ny, nz};
  if (chs_par_create(NULL, 2, gc, &par) || chs_grid_create(&cfg, par, &g) ||
      chs_grid_mark_lesion(g, &cfg, par) || chs_model_create(&cfg, g, par, &b.m) ||
      chs_precond_create(b.m, kind, &b.pc))
    goto fail;
  b.n = (size_t)chs_model_state_length(b.m); /* cells and (rank 0) the pools */
  b.y = malloc(b.n * sizeof(double));
  b.ydot = malloc(b.n * sizeof(double));
  b.a = malloc(b.n * sizeof(double));
  b.b = malloc(b.n * sizeof(double));
  chs_model_initial_state(b.m, b.y);
  memset(b.ydot, 0, b.n * sizeof(double));
  for (size_t i = 0; i < g->nlocal; i++) b.y[i * CHS_NF] += 1e4; /* MSCs everywhere: all terms live */
  memcpy(b.b, b.y, b.n * sizeof(double));
  /* The copy streams from memory, not cache: at least 64 MB per array. */
  b.ncopy = b.n > (size_t)8 << 20 ? b.n : (size_t)8 << 20;
  b.copy_dst = malloc(b.ncopy * sizeof(double));
  b.copy_src = malloc(b.ncopy * sizeof(double));
  b.triad_c = malloc(b.ncopy * sizeof(double));
  if (!b.y || !b.ydot || !b.a || !b.b || !b.copy_dst || !b.copy_src || !b.triad_c) goto fail;
  for (size_t i = 0; i < b.ncopy; i++) b.copy_src[i] = b.triad_c[i] = (double)i;
  run_rhs(&b);
  run_psetup(&b);

  double t_copy = best_of(reps * 5, run_copy, &b);
  double t_triad = best_of(reps * 5, run_triad, &b);
  double t_rhs = best_of(reps, run_rhs, &b);
  double t_ps = best_of(reps, run_psetup, &b);
  double t_pv = best_of(reps, run_psolve, &b);
  /* Bytes the copy moves: read + write of the state. The rhs streams at least the state
   * (read twice: into the ghosted copy and the reactions), the ghosted state and
   * coefficients (write + read) and ydot (write + read-modify-write): a lower bound. */
  double state = (double)b.n * sizeof(double);
  double copy_bytes = 2.0 * (double)b.ncopy * sizeof(double);
  double rhs_bytes = state * (2.0 + 2.0 + 2.0 * CHS_ND / (double)CHS_NF + 3.0);
  double cells = (double)g->nlocal;
  if (chs_par_world_rank() == 0) {
    printf("kernel benchmark: %d x %d x %d cells (%.2f MB state), %d thread(s), best of %d\n", nx,
           ny, nz, state / 1e6, omp_get_max_threads(), reps);
    printf("  stream copy        %8.3f ms  %7.2f GB/s (2 x %.0f MB arrays)\n", 1e3 * t_copy,
           copy_bytes / t_copy / 1e9, (double)b.ncopy * sizeof(double) / 1e6);
    printf("  stream triad       %8.3f ms  %7.2f GB/s (3 x %.0f MB arrays)\n", 1e3 * t_triad,
           1.5 * copy_bytes / t_triad / 1e9, (double)b.ncopy * sizeof(double) / 1e6);
    printf("  rhs                %8.3f ms  %7.2f GB/s (lower bound)  %6.1f Mcell/s  ratio to copy %.2f, to triad %.2f\n",
           1e3 * t_rhs, rhs_bytes / t_rhs / 1e9, cells / t_rhs / 1e6,
           (rhs_bytes / t_rhs) / (copy_bytes / t_copy), (rhs_bytes / t_rhs) / (1.5 * copy_bytes / t_triad));
    printf("  preconditioner: %s\n", kind_name);
    printf("  precond setup      %8.3f ms  %6.1f Mcell/s  (%.1f rhs)\n", 1e3 * t_ps, cells / t_ps / 1e6, t_ps / t_rhs);
    printf("  precond solve      %8.3f ms  %6.1f Mcell/s  (%.1f rhs)\n", 1e3 * t_pv, cells / t_pv / 1e6, t_pv / t_rhs);
  }
  chs_precond_destroy(&b.pc);
  chs_model_destroy(&b.m);
  chs_grid_destroy(&g);
  chs_par_destroy(&par);
  free(b.y);
  free(b.ydot);
  free(b.a);
  free(b.b);
  free(b.copy_dst);
  free(b.copy_src);
  free(b.triad_c);
  chs_par_finalize();
  return 0;
fail:
  fprintf(stderr, "bench_kernels: %s\n", chs_error_message());
  chs_par_finalize();
  return 1;
}

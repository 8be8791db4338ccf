/* Output module: HDF5 layout, values in z-y-x order, units, metrics, the .partial → .h5
 * rename, the XDMF sidecar, and I/O errors. One rank (singleton MPI). Set
 * CHS_TEST_OUTPUT_KEEP=<existing dir> to keep the files (e.g. to open them in ParaView). */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/h5read.h"
#include "io/output.h"
#include "model/metrics.h"

/* Tests run in forked workers: each starts its own singleton MPI. */
static MPI_Comm g_comm;

static void mpi_up(void)
{
  int up = 0;
  MPI_Initialized(&up);
  if (!up) MPI_Init(NULL, NULL);
  g_comm = MPI_COMM_WORLD;
  chs_error_clear();
}

static void mpi_down(void)
{
  int down = 0;
  MPI_Finalized(&down);
  if (!down) MPI_Finalize();
}

TestSuite(output, .init = mpi_up, .fini = mpi_down);

static char g_dir[512];

static const char *test_dir(const char *name)
{
  const char *keep = getenv("CHS_TEST_OUTPUT_KEEP");
  if (keep && *keep) {
    snprintf(g_dir, sizeof g_dir, "%s/%s", keep, name);
    mkdir(g_dir, 0755);
  } else {
    snprintf(g_dir, sizeof g_dir, "/tmp/chs_test_output_XXXXXX");
    cr_assert_not_null(mkdtemp(g_dir));
  }
  return g_dir;
}

static void remove_dir(const char *dir, const char *run)
{
  const char *keep = getenv("CHS_TEST_OUTPUT_KEEP");
  if (keep && *keep) return;
  const char *suffix[] = {".h5", ".partial.h5", ".xdmf", ".xdmf.tmp"};
  char p[1024];
  for (int i = 0; i < 4; i++) {
    snprintf(p, sizeof p, "%s/%s%s", dir, run, suffix[i]);
    remove(p);
  }
  rmdir(dir);
}

static int file_exists(const char *dir, const char *run, const char *suffix)
{
  char p[1024];
  snprintf(p, sizeof p, "%s/%s%s", dir, run, suffix);
  return access(p, F_OK) == 0;
}

static char *slurp(const char *path)
{
  FILE *f = fopen(path, "r");
  cr_assert_not_null(f, "cannot open %s", path);
  static char buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

/* Known field values: a different digit per axis, field and step, so that any mix-up of
 * x and z, of fields or of steps shows. */
static double value(int step, int f, int i, int j, int k)
{
  return 10000.0 * step + 1000.0 * f + 100.0 * k + 10.0 * j + i;
}

static const char *g_fields[] = {"msc", "gf", "matrix"};
static const char *g_units[] = {"cells/mm^3", "ng/mL", "1"};
static const char *g_metrics[] = {"msc_total", "defect_fill"};
static const char *g_metric_units[] = {"cells", "1"};

static chs_output_spec make_spec(int nx, int ny, int nz, const char *geometry,
                                 const unsigned char *mask)
{
  chs_output_spec s = {
      .global = {nx, ny, nz},
      .lo = {0, 0, 0},
      .ln = {nx, ny, nz},
      .origin = {10, 20, 30},
      .spacing = {1, 2, 3},
      .geometry = geometry,
      .lesion_mask = mask,
      .nfields = 3,
      .nmetrics = 2,
      .compression = 1,
      .config_text = "[run]\nname = test\n[model]\nr = 0.5 ; comment\n",
      .comm = &g_comm,
  };
  for (int f = 0; f < 3; f++) {
    s.field_names[f] = g_fields[f];
    s.field_units[f] = g_units[f];
  }
  for (int m = 0; m < 2; m++) {
    s.metric_names[m] = g_metrics[m];
    s.metric_units[m] = g_metric_units[m];
  }
  return s;
}

/* Writes nsteps steps and 2 metric rows per step; finishes if asked. */
static void write_run(const char *dir, const char *run, int nx, int ny, int nz,
                      const char *geometry, int nsteps, int finish)
{
  int ncell = nx * ny * nz;
  unsigned char *mask = malloc((size_t)ncell);
  double *data = malloc((size_t)ncell * 3 * sizeof *data);
  cr_assert(mask && data);
  for (int c = 0; c < ncell; c++) mask[c] = (unsigned char)(c % nx < 2);
  chs_output_spec spec = make_spec(nx, ny, nz, geometry, mask);
  chs_output *o = NULL;
  chs_status st = chs_output_create(&spec, dir, run, &o);
  cr_assert_eq(st, CHS_OK, "create: %s", chs_error_message());
  free(mask); /* the module must not keep the caller's pointers */

  const double times[] = {0.0, 0.5, 2.0};
  for (int s = 0; s < nsteps; s++) {
    for (int r = 0; r < 2; r++) {
      double t = times[s] + 0.1 * r, v[2] = {100.0 * s + r, 0.25 * (s + r)};
      cr_assert_eq(chs_output_add_metrics(o, t, v), CHS_OK);
    }
    for (int k = 0; k < nz; k++)
      for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++)
          for (int f = 0; f < 3; f++)
            data[((k * ny + j) * nx + i) * 3 + f] = value(s, f, i, j, k);
    st = chs_output_write_step(o, times[s], data, 3);
    cr_assert_eq(st, CHS_OK, "write_step %d: %s", s, chs_error_message());
  }
  cr_assert_eq(chs_output_nsteps(o), nsteps);
  if (finish) {
    double last[2] = {-1, -2};
    cr_assert_eq(chs_output_add_metrics(o, 99.0, last), CHS_OK); /* flushed by finish */
    chs_provenance prov = {.version = "0.1.0", .git_revision = "abc123", .compiler = "GNU 12.2",
                           .hostname = "node1", .start_time = "2026-01-01T00:00:00Z",
                           .end_time = "2026-01-01T00:01:00Z", .ranks = 1, .threads = 2,
                           .wall_time = 60.5}; /* slurm ids NULL: skipped */
    chs_stats_record stats = {.n = 2, .names = {"steps", "rhs_evals"}, .values = {42, 1234}};
    st = chs_output_finish(o, &prov, &stats);
    cr_assert_eq(st, CHS_OK, "finish: %s", chs_error_message());
  }
  chs_output_destroy(&o);
  cr_assert_null(o);
  free(data);
}

static void check_units(const char *path, const char *obj, const char *expected)
{
  char buf[64];
  cr_assert_eq(chs_h5_read_string_attr(path, obj, "units", buf, sizeof buf), CHS_OK,
               "%s has no units: %s", obj, chs_error_message());
  if (expected) cr_expect_str_eq(buf, expected, "units of %s", obj);
}

static void check_run(const char *dir, const char *run, int nx, int ny, int nz,
                      const char *geometry)
{
  char path[1024], obj[128];
  snprintf(path, sizeof path, "%s/%s.h5", dir, run);
  cr_assert(file_exists(dir, run, ".h5"), "%s missing", path);
  cr_assert(!file_exists(dir, run, ".partial.h5"), "the .partial.h5 was not renamed");

  int complete = -1;
  cr_assert_eq(chs_h5_read_int_attr(path, "/", "complete", &complete), CHS_OK);
  cr_expect_eq(complete, 1);

  double *d = NULL;
  long n = 0;
  cr_assert_eq(chs_h5_read_doubles(path, "/time", &d, &n), CHS_OK, "%s", chs_error_message());
  cr_assert_eq(n, 3);
  cr_expect_eq(d[0], 0.0);
  cr_expect_eq(d[1], 0.5);
  cr_expect_eq(d[2], 2.0);
  free(d);
  check_units(path, "/time", "day");

  /* Fields: shape (nz, ny, nx), x fastest. */
  for (int s = 0; s < 3; s++)
    for (int f = 0; f < 3; f++) {
      snprintf(obj, sizeof obj, "/step_%05d/%s", s, g_fields[f]);
      int nd = 0;
      long dims[8];
      cr_assert_eq(chs_h5_dataset_shape(path, obj, &nd, dims), CHS_OK, "%s", chs_error_message());
      cr_assert_eq(nd, 3);
      cr_expect(dims[0] == nz && dims[1] == ny && dims[2] == nx, "%s shape %ld %ld %ld", obj,
                dims[0], dims[1], dims[2]);
      cr_assert_eq(chs_h5_read_doubles(path, obj, &d, &n), CHS_OK);
      cr_assert_eq(n, (long)nx * ny * nz);
      for (int k = 0; k < nz; k++)
        for (int j = 0; j < ny; j++)
          for (int i = 0; i < nx; i++)
            cr_assert_eq(d[(k * ny + j) * nx + i], value(s, f, i, j, k), "%s[%d,%d,%d] = %g", obj,
                         k, j, i, d[(k * ny + j) * nx + i]);
      free(d);
      check_units(path, obj, g_units[f]);
    }
  /* One explicit corner so a reader of this test sees the convention: (k=2, j=0, i=4). */
  cr_assert_eq(chs_h5_read_doubles(path, "/step_00002/gf", &d, &n), CHS_OK);
  cr_expect_eq(d[(nz - 1) * ny * nx + (nx - 1)], 20000 + 1000 + 100.0 * (nz - 1) + (nx - 1));
  free(d);

  /* Metrics: 2 rows per step + the one flushed by finish. */
  cr_assert_eq(chs_h5_read_doubles(path, "/metrics/time", &d, &n), CHS_OK);
  cr_assert_eq(n, 7);
  cr_expect_eq(d[0], 0.0);
  cr_expect_eq(d[3], 0.5 + 0.1);
  cr_expect_eq(d[6], 99.0);
  free(d);
  check_units(path, "/metrics/time", "day");
  cr_assert_eq(chs_h5_read_doubles(path, "/metrics/msc_total", &d, &n), CHS_OK);
  cr_assert_eq(n, 7);
  const double msc[] = {0, 1, 100, 101, 200, 201, -1};
  for (int r = 0; r < 7; r++) cr_expect_eq(d[r], msc[r], "msc_total[%d] = %g", r, d[r]);
  free(d);
  check_units(path, "/metrics/msc_total", "cells");
  cr_assert_eq(chs_h5_read_doubles(path, "/metrics/defect_fill", &d, &n), CHS_OK);
  cr_expect_eq(d[3], 0.5);
  cr_expect_eq(d[6], -2.0);
  free(d);
  check_units(path, "/metrics/defect_fill", "1");

  /* Grid */
  cr_assert_eq(chs_h5_read_doubles(path, "/grid/origin", &d, &n), CHS_OK);
  cr_expect(n == 3 && d[0] == 10 && d[1] == 20 && d[2] == 30);
  free(d);
  cr_assert_eq(chs_h5_read_doubles(path, "/grid/spacing", &d, &n), CHS_OK);
  cr_expect(n == 3 && d[0] == 1 && d[1] == 2 && d[2] == 3);
  free(d);
  cr_assert_eq(chs_h5_read_doubles(path, "/grid/dims", &d, &n), CHS_OK);
  cr_expect(n == 3 && d[0] == nx && d[1] == ny && d[2] == nz);
  free(d);
  check_units(path, "/grid/origin", "mm");
  check_units(path, "/grid/spacing", "mm");
  check_units(path, "/grid/dims", NULL);
  check_units(path, "/grid/lesion_mask", NULL);
  check_units(path, "/config", NULL);
  char geom[64];
  cr_assert_eq(chs_h5_read_string_attr(path, "/grid", "geometry", geom, sizeof geom), CHS_OK);
  cr_expect_str_eq(geom, geometry);
  cr_assert_eq(chs_h5_read_doubles(path, "/grid/lesion_mask", &d, &n), CHS_OK);
  cr_assert_eq(n, (long)nx * ny * nz);
  for (int c = 0; c < n; c++) cr_expect_eq(d[c], (double)(c % nx < 2));
  free(d);

  /* Config text round-trips exactly. */
  char *text = NULL;
  cr_assert_eq(chs_h5_read_string(path, "/config", &text), CHS_OK, "%s", chs_error_message());
  cr_expect_str_eq(text, "[run]\nname = test\n[model]\nr = 0.5 ; comment\n");
  free(text);

  /* Provenance and solver statistics */
  char buf[64];
  cr_assert_eq(chs_h5_read_string_attr(path, "/", "git_revision", buf, sizeof buf), CHS_OK);
  cr_expect_str_eq(buf, "abc123");
  cr_assert_eq(chs_h5_read_string_attr(path, "/", "hdf5_version", buf, sizeof buf), CHS_OK);
  cr_expect_str_eq(buf, chs_output_hdf5_version());
  cr_expect_neq(chs_h5_read_string_attr(path, "/", "slurm_job_id", buf, sizeof buf), CHS_OK);
  chs_error_clear();
  int ranks = 0;
  cr_assert_eq(chs_h5_read_int_attr(path, "/", "threads", &ranks), CHS_OK);
  cr_expect_eq(ranks, 2);
  double v = 0;
  cr_assert_eq(chs_h5_read_double_attr(path, "/", "wall_time", &v), CHS_OK);
  cr_expect_eq(v, 60.5);
  cr_assert_eq(chs_h5_read_double_attr(path, "/solver", "rhs_evals", &v), CHS_OK);
  cr_expect_eq(v, 1234.0);

  /* Sidecar */
  snprintf(path, sizeof path, "%s/%s.xdmf", dir, run);
  const char *x = slurp(path);
  char want[256];
  /* ParaView's axes, written z y x: depth downwards (negative spacing, origin -depth0) so
   * the articular surface is on top; one cell in y = a flat mesh whose y is -depth. */
  int planar = strcmp(geometry, "cartesian3d") != 0;
  if (planar)
    snprintf(want, sizeof want, "Dimensions=\"1 %d %d\"", nz + 1, nx + 1);
  else
    snprintf(want, sizeof want, "Dimensions=\"%d %d %d\"", nz + 1, ny + 1, nx + 1);
  cr_expect(strstr(x, want), "no point dimensions %s in\n%s", want, x);
  const char *origin = planar ? ">0 -30 10</DataItem>" : ">-30 20 10</DataItem>";
  const char *spacing = planar ? ">1 -3 1</DataItem>" : ">-3 2 1</DataItem>";
  cr_expect(strstr(x, origin), "origin not %s:\n%s", origin, x);
  cr_expect(strstr(x, spacing), "spacing not %s:\n%s", spacing, x);
  cr_expect(strstr(x, "<Information Name=\"units\" Value=\"ng/mL\"/>"), "no units:\n%s", x);
  cr_expect(strstr(x, "<Information Name=\"time_units\" Value=\"days\"/>"));
  cr_expect(strstr(x, "<Attribute Name=\"day\" AttributeType=\"Scalar\" Center=\"Grid\">\n"
                      "     <DataItem Dimensions=\"1\" NumberType=\"Float\" Precision=\"8\" "
                      "Format=\"XML\">0.5</DataItem>"), "no day field data:\n%s", x);
  snprintf(want, sizeof want, "Dimensions=\"%d %d %d\" NumberType=\"Float\"", nz, ny, nx);
  cr_expect(strstr(x, want), "no cell dimensions %s", want);
  snprintf(want, sizeof want, ">%s.h5:/step_00002/matrix<", run);
  cr_expect(strstr(x, want), "no %s in\n%s", want, x);
  snprintf(want, sizeof want, ">%s.h5:/grid/lesion_mask<", run);
  cr_expect(strstr(x, want), "no %s", want);
  cr_expect(!strstr(x, ".partial"), "sidecar still points at the partial file");
  cr_expect(strstr(x, "<Time Value=\"0.5\"/>"));
  cr_expect(strstr(x, "Center=\"Cell\""));
  cr_expect(!file_exists(dir, run, ".xdmf.tmp"));
}

Test(output, cartesian3d_round_trip)
{
  const char *dir = test_dir("t3d");
  write_run(dir, "t3d", 5, 4, 3, "cartesian3d", 3, 1);
  check_run(dir, "t3d", 5, 4, 3, "cartesian3d");
  remove_dir(dir, "t3d");
}

Test(output, axisymmetric_one_cell_thick)
{
  const char *dir = test_dir("t2d");
  write_run(dir, "t2d", 6, 1, 4, "axisymmetric", 3, 1);
  check_run(dir, "t2d", 6, 1, 4, "axisymmetric");
  remove_dir(dir, "t2d");
}

Test(output, tiny_values_written_as_zero)
{
  /* |x| < CHS_OUTPUT_TINY becomes 0 in the file (not in the caller's array); larger values,
   * however small, are kept bit for bit. */
  const char *dir = test_dir("tiny");
  chs_output_spec spec = make_spec(6, 1, 1, "cartesian2d", NULL);
  chs_output *o = NULL;
  cr_assert_eq(chs_output_create(&spec, dir, "tiny", &o), CHS_OK, "%s", chs_error_message());
  const double in[6] = {-1.7e-121, 4.9e-324, 9.99e-31, 1e-30, -2.5e-29, 1.0};
  const double out[6] = {0, 0, 0, 1e-30, -2.5e-29, 1.0};
  double data[18];
  for (int c = 0; c < 6; c++) data[3 * c] = data[3 * c + 1] = data[3 * c + 2] = in[c];
  cr_assert_eq(chs_output_write_step(o, 0.0, data, 3), CHS_OK, "%s", chs_error_message());
  cr_expect_eq(data[0], -1.7e-121, "the caller's data was changed");
  cr_assert_eq(chs_output_finish(o, NULL, NULL), CHS_OK, "%s", chs_error_message());
  chs_output_destroy(&o);
  char path[1024];
  snprintf(path, sizeof path, "%s/tiny.h5", dir);
  double *d = NULL;
  long n = 0;
  cr_assert_eq(chs_h5_read_doubles(path, "/step_00000/gf", &d, &n), CHS_OK);
  cr_assert_eq(n, 6);
  for (int c = 0; c < 6; c++) cr_expect_eq(d[c], out[c], "cell %d: %g written as %g", c, in[c], d[c]);
  free(d);
  remove_dir(dir, "tiny");
}

Test(output, stale_files_removed_and_empty_run_finishes)
{
  const char *dir = test_dir("stale");
  char path[1024];
  snprintf(path, sizeof path, "%s/old.h5", dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs("an old complete run", f);
  fclose(f);
  snprintf(path, sizeof path, "%s/old.xdmf", dir);
  f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs("<Xdmf/>", f);
  fclose(f);
  chs_output_spec spec = make_spec(2, 2, 2, "cartesian3d", NULL);
  chs_output *o = NULL;
  cr_assert_eq(chs_output_create(&spec, dir, "old", &o), CHS_OK, "%s", chs_error_message());
  cr_expect(!file_exists(dir, "old", ".h5"), "stale old.h5 left in place");
  cr_expect(!file_exists(dir, "old", ".xdmf"), "stale old.xdmf left in place");
  cr_expect(file_exists(dir, "old", ".partial.h5"));

  /* Finished without steps: a complete file, but no sidecar (ParaView crashes on an empty
   * temporal collection). */
  cr_assert_eq(chs_output_finish(o, NULL, NULL), CHS_OK, "%s", chs_error_message());
  cr_expect(file_exists(dir, "old", ".h5"));
  cr_expect(!file_exists(dir, "old", ".partial.h5"));
  cr_expect(!file_exists(dir, "old", ".xdmf"));
  snprintf(path, sizeof path, "%s/old.h5", dir);
  int complete = -1;
  cr_assert_eq(chs_h5_read_int_attr(path, "/", "complete", &complete), CHS_OK);
  cr_expect_eq(complete, 1);
  cr_expect_eq(chs_output_write_step(o, 1.0, NULL, 3), CHS_ERR_INTERNAL, "write after finish");
  chs_output_destroy(&o);
  chs_output_destroy(&o); /* NULL-safe */
  remove_dir(dir, "old");
}

Test(output, unfinished_run_stays_partial)
{
  const char *dir = test_dir("unfinished");
  write_run(dir, "crash", 5, 4, 3, "cartesian3d", 2, 0);
  cr_expect(file_exists(dir, "crash", ".partial.h5"));
  cr_expect(!file_exists(dir, "crash", ".h5"), "an unfinished run left a complete-looking file");
  char path[1024];
  snprintf(path, sizeof path, "%s/crash.partial.h5", dir);
  int complete = -1;
  cr_assert_eq(chs_h5_read_int_attr(path, "/", "complete", &complete), CHS_OK);
  cr_expect_eq(complete, 0);
  double *d = NULL;
  long n = 0;
  cr_assert_eq(chs_h5_read_doubles(path, "/time", &d, &n), CHS_OK);
  cr_expect_eq(n, 2);
  free(d);
  cr_assert_eq(chs_h5_read_doubles(path, "/metrics/time", &d, &n), CHS_OK);
  cr_expect_eq(n, 4, "rows buffered before each write reach the file");
  free(d);
  snprintf(path, sizeof path, "%s/crash.xdmf", dir);
  const char *x = slurp(path);
  cr_expect(strstr(x, ">crash.partial.h5:/step_00001/msc<"), "sidecar:\n%s", x);
  cr_expect(!strstr(x, "step_00002"));
  remove_dir(dir, "crash");
}

Test(output, missing_directory_is_an_io_error)
{
  chs_output_spec spec = make_spec(2, 2, 2, "cartesian3d", NULL);
  chs_output *o = NULL;
  const char *dir = "/tmp/chs_no_such_dir_4711/results/x";
  chs_status st = chs_output_create(&spec, dir, "x", &o);
  cr_expect_eq(st, CHS_ERR_IO);
  cr_expect_null(o);
  cr_expect(strstr(chs_error_message(), dir), "message without the path: %s", chs_error_message());
}

Test(output, unwritable_directory_is_an_io_error)
{
  /* /proc refuses new files even for root, unlike a chmod'ed directory. */
  chs_output_spec spec = make_spec(2, 2, 2, "cartesian3d", NULL);
  chs_output *o = NULL;
  chs_status st = chs_output_create(&spec, "/proc", "x", &o);
  cr_expect_eq(st, CHS_ERR_IO);
  cr_expect_null(o);
  cr_expect(strstr(chs_error_message(), "/proc/x.partial.h5"), "message: %s", chs_error_message());
  chs_error_clear();

  /* A regular file where the directory should be. */
  const char *dir = test_dir("notadir");
  char path[1024];
  snprintf(path, sizeof path, "%s/file", dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fclose(f);
  st = chs_output_create(&spec, path, "x", &o);
  cr_expect_eq(st, CHS_ERR_IO);
  cr_expect(strstr(chs_error_message(), path), "message: %s", chs_error_message());
  remove(path);
  rmdir(dir);
}

Test(output, hdf5_version_string)
{
  const char *v = chs_output_hdf5_version();
  cr_expect(strncmp(v, "1.", 2) == 0, "version %s", v);
}

/* The engine's metric table, as the run writes it: every name present and unique, the
 * joint pools under their own names, and per registry field total_/lesion_mean_/min_ in
 * state order, so no output can silently lack a field. */
Test(output, metric_names_follow_the_registry)
{
  for (int m = 0; m < CHS_NMETRICS; m++) {
    const char *a = chs_metric_name(m);
    cr_assert(a && a[0], "metric %d has no name", m);
    cr_expect(chs_metric_unit(m) != NULL, "metric %s has no unit", a);
    for (int k = 0; k < m; k++) cr_expect_str_neq(a, chs_metric_name(k), "metric name %s twice (%d, %d)", a, k, m);
  }
  for (int q = 0; q < CHS_NPOOL; q++) cr_expect_str_eq(chs_metric_name(CHS_M_POOL0 + q), chs_pool_names[q]);
  for (int f = 0; f < CHS_NF; f++) {
    char want[96];
    snprintf(want, sizeof want, "total_%s", chs_field_names[f]);
    cr_expect_str_eq(chs_metric_name(CHS_M_TOTAL0 + f), want);
    snprintf(want, sizeof want, "lesion_mean_%s", chs_field_names[f]);
    cr_expect_str_eq(chs_metric_name(CHS_M_LESION0 + f), want);
    snprintf(want, sizeof want, "min_%s", chs_field_names[f]);
    cr_expect_str_eq(chs_metric_name(CHS_M_MIN0 + f), want);
  }
  cr_expect_eq(CHS_NF, 11);
  cr_expect_eq(CHS_ND, 7);
  cr_expect_eq(chs_fields_check_order(), 0, "moving fields must come first in fields.h");
}

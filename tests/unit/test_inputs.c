/* The input guards of issue 11, one function at a time (the CLI cases are in
 * tests/integration/bad_inputs.txt): regular-file checks, plain names, the directory
 * lock, the configuration fingerprint, the memory estimate and the mask reader (16-bit
 * PGM, trailing data, empty masks). Temporary files live in a mkdtemp directory. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "core/fsutil.h"
#include "grid/grid.h"
#include "model/fields.h"
#include "run/memory.h"
#include "support/test_support.h"

static char g_tmp[256];

static void setup(void)
{
  snprintf(g_tmp, sizeof g_tmp, "/tmp/chs_test_inputs_XXXXXX");
  cr_assert_not_null(mkdtemp(g_tmp), "mkdtemp failed");
  chs_error_clear();
}

static void teardown(void)
{
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
  cr_assert_eq(system(cmd), 0);
}

TestSuite(inputs, .init = setup, .fini = teardown);

static const char *tmp_path(const char *name)
{
  static char buf[4][512];
  static int slot;
  char *p = buf[slot++ % 4];
  snprintf(p, sizeof buf[0], "%s/%s", g_tmp, name);
  return p;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(data, 1, n, f), n);
  fclose(f);
}

Test(inputs, regular_file_check_refuses_fifo_device_directory)
{
  const char *fifo = tmp_path("fifo");
  cr_assert_eq(mkfifo(fifo, 0600), 0);
  FILE *f = NULL;
  /* Must return at once (no writer on the FIFO), not block. */
  cr_assert_eq(chs_open_regular(fifo, "r", "config file", CHS_ERR_CONFIG, &f), CHS_ERR_CONFIG);
  cr_assert_not_null(strstr(chs_error_message(), "FIFO"), "%s", chs_error_message());
  cr_assert_null(f);
  chs_error_clear();
  cr_assert_eq(chs_check_regular("/dev/zero", "mask", CHS_ERR_CONFIG), CHS_ERR_CONFIG);
  cr_assert_not_null(strstr(chs_error_message(), "character device"));
  chs_error_clear();
  cr_assert_eq(chs_check_regular(g_tmp, "checkpoint", CHS_ERR_IO), CHS_ERR_IO);
  cr_assert_not_null(strstr(chs_error_message(), "is a directory"));
  chs_error_clear();
  const char *ok = tmp_path("ok.ini");
  write_bytes(ok, "[run]\n", 6);
  cr_assert_eq(chs_open_regular(ok, "r", "config file", CHS_ERR_CONFIG, &f), CHS_OK);
  char line[16];
  cr_assert_not_null(fgets(line, sizeof line, f));
  cr_assert_str_eq(line, "[run]\n");
  fclose(f);
}

Test(inputs, plain_names)
{
  const char *bad[] = {"", ".", "..", "a/b", "../x", "a,b", "a\nb", "tab\there"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    cr_assert_not_null(chs_plain_name_problem(bad[i]), "'%s' accepted", bad[i]);
  const char *good[] = {"default", "r0007", "dose_2.5e7-source_adipose", "a+b", "...x"};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++)
    cr_assert_null(chs_plain_name_problem(good[i]), "'%s' refused", good[i]);
}

Test(inputs, directory_lock_is_exclusive)
{
  int a = -1, b = -1;
  cr_assert_eq(chs_lock_dir(g_tmp, "run directory", &a), CHS_OK);
  /* flock conflicts between two open file descriptions, even in one process. */
  cr_assert_eq(chs_lock_dir(g_tmp, "run directory", &b), CHS_ERR_IO);
  cr_assert_not_null(strstr(chs_error_message(), "in use by another chondrosim process"));
  cr_assert_eq(b, -1);
  chs_unlock_dir(&a);
  chs_error_clear();
  cr_assert_eq(chs_lock_dir(g_tmp, "run directory", &b), CHS_OK, "the lock was not released");
  chs_unlock_dir(&b);
}

Test(inputs, stale_tmp_files_removed)
{
  write_bytes(tmp_path("summary.csv.tmp"), "x", 1);
  write_bytes(tmp_path("run.partial.h5.tmp"), "x", 1);
  write_bytes(tmp_path("keep.csv"), "x", 1);
  cr_assert_eq(chs_remove_stale_tmp(g_tmp), 2);
  cr_assert_eq(access(tmp_path("keep.csv"), F_OK), 0);
  cr_assert_neq(access(tmp_path("summary.csv.tmp"), F_OK), 0);
}

Test(inputs, fingerprint_follows_values_not_origins)
{
  chs_test_mpi();
  chs_config *cfg = calloc(1, sizeof *cfg);
  cr_assert_not_null(cfg);
  chs_test_config(cfg, NULL, (const char *const[]){"grid.nx=10", NULL});
  char fp[17], fp_text[17], fp_moved[17], fp_other[17];
  cr_assert_eq(chs_config_fingerprint(cfg, fp), CHS_OK);
  char *text = chs_config_to_text(cfg);
  cr_assert_not_null(text);
  chs_config_text_fingerprint(text, fp_text);
  cr_assert_str_eq(fp, fp_text, "config.ini must give the configuration's fingerprint");
  /* Other origins (the comments) only: the same configuration. */
  for (char *p = strstr(text, "; "); p; p = strstr(p + 1, "; ")) p[1] = '#';
  chs_config_text_fingerprint(text, fp_moved);
  cr_assert_str_eq(fp, fp_moved);
  free(text);
  chs_test_config(cfg, NULL, (const char *const[]){"grid.nx=10", "msc.D=0.0011", NULL});
  cr_assert_eq(chs_config_fingerprint(cfg, fp_other), CHS_OK);
  cr_assert_str_neq(fp, fp_other, "a changed model value must change the fingerprint");
  free(cfg);
}

Test(inputs, memory_estimate_refuses_what_cannot_fit)
{
  chs_test_mpi();
  chs_config *cfg = calloc(1, sizeof *cfg);
  cr_assert_not_null(cfg);
  chs_test_config(cfg, NULL, (const char *const[]){"grid.nx=100000", "grid.nz=100000", NULL});
  double per = chs_memory_per_cell(cfg), cells = chs_memory_cells(cfg);
  cr_assert_eq(cells, 1e10);
  /* At least the state and CVODE's 6 history vectors, CHS_NF doubles each. */
  cr_assert_gt(per, 7.0 * 8 * CHS_NF, "per cell %g bytes", per);
  cr_assert_eq(chs_memory_check(cfg, cells * per, 16e9, "this machine"), CHS_ERR_NOMEM);
  cr_assert_not_null(strstr(chs_error_message(), "grid.nx = 100000 (--set grid.nx=100000)"),
                     "%s", chs_error_message());
  chs_error_clear();
  cr_assert_eq(chs_memory_check(cfg, cells * per, 0, "this machine"), CHS_OK, "unknown = accepted");
  cr_assert_eq(chs_memory_check(cfg, 1e6, 16e9, "this machine"), CHS_OK);
  free(cfg);
}

/* The mask of test_bad_input_catalogue: 10 x 4 cells, 4 columns of the top 2 rows. */
static int lesion_cell(int i, int k) { return k < 2 && i >= 3 && i < 7; }

static long read_mask(const char *path, unsigned char *owned, chs_status *st)
{
  const int gn[3] = {10, 1, 4}, lo[3] = {0, 0, 0};
  const double h1[3] = {1, 1, 1}; /* cell size: only NIfTI masks use it */
  long marked = -1;
  chs_error_clear();
  *st = chs_mask_read(path, CHS_GEOM_CARTESIAN2D, gn, h1, lo, gn, owned, &marked);
  return marked;
}

Test(inputs, mask_16bit_pgm_two_bytes_per_sample)
{
  unsigned char data[64 + 80];
  int n = snprintf((char *)data, 64, "P5\n10 4\n65535\n");
  for (int k = 0; k < 4; k++)
    for (int i = 0; i < 10; i++) {
      int v = lesion_cell(i, k) ? 300 : 0; /* 300 = 0x012C: both bytes matter */
      data[n++] = (unsigned char)(v >> 8);
      data[n++] = (unsigned char)(v & 255);
    }
  write_bytes(tmp_path("m16.pgm"), data, (size_t)n);
  unsigned char owned[40];
  chs_status st;
  cr_assert_eq(read_mask(tmp_path("m16.pgm"), owned, &st), 8, "%s", chs_error_message());
  cr_assert_eq(st, CHS_OK);
  for (int k = 0; k < 4; k++)
    for (int i = 0; i < 10; i++)
      cr_assert_eq(owned[k * 10 + i], lesion_cell(i, k), "cell (%d, %d)", i, k);
  /* One byte more than the header announces: refused. */
  data[n++] = 0;
  write_bytes(tmp_path("m16x.pgm"), data, (size_t)n);
  read_mask(tmp_path("m16x.pgm"), owned, &st);
  cr_assert_eq(st, CHS_ERR_CONFIG);
  cr_assert_not_null(strstr(chs_error_message(), "data after the 40 values"), "%s", chs_error_message());
}

Test(inputs, mask_empty_and_text_trailing_values)
{
  char text[512];
  int n = snprintf(text, sizeof text, "P2\n10 4\n1\n");
  for (int q = 0; q < 40; q++) n += snprintf(text + n, sizeof text - (size_t)n, "0 ");
  write_bytes(tmp_path("zero.pgm"), text, (size_t)n);
  unsigned char owned[40];
  chs_status st;
  read_mask(tmp_path("zero.pgm"), owned, &st);
  cr_assert_eq(st, CHS_ERR_CONFIG);
  cr_assert_not_null(strstr(chs_error_message(), "marks no cell"), "%s", chs_error_message());
  text[n - 2] = '1'; /* the last cell: not open to the surface, but a lesion cell */
  n += snprintf(text + n, sizeof text - (size_t)n, "\n# a comment is fine\n");
  write_bytes(tmp_path("one.pgm"), text, (size_t)n);
  cr_assert_eq(read_mask(tmp_path("one.pgm"), owned, &st), 1, "%s", chs_error_message());
  n += snprintf(text + n, sizeof text - (size_t)n, "1\n");
  write_bytes(tmp_path("extra.pgm"), text, (size_t)n);
  read_mask(tmp_path("extra.pgm"), owned, &st);
  cr_assert_eq(st, CHS_ERR_CONFIG);
  cr_assert_not_null(strstr(chs_error_message(), "data after"), "%s", chs_error_message());
}

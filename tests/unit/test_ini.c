/* One INI dialect: run configs and study/sweep files read by the same libinih-based reader
 * (config/ini_file.h) with the same comment rules: whole-line ; and #, inline " ;" and " #"
 * (not inside quotes, not without the blank before), the 200-character line limit. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/ini_file.h"
#include "study/studyfile.h"
#include "support/test_support.h"

static char g_dir[256];

static const char *file(const char *name, const char *text)
{
  static char path[8][512];
  static int slot;
  if (!g_dir[0]) {
    snprintf(g_dir, sizeof g_dir, "/tmp/chs_test_ini_XXXXXX");
    cr_assert_not_null(mkdtemp(g_dir));
  }
  char *p = path[slot++ % 8];
  snprintf(p, 512, "%s/%s", g_dir, name);
  FILE *f = fopen(p, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
  return p;
}

Test(ini, cut_comment)
{
  char a[] = "40  # coarse", b[] = "0 14 42 ; days", c[] = "x#y", d[] = "\"a # b\" # c",
       e[] = "7   ";
  chs_ini_cut_comment(a);
  chs_ini_cut_comment(b);
  chs_ini_cut_comment(c);
  chs_ini_cut_comment(d);
  chs_ini_cut_comment(e);
  cr_expect_str_eq(a, "40");
  cr_expect_str_eq(b, "0 14 42");
  cr_expect_str_eq(c, "x#y", "no blank before '#': part of the value");
  cr_expect_str_eq(d, "\"a # b\"", "inside quotes: part of the value");
  cr_expect_str_eq(e, "7");
}

Test(ini, run_config_takes_hash_comments)
{
  static chs_config cfg;
  const char *p = file("hash.ini", "# a run config\n[grid]\nnx = 40  # coarse\nnz = 6 ; and this\n"
                                   "[run]\nend_time = 30\t# days\n");
  cr_assert_eq(chs_config_load(&cfg, p, NULL, 0, NULL), CHS_OK, "%s", chs_error_message());
  cr_expect_eq(cfg.grid_nx, 40);
  cr_expect_eq(cfg.grid_nz, 6);
  cr_expect_eq(cfg.run_end_time, 30.0);
}

Test(ini, study_file_same_rules_and_same_errors)
{
  chs_ini ini;
  const char *p = file("s.ini", "; study\n# also a comment\n[sweep]\nname = x   # inline\n"
                                "[values]\ntherapy.dose = 1e7 5e7 ; two doses\n");
  cr_assert_eq(chs_ini_read(p, &ini), CHS_OK, "%s", chs_error_message());
  cr_assert_eq(ini.n, 2);
  cr_expect_str_eq(ini.e[0].value, "x");
  cr_expect_str_eq(ini.e[1].value, "1e7 5e7");
  cr_expect_eq(ini.e[1].line, 6);
  chs_ini_free(&ini);

  char longline[400] = "[values]\ntherapy.dose =";
  for (int i = 0; i < 60; i++) strcat(longline, " 1e7"); /* 254 characters */
  strcat(longline, "\n");
  p = file("long.ini", longline);
  cr_expect_eq(chs_ini_read(p, &ini), CHS_ERR_CONFIG);
  cr_expect(strstr(chs_error_message(), "long.ini:2: line longer than"), "%s", chs_error_message());
  chs_error_clear();
  p = file("bad.ini", "[sweep]\nname x\n");
  cr_expect_eq(chs_ini_read(p, &ini), CHS_ERR_CONFIG);
  cr_expect(strstr(chs_error_message(), "bad.ini:2: cannot parse"), "%s", chs_error_message());
  chs_error_clear();
  p = file("dup.ini", "[sweep]\nname = a\nname = b\n");
  cr_expect_eq(chs_ini_read(p, &ini), CHS_ERR_CONFIG);
  cr_expect(strstr(chs_error_message(), "dup.ini:3: [sweep] name is given twice (first on line 2)"),
            "%s", chs_error_message());
  chs_error_clear();
}

/* A value continued on indented lines is one value (joined with a blank), in run configs and
 * study files alike; the same key on a line that is not indented is still given twice. */
Test(ini, continuation_lines_are_one_value)
{
  chs_ini ini;
  const char *p = file("cont.ini", "[uq]\nvary = msc.delta msc.r_s\n       joint.k_att   ; the third\n"
                                   "       joint.k_clr\ndraws = 8\n");
  cr_assert_eq(chs_ini_read(p, &ini), CHS_OK, "%s", chs_error_message());
  cr_assert_eq(ini.n, 2);
  cr_expect_str_eq(ini.e[0].value, "msc.delta msc.r_s joint.k_att joint.k_clr");
  cr_expect_eq(ini.e[0].line, 2, "a continued value is reported at its first line");
  cr_expect_str_eq(ini.e[1].value, "8");
  chs_ini_free(&ini);

  static chs_config cfg;
  p = file("cont_run.ini", "[output]\ntimes = 0 14\n        42 90\n[grid]\nnx = 40\n");
  cr_assert_eq(chs_config_load(&cfg, p, NULL, 0, NULL), CHS_OK, "%s", chs_error_message());
  cr_expect_eq(cfg.output_times.n, 5, "0 14 42 90 and the end of the run");
  cr_expect_eq(cfg.output_times.v[3], 90.0);
  cr_expect_eq(cfg.grid_nx, 40);

  chs_error_clear();
  p = file("dup2.ini", "[grid]\nnx = 40\n  80\nnx = 20\n");
  cr_expect_eq(chs_config_load(&cfg, p, NULL, 0, NULL), CHS_ERR_CONFIG);
  cr_expect(strstr(chs_error_message(), "dup2.ini:4: key 'grid.nx' is given twice"), "%s", chs_error_message());
  chs_error_clear();
}

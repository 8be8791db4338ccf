/* The parameter table (params.h) and the layered configuration loader (config.c): every
 * default parses, each layer records where a value came from, and each kind of mistake a
 * user can make produces a message naming the place, the key, the value and what is
 * allowed. Messages are checked by substring; chs_error keeps the first message, so every
 * load is preceded by chs_error_clear(). Temporary files live in a mkdtemp directory. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/composition.h"
#include "config/config.h"
#include "support/test_support.h"

/* ------------------------------------------------------------ temp files */

static char g_tmp[256];
static char g_made[256][512]; /* files and dirs created, removed in reverse order */
static int g_nmade;

static void setup(void)
{
  snprintf(g_tmp, sizeof g_tmp, "/tmp/chs_test_config_XXXXXX");
  cr_assert_not_null(mkdtemp(g_tmp), "mkdtemp failed");
  g_nmade = 0;
  chs_error_clear();
}

static void teardown(void)
{
  for (int i = g_nmade - 1; i >= 0; i--) remove(g_made[i]);
  rmdir(g_tmp);
}

TestSuite(config, .init = setup, .fini = teardown);

static const char *remember(const char *path)
{
  cr_assert_lt(g_nmade, 256);
  snprintf(g_made[g_nmade], sizeof g_made[0], "%s", path);
  return g_made[g_nmade++];
}

static const char *tmp_dir(const char *name)
{
  char p[512];
  snprintf(p, sizeof p, "%s/%s", g_tmp, name);
  cr_assert_eq(mkdir(p, 0755), 0, "mkdir %s", p);
  return remember(p);
}

/* Writes text to <tmp>/name and returns the path. */
static const char *write_file(const char *name, const char *text)
{
  char p[512];
  snprintf(p, sizeof p, "%s/%s", g_tmp, name);
  FILE *fp = fopen(p, "w");
  cr_assert_not_null(fp, "cannot write %s", p);
  fputs(text, fp);
  fclose(fp);
  return remember(p);
}

/* ------------------------------------------------------------ helpers */

static chs_config g_cfg, g_cfg2; /* large: static rather than on the stack */

#define NSETS(...) ((int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)))
#define SETS(...) NSETS(__VA_ARGS__), (const char *const[]){__VA_ARGS__}

/* Loads (models dir from $CHONDROSIM_MODELS) expecting status `want`; returns the message. */
static const char *load_fails(const char *path, int nset, const char *const *sets, chs_status want)
{
  chs_error_clear();
  chs_status st = chs_config_load(&g_cfg, path, NULL, nset, sets);
  cr_assert_eq(st, want, "expected %s, got %s (message: '%s')", chs_status_name(want),
               chs_status_name(st), chs_error_message());
  const char *msg = chs_error_message();
  cr_assert(msg[0] != '\0', "an error without a message");
  return msg;
}

static void has(const char *msg, const char *needle)
{
  cr_expect(strstr(msg, needle) != NULL, "message lacks \"%s\":\n  %s", needle, msg);
}

/* "<path>:<line>" as the loader writes it. */
static const char *at(const char *path, int line)
{
  static char buf[4][600];
  static int slot;
  char *out = buf[slot++ % 4];
  if (snprintf(out, sizeof buf[0], "%s:%d", path, line) >= (int)sizeof buf[0]) cr_assert_fail("path too long: %s", path);
  return out;
}

static void *field_of(chs_config *cfg, const chs_param *p) { return (char *)cfg + p->offset; }

/* ------------------------------------------------------------ the table */

/* set_defaults ignores the status of each assignment, so a default that does not parse
 * would only show up later as "has no value": check each one directly. */
Test(config, every_table_default_parses)
{
  const chs_param *t = chs_param_table();
  int ndef = 0;
  for (int i = 0; i < CHS_NPARAMS; i++) {
    cr_expect_eq(chs_param_index(t[i].key), i, "table key %s is not found at its own index",
                 t[i].key);
    cr_expect(strchr(t[i].key, '.') != NULL, "key %s has no section", t[i].key);
    if (!t[i].def) continue;
    ndef++;
    chs_error_clear();
    memset(&g_cfg, 0, sizeof g_cfg);
    chs_status st = chs_config_assign(&g_cfg, t[i].key, t[i].def, "default");
    cr_expect_eq(st, CHS_OK, "default of %s ('%s') is rejected: %s", t[i].key, t[i].def,
                 chs_error_message());
    if (t[i].type == CHS_PT_REAL) /* the default lies inside its own range */
      cr_expect(strtod(t[i].def, NULL) >= t[i].min && strtod(t[i].def, NULL) <= t[i].max,
                "default of %s outside [%g, %g]", t[i].key, t[i].min, t[i].max);
  }
  cr_assert_gt(ndef, 20, "only %d keys have defaults", ndef);
}

/* No run config: every default-bearing key keeps origin "default"; model keys come from
 * the models dir, never "default". */
Test(config, load_without_run_config_uses_defaults)
{
  chs_error_clear();
  chs_status st = chs_config_load(&g_cfg, NULL, NULL, 0, NULL);
  cr_assert_eq(st, CHS_OK, "load with defaults only: %s", chs_error_message());
  const chs_param *t = chs_param_table();
  for (int i = 0; i < CHS_NPARAMS; i++) {
    cr_expect(g_cfg.is_set[i], "%s not set", t[i].key);
    if (t[i].def)
      cr_expect_str_eq(g_cfg.origin[i], "default", "origin of %s", t[i].key);
    else
      cr_expect(strstr(g_cfg.origin[i], g_cfg.models_dir) == g_cfg.origin[i],
                "model key %s has origin '%s', not in %s", t[i].key, g_cfg.origin[i],
                g_cfg.models_dir);
  }
  /* The typed values are the table's text, parsed. */
  cr_expect_eq(g_cfg.grid_nx, 80);
  cr_expect_eq(g_cfg.grid_nz, 24);
  cr_expect_eq(g_cfg.run_end_time, 730.0);
  cr_expect_eq(g_cfg.grid_geometry, CHS_GEOM_AXISYMMETRIC);
  cr_expect_eq(g_cfg.lesion_shape, CHS_LESION_CYLINDER);
  cr_expect_eq(g_cfg.solver_preconditioner, CHS_PC_MULTIGRID);
  cr_expect_eq(g_cfg.solver_rtol, 1e-5);
  cr_expect_eq(g_cfg.therapy_dose, 1e7);
  cr_expect_str_eq(g_cfg.output_dir, "results");
  cr_expect_str_eq(g_cfg.run_name, "run", "run name without a config file");
  const double times[] = {0, 14, 42, 56, 90, 180, 365, 540, 730};
  cr_assert_eq(g_cfg.output_times.n, 9);
  for (int k = 0; k < 9; k++) cr_expect_eq(g_cfg.output_times.v[k], times[k]);
  cr_expect_str_eq(chs_config_enum_name("grid.geometry", g_cfg.grid_geometry), "axisymmetric");
  cr_expect_str_eq(chs_config_enum_name("solver.preconditioner", 1), "block");
  cr_expect_str_eq(g_cfg.therapy_source, "bone_marrow");
}

/* Reads an INI file independently of the loader: calls fn(key, value, line) for each
 * "name = value" line. Good enough for the repository's own model files. */
static int scan_ini(const char *path, void (*fn)(const char *key, const char *value, int line))
{
  FILE *fp = fopen(path, "r");
  cr_assert_not_null(fp, "cannot open %s", path);
  char line[512], section[64] = "";
  int ln = 0, n = 0;
  while (fgets(line, sizeof line, fp)) {
    ln++;
    char *s = line;
    while (*s == ' ' || *s == '\t') s++;
    if (*s == '[') {
      char *end = strchr(s, ']');
      cr_assert_not_null(end);
      snprintf(section, sizeof section, "%.*s", (int)(end - s - 1), s + 1);
      continue;
    }
    char *eq = strchr(s, '=');
    if (*s == ';' || *s == '#' || !eq) continue;
    char name[64], value[128], key[160];
    int nl = (int)(eq - s);
    while (nl > 0 && s[nl - 1] == ' ') nl--;
    snprintf(name, sizeof name, "%.*s", nl, s);
    char *v = eq + 1;
    while (*v == ' ') v++;
    char *semi = strchr(v, ';');
    int vl = semi ? (int)(semi - v) : (int)strcspn(v, "\n");
    while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
    snprintf(value, sizeof value, "%.*s", vl, v);
    snprintf(key, sizeof key, "%s.%s", section, name);
    fn(key, value, ln);
    n++;
  }
  fclose(fp);
  return n;
}

static const char *g_scan_file; /* the path the origins must name */

static void check_origin_and_value(const char *key, const char *value, int line)
{
  int i = chs_param_index(key);
  cr_assert_geq(i, 0, "%s in %s is not a table key", key, g_scan_file);
  cr_expect_str_eq(g_cfg.origin[i], at(g_scan_file, line), "origin of %s", key);
  const chs_param *p = &chs_param_table()[i];
  if (p->type == CHS_PT_REAL)
    cr_expect_eq(*(double *)field_of(&g_cfg, p), strtod(value, NULL), "value of %s", key);
  if (p->type == CHS_PT_BOOL)
    cr_expect_eq(*(bool *)field_of(&g_cfg, p), strcmp(value, "true") == 0, "value of %s", key);
}

/* Every key of models/base.ini (and the default source file) carries "<file>:<line>" of
 * the line that set it, and its value is that line's number. */
Test(config, model_values_carry_file_and_line)
{
  chs_test_config(&g_cfg, "configs/default.ini", NULL);
  char path[CHS_PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/base.ini", g_cfg.models_dir);
  g_scan_file = path;
  int n = scan_ini(path, check_origin_and_value);
  cr_expect_gt(n, 50, "base.ini has only %d keys", n);
  /* Spot check against the file as it reads today: [msc] D is line 12. */
  cr_expect_str_eq(g_cfg.origin[chs_param_index("msc.D")], at(path, 12));
  cr_expect(strstr(g_cfg.origin[chs_param_index("tissue.thickness")], "base.ini:8") != NULL);

  snprintf(path, sizeof path, "%s/sources/bone_marrow.ini", g_cfg.models_dir);
  n = scan_ini(path, check_origin_and_value);
  cr_expect_eq(n, 7, "bone_marrow.ini: %d keys, the file has 7", n);
}

/* The run config's lines are recorded with the config's path. */
Test(config, run_config_values_carry_file_and_line)
{
  const char *p = write_file("study7.ini", "; a comment\n[grid]\nnx = 40\n\n[patient]\nage = 61.5\n");
  chs_error_clear();
  cr_assert_eq(chs_config_load(&g_cfg, p, NULL, 0, NULL), CHS_OK, "%s", chs_error_message());
  cr_expect_eq(g_cfg.grid_nx, 40);
  cr_expect_eq(g_cfg.patient_age, 61.5);
  cr_expect_str_eq(g_cfg.origin[chs_param_index("grid.nx")], at(p, 3));
  cr_expect_str_eq(g_cfg.origin[chs_param_index("patient.age")], at(p, 6));
  cr_expect_str_eq(g_cfg.origin[chs_param_index("grid.nz")], "default");
  cr_expect_str_eq(g_cfg.run_name, "study7", "run name = the config file's stem");
  cr_expect_str_eq(g_cfg.config_path, p);
}

/* --set beats the run config and the model files, the last --set of a key wins, and the
 * origin records the --set. */
Test(config, set_overrides_win_and_are_recorded)
{
  chs_test_config(&g_cfg, "configs/default.ini",
                  (const char *[]){"grid.nx=40", "msc.D = 0.005", "grid.nx=41",
                                   "source.r_s=3", NULL});
  cr_expect_eq(g_cfg.grid_nx, 41, "the last --set wins");
  cr_expect_eq(g_cfg.msc_D, 0.005, "--set beats base.ini");
  cr_expect_eq(g_cfg.source_r_s, 3.0, "--set beats the source file");
  cr_expect_str_eq(g_cfg.origin[chs_param_index("grid.nx")], "--set grid.nx=41");
  cr_expect_str_eq(g_cfg.origin[chs_param_index("msc.D")], "--set msc.D = 0.005");
  cr_expect_str_eq(g_cfg.origin[chs_param_index("source.r_s")], "--set source.r_s=3");
  /* keys not --set keep the run config's origin */
  cr_expect(strstr(g_cfg.origin[chs_param_index("grid.nz")], "default.ini:") != NULL,
            "grid.nz origin '%s'", g_cfg.origin[chs_param_index("grid.nz")]);
}

/* --set therapy.source picks the source file, and a source key in the run config still
 * beats that file. */
Test(config, source_file_follows_therapy_source)
{
  const char *p = write_file("src.ini", "[therapy]\nsource = adipose\n[source]\nk_d = 0.7\n");
  chs_error_clear();
  cr_assert_eq(chs_config_load(&g_cfg, p, NULL, SETS("therapy.source=umbilical_cord")), CHS_OK,
               "%s", chs_error_message());
  cr_expect_str_eq(g_cfg.therapy_source, "umbilical_cord", "--set beats the run config");
  cr_expect_eq(g_cfg.source_r_s, 2.5, "umbilical_cord.ini r_s");
  cr_expect(g_cfg.source_allogeneic);
  cr_expect_eq(g_cfg.source_k_d, 0.7, "run config beats the source file");
  cr_expect(strstr(g_cfg.origin[chs_param_index("source.r_s")], "sources/umbilical_cord.ini:") !=
            NULL, "origin '%s'", g_cfg.origin[chs_param_index("source.r_s")]);
}

/* ------------------------------------------------------------ errors: keys */

Test(config, unknown_key_in_file_names_file_line_and_suggestion)
{
  const char *p = write_file("typo.ini", "[grid]\nnz = 30\nnxx = 40\n");
  const char *m = load_fails(p, 0, NULL, CHS_ERR_CONFIG);
  has(m, at(p, 3));
  has(m, "unknown key 'grid.nxx'");
  has(m, "did you mean 'grid.nx'");
}

Test(config, unknown_key_far_from_any_key_points_to_the_list)
{
  const char *p = write_file("far.ini", "[grid]\nzzzzzzzzzz = 1\n");
  const char *m = load_fails(p, 0, NULL, CHS_ERR_CONFIG);
  has(m, at(p, 2));
  has(m, "unknown key 'grid.zzzzzzzzzz'");
  has(m, "chondrosim info --params");
  cr_expect(strstr(m, "did you mean") == NULL, "a far-fetched suggestion: %s", m);
}

Test(config, unknown_key_via_set)
{
  const char *m = load_fails(NULL, SETS("grid.nz=30", "msc.rsx=0.1"), CHS_ERR_CONFIG);
  has(m, "--set msc.rsx=0.1");
  has(m, "unknown key 'msc.rsx'");
  has(m, "did you mean 'msc.r_s'");
}

Test(config, key_outside_any_section)
{
  const char *p = write_file("nosec.ini", "nx = 40\n[grid]\nnz = 30\n");
  const char *m = load_fails(p, 0, NULL, CHS_ERR_CONFIG);
  has(m, at(p, 1));
  has(m, "'nx'");
  has(m, "outside any [section]");
}

/* ------------------------------------------------------------ errors: values */

/* A negative diffusivity is out of range: file:line, key, value, range and unit. */
Test(config, out_of_range_real)
{
  const char *p = write_file("neg.ini", "[grid]\nnx = 40\n\n[msc]\nD = -1\n");
  const char *m = load_fails(p, 0, NULL, CHS_ERR_CONFIG);
  has(m, at(p, 5));
  has(m, "msc.D = -1");
  has(m, "out of range");
  has(m, "allowed 0 to 10000");
  has(m, "mm^2/day");
}

Test(config, out_of_range_real_via_set_and_integer_range)
{
  const char *m = load_fails(NULL, SETS("patient.age=130"), CHS_ERR_CONFIG);
  has(m, "--set patient.age=130");
  has(m, "patient.age = 130");
  has(m, "allowed 0 to 120");

  const char *p = write_file("nx0.ini", "[grid]\nnx = 0\n");
  m = load_fails(p, 0, NULL, CHS_ERR_CONFIG);
  has(m, at(p, 2));
  has(m, "grid.nx = 0");
  has(m, "allowed 1 to 100000");
}

Test(config, non_numeric_values)
{
  const char *p = write_file("word.ini", "[grid]\nwidth = ten\n");
  const char *m = load_fails(p, 0, NULL, CHS_ERR_CONFIG);
  has(m, at(p, 2));
  has(m, "grid.width = 'ten' is not a number");

  p = write_file("frac.ini", "[grid]\n\nnx = 4.5\n");
  m = load_fails(p, 0, NULL, CHS_ERR_CONFIG);
  has(m, at(p, 3));
  has(m, "grid.nx = '4.5' is not a whole number");

  /* trailing junk after a number is not a number either */
  m = load_fails(NULL, SETS("therapy.dose=1e7cells"), CHS_ERR_CONFIG);
  has(m, "therapy.dose = '1e7cells' is not a number");
}

Test(config, bad_enum_suggests_the_nearest_choice)
{
  const char *p = write_file("geom.ini", "[grid]\ngeometry = axisymetric\n");
  const char *m = load_fails(p, 0, NULL, CHS_ERR_CONFIG);
  has(m, at(p, 2));
  has(m, "grid.geometry = 'axisymetric' is not allowed");
  has(m, "did you mean 'axisymmetric'");
  has(m, "axisymmetric,cartesian2d,cartesian3d");

  m = load_fails(NULL, SETS("solver.preconditioner=colum"), CHS_ERR_CONFIG);
  has(m, "--set solver.preconditioner=colum");
  has(m, "did you mean 'column'");
}

/* therapy.source is looked up early (it picks the source file); a typo in it must still
 * be reported against the run config's line, like every other value. */
Test(config, bad_source_names_the_run_config_line)
{
  const char *p = write_file("source.ini", "[therapy]\nroute = intralesional\nsource = umbilical_chord\n");
  const char *m = load_fails(p, 0, NULL, CHS_ERR_CONFIG);
  has(m, at(p, 3));
  has(m, "therapy.source = 'umbilical_chord'");
  has(m, "did you mean 'umbilical_cord'");

  /* too far for a suggestion: the message lists what there is */
  p = write_file("source2.ini", "[therapy]\nsource = cord\n");
  m = load_fails(p, 0, NULL, CHS_ERR_CONFIG);
  has(m, at(p, 2));
  has(m, "sources/cord.ini");
  has(m, "umbilical_cord");
  has(m, "bone_marrow");

  m = load_fails(NULL, SETS("therapy.source=adipse"), CHS_ERR_CONFIG);
  has(m, "--set therapy.source=adipse");
  has(m, "did you mean 'adipose'");
}

Test(config, bad_bool)
{
  const char *m = load_fails(NULL, SETS("source.allogeneic=maybe"), CHS_ERR_CONFIG);
  has(m, "--set source.allogeneic=maybe");
  has(m, "source.allogeneic = 'maybe' is not allowed");
  has(m, "allowed: true, false");

  const char *p = write_file("bool.ini", "[source]\nallogeneic = yes\n");
  chs_error_clear();
  cr_assert_eq(chs_config_load(&g_cfg, p, NULL, 0, NULL), CHS_OK, "%s", chs_error_message());
  cr_expect(g_cfg.source_allogeneic, "'yes' is true");
}

Test(config, list_entry_out_of_range_or_not_a_number)
{
  const char *p = write_file("list.ini", "[output]\ntimes = 0 10 -5 20\n");
  const char *m = load_fails(p, 0, NULL, CHS_ERR_CONFIG);
  has(m, at(p, 2));
  has(m, "output.times");
  has(m, "entry -5 is out of range");
  has(m, "allowed 0 to 36500");

  m = load_fails(NULL, SETS("output.times=0 10 x1"), CHS_ERR_CONFIG);
  has(m, "output.times: 'x1' is not a number");
}

/* ------------------------------------------------------------ errors: consistency */

Test(config, output_times_after_the_end_dropped_and_the_end_added)
{
  /* default times (0 14 42 56 90 180 ...) with a shorter run: a short trial just works */
  cr_assert_eq(chs_config_load(&g_cfg, NULL, NULL, SETS("run.end_time=100")), CHS_OK, "%s",
               chs_error_message());
  const double want[] = {0, 14, 42, 56, 90, 100};
  cr_assert_eq(g_cfg.output_times.n, 6);
  for (int k = 0; k < 6; k++) cr_expect_eq(g_cfg.output_times.v[k], want[k]);

  const char *p = write_file("late.ini", "[run]\nend_time = 50\n[output]\ntimes = 0 25 50 75\n");
  cr_assert_eq(chs_config_load(&g_cfg, p, NULL, 0, NULL), CHS_OK, "%s", chs_error_message());
  cr_assert_eq(g_cfg.output_times.n, 3, "0 25 50: the end listed once");
  cr_expect_eq(g_cfg.output_times.v[2], 50.0);

  /* order is still checked before anything is dropped */
  const char *m = load_fails(NULL, SETS("run.end_time=50", "output.times=0 60 10"), CHS_ERR_CONFIG);
  has(m, "output.times must increase (10 follows 60)");
}

Test(config, output_times_must_increase)
{
  const char *p = write_file("order.ini", "[output]\ntimes = 0 20 10 30\n");
  const char *m = load_fails(p, 0, NULL, CHS_ERR_CONFIG);
  has(m, at(p, 2));
  has(m, "output.times must increase (10 follows 20)");

  m = load_fails(NULL, SETS("output.times=0 5 5"), CHS_ERR_CONFIG);
  has(m, "--set output.times=0 5 5");
  has(m, "must increase (5 follows 5)");
}

Test(config, ny_must_be_one_in_2d)
{
  const char *p = write_file("ny.ini", "[grid]\ngeometry = cartesian2d\nny = 2\n");
  const char *m = load_fails(p, 0, NULL, CHS_ERR_CONFIG);
  has(m, at(p, 3));
  has(m, "grid.ny = 2");
  has(m, "cartesian2d is 2D");
  has(m, "allowed: 1");

  /* the same ny is fine in 3D */
  chs_error_clear();
  cr_expect_eq(chs_config_load(&g_cfg, NULL, NULL, SETS("grid.geometry=cartesian3d", "grid.ny=2")),
               CHS_OK, "%s", chs_error_message());
}

Test(config, lesion_must_fit_the_domain)
{
  const char *p = write_file("fit.ini", "[lesion]\nradius = 12\n");
  const char *m = load_fails(p, 0, NULL, CHS_ERR_CONFIG);
  has(m, at(p, 2));
  has(m, "lesion.radius = 12");
  has(m, "does not fit the domain");
  has(m, "grid.width = 10");

  /* cartesian: the lesion is centred, half the width each side; an off-centre lesion
   * that sticks out is refused, one that touches the edge is accepted */
  m = load_fails(NULL, SETS("grid.geometry=cartesian2d", "lesion.radius=3", "lesion.center_x=2.5"),
                 CHS_ERR_CONFIG);
  has(m, "does not fit the domain");
  has(m, "allowed: radius + |center_x| <= 5");
  chs_error_clear();
  cr_expect_eq(chs_config_load(&g_cfg, NULL, NULL,
                               SETS("grid.geometry=cartesian2d", "lesion.radius=3",
                                    "lesion.center_x=-2")),
               CHS_OK, "%s", chs_error_message());
}

/* ------------------------------------------------------------ errors: files and usage */

Test(config, missing_config_file_names_the_path)
{
  char p[512];
  snprintf(p, sizeof p, "%s/no_such_config.ini", g_tmp);
  const char *m = load_fails(p, 0, NULL, CHS_ERR_CONFIG);
  has(m, p);
  has(m, "cannot open");
}

Test(config, unparsable_line_reports_its_number)
{
  const char *p = write_file("junk.ini", "[grid]\nnx = 40\n\nthis line has no equals sign\nnz = 3\n");
  const char *m = load_fails(p, 0, NULL, CHS_ERR_CONFIG);
  has(m, at(p, 4));
  has(m, "cannot parse this line");

  p = write_file("section.ini", "[grid]\nnx = 40\n[patient\nage = 3\n");
  m = load_fails(p, 0, NULL, CHS_ERR_CONFIG);
  has(m, at(p, 3));
  has(m, "cannot parse this line");
}

/* A line over the parser's 200-character limit (here a long comment on line 2) must be
 * refused as that line. The parser reads it in 199-character pieces: the rest of the
 * line must not become a line of its own, let alone (starting with a blank) a
 * continuation that silently replaces the key's value. */
Test(config, overlong_line_is_refused_as_its_own_line)
{
  char text[600] = "[grid]\nnx = 40 ; ";
  for (int k = 0; k < 40; k++) strcat(text, "note ");
  strcat(text, "\nnz = 30\n[patient]\nage = 30\n");
  const char *p = write_file("long.ini", text);
  const char *m = load_fails(p, 0, NULL, CHS_ERR_CONFIG);
  has(m, at(p, 2));
  has(m, "longer than 198 characters"); /* fgets(200) keeps 198 + newline */

  /* the piece after character 199 is " 60": must not load as grid.nx = 60 */
  char text2[600] = "[grid]\nnx = 40 ; ";
  for (int k = 0; k < 189; k++) strcat(text2, "x");
  strcat(text2, " 60\nnz = 30\n");
  p = write_file("long2.ini", text2);
  chs_error_clear();
  chs_status st = chs_config_load(&g_cfg, p, NULL, 0, NULL);
  cr_expect_neq(st, CHS_OK, "an overlong comment was accepted: grid.nx = %d (origin %s)",
                g_cfg.grid_nx, g_cfg.origin[chs_param_index("grid.nx")]);
  has(chs_error_message(), at(p, 2));
}

Test(config, set_without_equals_sign)
{
  const char *m = load_fails(NULL, SETS("grid.nx"), CHS_ERR_USAGE);
  has(m, "--set 'grid.nx'");
  has(m, "expected section.key=value");

  m = load_fails(NULL, SETS("=5"), CHS_ERR_USAGE);
  has(m, "--set '=5'");
}

/* Copies src to dst line by line, leaving out lines that start with `drop` (if any);
 * returns how many lines were left out. */
static int copy_file(const char *src, const char *dst, const char *drop)
{
  FILE *in = fopen(src, "r");
  cr_assert_not_null(in, "cannot read %s", src);
  FILE *out = fopen(dst, "w");
  cr_assert_not_null(out, "cannot write %s", dst);
  remember(dst);
  char line[1024];
  int dropped = 0;
  while (fgets(line, sizeof line, in)) {
    if (drop && !strncmp(line, drop, strlen(drop))) {
      dropped++;
      continue;
    }
    fputs(line, out);
  }
  fclose(in);
  fclose(out);
  return dropped;
}

/* A private copy of the repository's models dir: base.ini without lines starting with
 * `drop`, and (if with_data) every sub-folder's *.ini (sources/, carriers/, ...). */
static const char *copy_models(const char *name, const char *drop, bool with_data)
{
  const char *from = chs_config_default_models_dir();
  const char *dir = tmp_dir(name);
  char src[CHS_PATH_MAX + 300], dst[1024];
  snprintf(src, sizeof src, "%s/base.ini", from);
  snprintf(dst, sizeof dst, "%s/base.ini", dir);
  int dropped = copy_file(src, dst, drop);
  if (drop) cr_assert_eq(dropped, 1, "'%s' not found once in %s", drop, src);
  if (!with_data) return dir;
  DIR *top = opendir(from);
  cr_assert_not_null(top, "cannot list %s", from);
  struct dirent *e;
  while ((e = readdir(top))) {
    if (e->d_name[0] == '.') continue;
    char sub[CHS_PATH_MAX + 300];
    snprintf(sub, sizeof sub, "%s/%s", from, e->d_name);
    DIR *d = opendir(sub);
    if (!d) continue; /* a file */
    char sub_dst[1024];
    snprintf(sub_dst, sizeof sub_dst, "%s/%s", dir, e->d_name);
    cr_assert_eq(mkdir(sub_dst, 0755), 0);
    remember(sub_dst);
    struct dirent *f;
    while ((f = readdir(d))) {
      size_t n = strlen(f->d_name);
      if (n < 5 || strcmp(f->d_name + n - 4, ".ini")) continue;
      cr_assert_lt(snprintf(src, sizeof src, "%s/%s", sub, f->d_name), (int)sizeof src);
      cr_assert_lt(snprintf(dst, sizeof dst, "%s/%s", sub_dst, f->d_name), (int)sizeof dst);
      copy_file(src, dst, NULL);
    }
    closedir(d);
  }
  closedir(top);
  return dir;
}

/* A models dir whose base.ini lacks a model parameter: the message names the key and
 * the base.ini that should hold it. */
Test(config, model_parameter_missing_from_models_dir)
{
  const char *dir = copy_models("models", "s_star", true); /* [msc] s_star */

  /* with the key given by --set, the copy is complete: the failure below is the key */
  chs_error_clear();
  cr_assert_eq(chs_config_load(&g_cfg, NULL, dir, SETS("msc.s_star=2e4")), CHS_OK,
               "the models copy is incomplete: %s", chs_error_message());
  cr_expect_str_eq(g_cfg.models_dir, dir);

  chs_error_clear();
  cr_assert_eq(chs_config_load(&g_cfg, NULL, dir, 0, NULL), CHS_ERR_CONFIG);
  const char *m = chs_error_message();
  char want[700];
  snprintf(want, sizeof want, "%s/base.ini", dir);
  has(m, "msc.s_star has no value");
  has(m, want);
}

/* A models dir without the default source file: the message names the missing path. */
Test(config, missing_source_file_names_the_path)
{
  const char *dir = copy_models("models", NULL, false);
  chs_error_clear();
  cr_assert_eq(chs_config_load(&g_cfg, NULL, dir, 0, NULL), CHS_ERR_CONFIG);
  char want[700];
  snprintf(want, sizeof want, "%s/sources/bone_marrow.ini", dir);
  has(chs_error_message(), want);
}

/* ------------------------------------------------------------ to_text */

static void expect_same_config(chs_config *a, chs_config *b)
{
  const chs_param *t = chs_param_table();
  for (int i = 0; i < CHS_NPARAMS; i++) {
    const chs_param *p = &t[i];
    void *fa = field_of(a, p), *fb = field_of(b, p);
    switch (p->type) {
    case CHS_PT_REAL:
      cr_expect_eq(*(double *)fa, *(double *)fb, "%s: %.17g != %.17g", p->key, *(double *)fa,
                   *(double *)fb);
      break;
    case CHS_PT_INT:
    case CHS_PT_ENUM:
      cr_expect_eq(*(int *)fa, *(int *)fb, "%s: %d != %d", p->key, *(int *)fa, *(int *)fb);
      break;
    case CHS_PT_STRING:
      cr_expect_str_eq((char *)fa, (char *)fb, "%s", p->key);
      break;
    case CHS_PT_BOOL:
      cr_expect_eq(*(bool *)fa, *(bool *)fb, "%s", p->key);
      break;
    case CHS_PT_LIST: {
      const chs_real_list *la = fa, *lb = fb;
      cr_expect_eq(la->n, lb->n, "%s: %d != %d entries", p->key, la->n, lb->n);
      for (int k = 0; k < la->n && k < lb->n; k++)
        cr_expect_eq(la->v[k], lb->v[k], "%s[%d]: %.17g != %.17g", p->key, k, la->v[k], lb->v[k]);
      break;
    }
    }
  }
}

/* Writes cfg's text as a run config and loads it back (same models dir, no --set). */
static void round_trip(chs_config *cfg, chs_config *back, const char *name)
{
  char *text = chs_config_to_text(cfg);
  cr_assert_not_null(text);
  const char *p = write_file(name, text);
  chs_error_clear();
  chs_status st = chs_config_load(back, p, cfg->models_dir, 0, NULL);
  cr_assert_eq(st, CHS_OK, "reloading the text of a valid config failed: %s\n--- text:\n%s",
               chs_error_message(), text);
  free(text);
  /* every key now comes from the written file */
  for (int i = 0; i < CHS_NPARAMS; i++)
    cr_expect(strstr(back->origin[i], p) == back->origin[i], "%s origin '%s'",
              chs_param_table()[i].key, back->origin[i]);
  expect_same_config(cfg, back);
}

Test(config, to_text_round_trips)
{
  /* values away from the defaults, some not exactly representable in decimal */
  chs_test_config(&g_cfg, "configs/default.ini",
                  (const char *[]){"therapy.source=umbilical_cord", "grid.nx=37",
                                   "msc.D=0.0031415926535897931", "patient.age=47.3",
                                   "lesion.shape=ellipsoid", "run.name=round trip",
                                   "output.dir=out/dir", "output.times=0 7 30.5 100.1",
                                   "solver.atol=1.2345678901234567e-9", NULL});
  cr_assert_eq(g_cfg.msc_D, 0.0031415926535897931);
  char *text = chs_config_to_text(&g_cfg);
  cr_assert_not_null(text);
  has(text, "[grid]");
  has(text, "nx = 37");
  has(text, "--set grid.nx=37"); /* the origin is written beside the value */
  free(text);
  round_trip(&g_cfg, &g_cfg2, "rt.ini");
  cr_expect_str_eq(g_cfg2.run_name, "round trip");
  cr_expect_str_eq(g_cfg2.therapy_source, "umbilical_cord");
}

/* A monthly output schedule over two years given with --set: the value and the origin
 * comment together make a long line; the text must still load. */
Test(config, to_text_round_trips_a_long_list)
{
  char set[400] = "output.times=";
  for (int d = 0; d <= 720; d += 30) {
    char num[16];
    snprintf(num, sizeof num, "%s%d", d ? " " : "", d);
    strcat(set, num);
  }
  chs_test_config(&g_cfg, "configs/default.ini", (const char *[]){set, NULL});
  cr_assert_eq(g_cfg.output_times.n, 26); /* 0..720 and the end, day 730, appended */
  round_trip(&g_cfg, &g_cfg2, "rt_long.ini");
}

/* ------------------------------------------------------------ edit distance */

Test(config, edit_distance)
{
  cr_expect_eq(chs_edit_distance("", ""), 0);
  cr_expect_eq(chs_edit_distance("abc", ""), 3);
  cr_expect_eq(chs_edit_distance("", "abcd"), 4);
  cr_expect_eq(chs_edit_distance("kitten", "sitting"), 3);
  cr_expect_eq(chs_edit_distance("sitting", "kitten"), 3, "symmetric");
  cr_expect_eq(chs_edit_distance("flaw", "lawn"), 2);
  cr_expect_eq(chs_edit_distance("grid.nxx", "grid.nx"), 1, "one insertion");
  cr_expect_eq(chs_edit_distance("grid.xn", "grid.nx"), 2, "a swap is two edits");
  cr_expect_eq(chs_edit_distance("axisymetric", "axisymmetric"), 1);
  cr_expect_eq(chs_edit_distance("Grid.NX", "grid.nx"), 0, "case-insensitive");
  cr_expect_eq(chs_edit_distance("msc.D", "msc.D"), 0);
  char longer[200];
  memset(longer, 'a', sizeof longer - 1);
  longer[sizeof longer - 1] = '\0';
  cr_expect_geq(chs_edit_distance(longer, "a"), 128, "overlong strings are 'far'");
}

/* ------------------------------------------------------------ model v2 keys and products */

/* The v2 keys parse from a run config (file:line recorded) and from --set. */
Test(config, v2_keys_parse)
{
  const char *p = write_file("v2.ini",
                             "[patient]\nkl_grade = kl3\nmech = 1.4\nbml = 0.3\nV_sf = 24\n"
                             "[therapy]\nroute = intralesional\ncomponents = msc chondrocyte\n"
                             "fractions = 0.25 0.75\ndonors = allogeneic autologous\n"
                             "routes = intralesional intralesional\n"
                             "[mechanisms]\nimmune = false\nlatent_gf = false\nbone = false\n"
                             "[init]\ngrowth_factor = 0.5\ncytokine = 1.5\n");
  chs_error_clear();
  cr_assert_eq(chs_config_load(&g_cfg, p, NULL, SETS("mechanisms.trophic=false", "init.oxygen=0.04")),
               CHS_OK, "%s", chs_error_message());
  cr_expect_float_eq(g_cfg.patient_mech, 1.4, 1e-15);
  cr_expect_float_eq(g_cfg.patient_bml, 0.3, 1e-15);
  cr_expect_float_eq(g_cfg.patient_V_sf, 24.0, 1e-15);
  cr_expect_str_eq(g_cfg.therapy_components, "msc chondrocyte");
  cr_expect_eq(g_cfg.therapy_fractions.n, 2);
  cr_expect_float_eq(g_cfg.therapy_fractions.v[1], 0.75, 1e-15);
  cr_expect(!g_cfg.mechanisms_immune && !g_cfg.mechanisms_latent_gf && !g_cfg.mechanisms_bone &&
            !g_cfg.mechanisms_trophic);
  cr_expect(g_cfg.mechanisms_synovitis && g_cfg.mechanisms_catabolic_switch, "untouched switches stay on");
  cr_expect_float_eq(g_cfg.init_growth_factor, 0.5, 1e-15);
  cr_expect_float_eq(g_cfg.init_cytokine, 1.5, 1e-15);
  cr_expect_float_eq(g_cfg.init_oxygen, 0.04, 1e-15);
  cr_expect_str_eq(g_cfg.origin[chs_param_index("patient.mech")], at(p, 3));
  cr_expect_str_eq(g_cfg.origin[chs_param_index("therapy.fractions")], at(p, 9));
  chs_composition prod;
  cr_assert_eq(chs_composition_parse(&g_cfg, &prod), CHS_OK, "%s", chs_error_message());
  cr_expect_eq(prod.n, 2);
  cr_expect_eq(prod.msc, 0);
  cr_expect(prod.msc_allogeneic);
  cr_expect_eq(prod.c[1].type, CHS_COMP_CHONDROCYTE);
  cr_expect(!prod.c[1].allogeneic);
  cr_expect_float_eq(prod.c[1].fraction, 0.75, 1e-15);

  /* the default product: one autologous MSC component, all of the dose */
  chs_error_clear();
  cr_assert_eq(chs_config_load(&g_cfg, NULL, NULL, 0, NULL), CHS_OK, "%s", chs_error_message());
  cr_assert_eq(chs_composition_parse(&g_cfg, &prod), CHS_OK, "%s", chs_error_message());
  cr_expect_eq(prod.n, 1);
  cr_expect_eq(prod.c[0].type, CHS_COMP_MSC);
  cr_expect_float_eq(prod.c[0].fraction, 1.0, 1e-15);
}

/* Loads `text` as a run config and expects the product to be refused; returns the message. */
static const char *product_fails(const char *name, const char *text, const char **path)
{
  /* The loader itself refuses the product (so `chondrosim check` does too, exit 3). */
  *path = write_file(name, text);
  return load_fails(*path, 0, NULL, CHS_ERR_CONFIG);
}

Test(config, product_fractions_must_sum_to_one)
{
  const char *p;
  const char *m = product_fails("frac.ini", "[therapy]\ncomponents = msc chondrocyte\nfractions = 0.6 0.3\n", &p);
  has(m, at(p, 3));
  has(m, "therapy.fractions");
  has(m, "sum to 0.9");
  has(m, "must sum to 1");
  m = product_fails("frac_n.ini", "[therapy]\ncomponents = msc chondrocyte\nfractions = 1\n", &p);
  has(m, at(p, 3));
  has(m, "therapy.fractions has 1 values but therapy.components has 2");
}

Test(config, product_unknown_component)
{
  const char *p;
  const char *m = product_fails("comp.ini", "[therapy]\ncomponents = msc fibroblast\nfractions = 0.5 0.5\n", &p);
  has(m, at(p, 2));
  has(m, "therapy.components");
  has(m, "unknown component 'fibroblast'");
  has(m, "allowed: msc, chondrocyte, chondron");
}

Test(config, product_donor_the_source_does_not_allow)
{
  const char *p;
  const char *m = product_fails("donor.ini", "[therapy]\nsource = umbilical_cord\ndonors = autologous\n", &p);
  has(m, at(p, 3));
  has(m, "therapy.donors");
  has(m, "umbilical_cord");
  has(m, "allowed: allogeneic");
  m = product_fails("donor_word.ini", "[therapy]\ndonors = stranger\n", &p);
  has(m, at(p, 2));
  has(m, "'stranger' is not a donor");
}

Test(config, product_chondrocytes_cannot_go_intra_articular)
{
  const char *p;
  const char *m = product_fails("route.ini",
                                "[therapy]\nroute = intra_articular\ncomponents = msc chondrocyte\n"
                                "fractions = 0.5 0.5\n", &p);
  has(m, at(p, 2));
  has(m, "therapy.route:");
  has(m, "chondrocyte component");
  has(m, "allowed route: intralesional");
  has(m, "got intra_articular");
  m = product_fails("routes.ini",
                    "[therapy]\nroute = intralesional\ncomponents = msc chondrocyte\nfractions = 0.5 0.5\n"
                    "routes = intralesional intra_articular\n", &p);
  has(m, at(p, 5));
  has(m, "therapy.routes");
}

/* No net in-vivo expansion: msc.r_s at or above msc.delta is refused at load. */
Test(config, msc_growth_must_stay_below_death)
{
  const char *m = load_fails(NULL, SETS("msc.r_s=0.5", "msc.delta=0.5"), CHS_ERR_CONFIG);
  has(m, "msc.r_s = 0.5 must stay below msc.delta = 0.5");
  has(m, "--set msc.r_s=0.5");
  const char *p = write_file("rs.ini", "[msc]\nr_s = 2\n");
  m = load_fails(p, 0, NULL, CHS_ERR_CONFIG);
  has(m, at(p, 2));
  has(m, "msc.r_s");
}

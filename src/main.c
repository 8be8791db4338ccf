/* chondrosim: the command line. Parses the subcommand, builds the configuration and hands
 * it to the run driver; the only place that turns a status into an exit code. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chs_buildinfo.h"
#include "config/config.h"
#include "core/datadir.h"
#include "core/fsutil.h"
#include "grid/grid.h"
#include "core/log.h"
#include "core/threads.h"
#include "core/status.h"
#include "io/output.h"
#include "par/par.h"
#include "run/checkpoint.h"
#include "run/memory.h"
#include "run/simulation.h"
#include "solve/integrator.h"
#include "study/study.h"
#include "study/sweep.h"
#include "study/uq.h"
#include "study/uq_inputs.h"

static const char *usage_main =
    "usage: chondrosim <command> [options]\n"
    "\n"
    "Simulates cartilage repair after mesenchymal stem cell therapy.\n"
    "\n"
    "commands:\n"
    "  run CONFIG     run a scenario, writing results/<run>/\n"
    "  check CONFIG   validate a scenario (all layers and --set) without running it\n"
    "  info           version, libraries; --params lists every configuration key\n"
    "  compare STUDY  run a matrix of scenarios side by side and rank them\n"
    "  sweep SWEEP    run a parameter sweep locally, or write its Slurm job array\n"
    "  validate       run the validation targets (configs/validation/) and report\n"
    "  uq STUDY       compare scenarios under parameter uncertainty and a virtual cohort\n"
    "\n"
    "`chondrosim <command> --help` describes a command. Exit codes:\n"
    "  0 success, 2 bad command line, 3 invalid configuration, 4 file or HDF5 error,\n"
    "  5 time integration failed, 6 out of memory, 7 MPI failure, 8 internal error,\n"
    "  9 stopped by a signal.\n";

static const char *usage_run =
    "usage: chondrosim run CONFIG [--set section.key=value]... [--out DIR] [--models DIR]\n"
    "                      [--restart CHECKPOINT] [--checkpoint-every-wall DURATION]\n"
    "                      [--quiet] [--dry-run]\n"
    "\n"
    "Runs the scenario in CONFIG (an INI file) and writes results/<run>/<run>.h5, the\n"
    "ParaView sidecar <run>.xdmf, summary.csv and config.ini.\n"
    "  --set k=v     override one key (repeatable; after every file)\n"
    "  --out DIR     write under DIR instead of output.dir\n"
    "  --models DIR  parameter files (default: $CHONDROSIM_MODELS or the source tree's models/)\n"
    "  --quiet       no progress lines on stderr\n"
    "  --dry-run     print the effective configuration and stop\n"
    "  --restart CHECKPOINT  continue from a checkpoint (<run>.chk.h5), appending to the\n"
    "                same output; the model must be unchanged (run.*, output.*, checkpoint.*\n"
    "                and solver.* may change, e.g. --set run.end_time=...)\n"
    "  --checkpoint-every-wall DURATION  also checkpoint every DURATION of wall time\n"
    "                (90s, 30m, 1.5h); checkpoint.every sets a simulated-time interval\n"
    "Checkpoints go to <run>.chk.h5 (replaced atomically). On SIGTERM or SIGUSR1 the run\n"
    "writes one after the current step and stops with exit code 9.\n"
    "Under MPI: mpirun -n N chondrosim run CONFIG (threads per rank: OMP_NUM_THREADS).\n";

static const char *usage_check =
    "usage: chondrosim check CONFIG [--set section.key=value]... [--models DIR]\n"
    "\n"
    "Builds the configuration exactly as `run` would and reports the first problem with its\n"
    "file, line, key, value and allowed range. Exit 0 if the scenario is valid.\n";

static const char *usage_info =
    "usage: chondrosim info [--params [--json]] [--priors] [--models DIR]\n"
    "\n"
    "Prints the version and library versions; --params lists every configuration key with\n"
    "its type, default, allowed range, unit and meaning (--json: as a JSON array); --priors\n"
    "checks models/priors.ini and lists every prior (distribution, the base.ini value,\n"
    "evidence) and the [G]-tagged keys of models/base.ini that have none.\n";

typedef struct {
  const char *config;
  const char *out_dir, *models_dir;
  const char *restart, *checkpoint_wall;
  const char **sets;
  int nset;
  int quiet, dry_run, help, params, json, priors;
} cli;

static chs_status parse_args(int argc, char **argv, int first, cli *c, int want_config)
{
  c->sets = calloc((size_t)argc, sizeof(char *));
  if (!c->sets) return chs_error(CHS_ERR_NOMEM, "out of memory");
  for (int i = first; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h"))
      c->help = 1;
    else if (!strcmp(a, "--quiet") || !strcmp(a, "-q"))
      c->quiet = 1;
    else if (!strcmp(a, "--dry-run"))
      c->dry_run = 1;
    else if (!strcmp(a, "--params"))
      c->params = 1;
    else if (!strcmp(a, "--json"))
      c->json = 1;
    else if (!strcmp(a, "--priors"))
      c->priors = 1;
    else if (!strcmp(a, "--restart") || !strcmp(a, "--checkpoint-every-wall")) {
      if (i + 1 >= argc) return chs_error(CHS_ERR_USAGE, "%s needs a value", a);
      *(!strcmp(a, "--restart") ? &c->restart : &c->checkpoint_wall) = argv[++i];
    } else if (!strcmp(a, "--set") || !strcmp(a, "--out") || !strcmp(a, "--models")) {
      if (i + 1 >= argc) return chs_error(CHS_ERR_USAGE, "%s needs a value", a);
      const char *v = argv[++i];
      if (!strcmp(a, "--set"))
        c->sets[c->nset++] = v;
      else if (!strcmp(a, "--out")) {
        if (!*v) return chs_error(CHS_ERR_USAGE, "--out '': name a directory (e.g. --out results)");
        c->out_dir = v;
      }
      else
        c->models_dir = v;
    } else if (!strncmp(a, "--set=", 6))
      c->sets[c->nset++] = a + 6;
    else if (a[0] == '-')
      return chs_error(CHS_ERR_USAGE, "unknown option '%s' (try --help)", a);
    else if (want_config && !c->config)
      c->config = a;
    else
      return chs_error(CHS_ERR_USAGE, "unexpected argument '%s' (try --help)", a);
  }
  if (want_config && !c->config && !c->help)
    return chs_error(CHS_ERR_USAGE, "missing CONFIG file (try --help)");
  return CHS_OK;
}

static char *join_args(int argc, char **argv)
{
  size_t len = 1;
  for (int i = 0; i < argc; i++) len += strlen(argv[i]) + 1;
  char *s = malloc(len);
  if (!s) return NULL;
  s[0] = '\0';
  for (int i = 0; i < argc; i++) {
    strcat(s, argv[i]);
    if (i + 1 < argc) strcat(s, " ");
  }
  return s;
}

static chs_status cmd_info(cli *c)
{
  if (c->help) {
    fputs(usage_info, stdout);
    return CHS_OK;
  }
  if (chs_par_world_rank() != 0) return CHS_OK;
  if (c->params) {
    if (c->json)
      chs_config_print_table_json(stdout);
    else
      chs_config_print_table(stdout);
    return CHS_OK;
  }
  if (c->priors) {
    const char *models = c->models_dir ? c->models_dir : chs_config_default_models_dir();
    char path[CHS_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/priors.ini", models);
    chs_dist_set priors;
    CHS_CHECK(chs_priors_read(path, &priors));
    chs_priors_print(stdout, &priors, models);
    chs_dist_set_free(&priors);
    return CHS_OK;
  }
  printf("chondrosim %s (%s), %s build, %s\n", CHS_VERSION, CHS_GIT_REVISION, CHS_BUILD_TYPE,
         CHS_COMPILER);
  printf("SUNDIALS %s, HDF5 %s, %s\n", chs_integrator_sundials_version(), chs_output_hdf5_version(),
         chs_par_library_version());
  printf("models directory: %s\n", chs_config_default_models_dir());
  return CHS_OK;
}

static chs_status cmd_check(cli *c, chs_config *cfg)
{
  if (c->help) {
    fputs(usage_check, stdout);
    return CHS_OK;
  }
  CHS_CHECK(chs_config_load(cfg, c->config, c->models_dir, c->nset, c->sets));
  /* What `run` would refuse after the configuration: an unreadable or empty mask, a grid
   * that cannot fit in this machine's memory. */
  if (cfg->lesion_shape == CHS_LESION_MASK) {
    int gn[3] = {cfg->grid_nx, cfg->grid_geometry == CHS_GEOM_CARTESIAN3D ? cfg->grid_ny : 1,
                 cfg->grid_nz};
    int is3d = cfg->grid_geometry == CHS_GEOM_CARTESIAN3D;
    double h[3] = {cfg->grid_width / gn[0], is3d ? cfg->grid_length / gn[1] : cfg->grid_width / gn[0],
                   cfg->tissue_thickness / gn[2]}; /* as chs_grid_create sets them */
    int lo[3] = {0, 0, 0};
    long marked;
    CHS_CHECK(chs_mask_read(cfg->lesion_mask_file, cfg->grid_geometry, gn, h, lo, gn, NULL, &marked));
    chs_log(CHS_LOG_INFO, "lesion.mask_file = %s: %ld of %ld cells marked as lesion",
            cfg->lesion_mask_file, marked, (long)gn[0] * gn[1] * gn[2]);
  }
  double need = chs_memory_cells(cfg) * chs_memory_per_cell(cfg);
  CHS_CHECK(chs_memory_check(cfg, need, chs_available_memory(), "this machine"));
  chs_log(CHS_LOG_INFO, "%s: valid (run name '%s', %s, %d x %d x %d cells, %g days, about %.3g MiB "
          "of memory)", c->config, cfg->run_name,
          chs_config_enum_name("grid.geometry", cfg->grid_geometry), cfg->grid_nx, cfg->grid_ny,
          cfg->grid_nz, cfg->run_end_time, need / 1048576.0);
  return CHS_OK;
}

static chs_status cmd_run(cli *c, chs_config *cfg, const char *cmdline)
{
  if (c->help) {
    fputs(usage_run, stdout);
    return CHS_OK;
  }
  CHS_CHECK(chs_config_load(cfg, c->config, c->models_dir, c->nset, c->sets));
  if (c->dry_run) {
    if (chs_par_world_rank() == 0) {
      char *text = chs_config_to_text(cfg);
      if (!text) return chs_error(CHS_ERR_NOMEM, "out of memory");
      fputs(text, stdout);
      free(text);
    }
    return CHS_OK;
  }
  chs_run_options opt = {.out_dir = c->out_dir, .quiet = c->quiet != 0, .command_line = cmdline,
                         .restart = c->restart};
  if (c->checkpoint_wall) CHS_CHECK(chs_parse_duration(c->checkpoint_wall, &opt.checkpoint_wall));
  chs_run_result res;
  CHS_CHECK(chs_simulation_run(cfg, &opt, &res));
  if (chs_par_world_rank() == 0 && !c->quiet) {
    const chs_solver_stats *s = &res.stats;
    printf("run %s finished: %g days in %.2f s wall (%d rank(s) x %d thread(s), %ld cells)\n",
           cfg->run_name, res.end_day, res.wall_time, res.ranks, res.threads, res.cells);
    printf("  steps %ld, rhs evals %ld, Newton iters %ld (fails %ld), GMRES iters %ld (fails %ld),\n"
           "  preconditioner setups %ld, solves %ld, error-test fails %ld, restarts %ld\n",
           s->steps, s->rhs_evals, s->newton_iters, s->newton_fails, s->krylov_iters,
           s->krylov_fails, s->linear_setups, s->prec_solves, s->error_test_fails, s->restarts);
    printf("  results: %s/%s.h5, %s.xdmf (open in ParaView), summary.csv\n", res.run_dir,
           cfg->run_name, cfg->run_name);
  }
  return CHS_OK;
}

/* ---- compare and sweep: studies of many runs (src/study/) */

static const char *usage_compare =
    "usage: chondrosim compare STUDY.ini [--out DIR] [--groups G] [--models DIR] [--quiet]\n"
    "                          [--no-plot]\n"
    "\n"
    "Runs every scenario of the study's [matrix] (the cartesian product of its value lists over\n"
    "the [study] base config, plus the fixed [set] overrides) into results/<study>/<scenario>/,\n"
    "then writes results/<study>/comparison.csv (one row per scenario: its values, status and\n"
    "every summary.csv column) and prints the scenarios ranked by [study] rank_by. The whole\n"
    "matrix is validated before anything runs. A failed scenario does not stop the others; the\n"
    "exit code is then non-zero. comparison.png is drawn by scripts/plot_compare.py if present.\n"
    "  --out DIR     results root instead of the base config's output.dir\n"
    "  --groups G    run G scenarios at once, each on its own share of the MPI ranks\n"
    "                (default: one group per rank, at most one per scenario)\n"
    "  --no-plot     do not call scripts/plot_compare.py\n"
    "Under MPI: mpirun -n 8 chondrosim compare STUDY.ini --groups 4 (2 ranks per scenario).\n";

static const char *usage_sweep =
    "usage: chondrosim sweep SWEEP.ini [--jobs N] [--rows LIST] [--out DIR] [--models DIR]\n"
    "                        [--slurm] [--dry-run] [--quiet]\n"
    "\n"
    "Expands the sweep ([values] lists, range(lo, hi, n), logrange(lo, hi, n); [lhs] Latin\n"
    "hypercube samples with [sweep] seed) into results/<sweep>/manifest.csv and runs its rows\n"
    "into results/<sweep>/r0000/, r0001/, ... A row is done when its summary.csv exists: running\n"
    "again skips done rows and retries failed ones.\n"
    "  --jobs N      run N rows at once, each on its own share of the MPI ranks (default: one\n"
    "                per rank; N rows at once need at least N ranks: mpirun -n N ...)\n"
    "  --rows LIST   only these rows, e.g. 3, 0-7 or 1,4-6 (a Slurm array task runs one)\n"
    "  --slurm       run nothing: write results/<sweep>/sweep.sbatch (a job array over the rows\n"
    "                not done, throttled by [slurm] throttle), collect.sbatch (runs\n"
    "                scripts/aggregate.py after the array, afterany) and submit.sh\n"
    "  --dry-run     print the manifest and stop\n"
    "Afterwards /usr/bin/python3 scripts/aggregate.py results/<sweep> joins every row's summary\n"
    "into results/<sweep>/sweep.csv.\n"
    "External design: [sweep] design = rows.csv (instead of [lhs]; path relative to the sweep\n"
    "file) gives the samples as a CSV table: a header of config keys (section.key), then one\n"
    "line per sample with their values (checked like any override; errors name the CSV line).\n"
    "Every [values] grid point runs every design row, so rows = grid points x design rows.\n";

static const char *usage_uq =
    "usage: chondrosim uq STUDY.ini [--jobs N] [--out DIR] [--models DIR] [--slurm]\n"
    "                     [--dry-run] [--no-plot] [--quiet]\n"
    "\n"
    "Compares the scenarios of the study's [matrix] under uncertainty: every scenario runs the\n"
    "same N draws ([uq] draws, seed, sampler = sobol|lhs) of the model parameters' priors\n"
    "(models/priors.ini, [uq] vary) and of a virtual cohort (models/cohorts/<cohort>.ini), so\n"
    "the comparison is paired. The runs go through the sweep machinery (results/<study>/\n"
    "manifest.csv, r00000/, ...; done runs are skipped when the study runs again), then\n"
    "scripts/uq.py writes per-draw outcomes (outcomes.csv), median and 5-95 % (stats.csv) and bands over time\n"
    "(bands.csv, bands.png), P(A better than B) (pairwise.csv), P(ranks first)\n"
    "(rank_first.csv), Sobol indices with bootstrap intervals when [uq] sensitivity = sobol\n"
    "(sobol.csv, sobol.png) and report.txt.\n"
    "  --jobs N      run N runs at once, each on its own share of the MPI ranks\n"
    "  --slurm       write the job array (results/<study>/submit.sh) instead of running; run\n"
    "                `chondrosim uq STUDY.ini` again afterwards to analyse\n"
    "  --dry-run     validate the study, priors and cohort and print the plan\n"
    "  --no-plot     no PNG figures\n";

typedef struct {
  const char *file, *out_dir, *models_dir, *rows;
  int groups, jobs;
  int quiet, help, slurm, dry_run, no_plot;
} study_cli;

static chs_status positive_arg(const char *opt, const char *v, int *out)
{
  char *end;
  long n = strtol(v, &end, 10);
  if (end == v || *end || n < 1 || n > 1000000)
    return chs_error(CHS_ERR_USAGE, "%s %s: expected a whole number >= 1", opt, v);
  *out = (int)n;
  return CHS_OK;
}

/* Options of compare (sweep = 0), sweep (sweep = 1) and uq (sweep = 2). */
static chs_status parse_study_args(int argc, char **argv, int sweep, study_cli *c)
{
  memset(c, 0, sizeof *c);
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    int takes_value = !strcmp(a, "--out") || !strcmp(a, "--models") ||
                      (!sweep && !strcmp(a, "--groups")) ||
                      (sweep && !strcmp(a, "--jobs")) || (sweep == 1 && !strcmp(a, "--rows"));
    if (takes_value && i + 1 >= argc) return chs_error(CHS_ERR_USAGE, "%s needs a value", a);
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) c->help = 1;
    else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) c->quiet = 1;
    else if (!strcmp(a, "--out")) {
      c->out_dir = argv[++i];
      if (!*c->out_dir) return chs_error(CHS_ERR_USAGE, "--out '': name a directory (e.g. --out results)");
    }
    else if (!strcmp(a, "--models")) c->models_dir = argv[++i];
    else if (!sweep && !strcmp(a, "--groups")) CHS_CHECK(positive_arg(a, argv[++i], &c->groups));
    else if (sweep != 1 && !strcmp(a, "--no-plot")) c->no_plot = 1;
    else if (sweep && !strcmp(a, "--jobs")) CHS_CHECK(positive_arg(a, argv[++i], &c->jobs));
    else if (sweep == 1 && !strcmp(a, "--rows")) c->rows = argv[++i];
    else if (sweep && !strcmp(a, "--slurm")) c->slurm = 1;
    else if (sweep && !strcmp(a, "--dry-run")) c->dry_run = 1;
    else if (a[0] == '-') return chs_error(CHS_ERR_USAGE, "unknown option '%s' (try --help)", a);
    else if (!c->file) c->file = a;
    else return chs_error(CHS_ERR_USAGE, "unexpected argument '%s' (try --help)", a);
  }
  if (!c->file && !c->help)
    return chs_error(CHS_ERR_USAGE, "missing %s file (try --help)", sweep == 1 ? "SWEEP" : "STUDY");
  return CHS_OK;
}

static chs_status cmd_compare(int argc, char **argv, const char *cmdline)
{
  study_cli c;
  CHS_CHECK(parse_study_args(argc, argv, 0, &c));
  if (c.help) {
    if (chs_par_world_rank() == 0) fputs(usage_compare, stdout);
    return CHS_OK;
  }
  chs_compare_options opt = {.out_dir = c.out_dir, .models_dir = c.models_dir, .groups = c.groups,
                             .quiet = c.quiet != 0, .no_plot = c.no_plot != 0,
                             .command_line = cmdline};
  return chs_compare(c.file, &opt);
}

static chs_status cmd_sweep(int argc, char **argv, const char *cmdline)
{
  study_cli c;
  CHS_CHECK(parse_study_args(argc, argv, 1, &c));
  if (c.help) {
    if (chs_par_world_rank() == 0) fputs(usage_sweep, stdout);
    return CHS_OK;
  }
  chs_sweep_options opt = {.out_dir = c.out_dir, .models_dir = c.models_dir, .rows = c.rows,
                           .jobs = c.jobs, .slurm = c.slurm != 0, .dry_run = c.dry_run != 0,
                           .quiet = c.quiet != 0, .command_line = cmdline};
  return chs_sweep(c.file, &opt);
}

/* ---- validate: the validation suite (scripts/validate.py) */

static const char *usage_validate =
    "usage: chondrosim validate [--quick] [--only ID ...] [--jobs N] [--out DIR] [--strict]\n"
    "                           [--targets DIR] [--models DIR] [--no-plot]\n"
    "\n"
    "Runs every validation target (configs/validation/<ID>_<name>.ini: an observation, its\n"
    "source, the scenarios that reproduce it, the observable and its tolerance) with this\n"
    "engine, prints the table (id, type, source, value, tolerance, PASS/FAIL/SOFT-FAIL/NOT RUN)\n"
    "and writes DIR/validation.csv and DIR/validation.png (default DIR results/validation).\n"
    "  --quick      coarser grids, same tolerances (minutes)\n"
    "  --only ID..  only these targets, e.g. --only V10 V11\n"
    "  --jobs N     runs at once, one thread each (default 1)\n"
    "  --strict     a target this engine cannot run yet (NOT RUN) also fails\n"
    "Exit 0 when every hard target passes, 1 when one fails, 2 for a malformed target file.\n"
    "Needs /usr/bin/python3 with numpy, h5py, matplotlib; the script is found in\n"
    "$CHONDROSIM_SCRIPTS, else the scripts/ installed beside the binary.\n";

/* Where the Python scripts live: $CHONDROSIM_SCRIPTS, else next to the binary (datadir.h). */
static const char *scripts_dir(void)
{
  static char dir[CHS_PATH_MAX];
  if (chs_data_dir("scripts", "CHONDROSIM_SCRIPTS", dir, sizeof dir) != CHS_OK) return "scripts";
  return dir;
}

/* Replaces this process by python3 scripts/validate.py --engine <this binary> ARGS; the
 * script's exit code becomes chondrosim's. Returns only on --help or an error. Runs before
 * MPI is initialised (the script starts its own engine processes). */
static chs_status cmd_validate(int argc, char **argv)
{
  for (int i = 2; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(usage_validate, stdout);
      return CHS_OK;
    }
  static char self[4096], script[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0 || (size_t)n >= sizeof self - 1)
    return chs_error(CHS_ERR_IO, "cannot find this program's path (/proc/self/exe)");
  self[n] = '\0';
  if ((size_t)snprintf(script, sizeof script, "%s/validate.py", scripts_dir()) >= sizeof script ||
      access(script, R_OK) != 0)
    return chs_error(CHS_ERR_IO, "%s not found (set CHONDROSIM_SCRIPTS to the directory that "
                     "holds validate.py)", script);
  char **args = calloc((size_t)argc + 4, sizeof *args);
  if (!args) return chs_error(CHS_ERR_NOMEM, "out of memory");
  int k = 0;
  args[k++] = "/usr/bin/python3";
  args[k++] = script;
  args[k++] = "--engine";
  args[k++] = self;
  for (int i = 2; i < argc; i++) args[k++] = argv[i];
  args[k] = NULL;
  fflush(NULL);
  execv(args[0], args);
  chs_status st = chs_error(CHS_ERR_IO, "cannot run %s: %s", args[0], strerror(errno));
  free(args);
  return st;
}

static chs_status cmd_uq(int argc, char **argv, const char *cmdline)
{
  study_cli c;
  CHS_CHECK(parse_study_args(argc, argv, 2, &c));
  if (c.help) {
    if (chs_par_world_rank() == 0) fputs(usage_uq, stdout);
    return CHS_OK;
  }
  chs_uq_options opt = {.out_dir = c.out_dir, .models_dir = c.models_dir, .jobs = c.jobs,
                        .slurm = c.slurm != 0, .dry_run = c.dry_run != 0, .quiet = c.quiet != 0,
                        .no_plot = c.no_plot != 0, .command_line = cmdline};
  return chs_uq(c.file, &opt);
}

/* Threads per rank (OMP_NUM_THREADS, else SLURM_CPUS_PER_TASK, capped at the cores this
 * rank can use; see core/threads.h), logged unless --quiet. Collective over the world. */
static void setup_threads(int argc, char **argv)
{
  unsigned char mask[CHS_CPUMASK_BYTES];
  int cpus = chs_cpu_affinity(mask);
  int sharing = chs_par_node_sharing(mask, CHS_CPUMASK_BYTES);
  chs_thread_choice t = chs_threads_setup(cpus, sharing);
  int quiet = 0;
  for (int i = 2; i < argc; i++) quiet |= !strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q");
  if (t.oversubscribed)
    chs_log(CHS_LOG_WARN, "%d OpenMP threads per rank but only %d core(s) available to each: "
            "oversubscribed (%s)", t.threads, t.available, t.reason);
  else if (!quiet)
    chs_log(CHS_LOG_INFO, "threads per rank: %d (%s)", t.threads, t.reason);
}

int main(int argc, char **argv)
{
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    fputs(usage_main, argc < 2 ? stderr : stdout);
    return argc < 2 ? chs_status_exit_code(CHS_ERR_USAGE) : 0;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("chondrosim %s (%s)\n", CHS_VERSION, CHS_GIT_REVISION);
    return 0;
  }
  if (!strcmp(argv[1], "validate")) {
    chs_status vs = cmd_validate(argc, argv);
    if (vs != CHS_OK) fprintf(stderr, "chondrosim: error: %s\n", chs_error_message());
    return chs_status_exit_code(vs);
  }
  int runs = !strcmp(argv[1], "run") || !strcmp(argv[1], "compare") || !strcmp(argv[1], "sweep") ||
             !strcmp(argv[1], "uq");
  /* SIGTERM, SIGUSR1 and SIGINT are honoured from here on, MPI start-up and set-up
   * included: installed before MPI_Init, which can take a second or more under srun, so Slurm's
   * time-limit warning arriving then stops the run (exit 9) instead of killing the rank. */
  if (runs) chs_signals_install();
  chs_status st = chs_par_init(&argc, &argv);
  if (st != CHS_OK) {
    fprintf(stderr, "chondrosim: error: %s\n", chs_error_message());
    return chs_status_exit_code(st);
  }
  chs_log_init(chs_par_world_rank(), CHS_LOG_INFO);
  if (runs) setup_threads(argc, argv);
  cli c;
  memset(&c, 0, sizeof c);
  chs_config *cfg = calloc(1, sizeof *cfg);
  char *cmdline = join_args(argc, argv);
  const char *cmd = argv[1];
  if (!cfg || !cmdline)
    st = chs_error(CHS_ERR_NOMEM, "out of memory");
  else if (!strcmp(cmd, "run"))
    {
    st = parse_args(argc, argv, 2, &c, 1);
    if (st == CHS_OK) st = cmd_run(&c, cfg, cmdline);
  }
  else if (!strcmp(cmd, "check"))
    {
    st = parse_args(argc, argv, 2, &c, 1);
    if (st == CHS_OK) st = cmd_check(&c, cfg);
  }
  else if (!strcmp(cmd, "compare"))
    st = cmd_compare(argc, argv, cmdline);
  else if (!strcmp(cmd, "sweep"))
    st = cmd_sweep(argc, argv, cmdline);
  else if (!strcmp(cmd, "uq"))
    st = cmd_uq(argc, argv, cmdline);
  else if (!strcmp(cmd, "info"))
    {
    st = parse_args(argc, argv, 2, &c, 0);
    if (st == CHS_OK) st = cmd_info(&c);
  }
  else
    st = chs_error(CHS_ERR_USAGE, "unknown command '%s' (commands: run, check, info, compare, sweep, uq, validate; try --help)", cmd);

  if (st != CHS_OK) {
    /* Every rank reaches the same error; rank 0 reports it. */
    if (chs_par_world_rank() == 0) {
      /* Where in the source the error was raised: always for an internal error (a bug
       * report needs it), else with CHONDROSIM_DEBUG=1. */
      const char *dbg = getenv("CHONDROSIM_DEBUG");
      int where = *chs_error_where() && (st == CHS_ERR_INTERNAL || (dbg && *dbg && strcmp(dbg, "0")));
      fprintf(stderr, "chondrosim: %s: %s%s%s%s\n", st == CHS_ERR_INTERRUPTED ? "stopped" : "error",
              *chs_error_message() ? chs_error_message() : chs_status_text(st),
              where ? " [" : "", where ? chs_error_where() : "", where ? "]" : "");
    }
  }
  free(c.sets);
  free(cfg);
  free(cmdline);
  chs_par_finalize();
  return chs_status_exit_code(st);
}

#define _DEFAULT_SOURCE
#include "study/slurm_scripts.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fsutil.h"

/* s in single quotes for a shell script. */
static void shell_quote(const char *s, char *out, size_t len)
{
  size_t n = 0;
  if (n + 1 < len) out[n++] = '\'';
  for (const char *p = s; *p && n + 5 < len; p++) {
    if (*p == '\'') {
      memcpy(out + n, "'\\''", 4);
      n += 4;
    } else
      out[n++] = *p;
  }
  if (n + 1 < len) out[n++] = '\'';
  out[n] = '\0';
}

static char *read_text(const char *path)
{
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += got;
    if (n + 1 == cap) {
      char *g = realloc(buf, cap *= 2);
      if (!g) {
        free(buf);
        buf = NULL;
      }
      buf = g;
    }
  }
  fclose(f);
  if (buf) buf[n] = '\0';
  return buf;
}

typedef struct {
  const char *name, *value;
} subst;

/* The template with every @NAME@ replaced; an unknown @NAME@ is an error. */
static chs_status fill_template(const char *path, const subst *v, int nv, char **out)
{
  char *t = read_text(path);
  if (!t) return chs_error(CHS_ERR_IO, "cannot read the Slurm template %s: %s (set "
                           "CHONDROSIM_SCRIPTS to the scripts/ directory)", path, strerror(errno));
  size_t cap = strlen(t) + 1;
  for (int i = 0; i < nv; i++) cap += 8 * (strlen(v[i].value) + 1);
  char *r = malloc(cap);
  if (!r) {
    free(t);
    return chs_error(CHS_ERR_NOMEM, "out of memory");
  }
  size_t n = 0;
  chs_status st = CHS_OK;
  for (const char *p = t; *p && st == CHS_OK;) {
    const char *close = *p == '@' ? strchr(p + 1, '@') : NULL;
    int matched = 0;
    if (close) {
      for (int i = 0; i < nv && !matched; i++)
        if ((size_t)(close - p - 1) == strlen(v[i].name) && !strncmp(p + 1, v[i].name, strlen(v[i].name))) {
          size_t len = strlen(v[i].value);
          if (n + len + 1 >= cap) {
            st = chs_error(CHS_ERR_INTERNAL, "%s: template too large", path);
            break;
          }
          memcpy(r + n, v[i].value, len);
          n += len;
          p = close + 1;
          matched = 1;
        }
      int word = close - p > 1;
      for (const char *q = p + 1; !matched && q < close; q++)
        word = word && (isupper((unsigned char)*q) || *q == '_');
      if (!matched && word)
        st = chs_error(CHS_ERR_CONFIG, "%s: unknown placeholder %.*s", path, (int)(close - p + 1), p);
      if (matched) continue;
    }
    if (n + 2 >= cap) {
      st = chs_error(CHS_ERR_INTERNAL, "%s: template too large", path);
      break;
    }
    r[n++] = *p++;
  }
  r[n] = '\0';
  free(t);
  if (st != CHS_OK) {
    free(r);
    return st;
  }
  *out = r;
  return CHS_OK;
}

static chs_status write_script(const char *path, const char *text)
{
  CHS_CHECK(chs_write_file_atomic(path, text));
  if (chmod(path, 0755) != 0) return chs_error(CHS_ERR_IO, "chmod %s: %s", path, strerror(errno));
  return CHS_OK;
}

/* K rows per array task: <sweep_dir>/task_rows.txt, line i = the --rows list of task i
 * (K of the array's rows, in order). Returns the number of tasks in *ntasks. */
static chs_status write_task_rows(const chs_slurm_sweep *j, int k, int *ntasks)
{
  size_t cap = strlen(j->rows) * 8 + (size_t)j->nrows * 12 + 64, n = 0;
  char *text = malloc(cap);
  if (!text) return chs_error(CHS_ERR_NOMEM, "out of memory");
  int in_task = 0;
  *ntasks = 0;
  for (const char *p = j->rows; *p;) { /* "0-3,5,7-9" */
    char *end;
    long lo = strtol(p, &end, 10), hi = lo;
    if (*end == '-') hi = strtol(end + 1, &end, 10);
    for (long r = lo; r <= hi; r++) {
      n += (size_t)snprintf(text + n, cap - n, "%s%ld", in_task ? "," : "", r);
      if (++in_task == k) {
        text[n++] = '\n';
        in_task = 0;
        ++*ntasks;
      }
    }
    p = *end == ',' ? end + 1 : end;
  }
  if (in_task) {
    text[n++] = '\n';
    ++*ntasks;
  }
  text[n] = '\0';
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/task_rows.txt", j->sweep_dir);
  chs_status st = chs_write_file_atomic(path, text);
  free(text);
  return st;
}

chs_status chs_slurm_write_sweep(const chs_slurm_sweep *j)
{
  /* Shell-quoted paths (a quote can grow to 4 characters). */
  enum { Q = 4 * PATH_MAX + 8 };
  struct {
    char exe[Q], sweep[Q], dir[Q], root[Q], models[Q], agg[Q], args[3 * Q], submit[4 * Q];
  } *q = malloc(sizeof *q);
  if (!q) return chs_error(CHS_ERR_NOMEM, "out of memory");
  char logs[PATH_MAX + 8], agg[PATH_MAX + 32], array[8200];
  snprintf(logs, sizeof logs, "%s/logs", j->sweep_dir);
  snprintf(agg, sizeof agg, "%s/aggregate.py", j->scripts_dir);
  int k = j->rows_per_task > 1 ? j->rows_per_task : 1, ntask = j->nrows;
  char task_rows[2 * PATH_MAX + 128];
  if (k > 1) { /* task i runs line i+1 of task_rows.txt */
    CHS_CHECK(write_task_rows(j, k, &ntask));
    char file[PATH_MAX + 32], qf[4 * PATH_MAX + 140];
    snprintf(file, sizeof file, "%s/task_rows.txt", j->sweep_dir);
    shell_quote(file, qf, sizeof qf);
    snprintf(task_rows, sizeof task_rows, "\"$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" %s)\"", qf);
    snprintf(array, sizeof array, "0-%d%%%d", ntask - 1, j->throttle);
  } else {
    snprintf(task_rows, sizeof task_rows, "\"$SLURM_ARRAY_TASK_ID\"");
    snprintf(array, sizeof array, "%s%%%d", j->rows, j->throttle);
  }
  shell_quote(j->chondrosim, q->exe, Q);
  shell_quote(j->sweep_file, q->sweep, Q);
  shell_quote(j->sweep_dir, q->dir, Q);
  shell_quote(j->results_root, q->root, Q);
  shell_quote(j->models_dir, q->models, Q);
  shell_quote(agg, q->agg, Q);
  snprintf(q->args, sizeof q->args, "--out %s%s%s%s", q->root, j->models_dir[0] ? " --models " : "",
           j->models_dir[0] ? q->models : "", j->quiet ? " --quiet" : "");

  char extra[1024] = "", ntasks[16], cpus[16], launch[96];
  if (j->partition[0]) snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "#SBATCH --partition=%s\n", j->partition);
  if (j->account[0]) snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "#SBATCH --account=%s\n", j->account);
  if (j->mem[0]) snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "#SBATCH --mem=%s\n", j->mem);
  for (const char *w = j->sbatch ? j->sbatch : ""; *w;) { /* [slurm] sbatch: one line each */
    size_t n = strcspn(w, " \t");
    if (n) snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "#SBATCH %.*s\n", (int)n, w);
    w += n;
    w += strspn(w, " \t");
  }
  snprintf(ntasks, sizeof ntasks, "%d", j->ntasks);
  snprintf(cpus, sizeof cpus, "%d", j->cpus_per_task);
  /* One rank runs the binary directly (an MPI singleton needs no PMI); several are started
   * by srun through PMI (Open MPI direct launch needs --mpi=pmix or pmi2). */
  if (j->ntasks == 1)
    launch[0] = '\0';
  else
    snprintf(launch, sizeof launch, "srun --mpi=%s --cpus-per-task=%d ", j->mpi[0] ? j->mpi : "pmix",
             j->cpus_per_task);
  subst v[] = {
      {"JOB_NAME", j->name}, {"ARRAY", array}, {"NTASKS", ntasks}, {"CPUS_PER_TASK", cpus},
      {"TIME", j->time}, {"LOG_DIR", logs}, {"WORK_DIR", j->work_dir}, {"EXTRA_SBATCH", extra},
      {"LAUNCH", launch}, {"CHONDROSIM", q->exe}, {"SWEEP_FILE", q->sweep},
      {"SWEEP_ARGS", q->args}, {"PYTHON", "/usr/bin/python3"}, {"AGGREGATE", q->agg},
      {"SWEEP_DIR", q->dir}, {"TASK_ROWS", task_rows},
  };
  int nv = (int)(sizeof v / sizeof v[0]);
  char tpl[PATH_MAX + 64], path[PATH_MAX + 32], *text = NULL;
  chs_status st = chs_mkdir_p(logs);
  const char *names[] = {"sweep.sbatch", "collect.sbatch"};
  for (int i = 0; i < 2 && st == CHS_OK; i++) {
    snprintf(tpl, sizeof tpl, "%s/slurm/%s", j->scripts_dir, names[i]);
    st = fill_template(tpl, v, nv, &text);
    if (st != CHS_OK) break;
    snprintf(path, sizeof path, "%s/%s", j->sweep_dir, names[i]);
    st = write_script(path, text);
    free(text);
  }
  if (st == CHS_OK) {
    snprintf(q->submit, sizeof q->submit,
             "#!/bin/bash\n"
             "# Submits sweep %s: the array job (rows %s, at most %d at once), then the\n"
             "# collector, which runs after every task has ended (afterany) and exits non-zero\n"
             "# if rows are missing. Written by `chondrosim sweep --slurm`.\n"
             "set -euo pipefail\n"
             "cd %s\n"
             "jid=$(sbatch --parsable sweep.sbatch)\n"
             "jid=${jid%%%%;*}\n"
             "cid=$(sbatch --parsable --dependency=afterany:$jid collect.sbatch)\n"
             "cid=${cid%%%%;*}\n"
             "echo \"sweep %s: array job $jid (%d rows), collector $cid\"\n"
             "echo \"$jid $cid\" > last_submit\n",
             j->name, j->rows, j->throttle, q->dir, j->name, j->nrows);
    snprintf(path, sizeof path, "%s/submit.sh", j->sweep_dir);
    st = write_script(path, q->submit);
  }
  free(q);
  if (st != CHS_OK) return st;

  const char *d = j->sweep_dir;
  printf("sweep %s: %d of %d rows to run: --array=%s\n", j->name, j->nrows, j->nrows_total, array);
  if (k > 1)
    printf("%d rows per array task ([slurm] rows_per_task): %d tasks, rows listed in "
           "%s/task_rows.txt\n", k, ntask, j->sweep_dir);
  printf("wrote %s/sweep.sbatch, %s/collect.sbatch and %s/submit.sh\n", d, d, d);
  printf("submit both (the collector after the array, afterany):\n  bash %s/submit.sh\n", d);
  printf("or by hand:\n  jid=$(sbatch --parsable %s/sweep.sbatch)\n"
         "  sbatch --dependency=afterany:${jid%%%%;*} %s/collect.sbatch\n", d, d);
  if (ntask > 1001)
    printf("note: Slurm's default MaxArraySize is 1001 (indices 0-1000); ask your site, or submit "
           "the sweep in parts with --rows\n");
  fflush(stdout);
  return CHS_OK;
}

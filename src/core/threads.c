#define _GNU_SOURCE /* sched_getaffinity, CPU_ISSET */
#include "core/threads.h"

#include <omp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int chs_cpu_affinity(unsigned char mask[CHS_CPUMASK_BYTES])
{
  memset(mask, 0, CHS_CPUMASK_BYTES);
  cpu_set_t set;
  int n = 0;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int c = 0; c < CHS_CPUMASK_BYTES * 8 && c < CPU_SETSIZE; c++)
      if (CPU_ISSET(c, &set)) {
        mask[c / 8] |= (unsigned char)(1u << (c % 8));
        n++;
      }
  }
  if (n == 0) { /* unknown: assume every online CPU */
    long on = sysconf(_SC_NPROCESSORS_ONLN);
    n = on > 0 ? (int)on : 1;
    for (int c = 0; c < n && c < CHS_CPUMASK_BYTES * 8; c++) mask[c / 8] |= (unsigned char)(1u << (c % 8));
  }
  return n;
}

/* A positive whole number, or 0. */
static int positive_int(const char *s)
{
  if (!s || !*s) return 0;
  char *end;
  long v = strtol(s, &end, 10);
  return (*end == '\0' && v > 0 && v < 100000) ? (int)v : 0;
}

chs_thread_choice chs_threads_choose(const char *omp_env, int omp_threads, const char *slurm_env,
                                     int cpus, int sharing)
{
  chs_thread_choice c;
  memset(&c, 0, sizeof c);
  if (sharing < 1) sharing = 1;
  c.available = cpus / sharing > 0 ? cpus / sharing : 1;
  char where[100];
  if (sharing > 1)
    snprintf(where, sizeof where, "%d CPU(s) shared by %d ranks on this node", cpus, sharing);
  else
    snprintf(where, sizeof where, "%d CPU(s) in this rank's affinity set", cpus);

  int slurm = positive_int(slurm_env);
  if (omp_env && *omp_env) {
    c.threads = omp_threads > 0 ? omp_threads : 1;
    c.oversubscribed = c.threads > c.available;
    snprintf(c.reason, sizeof c.reason, "OMP_NUM_THREADS=%s%s", omp_env,
             c.oversubscribed ? " (more than the cores available: oversubscribed)" : "");
  } else if (slurm) {
    c.threads = slurm < c.available ? slurm : c.available;
    if (slurm > c.available)
      snprintf(c.reason, sizeof c.reason, "SLURM_CPUS_PER_TASK=%d capped at %d: %s", slurm,
               c.available, where);
    else
      snprintf(c.reason, sizeof c.reason, "SLURM_CPUS_PER_TASK=%d", slurm);
  } else {
    c.threads = c.available;
    snprintf(c.reason, sizeof c.reason, "no OMP_NUM_THREADS or SLURM_CPUS_PER_TASK: %s", where);
  }
  return c;
}

chs_thread_choice chs_threads_setup(int cpus, int sharing)
{
  const char *omp_env = getenv("OMP_NUM_THREADS");
  chs_thread_choice c = chs_threads_choose(omp_env, omp_get_max_threads(),
                                           getenv("SLURM_CPUS_PER_TASK"), cpus, sharing);
  if (!(omp_env && *omp_env)) omp_set_num_threads(c.threads);
  return c;
}

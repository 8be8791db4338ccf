/* Threads per rank for batch jobs (issue #4, item 5): OMP_NUM_THREADS if set, else
 * SLURM_CPUS_PER_TASK, else the cores this rank may use; Slurm's value and the default
 * never exceed the cores available to the rank (its CPU affinity set divided among the
 * ranks on the node that share it), so a job never oversubscribes by default. */
#ifndef CHS_THREADS_H
#define CHS_THREADS_H

#define CHS_CPUMASK_BYTES 128 /* up to 1024 CPUs */

typedef struct {
  int threads;      /* what OpenMP will use */
  int available;    /* cores available to this rank */
  int oversubscribed; /* an explicit OMP_NUM_THREADS asks for more than `available` */
  char reason[200]; /* where the number came from, for the log */
} chs_thread_choice;

/* This process's CPU affinity set as a bit mask (CPU i = bit i % 8 of byte i / 8);
 * returns the number of CPUs in it (sysconf's online count if it cannot be read). */
int chs_cpu_affinity(unsigned char mask[CHS_CPUMASK_BYTES]);

/* The policy, without side effects: omp_env / slurm_env are the variables' values or
 * NULL; omp_threads is what OpenMP made of OMP_NUM_THREADS; cpus is the affinity count
 * and sharing the number of ranks on the node that share those CPUs. */
chs_thread_choice chs_threads_choose(const char *omp_env, int omp_threads, const char *slurm_env,
                                     int cpus, int sharing);

/* Reads the environment, applies the choice with omp_set_num_threads and returns it. */
chs_thread_choice chs_threads_setup(int cpus, int sharing);

#endif

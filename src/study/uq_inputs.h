/* Uncertain inputs as data: the priors of the model parameters (models/priors.ini) and
 * virtual cohorts of patients (models/cohorts/<name>.ini), parsed and checked against the
 * parameter table. `chondrosim uq` hands them, normalised, to the sampler (scripts/uq.py).
 *
 * One input is one line `key = DISTRIBUTION "evidence"`:
 *   uniform LO HI
 *   loguniform LO HI                 (LO > 0; uniform in log)
 *   truncnormal MEAN SD LO HI        (a normal cut to [LO, HI])
 *   choice V1:W1 V2:W2 ...           (categorical; weights optional, default equal)
 * The support must lie inside the key's allowed range and carry probability mass.
 *
 * models/priors.ini: sections and keys of model parameters ([msc] delta = ...); every line
 * ends with its evidence in double quotes, starting with the tag of models/base.ini
 * ("[G] ...": a guess or calibration knob). Patient, therapy and source keys are refused:
 * patients belong in a cohort, sources vary with therapy.source.
 *
 * models/cohorts/<name>.ini: [cohort] description = "..." and any configuration key
 * ([patient] age = uniform 45 70, [patient] kl_grade = choice kl2:0.6 kl3:0.4, ...); the
 * evidence is optional. A cohort without inputs is an error. */
#ifndef CHS_UQ_INPUTS_H
#define CHS_UQ_INPUTS_H

#include <stdio.h>

#include "config/config.h"
#include "core/status.h"

typedef enum { CHS_DIST_UNIFORM, CHS_DIST_LOGUNIFORM, CHS_DIST_TRUNCNORMAL, CHS_DIST_CHOICE } chs_dist_kind;

typedef struct {
  char key[200];          /* section.name */
  chs_dist_kind kind;
  double p[4];            /* uniform, loguniform: lo hi; truncnormal: mean sd lo hi */
  int nchoice;
  char **choice;          /* choice values as text */
  double *weight;         /* normalised to sum 1 */
  char evidence[200];
  char origin[CHS_PATH_MAX + 32]; /* file:line */
} chs_dist;

typedef struct {
  char path[CHS_PATH_MAX];
  char description[256];  /* cohorts: [cohort] description */
  int n;
  chs_dist *d;
} chs_dist_set;

/* Reads and checks models/priors.ini (or any priors file). */
chs_status chs_priors_read(const char *path, chs_dist_set *set);
/* Reads and checks a cohort file. */
chs_status chs_cohort_read(const char *path, chs_dist_set *set);
/* A cohort by name (models/cohorts/<name>.ini) or by a path ending in .ini, resolved
 * beside `beside` (may be NULL). */
void chs_cohort_path(const char *models_dir, const char *name_or_path, const char *beside,
                     char *out, size_t len);
void chs_dist_set_free(chs_dist_set *set);
/* The index of key in the set, or -1. */
int chs_dist_find(const chs_dist_set *set, const char *key);

/* The distribution as text ("loguniform 0.04 0.16"). */
const char *chs_dist_text(const chs_dist *d, char *buf, size_t len);

/* `chondrosim info --priors`: every prior with its support, the value models/base.ini
 * gives, and the [G]-tagged keys of base.ini that have no prior. Returns the number of
 * base values outside their prior's support (listed as warnings). */
int chs_priors_print(FILE *out, const chs_dist_set *priors, const char *models_dir);

/* One CSV line per input for the sampler:
 *   key,source,kind,p1,p2,p3,p4,choices,weights,type
 * source = `what` ("prior", "cohort"); choices and weights space-separated; type = real,
 * int or text (how a sampled number is written). Header when `header`. */
chs_status chs_dist_set_write_csv(const chs_dist_set *set, const char *what, int header, FILE *out);

#endif

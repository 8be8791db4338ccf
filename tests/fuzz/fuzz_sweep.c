#define _POSIX_C_SOURCE 200809L
/* libFuzzer harness: the sweep-file reader and expander (study/sweep_spec.c) — [values]
 * lists, range() and logrange(), [lhs] sampling, [set], [slurm] — on arbitrary bytes. The
 * base config it names is resolved beside the file ($TMPDIR), where a valid one is put. */
#include <string.h>

#include "fuzz_util.h"
#include "study/sweep_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static int have_base;
  if (!have_base) {
    /* "base = base.ini" in a seed finds this file (the process id keeps runs apart). */
    static const char base[] = "[grid]\nnx = 10\nnz = 4\n[run]\nend_time = 5\n[output]\ntimes = 0 5\n";
    const char *p = chs_fuzz_write("base.ini", (const uint8_t *)base, sizeof base - 1);
    (void)p;
    have_base = 1;
  }
  const char *path = chs_fuzz_write("sweep.ini", data, size);
  chs_sweep_spec s;
  chs_error_clear();
  if (chs_sweep_spec_read(path, NULL, &s) == CHS_OK && s.n > 0) {
    static chs_config cfg;
    chs_sweep_spec_load_row(&s, 0, &cfg);
    chs_sweep_spec_load_row(&s, s.n - 1, &cfg);
  }
  chs_sweep_spec_free(&s);
  chs_error_clear();
  return 0;
}

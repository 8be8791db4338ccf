#define _POSIX_C_SOURCE 200809L
/* libFuzzer harness: the study-file reader (study/studyfile.c) — sections, keys, inline
 * comments, quoted lists, duplicate checks, the [study] name and base, and every [matrix]
 * and [set] override checked against the parameter table, as `compare` reads them. */
#include <string.h>

#include "fuzz_util.h"
#include "study/studyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *path = chs_fuzz_write("study.ini", data, size);
  chs_ini ini;
  chs_error_clear();
  if (chs_ini_read(path, &ini) != CHS_OK) {
    chs_error_clear();
    return 0;
  }
  if (chs_ini_check_sections(&ini, "study|matrix|set") == CHS_OK) {
    char name[CHS_STR_MAX], base[CHS_PATH_MAX];
    chs_ini_name_and_base(&ini, path, "study", "scenario", name, sizeof name, base, sizeof base);
    chs_error_clear();
    for (int i = 0; i < ini.n; i++) {
      const chs_ini_entry *e = &ini.e[i];
      if (strcmp(e->section, "matrix") && strcmp(e->section, "set")) continue;
      char **items;
      int n;
      if (chs_ini_split(e->value, path, &items, &n) != CHS_OK) {
        chs_error_clear();
        continue;
      }
      for (int k = 0; k < n; k++) {
        chs_override_check(&ini, e, e->key, items[k]);
        chs_error_clear();
      }
      chs_ini_items_free(items, n);
    }
  }
  chs_ini_free(&ini);
  chs_error_clear();
  return 0;
}

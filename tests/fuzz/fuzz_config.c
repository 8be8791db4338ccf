#define _POSIX_C_SOURCE 200809L
/* libFuzzer harness: the run-config reader (config/config.c) — the INI reader with its
 * line limit, duplicate key/section checks, every key's type and range, the model-file
 * layers it names and the consistency checks — on arbitrary bytes as the run config. */
#include "config/config.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static chs_config cfg;
  const char *path = chs_fuzz_write("config.ini", data, size);
  chs_error_clear();
  chs_status st = chs_config_load(&cfg, path, NULL, 0, NULL);
  if (st == CHS_OK) {
    char *text = chs_config_to_text(&cfg); /* a valid config must print */
    if (!text) abort();
    char fp[17];
    chs_config_text_fingerprint(text, fp);
    free(text);
  }
  chs_error_clear();
  return 0;
}

/* manifest_csv: manifest.csv of an export package as the registry reads it (manifest_parse_csv,
 * called by registry_receive on the member's bytes). */
#include "export/manifest.h"
#include "fuzz.h"
#include "util/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  uint8_t *p = xmalloc(n ? n : 1); /* exact size: a read past the end is caught */
  memcpy(p, d, n);
  manifest m = {0};
  err_t err = {0};
  if (manifest_parse_csv(p, n, &m, &err) == 0) {
    for (int i = 0; i < m.n; i++)
      if (strlen(m.rows[i].sha256) != 64) abort();
  }
  manifest_free(&m);
  free(p);
  return 0;
}

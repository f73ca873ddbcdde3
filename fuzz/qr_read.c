/* qr_read: the picture of a collection code a student uploads (POST /api/student/code hands the
 * uploaded file to qr_read_file), any image format libvips reads. */
#include <vips/vips.h>

#include "fuzz.h"
#include "identity/code.h"
#include "identity/qr.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  static char path[300];
  if (!path[0]) {
    if (VIPS_INIT("fuzz")) abort();
    vips_cache_set_max(0); /* every input is new: a cache only grows */
    fuzz_path(path, sizeof path, "code.img");
  }
  fuzz_write_file(path, d, n);
  char *text = NULL;
  err_t err = {0};
  if (qr_read_file(path, CODE_PREFIX, 0, &text, &err) == 0 && !text) abort();
  free(text);
  return 0;
}

/* photo_decode: a student's photo as the standardize job decodes it (photo_decode with the
 * server's limits: 20 MB, 50 megapixels, shrink-on-load to the working side), which sniffs the
 * format and the header's dimensions before libvips decodes anything. */
#include <vips/vips.h>

#include "fuzz.h"
#include "photo/stages.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  static int ready;
  if (!ready) {
    if (VIPS_INIT("fuzz")) abort();
    vips_cache_set_max(0);
    vips_concurrency_set(1);
    ready = 1;
  }
  photo_limits lim = {.max_bytes = 20L * 1000 * 1000, .max_pixels = 50L * 1000 * 1000};
  photo_decoded out;
  err_t err = {0};
  if (photo_decode(d, n, &lim, PHOTO_WORK_SIDE, &out, &err) == 0) {
    if (out.work.w <= 0 || out.work.h <= 0 || out.work.w > PHOTO_WORK_SIDE || out.work.h > PHOTO_WORK_SIDE ||
        !out.work.px)
      abort();
    /* Touch every pixel: the buffer must be as large as its dimensions say. */
    unsigned sum = 0;
    for (size_t i = 0; i < (size_t)out.work.w * out.work.h * 3; i++) sum += out.work.px[i];
    (void)sum;
    free(out.work.px);
  } else if (err.status == 0) {
    abort(); /* every failure on a student's file must be a refusal with a reason, not an engine error */
  }
  return 0;
}

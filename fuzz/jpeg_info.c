/* jpeg_info: the JPEG marker readers, on delivered or uploaded JPEG bytes: jpeg_info_read (what
 * the registry checks in every photo of a package: size, components, JFIF density) and
 * photo_jpeg_quality_estimate (the quality a student's JPEG was saved with, from its first
 * luminance quantisation table). */
#include "export/jpeg_info.h"
#include "fuzz.h"
#include "photo/stages.h"
#include "util/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  /* Exact-size copies, so that a read one byte past the end is caught. */
  uint8_t *p = xmalloc(n ? n : 1);
  memcpy(p, d, n);
  jpeg_info ji;
  if (jpeg_info_read(p, n, &ji) == 0) {
    if (ji.width <= 0 || ji.height <= 0) abort();
    int dpi = jpeg_info_dpi(&ji);
    if (dpi < 0) abort();
  }
  int q = photo_jpeg_quality_estimate(p, n);
  if (q < -1 || q > 100) abort();
  free(p);
  return 0;
}

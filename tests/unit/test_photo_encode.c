/* The output file's quality search: whatever quality the previous photo ended with, the encoder
 * returns the highest quality whose file fits the profile's byte range (the next quality up does
 * not), never one below the profile's minimum, and refuses with ENCODE_SIZE when no quality fits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <vips/vips.h>

#include "photo/stages.h"

static photo_rgb img;

/* A photo-like picture: smooth shading plus fine texture, so that size grows with quality. */
static void make_image(void) {
  img.w = 480;
  img.h = 640;
  img.px = malloc((size_t)img.w * img.h * 3);
  uint32_t seed = 12345;
  for (int y = 0; y < img.h; y++)
    for (int x = 0; x < img.w; x++) {
      seed = seed * 1103515245u + 12345u;
      int noise = (int)((seed >> 16) % 41) - 20;
      for (int c = 0; c < 3; c++) {
        int v = (x * (c + 1) / 4 + y / 3 + noise) % 256;
        img.px[((size_t)y * img.w + x) * 3 + c] = (uint8_t)(v < 0 ? -v : v);
      }
    }
}

static size_t size_at(int q) {
  uint8_t *b = NULL;
  size_t n = 0;
  assert_int_equal(photo_encode_jpeg_fixed(&img, 300, q, &b, &n), 0);
  free(b);
  return n;
}

static void highest_fitting_quality_from_any_start(void **state) {
  (void)state;
  /* Byte limits taken from real sizes, visited in an order that makes the search start above,
   * below and at the answer (it starts where the previous call ended). */
  const int targets[] = {90, 70, 85, 62, 94, 78, 78};
  for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
    long max = (long)size_at(targets[i]) + 1;
    uint8_t *out = NULL;
    size_t len = 0;
    int q = 0;
    err_t err = {0};
    assert_int_equal(photo_encode_jpeg(&img, 300, 60, 1000, max, &out, &len, &q, &err), 0);
    assert_true((long)len <= max);
    assert_int_equal(len, size_at(q));
    assert_true(q >= targets[i]);
    if (q < 95) assert_true((long)size_at(q + 1) > max);
    /* JFIF with 300 dpi right after SOI. */
    assert_memory_equal(out + 2, "\xFF\xE0\x00\x10JFIF\x00", 9);
    assert_int_equal(out[13], 1);
    assert_int_equal(out[14] << 8 | out[15], 300);
    free(out);
  }
}

static void refuses_when_nothing_fits(void **state) {
  (void)state;
  uint8_t *out = NULL;
  size_t len = 0;
  int q = 0;
  err_t err = {0};
  /* Even the minimum quality is larger than the limit. */
  long max = (long)size_at(60) - 1;
  assert_int_equal(photo_encode_jpeg(&img, 300, 60, 1000, max, &out, &len, &q, &err), -1);
  assert_string_equal(err.code, "ENCODE_SIZE");
  assert_null(out);
  /* Not even the best quality reaches the lower limit. */
  err_clear(&err);
  long top = (long)size_at(100);
  assert_int_equal(photo_encode_jpeg(&img, 300, 60, top + 1, top * 2, &out, &len, &q, &err), -1);
  assert_string_equal(err.code, "ENCODE_SIZE");
}

int main(void) {
  if (VIPS_INIT("test_photo_encode")) return 1;
  vips_cache_set_max(0);
  make_image();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(highest_fitting_quality_from_any_start),
      cmocka_unit_test(refuses_when_nothing_fits),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  free(img.px);
  vips_shutdown();
  return rc;
}

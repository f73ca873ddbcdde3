/* Hostile and unusual inputs, each generated here from one real dev photo or from bytes written by
 * hand: every one gets the right outcome and none crashes (the CI runs this under ASan+UBSan).
 *   zero bytes, truncated JPEG, random bytes behind a JPEG marker -> CORRUPT_IMAGE
 *   text named .jpg, GIF                                            -> UNSUPPORTED_FORMAT
 *   PNG header claiming 100000x100000, 21 MB file, pixel limit      -> IMAGE_TOO_LARGE
 *   CMYK JPEG, 16-bit PNG, PNG with alpha, WebP, HEIC (iPhone)       -> conformant
 *   pixels stored rotated with an EXIF orientation tag               -> conformant, same framing */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <vips/vips.h>

#include "photo/photo.h"
#include "photo_remeasure.h"
#include "dev_photo.h"

static photo_engine *engine;
static photo_profile *profile;
static gchar *source_jpeg; /* a dev photo that conforms */
static gsize source_len;

static int setup(void **state) {
  (void)state;
  err_t err = {0};
  engine = photo_engine_open(NULL, &err);
  profile = photo_profile_load(photo_default_profiles_dir(), "chsi-blue", &err);
  if (!engine || !profile) {
    fprintf(stderr, "%s\n", err.message);
    return -1;
  }
  return dev_photo_read("hivision_test0.jpg", &source_jpeg, &source_len) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  g_free(source_jpeg);
  photo_profile_free(profile);
  photo_engine_close(engine);
  /* Joins libvips' worker threads now rather than letting them time out while LeakSanitizer
   * stops the world at exit (a thread exiting then makes LSan abort). */
  vips_shutdown();
  return 0;
}

/* Runs the engine and checks the outcome: `reason` NULL means conformant. Returns the result for
 * further checks (caller frees). */
static photo_result run(const void *bytes, size_t len, const char *reason) {
  photo_result r;
  err_t err = {0};
  assert_int_equal(photo_standardize(engine, bytes, len, profile, &r, &err), 0);
  assert_non_null(r.report);
  if (reason) {
    if (!r.refused || strcmp(r.reason, reason))
      fprintf(stderr, "got %s, want %s\n", r.refused ? r.reason : "conformant", reason);
    assert_true(r.refused);
    assert_string_equal(r.reason, reason);
    assert_null(r.jpeg);
    assert_true(strlen(r.message) > 0);
  } else {
    if (r.refused) fprintf(stderr, "refused: %s\n", r.reason);
    assert_false(r.refused);
    remeasure m;
    assert_int_equal(photo_remeasure(r.jpeg, r.jpeg_len, profile->background, &m), 0);
    assert_int_equal(m.width, profile->width);
    assert_int_equal(m.height, profile->height);
    assert_int_equal(m.xdensity, 300);
    assert_false(m.has_exif);
  }
  return r;
}

static VipsImage *source_image(void) {
  VipsImage *im = vips_image_new_from_buffer(source_jpeg, source_len, "", NULL);
  assert_non_null(im);
  return im;
}

static void zero_bytes_are_corrupt(void **state) {
  (void)state;
  static const uint8_t nothing[1] = {0};
  photo_result r = run(nothing, 0, "CORRUPT_IMAGE");
  photo_result_free(&r);
}

static void truncated_jpeg_is_corrupt(void **state) {
  (void)state;
  photo_result r = run(source_jpeg, source_len / 2, "CORRUPT_IMAGE");
  photo_result_free(&r);
}

static void random_bytes_after_a_jpeg_marker_are_corrupt(void **state) {
  (void)state;
  uint8_t buf[4096];
  srand(7);
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)rand();
  buf[0] = 0xFF;
  buf[1] = 0xD8;
  buf[2] = 0xFF;
  photo_result r = run(buf, sizeof buf, "CORRUPT_IMAGE");
  photo_result_free(&r);
}

static void text_named_jpg_is_unsupported(void **state) {
  (void)state;
  const char *text = "这不是照片 / this is not a photo\n";
  photo_result r = run(text, strlen(text), "UNSUPPORTED_FORMAT");
  photo_result_free(&r);
}

static void gif_is_unsupported(void **state) {
  (void)state;
  /* A valid 1x1 GIF89a. */
  static const uint8_t gif[] = {0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80,
                                0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x21, 0xF9, 0x04,
                                0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00, 0x01,
                                0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B};
  photo_result r = run(gif, sizeof gif, "UNSUPPORTED_FORMAT");
  photo_result_free(&r);
}

static uint32_t crc32_of(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
  }
  return ~c;
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static void png_claiming_100000_squared_is_too_large(void **state) {
  (void)state;
  uint8_t png[8 + 25 + 12];
  static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  memcpy(png, sig, 8);
  uint8_t *ihdr = png + 8;
  put32(ihdr, 13);
  memcpy(ihdr + 4, "IHDR", 4);
  put32(ihdr + 8, 100000);
  put32(ihdr + 12, 100000);
  ihdr[16] = 8; /* depth */
  ihdr[17] = 2; /* RGB */
  ihdr[18] = ihdr[19] = ihdr[20] = 0;
  put32(ihdr + 21, crc32_of(ihdr + 4, 17));
  uint8_t *iend = ihdr + 25;
  put32(iend, 0);
  memcpy(iend + 4, "IEND", 4);
  put32(iend + 8, crc32_of(iend + 4, 4));
  photo_result r = run(png, sizeof png, "IMAGE_TOO_LARGE");
  photo_result_free(&r);
}

static void file_over_20_mb_is_too_large(void **state) {
  (void)state;
  size_t n = 21u * 1024 * 1024;
  uint8_t *big = calloc(n, 1);
  assert_non_null(big);
  memcpy(big, source_jpeg, source_len);
  photo_result r = run(big, n, "IMAGE_TOO_LARGE");
  photo_result_free(&r);
  free(big);
}

static void pixel_limit_is_configurable(void **state) {
  (void)state;
  photo_limits small = {8L * 1024 * 1024, 100000}, normal = {20L * 1024 * 1024, 50L * 1000 * 1000};
  photo_engine_set_limits(engine, &small);
  photo_result r = run(source_jpeg, source_len, "IMAGE_TOO_LARGE");
  /* The student is told the limits in force (they come from the settings), not fixed numbers. */
  assert_non_null(strstr(r.message, "不超过 8 MB、10 万像素"));
  photo_result_free(&r);
  photo_engine_set_limits(engine, &normal);
}

static void cmyk_jpeg_conforms(void **state) {
  (void)state;
  VipsImage *im = source_image(), *cmyk = NULL;
  assert_int_equal(vips_colourspace(im, &cmyk, VIPS_INTERPRETATION_CMYK, NULL), 0);
  assert_int_equal(cmyk->Bands, 4);
  void *buf = NULL;
  size_t len = 0;
  assert_int_equal(vips_jpegsave_buffer(cmyk, &buf, &len, "Q", 90, NULL), 0);
  photo_result r = run(buf, len, NULL);
  photo_result_free(&r);
  g_free(buf);
  g_object_unref(cmyk);
  g_object_unref(im);
}

static void png_16_bit_conforms(void **state) {
  (void)state;
  VipsImage *im = source_image(), *wide = NULL, *u16 = NULL;
  assert_int_equal(vips_linear1(im, &wide, 257.0, 0.0, NULL), 0);
  assert_int_equal(vips_cast_ushort(wide, &u16, NULL), 0);
  u16->Type = VIPS_INTERPRETATION_RGB16;
  void *buf = NULL;
  size_t len = 0;
  assert_int_equal(vips_pngsave_buffer(u16, &buf, &len, "bitdepth", 16, "compression", 1, NULL), 0);
  /* The file really is 16-bit. */
  VipsImage *back = vips_image_new_from_buffer(buf, len, "", NULL);
  assert_non_null(back);
  assert_int_equal(back->BandFmt, VIPS_FORMAT_USHORT);
  g_object_unref(back);
  photo_result r = run(buf, len, NULL);
  photo_result_free(&r);
  g_free(buf);
  g_object_unref(u16);
  g_object_unref(wide);
  g_object_unref(im);
}

static void png_with_alpha_conforms(void **state) {
  (void)state;
  VipsImage *im = source_image(), *rgba = NULL;
  assert_int_equal(vips_bandjoin_const1(im, &rgba, 255.0, NULL), 0);
  void *buf = NULL;
  size_t len = 0;
  assert_int_equal(vips_pngsave_buffer(rgba, &buf, &len, "compression", 1, NULL), 0);
  photo_result r = run(buf, len, NULL);
  photo_result_free(&r);
  g_free(buf);
  g_object_unref(rgba);
  g_object_unref(im);
}

static void webp_conforms(void **state) {
  (void)state;
  VipsImage *im = source_image();
  void *buf = NULL;
  size_t len = 0;
  assert_int_equal(vips_webpsave_buffer(im, &buf, &len, "Q", 90, NULL), 0);
  photo_result r = run(buf, len, NULL);
  photo_result_free(&r);
  g_free(buf);
  g_object_unref(im);
}

static void heic_conforms(void **state) {
  (void)state;
  VipsImage *im = source_image();
  void *buf = NULL;
  size_t len = 0;
  assert_int_equal(
      vips_heifsave_buffer(im, &buf, &len, "Q", 80, "compression", VIPS_FOREIGN_HEIF_COMPRESSION_HEVC, NULL), 0);
  photo_result r = run(buf, len, NULL);
  assert_string_equal(json_string_value(json_object_get(json_object_get(r.report, "input"), "format")), "heif");
  photo_result_free(&r);
  g_free(buf);
  g_object_unref(im);
}

static double geometry(const photo_result *r, const char *key) {
  return json_number_value(json_object_get(json_object_get(r->report, "geometry"), key));
}

static void rotated_exif_is_applied(void **state) {
  (void)state;
  photo_result upright = run(source_jpeg, source_len, NULL);
  /* Orientation 6: the stored pixels are turned 90 degrees anticlockwise; viewers turn them back. */
  VipsImage *im = source_image(), *turned = NULL, *copy = NULL;
  assert_int_equal(vips_rot(im, &turned, VIPS_ANGLE_D270, NULL), 0);
  assert_int_equal(vips_copy(turned, &copy, NULL), 0);
  vips_image_set_int(copy, "orientation", 6);
  void *buf = NULL;
  size_t len = 0;
  assert_int_equal(vips_jpegsave_buffer(copy, &buf, &len, "Q", 95, NULL), 0);
  VipsImage *check = vips_image_new_from_buffer(buf, len, "", NULL);
  assert_int_equal(vips_image_get_orientation(check), 6);
  assert_int_equal(vips_image_get_width(check), vips_image_get_height(im));
  g_object_unref(check);
  photo_result r = run(buf, len, NULL);
  /* Same framing as the upright photo (within JPEG re-encoding noise). */
  assert_true(fabs(geometry(&r, "eye_y") - geometry(&upright, "eye_y")) < 4);
  assert_true(fabs(geometry(&r, "crown_y") - geometry(&upright, "crown_y")) < 6);
  assert_true(fabs(geometry(&r, "roll_deg") - geometry(&upright, "roll_deg")) < 2);
  photo_result_free(&r);
  photo_result_free(&upright);
  g_free(buf);
  g_object_unref(copy);
  g_object_unref(turned);
  g_object_unref(im);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(zero_bytes_are_corrupt),
      cmocka_unit_test(truncated_jpeg_is_corrupt),
      cmocka_unit_test(random_bytes_after_a_jpeg_marker_are_corrupt),
      cmocka_unit_test(text_named_jpg_is_unsupported),
      cmocka_unit_test(gif_is_unsupported),
      cmocka_unit_test(png_claiming_100000_squared_is_too_large),
      cmocka_unit_test(file_over_20_mb_is_too_large),
      cmocka_unit_test(pixel_limit_is_configurable),
      cmocka_unit_test(cmyk_jpeg_conforms),
      cmocka_unit_test(png_16_bit_conforms),
      cmocka_unit_test(png_with_alpha_conforms),
      cmocka_unit_test(webp_conforms),
      cmocka_unit_test(heic_conforms),
      cmocka_unit_test(rotated_exif_is_applied),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

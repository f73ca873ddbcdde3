/* The matting's memory savings keep their results: the guided filter run on a box gives, inside
 * the box, exactly the whole image's result; and a small face, whose matting input is the smaller
 * network read on first use, goes through the matting like any other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <vips/vips.h>

#include "photo/stages.h"
#include "util/xmalloc.h"

/* A 480x640 photo with clothing-like edges (stripes, a diagonal), and a soft body alpha below row
 * 380 whose edge does not follow them: the filter has something to pull. */
static void make_scene(uint8_t *rgb, uint8_t *alpha, int w, int h) {
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      size_t i = (size_t)y * w + x;
      int person = x > 120 + (y - 380) / 3 && x < 360 - (y - 380) / 4;
      rgb[i * 3] = (uint8_t)(person ? 40 + (x / 7 % 2) * 90 : 200);
      rgb[i * 3 + 1] = (uint8_t)(person ? 30 + (y / 11 % 2) * 60 : 205);
      rgb[i * 3 + 2] = (uint8_t)(person ? 70 : 210 - (x + y) % 17);
      int d = abs(x - 240) - 110;
      alpha[i] = y < 380 ? 0 : d < -12 ? 255 : d > 12 ? 0 : (uint8_t)(255 * (12 - d) / 24);
    }
}

static void guided_filter_box_is_the_whole_images(void **state) {
  (void)state;
  const int w = 480, h = 640, r = 6;
  uint8_t *rgb = xmalloc((size_t)w * h * 3), *whole = xmalloc((size_t)w * h), *boxed = xmalloc((size_t)w * h);
  make_scene(rgb, whole, w, h);
  memcpy(boxed, whole, (size_t)w * h);
  uint8_t *before = xmalloc((size_t)w * h);
  memcpy(before, whole, (size_t)w * h);
  const int box[4] = {101, 397, 277, 200}; /* odd origin: the filter aligns it itself */
  assert_int_equal(vision_guided_filter(rgb, w, h, whole, r, 1e-4, NULL), 0);
  assert_int_equal(vision_guided_filter(rgb, w, h, boxed, r, 1e-4, box), 0);
  long changed = 0;
  for (int y = box[1]; y < box[1] + box[3]; y++)
    for (int x = box[0]; x < box[0] + box[2]; x++) {
      size_t i = (size_t)y * w + x;
      assert_int_equal(boxed[i], whole[i]);
      changed += whole[i] != before[i];
    }
  assert_true(changed > 1000); /* the filter did change the alpha there */
  /* Far above the box (beyond its reach) nothing is touched. */
  for (int y = 0; y < box[1] - 4 * r - 8; y++)
    for (int x = 0; x < w; x++) assert_int_equal(boxed[(size_t)y * w + x], before[(size_t)y * w + x]);
  free(rgb);
  free(whole);
  free(boxed);
  free(before);
}

static void small_face_goes_through_the_small_matting_net(void **state) {
  (void)state;
  err_t err = {0};
  photo_engine *e = photo_engine_open(NULL, &err);
  if (!e) fail_msg("models: %s", err.message);
  photo_profile *p = photo_profile_load(photo_default_profiles_dir(), "chsi-blue", &err);
  assert_non_null(p);
  const char *shared = getenv("TUCAI_SHARED");
  char *path =
      g_strdup_printf("%s/photos/dev/hivision_test1.jpg", shared && *shared ? shared : TUCAI_SOURCE_DIR "/../shared");
  gchar *bytes;
  gsize len;
  assert_true(g_file_get_contents(path, &bytes, &len, NULL));
  /* Shrunk so that the crop around the head is under 512 rows: the 384x512 net's input. */
  VipsImage *t = NULL;
  assert_int_equal(vips_thumbnail_buffer(bytes, len, &t, 10000, "height", 260, NULL), 0);
  void *small = NULL;
  size_t small_len = 0;
  assert_int_equal(vips_jpegsave_buffer(t, &small, &small_len, "Q", 92, NULL), 0);
  g_object_unref(t);
  for (int round = 0; round < 2; round++) { /* first use reads the net, the second reuses it */
    photo_result r;
    int rc = photo_standardize(e, small, small_len, p, &r, &err);
    if (rc) fail_msg("engine error: %s", err.message);
    assert_true(r.analysis.subject >= 0);
    assert_true(r.stage_ms[PHOTO_STAGE_MATTING] > 0);
    /* The matting and the body ran: what the photo gets is decided by the frame (too small a face
     * for the profile), never by a matting error. */
    assert_true(r.stage_ms[PHOTO_STAGE_FRAME] > 0);
    photo_result_free(&r);
  }
  g_free(small);
  g_free(bytes);
  g_free(path);
  photo_profile_free(p);
  photo_engine_close(e);
}

int main(void) {
  if (VIPS_INIT("test_photo_matting")) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(guided_filter_box_is_the_whole_images),
      cmocka_unit_test(small_face_goes_through_the_small_matting_net),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The cut-quality measure (support/photo_cut_quality.h) flags what a reviewer rejects and passes
 * clean cut-outs:
 *   - outputs of the engine before the matting model (tests/data/cut_quality/before_rvm_*.jpg,
 *     kept as they came out) in which faults are visible: specks of the old wall floating beside
 *     the head (deepface_img5, img21), pale or coloured rims along hair and ears (img1, img17);
 *   - clean outputs of the engine with the matting model (clean_*.jpg), looked at closely;
 *   - faults painted onto a clean output: a veil of a grey wall beside the head, a warm rim along
 *     the outline, specks on the background. Each must be caught, and the unpainted photo not.
 * The limits are the ones test_photo_dev_set holds every conformant output to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <vips/vips.h>

#include "photo_cut_quality.h"

static const uint8_t BLUE[3] = {100, 197, 255};

static uint8_t *load(const char *name, int *w, int *h) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/data/cut_quality/%s", TUCAI_SOURCE_DIR, name);
  VipsImage *img = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
  assert_non_null(img);
  size_t len = 0;
  uint8_t *px = vips_image_write_to_memory(img, &len);
  assert_int_equal(vips_image_get_bands(img), 3);
  *w = img->Xsize;
  *h = img->Ysize;
  assert_int_equal(len, (size_t)*w * *h * 3);
  g_object_unref(img);
  return px;
}

static void measure(const char *name, cut_quality *q) {
  int w, h;
  uint8_t *px = load(name, &w, &h);
  assert_int_equal(cut_quality_measure(px, w, h, BLUE, q, NULL), 0);
  printf("  %-34s specks %4ld (largest %3ld)  ghost %4ld  rim %5.1f%%\n", name, q->speck_px, q->largest_speck,
         q->ghost_px, 100 * q->rim_ratio);
  g_free(px);
}

static void faulty_outputs_of_the_engine_before_matting_are_flagged(void **state) {
  (void)state;
  static const char *const faulty[] = {"before_rvm_deepface_img5.jpg", "before_rvm_deepface_img21.jpg",
                                       "before_rvm_deepface_img1.jpg", "before_rvm_deepface_img17.jpg"};
  cut_quality q[4];
  for (int i = 0; i < 4; i++) {
    measure(faulty[i], &q[i]);
    assert_false(cut_quality_clean(&q[i]));
  }
  /* Each for the fault that is seen in it. */
  assert_true(q[0].largest_speck > CUT_MAX_SPECK && q[1].largest_speck > CUT_MAX_SPECK);
  assert_true(q[2].rim_ratio > CUT_MAX_RIM && q[3].rim_ratio > CUT_MAX_RIM);
}

static void clean_outputs_pass(void **state) {
  (void)state;
  static const char *const clean[] = {"clean_deepface_img13.jpg", "clean_deepface_img20.jpg", "clean_deepface_img7.jpg",
                                      "clean_hivision_test0.jpg"};
  for (int i = 0; i < 4; i++) {
    cut_quality q;
    measure(clean[i], &q);
    assert_true(cut_quality_clean(&q));
    assert_true(q.person_px > 100000); /* a person was found, not an empty frame */
  }
}

/* The clean output of deepface_img13 (head centred, blue wall from x 0 to about 150 beside the
 * temple at y 150-250), with `paint` applied. */
static void painted(void (*paint)(uint8_t *px, int w, int h), cut_quality *q) {
  int w, h;
  uint8_t *px = load("clean_deepface_img13.jpg", &w, &h);
  paint(px, w, h);
  assert_int_equal(cut_quality_measure(px, w, h, BLUE, q, NULL), 0);
  g_free(px);
}

/* A veil: the old grey wall at 40 % over the new blue, a 30 px band along the side of the head
 * for 150 rows, the shape of the ghosts seen beside heads. */
static void paint_veil(uint8_t *px, int w, int h) {
  (void)h;
  int right = 0;
  for (int x = 0; x < w / 2; x++) /* the head's left edge at y = 200 */
    if (abs(px[(200 * w + x) * 3 + 2] - BLUE[2]) > 40) {
      right = x;
      break;
    }
  assert_true(right > 70);
  for (int y = 100; y < 250; y++)
    for (int x = right - 30; x < right + 2; x++) {
      uint8_t *p = px + ((size_t)y * w + x) * 3;
      if (abs(p[2] - BLUE[2]) > 30) continue; /* only over the background */
      for (int c = 0; c < 3; c++) p[c] = (uint8_t)(0.6 * BLUE[c] + 0.4 * 150);
    }
}

/* A warm rim: every background pixel touching the person turns orange. */
static void paint_rim(uint8_t *px, int w, int h) {
  uint8_t *bg = malloc((size_t)w * h);
  for (size_t i = 0; i < (size_t)w * h; i++) {
    const uint8_t *p = px + i * 3;
    int d = abs(p[0] - BLUE[0]) + abs(p[1] - BLUE[1]) + abs(p[2] - BLUE[2]);
    bg[i] = d < 30;
  }
  for (int y = 1; y < h - 1; y++)
    for (int x = 1; x < w - 1; x++) {
      size_t i = (size_t)y * w + x;
      if (!bg[i] || (bg[i - 1] && bg[i + 1] && bg[i - w] && bg[i + w])) continue;
      uint8_t *p = px + i * 3;
      p[0] = 210;
      p[1] = 120;
      p[2] = 40;
    }
  free(bg);
}

/* Specks: five dark 5x5 dots on the wall above the head. */
static void paint_specks(uint8_t *px, int w, int h) {
  (void)h;
  for (int k = 0; k < 5; k++)
    for (int y = 20; y < 25; y++)
      for (int x = 40 + 80 * k; x < 45 + 80 * k; x++) memset(px + ((size_t)y * w + x) * 3, 60, 3);
}

static void no_paint(uint8_t *px, int w, int h) {
  (void)px;
  (void)w;
  (void)h;
}

static void painted_faults_are_caught_each_by_its_own_measure(void **state) {
  (void)state;
  cut_quality clean, veil, rim, specks;
  painted(no_paint, &clean);
  painted(paint_veil, &veil);
  painted(paint_rim, &rim);
  painted(paint_specks, &specks);
  printf("  clean: ghost %ld rim %.3f specks %ld; veil: ghost %ld; rim: %.3f; specks: %ld (largest %ld)\n",
         clean.ghost_px, clean.rim_ratio, clean.speck_px, veil.ghost_px, rim.rim_ratio, specks.speck_px,
         specks.largest_speck);
  assert_true(cut_quality_clean(&clean));
  assert_true(veil.ghost_px > CUT_MAX_GHOST);
  assert_true(rim.rim_ratio > CUT_MAX_RIM);
  assert_true(specks.speck_px > CUT_MAX_SPECKS);
  assert_false(cut_quality_clean(&veil));
  assert_false(cut_quality_clean(&rim));
  assert_false(cut_quality_clean(&specks));
}

int main(void) {
  if (VIPS_INIT("test_photo_cut_quality")) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(faulty_outputs_of_the_engine_before_matting_are_flagged),
      cmocka_unit_test(clean_outputs_pass),
      cmocka_unit_test(painted_faults_are_caught_each_by_its_own_measure),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  vips_shutdown();
  return rc;
}

/* Deciding what the segmenter left undecided: a synthetic "person" (a dark block) on a light wall,
 * with a raw mask that is sure of the middle of each and unsure of a broad strip between them.
 * The strip's pixels take the side their colour belongs to; when the wall itself also has the
 * person's colour (dark lettering), the strip cannot be decided and is counted as ambiguous. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "photo/stages.h"

enum { W = 200, H = 100 };
static const uint8_t DARK[3] = {40, 30, 25}, LIGHT[3] = {200, 205, 210};

/* Columns < 80: person (sure); 80..119: unsure strip (raw 128); >= 120: wall (sure).
 * The strip's true colours: dark up to column `edge`, light after. `lettered`: dark stripes in the
 * sure wall too. */
static void scene(uint8_t *photo, uint8_t *raw, uint8_t *inside, int edge, int lettered) {
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      size_t i = (size_t)y * W + x;
      int dark = x < edge || (lettered && x >= 120 && (x / 6) % 2 == 0);
      memcpy(photo + i * 3, dark ? DARK : LIGHT, 3);
      raw[i] = x < 80 ? 255 : x < 120 ? 128 : 0;
      inside[i] = 1;
    }
}

static void strip_takes_the_side_of_its_colour(void **state) {
  (void)state;
  uint8_t *photo = malloc(W * H * 3), *raw = malloc(W * H), *inside = malloc(W * H);
  scene(photo, raw, inside, 100, 0);
  photo_matte_doubt d;
  assert_int_equal(photo_matte_resolve(photo, inside, raw, W, H, &d), 0);
  /* Deep inside the strip (more than a few px from both sure sides) every pixel is decided. */
  for (int y = 10; y < H - 10; y++) {
    assert_int_equal(raw[(size_t)y * W + 90], 255); /* dark: person */
    assert_int_equal(raw[(size_t)y * W + 110], 0);  /* light: wall */
  }
  assert_int_equal(d.ambiguous, 0);
  assert_true(d.to_person > 0 && d.to_wall > 0);
  assert_true(d.outline > 0);
  free(photo);
  free(raw);
  free(inside);
}

static void lettering_beside_dark_hair_is_ambiguous(void **state) {
  (void)state;
  uint8_t *photo = malloc(W * H * 3), *raw = malloc(W * H), *inside = malloc(W * H);
  scene(photo, raw, inside, 120, 1); /* the whole strip dark, and the wall has dark stripes */
  photo_matte_doubt d;
  assert_int_equal(photo_matte_resolve(photo, inside, raw, W, H, &d), 0);
  /* Most of the deep strip fits both sides: counted, and several px wide along the outline. */
  assert_true(d.ambiguous > d.deep / 2);
  assert_true((double)d.ambiguous / d.outline > 2.2);
  free(photo);
  free(raw);
  free(inside);
}

static void pixels_outside_the_photo_teach_nothing(void **state) {
  (void)state;
  uint8_t *photo = malloc(W * H * 3), *raw = malloc(W * H), *inside = malloc(W * H);
  scene(photo, raw, inside, 100, 0);
  /* The frame reaches past the photo on the right: those pixels carry the fill colour, dark here,
   * and must not make the wall look dark. */
  for (int y = 0; y < H; y++)
    for (int x = 160; x < W; x++) {
      size_t i = (size_t)y * W + x;
      memcpy(photo + i * 3, DARK, 3);
      inside[i] = 0;
    }
  photo_matte_doubt d;
  assert_int_equal(photo_matte_resolve(photo, inside, raw, W, H, &d), 0);
  assert_int_equal(d.ambiguous, 0);
  assert_int_equal(raw[(size_t)50 * W + 90], 255);
  free(photo);
  free(raw);
  free(inside);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(strip_takes_the_side_of_its_colour),
      cmocka_unit_test(lettering_beside_dark_hair_is_ambiguous),
      cmocka_unit_test(pixels_outside_the_photo_teach_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

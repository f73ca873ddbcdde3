/* Framing and profiles without any model: a synthetic person (68 landmarks placed like a real face,
 * a mask with a head and shoulders) goes through measure -> solve -> coverage. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "photo/stages.h"

/* A face of width fw centred at (cx, eye_y) with eyes on a line tilted by `roll` degrees. */
static void make_landmarks(float lm[68][2], double cx, double eye_y, double fw, double roll) {
  double c = cos(roll * M_PI / 180), s = sin(roll * M_PI / 180);
  double pts[68][2];
  for (int i = 0; i < 68; i++) pts[i][0] = pts[i][1] = 0;
  for (int i = 0; i <= 16; i++) { /* jaw: from one ear round the chin to the other */
    double t = M_PI * i / 16.0;
    pts[i][0] = -0.5 * fw * cos(t);
    pts[i][1] = 0.85 * fw * sin(t) * (i == 0 || i == 16 ? 0 : 1);
  }
  for (int i = 17; i <= 26; i++) { /* brows */
    pts[i][0] = -0.4 * fw + 0.8 * fw * (i - 17) / 9.0;
    pts[i][1] = -0.18 * fw;
  }
  for (int i = 27; i <= 35; i++) { /* nose */
    pts[i][0] = 0;
    pts[i][1] = 0.1 * fw * (i - 26);
  }
  for (int i = 36; i <= 41; i++) { /* right eye (image left) */
    pts[i][0] = -0.2 * fw + 0.03 * fw * cos(i);
    pts[i][1] = 0.02 * fw * sin(i);
  }
  for (int i = 42; i <= 47; i++) {
    pts[i][0] = 0.2 * fw + 0.03 * fw * cos(i);
    pts[i][1] = 0.02 * fw * sin(i);
  }
  /* 36..41 and 42..47 must average to +-0.2 fw on the eye line. */
  double m[2] = {0, 0};
  for (int i = 36; i <= 41; i++) m[0] += pts[i][0] / 6, m[1] += pts[i][1] / 6;
  for (int i = 36; i <= 41; i++) pts[i][0] += -0.2 * fw - m[0], pts[i][1] -= m[1];
  m[0] = m[1] = 0;
  for (int i = 42; i <= 47; i++) m[0] += pts[i][0] / 6, m[1] += pts[i][1] / 6;
  for (int i = 42; i <= 47; i++) pts[i][0] += 0.2 * fw - m[0], pts[i][1] -= m[1];
  for (int i = 48; i <= 67; i++) { /* mouth */
    pts[i][0] = 0.15 * fw * cos(i);
    pts[i][1] = 0.55 * fw;
  }
  for (int i = 0; i < 68; i++) {
    lm[i][0] = (float)(cx + c * pts[i][0] - s * pts[i][1]);
    lm[i][1] = (float)(eye_y + s * pts[i][0] + c * pts[i][1]);
  }
}

/* Mask: an ellipse head (crown `crown_above` above the eyes) and shoulders down to the bottom. */
static photo_gray make_mask(int w, int h, double cx, double eye_y, double fw, double crown_above, double body_w) {
  photo_gray g = {w, h, calloc((size_t)w * h, 1)};
  double head_cy = eye_y - crown_above + 0.95 * fw, ry = 0.95 * fw, rx = 0.6 * fw;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      double dx = (x - cx) / rx, dy = (y - head_cy) / ry;
      int in = dx * dx + dy * dy <= 1;
      if (y > eye_y + 1.1 * fw && fabs(x - cx) < body_w / 2) in = 1;
      if (in) g.px[(size_t)y * w + x] = 255;
    }
  return g;
}

static photo_profile *chsi(void) {
  err_t err = {0};
  photo_profile *p = photo_profile_load(photo_default_profiles_dir(), "chsi-blue", &err);
  assert_non_null(p);
  return p;
}

static void solved_frame_meets_every_band_and_levels_the_eyes(void **state) {
  (void)state;
  photo_profile *p = chsi();
  float lm[68][2];
  make_landmarks(lm, 600, 500, 300, 7.0);
  photo_gray mask = make_mask(1200, 1600, 600, 500, 300, 190, 900);
  photo_frame f;
  err_t err = {0};
  assert_int_equal(photo_frame_measure(lm, &mask, &f, &err), 0);
  assert_true(fabs(f.roll_deg - 7.0) < 0.5);
  assert_true(fabs(f.face_w - 300) < 3);
  /* The crown found from the mask, about 190 px above the eye line (tilt makes it a little less). */
  assert_true(f.crown_v < -170 && f.crown_v > -200);
  assert_int_equal(photo_frame_solve(p, 1.0, &f, &err), 0);
  assert_true(f.crown_y >= 50 && f.crown_y <= 110);
  assert_true(f.eye_y >= 200 && f.eye_y <= 300);
  assert_true(f.face_w_out >= 180 && f.face_w_out <= 300);
  /* Both eyes land on the same output row: the roll is undone. */
  double re[2] = {0, 0}, le[2] = {0, 0}, ax, ay, bx, by;
  for (int i = 0; i < 6; i++) {
    re[0] += lm[36 + i][0] / 6.0, re[1] += lm[36 + i][1] / 6.0;
    le[0] += lm[42 + i][0] / 6.0, le[1] += lm[42 + i][1] / 6.0;
  }
  photo_frame_unmap(&f, re[0], re[1], &ax, &ay);
  photo_frame_unmap(&f, le[0], le[1], &bx, &by);
  assert_true(fabs(ay - by) < 0.5);
  assert_true(fabs((ay + by) / 2 - f.eye_y) < 0.5);
  assert_true(fabs((ax + bx) / 2 - p->width / 2.0) < 0.5);
  /* map and unmap are inverse. */
  double wx, wy, x, y;
  photo_frame_map(&f, 123, 456, &wx, &wy);
  photo_frame_unmap(&f, wx, wy, &x, &y);
  assert_true(fabs(x - 123) < 1e-6 && fabs(y - 456) < 1e-6);
  assert_int_equal(photo_frame_check_coverage(p, &mask, &f, &err), 0);
  free(mask.px);
  photo_profile_free(p);
}

static void head_touching_the_top_edge_is_cut_off(void **state) {
  (void)state;
  float lm[68][2];
  make_landmarks(lm, 600, 150, 300, 0);
  photo_gray mask = make_mask(1200, 1600, 600, 150, 300, 190, 900); /* crown 40 px above the edge */
  photo_frame f;
  err_t err = {0};
  assert_int_equal(photo_frame_measure(lm, &mask, &f, &err), -1);
  assert_string_equal(err.code, "HEAD_CUT_OFF");
  free(mask.px);
}

static void photo_ending_below_the_chin_lacks_body(void **state) {
  (void)state;
  photo_profile *p = chsi();
  float lm[68][2];
  make_landmarks(lm, 600, 400, 300, 0);
  photo_gray mask = make_mask(1200, 700, 600, 400, 300, 190, 900); /* image ends 300 px below the eyes */
  photo_frame f;
  err_t err = {0};
  assert_int_equal(photo_frame_measure(lm, &mask, &f, &err), 0);
  assert_int_equal(photo_frame_solve(p, 1.0, &f, &err), 0);
  assert_int_equal(photo_frame_check_coverage(p, &mask, &f, &err), -1);
  assert_string_equal(err.code, "NOT_ENOUGH_BODY");
  /* Even the tightest crop the bands allow cannot help here. */
  for (int k = 1; k <= 8; k++) {
    photo_frame g = f;
    if (photo_frame_solve_tight(p, 1.0, &g, k / 8.0) == 0) {
      err_t e2 = {0};
      assert_int_equal(photo_frame_check_coverage(p, &mask, &g, &e2), -1);
    }
  }
  free(mask.px);
  photo_profile_free(p);
}

static void small_face_needs_upscaling_and_is_refused(void **state) {
  (void)state;
  photo_profile *p = chsi();
  float lm[68][2];
  make_landmarks(lm, 600, 500, 60, 0);
  photo_gray mask = make_mask(1200, 1600, 600, 500, 60, 40, 200);
  photo_frame f;
  err_t err = {0};
  assert_int_equal(photo_frame_measure(lm, &mask, &f, &err), 0);
  assert_int_equal(photo_frame_solve(p, 1.0, &f, &err), -1);
  assert_string_equal(err.code, "FACE_TOO_SMALL");
  /* The same face in a work image decoded at a quarter of the original: pixels enough. */
  err_clear(&err);
  assert_int_equal(photo_frame_solve(p, 0.25, &f, &err), 0);
  free(mask.px);
  photo_profile_free(p);
}

static void profiles_load_validate_and_list(void **state) {
  (void)state;
  err_t err = {0};
  const char *dir = photo_default_profiles_dir();
  const char *names[] = {"chsi-blue", "chsi-white", "chsi-grey", "cet", "one-inch", "two-inch", "social-security"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    photo_profile *p = photo_profile_load(dir, names[i], &err);
    assert_non_null(p);
    assert_true(json_is_object(p->checks));
    assert_true(p->eye_y.set || p->crown_y.set || p->chin_y.set);
    photo_profile_free(p);
  }
  photo_profile *b = photo_profile_load(dir, "chsi-blue", &err);
  assert_int_equal(b->width, 480);
  assert_int_equal(b->height, 640);
  assert_int_equal(b->dpi, 300);
  assert_memory_equal(b->background, ((uint8_t[]){100, 197, 255}), 3);
  assert_int_equal(b->min_bytes, 20480);
  assert_int_equal(b->max_bytes, 40000);
  photo_profile_free(b);
  const char *bad[] = {"../profiles/chsi-blue", "CHSI", "", "chsi blue", "nope"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err_clear(&err);
    assert_null(photo_profile_load(dir, bad[i], &err));
    assert_string_equal(err.code, "unknown_profile");
  }
  json_t *list = photo_profile_list(dir, &err);
  assert_non_null(list);
  assert_true(json_array_size(list) >= 7);
  assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "name")), "cet");
  json_decref(list);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(solved_frame_meets_every_band_and_levels_the_eyes),
      cmocka_unit_test(head_touching_the_top_edge_is_cut_off),
      cmocka_unit_test(photo_ending_below_the_chin_lacks_body),
      cmocka_unit_test(small_face_needs_upscaling_and_is_refused),
      cmocka_unit_test(profiles_load_validate_and_list),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

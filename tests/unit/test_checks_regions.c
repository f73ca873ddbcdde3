/* test_checks_regions: each check's region is drawn where the check judges.
 *
 * tests/data/check_regions.json holds boxes marked by hand on a few dev photos (each ear, each
 * earlobe, the lips, the neck, the eyes, the eyebrows, the forehead). Every photo is analysed as the constructed tests do (the engine's
 * detection and landmarks) and checked under chsi-blue; then each check's region must overlap its
 * hand-marked box by at least a fifth of the smaller of the two, and must not be much larger than
 * what it judges (a region spanning the whole face would overlap every box and say nothing):
 *   ears_visible   one of the ears (the one that decides)   at most 6x the ear box
 *   earrings       one of the earlobes (the one that decides) at most 10x the lobe box: the
 *                  region is where a drop hangs, from the lobe down towards the jaw's corner
 *   mouth_closed, mouth_occluded  the lips                  at most 4x the mouth box
 *   neck_visible, necklace        the neck                  at most 4x the neck box
 *   eyes_open, gaze_forward, red_eye, tinted_lenses  the eyes  at most 4x the eyes box;
 *   glasses at most 8x (its region takes in the frames)
 *   hair_over_eyebrows            the eyebrows              at most 4x
 *   forehead_visible              the forehead              at most 4x */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "photo/checks/check_analyze.h"
#include "photo/checks/checks.h"
#include "photo/photo.h"

static json_t *cfg, *boxes;
static photo_engine *engine;

static int setup(void **state) {
  (void)state;
  if (VIPS_INIT("test_checks_regions")) return -1;
  err_t err;
  engine = photo_engine_open(NULL, &err);
  cfg = photo_checks_profile_config("chsi-blue", &err);
  const char *source = getenv("TUCAI_SOURCE");
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/data/check_regions.json", source ? source : ".");
  json_error_t je;
  json_t *f = json_load_file(path, 0, &je);
  boxes = json_incref(json_object_get(f, "photos"));
  json_decref(f);
  if (!engine || !cfg || !boxes) {
    fprintf(stderr, "setup: engine %p profile %p boxes %p (%s)\n", (void *)engine, (void *)cfg, (void *)boxes, je.text);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  json_decref(cfg);
  json_decref(boxes);
  photo_engine_close(engine);
  return 0;
}

static void box_of(const json_t *a, double b[4]) {
  for (int k = 0; k < 4; k++) b[k] = json_number_value(json_array_get(a, (size_t)k));
}

static double overlap_area(const double a[4], const double b[4]) {
  double x0 = a[0] > b[0] ? a[0] : b[0], y0 = a[1] > b[1] ? a[1] : b[1];
  double x1 = a[0] + a[2] < b[0] + b[2] ? a[0] + a[2] : b[0] + b[2];
  double y1 = a[1] + a[3] < b[1] + b[3] ? a[1] + a[3] : b[1] + b[3];
  return x1 > x0 && y1 > y0 ? (x1 - x0) * (y1 - y0) : 0.0;
}

/* True when `region` overlaps `box` by a fifth of the smaller one and is at most `max_ratio`
 * times the box's area. */
static int judges(const double region[4], const double box[4], double max_ratio) {
  double ra = region[2] * region[3], ba = box[2] * box[3];
  double small = ra < ba ? ra : ba;
  return small > 0 && overlap_area(region, box) >= 0.2 * small && ra <= max_ratio * ba;
}

static const json_t *check_of(const json_t *report, const char *id) {
  size_t i;
  json_t *o;
  json_array_foreach(json_object_get(report, "checks"), i, o) {
    if (strcmp(json_string_value(json_object_get(o, "id")), id) == 0) return o;
  }
  return NULL;
}

static void expect_region(const char *photo, const json_t *report, const json_t *marks, const char *id,
                          const char *box1, const char *box2, double max_ratio) {
  const json_t *o = check_of(report, id);
  assert_non_null(o);
  double r[4], b1[4], b2[4];
  box_of(json_object_get(o, "region"), r);
  box_of(json_object_get(marks, box1), b1);
  int ok = judges(r, b1, max_ratio);
  if (box2) {
    box_of(json_object_get(marks, box2), b2);
    ok = ok || judges(r, b2, max_ratio);
  }
  if (!ok)
    fprintf(stderr, "%s: %s region [%.0f %.0f %.0f %.0f] does not judge %s%s%s\n", photo, id, r[0], r[1], r[2], r[3],
            box1, box2 ? " or " : "", box2 ? box2 : "");
  assert_true(ok);
}

static void test_regions_on_marked_photos(void **state) {
  (void)state;
  const char *shared = getenv("TUCAI_SHARED");
  const char *photo;
  json_t *marks;
  int n = 0;
  json_object_foreach(boxes, photo, marks) {
    char path[1024];
    snprintf(path, sizeof path, "%s/photos/dev/%s", shared ? shared : "../shared", photo);
    gchar *buf;
    gsize len;
    assert_true(g_file_get_contents(path, &buf, &len, NULL));
    photo_analysis a;
    err_t err;
    int rc = photo_analyze(engine, buf, len, CHECKS_WORK_SIDE, &a, &err);
    g_free(buf);
    assert_int_equal(rc, 0);
    assert_true(a.has_landmarks);
    json_t *report = NULL;
    assert_int_equal(photo_checks_run(engine, &a, cfg, &report, &err), 0);
    expect_region(photo, report, marks, "ears_visible", "ear_left", "ear_right", 6.0);
    expect_region(photo, report, marks, "earrings", "lobe_left", "lobe_right", 10.0);
    expect_region(photo, report, marks, "mouth_closed", "mouth", NULL, 4.0);
    expect_region(photo, report, marks, "mouth_occluded", "mouth", NULL, 4.0);
    expect_region(photo, report, marks, "neck_visible", "neck", NULL, 4.0);
    expect_region(photo, report, marks, "necklace", "neck", NULL, 4.0);
    expect_region(photo, report, marks, "eyes_open", "eyes", NULL, 4.0);
    expect_region(photo, report, marks, "gaze_forward", "eyes", NULL, 4.0);
    expect_region(photo, report, marks, "red_eye", "eyes", NULL, 4.0);
    expect_region(photo, report, marks, "tinted_lenses", "eyes", NULL, 4.0);
    expect_region(photo, report, marks, "glasses", "eyes", NULL, 8.0); /* the frames reach past the eyes */
    expect_region(photo, report, marks, "hair_over_eyebrows", "eyebrows", NULL, 4.0);
    expect_region(photo, report, marks, "forehead_visible", "forehead", NULL, 4.0);
    json_decref(report);
    photo_analysis_free(&a);
    n++;
  }
  assert_true(n >= 2);
}

/* The overlap rule itself: a box far away or a region spanning the whole face does not pass. */
static void test_overlap_rule(void **state) {
  (void)state;
  const double lobe[4] = {100, 100, 20, 40};
  assert_true(judges((double[]){95, 90, 40, 60}, lobe, 6.0));
  assert_false(judges((double[]){300, 100, 20, 40}, lobe, 6.0)); /* the other side */
  assert_false(judges((double[]){90, 50, 400, 200}, lobe, 6.0)); /* the whole face */
  assert_false(judges((double[]){118, 138, 20, 40}, lobe, 6.0)); /* a corner touch */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_overlap_rule),
      cmocka_unit_test(test_regions_on_marked_photos),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

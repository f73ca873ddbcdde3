/* test_checks_regions: each check's region is drawn where the check judges.
 *
 * tests/data/check_regions.json holds boxes marked by hand on three dev photos of different
 * framing (a tight head crop, a head and bare shoulders, a half-length portrait): each ear, each
 * earlobe, the lips, the neck, the eyes, the eyebrows, the forehead, the face, the crown, the
 * shoulders, the chest. Every photo is analysed as the constructed tests do (the engine's
 * detection and landmarks) and checked under chsi-blue; then every check the engine reports is
 * held against the box of what it judges (the table `rules`, which must name every check of the
 * catalog):
 *   JUDGES       the region overlaps the box by at least a fifth of the smaller of the two, and is
 *                not much larger than the box (a region spanning the whole face would overlap
 *                every box and say nothing): eyes 4x (glasses 8x, the frames), lips 4x, ears 6x,
 *                earlobes 10x (where a drop hangs, down towards the jaw's corner), neck 4x,
 *                eyebrows 4x, forehead 4x, crown 4x, shoulders 4x, chest 4x; sharpness and
 *                recapture a window on the face (1.5x); clothing_color must also cover 15% of
 *                the chest (a band of a few rows at the photo's edge judged nothing)
 *   COVERS       whole-face checks: the region covers at least 60% of the face box (hairline to
 *                chin; the engine's face runs brow to chin) and is at most 1.5x it
 *   WHOLE_IMAGE  background_uniformity and compression: the whole photo
 * A feature hidden on a photo is not marked there, and a rule with two boxes (either ear) is held
 * against the marked ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "photo/checks/check_analyze.h"
#include "photo/checks/checks.h"
#include "photo/photo.h"
#include "dev_photo.h"

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

/* The box `name` of one photo, or 0 when that feature was not marked (not visible there). */
static int mark_of(const json_t *marks, const char *name, double b[4]) {
  const json_t *a = name ? json_object_get(marks, name) : NULL;
  if (!json_is_array(a)) return 0;
  box_of(a, b);
  return 1;
}

/* True when `region` covers at least `min_frac` of `box` and is at most `max_ratio` times it. */
static int covers(const double region[4], const double box[4], double min_frac, double max_ratio) {
  double ba = box[2] * box[3];
  return ba > 0 && overlap_area(region, box) >= min_frac * ba && region[2] * region[3] <= max_ratio * ba;
}

/* How each check's region is held against the marks. */
typedef enum { JUDGES, COVERS, WHOLE_IMAGE } rule_kind;
typedef struct region_rule {
  const char *id;
  rule_kind kind;
  const char *box1, *box2; /* either may decide (the ear or lobe that decides; lips or eyelids) */
  double ratio;            /* JUDGES/COVERS: at most this many times the box */
  double min_cover;        /* JUDGES: and covers at least this share of the box (0: any overlap) */
} region_rule;

/* Every check of the catalog that photo_checks_run reports; test_every_check_has_a_rule keeps the
 * two lists together. */
static const region_rule rules[] = {
    {"single_face", COVERS, "face", NULL, 1.5, 0}, /* one face: the face, not the photo */
    {"face_size", COVERS, "face", NULL, 1.5, 0},
    {"head_pose", COVERS, "face", NULL, 1.5, 0},
    {"eyes_open", JUDGES, "eyes", NULL, 4.0, 0},
    {"gaze_forward", JUDGES, "eyes", NULL, 4.0, 0},
    {"mouth_closed", JUDGES, "mouth", NULL, 4.0, 0},
    {"mouth_occluded", JUDGES, "mouth", NULL, 4.0, 0},
    {"glasses", JUDGES, "eyes", NULL, 8.0, 0}, /* the frames reach past the eyes */
    {"tinted_lenses", JUDGES, "eyes", NULL, 4.0, 0},
    {"head_covering", JUDGES, "crown", NULL, 4.0, 0},
    {"hair_over_eyebrows", JUDGES, "eyebrows", NULL, 4.0, 0},
    {"ears_visible", JUDGES, "ear_left", "ear_right", 6.0, 0},
    {"forehead_visible", JUDGES, "forehead", NULL, 4.0, 0},
    {"earrings", JUDGES, "lobe_left", "lobe_right", 10.0, 0},
    {"necklace", JUDGES, "neck", NULL, 4.0, 0},
    {"neck_visible", JUDGES, "neck", NULL, 4.0, 0},
    {"bare_shoulders", JUDGES, "shoulders", NULL, 4.0, 0},
    {"clothing_color", JUDGES, "chest", NULL, 4.0, 0.15}, /* on a tight crop too (was 9 rows on img30) */
    {"clothing_pattern", JUDGES, "chest", NULL, 4.0, 0},
    {"sharpness", JUDGES, "face", NULL, 1.5, 0}, /* a window on the eyes and nose */
    {"exposure", COVERS, "face", NULL, 1.5, 0},
    {"illumination_uniformity", COVERS, "face", NULL, 1.5, 0},
    {"face_shadow", COVERS, "face", NULL, 1.5, 0},
    {"red_eye", JUDGES, "eyes", NULL, 4.0, 0},
    {"hot_spots", COVERS, "face", NULL, 1.5, 0},
    {"background_uniformity", WHOLE_IMAGE, NULL, NULL, 0, 0}, /* the wall is all around the subject */
    {"recapture", JUDGES, "face", NULL, 1.5, 0},              /* the spectrum of a window on the face */
    {"retouching", COVERS, "face", NULL, 1.5, 0},
    {"makeup", JUDGES, "mouth", "eyes", 4.0, 0}, /* the lips or the eyelids, whichever decides */
    {"compression", WHOLE_IMAGE, NULL, NULL, 0, 0},
    {"expression", COVERS, "face", NULL, 1.5, 0},
};
#define N_RULES (sizeof rules / sizeof rules[0])

/* One rule on one photo; the marks missing on that photo (a hidden ear) are not asked for. */
static int region_ok(const char *photo, const json_t *report, const json_t *marks, const region_rule *rule, int img_w,
                     int img_h) {
  const json_t *o = check_of(report, rule->id);
  if (!o) {
    fprintf(stderr, "%s: no result for %s\n", photo, rule->id);
    return 0;
  }
  double r[4], b[4];
  box_of(json_object_get(o, "region"), r);
  int ok = 0, marked = 0;
  if (rule->kind == WHOLE_IMAGE) {
    ok = fabs(r[0]) <= 1 && fabs(r[1]) <= 1 && fabs(r[2] - img_w) <= 1 && fabs(r[3] - img_h) <= 1;
  } else {
    const char *names[2] = {rule->box1, rule->box2};
    for (int k = 0; k < 2; k++) {
      if (!mark_of(marks, names[k], b)) continue;
      marked++;
      ok = ok || (rule->kind == COVERS ? covers(r, b, 0.6, rule->ratio)
                                       : judges(r, b, rule->ratio) && covers(r, b, rule->min_cover, rule->ratio));
    }
    if (!marked) {
      fprintf(stderr, "%s: no mark %s for %s\n", photo, rule->box1, rule->id);
      return 0;
    }
  }
  if (!ok)
    fprintf(stderr, "%s: %s region [%.0f %.0f %.0f %.0f] does not %s %s%s%s\n", photo, rule->id, r[0], r[1], r[2], r[3],
            rule->kind == WHOLE_IMAGE ? "span the photo"
            : rule->kind == COVERS    ? "cover"
                                      : "judge",
            rule->box1 ? rule->box1 : "", rule->box2 ? " or " : "", rule->box2 ? rule->box2 : "");
  return ok;
}

static void test_regions_on_marked_photos(void **state) {
  (void)state;
  const char *photo;
  json_t *marks;
  int n = 0, bad = 0;
  json_object_foreach(boxes, photo, marks) {
    gchar *buf;
    gsize len;
    assert_true(dev_photo_read(photo, &buf, &len));
    /* The photo's own size (upright), read apart from the engine, for the whole-image checks. */
    VipsImage *in = vips_image_new_from_buffer(buf, len, "", NULL), *up = NULL;
    assert_non_null(in);
    assert_int_equal(vips_autorot(in, &up, NULL), 0);
    int img_w = vips_image_get_width(up), img_h = vips_image_get_height(up);
    g_object_unref(up);
    g_object_unref(in);
    photo_analysis a;
    err_t err;
    int rc = photo_analyze(engine, buf, len, CHECKS_WORK_SIDE, &a, &err);
    g_free(buf);
    assert_int_equal(rc, 0);
    assert_true(a.has_landmarks);
    json_t *report = NULL;
    assert_int_equal(photo_checks_run(engine, &a, cfg, &report, &err), 0);
    for (size_t i = 0; i < N_RULES; i++) bad += !region_ok(photo, report, marks, &rules[i], img_w, img_h);
    json_decref(report);
    photo_analysis_free(&a);
    n++;
  }
  assert_int_equal(bad, 0);
  assert_true(n >= 3);
}

/* Every check the engine reports has a rule here, and every rule names a check of the catalog: a
 * new check cannot go untested, a renamed one cannot leave a rule that tests nothing. */
static void test_every_check_has_a_rule(void **state) {
  (void)state;
  size_t engine_checks = 0;
  for (const photo_check_def *d = photo_check_catalog; d->id; d++) {
    if (!d->by_engine) continue;
    engine_checks++;
    int found = 0;
    for (size_t i = 0; i < N_RULES; i++) found |= strcmp(rules[i].id, d->id) == 0;
    if (!found) fprintf(stderr, "no region rule for %s\n", d->id);
    assert_true(found);
  }
  for (size_t i = 0; i < N_RULES; i++) assert_non_null(photo_check_find(rules[i].id));
  assert_int_equal(engine_checks, N_RULES);
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
      cmocka_unit_test(test_every_check_has_a_rule),
      cmocka_unit_test(test_regions_on_marked_photos),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

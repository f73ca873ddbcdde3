/* The face networks' adapter (src/vision/face_analysis.h) and the face print (src/photo/
 * face_compare.h) refuse what they cannot use, with a reason, instead of reading outside an image
 * or trusting a NaN: missing models, null or tiny images, keypoints that are NaN, huge or collapsed,
 * face boxes of no size, eyes one above the other or upside down, undecodable bytes. And what they
 * accept behaves: a photo is the same person as itself cropped and re-encoded (its box moving with
 * the crop), a flat picture has no face, the expression is a distribution, the engine's analysis
 * gives the print describing gives. An engine without the face networks says what is missing. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <vips/vips.h>

#include "photo/checks/checks.h"
#include "photo/face_compare.h"
#include "photo/photo.h"
#include "vision/face_analysis.h"
#include "dev_photo.h"

/* The "expression" result of a checks report (NULL when absent). */
static const json_t *expression_result(const json_t *report) {
  size_t i;
  json_t *o;
  json_array_foreach(json_object_get(report, "checks"), i, o) {
    if (!strcmp(json_string_value(json_object_get(o, "id")), "expression")) return o;
  }
  return NULL;
}

static uint8_t *grey_image(int w, int h, uint8_t v) {
  uint8_t *p = malloc((size_t)w * h * 3);
  memset(p, v, (size_t)w * h * 3);
  return p;
}

static void refuses_missing_models(void **state) {
  (void)state;
  char why[256] = "";
  assert_null(face_nets_open("/nonexistent-models-dir", why, sizeof why));
  assert_non_null(strstr(why, "faceres.onnx"));
  assert_null(face_nets_open(NULL, why, sizeof why));
  err_t err = {0};
  assert_null(photo_engine_open("/nonexistent-models-dir", &err));
  assert_string_equal(err.code, "models_missing");
  /* No engine: no networks, said so. */
  err_clear(&err);
  assert_null(photo_engine_face_nets(NULL, &err));
  assert_string_equal(err.code, "models_missing");
}

static void align_refuses_bad_points(void **state) {
  (void)state;
  int w = 200, h = 200;
  uint8_t *img = grey_image(w, h, 128), out[FACE_ALIGN_SIDE * FACE_ALIGN_SIDE * 3];
  char why[256];
  float good[4][2] = {{80, 90}, {120, 90}, {100, 110}, {100, 130}};
  assert_int_equal(face_align(img, w, h, good, out, why, sizeof why), 0);
  float bad[4][2];
  memcpy(bad, good, sizeof bad);
  bad[2][0] = NAN;
  assert_int_equal(face_align(img, w, h, bad, out, why, sizeof why), -1);
  memcpy(bad, good, sizeof bad);
  bad[1][1] = 1e30f;
  assert_int_equal(face_align(img, w, h, bad, out, why, sizeof why), -1);
  float same[4][2] = {{50, 50}, {50, 50}, {50, 50}, {50, 50}};
  why[0] = 0;
  assert_int_equal(face_align(img, w, h, same, out, why, sizeof why), -1);
  assert_non_null(strstr(why, "collapse"));
  /* Points a whole image apart several times over: no face. */
  float giant[4][2] = {{-3000, 0}, {3000, 0}, {0, 2000}, {0, 4000}};
  assert_int_equal(face_align(img, w, h, giant, out, why, sizeof why), -1);
  assert_int_equal(face_align(NULL, w, h, good, out, why, sizeof why), -1);
  assert_int_equal(face_align(img, 4, 4, good, out, why, sizeof why), -1);
  assert_int_equal(face_align(img, w, h, good, NULL, why, sizeof why), -1);
  /* Keypoints partly outside the image are a cut face: black where the image ends, no crash. */
  float edge[4][2] = {{-10, 5}, {30, 5}, {10, 25}, {10, 45}};
  assert_int_equal(face_align(img, w, h, edge, out, NULL, 0), 0);
  free(img);
}

static void emotion_crop_refuses_bad_boxes(void **state) {
  (void)state;
  int w = 120, h = 160;
  uint8_t *img = grey_image(w, h, 90), out[FACE_EMOTION_SIDE * FACE_EMOTION_SIDE * 3];
  char why[256];
  float box[4] = {20, 30, 80, 90}, eyes[2][2] = {{45, 60}, {75, 60}};
  assert_int_equal(face_emotion_crop(img, w, h, box, (const float(*)[2])eyes, out, why, sizeof why), 0);
  /* A level crop of a flat image is flat. */
  assert_int_equal(out[0], 90);
  assert_int_equal(out[sizeof out / 2 + 1], 90);
  float nobox[4] = {20, 30, 0, 0};
  assert_int_equal(face_emotion_crop(img, w, h, nobox, (const float(*)[2])eyes, out, why, sizeof why), -1);
  float nanbox[4] = {NAN, 30, 80, 90};
  assert_int_equal(face_emotion_crop(img, w, h, nanbox, (const float(*)[2])eyes, out, why, sizeof why), -1);
  float stacked[2][2] = {{60, 40}, {60, 80}};
  why[0] = 0;
  assert_int_equal(face_emotion_crop(img, w, h, box, (const float(*)[2])stacked, out, why, sizeof why), -1);
  assert_non_null(strstr(why, "side by side"));
  float swapped[2][2] = {{75, 60}, {45, 60}}; /* upside down */
  assert_int_equal(face_emotion_crop(img, w, h, box, (const float(*)[2])swapped, out, why, sizeof why), -1);
  free(img);
}

static void cosine_edges(void **state) {
  (void)state;
  float a[3] = {1, 2, 3}, b[3] = {2, 4, 6}, z[3] = {0, 0, 0};
  assert_true(fabs(face_cosine(a, b, 3) - 1.0) < 1e-9);
  assert_true(face_cosine(a, z, 3) == 0.0);
  assert_true(face_cosine(NULL, a, 3) == 0.0);
  face_print p = {0}, q = {0};
  assert_true(face_print_similarity(&p, &q) == 0.0);
  assert_false(face_same_person(0.0));
  assert_true(face_same_person(FACE_SAME_THRESHOLD));
  assert_true(FACE_CAL_IMPOSTOR_MAX < FACE_SAME_THRESHOLD && FACE_SAME_THRESHOLD < FACE_CAL_GENUINE_MIN);
}

/* A print at rest: round trip, and every kind of damage refused. */
static void print_packing(void **state) {
  (void)state;
  face_print p = {0}, q;
  for (int i = 0; i < FACE_DESCRIPTOR_DIM; i++) p.descriptor[i] = (float)(i % 7) * 0.25f;
  p.found = 1;
  uint8_t buf[FACE_PRINT_BYTES + 1];
  face_print_pack(&p, buf);
  err_t err = {0};
  assert_int_equal(face_print_unpack(buf, FACE_PRINT_BYTES, &q, &err), 0);
  assert_true(q.found);
  assert_memory_equal(p.descriptor, q.descriptor, sizeof p.descriptor);
  assert_true(fabs(face_print_similarity(&p, &q) - 1.0) < 1e-9);
  assert_int_equal(face_print_unpack(buf, FACE_PRINT_BYTES - 1, &q, &err), -1);
  assert_string_equal(err.code, "bad_face_print");
  assert_false(q.found);
  assert_int_equal(face_print_unpack(buf, FACE_PRINT_BYTES + 1, &q, &err), -1);
  assert_int_equal(face_print_unpack(NULL, FACE_PRINT_BYTES, &q, &err), -1);
  buf[0] = 'X';
  assert_int_equal(face_print_unpack(buf, FACE_PRINT_BYTES, &q, &err), -1);
  buf[0] = 'T';
  buf[5] = 0x08; /* 2048: another dimension */
  assert_int_equal(face_print_unpack(buf, FACE_PRINT_BYTES, &q, &err), -1);
  face_print_pack(&p, buf);
  memset(buf + 8 + 4 * 10, 0xff, 4); /* a NaN */
  assert_int_equal(face_print_unpack(buf, FACE_PRINT_BYTES, &q, &err), -1);
  p.descriptor[11] = 1.0f;
  face_print_pack(&p, buf);
  buf[8 + 4 * 11 + 3] |= 0x80; /* -1.0: no descriptor has a negative value */
  assert_int_equal(face_print_unpack(buf, FACE_PRINT_BYTES, &q, &err), -1);
}

/* With the real models: a photo is itself after a crop and a re-encode; its expression is a
 * distribution; garbage bytes are refused as the engine refuses them. */
static void real_models(void **state) {
  (void)state;
  err_t err = {0};
  photo_engine *m = photo_engine_open(NULL, &err);
  if (!m) fail_msg("models: %s", err.message);
  assert_non_null(photo_engine_face_nets(m, &err));
  gchar *buf = NULL;
  gsize len = 0;
  assert_true(dev_photo_read("deepface_img20.jpg", &buf, &len));
  face_print a, b;
  assert_int_equal(face_print_describe(m, buf, len, &a, &err), 0);
  assert_true(a.found);
  /* The same photo cropped by 10% on the left and top and saved again. */
  VipsImage *im = vips_image_new_from_buffer(buf, len, "", NULL), *cut = NULL;
  assert_non_null(im);
  int cx = im->Xsize / 10, cy = im->Ysize / 10;
  assert_int_equal(vips_crop(im, &cut, cx, cy, im->Xsize - cx, im->Ysize - cy, NULL), 0);
  void *jpg = NULL;
  size_t jlen = 0;
  assert_int_equal(vips_jpegsave_buffer(cut, &jpg, &jlen, "Q", 80, NULL), 0);
  assert_int_equal(face_print_describe(m, jpg, jlen, &b, &err), 0);
  assert_true(b.found);
  double s = face_print_similarity(&a, &b);
  assert_true(s > 0.9);
  /* The box moved with the crop (original pixels). */
  assert_true(fabs((a.box.x - cx) - b.box.x) < 0.05 * a.box.w);
  g_free(jpg);
  g_object_unref(cut);
  g_object_unref(im);
  /* Garbage and truncation: the engine's refusal codes, no print. */
  err_clear(&err);
  assert_int_equal(face_print_describe(m, "garbage bytes here", 18, &b, &err), -1);
  assert_int_equal(err.status, 422);
  assert_false(b.found);
  err_clear(&err);
  assert_int_equal(face_print_describe(m, buf, len / 4, &b, &err), -1);
  assert_string_equal(err.code, "CORRUPT_IMAGE");
  /* A flat grey picture has no face: 0 with found = 0. */
  uint8_t *flat = grey_image(320, 240, 200);
  assert_int_equal(face_print_describe_rgb(m, flat, 320, 240, 1.0, &b, &err), 0);
  assert_false(b.found);
  assert_int_equal(face_print_describe_rgb(m, flat, 8, 8, 1.0, &b, &err), -1);
  free(flat);
  /* The engine's analysis of the photo gives the same print as describing it (one path, one
   * network), and the checks read its expression with the same engine. */
  photo_analysis an;
  assert_int_equal(photo_analyze(m, buf, len, 0, &an, &err), 0);
  assert_int_equal(face_print_from_analysis(m, &an, &b, &err), 0);
  assert_true(b.found);
  assert_true(face_print_similarity(&a, &b) > 0.99);
  json_t *cfg = photo_checks_profile_config("chsi-blue", &err), *report = NULL;
  assert_non_null(cfg);
  assert_int_equal(photo_checks_run(m, &an, cfg, &report, &err), 0);
  const json_t *ex = expression_result(report);
  assert_non_null(ex);
  assert_non_null(json_object_get(json_object_get(ex, "detail"), "happy"));
  json_decref(report);
  json_decref(cfg);
  photo_analysis_free(&an);
  g_free(buf);

  face_nets *n = photo_engine_face_nets(m, &err);
  char why[256];
  uint8_t *img = grey_image(200, 200, 128);
  float box[4] = {50, 50, 100, 100}, eyes[2][2] = {{80, 90}, {120, 90}}, pr[FACE_EMOTION_COUNT];
  assert_int_equal(face_expression(n, img, 200, 200, box, (const float(*)[2])eyes, pr, why, sizeof why), 0);
  double sum = 0;
  for (int i = 0; i < FACE_EMOTION_COUNT; i++) {
    assert_true(pr[i] >= 0 && pr[i] <= 1);
    sum += pr[i];
  }
  assert_true(fabs(sum - 1) < 1e-4);
  free(img);
  photo_engine_close(m);
}

/* An engine whose models directory lacks the face networks still opens (an operator who cannot
 * clear the descriptor's licence removes it, docs/models.md) and says what is missing: no print
 * (models_missing, never an empty print that would compare as "different"), and the expression
 * check unmeasured with the reviewer told to look, never passed. */
static void engine_without_face_nets(void **state) {
  (void)state;
  char dir[] = "/tmp/tucai-nofacenets-XXXXXX", from[4096], to[4096];
  assert_non_null(mkdtemp(dir));
  const char *models = photo_default_models_dir();
  GDir *d = g_dir_open(models, 0, NULL);
  assert_non_null(d);
  const char *name;
  while ((name = g_dir_read_name(d))) {
    if (!strcmp(name, "faceres.onnx") || !strcmp(name, "emotion.onnx")) continue;
    snprintf(from, sizeof from, "%s/%s", models, name);
    snprintf(to, sizeof to, "%s/%s", dir, name);
    assert_int_equal(symlink(from, to), 0);
  }
  g_dir_close(d);
  err_t err = {0};
  photo_engine *e = photo_engine_open(dir, &err);
  if (!e) fail_msg("engine without face networks: %s", err.message);
  err_clear(&err);
  assert_null(photo_engine_face_nets(e, &err));
  assert_string_equal(err.code, "models_missing");
  assert_non_null(strstr(err.message, "faceres.onnx"));

  gchar *buf = NULL;
  gsize len = 0;
  assert_true(dev_photo_read("deepface_img20.jpg", &buf, &len));
  face_print p;
  err_clear(&err);
  assert_int_equal(face_print_describe(e, buf, len, &p, &err), -1);
  assert_string_equal(err.code, "models_missing");
  assert_false(p.found);
  photo_analysis an;
  assert_int_equal(photo_analyze(e, buf, len, 0, &an, &err), 0);
  assert_true(an.subject >= 0);
  err_clear(&err);
  assert_int_equal(face_print_from_analysis(e, &an, &p, &err), -1);
  assert_string_equal(err.code, "models_missing");
  json_t *cfg = photo_checks_profile_config("chsi-blue", &err), *report = NULL;
  assert_non_null(cfg);
  assert_int_equal(photo_checks_run(e, &an, cfg, &report, &err), 0);
  const json_t *ex = expression_result(report);
  assert_non_null(ex);
  assert_string_equal(json_string_value(json_object_get(ex, "status")), "warn");
  assert_false(json_is_true(json_object_get(json_object_get(ex, "detail"), "measured")));
  assert_non_null(strstr(json_string_value(json_object_get(ex, "message")), "模型未安装"));
  json_decref(report);
  json_decref(cfg);
  photo_analysis_free(&an);
  g_free(buf);
  photo_engine_close(e);
  GDir *c = g_dir_open(dir, 0, NULL);
  while (c && (name = g_dir_read_name(c))) {
    snprintf(to, sizeof to, "%s/%s", dir, name);
    unlink(to);
  }
  if (c) g_dir_close(c);
  rmdir(dir);
}

int main(void) {
  if (VIPS_INIT("test_face_analysis")) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(refuses_missing_models),
      cmocka_unit_test(align_refuses_bad_points),
      cmocka_unit_test(emotion_crop_refuses_bad_boxes),
      cmocka_unit_test(cosine_edges),
      cmocka_unit_test(print_packing),
      cmocka_unit_test(real_models),
      cmocka_unit_test(engine_without_face_nets),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The compact landmark model (src/vision/landmarks.h) against dlib's own shape predictor.
 *
 * On every face BlazeFace finds in the dev photos (../shared/photos/dev, decoded as the engine
 * decodes them), at the engine's box and at that box moved and scaled, the landmarks of
 *   - the .dat converted with dlib's float leaves are exactly dlib's (the evaluator is dlib's);
 *   - the shipped int8 model are within LM_MAX_PX / LM_MEAN_PX of dlib's at the engine's boxes, and
 *     closer to dlib's on average than dlib's own are when its box moves by one pixel;
 * the numbers for int16 leaves are printed beside them. Damaged model files (empty, truncated,
 * wrong magic, another version, absurd dimensions, a flipped byte, trailing bytes, an index out of
 * range or a NaN under a valid checksum) are refused by vision_open with a reason. */
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

#include "photo/stages.h"
#include "vision/landmarks.h"
#include "vision/vision.h"

/* int8 leaves against dlib's float leaves at the engine's boxes, in work-image pixels (long side
 * 1600; faces 100-700 px wide). Measured: max 11.7 px, mean 1.3 px. The predictor amplifies any
 * change of its numbers (a feature pixel that rounds to its neighbour picks other leaves in every
 * later tree), so these are far from the quantisation step; dlib itself moves as far when its box
 * moves by one pixel, which the test also checks. */
#define LM_MAX_PX 16.0
#define LM_MEAN_PX 2.0

#define DLIB_DAT "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"

static char models_dir[4096], compact_path[4200], tmpdir[64];

static int setup(void **state) {
  (void)state;
  if (VIPS_INIT("test_vision_landmarks")) return -1;
  snprintf(models_dir, sizeof models_dir, "%s", photo_default_models_dir());
  const char *env = getenv("TUCAI_LANDMARKS");
  if (env && *env)
    snprintf(compact_path, sizeof compact_path, "%s", env);
  else
    snprintf(compact_path, sizeof compact_path, "%s/landmarks68.bin", models_dir);
  snprintf(tmpdir, sizeof tmpdir, "/tmp/tucai-lm-XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
  int rc = system(cmd);
  g_free(cmd);
  vips_shutdown();
  return rc == 0 ? 0 : -1;
}

static char *shared_path(const char *rel) {
  const char *shared = getenv("TUCAI_SHARED");
  return g_strdup_printf("%s/%s", shared && *shared ? shared : TUCAI_SOURCE_DIR "/../shared", rel);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* How far one predictor's landmarks are from dlib's, over every landmark of a set of boxes. */
typedef struct agreement {
  int points, exact;
  double max_px, sum_px, max_iod, sum_iod;
} agreement;

static void agree(agreement *ag, float a[68][2], float ref[68][2]) {
  /* Inter-ocular distance (outer eye corners), the usual yardstick of landmark error. */
  double iod = hypot(ref[45][0] - ref[36][0], ref[45][1] - ref[36][1]);
  for (int k = 0; k < 68; k++) {
    double d = hypot(a[k][0] - ref[k][0], a[k][1] - ref[k][1]);
    ag->points++;
    ag->exact += d == 0;
    ag->sum_px += d;
    ag->sum_iod += d / iod;
    if (d > ag->max_px) ag->max_px = d;
    if (d / iod > ag->max_iod) ag->max_iod = d / iod;
  }
}

static void print_agreement(const char *what, const agreement *ag) {
  printf("  %-44s max %5.2f px (%4.1f%% IOD), mean %.3f px (%.2f%% IOD), %5.1f%% identical\n", what, ag->max_px,
         100 * ag->max_iod, ag->sum_px / ag->points, 100 * ag->sum_iod / ag->points, 100.0 * ag->exact / ag->points);
}

enum { FLOAT, INT16, SHIPPED, MODELS };
static const char *const model_names[MODELS] = {"float leaves (dlib's own numbers)", "int16 leaves",
                                                "int8 leaves (landmarks68.bin)"};

static void landmarks_agree_with_dlib_on_the_dev_photos(void **state) {
  (void)state;
  char why[512] = "";
  vision_dlib_landmarks *ref = vision_dlib_landmarks_open(DLIB_DAT, why, sizeof why);
  if (!ref) fprintf(stderr, "%s\n", why);
  assert_non_null(ref);
  /* The same .dat in our format with dlib's float leaves, and with int16 leaves; the shipped file. */
  vision *v[MODELS];
  char *paths[MODELS] = {g_strdup_printf("%s/float.bin", tmpdir), g_strdup_printf("%s/int16.bin", tmpdir),
                         g_strdup(compact_path)};
  for (int m = 0; m < MODELS; m++) {
    if (m != SHIPPED && vision_landmarks_convert(DLIB_DAT, paths[m], m == FLOAT ? 32 : 16, why, sizeof why))
      fprintf(stderr, "%s\n", why);
    v[m] = vision_open(models_dir, paths[m], why, sizeof why);
    if (!v[m]) fprintf(stderr, "%s\n", why);
    assert_non_null(v[m]);
    if (m != SHIPPED) unlink(paths[m]);
    g_free(paths[m]);
  }

  char *dir = shared_path("photos/dev");
  GDir *d = g_dir_open(dir, 0, NULL);
  assert_non_null(d);
  char *names[128];
  int n = 0;
  const char *name;
  while ((name = g_dir_read_name(d)) && n < 128)
    if (name[0] != '.') names[n++] = g_strdup(name);
  g_dir_close(d);
  qsort(names, n, sizeof names[0], cmp_str);
  assert_true(n >= 30);

  /* [model][0]: the engine's boxes; [model][1]: every box. dlib_shifted: dlib itself, its box moved
   * one pixel to the right, which is how much dlib's landmarks depend on a pixel of the box. */
  agreement ag[MODELS][2], dlib_shifted[2];
  memset(ag, 0, sizeof ag);
  memset(dlib_shifted, 0, sizeof dlib_shifted);
  int photos = 0, faces = 0;
  photo_limits limits = {20L * 1024 * 1024, 50L * 1000 * 1000};
  for (int i = 0; i < n; i++) {
    char *path = g_strdup_printf("%s/%s", dir, names[i]);
    gchar *buf = NULL;
    gsize len = 0;
    assert_true(g_file_get_contents(path, &buf, &len, NULL));
    photo_decoded dec;
    err_t err = {0};
    assert_int_equal(photo_decode(buf, len, &limits, PHOTO_WORK_SIDE, &dec, &err), 0);
    vision_face found[16];
    int nf = vision_detect_faces(v[SHIPPED], dec.work.px, dec.work.w, dec.work.h, 0.5f, found, 16, why, sizeof why);
    assert_true(nf >= 0);
    photos += nf > 0;
    agreement here = {0};
    for (int f = 0; f < nf; f++) {
      faces++;
      /* The engine's box, then moved by a tenth of its size and scaled by 0.9 and 1.15. */
      static const float shift[3] = {0, 0.1f, -0.05f}, scale[3] = {1, 0.9f, 1.15f};
      for (int b = 0; b < 3; b++) {
        float cx = found[f].x + found[f].w * (0.5f + shift[b]), cy = found[f].y + found[f].h * (0.5f + shift[b]);
        float bw = found[f].w * scale[b], bh = found[f].h * scale[b];
        float box[4] = {cx - bw / 2, cy - bh / 2, bw, bh}, moved[4] = {box[0] + 1, box[1], box[2], box[3]};
        float dlibs[68][2], dlibs_moved[68][2], ours[68][2];
        int rc = vision_dlib_landmarks_run(ref, dec.work.px, dec.work.w, dec.work.h, box, dlibs, why, sizeof why);
        for (int m = 0; m < MODELS; m++) {
          assert_int_equal(vision_landmarks(v[m], dec.work.px, dec.work.w, dec.work.h, box, ours, why, sizeof why), rc);
          if (rc) continue; /* the box left the image: both refuse */
          if (b == 0) agree(&ag[m][0], ours, dlibs);
          agree(&ag[m][1], ours, dlibs);
          if (m == SHIPPED) agree(&here, ours, dlibs);
        }
        if (rc == 0 && vision_dlib_landmarks_run(ref, dec.work.px, dec.work.w, dec.work.h, moved, dlibs_moved, why,
                                                 sizeof why) == 0) {
          if (b == 0) agree(&dlib_shifted[0], dlibs_moved, dlibs);
          agree(&dlib_shifted[1], dlibs_moved, dlibs);
        }
      }
    }
    printf("  %-30s %4dx%-4d %d face(s), int8 max %5.2f px mean %.2f px\n", names[i], dec.work.w, dec.work.h, nf,
           here.max_px, here.points ? here.sum_px / here.points : 0);
    g_free(dec.work.px);
    g_free(buf);
    g_free(path);
    g_free(names[i]);
  }
  g_free(dir);
  for (int m = 0; m < MODELS; m++) vision_close(v[m]);
  vision_dlib_landmarks_close(ref);

  printf("  %d photos with faces, %d faces; distances to dlib's landmarks in work-image pixels:\n", photos, faces);
  for (int s = 0; s < 2; s++) {
    printf(" %s\n", s == 0 ? "the engine's boxes:" : "every box (the engine's, moved, scaled):");
    for (int m = 0; m < MODELS; m++) print_agreement(model_names[m], &ag[m][s]);
    print_agreement("dlib itself with its box moved by 1 px", &dlib_shifted[s]);
  }
  printf("  tolerance for int8 on the engine's boxes: max %.1f px, mean %.1f px\n", LM_MAX_PX, LM_MEAN_PX);
  assert_true(photos >= 30);
  /* The evaluator is dlib's: with dlib's numbers it gives dlib's landmarks, every one. */
  assert_int_equal(ag[FLOAT][1].exact, ag[FLOAT][1].points);
  /* Quantising the leaves moves the landmarks less than moving the box by one pixel does. */
  assert_true(ag[SHIPPED][1].sum_px <= dlib_shifted[1].sum_px);
  assert_true(ag[SHIPPED][0].max_px <= LM_MAX_PX);
  assert_true(ag[SHIPPED][0].sum_px / ag[SHIPPED][0].points <= LM_MEAN_PX);
}

/* Writes `len` bytes of `data` as a model file and expects vision_open to refuse it saying `reason`. */
static void expect_refused(const char *label, const void *data, size_t len, const char *reason) {
  char *path = g_strdup_printf("%s/%s.bin", tmpdir, label);
  assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
  char why[512] = "";
  vision *v = vision_open(models_dir, path, why, sizeof why);
  printf("  %-14s %s\n", label, why);
  if (v) vision_close(v);
  assert_null(v);
  if (!strstr(why, reason)) fprintf(stderr, "%s: expected \"%s\" in \"%s\"\n", label, reason, why);
  assert_non_null(strstr(why, reason));
  assert_non_null(strstr(why, path)); /* the message names the file */
  unlink(path);
  g_free(path);
}

static uint32_t get_u32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* Recomputes the header's checksum, so that only the damage under test is left to find. */
static void reseal(uint8_t *m, size_t len) {
  uint64_t h = lm_fnv1a(LM_FNV_SEED, m + LM_HEADER_BYTES, len - LM_HEADER_BYTES);
  memcpy(m + 48, &h, 8);
}

static void damaged_models_are_refused(void **state) {
  (void)state;
  gchar *good = NULL;
  gsize len = 0;
  assert_true(g_file_get_contents(compact_path, &good, &len, NULL));
  assert_true(len > LM_HEADER_BYTES);
  assert_memory_equal(good, LM_MAGIC, 8);
  uint8_t *m = g_malloc(len + 1);
  const uint32_t parts = get_u32((uint8_t *)good + 12), cascades = get_u32((uint8_t *)good + 16),
                 trees = get_u32((uint8_t *)good + 20), depth = get_u32((uint8_t *)good + 24),
                 features = get_u32((uint8_t *)good + 28);
  const size_t coords = 2 * (size_t)parts, nfeat = (size_t)cascades * features;
  const size_t splits_at = LM_HEADER_BYTES + coords * 4 + nfeat * 2 + nfeat * 8;
  const size_t scales_at = splits_at + (size_t)cascades * trees * ((1u << depth) - 1) * 8;

  char missing[128];
  snprintf(missing, sizeof missing, "%s/absent.bin", tmpdir);
  char why[512] = "";
  assert_null(vision_open(models_dir, missing, why, sizeof why));
  printf("  %-14s %s\n", "absent", why);
  assert_non_null(strstr(why, "No such file"));

  expect_refused("empty", "", 0, "shorter than its header");
  expect_refused("header-only", good, LM_HEADER_BYTES, "truncated");
  expect_refused("truncated", good, len / 2, "truncated");
  expect_refused("one-short", good, len - 1, "truncated");

  memcpy(m, good, len);
  memcpy(m, "\x89PNG\r\n\x1a\n", 8);
  expect_refused("wrong-magic", m, len, "wrong magic");

  memcpy(m, good, len);
  put_u32(m + 8, LM_VERSION + 1);
  expect_refused("version", m, len, "format version");

  memcpy(m, good, len);
  put_u32(m + 24, 40); /* a depth of 40 would be 2^40 leaves per tree */
  expect_refused("depth", m, len, "out of range");

  memcpy(m, good, len);
  put_u32(m + 32, 12);
  expect_refused("leaf-bits", m, len, "out of range");

  memcpy(m, good, len);
  put_u32(m + 28, features - 1);
  expect_refused("features", m, len, "body size");

  memcpy(m, good, len);
  m[len - 1000] ^= 0x40;
  expect_refused("flipped-byte", m, len, "checksum");

  memcpy(m, good, len);
  m[len] = 0;
  expect_refused("trailing", m, len + 1, "bytes after its body");

  memcpy(m, good, len);
  put_u32(m + 12, 67);
  expect_refused("parts", m, len, "body size");

  /* Damage that a valid checksum does not excuse. */
  memcpy(m, good, len);
  uint16_t bad_idx = (uint16_t)features;
  memcpy(m + splits_at + 8 * 1234, &bad_idx, 2);
  reseal(m, len);
  expect_refused("split-index", m, len, "feature pixel that does not exist");

  memcpy(m, good, len);
  uint16_t bad_anchor = (uint16_t)parts;
  memcpy(m + LM_HEADER_BYTES + coords * 4 + 2 * 17, &bad_anchor, 2);
  reseal(m, len);
  expect_refused("anchor", m, len, "landmark that does not exist");

  memcpy(m, good, len);
  float nan = NAN;
  memcpy(m + scales_at + 4 * 99, &nan, 4);
  reseal(m, len);
  expect_refused("nan-scale", m, len, "not finite");

  /* And the intact file still loads. */
  vision *v = vision_open(models_dir, compact_path, why, sizeof why);
  assert_non_null(v);
  vision_close(v);
  g_free(m);
  g_free(good);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(damaged_models_are_refused),
      cmocka_unit_test(landmarks_agree_with_dlib_on_the_dev_photos),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

/* test_checks_constructed: each check moves the right way on photos made from a real dev photo.
 *
 * deepface_img30 (a man in a plain black T-shirt before a light wall) passes the checks below
 * under chsi-blue; the test then darkens, blurs, half-shades, overlays moire, recompresses at
 * quality 10, draws glasses, earrings, red eyes, a blue shirt or bare shoulders, rotates the
 * head, or puts two people in the frame, and asserts that the matching check fails and that its
 * value moved past the profile's threshold. test_more_checks_move does the same for the other
 * checks (fringe, hair over the ears, mask, a hand over the mouth, sunglasses, glare, shadow, stripes, turtleneck, hat,
 * makeup, necklace, beauty filter, busy background): the value moves the right way and the
 * status leaves pass. The clothing_pattern tests also hold what must not warn: a fine knit, and
 * long hair over a plain jacket (deepface_img3 as it is). Thresholds come from
 * profiles/chsi-blue.json. */
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
#include "photo/stages.h"
#include "dev_photo.h"

static json_t *cfg;
static photo_engine *engine; /* the one engine of this test process: detection and landmarks */
static photo_analysis base;

static double eye_lx, eye_ly, eye_rx, eye_ry, iod;

static int setup(void **state) {
  (void)state;
  if (VIPS_INIT("test_checks")) return -1;
  err_t err;
  engine = photo_engine_open(NULL, &err);
  if (!engine) {
    fprintf(stderr, "engine: %s\n", err.message);
    return -1;
  }
  cfg = photo_checks_profile_config("chsi-blue", &err);
  if (!cfg) {
    fprintf(stderr, "profile: %s\n", err.message);
    return -1;
  }
  gchar *buf;
  gsize len;
  if (!dev_photo_read("deepface_img30.jpg", &buf, &len)) return -1;
  int rc = photo_analyze(engine, buf, len, CHECKS_WORK_SIDE, &base, &err);
  g_free(buf);
  if (rc || !base.has_landmarks) return -1;
  eye_lx = eye_ly = eye_rx = eye_ry = 0;
  for (int i = 0; i < 6; i++) {
    eye_lx += base.landmarks[36 + i][0] / 6, eye_ly += base.landmarks[36 + i][1] / 6;
    eye_rx += base.landmarks[42 + i][0] / 6, eye_ry += base.landmarks[42 + i][1] / 6;
  }
  iod = hypot(eye_rx - eye_lx, eye_ry - eye_ly);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  photo_analysis_free(&base);
  photo_engine_close(engine);
  json_decref(cfg);
  return 0;
}

/* A copy of the base analysis with its own pixels (same landmarks). */
static photo_analysis copy_base(void) {
  photo_analysis a = base;
  size_t n = (size_t)base.work.w * base.work.h * 3;
  a.work.px = malloc(n);
  assert_non_null(a.work.px);
  memcpy(a.work.px, base.work.px, n);
  return a;
}

static json_t *run(const photo_analysis *a) {
  json_t *out = NULL;
  err_t err;
  assert_int_equal(photo_checks_run(engine, a, cfg, &out, &err), 0);
  return out;
}

static const char *status_of(const json_t *rep, const char *id, double *value) {
  size_t i;
  json_t *o;
  json_array_foreach(json_object_get(rep, "checks"), i, o) {
    if (strcmp(json_string_value(json_object_get(o, "id")), id) == 0) {
      if (value) *value = json_number_value(json_object_get(o, "value"));
      return json_string_value(json_object_get(o, "status"));
    }
  }
  fail_msg("check %s missing", id);
  return NULL;
}

/* The check passes on the base photo and fails on the constructed one; returns both values. */
static void expect_pass_then_fail(const photo_analysis *changed, const char *id, double *before, double *after) {
  json_t *r0 = run(&base), *r1 = run(changed);
  const char *s0 = status_of(r0, id, before), *s1 = status_of(r1, id, after);
  if (strcmp(s0, "pass") != 0 || strcmp(s1, "fail") != 0)
    fail_msg("%s: base %s (%g), constructed %s (%g)", id, s0, *before, s1, *after);
  json_decref(r0);
  json_decref(r1);
}

static uint8_t *px(photo_analysis *a, int x, int y) { return a->work.px + ((size_t)y * a->work.w + x) * 3; }

static int inside(const photo_analysis *a, int x, int y) { return x >= 0 && y >= 0 && x < a->work.w && y < a->work.h; }

static void disc(photo_analysis *a, double cx, double cy, double r, double ring, const uint8_t rgb[3]) {
  for (int y = (int)(cy - r - 1); y <= cy + r + 1; y++)
    for (int x = (int)(cx - r - 1); x <= cx + r + 1; x++) {
      double d = hypot(x - cx, y - cy);
      if (!inside(a, x, y) || d > r || (ring > 0 && d < r - ring)) continue;
      memcpy(px(a, x, y), rgb, 3);
    }
}

static void ellipse_ring(photo_analysis *a, double cx, double cy, double rx, double ry, double t,
                         const uint8_t rgb[3]) {
  for (int y = (int)(cy - ry - t); y <= cy + ry + t; y++)
    for (int x = (int)(cx - rx - t); x <= cx + rx + t; x++) {
      double e = hypot((x - cx) / rx, (y - cy) / ry);
      if (inside(a, x, y) && fabs(e - 1.0) * fmin(rx, ry) <= t / 2) memcpy(px(a, x, y), rgb, 3);
    }
}

static void scale_pixels(photo_analysis *a, int x0, int x1, double f) {
  for (int y = 0; y < a->work.h; y++)
    for (int x = x0; x < x1; x++)
      for (int k = 0; k < 3; k++) {
        double v = px(a, x, y)[k] * f;
        px(a, x, y)[k] = (uint8_t)(v > 255 ? 255 : v);
      }
}

static void blur(photo_analysis *a, int radius, int passes) {
  int w = a->work.w, h = a->work.h;
  uint8_t *tmp = malloc((size_t)w * h * 3);
  assert_non_null(tmp);
  for (int p = 0; p < passes; p++)
    for (int dir = 0; dir < 2; dir++) {
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          for (int k = 0; k < 3; k++) {
            int s = 0, n = 0;
            for (int d = -radius; d <= radius; d++) {
              int xx = dir ? x : x + d, yy = dir ? y + d : y;
              if (!inside(a, xx, yy)) continue;
              s += px(a, xx, yy)[k], n++;
            }
            tmp[((size_t)y * w + x) * 3 + k] = (uint8_t)(s / n);
          }
      memcpy(a->work.px, tmp, (size_t)w * h * 3);
    }
  free(tmp);
}

static void test_glasses(void **state) {
  (void)state;
  photo_analysis a = copy_base();
  const uint8_t frame[3] = {25, 25, 30};
  ellipse_ring(&a, eye_lx, eye_ly + 0.05 * iod, 0.42 * iod, 0.3 * iod, 0.07 * iod, frame);
  ellipse_ring(&a, eye_rx, eye_ry + 0.05 * iod, 0.42 * iod, 0.3 * iod, 0.07 * iod, frame);
  for (double x = eye_lx + 0.42 * iod; x <= eye_rx - 0.42 * iod; x += 0.5)
    disc(&a, x, (eye_ly + eye_ry) / 2 - 0.02 * iod, 0.035 * iod, 0, frame);
  double before, after;
  expect_pass_then_fail(&a, "glasses", &before, &after);
  assert_true(after > before);
  free(a.work.px);
}

static void test_earrings(void **state) {
  (void)state;
  photo_analysis a = copy_base();
  const uint8_t gold[3] = {170, 125, 35}, glint[3] = {255, 255, 250};
  const float(*lm)[2] = (const float(*)[2])base.landmarks;
  /* Large gold hoops hanging from the earlobes, beside the jaw; polished metal catches the light
   * in small glints along the hoop, which is what the check looks for. */
  double hx[2] = {lm[2][0] - 0.2 * iod, lm[14][0] + 0.2 * iod}, hy[2] = {lm[3][1], lm[13][1]};
  for (int s = 0; s < 2; s++) {
    disc(&a, hx[s], hy[s], 0.2 * iod, 0.07 * iod, gold);
    for (double t = 0; t < 2 * M_PI; t += 0.35)
      disc(&a, hx[s] + 0.165 * iod * cos(t), hy[s] + 0.165 * iod * sin(t), 1.0, 0, glint);
  }
  double before, after;
  expect_pass_then_fail(&a, "earrings", &before, &after);
  assert_true(after > before);
  free(a.work.px);
}

/* Long hair over the earlobes shines in short bright spots along its strands: no earring. The
 * same spots on a plain patch of the hair's colour are what a stud or a drop looks like, so the
 * check must tell them apart by the strands around them (the texture runs one way). */
static void paint_lobe_hair(photo_analysis *a, int strands) {
  const float(*lm)[2] = (const float(*)[2])base.landmarks;
  const uint8_t dark[3] = {70, 50, 30}, light[3] = {185, 150, 105}, shine[3] = {250, 240, 220};
  double x0 = lm[2][0] - 0.55 * iod, x1 = lm[2][0] + 0.15 * iod, y0 = lm[1][1] - 0.25 * iod, y1 = lm[4][1] + 0.1 * iod;
  for (int y = (int)y0; y < y1; y++)
    for (int x = (int)x0; x < x1; x++)
      if (inside(a, x, y)) memcpy(px(a, x, y), !strands || ((int)(x + 0.2 * y) & 3) >= 2 ? light : dark, 3);
  /* Spots on the light strands, a few hundredths of the IOD apart. */
  int gap = (int)fmax(8, 0.08 * iod);
  for (int y = (int)y0 + gap; y < y1 - gap; y += gap)
    for (int x = (int)x0 + gap; x < x1 - gap; x += gap) {
      int xs = x;
      while (((int)(xs + 0.2 * y) & 3) != 2) xs++;
      if (inside(a, xs, y)) memcpy(px(a, xs, y), shine, 3);
      if (inside(a, xs + 1, y)) memcpy(px(a, xs + 1, y), shine, 3);
    }
}

static void test_earrings_not_hair(void **state) {
  (void)state;
  photo_analysis hair = copy_base(), plain = copy_base();
  paint_lobe_hair(&hair, 1);
  paint_lobe_hair(&plain, 0);
  json_t *rh = run(&hair), *rp = run(&plain);
  double vh = 0, vp = 0;
  const char *sh = status_of(rh, "earrings", &vh), *sp = status_of(rp, "earrings", &vp);
  if (strcmp(sh, "pass") != 0 || strcmp(sp, "pass") == 0)
    fail_msg("earrings: shine on hair %s (%g), the same spots on a plain patch %s (%g)", sh, vh, sp, vp);
  json_decref(rh);
  json_decref(rp);
  free(hair.work.px);
  free(plain.work.px);
}

/* A matt piece hangs from the lobe and has no glint (img26's white discs, img9's drop): a filled,
 * lit blob whose colour is neither skin nor the region's hair, round or hanging straight down.
 * Measured only with the person mask, so this test analyses deepface_img30 through the engine's
 * standardize, as `tucai photo check` does. A white disc under the right lobe warns (a piece alone
 * never fails), and so does a silver drop; the same disc in a shadow's dark colour passes, and so
 * does a long thin strand, and the white disc lower down, below the lobe (a collar's button);
 * without a mask nothing is measured. The matting keeps a worn earring
 * with the person, so the piece's pixels are marked person in the mask. */
static void paint_blob(photo_analysis *a, double cx, double cy, double rx, double ry, const uint8_t rgb[3]) {
  for (int y = (int)(cy - ry - 1); y <= cy + ry + 1; y++)
    for (int x = (int)(cx - rx - 1); x <= cx + rx + 1; x++)
      if (inside(a, x, y) && hypot((x - cx) / rx, (y - cy) / ry) <= 1) {
        memcpy(px(a, x, y), rgb, 3);
        if (a->mask.px) a->mask.px[(size_t)y * a->mask.w + x] = 255;
      }
}

static void test_earrings_matt_disc(void **state) {
  (void)state;
  gchar *buf;
  gsize len;
  assert_true(dev_photo_read("deepface_img30.jpg", &buf, &len));
  photo_analysis m;
  err_t err;
  assert_int_equal(checks_analyze_engine(engine, buf, len, "chsi-blue", &m, &err), 0);
  g_free(buf);
  assert_non_null(m.mask.px);
  const float(*lm)[2] = (const float(*)[2])m.landmarks;
  double el[2] = {0, 0}, er[2] = {0, 0};
  for (int i = 0; i < 6; i++)
    el[0] += lm[36 + i][0] / 6, el[1] += lm[36 + i][1] / 6, er[0] += lm[42 + i][0] / 6, er[1] += lm[42 + i][1] / 6;
  double d = hypot(er[0] - el[0], er[1] - el[1]), cx = lm[14][0] + 0.15 * d, cy = lm[13][1];
  const uint8_t white[3] = {235, 235, 230}, shadow[3] = {45, 50, 80}, silver[3] = {205, 205, 210};
  const char *want[6] = {"pass", "warn", "pass", "pass", "warn", "pass"}, *got[6];
  double v[6];
  for (int k = 0; k < 6; k++) {
    photo_analysis a = m;
    size_t n = (size_t)m.work.w * m.work.h;
    a.work.px = malloc(n * 3);
    a.mask.px = malloc(n);
    assert_true(a.work.px && a.mask.px);
    memcpy(a.work.px, m.work.px, n * 3);
    memcpy(a.mask.px, m.mask.px, n);
    if (k == 1) paint_blob(&a, cx, cy, 0.08 * d, 0.08 * d, white);                   /* a matt disc */
    if (k == 2) paint_blob(&a, cx, cy, 0.08 * d, 0.08 * d, shadow);                  /* unlit: a shadow */
    if (k == 3) paint_blob(&a, cx, cy + 0.2 * d, 0.012 * d, 0.35 * d, white);        /* a strand */
    if (k == 4) paint_blob(&a, cx, cy + 0.1 * d, 0.03 * d, 0.15 * d, silver);        /* a drop */
    if (k == 5) paint_blob(&a, cx, lm[12][1] + 0.12 * d, 0.08 * d, 0.08 * d, white); /* a button below */
    json_t *r = run(&a);
    got[k] = status_of(r, "earrings", &v[k]);
    if (strcmp(got[k], want[k]) != 0)
      fail_msg("earrings: case %d (none, white disc, shadow, strand, drop, button) %s (%g), want %s", k, got[k], v[k],
               want[k]);
    json_decref(r);
    free(a.work.px);
    free(a.mask.px);
  }
  /* Without the mask (the landmarks-only analysis) nothing is measured: a pale gold disc, which
   * stands out from the light wall, passes there. */
  photo_analysis a = copy_base();
  const float(*bl)[2] = (const float(*)[2])base.landmarks;
  const uint8_t pale_gold[3] = {210, 180, 100};
  paint_blob(&a, bl[14][0] + 0.15 * iod, bl[13][1], 0.08 * iod, 0.08 * iod, pale_gold);
  json_t *r = run(&a);
  double vn = 0;
  if (strcmp(status_of(r, "earrings", &vn), "pass") != 0) fail_msg("earrings: disc without a mask %g", vn);
  json_decref(r);
  free(a.work.px);
  photo_analysis_free(&m);
}

/* Median cheek colour, to paint skin where the shirt was. */
static void cheek_rgb(uint8_t out[3]) {
  int v[3][64], n = 0;
  for (int dy = -4; dy < 4; dy++)
    for (int dx = -4; dx < 4; dx++, n++)
      for (int k = 0; k < 3; k++) v[k][n] = px(&base, (int)(eye_lx + dx), (int)(eye_ly + 0.6 * iod + dy))[k];
  for (int k = 0; k < 3; k++) {
    for (int i = 1; i < n; i++)
      for (int j = i; j > 0 && v[k][j - 1] > v[k][j]; j--) {
        int t = v[k][j];
        v[k][j] = v[k][j - 1];
        v[k][j - 1] = t;
      }
    out[k] = (uint8_t)v[k][n / 2];
  }
}

/* Repaints the dark T-shirt pixels in a band below the chin. */
static void repaint_shirt(photo_analysis *a, double x0, double x1, double y0, double y1, const uint8_t rgb[3]) {
  for (int y = (int)y0; y < y1; y++)
    for (int x = (int)x0; x < x1; x++) {
      if (!inside(a, x, y)) continue;
      uint8_t *p = px(a, x, y);
      if (p[0] + p[1] + p[2] < 3 * 90) {
        int noise = (int)((x * 7 + y * 13) % 9) - 4;
        for (int k = 0; k < 3; k++) {
          int v = rgb[k] + noise;
          p[k] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
      }
    }
}

static void test_bare_shoulders(void **state) {
  (void)state;
  photo_analysis a = copy_base();
  uint8_t skin[3];
  cheek_rgb(skin);
  double cx = base.landmarks[27][0], chin = base.landmarks[8][1];
  repaint_shirt(&a, cx - 3 * iod, cx - 0.8 * iod, chin + 0.5 * iod, chin + 2.2 * iod, skin);
  repaint_shirt(&a, cx + 0.8 * iod, cx + 3 * iod, chin + 0.5 * iod, chin + 2.2 * iod, skin);
  double before, after;
  expect_pass_then_fail(&a, "bare_shoulders", &before, &after);
  assert_true(after > before);
  free(a.work.px);
}

static void test_clothing_color(void **state) {
  (void)state;
  const uint8_t colours[2][3] = {{30, 90, 210}, {40, 170, 70}}; /* bright blue, green */
  for (int i = 0; i < 2; i++) {
    photo_analysis a = copy_base();
    double cx = base.landmarks[27][0], chin = base.landmarks[8][1];
    repaint_shirt(&a, cx - 3 * iod, cx + 3 * iod, chin + 0.3 * iod, a.work.h, colours[i]);
    double before, after;
    expect_pass_then_fail(&a, "clothing_color", &before, &after);
    assert_true(after > before);
    free(a.work.px);
  }
}

static void test_exposure(void **state) {
  (void)state;
  double before, after;
  photo_analysis dark = copy_base();
  scale_pixels(&dark, 0, dark.work.w, 0.3);
  expect_pass_then_fail(&dark, "exposure", &before, &after);
  assert_true(after < before);
  free(dark.work.px);
  photo_analysis bright = copy_base();
  scale_pixels(&bright, 0, bright.work.w, 1.9);
  expect_pass_then_fail(&bright, "exposure", &before, &after);
  assert_true(after > before);
  free(bright.work.px);
}

static void test_sharpness(void **state) {
  (void)state;
  photo_analysis a = copy_base();
  blur(&a, (int)(0.06 * iod) + 1, 3);
  double before, after;
  expect_pass_then_fail(&a, "sharpness", &before, &after);
  assert_true(after < before);
  free(a.work.px);
}

static void test_half_shaded(void **state) {
  (void)state;
  photo_analysis a = copy_base();
  scale_pixels(&a, 0, (int)base.landmarks[30][0], 0.35);
  double before, after;
  expect_pass_then_fail(&a, "illumination_uniformity", &before, &after);
  assert_true(after > before);
  free(a.work.px);
}

static void test_recapture(void **state) {
  (void)state;
  photo_analysis a = copy_base();
  /* Moire: the beat of a screen's pixel grid with the camera's, a slanted fine grating. */
  double th = 0.6, period = 5.3;
  for (int y = 0; y < a.work.h; y++)
    for (int x = 0; x < a.work.w; x++) {
      double m = 28 * sin(2 * M_PI * (x * cos(th) + y * sin(th)) / period);
      for (int k = 0; k < 3; k++) {
        double v = px(&a, x, y)[k] + m;
        px(&a, x, y)[k] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
      }
    }
  double before, after;
  expect_pass_then_fail(&a, "recapture", &before, &after);
  assert_true(after > before);
  free(a.work.px);
}

static void test_red_eye(void **state) {
  (void)state;
  photo_analysis a = copy_base();
  const uint8_t red[3] = {200, 30, 35};
  disc(&a, eye_lx, eye_ly, 0.09 * iod, 0, red);
  disc(&a, eye_rx, eye_ry, 0.09 * iod, 0, red);
  double before, after;
  expect_pass_then_fail(&a, "red_eye", &before, &after);
  assert_true(after > before);
  free(a.work.px);
}

/* Fills the pixels of a box with a colour (plus a little deterministic texture). */
static void paint_box(photo_analysis *a, double x0, double y0, double x1, double y1, const uint8_t rgb[3], int tex) {
  for (int y = (int)y0; y < y1; y++)
    for (int x = (int)x0; x < x1; x++) {
      if (!inside(a, x, y)) continue;
      int noise = tex ? (int)((x * 7 + y * 13) % 9) - 4 : 0;
      for (int k = 0; k < 3; k++) {
        int v = rgb[k] + noise;
        px(a, x, y)[k] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
      }
    }
}

/* A chain shows on the sides of the neck up to the jaw's level. deepface_img30 wears a thin ball
 * chain on the right of its neck, beside the jaw (a regular line of bright beads): the necklace
 * check warns on it. Painted over with skin it passes; the same beads drawn back on that skin
 * (from just below the chin's level up beside the jaw, above where the chin's band begins) warn
 * again; the same beads drawn inside the jaw's outline, on the chin and jaw (a shiny face, not a
 * chain), do not. */
static void beads(photo_analysis *a, double x0, double y0, double x1, double y1) {
  const uint8_t bead[3] = {150, 140, 120}, glint[3] = {255, 255, 250};
  double len = hypot(x1 - x0, y1 - y0), step = 0.035 * iod;
  for (double d = 0; d <= len; d += step) {
    double x = x0 + (x1 - x0) * d / len, y = y0 + (y1 - y0) * d / len;
    disc(a, x, y, 0.012 * iod, 0, bead);
    disc(a, x, y, 1.0, 0, glint);
  }
}

static void test_necklace_beside_jaw(void **state) {
  (void)state;
  const float(*lm)[2] = (const float(*)[2])base.landmarks;
  double cx = (lm[0][0] + lm[16][0] + lm[27][0] + lm[8][0]) / 4, chin = lm[8][1];
  uint8_t skin[3];
  cheek_rgb(skin);
  json_t *r = run(&base);
  double v0 = 0, v1 = 0, v2 = 0, v3 = 0;
  const char *s0 = status_of(r, "necklace", &v0);

  photo_analysis bare = copy_base(), side = copy_base(), face = copy_base();
  for (photo_analysis *p = &bare; p; p = p == &bare ? &side : p == &side ? &face : NULL)
    paint_box(p, cx + 0.75 * iod, chin - 0.4 * iod, cx + 1.15 * iod, chin + 0.45 * iod, skin, 1);
  beads(&side, cx + 0.95 * iod, chin + 0.2 * iod, cx + 0.92 * iod, chin - 0.3 * iod);
  /* Inside the outline: along the jaw from below the mouth's corner to the chin, 0.1 IOD in. */
  beads(&face, lm[10][0] - 0.1 * iod, lm[10][1] - 0.1 * iod, lm[8][0], lm[8][1] - 0.1 * iod);
  json_t *rb = run(&bare), *rs = run(&side), *rf = run(&face);
  const char *s1 = status_of(rb, "necklace", &v1), *s2 = status_of(rs, "necklace", &v2),
             *s3 = status_of(rf, "necklace", &v3);
  if (strcmp(s0, "pass") == 0 || strcmp(s1, "pass") != 0 || strcmp(s2, "pass") == 0 || strcmp(s3, "pass") != 0)
    fail_msg("necklace: ball chain %s (%g), painted over %s (%g), beads beside the jaw %s (%g), on the jaw %s (%g)", s0,
             v0, s1, v1, s2, v2, s3, v3);
  json_decref(r);
  json_decref(rb);
  json_decref(rs);
  json_decref(rf);
  free(bare.work.px);
  free(side.work.px);
  free(face.work.px);
}

/* The value moves the right way (dir +1: up) and the status leaves "pass" when `must_flag`. */
static void expect_moves(const photo_analysis *changed, const char *id, int dir, int must_flag) {
  json_t *r0 = run(&base), *r1 = run(changed);
  double before, after;
  const char *s0 = status_of(r0, id, &before), *s1 = status_of(r1, id, &after);
  if (dir * (after - before) <= 0 || (must_flag && strcmp(s1, "pass") == 0))
    fail_msg("%s: base %s (%g), constructed %s (%g)", id, s0, before, s1, after);
  json_decref(r0);
  json_decref(r1);
}

static void test_more_checks_move(void **state) {
  (void)state;
  const float(*lm)[2] = (const float(*)[2])base.landmarks;
  double brow = fmin(lm[19][1], lm[24][1]);
  const uint8_t hair[3] = {35, 28, 22}, white[3] = {250, 250, 250}, mask_blue[3] = {150, 200, 230};
  uint8_t skin[3];
  cheek_rgb(skin);
  photo_analysis a;

  /* A fringe down to the eyebrows hides them and the forehead. */
  a = copy_base();
  paint_box(&a, lm[17][0] - 0.2 * iod, brow - 1.5 * iod, lm[26][0] + 0.2 * iod, brow - 0.02 * iod, hair, 1);
  expect_moves(&a, "hair_over_eyebrows", +1, 1);
  expect_moves(&a, "forehead_visible", +1, 1);
  free(a.work.px);

  /* Long hair over both ears. */
  a = copy_base();
  paint_box(&a, lm[1][0] - 0.7 * iod, lm[0][1] - 0.4 * iod, lm[1][0] + 0.05 * iod, lm[4][1], hair, 1);
  paint_box(&a, lm[15][0] - 0.05 * iod, lm[16][1] - 0.4 * iod, lm[15][0] + 0.7 * iod, lm[12][1], hair, 1);
  expect_moves(&a, "ears_visible", +1, 1);
  free(a.work.px);

  /* A medical mask over the mouth. */
  a = copy_base();
  paint_box(&a, lm[48][0] - 0.3 * iod, lm[33][1] + 0.05 * iod, lm[54][0] + 0.3 * iod, lm[8][1] - 0.1 * iod, mask_blue,
            1);
  expect_moves(&a, "mouth_occluded", +1, 1);
  free(a.work.px);

  /* A hand over the mouth: the cheek's own colour over the lips. */
  a = copy_base();
  paint_box(&a, lm[48][0] - 0.3 * iod, lm[33][1] + 0.1 * iod, lm[54][0] + 0.3 * iod, lm[57][1] + 0.15 * iod, skin, 1);
  expect_moves(&a, "mouth_occluded", +1, 1);
  free(a.work.px);

  /* Sunglasses: dark lenses over both eyes. */
  a = copy_base();
  const uint8_t lens[3] = {20, 22, 28};
  disc(&a, eye_lx, eye_ly, 0.4 * iod, 0, lens);
  disc(&a, eye_rx, eye_ry, 0.4 * iod, 0, lens);
  expect_moves(&a, "tinted_lenses", +1, 1);
  free(a.work.px);

  /* Flash glare: white blobs on the forehead and cheeks. */
  a = copy_base();
  disc(&a, (lm[19][0] + lm[24][0]) / 2, brow - 0.35 * iod, 0.2 * iod, 0, white);
  disc(&a, eye_lx, eye_ly + 0.65 * iod, 0.15 * iod, 0, white);
  disc(&a, eye_rx, eye_ry + 0.65 * iod, 0.15 * iod, 0, white);
  expect_moves(&a, "hot_spots", +1, 1);
  free(a.work.px);

  /* A hard shadow across one cheek and the forehead's side. */
  a = copy_base();
  for (int y = (int)(brow - 0.6 * iod); y < lm[33][1]; y++)
    for (int x = (int)lm[0][0]; x < eye_lx + 0.1 * iod; x++)
      if (inside(&a, x, y))
        for (int k = 0; k < 3; k++) px(&a, x, y)[k] = (uint8_t)(px(&a, x, y)[k] * 0.4);
  expect_moves(&a, "face_shadow", +1, 1);
  free(a.work.px);

  /* Stripes on the shirt. */
  a = copy_base();
  for (int y = (int)(lm[8][1] + 0.3 * iod); y < a.work.h; y++)
    for (int x = 0; x < a.work.w; x++) {
      uint8_t *p = px(&a, x, y);
      if (p[0] + p[1] + p[2] < 3 * 90 && ((y / (int)fmax(2, iod / 12)) & 1)) memset(p, 235, 3);
    }
  expect_moves(&a, "clothing_pattern", +1, 1);
  free(a.work.px);

  /* A turtleneck: the shirt's colour up to the chin. */
  a = copy_base();
  const uint8_t black[3] = {22, 22, 24};
  paint_box(&a, lm[5][0], lm[8][1] + 0.05 * iod, lm[11][0], lm[8][1] + 1.2 * iod, black, 1);
  expect_moves(&a, "neck_visible", +1, 1);
  free(a.work.px);

  /* A red knitted hat over the crown. */
  a = copy_base();
  const uint8_t red[3] = {200, 30, 40};
  paint_box(&a, lm[0][0] - 0.3 * iod, 0, lm[16][0] + 0.3 * iod, brow - 0.75 * iod, red, 1);
  expect_moves(&a, "head_covering", +1, 1);
  free(a.work.px);

  /* Heavy eye makeup and red lipstick. */
  a = copy_base();
  const uint8_t shadow[3] = {70, 40, 60}, lipstick[3] = {190, 20, 45};
  paint_box(&a, lm[36][0], lm[19][1] + 0.15 * iod, lm[39][0], fmin(lm[37][1], lm[38][1]) - 0.02 * iod, shadow, 0);
  paint_box(&a, lm[42][0], lm[24][1] + 0.15 * iod, lm[45][0], fmin(lm[43][1], lm[44][1]) - 0.02 * iod, shadow, 0);
  paint_box(&a, lm[48][0], fmin(lm[50][1], lm[52][1]), lm[54][0], lm[57][1], lipstick, 0);
  expect_moves(&a, "makeup", +1, 1);
  free(a.work.px);

  /* A gold chain on the neck (weak on real photos: only the direction is asserted). */
  a = copy_base();
  const uint8_t gold[3] = {170, 125, 35}, glint[3] = {255, 255, 250};
  for (double t = -0.6; t <= 0.6; t += 0.01)
    disc(&a, lm[8][0] + t * iod, lm[8][1] + (0.55 + 0.5 * t * t) * iod, 0.03 * iod, 0, gold);
  /* Its links catch the light: a glint every few hundredths of the IOD. */
  for (double t = -0.6; t <= 0.6; t += 0.04)
    disc(&a, lm[8][0] + t * iod, lm[8][1] + (0.55 + 0.5 * t * t) * iod, 1.0, 0, glint);
  expect_moves(&a, "necklace", +1, 1);
  free(a.work.px);

  /* A beauty filter: the cheeks smoothed, the eyes kept sharp. */
  a = copy_base();
  photo_analysis blurred = copy_base();
  blur(&blurred, (int)(0.05 * iod) + 1, 3);
  for (int y = (int)(fmax(lm[41][1], lm[46][1]) + 0.1 * iod); y < lm[8][1]; y++)
    for (int x = (int)lm[1][0]; x < lm[15][0]; x++)
      if (inside(&a, x, y)) memcpy(px(&a, x, y), px(&blurred, x, y), 3);
  free(blurred.work.px);
  expect_moves(&a, "retouching", -1, 1);
  free(a.work.px);

  /* A busy background: coarse checkerboard on the wall beside the head. */
  a = copy_base();
  for (int y = 0; y < a.work.h; y++)
    for (int x = 0; x < a.work.w; x++)
      if ((x < lm[0][0] - 1.2 * iod || x > lm[16][0] + 1.2 * iod) && ((x / 12 + y / 12) & 1))
        memset(px(&a, x, y), 40, 3);
  expect_moves(&a, "background_uniformity", +1, 1);
  free(a.work.px);
}

/* Re-analyses packed pixels (new detection and landmarks). */
static json_t *analyse_and_run(const uint8_t *rgb, int w, int h, int quality) {
  photo_analysis a;
  err_t err;
  assert_int_equal(photo_analyze_rgb(engine, rgb, w, h, quality, &a, &err), 0);
  json_t *r = run(&a);
  photo_analysis_free(&a);
  return r;
}

/* The shirt's dark pixels (as repaint_shirt) below `y0` get colour `pick(x, y)`. */
static void paint_shirt_with(photo_analysis *a, double y0, void (*pick)(int x, int y, uint8_t out[3])) {
  for (int y = (int)y0; y < a->work.h; y++)
    for (int x = 0; x < a->work.w; x++) {
      uint8_t *p = px(a, x, y);
      if (y >= 0 && p[0] + p[1] + p[2] < 3 * 90) pick(x, y, p);
    }
}

/* A flowered print whose colours have about the same brightness (luma 143-150, the ground 150):
 * only their hue tells them apart, as on deepface_img27's top. Flowers 0.24 IOD across, 0.4 IOD
 * apart, red, green and violet in turn. */
static void flower_print(int x, int y, uint8_t out[3]) {
  static const uint8_t ground[3] = {150, 150, 150}, petals[3][3] = {{230, 110, 110}, {90, 180, 90}, {150, 130, 250}};
  double step = 0.4 * iod;
  int i = (int)floor(x / step), j = (int)floor(y / step);
  double fx = (i + 0.5) * step + ((j & 1) ? 0.2 * iod : 0), fy = (j + 0.5) * step;
  memcpy(out, hypot(x - fx, y - fy) < 0.12 * iod ? petals[(i + 2 * j) % 3] : ground, 3);
}

/* A fine knit: stitches a fortieth of the IOD, light and dark by 50 luma, as a reviewer sees on a
 * jumper that is plain; each cell of the check holds a few stitches and averages them out. */
static void fine_knit(int x, int y, uint8_t out[3]) {
  int s = (int)fmax(1.0, iod / 40.0);
  uint8_t v = ((x / s + y / s) & 1) ? 95 : 145;
  out[0] = out[1] = out[2] = v;
}

static double pattern_threshold(void) {
  return json_number_value(json_object_get(json_object_get(cfg, "clothing_pattern"), "above"));
}

static void test_clothing_pattern_print(void **state) {
  (void)state;
  double chin = base.landmarks[8][1];
  photo_analysis a = copy_base();
  paint_shirt_with(&a, chin + 0.3 * iod, flower_print);
  expect_moves(&a, "clothing_pattern", +1, 1);
  json_t *r = run(&a);
  double v;
  status_of(r, "clothing_pattern", &v);
  assert_true(v > pattern_threshold());
  json_decref(r);
  free(a.work.px);
}

static void test_clothing_pattern_knit_passes(void **state) {
  (void)state;
  double chin = base.landmarks[8][1];
  photo_analysis a = copy_base();
  paint_shirt_with(&a, chin + 0.3 * iod, fine_knit);
  json_t *r = run(&a);
  double v;
  const char *s = status_of(r, "clothing_pattern", &v);
  if (strcmp(s, "pass") != 0 || v > pattern_threshold() / 2) fail_msg("knit: %s (%g)", s, v);
  json_decref(r);
  free(a.work.px);
}

/* Long blond hair over a plain jacket (deepface_img3, as it is): the curtains' strands jump from
 * cell to cell like a print, but their colour is the crown's, so they are hair, not clothing. */
static void test_clothing_pattern_hair_passes(void **state) {
  (void)state;
  gchar *buf;
  gsize len;
  assert_true(dev_photo_read("deepface_img3.jpg", &buf, &len));
  photo_analysis a;
  err_t err;
  int rc = photo_analyze(engine, buf, len, CHECKS_WORK_SIDE, &a, &err);
  g_free(buf);
  assert_int_equal(rc, 0);
  json_t *r = run(&a);
  double v;
  const char *s = status_of(r, "clothing_pattern", &v);
  if (strcmp(s, "pass") != 0) fail_msg("hair over a plain jacket: %s (%g)", s, v);
  json_decref(r);
  photo_analysis_free(&a);
}

static void test_head_pose(void **state) {
  (void)state;
  int w = base.work.w, h = base.work.h;
  uint8_t *rot = malloc((size_t)w * h * 3);
  assert_non_null(rot);
  double ang = 24 * M_PI / 180, cx = eye_lx, cy = eye_ly;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      double sx = cos(ang) * (x - cx) + sin(ang) * (y - cy) + cx;
      double sy = -sin(ang) * (x - cx) + cos(ang) * (y - cy) + cy;
      int ix = (int)lround(sx), iy = (int)lround(sy);
      uint8_t *d = rot + ((size_t)y * w + x) * 3;
      if (ix < 0 || iy < 0 || ix >= w || iy >= h)
        memset(d, 235, 3);
      else
        memcpy(d, px(&base, ix, iy), 3);
    }
  json_t *r0 = run(&base), *r1 = analyse_and_run(rot, w, h, base.jpeg_quality_estimate);
  double before, after;
  assert_string_equal(status_of(r0, "head_pose", &before), "pass");
  assert_string_equal(status_of(r1, "head_pose", &after), "fail");
  assert_true(after > before + 10);
  json_decref(r0);
  json_decref(r1);
  free(rot);
}

static void test_single_face(void **state) {
  (void)state;
  int w = base.work.w, h = base.work.h;
  uint8_t *two = malloc((size_t)w * 2 * h * 3);
  assert_non_null(two);
  for (int y = 0; y < h; y++) {
    memcpy(two + (size_t)y * w * 2 * 3, base.work.px + (size_t)y * w * 3, (size_t)w * 3);
    memcpy(two + ((size_t)y * w * 2 + w) * 3, base.work.px + (size_t)y * w * 3, (size_t)w * 3);
  }
  json_t *r0 = run(&base), *r1 = analyse_and_run(two, 2 * w, h, -1);
  double before, after;
  assert_string_equal(status_of(r0, "single_face", &before), "pass");
  assert_string_equal(status_of(r1, "single_face", &after), "fail");
  assert_true(after >= 2);
  json_decref(r0);
  json_decref(r1);
  free(two);
}

static void test_compression(void **state) {
  (void)state;
  uint8_t *jpg = NULL;
  size_t len = 0;
  assert_int_equal(photo_encode_jpeg_fixed(&base.work, 72, 10, &jpg, &len), 0);
  photo_analysis a;
  err_t err;
  assert_int_equal(photo_analyze(engine, jpg, len, CHECKS_WORK_SIDE, &a, &err), 0);
  free(jpg);
  json_t *r0 = run(&base), *r1 = run(&a);
  double before, after;
  assert_string_equal(status_of(r0, "compression", &before), "pass");
  assert_string_equal(status_of(r1, "compression", &after), "fail");
  assert_true(after <= 15);
  json_decref(r0);
  json_decref(r1);
  photo_analysis_free(&a);
}

/* A profile can turn a failure into a warning: glasses fail at the school, warn nationally. */
static void test_profile_decides_severity(void **state) {
  (void)state;
  err_t err;
  json_t *national = photo_checks_profile_config("one-inch", &err);
  assert_non_null(national);
  photo_analysis a = copy_base();
  const uint8_t frame[3] = {25, 25, 30};
  ellipse_ring(&a, eye_lx, eye_ly + 0.05 * iod, 0.42 * iod, 0.3 * iod, 0.07 * iod, frame);
  ellipse_ring(&a, eye_rx, eye_ry + 0.05 * iod, 0.42 * iod, 0.3 * iod, 0.07 * iod, frame);
  for (double x = eye_lx + 0.42 * iod; x <= eye_rx - 0.42 * iod; x += 0.5)
    disc(&a, x, (eye_ly + eye_ry) / 2 - 0.02 * iod, 0.035 * iod, 0, frame);
  json_t *school = run(&a), *nat = NULL;
  assert_int_equal(photo_checks_run(engine, &a, national, &nat, &err), 0);
  assert_string_equal(status_of(school, "glasses", NULL), "fail");
  assert_string_equal(status_of(nat, "glasses", NULL), "warn");
  json_decref(school);
  json_decref(nat);
  json_decref(national);
  free(a.work.px);
}

/* Beard strands: dark and grey bands a few pixels wide, slanted, over a box (the texture
 * check_strands_at reads as hair, where a mask or a hand is smooth). */
static void paint_strands(photo_analysis *a, double x0, double y0, double x1, double y1, double width) {
  const uint8_t dark[3] = {45, 38, 32}, grey[3] = {120, 112, 104};
  int w = width < 1 ? 1 : (int)width;
  for (int y = (int)y0; y < y1; y++)
    for (int x = (int)x0; x < x1; x++)
      if (inside(a, x, y)) memcpy(px(a, x, y), ((x + y / 3) / w) % 2 ? dark : grey, 3);
}

/* A moustache over the lips is not a cover (deepface_img16 failed mouth_occluded for it); a hand
 * over the same bearded mouth still is. */
static void test_beard_not_a_cover(void **state) {
  (void)state;
  const float(*lm)[2] = (const float(*)[2])base.landmarks;
  double sw = iod / 40;
  photo_analysis a = copy_base();
  /* The beard from the lower lip down to the chin, and the moustache from under the nose down over
   * the upper lip: only the mouth inside the lips is left (as on img16, whose lips hair hides). */
  paint_strands(&a, lm[48][0] - 0.2 * iod, lm[66][1], lm[54][0] + 0.2 * iod, lm[8][1], sw);
  paint_strands(&a, lm[48][0] - 0.1 * iod, lm[33][1] + 0.05 * iod, lm[54][0] + 0.1 * iod, lm[62][1], sw);
  json_t *r = run(&a);
  double v;
  const char *st = status_of(r, "mouth_occluded", &v);
  if (strcmp(st, "pass") != 0) fail_msg("bearded mouth: mouth_occluded %s (%g)", st, v);
  json_decref(r);
  uint8_t skin[3];
  cheek_rgb(skin);
  paint_box(&a, lm[48][0] - 0.3 * iod, lm[33][1] + 0.1 * iod, lm[54][0] + 0.3 * iod, lm[57][1] + 0.15 * iod, skin, 1);
  r = run(&a);
  st = status_of(r, "mouth_occluded", &v);
  if (strcmp(st, "pass") == 0) fail_msg("hand over a bearded mouth: mouth_occluded passes (%g)", v);
  json_decref(r);
  free(a.work.px);
}

/* No face: every id still reports, single_face fails. */
static void test_no_face(void **state) {
  (void)state;
  photo_analysis a = copy_base();
  a.n_faces = 0;
  a.subject = -1;
  a.has_landmarks = 0;
  json_t *r = run(&a);
  assert_int_equal(json_array_size(json_object_get(r, "checks")), 31);
  for (const photo_check_def *d = photo_check_catalog; d->id; d++)
    if (d->by_engine) assert_non_null(status_of(r, d->id, NULL));
  assert_string_equal(status_of(r, "single_face", NULL), "fail");
  json_decref(r);
  free(a.work.px);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_glasses),
      cmocka_unit_test(test_earrings),
      cmocka_unit_test(test_earrings_not_hair),
      cmocka_unit_test(test_bare_shoulders),
      cmocka_unit_test(test_clothing_color),
      cmocka_unit_test(test_exposure),
      cmocka_unit_test(test_sharpness),
      cmocka_unit_test(test_half_shaded),
      cmocka_unit_test(test_recapture),
      cmocka_unit_test(test_red_eye),
      cmocka_unit_test(test_head_pose),
      cmocka_unit_test(test_single_face),
      cmocka_unit_test(test_compression),
      cmocka_unit_test(test_profile_decides_severity),
      cmocka_unit_test(test_no_face),
      cmocka_unit_test(test_more_checks_move),
      cmocka_unit_test(test_beard_not_a_cover),
      cmocka_unit_test(test_clothing_pattern_print),
      cmocka_unit_test(test_clothing_pattern_knit_passes),
      cmocka_unit_test(test_clothing_pattern_hair_passes),
      cmocka_unit_test(test_necklace_beside_jaw),
      cmocka_unit_test(test_earrings_matt_disc),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

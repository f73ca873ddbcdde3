/* Collection-code pictures: the rendered PNG is read back, and so are the copies a student may
 * really upload — JPEG at quality 50, half scale, and a photographed-like copy (perspective, blur,
 * uneven light) that this test makes with libvips. A photo without a code is "no code found". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

#include "identity/qr.h"
#include "identity/qr_pool.h"
#include "util/clock.h"

static char tmpdir[256];
static char code_png[300];
static const char *TEXT =
    "TC1.eyJ2IjoxLCJraWQiOiIwMTIzNDU2Nzg5YWJjZGVmIiwic25vIjoiMjAyMzEyMzQiLCJubSI6IuW8oCoiLCJpZG0iOiIyMTAy"
    "KioqKioqKioqKioqMzQiLCJzYyI6Ijk5MDAxIiwic24iOiLlm77ph4fnpLrojIPlpKflraYiLCJkZWciOiLnoZXlo6siLCJneSI6MjAy"
    "NSwiaWF0IjoxNzMwODUxMjAwMDAwLCJleHAiOjE3NjIzODcyMDAwMDAsInNraWQiOiJmZWRjYmE5ODc2NTQzMjEwIn0.c2lnbmF0dXJl"
    "c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl";

static int setup(void **state) {
  (void)state;
  if (VIPS_INIT("test_code_qr")) return -1;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/tucai-qr-XXXXXX");
  if (!mkdtemp(tmpdir)) return -1;
  snprintf(code_png, sizeof code_png, "%s/code.png", tmpdir);
  const char *cap[] = {"张*  2102************34", "图采示范大学 · 硕士 · 2025 届", "有效期至 2025-11-06"};
  err_t err = {0};
  return qr_render_png(TEXT, "图像采集码", cap, 3, code_png, &err);
}

static int teardown(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

static void expect_read(const char *path) {
  char *got = NULL;
  err_t err = {0};
  int rc = qr_read_file(path, "TC1.", 0, &got, &err);
  if (rc != 0) fail_msg("%s: %s", path, err.code);
  assert_string_equal(got, TEXT);
  free(got);
}

static void test_png(void **state) {
  (void)state;
  expect_read(code_png);
}

static void test_jpeg_q50(void **state) {
  (void)state;
  VipsImage *in = vips_image_new_from_file(code_png, NULL);
  assert_non_null(in);
  char out[400];
  snprintf(out, sizeof out, "%s/q50.jpg", tmpdir);
  assert_int_equal(vips_jpegsave(in, out, "Q", 50, NULL), 0);
  g_object_unref(in);
  expect_read(out);
}

static void test_half_scale(void **state) {
  (void)state;
  VipsImage *in = vips_image_new_from_file(code_png, NULL), *half = NULL;
  assert_int_equal(vips_resize(in, &half, 0.5, NULL), 0);
  char out[400];
  snprintf(out, sizeof out, "%s/half.png", tmpdir);
  assert_int_equal(vips_pngsave(half, out, NULL), 0);
  g_object_unref(in);
  g_object_unref(half);
  expect_read(out);
}

/* Maps every output pixel through a homography back into the source: the picture seen by a phone
 * held at a slant, on a grey desk, blurred a little, lit unevenly and saved as JPEG. */
static void test_photographed(void **state) {
  (void)state;
  VipsImage *in = vips_image_new_from_file(code_png, NULL);
  int sw = vips_image_get_width(in), sh = vips_image_get_height(in);
  int W = 1200, H = 1400;
  /* Destination corners of the source rectangle (a trapezoid, slightly rotated). */
  double dx[4] = {210, 1010, 1060, 140}, dy[4] = {130, 180, 1290, 1230};
  /* Solve the homography dst->src by the standard 8x8 system (Gaussian elimination). */
  double sx[4] = {0, sw, sw, 0}, sy[4] = {0, 0, sh, sh};
  double A[8][9];
  for (int i = 0; i < 4; i++) {
    double x = dx[i], y = dy[i], u = sx[i], v = sy[i];
    double r1[9] = {x, y, 1, 0, 0, 0, -u * x, -u * y, u};
    double r2[9] = {0, 0, 0, x, y, 1, -v * x, -v * y, v};
    memcpy(A[2 * i], r1, sizeof r1);
    memcpy(A[2 * i + 1], r2, sizeof r2);
  }
  for (int c = 0; c < 8; c++) {
    int p = c;
    for (int r = c + 1; r < 8; r++)
      if (fabs(A[r][c]) > fabs(A[p][c])) p = r;
    for (int k = 0; k < 9; k++) {
      double t = A[c][k];
      A[c][k] = A[p][k];
      A[p][k] = t;
    }
    for (int r = 0; r < 8; r++) {
      if (r == c) continue;
      double f = A[r][c] / A[c][c];
      for (int k = c; k < 9; k++) A[r][k] -= f * A[c][k];
    }
  }
  double h[9];
  for (int i = 0; i < 8; i++) h[i] = A[i][8] / A[i][i];
  h[8] = 1;
  float *map = malloc((size_t)W * H * 2 * sizeof *map);
  assert_non_null(map);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      double w = h[6] * x + h[7] * y + h[8];
      map[((size_t)y * W + x) * 2] = (float)((h[0] * x + h[1] * y + h[2]) / w);
      map[((size_t)y * W + x) * 2 + 1] = (float)((h[3] * x + h[4] * y + h[5]) / w);
    }
  VipsImage *idx = vips_image_new_from_memory(map, (size_t)W * H * 2 * sizeof *map, W, H, 2, VIPS_FORMAT_FLOAT);
  VipsImage *rgb = NULL, *warped = NULL, *blur = NULL, *lit = NULL, *desk = NULL, *out = NULL;
  assert_int_equal(vips_extract_band(in, &rgb, 0, "n", 3, NULL), 0);
  /* Outside the source the "desk" shows through: mapim leaves 0 there; lift it to grey. */
  double bg[3] = {90, 85, 80};
  VipsArrayDouble *bga = vips_array_double_new(bg, 3);
  assert_int_equal(vips_mapim(rgb, &warped, idx, "background", bga, NULL), 0);
  vips_area_unref(VIPS_AREA(bga));
  assert_int_equal(vips_gaussblur(warped, &blur, 1.4, NULL), 0);
  /* Uneven light: darken towards the bottom right. */
  VipsImage *xy = NULL, *band0 = NULL, *band1 = NULL, *sum = NULL, *gain = NULL;
  assert_int_equal(vips_xyz(&xy, W, H, NULL), 0);
  assert_int_equal(vips_extract_band(xy, &band0, 0, NULL), 0);
  assert_int_equal(vips_extract_band(xy, &band1, 1, NULL), 0);
  assert_int_equal(vips_add(band0, band1, &sum, NULL), 0);
  assert_int_equal(vips_linear1(sum, &gain, -0.3 / (W + H), 1.0, NULL), 0);
  assert_int_equal(vips_multiply(blur, gain, &lit, NULL), 0);
  assert_int_equal(vips_cast_uchar(lit, &desk, NULL), 0);
  out = desk;
  char path[400];
  snprintf(path, sizeof path, "%s/photo.jpg", tmpdir);
  assert_int_equal(vips_jpegsave(out, path, "Q", 75, NULL), 0);
  g_object_unref(in);
  g_object_unref(idx);
  g_object_unref(rgb);
  g_object_unref(warped);
  g_object_unref(blur);
  g_object_unref(xy);
  g_object_unref(band0);
  g_object_unref(band1);
  g_object_unref(sum);
  g_object_unref(gain);
  g_object_unref(lit);
  g_object_unref(desk);
  free(map);
  expect_read(path);
}

/* A 12-megapixel phone photo with the code somewhere in it: read through shrink-on-load. */
static void test_large_photo(void **state) {
  (void)state;
  VipsImage *in = vips_image_new_from_file(code_png, NULL), *rgb = NULL, *big = NULL, *canvas = NULL;
  assert_int_equal(vips_extract_band(in, &rgb, 0, "n", 3, NULL), 0);
  assert_int_equal(vips_resize(rgb, &big, 2.2, NULL), 0);
  double bg[3] = {200, 200, 195};
  VipsArrayDouble *bga = vips_array_double_new(bg, 3);
  assert_int_equal(
      vips_embed(big, &canvas, 1900, 500, 4000, 3000, "extend", VIPS_EXTEND_BACKGROUND, "background", bga, NULL), 0);
  vips_area_unref(VIPS_AREA(bga));
  char path[400];
  snprintf(path, sizeof path, "%s/big.jpg", tmpdir);
  assert_int_equal(vips_jpegsave(canvas, path, "Q", 85, NULL), 0);
  g_object_unref(in);
  g_object_unref(rgb);
  g_object_unref(big);
  g_object_unref(canvas);
  expect_read(path);
}

static void test_no_code_and_bad_files(void **state) {
  (void)state;
  char path[400];
  snprintf(path, sizeof path, "%s/plain.png", tmpdir);
  VipsImage *noise = NULL, *u = NULL;
  assert_int_equal(vips_gaussnoise(&noise, 640, 480, "mean", 128.0, "sigma", 40.0, NULL), 0);
  assert_int_equal(vips_cast_uchar(noise, &u, NULL), 0);
  assert_int_equal(vips_pngsave(u, path, NULL), 0);
  g_object_unref(noise);
  g_object_unref(u);
  char *got = NULL;
  err_t err = {0};
  assert_int_equal(qr_read_file(path, "TC1.", 0, &got, &err), -1);
  assert_string_equal(err.code, "no_code_found");
  assert_null(got);
  /* not an image: a text file, and a truncated PNG */
  snprintf(path, sizeof path, "%s/not.png", tmpdir);
  FILE *f = fopen(path, "wb");
  fputs("hello, not an image", f);
  fclose(f);
  assert_int_equal(qr_read_file(path, "TC1.", 0, &got, &err), -1);
  assert_string_equal(err.code, "bad_image");
  /* formats libvips could open but a code upload must not: SVG */
  snprintf(path, sizeof path, "%s/code.svg", tmpdir);
  f = fopen(path, "wb");
  fputs(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"100\"><rect width=\"50\" height=\"50\"/></svg>",
      f);
  fclose(f);
  assert_int_equal(qr_read_file(path, "TC1.", 0, &got, &err), -1);
  assert_string_equal(err.code, "bad_image");
  char cmd[900];
  snprintf(cmd, sizeof cmd, "head -c 700 '%s' > '%s/trunc.png'", code_png, tmpdir);
  assert_int_equal(system(cmd), 0);
  snprintf(path, sizeof path, "%s/trunc.png", tmpdir);
  int rc = qr_read_file(path, "TC1.", 0, &got, &err);
  assert_int_equal(rc, -1);
  assert_true(strcmp(err.code, "bad_image") == 0 || strcmp(err.code, "no_code_found") == 0);
}

/* The pixel cap is told from the header, before decoding: a 8000 x 4000 PNG cut to its first
 * 4 KB (no pixel data to speak of) is refused as too large under the default 24 MP cap, while
 * under a 40 MP cap the same file gets as far as the decoder and fails there. */
static void test_pixel_cap(void **state) {
  (void)state;
  char *got = NULL;
  err_t err = {0};
  assert_int_equal(qr_read_file(code_png, "TC1.", 100 * 100, &got, &err), -1);
  assert_int_equal(err.status, 413);
  assert_string_equal(err.code, "image_too_large");
  assert_non_null(strstr(err.message, "1 万像素"));
  assert_null(got);

  char big[400], cut[400], cmd[900];
  snprintf(big, sizeof big, "%s/big.png", tmpdir);
  snprintf(cut, sizeof cut, "%s/big-cut.png", tmpdir);
  VipsImage *black = NULL;
  assert_int_equal(vips_black(&black, 8000, 4000, NULL), 0);
  assert_int_equal(vips_pngsave(black, big, "compression", 1, NULL), 0);
  g_object_unref(black);
  snprintf(cmd, sizeof cmd, "head -c 4096 '%s' > '%s'", big, cut);
  assert_int_equal(system(cmd), 0);
  err_clear(&err);
  assert_int_equal(qr_read_file(cut, "TC1.", 0, &got, &err), -1);
  assert_int_equal(err.status, 413);
  assert_string_equal(err.code, "image_too_large");
  assert_non_null(strstr(err.message, "2400 万像素"));
  err_clear(&err);
  assert_int_equal(qr_read_file(cut, "TC1.", 40000000, &got, &err), -1);
  assert_true(strcmp(err.code, "bad_image") == 0 || strcmp(err.code, "no_code_found") == 0);
  assert_null(got);
}

typedef struct holder {
  qr_pool *p;
  int hold_ms;
} holder;

static void *hold_then_leave(void *arg) {
  holder *h = arg;
  clock_sleep_ms(h->hold_ms);
  qr_pool_leave(h->p);
  return NULL;
}

/* The gate: with its one slot taken, a read is refused 503 "qr_busy" after the short wait, not
 * queued; a slot that frees within the wait is taken; the pool's cap applies to its reads. */
static void test_pool_gate(void **state) {
  (void)state;
  qr_pool *p = qr_pool_new(1, 100, 0);
  assert_int_equal(qr_pool_slots(p), 1);
  assert_int_equal(qr_pool_retry_after_s(p), 1);
  assert_int_equal(qr_pool_enter(p), 0);
  char *got = NULL;
  err_t err = {0};
  double t0 = clock_mono_s();
  assert_int_equal(qr_pool_read_file(p, code_png, "TC1.", &got, &err), -1);
  assert_true(clock_mono_s() - t0 >= 0.09); /* it did wait for the slot first */
  assert_int_equal(err.status, 503);
  assert_string_equal(err.code, "qr_busy");
  assert_null(got);
  qr_pool_leave(p);
  err_clear(&err);
  assert_int_equal(qr_pool_read_file(p, code_png, "TC1.", &got, &err), 0);
  assert_string_equal(got, TEXT);
  free(got);
  got = NULL;
  qr_pool_free(p);

  /* held for 100 ms, waited for up to 5 s: the waiter gets the slot when it frees */
  p = qr_pool_new(1, 5000, 0);
  assert_int_equal(qr_pool_retry_after_s(p), 5);
  assert_int_equal(qr_pool_enter(p), 0);
  holder h = {p, 100};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, hold_then_leave, &h), 0);
  err_clear(&err);
  assert_int_equal(qr_pool_read_file(p, code_png, "TC1.", &got, &err), 0);
  assert_string_equal(got, TEXT);
  free(got);
  pthread_join(t, NULL);
  qr_pool_free(p);

  /* slots <= 0: one per core; the pool's own pixel cap */
  p = qr_pool_new(0, 0, 100 * 100);
  assert_true(qr_pool_slots(p) >= 1);
  err_clear(&err);
  assert_int_equal(qr_pool_read_file(p, code_png, "TC1.", &got, &err), -1);
  assert_string_equal(err.code, "image_too_large");
  qr_pool_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_png),         cmocka_unit_test(test_jpeg_q50),
      cmocka_unit_test(test_half_scale),  cmocka_unit_test(test_photographed),
      cmocka_unit_test(test_large_photo), cmocka_unit_test(test_no_code_and_bad_files),
      cmocka_unit_test(test_pixel_cap),   cmocka_unit_test(test_pool_gate),
  };
  int rc = cmocka_run_group_tests(tests, setup, teardown);
  qr_render_release();
  vips_shutdown();
  return rc;
}

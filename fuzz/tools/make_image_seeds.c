/* make_image_seeds: writes the small images of the seed corpora (fuzz/corpus/{photo_decode,
 * jpeg_info,qr_read,registry_receive}) into a directory. Run once by hand; the outputs are checked in:
 *   cc -Isrc -o /tmp/mis fuzz/tools/make_image_seeds.c src/util/xmalloc.c $(pkg-config --cflags --libs vips libqrencode) && /tmp/mis DIR */
#include <qrencode.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>
#include "util/xmalloc.h"

static const char *dir;

static void put(const char *name, const void *p, size_t n) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(p, 1, n, f) != n) exit(1);
  fclose(f);
}

/* A smooth face-coloured gradient, w x h, `bands` bands. */
static VipsImage *gradient(int w, int h, int bands) {
  size_t n = (size_t)w * h * bands;
  unsigned char *px = xmalloc(n);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int b = 0; b < bands; b++)
        px[((size_t)y * w + x) * bands + b] = (unsigned char)(b == 3 ? 255 - x * 4 : 60 + x * 3 + y * 2 + b * 30);
  VipsImage *im = vips_image_new_from_memory_copy(px, n, w, h, bands, VIPS_FORMAT_UCHAR);
  free(px);
  return im;
}

/* JPEG with a JFIF APP0 carrying `dpi` (as the engine's encoder writes). */
static void jpeg(const char *name, VipsImage *im, int q, int dpi) {
  void *buf;
  size_t len;
  if (vips_jpegsave_buffer(im, &buf, &len, "Q", q, "strip", TRUE, NULL)) exit(1);
  uint8_t jfif[18] = {
      0xFF,         0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 1, (uint8_t)(dpi >> 8), (uint8_t)dpi, (uint8_t)(dpi >> 8),
      (uint8_t)dpi, 0,    0};
  uint8_t *out = xmalloc(len + 18);
  memcpy(out, buf, 2);
  memcpy(out + 2, jfif, 18);
  memcpy(out + 20, (uint8_t *)buf + 2, len - 2);
  put(name, out, len + 18);
  /* and a truncated copy */
  char t[256];
  snprintf(t, sizeof t, "truncated-%s", name);
  put(t, out, (len + 18) / 2);
  free(out);
  g_free(buf);
}

int main(int argc, char **argv) {
  if (argc != 2 || VIPS_INIT(argv[0])) return 2;
  dir = argv[1];
  VipsImage *rgb = gradient(24, 32, 3), *rgba = gradient(20, 20, 4), *grey = gradient(16, 16, 1);
  jpeg("small-q85-300dpi.jpg", rgb, 85, 300);
  jpeg("grey-q40.jpg", grey, 40, 72);
  void *buf;
  size_t len;
  if (vips_pngsave_buffer(rgba, &buf, &len, NULL)) return 1;
  put("alpha.png", buf, len);
  g_free(buf);
  if (vips_webpsave_buffer(rgb, &buf, &len, "Q", 50, NULL)) return 1;
  put("small.webp", buf, len);
  g_free(buf);
  /* EXIF orientation 6 (rotated 90 degrees). */
  VipsImage *oriented;
  if (vips_copy(rgb, &oriented, NULL)) return 1;
  vips_image_set_int(oriented, "orientation", 6);
  if (vips_jpegsave_buffer(oriented, &buf, &len, "Q", 70, NULL)) return 1;
  put("orientation6.jpg", buf, len);
  g_free(buf);
  /* 16-bit PNG. */
  VipsImage *u16;
  if (vips_cast_ushort(rgba, &u16, NULL) || vips_pngsave_buffer(u16, &buf, &len, "bitdepth", 16, NULL)) return 1;
  put("rgba16.png", buf, len);
  g_free(buf);
  /* A collection-code QR, 3 px per module with a quiet zone. */
  QRcode *qr = QRcode_encodeString("TC1.eyJ2IjoxLCJzbm8iOiIyMDIzMDAwMSJ9.c2lnbmF0dXJl", 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (!qr) return 1;
  int s = 3, side = (qr->width + 8) * s;
  unsigned char *px = xmalloc((size_t)side * side);
  for (int y = 0; y < side; y++)
    for (int x = 0; x < side; x++) {
      int mx = x / s - 4, my = y / s - 4;
      int dark = mx >= 0 && my >= 0 && mx < qr->width && my < qr->width && (qr->data[my * qr->width + mx] & 1);
      px[(size_t)y * side + x] = dark ? 0 : 255;
    }
  VipsImage *q = vips_image_new_from_memory_copy(px, (size_t)side * side, side, side, 1, VIPS_FORMAT_UCHAR);
  if (vips_pngsave_buffer(q, &buf, &len, NULL)) return 1;
  put("code-qr.png", buf, len);
  g_free(buf);
  if (vips_jpegsave_buffer(q, &buf, &len, "Q", 75, NULL)) return 1;
  put("code-qr.jpg", buf, len);
  g_free(buf);
  QRcode_free(qr);
  free(px);
  return 0;
}

/* photo_remeasure: see the header. */
#include "photo_remeasure.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "vision/vision.h"

static const int ijg_luma_q50[64] = {16, 11, 10, 16, 24,  40,  51,  61,  12, 12, 14, 19, 26,  58,  60,  55,
                                     14, 13, 16, 24, 40,  57,  69,  56,  14, 17, 22, 29, 51,  87,  80,  62,
                                     18, 22, 37, 56, 68,  109, 103, 77,  24, 35, 55, 64, 81,  104, 113, 92,
                                     49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};

static void parse_markers(const uint8_t *b, size_t len, remeasure *m) {
  size_t i = 2;
  while (i + 4 <= len && b[i] == 0xFF) {
    int marker = b[i + 1];
    size_t seg = ((size_t)b[i + 2] << 8) | b[i + 3];
    if (seg < 2 || i + 2 + seg > len) return;
    const uint8_t *p = b + i + 4;
    if (marker == 0xE0 && seg >= 16 && memcmp(p, "JFIF", 5) == 0) {
      m->jfif = 1;
      m->density_unit = p[7];
      m->xdensity = p[8] << 8 | p[9];
      m->ydensity = p[10] << 8 | p[11];
    } else if (marker == 0xE1) {
      m->has_exif = 1;
    } else if (marker == 0xE2) {
      m->has_icc = 1;
    } else if (marker >= 0xE3 && marker <= 0xEF) {
      m->has_other_app = 1;
    } else if (marker == 0xDB && (p[0] & 0x0F) == 0 && (p[0] >> 4) == 0) {
      /* Quality 60 scales the q50 table by 80 %: every entry at most that (rounded). */
      int ok = 1;
      long sum = 0, ref = 0;
      for (int k = 0; k < 64; k++) {
        sum += p[1 + k];
        ref += (ijg_luma_q50[k] * 80 + 50) / 100;
      }
      if (sum > ref) ok = 0;
      m->q_ok = ok;
    } else if (marker == 0xDA) {
      return;
    }
    i += 2 + seg;
  }
}

static int near_bg(const uint8_t *px, const uint8_t bg[3], int tol) {
  return abs(px[0] - bg[0]) + abs(px[1] - bg[1]) + abs(px[2] - bg[2]) <= tol;
}

int photo_remeasure(const uint8_t *jpeg, size_t len, const uint8_t bg[3], remeasure *m) {
  memset(m, 0, sizeof *m);
  m->crown_y = -1;
  if (len < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) return -1;
  parse_markers(jpeg, len, m);
  VipsImage *im = vips_image_new_from_buffer(jpeg, len, "", NULL);
  if (!im) {
    vips_error_clear();
    return -1;
  }
  size_t n = 0;
  uint8_t *px = NULL;
  if (im->Bands == 3 && im->BandFmt == VIPS_FORMAT_UCHAR) px = vips_image_write_to_memory(im, &n);
  int w = m->width = vips_image_get_width(im), h = m->height = vips_image_get_height(im);
  g_object_unref(im);
  if (!px) {
    vips_error_clear();
    return -1;
  }
  /* Background: two 24x24 corners at the top, and the side columns of the upper 40 %. */
  for (int c = 0; c < 3; c++) {
    double l = 0, r = 0;
    for (int y = 0; y < 24; y++)
      for (int x = 0; x < 24; x++) {
        l += px[((size_t)y * w + x) * 3 + c];
        r += px[((size_t)y * w + (w - 1 - x)) * 3 + c];
      }
    m->bg_top_left[c] = l / 576;
    m->bg_top_right[c] = r / 576;
  }
  long side = 0, side_ok = 0;
  for (int y = 0; y < h * 4 / 10; y++)
    for (int x = 0; x < 6; x++) {
      side += 2;
      side_ok += near_bg(px + ((size_t)y * w + x) * 3, bg, 36) + near_bg(px + ((size_t)y * w + w - 1 - x) * 3, bg, 36);
    }
  m->bg_side_fraction = side ? (double)side_ok / side : 0;
  /* Crown: the first row where a tenth of the central quarter differs clearly from the wall. */
  int x0 = w * 3 / 8, x1 = w * 5 / 8;
  for (int y = 0; y < h && m->crown_y < 0; y++) {
    int off = 0;
    for (int x = x0; x < x1; x++) off += !near_bg(px + ((size_t)y * w + x) * 3, bg, 90);
    if (off * 10 >= (x1 - x0)) m->crown_y = y;
  }
  /* Centring: the middle of the non-background span on the rows of the upper head. */
  if (m->crown_y >= 0) {
    double sum = 0;
    int rows = 0;
    for (int y = m->crown_y + h / 20; y < m->crown_y + h / 5 && y < h; y++) {
      int l = -1, r = -1;
      for (int x = 0; x < w; x++)
        if (!near_bg(px + ((size_t)y * w + x) * 3, bg, 90)) {
          if (l < 0) l = x;
          r = x;
        }
      if (l >= 0) {
        sum += (l + r) / 2.0;
        rows++;
      }
    }
    m->head_center_x = rows ? sum / rows : -1;
  }
  float face[4];
  float eye_y = 0;
  int eyes = vision_haar_eyes(px, w, h, "/usr/share/opencv4/haarcascades", face, &eye_y);
  m->eyes_found = eyes > 0 ? eyes : 0;
  m->eye_y = eyes > 0 ? eye_y : -1;
  g_free(px);
  return 0;
}

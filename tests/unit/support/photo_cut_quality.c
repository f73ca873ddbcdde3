/* photo_cut_quality: see the header. Everything here works on the decoded output alone. */
#include "photo_cut_quality.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

/* Colour distance below which a pixel is the new background (JPEG noise on a flat colour stays
 * well under this at the qualities the engine writes). */
#define BG_DIST 24.0
/* A translucent pixel: at most this far from B, and less than TRANSLUCENT_SHARE of the strongest
 * pixel within TRANSLUCENT_R px (the solid person it is the veil of). */
#define TRANSLUCENT_MAX 90.0
#define TRANSLUCENT_SHARE 0.5
#define TRANSLUCENT_R 20
/* Flat: the distance to B changes by less than this per pixel. */
#define FLAT 12.0f
/* Solid person, for the rim: at least RIM_INNER px inside the non-background area. Rim: off the
 * line from B to that colour by more than RIM_RESIDUAL. */
#define RIM_INNER 3
#define RIM_RESIDUAL 50.0

static void max_filter(const float *in, float *out, float *tmp, int w, int h, int r) {
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float m = 0;
      for (int k = x - r; k <= x + r; k++)
        if (k >= 0 && k < w && in[(size_t)y * w + k] > m) m = in[(size_t)y * w + k];
      tmp[(size_t)y * w + x] = m;
    }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float m = 0;
      for (int k = y - r; k <= y + r; k++)
        if (k >= 0 && k < h && tmp[(size_t)k * w + x] > m) m = tmp[(size_t)k * w + x];
      out[(size_t)y * w + x] = m;
    }
}

/* Erodes a 0/1 mask by one pixel (3x3). */
static void erode(const uint8_t *in, uint8_t *out, int w, int h) {
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      uint8_t v = in[(size_t)y * w + x];
      for (int dy = -1; dy <= 1 && v; dy++)
        for (int dx = -1; dx <= 1 && v; dx++) {
          int X = x + dx, Y = y + dy;
          if (X < 0 || Y < 0 || X >= w || Y >= h || !in[(size_t)Y * w + X]) v = 0;
        }
      out[(size_t)y * w + x] = v;
    }
}

/* Labels 8-connected pieces of `on`; returns the number of labels (label 0 = off). */
static int label_pieces(const uint8_t *on, int w, int h, int *label, long **areas) {
  size_t n = (size_t)w * h;
  int *stack = malloc(n * sizeof *stack);
  long cap = 64, *area = malloc(cap * sizeof *area);
  if (!stack || !area) {
    free(stack);
    free(area);
    return -1;
  }
  memset(label, 0, n * sizeof *label);
  int next = 1;
  area[0] = 0;
  for (size_t s = 0; s < n; s++) {
    if (!on[s] || label[s]) continue;
    if (next >= cap) {
      long *bigger = realloc(area, 2 * cap * sizeof *area);
      if (!bigger) {
        free(stack);
        free(area);
        return -1;
      }
      area = bigger;
      cap *= 2;
    }
    long count = 0;
    size_t top = 0;
    stack[top++] = (int)s;
    label[s] = next;
    while (top) {
      int p = stack[--top], x = p % w, y = p / w;
      count++;
      for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
          int X = x + dx, Y = y + dy;
          if (X < 0 || Y < 0 || X >= w || Y >= h) continue;
          size_t q = (size_t)Y * w + X;
          if (on[q] && !label[q]) {
            label[q] = next;
            stack[top++] = (int)q;
          }
        }
    }
    area[next++] = count;
  }
  free(stack);
  *areas = area;
  return next;
}

/* Keeps the pixels of `a` joined (8-connected, through `a`) to a background pixel (!fg); `stack`
 * is scratch of w*h ints. */
static void keep_reached_from_background(uint8_t *a, const uint8_t *fg, int w, int h, int *stack) {
  size_t top = 0, n = (size_t)w * h;
  for (size_t i = 0; i < n; i++) {
    if (!a[i]) continue;
    int x = (int)(i % w), y = (int)(i / w), near = 0;
    for (int dy = -1; dy <= 1 && !near; dy++)
      for (int dx = -1; dx <= 1; dx++) {
        int X = x + dx, Y = y + dy;
        if (X >= 0 && Y >= 0 && X < w && Y < h && !fg[(size_t)Y * w + X]) near = 1;
      }
    if (near) {
      a[i] = 2;
      stack[top++] = (int)i;
    }
  }
  while (top) {
    int p = stack[--top], x = p % w, y = p / w;
    for (int dy = -1; dy <= 1; dy++)
      for (int dx = -1; dx <= 1; dx++) {
        int X = x + dx, Y = y + dy;
        if (X < 0 || Y < 0 || X >= w || Y >= h) continue;
        size_t q = (size_t)Y * w + X;
        if (a[q] == 1) {
          a[q] = 2;
          stack[top++] = (int)q;
        }
      }
  }
  for (size_t i = 0; i < n; i++) a[i] = a[i] == 2;
}

int cut_quality_measure(const uint8_t *rgb, int w, int h, const uint8_t bg[3], cut_quality *q, uint8_t *marks) {
  memset(q, 0, sizeof *q);
  if (marks) memset(marks, 0, (size_t)w * h);
  size_t n = (size_t)w * h;
  float *d = malloc(n * sizeof *d), *dmax = malloc(n * sizeof *d), *tmp = malloc(n * sizeof *d);
  uint8_t *fg = malloc(n), *a = calloc(n, 1), *b = calloc(n, 1);
  int *label = malloc(n * sizeof *label);
  long *area = NULL;
  int rc = -1;
  if (!d || !dmax || !tmp || !fg || !a || !b || !label) goto out;
  for (size_t i = 0; i < n; i++) {
    const uint8_t *c = rgb + i * 3;
    double dr = c[0] - bg[0], dg = c[1] - bg[1], db = c[2] - bg[2];
    d[i] = (float)sqrt(dr * dr + dg * dg + db * db);
    fg[i] = d[i] >= BG_DIST;
  }

  /* The person is the largest piece; the others of 3 px or more are specks. */
  int labels = label_pieces(fg, w, h, label, &area);
  if (labels < 0) goto out;
  int person = 0;
  for (int l = 1; l < labels; l++)
    if (area[l] > area[person]) person = l;
  q->person_px = person ? area[person] : 0;
  for (int l = 1; l < labels; l++)
    if (l != person && area[l] >= 3) {
      q->speck_px += area[l];
      for (size_t i = 0; marks && i < n; i++)
        if (label[i] == l) marks[i] = CUT_MARK_SPECK;
      if (area[l] > q->largest_speck) q->largest_speck = area[l];
    }

  /* Ghosts: translucent pixels, then only those in patches at least 5 px thick (two erosions). */
  max_filter(d, dmax, tmp, w, h, TRANSLUCENT_R);
  /* A veil is flat (a soft edge climbs steadily from B to the person, a veil stays at one tint),
   * and it lies over the new background (reached from it through translucent pixels; a light
   * square of a checked shirt, surrounded by dark ones, is not). */
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      size_t i = (size_t)y * w + x;
      float gx = (d[y * w + (x + 1 < w ? x + 1 : x)] - d[y * w + (x > 0 ? x - 1 : x)]) / 2;
      float gy = (d[(y + 1 < h ? y + 1 : y) * w + x] - d[(y > 0 ? y - 1 : y) * w + x]) / 2;
      a[i] = fg[i] && d[i] <= TRANSLUCENT_MAX && d[i] < TRANSLUCENT_SHARE * dmax[i] && gx * gx + gy * gy < FLAT * FLAT;
    }
  int *stack = malloc(n * sizeof *stack);
  if (!stack) goto out;
  keep_reached_from_background(a, fg, w, h, stack);
  free(stack);
  erode(a, b, w, h);
  erode(b, a, w, h);
  for (size_t i = 0; i < n; i++) {
    q->ghost_px += a[i];
    if (marks && a[i]) marks[i] = CUT_MARK_GHOST;
  }

  /* Rims. inner = non-background at least RIM_INNER px from the background (erosions of fg). */
  memcpy(a, fg, n);
  for (int k = 0; k < RIM_INNER; k++) {
    erode(a, b, w, h);
    memcpy(a, b, n);
  }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      size_t i = (size_t)y * w + x;
      if (!fg[i] || label[i] != person) continue;
      int edge = 0, near = 0;
      for (int dy = -2; dy <= 2; dy++)
        for (int dx = -2; dx <= 2; dx++) {
          int X = x + dx, Y = y + dy;
          if (X < 0 || Y < 0 || X >= w || Y >= h || fg[(size_t)Y * w + X]) continue;
          near = 1;
          if (abs(dx) <= 1 && abs(dy) <= 1) edge = 1;
        }
      q->outline += edge;
      if (!near) continue;
      q->band_px++;
      /* The solid person colour next to this edge pixel: the mean of inner pixels within 4 px. */
      double F[3] = {0, 0, 0};
      int k = 0;
      for (int dy = -4; dy <= 4; dy++)
        for (int dx = -4; dx <= 4; dx++) {
          int X = x + dx, Y = y + dy;
          if (X < 0 || Y < 0 || X >= w || Y >= h || !a[(size_t)Y * w + X]) continue;
          const uint8_t *c = rgb + ((size_t)Y * w + X) * 3;
          F[0] += c[0];
          F[1] += c[1];
          F[2] += c[2];
          k++;
        }
      if (!k) continue;
      double fb[3], cb[3], ff = 0, cf = 0;
      for (int c = 0; c < 3; c++) {
        fb[c] = F[c] / k - bg[c];
        cb[c] = rgb[i * 3 + c] - bg[c];
        ff += fb[c] * fb[c];
        cf += cb[c] * fb[c];
      }
      if (ff < 60.0 * 60.0) continue; /* the person is too close to B in colour to tell */
      double t = cf / ff, res = 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      for (int c = 0; c < 3; c++) res += (cb[c] - t * fb[c]) * (cb[c] - t * fb[c]);
      if (sqrt(res) > RIM_RESIDUAL) {
        q->rim_px++;
        if (marks && !marks[i]) marks[i] = CUT_MARK_RIM;
      }
    }
  q->rim_ratio = q->band_px ? (double)q->rim_px / q->band_px : 0;
  rc = 0;
out:
  free(d);
  free(dmax);
  free(tmp);
  free(fg);
  free(a);
  free(b);
  free(label);
  free(area);
  return rc;
}

int cut_quality_measure_jpeg(const uint8_t *jpeg, size_t len, const uint8_t bg[3], cut_quality *q) {
  VipsImage *img = vips_image_new_from_buffer(jpeg, len, "", NULL), *rgb = NULL;
  if (!img) return -1;
  int rc = -1;
  if (vips_image_get_bands(img) == 3 && vips_image_get_format(img) == VIPS_FORMAT_UCHAR &&
      vips_image_wio_input(img) == 0) {
    rc = cut_quality_measure(VIPS_IMAGE_ADDR(img, 0, 0), img->Xsize, img->Ysize, bg, q, NULL);
  }
  (void)rgb;
  g_object_unref(img);
  return rc;
}

int cut_quality_clean(const cut_quality *q) {
  return q->largest_speck <= CUT_MAX_SPECK && q->speck_px <= CUT_MAX_SPECKS && q->ghost_px <= CUT_MAX_GHOST &&
         q->rim_ratio <= CUT_MAX_RIM;
}

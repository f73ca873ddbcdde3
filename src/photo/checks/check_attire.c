/* check_attire.c: collar and shoulders, clothing colour and pattern. Regions sit below
 * the face, sized in inter-ocular distances (IOD) from the chin. Jewellery is check_jewellery.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "photo/checks/check_ctx.h"
#include "util/xmalloc.h"

#define NO_FACE "没有找到清晰的正面人脸，无法检查此项，请正对镜头重新拍摄"

static void rgb_to_hsv(const double rgb[3], double *h, double *s, double *v) {
  double r = rgb[0] / 255, g = rgb[1] / 255, b = rgb[2] / 255;
  double mx = fmax(r, fmax(g, b)), mn = fmin(r, fmin(g, b)), d = mx - mn;
  *v = mx;
  *s = mx > 0 ? d / mx : 0;
  if (d <= 0)
    *h = 0;
  else if (mx == r)
    *h = 60 * fmod((g - b) / d + 6, 6);
  else if (mx == g)
    *h = 60 * ((b - r) / d + 2);
  else
    *h = 60 * ((r - g) / d + 4);
}

/* Fraction of neighbouring cells (squares of `cell` pixels on the person) whose mean luma
 * differs by more than `contrast`: a print, stripes or checks change from cell to cell at a
 * tenth of the IOD, while a knit's or a weave's fine texture averages out inside each cell. */
static double cell_edges(const check_ctx *c, cbox b, int cell, int contrast) {
  int nx = b.w / cell, ny = b.h / cell;
  if (nx < 2 || ny < 2) return 0;
  double *m = xmallocarray((size_t)nx * ny, sizeof(double));
  for (int j = 0; j < ny; j++)
    for (int i = 0; i < nx; i++) {
      long sum = 0, n = 0, on = 0;
      for (int y = b.y + j * cell; y < b.y + (j + 1) * cell; y++)
        for (int x = b.x + i * cell; x < b.x + (i + 1) * cell; x++) {
          sum += c->luma[(size_t)y * c->w + x], n++;
          on += check_mask_at(c, x, y) >= 128;
        }
      m[j * nx + i] = on * 4 >= n * 3 ? (double)sum / n : -1; /* -1: not the person */
    }
  long pairs = 0, edges = 0;
  for (int j = 0; j < ny; j++)
    for (int i = 0; i < nx; i++) {
      double v = m[j * nx + i];
      if (v < 0) continue;
      if (i + 1 < nx && m[j * nx + i + 1] >= 0) pairs++, edges += fabs(m[j * nx + i + 1] - v) > contrast;
      if (j + 1 < ny && m[(j + 1) * nx + i] >= 0) pairs++, edges += fabs(m[(j + 1) * nx + i] - v) > contrast;
    }
  free(m);
  return pairs ? (double)edges / pairs : 0;
}

/* The top of a band of height `h` that should start at `top`, below the chin: on a tight crop,
 * where less than 0.8 IOD of it would be left inside the photo, it moves up to end at the photo's
 * bottom edge, but never above 0.35 IOD below the chin (the neck's skin, which the clothing
 * measures leave out), so that what the photo shows of the clothes is what is judged. */
static double band_top(const check_ctx *c, double top, double h) {
  if (top + 0.8 * c->iod <= c->h) return top;
  return fmax(c->chin_y + 0.35 * c->iod, c->h - h);
}

void checks_attire(check_ctx *c) {
  if (!c->has_face) {
    const char *ids[] = {"neck_visible", "bare_shoulders", "clothing_color", "clothing_pattern"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) check_emit_unmeasured(c, ids[i], NO_FACE);
    return;
  }
  const double iod = c->iod, cx = c->face_cx, chin = c->chin_y;

  /* neck_visible: right below the chin the neck's skin should show (no high collar). */
  cbox neck = check_box(c, cx - 0.35 * iod, chin + 0.15 * iod, 0.7 * iod, 0.45 * iod);
  double ns = check_skin_fraction(c, neck, 0);
  check_emit(c, "neck_visible", ns < 0 ? 0 : 1.0 - ns, neck, "请不要穿高领衣服，露出脖子", NULL);

  /* bare_shoulders: skin where the shoulders are means a strap, sleeveless or off-shoulder top. */
  double sh_y = band_top(c, chin + 0.8 * iod, 1.0 * iod); /* img30: 29 rows at the edge otherwise */
  cbox sh_l = check_box(c, cx - 2.3 * iod, sh_y, 1.2 * iod, 1.0 * iod);
  cbox sh_r = check_box(c, cx + 1.1 * iod, sh_y, 1.2 * iod, 1.0 * iod);
  double bl = check_skin_fraction(c, sh_l, 1), br = check_skin_fraction(c, sh_r, 1);
  if (bl < 0) bl = 0;
  if (br < 0) br = 0;
  cbox shoulders = check_box(c, sh_l.x, sh_y, sh_r.x + sh_r.w - sh_l.x, 1.0 * iod);
  check_emit(c, "bare_shoulders", fmax(bl, br), shoulders,
             "请穿有袖、遮住肩膀的上衣（如T恤或衬衫），不要穿吊带或露肩装",
             json_pack("{s:f, s:f}", "left", bl, "right", br));

  /* clothing_color: the chest's median colour; blue and green where the profile avoids them,
   * and anything close to the background colour the photo will get. */
  const json_t *cc = c->cfg ? json_object_get(c->cfg, "clothing_color") : NULL;
  /* The middle of the chest may be a shirt front under a jacket: look at the middle and at both
   * sides and keep the worst. */
  /* On a tight crop the chest starts below the frame (deepface_img24: an empty region, a check of
   * nothing; img16 and img30 a few rows): see band_top. */
  double chest_h = 1.3 * iod, chest_y = band_top(c, chin + 0.9 * iod, chest_h);
  cbox chest = check_box(c, cx - 1.5 * iod, chest_y, 3.0 * iod, chest_h);
  double med[3] = {0, 0, 0}, bluegreen = 0, near_bg = 0;
  for (int part = 0; part < 3; part++) {
    double m[3], hue = 0, sat = 0, val = 0, bg_part = 0, bg_near = 0;
    cbox b = check_box(c, cx + (part - 1) * 1.0 * iod - 0.5 * iod, chest_y, 1.0 * iod, chest_h);
    if (b.w * b.h <= 0 || !check_median_rgb(c, b, 2, m)) continue;
    rgb_to_hsv(m, &hue, &sat, &val);
    if (json_is_true(json_object_get(cc, "avoid_blue_green")) && hue >= 80 && hue <= 260)
      bg_part = sat * fmin(1.0, val / 0.25);
    json_t *bg = json_object_get(cc, "background");
    if (json_is_array(bg) && json_array_size(bg) == 3) {
      double d = 0;
      for (int k = 0; k < 3; k++) {
        double e = m[k] - json_number_value(json_array_get(bg, (size_t)k));
        d += e * e;
      }
      bg_near = fmax(0, 1.0 - sqrt(d) / 120.0);
    }
    if (fmax(bg_part, bg_near) >= fmax(bluegreen, near_bg)) memcpy(med, m, sizeof med);
    bluegreen = fmax(bluegreen, bg_part);
    near_bg = fmax(near_bg, bg_near);
  }
  check_emit(c, "clothing_color", fmax(bluegreen, near_bg), chest,
             "衣服颜色与背景太接近（或为蓝色、绿色），请换一件颜色不同的纯色上衣",
             json_pack("{s:[fff], s:f, s:f}", "rgb", med[0], med[1], med[2], "blue_green", bluegreen, "near_background",
                       near_bg));

  /* clothing_pattern: how often the mean luma jumps between neighbouring cells over the upper
   * body, at two cell sizes tied to the IOD (a twelfth and a twentieth: a print's or a stripe's
   * width is about a cell or more, and stripes as wide as one cell can fall half in each).
   * The old per-pixel edge density took a knit's or a weave's fine texture, which averages out
   * inside a cell, for a print. */
  cbox body = check_box(c, cx - 1.5 * iod, chin + 0.8 * iod, 3.0 * iod, 1.6 * iod);
  double pat12 = cell_edges(c, body, (int)fmax(1.0, iod / 12.0), 30);
  double pat20 = cell_edges(c, body, (int)fmax(1.0, iod / 20.0), 30);
  check_emit(c, "clothing_pattern", fmax(pat12, pat20), body, "衣服图案或条纹太花，请换一件纯色、无图案的上衣",
             json_pack("{s:f, s:f}", "cells_12", pat12, "cells_20", pat20));
}

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

/* The clothes as a grid of square cells (`cell` pixels on the person), each with its mean colour
 * (YCbCr) and whether it is clothing: a cell mostly off the person, mostly skin, or hair lying
 * over the chest is not. A low neckline, an off-shoulder top or long hair leave skin and hair
 * where the clothes are expected; counted as cloth, they diluted a print with smooth skin
 * (deepface_img27's flowers fill only the lower part of the region) or made hair's strands look
 * like a print (deepface_img3). */
typedef struct cloth_grid {
  int nx, ny;
  double *ycc;          /* 3 per cell */
  unsigned char *cloth; /* 1: a clothing cell */
} cloth_grid;

/* Hair is told from a print by its colour, that of the hair on the crown (`hair`, NULL when the
 * crown shows none; within 40 in RGB), together with its strands (check_strands_at) over a third
 * of the cell: a plain garment of the hair's colour has no strands and stays clothing. */
static int hair_cell(const double mean_rgb[3], long strands, long n, const double *hair) {
  if (!hair || strands * 3 < n) return 0;
  double d = 0;
  for (int k = 0; k < 3; k++) d += (mean_rgb[k] - hair[k]) * (mean_rgb[k] - hair[k]);
  return d < 40.0 * 40.0;
}

/* What one cell gathers from its pixels. */
typedef struct cell_sums {
  double ycc[3], rgb[3];
  long n, on, skin, strands;
} cell_sums;

/* The grids of the two cell sizes in one pass over the box: each pixel's colour, skin and strand
 * tests are worked out once and added to its cell in both grids. */
static void cloth_grids_of(const check_ctx *c, cbox b, const int cell[2], const double *hair, cloth_grid out[2]) {
  cell_sums *sums[2];
  for (int s = 0; s < 2; s++) {
    out[s] = (cloth_grid){b.w / cell[s], b.h / cell[s], NULL, NULL};
    if (out[s].nx < 1 || out[s].ny < 1) out[s].nx = out[s].ny = 0;
    size_t cells = (size_t)out[s].nx * out[s].ny + 1;
    sums[s] = xcalloc(cells, sizeof(cell_sums));
    out[s].ycc = xmallocarray(cells * 3, sizeof(double));
    out[s].cloth = xmallocarray(cells, 1);
  }
  for (int y = b.y; y < b.y + b.h; y++)
    for (int x = b.x; x < b.x + b.w; x++) {
      const uint8_t *p = c->rgb + ((size_t)y * c->w + x) * 3;
      float v[3];
      check_ycc(p, &v[0], &v[1], &v[2]);
      int on = check_mask_at(c, x, y) >= 128, skin = check_is_skin(c, p);
      int strands = hair ? check_strands_at(c, x, y) : 0;
      for (int s = 0; s < 2; s++) {
        int i = (x - b.x) / cell[s], j = (y - b.y) / cell[s];
        if (i >= out[s].nx || j >= out[s].ny) continue;
        cell_sums *e = &sums[s][(size_t)j * out[s].nx + i];
        for (int k = 0; k < 3; k++) e->ycc[k] += v[k], e->rgb[k] += p[k];
        e->n++, e->on += on, e->skin += skin, e->strands += strands;
      }
    }
  for (int s = 0; s < 2; s++) {
    for (size_t at = 0; at < (size_t)out[s].nx * out[s].ny; at++) {
      cell_sums *e = &sums[s][at];
      double rgb[3];
      for (int k = 0; k < 3; k++) out[s].ycc[at * 3 + k] = e->ycc[k] / e->n, rgb[k] = e->rgb[k] / e->n;
      out[s].cloth[at] = e->on * 4 >= e->n * 3 && e->skin * 2 < e->n && !hair_cell(rgb, e->strands, e->n, hair);
    }
    free(sums[s]);
  }
}

/* Share of neighbouring clothing cells whose colours differ by more than 30: the luma difference
 * with the chroma differences counted twice (Cb and Cr span less than luma for the same visible
 * change), so that a print of colours of like brightness (pink, green and yellow flowers) counts
 * as well as stripes. A knit's or a weave's fine texture averages out inside each cell; a plain
 * garment's edges (lapels, a tie, the neckline) are lines, a few pairs of the area. `pairs` gets
 * the number of pairs judged. */
static double cloth_jumps(const cloth_grid *gp, long *pairs) {
  const cloth_grid g = *gp;
  long edges = 0;
  *pairs = 0;
  for (int j = 0; j < g.ny; j++)
    for (int i = 0; i < g.nx; i++) {
      size_t at = (size_t)j * g.nx + i;
      if (!g.cloth[at]) continue;
      size_t next[2] = {i + 1 < g.nx ? at + 1 : at, j + 1 < g.ny ? at + (size_t)g.nx : at};
      for (int q = 0; q < 2; q++) {
        if (next[q] == at || !g.cloth[next[q]]) continue;
        const double *u = g.ycc + at * 3, *v = g.ycc + next[q] * 3;
        double dy = v[0] - u[0], dcb = v[1] - u[1], dcr = v[2] - u[2];
        (*pairs)++;
        edges += sqrt(dy * dy + 4.0 * (dcb * dcb + dcr * dcr)) > 30.0;
      }
    }
  return *pairs ? (double)edges / (double)*pairs : 0;
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

  /* clothing_pattern: how often the colour jumps between neighbouring clothing cells over the
   * upper body, at two cell sizes tied to the IOD (a twelfth and a twentieth: a print's or a
   * stripe's width is about a cell or more, and stripes as wide as one cell can fall half in each).
   * The region reaches 4 IOD below the chin (or the photo's bottom): under a low neckline or an
   * off-shoulder top the clothes start far down. Fewer than 40 pairs of clothing cells (the
   * clothes hardly in the photo) are too few to judge: 0. */
  double hair[3];
  int crown_hair =
      check_median_rgb(c, check_box(c, cx - 0.5 * iod, c->brow_y - 1.1 * iod, 1.0 * iod, 0.5 * iod), 2, hair);
  double body_y = band_top(c, chin + 0.8 * iod, 1.0 * iod);
  cbox body = check_box(c, cx - 1.5 * iod, body_y, 3.0 * iod, chin + 4.0 * iod - body_y);
  long pairs12 = 0, pairs20 = 0;
  cloth_grid grids[2];
  const int cells[2] = {(int)fmax(1.0, iod / 12.0), (int)fmax(1.0, iod / 20.0)};
  cloth_grids_of(c, body, cells, crown_hair ? hair : NULL, grids);
  double pat12 = cloth_jumps(&grids[0], &pairs12), pat20 = cloth_jumps(&grids[1], &pairs20);
  for (int s = 0; s < 2; s++) free(grids[s].ycc), free(grids[s].cloth);
  if (pairs12 < 40) pat12 = 0;
  if (pairs20 < 40) pat20 = 0;
  check_emit(c, "clothing_pattern", fmax(pat12, pat20), body, "衣服图案或条纹太花，请换一件纯色、无图案的上衣",
             json_pack("{s:f, s:f, s:I}", "cells_12", pat12, "cells_20", pat20, "pairs_12", (json_int_t)pairs12));
}

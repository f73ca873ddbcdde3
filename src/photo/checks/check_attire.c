/* check_attire.c: jewellery, collar and shoulders, clothing colour and pattern. Regions sit below
 * the face, sized in inter-ocular distances (IOD) from the chin. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "photo/checks/check_ctx.h"

#define NO_FACE "没有找到清晰的正面人脸，无法检查此项，请正对镜头重新拍摄"

/* Jewellery: metal or stones. A pixel counts when it is not skin, is either a bright highlight or
 * strongly yellow (gold), and is not the background (the colour of the photo's top corners).
 * A bright pixel (and with `near_skin` any pixel) needs skin in at least a sixth of its 5x5
 * neighbourhood as well: a white collar is bright too, but is not surrounded by skin. */
static int jewel_at(const check_ctx *c, int x, int y, const double bg[3], int near_skin) {
  const uint8_t *p = c->rgb + ((size_t)y * c->w + x) * 3;
  if (check_mask_at(c, x, y) < 128 || check_is_skin(c, p)) return 0;
  float Y, cb, cr;
  check_ycc(p, &Y, &cb, &cr);
  int gold = cb < c->skin_cb - 30 && Y > 80;
  if (!gold && Y < 0.6f * c->skin_y) return 0; /* hair and shadows are darker than the skin */
  if (check_near_rgb(p, bg, 45.0)) return 0;
  /* Metal and stones sparkle: a wide luma range within 2 px, next to skin. */
  int skin = 0, n = 0, lo = 255, hi = 0;
  for (int dy = -2; dy <= 2; dy++)
    for (int dx = -2; dx <= 2; dx++) {
      int xx = x + dx, yy = y + dy;
      if (xx < 0 || yy < 0 || xx >= c->w || yy >= c->h) continue;
      n++;
      int l = c->luma[(size_t)yy * c->w + xx];
      if (l < lo) lo = l;
      if (l > hi) hi = l;
      skin += check_is_skin(c, c->rgb + ((size_t)yy * c->w + xx) * 3);
    }
  if (!gold && hi - lo < 70) return 0;
  return !near_skin || (n && skin * 6 >= n);
}

static double jewel_fraction(const check_ctx *c, cbox b, const double bg[3], int near_skin) {
  long n = 0, j = 0;
  for (int y = b.y; y < b.y + b.h; y += c->step)
    for (int x = b.x; x < b.x + b.w; x += c->step) j += jewel_at(c, x, y, bg, near_skin), n++;
  if (!n) return 0;
  return (double)j / (double)n;
}

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
    const char *ids[] = {"earrings",       "necklace",       "neck_visible",
                         "bare_shoulders", "clothing_color", "clothing_pattern"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) check_emit_unmeasured(c, ids[i], NO_FACE);
    return;
  }
  const double iod = c->iod, cx = c->face_cx, chin = c->chin_y;

  /* earrings: the earlobe areas, beside and below the ears. */
  /* Earlobes hang beside the jaw between the nose and the mouth; studs sit on them, drops hang
   * below towards the jaw's corner. */
  cbox lobe_l = check_box(c, c->lm[2][0] - 0.5 * iod, c->lm[1][1], 0.55 * iod, c->lm[5][1] - c->lm[1][1]);
  cbox lobe_r = check_box(c, c->lm[14][0] - 0.05 * iod, c->lm[15][1], 0.55 * iod, c->lm[11][1] - c->lm[15][1]);
  /* The background's colour, from the two top corners of the photo. */
  double bg[3];
  check_background_rgb(c, bg);
  double jl = jewel_fraction(c, lobe_l, bg, 0), jr = jewel_fraction(c, lobe_r, bg, 0);
  /* The region is the earlobe that decides, not a band across the face. */
  check_emit(c, "earrings", fmax(jl, jr), jl >= jr ? lobe_l : lobe_r, "请摘下耳环、耳钉等饰品",
             json_pack("{s:f, s:f}", "left", jl, "right", jr));

  /* necklace: the neck and the top of the chest. */
  cbox neckband = check_box(c, cx - 0.9 * iod, chin + 0.3 * iod, 1.8 * iod, 1.4 * iod);
  check_emit(c, "necklace", jewel_fraction(c, neckband, bg, 1), neckband, "请摘下项链等饰品", NULL);

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

  /* clothing_pattern: edge density over the upper body, measured at a step tied to the IOD so
   * that resolution does not matter. */
  cbox body = check_box(c, cx - 1.5 * iod, chin + 0.8 * iod, 3.0 * iod, 1.6 * iod);
  int s = (int)fmax(1.0, iod / 30.0);
  long n = 0, edges = 0;
  for (int y = body.y; y + s < body.y + body.h; y += s)
    for (int x = body.x; x + s < body.x + body.w; x += s) {
      if (check_mask_at(c, x, y) < 128) continue;
      const uint8_t *l = c->luma + (size_t)y * c->w + x;
      int gx = abs((int)l[s] - (int)l[0]), gy = abs((int)l[(size_t)s * c->w] - (int)l[0]);
      n++;
      edges += gx + gy > 40;
    }
  check_emit(c, "clothing_pattern", n ? (double)edges / n : 0, body, "衣服图案或条纹太花，请换一件纯色、无图案的上衣",
             NULL);
}

/* check_hair.c: what covers the head: hats and scarves, fringes over the eyebrows, hair over the
 * ears and the forehead. Measured as how much of each region is not skin (the cheek's colour);
 * the ears as how much of the area beside the jaw is the person (the matting mask) and hair. */
#include <math.h>
#include <stdlib.h>

#include "photo/checks/check_ctx.h"

#define NO_FACE "没有找到清晰的正面人脸，无法检查此项，请正对镜头重新拍摄"

/* Hair is brown to black, blond or grey: low chroma, warm or neutral. A hat, scarf or band is
 * often saturated in another hue, or plain white. */
static int unnatural_for_hair(const check_ctx *c, const uint8_t *p) {
  float y, cb, cr;
  check_ycc(p, &y, &cb, &cr);
  if (check_is_skin(c, p)) return 0;
  if (cb > 138 || cr < 120 || cr > 168) return 1;
  return y > 225 && fabsf(cb - 128) < 8 && fabsf(cr - 128) < 8;
}

/* How much hair covers an ear area: the person's share of the box times the share of those
 * person pixels that look like hair: not skin (loosely: ears are redder than the cheek), or
 * textured. Where an ear shows, the box beside the jaw holds the ear and, beyond it, the
 * background (short hair, hair tied back); where long hair falls over the ear the person fills
 * the box, and it is hair. Counting every pixel as before flagged the white wall beside
 * short-haired men (deepface_img18, img21). Blond hair has nearly the skin's chroma but not its
 * smoothness: strands change the luma by a tenth of the cheek's across a few pixels (an ear's
 * skin does so along its rim only). The person is the matting mask; without one (the landmark-only
 * analysis) it is every pixel unlike the background's colour. `person` and `hair` get the shares. */
static double ear_cover(const check_ctx *c, cbox b, const double bg[3], double *person, double *hair) {
  long all = 0, n = 0, hairy = 0;
  for (int y = b.y; y < b.y + b.h; y += c->step)
    for (int x = b.x; x < b.x + b.w; x += c->step) {
      const uint8_t *p = c->rgb + ((size_t)y * c->w + x) * 3;
      all++;
      if (c->mask ? check_mask_at(c, x, y) < 128 : check_near_rgb(p, bg, 45.0)) continue;
      n++;
      hairy += check_strands_at(c, x, y) || !check_loose_skin_at(c, p);
    }
  *person = all ? (double)n / (double)all : 0.0;
  *hair = n ? (double)hairy / (double)n : 0.0;
  return *person * *hair;
}

void checks_hair(check_ctx *c) {
  if (!c->has_face) {
    const char *ids[] = {"head_covering", "hair_over_eyebrows", "ears_visible", "forehead_visible"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) check_emit_unmeasured(c, ids[i], NO_FACE);
    return;
  }
  const double iod = c->iod;

  /* head_covering: the top of the head above the forehead. */
  cbox crown = check_box(c, c->lm[17][0], c->brow_y - 1.25 * iod, c->lm[26][0] - c->lm[17][0], 0.5 * iod);
  long n = 0, odd = 0;
  for (int y = crown.y; y < crown.y + crown.h; y += c->step)
    for (int x = crown.x; x < crown.x + crown.w; x += c->step) {
      if (check_mask_at(c, x, y) < 128) continue;
      n++;
      odd += unnatural_for_hair(c, c->rgb + ((size_t)y * c->w + x) * 3);
    }
  check_emit(c, "head_covering", n ? (double)odd / n : 0, crown, "请摘下帽子、头巾或发饰，头顶和额头不要有遮挡", NULL);

  /* hair_over_eyebrows: the band just above each eyebrow should be skin. */
  double worst = 0;
  cbox bands[2];
  for (int side = 0; side < 2; side++) {
    int a = side ? 22 : 17, b = side ? 26 : 21;
    double top = 1e9;
    for (int i = a; i <= b; i++) top = fmin(top, c->lm[i][1]);
    bands[side] = check_box(c, c->lm[a][0], top - 0.3 * iod, c->lm[b][0] - c->lm[a][0], 0.22 * iod);
    double s = check_skin_fraction(c, bands[side], 0);
    if (s >= 0 && 1.0 - s > worst) worst = 1.0 - s;
  }
  cbox brows =
      check_box(c, c->lm[17][0], bands[0].y, c->lm[26][0] - c->lm[17][0], c->lm[19][1] - bands[0].y + 0.1 * iod);
  check_emit(c, "hair_over_eyebrows", worst, brows, "头发遮住了眉毛，请把刘海梳起，露出眉毛和眼睛", NULL);

  /* forehead_visible: the middle of the forehead. */
  cbox fh = check_box(c, c->lm[19][0], c->brow_y - 0.85 * iod, c->lm[24][0] - c->lm[19][0], 0.55 * iod);
  double fs = check_skin_fraction(c, fh, 0);
  check_emit(c, "forehead_visible", fs < 0 ? 1.0 : 1.0 - fs, fh, "额头被遮挡，请把头发梳到后面，露出额头", NULL);

  /* ears_visible: beside the jaw at eye-to-nose height, on both sides. */
  double ew = 0.55 * iod;
  double ey = fmin(c->lm[0][1], c->lm[16][1]) - 0.15 * iod;
  double eh = fmax(c->lm[3][1], c->lm[13][1]) - ey - 0.2 * iod;
  cbox ear_l = check_box(c, c->lm[1][0] - ew, ey, ew, eh);
  cbox ear_r = check_box(c, c->lm[15][0], ey, ew, eh);
  double bg[3], pl, pr_, ol, or_;
  check_background_rgb(c, bg);
  double cl = ear_cover(c, ear_l, bg, &pl, &ol), cr = ear_cover(c, ear_r, bg, &pr_, &or_);
  /* Both ears must show: the more covered one decides, and is the region. */
  check_emit(c, "ears_visible", fmax(cl, cr), cl >= cr ? ear_l : ear_r, "请把头发别到耳后，露出双耳",
             json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}", "left", cl, "right", cr, "left_person", pl, "right_person",
                       pr_, "left_hair", ol, "right_hair", or_));
}

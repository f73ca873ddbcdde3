/* check_features.c: the eyes and the mouth: open eyes looking ahead, closed uncovered lips,
 * glasses and tinted lenses, red eye, heavy makeup. All regions come from the 68 landmarks. */
#include <math.h>
#include <stdlib.h>

#include "photo/checks/check_ctx.h"
#include "util/xmalloc.h"

#define NO_FACE "没有找到清晰的正面人脸，无法检查此项，请正对镜头重新拍摄"

static const int EYE_L[6] = {36, 37, 38, 39, 40, 41};
static const int EYE_R[6] = {42, 43, 44, 45, 46, 47};
static const int LIP_OUT[12] = {48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59};
static const int LIP_IN[8] = {60, 61, 62, 63, 64, 65, 66, 67};

static double dist(const check_ctx *c, int i, int j) {
  return hypot(c->lm[i][0] - c->lm[j][0], c->lm[i][1] - c->lm[j][1]);
}

static double eye_aspect(const check_ctx *c, int b) {
  return (dist(c, b + 1, b + 5) + dist(c, b + 2, b + 4)) / (2.0 * dist(c, b, b + 3) + 1e-9);
}

/* Where the iris sits between the eye corners: 0.5 is the middle. The iris is taken as the
 * darkest third of the pixels inside the eye outline. */
static double iris_position(const check_ctx *c, const int *eye) {
  cbox b = check_lm_box(c, eye, 6, 0.0);
  int hist[256] = {0}, n = 0;
  for (int y = b.y; y < b.y + b.h; y += c->step)
    for (int x = b.x; x < b.x + b.w; x += c->step)
      if (check_in_poly(c, eye, 6, x + 0.5, y + 0.5)) hist[c->luma[(size_t)y * c->w + x]]++, n++;
  if (n < 6) return 0.5;
  int cut = 0, acc = 0;
  while (cut < 255 && acc + hist[cut] <= n / 3) acc += hist[cut++];
  double sx = 0, sn = 0;
  for (int y = b.y; y < b.y + b.h; y += c->step)
    for (int x = b.x; x < b.x + b.w; x += c->step)
      if (check_in_poly(c, eye, 6, x + 0.5, y + 0.5) && c->luma[(size_t)y * c->w + x] <= cut) sx += x + 0.5, sn++;
  if (sn < 1) return 0.5;
  double x0 = c->lm[eye[0]][0], x1 = c->lm[eye[3]][0];
  return (sx / sn - x0) / (x1 - x0 + 1e-9);
}

/* Darkest-row dip of a box: how much the darkest row falls below the box's median row, as a
 * fraction of that median. A spectacle frame crossing the box draws such a dark line. */
static double row_dip(const check_ctx *c, cbox b) {
  if (b.w < 2 || b.h < 3) return 0;
  double *rows = xmallocarray((size_t)b.h, sizeof(double)), *sorted = xmallocarray((size_t)b.h, sizeof(double));
  for (int y = 0; y < b.h; y++) {
    double s = 0;
    int n = 0;
    for (int x = b.x; x < b.x + b.w; x += c->step) s += c->luma[(size_t)(b.y + y) * c->w + x], n++;
    rows[y] = sorted[y] = s / n;
  }
  for (int i = 1; i < b.h; i++) /* small n: insertion sort */
    for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
      double t = sorted[j];
      sorted[j] = sorted[j - 1];
      sorted[j - 1] = t;
    }
  double med = sorted[b.h / 2], lo = sorted[0];
  free(rows);
  free(sorted);
  return med > 1 ? (med - lo) / med : 0;
}

/* A beard or a moustache: the share of the chin below the lips and of the band between the nose
 * and the upper lip that is textured like hair (check_strands_at) and not skin. Bearded dev photos
 * measure 0.31-0.69, every other face at most 0.06; a mask or a hand is smooth. */
static double facial_hair(const check_ctx *c) {
  const double iod = c->iod;
  double x0 = c->lm[48][0], x1 = c->lm[54][0];
  cbox band[2] = {check_box(c, x0, c->lm[57][1] + 0.08 * iod, x1 - x0, c->lm[8][1] - c->lm[57][1] - 0.16 * iod),
                  check_box(c, x0, c->lm[33][1] + 0.05 * iod, x1 - x0, c->lm[51][1] - c->lm[33][1] - 0.07 * iod)};
  long n = 0, hair = 0;
  for (int k = 0; k < 2; k++)
    for (int y = band[k].y; y < band[k].y + band[k].h; y += c->step)
      for (int x = band[k].x; x < band[k].x + band[k].w; x += c->step) {
        n++;
        hair += check_strands_at(c, x, y) && !check_loose_skin_at(c, c->rgb + ((size_t)y * c->w + x) * 3);
      }
  return n ? (double)hair / (double)n : 0.0;
}

/* The box over both eyes that the eye checks report, and the one around the lips. */
static cbox eyes_box(const check_ctx *c) {
  return check_box(c, c->lm[36][0] - 0.15 * c->iod, fmin(c->lm[37][1], c->lm[44][1]) - 0.15 * c->iod,
                   c->lm[45][0] - c->lm[36][0] + 0.3 * c->iod, 0.5 * c->iod);
}

static cbox mouth_box(const check_ctx *c) { return check_lm_box(c, LIP_OUT, 12, 0.1); }

static void check_eyes_open_and_gaze(check_ctx *c) {
  cbox eyes = eyes_box(c);
  /* eyes_open: the smaller eye aspect ratio (lid gap over eye width). */
  double ear_l = eye_aspect(c, 36), ear_r = eye_aspect(c, 42);
  check_emit(c, "eyes_open", fmin(ear_l, ear_r), eyes, "眼睛没有完全睁开，请自然睁大双眼",
             json_pack("{s:f, s:f}", "left", ear_l, "right", ear_r));

  /* gaze_forward: both irises off the middle in the same direction means looking aside. */
  double pl = iris_position(c, EYE_L) - 0.5, pr = iris_position(c, EYE_R) - 0.5;
  check_emit(c, "gaze_forward", fabs((pl + pr) / 2), eyes, "眼睛没有看向镜头，请平视正前方的镜头",
             json_pack("{s:f, s:f}", "left", pl, "right", pr));
}

static void check_mouth_closed(check_ctx *c) {
  cbox mouth = mouth_box(c);
  /* mouth_closed: inner lip gap over mouth width. The landmarks alone also open closed lips that
   * are full or shadowed along their seam (hivision_test1: a gap of 0.10 on closed lips), so a gap
   * that shows no teeth on a face the expression network reads as neutral is taken as closed: an
   * open mouth shows teeth or, speaking, is not neutral (deepface_img19, neutral 0.04). */
  double gap = (dist(c, 61, 67) + dist(c, 62, 66) + dist(c, 63, 65)) / 3.0;
  double mw = dist(c, 48, 54);
  long in_n = 0, teeth = 0;
  double skin_chroma = hypot(c->skin_cb - 128, c->skin_cr - 128);
  for (int y = mouth.y; y < mouth.y + mouth.h; y += c->step)
    for (int x = mouth.x; x < mouth.x + mouth.w; x += c->step) {
      if (!check_in_poly(c, LIP_IN, 8, x + 0.5, y + 0.5)) continue;
      float Y, cb, cr;
      check_ycc(c->rgb + ((size_t)y * c->w + x) * 3, &Y, &cb, &cr);
      in_n++;
      /* Teeth: about as bright as the cheek and much greyer. */
      if (Y > 0.8 * c->skin_y && hypot(cb - 128, cr - 128) < 0.6 * skin_chroma) teeth++;
    }
  double teeth_frac = in_n ? (double)teeth / (double)in_n : 0.0;
  double neutral = c->have_expression ? c->expression[6] : -1.0;
  int deferred = teeth_frac < 0.05 && neutral >= 0.9;
  double open = gap / (mw + 1e-9);
  check_emit(c, "mouth_closed", deferred ? 0.0 : open, mouth, "嘴巴张开或露齿，请自然闭合双唇",
             json_pack("{s:f, s:f, s:f, s:b}", "lip_gap", open, "teeth", teeth_frac, "neutral", neutral,
                       "closed_by_expression", deferred));
}

static void check_mouth_occluded(check_ctx *c) {
  cbox mouth = mouth_box(c);
  /* mouth_occluded: the lip ring (outer minus inner outline) should look like lips: redder than
   * the cheek and not dark. A mask or a microphone is another colour; a hand is the cheek's
   * colour, which once counted as lips (a hand over the mouth passed). */
  double beard = facial_hair(c);
  int bearded = beard >= 0.2;
  long n = 0, other = 0, skinlike = 0, whiskers = 0;
  for (int y = mouth.y; y < mouth.y + mouth.h; y += c->step)
    for (int x = mouth.x; x < mouth.x + mouth.w; x += c->step) {
      if (!check_in_poly(c, LIP_OUT, 12, x + 0.5, y + 0.5) || check_in_poly(c, LIP_IN, 8, x + 0.5, y + 0.5)) continue;
      const uint8_t *p = c->rgb + ((size_t)y * c->w + x) * 3;
      float Y, cb, cr;
      check_ycc(p, &Y, &cb, &cr);
      n++;
      if (cr < c->skin_cr - 4 || Y < 0.3 * c->skin_y || cb > c->skin_cb + 12) {
        if (bearded && check_strands_at(c, x, y))
          whiskers++;
        else
          other++;
      }
      /* A hand is the cheek's colour, where lips are redder. */
      else if (cr < c->skin_cr + 4 && check_loose_skin_at(c, p))
        skinlike++;
    }
  /* Clean lips on the dev photos reach 0.58 with both counted (pale lips, a beard's edge); a hand
   * or a mask covers nearly the whole ring. A moustache over the lips is not a cover: on a bearded
   * face the ring's hair-textured pixels (whiskers) count for neither (deepface_img16's moustache
   * made 0.98 of its ring "not lips"). */
  check_emit(c, "mouth_occluded", n ? (double)(other + skinlike) / n : 1.0, mouth,
             "嘴部被遮挡，请移开手或其他物品，露出完整的嘴唇",
             json_pack("{s:f, s:f, s:f, s:f}", "not_lips", n ? (double)other / n : 1.0, "skin_like",
                       n ? (double)skinlike / n : 0.0, "beard", beard, "whiskers", n ? (double)whiskers / n : 0.0));
}

static void check_glasses(check_ctx *c) {
  const double iod = c->iod;
  cbox eyes = eyes_box(c);
  /* glasses: a frame draws a dark horizontal line across the nose bridge and under each eye. */
  double bx0 = c->lm[39][0] + 0.1 * (c->lm[42][0] - c->lm[39][0]);
  double bx1 = c->lm[42][0] - 0.1 * (c->lm[42][0] - c->lm[39][0]);
  double by0 = c->lm[27][1] - 0.2 * iod, by1 = c->lm[28][1] + 0.1 * iod;
  cbox bridge = check_box(c, bx0, by0, bx1 - bx0, by1 - by0);
  double dip_b = row_dip(c, bridge);
  double eb_l = fmax(c->lm[40][1], c->lm[41][1]), eb_r = fmax(c->lm[46][1], c->lm[47][1]);
  cbox rim_l = check_box(c, c->lm[36][0], eb_l + 0.05 * iod, c->lm[39][0] - c->lm[36][0], 0.45 * iod);
  cbox rim_r = check_box(c, c->lm[42][0], eb_r + 0.05 * iod, c->lm[45][0] - c->lm[42][0], 0.45 * iod);
  double dip_l = row_dip(c, rim_l), dip_r = row_dip(c, rim_r);
  double glasses = (dip_b + fmin(dip_l, dip_r)) / 2.0;
  cbox gl =
      check_box(c, c->lm[36][0] - 0.3 * iod, eyes.y - 0.1 * iod, c->lm[45][0] - c->lm[36][0] + 0.6 * iod, 0.9 * iod);
  check_emit(c, "glasses", glasses, gl, "请摘掉眼镜后重新拍摄",
             json_pack("{s:f, s:f, s:f}", "bridge", dip_b, "rim_left", dip_l, "rim_right", dip_r));
}

static void check_tinted_lenses(check_ctx *c) {
  cbox eyes = eyes_box(c);
  /* tinted_lenses: the eye areas, whites included, much darker than the cheek. */
  cbox el = check_lm_box(c, EYE_L, 6, 0.12), er = check_lm_box(c, EYE_R, 6, 0.12);
  double dark = 1.0 - (check_mean_luma(c, el) + check_mean_luma(c, er)) / (2.0 * c->skin_y + 1e-9);
  check_emit(c, "tinted_lenses", dark, eyes, "请摘掉有色眼镜或彩色隐形眼镜，露出自然的眼睛", NULL);
}

static void check_red_eye(check_ctx *c) {
  cbox eyes = eyes_box(c);
  /* red_eye: red pixels in the pupils. */
  double red = 0;
  for (int side = 0; side < 2; side++) {
    const float *e = side ? c->eye_r : c->eye_l;
    double r = 0.1 * c->iod;
    cbox p = check_box(c, e[0] - r, e[1] - r, 2 * r, 2 * r);
    long pn = 0, pr_ = 0;
    for (int y = p.y; y < p.y + p.h; y += c->step)
      for (int x = p.x; x < p.x + p.w; x += c->step) {
        const uint8_t *q = c->rgb + ((size_t)y * c->w + x) * 3;
        pn++;
        if (q[0] > 90 && q[0] > 1.8 * q[1] && q[0] > 1.6 * q[2]) pr_++;
      }
    if (pn && (double)pr_ / pn > red) red = (double)pr_ / pn;
  }
  check_emit(c, "red_eye", red, eyes, "照片出现红眼，请关闭闪光灯或换到光线充足处重新拍摄", NULL);
}

static void check_makeup(check_ctx *c) {
  cbox mouth = mouth_box(c);
  /* makeup: dark eyelids (eyeshadow, liner) against the cheek, and lips much redder than skin. */
  cbox lid_l = check_box(c, c->lm[37][0], c->lm[19][1] + 0.6 * (c->lm[37][1] - c->lm[19][1]),
                         c->lm[38][0] - c->lm[37][0], 0.35 * (c->lm[37][1] - c->lm[19][1]));
  cbox lid_r = check_box(c, c->lm[43][0], c->lm[24][1] + 0.6 * (c->lm[43][1] - c->lm[24][1]),
                         c->lm[44][0] - c->lm[43][0], 0.35 * (c->lm[43][1] - c->lm[24][1]));
  double lid = 1.0 - (check_mean_luma(c, lid_l) + check_mean_luma(c, lid_r)) / (2.0 * c->skin_y + 1e-9);
  double lip_cr = 0, lip_n = 0;
  for (int y = mouth.y; y < mouth.y + mouth.h; y += c->step)
    for (int x = mouth.x; x < mouth.x + mouth.w; x += c->step) {
      if (!check_in_poly(c, LIP_OUT, 12, x + 0.5, y + 0.5) || check_in_poly(c, LIP_IN, 8, x + 0.5, y + 0.5)) continue;
      float Y, cb, cr;
      check_ycc(c->rgb + ((size_t)y * c->w + x) * 3, &Y, &cb, &cr);
      lip_cr += cr, lip_n++;
    }
  /* Lipstick: the lip ring's Cr above the cheek's, in units that put the profile's threshold
   * (0.65) at 21.5 Cr levels. Chosen on the even half of the dev photos (bench_checks): natural
   * lips reach 20.6 there (deepface_img14), the lightest lipstick 21.9 (hivision_test1); it was
   * /40 (26 levels), which passed the lipstick of hivision_test1/3/4 ("未化妆 passes heavy
   * lipstick"). The eyelids keep their scale: deep-set eyes darken them as much as eyeshadow. */
  double lips = lip_n ? (lip_cr / lip_n - c->skin_cr) / 33.0 : 0;
  /* The region is what decides: the lips or the band of both eyelids. */
  cbox lids = check_box(c, lid_l.x, fmin(lid_l.y, lid_r.y), lid_r.x + lid_r.w - lid_l.x, fmax(lid_l.h, lid_r.h));
  check_emit(c, "makeup", fmax(lid, lips), lips >= lid ? mouth : lids, "请卸去浓妆（尤其是眼妆和口红），以自然面貌拍摄",
             json_pack("{s:f, s:f}", "eyelids", lid, "lips", lips));
}

void checks_features(check_ctx *c) {
  if (!c->has_face) {
    const char *ids[] = {"eyes_open", "gaze_forward",  "mouth_closed", "mouth_occluded",
                         "glasses",   "tinted_lenses", "red_eye",      "makeup"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) check_emit_unmeasured(c, ids[i], NO_FACE);
    return;
  }
  check_eyes_open_and_gaze(c);
  check_mouth_closed(c);
  check_mouth_occluded(c);
  check_glasses(c);
  check_tinted_lenses(c);
  check_red_eye(c);
  check_makeup(c);
}

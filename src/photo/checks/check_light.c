/* check_light.c: sharpness, exposure, half-lit faces, shadows and hot spots on the face. */
#include <math.h>

#include "photo/checks/check_ctx.h"

#define NO_FACE "没有找到清晰的正面人脸，无法检查此项，请正对镜头重新拍摄"

/* Variance of the Laplacian over the eyes-to-mouth area resampled so that the eyes are 64 px
 * apart: the same face gives the same number at any resolution. */
static double face_sharpness(const check_ctx *c, cbox *region) {
  enum { GW = 96, GH = 80 };
  static const double IOD_PX = 64.0;
  double step = c->iod / IOD_PX;
  double x0 = (c->eye_l[0] + c->eye_r[0]) / 2 - GW / 2.0 * step;
  double y0 = (c->eye_l[1] + c->eye_r[1]) / 2 - 0.35 * c->iod;
  *region = check_box(c, x0, y0, GW * step, GH * step);
  double grid[GH][GW];
  for (int j = 0; j < GH; j++)
    for (int i = 0; i < GW; i++) grid[j][i] = check_luma_at(c, x0 + i * step, y0 + j * step);
  double s = 0, s2 = 0;
  long n = 0;
  for (int j = 1; j < GH - 1; j++)
    for (int i = 1; i < GW - 1; i++) {
      double l = grid[j - 1][i] + grid[j + 1][i] + grid[j][i - 1] + grid[j][i + 1] - 4 * grid[j][i];
      s += l, s2 += l * l, n++;
    }
  return s2 / n - (s / n) * (s / n);
}

typedef struct stats {
  long n, dark, hot;
  double sum;
} stats;

static void accumulate(const check_ctx *c, cbox b, stats *st) {
  for (int y = b.y; y < b.y + b.h; y += c->step)
    for (int x = b.x; x < b.x + b.w; x += c->step) {
      int l = c->luma[(size_t)y * c->w + x];
      st->n++;
      st->sum += l;
      st->dark += l < 0.55 * c->skin_y;
      st->hot += l >= 245 || (l > 225 && l > c->skin_y + 0.6 * (255 - c->skin_y));
    }
}

void checks_light(check_ctx *c) {
  if (!c->has_face) {
    const char *ids[] = {"sharpness", "exposure", "illumination_uniformity", "face_shadow", "hot_spots"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) check_emit_unmeasured(c, ids[i], NO_FACE);
    return;
  }
  const double iod = c->iod;
  cbox sr;
  double sharp = face_sharpness(c, &sr);
  check_emit(c, "sharpness", sharp, sr, "照片模糊，请对好焦、保持手机稳定后重新拍摄", NULL);

  /* Skin areas: forehead, both cheeks (beside the nose, below the eyes), no eyes, brows, mouth
   * or beard. */
  cbox fh = check_box(c, c->lm[19][0], c->brow_y - 0.55 * iod, c->lm[24][0] - c->lm[19][0], 0.4 * iod);
  double cy0 = fmax(c->lm[41][1], c->lm[46][1]) + 0.15 * iod, cy1 = c->lm[33][1];
  cbox ck_l = check_box(c, c->lm[2][0] + 0.1 * iod, cy0, c->lm[31][0] - c->lm[2][0] - 0.15 * iod, cy1 - cy0);
  cbox ck_r = check_box(c, c->lm[35][0] + 0.05 * iod, cy0, c->lm[14][0] - c->lm[35][0] - 0.15 * iod, cy1 - cy0);
  stats all = {0, 0, 0, 0}, left = {0, 0, 0, 0}, right = {0, 0, 0, 0};
  accumulate(c, fh, &all);
  accumulate(c, ck_l, &left);
  accumulate(c, ck_r, &right);
  all.n += left.n + right.n;
  all.sum += left.sum + right.sum;
  all.dark += left.dark + right.dark;
  all.hot += left.hot + right.hot;
  cbox face = c->face;

  double mean = all.n ? all.sum / all.n : 0;
  check_emit(
      c, "exposure", mean, face,
      mean < 128 ? "脸部太暗，请到光线充足、均匀的地方重新拍摄" : "脸部过亮（曝光过度），请避免强光直射后重新拍摄",
      NULL);

  double ml = left.n ? left.sum / left.n : 0, mr = right.n ? right.sum / right.n : 0;
  double uneven = fabs(ml - mr) / (fmax(ml, mr) + 1e-9);
  check_emit(c, "illumination_uniformity", uneven, face, "脸部一侧亮一侧暗，请让光线均匀照亮整个脸部",
             json_pack("{s:f, s:f}", "left", ml, "right", mr));

  /* face_shadow: dark patches relative to the face's own median, so a dark skin is no shadow. */
  stats sh = {0, 0, 0, 0};
  check_ctx local = *c;
  local.skin_y = (float)mean;
  accumulate(&local, fh, &sh);
  accumulate(&local, ck_l, &sh);
  accumulate(&local, ck_r, &sh);
  check_emit(c, "face_shadow", sh.n ? (double)sh.dark / sh.n : 0, face,
             "脸上有阴影，请调整光线或去掉遮挡物，使脸部光线均匀", NULL);

  check_emit(c, "hot_spots", all.n ? (double)all.hot / all.n : 0, face,
             "脸上有反光亮斑，请避免闪光灯和强光直射，可用吸油纸去掉脸部油光", NULL);
}

/* check_face.c: single_face, face_size, head_pose: is there one usable face, facing the camera. */
#include <math.h>

#include "photo/checks/check_ctx.h"

#define NO_FACE "没有找到清晰的正面人脸，无法检查此项，请正对镜头重新拍摄"

void checks_face(check_ctx *c) {
  const photo_analysis *a = c->a;
  /* single_face: faces at least a third as wide as the subject count as another person. */
  int others = 0;
  double sw = (a->subject >= 0 && a->subject < a->n_faces) ? a->faces[a->subject].box.w : 0;
  for (int i = 0; i < a->n_faces; i++)
    if (i != a->subject && a->faces[i].box.w >= sw / 3.0) others++;
  int faces = (a->subject >= 0 && a->subject < a->n_faces) ? 1 + others : 0;
  cbox all = {0, 0, c->w, c->h};
  cbox region = all;
  if (c->has_face) region = c->face;
  if (faces == 0 || !c->has_face)
    check_emit(c, "single_face", 0, all, "照片中没有找到人脸，请正对镜头重新拍摄",
               json_pack("{s:i}", "faces", a->n_faces));
  else
    check_emit(c, "single_face", faces, others ? all : region, "照片中有不止一个人，请单独拍摄，背景里不要有其他人",
               json_pack("{s:i}", "faces", faces));
  if (!c->has_face) {
    check_emit_unmeasured(c, "face_size", NO_FACE);
    check_emit_unmeasured(c, "head_pose", NO_FACE);
    return;
  }

  /* face_size: cheek-to-cheek width in original pixels; the standard needs 180-300 px of face in a
   * 480-wide photo, so a smaller face must be enlarged and loses detail. */
  double jaw = hypot(c->lm[16][0] - c->lm[0][0], c->lm[16][1] - c->lm[0][1]);
  double scale = a->work_scale > 0 ? a->work_scale : 1.0;
  check_emit(c, "face_size", jaw / scale, c->face, "人脸太小、不够清晰，请靠近一些拍摄，让头部和肩部占满画面",
             json_pack("{s:f}", "face_width_px", jaw / scale));

  /* head_pose: roll from the eye line; yaw from the nose tip's place between the jaw sides (the
   * nose stands about 0.7 half-face-widths in front of the jaw line); pitch from where the nose
   * tip falls between the eyes and the chin compared to a level head. */
  double roll = atan2(c->eye_r[1] - c->eye_l[1], c->eye_r[0] - c->eye_l[0]) * 180.0 / M_PI;
  double dl = hypot(c->lm[30][0] - c->lm[2][0], c->lm[30][1] - c->lm[2][1]);
  double dr = hypot(c->lm[30][0] - c->lm[14][0], c->lm[30][1] - c->lm[14][1]);
  double yaw = atan((dl - dr) / (dl + dr) / 0.7) * 180.0 / M_PI;
  double ey = (c->eye_l[1] + c->eye_r[1]) / 2, ex = (c->eye_l[0] + c->eye_r[0]) / 2;
  double cx = c->lm[8][0], cy = c->lm[8][1];
  double along = ((c->lm[30][0] - ex) * (cx - ex) + (c->lm[30][1] - ey) * (cy - ey)) /
                 ((cx - ex) * (cx - ex) + (cy - ey) * (cy - ey) + 1e-9);
  double pitch = (along - 0.31) * 150.0; /* ~0.31 on level heads; 0.1 of the span is ~15 degrees */
  double worst = fmax(fabs(roll), fmax(fabs(yaw), fabs(pitch)));
  const char *msg = fabs(roll) >= fabs(yaw) && fabs(roll) >= fabs(pitch) ? "头部歪斜，请坐正，双眼保持水平"
                    : fabs(yaw) >= fabs(pitch) ? "头部偏向一侧，请正对镜头，两耳对称可见"
                                               : "头部抬起或低下，请平视镜头";
  check_emit(c, "head_pose", worst, c->face, msg,
             json_pack("{s:f, s:f, s:f}", "yaw", yaw, "pitch", pitch, "roll", roll));
}

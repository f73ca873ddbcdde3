/* check_expression.c: expression, a natural expression (表情自然): no smile beyond a faint one.
 *
 * The emotion network (src/vision/face_analysis.h) reads a square crop of the detector's face box
 * (face_emotion_crop), levelled by the eyes, and its mirror image; the value is the mean "happy"
 * probability. On the dev photos (bench/checks) every labelled smile but one faint one scores
 * above 0.99, and the neutral faces at most 0.97 on the tuning half (one held-out face 0.999), so
 * the profiles block above 0.99 and warn above 0.98. The landmark checks cannot see a smile with
 * closed lips at all, and mouth_closed (check_features.c) asks this model before it calls closed
 * lips open.
 *
 * The network is the photo engine's (loaded with it from its models directory, handed over in the
 * check context). When the engine has none the check says so (unmeasured, a warning) instead of
 * passing silently. */
#include <stdio.h>
#include <string.h>

#include "photo/checks/check_ctx.h"
#include "vision/face_analysis.h"

#define NO_FACE "没有找到清晰的正面人脸，无法检查此项，请正对镜头重新拍摄"

int check_expression_probs(const check_ctx *c, float probs[7]) {
  if (!c->has_face || c->a->subject < 0 || c->a->subject >= c->a->n_faces) return -1;
  if (!c->nets) return -1;
  const photo_box *b = &c->a->faces[c->a->subject].box;
  float box[4] = {b->x, b->y, b->w, b->h};
  float eyes[2][2] = {{c->eye_l[0], c->eye_l[1]}, {c->eye_r[0], c->eye_r[1]}};
  char why[256];
  return face_expression(c->nets, c->rgb, c->w, c->h, box, (const float(*)[2])eyes, probs, why, sizeof why);
}

void checks_expression(check_ctx *c) {
  if (!c->has_face) {
    check_emit_unmeasured(c, "expression", NO_FACE);
    return;
  }
  if (!c->have_expression) {
    check_emit_unmeasured(c, "expression",
                          c->nets ? "无法判断表情，请正对镜头、保持自然表情重新拍摄"
                                  : "表情检查暂不可用（模型未安装），请审核员人工确认表情");
    return;
  }
  json_t *detail = json_object();
  for (int i = 0; i < FACE_EMOTION_COUNT; i++)
    json_object_set_new(detail, face_emotion_names[i], json_real(c->expression[i]));
  check_emit(c, "expression", c->expression[FACE_HAPPY], c->face, "表情不够自然：请不要笑，保持自然平和的表情、闭上嘴",
             detail);
}

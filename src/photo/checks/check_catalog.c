/* check_catalog.c: every automatic check declared once (see checks.h, photo_check_def).
 *
 * The order is the report's order. Names and advice are what a student reads when the check's own
 * measured message is not enough (the rules page, the preview, the reviewer's list); the web pages
 * take them from the server (each result carries name/group/region_kind, and GET /api/photo-checks
 * serves the whole table), so there is no second list in JavaScript. `by_engine` 0 marks a check
 * that the collection workflow adds (it needs earlier attempts), not photo_checks_run. */
#include <string.h>

#include "photo/checks/checks.h"

const photo_check_def photo_check_catalog[] = {
    {"single_face", "identity", "只有一个人", "画面里只能有你一个人，请让其他人离开画面", "image", 1},
    {"face_size", "framing", "人像大小", "调整距离，让头和肩膀正好落在取景框里", "face", 1},
    {"head_pose", "framing", "头部端正", "坐直，正对镜头，头不要偏、不要仰或低", "face", 1},
    {"eyes_open", "eyes", "睁开眼睛", "自然睁眼，拍摄时不要眨眼", "eyes", 1},
    {"gaze_forward", "eyes", "看向镜头", "眼睛平视镜头", "eyes", 1},
    {"mouth_closed", "mouth", "闭上嘴", "自然闭嘴，不要露齿笑", "mouth", 1},
    {"mouth_occluded", "mouth", "嘴部无遮挡", "不要用手或物品挡住嘴", "mouth", 1},
    {"glasses", "eyes", "未戴眼镜", "请摘掉眼镜后重新拍摄", "eyes", 1},
    {"tinted_lenses", "eyes", "无有色镜片", "摘掉墨镜或有色镜片", "eyes", 1},
    {"head_covering", "head", "未戴帽子", "摘掉帽子或头饰", "crown", 1},
    {"hair_over_eyebrows", "head", "露出眉毛", "把刘海拨开，露出眉毛和额头", "eyebrows", 1},
    {"ears_visible", "ears", "露出双耳", "把头发拢到耳后，两只耳朵都要露出来", "ears", 1},
    {"forehead_visible", "head", "露出额头", "把刘海拨开，露出额头", "forehead", 1},
    {"earrings", "ears", "无耳饰", "摘掉耳环、耳钉", "ears", 1},
    {"necklace", "neck", "无项链", "摘掉项链或挂件", "neck", 1},
    {"neck_visible", "neck", "露出脖子", "不要穿高领衣服，露出脖子", "neck", 1},
    {"bare_shoulders", "neck", "着装得体", "不要穿吊带或无袖上衣", "shoulders", 1},
    {"clothing_color", "attire", "衣服颜色", "换一件与背景颜色差别明显的衣服", "body", 1},
    {"clothing_pattern", "attire", "衣服图案", "换一件纯色、无条纹无花纹的衣服", "body", 1},
    {"sharpness", "image", "清晰度", "照片模糊：拿稳手机，对焦在脸上再拍", "face", 1},
    {"exposure", "light", "亮度", "照片太暗或太亮：换到光线充足而不刺眼的地方", "face", 1},
    {"illumination_uniformity", "light", "光线均匀", "一侧脸太暗：面向窗户或灯光，让两侧一样亮", "face", 1},
    {"face_shadow", "light", "脸上无阴影", "脸上有阴影：换个方向站，避免顶光和侧光", "face", 1},
    {"red_eye", "eyes", "无红眼", "关闭闪光灯重新拍摄", "eyes", 1},
    {"hot_spots", "light", "无反光", "脸上有反光亮斑：避开直射光，擦掉油光", "face", 1},
    {"background_uniformity", "image", "背景干净", "换到一面纯色墙前，身后不要有物品或影子", "background", 1},
    {"recapture", "image", "不是翻拍", "请直接拍本人，不要翻拍照片或屏幕", "image", 1},
    {"retouching", "image", "未过度修图", "关闭美颜和滤镜，用原图", "face", 1},
    {"makeup", "eyes", "未化妆", "请卸妆后拍摄，尤其是眼妆", "face", 1},
    {"compression", "image", "图像质量", "照片压缩太重：请用原图，不要用截图或聊天软件转发的图", "image", 1},
    {"expression", "mouth", "表情自然", "不要笑，保持自然平和的表情，闭上嘴", "face", 1},
    {"same_person", "identity", "同一人核验", "必须是本人照片：请本人拍摄，不要用他人照片，不要美颜或滤镜", "face", 0},
    {"reference_match", "identity", "与录取照片比对",
     "要与学校的录取照片是同一个人：请本人拍摄，不要大幅修图，不要美颜、磨皮、大眼或滤镜，用相机原图", "face", 0},
    {0},
};

const photo_check_def *photo_check_find(const char *id) {
  for (const photo_check_def *d = photo_check_catalog; id && d->id; d++)
    if (strcmp(d->id, id) == 0) return d;
  return NULL;
}

json_t *photo_check_catalog_json(void) {
  json_t *list = json_array();
  for (const photo_check_def *d = photo_check_catalog; d->id; d++)
    json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", d->id, "group", d->group, "name", d->name,
                                          "advice", d->advice, "region_kind", d->region_kind));
  return list;
}

void photo_check_describe(json_t *result) {
  const photo_check_def *d = photo_check_find(json_string_value(json_object_get(result, "id")));
  if (!d) return;
  json_object_set_new(result, "name", json_string(d->name));
  json_object_set_new(result, "group", json_string(d->group));
  json_object_set_new(result, "region_kind", json_string(d->region_kind));
  json_object_set_new(result, "advice", json_string(d->advice));
}

/* refusals: every reason the engine refuses a photo for, with the message the student reads, in
 * one place. A refusal is a property of the photo, not a failure of ours: an err_t with status
 * PHOTO_REFUSAL (422) and the reason's code. */
#include <stdio.h>
#include <string.h>

#include "photo/stages.h"

static const struct {
  const char *code, *message;
} reasons[] = {
    /* The engine refuses with photo_refuse_too_large, which names the limits in force. */
    {"IMAGE_TOO_LARGE", "照片文件过大，请压缩后重新上传。"},
    {"NO_FACE", "未检测到人脸，请正对镜头、在光线充足处重新拍摄。"},
    {"MULTIPLE_FACES", "照片中有不止一个人，请只拍本人。"},
    {"FACE_TOO_SMALL", "人脸太小或太远，请靠近一些重新拍摄。"},
    {"HEAD_CUT_OFF", "头顶被画面边缘裁掉了，请在头顶上方留出空间重新拍摄。"},
    {"NOT_ENOUGH_BODY", "画面下方或两侧没有拍全肩膀，请拍到胸口位置、人居中重新拍摄。"},
    {"BACKGROUND_TOO_COMPLEX", "背景太杂乱，无法准确区分人像，请在纯色墙壁前重新拍摄。"},
    {"FACE_PROPORTIONS", "无法按标准比例裁剪头部，请正对镜头、保持头部端正后重新拍摄。"},
    {"UNSUPPORTED_FORMAT", "不支持的文件格式，请上传 JPEG、PNG、WebP 或 HEIC 格式的照片。"},
    {"CORRUPT_IMAGE", "照片文件已损坏或不完整，请重新上传。"},
    {"IMAGE_TOO_LARGE", "照片文件过大（不超过 20 MB、5000 万像素），请压缩后重新上传。"},
    {"ENCODE_SIZE", "无法把照片压缩到规定的文件大小范围，请换一张照片。"},
};

const char *photo_reason_message(const char *code) {
  for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
    if (strcmp(reasons[i].code, code) == 0) return reasons[i].message;
  return "照片不符合要求，请重新拍摄。";
}

int photo_refuse(err_t *err, const char *code) {
  return err_set(err, PHOTO_REFUSAL, code, "%s", photo_reason_message(code));
}

int photo_refuse_too_large(err_t *err, const photo_limits *limits) {
  /* The student reads the limits the server is configured with, in the units a phone shows. */
  char mb[32] = "", mp[32] = "";
  if (limits->max_bytes > 0) snprintf(mb, sizeof mb, "不超过 %.0f MB", limits->max_bytes / (1024.0 * 1024.0));
  if (limits->max_pixels > 0) snprintf(mp, sizeof mp, "%.0f 万像素", limits->max_pixels / 1e4);
  if (!mb[0] && !mp[0]) return photo_refuse(err, "IMAGE_TOO_LARGE");
  return err_set(err, PHOTO_REFUSAL, "IMAGE_TOO_LARGE", "照片文件过大（%s%s%s），请压缩后重新上传。",
                 mb[0] ? mb : "不超过 ", mb[0] && mp[0] ? "、" : "", mp);
}

/* check_analyze.c: decode + dlib faces + JPEG quality into a photo_analysis (see check_analyze.h). */
#include "photo/checks/check_analyze.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "photo/photo.h"
#include "util/xmalloc.h"
#include "vision/vision_checks.h"

#define WORK_MAX 800

static const uint8_t STD_LUMA[64] = {
    16, 11, 12, 14, 12, 10, 16, 14, 13, 14, 18, 17, 16, 19, 24, 40, 26, 24, 22, 22, 24, 49,
    35, 37, 29, 40, 58, 51, 61, 60, 57, 51, 56, 55, 64, 72, 92, 78, 64, 68, 87, 69, 55, 56,
    80, 109, 81, 87, 95, 98, 103, 104, 103, 62, 77, 113, 121, 112, 100, 120, 92, 101, 103, 99};

int checks_jpeg_quality(const uint8_t *b, size_t len) {
  if (len < 4 || b[0] != 0xFF || b[1] != 0xD8) return -1;
  size_t i = 2;
  while (i + 4 <= len) {
    if (b[i] != 0xFF) return -1;
    uint8_t m = b[i + 1];
    size_t seg = ((size_t)b[i + 2] << 8) | b[i + 3];
    if (m == 0xDA || seg < 2 || i + 2 + seg > len) return -1;
    if (m == 0xDB) {
      size_t p = i + 4, end = i + 2 + seg;
      while (p < end) {
        int prec = b[p] >> 4, id = b[p] & 15;
        size_t tl = prec ? 128 : 64;
        if (p + 1 + tl > end) return -1;
        if (id == 0) {
          double sum = 0, ref = 0;
          for (int k = 0; k < 64; k++) {
            sum += prec ? (b[p + 1 + 2 * k] << 8 | b[p + 2 + 2 * k]) : b[p + 1 + k];
            ref += STD_LUMA[k]; /* zigzag order does not matter for the sums */
          }
          double s = sum * 100.0 / ref;
          int q = s <= 100 ? (int)((200.0 - s) / 2.0 + 0.5) : (int)(5000.0 / s + 0.5);
          return q < 1 ? 1 : q > 100 ? 100 : q;
        }
        p += 1 + tl;
      }
    }
    i += 2 + seg;
  }
  return -1;
}


int checks_analyze_rgb(const uint8_t *rgb, int w, int h, int jpeg_quality, photo_analysis *a,
                       err_t *err) {
  memset(a, 0, sizeof *a);
  a->subject = -1;
  a->jpeg_quality_estimate = jpeg_quality;
  if (!rgb || w < 16 || h < 16 || w > 20000 || h > 20000)
    return err_set(err, 400, "BAD_IMAGE", "照片尺寸不正确");
  size_t n = (size_t)w * (size_t)h * 3;
  a->work.px = xmalloc(n);
  memcpy(a->work.px, rgb, n);
  a->work.w = w, a->work.h = h;
  a->work_scale = 1.0;
  a->orig_w = w, a->orig_h = h;
  vc_face faces[PHOTO_MAX_FACES];
  char msg[200] = "";
  char lm_path[4096];
  int nf = vc_faces_landmarks(rgb, w, h, photo_landmarks_path(NULL, lm_path, sizeof lm_path), faces, PHOTO_MAX_FACES,
                              msg, sizeof msg);
  if (nf < 0) {
    checks_analysis_clear(a);
    return err_set(err, 500, "vision_failed", "face landmarks: %s", msg);
  }
  a->n_faces = nf;
  for (int i = 0; i < nf; i++) {
    photo_face *f = &a->faces[i];
    f->box = (photo_box){faces[i].x, faces[i].y, faces[i].w, faces[i].h};
    f->score = faces[i].score;
    /* BlazeFace-style keypoints from the landmarks: eyes, nose tip, mouth centre, ear points. */
    const float(*p)[2] = faces[i].pts;
    for (int k = 0; k < 2; k++) {
      float el = 0, er = 0;
      for (int j = 0; j < 6; j++) el += p[36 + j][k] / 6, er += p[42 + j][k] / 6;
      f->kp[0][k] = el, f->kp[1][k] = er;
      f->kp[2][k] = p[30][k];
      f->kp[3][k] = (p[62][k] + p[66][k]) / 2;
      f->kp[4][k] = p[0][k], f->kp[5][k] = p[16][k];
    }
  }
  if (nf > 0) {
    a->subject = 0; /* largest first */
    a->has_landmarks = 1;
    memcpy(a->landmarks, faces[0].pts, sizeof a->landmarks);
  }
  return 0;
}

int checks_analyze_buffer(const void *buf, size_t len, photo_analysis *a, err_t *err) {
  memset(a, 0, sizeof *a);
  a->subject = -1;
  if (!buf || len < 8) return err_set(err, 400, "BAD_IMAGE", "无法读取照片文件");
  VipsImage *in = vips_image_new_from_buffer(buf, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
  if (!in) {
    vips_error_clear();
    return err_set(err, 400, "BAD_IMAGE", "无法读取照片文件，请上传 JPEG 或 PNG 照片");
  }
  int ow = in->Xsize, oh = in->Ysize;
  g_object_unref(in);
  VipsImage *t = NULL;
  if (vips_thumbnail_buffer((void *)buf, len, &t, WORK_MAX, "height", WORK_MAX, "size",
                            VIPS_SIZE_DOWN, "export_profile", "srgb", "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL)) {
    vips_error_clear();
    return err_set(err, 400, "BAD_IMAGE", "无法读取照片文件，请上传 JPEG 或 PNG 照片");
  }
  VipsImage *rgb = NULL, *flat = NULL, *u8 = NULL;
  int rc = -1;
  if (t->Bands >= 3 && !(t->Bands == 4 ? vips_flatten(t, &flat, NULL) : vips_copy(t, &flat, NULL)) &&
      !vips_extract_band(flat, &rgb, 0, "n", 3, NULL) && !vips_cast_uchar(rgb, &u8, NULL)) {
    rc = 0;
  } else if (t->Bands < 3 && !vips_colourspace(t, &flat, VIPS_INTERPRETATION_sRGB, NULL) &&
             !vips_extract_band(flat, &rgb, 0, "n", 3, NULL) && !vips_cast_uchar(rgb, &u8, NULL)) {
    rc = 0;
  }
  size_t sz = 0;
  void *px = rc == 0 ? vips_image_write_to_memory(u8, &sz) : NULL;
  int w = u8 ? u8->Xsize : 0, h = u8 ? u8->Ysize : 0;
  if (u8) g_object_unref(u8);
  if (rgb) g_object_unref(rgb);
  if (flat) g_object_unref(flat);
  g_object_unref(t);
  if (!px || sz != (size_t)w * h * 3) {
    g_free(px);
    vips_error_clear();
    return err_set(err, 400, "BAD_IMAGE", "无法解码照片");
  }
  rc = checks_analyze_rgb(px, w, h, checks_jpeg_quality(buf, len), a, err);
  g_free(px);
  if (rc) return rc;
  /* Orientation may swap the sides; the scale is the same along both. */
  int long_o = ow > oh ? ow : oh, long_w = w > h ? w : h;
  a->work_scale = long_o > 0 ? (double)long_w / long_o : 1.0;
  a->orig_w = (int)(w / a->work_scale + 0.5), a->orig_h = (int)(h / a->work_scale + 0.5);
  a->file_bytes = (int64_t)len;
  return 0;
}

void checks_analysis_clear(photo_analysis *a) { photo_analysis_free(a); }

int checks_encode_jpeg(const uint8_t *rgb, int w, int h, int quality, void **out, size_t *len) {
  VipsImage *im = vips_image_new_from_memory(rgb, (size_t)w * h * 3, w, h, 3, VIPS_FORMAT_UCHAR);
  if (!im) return -1;
  int rc = vips_jpegsave_buffer(im, out, len, "Q", quality, NULL);
  g_object_unref(im);
  if (rc) vips_error_clear();
  return rc ? -1 : 0;
}

/* One engine per process: loading the models costs far more than a photo. */
static pthread_mutex_t engine_mu = PTHREAD_MUTEX_INITIALIZER;
static photo_engine *engine;

int checks_analyze_engine(const void *buf, size_t len, const char *profile, photo_analysis *a,
                          err_t *err) {
  memset(a, 0, sizeof *a);
  a->subject = -1;
  a->jpeg_quality_estimate = -1;
  pthread_mutex_lock(&engine_mu);
  if (!engine) engine = photo_engine_open(NULL, err);
  photo_engine *e = engine;
  pthread_mutex_unlock(&engine_mu);
  if (!e) return -1;
  photo_profile *p = photo_profile_load(photo_default_profiles_dir(), profile, err);
  if (!p) return -1;
  photo_result r;
  memset(&r, 0, sizeof r);
  int rc = photo_standardize(e, buf, len, p, &r, err);
  photo_profile_free(p);
  if (rc) {
    photo_result_free(&r);
    return -1;
  }
  *a = r.analysis;
  memset(&r.analysis, 0, sizeof r.analysis);
  char why[sizeof r.message];
  snprintf(why, sizeof why, "%s", r.message[0] ? r.message : "无法读取照片文件");
  photo_result_free(&r);
  if (!a->work.px) {
    photo_analysis_free(a);
    return err_set(err, 400, "BAD_IMAGE", "%s", why);
  }
  return 0;
}

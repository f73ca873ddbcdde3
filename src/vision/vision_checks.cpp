// vision_checks.cpp: dlib face + landmark finding for the automatic checks (see vision_checks.h).
#include "vision/vision_checks.h"

#include <dlib/image_processing.h>

#include "vision/landmarks.h"
#include <dlib/image_processing/frontal_face_detector.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <mutex>
#include <string>
#include <vector>

namespace {

struct models {
  std::mutex mu;
  bool loaded = false;
  std::string path;
  dlib::frontal_face_detector detector;
  lm_model *predictor = nullptr;
};

models &shared_models() {
  static models m;
  return m;
}

void set_msg(char *msg, int len, const char *text) {
  if (msg && len > 0) std::snprintf(msg, (size_t)len, "%s", text);
}

}  // namespace

extern "C" int vc_faces_landmarks(const uint8_t *rgb, int w, int h, const char *predictor,
                                  vc_face *out, int max, char *msg, int msg_len) {
  if (!rgb || w <= 0 || h <= 0 || !predictor || !out || max <= 0) {
    set_msg(msg, msg_len, "bad arguments");
    return -1;
  }
  models &m = shared_models();
  // dlib's detector and predictor are not documented as thread-safe: serialise their use.
  std::lock_guard<std::mutex> lock(m.mu);
  try {
    if (!m.loaded || m.path != predictor) {
      m.detector = dlib::get_frontal_face_detector();
      char why[512] = "";
      lm_model *lm = lm_model_load(predictor, why, sizeof why);
      if (!lm || lm_model_parts(lm) != 68) {
        set_msg(msg, msg_len, lm ? "the landmark model does not have 68 points" : why);
        lm_model_free(lm);
        return -1;
      }
      lm_model_free(m.predictor);
      m.predictor = lm;
      m.path = predictor;
      m.loaded = true;
    }
    dlib::array2d<unsigned char> gray(h, w);
    for (int y = 0; y < h; y++) {
      const uint8_t *row = rgb + (size_t)y * (size_t)w * 3;
      for (int x = 0; x < w; x++)
        gray[y][x] = (unsigned char)((row[3 * x] * 77 + row[3 * x + 1] * 150 + row[3 * x + 2] * 29) >> 8);
    }
    std::vector<dlib::rect_detection> dets;
    m.detector(gray, dets, 0.0);
    double up = 1.0;
    if (dets.empty() && (long)w * h < 1200L * 1200L) {
      // Small faces: look again at twice the size, as dlib's own examples do.
      dlib::pyramid_up(gray);
      m.detector(gray, dets, 0.0);
      up = 2.0;
    }
    std::sort(dets.begin(), dets.end(), [](const dlib::rect_detection &a, const dlib::rect_detection &b) {
      return a.rect.area() > b.rect.area();
    });
    int n = 0;
    for (const auto &d : dets) {
      if (n >= max) break;
      float pts[68 * 2];
      const long rect[4] = {d.rect.left(), d.rect.top(), d.rect.right(), d.rect.bottom()};
      lm_predict(m.predictor, &gray[0][0], (int)gray.nc(), (int)gray.nr(), (size_t)gray.width_step(), rect, pts);
      vc_face &f = out[n++];
      f.x = (float)(d.rect.left() / up);
      f.y = (float)(d.rect.top() / up);
      f.w = (float)(d.rect.width() / up);
      f.h = (float)(d.rect.height() / up);
      f.score = (float)(1.0 / (1.0 + std::exp(-2.0 * d.detection_confidence)));
      for (int i = 0; i < 68; i++) {
        f.pts[i][0] = (float)(pts[2 * i] / up);
        f.pts[i][1] = (float)(pts[2 * i + 1] / up);
      }
    }
    return n;
  } catch (const std::exception &e) {
    set_msg(msg, msg_len, e.what());
    return -1;
  }
}

// vision.cpp: OpenCV DNN + dlib behind vision.h. See the header for the contract.
//
// BlazeFace decoding follows keijiro's MediaPipe.BlazeFace post-processing (Shaders/Postprocess*.
// compute): 896 anchors, the first 512 on a 16x16 grid (2 per cell), the other 384 on an 8x8 grid
// (6 per cell); box offsets are in input pixels relative to the anchor centre; overlapping boxes
// (IoU >= 0.3) are merged as a score-weighted mean.
#include "vision/vision.h"

#include <dlib/image_processing.h>
#include <dlib/opencv.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <string>
#include <vector>

struct vision {
  cv::dnn::Net front, back, seg;
  std::mutex front_mu, back_mu, seg_mu;
  dlib::shape_predictor sp;
};

static void say(char *errbuf, size_t errlen, const std::string &msg) {
  if (errbuf && errlen) snprintf(errbuf, errlen, "%s", msg.c_str());
}

extern "C" vision *vision_open(const char *models_dir, const char *landmarks_path, char *errbuf, size_t errlen) {
  vision *v = nullptr;
  try {
    v = new vision();
    std::string dir(models_dir);
    v->front = cv::dnn::readNetFromONNX(dir + "/blazeface_front_128.onnx");
    v->back = cv::dnn::readNetFromONNX(dir + "/blazeface_back_256.onnx");
    v->seg = cv::dnn::readNetFromONNX(dir + "/selfie_segmentation.onnx");
    dlib::deserialize(landmarks_path) >> v->sp;
    return v;
  } catch (const std::exception &e) {
    say(errbuf, errlen, std::string("loading models: ") + e.what());
    delete v;
    return nullptr;
  }
}

extern "C" void vision_close(vision *v) { delete v; }

extern "C" void vision_set_threads(int n) { cv::setNumThreads(n); }

namespace {

struct det {
  float cx, cy, w, h, score;
  float rel;  // width as a fraction of the letterbox square
  float kp[6][2];
};

float iou(const det &a, const det &b) {
  float x0 = std::max(a.cx - a.w / 2, b.cx - b.w / 2), y0 = std::max(a.cy - a.h / 2, b.cy - b.h / 2);
  float x1 = std::min(a.cx + a.w / 2, b.cx + b.w / 2), y1 = std::min(a.cy + a.h / 2, b.cy + b.h / 2);
  float inner = std::max(0.f, x1 - x0) * std::max(0.f, y1 - y0);
  return inner / (a.w * a.h + b.w * b.h - inner + 1e-9f);
}

// Runs one BlazeFace net on `img` letterboxed into a size x size square (image centred, black
// bars) and appends detections in image pixels.
void run_blazeface(cv::dnn::Net &net, std::mutex &mu, const cv::Mat &img, int size, float min_score,
                   std::vector<det> &out) {
  int side = std::max(img.cols, img.rows);
  int sw = std::max(1, (int)std::lround((double)img.cols * size / side));
  int sh = std::max(1, (int)std::lround((double)img.rows * size / side));
  cv::Mat small(size, size, CV_8UC3, cv::Scalar(0, 0, 0)), fitted;
  cv::resize(img, fitted, cv::Size(sw, sh), 0, 0, cv::INTER_AREA);
  int offx = (size - sw) / 2, offy = (size - sh) / 2;
  fitted.copyTo(small(cv::Rect(offx, offy, sw, sh)));
  // square-normalised u -> image pixels
  double kx = (double)img.cols / sw, ky = (double)img.rows / sh;
  auto to_x = [&](double u) { return (float)((u * size - offx) * kx); };
  auto to_y = [&](double v) { return (float)((v * size - offy) * ky); };
  cv::Mat f;
  small.convertTo(f, CV_32F, 2.0 / 255.0, -1.0);  // [-1, 1], NHWC as the model takes it
  int dims[4] = {1, size, size, 3};
  cv::Mat blob(4, dims, CV_32F, f.data);
  std::vector<cv::Mat> outs;
  std::vector<std::string> names = {"Identity:0", "Identity_1:0", "Identity_2:0", "Identity_3:0"};
  {
    // The outputs point into the net's own buffers, which the next forward() overwrites: copy
    // them before another thread may run the net.
    std::lock_guard<std::mutex> lock(mu);
    net.setInput(blob);
    net.forward(outs, names);
    for (cv::Mat &o : outs) o = o.clone();
  }
  const float *scores[2] = {outs[0].ptr<float>(), outs[1].ptr<float>()};
  const float *boxes[2] = {outs[2].ptr<float>(), outs[3].ptr<float>()};
  const int cells[2] = {16, 8}, anchors[2] = {2, 6};
  for (int layer = 0; layer < 2; layer++) {
    int i = 0;
    for (int gy = 0; gy < cells[layer]; gy++)
      for (int gx = 0; gx < cells[layer]; gx++)
        for (int a = 0; a < anchors[layer]; a++, i++) {
          float s = 1.f / (1.f + std::exp(-scores[layer][i]));
          if (s < min_score) continue;
          const float *b = boxes[layer] + i * 16;
          float ax = (gx + 0.5f) / cells[layer], ay = (gy + 0.5f) / cells[layer];
          det d;
          d.score = s;
          d.cx = to_x(ax + b[0] / size);
          d.cy = to_y(ay + b[1] / size);
          d.w = (float)(b[2] * kx);
          d.h = (float)(b[3] * ky);
          d.rel = b[2] / size;
          for (int k = 0; k < 6; k++) {
            d.kp[k][0] = to_x(ax + b[4 + 2 * k] / size);
            d.kp[k][1] = to_y(ay + b[5 + 2 * k] / size);
          }
          if (d.w > 0 && d.h > 0) out.push_back(d);
        }
  }
}

std::vector<det> weighted_nms(std::vector<det> in) {
  std::sort(in.begin(), in.end(), [](const det &a, const det &b) { return a.score > b.score; });
  std::vector<det> out;
  std::vector<bool> used(in.size(), false);
  for (size_t i = 0; i < in.size(); i++) {
    if (used[i]) continue;
    det acc{};
    float wsum = 0;
    for (size_t j = i; j < in.size(); j++) {
      if (used[j] || iou(in[i], in[j]) < 0.3f) continue;
      used[j] = true;
      float w = in[j].score;
      acc.cx += in[j].cx * w;
      acc.cy += in[j].cy * w;
      acc.w += in[j].w * w;
      acc.h += in[j].h * w;
      for (int k = 0; k < 6; k++) {
        acc.kp[k][0] += in[j].kp[k][0] * w;
        acc.kp[k][1] += in[j].kp[k][1] * w;
      }
      wsum += w;
    }
    acc.cx /= wsum;
    acc.cy /= wsum;
    acc.w /= wsum;
    acc.h /= wsum;
    for (int k = 0; k < 6; k++) {
      acc.kp[k][0] /= wsum;
      acc.kp[k][1] /= wsum;
    }
    acc.score = in[i].score;
    out.push_back(acc);
  }
  return out;
}

}  // namespace

extern "C" int vision_detect_faces(vision *v, const uint8_t *rgb, int w, int h, float min_score, vision_face *out,
                                   int max, char *errbuf, size_t errlen) {
  try {
    cv::Mat img(h, w, CV_8UC3, const_cast<uint8_t *>(rgb));
    std::vector<det> all;
    run_blazeface(v->front, v->front_mu, img, 128, min_score, all);
    // The 256 back model finds the small faces of wide shots. When the front model already sees
    // a face filling a quarter of the frame, any face comparable to it (what MULTIPLE_FACES is
    // about) is large enough for the front model too, and the back model is skipped.
    float largest = 0;
    for (const det &d : all)
      if (d.score >= 0.75f) largest = std::max(largest, d.rel);
    if (largest < 0.25f) run_blazeface(v->back, v->back_mu, img, 256, min_score, all);
    std::vector<det> merged = weighted_nms(all);
    int n = 0;
    for (const det &d : merged) {
      if (n >= max) break;
      vision_face &f = out[n++];
      f.w = d.w;
      f.h = d.h;
      f.x = d.cx - f.w / 2;
      f.y = d.cy - f.h / 2;
      f.score = d.score;
      memcpy(f.kp, d.kp, sizeof f.kp);
    }
    return n;
  } catch (const std::exception &e) {
    say(errbuf, errlen, std::string("face detection: ") + e.what());
    return -1;
  }
}

extern "C" int vision_landmarks(vision *v, const uint8_t *rgb, int w, int h, const float box[4], float out[68][2],
                                char *errbuf, size_t errlen) {
  try {
    cv::Mat img(h, w, CV_8UC3, const_cast<uint8_t *>(rgb));
    // Work on a grey crop around the face: the predictor reads intensities only.
    float m = std::max(box[2], box[3]) * 0.5f;
    cv::Rect roi((int)std::floor(box[0] - m), (int)std::floor(box[1] - m), (int)std::ceil(box[2] + 2 * m),
                 (int)std::ceil(box[3] + 2 * m));
    roi &= cv::Rect(0, 0, w, h);
    if (roi.width < 8 || roi.height < 8) {
      say(errbuf, errlen, "face box outside the image");
      return -1;
    }
    cv::Mat gray;
    cv::cvtColor(img(roi), gray, cv::COLOR_RGB2GRAY);
    dlib::cv_image<unsigned char> dimg(cvIplImage(gray));
    dlib::rectangle r((long)std::lround(box[0] - roi.x), (long)std::lround(box[1] - roi.y),
                      (long)std::lround(box[0] + box[2] - roi.x), (long)std::lround(box[1] + box[3] - roi.y));
    dlib::full_object_detection shape = v->sp(dimg, r);
    if (shape.num_parts() != 68) {
      say(errbuf, errlen, "landmark model returned an unexpected number of points");
      return -1;
    }
    for (int i = 0; i < 68; i++) {
      out[i][0] = (float)shape.part(i).x() + roi.x;
      out[i][1] = (float)shape.part(i).y() + roi.y;
    }
    return 0;
  } catch (const std::exception &e) {
    say(errbuf, errlen, std::string("landmarks: ") + e.what());
    return -1;
  }
}

static int segment_blob(vision *v, const cv::Mat &rgb256, cv::Mat &prob, char *errbuf, size_t errlen) {
  try {
    cv::Mat blob = cv::dnn::blobFromImage(rgb256, 1.0 / 255.0, cv::Size(256, 256), cv::Scalar(), false, false);
    cv::Mat outm;
    {
      // As above: the output lives in the net's buffers until the next forward(); copy it here.
      std::lock_guard<std::mutex> lock(v->seg_mu);
      v->seg.setInput(blob);
      outm = v->seg.forward().clone();
    }
    if (outm.total() != 256 * 256) {
      say(errbuf, errlen, "segmentation output has an unexpected size");
      return -1;
    }
    prob = cv::Mat(256, 256, CV_32F, outm.ptr<float>()).clone();
    return 0;
  } catch (const std::exception &e) {
    say(errbuf, errlen, std::string("segmentation: ") + e.what());
    return -1;
  }
}

extern "C" int vision_segment_raw(vision *v, const uint8_t *rgb256, float *prob, char *errbuf, size_t errlen) {
  cv::Mat img(256, 256, CV_8UC3, const_cast<uint8_t *>(rgb256));
  cv::Mat p;
  if (segment_blob(v, img, p, errbuf, errlen) < 0) return -1;
  memcpy(prob, p.ptr<float>(), 256 * 256 * sizeof(float));
  return 0;
}

extern "C" int vision_segment_region(vision *v, const uint8_t *rgb, int w, int h, int x0, int y0, int cw, int ch,
                                     uint8_t *mask, char *errbuf, size_t errlen) {
  try {
    cv::Mat img(h, w, CV_8UC3, const_cast<uint8_t *>(rgb));
    cv::Rect region(x0, y0, cw, ch), in = region & cv::Rect(0, 0, w, h);
    if (in.width <= 0 || in.height <= 0 || cw <= 0 || ch <= 0) {
      say(errbuf, errlen, "segmentation region outside the image");
      return -1;
    }
    // Model input: the in-image part, area-averaged to its share of 256x256, edges repeated.
    double sx = 256.0 / cw, sy = 256.0 / ch;
    int l = (int)std::lround((in.x - x0) * sx), t = (int)std::lround((in.y - y0) * sy);
    int iw = std::max(1, std::min(256 - l, (int)std::lround(in.width * sx)));
    int ih = std::max(1, std::min(256 - t, (int)std::lround(in.height * sy)));
    cv::Mat part, input;
    cv::resize(img(in), part, cv::Size(iw, ih), 0, 0, cv::INTER_AREA);
    cv::copyMakeBorder(part, input, t, 256 - t - ih, l, 256 - l - iw, cv::BORDER_REPLICATE);
    cv::Mat p;
    if (segment_blob(v, input, p, errbuf, errlen) < 0) return -1;
    cv::Mat p8;
    p.convertTo(p8, CV_8U, 255.0);
    // Back onto the image: pixel (x, y) of the in-image part sits at model coordinates
    // ((x + in.x - x0 + 0.5) * sx - 0.5, ...), a pure scale and shift.
    cv::Mat M = (cv::Mat_<double>(2, 3) << sx, 0, (in.x - x0 + 0.5) * sx - 0.5, 0, sy, (in.y - y0 + 0.5) * sy - 0.5);
    cv::Mat out = cv::Mat(h, w, CV_8U, mask)(in);
    cv::warpAffine(p8, out, M, in.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
    return 0;
  } catch (const std::exception &e) {
    say(errbuf, errlen, std::string("segmentation: ") + e.what());
    return -1;
  }
}

extern "C" int vision_resize_rgb(const uint8_t *src, int w, int h, uint8_t *dst, int dw, int dh) {
  try {
    cv::Mat in(h, w, CV_8UC3, const_cast<uint8_t *>(src)), out(dh, dw, CV_8UC3, dst);
    cv::resize(in, out, out.size(), 0, 0, cv::INTER_AREA);
    return 0;
  } catch (const std::exception &) {
    return -1;
  }
}

extern "C" int vision_warp(const uint8_t *src, int w, int h, const uint8_t *mask_src, const double m[6], uint8_t *out,
                           uint8_t *mask_out, int ow, int oh, const uint8_t fill[3]) {
  try {
    cv::Mat img(h, w, CV_8UC3, const_cast<uint8_t *>(src));
    // Scale of the map (source pixels per output pixel).
    double scale = std::sqrt(std::fabs(m[0] * m[4] - m[1] * m[3]));
    // The source region the output reads from.
    double xs[4], ys[4];
    const double cx[4] = {0, (double)ow, 0, (double)ow}, cy[4] = {0, 0, (double)oh, (double)oh};
    for (int i = 0; i < 4; i++) {
      xs[i] = m[0] * cx[i] + m[1] * cy[i] + m[2];
      ys[i] = m[3] * cx[i] + m[4] * cy[i] + m[5];
    }
    int x0 = (int)std::floor(*std::min_element(xs, xs + 4)) - 2, x1 = (int)std::ceil(*std::max_element(xs, xs + 4)) + 2;
    int y0 = (int)std::floor(*std::min_element(ys, ys + 4)) - 2, y1 = (int)std::ceil(*std::max_element(ys, ys + 4)) + 2;
    cv::Rect roi = cv::Rect(x0, y0, x1 - x0, y1 - y0) & cv::Rect(0, 0, w, h);
    cv::Mat o(oh, ow, CV_8UC3, out);
    cv::Mat mo;
    if (mask_out) mo = cv::Mat(oh, ow, CV_8U, mask_out);
    if (roi.width <= 0 || roi.height <= 0) {
      o.setTo(cv::Scalar(fill[0], fill[1], fill[2]));
      if (mask_out) mo.setTo(0);
      return 0;
    }
    cv::Mat part = img(roi), mpart;
    if (mask_src) mpart = cv::Mat(h, w, CV_8U, const_cast<uint8_t *>(mask_src))(roi);
    double pre = 1.0;
    if (scale > 1.5) {
      // Shrinking: area-average first so that the bilinear warp does not alias.
      pre = 1.0 / scale;
      cv::Size sz(std::max(1, (int)std::lround(roi.width * pre)), std::max(1, (int)std::lround(roi.height * pre)));
      cv::Mat t;
      cv::resize(part, t, sz, 0, 0, cv::INTER_AREA);
      part = t;
      if (mask_src) {
        cv::Mat tm;
        cv::resize(mpart, tm, sz, 0, 0, cv::INTER_AREA);
        mpart = tm;
      }
    }
    // out -> part coordinates: p = pre * (M(out) - roi.origin)
    cv::Mat M = (cv::Mat_<double>(2, 3) << m[0] * pre, m[1] * pre, (m[2] - roi.x) * pre, m[3] * pre, m[4] * pre,
                 (m[5] - roi.y) * pre);
    cv::warpAffine(part, o, M, o.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT,
                   cv::Scalar(fill[0], fill[1], fill[2]));
    if (mask_out) {
      if (mask_src)
        cv::warpAffine(mpart, mo, M, mo.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT,
                       cv::Scalar(0));
      else
        mo.setTo(0);
    }
    return 0;
  } catch (const std::exception &) {
    return -1;
  }
}

namespace {
// Scratch images of the guided filter, kept between calls. Not thread_local: a pool that lives
// as long as the process keeps them reachable (LeakSanitizer) and bounds them by the number of
// concurrent callers.
struct gf_work {
  cv::Mat I, p, ch[3], mI[3], mp, cIp[3], var[3][3], tmp, near, a[3], b, ma[3], mb, changed, full_a[3], full_b,
      full_changed;
};
std::mutex gf_mu;
// Never destroyed, so that the pool stays reachable after static destructors have run.
std::vector<gf_work *> &gf_pool = *new std::vector<gf_work *>();
struct gf_lease {
  gf_work *w;
  gf_lease() {
    std::lock_guard<std::mutex> lock(gf_mu);
    if (gf_pool.empty()) {
      w = new gf_work();
    } else {
      w = gf_pool.back();
      gf_pool.pop_back();
    }
  }
  ~gf_lease() {
    std::lock_guard<std::mutex> lock(gf_mu);
    gf_pool.push_back(w);
  }
};
}  // namespace

extern "C" int vision_guided_filter(const uint8_t *rgb, int w, int h, uint8_t *alpha, int r, double eps) {
  // He et al., "Guided Image Filtering" (colour guide): per window a linear model
  // alpha = a^T I + b with a = (Sigma + eps U)^-1 cov(I, p). The coefficients are smooth, so they
  // are computed at half resolution and interpolated back ("Fast Guided Filter", He & Sun 2015);
  // the final alpha = a^T I + b uses the full-resolution guide. A window where alpha is constant
  // has a = 0 and b = that constant, so the 3x3 solve runs only where it is not, and the mask
  // changes only near such windows.
  try {
    cv::Mat img(h, w, CV_8UC3, const_cast<uint8_t *>(rgb)), am(h, w, CV_8U, alpha);
    const int f = (w * h > 100000) ? 2 : 1;
    cv::Size small(std::max(1, w / f), std::max(1, h / f));
    int rs = std::max(1, r / f);
    cv::Mat I8, p8;
    if (f > 1) {
      cv::resize(img, I8, small, 0, 0, cv::INTER_AREA);
      cv::resize(am, p8, small, 0, 0, cv::INTER_AREA);
    } else {
      I8 = img;
      p8 = am;
    }
    // Scratch images are reused from photo to photo (a small pool, one per concurrent caller):
    // OpenCV's create() keeps a buffer of the right size, and fresh 1 MB buffers for each
    // temporary cost more in page faults than the arithmetic does.
    gf_lease lease;
    gf_work &wk = *lease.w;
    cv::Mat &I = wk.I, &p = wk.p, *ch = wk.ch, *mI = wk.mI, &mp = wk.mp, *cIp = wk.cIp, &tmp = wk.tmp, &near = wk.near;
    cv::Mat(&var)[3][3] = wk.var;
    I8.convertTo(I, CV_32FC3, 1.0 / 255.0);
    p8.convertTo(p, CV_32F, 1.0 / 255.0);
    cv::split(I, ch);
    cv::Size k(2 * rs + 1, 2 * rs + 1);
    auto mean_into = [&](const cv::Mat &x, cv::Mat &y) {
      cv::boxFilter(x, y, CV_32F, k, cv::Point(-1, -1), true, cv::BORDER_REFLECT);
    };
    mean_into(p, mp);
    cv::compare(mp, 1e-6, near, cv::CMP_GT);
    cv::compare(mp, 1 - 1e-6, tmp, cv::CMP_LT);
    cv::bitwise_and(near, tmp, near);
    if (cv::countNonZero(near) == 0) return 0;
    for (int i = 0; i < 3; i++) {
      mean_into(ch[i], mI[i]);
      cv::multiply(ch[i], p, tmp);
      mean_into(tmp, cIp[i]);
      cv::multiply(mI[i], mp, tmp);
      cv::subtract(cIp[i], tmp, cIp[i]);
    }
    for (int i = 0; i < 3; i++)
      for (int j = i; j < 3; j++) {
        cv::multiply(ch[i], ch[j], tmp);
        mean_into(tmp, var[i][j]);
        cv::multiply(mI[i], mI[j], tmp);
        cv::subtract(var[i][j], tmp, var[i][j]);
        if (i == j) cv::add(var[i][j], eps, var[i][j]);
      }
    cv::Mat *a = wk.a, &b = wk.b, *ma = wk.ma, &mb = wk.mb, &changed = wk.changed;
    for (int i = 0; i < 3; i++) {
      a[i].create(small, CV_32F);
      a[i].setTo(0);
    }
    for (int y = 0; y < small.height; y++) {
      const uint8_t *nr = near.ptr<uint8_t>(y);
      const float *v00 = var[0][0].ptr<float>(y), *v01 = var[0][1].ptr<float>(y), *v02 = var[0][2].ptr<float>(y);
      const float *v11 = var[1][1].ptr<float>(y), *v12 = var[1][2].ptr<float>(y), *v22 = var[2][2].ptr<float>(y);
      const float *c0 = cIp[0].ptr<float>(y), *c1 = cIp[1].ptr<float>(y), *c2 = cIp[2].ptr<float>(y);
      float *a0 = a[0].ptr<float>(y), *a1 = a[1].ptr<float>(y), *a2 = a[2].ptr<float>(y);
      for (int x = 0; x < small.width; x++) {
        if (!nr[x]) continue;
        // Symmetric 3x3 solve by cofactors (positive definite: eps on the diagonal).
        double s00 = v00[x], s01 = v01[x], s02 = v02[x], s11 = v11[x], s12 = v12[x], s22 = v22[x];
        double i00 = s11 * s22 - s12 * s12, i01 = s02 * s12 - s01 * s22, i02 = s01 * s12 - s02 * s11;
        double i11 = s00 * s22 - s02 * s02, i12 = s01 * s02 - s00 * s12, i22 = s00 * s11 - s01 * s01;
        double det = s00 * i00 + s01 * i01 + s02 * i02;
        if (std::fabs(det) < 1e-18) continue;
        double q0 = c0[x], q1 = c1[x], q2 = c2[x];
        a0[x] = (float)((i00 * q0 + i01 * q1 + i02 * q2) / det);
        a1[x] = (float)((i01 * q0 + i11 * q1 + i12 * q2) / det);
        a2[x] = (float)((i02 * q0 + i12 * q1 + i22 * q2) / det);
      }
    }
    mp.copyTo(b);
    for (int i = 0; i < 3; i++) {
      cv::multiply(a[i], mI[i], tmp);
      cv::subtract(b, tmp, b);
      mean_into(a[i], ma[i]);
    }
    mean_into(b, mb);
    cv::dilate(near, changed, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(2 * rs + 3, 2 * rs + 3)));
    cv::Mat *full_a = wk.full_a, &full_b = wk.full_b, &full_changed = wk.full_changed;
    cv::Mat fa[3] = {ma[0], ma[1], ma[2]}, fb = mb, fc = changed;
    if (f > 1) {
      for (int i = 0; i < 3; i++) {
        cv::resize(ma[i], full_a[i], cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
        fa[i] = full_a[i];
      }
      cv::resize(mb, full_b, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
      cv::resize(changed, full_changed, cv::Size(w, h), 0, 0, cv::INTER_NEAREST);
      fb = full_b;
      fc = full_changed;
    }
    // q = mean(a)^T I + mean(b) with the full-resolution guide, only where it can differ.
    for (int y = 0; y < h; y++) {
      const uint8_t *g = img.ptr<uint8_t>(y), *cm = fc.ptr<uint8_t>(y);
      const float *a0 = fa[0].ptr<float>(y), *a1 = fa[1].ptr<float>(y), *a2 = fa[2].ptr<float>(y), *bb = fb.ptr<float>(y);
      uint8_t *o = am.ptr<uint8_t>(y);
      for (int x = 0; x < w; x++) {
        if (!cm[x]) continue;
        double q = a0[x] * (g[3 * x] / 255.0) + a1[x] * (g[3 * x + 1] / 255.0) + a2[x] * (g[3 * x + 2] / 255.0) + bb[x];
        o[x] = (uint8_t)std::lround(std::min(1.0, std::max(0.0, q)) * 255.0);
      }
    }
    return 0;
  } catch (const std::exception &) {
    return -1;
  }
}

extern "C" int vision_weighted_mean(const uint8_t *rgb, const uint8_t *weight, int w, int h, int r, float *out) {
  // The local wall colour is smooth, so it is computed at a quarter of the resolution (16 times
  // fewer pixels) and interpolated back.
  try {
    cv::Mat img(h, w, CV_8UC3, const_cast<uint8_t *>(rgb)), wm(h, w, CV_8U, const_cast<uint8_t *>(weight));
    const int f = 4;
    cv::Size small(std::max(1, w / f), std::max(1, h / f));
    cv::Mat I, W;
    cv::resize(img, I, small, 0, 0, cv::INTER_AREA);
    cv::resize(wm, W, small, 0, 0, cv::INTER_AREA);
    I.convertTo(I, CV_32FC3);
    W.convertTo(W, CV_32F, 1.0 / 255.0);
    cv::Mat W3;
    cv::merge(std::vector<cv::Mat>{W, W, W}, W3);
    int rs = std::max(1, r / f);
    cv::Size k(2 * rs + 1, 2 * rs + 1);
    cv::Mat num, den, plain;
    cv::boxFilter(I.mul(W3), num, CV_32F, k, cv::Point(-1, -1), true, cv::BORDER_REFLECT);
    cv::boxFilter(W3, den, CV_32F, k, cv::Point(-1, -1), true, cv::BORDER_REFLECT);
    cv::boxFilter(I, plain, CV_32F, k, cv::Point(-1, -1), true, cv::BORDER_REFLECT);
    cv::Mat mean(small, CV_32FC3);
    for (int y = 0; y < small.height; y++) {
      const cv::Vec3f *d = den.ptr<cv::Vec3f>(y), *n = num.ptr<cv::Vec3f>(y), *pl = plain.ptr<cv::Vec3f>(y);
      cv::Vec3f *o = mean.ptr<cv::Vec3f>(y);
      for (int x = 0; x < small.width; x++)
        for (int c = 0; c < 3; c++) o[x][c] = d[x][c] > 1e-3f ? n[x][c] / d[x][c] : pl[x][c];
    }
    cv::Mat o(h, w, CV_32FC3, out);
    cv::resize(mean, o, o.size(), 0, 0, cv::INTER_LINEAR);
    return 0;
  } catch (const std::exception &) {
    return -1;
  }
}

extern "C" int vision_mask_components(const uint8_t *mask, int w, int h, int sx, int sy, long *seed_area,
                                      long *total_area) {
  try {
    cv::Mat m(h, w, CV_8U, const_cast<uint8_t *>(mask)), bin, labels, stats, cent;
    cv::threshold(m, bin, 127, 255, cv::THRESH_BINARY);
    int n = cv::connectedComponentsWithStats(bin, labels, stats, cent, 8, CV_32S);
    long total = 0;
    for (int i = 1; i < n; i++) total += stats.at<int>(i, cv::CC_STAT_AREA);
    *total_area = total;
    *seed_area = 0;
    if (sx >= 0 && sy >= 0 && sx < w && sy < h) {
      int l = labels.at<int>(sy, sx);
      if (l > 0) *seed_area = stats.at<int>(l, cv::CC_STAT_AREA);
    }
    return 0;
  } catch (const std::exception &) {
    return -1;
  }
}

extern "C" int vision_haar_eyes(const uint8_t *rgb, int w, int h, const char *cascade_dir, float face[4], float *eye_y) {
  try {
    std::string dir(cascade_dir);
    cv::CascadeClassifier fc(dir + "/haarcascade_frontalface_default.xml"), ec(dir + "/haarcascade_eye.xml");
    if (fc.empty() || ec.empty()) return -1;
    cv::Mat img(h, w, CV_8UC3, const_cast<uint8_t *>(rgb)), gray;
    cv::cvtColor(img, gray, cv::COLOR_RGB2GRAY);
    cv::equalizeHist(gray, gray);
    std::vector<cv::Rect> faces;
    fc.detectMultiScale(gray, faces, 1.1, 5, 0, cv::Size(w / 5, w / 5));
    if (faces.empty()) return 0;
    cv::Rect f = *std::max_element(faces.begin(), faces.end(),
                                   [](const cv::Rect &a, const cv::Rect &b) { return a.area() < b.area(); });
    face[0] = f.x;
    face[1] = f.y;
    face[2] = f.width;
    face[3] = f.height;
    cv::Rect upper(f.x, f.y, f.width, f.height * 6 / 10);
    std::vector<cv::Rect> eyes;
    ec.detectMultiScale(gray(upper), eyes, 1.05, 4, 0, cv::Size(f.width / 10, f.width / 10),
                        cv::Size(f.width / 2, f.width / 2));
    std::sort(eyes.begin(), eyes.end(), [](const cv::Rect &a, const cv::Rect &b) { return a.area() > b.area(); });
    int n = std::min<int>(2, (int)eyes.size());
    double sum = 0;
    for (int i = 0; i < n; i++) sum += upper.y + eyes[i].y + eyes[i].height / 2.0;
    if (n) *eye_y = (float)(sum / n);
    return n;
  } catch (const std::exception &) {
    return -1;
  }
}

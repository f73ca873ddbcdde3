// vision.cpp: OpenCV DNN + dlib behind vision.h. See the header for the contract.
//
// BlazeFace decoding follows keijiro's MediaPipe.BlazeFace post-processing (Shaders/Postprocess*.
// compute): 896 anchors, the first 512 on a 16x16 grid (2 per cell), the other 384 on an 8x8 grid
// (6 per cell); box offsets are in input pixels relative to the anchor centre; overlapping boxes
// (IoU >= 0.3) are merged as a score-weighted mean.
#include "vision/vision.h"

#include "vision/landmarks.h"

#include <dlib/image_processing.h>
#include <dlib/opencv.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <string>
#include <vector>

// The matting model's input sizes (width x height), one converted file each (rvm_WxH.onnx).
static const int rvm_sizes[][2] = {{384, 512}, {512, 640}};
enum { RVM_SIZES = sizeof rvm_sizes / sizeof rvm_sizes[0] };

struct vision {
  cv::dnn::Net front, back, seg, rvm[RVM_SIZES];
  std::mutex front_mu, back_mu, seg_mu, rvm_mu[RVM_SIZES];
  // The smaller matting inputs serve only small faces (a crop under 512 rows of the 1600-px working
  // image: no dev photo, at its own size or at 12 MP, uses them), so they are read on first use,
  // under their mutex; the largest is read at open. Each is ~14 MB of weights: loaded at open,
  // the unused 384x512 net was 14 MB of the 12 MP peak.
  std::string rvm_path[RVM_SIZES];
  bool rvm_loaded[RVM_SIZES] = {};
  lm_model *landmarks = nullptr;
  ~vision() { lm_model_free(landmarks); }
};

static void say(char *errbuf, size_t errlen, const std::string &msg) {
  if (errbuf && errlen) snprintf(errbuf, errlen, "%s", msg.c_str());
}

extern "C" vision *vision_open(const char *models_dir, const char *landmarks_path, char *errbuf, size_t errlen) {
  vision *v = nullptr;
  try {
    v = new vision();
    // The landmark model first: it is the one a setup may have left out or damaged, and it is
    // checked in milliseconds.
    char why[512] = "";
    v->landmarks = lm_model_load(landmarks_path, why, sizeof why);
    if (!v->landmarks || lm_model_parts(v->landmarks) != 68) {
      say(errbuf, errlen, v->landmarks ? std::string("landmark model ") + landmarks_path + ": not 68 landmarks" : why);
      delete v;
      return nullptr;
    }
    std::string dir(models_dir);
    v->front = cv::dnn::readNetFromONNX(dir + "/blazeface_front_128.onnx");
    v->back = cv::dnn::readNetFromONNX(dir + "/blazeface_back_256.onnx");
    v->seg = cv::dnn::readNetFromONNX(dir + "/selfie_segmentation.onnx");
    for (int k = 0; k < RVM_SIZES; k++) {
      v->rvm_path[k] =
          dir + "/rvm_" + std::to_string(rvm_sizes[k][0]) + "x" + std::to_string(rvm_sizes[k][1]) + ".onnx";
      if (k == RVM_SIZES - 1) {
        v->rvm[k] = cv::dnn::readNetFromONNX(v->rvm_path[k]);
        v->rvm_loaded[k] = true;
      } else if (FILE *f = fopen(v->rvm_path[k].c_str(), "rb")) {
        fclose(f); // a missing model is still an error at open, not at the first small face
      } else {
        say(errbuf, errlen, "loading models: cannot read " + v->rvm_path[k]);
        delete v;
        return nullptr;
      }
    }
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
  float rel; // width as a fraction of the letterbox square
  float kp[6][2];
};

float iou(const det &a, const det &b) {
  float x0 = std::max(a.cx - a.w / 2, b.cx - b.w / 2), y0 = std::max(a.cy - a.h / 2, b.cy - b.h / 2);
  float x1 = std::min(a.cx + a.w / 2, b.cx + b.w / 2), y1 = std::min(a.cy + a.h / 2, b.cy + b.h / 2);
  float inner = std::max(0.f, x1 - x0) * std::max(0.f, y1 - y0);
  return inner / (a.w * a.h + b.w * b.h - inner + 1e-9f);
}

// The photo letterboxed into a square (image centred, black bars), and the way back from the
// square's normalised coordinates (0..1) to image pixels.
struct letterbox {
  cv::Mat square;
  double side_px, offx, offy, k; // image x = (u * side_px - offx) * k
};

letterbox make_letterbox(const cv::Mat &img, int size) {
  letterbox lb;
  int side = std::max(img.cols, img.rows);
  int sw = std::max(1, (int)std::lround((double)img.cols * size / side));
  int sh = std::max(1, (int)std::lround((double)img.rows * size / side));
  lb.square = cv::Mat(size, size, CV_8UC3, cv::Scalar(0, 0, 0));
  int offx = (size - sw) / 2, offy = (size - sh) / 2;
  cv::resize(img, lb.square(cv::Rect(offx, offy, sw, sh)), cv::Size(sw, sh), 0, 0, cv::INTER_AREA);
  lb.side_px = size;
  lb.offx = offx;
  lb.offy = offy;
  lb.k = (double)img.cols / sw;
  return lb;
}

// Runs one BlazeFace net (input size x size) on the letterbox, shrunk by an exact factor when
// the letterbox is larger (the 128 model reads the 256 letterbox halved: one area resize of the
// whole photo serves both models), and appends detections in image pixels.
void run_blazeface(cv::dnn::Net &net, std::mutex &mu, const letterbox &lb, int size, float min_score,
                   std::vector<det> &out) {
  cv::Mat small = lb.square;
  if (small.cols != size) cv::resize(lb.square, small, cv::Size(size, size), 0, 0, cv::INTER_AREA);
  auto to_x = [&](double u) { return (float)((u * lb.side_px - lb.offx) * lb.k); };
  auto to_y = [&](double v) { return (float)((v * lb.side_px - lb.offy) * lb.k); };
  const double kx = lb.side_px / size * lb.k, ky = kx; // model input px -> image px
  cv::Mat f;
  small.convertTo(f, CV_32F, 2.0 / 255.0, -1.0); // [-1, 1], NHWC as the model takes it
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

} // namespace

extern "C" int vision_detect_faces(vision *v, const uint8_t *rgb, int w, int h, float min_score, vision_face *out,
                                   int max, char *errbuf, size_t errlen) {
  try {
    cv::Mat img(h, w, CV_8UC3, const_cast<uint8_t *>(rgb));
    std::vector<det> all;
    letterbox lb = make_letterbox(img, 256);
    run_blazeface(v->front, v->front_mu, lb, 128, min_score, all);
    // The 256 back model finds the small faces of wide shots. When the front model already sees
    // a face filling a quarter of the frame, any face comparable to it (what MULTIPLE_FACES is
    // about) is large enough for the front model too, and the back model is skipped.
    float largest = 0;
    for (const det &d : all)
      if (d.score >= 0.75f) largest = std::max(largest, d.rel);
    if (largest < 0.25f) run_blazeface(v->back, v->back_mu, lb, 256, min_score, all);
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

namespace {

// The grey crop around a face box that both predictors read (they use intensities only), and the
// box as dlib's rectangle in crop pixels. Returns false when the box is outside the image.
bool face_crop(const uint8_t *rgb, int w, int h, const float box[4], cv::Mat &gray, cv::Rect &roi, long rect[4]) {
  cv::Mat img(h, w, CV_8UC3, const_cast<uint8_t *>(rgb));
  float m = std::max(box[2], box[3]) * 0.5f;
  roi = cv::Rect((int)std::floor(box[0] - m), (int)std::floor(box[1] - m), (int)std::ceil(box[2] + 2 * m),
                 (int)std::ceil(box[3] + 2 * m));
  roi &= cv::Rect(0, 0, w, h);
  if (roi.width < 8 || roi.height < 8) return false;
  cv::cvtColor(img(roi), gray, cv::COLOR_RGB2GRAY);
  rect[0] = std::lround(box[0] - roi.x);
  rect[1] = std::lround(box[1] - roi.y);
  rect[2] = std::lround(box[0] + box[2] - roi.x);
  rect[3] = std::lround(box[1] + box[3] - roi.y);
  return true;
}

} // namespace

extern "C" int vision_landmarks(vision *v, const uint8_t *rgb, int w, int h, const float box[4], float out[68][2],
                                char *errbuf, size_t errlen) {
  try {
    cv::Mat gray;
    cv::Rect roi;
    long rect[4];
    if (!face_crop(rgb, w, h, box, gray, roi, rect)) {
      say(errbuf, errlen, "face box outside the image");
      return -1;
    }
    lm_predict(v->landmarks, gray.ptr<uint8_t>(), gray.cols, gray.rows, gray.step, rect, &out[0][0]);
    for (int i = 0; i < 68; i++) {
      out[i][0] += roi.x;
      out[i][1] += roi.y;
    }
    return 0;
  } catch (const std::exception &e) {
    say(errbuf, errlen, std::string("landmarks: ") + e.what());
    return -1;
  }
}

struct vision_dlib_landmarks {
  dlib::shape_predictor sp;
};

extern "C" vision_dlib_landmarks *vision_dlib_landmarks_open(const char *dat_path, char *errbuf, size_t errlen) {
  try {
    std::unique_ptr<vision_dlib_landmarks> d(new vision_dlib_landmarks());
    dlib::deserialize(dat_path) >> d->sp;
    return d.release();
  } catch (const std::exception &e) {
    say(errbuf, errlen, std::string("loading dlib's landmark model: ") + e.what());
    return nullptr;
  }
}

extern "C" int vision_dlib_landmarks_run(vision_dlib_landmarks *d, const uint8_t *rgb, int w, int h, const float box[4],
                                         float out[68][2], char *errbuf, size_t errlen) {
  try {
    cv::Mat gray;
    cv::Rect roi;
    long rect[4];
    if (!face_crop(rgb, w, h, box, gray, roi, rect)) {
      say(errbuf, errlen, "face box outside the image");
      return -1;
    }
    dlib::cv_image<unsigned char> dimg(cvIplImage(gray));
    dlib::full_object_detection shape = d->sp(dimg, dlib::rectangle(rect[0], rect[1], rect[2], rect[3]));
    if (shape.num_parts() != 68) {
      say(errbuf, errlen, "dlib's model returned an unexpected number of points");
      return -1;
    }
    for (int i = 0; i < 68; i++) {
      out[i][0] = (float)shape.part(i).x() + roi.x;
      out[i][1] = (float)shape.part(i).y() + roi.y;
    }
    return 0;
  } catch (const std::exception &e) {
    say(errbuf, errlen, std::string("dlib landmarks: ") + e.what());
    return -1;
  }
}

extern "C" void vision_dlib_landmarks_close(vision_dlib_landmarks *d) { delete d; }

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
                                     int mirrored, uint8_t *mask, char *errbuf, size_t errlen) {
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
    if (mirrored) cv::flip(input, input, 1);
    if (segment_blob(v, input, p, errbuf, errlen) < 0) return -1;
    if (mirrored) cv::flip(p, p, 1);
    cv::Mat p8;
    p.convertTo(p8, CV_8U, 255.0);
    // Back onto the image: the 256x256 output covers the whole region, so a resize to the
    // region's size (pixel centres map as (x + 0.5) * 256 / cw - 0.5, the model's own sampling)
    // followed by taking the in-image part puts every probability where it belongs. (Measured: a
    // warp straight into the in-image part, as the matting model's output takes, saves ~2 MB at the
    // 12 MP peak, but its rounding differs and left a 4 px speck on deepface_img2.)
    cv::Mat out = cv::Mat(h, w, CV_8U, mask)(in);
    if (in == region) {
      cv::resize(p8, out, in.size(), 0, 0, cv::INTER_LINEAR);
    } else {
      cv::Mat whole;
      cv::resize(p8, whole, region.size(), 0, 0, cv::INTER_LINEAR);
      whole(cv::Rect(in.x - x0, in.y - y0, in.width, in.height)).copyTo(out);
    }
    return 0;
  } catch (const std::exception &e) {
    say(errbuf, errlen, std::string("segmentation: ") + e.what());
    return -1;
  }
}

extern "C" int vision_matte_region(vision *v, const uint8_t *rgb, int w, int h, int x0, int y0, int cw, int ch,
                                   int in_w, int in_h, uint8_t *alpha, uint8_t *fgr, char *errbuf, size_t errlen) {
  try {
    cv::Mat img(h, w, CV_8UC3, const_cast<uint8_t *>(rgb));
    cv::Rect region(x0, y0, cw, ch), in = region & cv::Rect(0, 0, w, h);
    if (in.width <= 0 || in.height <= 0 || cw <= 0 || ch <= 0) {
      say(errbuf, errlen, "matting region outside the image");
      return -1;
    }
    int k = 0;
    while (k < RVM_SIZES && (rvm_sizes[k][0] != in_w || rvm_sizes[k][1] != in_h)) k++;
    if (k == RVM_SIZES) {
      say(errbuf, errlen, "no matting model for input " + std::to_string(in_w) + "x" + std::to_string(in_h));
      return -1;
    }
    // Model input: the in-image part, area-averaged to its share of in_w x in_h, edges repeated
    // where the region leaves the image (as for the segmenter: a repeated wall reads as wall).
    double sx = (double)in_w / cw, sy = (double)in_h / ch;
    int l = (int)std::lround((in.x - x0) * sx), t = (int)std::lround((in.y - y0) * sy);
    int iw = std::max(1, std::min(in_w - l, (int)std::lround(in.width * sx)));
    int ih = std::max(1, std::min(in_h - t, (int)std::lround(in.height * sy)));
    cv::Mat part, input;
    cv::resize(img(in), part, cv::Size(iw, ih), 0, 0, sx < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    cv::copyMakeBorder(part, input, t, in_h - t - ih, l, in_w - l - iw, cv::BORDER_REPLICATE);
    cv::Mat blob = cv::dnn::blobFromImage(input, 1.0 / 255.0, cv::Size(), cv::Scalar(), false, false);
    cv::Mat a8, f8;
    {
      // The outputs live in the net's buffers until the next forward(): convert them under the lock,
      // straight to 8 bits (float copies of them were 5 MB more at the 12 MP peak).
      std::lock_guard<std::mutex> lock(v->rvm_mu[k]);
      if (!v->rvm_loaded[k]) {
        v->rvm[k] = cv::dnn::readNetFromONNX(v->rvm_path[k]);
        v->rvm_loaded[k] = true;
      }
      v->rvm[k].setInput(blob, "src");
      blob.release(); // setInput copied it into the net: one input-sized float buffer less during forward()
      std::vector<cv::Mat> outs;
      v->rvm[k].forward(outs, std::vector<cv::String>{"pha", "fgr"});
      if (outs.size() != 2 || outs[0].total() != (size_t)in_w * in_h || outs[1].total() != (size_t)in_w * in_h * 3) {
        say(errbuf, errlen, "matting output has an unexpected size");
        return -1;
      }
      cv::Mat(in_h, in_w, CV_32F, outs[0].ptr<float>()).convertTo(a8, CV_8U, 255.0);
      // fgr is planar (NCHW): each plane to 8 bits, then merged into packed RGB.
      std::vector<cv::Mat> planes(3);
      for (int c = 0; c < 3; c++)
        cv::Mat(in_h, in_w, CV_32F, outs[1].ptr<float>() + (size_t)c * in_w * in_h).convertTo(planes[c], CV_8U, 255.0);
      cv::merge(planes, f8);
    }
    // Back onto the image: scaled to the region and written straight into its in-image part. A
    // region-sized intermediate (resize, then copy the in-image part) cost 50 MB at the peak for a
    // 12 MP photo. The inverse map is cv::resize's own half-pixel sampling, src = (dst + 0.5) * s - 0.5,
    // shifted by where the in-image part starts in the region; edges repeat as resize's do.
    cv::Mat aout = cv::Mat(h, w, CV_8U, alpha)(in), fout = cv::Mat(h, w, CV_8UC3, fgr)(in);
    double ax = (double)in_w / cw, ay = (double)in_h / ch;
    cv::Matx23d to_model(ax, 0, (in.x - x0 + 0.5) * ax - 0.5, 0, ay, (in.y - y0 + 0.5) * ay - 0.5);
    cv::warpAffine(a8, aout, to_model, aout.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
    cv::warpAffine(f8, fout, to_model, fout.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
    return 0;
  } catch (const std::exception &e) {
    say(errbuf, errlen, std::string("matting: ") + e.what());
    return -1;
  }
}

extern "C" int vision_haar_eyes(const uint8_t *rgb, int w, int h, const char *cascade_dir, float face[4],
                                float *eye_y) {
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

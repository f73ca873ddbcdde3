// matting.cpp: the image operations of the cut-out (crop warp, guided filter, weighted mean,
// connected components, area resize), OpenCV behind vision.h. None of them needs a loaded model,
// so they live apart from the networks in vision.cpp.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "vision/vision.h"

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
    // Shrinking anti-aliases the photo in two cheap steps instead of one fractional area resize
    // (OpenCV's slow path, ~5 ms at 12 MP): an exact integer area shrink by floor(scale) (its
    // fast path), then for the remaining factor r in [1, 2) a Gaussian of sigma (r - 1) / 2 before
    // the bilinear warp. The mask needs neither: it is the segmenter's 256-px output, already smooth.
    cv::Mat part = img(roi);
    double pre = 1.0;
    int k = scale >= 2 ? (int)std::floor(scale) : 1;
    if (k > 1) {
      // The fast path needs sizes divisible by k: grow the region (or shrink it at the image's edge).
      cv::Rect r2(roi.x, roi.y, (roi.width + k - 1) / k * k, (roi.height + k - 1) / k * k);
      if (r2.x + r2.width > w) r2.width -= k;
      if (r2.y + r2.height > h) r2.height -= k;
      if (r2.width >= k && r2.height >= k) {
        roi = r2;
        cv::Mat t;
        cv::resize(img(roi), t, cv::Size(roi.width / k, roi.height / k), 0, 0, cv::INTER_AREA);
        part = t;
        pre = 1.0 / k;
      }
    }
    double rest = scale * pre;
    if (rest > 1.05) {
      cv::Mat t;
      cv::GaussianBlur(part, t, cv::Size(0, 0), (rest - 1) / 2);
      part = t;
    }
    // out -> part coordinates: p = pre * (M(out) - roi.origin) + (pre - 1) / 2, the last term
    // because a k-times area shrink puts pixel i's centre at source k * i + (k - 1) / 2.
    double sh = (pre - 1) / 2;
    cv::Mat M = (cv::Mat_<double>(2, 3) << m[0] * pre, m[1] * pre, (m[2] - roi.x) * pre + sh, m[3] * pre, m[4] * pre,
                 (m[5] - roi.y) * pre + sh);
    cv::warpAffine(part, o, M, o.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT,
                   cv::Scalar(fill[0], fill[1], fill[2]));
    if (mask_out) {
      if (mask_src) {
        cv::Mat msrc(h, w, CV_8U, const_cast<uint8_t *>(mask_src));
        cv::Mat Mm = (cv::Mat_<double>(2, 3) << m[0], m[1], m[2], m[3], m[4], m[5]);
        cv::warpAffine(msrc, mo, Mm, mo.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT,
                       cv::Scalar(0));
      } else {
        mo.setTo(0);
      }
    }
    return 0;
  } catch (const std::exception &) {
    return -1;
  }
}

namespace {
// Scratch images of the guided filter, one set per call. They were once pooled between calls to
// save page faults, but the pool held ~14 MB (whole-image scratch) through the next photo's
// matting, the 12 MP peak; the filter now runs on the body's box only, and its scratch goes back
// when it returns (measured with bench/photo.sh, 36 photos of 12 MP: the peak fell with it).
struct gf_work {
  cv::Mat I, p, ch[3], mI[3], mp, cIp[3], var[3][3], tmp, near, a[3], b, ma[3], mb, changed, full_a[3], full_b,
      full_changed;
  cv::Size small; // the half (or full) resolution the coefficients are computed at
  int rs;         // the window's radius there
};

// Only `box` is wanted: the filter runs on it grown by its reach (a pixel depends on the windows,
// radius r, of the windows around it, plus the resampling and the dilation below; 3r + 4f covers
// them), aligned to the half-resolution grid so that every sample is the one the whole-image
// filter takes. Inside `box` the result is the whole image's, and the scratch, time and memory
// shrink with the box. False when nothing is left.
bool gf_crop_to_box(const int box[4], int r, int f, cv::Mat &img, cv::Mat &am, int &w, int &h) {
  int m = 3 * r + 4 * f;
  int bx0 = std::max(0, box[0] - m) / f * f, by0 = std::max(0, box[1] - m) / f * f;
  int bx1 = std::min(w, box[0] + box[2] + m), by1 = std::min(h, box[1] + box[3] + m);
  if (bx1 < w) bx1 = std::min(w, (bx1 + f - 1) / f * f);
  if (by1 < h) by1 = std::min(h, (by1 + f - 1) / f * f);
  if (bx1 <= bx0 || by1 <= by0) return false;
  cv::Rect roi(bx0, by0, bx1 - bx0, by1 - by0);
  img = img(roi);
  am = am(roi);
  w = roi.width;
  h = roi.height;
  return true;
}

void gf_mean(const gf_work &wk, const cv::Mat &x, cv::Mat &y) {
  cv::boxFilter(x, y, CV_32F, cv::Size(2 * wk.rs + 1, 2 * wk.rs + 1), cv::Point(-1, -1), true, cv::BORDER_REFLECT);
}

// Per window: the means of the guide (mI) and the alpha (mp), cov(I, p) and the guide's covariance
// with eps on its diagonal; `near` marks the windows whose alpha is not constant. False when there
// are none (the alpha stays as it is).
bool gf_window_stats(gf_work &wk, const cv::Mat &I8, const cv::Mat &p8, double eps) {
  I8.convertTo(wk.I, CV_32FC3, 1.0 / 255.0);
  p8.convertTo(wk.p, CV_32F, 1.0 / 255.0);
  cv::split(wk.I, wk.ch);
  gf_mean(wk, wk.p, wk.mp);
  cv::compare(wk.mp, 1e-6, wk.near, cv::CMP_GT);
  cv::compare(wk.mp, 1 - 1e-6, wk.tmp, cv::CMP_LT);
  cv::bitwise_and(wk.near, wk.tmp, wk.near);
  if (cv::countNonZero(wk.near) == 0) return false;
  for (int i = 0; i < 3; i++) {
    gf_mean(wk, wk.ch[i], wk.mI[i]);
    cv::multiply(wk.ch[i], wk.p, wk.tmp);
    gf_mean(wk, wk.tmp, wk.cIp[i]);
    cv::multiply(wk.mI[i], wk.mp, wk.tmp);
    cv::subtract(wk.cIp[i], wk.tmp, wk.cIp[i]);
  }
  for (int i = 0; i < 3; i++)
    for (int j = i; j < 3; j++) {
      cv::multiply(wk.ch[i], wk.ch[j], wk.tmp);
      gf_mean(wk, wk.tmp, wk.var[i][j]);
      cv::multiply(wk.mI[i], wk.mI[j], wk.tmp);
      cv::subtract(wk.var[i][j], wk.tmp, wk.var[i][j]);
      if (i == j) cv::add(wk.var[i][j], eps, wk.var[i][j]);
    }
  return true;
}

// a = (Sigma + eps U)^-1 cov(I, p) in the windows marked `near` (0 elsewhere), b = mean(p) - a^T
// mean(I), then their means over the windows (ma, mb), and `changed`: where the mask can change.
void gf_coefficients(gf_work &wk) {
  for (int i = 0; i < 3; i++) {
    wk.a[i].create(wk.small, CV_32F);
    wk.a[i].setTo(0);
  }
  for (int y = 0; y < wk.small.height; y++) {
    const uint8_t *nr = wk.near.ptr<uint8_t>(y);
    const float *v00 = wk.var[0][0].ptr<float>(y), *v01 = wk.var[0][1].ptr<float>(y), *v02 = wk.var[0][2].ptr<float>(y);
    const float *v11 = wk.var[1][1].ptr<float>(y), *v12 = wk.var[1][2].ptr<float>(y), *v22 = wk.var[2][2].ptr<float>(y);
    const float *c0 = wk.cIp[0].ptr<float>(y), *c1 = wk.cIp[1].ptr<float>(y), *c2 = wk.cIp[2].ptr<float>(y);
    float *a0 = wk.a[0].ptr<float>(y), *a1 = wk.a[1].ptr<float>(y), *a2 = wk.a[2].ptr<float>(y);
    for (int x = 0; x < wk.small.width; x++) {
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
  wk.mp.copyTo(wk.b);
  for (int i = 0; i < 3; i++) {
    cv::multiply(wk.a[i], wk.mI[i], wk.tmp);
    cv::subtract(wk.b, wk.tmp, wk.b);
    gf_mean(wk, wk.a[i], wk.ma[i]);
  }
  gf_mean(wk, wk.b, wk.mb);
  cv::dilate(wk.near, wk.changed, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(2 * wk.rs + 3, 2 * wk.rs + 3)));
}

// q = mean(a)^T I + mean(b) with the full-resolution guide, written into the alpha only where it
// can differ; only the rows and columns where the mask can change are brought back to full
// resolution.
void gf_apply(gf_work &wk, int f, const cv::Mat &img, cv::Mat &am, int w, int h) {
  cv::Rect box = cv::boundingRect(wk.changed);
  if (box.empty()) return;
  cv::Rect fbox(box.x * f, box.y * f, std::min(w - box.x * f, box.width * f), std::min(h - box.y * f, box.height * f));
  cv::Mat fa[3], fb, fc;
  if (f > 1) {
    // A whole-image resize (OpenCV's fast path for exact factors) cropped to the box.
    for (int i = 0; i < 3; i++) {
      cv::resize(wk.ma[i], wk.full_a[i], cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
      fa[i] = wk.full_a[i](fbox);
    }
    cv::resize(wk.mb, wk.full_b, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
    cv::resize(wk.changed, wk.full_changed, cv::Size(w, h), 0, 0, cv::INTER_NEAREST);
    fb = wk.full_b(fbox);
    fc = wk.full_changed(fbox);
  } else {
    for (int i = 0; i < 3; i++) fa[i] = wk.ma[i](fbox);
    fb = wk.mb(fbox);
    fc = wk.changed(fbox);
  }
  const float k255 = 1.0f / 255.0f;
  for (int y = 0; y < fbox.height; y++) {
    const uint8_t *g = img.ptr<uint8_t>(y + fbox.y) + 3 * fbox.x, *cm = fc.ptr<uint8_t>(y);
    const float *a0 = fa[0].ptr<float>(y), *a1 = fa[1].ptr<float>(y), *a2 = fa[2].ptr<float>(y), *bb = fb.ptr<float>(y);
    uint8_t *o = am.ptr<uint8_t>(y + fbox.y) + fbox.x;
    for (int x = 0; x < fbox.width; x++) {
      if (!cm[x]) continue;
      float q = (a0[x] * g[3 * x] + a1[x] * g[3 * x + 1] + a2[x] * g[3 * x + 2]) * k255 + bb[x];
      q = q < 0 ? 0 : q > 1 ? 1 : q;
      o[x] = (uint8_t)(q * 255.0f + 0.5f); // NOLINT(bugprone-incorrect-roundings): q is clamped to [0, 1]
    }
  }
}
} // namespace

extern "C" int vision_guided_filter(const uint8_t *rgb, int w, int h, uint8_t *alpha, int r, double eps,
                                    const int box[4]) {
  // He et al., "Guided Image Filtering" (colour guide): per window a linear model
  // alpha = a^T I + b with a = (Sigma + eps U)^-1 cov(I, p). The coefficients are smooth, so they
  // are computed at half resolution and interpolated back ("Fast Guided Filter", He & Sun 2015);
  // the final alpha = a^T I + b uses the full-resolution guide. A window where alpha is constant
  // has a = 0 and b = that constant, so the 3x3 solve runs only where it is not, and the mask
  // changes only near such windows.
  try {
    cv::Mat img(h, w, CV_8UC3, const_cast<uint8_t *>(rgb)), am(h, w, CV_8U, alpha);
    const int f = (w * h > 100000) ? 2 : 1;
    if (box && !gf_crop_to_box(box, r, f, img, am, w, h)) return 0;
    gf_work wk;
    wk.small = cv::Size(std::max(1, w / f), std::max(1, h / f));
    wk.rs = std::max(1, r / f);
    cv::Mat I8, p8;
    if (f > 1) {
      cv::resize(img, I8, wk.small, 0, 0, cv::INTER_AREA);
      cv::resize(am, p8, wk.small, 0, 0, cv::INTER_AREA);
    } else {
      I8 = img;
      p8 = am;
    }
    if (!gf_window_stats(wk, I8, p8, eps)) return 0;
    gf_coefficients(wk);
    gf_apply(wk, f, img, am, w, h);
    return 0;
  } catch (const std::exception &) {
    return -1;
  }
}

extern "C" int vision_weighted_mean(const uint8_t *rgb, const uint8_t *weight, int w, int h, int r, float *out) {
  // The local wall colour is smooth, so it is computed and returned at a quarter of the resolution
  // (16 times fewer pixels); the caller interpolates where it needs it (only along the edge).
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
    std::memcpy(out, mean.ptr<float>(), (size_t)small.width * small.height * 3 * sizeof(float));
    return 0;
  } catch (const std::exception &) {
    return -1;
  }
}

extern "C" int vision_mask_keep_component(uint8_t *mask, int w, int h, int sx, int sy, long *seed_area,
                                          long *total_area) {
  try {
    cv::Mat m(h, w, CV_8U, mask), bin, labels, stats, cent;
    cv::threshold(m, bin, 127, 255, cv::THRESH_BINARY);
    int n = cv::connectedComponentsWithStats(bin, labels, stats, cent, 8, CV_32S);
    long total = 0;
    for (int i = 1; i < n; i++) total += stats.at<int>(i, cv::CC_STAT_AREA);
    *total_area = total;
    *seed_area = 0;
    if (sx < 0 || sy < 0 || sx >= w || sy >= h) return 0;
    int keep = labels.at<int>(sy, sx);
    if (keep == 0) return 0;
    *seed_area = stats.at<int>(keep, cv::CC_STAT_AREA);
    if (*seed_area == total) return 0;
    for (int y = 0; y < h; y++) {
      const int *l = labels.ptr<int>(y);
      uint8_t *o = m.ptr<uint8_t>(y);
      for (int x = 0; x < w; x++)
        if (l[x] != 0 && l[x] != keep) o[x] = 0;
    }
    return 0;
  } catch (const std::exception &) {
    return -1;
  }
}

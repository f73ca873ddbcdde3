// net_run.cpp: run any ONNX network under OpenCV DNN on one raw float32 blob (diagnostics and the
// conversion tests: the same runtime and the same import the engine uses). See vision.h.
#include "vision/vision.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <string>
#include <vector>
#include "util/xmalloc.h"

extern "C" int vision_net_run_file(const char *onnx_path, const float *in, const int shape[4],
                                   const char *const *outputs, int n_outputs, int repeat, double *forward_ms,
                                   float **out, size_t *out_len, char *errbuf, size_t errlen) {
  *out = nullptr;
  *out_len = 0;
  auto say = [&](const std::string &msg) {
    if (errbuf && errlen) snprintf(errbuf, errlen, "%s", msg.c_str());
    return -1;
  };
  for (int i = 0; i < 4; i++)
    if (shape[i] <= 0 || shape[i] > 1 << 14) return say("bad input shape");
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(onnx_path);
    if (net.empty()) return say(std::string("cannot load ") + onnx_path);
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    int dims[4] = {shape[0], shape[1], shape[2], shape[3]};
    // The blob borrows `in` (setInput copies it into the network).
    cv::Mat blob(4, dims, CV_32F, const_cast<float *>(in));
    std::vector<cv::String> names(outputs, outputs + std::max(n_outputs, 0));
    if (names.empty()) names = net.getUnconnectedOutLayersNames();
    std::vector<cv::Mat> outs;
    double best = 0;
    for (int r = 0; r < std::max(repeat, 1); r++) {
      net.setInput(blob);
      auto t0 = std::chrono::steady_clock::now();
      net.forward(outs, names);
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (r == 0 || ms < best) best = ms;
    }
    if (forward_ms) *forward_ms = best;
    size_t total = 0;
    for (const cv::Mat &m : outs) {
      if (m.type() != CV_32F || !m.isContinuous()) return say("an output is not continuous float32");
      total += m.total();
    }
    float *buf = static_cast<float *>(xmallocarray(total, sizeof(float)));
    size_t at = 0;
    for (const cv::Mat &m : outs) {
      memcpy(buf + at, m.ptr<float>(), m.total() * sizeof(float));
      at += m.total();
    }
    *out = buf;
    *out_len = total;
    return 0;
  } catch (const std::exception &e) {
    return say(e.what());
  }
}

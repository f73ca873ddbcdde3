/* vision_checks: the few OpenCV/dlib services the automatic photo checks need beyond the engine.
 *
 * Plain C header over vision_checks.cpp. Today it offers one thing: a self-contained face and
 * 68-landmark finder (dlib's HOG detector and the engine's compact landmark model), so that
 * `tucai photo check`, the check tests and the bench can build a photo_analysis without the full
 * standardize pipeline.
 * Images are packed 8-bit RGB, row-major. */
#ifndef TUCAI_VISION_CHECKS_H
#define TUCAI_VISION_CHECKS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vc_face {
  float x, y, w, h;   /* detector box */
  float score;        /* detector margin mapped to 0..1 */
  float pts[68][2];   /* dlib 68-point landmarks */
} vc_face;

/* Finds up to `max` faces, largest first, with landmarks. `predictor` is the path of the compact
 * landmark model, models/landmarks68.bin (src/vision/landmarks.h; loaded once per path and kept). Returns the number of
 * faces (0 when none) or -1 with a message in `msg` (may be NULL) when the model cannot load. */
int vc_faces_landmarks(const uint8_t *rgb, int w, int h, const char *predictor, vc_face *out,
                       int max, char *msg, int msg_len);

#ifdef __cplusplus
}
#endif

#endif

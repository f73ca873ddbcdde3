/* face_compare: do two photos show the same person?
 *
 * A photo is decoded as the engine decodes it (photo_decode: limits, EXIF orientation, sRGB, at most
 * PHOTO_WORK_SIDE px), its faces found by the engine's detector (BlazeFace), and the largest face
 * scoring at least FACE_MIN_SCORE is described by faceres (src/vision/face_analysis.h), aligned by
 * four points taken from the engine's 68 landmarks (BlazeFace's own keypoints where those fail): a
 * face print.
 * Two prints are compared by the cosine of their descriptors; at or above FACE_SAME_THRESHOLD they
 * are the same person. The threshold and the calibration it comes from live here and nowhere else.
 *
 * Every print is made by the photo engine (photo_engine_open): its detector and landmarks find and
 * align the face, and the face networks it loaded and owns (photo_engine_face_nets) describe it, so
 * that the server, `tucai photo compare` and bench/faces all take the same path through the same
 * models. An engine may be used from any thread. */
#ifndef TUCAI_PHOTO_FACE_COMPARE_H
#define TUCAI_PHOTO_FACE_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "photo/analysis.h"
#include "photo/photo.h"
#include "util/err.h"
#include "vision/face_analysis.h"

/* Calibration on ../shared/photos/pairs.csv (deepface's pairs among the dev photos: 38 same person,
 * 262 different), measured by bench/faces.c with exactly this code: the highest cosine between two
 * different people was 0.6444 (img20 and img14), the lowest of the same person 0.6776 (img14 and
 * img15). The threshold is the middle of that gap, so that neither side is favoured on so few
 * pairs; heavy retouching (smoothing plus enlarged eyes) pulls a few same-person pairs below it,
 * which is what the registry's own comparison would complain about too. */
#define FACE_CAL_IMPOSTOR_MAX 0.6444
#define FACE_CAL_GENUINE_MIN 0.6776
#define FACE_SAME_THRESHOLD 0.661
/* The detector's score a face needs to be compared (the engine's own bar for a face). */
#define FACE_MIN_SCORE 0.75f

typedef struct face_print {
  int found;                             /* 0: no face scoring FACE_MIN_SCORE */
  int n_faces;                           /* faces at or above FACE_MIN_SCORE */
  photo_box box;                         /* the face, pixels of the original (oriented) photo */
  float score;                           /* detector score */
  float kp[4][2];                        /* the alignment points (face_points_from_landmarks), as box */
  float descriptor[FACE_DESCRIPTOR_DIM]; /* valid when found */
} face_print;

/* The engine's face networks (descriptor and expression, src/vision/face_analysis.h), loaded by
 * photo_engine_open from the engine's models directory and freed by photo_engine_close. The engine
 * opens without them (the operator may not run the descriptor, see docs/models.md): then NULL, and
 * err (when given) says which file was missing, code models_missing. */
face_nets *photo_engine_face_nets(photo_engine *e, err_t *err);

/* An encoded photo (JPEG, PNG, WebP, HEIF; within the engine's limits) -> its print. The largest
 * face scoring at least FACE_MIN_SCORE is described. Returns 0 (check out->found), or -1: err 422
 * with the engine's refusal code (CORRUPT_IMAGE, UNSUPPORTED_FORMAT, IMAGE_TOO_LARGE) when the file
 * is no usable photo, another status when the engine failed (models_missing: no face networks). */
int face_print_describe(photo_engine *e, const void *bytes, size_t len, face_print *out, err_t *err);
/* The same from packed RGB (w*h*3); `scale` is image pixels per original pixel (1 when the same). */
int face_print_describe_rgb(photo_engine *e, const uint8_t *rgb, int w, int h, double scale, face_print *out,
                            err_t *err);

/* The four alignment points (image-left eye centre, image-right eye centre, nose tip, mouth centre
 * between the corners) from dlib's 68 landmarks, in their pixels. */
void face_points_from_landmarks(const float lm[68][2], float kp[4][2]);

/* Cosine of the two descriptors; 0 when either print has no face. */
double face_print_similarity(const face_print *a, const face_print *b);
/* 1 when the similarity says the same person. */
int face_same_person(double similarity);

/* The print of an analysed photo's subject (photo_analysis from the engine or the checks): the
 * subject's landmarks align it, the engine's networks describe it. 0 with out->found = 0 when the
 * analysis has no subject with landmarks; -1 with err when the engine has no face networks. */
int face_print_from_analysis(photo_engine *e, const photo_analysis *a, face_print *out, err_t *err);

/* A print at rest (encrypted in the blob store by the caller): "TFP1", the dimension as a
 * little-endian uint32, then the descriptor as little-endian float32. Unpacking refuses anything
 * else (length, magic, dimension, a value that is not finite or negative) with 422 bad_face_print. */
#define FACE_PRINT_BYTES (8 + 4 * FACE_DESCRIPTOR_DIM)
void face_print_pack(const face_print *p, uint8_t out[FACE_PRINT_BYTES]);
int face_print_unpack(const uint8_t *bytes, size_t len, face_print *p, err_t *err);

#endif

/* landmarks: the compact 68-point landmark model and its evaluator (inside src/vision only).
 *
 * dlib's shape_predictor_68_face_landmarks.dat keeps 15 cascades x 500 regression trees x 16 leaves,
 * each leaf a vector of 136 floats in a malloc of its own: 71 MB of heap once loaded. The setup
 * converts it once (`tucai photo landmarks-convert`, landmarks_convert.cpp) into this file, whose
 * leaves are int8 with one float scale per leaf (17 MB), and lm_predict() evaluates it the way
 * dlib's shape_predictor::operator() does (Kazemi & Sullivan's ensemble of regression trees).
 *
 * File format, version 1, every number little-endian:
 *   header (56 bytes)
 *     char     magic[8]        "TUCAILM\x1a"
 *     uint32   version         1
 *     uint32   parts           landmarks (68); the shape has 2*parts coordinates (x, y, x, y, ...)
 *     uint32   cascades        15
 *     uint32   trees           per cascade, 500
 *     uint32   depth           of every tree, 4: 2^depth - 1 splits and 2^depth leaves
 *     uint32   features        pixels sampled per cascade, 400
 *     uint32   leaf_bits       8 (int8 leaves), 16 (int16) or 32 (float, scale 1: dlib's leaves
 *                              as they are, for the test that checks the evaluator against dlib)
 *     uint32   reserved        0
 *     uint64   body_bytes      size of the body, which ends the file
 *     uint64   body_fnv1a      FNV-1a 64 of the body
 *   body, in this order
 *     float    initial_shape[2*parts]                      normalised to the face box (0..1)
 *     uint16   anchor[cascades][features]                  the shape point each feature pixel follows
 *     float    delta[cascades][features][2]                its offset from that point
 *     split    split[cascades][trees][2^depth - 1]         {uint16 idx1, uint16 idx2, float thresh}
 *     float    scale[cascades][trees][2^depth]             leaf value = scale * q
 *     q        q[cascades][trees][2^depth][2*parts]        int8, int16 or float by leaf_bits
 * Everything is checked when loading: sizes, the checksum, indices in range, finite numbers. */
#ifndef TUCAI_VISION_LANDMARKS_H
#define TUCAI_VISION_LANDMARKS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LM_MAGIC "TUCAILM\x1a"
#define LM_VERSION 1
#define LM_HEADER_BYTES 56

typedef struct lm_model lm_model;

/* Loads and checks a compact model; NULL with the reason in errbuf when it is not one. */
lm_model *lm_model_load(const char *path, char *errbuf, size_t errlen);
void lm_model_free(lm_model *m);
int lm_model_parts(const lm_model *m);

/* The shape inside the box (left, top, right, bottom: dlib's rectangle, inclusive) of the 8-bit grey
 * image `grey` (w x h, rows `stride` bytes apart), rounded to whole pixels as dlib's are: `out`
 * holds lm_model_parts() points as x, y pairs. */
void lm_predict(const lm_model *m, const uint8_t *grey, int w, int h, size_t stride, const long rect[4], float *out);

/* FNV-1a 64 continued over `n` more bytes (start with LM_FNV_SEED). */
#define LM_FNV_SEED 0xcbf29ce484222325ULL
uint64_t lm_fnv1a(uint64_t h, const void *p, size_t n);

#ifdef __cplusplus
}
#endif
#endif

/* check_ctx: what every group of checks shares while one photo is checked (internal).
 *
 * The context derives, once, the geometry the checks measure in: the subject's landmarks, the
 * eye centres and inter-ocular distance (IOD, the unit every region is sized in, so that results
 * do not depend on resolution), a luma plane and the cheek skin colour. Helpers measure pixels
 * inside boxes; check_emit() turns a value into a result using the profile's thresholds. */
#ifndef TUCAI_PHOTO_CHECK_CTX_H
#define TUCAI_PHOTO_CHECK_CTX_H

#include <jansson.h>
#include <stdint.h>

#include "photo/analysis.h"
#include "vision/face_analysis.h"

typedef struct cbox {
  int x, y, w, h; /* clipped to the image; w or h 0 when empty */
} cbox;

typedef struct check_ctx {
  const photo_analysis *a;
  const json_t *cfg; /* the profile's "checks" object, may be NULL */
  json_t *list;      /* results are appended here */
  int w, h;
  const uint8_t *rgb;  /* a->work.px */
  uint8_t *luma;       /* w*h */
  const uint8_t *mask; /* person mask over work, NULL when the engine gave none */
  int has_face;        /* a subject face with landmarks */
  float lm[68][2];
  float eye_l[2], eye_r[2]; /* image-left and image-right eye centres */
  float iod;                /* distance between the eye centres */
  int step;                 /* sampling step in pixels: about 40 samples per IOD, so that the
                               cost per photo does not grow with its resolution */
  float face_cx;            /* horizontal centre of the face */
  float brow_y, chin_y, nose_y;
  cbox face;                      /* jaw-to-jaw, brow-to-chin */
  float skin_y, skin_cb, skin_cr; /* median cheek colour (YCbCr) */
  face_nets *nets;                /* the engine's face networks, NULL when it has none */
  int have_expression;            /* the emotion network read the subject's face */
  float expression[7];            /* its probabilities, order of face_analysis.h (happy = 3) */
} check_ctx;

/* Box from floating coordinates, clipped to the image. */
cbox check_box(const check_ctx *c, double x, double y, double w, double h);
/* Pixel to YCbCr (BT.601 full range). */
void check_ycc(const uint8_t *p, float *y, float *cb, float *cr);
/* True when the pixel's chroma is close to the cheek skin and it is not in deep shadow. */
int check_is_skin(const check_ctx *c, const uint8_t *p);
/* Fraction of pixels in `b` (restricted to the person where a mask exists when `person` is set)
 * that are skin. Returns -1 when the box holds no pixels. */
double check_skin_fraction(const check_ctx *c, cbox b, int person);
/* check_is_skin with the wider tolerance of check_loose_skin_fraction. */
int check_loose_skin_at(const check_ctx *c, const uint8_t *p);
/* True when the luma changes by more than a tenth of the cheek's across a few pixels (IOD/60) at
 * (x,y): hair's strands do, smooth skin, cloth and plastic do not. */
int check_strands_at(const check_ctx *c, int x, int y);
/* The background's colour: the mean of the median colours of the photo's two top corners
 * (a tenth of each side); black when they hold nothing. */
void check_background_rgb(const check_ctx *c, double bg[3]);
/* True when the pixel is within `dist` (Euclidean, RGB) of `rgb`. */
int check_near_rgb(const uint8_t *p, const double rgb[3], double dist);
/* Like check_skin_fraction over all pixels, with a wider chroma tolerance: ears are redder. */
double check_loose_skin_fraction(const check_ctx *c, cbox b);
/* Mean luma in `b` (-1 when empty). */
double check_mean_luma(const check_ctx *c, cbox b);
/* Median RGB in `b` (person pixels only where a mask exists and `person` is set; with `person`
 * 2 skin pixels are left out too). 0 when empty. */
int check_median_rgb(const check_ctx *c, cbox b, int person, double rgb[3]);
/* Bilinear luma at a real position, clamped to the image. */
double check_luma_at(const check_ctx *c, double x, double y);
/* Mask value at (x,y): 255 when there is no mask. */
int check_mask_at(const check_ctx *c, int x, int y);
/* Point-in-polygon over landmark indices. */
int check_in_poly(const check_ctx *c, const int *idx, int n, double x, double y);
/* Bounding box of landmark indices, grown by `pad` IOD units. */
cbox check_lm_box(const check_ctx *c, const int *idx, int n, double pad);

/* Appends the result of one check. `region` is in work pixels; `message_bad` is the advice shown
 * when the rule is broken or doubtful; detail (may be NULL) is stolen. */
void check_emit(check_ctx *c, const char *id, double value, cbox region, const char *message_bad, json_t *detail);
/* Appends a result for a check that could not measure (no face): status "warn". */
void check_emit_unmeasured(check_ctx *c, const char *id, const char *why);

/* The groups, one file each. */
void checks_face(check_ctx *c);       /* single_face, face_size, head_pose */
void checks_features(check_ctx *c);   /* eyes_open, gaze_forward, mouth_closed, mouth_occluded,
                                        glasses, tinted_lenses, red_eye, makeup */
void checks_hair(check_ctx *c);       /* head_covering, hair_over_eyebrows, ears_visible,
                                        forehead_visible */
void checks_attire(check_ctx *c);     /* neck_visible, bare_shoulders, clothing_color,
                                        clothing_pattern */
void checks_jewellery(check_ctx *c);  /* earrings, necklace (check_jewellery.c) */
void checks_light(check_ctx *c);      /* sharpness, exposure, illumination_uniformity, face_shadow,
                                        hot_spots */
void checks_capture(check_ctx *c);    /* background_uniformity, recapture, retouching, compression */
void checks_expression(check_ctx *c); /* expression (check_expression.c) */
/* The emotion network on the subject's face (0), -1 when there is no face or no network. */
int check_expression_probs(const check_ctx *c, float probs[7]);

#endif

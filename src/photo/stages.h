/* stages: the engine's internal steps, shared by standardize.c, the benchmark and the tests.
 *
 * Each stage takes plain buffers and returns 0, or -1 with `err` set. A refusal (a property of the
 * photo, not a failure of ours) is an err_t with status 422 and the reason in `code`; anything else
 * is an engine failure. */
#ifndef TUCAI_PHOTO_STAGES_H
#define TUCAI_PHOTO_STAGES_H

#include <stddef.h>
#include <stdint.h>

#include "photo/photo.h"
#include "vision/vision.h"

#define PHOTO_REFUSAL 422
/* Long side of the working image: enough that a face filling a fifth of the frame still gives the
 * 180 px the standard asks for without upscaling, small enough to keep decode cheap. */
#define PHOTO_WORK_SIDE 1600

/* The engine's detectors and landmark model, and the limits it holds photos to (face_compare.c
 * describes faces with them, as the engine analyses photos). */
vision *photo_engine_vision(photo_engine *e);
const photo_limits *photo_engine_limits(const photo_engine *e);
/* What a photo may weigh: 20 MB, 50 megapixels (the engine's defaults, set by the server's settings). */
photo_limits photo_default_limits(void);
/* refusals.c: refuses for `code` with the student's message (returns -1). */
int photo_refuse(err_t *err, const char *code);
/* refuses IMAGE_TOO_LARGE, the message naming the limits in force (they come from the settings). */
int photo_refuse_too_large(err_t *err, const photo_limits *limits);

/* decode.c: header limits, shrink-on-load decode to at most `max_side`, EXIF orientation, sRGB. */
typedef struct photo_decoded {
  photo_rgb work;
  double scale;       /* work px per original px */
  int orig_w, orig_h; /* after orientation */
  char format[16];    /* jpeg, png, webp, heif */
  int jpeg_quality;   /* estimated from the quantisation table, -1 if unknown */
} photo_decoded;
int photo_decode(const void *bytes, size_t len, const photo_limits *limits, int max_side, photo_decoded *out,
                 err_t *err);
/* The quality a JPEG was saved with, estimated from its first luminance table; -1 if unknown. */
int photo_jpeg_quality_estimate(const uint8_t *bytes, size_t len);

/* frame.c: geometry in the work image and the crop that meets the profile. */
typedef struct photo_frame {
  double roll_deg, yaw_deg, pitch_deg;
  double eye_mid[2];                                   /* work px */
  double dir[2], down[2];                              /* unit vectors along the eye line and perpendicular (down) */
  double face_cu, face_w;                              /* face centre (along the eye line) and width, work px */
  double crown_v, chin_v;                              /* above (negative) / below the eye line, work px */
  double scale;                                        /* output px per work px */
  double crown_y, eye_y, chin_y, face_w_out, center_x; /* predicted in the output */
  double m[6];                                         /* output (x, y) -> work (m0 x + m1 y + m2, m3 x + m4 y + m5) */
} photo_frame;
/* Measures the face from landmarks; the crown from the person mask (over the work image). */
int photo_frame_measure(const float lm[68][2], const photo_gray *mask, photo_frame *f, err_t *err);
/* Chooses scale and offsets so that every band of the profile holds, with the most slack. */
int photo_frame_solve(const photo_profile *p, double work_scale, photo_frame *f, err_t *err);
/* Moves a solved frame a fraction t (0..1) toward the tightest crop the bands allow, for photos
 * that end close below the chin; -1 when no such crop exists. */
int photo_frame_solve_tight(const photo_profile *p, double work_scale, photo_frame *f, double t);
/* Refuses when the output would need pixels the photo does not have where the person is. */
int photo_frame_check_coverage(const photo_profile *p, const photo_gray *mask, photo_frame *f, err_t *err);
void photo_frame_map(const photo_frame *f, double x, double y, double *wx, double *wy);
void photo_frame_unmap(const photo_frame *f, double wx, double wy, double *x, double *y);

/* matte.c */
/* Runs the matting model on a crop around the face box: the person's alpha (mask) and the
 * person's colour without the old wall's spill (fgr), both over the whole work image. */
int photo_matte_person(vision *v, const photo_rgb *work, const photo_box *face, photo_gray *mask, photo_rgb *fgr,
                       err_t *err);
/* Below the chin the segmenter's person (body, weighted in from the chin down) fills what the
 * matting model dropped: mask becomes the larger of the two. */
int photo_matte_body(vision *v, const photo_rgb *work, const photo_box *face, const float lm[68][2], photo_gray *mask,
                     photo_gray *body, err_t *err);
/* Runs the segmenter on a crop around the face box (mirrored when asked: a second opinion) and
 * writes the person mask over the whole work image (zero outside the crop). */
int photo_matte_segment(vision *v, const photo_rgb *work, const photo_box *face, int mirrored, photo_gray *mask,
                        err_t *err);
typedef struct photo_correction {
  double gain[3];   /* white balance applied to the person, 0.93..1.07 */
  double gamma;     /* exposure applied to the person, 0.75..1.3 */
  double face_luma; /* the face's mean luma before the exposure correction */
} photo_correction;
/* Crops photo, alpha (mask), fgr and body into the output frame, fades the matting model's doubt
 * far from the person and measures it (undecided_px, mean px along the core's outline), drops and
 * measures the fragments, and composites on the profile's background. fgr and body are spent once
 * cropped: their pixels are freed (px NULL) whatever the outcome. */
int photo_matte_composite(const photo_profile *p, const photo_rgb *work, const photo_gray *mask, photo_rgb *fgr,
                          photo_gray *body, const photo_frame *f, int subject_x, int subject_y, photo_rgb *std,
                          photo_gray *std_mask, double *undecided_px, double *fragments, photo_correction *corr,
                          err_t *err);

/* encode.c: JPEG at 300 dpi with the highest quality that fits the byte range. */
int photo_encode_jpeg(const photo_rgb *img, int dpi, int min_quality, long min_bytes, long max_bytes, uint8_t **out,
                      size_t *out_len, int *quality, err_t *err);
/* One encode at a fixed quality (sheets), same header rules. */
int photo_encode_jpeg_fixed(const photo_rgb *img, int dpi, int quality, uint8_t **out, size_t *out_len);

#endif

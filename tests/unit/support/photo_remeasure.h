/* photo_remeasure: measures a standardized JPEG from its bytes alone, independently of the engine
 * that made it (no BlazeFace, no dlib, no segmentation): markers parsed by hand, pixels decoded by
 * libvips, the crown and centring found from the background colour, the eyes found by OpenCV's
 * Haar cascades (Debian opencv-data). Tests compare these numbers with the profile. */
#ifndef TUCAI_TEST_PHOTO_REMEASURE_H
#define TUCAI_TEST_PHOTO_REMEASURE_H

#include <stddef.h>
#include <stdint.h>

typedef struct remeasure {
  int width, height;
  int jfif, density_unit, xdensity, ydensity;
  int has_exif, has_icc, has_other_app; /* APP1, APP2, APP3..APP15 markers */
  int q_ok;                             /* luminance table no coarser than IJG quality 60 */
  double bg_top_left[3], bg_top_right[3];
  double bg_side_fraction; /* side columns in the upper 40 % that match the background */
  int crown_y;             /* first row whose centre differs from the background, -1 none */
  double head_center_x;    /* mean centre of the head's rows */
  int eyes_found;
  double eye_y;
} remeasure;

/* Returns 0 and fills `m`, or -1 when the bytes are not a decodable JPEG. */
int photo_remeasure(const uint8_t *jpeg, size_t len, const uint8_t bg[3], remeasure *m);

#endif

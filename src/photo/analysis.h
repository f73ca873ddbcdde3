/* analysis: what the photo engine learned about one photo, handed to the automatic checks.
 *
 * The engine (photo/standardize) fills it while standardizing; the checks (photo/checks) only read
 * it. Coordinates are pixels of `work` (the decoded, EXIF-oriented sRGB image at working size,
 * before cropping) unless a field says `std` (the standardized output). Owned by the engine:
 * free with photo_analysis_free(). */
#ifndef TUCAI_PHOTO_ANALYSIS_H
#define TUCAI_PHOTO_ANALYSIS_H

#include <stdint.h>

typedef struct photo_rgb {
  int w, h;
  uint8_t *px; /* w*h*3 bytes, sRGB, row-major, no padding */
} photo_rgb;

typedef struct photo_gray {
  int w, h;
  uint8_t *px; /* w*h bytes */
} photo_gray;

typedef struct photo_box {
  float x, y, w, h;
} photo_box;

typedef struct photo_face {
  photo_box box;
  float score;    /* detector confidence 0..1 */
  float kp[6][2]; /* BlazeFace keypoints: right eye, left eye, nose, mouth, right ear, left ear */
} photo_face;

#define PHOTO_MAX_FACES 16

typedef struct photo_analysis {
  photo_rgb work;     /* the whole photo at working size */
  double work_scale;  /* work pixels per original pixel */
  int orig_w, orig_h; /* after EXIF orientation */
  int n_faces;
  photo_face faces[PHOTO_MAX_FACES];
  int subject; /* index into faces, -1 when none */
  int has_landmarks;
  float landmarks[68][2]; /* dlib 68-point order, in work pixels */
  double roll_deg, yaw_deg, pitch_deg;
  photo_gray mask;       /* person alpha over `work` (0 = background, 255 = person) */
  photo_rgb fgr;         /* the person's colour over `work` without the old wall's spill */
  photo_gray body;       /* the segmenter's person below the chin, where it filled `mask` */
  double seg_confidence; /* 0..1, how clean the cut is */
  /* The standardized result, when one was made. */
  photo_rgb std;              /* e.g. 480x640 */
  photo_gray std_mask;        /* person alpha over `std` */
  float std_landmarks[68][2]; /* landmarks mapped into `std` */
  double crown_y_std, chin_y_std, eye_y_std, face_w_std;
  /* Original file facts, for compression and recapture checks. */
  int jpeg_quality_estimate; /* -1 when not a JPEG or unknown */
  int64_t file_bytes;
} photo_analysis;

void photo_analysis_free(photo_analysis *a);

#endif

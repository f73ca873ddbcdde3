/* photo: the engine that turns any phone photo into a standard ID photo.
 *
 * Stages, one file each, all with the same shape (inputs, outputs, err_t):
 *   decode.c   header limits, shrink-on-load decode, EXIF orientation, ICC -> sRGB  (libvips)
 *   detect     faces (BlazeFace 128 + 256) and dlib landmarks, through src/vision
 *   frame.c    measures eyes, chin, crown, roll; solves for the crop that meets every band
 *   matte.c    segmentation on a crop around the subject, guided-filter refinement, composite
 *   encode.c   sRGB JPEG, 300 dpi JFIF, quality searched into the profile's byte range, no metadata
 *   standardize.c runs them in order, times each, writes the report (JSON) and the analysis
 * Profiles (profile.c) are data files in <source>/profiles/NAME.json.
 *
 * Ownership: the caller owns what photo_engine_open and photo_profile_load return (free with the matching _close or _free) and the contents
 * of a photo_result (free with photo_result_free). An engine is loaded once and may be used from
 * any number of threads at the same time; profiles are read-only after loading.
 *
 * A refusal is not an error: photo_standardize returns 0 and sets result->refused with a stable
 * reason code (NO_FACE, MULTIPLE_FACES, ...) and a Chinese message. -1 means the engine itself
 * failed (models missing, out of memory) and `err` says why. */
#ifndef TUCAI_PHOTO_PHOTO_H
#define TUCAI_PHOTO_PHOTO_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "photo/analysis.h"
#include "util/err.h"

typedef struct photo_band {
  int set;       /* 0 when the profile does not constrain this measure */
  double lo, hi; /* pixels of the output */
} photo_band;

typedef struct photo_profile {
  char name[64];
  char title[128];
  int width, height, dpi;
  uint8_t background[3];     /* sRGB */
  long min_bytes, max_bytes; /* output file size range */
  int min_quality;           /* JPEG quality floor */
  photo_band crown_y, eye_y, chin_y, face_width;
  double center_tolerance; /* |face centre - width/2| allowed, pixels */
  json_t *checks;          /* the "checks" object, free-form, for src/photo/checks */
  json_t *json;            /* the whole file */
} photo_profile;

/* Loads <dir>/<name>.json. Names are [a-z0-9-]+; anything else is refused. */
photo_profile *photo_profile_load(const char *dir, const char *name, err_t *err);
void photo_profile_free(photo_profile *p);
/* Names of the profiles in `dir`, sorted; a JSON array of {name, title, width, height}. */
json_t *photo_profile_list(const char *dir, err_t *err);

typedef struct photo_limits {
  long max_bytes;  /* input file size, default 20 MB */
  long max_pixels; /* width*height from the header, default 50 megapixels */
} photo_limits;

typedef struct photo_engine photo_engine;

/* Loads the models from `models_dir` (NULL: TUCAI_MODELS or <source>/models), the landmark model
 * included (TUCAI_LANDMARKS or <models_dir>/landmarks68.bin, which the build converts from dlib's). */
photo_engine *photo_engine_open(const char *models_dir, err_t *err);
void photo_engine_close(photo_engine *e);
void photo_engine_set_limits(photo_engine *e, const photo_limits *limits);
/* The directory the default models live in (for messages). */
const char *photo_default_models_dir(void);
const char *photo_default_profiles_dir(void);
/* Where the landmark model is: TUCAI_LANDMARKS, or landmarks68.bin in `models_dir` (NULL: the
 * default). Writes it into `buf` and returns it; every door to the vision models uses this. */
const char *photo_landmarks_path(const char *models_dir, char *buf, size_t len);

enum photo_stage {
  PHOTO_STAGE_DECODE,
  PHOTO_STAGE_DETECT,
  PHOTO_STAGE_LANDMARKS,
  PHOTO_STAGE_MATTING,
  PHOTO_STAGE_SEGMENT,
  PHOTO_STAGE_FRAME,
  PHOTO_STAGE_MATTE,
  PHOTO_STAGE_ENCODE,
  PHOTO_STAGE_COUNT
};
/* The stage's name, as in the report's timing_ms. */
const char *photo_stage_name(int stage);

typedef struct photo_result {
  int refused;       /* 1: no output, see reason */
  char reason[48];   /* NO_FACE, ... (empty when conformant) */
  char message[400]; /* for the student, Chinese */
  uint8_t *jpeg;     /* the standardized photo (malloc'd), NULL when refused */
  size_t jpeg_len;
  int jpeg_quality;
  json_t *report;          /* always set on return 0 */
  photo_analysis analysis; /* what was measured (partly filled on refusal) */
  double stage_ms[PHOTO_STAGE_COUNT];
  double total_ms;
} photo_result;

int photo_standardize(photo_engine *e, const void *bytes, size_t len, const photo_profile *profile, photo_result *out,
                      err_t *err);
void photo_result_free(photo_result *r);

/* The engine's first stages alone, where no standardized photo is wanted (the check tests,
 * bench/checks, reference photos): decode (long side at most max_side; 0: the size standardize
 * works at), detect, landmarks, into *a
 * (free with photo_analysis_free). Never a refusal: no face gives subject -1, several faces keep
 * the largest as subject. -1 with err only when the file cannot be decoded or a model fails. */
int photo_analyze(photo_engine *e, const void *bytes, size_t len, int max_side, photo_analysis *a, err_t *err);
/* The same from packed RGB pixels (copied); jpeg_quality is reported as the estimate (-1 unknown). */
int photo_analyze_rgb(photo_engine *e, const uint8_t *rgb, int w, int h, int jpeg_quality, photo_analysis *a,
                      err_t *err);

/* The segmenter on the whole photo, for diagnostics and for checking the model conversion:
 * the decoded photo stretched to 256x256 (rgb256, 196608 bytes) and the model's person
 * probability for it (prob, 65536 floats). */
int photo_segment_probe(photo_engine *e, const void *bytes, size_t len, uint8_t *rgb256, float *prob, err_t *err);

/* Refusal codes with their Chinese messages, for the CLI and the API. */
const char *photo_reason_message(const char *code);

/* Print sheet: `copies` of `jpeg` laid out on a 6-inch (152 x 102 mm) sheet at 300 dpi with cut
 * marks and `caption` under each copy. format "pdf" or "jpeg". The output is malloc'd. */
int photo_sheet(const void *jpeg, size_t len, int copies, const char *caption, const char *format, uint8_t **out,
                size_t *out_len, err_t *err);
/* The same sheet as a page of a caller's document (e.g. one PDF with a page per student): decode and
 * lay out once, ask the page size (mm) to size the page, then draw on a cairo context whose user
 * units are millimetres; captions stay text. The caller frees the page. */
typedef struct photo_sheet_page photo_sheet_page;
struct _cairo;
photo_sheet_page *photo_sheet_page_new(const void *jpeg, size_t len, int copies, err_t *err);
void photo_sheet_page_size(const photo_sheet_page *pg, double *w_mm, double *h_mm);
void photo_sheet_page_draw(const photo_sheet_page *pg, struct _cairo *cr, const char *caption);
void photo_sheet_page_free(photo_sheet_page *pg);
/* Frees cairo's and pango's process-wide font caches; call once when no sheet is being drawn any
 * more (at the end of a CLI run), never while another thread may be drawing. */
void photo_sheet_release(void);

#endif

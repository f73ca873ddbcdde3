/* check_analyze: a self-contained way to fill a photo_analysis for the checks alone.
 *
 * Decodes with libvips (EXIF orientation, sRGB, working size at most 800 px), finds faces and
 * 68 landmarks with dlib (vision/vision_checks.h), estimates the JPEG quality from the file's
 * quantisation table. It fills no person mask and no standardized image: the checks then measure
 * in fixed regions around the face. `tucai photo check`, the check tests and bench/checks use it;
 * the engine's standardize pipeline fills the full analysis instead (checks_analyze_engine). */
#ifndef TUCAI_PHOTO_CHECK_ANALYZE_H
#define TUCAI_PHOTO_CHECK_ANALYZE_H

#include <stddef.h>
#include <stdint.h>

#include "photo/analysis.h"
#include "util/err.h"

/* Through the photo engine (photo_standardize with profile `profile`): its analysis, with the
 * person mask and the standardized image when one was made, is moved into *a (free with
 * photo_analysis_free). The engine is opened once per process. A refusal (no face, not enough
 * body...) still gives the analysis as far as it got. -1 with err when the engine cannot start or
 * the file cannot be decoded. */
int checks_analyze_engine(const void *buf, size_t len, const char *profile, photo_analysis *a,
                          err_t *err);
/* From an encoded image in memory, without the engine: dlib faces and landmarks, no mask. */
int checks_analyze_buffer(const void *buf, size_t len, photo_analysis *a, err_t *err);
/* From packed RGB pixels (copied); `jpeg_quality` is what to report for compression (-1 unknown). */
int checks_analyze_rgb(const uint8_t *rgb, int w, int h, int jpeg_quality, photo_analysis *a,
                       err_t *err);
/* Frees what the functions above allocated and zeroes *a (the same as photo_analysis_free). */
void checks_analysis_clear(photo_analysis *a);
/* IJG quality (1-100) that would produce the first luminance table of a JPEG file, -1 if none. */
int checks_jpeg_quality(const uint8_t *buf, size_t len);
/* Encodes packed RGB as JPEG at `quality` (for tests and benches). *out is g_free()-able. */
int checks_encode_jpeg(const uint8_t *rgb, int w, int h, int quality, void **out, size_t *len);

#endif

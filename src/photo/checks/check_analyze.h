/* check_analyze: a photo_analysis for the checks, always from the one photo engine.
 *
 * Two ways, both through the engine the caller owns (opened once, by the command or the app):
 *   - checks_analyze_engine: the whole standardize pipeline with a profile, so the checks see the
 *     person mask and the standardized photo, as they do for a student's upload;
 *   - photo_analyze / photo_analyze_rgb (photo/photo.h) at CHECKS_WORK_SIDE: decode, detect and
 *     landmarks only, no mask; the checks then measure in fixed regions around the face. The check
 *     tests and bench/checks --landmarks-only use it. */
#ifndef TUCAI_PHOTO_CHECK_ANALYZE_H
#define TUCAI_PHOTO_CHECK_ANALYZE_H

#include <stddef.h>
#include <stdint.h>

#include "photo/analysis.h"
#include "photo/photo.h"
#include "util/err.h"

/* The long side of the checks-only analysis: the checks' thresholds were measured at this size. */
#define CHECKS_WORK_SIDE 800

/* Through the photo engine (photo_standardize with profile `profile`): its analysis, with the
 * person mask and the standardized image when one was made, is moved into *a (free with
 * photo_analysis_free). A refusal (no face, not enough body...) still gives the analysis as far as
 * it got. -1 with err when the profile is unknown or the file cannot be decoded. */
int checks_analyze_engine(photo_engine *e, const void *buf, size_t len, const char *profile, photo_analysis *a,
                          err_t *err);

#endif

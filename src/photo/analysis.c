/* analysis: ownership of photo_analysis (see analysis.h). */
#include "photo/analysis.h"

#include <stdlib.h>
#include <string.h>

void photo_analysis_free(photo_analysis *a) {
  if (!a) return;
  free(a->work.px);
  free(a->mask.px);
  free(a->fgr.px);
  free(a->body.px);
  free(a->std.px);
  free(a->std_mask.px);
  memset(a, 0, sizeof *a);
  a->subject = -1;
  a->jpeg_quality_estimate = -1;
}

/* check_analyze.c: the engine's analysis moved out of a standardize result (see check_analyze.h). */
#include "photo/checks/check_analyze.h"

#include <stdio.h>
#include <string.h>

int checks_analyze_engine(photo_engine *e, const void *buf, size_t len, const char *profile, photo_analysis *a,
                          err_t *err) {
  memset(a, 0, sizeof *a);
  a->subject = -1;
  a->jpeg_quality_estimate = -1;
  photo_profile *p = photo_profile_load(photo_default_profiles_dir(), profile, err);
  if (!p) return -1;
  photo_result r;
  memset(&r, 0, sizeof r);
  int rc = photo_standardize(e, buf, len, p, &r, err);
  photo_profile_free(p);
  if (rc) {
    photo_result_free(&r);
    return -1;
  }
  *a = r.analysis;
  memset(&r.analysis, 0, sizeof r.analysis);
  char why[sizeof r.message];
  snprintf(why, sizeof why, "%s", r.message[0] ? r.message : "无法读取照片文件");
  photo_result_free(&r);
  if (!a->work.px) {
    photo_analysis_free(a);
    return err_set(err, 400, "BAD_IMAGE", "%s", why);
  }
  return 0;
}

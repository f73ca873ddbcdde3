/* checks: the automatic photo checks, every rule of the photo standard and the school's notice.
 *
 * The engine fills a photo_analysis (photo/analysis.h); the checks only read it and the profile's
 * "checks" object, which holds every threshold and severity (nothing is decided in code):
 *
 *   "checks": { "glasses": {"severity": "fail", "above": 0.5, "warn_above": 0.42}, ... }
 *
 * Each check computes one number (`value`); `above` / `below` is where the rule is broken (the
 * profile's `severity`, "fail" or "warn", is then the status), `warn_above` / `warn_below` where it
 * is only doubtful (status "warn"); both `above` and `below` may be given (single_face: exactly
 * one), and `above2` / `warn_above2` give a second upper bound to a rule that also has `below`
 * (exposure: too dark or too bright). A check missing from the profile, or with severity "off", is
 * reported as passing with a note, so that every id is always present.
 *
 * The result: {"checks":[{"id","status","value","threshold","message","region":[x,y,w,h],
 * "detail":{...}}]}. Regions are pixels of the analysed photo's `work` image scaled back to the
 * original (see photo_analysis.work_scale). Messages are Chinese advice for the student. */
#ifndef TUCAI_PHOTO_CHECKS_H
#define TUCAI_PHOTO_CHECKS_H

#include <jansson.h>

#include "photo/analysis.h"
#include "photo/photo.h"
#include "util/err.h"

/* Runs every check on `a`, which engine `e` analysed; the checks that read the face with a network
 * (expression) use the engine's (photo_engine_face_nets), and are reported unmeasured when it has
 * none (or `e` is NULL). `checks_cfg` is the profile's "checks" object (may be NULL: all checks are
 * then reported unconfigured). On success *out is a new {"checks":[...]} object. */
int photo_checks_run(photo_engine *e, const photo_analysis *a, const json_t *checks_cfg, json_t **out, err_t *err);

/* Every check, declared once (check_catalog.c): id, group (identity, framing, eyes, mouth, head,
 * ears, neck, attire, light, image), the name and advice a student reads, what its region covers
 * (face, eyes, ears, neck, ... image). In report order, ending with {0}. by_engine 0: added by the
 * collection workflow (same_person), not by photo_checks_run. */
typedef struct photo_check_def {
  const char *id, *group, *name, *advice, *region_kind;
  int by_engine;
} photo_check_def;
extern const photo_check_def photo_check_catalog[];
const photo_check_def *photo_check_find(const char *id); /* NULL when unknown */
/* The catalog as JSON [{id, group, name, advice, region_kind}] (a new reference), for the pages. */
json_t *photo_check_catalog_json(void);
/* Adds the catalog's name, group, region_kind and advice to one result object {"id", ...}. */
void photo_check_describe(json_t *result);

/* The "checks" object of profile `name` from the profiles directory (photo_default_profiles_dir);
 * a new reference. 400 bad_profile for a malformed name, 404 unknown_profile. */
json_t *photo_checks_profile_config(const char *name, err_t *err);

/* Counts the results with status "fail" and "warn" in a report made by photo_checks_run. */
void photo_checks_count(const json_t *report, int *fails, int *warns);

#endif

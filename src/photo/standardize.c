/* standardize: the engine object and the pipeline, stage by stage, with the report.
 *
 * decode -> detect (BlazeFace) -> landmarks (dlib's model, compact) -> matting (RVM on the subject's
 *        crop) -> segment (selfie segmentation: the body below the chin) -> frame (measure + solve
 *        the crop) -> matte (fade the model's far doubt, composite) -> encode
 * Every stage is timed with the monotonic clock; the report carries the times, the measured
 * geometry, the segmentation confidence and warnings. A refusal stops the pipeline where it is
 * found and still yields a report. */
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "photo/face_compare.h"
#include "photo/stages.h"
#include "util/clock.h"
#include "util/share.h"
#include "util/xmalloc.h"

/* BlazeFace scores: people score above 0.9 on the dev set, dogs and patterns 0.5-0.6. */
#define PHOTO_FACE_SCORE 0.75f

/* The cut's doubt (matte.c): the matting model's translucent alpha far from the person's solid
 * core, which the matte fades out, per pixel of the core's outline. Measured on the dev set at the
 * engine's input sizes: plain walls 0-0.5, long or curly hair 0.6-1.8, a head against lettering or
 * a busy poster 1.5-2.5 (and cut cleanly once faded). Above PHOTO_MAX_UNDECIDED_PX the wall is
 * too busy for the model to be trusted: refused. Fragments are the share of the person mask not
 * joined to the subject. */
#define PHOTO_MAX_UNDECIDED_PX 3.0
#define PHOTO_MAX_FRAGMENTS 0.2

struct photo_engine {
  vision *v;
  photo_limits limits;
  /* The face networks (descriptor, expression): one copy per engine, for the checks, the prints of
   * attempts and reference photos, and `photo compare`. NULL when their files are missing; `why`
   * then says which, for every caller that asks. */
  face_nets *faces;
  char faces_why[512];
};

static pthread_once_t vips_once = PTHREAD_ONCE_INIT;
static int vips_ok;
static void init_vips(void) {
  vips_ok = VIPS_INIT("tucai") == 0;
  /* Every photo is seen once: the operation cache would only hold on to memory. */
  vips_cache_set_max(0);
  vips_cache_set_max_mem(0);
}

const char *photo_default_models_dir(void) {
  static char dir[4096];
  const char *env = getenv("TUCAI_MODELS");
  return env && *env ? env : share_path("models", dir, sizeof dir);
}

const char *photo_default_profiles_dir(void) {
  static char dir[4096];
  const char *env = getenv("TUCAI_PROFILES");
  return env && *env ? env : share_path("profiles", dir, sizeof dir);
}

const char *photo_landmarks_path(const char *models_dir, char *buf, size_t len) {
  /* The compact landmark model the build converts from dlib's .dat (src/vision/landmarks.h). */
  const char *env = getenv("TUCAI_LANDMARKS");
  if (env && *env)
    snprintf(buf, len, "%s", env);
  else
    snprintf(buf, len, "%s/landmarks68.bin", models_dir ? models_dir : photo_default_models_dir());
  return buf;
}

/* libvips started once and the vision models loaded (detectors, matting, segmentation, landmarks);
 * NULL with `err` set when they are missing. */
static vision *photo_vision_open(const char *models_dir, err_t *err) {
  pthread_once(&vips_once, init_vips);
  if (!vips_ok) {
    err_set(err, 0, "vips_init", "libvips failed to start");
    return NULL;
  }
  if (!models_dir) models_dir = photo_default_models_dir();
  char lm[4096], why[512] = "";
  vision *v = vision_open(models_dir, photo_landmarks_path(models_dir, lm, sizeof lm), why, sizeof why);
  if (!v) err_set(err, 0, "models_missing", "%s (run scripts/setup-models.sh, then scripts/build.sh)", why);
  return v;
}

photo_limits photo_default_limits(void) { return (photo_limits){20L * 1024 * 1024, 50L * 1000 * 1000}; }

photo_engine *photo_engine_open(const char *models_dir, err_t *err) {
  photo_engine *e = xcalloc(1, sizeof *e);
  e->v = photo_vision_open(models_dir, err);
  if (!e->v) {
    free(e);
    return NULL;
  }
  e->limits = photo_default_limits();
  e->faces = face_nets_open(models_dir ? models_dir : photo_default_models_dir(), e->faces_why, sizeof e->faces_why);
  return e;
}

void photo_engine_close(photo_engine *e) {
  if (!e) return;
  if (e->faces) face_nets_close(e->faces);
  vision_close(e->v);
  free(e);
}

face_nets *photo_engine_face_nets(photo_engine *e, err_t *err) {
  if (e && e->faces) return e->faces;
  err_set(err, 0, "models_missing", "%s", e ? e->faces_why : "no photo engine to read the face");
  return NULL;
}

vision *photo_engine_vision(photo_engine *e) { return e->v; }

const photo_limits *photo_engine_limits(const photo_engine *e) { return &e->limits; }

void photo_engine_set_limits(photo_engine *e, const photo_limits *limits) { e->limits = *limits; }

void photo_result_free(photo_result *r) {
  if (!r) return;
  free(r->jpeg);
  json_decref(r->report);
  photo_analysis_free(&r->analysis);
  memset(r, 0, sizeof *r);
}

static json_t *round3(double v) { return json_real(round(v * 1000) / 1000); }

static void report_finish(photo_result *r, const photo_profile *p, const photo_frame *f, int have_frame, double conf,
                          double frag, double undecided, int have_matte) {
  json_t *rep = r->report;
  json_object_set_new(rep, "status", json_string(r->refused ? "refused" : "conformant"));
  json_object_set_new(rep, "profile", json_string(p->name));
  if (r->refused) {
    json_object_set_new(rep, "reason", json_string(r->reason));
    json_object_set_new(rep, "message", json_string(r->message));
  }
  photo_analysis *a = &r->analysis;
  json_t *faces = json_array();
  for (int i = 0; i < a->n_faces; i++) {
    const photo_face *fc = &a->faces[i];
    json_array_append_new(faces, json_pack("{s:[o,o,o,o], s:o}", "box", round3(fc->box.x / a->work_scale),
                                           round3(fc->box.y / a->work_scale), round3(fc->box.w / a->work_scale),
                                           round3(fc->box.h / a->work_scale), "score", round3(fc->score)));
  }
  json_object_set_new(rep, "faces", faces);
  json_object_set_new(rep, "subject", json_integer(a->subject));
  if (have_frame) {
    json_object_set_new(
        rep, "geometry",
        json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "eye_y", round3(f->eye_y), "crown_y",
                  round3(f->crown_y), "chin_y", round3(f->chin_y), "face_width", round3(f->face_w_out), "center_x",
                  round3(f->center_x), "roll_deg", round3(f->roll_deg), "yaw_deg", round3(f->yaw_deg), "pitch_deg",
                  round3(f->pitch_deg), "scale_from_original", round3(f->scale * a->work_scale)));
  }
  if (have_matte)
    json_object_set_new(rep, "segmentation",
                        json_pack("{s:o, s:o, s:o}", "confidence", round3(conf), "fragments", round3(frag),
                                  "undecided_px", round3(undecided)));
  json_t *t = json_object();
  for (int i = 0; i < PHOTO_STAGE_COUNT; i++) json_object_set_new(t, photo_stage_name(i), round3(r->stage_ms[i]));
  json_object_set_new(t, "total", round3(r->total_ms));
  json_object_set_new(rep, "timing_ms", t);
  json_t *warn = json_array();
  if (have_frame) {
    if (fabs(f->roll_deg) > 8) json_array_append_new(warn, json_string("head_tilted_levelled"));
    if (fabs(f->yaw_deg) > 15) json_array_append_new(warn, json_string("head_turned"));
    if (fabs(f->pitch_deg) > 20) json_array_append_new(warn, json_string("head_pitched"));
    if (f->scale * a->work_scale > 1.2) json_array_append_new(warn, json_string("upscaled"));
  }
  if (have_matte && conf < 0.6) json_array_append_new(warn, json_string("segmentation_uncertain"));
  json_object_set_new(rep, "warnings", warn);
}

/* One photo on its way through the stages: what they hand each other. */
typedef struct photo_run {
  photo_engine *e;
  const photo_profile *p;
  const void *bytes;
  size_t len;
  photo_result *r;
  photo_analysis *a;
  vision_face faces[PHOTO_MAX_FACES];
  photo_frame f;
  int have_frame, have_matte;
  double conf, frag, undecided;
  photo_correction corr;
} photo_run;

static int stage_decode(photo_run *s, err_t *err) {
  photo_analysis *a = s->a;
  photo_decoded d;
  if (photo_decode(s->bytes, s->len, &s->e->limits, PHOTO_WORK_SIDE, &d, err)) return -1;
  a->work = d.work;
  a->work_scale = d.scale;
  a->orig_w = d.orig_w;
  a->orig_h = d.orig_h;
  a->jpeg_quality_estimate = d.jpeg_quality;
  json_object_set_new(s->r->report, "input",
                      json_pack("{s:I, s:s, s:i, s:i, s:i}", "bytes", (json_int_t)s->len, "format", d.format, "width",
                                d.orig_w, "height", d.orig_h, "jpeg_quality_estimate", d.jpeg_quality));
  return 0;
}

/* The subject is the largest face BlazeFace is sure of; another sure face at least 0.6 of its
 * width is a second person in the photo. */
static int stage_detect(photo_run *s, err_t *err) {
  photo_analysis *a = s->a;
  char why[256] = "";
  int n =
      vision_detect_faces(s->e->v, a->work.px, a->work.w, a->work.h, 0.5f, s->faces, PHOTO_MAX_FACES, why, sizeof why);
  if (n < 0) return err_set(err, 0, "detect_failed", "%s", why);
  a->n_faces = n;
  int best = -1;
  for (int i = 0; i < n; i++) {
    photo_face *pf = &a->faces[i];
    pf->box = (photo_box){s->faces[i].x, s->faces[i].y, s->faces[i].w, s->faces[i].h};
    pf->score = s->faces[i].score;
    memcpy(pf->kp, s->faces[i].kp, sizeof pf->kp);
    if (s->faces[i].score < PHOTO_FACE_SCORE) continue;
    if (best < 0 || s->faces[i].w * s->faces[i].h > s->faces[best].w * s->faces[best].h) best = i;
  }
  if (best < 0) return photo_refuse(err, "NO_FACE");
  a->subject = best;
  for (int i = 0; i < n; i++)
    if (i != best && s->faces[i].score >= PHOTO_FACE_SCORE && s->faces[i].w >= 0.6f * s->faces[best].w)
      return photo_refuse(err, "MULTIPLE_FACES");
  return 0;
}

static int stage_landmarks(photo_run *s, err_t *err) {
  photo_analysis *a = s->a;
  const photo_box *b = &a->faces[a->subject].box;
  float box[4] = {(float)b->x, (float)b->y, (float)b->w, (float)b->h};
  char why[256] = "";
  if (vision_landmarks(s->e->v, a->work.px, a->work.w, a->work.h, box, a->landmarks, why, sizeof why))
    return err_set(err, 0, "landmarks_failed", "%s", why);
  a->has_landmarks = 1;
  return 0;
}

static int stage_matting(photo_run *s, err_t *err) {
  photo_analysis *a = s->a;
  return photo_matte_person(s->e->v, &a->work, &a->faces[a->subject].box, &a->mask, &a->fgr, err);
}

static int stage_segment(photo_run *s, err_t *err) {
  photo_analysis *a = s->a;
  return photo_matte_body(s->e->v, &a->work, &a->faces[a->subject].box, a->landmarks, &a->mask, &a->body, err);
}

static int stage_frame(photo_run *s, err_t *err) {
  photo_analysis *a = s->a;
  photo_frame *f = &s->f;
  if (photo_frame_measure(a->landmarks, &a->mask, f, err)) return -1;
  a->roll_deg = f->roll_deg;
  a->yaw_deg = f->yaw_deg;
  a->pitch_deg = f->pitch_deg;
  if (photo_frame_solve(s->p, a->work_scale, f, err)) {
    s->have_frame = f->scale > 0;
    return -1;
  }
  s->have_frame = 1;
  if (photo_frame_check_coverage(s->p, &a->mask, f, err)) {
    /* Tight photos: try crops closer to the largest head the profile allows. */
    photo_frame central = *f;
    int ok = 0;
    for (int k = 1; k <= 8 && !ok; k++) {
      photo_frame g = central;
      err_t e3 = {0};
      if (photo_frame_solve_tight(s->p, a->work_scale, &g, k / 8.0) == 0 &&
          photo_frame_check_coverage(s->p, &a->mask, &g, &e3) == 0) {
        *f = g;
        ok = 1;
      }
    }
    if (!ok) return -1;
    err_clear(err);
  }
  a->crown_y_std = f->crown_y;
  a->eye_y_std = f->eye_y;
  a->chin_y_std = f->chin_y;
  a->face_w_std = f->face_w_out;
  for (int i = 0; i < 68; i++) {
    double x, y;
    photo_frame_unmap(f, a->landmarks[i][0], a->landmarks[i][1], &x, &y);
    a->std_landmarks[i][0] = (float)x;
    a->std_landmarks[i][1] = (float)y;
  }
  return 0;
}

static int stage_matte(photo_run *s, err_t *err) {
  photo_analysis *a = s->a;
  const photo_box *b = &a->faces[a->subject].box;
  int sx = (int)lround(b->x + b->w / 2), sy = (int)lround(b->y + b->h / 2);
  if (photo_matte_composite(s->p, &a->work, &a->mask, &a->fgr, &a->body, &s->f, sx, sy, &a->std, &a->std_mask,
                            &s->undecided, &s->frag, &s->corr, err))
    return -1;
  s->conf = fmax(0, 1 - s->undecided / (2 * PHOTO_MAX_UNDECIDED_PX));
  s->have_matte = 1;
  json_object_set_new(
      s->r->report, "correction",
      json_pack("{s:[o,o,o], s:o, s:o}", "white_balance_gain", round3(s->corr.gain[0]), round3(s->corr.gain[1]),
                round3(s->corr.gain[2]), "gamma", round3(s->corr.gamma), "face_luma", round3(s->corr.face_luma)));
  a->seg_confidence = s->conf;
  if (s->undecided > PHOTO_MAX_UNDECIDED_PX || s->frag > PHOTO_MAX_FRAGMENTS)
    return photo_refuse(err, "BACKGROUND_TOO_COMPLEX");
  return 0;
}

static int stage_encode(photo_run *s, err_t *err) {
  const photo_profile *p = s->p;
  photo_result *r = s->r;
  if (photo_encode_jpeg(&s->a->std, p->dpi, p->min_quality, p->min_bytes, p->max_bytes, &r->jpeg, &r->jpeg_len,
                        &r->jpeg_quality, err))
    return -1;
  json_object_set_new(r->report, "output",
                      json_pack("{s:i, s:i, s:i, s:I, s:i}", "width", p->width, "height", p->height, "dpi", p->dpi,
                                "bytes", (json_int_t)r->jpeg_len, "quality", r->jpeg_quality));
  return 0;
}

/* The pipeline, declared once: every stage has the same shape, is timed here and named in the
 * report's timing_ms (and in bench/photo.sh) by this table. */
static const struct {
  const char *name;
  int (*run)(photo_run *s, err_t *err);
} stages[PHOTO_STAGE_COUNT] = {
    [PHOTO_STAGE_DECODE] = {"decode", stage_decode},
    [PHOTO_STAGE_DETECT] = {"detect", stage_detect},
    [PHOTO_STAGE_LANDMARKS] = {"landmarks", stage_landmarks},
    [PHOTO_STAGE_MATTING] = {"matting", stage_matting},
    [PHOTO_STAGE_SEGMENT] = {"segment", stage_segment},
    [PHOTO_STAGE_FRAME] = {"frame", stage_frame},
    [PHOTO_STAGE_MATTE] = {"matte", stage_matte},
    [PHOTO_STAGE_ENCODE] = {"encode", stage_encode},
};

const char *photo_stage_name(int stage) { return stage >= 0 && stage < PHOTO_STAGE_COUNT ? stages[stage].name : ""; }

int photo_standardize(photo_engine *e, const void *bytes, size_t len, const photo_profile *p, photo_result *r,
                      err_t *err) {
  memset(r, 0, sizeof *r);
  photo_analysis *a = &r->analysis;
  a->subject = -1;
  a->jpeg_quality_estimate = -1;
  a->file_bytes = (int64_t)len;
  r->report = json_object();
  photo_run *s = xcalloc(1, sizeof *s);
  *s = (photo_run){.e = e, .p = p, .bytes = bytes, .len = len, .r = r, .a = a, .corr = {{1, 1, 1}, 1, 0}};
  err_t e2 = {0};
  double t_start = clock_mono_s();
  for (int i = 0; i < PHOTO_STAGE_COUNT; i++) {
    double t = clock_mono_s();
    int rc = stages[i].run(s, &e2);
    r->stage_ms[i] = (clock_mono_s() - t) * 1000.0;
    if (rc) break;
  }
  r->total_ms = (clock_mono_s() - t_start) * 1000.0;
  if (err_is_set(&e2)) {
    if (e2.status != PHOTO_REFUSAL) {
      if (err) *err = e2;
      json_decref(r->report);
      r->report = NULL;
      photo_analysis_free(a);
      free(s);
      return -1;
    }
    r->refused = 1;
    snprintf(r->reason, sizeof r->reason, "%s", e2.code);
    snprintf(r->message, sizeof r->message, "%s", e2.message);
    free(r->jpeg);
    r->jpeg = NULL;
    r->jpeg_len = 0;
  }
  report_finish(r, p, &s->f, s->have_frame, s->conf, s->frag, s->undecided, s->have_matte);
  free(s);
  /* A photo's buffers come and go in sizes that fragment the heap; hand the free pages back so
   * that a long-running worker's memory stays at one photo's worth, not at the worst mix. */
  malloc_trim(0);
  return 0;
}

/* detect + landmarks on a->work, for photo_analyze*: the refusals of detection (no face, several
 * faces) are the checks' to report, not errors here. */
static int analyze_work(photo_engine *e, photo_analysis *a, err_t *err) {
  photo_result r;
  memset(&r, 0, sizeof r);
  r.report = json_object();
  photo_run s = {.e = e, .r = &r, .a = a};
  err_t e2 = {0};
  int rc = stages[PHOTO_STAGE_DETECT].run(&s, &e2);
  if (rc && e2.status == PHOTO_REFUSAL) rc = 0, err_clear(&e2);
  if (!rc && a->subject >= 0) rc = stages[PHOTO_STAGE_LANDMARKS].run(&s, &e2);
  json_decref(r.report);
  if (rc) {
    if (err) *err = e2;
    photo_analysis_free(a);
    return -1;
  }
  return 0;
}

int photo_analyze(photo_engine *e, const void *bytes, size_t len, int max_side, photo_analysis *a, err_t *err) {
  memset(a, 0, sizeof *a);
  a->subject = -1;
  photo_decoded d;
  if (photo_decode(bytes, len, &e->limits, max_side > 0 ? max_side : PHOTO_WORK_SIDE, &d, err)) return -1;
  a->work = d.work;
  a->work_scale = d.scale;
  a->orig_w = d.orig_w;
  a->orig_h = d.orig_h;
  a->jpeg_quality_estimate = d.jpeg_quality;
  a->file_bytes = (int64_t)len;
  return analyze_work(e, a, err);
}

int photo_analyze_rgb(photo_engine *e, const uint8_t *rgb, int w, int h, int jpeg_quality, photo_analysis *a,
                      err_t *err) {
  memset(a, 0, sizeof *a);
  a->subject = -1;
  if (!rgb || w < 16 || h < 16 || w > 20000 || h > 20000) return err_set(err, 400, "BAD_IMAGE", "照片尺寸不正确");
  size_t n = (size_t)w * h * 3;
  a->work.px = xmalloc(n);
  memcpy(a->work.px, rgb, n);
  a->work.w = w;
  a->work.h = h;
  a->work_scale = 1.0;
  a->orig_w = w;
  a->orig_h = h;
  a->jpeg_quality_estimate = jpeg_quality;
  return analyze_work(e, a, err);
}

int photo_segment_probe(photo_engine *e, const void *bytes, size_t len, uint8_t *rgb256, float *prob, err_t *err) {
  photo_decoded d;
  if (photo_decode(bytes, len, &e->limits, PHOTO_WORK_SIDE, &d, err)) return -1;
  char why[256] = "";
  int rc = vision_resize_rgb(d.work.px, d.work.w, d.work.h, rgb256, 256, 256);
  if (rc == 0) rc = vision_segment_raw(e->v, rgb256, prob, why, sizeof why);
  free(d.work.px);
  if (rc) return err_set(err, 0, "segmentation_failed", "%s", why[0] ? why : "resize failed");
  return 0;
}

/* The dev photos (../shared/photos/dev) each give a conformant photo or a refusal with a reason,
 * and every conformant photo passes an independent re-measurement (tests/unit/support/
 * photo_remeasure.c: hand-parsed markers, libvips decode, background-colour geometry, Haar eyes)
 * and a clean cut judged from the output alone (photo_cut_quality.c: no specks, no veil of the old
 * wall, no rim).
 * The negatives (../shared/photos/negative) are refused with the right code. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>
#include <vips/vips.h>

#include "photo/photo.h"
#include "photo_cut_quality.h"
#include "photo_remeasure.h"

/* At least this many of the 36 dev photos conform. The five refused, each for what the photo
 * shows: deepface_img16, img27 and img28 (the hair crosses the photo's top edge: the new room above
 * would show a flat top), img24 and img30 (a face close-up without shoulders: none are invented). */
#define MIN_CONFORMANT 31

static photo_engine *engine;
static photo_profile *profile;

static int setup(void **state) {
  (void)state;
  err_t err = {0};
  engine = photo_engine_open(NULL, &err);
  if (!engine) {
    fprintf(stderr, "engine: %s\n", err.message);
    return -1;
  }
  profile = photo_profile_load(photo_default_profiles_dir(), "chsi-blue", &err);
  if (!profile) {
    fprintf(stderr, "profile: %s\n", err.message);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  photo_profile_free(profile);
  photo_engine_close(engine);
  /* Joins libvips' worker threads now rather than letting them time out while LeakSanitizer
   * stops the world at exit (a thread exiting then makes LSan abort). */
  vips_shutdown();
  return 0;
}

static char *shared_path(const char *rel) {
  const char *shared = getenv("TUCAI_SHARED");
  return g_strdup_printf("%s/%s", shared && *shared ? shared : TUCAI_SOURCE_DIR "/../shared", rel);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int list_photos(const char *dir, char **names, int max) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < max)
    if (e->d_name[0] != '.') names[n++] = g_strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof names[0], cmp_str);
  return n;
}

static const char *const photo_reasons[] = {
    "NO_FACE",         "MULTIPLE_FACES",         "FACE_TOO_SMALL",   "HEAD_CUT_OFF",
    "NOT_ENOUGH_BODY", "BACKGROUND_TOO_COMPLEX", "FACE_PROPORTIONS", NULL};

static int is_photo_reason(const char *r) {
  for (int i = 0; photo_reasons[i]; i++)
    if (!strcmp(photo_reasons[i], r)) return 1;
  return 0;
}

/* Appends a failure line; the test fails at the end with all of them listed. */
static void note(GString *fails, const char *name, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  g_string_append_printf(fails, "  %s: ", name);
  g_string_append_vprintf(fails, fmt, ap);
  g_string_append_c(fails, '\n');
  va_end(ap);
}

static void check_output(const char *name, const photo_result *r, GString *fails, int *eyes_found) {
  const photo_profile *p = profile;
  remeasure m;
  if (photo_remeasure(r->jpeg, r->jpeg_len, p->background, &m)) {
    note(fails, name, "output is not a decodable JPEG");
    return;
  }
  if (m.width != p->width || m.height != p->height) note(fails, name, "size %dx%d", m.width, m.height);
  if (!m.jfif || m.density_unit != 1 || m.xdensity != p->dpi || m.ydensity != p->dpi)
    note(fails, name, "JFIF density %d/%d unit %d", m.xdensity, m.ydensity, m.density_unit);
  if (m.has_exif || m.has_icc || m.has_other_app) note(fails, name, "metadata left in the file");
  if (!m.q_ok) note(fails, name, "JPEG quality below 60");
  if ((long)r->jpeg_len < p->min_bytes || (long)r->jpeg_len > p->max_bytes)
    note(fails, name, "%zu bytes outside %ld-%ld", r->jpeg_len, p->min_bytes, p->max_bytes);
  for (int c = 0; c < 3; c++)
    if (fabs(m.bg_top_left[c] - p->background[c]) > 12 || fabs(m.bg_top_right[c] - p->background[c]) > 12) {
      note(fails, name, "top corners are not the background colour");
      break;
    }
  if (m.bg_side_fraction < 0.9) note(fails, name, "side borders only %.2f background", m.bg_side_fraction);
  if (m.crown_y < p->crown_y.lo - 8 || m.crown_y > p->crown_y.hi + 8)
    note(fails, name, "crown at %d, band %.0f-%.0f", m.crown_y, p->crown_y.lo, p->crown_y.hi);
  if (fabs(m.head_center_x - p->width / 2.0) > 0.08 * p->width)
    note(fails, name, "head centre at x %.0f", m.head_center_x);
  if (m.eyes_found) {
    (*eyes_found)++;
    if (m.eye_y < p->eye_y.lo - 20 || m.eye_y > p->eye_y.hi + 20) note(fails, name, "eyes at y %.0f", m.eye_y);
  }
  /* The engine's own claims: inside every band, and close to what was re-measured. */
  json_t *g = json_object_get(r->report, "geometry");
  double eye = json_number_value(json_object_get(g, "eye_y")), crown = json_number_value(json_object_get(g, "crown_y"));
  double fw = json_number_value(json_object_get(g, "face_width"));
  if (eye < p->eye_y.lo || eye > p->eye_y.hi || crown < p->crown_y.lo || crown > p->crown_y.hi ||
      fw < p->face_width.lo || fw > p->face_width.hi)
    note(fails, name, "report geometry outside the bands (eye %.0f crown %.0f face %.0f)", eye, crown, fw);
  if (fabs(crown - m.crown_y) > 25) note(fails, name, "report crown %.0f vs measured %d", crown, m.crown_y);
  cut_quality q;
  if (cut_quality_measure_jpeg(r->jpeg, r->jpeg_len, p->background, &q)) {
    note(fails, name, "cut quality: not decodable");
  } else if (!cut_quality_clean(&q)) {
    note(fails, name, "cut: specks %ld px (largest %ld), veil %ld px, rim %.1f %%", q.speck_px, q.largest_speck,
         q.ghost_px, 100 * q.rim_ratio);
  }
  /* The analysis handed to the checks is complete. */
  const photo_analysis *a = &r->analysis;
  if (a->std.w != p->width || a->std.h != p->height || !a->std.px || !a->std_mask.px || !a->has_landmarks ||
      a->subject < 0 || a->mask.w != a->work.w || !a->work.px || a->work_scale <= 0)
    note(fails, name, "analysis incomplete");
}

static void dev_photos_conform_or_are_refused_with_a_reason(void **state) {
  (void)state;
  char *dir = shared_path("photos/dev");
  char *names[128];
  int n = list_photos(dir, names, 128);
  assert_true(n >= 30);
  GString *fails = g_string_new(NULL);
  int ok = 0, eyes = 0;
  for (int i = 0; i < n; i++) {
    char *path = g_strdup_printf("%s/%s", dir, names[i]);
    gchar *buf = NULL;
    gsize len = 0;
    assert_true(g_file_get_contents(path, &buf, &len, NULL));
    photo_result r;
    err_t err = {0};
    int rc = photo_standardize(engine, buf, len, profile, &r, &err);
    if (rc) {
      note(fails, names[i], "engine error %s", err.message);
    } else if (r.refused) {
      printf("  %-32s refused %-22s %s\n", names[i], r.reason, r.message);
      if (!is_photo_reason(r.reason)) note(fails, names[i], "refused with %s", r.reason);
      if (!r.message[0] || r.jpeg) note(fails, names[i], "refusal without message or with output");
      if (strcmp(json_string_value(json_object_get(r.report, "reason")), r.reason))
        note(fails, names[i], "report reason differs");
    } else {
      ok++;
      printf("  %-32s conformant %zu bytes q%d %.0f ms\n", names[i], r.jpeg_len, r.jpeg_quality, r.total_ms);
      check_output(names[i], &r, fails, &eyes);
    }
    if (!rc) photo_result_free(&r);
    g_free(buf);
    g_free(path);
    g_free(names[i]);
  }
  printf("  %d of %d conformant; Haar cascades found the eyes in %d of them\n", ok, n, eyes);
  if (fails->len) fprintf(stderr, "re-measurement failures:\n%s", fails->str);
  assert_int_equal(fails->len, 0);
  assert_true(ok >= MIN_CONFORMANT);
  /* The eye check must actually have run on most outputs. */
  assert_true(eyes * 2 >= ok);
  g_string_free(fails, TRUE);
  g_free(dir);
}

static void negatives_are_refused_with_the_right_code(void **state) {
  (void)state;
  static const struct {
    const char *file, *reason;
  } cases[] = {{"deepface_couple.jpg", "MULTIPLE_FACES"},
               {"deepface_selfie_many_people.jpg", "MULTIPLE_FACES"},
               {"dlib_dogs.jpg", "NO_FACE"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *path = shared_path("photos/negative");
    char *file = g_strdup_printf("%s/%s", path, cases[i].file);
    gchar *buf = NULL;
    gsize len = 0;
    assert_true(g_file_get_contents(file, &buf, &len, NULL));
    photo_result r;
    err_t err = {0};
    assert_int_equal(photo_standardize(engine, buf, len, profile, &r, &err), 0);
    printf("  %-32s %s\n", cases[i].file, r.refused ? r.reason : "conformant");
    assert_true(r.refused);
    assert_string_equal(r.reason, cases[i].reason);
    assert_null(r.jpeg);
    photo_result_free(&r);
    g_free(buf);
    g_free(file);
    g_free(path);
  }
}

/* The server's workers share one engine: the dev photos standardized on three threads at once
 * give the same answers as one after another (this caught net outputs read after the lock). */
#define THREADS 3
typedef struct job {
  gchar *bytes;
  gsize len;
  char reason[48];
  double eye_y, crown_y;
} job;

typedef struct lane {
  job *jobs;
  int n, first;
} lane;

static void run_job(job *j) {
  photo_result r;
  err_t err = {0};
  assert_int_equal(photo_standardize(engine, j->bytes, j->len, profile, &r, &err), 0);
  snprintf(j->reason, sizeof j->reason, "%s", r.refused ? r.reason : "conformant");
  json_t *g = json_object_get(r.report, "geometry");
  j->eye_y = json_number_value(json_object_get(g, "eye_y"));
  j->crown_y = json_number_value(json_object_get(g, "crown_y"));
  photo_result_free(&r);
}

static gpointer worker(gpointer data) {
  lane *l = data;
  for (int i = l->first; i < l->n; i += THREADS) run_job(&l->jobs[i]);
  return NULL;
}

static void engine_gives_the_same_answers_on_several_threads(void **state) {
  (void)state;
  char *dir = shared_path("photos/dev");
  char *names[128];
  int n = list_photos(dir, names, 128);
  job *seq = calloc(n, sizeof *seq), *par = calloc(n, sizeof *par);
  for (int i = 0; i < n; i++) {
    char *path = g_strdup_printf("%s/%s", dir, names[i]);
    assert_true(g_file_get_contents(path, &seq[i].bytes, &seq[i].len, NULL));
    g_free(path);
    run_job(&seq[i]);
    par[i].bytes = seq[i].bytes;
    par[i].len = seq[i].len;
  }
  lane lanes[THREADS];
  GThread *th[THREADS];
  for (int t = 0; t < THREADS; t++) {
    lanes[t] = (lane){par, n, t};
    th[t] = g_thread_new("photo", worker, &lanes[t]);
  }
  for (int t = 0; t < THREADS; t++) g_thread_join(th[t]);
  for (int i = 0; i < n; i++) {
    if (strcmp(par[i].reason, seq[i].reason)) fprintf(stderr, "%s: %s vs %s\n", names[i], par[i].reason, seq[i].reason);
    assert_string_equal(par[i].reason, seq[i].reason);
    assert_true(fabs(par[i].eye_y - seq[i].eye_y) < 1e-6);
    assert_true(fabs(par[i].crown_y - seq[i].crown_y) < 1e-6);
    g_free(seq[i].bytes);
    g_free(names[i]);
  }
  free(seq);
  free(par);
  g_free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(dev_photos_conform_or_are_refused_with_a_reason),
      cmocka_unit_test(negatives_are_refused_with_the_right_code),
      cmocka_unit_test(engine_gives_the_same_answers_on_several_threads),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

/* bench_checks: time of the automatic checks per photo, and their precision and recall on the dev
 * photos against the reviewer's labels.
 *
 *   bench_checks [--profile NAME] [--reps N] [--landmarks-only] [--show ID] [DIR] [LABELS.json]
 *
 * DIR defaults to $TUCAI_SHARED/photos/dev (else ../shared/photos/dev), LABELS to
 * $TUCAI_SOURCE/tests/data/check_labels.json. Each photo is analysed as `tucai photo check` does:
 * by the engine's standardize (detection, landmarks, person mask), or with --landmarks-only by
 * the engine's detection and landmarks alone, no mask. That analysis is timed apart: it belongs to the engine, not to the checks. One thread; photo_checks_run is repeated N times per
 * photo and the median taken. A check "flags" a photo when its status is warn or fail; the labels
 * list, per photo, the checks a careful reviewer says are broken. --show ID lists, for check ID,
 * every photo's value, status and label, sorted by value (where a threshold would cut). Precision
 * and recall are printed for all photos and for two halves (even and odd places by name): features
 * and thresholds are tuned on the even half, the odd half is held out.
 * --crops ID DIR writes, per photo, DIR/<photo>.png: the work image around check ID's region (the
 * region grown by its own size on each side) with the region outlined in red, 240 px tall, to look
 * at where each check judges (bench_contact_sheet puts them on one page). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vips/vips.h>

#include "photo/checks/check_analyze.h"
#include "photo/checks/checks.h"
#include "photo/photo.h"
#include "util/xmalloc.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int cmp_s(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The work image around `region` (original pixels, as reports give it), the region outlined in
 * red, saved as a PNG 240 px tall. */
static void save_crop(const photo_analysis *a, const json_t *region, const char *path) {
  double s = a->work_scale > 0 ? a->work_scale : 1.0;
  int x = (int)(json_integer_value(json_array_get(region, 0)) * s),
      y = (int)(json_integer_value(json_array_get(region, 1)) * s);
  int w = (int)(json_integer_value(json_array_get(region, 2)) * s),
      h = (int)(json_integer_value(json_array_get(region, 3)) * s);
  if (w < 1 || h < 1) return;
  VipsImage *img = vips_image_new_from_memory_copy(a->work.px, (size_t)a->work.w * a->work.h * 3, a->work.w, a->work.h,
                                                   3, VIPS_FORMAT_UCHAR);
  if (!img) return;
  double red[3] = {255, 0, 0};
  for (int t = 0; t < 2; t++) vips_draw_rect(img, red, 3, x - t, y - t, w + 2 * t, h + 2 * t, NULL);
  int cx0 = x - w < 0 ? 0 : x - w, cy0 = y - h < 0 ? 0 : y - h;
  int cx1 = x + 2 * w > a->work.w ? a->work.w : x + 2 * w, cy1 = y + 2 * h > a->work.h ? a->work.h : y + 2 * h;
  VipsImage *cut = NULL, *small = NULL;
  if (!vips_extract_area(img, &cut, cx0, cy0, cx1 - cx0, cy1 - cy0, NULL) &&
      !vips_resize(cut, &small, 240.0 / (cy1 - cy0), NULL))
    vips_pngsave(small, path, NULL);
  if (small) g_object_unref(small);
  if (cut) g_object_unref(cut);
  g_object_unref(img);
}

static int labelled(const json_t *labels, const char *photo, const char *id) {
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(labels, photo), i, v) {
    if (strcmp(json_string_value(v), id) == 0) return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (VIPS_INIT(argv[0])) return 1;
  const char *profile = "chsi-blue", *dir = NULL, *labels_path = NULL, *show = NULL;
  const char *crops_id = NULL, *crops_dir = NULL;
  int reps = 20, landmarks_only = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
      profile = argv[++i];
    else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
      reps = atoi(argv[++i]);
    else if (strcmp(argv[i], "--landmarks-only") == 0)
      landmarks_only = 1;
    else if (strcmp(argv[i], "--show") == 0 && i + 1 < argc)
      show = argv[++i];
    else if (strcmp(argv[i], "--crops") == 0 && i + 2 < argc)
      crops_id = argv[++i], crops_dir = argv[++i];
    else if (!dir)
      dir = argv[i];
    else
      labels_path = argv[i];
  }
  if (reps < 1) reps = 1;
  char dbuf[1024], lbuf[1024];
  const char *shared = getenv("TUCAI_SHARED"), *source = getenv("TUCAI_SOURCE");
  if (!dir) {
    snprintf(dbuf, sizeof dbuf, "%s/photos/dev", shared ? shared : "../shared");
    dir = dbuf;
  }
  if (!labels_path) {
    snprintf(lbuf, sizeof lbuf, "%s/tests/data/check_labels.json", source ? source : TUCAI_SOURCE_DIR);
    labels_path = lbuf;
  }
  err_t err;
  json_t *cfg = photo_checks_profile_config(profile, &err);
  if (!cfg) {
    fprintf(stderr, "bench_checks: %s\n", err.message);
    return 1;
  }
  photo_engine *engine = photo_engine_open(NULL, &err);
  if (!engine) {
    fprintf(stderr, "bench_checks: %s\n", err.message);
    return 1;
  }
  json_error_t je;
  json_t *labels_file = json_load_file(labels_path, 0, &je);
  json_t *labels = json_object_get(labels_file, "photos");
  if (!labels) fprintf(stderr, "bench_checks: no labels (%s): precision/recall skipped\n", je.text);

  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "bench_checks: cannot open %s\n", dir);
    return 1;
  }
  char *names[512];
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) && n < 512) {
    size_t l = strlen(de->d_name);
    if (l > 4 && (strcasecmp(de->d_name + l - 4, ".jpg") == 0 || strcasecmp(de->d_name + l - 4, ".png") == 0))
      names[n++] = xstrdup(de->d_name);
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof *names, cmp_s);

  enum { NCHK = 64 };
  int tp[NCHK] = {0}, fp[NCHK] = {0}, fn[NCHK] = {0}, tn[NCHK] = {0};
  /* The same per half of the photos (sorted by name, even and odd places): thresholds and
   * features are tuned looking at the even half only; the odd half is held out. */
  int htp[2][NCHK] = {{0}}, hfp[2][NCHK] = {{0}}, hfn[2][NCHK] = {{0}};
  double *check_ms = xcalloc((size_t)n + 1, sizeof(double)), *find_ms = xcalloc((size_t)n + 1, sizeof(double));
  double *runs = xcalloc((size_t)reps, sizeof(double));
  int done = 0, n_shown = 0;
  struct shown {
    double value;
    char status[8];
    int label;
    const char *name;
    char *detail; /* the check's detail, compact JSON (NULL when none) */
  } *shown = xcalloc((size_t)n + 1, sizeof *shown);
  printf("analysis: %s\n",
         landmarks_only ? "detection and landmarks only, no person mask" : "the engine's standardize");
  printf("%-32s %8s %8s %5s %5s\n", "photo", "anal. ms", "checks", "fail", "warn");
  for (int i = 0; i < n; i++) {
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    gchar *buf = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &buf, &len, NULL)) continue;
    photo_analysis a;
    double t0 = now_ms();
    int rc = landmarks_only ? photo_analyze(engine, buf, len, CHECKS_WORK_SIDE, &a, &err)
                            : checks_analyze_engine(engine, buf, len, profile, &a, &err);
    double t1 = now_ms();
    g_free(buf);
    if (rc) {
      printf("%-32s error: %s\n", names[i], err.message);
      continue;
    }
    json_t *report = NULL;
    for (int r = 0; r < reps; r++) {
      json_decref(report);
      double s = now_ms();
      if (photo_checks_run(engine, &a, cfg, &report, &err)) {
        fprintf(stderr, "bench_checks: %s\n", err.message);
        return 1;
      }
      runs[r] = now_ms() - s;
    }
    qsort(runs, (size_t)reps, sizeof(double), cmp_d);
    check_ms[done] = runs[reps / 2];
    find_ms[done] = t1 - t0;
    int fails, warns;
    photo_checks_count(report, &fails, &warns);
    printf("%-32s %8.1f %8.2f %5d %5d\n", names[i], find_ms[done], check_ms[done], fails, warns);
    done++;
    if (labels && json_object_get(labels, names[i])) {
      size_t k;
      json_t *o;
      json_array_foreach(json_object_get(report, "checks"), k, o) {
        const char *id = json_string_value(json_object_get(o, "id"));
        int flagged = strcmp(json_string_value(json_object_get(o, "status")), "pass") != 0;
        int truth = labelled(labels, names[i], id);
        if (crops_id && strcmp(id, crops_id) == 0) {
          char cp[2048];
          snprintf(cp, sizeof cp, "%s/%.*s.png", crops_dir, (int)(strrchr(names[i], '.') - names[i]), names[i]);
          save_crop(&a, json_object_get(o, "region"), cp);
        }
        if (show && strcmp(id, show) == 0) {
          struct shown *sh = &shown[n_shown++];
          sh->value = json_number_value(json_object_get(o, "value"));
          snprintf(sh->status, sizeof sh->status, "%s", json_string_value(json_object_get(o, "status")));
          sh->label = truth;
          sh->name = names[i];
          json_t *det = json_object_get(o, "detail");
          sh->detail = det ? json_dumps(det, JSON_COMPACT | JSON_REAL_PRECISION(3)) : NULL;
        }
        for (int c = 0; photo_check_catalog[c].id && c < NCHK; c++)
          if (strcmp(photo_check_catalog[c].id, id) == 0) {
            tp[c] += flagged && truth, fp[c] += flagged && !truth;
            fn[c] += !flagged && truth, tn[c] += !flagged && !truth;
            htp[i % 2][c] += flagged && truth, hfp[i % 2][c] += flagged && !truth, hfn[i % 2][c] += !flagged && truth;
          }
      }
    }
    json_decref(report);
    photo_analysis_free(&a);
  }
  if (done) {
    qsort(check_ms, (size_t)done, sizeof(double), cmp_d);
    qsort(find_ms, (size_t)done, sizeof(double), cmp_d);
    printf("\nchecks per photo (one thread, profile %s): median %.2f ms, p90 %.2f ms, max %.2f ms over %d photos\n",
           profile, check_ms[done / 2], check_ms[(int)(done * 0.9)], check_ms[done - 1], done);
    printf("analysis (engine or landmarks, not part of the checks): median %.1f ms\n", find_ms[done / 2]);
  }
  if (labels) {
    printf("\n%-24s %4s %4s %4s %4s %10s %8s %13s %13s\n", "check", "TP", "FP", "FN", "TN", "precision", "recall",
           "tune P/R", "held-out P/R");
    for (int c = 0; photo_check_catalog[c].id && c < NCHK; c++) {
      char p[16] = "-", r[16] = "-";
      if (tp[c] + fp[c]) snprintf(p, sizeof p, "%.2f", (double)tp[c] / (tp[c] + fp[c]));
      if (tp[c] + fn[c]) snprintf(r, sizeof r, "%.2f", (double)tp[c] / (tp[c] + fn[c]));
      char half[2][24];
      for (int k = 0; k < 2; k++) {
        char hp[8] = "-", hr[8] = "-";
        if (htp[k][c] + hfp[k][c]) snprintf(hp, sizeof hp, "%.2f", (double)htp[k][c] / (htp[k][c] + hfp[k][c]));
        if (htp[k][c] + hfn[k][c]) snprintf(hr, sizeof hr, "%.2f", (double)htp[k][c] / (htp[k][c] + hfn[k][c]));
        snprintf(half[k], sizeof half[k], "%s/%s", hp, hr);
      }
      printf("%-24s %4d %4d %4d %4d %10s %8s %13s %13s\n", photo_check_catalog[c].id, tp[c], fp[c], fn[c], tn[c], p, r,
             half[0], half[1]);
    }
    printf(
        "(precision '-' = never flagged; recall '-' = no photo labelled with that problem; tune = photos at even\n"
        " places by name, held-out = odd places)\n");
  }
  if (show) {
    /* Insertion sort: a few dozen photos. */
    for (int i = 1; i < n_shown; i++)
      for (int j = i; j > 0 && shown[j - 1].value > shown[j].value; j--) {
        struct shown t = shown[j];
        shown[j] = shown[j - 1];
        shown[j - 1] = t;
      }
    printf("\n%s per photo, by value:\n%-32s %8s %6s %s\n", show, "photo", "value", "status", "labelled");
    for (int i = 0; i < n_shown; i++)
      printf("%-32s %8.4f %6s %3s %s\n", shown[i].name, shown[i].value, shown[i].status, shown[i].label ? "yes" : "",
             shown[i].detail ? shown[i].detail : "");
    for (int i = 0; i < n_shown; i++) free(shown[i].detail);
  }
  free(shown);
  for (int i = 0; i < n; i++) free(names[i]);
  free(check_ms);
  free(find_ms);
  free(runs);
  json_decref(labels_file);
  json_decref(cfg);
  photo_engine_close(engine);
  return 0;
}

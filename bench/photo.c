/* bench_photo: the photo engine's speed and memory, printed as numbers.
 *
 * On one thread (OpenCV and libvips both limited to one), over every photo in
 * $TUCAI_SHARED/photos/dev (default <source>/../shared/photos/dev):
 *   - model loading, timed apart (the server loads the models once);
 *   - per stage and total: median and p90 milliseconds per photo, at the photos' own size and
 *     again with each photo scaled up to about 12 megapixels (re-encoded as JPEG in memory first);
 *   - the floor, measured in the same run on the same bytes: a bare decode (the same
 *     shrink-on-load decode the engine does) plus one JPEG encode of a 480x640 crop;
 *   - peak resident memory of a fresh process that loads the models and standardizes the 12 MP
 *     photos one after another, as a server worker would (the timing process holds the whole
 *     corpus in memory, so its own peak says little).
 * Usage: bench_photo [ROUNDS] (default 3 rounds over the set). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vips/vips.h>

#include "photo/stages.h"
#include "util/clock.h"
#include "util/malloc_policy.h"
#include "util/xmalloc.h"

typedef struct sample {
  double stage[PHOTO_STAGE_COUNT], total, floor;
} sample;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double quantile(double *v, int n, double q) {
  qsort(v, n, sizeof v[0], cmp_double);
  int i = (int)(q * (n - 1) + 0.5);
  return n ? v[i] : 0;
}

static long peak_rss_mb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

/* Resident memory now (not the peak), from /proc/self/statm. */
static long rss_now_mb(void) {
  long pages = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(f);
  }
  return resident * sysconf(_SC_PAGESIZE) / (1024 * 1024);
}

/* The floor for one file: decode as the engine does, encode a 480x640 crop once. */
static double floor_ms(const uint8_t *bytes, size_t len) {
  photo_limits lim = {20L * 1024 * 1024, 50L * 1000 * 1000};
  double t0 = clock_mono_s();
  photo_decoded d;
  err_t err = {0};
  if (photo_decode(bytes, len, &lim, PHOTO_WORK_SIDE, &d, &err)) return -1;
  int w = d.work.w < 480 ? d.work.w : 480, h = d.work.h < 640 ? d.work.h : 640;
  photo_rgb crop = {w, h, xmalloc((size_t)w * h * 3)};
  for (int y = 0; y < h; y++) memcpy(crop.px + (size_t)y * w * 3, d.work.px + (size_t)y * d.work.w * 3, (size_t)w * 3);
  uint8_t *out = NULL;
  size_t out_len = 0;
  photo_encode_jpeg_fixed(&crop, 300, 85, &out, &out_len);
  double ms = (clock_mono_s() - t0) * 1000.0;
  free(out);
  free(crop.px);
  free(d.work.px);
  return ms;
}

/* Scales a photo up so that it has about 12 megapixels, as a phone's JPEG would. */
static int to_12mp(const uint8_t *bytes, size_t len, uint8_t **out, size_t *out_len) {
  VipsImage *im = vips_image_new_from_buffer(bytes, len, "", NULL), *big = NULL, *rot = NULL;
  if (!im) return -1;
  if (vips_autorot(im, &rot, NULL)) {
    g_object_unref(im);
    return -1;
  }
  double scale = sqrt(12e6 / ((double)vips_image_get_width(rot) * vips_image_get_height(rot)));
  int rc = vips_resize(rot, &big, scale, NULL);
  void *buf = NULL;
  if (!rc) rc = vips_jpegsave_buffer(big, &buf, out_len, "Q", 90, NULL);
  *out = buf;
  if (big) g_object_unref(big);
  g_object_unref(rot);
  g_object_unref(im);
  return rc;
}

static void report(const char *title, sample *s, int n) {
  double *v = xmalloc(sizeof(double) * (n ? n : 1));
  printf("\n%s: %d runs\n%-12s %10s %10s\n", title, n, "stage", "median ms", "p90 ms");
  for (int st = 0; st < PHOTO_STAGE_COUNT; st++) {
    for (int i = 0; i < n; i++) v[i] = s[i].stage[st];
    double med = quantile(v, n, 0.5), p90 = quantile(v, n, 0.9);
    printf("%-12s %10.1f %10.1f\n", photo_stage_name(st), med, p90);
  }
  for (int i = 0; i < n; i++) v[i] = s[i].total;
  double tmed = quantile(v, n, 0.5), tp90 = quantile(v, n, 0.9);
  printf("%-12s %10.1f %10.1f\n", "total", tmed, tp90);
  for (int i = 0; i < n; i++) v[i] = s[i].floor;
  double fmed = quantile(v, n, 0.5), fp90 = quantile(v, n, 0.9);
  printf("%-12s %10.1f %10.1f\n", "floor", fmed, fp90);
  printf("total / floor (medians): %.2fx\n", fmed > 0 ? tmed / fmed : 0);
  free(v);
}

/* Child mode: `bench_photo --peak DIR`: models, then every file of DIR, one at a time. */
static int peak_child(const char *dir) {
  err_t err = {0};
  photo_engine *e = photo_engine_open(NULL, &err);
  photo_profile *p = photo_profile_load(photo_default_profiles_dir(), "chsi-blue", &err);
  if (!e || !p) return 1;
  long after_models = peak_rss_mb();
  DIR *d = opendir(dir);
  struct dirent *de;
  int n = 0;
  while (d && (de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    gchar *buf;
    gsize len;
    if (!g_file_get_contents(path, &buf, &len, NULL)) continue;
    photo_result r;
    if (photo_standardize(e, buf, len, p, &r, &err) == 0) photo_result_free(&r);
    g_free(buf);
    n++;
    if (getenv("TUCAI_BENCH_TRACE"))
      fprintf(stderr, "%s: rss %ld MB, peak %ld MB\n", de->d_name, rss_now_mb(), peak_rss_mb());
  }
  if (d) closedir(d);
  printf("%ld %ld %d\n", after_models, peak_rss_mb(), n);
  photo_profile_free(p);
  photo_engine_close(e);
  return 0;
}

static void measure_peak(uint8_t **big, size_t *big_lens, int n) {
  char dir[] = "/tmp/tucai-bench-XXXXXX";
  if (!mkdtemp(dir)) return;
  for (int i = 0; i < n; i++) {
    if (!big[i]) continue;
    char path[256];
    snprintf(path, sizeof path, "%s/%03d.jpg", dir, i);
    g_file_set_contents(path, (const gchar *)big[i], (gssize)big_lens[i], NULL);
  }
  char cmd[512];
  snprintf(cmd, sizeof cmd, "/proc/%d/exe --peak %s", (int)getpid(), dir);
  FILE *f = popen(cmd, "r");
  long models = 0, peak = 0;
  int count = 0;
  if (f) {
    if (fscanf(f, "%ld %ld %d", &models, &peak, &count) != 3) count = 0;
    pclose(f);
  }
  if (count)
    printf(
        "\npeak RSS, fresh process standardizing the %d 12 MP photos one by one: %ld MB "
        "(%ld MB of it models and libraries, %ld MB for the photo at work)\n",
        count, peak, models, peak - models);
  if (getenv("TUCAI_BENCH_KEEP")) {
    printf("12 MP photos kept in %s\n", dir);
    return;
  }
  for (int i = 0; i < n; i++) {
    char path[256];
    snprintf(path, sizeof path, "%s/%03d.jpg", dir, i);
    unlink(path);
  }
  rmdir(dir);
}

int main(int argc, char **argv) {
  malloc_policy_apply(); /* as the tucai binary does */
  if (argc == 3 && !strcmp(argv[1], "--peak")) {
    if (VIPS_INIT(argv[0])) return 1;
    vips_concurrency_set(1);
    vision_set_threads(1);
    return peak_child(argv[2]);
  }
  int rounds = argc > 1 ? atoi(argv[1]) : 3;
  if (rounds < 1) rounds = 1;
  if (VIPS_INIT(argv[0])) return 1;
  vips_concurrency_set(1);
  vision_set_threads(1);
  const char *shared = getenv("TUCAI_SHARED");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/photos/dev", shared && *shared ? shared : TUCAI_SOURCE_DIR "/../shared");

  double t0 = clock_mono_s();
  err_t err = {0};
  photo_engine *e = photo_engine_open(NULL, &err);
  if (!e) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  photo_profile *p = photo_profile_load(photo_default_profiles_dir(), "chsi-blue", &err);
  if (!p) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  double load_ms = (clock_mono_s() - t0) * 1000.0;
  long rss_models = peak_rss_mb();

  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "cannot open %s\n", dir);
    return 1;
  }
  enum { MAXF = 256 };
  uint8_t *files[MAXF], *big[MAXF];
  size_t lens[MAXF], big_lens[MAXF];
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) && n < MAXF) {
    if (de->d_name[0] == '.') continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    gchar *buf;
    gsize len;
    if (!g_file_get_contents(path, &buf, &len, NULL)) continue;
    files[n] = (uint8_t *)buf;
    lens[n] = len;
    if (to_12mp(files[n], len, &big[n], &big_lens[n])) big[n] = NULL;
    n++;
  }
  closedir(d);
  printf("photo engine benchmark: %d dev photos, %d rounds, 1 thread, profile %s\n", n, rounds, p->name);
  printf("model loading: %.0f ms (once per process); peak RSS after loading: %ld MB\n", load_ms, rss_models);

  for (int pass = 0; pass < 2; pass++) {
    sample *s = xcalloc((size_t)n * rounds, sizeof *s);
    int k = 0, conformant = 0;
    for (int r = 0; r < rounds; r++)
      for (int i = 0; i < n; i++) {
        const uint8_t *b = pass ? big[i] : files[i];
        size_t len = pass ? big_lens[i] : lens[i];
        if (!b) continue;
        /* Alternate floor and engine on the same bytes so both see the same cache state. */
        s[k].floor = floor_ms(b, len);
        photo_result res;
        if (photo_standardize(e, b, len, p, &res, &err)) {
          fprintf(stderr, "engine error: %s\n", err.message);
          continue;
        }
        memcpy(s[k].stage, res.stage_ms, sizeof s[k].stage);
        s[k].total = res.total_ms;
        if (r == 0 && !res.refused) conformant++;
        photo_result_free(&res);
        k++;
      }
    char title[128];
    snprintf(title, sizeof title, "%s (%d of %d conformant)",
             pass ? "scaled up to 12 megapixels" : "photos as they are", conformant, n);
    report(title, s, k);
    free(s);
  }
  measure_peak(big, big_lens, n);
  printf("peak RSS of this timing process (corpus held in memory): %ld MB\n", peak_rss_mb());
  for (int i = 0; i < n; i++) {
    g_free(files[i]);
    g_free(big[i]);
  }
  photo_profile_free(p);
  photo_engine_close(e);
  return 0;
}

/* bench_faces: the face descriptor's separation and cost, and the expression model's cost.
 *
 *   bench_faces [--models DIR] [--pairs PAIRS.csv] [--reps N] [--dump DIR] [--reference PROFILE]
 *
 * PAIRS defaults to $TUCAI_SHARED/photos/pairs.csv (else ../shared/photos/pairs.csv); its photo
 * paths are relative to its folder. Prints, on one thread:
 *  - every pair's cosine with its margin to FACE_SAME_THRESHOLD (positive = decided right), the
 *    lowest same-person and highest different-person cosine, and the errors at the threshold;
 *  - retouching, as a measurement: each photo against a retouched copy of itself (strong skin
 *    smoothing; eye enlargement by a local warp; both), and every pair again with its first photo
 *    retouched both ways;
 *  - the time per photo of the descriptor (alignment + faceres) and of the expression (crop +
 *    emotion), median over the photos of the fastest of N runs.
 * With --reference PROFILE, 与录取照片比对 as shipped (src/collect/reference.c): the school's photo
 * described by face_print_describe, the student's attempt through the engine (photo_standardize with that
 * profile, then face_print_from_analysis, as the standardize job does): every pair both ways, then
 * again with the attempt retouched (smoothing and eyes, re-encoded as JPEG); how many are decided
 * right at the threshold, and how many attempts the engine refused (a measurement, not a gate).
 * With --dump, the aligned 224x224 faces and the 64x64 expression crops are written there as PNG
 * (to look at what the networks see). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vips/vips.h>

#include "photo/face_compare.h"
#include "photo/photo.h"
#include "photo/stages.h"
#include "util/xmalloc.h"
#include "vision/face_analysis.h"
#include "vision/vision.h"

#define MAX_PHOTOS 256
#define MAX_PAIRS 2048

typedef struct photo {
  char name[256];
  photo_decoded d;
  face_print print;
  face_print smooth, eyes, both;    /* prints of the retouched copies */
  face_print attempt, attempt_both; /* --reference: the engine's print of the photo and of its retouched copy */
  int refused, refused_both;
} photo;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CPU time of this thread: the cost on one core even when other work shares the machine. */
static double cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Separable Gaussian blur of `src` into `dst` (both w*h*3), sigma in pixels. */
static void gauss(const uint8_t *src, uint8_t *dst, int w, int h, double sigma) {
  int r = (int)ceil(3 * sigma);
  double *k = xmalloc(sizeof(double) * (size_t)(2 * r + 1)), sum = 0;
  float *tmp = xmalloc(sizeof(float) * (size_t)w * h * 3);
  for (int i = -r; i <= r; i++) sum += k[i + r] = exp(-i * i / (2 * sigma * sigma));
  for (int i = 0; i <= 2 * r; i++) k[i] /= sum;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++) {
        double s = 0;
        for (int i = -r; i <= r; i++) {
          int xx = x + i < 0 ? 0 : x + i >= w ? w - 1 : x + i;
          s += k[i + r] * src[((size_t)y * w + xx) * 3 + c];
        }
        tmp[((size_t)y * w + x) * 3 + c] = (float)s;
      }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++) {
        double s = 0;
        for (int i = -r; i <= r; i++) {
          int yy = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;
          s += k[i + r] * tmp[((size_t)yy * w + x) * 3 + c];
        }
        dst[((size_t)y * w + x) * 3 + c] = (uint8_t)(s + 0.5);
      }
  free(k);
  free(tmp);
}

/* Beauty-app skin smoothing: inside an ellipse over the face (feathered), the photo is replaced by
 * a strong blur (sigma 4% of the face width) wherever the blur is close to the pixel (an
 * edge-preserving, bilateral-like mix: skin texture goes, the eyes' and lips' edges stay). */
static void retouch_smooth(uint8_t *rgb, int w, int h, const face_print *f, double scale) {
  double cx = (f->box.x + f->box.w / 2) * scale, cy = (f->box.y + f->box.h / 2) * scale;
  double ax = f->box.w * scale * 0.55, ay = f->box.h * scale * 0.65;
  int x0 = (int)fmax(0, cx - ax), x1 = (int)fmin(w, cx + ax), y0 = (int)fmax(0, cy - ay), y1 = (int)fmin(h, cy + ay);
  if (x1 - x0 < 4 || y1 - y0 < 4) return;
  int bw = x1 - x0, bh = y1 - y0;
  uint8_t *part = xmalloc((size_t)bw * bh * 3), *blur = xmalloc((size_t)bw * bh * 3);
  for (int y = 0; y < bh; y++) memcpy(part + (size_t)y * bw * 3, rgb + ((size_t)(y + y0) * w + x0) * 3, (size_t)bw * 3);
  gauss(part, blur, bw, bh, fmax(1.0, 0.04 * f->box.w * scale));
  for (int y = 0; y < bh; y++)
    for (int x = 0; x < bw; x++) {
      double ex = (x + x0 - cx) / ax, ey = (y + y0 - cy) / ay, e = ex * ex + ey * ey;
      double wgt = e < 0.7 ? 1 : e < 1 ? (1 - e) / 0.3 : 0;
      if (wgt <= 0) continue;
      uint8_t *p = rgb + ((size_t)(y + y0) * w + x + x0) * 3;
      const uint8_t *b = blur + ((size_t)y * bw + x) * 3;
      double diff = abs(p[0] - b[0]) + abs(p[1] - b[1]) + abs(p[2] - b[2]);
      double keep = diff < 30 ? 0.9 : diff < 60 ? 0.9 * (60 - diff) / 30 : 0; /* edges survive */
      for (int c = 0; c < 3; c++) p[c] = (uint8_t)(p[c] + wgt * keep * (b[c] - p[c]) + 0.5);
    }
  free(part);
  free(blur);
}

/* Beauty-app eye enlargement: a bulge around each eye (radius 0.45 IOD), the centre magnified by
 * 1 / (1 - strength): 0.3 gives eyes about 40% larger. */
static void retouch_eyes(uint8_t *rgb, int w, int h, const face_print *f, double scale) {
  double iod = hypot(f->kp[1][0] - f->kp[0][0], f->kp[1][1] - f->kp[0][1]) * scale;
  double R = 0.45 * iod, strength = 0.3;
  uint8_t *src = xmalloc((size_t)w * h * 3);
  memcpy(src, rgb, (size_t)w * h * 3);
  for (int e = 0; e < 2; e++) {
    double ex = f->kp[e][0] * scale, ey = f->kp[e][1] * scale;
    for (int y = (int)fmax(0, ey - R); y < (int)fmin(h, ey + R + 1); y++)
      for (int x = (int)fmax(0, ex - R); x < (int)fmin(w, ex + R + 1); x++) {
        double dx = x - ex, dy = y - ey, d = hypot(dx, dy);
        if (d >= R) continue;
        double t = d / R, k = 1 - strength * (1 - t * t); /* read closer to the centre */
        double sx = ex + dx * k, sy = ey + dy * k;
        int ix = (int)sx, iy = (int)sy;
        if (ix < 0 || iy < 0 || ix >= w - 1 || iy >= h - 1) continue;
        double fx = sx - ix, fy = sy - iy;
        for (int c = 0; c < 3; c++) {
          const uint8_t *p = src + ((size_t)iy * w + ix) * 3 + c;
          double v =
              (p[0] * (1 - fx) + p[3] * fx) * (1 - fy) + (p[(size_t)w * 3] * (1 - fx) + p[(size_t)w * 3 + 3] * fx) * fy;
          rgb[((size_t)y * w + x) * 3 + c] = (uint8_t)(v + 0.5);
        }
      }
  }
  free(src);
}

static int describe_copy(photo_engine *m, const photo *p, int smooth, int eyes, face_print *out) {
  int w = p->d.work.w, h = p->d.work.h;
  uint8_t *rgb = xmalloc((size_t)w * h * 3);
  memcpy(rgb, p->d.work.px, (size_t)w * h * 3);
  if (smooth) retouch_smooth(rgb, w, h, &p->print, p->d.scale);
  if (eyes) retouch_eyes(rgb, w, h, &p->print, p->d.scale);
  err_t err = {0};
  int rc = face_print_describe_rgb(m, rgb, w, h, p->d.scale, out, &err);
  free(rgb);
  return rc;
}

/* The attempt's print as the standardize job makes it: the engine on the JPEG, then the subject's
 * print from its analysis. `retouched`: the photo smoothed and its eyes enlarged first, re-encoded
 * as a phone's beauty app would hand it over. 1 when the engine refused the photo. */
static int engine_print(photo_engine *e, const photo_profile *prof, const photo *p, int retouched, face_print *out) {
  memset(out, 0, sizeof *out);
  int w = p->d.work.w, h = p->d.work.h;
  uint8_t *rgb = xmalloc((size_t)w * h * 3);
  memcpy(rgb, p->d.work.px, (size_t)w * h * 3);
  if (retouched) {
    retouch_smooth(rgb, w, h, &p->print, p->d.scale);
    retouch_eyes(rgb, w, h, &p->print, p->d.scale);
  }
  VipsImage *im = vips_image_new_from_memory(rgb, (size_t)w * h * 3, w, h, 3, VIPS_FORMAT_UCHAR);
  void *jpg = NULL;
  size_t len = 0;
  if (!im || vips_jpegsave_buffer(im, &jpg, &len, "Q", 95, NULL)) {
    vips_error_clear();
    if (im) g_object_unref(im);
    free(rgb);
    return 1;
  }
  g_object_unref(im);
  free(rgb);
  photo_result res;
  memset(&res, 0, sizeof res);
  err_t err = {0};
  int rc = photo_standardize(e, jpg, len, prof, &res, &err);
  g_free(jpg);
  int refused = rc < 0 || res.refused;
  if (!refused && face_print_from_analysis(e, &res.analysis, out, &err) < 0) refused = 1;
  photo_result_free(&res);
  return refused || !out->found;
}

/* Pairs decided at the shipped threshold: how many right, the misses each way, the weakest
 * same-person and the strongest different-person similarity. */
typedef struct pair_tally {
  int right, n, missed_same, taken_same;
  double same_min, different_max;
} pair_tally;

static pair_tally tally_new(void) { return (pair_tally){0, 0, 0, 0, 2, -2}; }

static void tally_add(pair_tally *t, double c, int same) {
  int ok = face_same_person(c) == same;
  t->n++, t->right += ok;
  if (same)
    t->same_min = fmin(t->same_min, c), t->missed_same += !ok;
  else
    t->different_max = fmax(t->different_max, c), t->taken_same += !ok;
}

static void tally_print(const pair_tally *t, const char *what) {
  printf("%d of %d %s right (same person missed %d, different taken for same %d); same min %.4f, different max %.4f\n",
         t->right, t->n, what, t->missed_same, t->taken_same, t->same_min, t->different_max);
}

static int find_photo(photo *ph, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (!strcmp(ph[i].name, name)) return i;
  return -1;
}

static void save_png(const char *dir, const char *name, const char *suffix, const uint8_t *px, int side) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.%s.png", dir, name, suffix);
  for (char *s = path + strlen(dir) + 1; *s; s++)
    if (*s == '/') *s = '_';
  VipsImage *im = vips_image_new_from_memory(px, (size_t)side * side * 3, side, side, 3, VIPS_FORMAT_UCHAR);
  if (im && vips_pngsave(im, path, NULL)) vips_error_clear();
  if (im) g_object_unref(im);
}

int main(int argc, char **argv) {
  if (VIPS_INIT(argv[0])) return 1;
  const char *models = NULL, *pairs_path = NULL, *dump = NULL, *reference = NULL;
  int reps = 3;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--models") && i + 1 < argc)
      models = argv[++i];
    else if (!strcmp(argv[i], "--pairs") && i + 1 < argc)
      pairs_path = argv[++i];
    else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
      reps = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--dump") && i + 1 < argc)
      dump = argv[++i];
    else if (!strcmp(argv[i], "--reference") && i + 1 < argc)
      reference = argv[++i];
    else {
      fprintf(stderr,
              "usage: bench_faces [--models DIR] [--pairs PAIRS.csv] [--reps N] [--dump DIR] [--reference PROFILE]\n");
      return 2;
    }
  }
  if (reps < 1) reps = 1;
  char pbuf[1024], base[1024];
  if (!pairs_path) {
    const char *shared = getenv("TUCAI_SHARED");
    snprintf(pbuf, sizeof pbuf, "%s/photos/pairs.csv", shared && *shared ? shared : "../shared");
    pairs_path = pbuf;
  }
  snprintf(base, sizeof base, "%s", pairs_path);
  char *slash = strrchr(base, '/');
  if (slash)
    *slash = 0;
  else
    snprintf(base, sizeof base, ".");
  vision_set_threads(1);
  err_t err = {0};
  /* One engine for everything, as the server has: its detector, landmarks and face networks. */
  photo_engine *m = photo_engine_open(models, &err);
  face_nets *nets = m ? photo_engine_face_nets(m, &err) : NULL;
  if (!nets) {
    fprintf(stderr, "bench_faces: %s\n", err.message);
    return 1;
  }
  char why[512];
  FILE *f = fopen(pairs_path, "r");
  if (!f) {
    fprintf(stderr, "bench_faces: cannot read %s\n", pairs_path);
    return 1;
  }
  static photo ph[MAX_PHOTOS];
  static int pa[MAX_PAIRS], pb[MAX_PAIRS], same[MAX_PAIRS];
  int np = 0, npairs = 0;
  char line[2048];
  photo_limits lim = {20L * 1024 * 1024, 50L * 1000 * 1000};
  while (fgets(line, sizeof line, f) && npairs < MAX_PAIRS) {
    char a[512], b[512];
    int s;
    if (line[0] == '#' || sscanf(line, "%511[^,],%511[^,],%d", a, b, &s) != 3) continue;
    int idx[2];
    const char *nm[2] = {a, b};
    for (int k = 0; k < 2; k++) {
      idx[k] = find_photo(ph, np, nm[k]);
      if (idx[k] >= 0 || np >= MAX_PHOTOS) continue;
      photo *p = &ph[np];
      snprintf(p->name, sizeof p->name, "%s", nm[k]);
      char path[2048];
      snprintf(path, sizeof path, "%s/%s", base, nm[k]);
      gchar *buf = NULL;
      gsize len = 0;
      if (!g_file_get_contents(path, &buf, &len, NULL) || photo_decode(buf, len, &lim, PHOTO_WORK_SIDE, &p->d, &err) ||
          face_print_describe_rgb(m, p->d.work.px, p->d.work.w, p->d.work.h, p->d.scale, &p->print, &err)) {
        fprintf(stderr, "bench_faces: %s: cannot read or describe\n", path);
        g_free(buf);
        continue;
      }
      g_free(buf);
      idx[k] = np++;
    }
    if (idx[0] < 0 || idx[1] < 0) continue;
    pa[npairs] = idx[0], pb[npairs] = idx[1], same[npairs] = s, npairs++;
  }
  fclose(f);

  /* Cost per photo, one thread: the fastest of `reps` runs, median over the photos. */
  double *t_desc = xcalloc((size_t)np + 1, sizeof(double)), *t_expr = xcalloc((size_t)np + 1, sizeof(double));
  double *c_desc = xcalloc((size_t)np + 1, sizeof(double)), *c_expr = xcalloc((size_t)np + 1, sizeof(double));
  double *c_align = xcalloc((size_t)np + 1, sizeof(double)), *c_crop = xcalloc((size_t)np + 1, sizeof(double));
  double *t_both = xcalloc((size_t)np + 1, sizeof(double)); /* both on the same photo: the target is per photo */
  int nt = 0;
  for (int i = 0; i < np; i++) {
    photo *p = &ph[i];
    if (!p->print.found) {
      printf("%-32s no face\n", p->name);
      continue;
    }
    float kp[4][2], eyes[2][2], box[4], d[FACE_DESCRIPTOR_DIM], pr[FACE_EMOTION_COUNT];
    double s = p->d.scale;
    for (int k = 0; k < 4; k++) kp[k][0] = (float)(p->print.kp[k][0] * s), kp[k][1] = (float)(p->print.kp[k][1] * s);
    memcpy(eyes, kp, sizeof eyes);
    box[0] = (float)(p->print.box.x * s), box[1] = (float)(p->print.box.y * s);
    box[2] = (float)(p->print.box.w * s), box[3] = (float)(p->print.box.h * s);
    double bd = 1e9, be = 1e9, cd = 1e9, ce = 1e9, ca = 1e9, cc = 1e9;
    uint8_t al[FACE_ALIGN_SIDE * FACE_ALIGN_SIDE * 3], cr[FACE_EMOTION_SIDE * FACE_EMOTION_SIDE * 3];
    for (int r = 0; r < reps; r++) {
      double t0 = now_ms(), u0 = cpu_ms();
      if (face_descriptor(nets, p->d.work.px, p->d.work.w, p->d.work.h, kp, d, why, sizeof why)) break;
      double t1 = now_ms(), u1 = cpu_ms();
      if (face_expression(nets, p->d.work.px, p->d.work.w, p->d.work.h, box, eyes, pr, why, sizeof why)) break;
      double t2 = now_ms(), u2 = cpu_ms();
      /* The image work alone (the rest is the networks): the alignment's warp and the crop's. */
      double u3 = cpu_ms();
      if (face_align(p->d.work.px, p->d.work.w, p->d.work.h, kp, al, why, sizeof why)) break;
      double u4 = cpu_ms();
      if (face_emotion_crop(p->d.work.px, p->d.work.w, p->d.work.h, box, eyes, cr, why, sizeof why)) break;
      double u5 = cpu_ms();
      bd = fmin(bd, t1 - t0), be = fmin(be, t2 - t1), cd = fmin(cd, u1 - u0), ce = fmin(ce, u2 - u1);
      ca = fmin(ca, u4 - u3), cc = fmin(cc, u5 - u4);
    }
    t_both[nt] = bd + be, t_desc[nt] = bd, t_expr[nt] = be, c_desc[nt] = cd, c_expr[nt] = ce, c_align[nt] = ca,
    c_crop[nt] = cc, nt++;
    if (dump) {
      if (!face_align(p->d.work.px, p->d.work.w, p->d.work.h, kp, al, why, sizeof why))
        save_png(dump, p->name, "aligned", al, FACE_ALIGN_SIDE);
      if (!face_emotion_crop(p->d.work.px, p->d.work.w, p->d.work.h, box, eyes, cr, why, sizeof why))
        save_png(dump, p->name, "emotion", cr, FACE_EMOTION_SIDE);
    }
  }

  printf("pairs: %s (%d pairs, %d photos)\n", pairs_path, npairs, np);
  printf("threshold %.3f (calibrated: different people at most %.3f, same person at least %.3f)\n\n",
         FACE_SAME_THRESHOLD, FACE_CAL_IMPOSTOR_MAX, FACE_CAL_GENUINE_MIN);
  double gmin = 2, imax = -2, gmed[MAX_PAIRS], imed[MAX_PAIRS];
  int ng = 0, ni = 0, wrong = 0, noface = 0;
  for (int i = 0; i < npairs; i++) {
    const face_print *a = &ph[pa[i]].print, *b = &ph[pb[i]].print;
    if (!a->found || !b->found) {
      noface++;
      printf("%-30s %-30s same=%d  no face\n", ph[pa[i]].name, ph[pb[i]].name, same[i]);
      continue;
    }
    double c = face_print_similarity(a, b), margin = same[i] ? c - FACE_SAME_THRESHOLD : FACE_SAME_THRESHOLD - c;
    if (same[i])
      gmin = fmin(gmin, c), gmed[ng++] = c;
    else
      imax = fmax(imax, c), imed[ni++] = c;
    if (margin <= 0 && !(same[i] && margin == 0)) wrong++;
    printf("%-30s %-30s same=%d  cosine %.4f  margin %+.4f%s\n", ph[pa[i]].name, ph[pb[i]].name, same[i], c, margin,
           margin < 0 ? "  WRONG" : "");
  }
  qsort(gmed, (size_t)ng, sizeof(double), cmp_d);
  qsort(imed, (size_t)ni, sizeof(double), cmp_d);
  printf("\nsame person: %d pairs, cosine min %.4f median %.4f\n", ng, gmin, ng ? gmed[ng / 2] : 0);
  printf("different:   %d pairs, cosine max %.4f median %.4f\n", ni, imax, ni ? imed[ni / 2] : 0);
  printf("gap %.4f; at threshold %.3f: %d wrong, %d without a face; margins: same %+.4f, different %+.4f\n",
         gmin - imax, FACE_SAME_THRESHOLD, wrong, noface, gmin - FACE_SAME_THRESHOLD, FACE_SAME_THRESHOLD - imax);

  /* Retouching (a measurement, not a gate). */
  printf("\nretouched copies against their own original (cosine):\n%-32s %8s %8s %8s\n", "photo", "smooth", "eyes",
         "both");
  double worst[3] = {2, 2, 2};
  for (int i = 0; i < np; i++) {
    photo *p = &ph[i];
    if (!p->print.found) continue;
    describe_copy(m, p, 1, 0, &p->smooth);
    describe_copy(m, p, 0, 1, &p->eyes);
    describe_copy(m, p, 1, 1, &p->both);
    double c[3] = {face_print_similarity(&p->print, &p->smooth), face_print_similarity(&p->print, &p->eyes),
                   face_print_similarity(&p->print, &p->both)};
    for (int k = 0; k < 3; k++) worst[k] = fmin(worst[k], c[k]);
    printf("%-32s %8.4f %8.4f %8.4f\n", p->name, c[0], c[1], c[2]);
  }
  printf("lowest: smooth %.4f, eyes %.4f, both %.4f (threshold %.3f)\n", worst[0], worst[1], worst[2],
         FACE_SAME_THRESHOLD);
  const char *kind[3] = {"smooth", "eyes", "both"};
  for (int k = 0; k < 3; k++) {
    pair_tally t = tally_new();
    for (int i = 0; i < npairs; i++) {
      const photo *A = &ph[pa[i]];
      const face_print *a = k == 0 ? &A->smooth : k == 1 ? &A->eyes : &A->both, *b = &ph[pb[i]].print;
      if (a->found && b->found) tally_add(&t, face_print_similarity(a, b), same[i]);
    }
    printf("pairs with the first photo retouched (%s): ", kind[k]);
    tally_print(&t, "pairs");
  }

  if (reference) {
    photo_engine *e = m;
    photo_profile *prof = photo_profile_load(photo_default_profiles_dir(), reference, &err);
    if (!prof) {
      fprintf(stderr, "bench_faces: --reference %s: %s\n", reference, err.message);
      return 1;
    }
    int refused[2] = {0, 0}, described = 0;
    for (int i = 0; i < np; i++) {
      photo *p = &ph[i];
      if (!p->print.found) continue;
      described++;
      p->refused = engine_print(e, prof, p, 0, &p->attempt);
      p->refused_both = engine_print(e, prof, p, 1, &p->attempt_both);
      refused[0] += p->refused, refused[1] += p->refused_both;
    }
    printf(
        "\n与录取照片比对 as shipped (reference: face_print_describe on the school's photo; attempt: the engine with profile %s):\n",
        reference);
    printf("attempts the engine refused: %d of %d photos, %d of %d retouched copies\n", refused[0], described,
           refused[1], described);
    for (int k = 0; k < 2; k++) {
      pair_tally t = tally_new();
      for (int i = 0; i < npairs; i++)
        for (int dir = 0; dir < 2; dir++) { /* each photo of the pair as the reference once */
          const photo *R = &ph[dir ? pb[i] : pa[i]], *A = &ph[dir ? pa[i] : pb[i]];
          const face_print *att = k ? &A->attempt_both : &A->attempt;
          if (R->print.found && att->found) tally_add(&t, face_print_similarity(&R->print, att), same[i]);
        }
      printf("%s: ", k ? "attempt retouched (smooth + eyes)" : "attempt as shot");
      tally_print(&t, "reference/attempt pairs");
    }
    photo_profile_free(prof);
  }

  if (nt) {
    qsort(t_desc, (size_t)nt, sizeof(double), cmp_d);
    qsort(t_expr, (size_t)nt, sizeof(double), cmp_d);
    printf(
        "\ntime per photo, one thread (fastest of %d, over %d photos): descriptor median %.1f ms (max %.1f), "
        "expression median %.1f ms (max %.1f), together %.1f ms\n",
        reps, nt, t_desc[nt / 2], t_desc[nt - 1], t_expr[nt / 2], t_expr[nt - 1], t_desc[nt / 2] + t_expr[nt / 2]);
    qsort(t_both, (size_t)nt, sizeof(double), cmp_d);
    printf("both on one photo: median %.1f ms, slowest photo %.1f ms\n", t_both[nt / 2], t_both[nt - 1]);
    qsort(c_desc, (size_t)nt, sizeof(double), cmp_d);
    qsort(c_expr, (size_t)nt, sizeof(double), cmp_d);
    printf(
        "CPU time of the thread (what one core spends, whatever else runs): descriptor median %.1f ms (max %.1f), "
        "expression median %.1f ms (max %.1f), together %.1f ms\n",
        c_desc[nt / 2], c_desc[nt - 1], c_expr[nt / 2], c_expr[nt - 1], c_desc[nt / 2] + c_expr[nt / 2]);
    qsort(c_align, (size_t)nt, sizeof(double), cmp_d);
    qsort(c_crop, (size_t)nt, sizeof(double), cmp_d);
    printf(
        "of which image work (CPU): the alignment's warp median %.2f ms (max %.2f), the expression crop median "
        "%.2f ms (max %.2f); the rest is the networks\n",
        c_align[nt / 2], c_align[nt - 1], c_crop[nt / 2], c_crop[nt - 1]);
  }
  for (int i = 0; i < np; i++) g_free(ph[i].d.work.px);
  free(t_both);
  free(t_desc);
  free(t_expr);
  free(c_desc);
  free(c_expr);
  free(c_align);
  free(c_crop);
  photo_engine_close(m);
  return 0;
}

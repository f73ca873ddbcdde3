/* photo: `tucai photo <standardize|batch|profiles|sheet|check>`.
 *
 *   standardize IN -o OUT.jpg [--profile NAME] [--report REPORT.json] [--models DIR]
 *       exit 0: OUT written and conformant; 3: refused (reason code and Chinese message on
 *       stderr and in the report; OUT not written); 2: usage or I/O error; 1: engine failure.
 *   batch DIR -o OUTDIR [--profile NAME] [--jobs N] [--report report.csv] [--models DIR]
 *   profiles [--json]
 *   sheet STD.jpg -o SHEET.pdf|SHEET.jpg [--copies N] [--caption TEXT] [--format pdf|jpeg]
 *   check IN [--profile NAME] [--json] [--models DIR] (the automatic checks, src/cli/photo_check.c)
 *   segment IN -o MASK.png [--raw RAW.bin] [--models DIR]
 *       the segmenter's person mask over the whole photo (diagnostics); RAW.bin holds the model's
 *       256x256x3 input bytes then its 65536 float32 outputs, to compare with another runtime
 *   landmarks-convert IN.dat OUT.bin [--bits 8|16|32]
 *       setup (the build runs it): dlib's 68-point shape predictor -> the engine's compact landmark
 *       model (src/vision/landmarks.h), leaves quantised to int8 (default) or int16, or kept float
 *   net-run MODEL.onnx IN.f32 --shape N,C,H,W -o OUT.f32 [--output NAME ...] [--threads N] [--repeat N]
 *   net-run MODEL.onnx --from-image IMG --size WxH [--grey] [--mean M] [--scale S] [--save-input IN.f32] -o ...
 *       diagnostics and the conversion tests: any ONNX network under OpenCV DNN (the engine's runtime)
 *       on one raw float32 NCHW blob; the named outputs (default: the network's last) are written
 *       one after another as raw float32 in the network's layout. --from-image makes the blob from a
 *       photo instead: autorotated, scaled to cover WxH and centre-cropped, each value
 *       (v/255 - mean) * scale (default mean 0, scale 1), RGB or --grey (0.299R + 0.587G + 0.114B),
 *       and --save-input writes that exact blob so that another runtime can be fed the same input.
 *       The fastest of --repeat forward passes is printed (ms) on stderr.
 *   compare (A B | --pairs LIST) [--json] [--models DIR]   (same person or not, src/cli/photo_compare.c)
 * Profiles come from $TUCAI_PROFILES or <source>/profiles; models from --models, $TUCAI_MODELS or
 * <source>/models. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "photo/checks/checks.h"
#include "photo/face_compare.h"
#include "photo/photo.h"
#include "util/clock.h"
#include "util/xmalloc.h"
#include "vision/vision.h"
#include "util/number.h"

#define DEFAULT_PROFILE "chsi-blue"
/* The CLI reads at most this much; larger files are refused as IMAGE_TOO_LARGE unread. */
#define MAX_INPUT_BYTES (20L * 1024 * 1024)

static void usage(FILE *f) {
  fprintf(f,
          "usage: tucai photo standardize IN -o OUT.jpg [--profile NAME] [--report REPORT.json] [--models DIR]\n"
          "       tucai photo batch DIR -o OUTDIR [--profile NAME] [--jobs N] [--report report.csv] [--models DIR]\n"
          "       tucai photo profiles [--json]\n"
          "       tucai photo sheet STD.jpg -o SHEET.pdf|SHEET.jpg [--copies N] [--caption TEXT] [--format pdf|jpeg]\n"
          "       tucai photo check IN... [--profile NAME] [--json] [--models DIR]\n"
          "       tucai photo segment IN -o MASK.png [--raw RAW.bin] [--models DIR]\n"
          "       tucai photo landmarks-convert IN.dat OUT.bin [--bits 8|16|32]\n"
          "       tucai photo net-run MODEL.onnx (IN.f32 --shape N,C,H,W | --from-image IMG --size WxH [--grey]\n"
          "           [--mean M] [--scale S] [--save-input IN.f32]) -o OUT.f32 [--output NAME ...] [--threads N]\n"
          "           [--repeat N]\n"
          "       tucai photo compare (A B | --pairs LIST) [--json] [--models DIR]\n"
          "default profile: " DEFAULT_PROFILE "\n");
}

/* Options: every --name takes a value; positional arguments are collected in order. */
typedef struct opts {
  const char *pos[4];
  int npos;
  const char *out, *profile, *report, *models, *caption, *format, *jobs, *copies, *raw, *bits;
  int json;
} opts;

static int parse(int argc, char **argv, opts *o) {
  memset(o, 0, sizeof *o);
  o->profile = DEFAULT_PROFILE;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    const char **slot = NULL;
    if (!strcmp(a, "--json")) {
      o->json = 1;
      continue;
    }
    if (!strcmp(a, "-o") || !strcmp(a, "--out"))
      slot = &o->out;
    else if (!strcmp(a, "--profile"))
      slot = &o->profile;
    else if (!strcmp(a, "--report"))
      slot = &o->report;
    else if (!strcmp(a, "--models"))
      slot = &o->models;
    else if (!strcmp(a, "--caption"))
      slot = &o->caption;
    else if (!strcmp(a, "--format"))
      slot = &o->format;
    else if (!strcmp(a, "--jobs"))
      slot = &o->jobs;
    else if (!strcmp(a, "--copies"))
      slot = &o->copies;
    else if (!strcmp(a, "--raw"))
      slot = &o->raw;
    else if (!strcmp(a, "--bits"))
      slot = &o->bits;
    else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "tucai photo: unknown option %s\n", a);
      return -1;
    } else {
      if (o->npos >= 4) return -1;
      o->pos[o->npos++] = a;
      continue;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "tucai photo: %s needs a value\n", a);
      return -1;
    }
    *slot = argv[++i];
  }
  return 0;
}

/* Writes via a temporary file and rename, so that a reader never sees half a photo. */
static int write_file(const char *path, const void *data, size_t len) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp) return -1;
  FILE *f = fopen(tmp, "wb");
  if (!f) return -1;
  int bad = fwrite(data, 1, len, f) != len;
  bad |= fclose(f) != 0;
  if (bad || rename(tmp, path)) {
    unlink(tmp);
    return -1;
  }
  return 0;
}

static int write_json(const char *path, json_t *j) {
  char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
  if (!s) return -1;
  int rc = write_file(path, s, strlen(s));
  free(s);
  return rc;
}

/* A refusal report for files the CLI itself turns away (too large to read). */
static json_t *refusal_report(const char *profile, const char *code) {
  return json_pack("{s:s, s:s, s:s, s:s}", "status", "refused", "profile", profile, "reason", code, "message",
                   photo_reason_message(code));
}

static int cmd_standardize(opts *o) {
  if (o->npos != 1 || !o->out) {
    usage(stderr);
    return 2;
  }
  err_t err = {0};
  photo_profile *p = photo_profile_load(photo_default_profiles_dir(), o->profile, &err);
  if (!p) {
    fprintf(stderr, "tucai photo: %s\n", err.message);
    return 2;
  }
  uint8_t *buf;
  size_t len;
  int r = cli_read_file(o->pos[0], MAX_INPUT_BYTES, &buf, &len);
  if (r < 0) {
    fprintf(stderr, "tucai photo: cannot read %s: %s\n", o->pos[0], strerror(errno ? errno : EIO));
    photo_profile_free(p);
    return 2;
  }
  if (r == 1) {
    fprintf(stderr, "IMAGE_TOO_LARGE: %s\n", photo_reason_message("IMAGE_TOO_LARGE"));
    if (o->report) {
      json_t *rep = refusal_report(p->name, "IMAGE_TOO_LARGE");
      write_json(o->report, rep);
      json_decref(rep);
    }
    photo_profile_free(p);
    return 3;
  }
  photo_engine *e = photo_engine_open(o->models, &err);
  if (!e) {
    fprintf(stderr, "tucai photo: %s\n", err.message);
    free(buf);
    photo_profile_free(p);
    return 1;
  }
  photo_result res;
  int rc;
  if (photo_standardize(e, buf, len, p, &res, &err)) {
    fprintf(stderr, "tucai photo: %s\n", err.message);
    rc = 1;
  } else {
    rc = 0;
    /* The automatic checks belong in the report too (the same results the student's preview shows). */
    json_t *checks = NULL;
    if (!res.refused && photo_checks_run(e, &res.analysis, p->checks, &checks, &err) == 0) {
      json_object_set(res.report, "checks", json_object_get(checks, "checks"));
      json_decref(checks);
    }
    if (o->report && write_json(o->report, res.report)) {
      fprintf(stderr, "tucai photo: cannot write %s\n", o->report);
      rc = 2;
    }
    if (res.refused) {
      fprintf(stderr, "%s: %s\n", res.reason, res.message);
      if (rc == 0) rc = 3;
    } else if (write_file(o->out, res.jpeg, res.jpeg_len)) {
      fprintf(stderr, "tucai photo: cannot write %s\n", o->out);
      rc = 2;
    } else if (rc == 0) {
      printf("%s: %dx%d, %zu bytes, quality %d, %.0f ms\n", o->out, p->width, p->height, res.jpeg_len, res.jpeg_quality,
             res.total_ms);
    }
    photo_result_free(&res);
  }
  photo_engine_close(e);
  free(buf);
  photo_profile_free(p);
  return rc;
}

/* batch: a shared work list, N threads, one engine. */
typedef struct batch_item {
  char *name;
  int status; /* 0 conformant, 3 refused, 2 I/O error, 1 engine error */
  char reason[48];
  size_t bytes;
  int quality;
  double ms;
} batch_item;

typedef struct batch {
  photo_engine *e;
  const photo_profile *p;
  const char *in_dir, *out_dir;
  batch_item *items;
  int n;
  atomic_int next, done;
  pthread_mutex_t mu;
} batch;

static int is_image_name(const char *n) {
  const char *dot = strrchr(n, '.');
  if (!dot || n[0] == '.') return 0;
  const char *ok[] = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".JPG", ".JPEG", ".PNG", ".HEIC", NULL};
  for (int i = 0; ok[i]; i++)
    if (!strcmp(dot, ok[i])) return 1;
  return 0;
}

static void progress(batch *b) {
  if (!isatty(2)) return;
  int d = atomic_load(&b->done), width = 40, fill = b->n ? d * width / b->n : width;
  pthread_mutex_lock(&b->mu);
  fprintf(stderr, "\r[");
  for (int i = 0; i < width; i++) fputc(i < fill ? '#' : '.', stderr);
  fprintf(stderr, "] %d/%d", d, b->n);
  fflush(stderr);
  pthread_mutex_unlock(&b->mu);
}

static void *batch_worker(void *arg) {
  batch *b = arg;
  for (;;) {
    int i = atomic_fetch_add(&b->next, 1);
    if (i >= b->n) break;
    batch_item *it = &b->items[i];
    char path[4096], out[4096];
    snprintf(path, sizeof path, "%s/%s", b->in_dir, it->name);
    const char *dot = strrchr(it->name, '.');
    int stem = dot ? (int)(dot - it->name) : (int)strlen(it->name);
    snprintf(out, sizeof out, "%s/%.*s.jpg", b->out_dir, stem, it->name);
    uint8_t *buf;
    size_t len;
    double t0 = clock_mono_s();
    int r = cli_read_file(path, MAX_INPUT_BYTES, &buf, &len);
    if (r < 0) {
      it->status = 2;
      snprintf(it->reason, sizeof it->reason, "IO_ERROR");
    } else if (r == 1) {
      it->status = 3;
      snprintf(it->reason, sizeof it->reason, "IMAGE_TOO_LARGE");
    } else {
      photo_result res;
      err_t err = {0};
      if (photo_standardize(b->e, buf, len, b->p, &res, &err)) {
        it->status = 1;
        snprintf(it->reason, sizeof it->reason, "%s", err.code);
      } else {
        if (res.refused) {
          it->status = 3;
          snprintf(it->reason, sizeof it->reason, "%s", res.reason);
        } else if (write_file(out, res.jpeg, res.jpeg_len)) {
          it->status = 2;
          snprintf(it->reason, sizeof it->reason, "IO_ERROR");
        } else {
          it->bytes = res.jpeg_len;
          it->quality = res.jpeg_quality;
        }
        photo_result_free(&res);
      }
      free(buf);
    }
    it->ms = (clock_mono_s() - t0) * 1000.0;
    atomic_fetch_add(&b->done, 1);
    progress(b);
  }
  return NULL;
}

static int cmp_item(const void *a, const void *b) {
  return strcmp(((const batch_item *)a)->name, ((const batch_item *)b)->name);
}

static int cmd_batch(opts *o) {
  if (o->npos != 1 || !o->out) {
    usage(stderr);
    return 2;
  }
  long jobs = o->jobs ? strtol(o->jobs, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
  if (jobs < 1 || jobs > 256) {
    fprintf(stderr, "tucai photo: --jobs must be 1..256\n");
    return 2;
  }
  DIR *d = opendir(o->pos[0]);
  if (!d) {
    fprintf(stderr, "tucai photo: cannot open %s\n", o->pos[0]);
    return 2;
  }
  if (mkdir(o->out, 0755) && errno != EEXIST) {
    fprintf(stderr, "tucai photo: cannot create %s\n", o->out);
    closedir(d);
    return 2;
  }
  batch b;
  memset(&b, 0, sizeof b);
  int cap = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!is_image_name(de->d_name)) continue;
    if (b.n == cap) {
      cap = cap ? cap * 2 : 64;
      b.items = xreallocarray(b.items, cap, sizeof *b.items);
    }
    memset(&b.items[b.n], 0, sizeof b.items[0]);
    b.items[b.n++].name = xstrdup(de->d_name);
  }
  closedir(d);
  if (b.n) qsort(b.items, b.n, sizeof b.items[0], cmp_item);
  err_t err = {0};
  photo_profile *p = photo_profile_load(photo_default_profiles_dir(), o->profile, &err);
  photo_engine *e = p ? photo_engine_open(o->models, &err) : NULL;
  if (!p || !e) {
    fprintf(stderr, "tucai photo: %s\n", err.message);
    photo_profile_free(p);
    for (int i = 0; i < b.n; i++) free(b.items[i].name);
    free(b.items);
    return p ? 1 : 2;
  }
  b.e = e;
  b.p = p;
  b.in_dir = o->pos[0];
  b.out_dir = o->out;
  pthread_mutex_init(&b.mu, NULL);
  double t0 = clock_mono_s();
  pthread_t th[256];
  int started = 0;
  for (long i = 0; i < jobs && i < (b.n ? b.n : 1); i++)
    if (pthread_create(&th[started], NULL, batch_worker, &b) == 0) started++;
  if (!started) batch_worker(&b);
  for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
  double secs = clock_mono_s() - t0;
  if (isatty(2)) fputc('\n', stderr);
  int ok = 0, refused = 0, failed = 0;
  FILE *csv = o->report ? fopen(o->report, "w") : NULL;
  if (o->report && !csv) fprintf(stderr, "tucai photo: cannot write %s\n", o->report);
  if (csv) fprintf(csv, "file,status,reason,bytes,quality,ms\n");
  for (int i = 0; i < b.n; i++) {
    batch_item *it = &b.items[i];
    const char *st = it->status == 0 ? "conformant" : it->status == 3 ? "refused" : "error";
    if (it->status == 0)
      ok++;
    else if (it->status == 3)
      refused++;
    else
      failed++;
    if (csv) {
      /* File names are written quoted, with quotes doubled (RFC 4180). */
      fputc('"', csv);
      for (const char *c = it->name; *c; c++) {
        if (*c == '"') fputc('"', csv);
        fputc(*c, csv);
      }
      fprintf(csv, "\",%s,%s,%zu,%d,%.1f\n", st, it->reason, it->bytes, it->quality, it->ms);
    }
    free(it->name);
  }
  if (csv) fclose(csv);
  printf("%d photos in %.1f s with %d threads: %d conformant, %d refused, %d errors\n", b.n, secs,
         started ? started : 1, ok, refused, failed);
  free(b.items);
  pthread_mutex_destroy(&b.mu);
  photo_engine_close(e);
  photo_profile_free(p);
  return failed ? 1 : 0;
}

static int cmd_profiles(opts *o) {
  err_t err = {0};
  json_t *list = photo_profile_list(photo_default_profiles_dir(), &err);
  if (!list) {
    fprintf(stderr, "tucai photo: %s\n", err.message);
    return 2;
  }
  if (o->json) {
    char *s = json_dumps(list, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s) puts(s);
    free(s);
  } else {
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
      printf("%-16s %4dx%-4d %4d dpi  %s%s\n", json_string_value(json_object_get(v, "name")),
             (int)json_integer_value(json_object_get(v, "width")),
             (int)json_integer_value(json_object_get(v, "height")), (int)json_integer_value(json_object_get(v, "dpi")),
             json_string_value(json_object_get(v, "title")),
             strcmp(json_string_value(json_object_get(v, "name")), DEFAULT_PROFILE) ? "" : "  (default)");
    }
  }
  json_decref(list);
  return 0;
}

static int cmd_sheet(opts *o) {
  if (o->npos != 1 || !o->out) {
    usage(stderr);
    return 2;
  }
  const char *fmt = o->format;
  if (!fmt) {
    size_t l = strlen(o->out);
    fmt = (l > 4 && (!strcmp(o->out + l - 4, ".jpg") || !strcmp(o->out + l - 4, ".JPG"))) ||
                  (l > 5 && !strcmp(o->out + l - 5, ".jpeg"))
              ? "jpeg"
              : "pdf";
  }
  char *end = NULL;
  long copies = o->copies ? strtol(o->copies, &end, 10) : 4;
  if (o->copies && (*end || copies < 1 || copies > 100)) {
    fprintf(stderr, "tucai photo: --copies must be 1..100\n");
    return 2;
  }
  uint8_t *buf;
  size_t len;
  int r = cli_read_file(o->pos[0], MAX_INPUT_BYTES, &buf, &len);
  if (r) {
    fprintf(stderr, "tucai photo: cannot read %s\n", o->pos[0]);
    return 2;
  }
  err_t err = {0};
  uint8_t *out = NULL;
  size_t out_len = 0;
  int rc = 0;
  if (photo_sheet(buf, len, (int)copies, o->caption ? o->caption : "", fmt, &out, &out_len, &err)) {
    fprintf(stderr, "tucai photo: %s\n", err.message);
    rc = err.status >= 400 && err.status < 500 ? 2 : 1;
  } else if (write_file(o->out, out, out_len)) {
    fprintf(stderr, "tucai photo: cannot write %s\n", o->out);
    rc = 2;
  } else {
    printf("%s: %ld copies, %zu bytes\n", o->out, copies, out_len);
  }
  free(out);
  free(buf);
  photo_sheet_release();
  return rc;
}

static int cmd_segment(opts *o) {
  if (o->npos != 1 || !o->out) {
    usage(stderr);
    return 2;
  }
  uint8_t *buf;
  size_t len;
  if (cli_read_file(o->pos[0], MAX_INPUT_BYTES, &buf, &len)) {
    fprintf(stderr, "tucai photo: cannot read %s\n", o->pos[0]);
    return 2;
  }
  err_t err = {0};
  photo_engine *e = photo_engine_open(o->models, &err);
  if (!e) {
    fprintf(stderr, "tucai photo: %s\n", err.message);
    free(buf);
    return 1;
  }
  uint8_t *rgb = xmalloc(256 * 256 * 3), *mask = xmalloc(256 * 256);
  float *prob = xmalloc(256 * 256 * sizeof(float));
  int rc = 0;
  if (photo_segment_probe(e, buf, len, rgb, prob, &err)) {
    fprintf(stderr, "%s: %s\n", err.code, err.message);
    rc = err.status == 422 ? 3 : 1;
  } else {
    for (int i = 0; i < 256 * 256; i++) {
      float p = prob[i] < 0 ? 0 : prob[i] > 1 ? 1 : prob[i];
      mask[i] = (uint8_t)(p * 255.0f + 0.5f);
    }
    VipsImage *im = vips_image_new_from_memory(mask, 256 * 256, 256, 256, 1, VIPS_FORMAT_UCHAR);
    void *png = NULL;
    size_t png_len = 0;
    if (!im || vips_pngsave_buffer(im, &png, &png_len, NULL) || write_file(o->out, png, png_len)) {
      fprintf(stderr, "tucai photo: cannot write %s\n", o->out);
      rc = 2;
    }
    g_free(png);
    if (im) g_object_unref(im);
    if (rc == 0 && o->raw) {
      size_t n = 256 * 256 * 3 + 256 * 256 * sizeof(float);
      uint8_t *raw = xmalloc(n);
      memcpy(raw, rgb, 256 * 256 * 3);
      memcpy(raw + 256 * 256 * 3, prob, 256 * 256 * sizeof(float));
      if (write_file(o->raw, raw, n)) {
        fprintf(stderr, "tucai photo: cannot write %s\n", o->raw);
        rc = 2;
      }
      free(raw);
    }
  }
  free(rgb);
  free(mask);
  free(prob);
  photo_engine_close(e);
  free(buf);
  return rc;
}

static int cmd_landmarks_convert(opts *o) {
  const char *b = o->bits ? o->bits : "8";
  int bits = !strcmp(b, "8") ? 8 : !strcmp(b, "16") ? 16 : !strcmp(b, "32") ? 32 : 0;
  if (o->npos != 2 || !bits) {
    usage(stderr);
    return 2;
  }
  char why[512] = "";
  if (vision_landmarks_convert(o->pos[0], o->pos[1], bits, why, sizeof why)) {
    fprintf(stderr, "tucai photo landmarks-convert: %s\n", why);
    return 1;
  }
  struct stat st;
  if (stat(o->pos[1], &st) == 0)
    printf("%s: %lld bytes, %s leaves\n", o->pos[1], (long long)st.st_size,
           bits == 8    ? "int8"
           : bits == 16 ? "int16"
                        : "float");
  return 0;
}

/* The blob for `net-run --from-image`: the photo scaled to cover w x h and centre-cropped, NCHW. */
static float *net_run_image(const char *path, int w, int h, int grey, double mean, double scale) {
  uint8_t *buf;
  size_t len;
  if (cli_read_file(path, MAX_INPUT_BYTES, &buf, &len)) return NULL;
  float *blob = NULL;
  VipsImage *t = NULL, *rgb = NULL;
  if (VIPS_INIT("tucai") == 0 &&
      !vips_thumbnail_buffer(buf, len, &t, w, "height", h, "crop", VIPS_INTERESTING_CENTRE, "size", VIPS_SIZE_BOTH,
                             NULL) &&
      !vips_colourspace(t, &rgb, VIPS_INTERPRETATION_sRGB, NULL) && rgb->Xsize == w && rgb->Ysize == h &&
      rgb->Bands >= 3 && rgb->BandFmt == VIPS_FORMAT_UCHAR) {
    size_t n = 0;
    uint8_t *px = vips_image_write_to_memory(rgb, &n);
    int c = grey ? 1 : 3;
    blob = px ? xmalloc((size_t)w * h * c * sizeof(float)) : NULL;
    for (long i = 0; blob && i < (long)w * h; i++) {
      const uint8_t *p = px + i * rgb->Bands;
      if (grey)
        blob[i] = (float)(((0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]) / 255.0 - mean) * scale);
      else
        for (int k = 0; k < 3; k++) blob[(long)k * w * h + i] = (float)((p[k] / 255.0 - mean) * scale);
    }
    g_free(px);
  }
  if (rgb) g_object_unref(rgb);
  if (t) g_object_unref(t);
  free(buf);
  return blob;
}

static int cmd_net_run(int argc, char **argv) {
  const char *model = NULL, *in_path = NULL, *out = NULL, *shape_s = NULL, *image = NULL, *size_s = NULL;
  const char *save_input = NULL, *outputs[16];
  int n_outputs = 0, grey = 0, threads = 0, repeat = 1;
  double mean = 0, scale = 1;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--grey")) {
      grey = 1;
      continue;
    }
    if (a[0] != '-' || !a[1]) {
      if (!model)
        model = a;
      else if (!in_path)
        in_path = a;
      else
        return usage(stderr), 2;
      continue;
    }
    if (!v) return fprintf(stderr, "tucai photo net-run: %s needs a value\n", a), 2;
    i++;
    if (!strcmp(a, "-o"))
      out = v;
    else if (!strcmp(a, "--shape"))
      shape_s = v;
    else if (!strcmp(a, "--from-image"))
      image = v;
    else if (!strcmp(a, "--size"))
      size_s = v;
    else if (!strcmp(a, "--save-input"))
      save_input = v;
    else if (!strcmp(a, "--mean") || !strcmp(a, "--scale") || !strcmp(a, "--threads") || !strcmp(a, "--repeat")) {
      int bad = !strcmp(a, "--mean")      ? parse_double(v, &mean)
                : !strcmp(a, "--scale")   ? parse_double(v, &scale)
                : !strcmp(a, "--threads") ? parse_int(v, 0, 256, &threads)
                                          : parse_int(v, 1, 1000, &repeat);
      if (bad) return fprintf(stderr, "tucai photo net-run: %s: not a valid number: %s\n", a, v), 2;
    } else if (!strcmp(a, "--output") && n_outputs < 16)
      outputs[n_outputs++] = v;
    else
      return fprintf(stderr, "tucai photo net-run: unknown option %s\n", a), 2;
  }
  int shape[4] = {0}, w = 0, h = 0;
  /* The two sscanf are checked by their counts; the sizes by range here and in net_run. */
  // NOLINTNEXTLINE(cert-err34-c)
  int n_shape = shape_s ? sscanf(shape_s, "%d,%d,%d,%d", &shape[0], &shape[1], &shape[2], &shape[3]) : 0;
  int shape_ok = n_shape == 4;
  int size_ok = size_s && sscanf(size_s, "%dx%d", &w, &h) == 2; // NOLINT(cert-err34-c)
  if (!model || !out || !!in_path == !!image || (in_path && !shape_ok) ||
      (image && (!size_ok || w < 1 || h < 1 || w > 8192 || h > 8192)) || repeat < 1 || repeat > 1000) {
    usage(stderr);
    return 2;
  }
  float *blob = NULL;
  if (image) {
    shape[0] = 1, shape[1] = grey ? 1 : 3, shape[2] = h, shape[3] = w;
    if (!(blob = net_run_image(image, w, h, grey, mean, scale))) {
      fprintf(stderr, "tucai photo net-run: cannot decode %s\n", image);
      return 2;
    }
  } else {
    uint8_t *raw;
    size_t len;
    long want = (long)shape[0] * shape[1] * shape[2] * shape[3] * (long)sizeof(float);
    if (shape[0] < 1 || shape[1] < 1 || shape[2] < 1 || shape[3] < 1 || want > 1L << 30 ||
        cli_read_file(in_path, 1L << 30, &raw, &len) || (long)len != want) {
      fprintf(stderr, "tucai photo net-run: %s is not %s float32 values\n", in_path, shape_s);
      return 2;
    }
    blob = (float *)raw;
  }
  size_t n_in = (size_t)shape[0] * shape[1] * shape[2] * shape[3];
  if (save_input && write_file(save_input, blob, n_in * sizeof(float))) {
    fprintf(stderr, "tucai photo net-run: cannot write %s\n", save_input);
    free(blob);
    return 2;
  }
  if (threads > 0) vision_set_threads(threads);
  float *res = NULL;
  size_t res_len = 0;
  double ms = 0;
  char why[1024] = "";
  int rc = 0;
  if (vision_net_run_file(model, blob, shape, outputs, n_outputs ? n_outputs : 0, repeat, &ms, &res, &res_len, why,
                          sizeof why)) {
    fprintf(stderr, "tucai photo net-run: %s\n", why);
    rc = 1;
  } else if (write_file(out, res, res_len * sizeof(float))) {
    fprintf(stderr, "tucai photo net-run: cannot write %s\n", out);
    rc = 2;
  } else {
    fprintf(stderr, "net-run: %zu floats out, forward %.1f ms (fastest of %d)\n", res_len, ms, repeat);
  }
  free(res);
  free(blob);
  return rc;
}

int cli_photo(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char *sub = argv[1];
  if (!strcmp(sub, "check")) return cli_photo_check(argc - 2, argv + 2);
  if (!strcmp(sub, "net-run")) return cmd_net_run(argc - 2, argv + 2);
  if (!strcmp(sub, "compare")) return cli_photo_compare(argc - 2, argv + 2);
  opts o;
  if (parse(argc - 2, argv + 2, &o)) {
    usage(stderr);
    return 2;
  }
  if (!strcmp(sub, "standardize")) return cmd_standardize(&o);
  if (!strcmp(sub, "batch")) return cmd_batch(&o);
  if (!strcmp(sub, "profiles")) return cmd_profiles(&o);
  if (!strcmp(sub, "sheet")) return cmd_sheet(&o);
  if (!strcmp(sub, "segment")) return cmd_segment(&o);
  if (!strcmp(sub, "landmarks-convert")) return cmd_landmarks_convert(&o);
  fprintf(stderr, "tucai photo: unknown subcommand '%s'\n", sub);
  usage(stderr);
  return 2;
}

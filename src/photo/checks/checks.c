/* checks.c: runs every check over one analysed photo and shapes the report (see checks.h). */
#include "photo/checks/checks.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "photo/checks/check_ctx.h"
#include "photo/face_compare.h"
#include "util/xmalloc.h"

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

void check_ycc(const uint8_t *p, float *y, float *cb, float *cr) {
  float r = p[0], g = p[1], b = p[2];
  *y = 0.299f * r + 0.587f * g + 0.114f * b;
  *cb = 128.0f - 0.168736f * r - 0.331264f * g + 0.5f * b;
  *cr = 128.0f + 0.5f * r - 0.418688f * g - 0.081312f * b;
}

cbox check_box(const check_ctx *c, double x, double y, double w, double h) {
  cbox b;
  double x0 = x < 0 ? 0 : x > c->w ? c->w : x, y0 = y < 0 ? 0 : y > c->h ? c->h : y;
  double x1 = x + w > c->w ? c->w : x + w, y1 = y + h > c->h ? c->h : y + h;
  b.x = (int)x0;
  b.y = (int)y0;
  b.w = x1 > x0 ? (int)(x1 - b.x) : 0;
  b.h = y1 > y0 ? (int)(y1 - b.y) : 0;
  if (b.x + b.w > c->w) b.w = c->w - b.x;
  if (b.y + b.h > c->h) b.h = c->h - b.y;
  if (b.w <= 0 || b.h <= 0) b.w = b.h = 0;
  return b;
}

double check_luma_at(const check_ctx *c, double x, double y) {
  if (x < 0) x = 0;
  if (y < 0) y = 0;
  if (x > c->w - 1.001) x = c->w - 1.001;
  if (y > c->h - 1.001) y = c->h - 1.001;
  int x0 = (int)x, y0 = (int)y;
  double fx = x - x0, fy = y - y0;
  const uint8_t *p = c->luma + (size_t)y0 * c->w + x0;
  if (c->w < 2 || c->h < 2) return p[0];
  return (p[0] * (1 - fx) + p[1] * fx) * (1 - fy) + (p[c->w] * (1 - fx) + p[c->w + 1] * fx) * fy;
}

int check_mask_at(const check_ctx *c, int x, int y) {
  if (!c->mask) return 255;
  return c->mask[(size_t)y * (size_t)c->w + (size_t)x];
}

static int skin_within(const check_ctx *c, const uint8_t *p, float tol) {
  float y, cb, cr;
  check_ycc(p, &y, &cb, &cr);
  float dcb = cb - c->skin_cb, dcr = cr - c->skin_cr;
  if (dcb * dcb + dcr * dcr > tol * tol) return 0;
  return y > 0.45f * c->skin_y && y < 1.6f * c->skin_y + 20.0f;
}

int check_is_skin(const check_ctx *c, const uint8_t *p) { return skin_within(c, p, 10.0f); }

int check_loose_skin_at(const check_ctx *c, const uint8_t *p) { return skin_within(c, p, 18.0f); }

int check_strands_at(const check_ctx *c, int x, int y) {
  int d = (int)fmax(1.0, c->iod / 60.0); /* a few strands' width at any resolution */
  int x0 = x - d < 0 ? 0 : x - d, x1 = x + d >= c->w ? c->w - 1 : x + d;
  int y0 = y - d < 0 ? 0 : y - d, y1 = y + d >= c->h ? c->h - 1 : y + d;
  int gx = abs((int)c->luma[(size_t)y * c->w + x1] - (int)c->luma[(size_t)y * c->w + x0]);
  int gy = abs((int)c->luma[(size_t)y1 * c->w + x] - (int)c->luma[(size_t)y0 * c->w + x]);
  return gx + gy > 0.1 * c->skin_y;
}

void check_background_rgb(const check_ctx *c, double bg[3]) {
  double l[3], r[3];
  int cw = c->w / 10 + 1, ch = c->h / 10 + 1;
  bg[0] = bg[1] = bg[2] = 0;
  if (check_median_rgb(c, check_box(c, 0, 0, cw, ch), 0, l) &&
      check_median_rgb(c, check_box(c, c->w - cw, 0, cw, ch), 0, r))
    for (int k = 0; k < 3; k++) bg[k] = (l[k] + r[k]) / 2;
}

int check_near_rgb(const uint8_t *p, const double rgb[3], double dist) {
  double d = 0;
  for (int k = 0; k < 3; k++) d += (p[k] - rgb[k]) * (p[k] - rgb[k]);
  return d < dist * dist;
}

double check_loose_skin_fraction(const check_ctx *c, cbox b) {
  long n = 0, s = 0;
  for (int y = b.y; y < b.y + b.h; y += c->step)
    for (int x = b.x; x < b.x + b.w; x += c->step) {
      n++;
      s += skin_within(c, c->rgb + ((size_t)y * c->w + x) * 3, 18.0f);
    }
  return n ? (double)s / (double)n : -1.0;
}

double check_skin_fraction(const check_ctx *c, cbox b, int person) {
  long n = 0, s = 0;
  for (int y = b.y; y < b.y + b.h; y += c->step)
    for (int x = b.x; x < b.x + b.w; x += c->step) {
      if (person && check_mask_at(c, x, y) < 128) continue;
      n++;
      s += check_is_skin(c, c->rgb + ((size_t)y * c->w + x) * 3);
    }
  return n ? (double)s / (double)n : -1.0;
}

double check_mean_luma(const check_ctx *c, cbox b) {
  double s = 0;
  long n = 0;
  for (int y = b.y; y < b.y + b.h; y += c->step)
    for (int x = b.x; x < b.x + b.w; x += c->step) s += c->luma[(size_t)y * c->w + x], n++;
  return n ? s / (double)n : -1;
}

int check_median_rgb(const check_ctx *c, cbox b, int person, double rgb[3]) {
  long cap = (long)b.w * b.h;
  if (cap <= 0) return 0;
  float *v = xmallocarray((size_t)cap, sizeof(float));
  int ok = 0;
  for (int k = 0; k < 3; k++) {
    long n = 0;
    for (int y = b.y; y < b.y + b.h; y += c->step)
      for (int x = b.x; x < b.x + b.w; x += c->step) {
        if (person && check_mask_at(c, x, y) < 128) continue;
        if (person == 2 && check_is_skin(c, c->rgb + ((size_t)y * c->w + x) * 3)) continue;
        v[n++] = c->rgb[((size_t)y * c->w + x) * 3 + k];
      }
    if (!n) break;
    qsort(v, (size_t)n, sizeof(float), cmp_float);
    rgb[k] = v[n / 2];
    ok = 1;
  }
  free(v);
  return ok;
}

int check_in_poly(const check_ctx *c, const int *idx, int n, double x, double y) {
  int in = 0;
  for (int i = 0, j = n - 1; i < n; j = i++) {
    double xi = c->lm[idx[i]][0], yi = c->lm[idx[i]][1];
    double xj = c->lm[idx[j]][0], yj = c->lm[idx[j]][1];
    if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) in = !in;
  }
  return in;
}

cbox check_lm_box(const check_ctx *c, const int *idx, int n, double pad) {
  double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
  for (int i = 0; i < n; i++) {
    double x = c->lm[idx[i]][0], y = c->lm[idx[i]][1];
    if (x < x0) x0 = x;
    if (y < y0) y0 = y;
    if (x > x1) x1 = x;
    if (y > y1) y1 = y;
  }
  double p = pad * c->iod;
  return check_box(c, x0 - p, y0 - p, x1 - x0 + 2 * p, y1 - y0 + 2 * p);
}

static double round4(double v) { return isfinite(v) ? round(v * 10000.0) / 10000.0 : 0.0; }

static json_t *region_json(const check_ctx *c, cbox b) {
  double s = c->a->work_scale > 0 ? c->a->work_scale : 1.0;
  return json_pack("[iiii]", (int)lround(b.x / s), (int)lround(b.y / s), (int)lround(b.w / s), (int)lround(b.h / s));
}

static int cfg_num(const json_t *o, const char *key, double *v) {
  json_t *j = json_object_get(o, key);
  if (!json_is_number(j)) return 0;
  *v = json_number_value(j);
  return 1;
}

static void append(check_ctx *c, const char *id, const char *status, double value, json_t *threshold,
                   const char *message, cbox region, json_t *detail) {
  json_t *o =
      json_pack("{s:s, s:s, s:f, s:o, s:s, s:o}", "id", id, "status", status, "value", round4(value), "threshold",
                threshold ? threshold : json_null(), "message", message, "region", region_json(c, region));
  if (o && detail)
    json_object_set_new(o, "detail", detail);
  else if (detail)
    json_decref(detail);
  if (o) json_array_append_new(c->list, o);
}

void check_emit(check_ctx *c, const char *id, double value, cbox region, const char *message_bad, json_t *detail) {
  const json_t *e = c->cfg ? json_object_get(c->cfg, id) : NULL;
  const char *sev = e ? json_string_value(json_object_get(e, "severity")) : NULL;
  if (!e || !sev || strcmp(sev, "off") == 0) {
    append(c, id, "pass", value, NULL, "本规范不检查此项", region, detail);
    return;
  }
  double t = 0, wt = 0;
  int broken = 0, doubtful = 0;
  json_t *thr = NULL;
  if (cfg_num(e, "above", &t)) {
    broken = value > t;
    thr = json_real(t);
  }
  if (cfg_num(e, "below", &t) && (!thr || value < t)) {
    broken = broken || value < t;
    json_decref(thr);
    thr = json_real(t);
  }
  if (cfg_num(e, "warn_above", &wt)) doubtful = doubtful || value > wt;
  if (cfg_num(e, "warn_below", &wt)) doubtful = doubtful || value < wt;
  /* Two-sided rules (exposure): the upper side in "above2"/"warn_above2". */
  if (cfg_num(e, "above2", &t)) {
    if (value > t) {
      broken = 1;
      json_decref(thr);
      thr = json_real(t);
    }
  }
  if (cfg_num(e, "warn_above2", &wt)) doubtful = doubtful || value > wt;
  const char *status = broken ? (strcmp(sev, "warn") == 0 ? "warn" : "fail") : doubtful ? "warn" : "pass";
  append(c, id, status, value, thr, strcmp(status, "pass") == 0 ? "通过" : message_bad, region, detail);
}

void check_emit_unmeasured(check_ctx *c, const char *id, const char *why) {
  cbox all = {0, 0, c->w, c->h};
  append(c, id, "warn", 0.0, NULL, why, all, json_pack("{s:b}", "measured", 0));
}

/* Cheek skin colour: medians over two patches below the eyes, beside the nose. */
static void find_skin(check_ctx *c) {
  float ys[4096], cbs[4096], crs[4096];
  int n = 0;
  for (int side = 0; side < 2; side++) {
    const float *e = side ? c->eye_r : c->eye_l;
    double cx = e[0] + (side ? 0.05 : -0.05) * c->iod, cy = e[1] + 0.55 * c->iod;
    cbox b = check_box(c, cx - 0.15 * c->iod, cy - 0.12 * c->iod, 0.3 * c->iod, 0.24 * c->iod);
    int step = 1;
    while ((long)(b.w / step) * (b.h / step) > 2000) step++;
    for (int y = b.y; y < b.y + b.h; y += step)
      for (int x = b.x; x < b.x + b.w && n < 4096; x += step) {
        check_ycc(c->rgb + ((size_t)y * c->w + x) * 3, &ys[n], &cbs[n], &crs[n]);
        n++;
      }
  }
  if (!n) {
    c->skin_y = 150, c->skin_cb = 110, c->skin_cr = 150;
    return;
  }
  qsort(ys, (size_t)n, sizeof(float), cmp_float);
  qsort(cbs, (size_t)n, sizeof(float), cmp_float);
  qsort(crs, (size_t)n, sizeof(float), cmp_float);
  c->skin_y = ys[n / 2], c->skin_cb = cbs[n / 2], c->skin_cr = crs[n / 2];
}

static void setup_face(check_ctx *c) {
  const photo_analysis *a = c->a;
  if (a->subject < 0 || a->subject >= a->n_faces || !a->has_landmarks) return;
  memcpy(c->lm, a->landmarks, sizeof c->lm);
  for (int i = 0; i < 68; i++) /* a broken landmark fit is no face to measure */
    if (!isfinite(c->lm[i][0]) || !isfinite(c->lm[i][1]) || fabsf(c->lm[i][0]) > 1e6f || fabsf(c->lm[i][1]) > 1e6f)
      return;
  for (int k = 0; k < 2; k++) {
    c->eye_l[k] = c->eye_r[k] = 0;
    for (int i = 0; i < 6; i++) {
      c->eye_l[k] += c->lm[36 + i][k] / 6.0f;
      c->eye_r[k] += c->lm[42 + i][k] / 6.0f;
    }
  }
  c->iod = hypotf(c->eye_r[0] - c->eye_l[0], c->eye_r[1] - c->eye_l[1]);
  if (c->iod < 4.0f) return;
  c->has_face = 1;
  c->step = c->iod >= 80 ? (int)(c->iod / 40) : 1;
  c->face_cx = (c->lm[0][0] + c->lm[16][0] + c->lm[27][0] + c->lm[8][0]) / 4.0f;
  c->brow_y = 1e9f;
  for (int i = 17; i <= 26; i++)
    if (c->lm[i][1] < c->brow_y) c->brow_y = c->lm[i][1];
  c->chin_y = c->lm[8][1];
  c->nose_y = c->lm[33][1];
  c->face = check_box(c, c->lm[0][0], c->brow_y, c->lm[16][0] - c->lm[0][0], c->chin_y - c->brow_y);
  find_skin(c);
}

int photo_checks_run(photo_engine *e, const photo_analysis *a, const json_t *checks_cfg, json_t **out, err_t *err) {
  if (!a || !out || !a->work.px || a->work.w <= 0 || a->work.h <= 0)
    return err_set(err, 400, "NO_IMAGE", "没有可检查的照片");
  if (checks_cfg && !json_is_object(checks_cfg))
    return err_set(err, 500, "bad_profile", "profile \"checks\" is not an object");
  check_ctx c;
  memset(&c, 0, sizeof c);
  c.a = a;
  c.cfg = checks_cfg;
  c.w = a->work.w;
  c.h = a->work.h;
  c.rgb = a->work.px;
  c.step = 1;
  c.nets = e ? photo_engine_face_nets(e, NULL) : NULL;
  if (a->mask.px && a->mask.w == c.w && a->mask.h == c.h) c.mask = a->mask.px;
  c.luma = xmalloc((size_t)c.w * (size_t)c.h);
  c.list = json_array();
  if (!c.list) {
    free(c.luma);
    json_decref(c.list);
    return err_set(err, 500, "oom", "out of memory");
  }
  for (size_t i = 0, n = (size_t)c.w * (size_t)c.h; i < n; i++) {
    const uint8_t *p = c.rgb + i * 3;
    c.luma[i] = (uint8_t)((p[0] * 77 + p[1] * 150 + p[2] * 29) >> 8);
  }
  setup_face(&c);
  /* Once per photo: the expression check and mouth_closed both read it. */
  c.have_expression = c.has_face && check_expression_probs(&c, c.expression) == 0;
  checks_face(&c);
  checks_features(&c);
  checks_hair(&c);
  checks_attire(&c);
  checks_jewellery(&c);
  checks_light(&c);
  checks_capture(&c);
  checks_expression(&c);
  free(c.luma);
  /* Report in the documented order whatever order the groups ran in. */
  json_t *sorted = json_array();
  for (const photo_check_def *d = photo_check_catalog; d->id; d++) {
    size_t k;
    json_t *o;
    json_array_foreach(c.list, k, o) {
      if (strcmp(json_string_value(json_object_get(o, "id")), d->id) == 0) {
        photo_check_describe(o);
        json_array_append(sorted, o);
      }
    }
  }
  json_decref(c.list);
  *out = json_pack("{s:o}", "checks", sorted);
  if (!*out) return err_set(err, 500, "oom", "out of memory");
  return 0;
}

void photo_checks_count(const json_t *report, int *fails, int *warns) {
  size_t i;
  json_t *o;
  *fails = *warns = 0;
  json_array_foreach(json_object_get(report, "checks"), i, o) {
    const char *s = json_string_value(json_object_get(o, "status"));
    if (s && strcmp(s, "fail") == 0)
      (*fails)++;
    else if (s && strcmp(s, "warn") == 0)
      (*warns)++;
  }
}

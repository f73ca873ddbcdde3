/* check_capture.c: how the photo was made: background, recapture of a screen or print (moire),
 * beauty filters, JPEG compression. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "photo/checks/check_ctx.h"
#include "util/xmalloc.h"

#define NO_FACE "没有找到清晰的正面人脸，无法检查此项，请正对镜头重新拍摄"
#define FFT_N 128

/* In-place radix-2 FFT of n complex values. */
static void fft(double *re, double *im, int n) {
  for (int i = 1, j = 0; i < n; i++) {
    int bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      double t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  for (int len = 2; len <= n; len <<= 1) {
    double a = -2 * M_PI / len;
    for (int i = 0; i < n; i += len)
      for (int k = 0; k < len / 2; k++) {
        double wr = cos(a * k), wi = sin(a * k);
        double ur = re[i + k], ui = im[i + k];
        double vr = re[i + k + len / 2] * wr - im[i + k + len / 2] * wi;
        double vi = re[i + k + len / 2] * wi + im[i + k + len / 2] * wr;
        re[i + k] = ur + vr, im[i + k] = ui + vi;
        re[i + k + len / 2] = ur - vr, im[i + k + len / 2] = ui - vi;
      }
  }
}

/* Moire and screen pixel grids are periodic: isolated peaks in the spectrum of a window on the
 * face, far above the ring of frequencies around them. Returns the highest peak over its ring
 * mean (natural log units). Bins on the axes (edges, frame lines) and at multiples of 1/8 (JPEG
 * block grid) are left out. */
static double moire_peak(const check_ctx *c, cbox *region) {
  int n = FFT_N;
  while (n > 16 && (n > c->w || n > c->h)) n /= 2;
  double cx = c->has_face ? c->face_cx : c->w / 2.0;
  double cy = c->has_face ? (c->brow_y + c->chin_y) / 2 : c->h / 2.0;
  int half = n / 2; /* whole pixels: the window starts on a pixel */
  int x0 = (int)fmax(0, fmin(c->w - n, cx - half)), y0 = (int)fmax(0, fmin(c->h - n, cy - half));
  *region = check_box(c, x0, y0, n, n);
  double *re = xcalloc((size_t)n * n, sizeof(double)), *im = xcalloc((size_t)n * n, sizeof(double));
  double *row_re = xmalloc(sizeof(double) * n), *row_im = xmalloc(sizeof(double) * n);
  double *ring = xcalloc((size_t)n, sizeof(double));
  int *ring_n = xcalloc((size_t)n, sizeof(int));
  double best = 0;
  double mean = 0;
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++) mean += c->luma[(size_t)(y0 + y) * c->w + x0 + x];
  mean /= (double)n * n;
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++) {
      double w = (0.5 - 0.5 * cos(2 * M_PI * x / (n - 1))) * (0.5 - 0.5 * cos(2 * M_PI * y / (n - 1)));
      re[y * n + x] = (c->luma[(size_t)(y0 + y) * c->w + x0 + x] - mean) * w;
    }
  for (int y = 0; y < n; y++) fft(re + y * n, im + y * n, n);
  for (int x = 0; x < n; x++) {
    for (int y = 0; y < n; y++) row_re[y] = re[y * n + x], row_im[y] = im[y * n + x];
    fft(row_re, row_im, n);
    for (int y = 0; y < n; y++) re[y * n + x] = row_re[y], im[y * n + x] = row_im[y];
  }
  /* log magnitude in re */
  for (int i = 0; i < n * n; i++) re[i] = log(1e-6 + hypot(re[i], im[i]));
  int lo = n / 10, hi = n / 2 - 1, g = n / 8;
  for (int v = 0; v < n; v++)
    for (int u = 0; u < n; u++) {
      int fu = u <= n / 2 ? u : u - n, fv = v <= n / 2 ? v : v - n;
      int r = (int)lround(hypot(fu, fv));
      if (r < lo || r > hi) continue;
      ring[r] += re[v * n + u], ring_n[r]++;
    }
  for (int v = 0; v < n; v++)
    for (int u = 0; u < n; u++) {
      int fu = u <= n / 2 ? u : u - n, fv = v <= n / 2 ? v : v - n;
      int r = (int)lround(hypot(fu, fv));
      if (r < lo || r > hi || !ring_n[r]) continue;
      if (abs(fu) <= 2 || abs(fv) <= 2) continue;
      int mu = abs(fu) % g, mv = abs(fv) % g;
      if ((mu <= 1 || mu >= g - 1) && (mv <= 1 || mv >= g - 1)) continue;
      double ex = re[v * n + u] - ring[r] / ring_n[r];
      if (ex > best) best = ex;
    }
  free(re), free(im), free(row_re), free(row_im), free(ring), free(ring_n);
  return best;
}

/* Mean absolute Laplacian over a box, sampled at 64 px per IOD. */
static double texture(const check_ctx *c, cbox b) {
  double step = c->iod / 64.0, s = 0;
  long n = 0;
  for (double y = b.y + step; y < b.y + b.h - step; y += step)
    for (double x = b.x + step; x < b.x + b.w - step; x += step) {
      double l = check_luma_at(c, x - step, y) + check_luma_at(c, x + step, y) + check_luma_at(c, x, y - step) +
                 check_luma_at(c, x, y + step) - 4 * check_luma_at(c, x, y);
      s += fabs(l), n++;
    }
  return n ? s / n : 0;
}

void checks_capture(check_ctx *c) {
  /* background_uniformity: texture and spread of the background, on the mask where the engine
   * gave one, else beside and above the head. */
  long n = 0, edges = 0;
  double sum = 0, sum2 = 0;
  cbox bg_region = {0, 0, c->w, c->h};
  int s = c->has_face ? (int)fmax(1, c->iod / 30) : 2;
  cbox boxes[3];
  int nb = 0;
  if (!c->mask && c->has_face) {
    double iod = c->iod, cx = c->face_cx;
    boxes[nb++] = check_box(c, cx - 3.6 * iod, c->brow_y - 1.5 * iod, 1.8 * iod, c->chin_y - c->brow_y + 1.5 * iod);
    boxes[nb++] = check_box(c, cx + 1.8 * iod, c->brow_y - 1.5 * iod, 1.8 * iod, c->chin_y - c->brow_y + 1.5 * iod);
    boxes[nb++] = check_box(c, cx - 1.5 * iod, c->brow_y - 3.2 * iod, 3.0 * iod, 1.2 * iod);
  } else {
    boxes[nb++] = bg_region;
  }
  for (int k = 0; k < nb; k++)
    for (int y = boxes[k].y; y + s < boxes[k].y + boxes[k].h; y += s)
      for (int x = boxes[k].x; x + s < boxes[k].x + boxes[k].w; x += s) {
        if (c->mask &&
            (check_mask_at(c, x, y) > 64 || check_mask_at(c, x + s, y) > 64 || check_mask_at(c, x, y + s) > 64))
          continue;
        const uint8_t *l = c->luma + (size_t)y * c->w + x;
        n++;
        sum += l[0], sum2 += (double)l[0] * l[0];
        edges += abs((int)l[s] - (int)l[0]) + abs((int)l[(size_t)s * c->w] - (int)l[0]) > 24;
      }
  double spread = n ? sqrt(fmax(0, sum2 / n - (sum / n) * (sum / n))) : 0;
  double edge_frac = n ? (double)edges / n : 0;
  check_emit(c, "background_uniformity", n ? fmax(edge_frac * 2, spread / 60) : 0, bg_region,
             "背景不够干净（有杂物、花纹或明暗不均），请在纯色墙面前拍摄，抠图效果会更好",
             json_pack("{s:f, s:f, s:f}", "edges", edge_frac, "spread", spread, "segmentation", c->a->seg_confidence));

  cbox mr;
  double peak = moire_peak(c, &mr);
  check_emit(c, "recapture", peak, mr, "疑似翻拍屏幕或照片，请直接拍摄本人，不要翻拍", NULL);

  if (!c->has_face) {
    check_emit_unmeasured(c, "retouching", NO_FACE);
  } else {
    /* retouching: skin texture on the cheeks compared to the eye area's detail. A beauty filter
     * smooths the skin but keeps the eyes sharp; a blurred photo loses both. */
    double iod = c->iod;
    double cy0 = fmax(c->lm[41][1], c->lm[46][1]) + 0.2 * iod;
    cbox ck_l = check_box(c, c->lm[2][0] + 0.15 * iod, cy0, 0.4 * iod, 0.35 * iod);
    cbox ck_r = check_box(c, c->lm[14][0] - 0.55 * iod, cy0, 0.4 * iod, 0.35 * iod);
    cbox eyes = check_box(c, c->lm[36][0], fmin(c->lm[37][1], c->lm[44][1]) - 0.1 * iod, c->lm[45][0] - c->lm[36][0],
                          0.3 * iod);
    double skin = (texture(c, ck_l) + texture(c, ck_r)) / 2, eye = texture(c, eyes);
    check_emit(c, "retouching", skin / (eye + 1e-9), c->face, "照片疑似经过美颜或修图，请关闭美颜滤镜，使用原始照片",
               json_pack("{s:f, s:f}", "skin_texture", skin, "eye_detail", eye));
  }

  /* compression: the JPEG quality the file was saved at (estimated from its tables). */
  int q = c->a->jpeg_quality_estimate;
  cbox all = {0, 0, c->w, c->h};
  check_emit(c, "compression", q >= 0 ? q : 100, all,
             "照片压缩过度、画质差，请上传原图，不要使用截图或经聊天软件压缩的图片",
             json_pack("{s:i}", "jpeg_quality", q));
}

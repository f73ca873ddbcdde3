/* matte_resolve: decide the broad regions the segmenter left undecided, or say that they cannot be.
 *
 * The selfie model is sure about most of a photo; along a clean edge its doubt is a band a few
 * pixels wide (hair strands, a collar), which the guided filter turns into a soft edge. Long hair
 * over the shoulders, or a head in front of lettering, leaves broad areas at 0.2-0.8 instead; kept
 * soft they come out as translucent hair or a ghost of the old wall, which no school accepts.
 *
 * So, at output resolution: pixels the model is sure of are the trimap's known parts; unknown
 * pixels more than EDGE_PX from both known parts are "deep". Colour histograms of the known person
 * and the known wall near the unknown region say, for each deep pixel, which side its colour
 * belongs to (the model's own guess breaks near-ties). Where the colour speaks clearly, the pixel
 * becomes person or wall outright. Where it does not (a black letter stroke beside dark hair), the
 * pixel is "ambiguous"; the share of those, per pixel of person outline, is what the caller turns
 * into a refusal: the photo needs a plainer wall. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "photo/stages.h"

#define KNOWN_FG 217 /* raw >= this: person */
#define KNOWN_BG 38  /* raw <= this: wall */
#define EDGE_PX 3    /* unknown pixels this close to both known sides are an edge, left soft */
#define NEAR_PX 40   /* known pixels this close to the unknown region feed the colour models */
#define BINS 16      /* per channel */

/* City-block distance (two-pass chamfer) from the pixels where `seed` is set, capped at 255. */
static void distance_from(const uint8_t *seed, int W, int H, uint8_t *d) {
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      size_t i = (size_t)y * W + x;
      int v = seed[i] ? 0 : 255;
      if (x > 0 && d[i - 1] + 1 < v) v = d[i - 1] + 1;
      if (y > 0 && d[i - W] + 1 < v) v = d[i - W] + 1;
      d[i] = (uint8_t)v;
    }
  for (int y = H - 1; y >= 0; y--)
    for (int x = W - 1; x >= 0; x--) {
      size_t i = (size_t)y * W + x;
      int v = d[i];
      if (x + 1 < W && d[i + 1] + 1 < v) v = d[i + 1] + 1;
      if (y + 1 < H && d[i + W] + 1 < v) v = d[i + W] + 1;
      d[i] = (uint8_t)v;
    }
}

/* out = pixels within `steps` >= 1 (city-block) of a set pixel of `seed`: `steps` dilations by the
 * 3x3 cross, each a max of five shifted rows (which the compiler vectorizes). `tmp` is scratch. */
static void near_within(const uint8_t *seed, int W, int H, int steps, uint8_t *out, uint8_t *tmp) {
  const uint8_t *src = seed;
  for (int s = 0; s < steps; s++) {
    uint8_t *dst = (steps - s) % 2 ? out : tmp;
    for (int y = 0; y < H; y++) {
      const uint8_t *r = src + (size_t)y * W, *up = y > 0 ? r - W : r, *dn = y + 1 < H ? r + W : r;
      uint8_t *o = dst + (size_t)y * W;
      o[0] = r[0] | up[0] | dn[0] | (W > 1 ? r[1] : 0);
      for (int x = 1; x + 1 < W; x++) o[x] = r[x] | up[x] | dn[x] | r[x - 1] | r[x + 1];
      if (W > 1) o[W - 1] = r[W - 1] | up[W - 1] | dn[W - 1] | r[W - 2];
    }
    src = dst;
  }
}

static int bin_of(const uint8_t *c) { return (c[0] * BINS / 256 * BINS + c[1] * BINS / 256) * BINS + c[2] * BINS / 256; }

/* A 3x3x3 box over the histogram, so that a colour a shade away from a sample still counts. */
static void smooth_hist(const float *in, float *out) {
  for (int r = 0; r < BINS; r++)
    for (int g = 0; g < BINS; g++)
      for (int b = 0; b < BINS; b++) {
        float s = 0;
        for (int dr = -1; dr <= 1; dr++)
          for (int dg = -1; dg <= 1; dg++)
            for (int db = -1; db <= 1; db++) {
              int R = r + dr, G = g + dg, B = b + db;
              if (R < 0 || G < 0 || B < 0 || R >= BINS || G >= BINS || B >= BINS) continue;
              s += in[(R * BINS + G) * BINS + B];
            }
        out[(r * BINS + g) * BINS + b] = s;
      }
}

/* Per-pixel colour decisions leave speckle where colours mix; each deep pixel takes the majority
 * of the decided mask over a 5x5 window (an integral image of person pixels). */
static void majority_smooth(uint8_t *raw, const uint8_t *unknown, const uint8_t *near_fg, const uint8_t *near_bg, int W,
                            int H) {
  int *sum = calloc((size_t)(W + 1) * (H + 1), sizeof(int));
  if (!sum) return;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      sum[(size_t)(y + 1) * (W + 1) + x + 1] = (raw[(size_t)y * W + x] >= 128) + sum[(size_t)y * (W + 1) + x + 1] +
                                               sum[(size_t)(y + 1) * (W + 1) + x] - sum[(size_t)y * (W + 1) + x];
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      size_t i = (size_t)y * W + x;
      if (!unknown[i] || near_fg[i] || near_bg[i]) continue;
      int x0 = x < 2 ? 0 : x - 2, y0 = y < 2 ? 0 : y - 2, x1 = x + 3 > W ? W : x + 3, y1 = y + 3 > H ? H : y + 3;
      int cnt = sum[(size_t)y1 * (W + 1) + x1] - sum[(size_t)y0 * (W + 1) + x1] - sum[(size_t)y1 * (W + 1) + x0] +
                sum[(size_t)y0 * (W + 1) + x0];
      raw[i] = 2 * cnt > (x1 - x0) * (y1 - y0) ? 255 : 0;
    }
  free(sum);
}

int photo_matte_resolve(const uint8_t *photo, const uint8_t *inside, uint8_t *raw, int W, int H,
                        photo_matte_doubt *doubt) {
  size_t n = (size_t)W * H;
  memset(doubt, 0, sizeof *doubt);
  /* d_fg, d_bg: within EDGE_PX of the sure person / wall; d_unk: distance to the unknown region. */
  uint8_t *seed = calloc(2 * n, 1), *d_fg = calloc(n, 1), *d_bg = calloc(n, 1), *d_unk = calloc(n, 1);
  float *hist = calloc((size_t)4 * BINS * BINS * BINS, sizeof(float));
  if (!seed || !d_fg || !d_bg || !d_unk || !hist) {
    free(seed);
    free(d_fg);
    free(d_bg);
    free(d_unk);
    free(hist);
    return -1;
  }
  float *h_fg = hist, *h_bg = hist + BINS * BINS * BINS, *s_fg = h_bg + BINS * BINS * BINS,
        *s_bg = s_fg + BINS * BINS * BINS;
  long unknown = 0;
  for (size_t i = 0; i < n; i++) seed[i] = inside[i] && raw[i] >= KNOWN_FG;
  near_within(seed, W, H, EDGE_PX, d_fg, d_unk);
  for (size_t i = 0; i < n; i++) seed[i] = inside[i] && raw[i] <= KNOWN_BG;
  near_within(seed, W, H, EDGE_PX, d_bg, d_unk);
  for (size_t i = 0; i < n; i++) {
    seed[i] = inside[i] && raw[i] > KNOWN_BG && raw[i] < KNOWN_FG;
    unknown += seed[i];
  }
  /* Nearness to the unknown region only picks colour samples: every other pixel and row will do. */
  int hw = (W + 1) / 2, hh = (H + 1) / 2;
  uint8_t *half = seed + n; /* the tail of seed's allocation */
  for (int y = 0; y < hh; y++)
    for (int x = 0; x < hw; x++) half[(size_t)y * hw + x] = seed[(size_t)(2 * y) * W + 2 * x];
  distance_from(half, hw, hh, d_unk);

  /* Outline length of the person, for the per-outline measure. */
  long outline = 0;
  for (int y = 0; y + 1 < H; y++)
    for (int x = 0; x + 1 < W; x++) {
      size_t i = (size_t)y * W + x;
      outline += (raw[i] >= 128) != (raw[i + 1] >= 128);
      outline += (raw[i] >= 128) != (raw[i + W] >= 128);
    }
  doubt->outline = outline;

  long deep = 0;
  for (size_t i = 0; i < n; i++) deep += seed[i] && !d_fg[i] && !d_bg[i];
  doubt->deep = deep;
  if (deep > 0) {
    double n_fg = 0, n_bg = 0;
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        size_t i = (size_t)y * W + x;
        if (!inside[i] || d_unk[(size_t)(y / 2) * hw + x / 2] > NEAR_PX / 2) continue;
        if (raw[i] >= KNOWN_FG) {
          h_fg[bin_of(photo + i * 3)] += 1;
          n_fg++;
        } else if (raw[i] <= KNOWN_BG) {
          h_bg[bin_of(photo + i * 3)] += 1;
          n_bg++;
        }
      }
    smooth_hist(h_fg, s_fg);
    smooth_hist(h_bg, s_bg);
    /* Likelihoods per unit of each side's sample count; a floor keeps unseen colours finite. */
    const double floor_p = 0.5 / (BINS * BINS * BINS);
    long ambiguous = 0, to_fg = 0, to_bg = 0;
    for (size_t i = 0; i < n; i++) {
      if (!seed[i] || d_fg[i] || d_bg[i]) continue;
      int b = bin_of(photo + i * 3);
      double pf = (n_fg > 0 ? s_fg[b] / n_fg : 0) + floor_p, pb = (n_bg > 0 ? s_bg[b] / n_bg : 0) + floor_p;
      double model = (raw[i] + 0.5) / 256.0;
      /* Colour evidence plus a light weight on the model's own guess. */
      double lo = log(pf / pb) + 0.5 * log(model / (1 - model));
      if (fabs(lo) < log(4.0)) {
        ambiguous++;
        raw[i] = raw[i] >= 128 ? 255 : 0;
      } else if (lo > 0) {
        to_fg++;
        raw[i] = 255;
      } else {
        to_bg++;
        raw[i] = 0;
      }
    }
    majority_smooth(raw, seed, d_fg, d_bg, W, H);
    doubt->ambiguous = ambiguous;
    doubt->to_person = to_fg;
    doubt->to_wall = to_bg;
  }
  doubt->unknown = unknown;
  free(seed);
  free(d_fg);
  free(d_bg);
  free(d_unk);
  free(hist);
  return 0;
}

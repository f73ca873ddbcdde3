/* matte: who is the person, how sure we are, and the new background.
 *
 * 1. The matting model (Robust Video Matting, vision_matte_region) runs on a crop around the
 *    subject's head and shoulders, at an input size chosen from the crop's: it gives the person's
 *    alpha at the photo's resolution (hair strands included) and the person's colour with the old
 *    wall's spill removed (fgr).
 * 2. The matting model can drop clothing whose colours stand out (a red and white dress): below the
 *    chin the segmenter (MediaPipe selfie segmentation, which sees people as people) fills in the
 *    body, weighted in from the chin down so it never touches the head.
 * 3. Image, alpha, fgr and body are cropped into the output frame in one resampling each; specks
 *    apart from the person are dropped.
 * 4. Translucent alpha far from the person's solid core is the model's doubt (lettering beside the
 *    head, a veil of a white wall), not hair: it fades out, and what fades is the cut's measured
 *    doubt. The segmenter's body edges are pulled onto the clothing by a colour guided filter.
 * 5. Composite over the profile's colour: solid person from the photo, edges from fgr (or, on the
 *    segmenter's body, decontaminated as (I - (1 - a) B_old) / a with B_old the local wall).
 * 6. The person alone gets a mild white balance (from a near-neutral old wall) and exposure
 *    correction (from the face's brightness), both clamped; no beautification.
 * Confidence: the faded doubt as a mean width (px) along the core's outline, and the share of the
 * mask apart from the person (fragments). Both are measured and reported. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "photo/stages.h"
#include "util/xmalloc.h"

/* The crop around the subject that the models see: head and shoulders, 1.6 face widths each
 * side, 1.4 face heights above the box, 2.6 below. Where it leaves the photo the models see the
 * photo's edge pixels repeated: they judge a head near the top edge badly without context, and a
 * repeated wall reads as wall while repeated hair reads as hair (so a head that really is cut stays
 * cut). */
static void subject_region(const photo_box *face, int *x0, int *y0, int *cw, int *ch) {
  double fw = face->w, fh = face->h;
  *x0 = (int)floor(face->x + fw / 2 - 1.6 * fw);
  *y0 = (int)floor(face->y - 1.4 * fh);
  *cw = (int)ceil(face->x + fw / 2 + 1.6 * fw) - *x0;
  *ch = (int)ceil(face->y + fh + 2.6 * fh) - *y0;
}

/* The matting model's input sizes (width x height; scripts/setup-models.sh converts these, and
 * vision.cpp loads them), and the one for a crop: the smallest whose height reaches the crop's, so
 * that a small face gets a small, fast input and is never enlarged for nothing; larger crops are
 * shrunk to 640 rows. Measured on the dev photos at 384x512, 512x640, 640x896 and 768x1024: the
 * larger inputs gave sharper hair but cost 1.7x and 2.4x the time of 512x640 and kept no photo
 * the 512x640 cut refused (32 of 36 conformant at 512x640, 31 at 640x896). */
static const int matte_sizes[][2] = {{384, 512}, {512, 640}};
#define MATTE_SIZES (int)(sizeof matte_sizes / sizeof matte_sizes[0])

static void matte_input_size(int ch, int *in_w, int *in_h) {
  int k = 0;
  while (k + 1 < MATTE_SIZES && matte_sizes[k][1] < ch) k++;
  *in_w = matte_sizes[k][0];
  *in_h = matte_sizes[k][1];
}

/* Below the chin the matting model may drop clothing whose colours stand out (a red and white
 * dress, a striped shirt): there the segmenter, which sees people as people, says where the body
 * is. Its weight rises from 0 at the chin to 1 a third of a face height lower, so it never touches
 * the head, where the matting model is the better judge (hair, and no wall beside the head). */
static void body_from_segmenter(const photo_gray *seg, const float lm[68][2], const photo_box *face, photo_gray *body) {
  double re[2] = {0, 0}, le[2] = {0, 0};
  for (int i = 36; i <= 41; i++) {
    re[0] += lm[i][0] / 6;
    re[1] += lm[i][1] / 6;
    le[0] += lm[i + 6][0] / 6;
    le[1] += lm[i + 6][1] / 6;
  }
  double dx = le[0] - re[0], dy = le[1] - re[1], d = hypot(dx, dy);
  double down[2] = {d > 0 ? -dy / d : 0, d > 0 ? dx / d : 1};
  double chin_v = (lm[8][0] - re[0]) * down[0] + (lm[8][1] - re[1]) * down[1];
  double ramp = face->h / 3 > 1 ? face->h / 3 : 1;
  for (int y = 0; y < seg->h; y++)
    for (int x = 0; x < seg->w; x++) {
      size_t i = (size_t)y * seg->w + x;
      double v = (x - re[0]) * down[0] + (y - re[1]) * down[1] - chin_v;
      double wgt = v <= 0 ? 0 : v >= ramp ? 1 : v / ramp;
      body->px[i] = (uint8_t)lround(seg->px[i] * wgt);
    }
}

int photo_matte_person(vision *v, const photo_rgb *work, const photo_box *face, photo_gray *mask, photo_rgb *fgr,
                       err_t *err) {
  size_t n = (size_t)work->w * work->h;
  mask->w = fgr->w = work->w;
  mask->h = fgr->h = work->h;
  mask->px = xcalloc(n, 1);
  fgr->px = xcalloc(n, 3);
  int x0, y0, cw, ch, in_w, in_h;
  subject_region(face, &x0, &y0, &cw, &ch);
  if (cw < 16 || ch < 16) return photo_refuse(err, "FACE_TOO_SMALL");
  matte_input_size(ch, &in_w, &in_h);
  /* The region takes the input's proportions (widened or heightened about its centre), so the
   * model sees the photo unstretched. */
  double want = (double)in_w / in_h;
  if ((double)cw / ch < want) {
    int w2 = (int)lround(ch * want);
    x0 -= (w2 - cw) / 2;
    cw = w2;
  } else {
    int h2 = (int)lround(cw / want);
    y0 -= (h2 - ch) / 2;
    ch = h2;
  }
  char why[256] = "";
  if (vision_matte_region(v, work->px, work->w, work->h, x0, y0, cw, ch, in_w, in_h, mask->px, fgr->px, why,
                          sizeof why))
    return err_set(err, 0, "matting_failed", "%s", why);
  return 0;
}

int photo_matte_body(vision *v, const photo_rgb *work, const photo_box *face, const float lm[68][2], photo_gray *mask,
                     photo_gray *body, err_t *err) {
  size_t n = (size_t)work->w * work->h;
  photo_gray seg = {0};
  if (photo_matte_segment(v, work, face, 0, &seg, err)) {
    free(seg.px);
    return -1;
  }
  body->w = work->w;
  body->h = work->h;
  body->px = seg.px; /* in place: each pixel is read before it is written */
  body_from_segmenter(&seg, lm, face, body);
  for (size_t i = 0; i < n; i++)
    if (body->px[i] > mask->px[i]) mask->px[i] = body->px[i];
  return 0;
}

int photo_matte_segment(vision *v, const photo_rgb *work, const photo_box *face, int mirrored, photo_gray *mask,
                        err_t *err) {
  mask->w = work->w;
  mask->h = work->h;
  mask->px = xcalloc((size_t)work->w * work->h, 1);
  int x0, y0, cw, ch;
  subject_region(face, &x0, &y0, &cw, &ch);
  if (cw < 16 || ch < 16) return photo_refuse(err, "FACE_TOO_SMALL");
  char why[256] = "";
  int rc = vision_segment_region(v, work->px, work->w, work->h, x0, y0, cw, ch, mirrored, mask->px, why, sizeof why);
  if (rc) return err_set(err, 0, "segmentation_failed", "%s", why);
  return 0;
}

/* The quarter-resolution wall colour at full-resolution pixel (x, y), interpolated bilinearly
 * between the centres of the quarter pixels (4X + 1.5), clamped at the borders. */
static void wall_colour_at(const float *q, int qw, int qh, int x, int y, float out[3]) {
  float fx = (x - 1.5f) / 4, fy = (y - 1.5f) / 4;
  fx = fx < 0 ? 0 : fx > qw - 1 ? (float)(qw - 1) : fx;
  fy = fy < 0 ? 0 : fy > qh - 1 ? (float)(qh - 1) : fy;
  int x0 = (int)fx, y0 = (int)fy, x1 = x0 + 1 < qw ? x0 + 1 : x0, y1 = y0 + 1 < qh ? y0 + 1 : y0;
  float tx = fx - x0, ty = fy - y0;
  for (int c = 0; c < 3; c++) {
    float top = q[((size_t)y0 * qw + x0) * 3 + c] * (1 - tx) + q[((size_t)y0 * qw + x1) * 3 + c] * tx;
    float bot = q[((size_t)y1 * qw + x0) * 3 + c] * (1 - tx) + q[((size_t)y1 * qw + x1) * 3 + c] * tx;
    out[c] = top * (1 - ty) + bot * ty;
  }
}

/* The matting model's alpha maps MATTE_FLOOR..1-MATTE_FLOOR onto 0..1: a faint veil of the old
 * wall (alpha a few per cent, where a white or grey wall shows between strands) would otherwise
 * tint the new background, a person pixel at 95 % would let the new colour through, and the edge
 * gets crisper. Measured with the cut-quality measure on the dev photos: 0.12 removes most of the
 * translucent patches over the new background (0.2 removes little more and thins the hair). */
#define MATTE_FLOOR 0.12
/* The same for the segmenter's body, whose edge the guided filter draws from a 256-px mask: a
 * broad soft band there is the old wall showing through clothing (measured: 0.3 takes the
 * translucent area over the new background of the dev photos from up to 1,840 px to 1,330, and
 * of deepface_img5 from 200 to 20, with clothing edges still smooth). */
#define BODY_FLOOR 0.3
/* The solid core of the person (alpha at least MATTE_CORE), and how far from it (output px, the
 * 480-px-wide frame) translucent alpha is believed: hair strands lie within a few pixels of solid
 * hair, while the model's mistakes on a busy wall (lettering beside the head, a veil of a white
 * wall) spread farther. Measured on the dev photos: fading from 8 px removes the lettering smudge
 * of deepface_img5 and the pink specks of img26 and keeps the loose strands of hivision_test4. */
#define MATTE_CORE 230
#define MATTE_NEAR 8

/* City-block distance (two passes, capped at 255) from the core, and the core's outline length. */
static void distance_from_core(const uint8_t *alpha, int W, int H, uint8_t *d, long *outline) {
  *outline = 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      size_t i = (size_t)y * W + x;
      int v = alpha[i] >= MATTE_CORE ? 0 : 255;
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
      if (v == 1) (*outline)++;
    }
}

/* The output frame's buffers, shared by the steps of photo_matte_composite below; each step reads
 * and writes named ones, so that the composite reads as its six steps. */
typedef struct composite {
  int W, H;
  size_t n;
  int qw, qh;      /* the wall colour's quarter resolution */
  uint8_t *photo;  /* the photo in the frame (RGB) */
  uint8_t *fg;     /* the spill-free person colour in the frame (RGB) */
  uint8_t *raw;    /* the person's alpha as cropped (matting model, or the segmenter's body) */
  uint8_t *bw;     /* first the segmenter's body alpha, then 1 where the alpha is the segmenter's */
  uint8_t *inv;    /* 255 - the final alpha: how much of a pixel is background */
  uint8_t *inside; /* 1 where the output pixel shows the photo (the frame may reach past its edges) */
  uint8_t *scratch;
  float *bg_mean; /* the old wall's local colour, qw x qh x 3 */
} composite;

static void composite_alloc(composite *c, int W, int H) {
  c->W = W;
  c->H = H;
  c->n = (size_t)W * H;
  c->qw = W / 4 > 0 ? W / 4 : 1;
  c->qh = H / 4 > 0 ? H / 4 : 1;
  c->raw = xmalloc(c->n);
  c->bw = xmalloc(c->n);
  c->inv = xmalloc(c->n);
  c->inside = xmalloc(c->n);
  c->scratch = xmalloc(c->n);
  c->photo = xmalloc(c->n * 3);
  c->fg = xmalloc(c->n * 3);
  c->bg_mean = xmalloc((size_t)c->qw * c->qh * 3 * sizeof(float));
}

static void composite_free(composite *c) {
  free(c->photo);
  free(c->fg);
  free(c->raw);
  free(c->bw);
  free(c->inv);
  free(c->inside);
  free(c->scratch);
  free(c->bg_mean);
}

/* Which output pixels show the photo. The frame map is affine: each row is stepped along instead
 * of mapping every pixel. */
static void mark_inside(composite *c, const photo_frame *f, const photo_rgb *work) {
  for (int y = 0; y < c->H; y++) {
    double wx, wy;
    photo_frame_map(f, 0.5, y + 0.5, &wx, &wy);
    for (int x = 0; x < c->W; x++, wx += f->m[0], wy += f->m[3])
      c->inside[(size_t)y * c->W + x] = wx >= 0 && wy >= 0 && wx <= work->w && wy <= work->h;
  }
}

/* bw becomes 1 where the alpha is the segmenter's; the mask starts as the raw alpha with its
 * near-certain ends snapped; box gets the segmenter pixels' bounding box (x, y, w, h; w 0 when
 * there are none). */
static void mark_segmenter_alpha(composite *c, uint8_t *mask, int box[4]) {
  int W = c->W, H = c->H;
  const uint8_t *raw = c->raw;
  box[0] = W, box[1] = H, box[2] = 0, box[3] = 0; /* x0, y0, x1, y1 until the end */
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      size_t i = (size_t)y * W + x;
      c->bw[i] = raw[i] > 0 && c->bw[i] >= raw[i];
      mask[i] = raw[i] <= 5 ? 0 : raw[i] >= 250 ? 255 : raw[i];
      if (c->bw[i]) {
        if (x < box[0]) box[0] = x;
        if (y < box[1]) box[1] = y;
        if (x >= box[2]) box[2] = x + 1;
        if (y >= box[3]) box[3] = y + 1;
      }
    }
  box[2] -= box[0];
  box[3] -= box[1];
}

/* The final alpha from the raw one (and, on the segmenter's body, from the guided filter's, which
 * the mask holds): each model's floor mapped out, and the matting model's translucent alpha more
 * than MATTE_NEAR px from its solid core (core_d) faded out over another MATTE_NEAR px. Returns
 * what faded, in pixels of full alpha. */
static double settle_alpha(const composite *c, const uint8_t *core_d, uint8_t *mask) {
  const uint8_t *raw = c->raw;
  double faded = 0;
  for (size_t i = 0; i < c->n; i++) {
    int a;
    if (c->bw[i]) {
      /* The segmenter's alpha: sure stays sure, and BODY_FLOOR..1-BODY_FLOOR maps to 0..1. */
      a = raw[i] >= 250 ? 255 : raw[i] <= 5 ? 0 : mask[i];
      double t = (a / 255.0 - BODY_FLOOR) / (1 - 2 * BODY_FLOOR);
      a = (int)lround((t < 0 ? 0 : t > 1 ? 1 : t) * 255);
    } else {
      double t = (raw[i] / 255.0 - MATTE_FLOOR) / (1 - 2 * MATTE_FLOOR);
      a = (int)lround((t < 0 ? 0 : t > 1 ? 1 : t) * 255);
      if (a < 255 && core_d[i] > MATTE_NEAR) {
        double keep = fmax(0, 1 - (core_d[i] - MATTE_NEAR) / (double)MATTE_NEAR);
        faded += a * (1 - keep) / 255.0;
        a = (int)lround(a * keep);
      }
    }
    mask[i] = (uint8_t)a;
  }
  return faded;
}

/* The segmenter's body edge steps in by a pixel (a 3x3 minimum): its outermost pixels carry the
 * old wall, which would otherwise stay as a dark or light rim along the shoulders. */
static void erode_body_edge(composite *c, uint8_t *mask) {
  int W = c->W, H = c->H;
  uint8_t *s = c->scratch;
  memcpy(s, mask, c->n);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      size_t i = (size_t)y * W + x;
      if (!c->bw[i] || s[i] == 0) continue;
      uint8_t m = s[i];
      for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
          int X = x + dx, Y = y + dy;
          if (X >= 0 && Y >= 0 && X < W && Y < H && s[(size_t)Y * W + X] < m) m = s[(size_t)Y * W + X];
        }
      mask[i] = m;
    }
}

/* White balance from the old wall, when at least 2 % of the frame is old wall and it is grey or
 * white (a beige wall says nothing about the light, it is just beige): half of its cast is taken
 * out, within 7 %. */
static void wall_gain(const composite *c, double gain[3]) {
  double wall[3] = {0, 0, 0};
  long wall_n = 0;
  for (int y = 0; y < c->H; y += 2)
    for (int x = 0; x < c->W; x += 2) {
      size_t i = (size_t)y * c->W + x;
      if (c->raw[i] != 0 || !c->inside[i]) continue;
      for (int k = 0; k < 3; k++) wall[k] += c->photo[i * 3 + k];
      wall_n++;
    }
  gain[0] = gain[1] = gain[2] = 1.0;
  if (wall_n * 4 * 50 < (long)c->n) return;
  double g = 0, lo = 1e9, hi = 0;
  for (int k = 0; k < 3; k++) {
    wall[k] /= wall_n;
    g += wall[k] / 3;
    lo = fmin(lo, wall[k]);
    hi = fmax(hi, wall[k]);
  }
  if (g > 40 && (hi - lo) / g < 0.12)
    for (int k = 0; k < 3; k++) gain[k] = fmin(1.07, fmax(0.93, 1 + 0.5 * (g / fmax(wall[k], 1) - 1)));
}

/* Exposure from the face's brightness (solid person pixels below the eyes, after the white
 * balance): a dark face is lifted towards 130, a bright one lowered towards 190, both clamped. */
static void face_gamma(const composite *c, const uint8_t *mask, const photo_frame *f, photo_correction *corr) {
  double ysum = 0;
  long yn = 0;
  for (int y = (int)f->eye_y; y < f->eye_y + 0.45 * f->face_w_out && y < c->H; y++)
    for (int x = (int)(f->center_x - 0.35 * f->face_w_out); x < f->center_x + 0.35 * f->face_w_out && x < c->W; x++) {
      if (x < 0 || y < 0 || mask[(size_t)y * c->W + x] < 230) continue;
      const uint8_t *q = c->photo + ((size_t)y * c->W + x) * 3;
      ysum += 0.299 * q[0] * corr->gain[0] + 0.587 * q[1] * corr->gain[1] + 0.114 * q[2] * corr->gain[2];
      yn++;
    }
  double face_y = yn ? ysum / yn : 128;
  corr->gamma = 1.0;
  if (face_y < 100) corr->gamma = fmax(0.75, log(130.0 / 255) / log(fmax(face_y, 10) / 255));
  if (face_y > 215) corr->gamma = fmin(1.3, log(190.0 / 255) / log(fmin(face_y, 250) / 255));
  corr->face_luma = face_y;
}

/* Composite: solid person from the photo itself (sharpest), its edges from the spill-free colour
 * (matting model) or the decontaminated one (segmenter: (I - (1 - a) B_old) / a), over the
 * profile's colour; the person through the correction's table (lut). */
static void blend(const composite *c, const uint8_t *mask, const uint8_t lut[3][256], const uint8_t bnew[3],
                  uint8_t *out) {
  for (size_t i = 0; i < c->n; i++) {
    const uint8_t *I = c->photo + i * 3;
    uint8_t *o = out + i * 3, a8 = mask[i];
    if (a8 == 255) {
      for (int k = 0; k < 3; k++) o[k] = lut[k][I[k]];
    } else if (a8 == 0) {
      memcpy(o, bnew, 3);
    } else {
      float a = a8 / 255.0f, inv_a = 1.0f / (a > 0.25f ? a : 0.25f), B[3];
      if (c->bw[i]) wall_colour_at(c->bg_mean, c->qw, c->qh, (int)(i % c->W), (int)(i / c->W), B);
      for (int k = 0; k < 3; k++) {
        float F = c->bw[i] ? (I[k] - (1 - a) * B[k]) * inv_a : c->fg[i * 3 + k];
        F = F < 0 ? 0 : F > 255 ? 255 : F;
        float v = a * lut[k][(int)(F + 0.5f)] + (1 - a) * bnew[k];
        o[k] = (uint8_t)(v + 0.5f);
      }
    }
  }
}

int photo_matte_composite(const photo_profile *p, const photo_rgb *work, const photo_gray *mask, photo_rgb *fgr,
                          photo_gray *body, const photo_frame *f, int subject_x, int subject_y, photo_rgb *std,
                          photo_gray *std_mask, double *undecided_px, double *fragments, photo_correction *corr,
                          err_t *err) {
  int W = p->width, H = p->height;
  std->w = std_mask->w = W;
  std->h = std_mask->h = H;
  std->px = xmalloc((size_t)W * H * 3);
  std_mask->px = xmalloc((size_t)W * H);
  composite c;
  composite_alloc(&c, W, H);
  int rc = -1;
  /* 1. The photo with the person's alpha, and the spill-free person colour with the segmenter's
   * body, each cropped into the output frame in one resampling. */
  int warp_rc = vision_warp(work->px, work->w, work->h, mask->px, f->m, c.photo, c.raw, W, H, p->background) ||
                vision_warp(fgr->px, fgr->w, fgr->h, body->px, f->m, c.fg, c.bw, W, H, p->background);
  /* Nothing reads the working-resolution fgr and body again: freeing them here takes 7.7 MB (a
   * 12 MP photo's 1600x1200) off the memory held during the guided filter, the 12 MP peak. */
  free(fgr->px);
  free(body->px);
  fgr->px = NULL;
  body->px = NULL;
  if (warp_rc) {
    err_set(err, 0, "warp_failed", "cropping failed");
    goto out;
  }
  mark_inside(&c, f, work);
  /* 2. A person is one piece: specks of wall taken for person go (after being counted). */
  long seed_area = 0, total = 0;
  double sx, sy;
  photo_frame_unmap(f, subject_x, subject_y, &sx, &sy);
  if (vision_mask_keep_component(c.raw, W, H, (int)lround(sx), (int)lround(sy), &seed_area, &total)) {
    err_set(err, 0, "matte_failed", "connected components failed");
    goto out;
  }
  *fragments = total ? 1.0 - (double)seed_area / total : 1.0;

  /* 3. Where the segmenter's body made the alpha (its 256-px mask knows no edges), a colour guided
   * filter at output resolution, radius ~1% of the width, pulls it onto the clothing's own edges;
   * the matting model's alpha is already at the photo's resolution and stays as it is. */
  int seg_box[4];
  mark_segmenter_alpha(&c, std_mask->px, seg_box);
  /* The matting model's doubt far from its solid core fades out (settle_alpha), and what fades is
   * counted, per pixel of the core's outline, as the cut's doubt. */
  uint8_t *core_d = c.scratch;
  long core_outline = 0;
  distance_from_core(c.raw, W, H, core_d, &core_outline);
  int r = W / 80 < 3 ? 3 : W / 80;
  /* Its result is used only where the segmenter made the alpha (the body, below the chin): it runs
   * on that box alone, which at the 12 MP peak was ~14 MB of scratch kept for the whole image. */
  if (seg_box[2] > 0 && vision_guided_filter(c.photo, W, H, std_mask->px, r, 1e-4, seg_box)) {
    err_set(err, 0, "matte_failed", "guided filter failed");
    goto out;
  }
  double faded = settle_alpha(&c, core_d, std_mask->px);
  *undecided_px = core_outline ? faded / core_outline : 0;
  erode_body_edge(&c, std_mask->px);

  /* 4. Local colour of the old wall, from pixels that are background: the segmenter's soft edges
   * are decontaminated with it (the matting model brings its own spill-free colour). */
  for (size_t i = 0; i < c.n; i++) c.inv[i] = (uint8_t)(255 - std_mask->px[i]);
  if (vision_weighted_mean(c.photo, c.inv, W, H, 3 * r, c.bg_mean)) {
    err_set(err, 0, "matte_failed", "background estimate failed");
    goto out;
  }
  /* 5. Mild correction of the person only (never of the new background), clamped so that the
   * photo still matches the student's other ID photos. */
  wall_gain(&c, corr->gain);
  face_gamma(&c, std_mask->px, f, corr);
  uint8_t lut[3][256];
  for (int k = 0; k < 3; k++)
    for (int v = 0; v < 256; v++) {
      double t = fmin(1.0, v * corr->gain[k] / 255.0);
      lut[k][v] = (uint8_t)lround(255.0 * pow(t, corr->gamma));
    }
  /* 6. Over the profile's colour. */
  blend(&c, std_mask->px, (const uint8_t(*)[256])lut, p->background, std->px);
  rc = 0;
out:
  composite_free(&c);
  return rc;
}

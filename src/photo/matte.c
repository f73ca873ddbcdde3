/* matte: who is the person, how sure we are, and the new background.
 *
 * 1. The segmenter (MediaPipe selfie segmentation, 256x256) runs on a crop around the subject's
 *    head and shoulders rather than the whole photo, so that the hair gets the model's resolution.
 * 2. Image and mask are cropped into the output frame in one resampling each.
 * 3. Broad areas the model left undecided (long hair on the shoulders, lettering beside a head)
 *    are decided by colour (matte_resolve.c), and specks apart from the person are dropped.
 * 4. At output resolution a colour guided filter pulls the alpha onto the photo's own edges (hair
 *    strands, collars), then a gentle curve removes the faint tail that would leave a halo.
 * 5. Edge colours are decontaminated: where alpha is partial the pixel is a mix of person and old
 *    wall, so the person's colour is re-estimated as (I - (1 - a) B_old) / a, B_old being the
 *    local mean of the wall; then the pixel is composed over the profile's colour.
 * 6. The person alone gets a mild white balance (from a near-neutral old wall) and exposure
 *    correction (from the face's brightness), both clamped; no beautification.
 * Confidence: what colour could not decide, as a mean width (px) along the person's outline, and
 * the share of the mask apart from the person (fragments). Both are measured and reported. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "photo/stages.h"

int photo_matte_segment(vision *v, const photo_rgb *work, const photo_box *face, int mirrored, photo_gray *mask,
                        err_t *err) {
  mask->w = work->w;
  mask->h = work->h;
  mask->px = calloc((size_t)work->w * work->h, 1);
  if (!mask->px) return err_set(err, 0, "out_of_memory", "out of memory");
  /* Head and shoulders: 1.6 face widths each side, 1.4 above the box, 2.6 below. Where that
   * leaves the photo the crop repeats the photo's edge pixels: the model judges a head near the
   * top edge badly without context, and a repeated wall reads as wall while repeated hair reads as
   * hair (so a head that really is cut stays cut). */
  double fw = face->w, fh = face->h;
  int x0 = (int)floor(face->x + fw / 2 - 1.6 * fw), x1 = (int)ceil(face->x + fw / 2 + 1.6 * fw);
  int y0 = (int)floor(face->y - 1.4 * fh), y1 = (int)ceil(face->y + fh + 2.6 * fh);
  int cw = x1 - x0, ch = y1 - y0;
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

int photo_matte_composite(const photo_profile *p, const photo_rgb *work, const photo_gray *mask,
                          const photo_frame *f, int subject_x, int subject_y, photo_rgb *std,
                          photo_gray *std_mask, double *undecided_px, double *fragments, photo_correction *corr,
                          err_t *err) {
  int W = p->width, H = p->height;
  size_t n = (size_t)W * H;
  std->w = std_mask->w = W;
  std->h = std_mask->h = H;
  std->px = malloc(n * 3);
  std_mask->px = malloc(n);
  uint8_t *raw = malloc(n);
  int qw = W / 4 > 0 ? W / 4 : 1, qh = H / 4 > 0 ? H / 4 : 1; /* the wall colour, at quarter resolution */
  float *bg_mean = malloc((size_t)qw * qh * 3 * sizeof(float));
  uint8_t *inv = malloc(n);
  if (!std->px || !std_mask->px || !raw || !bg_mean || !inv) {
    free(raw);
    free(bg_mean);
    free(inv);
    return err_set(err, 0, "out_of_memory", "out of memory");
  }
  int rc = -1;
  uint8_t *photo = malloc(n * 3);
  if (!photo) goto out;
  if (vision_warp(work->px, work->w, work->h, mask->px, f->m, photo, raw, W, H, p->background)) {
    err_set(err, 0, "warp_failed", "cropping failed");
    goto out;
  }

  /* Which output pixels show the photo (the frame may reach past its edges). */
  uint8_t *inside = malloc(n);
  if (!inside) goto out;
  for (int y = 0; y < H; y++) {
    /* The frame map is affine: step along the row instead of mapping every pixel. */
    double wx, wy;
    photo_frame_map(f, 0.5, y + 0.5, &wx, &wy);
    for (int x = 0; x < W; x++, wx += f->m[0], wy += f->m[3])
      inside[(size_t)y * W + x] = wx >= 0 && wy >= 0 && wx <= work->w && wy <= work->h;
  }
  photo_matte_doubt doubt;
  int resolved = photo_matte_resolve(photo, inside, raw, W, H, &doubt);
  free(inside);
  if (resolved) {
    err_set(err, 0, "out_of_memory", "out of memory");
    goto out;
  }
  /* Confidence: the undecidable area's mean width along the person's outline, in pixels. Clean
   * cuts leave almost none; a busy wall leaves several pixels' worth. */
  *undecided_px = doubt.outline ? (double)doubt.ambiguous / doubt.outline : 0;
  long seed_area = 0, total = 0;
  double sx, sy;
  photo_frame_unmap(f, subject_x, subject_y, &sx, &sy);
  /* A person is one piece: specks of wall the model took for person go (after being counted). */
  if (vision_mask_keep_component(raw, W, H, (int)lround(sx), (int)lround(sy), &seed_area, &total)) {
    err_set(err, 0, "matte_failed", "connected components failed");
    goto out;
  }
  *fragments = total ? 1.0 - (double)seed_area / total : 1.0;

  /* Refinement: guided filter at output resolution, radius ~1% of the width. */
  /* What the model was sure about (<= 5 or >= 250) counts as exactly 0 or 255: the filter then
   * only works along the real edge, not on faint noise spread over the wall. */
  for (size_t i = 0; i < n; i++) std_mask->px[i] = raw[i] <= 5 ? 0 : raw[i] >= 250 ? 255 : raw[i];
  int r = W / 80 < 3 ? 3 : W / 80;
  if (vision_guided_filter(photo, W, H, std_mask->px, r, 1e-4)) {
    err_set(err, 0, "matte_failed", "guided filter failed");
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    /* Pixels the model was sure about stay sure; the filter only moves the uncertain band. */
    int a = raw[i] >= 250 ? 255 : raw[i] <= 5 ? 0 : std_mask->px[i];
    /* Halo removal: map 0.08..0.92 to 0..1. */
    double t = (a / 255.0 - 0.08) / 0.84;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    std_mask->px[i] = (uint8_t)lround(t * 255);
    inv[i] = (uint8_t)(255 - std_mask->px[i]);
  }
  /* Local colour of the old wall, from pixels that are background. */
  if (vision_weighted_mean(photo, inv, W, H, 3 * r, bg_mean)) {
    err_set(err, 0, "matte_failed", "background estimate failed");
    goto out;
  }
  /* Mild correction of the person only (never of the new background): white balance from the old
   * wall when it is near-neutral (its cast is the light's), exposure from the face's brightness.
   * Both are clamped so that the photo still matches the student's other ID photos. */
  double wall[3] = {0, 0, 0};
  long wall_n = 0;
  for (int y = 0; y < H; y += 2)
    for (int x = 0; x < W; x += 2) {
      size_t i = (size_t)y * W + x;
      double wx, wy;
      photo_frame_map(f, x, y, &wx, &wy);
      if (raw[i] != 0 || wx < 0 || wy < 0 || wx > work->w - 1 || wy > work->h - 1) continue;
      for (int c = 0; c < 3; c++) wall[c] += photo[i * 3 + c];
      wall_n++;
    }
  corr->gain[0] = corr->gain[1] = corr->gain[2] = 1.0;
  corr->gamma = 1.0;
  if (wall_n * 4 * 50 >= (long)n) { /* at least 2 % of the frame is old wall */
    double g = 0, lo = 1e9, hi = 0;
    for (int c = 0; c < 3; c++) {
      wall[c] /= wall_n;
      g += wall[c] / 3;
      lo = fmin(lo, wall[c]);
      hi = fmax(hi, wall[c]);
    }
    /* Only a grey or white wall says something about the light (a beige one is just beige), and
     * then only half of its cast is taken out. */
    if (g > 40 && (hi - lo) / g < 0.12)
      for (int c = 0; c < 3; c++) corr->gain[c] = fmin(1.07, fmax(0.93, 1 + 0.5 * (g / fmax(wall[c], 1) - 1)));
  }
  double ysum = 0;
  long yn = 0;
  for (int y = (int)f->eye_y; y < f->eye_y + 0.45 * f->face_w_out && y < H; y++)
    for (int x = (int)(f->center_x - 0.35 * f->face_w_out); x < f->center_x + 0.35 * f->face_w_out && x < W; x++) {
      if (x < 0 || y < 0 || std_mask->px[(size_t)y * W + x] < 230) continue;
      const uint8_t *q = photo + ((size_t)y * W + x) * 3;
      ysum += 0.299 * q[0] * corr->gain[0] + 0.587 * q[1] * corr->gain[1] + 0.114 * q[2] * corr->gain[2];
      yn++;
    }
  double face_y = yn ? ysum / yn : 128;
  if (face_y < 100) corr->gamma = fmax(0.75, log(130.0 / 255) / log(fmax(face_y, 10) / 255));
  if (face_y > 215) corr->gamma = fmin(1.3, log(190.0 / 255) / log(fmin(face_y, 250) / 255));
  corr->face_luma = face_y;
  uint8_t lut[3][256];
  for (int c = 0; c < 3; c++)
    for (int v = 0; v < 256; v++) {
      double t = fmin(1.0, v * corr->gain[c] / 255.0);
      lut[c][v] = (uint8_t)lround(255.0 * pow(t, corr->gamma));
    }

  const uint8_t *bnew = p->background;
  for (size_t i = 0; i < n; i++) {
    const uint8_t *I = photo + i * 3;
    uint8_t *o = std->px + i * 3, a8 = std_mask->px[i];
    if (a8 == 255) {
      for (int c = 0; c < 3; c++) o[c] = lut[c][I[c]];
    } else if (a8 == 0) {
      memcpy(o, bnew, 3);
    } else {
      float a = a8 / 255.0f, inv_a = 1.0f / (a > 0.25f ? a : 0.25f), B[3];
      wall_colour_at(bg_mean, qw, qh, (int)(i % W), (int)(i / W), B);
      for (int c = 0; c < 3; c++) {
        float F = (I[c] - (1 - a) * B[c]) * inv_a;
        F = F < 0 ? 0 : F > 255 ? 255 : F;
        float v = a * lut[c][(int)(F + 0.5f)] + (1 - a) * bnew[c];
        o[c] = (uint8_t)(v + 0.5f);
      }
    }
  }
  rc = 0;
out:
  free(photo);
  free(raw);
  free(bg_mean);
  free(inv);
  return rc;
}

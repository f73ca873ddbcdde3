/* frame: from landmarks and the person mask to the crop that satisfies the profile.
 *
 * Measures live in a "levelled" frame: origin at the midpoint of the eyes, u along the eye line,
 * v perpendicular to it, pointing down. The crop is a similarity transform (roll undone, uniform
 * scale, translation), so the output never stretches the photo. The solver scans the scale and, for
 * each, intersects the vertical bands (crown, eyes, chin) as an interval for the crown's output row;
 * it keeps the scale with the most slack in every band, face width included. */
#include <math.h>
#include <string.h>
#include <stdlib.h>

#include "photo/stages.h"

static void mean_of(const float lm[68][2], int from, int to, double out[2]) {
  out[0] = out[1] = 0;
  for (int i = from; i <= to; i++) {
    out[0] += lm[i][0];
    out[1] += lm[i][1];
  }
  out[0] /= (to - from + 1);
  out[1] /= (to - from + 1);
}

static void level(const photo_frame *f, double x, double y, double *u, double *v) {
  double dx = x - f->eye_mid[0], dy = y - f->eye_mid[1];
  *u = dx * f->dir[0] + dy * f->dir[1];
  *v = dx * f->down[0] + dy * f->down[1];
}

static int mask_at(const photo_gray *m, double x, double y) {
  int ix = (int)lround(x), iy = (int)lround(y);
  if (ix < 0 || iy < 0 || ix >= m->w || iy >= m->h) return -1;
  return m->px[(size_t)iy * m->w + ix];
}

/* Alpha at the photo's edge above which the hair crosses it (a quarter: strands fading out just at
 * the edge are whole hair; more than that is hair cut by the edge, which the new room above would
 * show as a flat top). */
#define HAIR_AT_EDGE 64

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int photo_frame_measure(const float lm[68][2], const photo_gray *mask, photo_frame *f, err_t *err) {
  memset(f, 0, sizeof *f);
  double re[2], le[2];
  mean_of(lm, 36, 41, re); /* the subject's right eye: image left */
  mean_of(lm, 42, 47, le);
  double dx = le[0] - re[0], dy = le[1] - re[1], d = hypot(dx, dy);
  if (d < 4) return photo_refuse(err, "FACE_TOO_SMALL");
  f->dir[0] = dx / d;
  f->dir[1] = dy / d;
  f->down[0] = -f->dir[1];
  f->down[1] = f->dir[0];
  f->eye_mid[0] = (re[0] + le[0]) / 2;
  f->eye_mid[1] = (re[1] + le[1]) / 2;
  f->roll_deg = atan2(dy, dx) * 180.0 / M_PI;

  double u0, v0, u16, v16, un, vn, uc, vc;
  level(f, lm[0][0], lm[0][1], &u0, &v0);
  level(f, lm[16][0], lm[16][1], &u16, &v16);
  level(f, lm[30][0], lm[30][1], &un, &vn);
  level(f, lm[8][0], lm[8][1], &uc, &vc);
  f->face_w = fabs(u16 - u0);
  f->face_cu = (u0 + u16) / 2;
  f->chin_v = vc;
  /* Yaw from how far the nose tip sits off the jaw's midpoint; pitch from the nose's height between
   * the eyes and the chin (about 0.4 when looking straight ahead). Estimates, for warnings. */
  double off = f->face_w > 1 ? 2 * (un - f->face_cu) / f->face_w : 0;
  off = off > 1 ? 1 : off < -1 ? -1 : off;
  f->yaw_deg = asin(off) * 180.0 / M_PI;
  double ratio = vc > 1 ? vn / vc : 0.4;
  f->pitch_deg = (ratio - 0.4) * 150.0;

  /* Crown: walk up from the eye line in columns across the middle of the head until the mask says
   * background for a few pixels; a robust top is the 20th percentile of those columns. A column
   * whose hair reaches the photo's edge (still above HAIR_AT_EDGE there) is cut. */
  enum { COLS = 15 };
  double tops[COLS];
  int n = 0;
  for (int c = 0; c < COLS; c++) {
    double u = f->face_cu + (c - (COLS - 1) / 2.0) / (COLS - 1) * 0.5 * f->face_w;
    int run = 0, last = 0;
    double top = 0;
    int cut = 0;
    for (double v = 0; v > -4 * f->face_w; v -= 1) {
      double x = f->eye_mid[0] + u * f->dir[0] + v * f->down[0];
      double y = f->eye_mid[1] + u * f->dir[1] + v * f->down[1];
      int m = mask_at(mask, x, y);
      if (m < 0) {
        /* The photo's edge: the head is cut if the hair crosses it, i.e. the last pixel inside is
         * more than faintly person. Hair that ends just at the edge is whole: the room above it is
         * new background, which the crop adds (no person pixel is invented). */
        cut = last >= HAIR_AT_EDGE;
        break;
      }
      last = m;
      if (m < 128) {
        if (++run >= 3) break;
      } else {
        run = 0;
        top = v;
      }
    }
    /* Hair fading out over the last rows still crosses the edge if it never falls below
     * HAIR_AT_EDGE between the top found and the photo's edge. */
    for (double v = top - 1; !cut; v -= 1) {
      int m =
          mask_at(mask, f->eye_mid[0] + u * f->dir[0] + v * f->down[0], f->eye_mid[1] + u * f->dir[1] + v * f->down[1]);
      if (m < 0)
        cut = 1;
      else if (m < HAIR_AT_EDGE)
        break;
    }
    if (cut) {
      /* The head reaches the edge of the photo in this column. */
      tops[n++] = -1e9;
      continue;
    }
    tops[n++] = top;
  }
  qsort(tops, n, sizeof tops[0], cmp_double);
  /* One column may be a single strand lying across the edge; two or more are the head's outline
   * cut by it (the new room above would show a flat top). */
  if (tops[1] < -1e8) return photo_refuse(err, "HEAD_CUT_OFF");
  double crown = tops[n / 5];
  /* The crown must be above the eyebrows: a mask that stops lower is a failed cut. */
  double ub, vb;
  level(f, lm[19][0], lm[19][1], &ub, &vb);
  (void)ub;
  if (crown > vb - 0.1 * f->face_w) return photo_refuse(err, "BACKGROUND_TOO_COMPLEX");
  f->crown_v = crown;
  return 0;
}

void photo_frame_map(const photo_frame *f, double x, double y, double *wx, double *wy) {
  *wx = f->m[0] * x + f->m[1] * y + f->m[2];
  *wy = f->m[3] * x + f->m[4] * y + f->m[5];
}

void photo_frame_unmap(const photo_frame *f, double wx, double wy, double *x, double *y) {
  double u, v;
  level(f, wx, wy, &u, &v);
  *x = f->center_x + (u - f->face_cu) * f->scale;
  *y = f->crown_y + (v - f->crown_v) * f->scale;
}

static void band_interval(const photo_band *b, double offset, double *lo, double *hi) {
  /* The crown's row c must satisfy b.lo <= c + offset <= b.hi. */
  if (!b->set) return;
  if (b->lo - offset > *lo) *lo = b->lo - offset;
  if (b->hi - offset < *hi) *hi = b->hi - offset;
}

/* The crown row interval [lo, hi] allowed at scale s; returns the slack (negative: infeasible). */
static double feasible(const photo_profile *p, const photo_frame *f, double s, double *lo, double *hi) {
  double d_eye = -f->crown_v, d_chin = f->chin_v - f->crown_v;
  *lo = -1e9;
  *hi = 1e9;
  band_interval(&p->crown_y, 0, lo, hi);
  band_interval(&p->eye_y, s * d_eye, lo, hi);
  band_interval(&p->chin_y, s * d_chin, lo, hi);
  if (!p->crown_y.set && *lo < 1) *lo = 1; /* still keep the head inside the frame */
  if (*lo > *hi || *hi > 1e8 || *lo < -1e8) return -1;
  double slack = (*hi - *lo) / 2;
  if (p->face_width.set) {
    double fw = s * f->face_w;
    if (fw < p->face_width.lo || fw > p->face_width.hi) return -1;
    slack = fmin(slack, fmin(fw - p->face_width.lo, p->face_width.hi - fw));
  }
  return slack;
}

static void set_transform(const photo_profile *p, photo_frame *f, double s, double c) {
  f->scale = s;
  f->crown_y = c;
  f->eye_y = c + s * (-f->crown_v);
  f->chin_y = c + s * (f->chin_v - f->crown_v);
  f->face_w_out = s * f->face_w;
  f->center_x = p->width / 2.0;
  /* out(x, y) -> levelled (u, v) -> work */
  double a = 1.0 / s;
  double u0 = f->face_cu - f->center_x * a, v0 = f->crown_v - f->crown_y * a;
  f->m[0] = f->dir[0] * a;
  f->m[1] = f->down[0] * a;
  f->m[2] = f->eye_mid[0] + u0 * f->dir[0] + v0 * f->down[0];
  f->m[3] = f->dir[1] * a;
  f->m[4] = f->down[1] * a;
  f->m[5] = f->eye_mid[1] + u0 * f->dir[1] + v0 * f->down[1];
}

#define SOLVE_STEPS 800
static double scale_at(int i) { return 0.02 * pow(1.01, i); } /* 0.02 .. ~58 */

int photo_frame_solve(const photo_profile *p, double work_scale, photo_frame *f, err_t *err) {
  double best_slack = -1, best_s = 0, best_c = 0, lo, hi;
  for (int i = 0; i <= SOLVE_STEPS; i++) {
    double s = scale_at(i), slack = feasible(p, f, s, &lo, &hi);
    if (slack > best_slack) {
      best_slack = slack;
      best_s = s;
      best_c = (lo + hi) / 2;
    }
  }
  if (best_s <= 0) return photo_refuse(err, "FACE_PROPORTIONS");
  set_transform(p, f, best_s, best_c);
  /* Output px per original px: beyond 2 the photo would be visibly upscaled. */
  if (best_s * work_scale > 2.0) return photo_refuse(err, "FACE_TOO_SMALL");
  return 0;
}

int photo_frame_solve_tight(const photo_profile *p, double work_scale, photo_frame *f, double t) {
  /* Between the most central solution (t = 0) and the one that needs the least photo below the
   * chin (t = 1: the largest head the bands allow, placed as low as they allow), keeping a margin
   * of MARGIN px inside every band. */
  const double MARGIN = 4;
  double s0 = f->scale, lo, hi, s_max = 0;
  for (int i = 0; i <= SOLVE_STEPS; i++) {
    double s = scale_at(i);
    if (s >= s0 && feasible(p, f, s, &lo, &hi) >= MARGIN && s * work_scale <= 2.0) s_max = s;
  }
  if (s_max <= 0) return -1;
  double s = s0 + t * (s_max - s0);
  if (feasible(p, f, s, &lo, &hi) < MARGIN) return -1;
  double mid = (lo + hi) / 2, c = mid + t * ((hi - MARGIN) - mid);
  set_transform(p, f, s, c);
  return 0;
}

/* Below this fraction of the height the frame shows shoulders; a strip of at most SIDE_STRIP of
 * the width there may lie outside the photo. */
#define SHOULDER_FROM 0.62
#define SIDE_STRIP 0.10

int photo_frame_check_coverage(const photo_profile *p, const photo_gray *mask, photo_frame *f, err_t *err) {
  /* Walk the output's border; where it falls outside the photo, the person must not reach the
   * photo's edge nearby, or the output would show them cut by a straight line. */
  int W = p->width, H = p->height;
  int steps = 64;
  for (int side = 0; side < 3; side++) { /* 0 bottom, 1 left, 2 right (top is the crown's job) */
    for (int i = 0; i <= steps; i++) {
      double x, y;
      if (side == 0) {
        x = (double)W * i / steps;
        y = H - 1;
      } else {
        x = side == 1 ? 0 : W - 1;
        y = (double)H * i / steps;
      }
      double wx, wy;
      photo_frame_map(f, x, y, &wx, &wy);
      if (wx >= 0 && wy >= 0 && wx <= mask->w - 1 && wy <= mask->h - 1) continue;
      if (y >= SHOULDER_FROM * H && wy >= 0 && wy <= mask->h - 1) {
        /* Shoulders: a photo slightly narrower than the frame leaves a thin plain strip at the
         * side, which is allowed; more than that is refused. */
        double xs = x < W / 2.0 ? SIDE_STRIP * W : W - 1 - SIDE_STRIP * W, ax, ay;
        photo_frame_map(f, xs, y, &ax, &ay);
        if (ax >= 0 && ax <= mask->w - 1) continue;
      }
      double cx = wx < 0 ? 0 : wx > mask->w - 1 ? mask->w - 1 : wx;
      double cy = wy < 0 ? 0 : wy > mask->h - 1 ? mask->h - 1 : wy;
      if (mask->px[(size_t)lround(cy) * mask->w + (size_t)lround(cx)] >= 128) {
        return photo_refuse(err, wy < 0 ? "HEAD_CUT_OFF" : "NOT_ENOUGH_BODY");
      }
    }
  }
  /* Top edge: hair cut by the photo's top edge. */
  for (int i = 0; i <= steps; i++) {
    double wx, wy;
    photo_frame_map(f, (double)W * i / steps, 0, &wx, &wy);
    if (wy >= 0 && wx >= 0 && wx <= mask->w - 1) continue;
    double cx = wx < 0 ? 0 : wx > mask->w - 1 ? mask->w - 1 : wx;
    double cy = wy < 0 ? 0 : wy > mask->h - 1 ? mask->h - 1 : wy;
    /* Solid hair here (the crown's columns judge the faint strands). */
    if (mask->px[(size_t)lround(cy) * mask->w + (size_t)lround(cx)] >= 128) return photo_refuse(err, "HEAD_CUT_OFF");
  }
  return 0;
}

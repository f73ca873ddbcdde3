/* encode: the output file. sRGB baseline JPEG, JFIF density in dots per inch, no EXIF/ICC/XMP
 * (see encode_once), and the highest quality whose size stays inside the profile's byte range, found by
 * a search from the previous photo's quality (JPEG size grows monotonically enough with quality;
 * a 480x640 encode costs about 2.5 ms, and the usual photo needs two). */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "photo/stages.h"
#include "util/xmalloc.h"

static atomic_int last_quality = 85;

/* A JFIF APP0 segment: version 1.01, density in dots per inch, no thumbnail. */
#define JFIF_LEN 18
static void jfif_segment(uint8_t seg[JFIF_LEN], int dpi) {
  const uint8_t head[] = {0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01, 0x01, 0x01};
  memcpy(seg, head, sizeof head);
  seg[12] = (uint8_t)(dpi >> 8);
  seg[13] = (uint8_t)dpi;
  seg[14] = (uint8_t)(dpi >> 8);
  seg[15] = (uint8_t)dpi;
  seg[16] = seg[17] = 0;
}

/* libvips 8.14 with "strip" writes neither EXIF nor ICC nor XMP, but also no JFIF header, and
 * without "strip" it adds an EXIF block of its own; so we strip and add the JFIF segment (which
 * carries the dpi) ourselves, right after SOI. */
static int encode_once(VipsImage *im, int q, int dpi, uint8_t **out, size_t *len) {
  void *buf = NULL;
  size_t n = 0;
  /* 4:2:0 chroma at every quality: libvips' default turns subsampling off from Q 90, where the
   * file grows by a third for colour detail a face photo does not have; always on, the byte
   * budget goes to luma detail instead and size grows smoothly with quality. */
  if (vips_jpegsave_buffer(im, &buf, &n, "Q", q, "strip", TRUE, "optimize_coding", TRUE, "interlace", FALSE,
                           "subsample_mode", VIPS_FOREIGN_SUBSAMPLE_ON, NULL)) {
    vips_error_clear();
    return -1;
  }
  uint8_t *b = buf;
  if (n < 4 || b[0] != 0xFF || b[1] != 0xD8) {
    g_free(buf);
    return -1;
  }
  int has_app0 = b[2] == 0xFF && b[3] == 0xE0;
  uint8_t *o = xmalloc(n + (has_app0 ? 0 : JFIF_LEN));
  o[0] = 0xFF;
  o[1] = 0xD8;
  size_t at = 2;
  if (!has_app0) {
    jfif_segment(o + 2, dpi);
    at += JFIF_LEN;
  }
  memcpy(o + at, b + 2, n - 2);
  *out = o;
  *len = at + n - 2;
  g_free(buf);
  return 0;
}

int photo_encode_jpeg(const photo_rgb *img, int dpi, int min_quality, long min_bytes, long max_bytes, uint8_t **out,
                      size_t *out_len, int *quality, err_t *err) {
  *out = NULL;
  *out_len = 0;
  VipsImage *im =
      vips_image_new_from_memory(img->px, (size_t)img->w * img->h * 3, img->w, img->h, 3, VIPS_FORMAT_UCHAR);
  if (!im) {
    vips_error_clear();
    return err_set(err, 0, "encode_failed", "could not wrap the image");
  }
  im->Type = VIPS_INTERPRETATION_sRGB;
  im->Xres = im->Yres = dpi / 25.4; /* libvips keeps pixels per millimetre */
  int lo = min_quality < 1 ? 1 : min_quality, hi = 95, best_q = -1;
  uint8_t *best = NULL;
  size_t best_len = 0;
  if (max_bytes <= 0) max_bytes = 1L << 30;
  /* Highest q in [lo, hi] with size <= max_bytes. Photos of one profile land close together, so
   * the search starts at the quality the previous photo ended with and walks away from it by as
   * many steps as the size's distance from the limit suggests (a quality step is worth about 3 %
   * here, unevenly), at least one, until the answer is bracketed; then it bisects the bracket.
   * The usual photo needs two or three encodes, a plain bisection five or six. */
  int guess = atomic_load(&last_quality);
  int q = guess < lo ? lo : guess > hi ? hi : guess, have_fail = 0;
  while (lo <= hi) {
    uint8_t *b = NULL;
    size_t n = 0;
    if (encode_once(im, q, dpi, &b, &n)) {
      free(best);
      g_object_unref(im);
      return err_set(err, 0, "encode_failed", "JPEG encoding failed");
    }
    if ((long)n <= max_bytes) {
      free(best);
      best = b;
      best_len = n;
      best_q = q;
      lo = q + 1;
    } else {
      free(b);
      hi = q - 1;
      have_fail = 1;
    }
    int step = (int)lround(fabs(log((double)max_bytes / (double)n)) / log(1.03));
    step = step < 1 ? 1 : step > 8 ? 8 : step;
    if (best_q >= 0 && have_fail)
      q = (lo + hi) / 2; /* bracketed: bisect */
    else if (best_q >= 0)
      q = best_q + step; /* climbing */
    else
      q = hi + 1 - step; /* descending */
    q = q < lo ? lo : q > hi ? hi : q;
  }
  if (best && (long)best_len < min_bytes && best_q == 95) {
    /* Very plain pictures: spend the last qualities before giving up on the lower bound. */
    for (int q = 96; q <= 100 && (long)best_len < min_bytes; q++) {
      uint8_t *b = NULL;
      size_t n = 0;
      if (encode_once(im, q, dpi, &b, &n)) break;
      if ((long)n > max_bytes) {
        free(b);
        break;
      }
      free(best);
      best = b;
      best_len = n;
      best_q = q;
    }
  }
  g_object_unref(im);
  if (!best) return photo_refuse(err, "ENCODE_SIZE");
  if ((long)best_len < min_bytes) {
    free(best);
    return photo_refuse(err, "ENCODE_SIZE");
  }
  atomic_store(&last_quality, best_q);
  *out = best;
  *out_len = best_len;
  *quality = best_q;
  return 0;
}

int photo_encode_jpeg_fixed(const photo_rgb *img, int dpi, int quality, uint8_t **out, size_t *out_len) {
  VipsImage *im =
      vips_image_new_from_memory(img->px, (size_t)img->w * img->h * 3, img->w, img->h, 3, VIPS_FORMAT_UCHAR);
  if (!im) {
    vips_error_clear();
    return -1;
  }
  im->Type = VIPS_INTERPRETATION_sRGB;
  int rc = encode_once(im, quality, dpi, out, out_len);
  g_object_unref(im);
  return rc;
}

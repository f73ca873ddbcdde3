/* decode: bytes from outside -> the working image (packed sRGB, EXIF-oriented, shrunk on load).
 *
 * Hostile input is the normal case here, so the order matters: size limit, then the format from the
 * magic bytes (only JPEG, PNG, WebP, HEIF are accepted), then the header's dimensions against the
 * pixel limit, and only then decoding, with libvips told to fail on truncated data. vips_thumbnail
 * does shrink-on-load (JPEG DCT scaling, WebP/HEIF scaled decode), EXIF orientation and the ICC
 * import (CMYK included) to sRGB in one pass. Decoding is lazy: a truncated file fails when the
 * pixels are written to memory, which is where "fail_on=truncated" bites. */
#include <string.h>
#include <vips/vips.h>

#include "photo/stages.h"
#include "util/image_type.h"

/* The IJG luminance table at quality 50; a saved table is this scaled by 50/q or 2 - q/50. */
static const int std_luma[64] = {16, 11, 10, 16, 24,  40,  51,  61,  12, 12, 14, 19, 26,  58,  60,  55,
                                 14, 13, 16, 24, 40,  57,  69,  56,  14, 17, 22, 29, 51,  87,  80,  62,
                                 18, 22, 37, 56, 68,  109, 103, 77,  24, 35, 55, 64, 81,  104, 113, 92,
                                 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};

int photo_jpeg_quality_estimate(const uint8_t *b, size_t len) {
  if (len < 4 || b[0] != 0xFF || b[1] != 0xD8) return -1;
  size_t i = 2;
  while (i + 4 <= len) {
    if (b[i] != 0xFF) return -1;
    int marker = b[i + 1];
    size_t seglen = ((size_t)b[i + 2] << 8) | b[i + 3];
    if (seglen < 2 || i + 2 + seglen > len) return -1;
    if (marker == 0xDB) {
      if (seglen < 3) return -1; /* no room for the table's precision byte */
      const uint8_t *q = b + i + 4;
      int precision = q[0] >> 4;
      if ((q[0] & 15) != 0 || seglen < 2 + 1 + 64 * (precision ? 2 : 1)) return -1;
      double sum = 0;
      for (int k = 0; k < 64; k++) sum += precision ? (q[1 + 2 * k] << 8 | q[2 + 2 * k]) : q[1 + k];
      double ref = 0;
      for (int k = 0; k < 64; k++) ref += std_luma[k];
      double scale = sum * 100.0 / ref; /* percent of the q50 table (table order does not matter for a sum) */
      int quality = scale <= 100 ? (int)((200 - scale) / 2 + 0.5) : (int)(5000 / scale + 0.5);
      return quality < 1 ? 1 : quality > 100 ? 100 : quality;
    }
    if (marker == 0xDA) return -1;
    i += 2 + seglen;
  }
  return -1;
}

/* Dimensions straight from the file's own header, before any decoder sees it: a PNG that claims
 * 100000x100000 is refused even when the rest of it is missing or broken. Returns 0 when the
 * format is not one we read this way (HEIF: libvips' header read is trusted there). */
static int sniff_dimensions(const uint8_t *b, size_t len, long *w, long *h) {
  if (len >= 24 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8) && !memcmp(b + 12, "IHDR", 4)) {
    *w = (long)b[16] << 24 | (long)b[17] << 16 | b[18] << 8 | b[19];
    *h = (long)b[20] << 24 | (long)b[21] << 16 | b[22] << 8 | b[23];
    return 1;
  }
  if (len >= 4 && b[0] == 0xFF && b[1] == 0xD8) {
    size_t i = 2;
    while (i + 9 <= len && b[i] == 0xFF) {
      int m = b[i + 1];
      if (m == 0xFF) { /* fill byte */
        i++;
        continue;
      }
      size_t seg = ((size_t)b[i + 2] << 8) | b[i + 3];
      if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
        *h = b[i + 5] << 8 | b[i + 6];
        *w = b[i + 7] << 8 | b[i + 8];
        return 1;
      }
      if (seg < 2) return 0;
      i += 2 + seg;
    }
    return 0;
  }
  if (len >= 30 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WEBP", 4)) {
    const uint8_t *c = b + 12;
    if (!memcmp(c, "VP8X", 4)) {
      *w = 1 + (c[12] | c[13] << 8 | (long)c[14] << 16);
      *h = 1 + (c[15] | c[16] << 8 | (long)c[17] << 16);
      return 1;
    }
    if (!memcmp(c, "VP8 ", 4)) {
      *w = (c[14] | c[15] << 8) & 0x3FFF;
      *h = (c[16] | c[17] << 8) & 0x3FFF;
      return 1;
    }
    if (!memcmp(c, "VP8L", 4)) {
      uint32_t bits = c[9] | c[10] << 8 | (uint32_t)c[11] << 16 | (uint32_t)c[12] << 24;
      *w = 1 + (bits & 0x3FFF);
      *h = 1 + ((bits >> 14) & 0x3FFF);
      return 1;
    }
  }
  return 0;
}

static const char *format_of(const char *loader) {
  if (!loader) return NULL;
  if (strstr(loader, "Jpeg")) return "jpeg";
  if (strstr(loader, "Png")) return "png";
  if (strstr(loader, "Webp")) return "webp";
  if (strstr(loader, "Heif")) return "heif";
  return NULL;
}

int photo_decode(const void *bytes, size_t len, const photo_limits *limits, int max_side, photo_decoded *out,
                 err_t *err) {
  memset(out, 0, sizeof *out);
  out->jpeg_quality = -1;
  if (len == 0) return photo_refuse(err, "CORRUPT_IMAGE");
  if (limits->max_bytes > 0 && (long)len > limits->max_bytes) return photo_refuse_too_large(err, limits);
  /* Only what phones send, by its magic bytes, before any of libvips' loaders looks at it. */
  if (!image_type_of(bytes, len)) return photo_refuse(err, "UNSUPPORTED_FORMAT");
  const char *loader = vips_foreign_find_load_buffer(bytes, len);
  vips_error_clear();
  if (!loader) return photo_refuse(err, "UNSUPPORTED_FORMAT");
  const char *fmt = format_of(loader);
  if (!fmt) return photo_refuse(err, "UNSUPPORTED_FORMAT");
  snprintf(out->format, sizeof out->format, "%s", fmt);

  long sw = 0, sh = 0;
  if (sniff_dimensions(bytes, len, &sw, &sh) && limits->max_pixels > 0 &&
      (sw <= 0 || sh <= 0 || sw > limits->max_pixels || sh > limits->max_pixels || sw * sh > limits->max_pixels))
    return sw <= 0 || sh <= 0 ? photo_refuse(err, "CORRUPT_IMAGE") : photo_refuse_too_large(err, limits);

  /* Header only: vips reads the dimensions without decoding pixels. */
  VipsImage *head = vips_image_new_from_buffer(bytes, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
  if (!head) {
    /* A header too large for the decoder's own limits is still "too large" to the student. */
    const char *msg = vips_error_buffer();
    int huge = msg && (strstr(msg, "too large") || strstr(msg, "dimensions") || strstr(msg, "exceeds"));
    vips_error_clear();
    return huge ? photo_refuse_too_large(err, limits) : photo_refuse(err, "CORRUPT_IMAGE");
  }
  long w = vips_image_get_width(head), h = vips_image_get_height(head);
  int orientation = vips_image_get_orientation(head);
  /* Colour management only where there is something to manage: an embedded profile, or CMYK
   * (which gets libvips' built-in CMYK profile). Plain untagged RGB is taken as sRGB, as every
   * browser does, and skips an lcms transform that costs ~10 % of the whole pipeline. */
  int manage_colour = vips_image_get_typeof(head, VIPS_META_ICC_NAME) != 0 ||
                      vips_image_guess_interpretation(head) == VIPS_INTERPRETATION_CMYK;
  g_object_unref(head);
  if (w <= 0 || h <= 0) return photo_refuse(err, "CORRUPT_IMAGE");
  if (limits->max_pixels > 0 && w * h > limits->max_pixels) return photo_refuse_too_large(err, limits);
  if (orientation >= 5 && orientation <= 8) {
    long t = w;
    w = h;
    h = t;
  }
  out->orig_w = (int)w;
  out->orig_h = (int)h;
  if (strcmp(fmt, "jpeg") == 0) out->jpeg_quality = photo_jpeg_quality_estimate(bytes, len);

  VipsImage *t = NULL, *u = NULL;
  int rc = manage_colour
               ? vips_thumbnail_buffer((void *)bytes, len, &t, max_side, "height", max_side, "size", VIPS_SIZE_DOWN,
                                       "export_profile", "srgb", "option_string", "fail_on=truncated", NULL)
               : vips_thumbnail_buffer((void *)bytes, len, &t, max_side, "height", max_side, "size", VIPS_SIZE_DOWN,
                                       "option_string", "fail_on=truncated", NULL);
  if (rc) {
    vips_error_clear();
    return photo_refuse(err, "CORRUPT_IMAGE");
  }
  /* Alpha is flattened on white (a transparent PNG is a cut-out: white is the neutral wall). */
  if (vips_image_hasalpha(t)) {
    VipsArrayDouble *white = vips_array_double_newv(1, t->BandFmt == VIPS_FORMAT_USHORT ? 65535.0 : 255.0);
    /* 16-bit images keep alpha in 0..65535. */
    double max_alpha = t->BandFmt == VIPS_FORMAT_USHORT ? 65535.0 : 255.0;
    int rc = vips_flatten(t, &u, "background", white, "max_alpha", max_alpha, NULL);
    vips_area_unref(VIPS_AREA(white));
    g_object_unref(t);
    if (rc) goto fail;
    t = u;
    u = NULL;
  }
  if (vips_colourspace(t, &u, VIPS_INTERPRETATION_sRGB, NULL)) goto fail;
  g_object_unref(t);
  t = u;
  u = NULL;
  if (t->Bands > 3) {
    if (vips_extract_band(t, &u, 0, "n", 3, NULL)) goto fail;
    g_object_unref(t);
    t = u;
    u = NULL;
  }
  if (t->BandFmt != VIPS_FORMAT_UCHAR) {
    if (vips_cast_uchar(t, &u, NULL)) goto fail;
    g_object_unref(t);
    t = u;
    u = NULL;
  }
  if (t->Bands != 3) goto fail;
  size_t n = 0;
  void *px = vips_image_write_to_memory(t, &n);
  if (!px) goto fail;
  out->work.w = vips_image_get_width(t);
  out->work.h = vips_image_get_height(t);
  out->work.px = px;
  out->scale = (double)out->work.w / (double)out->orig_w;
  g_object_unref(t);
  return 0;
fail:
  if (t) g_object_unref(t);
  if (u) g_object_unref(u);
  vips_error_clear();
  return photo_refuse(err, "CORRUPT_IMAGE");
}

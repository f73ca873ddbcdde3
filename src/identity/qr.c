/* qr: see qr.h. */
#include "identity/qr.h"
#include "util/xmalloc.h"

#include <cairo.h>
#include <pango/pangocairo.h>
#include <pthread.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>
#include <zbar.h>

static void caption_line(cairo_t *cr, const char *text, const char *font, int y, int width) {
  PangoLayout *lay = pango_cairo_create_layout(cr);
  PangoFontDescription *fd = pango_font_description_from_string(font);
  pango_layout_set_font_description(lay, fd);
  pango_layout_set_text(lay, text, -1);
  pango_layout_set_width(lay, (width - 40) * PANGO_SCALE);
  pango_layout_set_alignment(lay, PANGO_ALIGN_CENTER);
  pango_layout_set_ellipsize(lay, PANGO_ELLIPSIZE_END);
  cairo_move_to(cr, 20, y);
  pango_cairo_show_layout(cr, lay);
  pango_font_description_free(fd);
  g_object_unref(lay);
}

int qr_render_png(const char *text, const char *title, const char *const *caption, int n_caption, const char *path,
                  err_t *err) {
  QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
  if (!q) return err_set(err, 400, "qr_encode", "text too long for a QR code");
  if (n_caption > 6) n_caption = 6;
  const int quiet = 4;
  int modules = q->width + 2 * quiet;
  int scale = 600 / modules;
  if (scale < 3) scale = 3;
  int qr_px = modules * scale;
  int width = qr_px + 80;
  int top = 90;
  int height = top + qr_px + 30 + n_caption * 40 + 30;
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
  cairo_t *cr = cairo_create(s);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  /* A coloured title band, as the registry's downloadable code has. */
  cairo_set_source_rgb(cr, 0.06, 0.36, 0.66);
  cairo_rectangle(cr, 0, 0, width, 70);
  cairo_fill(cr);
  cairo_set_source_rgb(cr, 1, 1, 1);
  caption_line(cr, title ? title : "图像采集码", "Noto Sans CJK SC Bold 22", 18, width);
  cairo_set_source_rgb(cr, 0, 0, 0);
  int x0 = (width - qr_px) / 2 + quiet * scale, y0 = top + quiet * scale;
  for (int y = 0; y < q->width; y++)
    for (int x = 0; x < q->width; x++)
      if (q->data[y * q->width + x] & 1) cairo_rectangle(cr, x0 + x * scale, y0 + y * scale, scale, scale);
  cairo_fill(cr);
  cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
  for (int i = 0; i < n_caption; i++)
    caption_line(cr, caption[i], "Noto Sans CJK SC 16", top + qr_px + 20 + i * 40, width);
  cairo_destroy(cr);
  cairo_status_t st = cairo_surface_write_to_png(s, path);
  cairo_surface_destroy(s);
  QRcode_free(q);
  if (st != CAIRO_STATUS_SUCCESS) return err_set(err, 400, "write_failed", "cannot write %s", path);
  return 0;
}

void qr_render_release(void) {
  /* Frees pango's font map (and with it the fonts it cached). cairo_debug_reset_static_data()
   * is not called: it asserts when any cairo object is still alive, and crashed the CLI. */
  pango_cairo_font_map_set_default(NULL);
}

int qr_read_grey(const unsigned char *grey, int w, int h, const char *prefer_prefix, char **text_out) {
  *text_out = NULL;
  zbar_image_scanner_t *sc = zbar_image_scanner_create();
  zbar_image_scanner_set_config(sc, 0, ZBAR_CFG_ENABLE, 0);
  zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
  zbar_image_t *img = zbar_image_create();
  zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
  zbar_image_set_size(img, (unsigned)w, (unsigned)h);
  zbar_image_set_data(img, grey, (unsigned long)w * (unsigned long)h, NULL);
  int n = zbar_scan_image(sc, img);
  if (n > 0) {
    const zbar_symbol_t *best = NULL;
    for (const zbar_symbol_t *sym = zbar_image_first_symbol(img); sym; sym = zbar_symbol_next(sym)) {
      const char *d = zbar_symbol_get_data(sym);
      if (!d) continue;
      if (!best) best = sym;
      if (prefer_prefix && strncmp(d, prefer_prefix, strlen(prefer_prefix)) == 0) {
        best = sym;
        break;
      }
    }
    if (best) {
      unsigned len = zbar_symbol_get_data_length(best);
      char *t = xmalloc(len + 1);
      memcpy(t, zbar_symbol_get_data(best), len);
      t[len] = 0;
      *text_out = t;
    }
  }
  zbar_image_destroy(img);
  zbar_image_scanner_destroy(sc);
  return *text_out ? 0 : -1;
}

static pthread_once_t vips_once = PTHREAD_ONCE_INIT;
static int vips_ok;
static void start_vips(void) { vips_ok = vips_init("tucai") == 0; }

/* Tries one vips image (any bands): to grey uchar, into memory, scan. Unrefs nothing. */
static int try_image(VipsImage *in, const char *prefer, char **out) {
  VipsImage *g = NULL, *u = NULL;
  int rc = -1;
  if (vips_colourspace(in, &g, VIPS_INTERPRETATION_B_W, NULL) != 0) goto done;
  if (vips_cast_uchar(g, &u, NULL) != 0) goto done;
  size_t size = 0;
  void *mem = vips_image_write_to_memory(u, &size);
  if (!mem) goto done;
  int w = vips_image_get_width(u), h = vips_image_get_height(u);
  if (vips_image_get_bands(u) == 1 && size == (size_t)w * (size_t)h) rc = qr_read_grey(mem, w, h, prefer, out);
  g_free(mem);
done:
  if (g) g_object_unref(g);
  if (u) g_object_unref(u);
  vips_error_clear();
  return rc;
}

/* Global threshold at the mean, on a grey uchar copy in memory. */
static int try_threshold(unsigned char *grey, int w, int h, int local, const char *prefer, char **out) {
  size_t n = (size_t)w * (size_t)h;
  unsigned char *bin = xmalloc(n);
  if (!local) {
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) sum += grey[i];
    unsigned mean = (unsigned)(sum / (n ? n : 1));
    for (size_t i = 0; i < n; i++) bin[i] = grey[i] > mean ? 255 : 0;
  } else {
    /* Local mean over a window ~1/8 of the short side, via an integral image. */
    int r = (w < h ? w : h) / 16;
    if (r < 4) r = 4;
    uint64_t *ii = xcalloc((size_t)(w + 1) * (size_t)(h + 1), sizeof *ii);
    for (int y = 0; y < h; y++) {
      uint64_t row = 0;
      for (int x = 0; x < w; x++) {
        row += grey[(size_t)y * w + x];
        ii[(size_t)(y + 1) * (w + 1) + x + 1] = ii[(size_t)y * (w + 1) + x + 1] + row;
      }
    }
    for (int y = 0; y < h; y++) {
      int y0 = y - r < 0 ? 0 : y - r, y1 = y + r + 1 > h ? h : y + r + 1;
      for (int x = 0; x < w; x++) {
        int x0 = x - r < 0 ? 0 : x - r, x1 = x + r + 1 > w ? w : x + r + 1;
        uint64_t s = ii[(size_t)y1 * (w + 1) + x1] - ii[(size_t)y0 * (w + 1) + x1] - ii[(size_t)y1 * (w + 1) + x0] +
                     ii[(size_t)y0 * (w + 1) + x0];
        uint64_t cnt = (uint64_t)(x1 - x0) * (uint64_t)(y1 - y0);
        bin[(size_t)y * w + x] = (uint64_t)grey[(size_t)y * w + x] * cnt + 5 * cnt > s ? 255 : 0;
      }
    }
    free(ii);
  }
  int rc = qr_read_grey(bin, w, h, prefer, out);
  free(bin);
  return rc;
}

/* A grey uchar copy scaled so that its longer side is at most `max_side` (never upscaled). */
static unsigned char *grey_copy(VipsImage *in, int max_side, int *w, int *h) {
  VipsImage *s = NULL, *g = NULL, *u = NULL;
  unsigned char *res = NULL;
  int iw = vips_image_get_width(in), ih = vips_image_get_height(in);
  int longer = iw > ih ? iw : ih;
  double f = longer > max_side ? (double)max_side / longer : 1.0;
  if (f < 1.0) {
    if (vips_resize(in, &s, f, NULL) != 0) goto done;
  } else {
    s = in;
    g_object_ref(s);
  }
  if (vips_colourspace(s, &g, VIPS_INTERPRETATION_B_W, NULL) != 0) goto done;
  if (vips_cast_uchar(g, &u, NULL) != 0) goto done;
  size_t size = 0;
  void *mem = vips_image_write_to_memory(u, &size);
  *w = vips_image_get_width(u);
  *h = vips_image_get_height(u);
  if (mem && vips_image_get_bands(u) == 1 && size == (size_t)*w * (size_t)*h) {
    res = xmalloc(size);
    memcpy(res, mem, size);
  }
  g_free(mem);
done:
  if (s) g_object_unref(s);
  if (g) g_object_unref(g);
  if (u) g_object_unref(u);
  vips_error_clear();
  return res;
}

int qr_read_file(const char *path, const char *prefer_prefix, long long max_pixels, char **text_out, err_t *err) {
  *text_out = NULL;
  pthread_once(&vips_once, start_vips);
  if (!vips_ok) return err_set(err, 0, "vips_init", "image library failed to start");
  /* Only photo formats: libvips would also open SVG, PDF, FITS... from an upload, which is more
   * parser surface than a collection code needs. */
  const char *loader = vips_foreign_find_load(path);
  static const char *const allowed[] = {"VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadWebp",
                                        "VipsForeignLoadHeif", "VipsForeignLoadGif"};
  int ok = 0;
  for (size_t i = 0; loader && i < sizeof allowed / sizeof *allowed; i++)
    if (strncmp(loader, allowed[i], strlen(allowed[i])) == 0) ok = 1;
  vips_error_clear();
  if (!ok) return err_set(err, 400, "bad_image", "无法识别的图片文件，请上传 PNG 或 JPEG 格式的采集码图片");
  VipsImage *img =
      vips_image_new_from_file(path, "access", VIPS_ACCESS_RANDOM, "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
  if (!img) {
    vips_error_clear();
    return err_set(err, 400, "bad_image", "无法识别的图片文件，请上传 PNG 或 JPEG 格式的采集码图片");
  }
  int w = vips_image_get_width(img), h = vips_image_get_height(img);
  /* The header alone says the size (libvips decodes lazily): refuse decompression bombs and huge
   * pictures before any pixel is decoded. */
  if (max_pixels <= 0) max_pixels = QR_DEFAULT_MAX_PIXELS;
  if ((long long)w * h > max_pixels) {
    g_object_unref(img);
    return err_set(err, 413, "image_too_large", "图片太大（超过 %lld 万像素），请上传采集码的截图或原图",
                   max_pixels / 10000);
  }
  if (w < 21 || h < 21) {
    g_object_unref(img);
    return err_set(err, 400, "bad_image", "图片尺寸不合适，请上传清晰完整的采集码图片");
  }
  VipsImage *rot = NULL;
  if (w > 2400 || h > 2400) {
    /* A phone photo: let the decoder shrink while loading (JPEG shrink-on-load) instead of holding
     * tens of megapixels; thumbnail also applies the EXIF orientation. */
    g_object_unref(img);
    if (vips_thumbnail(path, &rot, 2400, "height", 2400, "size", VIPS_SIZE_DOWN, "fail_on", VIPS_FAIL_ON_TRUNCATED,
                       NULL) != 0) {
      vips_error_clear();
      return err_set(err, 400, "bad_image", "无法识别的图片文件，请上传 PNG 或 JPEG 格式的采集码图片");
    }
    img = rot;
    w = vips_image_get_width(img);
    h = vips_image_get_height(img);
  } else if (vips_autorot(img, &rot, NULL) == 0) {
    g_object_unref(img);
    img = rot;
  }
  vips_error_clear();
  int found = -1;
  int longer = w > h ? w : h;
  /* 1. as it is (if not huge). */
  if (longer <= 2400) found = try_image(img, prefer_prefix, text_out);
  /* 2. downscaled copies, 3. binarised copies of them. */
  const int sides[] = {1600, 1000, 700, 480};
  for (size_t i = 0; found != 0 && i < sizeof sides / sizeof *sides; i++) {
    if (sides[i] >= longer && i > 0) continue;
    int gw = 0, gh = 0;
    unsigned char *grey = grey_copy(img, sides[i], &gw, &gh);
    if (!grey) continue;
    if (sides[i] < longer) found = qr_read_grey(grey, gw, gh, prefer_prefix, text_out);
    if (found != 0) found = try_threshold(grey, gw, gh, 0, prefer_prefix, text_out);
    if (found != 0) found = try_threshold(grey, gw, gh, 1, prefer_prefix, text_out);
    free(grey);
  }
  g_object_unref(img);
  if (found != 0) return err_set(err, 422, "no_code_found", "图片中没有找到二维码，请上传清晰完整的采集码图片");
  return 0;
}

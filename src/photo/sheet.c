/* sheet: paper prints. Copies of a standardized photo on a 6-inch sheet (152 x 102 mm), each at
 * its true size (pixels / dpi), with the student's caption under it in a CJK font (Noto Sans CJK,
 * Debian fonts-noto-cjk) and cut marks at the corners, as PDF (vector marks and text, the photo
 * embedded at full resolution) or as a 300 dpi JPEG for photo printers.
 *
 * Layout: whichever orientation holds more copies; the grid is centred; copies beyond what fits
 * are refused rather than shrunk (a print must keep the photo's size). */
#include <cairo-pdf.h>
#include <cairo.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "photo/stages.h"
#include "util/xmalloc.h"

#define SHEET_LONG_MM 152.0
#define SHEET_SHORT_MM 102.0
#define MARGIN_MM 5.0
#define GAP_MM 6.0
#define CAPTION_MM 5.0
#define SHEET_DPI 300.0

typedef struct growbuf {
  uint8_t *p;
  size_t len, cap;
} growbuf;

static cairo_status_t grow_write(void *closure, const unsigned char *data, unsigned int n) {
  growbuf *g = closure;
  if (g->len + n > g->cap) {
    size_t cap = g->cap ? g->cap * 2 : 65536;
    while (cap < g->len + n) cap *= 2;
    g->p = xrealloc(g->p, cap);
    g->cap = cap;
  }
  memcpy(g->p + g->len, data, n);
  g->len += n;
  return CAIRO_STATUS_SUCCESS;
}

typedef struct layout {
  double page_w, page_h, photo_w, photo_h;
  int cols, rows;
} layout;

static int fit(double page_w, double page_h, double pw, double ph, layout *l) {
  l->page_w = page_w;
  l->page_h = page_h;
  l->photo_w = pw;
  l->photo_h = ph;
  l->cols = (int)floor((page_w - 2 * MARGIN_MM + GAP_MM) / (pw + GAP_MM));
  l->rows = (int)floor((page_h - 2 * MARGIN_MM + GAP_MM) / (ph + CAPTION_MM + GAP_MM));
  if (l->cols < 0) l->cols = 0;
  if (l->rows < 0) l->rows = 0;
  return l->cols * l->rows;
}

static void cut_marks(cairo_t *cr, double x, double y, double w, double h) {
  const double off = 1.0, len = 3.0;
  double xs[2] = {x, x + w}, ys[2] = {y, y + h};
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_set_line_width(cr, 0.12);
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++) {
      double sx = i ? 1 : -1, sy = j ? 1 : -1;
      cairo_move_to(cr, xs[i] + sx * off, ys[j]);
      cairo_line_to(cr, xs[i] + sx * (off + len), ys[j]);
      cairo_move_to(cr, xs[i], ys[j] + sy * off);
      cairo_line_to(cr, xs[i], ys[j] + sy * (off + len));
    }
  cairo_stroke(cr);
}

static void draw(cairo_t *cr, const layout *l, cairo_surface_t *photo, int px_w, int px_h, int copies,
                 const char *caption) {
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  double grid_w = l->cols * l->photo_w + (l->cols - 1) * GAP_MM;
  double cell_h = l->photo_h + CAPTION_MM;
  double grid_h = l->rows * cell_h + (l->rows - 1) * GAP_MM;
  double x0 = (l->page_w - grid_w) / 2, y0 = (l->page_h - grid_h) / 2;
  PangoLayout *pl = pango_cairo_create_layout(cr);
  /* Font sizes in points, user units in millimetres: 25.4 units per inch. */
  pango_cairo_context_set_resolution(pango_layout_get_context(pl), 25.4);
  pango_layout_context_changed(pl);
  PangoFontDescription *fd = pango_font_description_from_string("Noto Sans CJK SC 8");
  pango_layout_set_font_description(pl, fd);
  pango_font_description_free(fd);
  pango_layout_set_width(pl, (int)(l->photo_w * PANGO_SCALE));
  pango_layout_set_alignment(pl, PANGO_ALIGN_CENTER);
  pango_layout_set_ellipsize(pl, PANGO_ELLIPSIZE_END);
  pango_layout_set_text(pl, caption ? caption : "", -1);
  for (int i = 0; i < copies; i++) {
    int r = i / l->cols, c = i % l->cols;
    double x = x0 + c * (l->photo_w + GAP_MM), y = y0 + r * (cell_h + GAP_MM);
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_scale(cr, l->photo_w / px_w, l->photo_h / px_h);
    cairo_set_source_surface(cr, photo, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
    cairo_rectangle(cr, 0, 0, px_w, px_h);
    cairo_fill(cr);
    cairo_restore(cr);
    cut_marks(cr, x, y, l->photo_w, l->photo_h);
    if (caption && *caption) {
      cairo_set_source_rgb(cr, 0, 0, 0);
      cairo_move_to(cr, x, y + l->photo_h + 0.8);
      pango_cairo_show_layout(cr, pl);
    }
  }
  g_object_unref(pl);
}

struct photo_sheet_page {
  layout l;
  cairo_surface_t *photo;
  int w, h, copies;
};

photo_sheet_page *photo_sheet_page_new(const void *jpeg, size_t len, int copies, err_t *err) {
  if (copies < 1) {
    err_set(err, 400, "bad_copies", "at least one copy");
    return NULL;
  }
  if (len == 0 || len > 20L * 1024 * 1024) {
    err_set(err, 400, "CORRUPT_IMAGE", "photo file empty or too large");
    return NULL;
  }
  if (VIPS_INIT("tucai")) {
    err_set(err, 0, "vips_init", "libvips failed to start");
    return NULL;
  }
  VipsImage *im = vips_image_new_from_buffer(jpeg, len, "", "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
  if (!im) {
    vips_error_clear();
    err_set(err, 400, "CORRUPT_IMAGE", "the photo cannot be read");
    return NULL;
  }
  int w = vips_image_get_width(im), h = vips_image_get_height(im);
  double dpi = im->Xres > 0 ? im->Xres * 25.4 : SHEET_DPI;
  if (dpi < 72 || dpi > 1200) dpi = SHEET_DPI;
  if (w < 16 || h < 16 || w > 4000 || h > 4000) {
    g_object_unref(im);
    err_set(err, 400, "IMAGE_TOO_LARGE", "the photo is not a standardized photo (%dx%d)", w, h);
    return NULL;
  }
  VipsImage *rgb = NULL;
  size_t n = 0;
  uint8_t *px = NULL;
  if (vips_colourspace(im, &rgb, VIPS_INTERPRETATION_sRGB, NULL) == 0) {
    VipsImage *three = NULL;
    if (rgb->Bands >= 3 && vips_extract_band(rgb, &three, 0, "n", 3, NULL) == 0) {
      VipsImage *u8 = NULL;
      if (vips_cast_uchar(three, &u8, NULL) == 0) {
        px = vips_image_write_to_memory(u8, &n);
        g_object_unref(u8);
      }
      g_object_unref(three);
    }
    g_object_unref(rgb);
  }
  g_object_unref(im);
  if (!px || n != (size_t)w * h * 3) {
    g_free(px);
    vips_error_clear();
    err_set(err, 400, "CORRUPT_IMAGE", "the photo cannot be decoded");
    return NULL;
  }
  double pw = w / dpi * 25.4, ph = h / dpi * 25.4;
  layout land, port;
  int cl = fit(SHEET_LONG_MM, SHEET_SHORT_MM, pw, ph, &land), cp = fit(SHEET_SHORT_MM, SHEET_LONG_MM, pw, ph, &port);
  int cap = cp > cl ? cp : cl;
  if (copies > cap) {
    g_free(px);
    err_set(err, 400, "too_many_copies", "at most %d copies of a %.0fx%.0f mm photo fit on a 6-inch sheet", cap, pw,
            ph);
    return NULL;
  }
  photo_sheet_page *pg = xcalloc(1, sizeof *pg);
  pg->l = cp > cl ? port : land;
  pg->w = w, pg->h = h, pg->copies = copies;
  /* The photo as a cairo surface (native-endian xRGB words). */
  pg->photo = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
  unsigned char *data = cairo_image_surface_get_data(pg->photo);
  int stride = cairo_image_surface_get_stride(pg->photo);
  for (int y = 0; y < h; y++) {
    uint32_t *row = (uint32_t *)(data + (size_t)y * stride);
    for (int x = 0; x < w; x++) {
      const uint8_t *src = px + ((size_t)y * w + x) * 3;
      row[x] = 0xFF000000u | (uint32_t)src[0] << 16 | (uint32_t)src[1] << 8 | src[2];
    }
  }
  cairo_surface_mark_dirty(pg->photo);
  g_free(px);
  return pg;
}

void photo_sheet_page_size(const photo_sheet_page *pg, double *w_mm, double *h_mm) {
  *w_mm = pg->l.page_w;
  *h_mm = pg->l.page_h;
}

void photo_sheet_page_draw(const photo_sheet_page *pg, struct _cairo *cr, const char *caption) {
  draw(cr, &pg->l, pg->photo, pg->w, pg->h, pg->copies, caption);
}

void photo_sheet_page_free(photo_sheet_page *pg) {
  if (!pg) return;
  cairo_surface_destroy(pg->photo);
  free(pg);
}

int photo_sheet(const void *jpeg, size_t len, int copies, const char *caption, const char *format, uint8_t **out,
                size_t *out_len, err_t *err) {
  *out = NULL;
  *out_len = 0;
  int pdf = strcmp(format, "pdf") == 0;
  if (!pdf && strcmp(format, "jpeg") != 0) return err_set(err, 400, "bad_format", "sheet format is pdf or jpeg");
  photo_sheet_page *pg = photo_sheet_page_new(jpeg, len, copies, err);
  if (!pg) return -1;
  const layout *l = &pg->l;
  int rc = 0;
  if (pdf) {
    growbuf g = {0};
    cairo_surface_t *surf =
        cairo_pdf_surface_create_for_stream(grow_write, &g, l->page_w / 25.4 * 72.0, l->page_h / 25.4 * 72.0);
    cairo_t *cr = cairo_create(surf);
    cairo_scale(cr, 72.0 / 25.4, 72.0 / 25.4);
    photo_sheet_page_draw(pg, cr, caption);
    cairo_destroy(cr);
    cairo_surface_finish(surf);
    int bad = cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS;
    cairo_surface_destroy(surf);
    if (bad) {
      free(g.p);
      rc = err_set(err, 0, "sheet_failed", "PDF rendering failed");
    } else {
      *out = g.p;
      *out_len = g.len;
    }
  } else {
    int sw = (int)lround(l->page_w / 25.4 * SHEET_DPI), sh = (int)lround(l->page_h / 25.4 * SHEET_DPI);
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, sw, sh);
    cairo_t *cr = cairo_create(surf);
    cairo_scale(cr, SHEET_DPI / 25.4, SHEET_DPI / 25.4);
    photo_sheet_page_draw(pg, cr, caption);
    cairo_destroy(cr);
    cairo_surface_flush(surf);
    const unsigned char *sd = cairo_image_surface_get_data(surf);
    int ss = cairo_image_surface_get_stride(surf);
    uint8_t *rgbp = xmalloc((size_t)sw * sh * 3);
    for (int y = 0; y < sh; y++) {
      const uint32_t *row = (const uint32_t *)(sd + (size_t)y * ss);
      for (int x = 0; x < sw; x++) {
        uint8_t *d = rgbp + ((size_t)y * sw + x) * 3;
        d[0] = (uint8_t)(row[x] >> 16);
        d[1] = (uint8_t)(row[x] >> 8);
        d[2] = (uint8_t)row[x];
      }
    }
    photo_rgb sheet = {sw, sh, rgbp};
    if (photo_encode_jpeg_fixed(&sheet, (int)SHEET_DPI, 92, out, out_len))
      rc = err_set(err, 0, "sheet_failed", "JPEG encoding failed");
    vips_error_clear();
    free(rgbp);
    cairo_surface_destroy(surf);
  }
  photo_sheet_page_free(pg);
  return rc;
}

void photo_sheet_release(void) {
  /* Frees pango's font map (and with it the fonts it cached). cairo_debug_reset_static_data()
   * is not called: it asserts when any cairo object is still alive, and crashed the CLI. */
  pango_cairo_font_map_set_default(NULL);
}

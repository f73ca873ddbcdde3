/* pdf.c: cairo PDF documents in memory and CJK text (see pdf.h). */
#include "print/pdf.h"
#include "util/xmalloc.h"

#include <cairo-pdf.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PT_PER_MM (72.0 / 25.4)

static cairo_status_t sink(void *closure, const unsigned char *data, unsigned int n) {
  pdf_doc *d = closure;
  if (d->len + n > d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 65536;
    while (cap < d->len + n) cap *= 2;
    d->buf = xrealloc(d->buf, cap), d->cap = cap;
  }
  memcpy(d->buf + d->len, data, n);
  d->len += n;
  return CAIRO_STATUS_SUCCESS;
}

int pdf_open(pdf_doc *d, double w_mm, double h_mm, err_t *err) {
  memset(d, 0, sizeof *d);
  d->surf = cairo_pdf_surface_create_for_stream(sink, d, w_mm * PT_PER_MM, h_mm * PT_PER_MM);
  if (cairo_surface_status(d->surf) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(d->surf);
    return err_set(err, 0, "pdf_failed", "cannot start a PDF");
  }
  d->cr = cairo_create(d->surf);
  cairo_scale(d->cr, PT_PER_MM, PT_PER_MM);
  return 0;
}

void pdf_next_page(pdf_doc *d, double w_mm, double h_mm) {
  cairo_show_page(d->cr);
  cairo_pdf_surface_set_size(d->surf, w_mm * PT_PER_MM, h_mm * PT_PER_MM);
}

int pdf_close(pdf_doc *d, uint8_t **out, size_t *len, err_t *err) {
  *out = NULL, *len = 0;
  cairo_destroy(d->cr);
  cairo_surface_finish(d->surf);
  int bad = cairo_surface_status(d->surf) != CAIRO_STATUS_SUCCESS;
  cairo_surface_destroy(d->surf);
  if (bad) {
    free(d->buf);
    memset(d, 0, sizeof *d);
    return err_set(err, 0, "pdf_failed", "PDF rendering failed");
  }
  *out = d->buf, *len = d->len;
  memset(d, 0, sizeof *d);
  return 0;
}

double pdf_text(cairo_t *cr, double x, double y, double width_mm, double pt, int bold, const char *text) {
  return pdf_text_box(cr, x, y, width_mm, 0, pt, bold, text);
}

double pdf_text_box(cairo_t *cr, double x, double y, double width_mm, double max_h_mm, double pt, int bold,
                    const char *text) {
  PangoLayout *pl = pango_cairo_create_layout(cr);
  /* Font sizes in points, user units in millimetres: 25.4 units per inch. */
  PangoContext *pc = pango_layout_get_context(pl);
  pango_cairo_context_set_resolution(pc, 25.4);
  /* One user unit is a whole millimetre: glyph positions and metrics rounded to units put small
   * text's letters on a millimetre grid, overlapping or torn apart (the labels' footer). PDF is
   * vector: no hinting, no rounding. */
  pango_context_set_round_glyph_positions(pc, FALSE);
  cairo_font_options_t *fo = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options(pc, fo);
  cairo_font_options_destroy(fo);
  pango_layout_context_changed(pl);
  char font[64];
  snprintf(font, sizeof font, "Noto Sans CJK SC%s %.1f", bold ? " Bold" : "", pt);
  PangoFontDescription *fd = pango_font_description_from_string(font);
  pango_layout_set_font_description(pl, fd);
  pango_font_description_free(fd);
  if (width_mm > 0) {
    pango_layout_set_width(pl, (int)(width_mm * PANGO_SCALE));
    pango_layout_set_wrap(pl, PANGO_WRAP_WORD_CHAR);
  }
  if (max_h_mm > 0 && width_mm > 0) {
    /* Whole lines that fit the box; the last one ends in an ellipsis when text is left over, so
     * that nothing is drawn over what lies below (a label's sender and footer). */
    /* As a count of lines (a negative height): pango's height in units let a second line through
     * at these sizes. Noto Sans CJK's line is 1.448 em. */
    int lines = (int)(max_h_mm / (pt * 25.4 / 72.0 * 1.448));
    pango_layout_set_height(pl, -(lines < 1 ? 1 : lines));
    pango_layout_set_ellipsize(pl, PANGO_ELLIPSIZE_END);
  }
  pango_layout_set_text(pl, text ? text : "", -1);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_move_to(cr, x, y);
  pango_cairo_show_layout(cr, pl);
  int w, h;
  pango_layout_get_size(pl, &w, &h);
  g_object_unref(pl);
  return (double)h / PANGO_SCALE;
}

/* pdf: what the print files share to draw PDFs with cairo and pango: an in-memory output
 * stream, and text in millimetre user units with the CJK font (Debian fonts-noto-cjk). */
#ifndef TUCAI_PRINT_PDF_H
#define TUCAI_PRINT_PDF_H

#include <cairo.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct pdf_doc {
  cairo_surface_t *surf;
  cairo_t *cr; /* scaled: one user unit is one millimetre */
  uint8_t *buf;
  size_t len, cap;
} pdf_doc;

/* A document whose first page is w_mm x h_mm (written to memory). */
int pdf_open(pdf_doc *d, double w_mm, double h_mm, err_t *err);
/* Ends the current page; the next one is w_mm x h_mm. */
void pdf_next_page(pdf_doc *d, double w_mm, double h_mm);
/* Finishes and hands the bytes over (malloc'd); frees everything either way. */
int pdf_close(pdf_doc *d, uint8_t **out, size_t *len, err_t *err);
/* Draws text at (x, y) (top left, mm) in "Noto Sans CJK SC <pt>" (bold when bold), wrapped to
 * width_mm (0: one line, never wrapped); returns the height it took in mm. */
double pdf_text(cairo_t *cr, double x, double y, double width_mm, double pt, int bold, const char *text);
/* The same inside a box of max_h_mm (0: unbounded): only whole lines that fit are drawn, the last
 * ellipsized when the text is longer. Returns the height drawn in mm (at most max_h_mm). */
double pdf_text_box(cairo_t *cr, double x, double y, double width_mm, double max_h_mm, double pt, int bold,
                    const char *text);

#endif

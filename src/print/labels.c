/* labels.c: A4 sheets of address labels for the parcels of a batch (see print.h). The address
 * is decrypted only here, in memory, for the PDF; the caller audits the download. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collect.h"
#include "identity/student.h"
#include "pay/address.h"
#include "print/pdf.h"
#include "print/print.h"

#define A4_W 210.0
#define A4_H 297.0
#define COLS 2
#define ROWS 7
#define LABEL_W 99.1
#define LABEL_H 38.1
#define LEFT_MM 4.65
#define TOP_MM 15.15
#define GAP_MM 2.5

static void label(cairo_t *cr, double x, double y, const json_t *addr, const student_record *s, const char *order_no) {
  char t[1200];
  double in = 4, w = LABEL_W - 2 * in, cy = y + 3;
  snprintf(t, sizeof t, "收件人：%s　电话：%s", json_string_value(json_object_get(addr, "recipient")),
           json_string_value(json_object_get(addr, "mobile")));
  cy += pdf_text(cr, x + in, cy, w, 10, 1, t) + 1;
  snprintf(t, sizeof t, "%s %s", json_string_value(json_object_get(addr, "region_names")),
           json_string_value(json_object_get(addr, "street")));
  cy += pdf_text(cr, x + in, cy, w, 9, 0, t);
  snprintf(t, sizeof t, "学号 %s · 订单 %s · 毕业照片", s->student_no, order_no);
  pdf_text(cr, x + in, y + LABEL_H - 6.5, w, 6.5, 0, t);
  /* A faint outline helps when the labels are printed on plain paper and cut. */
  cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
  cairo_set_line_width(cr, 0.1);
  cairo_rectangle(cr, x, y, LABEL_W, LABEL_H);
  cairo_stroke(cr);
}

int print_labels_pdf(db_t *db, int64_t batch_id, int only_unshipped, uint8_t **out, size_t *len, int *labels, err_t *err) {
  *out = NULL, *len = 0, *labels = 0;
  collect_approved *ap = NULL;
  int n = 0;
  if (collect_approved_list(db, batch_id, 1, &ap, &n, err) < 0) return -1;
  pdf_doc d;
  int rc = 0, opened = 0, count = 0;
  /* Order of the roster numbers is what the operator matches against the tracking file. */
  for (int i = 0; i < n && !rc; i++) {
    if (only_unshipped && ap[i].shipped_at) continue;
    int64_t order_id = 0, address_id = 0;
    char order_no[40] = "";
    int post = print_postage(db, batch_id, ap[i].record_id, &order_id, &address_id, order_no, err);
    if (post < 0) {
      rc = -1;
      break;
    }
    if (!post || !address_id) continue;
    json_t *addr = pay_address_json(db, address_id, 0, err);
    student_record s;
    if (!addr || student_record_get(db, ap[i].record_id, &s, err) < 0) {
      json_decref(addr);
      rc = -1;
      break;
    }
    if (!opened) {
      rc = pdf_open(&d, A4_W, A4_H, err);
      opened = rc == 0;
    } else if (count % (COLS * ROWS) == 0) {
      pdf_next_page(&d, A4_W, A4_H);
    }
    if (!rc) {
      int k = count % (COLS * ROWS), c = k % COLS, row = k / COLS;
      label(d.cr, LEFT_MM + c * (LABEL_W + GAP_MM), TOP_MM + row * LABEL_H, addr, &s, order_no);
      count++;
    }
    sodium_memzero(&s, sizeof s);
    json_decref(addr);
  }
  free(ap);
  if (opened) {
    err_t e2 = {0};
    int crc = pdf_close(&d, out, len, rc ? &e2 : err);
    if (!rc) rc = crc;
    if (rc) {
      free(*out);
      *out = NULL, *len = 0;
    }
  }
  if (!rc && count == 0) rc = err_set(err, 409, "no_parcels", "no approved student of this batch paid postage");
  if (!rc) *labels = count;
  return rc;
}

/* labels.c: A4 sheets of address labels for the parcels of a batch (see print.h). The address
 * is decrypted only here, in memory, for the PDF; the caller audits the download. The sender is
 * the school office (schools.sender_*, set by the operator per school: one deployment serves
 * several schools, each posting in its own name, so it is not a process-wide setting). */
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

/* The school office that posts the parcels, printed as the sender (schools.sender_*). */
typedef struct sender {
  char name[128], phone[40], address[400];
} sender;

/* Top to bottom inside a label (mm from its top): recipient and phone, the address (up to three
 * lines, ellipsized), then, from the bottom up, one line of footer (student number and order)
 * and up to two of sender, above a hairline. Each box has a fixed height, so a long address can never
 * run into the sender or the footer, and the footer never wraps into the next label. */
#define PAD 3.0
#define FOOT_H 3.4
#define SENDER_H 6.9 /* two lines of 6.5 pt: a school office address is long */

static void label(cairo_t *cr, double x, double y, const json_t *addr, const student_record *s, const char *order_no,
                  const sender *from) {
  char t[1200];
  double in = 4, w = LABEL_W - 2 * in, cy = y + PAD;
  double foot_y = y + LABEL_H - PAD + 1 - FOOT_H, sender_y = foot_y - SENDER_H, rule_y = sender_y - 0.8;
  snprintf(t, sizeof t, "收件人：%s　电话：%s", json_string_value(json_object_get(addr, "recipient")),
           json_string_value(json_object_get(addr, "mobile")));
  cy += pdf_text_box(cr, x + in, cy, w, 5.4, 10, 1, t) + 0.8;
  snprintf(t, sizeof t, "%s %s", json_string_value(json_object_get(addr, "region_names")),
           json_string_value(json_object_get(addr, "street")));
  pdf_text_box(cr, x + in, cy, w, rule_y - 0.6 - cy, 9, 0, t);
  cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
  cairo_set_line_width(cr, 0.15);
  cairo_move_to(cr, x + in, rule_y);
  cairo_line_to(cr, x + LABEL_W - in, rule_y);
  cairo_stroke(cr);
  snprintf(t, sizeof t, "寄件人：%s　%s　%s", from->name, from->phone, from->address);
  pdf_text_box(cr, x + in, sender_y, w, SENDER_H, 6.5, 0, t);
  snprintf(t, sizeof t, "学号 %s　订单 %s　毕业照片", s->student_no, order_no);
  pdf_text_box(cr, x + in, foot_y, w, FOOT_H, 6, 0, t);
  /* A faint outline helps when the labels are printed on plain paper and cut. */
  cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
  cairo_set_line_width(cr, 0.1);
  cairo_rectangle(cr, x, y, LABEL_W, LABEL_H);
  cairo_stroke(cr);
}

/* The batch's school's sender; 409 "no_sender" until the operator has set it. */
static int sender_of(db_t *db, int64_t batch_id, sender *out, err_t *err) {
  db_res *r = db_query(
      db, err,
      "SELECT s.sender_name, s.sender_phone, s.sender_address FROM batches b JOIN schools s ON s.id = b.school_id "
      "WHERE b.id = $1",
      DB_INT(batch_id));
  if (!r) return -1;
  int ok = db_res_rows(r) == 1 && *db_res_text_at(r, 0, "sender_name") && *db_res_text_at(r, 0, "sender_address");
  if (ok) {
    snprintf(out->name, sizeof out->name, "%s", db_res_text_at(r, 0, "sender_name"));
    snprintf(out->phone, sizeof out->phone, "%s", db_res_text_at(r, 0, "sender_phone"));
    snprintf(out->address, sizeof out->address, "%s", db_res_text_at(r, 0, "sender_address"));
  }
  db_res_free(r);
  return ok ? 0
            : err_set(err, 409, "no_sender",
                      "请先在“学校”中填写寄件人（学校办公室的名称、电话和地址），地址标签上要印寄件人");
}

int print_labels_pdf(db_t *db, int64_t batch_id, int only_unshipped, uint8_t **out, size_t *len, int *labels,
                     err_t *err) {
  *out = NULL, *len = 0, *labels = 0;
  sender from;
  if (sender_of(db, batch_id, &from, err) < 0) return -1;
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
      label(d.cr, LEFT_MM + c * (LABEL_W + GAP_MM), TOP_MM + row * LABEL_H, addr, &s, order_no, &from);
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
  if (!rc && count == 0) rc = err_set(err, 409, "no_parcels", "本批次没有需要邮寄的学生（已通过审核且支付了邮寄费）");
  if (!rc) *labels = count;
  return rc;
}

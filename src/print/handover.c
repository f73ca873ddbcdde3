/* handover.c: the per-college hand-over list of a print batch, for prints that are not posted
 * (see print.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/student.h"
#include "print/pdf.h"
#include "print/print.h"
#include "util/xmalloc.h"

#define A4_W 210.0
#define A4_H 297.0
#define ROW_MM 7.0

typedef struct hand_row {
  student_record s;
} hand_row;

static int by_college(const void *x, const void *y) {
  return print_record_order(&((const hand_row *)x)->s, &((const hand_row *)y)->s);
}

static void header(cairo_t *cr, int64_t pb, const char *college, int copies, int page_of_college) {
  char t[300];
  snprintf(t, sizeof t, "纸质照片交接单 · %s%s", college, page_of_college > 1 ? "（续）" : "");
  pdf_text(cr, 20, 18, 170, 14, 1, t);
  snprintf(t, sizeof t, "打印批次 %lld · 每人 %d 张照片（未付邮费，交学院转交）", (long long)pb, copies);
  pdf_text(cr, 20, 28, 170, 9, 0, t);
  pdf_text(cr, 20, 38, 0, 10, 1, "序号");
  pdf_text(cr, 40, 38, 0, 10, 1, "学号");
  pdf_text(cr, 85, 38, 0, 10, 1, "姓名");
  pdf_text(cr, 130, 38, 0, 10, 1, "份数");
  pdf_text(cr, 155, 38, 0, 10, 1, "领取签字");
  cairo_set_line_width(cr, 0.3);
  cairo_move_to(cr, 20, 45);
  cairo_line_to(cr, 190, 45);
  cairo_stroke(cr);
}

static void footer(cairo_t *cr, int n) {
  char t[120];
  snprintf(t, sizeof t, "本学院共 %d 人。交付人签字：__________  接收人签字：__________  日期：__________", n);
  pdf_text(cr, 20, A4_H - 25, 170, 9, 0, t);
}

int print_handover_pdf(db_t *db, int64_t pb, uint8_t **out, size_t *len, int *students, err_t *err) {
  *out = NULL, *len = 0, *students = 0;
  db_res *r = db_query(
      db, err,
      "SELECT p.batch_id, p.copies, i.record_id FROM print_batches p JOIN print_items i ON i.print_batch_id = p.id "
      "WHERE p.id = $1 ORDER BY i.record_id",
      DB_INT(pb));
  if (!r) return -1;
  int rows = db_res_rows(r), rc = 0, n = 0, copies = rows ? (int)db_res_int_at(r, 0, "copies") : 0;
  hand_row *h = xcalloc((size_t)rows + 1, sizeof *h);
  for (int i = 0; i < rows && !rc; i++) {
    int64_t batch_id = db_res_int_at(r, i, "batch_id"), rec = db_res_int_at(r, i, "record_id");
    int post = print_postage(db, batch_id, rec, NULL, NULL, NULL, err);
    if (post < 0)
      rc = -1;
    else if (post == 0)
      rc = student_record_get(db, rec, &h[n++].s, err);
  }
  db_res_free(r);
  if (!rc && rows == 0) rc = err_set(err, 404, "not_found", "没有这个冲印批次");
  if (!rc && n == 0)
    rc = err_set(err, 409, "nothing_to_hand_over", "这个冲印批次的学生都选了邮寄，没有需要交给学校的照片");
  if (!rc) {
    qsort(h, (size_t)n, sizeof *h, by_college);
    pdf_doc d;
    rc = pdf_open(&d, A4_W, A4_H, err);
    for (int i = 0; i < n && !rc;) {
      const char *college = h[i].s.college;
      int end = i;
      while (end < n && !strcmp(h[end].s.college, college)) end++;
      int page = 1;
      double y = 48;
      if (i > 0) pdf_next_page(&d, A4_W, A4_H);
      header(d.cr, pb, college, copies, page);
      for (int k = i; k < end; k++) {
        if (y > A4_H - 40) {
          pdf_next_page(&d, A4_W, A4_H);
          header(d.cr, pb, college, copies, ++page);
          y = 48;
        }
        char num[16], cp[16];
        snprintf(num, sizeof num, "%d", k - i + 1);
        snprintf(cp, sizeof cp, "%d", copies);
        pdf_text(d.cr, 20, y, 0, 10, 0, num);
        pdf_text(d.cr, 40, y, 0, 10, 0, h[k].s.student_no);
        pdf_text(d.cr, 85, y, 42, 10, 0, h[k].s.name);
        pdf_text(d.cr, 130, y, 0, 10, 0, cp);
        cairo_set_line_width(d.cr, 0.1);
        cairo_move_to(d.cr, 20, y + ROW_MM - 1);
        cairo_line_to(d.cr, 190, y + ROW_MM - 1);
        cairo_stroke(d.cr);
        y += ROW_MM;
      }
      footer(d.cr, end - i);
      i = end;
    }
    if (!rc) rc = pdf_close(&d, out, len, err);
  }
  if (h) sodium_memzero(h, sizeof *h * ((size_t)rows + 1));
  free(h);
  if (!rc) *students = n;
  return rc;
}

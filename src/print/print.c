/* print.c: print batches — the request, the job that renders the sheets into one PDF, and who
 * paid postage (see print.h). */
#include "print/print.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "blob/blob.h"
#include "collect/collect.h"
#include "identity/student.h"
#include "jobs/jobs.h"
#include "office/shipping.h"
#include "photo/photo.h"
#include "print/pdf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xmalloc.h"

int print_postage(db_t *db, int64_t batch_id, int64_t record_id, int64_t *order_id, int64_t *address_id,
                  char out_trade_no[40], err_t *err) {
  db_res *r = db_query(db, err,
                       "SELECT id, COALESCE(address_id, 0) AS address_id, out_trade_no, items FROM pay_orders "
                       "WHERE batch_id = $1 AND record_id = $2 AND state = 'paid' ORDER BY id DESC",
                       DB_INT(batch_id), DB_INT(record_id));
  if (!r) return -1;
  int found = 0;
  for (int i = 0; i < db_res_rows(r) && !found; i++) {
    found = shipping_items_have_post(db_res_text_at(r, i, "items"));
    if (found) {
      if (order_id) *order_id = db_res_int_at(r, i, "id");
      if (address_id) *address_id = db_res_int_at(r, i, "address_id");
      if (out_trade_no) snprintf(out_trade_no, 40, "%s", db_res_text_at(r, i, "out_trade_no"));
    }
  }
  db_res_free(r);
  return found;
}

static int is_approved(const collect_approved *ap, int n, int64_t record_id) {
  for (int i = 0; i < n; i++)
    if (ap[i].record_id == record_id) return 1;
  return 0;
}

int64_t print_request(db_t *db, int64_t batch_id, const json_t *record_ids, int copies, int actor_role,
                      int64_t actor_id, err_t *err) {
  if (copies < 1 || copies > 8) return err_set(err, 400, "bad_copies", "每人张数为 1 到 8");
  if (record_ids && (!json_is_array(record_ids) || json_array_size(record_ids) > 100000))
    return err_set(err, 400, "bad_record_ids", "record_ids 应是名单记录编号的数组");
  collect_approved *ap = NULL;
  int n = 0;
  if (collect_approved_list(db, batch_id, 1, &ap, &n, err) < 0) return -1;
  int64_t *pick = xcalloc((size_t)n + json_array_size(record_ids) + 1, sizeof *pick);
  int np = 0;
  int rc = 0;
  if (record_ids) {
    size_t i;
    json_t *v;
    json_array_foreach(record_ids, i, v) {
      if (!json_is_integer(v)) {
        rc = err_set(err, 400, "bad_record_ids", "record_ids 的第 %zu 项不是名单记录编号", i + 1);
        break;
      }
      int64_t id = json_integer_value(v);
      if (!is_approved(ap, n, id)) {
        rc = err_set(err, 422, "not_approved", "名单记录 %lld 在本批次没有已通过的照片", (long long)id);
        break;
      }
      int dup = 0;
      for (int k = 0; k < np && !dup; k++) dup = pick[k] == id;
      if (!dup) pick[np++] = id;
    }
  } else {
    for (int i = 0; i < n && !rc; i++) {
      int64_t printed = db_int(
          db, err, -1, "SELECT COUNT(*) FROM office_record_marks WHERE record_id = $1 AND printed_at IS NOT NULL",
          DB_INT(ap[i].record_id));
      if (printed < 0)
        rc = -1;
      else if (printed == 0)
        pick[np++] = ap[i].record_id;
    }
  }
  free(ap);
  if (!rc && np == 0) rc = err_set(err, 409, "nothing_to_print", "本批次已通过的照片都已冲印过了");
  int64_t id = -1;
  if (!rc && db_begin(db, err) == 0) {
    db_res *r =
        db_query(db, err,
                 "INSERT INTO print_batches (batch_id, state, actor_role, actor_id, copies, created_at) "
                 "VALUES ($1, 'queued', $2, $3, $4, $5) RETURNING id",
                 DB_INT(batch_id), DB_INT(actor_role), DB_INT(actor_id), DB_INT(copies), DB_INT(clock_now_ms()));
    id = r && db_res_rows(r) ? db_res_int_at(r, 0, "id") : -1;
    db_res_free(r);
    for (int i = 0; i < np && id > 0; i++)
      if (db_exec(db, err, "INSERT INTO print_items (print_batch_id, record_id) VALUES ($1, $2)", DB_INT(id),
                  DB_INT(pick[i])) != 1)
        id = -1;
    if (id > 0) {
      json_t *p = json_pack("{s:I}", "print_batch_id", (json_int_t)id);
      jobs_enqueue_opts o = {.max_attempts = 3};
      if (jobs_enqueue(db, "print.batch", p, &o, err) < 0) id = -1;
      json_decref(p);
    }
    if (id > 0 && db_commit(db, err) < 0) id = -1;
    if (id < 0) db_rollback(db);
  }
  free(pick);
  return rc ? -1 : id;
}

json_t *print_batch_json(db_t *db, int64_t id, err_t *err) {
  db_res *r = db_query(
      db, err,
      "SELECT batch_id, state, copies, COALESCE(sheets, 0) AS sheets, COALESCE(file_name, '') AS file_name, COALESCE(error, '') AS error, "
      "created_at, COALESCE(finished_at, 0) AS finished_at, (SELECT COUNT(*) FROM print_items i WHERE i.print_batch_id = p.id) AS records "
      "FROM print_batches p WHERE id = $1",
      DB_INT(id));
  if (!r) return NULL;
  if (!db_res_rows(r)) {
    db_res_free(r);
    err_set(err, 404, "not_found", "没有这个冲印批次");
    return NULL;
  }
  json_t *o =
      json_pack("{s:I,s:I,s:s,s:I,s:I,s:s,s:s,s:I,s:I,s:I}", "id", (json_int_t)id, "batch_id",
                (json_int_t)db_res_int_at(r, 0, "batch_id"), "state", db_res_text_at(r, 0, "state"), "copies",
                (json_int_t)db_res_int_at(r, 0, "copies"), "sheets", (json_int_t)db_res_int_at(r, 0, "sheets"),
                "file_name", db_res_text_at(r, 0, "file_name"), "error", db_res_text_at(r, 0, "error"), "created_at",
                (json_int_t)db_res_int_at(r, 0, "created_at"), "finished_at",
                (json_int_t)db_res_int_at(r, 0, "finished_at"), "records", (json_int_t)db_res_int_at(r, 0, "records"));
  db_res_free(r);
  return o;
}

/* ---- the job ------------------------------------------------------------------------------- */

typedef struct sheet_item {
  int64_t record_id, blob;
  int postage;
  student_record s;
} sheet_item;

int print_record_order(const student_record *a, const student_record *b) {
  int c = strcmp(a->college, b->college);
  return c ? c : strcmp(a->student_no, b->student_no);
}

static int by_college(const void *x, const void *y) {
  return print_record_order(&((const sheet_item *)x)->s, &((const sheet_item *)y)->s);
}

/* Loads the print batch's records with their approved photo, ordered by college and number. */
static int load_items(db_t *db, int64_t pb, int64_t batch_id, sheet_item **out, int *n, err_t *err) {
  *out = NULL, *n = 0;
  collect_approved *ap = NULL;
  int na = 0;
  if (collect_approved_list(db, batch_id, 1, &ap, &na, err) < 0) return -1;
  db_res *r =
      db_query(db, err, "SELECT record_id FROM print_items WHERE print_batch_id = $1 ORDER BY record_id", DB_INT(pb));
  if (!r) {
    free(ap);
    return -1;
  }
  int rows = db_res_rows(r), rc = 0;
  sheet_item *it = xcalloc((size_t)rows + 1, sizeof *it);
  for (int i = 0; i < rows && !rc; i++) {
    int64_t rec = db_res_int_at(r, i, "record_id");
    it[i].record_id = rec;
    for (int k = 0; k < na; k++)
      if (ap[k].record_id == rec) it[i].blob = ap[k].standardized_blob;
    if (!it[i].blob) rc = err_set(err, 409, "not_approved", "名单记录 %lld 的照片已不再是通过状态", (long long)rec);
    if (!rc) rc = student_record_get(db, rec, &it[i].s, err);
    if (!rc) {
      int p = print_postage(db, batch_id, rec, NULL, NULL, NULL, err);
      if (p < 0) rc = -1;
      it[i].postage = p > 0;
    }
  }
  db_res_free(r);
  free(ap);
  if (rc) {
    if (it) sodium_memzero(it, sizeof *it * ((size_t)rows + 1));
    free(it);
    return -1;
  }
  qsort(it, (size_t)rows, sizeof *it, by_college);
  *out = it, *n = rows;
  return 0;
}

/* One student's 6-inch sheet as a page of the batch PDF, drawn by the engine: the photo embedded
 * at full resolution, cut marks and the captions as text (searchable, sharp at any zoom). */
static int add_sheet(pdf_doc *d, int first, const uint8_t *photo, size_t len, int copies, const char *caption,
                     const char *slug, err_t *err) {
  photo_sheet_page *pg = photo_sheet_page_new(photo, len, copies, err);
  if (!pg) return -1;
  double w_mm, h_mm;
  photo_sheet_page_size(pg, &w_mm, &h_mm);
  if (first)
    cairo_pdf_surface_set_size(d->surf, w_mm * 72.0 / 25.4, h_mm * 72.0 / 25.4);
  else
    pdf_next_page(d, w_mm, h_mm);
  cairo_save(d->cr);
  photo_sheet_page_draw(pg, d->cr, caption);
  cairo_restore(d->cr);
  photo_sheet_page_free(pg);
  pdf_text(d->cr, 4, 1.2, w_mm - 8, 5, 0, slug);
  return 0;
}

static int render(struct blob_store *blobs, db_t *db, int64_t pb, int64_t batch_id, int copies, const char *path,
                  int *sheets, err_t *err) {
  sheet_item *it = NULL;
  int n = 0;
  if (load_items(db, pb, batch_id, &it, &n, err) < 0) return -1;
  pdf_doc d;
  int rc = n ? pdf_open(&d, 102, 152, err) : err_set(err, 409, "nothing_to_print", "这个冲印批次是空的");
  int opened = rc == 0;
  for (int i = 0; i < n && !rc; i++) {
    uint8_t *photo = NULL;
    size_t plen = 0;
    rc = blob_get(blobs, db, it[i].blob, &photo, &plen, err);
    char caption[128], slug[512];
    snprintf(caption, sizeof caption, "%s %s", it[i].s.name, it[i].s.student_no);
    snprintf(slug, sizeof slug, "打印批次 %lld · 第 %d/%d 张 · %s · %s %s · %s", (long long)pb, i + 1, n,
             it[i].s.college, it[i].s.student_no, it[i].s.name, it[i].postage ? "邮寄" : "交学院");
    if (!rc) rc = add_sheet(&d, i == 0, photo, plen, copies, caption, slug, err);
    if (photo) sodium_memzero(photo, plen);
    free(photo);
  }
  sodium_memzero(it, sizeof *it * (size_t)(n + 1));
  free(it);
  uint8_t *pdf = NULL;
  size_t len = 0;
  if (opened) {
    err_t e2 = {0};
    int crc = pdf_close(&d, &pdf, &len, rc ? &e2 : err);
    if (!rc) rc = crc;
  }
  if (!rc) {
    char tmp[1300];
    snprintf(tmp, sizeof tmp, "%s.part", path);
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(pdf, 1, len, f) == len;
    if (f && fflush(f) == 0 && ok) ok = fsync(fileno(f)) == 0;
    if (f && fclose(f) != 0) ok = 0;
    if (!ok || rename(tmp, path) != 0) {
      unlink(tmp);
      rc = err_set(err, 0, "print_write", "cannot write the print file");
    }
  }
  free(pdf);
  *sheets = n;
  return rc;
}

static int job_print(void *ctx, db_t *db, job *j, err_t *err) {
  const print_env *env = ctx;
  int64_t id = json_integer_value(json_object_get(j->payload, "print_batch_id"));
  db_res *r = db_query(db, err, "SELECT batch_id, copies, actor_role, actor_id, state FROM print_batches WHERE id = $1",
                       DB_INT(id));
  if (!r) return -1;
  if (db_res_rows(r) == 0 || strcmp(db_res_text_at(r, 0, "state"), "queued") != 0) {
    db_res_free(r);
    return 0; /* gone or already built */
  }
  int64_t batch_id = db_res_int_at(r, 0, "batch_id"), actor = db_res_int_at(r, 0, "actor_id");
  int copies = (int)db_res_int_at(r, 0, "copies"), role = (int)db_res_int_at(r, 0, "actor_role");
  db_res_free(r);
  char dir[1024], path[1200], name[96];
  snprintf(dir, sizeof dir, "%s/prints", env->data_dir);
  if (mkdir(dir, 0700) != 0 && errno != EEXIST)
    return err_set(err, 0, "print_dir", "cannot create the prints directory");
  snprintf(name, sizeof name, "batch-%lld-print-%lld.pdf", (long long)batch_id, (long long)id);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int sheets = 0;
  int rc = render(env->blobs, db, id, batch_id, copies, path, &sheets, err);
  if (rc == 0 && db_begin(db, err) == 0) {
    int64_t now = clock_now_ms();
    rc = db_exec(db, err,
                 "UPDATE print_batches SET state = 'done', file_name = $1, sheets = $2, finished_at = $3, error = NULL "
                 "WHERE id = $4 AND state = 'queued'",
                 DB_TEXT(name), DB_INT(sheets), DB_INT(now), DB_INT(id)) == 1
             ? 0
             : -1;
    if (!rc && db_exec(db, err,
                       "UPDATE office_record_marks SET printed_at = $1, print_batch_id = $2, updated_at = $1 "
                       "WHERE record_id IN (SELECT record_id FROM print_items WHERE print_batch_id = $2)",
                       DB_INT(now), DB_INT(id)) < 0)
      rc = -1;
    if (!rc && db_exec(db, err,
                       "INSERT INTO office_record_marks (record_id, printed_at, print_batch_id, updated_at) "
                       "SELECT i.record_id, $1, $2, $1 FROM print_items i WHERE i.print_batch_id = $2 "
                       "AND NOT EXISTS (SELECT 1 FROM office_record_marks m WHERE m.record_id = i.record_id)",
                       DB_INT(now), DB_INT(id)) < 0)
      rc = -1;
    if (!rc) {
      json_t *d = json_pack("{s:I,s:I,s:i,s:i}", "batch_id", (json_int_t)batch_id, "print_batch_id", (json_int_t)id,
                            "sheets", sheets, "copies", copies);
      rc = audit_log(db, role, actor, "print.batch", "batch", batch_id, d, err);
      json_decref(d);
    }
    if (!rc) rc = db_commit(db, err);
    if (rc) {
      db_rollback(db);
      unlink(path);
    }
  } else if (rc == 0) {
    rc = -1;
    unlink(path);
  }
  if (rc == 0) {
    char pid[24], cnt[16];
    snprintf(pid, sizeof pid, "%lld", (long long)id);
    snprintf(cnt, sizeof cnt, "%d", sheets);
    log_info("print batch rendered", "print_batch_id", pid, "sheets", cnt, NULL);
    return 0;
  }
  if ((err->status >= 400 && err->status < 500) || j->attempts >= j->max_attempts) {
    err_t e2 = {0};
    db_exec(db, &e2, "UPDATE print_batches SET state = 'failed', error = $1, finished_at = $2 WHERE id = $3",
            DB_TEXT(err->code), DB_INT(clock_now_ms()), DB_INT(id));
    if (err->status >= 400 && err->status < 500) err->status = 422;
  }
  return -1;
}

void print_jobs_register(print_env *env) {
  static const job_kind k = {.type = "print.batch", .handler = job_print, .lease_ms = 600000};
  jobs_register(&k, env);
}

/* shipping.c: tracking-number import (see shipping.h). */
#include "office/shipping.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "collect/collect.h"
#include "export/manifest.h"
#include "notify/notify.h"
#include "util/clock.h"

static int tracking_ok(const char *s) {
  size_t n = strlen(s);
  if (n < 6 || n > 40) return 0;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '-')) return 0;
  return 1;
}

static void row_error(json_t *errors, int line, const char *code, const char *message) {
  json_array_append_new(errors, json_pack("{s:i,s:s,s:s}", "line", line, "code", code, "message", message));
}

int shipping_items_have_post(const char *items_json) {
  json_t *items = json_loads(items_json, 0, NULL);
  size_t k;
  json_t *it;
  int post = 0;
  json_array_foreach(items, k, it) {
    const char *code = json_string_value(json_object_get(it, "code"));
    if (code && !strcmp(code, "post")) post = 1;
  }
  json_decref(items);
  return post;
}

/* The paid order with postage of the row's key (order number or student number) in the batch. */
static int find_order(db_t *db, int64_t batch_id, const char *key, int64_t *order_id, int64_t *record_id,
                      int64_t *account_id, err_t *err) {
  db_res *r = db_query(db, err,
                       "SELECT o.id, o.record_id, o.account_id, o.items FROM pay_orders o "
                       "JOIN roster_records r ON r.id = o.record_id "
                       "WHERE o.batch_id = $1 AND o.state = 'paid' AND (o.out_trade_no = $2 OR r.student_no = $2) "
                       "ORDER BY o.id DESC",
                       DB_INT(batch_id), DB_TEXT(key));
  if (!r) return -1;
  int found = 0;
  for (int i = 0; i < db_res_rows(r) && found != 2; i++) {
    found = 1;
    if (shipping_items_have_post(db_res_text_at(r, i, "items"))) found = 2;
    if (found == 2) {
      *order_id = db_res_int_at(r, i, "id");
      *record_id = db_res_int_at(r, i, "record_id");
      *account_id = db_res_int_at(r, i, "account_id");
    }
  }
  db_res_free(r);
  return found;
}

/* One row in its own transaction: 1 applied, 2 unchanged, 0 refused (errors appended), -1 db error. */
static int apply_row(db_t *db, int64_t batch_id, int line, const char *key, const char *courier, const char *tracking,
                     json_t *errors, err_t *err) {
  int64_t order_id = 0, record_id = 0, account_id = 0;
  int f = find_order(db, batch_id, key, &order_id, &record_id, &account_id, err);
  if (f < 0) return -1;
  if (f == 0) {
    row_error(errors, line, "not_found", "no paid order of this batch with that order or student number");
    return 0;
  }
  if (f == 1) {
    row_error(errors, line, "no_postage", "the student did not pay postage");
    return 0;
  }
  if (db_begin(db, err) < 0) return -1;
  db_res *r = db_query(
      db, err, "SELECT courier, tracking_no FROM office_record_marks WHERE record_id = $1 AND shipped_at IS NOT NULL",
      DB_INT(record_id));
  if (!r) {
    db_rollback(db);
    return -1;
  }
  int same = db_res_rows(r) && !strcmp(db_res_text_at(r, 0, "courier"), courier) &&
             !strcmp(db_res_text_at(r, 0, "tracking_no"), tracking);
  db_res_free(r);
  if (same) {
    db_rollback(db);
    return 2;
  }
  err_t e = {0};
  if (collect_mark_shipped(db, record_id, &e) < 0) {
    db_rollback(db);
    if (e.status >= 400 && e.status < 500) {
      row_error(errors, line, "not_approved", "the student's photo is not approved yet");
      return 0;
    }
    *err = e;
    return -1;
  }
  int64_t now = clock_now_ms();
  int rc =
      db_exec(db, err,
              "INSERT INTO office_record_marks (record_id, order_id, courier, tracking_no, shipped_at, updated_at) "
              "VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (record_id) DO UPDATE SET order_id = $2, courier = $3, "
              "tracking_no = $4, shipped_at = $5, updated_at = $5",
              DB_INT(record_id), DB_INT(order_id), DB_TEXT(courier), DB_TEXT(tracking), DB_INT(now)) < 0
          ? -1
          : 0;
  if (!rc) {
    char body[256], dedupe[128];
    snprintf(body, sizeof body, "你的纸质照片已由%s寄出，运单号 %s。", courier, tracking);
    snprintf(dedupe, sizeof dedupe, "shipped:%lld:%s", (long long)record_id, tracking);
    json_t *data = json_pack("{s:s,s:s}", "courier", courier, "tracking_no", tracking);
    rc = notify_student(db, account_id, "shipped", "照片已寄出", body, data, dedupe, err);
    json_decref(data);
  }
  if (!rc) rc = db_commit(db, err);
  if (rc) {
    db_rollback(db);
    return -1;
  }
  return 1;
}

json_t *shipping_import(db_t *db, int64_t batch_id, const char *csv, size_t len, int actor_role, int64_t actor_id,
                        err_t *err) {
  size_t pos = len >= 3 && !memcmp(csv, "\xEF\xBB\xBF", 3) ? 3 : 0;
  char *f[8];
  int nf = csv_record(csv, len, &pos, f, 8);
  if (nf < 3) {
    if (nf > 0) csv_fields_free(f, nf);
    err_set(err, 400, "bad_csv", "the first line must be a header: order or student number, courier, tracking number");
    return NULL;
  }
  csv_fields_free(f, nf);
  json_t *errors = json_array();
  int applied = 0, unchanged = 0, line = 1, rows = 0;
  while ((nf = csv_record(csv, len, &pos, f, 8)) != 0) {
    line++;
    if (nf < 0) {
      row_error(errors, line, "bad_quoting", "unbalanced quotes; the rest of the file was not read");
      break;
    }
    if (nf == 1 && !*f[0]) { /* blank line */
      csv_fields_free(f, nf);
      continue;
    }
    rows++;
    if (rows > 20000) {
      csv_fields_free(f, nf);
      row_error(errors, line, "too_many_rows", "at most 20000 rows per file");
      break;
    }
    int rc = 0;
    if (nf != 3)
      row_error(errors, line, "bad_row", "expected 3 fields: order or student number, courier, tracking number");
    else if (!*f[0] || strlen(f[0]) > 40)
      row_error(errors, line, "bad_key", "order or student number missing or too long");
    else if (!*f[1] || strlen(f[1]) > 32)
      row_error(errors, line, "bad_courier", "courier missing or too long");
    else if (!tracking_ok(f[2]))
      row_error(errors, line, "bad_tracking", "tracking number must be 6-40 letters, digits or '-'");
    else
      rc = apply_row(db, batch_id, line, f[0], f[1], f[2], errors, err);
    csv_fields_free(f, nf);
    if (rc < 0) {
      json_decref(errors);
      return NULL;
    }
    applied += rc == 1;
    unchanged += rc == 2;
  }
  json_t *out = json_pack("{s:i,s:i,s:o}", "applied", applied, "unchanged", unchanged, "errors", errors);
  json_t *d = json_pack("{s:I,s:i,s:i,s:i}", "batch_id", (json_int_t)batch_id, "applied", applied, "unchanged",
                        unchanged, "errors", (int)json_array_size(errors));
  int rc = audit_log(db, actor_role, actor_id, "shipping.import", "batch", batch_id, d, err);
  json_decref(d);
  if (rc < 0) {
    json_decref(out);
    return NULL;
  }
  return out;
}

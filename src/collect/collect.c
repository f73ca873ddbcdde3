/* collect.c: the states, the student's status, and the school office's view of approved work. */
#include "collect/collect.h"

#include <stdlib.h>
#include <string.h>

#include "collect/internal.h"
#include "pay/orders.h"
#include "util/clock.h"
#include "util/xmalloc.h"

static const char *const codes[] = {"unlinked", "unpaid",   "shooting", "ready",  "in_review",
                                    "approved", "rejected", "exported", "shipped"};
static const char *const labels[] = {"待认证", "待缴费", "待拍摄", "待提交", "审核中",
                                     "已通过", "已驳回", "已导出", "已寄出"};

const char *collect_state_code(enum collect_state s) { return (unsigned)s < 9 ? codes[s] : "unknown"; }
const char *collect_state_label(enum collect_state s) { return (unsigned)s < 9 ? labels[s] : "未知"; }

json_t *collect_checks_parse(const char *text) {
  json_error_t je;
  json_t *j = json_loads(text && *text ? text : "[]", 0, &je);
  return j ? j : json_array();
}

int collect_ctx_load(db_t *db, int64_t account_id, collect_ctx *c, err_t *err) {
  memset(c, 0, sizeof *c);
  if (student_current(db, account_id, &c->rec, err) < 0) return -1;
  if (!c->rec.record_id) return 0;
  c->linked = 1;
  if (batch_get(db, c->rec.batch_id, &c->b, err) < 0) return -1;
  c->window = batch_window_at(&c->b, clock_now_ms());
  int paid = pay_order_is_paid(db, c->rec.record_id, c->rec.batch_id, err);
  if (paid < 0) return -1;
  c->paid = paid;
  db_res *r = db_query(db, err, "SELECT state, last_attempt, last_submission FROM collect_records WHERE record_id = $1",
                       DB_INT(c->rec.record_id));
  if (!r) return -1;
  if (db_res_rows(r)) {
    c->has_row = 1;
    snprintf(c->state, sizeof c->state, "%s", db_res_text_at(r, 0, "state"));
    c->last_attempt = db_res_int_at(r, 0, "last_attempt");
    c->last_submission = db_res_int_at(r, 0, "last_submission");
  }
  db_res_free(r);
  return 0;
}

/* The last decision on a submission as {decision, reasons, note, at}; NULL when none. */
static json_t *last_decision(db_t *db, int64_t submission_id, err_t *err) {
  db_res *r = db_query(
      db, err,
      "SELECT decision, reasons, note, at FROM collect_decisions WHERE submission_id = $1 ORDER BY id DESC LIMIT 1",
      DB_INT(submission_id));
  if (!r) return NULL;
  json_t *d = NULL;
  if (db_res_rows(r))
    d = json_pack("{s:s, s:o, s:s, s:I}", "decision", db_res_text_at(r, 0, "decision"), "reasons",
                  collect_checks_parse(db_res_text_at(r, 0, "reasons")), "note", db_res_text_at(r, 0, "note"), "at",
                  (json_int_t)db_res_int_at(r, 0, "at"));
  db_res_free(r);
  return d;
}

json_t *collect_status(db_t *db, int64_t account_id, err_t *err) {
  collect_ctx c;
  if (collect_ctx_load(db, account_id, &c, err) < 0) return NULL;
  enum collect_state st = COLLECT_UNLINKED;
  json_t *out = json_object(), *attempt = NULL, *sub = NULL, *rejection = NULL;
  int64_t rejected_attempt = 0;
  if (c.linked) {
    int used = collect_submissions_used(db, c.rec.record_id, err);
    if (err_is_set(err)) goto fail;
    json_object_set_new(
        out, "batch",
        json_pack("{s:I, s:s, s:I, s:I, s:b, s:i, s:b}", "id", (json_int_t)c.b.id, "name", c.b.name, "window_start",
                  (json_int_t)c.b.window_start_ms, "window_end", (json_int_t)c.b.window_end_ms, "open",
                  c.window == BATCH_OPEN, "max_submissions", c.b.max_submissions, "camera_only", c.b.camera_only));
    /* How many submissions are left (null: no limit), so the page can say so before the last one. */
    json_object_set_new(out, "submissions_used", json_integer(used));
    json_object_set_new(out, "submissions_left",
                        c.b.max_submissions > 0
                            ? json_integer(used < c.b.max_submissions ? c.b.max_submissions - used : 0)
                            : json_null());
    if (c.last_attempt && !(attempt = collect_attempt_json(db, c.last_attempt, account_id, err))) goto fail;
    if (c.last_submission) {
      db_res *r = db_query(
          db, err,
          "SELECT id, state, submitted_at, due_at, attempt_id, resubmission FROM collect_submissions WHERE id = $1",
          DB_INT(c.last_submission));
      if (!r) goto fail;
      if (db_res_rows(r)) {
        sub = json_pack("{s:I, s:s, s:I, s:I, s:I, s:b}", "id", (json_int_t)db_res_int_at(r, 0, "id"), "state",
                        db_res_text_at(r, 0, "state"), "submitted_at", (json_int_t)db_res_int_at(r, 0, "submitted_at"),
                        "due_at", (json_int_t)db_res_int_at(r, 0, "due_at"), "attempt_id",
                        (json_int_t)db_res_int_at(r, 0, "attempt_id"), "resubmission",
                        db_res_int_at(r, 0, "resubmission") != 0);
        rejected_attempt = db_res_int_at(r, 0, "attempt_id");
      }
      db_res_free(r);
    }
    const char *astate = attempt ? json_string_value(json_object_get(attempt, "state")) : "";
    if (!c.paid && (!c.has_row || !strcmp(c.state, "open")))
      st = COLLECT_UNPAID;
    else if (!strcmp(c.state, "in_review"))
      st = COLLECT_IN_REVIEW;
    else if (!strcmp(c.state, "approved"))
      st = COLLECT_APPROVED;
    else if (!strcmp(c.state, "exported"))
      st = COLLECT_EXPORTED;
    else if (!strcmp(c.state, "shipped"))
      st = COLLECT_SHIPPED;
    else if (!strcmp(c.state, "rejected")) {
      rejection = last_decision(db, c.last_submission, err);
      if (err_is_set(err)) goto fail;
      st = c.last_attempt != rejected_attempt && !strcmp(astate, "ready") ? COLLECT_READY : COLLECT_REJECTED;
    } else
      st = !strcmp(astate, "ready") ? COLLECT_READY : COLLECT_SHOOTING;
  }
  int editable = c.linked && c.paid && c.window == BATCH_OPEN &&
                 (!c.has_row || !strcmp(c.state, "open") || !strcmp(c.state, "rejected"));
  json_object_set_new(out, "state", json_string(collect_state_code(st)));
  json_object_set_new(out, "label", json_string(collect_state_label(st)));
  json_object_set_new(out, "linked", json_boolean(c.linked));
  json_object_set_new(out, "paid", json_boolean(c.paid));
  json_object_set_new(out, "can_upload", json_boolean(editable));
  json_object_set_new(out, "can_submit", json_boolean(editable && st == COLLECT_READY));
  /* Withdrawable while the submission waits for a decision (pending; a reviewer may hold a claim)
   * and the window is open (to submit again). */
  json_object_set_new(out, "can_withdraw",
                      json_boolean(st == COLLECT_IN_REVIEW && c.window == BATCH_OPEN && sub &&
                                   !strcmp(json_string_value(json_object_get(sub, "state")), "pending")));
  json_object_set_new(out, "attempt", attempt ? attempt : json_null());
  json_object_set_new(out, "submission", sub ? sub : json_null());
  if (st == COLLECT_IN_REVIEW && sub) json_object_set(out, "expected_decision_at", json_object_get(sub, "due_at"));
  json_object_set_new(out, "rejection", rejection ? rejection : json_null());
  /* The approved photo, for the student to see and keep (its image through the attempt routes). */
  if (st == COLLECT_APPROVED || st == COLLECT_EXPORTED || st == COLLECT_SHIPPED) {
    int64_t approved =
        db_int(db, err, 0,
               "SELECT s.attempt_id FROM collect_records c JOIN collect_submissions s ON s.id = c.approved_submission "
               "WHERE c.record_id = $1",
               DB_INT(c.rec.record_id));
    if (err_is_set(err)) goto fail_out;
    json_object_set_new(out, "approved_attempt_id", approved ? json_integer(approved) : json_null());
  }
  json_object_set_new(out, "free_retake", json_boolean(st == COLLECT_REJECTED || (rejection && st == COLLECT_READY)));
  return out;
fail_out:
  json_decref(out);
  return NULL;
fail:
  json_decref(attempt);
  json_decref(sub);
  json_decref(out);
  return NULL;
}

/* ---- school office ----------------------------------------------------------------------- */

int collect_approved_list(db_t *db, int64_t batch_id, int include_done, collect_approved **out, int *n, err_t *err) {
  *out = NULL, *n = 0;
  db_res *r =
      db_query(db, err,
               "SELECT c.record_id, c.batch_id, c.school_id, s.id, s.attempt_id, a.standardized_blob, a.original_blob, "
               "c.approved_at, c.exported_at, c.shipped_at, "
               "(SELECT COUNT(*) FROM blobs b WHERE b.id = a.original_blob AND b.deleted_at IS NULL) AS original_alive "
               "FROM collect_records c JOIN collect_submissions s ON s.id = c.approved_submission "
               "JOIN collect_attempts a ON a.id = s.attempt_id "
               "WHERE c.batch_id = $1 AND (c.state = 'approved' OR ($2 = 1 AND c.state IN ('exported', 'shipped'))) "
               "ORDER BY c.record_id",
               DB_INT(batch_id), DB_INT(include_done ? 1 : 0));
  if (!r) return -1;
  int rows = db_res_rows(r);
  *out = xcalloc((size_t)(rows ? rows : 1), sizeof **out);
  /* The loop reads many rows: each column is looked up once. */
  int c_record_id = db_res_col(r, "record_id"), c_batch_id = db_res_col(r, "batch_id");
  int c_school_id = db_res_col(r, "school_id"), c_id = db_res_col(r, "id");
  int c_attempt_id = db_res_col(r, "attempt_id"), c_standardized_blob = db_res_col(r, "standardized_blob");
  int c_original_alive = db_res_col(r, "original_alive"), c_original_blob = db_res_col(r, "original_blob");
  int c_approved_at = db_res_col(r, "approved_at"), c_exported_at = db_res_col(r, "exported_at");
  int c_shipped_at = db_res_col(r, "shipped_at");
  for (int i = 0; i < rows; i++) {
    collect_approved *x = &(*out)[i];
    x->record_id = db_res_int(r, i, c_record_id), x->batch_id = db_res_int(r, i, c_batch_id),
    x->school_id = db_res_int(r, i, c_school_id);
    x->submission_id = db_res_int(r, i, c_id), x->attempt_id = db_res_int(r, i, c_attempt_id);
    x->standardized_blob = db_res_int(r, i, c_standardized_blob);
    x->original_blob = db_res_int(r, i, c_original_alive) ? db_res_int(r, i, c_original_blob) : 0;
    x->approved_at = db_res_int(r, i, c_approved_at), x->exported_at = db_res_int(r, i, c_exported_at),
    x->shipped_at = db_res_int(r, i, c_shipped_at);
  }
  *n = rows;
  db_res_free(r);
  return 0;
}

int collect_mark_exported(db_t *db, int64_t record_id, err_t *err) {
  int64_t now = clock_now_ms();
  int64_t n = db_exec(db, err,
                      "UPDATE collect_records SET state = 'exported', exported_at = $1, updated_at = $1 "
                      "WHERE record_id = $2 AND state = 'approved'",
                      DB_INT(now), DB_INT(record_id));
  if (n < 0) return -1;
  if (n == 1) return 0;
  int64_t done = db_int(
      db, err, 0, "SELECT COUNT(*) FROM collect_records WHERE record_id = $1 AND state IN ('exported', 'shipped')",
      DB_INT(record_id));
  if (done > 0) return 0;
  return err_set(err, 409, "not_approved", "该学生的照片尚未通过审核");
}

int collect_mark_shipped(db_t *db, int64_t record_id, err_t *err) {
  int64_t now = clock_now_ms();
  int64_t n = db_exec(db, err,
                      "UPDATE collect_records SET state = 'shipped', shipped_at = $1, updated_at = $1 "
                      "WHERE record_id = $2 AND state IN ('approved', 'exported')",
                      DB_INT(now), DB_INT(record_id));
  if (n < 0) return -1;
  if (n == 1) return 0;
  if (db_int(db, err, 0, "SELECT COUNT(*) FROM collect_records WHERE record_id = $1 AND state = 'shipped'",
             DB_INT(record_id)) > 0)
    return 0;
  return err_set(err, 409, "not_approved", "该学生的照片尚未通过审核");
}

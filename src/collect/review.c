/* review.c: submit, the reviewers' queue, claims with leases, decisions, the operator override. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "collect/internal.h"
#include "collect/workcal.h"
#include "auth/roles.h"
#include "notify/notify.h"
#include "util/clock.h"

const char *const collect_reject_reasons[] = {"背景不合格", "佩戴眼镜",         "头发遮挡眉毛或耳朵", "佩戴饰品",
                                              "衣着不合格", "表情或姿态不端正", "光线不均",           "照片模糊",
                                              "翻拍",       "过度修饰",         "非本人照片",         "其他",
                                              NULL};

int collect_submit(const collect_env *env, db_t *db, int64_t account_id, int64_t attempt_id, int confirm_warnings,
                   json_t **out, err_t *err) {
  collect_ctx c;
  if (collect_ctx_load(db, account_id, &c, err) < 0) return -1;
  if (!c.linked) return err_set(err, 409, "not_linked", "请先上传采集码完成身份认证");
  if (!c.paid) return err_set(err, 402, "not_paid", "请先支付采集服务费");
  if (batch_check_window(&c.b, clock_now_ms(), err) < 0) return -1;
  if (!strcmp(c.state, "in_review")) return err_set(err, 409, "in_review", "照片已提交，正在审核中");
  if (!strcmp(c.state, "approved") || !strcmp(c.state, "exported") || !strcmp(c.state, "shipped"))
    return err_set(err, 409, "approved_final", "照片已审核通过，不能再更改");
  if (!c.last_attempt) return err_set(err, 409, "no_photo", "请先拍摄并上传照片");
  if (attempt_id && attempt_id != c.last_attempt) return err_set(err, 409, "not_latest", "只能提交最近一次拍摄的照片");
  db_res *r =
      db_query(db, err, "SELECT state, fails, warns FROM collect_attempts WHERE id = $1", DB_INT(c.last_attempt));
  if (!r) return -1;
  char st[16];
  snprintf(st, sizeof st, "%s", db_res_rows(r) ? db_res_text_at(r, 0, "state") : "");
  int64_t fails = db_res_rows(r) ? db_res_int_at(r, 0, "fails") : 0,
          warns = db_res_rows(r) ? db_res_int_at(r, 0, "warns") : 0;
  db_res_free(r);
  if (!strcmp(st, "processing")) return err_set(err, 409, "processing", "照片还在处理中，请稍候");
  if (strcmp(st, "ready")) return err_set(err, 409, "photo_refused", "这张照片未通过处理，请重新拍摄");
  if (fails > 0) return err_set(err, 409, "checks_failed", "照片有不合格项，请按提示重新拍摄");
  if (warns > 0 && !confirm_warnings)
    return err_set(err, 409, "confirm_warnings", "照片有需要注意的项目，请确认后再提交");
  /* The batch's limit on submissions (withdrawn ones do not count). */
  if (c.b.max_submissions > 0) {
    int used = collect_submissions_used(db, c.rec.record_id, err);
    if (err_is_set(err)) return -1;
    if (used >= c.b.max_submissions)
      return err_set(err, 409, "submissions_used_up",
                     "本批次每人最多提交 %d 次审核，你的提交次数已用完。如需帮助，请联系客服或学校",
                     c.b.max_submissions);
  }
  /* A first submission waits its turn; a resubmission after a rejection goes to the front (also
   * when the student withdrew it and submits again). */
  int64_t rejected_before =
      db_int(db, err, 0, "SELECT COUNT(*) FROM collect_submissions WHERE record_id = $1 AND state = 'rejected'",
             DB_INT(c.rec.record_id));
  if (err_is_set(err)) return -1;
  int resub = !strcmp(c.state, "rejected") || rejected_before > 0;
  int64_t now = clock_now_ms();
  int64_t due = workcal_due(env->calendar, now, env->review_days);
  if (db_begin(db, err) < 0) return -1;
  r = db_query(
      db, err,
      "INSERT INTO collect_submissions (record_id, batch_id, school_id, account_id, attempt_id, state, resubmission, "
      "warnings_confirmed, submitted_at, due_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9) RETURNING id",
      DB_INT(c.rec.record_id), DB_INT(c.rec.batch_id), DB_INT(c.rec.school_id), DB_INT(account_id),
      DB_INT(c.last_attempt), DB_INT(resub), DB_INT(warns > 0), DB_INT(now), DB_INT(due));
  if (!r) goto fail;
  int64_t sid = db_res_int_at(r, 0, "id");
  db_res_free(r);
  int64_t n = db_exec(db, err,
                      "UPDATE collect_records SET state = 'in_review', last_submission = $1, updated_at = $2 "
                      "WHERE record_id = $3 AND state IN ('open', 'rejected') AND last_attempt = $4",
                      DB_INT(sid), DB_INT(now), DB_INT(c.rec.record_id), DB_INT(c.last_attempt));
  if (n < 0) goto fail;
  if (n == 0) {
    err_set(err, 409, "changed", "照片状态已变化，请刷新后重试");
    goto fail;
  }
  if (db_commit(db, err) < 0) return -1;
  *out = json_pack("{s:I, s:I, s:I, s:b}", "submission_id", (json_int_t)sid, "submitted_at", (json_int_t)now,
                   "expected_decision_at", (json_int_t)due, "resubmission", resub);
  return 0;
fail:
  db_rollback(db);
  return -1;
}

json_t *collect_queue(db_t *db, const collect_who *who, int limit, err_t *err) {
  int64_t now = clock_now_ms();
  db_res *r = db_query(
      db, err,
      "SELECT s.id, s.record_id, s.batch_id, s.attempt_id, s.resubmission, s.submitted_at, s.due_at, s.claimed_by, "
      "s.claim_until, r.student_no FROM collect_submissions s JOIN roster_records r ON r.id = s.record_id "
      "WHERE s.state = 'pending' AND ($1 = 0 OR s.school_id = $1) "
      "ORDER BY s.resubmission DESC, s.due_at, s.id LIMIT $2",
      DB_INT(who->school_id), DB_INT(limit));
  if (!r) return NULL;
  json_t *a = json_array();
  /* The loop reads many rows: each column is looked up once. */
  int c_claim_until = db_res_col(r, "claim_until"), c_id = db_res_col(r, "id");
  int c_record_id = db_res_col(r, "record_id"), c_batch_id = db_res_col(r, "batch_id");
  int c_attempt_id = db_res_col(r, "attempt_id"), c_resubmission = db_res_col(r, "resubmission");
  int c_submitted_at = db_res_col(r, "submitted_at"), c_due_at = db_res_col(r, "due_at");
  int c_claimed_by = db_res_col(r, "claimed_by"), c_student_no = db_res_col(r, "student_no");
  for (int i = 0; i < db_res_rows(r); i++) {
    int claimed = db_res_int(r, i, c_claim_until) > now;
    json_array_append_new(
        a, json_pack("{s:I, s:I, s:I, s:I, s:b, s:I, s:I, s:b, s:b, s:b}", "id", (json_int_t)db_res_int(r, i, c_id),
                     "record_id", (json_int_t)db_res_int(r, i, c_record_id), "batch_id",
                     (json_int_t)db_res_int(r, i, c_batch_id), "attempt_id", (json_int_t)db_res_int(r, i, c_attempt_id),
                     "resubmission", db_res_int(r, i, c_resubmission) != 0, "submitted_at",
                     (json_int_t)db_res_int(r, i, c_submitted_at), "due_at", (json_int_t)db_res_int(r, i, c_due_at),
                     "overdue", db_res_int(r, i, c_due_at) < now, "claimed", claimed, "claimed_by_me",
                     claimed && db_res_int(r, i, c_claimed_by) == who->id));
    /* The queue names each photo by the student's number (people do not read our row ids). */
    json_object_set_new(json_array_get(a, json_array_size(a) - 1), "student_no",
                        json_string(db_res_text(r, i, c_student_no)));
  }
  db_res_free(r);
  return a;
}

/* The submission's school, to keep staff inside theirs; 404 when outside or absent. */
static int visible(db_t *db, const collect_who *who, int64_t sid, err_t *err) {
  int64_t school = db_int(db, err, -1, "SELECT school_id FROM collect_submissions WHERE id = $1", DB_INT(sid));
  if (err_is_set(err)) return -1;
  if (school < 0 || (who->school_id && who->school_id != school))
    return err_set(err, 404, "item_not_found", "review item not found");
  return 0;
}

int collect_claim(db_t *db, const collect_who *who, int64_t sid, int64_t lease_ms, int64_t *until, err_t *err) {
  if (visible(db, who, sid, err) < 0) return -1;
  int64_t now = clock_now_ms();
  *until = now + lease_ms;
  int64_t n =
      db_exec(db, err,
              "UPDATE collect_submissions SET claimed_by = $1, claim_until = $2 WHERE id = $3 AND state = 'pending' "
              "AND (claimed_by = $1 OR claim_until <= $4)",
              DB_INT(who->id), DB_INT(*until), DB_INT(sid), DB_INT(now));
  if (n < 0) return -1;
  if (n == 1) return 0;
  if (db_int(db, err, 0, "SELECT COUNT(*) FROM collect_submissions WHERE id = $1 AND state = 'pending'", DB_INT(sid)) ==
      0)
    return err_set(err, 409, "already_decided", "this photo has already been decided");
  return err_set(err, 409, "claimed", "another reviewer is working on this photo");
}

int collect_release(db_t *db, const collect_who *who, int64_t sid, err_t *err) {
  if (visible(db, who, sid, err) < 0) return -1;
  int64_t n =
      db_exec(db, err,
              "UPDATE collect_submissions SET claimed_by = 0, claim_until = 0 WHERE id = $1 AND claimed_by = $2 "
              "AND state = 'pending'",
              DB_INT(sid), DB_INT(who->id));
  if (n < 0) return -1;
  return n == 1 ? 0 : err_set(err, 409, "not_claimed", "you do not hold this photo");
}

json_t *collect_item(db_t *db, const collect_who *who, int64_t sid, err_t *err) {
  if (visible(db, who, sid, err) < 0) return NULL;
  db_res *r = db_query(
      db, err,
      "SELECT id, record_id, batch_id, school_id, attempt_id, state, resubmission, warnings_confirmed, submitted_at, "
      "due_at, claimed_by, claim_until FROM collect_submissions WHERE id = $1",
      DB_INT(sid));
  if (!r) return NULL;
  int64_t record = db_res_int_at(r, 0, "record_id"), attempt = db_res_int_at(r, 0, "attempt_id");
  json_t *o = json_pack(
      "{s:I, s:I, s:I, s:I, s:s, s:b, s:b, s:I, s:I, s:I, s:I}", "id", (json_int_t)sid, "record_id", (json_int_t)record,
      "batch_id", (json_int_t)db_res_int_at(r, 0, "batch_id"), "school_id",
      (json_int_t)db_res_int_at(r, 0, "school_id"), "state", db_res_text_at(r, 0, "state"), "resubmission",
      db_res_int_at(r, 0, "resubmission") != 0, "warnings_confirmed", db_res_int_at(r, 0, "warnings_confirmed") != 0,
      "submitted_at", (json_int_t)db_res_int_at(r, 0, "submitted_at"), "due_at",
      (json_int_t)db_res_int_at(r, 0, "due_at"), "claimed_by", (json_int_t)db_res_int_at(r, 0, "claimed_by"),
      "claim_until", (json_int_t)db_res_int_at(r, 0, "claim_until"));
  db_res_free(r);
  /* Who this is: the reviewer compares the face with the name and number on the roster, and the
   * 非本人照片 reason needs a person to be measured against. The view is audited below. */
  student_record s;
  if (student_record_get(db, record, &s, err) < 0) goto fail;
  json_object_set_new(o, "student",
                      json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", s.name, "student_no", s.student_no, "college",
                                s.college, "major", s.major, "degree", s.degree));
  sodium_memzero(&s, sizeof s);
  json_t *cur = collect_attempt_json(db, attempt, 0, err);
  if (!cur) goto fail;
  json_object_set_new(o, "attempt", cur);
  r = db_query(db, err, "SELECT id FROM collect_attempts WHERE record_id = $1 AND id <> $2 ORDER BY id", DB_INT(record),
               DB_INT(attempt));
  if (!r) goto fail;
  json_t *earlier = json_array();
  json_object_set_new(o, "earlier_attempts", earlier);
  for (int i = 0; i < db_res_rows(r); i++) {
    json_t *x = collect_attempt_json(db, db_res_int_at(r, i, "id"), 0, err);
    if (!x) {
      db_res_free(r);
      goto fail;
    }
    json_array_append_new(earlier, x);
  }
  db_res_free(r);
  r = db_query(
      db, err,
      "SELECT d.submission_id, d.decision, d.reasons, d.note, d.at, d.reviewer_id, s.attempt_id FROM collect_decisions d "
      "JOIN collect_submissions s ON s.id = d.submission_id WHERE d.record_id = $1 ORDER BY d.id",
      DB_INT(record));
  if (!r) goto fail;
  json_t *decisions = json_array();
  json_object_set_new(o, "decisions", decisions);
  for (int i = 0; i < db_res_rows(r); i++)
    json_array_append_new(
        decisions,
        json_pack("{s:I, s:s, s:o, s:s, s:I, s:I, s:I}", "submission_id",
                  (json_int_t)db_res_int_at(r, i, "submission_id"), "decision", db_res_text_at(r, i, "decision"),
                  "reasons", collect_checks_parse(db_res_text_at(r, i, "reasons")), "note",
                  db_res_text_at(r, i, "note"), "at", (json_int_t)db_res_int_at(r, i, "at"), "reviewer_id",
                  (json_int_t)db_res_int_at(r, i, "reviewer_id"), "attempt_id",
                  (json_int_t)db_res_int_at(r, i, "attempt_id")));
  db_res_free(r);
  /* 与录取照片比对: the reference's state and this attempt's score (the photo: collect_item_reference). */
  json_t *ref = collect_reference_json(db, record, attempt, err);
  if (!ref) goto fail;
  json_object_set_new(o, "reference", ref);
  json_t *d = json_pack("{s:I}", "attempt_id", (json_int_t)attempt);
  int rc = audit_log(db, who->role, who->id, "review.view", "collect_submission", sid, d, err);
  json_decref(d);
  if (rc < 0) goto fail;
  return o;
fail:
  json_decref(o);
  return NULL;
}

int collect_item_reference(struct blob_store *blobs, db_t *db, const collect_who *who, int64_t sid, uint8_t **bytes,
                           size_t *len, err_t *err) {
  if (visible(db, who, sid, err) < 0) return -1;
  int64_t record = db_int(db, err, 0, "SELECT record_id FROM collect_submissions WHERE id = $1", DB_INT(sid));
  if (err_is_set(err)) return -1;
  if (record <= 0) return err_set(err, 404, "item_not_found", "review item not found");
  if (collect_reference_photo(blobs, db, record, bytes, len, err) < 0) return -1;
  /* Every staff view of the school's photo is logged; a view that cannot be logged is not given. */
  json_t *d = json_pack("{s:I, s:I}", "submission_id", (json_int_t)sid, "record_id", (json_int_t)record);
  int rc = audit_log(db, who->role, who->id, "reference.view", "roster_record", record, d, err);
  json_decref(d);
  if (rc < 0) {
    free(*bytes);
    *bytes = NULL;
    return -1;
  }
  return 0;
}

static int reason_known(const char *s) {
  for (int i = 0; collect_reject_reasons[i]; i++)
    if (!strcmp(s, collect_reject_reasons[i])) return 1;
  return 0;
}

int collect_decide(jobs_pool *jobs, db_t *db, const collect_who *who, int64_t sid, int approve, const json_t *reasons,
                   const char *other, const char *note, err_t *err) {
  json_t *rs = json_array();
  if (!approve) {
    size_t i;
    json_t *v;
    if (!json_is_array(reasons) || json_array_size(reasons) == 0) {
      json_decref(rs);
      return err_set(err, 400, "reason_required", "rejecting needs at least one reason from the list");
    }
    json_array_foreach(reasons, i, v) {
      if (!json_is_string(v) || !reason_known(json_string_value(v))) {
        json_decref(rs);
        return err_set(err, 400, "unknown_reason", "reasons must come from the fixed list");
      }
      if (!strcmp(json_string_value(v), "其他")) {
        if (!other || !*other) {
          json_decref(rs);
          return err_set(err, 400, "other_text_required", "the reason 其他 needs a text");
        }
        char buf[400];
        snprintf(buf, sizeof buf, "其他：%s", other);
        json_array_append_new(rs, json_string(buf));
      } else
        json_array_append(rs, v);
    }
  }
  if (visible(db, who, sid, err) < 0) {
    json_decref(rs);
    return -1;
  }
  int64_t now = clock_now_ms();
  char *rtext = json_dumps(rs, JSON_COMPACT);
  json_decref(rs);
  if (db_begin(db, err) < 0) {
    free(rtext);
    return -1;
  }
  db_res *r = NULL;
  json_t *seen = NULL;
  int64_t n = db_exec(db, err,
                      "UPDATE collect_submissions SET state = $1, decided_at = $2 WHERE id = $3 AND state = 'pending' "
                      "AND claimed_by = $4 AND claim_until > $2",
                      DB_TEXT(approve ? "approved" : "rejected"), DB_INT(now), DB_INT(sid), DB_INT(who->id));
  if (n < 0) goto fail;
  if (n == 0) {
    err_set(err, 409, "not_claimed", "claim this photo before deciding (or your claim expired)");
    goto fail;
  }
  r = db_query(
      db, err,
      "SELECT s.record_id, s.account_id, s.attempt_id, a.standardized_blob, a.original_blob, a.fails, a.warns, s.resubmission "
      "FROM collect_submissions s JOIN collect_attempts a ON a.id = s.attempt_id WHERE s.id = $1",
      DB_INT(sid));
  if (!r) goto fail;
  int64_t record = db_res_int_at(r, 0, "record_id"), account = db_res_int_at(r, 0, "account_id"),
          attempt = db_res_int_at(r, 0, "attempt_id");
  /* What the reviewer saw: the attempt and its photos, the check summary, how many earlier tries. */
  seen = json_pack("{s:I, s:I, s:I, s:I, s:I, s:b}", "attempt_id", (json_int_t)attempt, "standardized_blob",
                   (json_int_t)db_res_int_at(r, 0, "standardized_blob"), "original_blob",
                   (json_int_t)db_res_int_at(r, 0, "original_blob"), "fails", (json_int_t)db_res_int_at(r, 0, "fails"),
                   "warns", (json_int_t)db_res_int_at(r, 0, "warns"), "resubmission",
                   db_res_int_at(r, 0, "resubmission") != 0);
  db_res_free(r);
  json_object_set_new(
      seen, "attempts",
      json_integer(db_int(db, err, 0, "SELECT COUNT(*) FROM collect_attempts WHERE record_id = $1", DB_INT(record))));
  char *stext = json_dumps(seen, JSON_COMPACT);
  n = db_exec(
      db, err,
      "INSERT INTO collect_decisions (submission_id, record_id, reviewer_role, reviewer_id, decision, reasons, note, seen, at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      DB_INT(sid), DB_INT(record), DB_INT(who->role), DB_INT(who->id), DB_TEXT(approve ? "approved" : "rejected"),
      DB_TEXT(rtext), DB_TEXT(note ? note : ""), DB_TEXT(stext), DB_INT(now));
  free(stext);
  if (n < 0) goto fail;
  n = db_exec(
      db, err,
      approve
          ? "UPDATE collect_records SET state = 'approved', approved_submission = $1, approved_at = $2, updated_at = $2 "
            "WHERE record_id = $3 AND state = 'in_review' AND last_submission = $1"
          : "UPDATE collect_records SET state = 'rejected', updated_at = $2 "
            "WHERE record_id = $3 AND state = 'in_review' AND last_submission = $1",
      DB_INT(sid), DB_INT(now), DB_INT(record));
  if (n != 1) {
    if (n == 0) err_set(err, 409, "changed", "the record changed meanwhile");
    goto fail;
  }
  if (approve && student_record_mark_approved(db, record, err) < 0) goto fail;
  json_t *detail = json_pack("{s:s, s:O, s:s, s:I}", "decision", approve ? "approved" : "rejected", "seen", seen,
                             "reasons", rtext, "record_id", (json_int_t)record);
  int rc = audit_log(db, who->role, who->id, approve ? "review.approve" : "review.reject", "collect_submission", sid,
                     detail, err);
  json_decref(detail);
  if (rc < 0) goto fail;
  char key[64];
  snprintf(key, sizeof key, "decision:%lld", (long long)sid);
  json_t *nd = json_pack("{s:I, s:s}", "submission_id", (json_int_t)sid, "note", note ? note : "");
  json_object_set_new(nd, "reasons", collect_checks_parse(rtext));
  rc = approve ? notify_student(db, account, "approved", "照片审核通过", "你的毕业照片已审核通过。", nd, key, err)
               : notify_student(db, account, "rejected", "照片未通过审核",
                                "你的照片未通过审核，请查看原因后免费重拍并重新提交。", nd, key, err);
  json_decref(nd);
  if (rc < 0) goto fail;
  json_decref(seen);
  free(rtext);
  if (db_commit(db, err) < 0) return -1;
  if (jobs) jobs_pool_kick(jobs);
  return 0;
fail:
  json_decref(seen);
  free(rtext);
  db_rollback(db);
  return -1;
}

int collect_override(db_t *db, const collect_who *who, int64_t record_id, const char *reason, err_t *err) {
  if (!reason || !*reason) return err_set(err, 400, "reason_required", "an override needs a reason");
  int64_t now = clock_now_ms();
  if (db_begin(db, err) < 0) return -1;
  int64_t sub = db_int(db, err, 0,
                       "SELECT approved_submission FROM collect_records WHERE record_id = $1 AND state = 'approved' "
                       "AND ($2 = 0 OR school_id = $2)",
                       DB_INT(record_id), DB_INT(who->school_id));
  if (!sub) {
    if (!err_is_set(err))
      err_set(err, 409, "not_approved", "only an approved, not yet exported record can be reopened");
    db_rollback(db);
    return -1;
  }
  json_t *d = json_pack("{s:s, s:I}", "reason", reason, "submission_id", (json_int_t)sub);
  json_t *ra = json_pack("[s]", reason);
  char *rtext = json_dumps(ra, JSON_COMPACT);
  json_decref(ra);
  int rc =
      db_exec(
          db, err,
          "UPDATE collect_records SET state = 'open', approved_submission = 0, approved_at = 0, updated_at = $1 WHERE record_id = $2",
          DB_INT(now), DB_INT(record_id)) == 1 &&
              db_exec(
                  db, err,
                  "INSERT INTO collect_decisions (submission_id, record_id, reviewer_role, reviewer_id, decision, reasons, note, at) "
                  "VALUES ($1, $2, $3, $4, 'override', $5, '', $6)",
                  DB_INT(sub), DB_INT(record_id), DB_INT(who->role), DB_INT(who->id), DB_TEXT(rtext),
                  DB_INT(now)) == 1 &&
              audit_log(db, who->role, who->id, "review.override", "collect_record", record_id, d, err) == 0
          ? 0
          : -1;
  json_decref(d);
  free(rtext);
  if (rc < 0) {
    db_rollback(db);
    return -1;
  }
  return db_commit(db, err);
}

/* retention.c: the purge of photo files by policy, and students' deletion requests (see
 * retention.h). Blobs are destroyed first (idempotent: a deleted blob is skipped), rows are
 * changed after, so a crash in between is finished by the next run. */
#include "office/retention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/roles.h"
#include "blob/blob.h"
#include "identity/student.h"
#include "jobs/jobs.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xmalloc.h"

#define DAY_MS (24 * 3600 * 1000LL)
#define FINAL_STATES "('approved', 'exported', 'shipped')"

/* Runs a query whose column blob_id is a blob id, deletes each one still alive; returns the count. */
static int delete_listed(blob_store *bs, db_t *db, int *count, err_t *err, const char *sql, int64_t cut) {
  db_res *r = db_query(db, err, sql, DB_INT(cut));
  if (!r) return -1;
  int n = db_res_rows(r), rc = 0;
  int64_t *ids = xcalloc((size_t)n + 1, sizeof *ids);
  for (int i = 0; i < n && !rc; i++) ids[i] = db_res_int_at(r, i, "blob_id");
  db_res_free(r);
  for (int i = 0; i < n && !rc; i++) {
    if (blob_delete(bs, db, ids[i], err) == 0)
      (*count)++;
    else if (err->status == 404)
      err_clear(err); /* another run got there first */
    else
      rc = -1;
  }
  free(ids);
  return rc;
}

static int execute(blob_store *bs, db_t *db, int64_t request_id, int actor_role, int64_t actor_id, int *deleted,
                   err_t *err);

int retention_purge(blob_store *bs, db_t *db, int64_t now, int retention_days, int export_days, retention_counts *c,
                    err_t *err) {
  memset(c, 0, sizeof *c);
  if (retention_days < 0 || export_days < 0) return err_set(err, 400, "bad_retention", "retention days must be >= 0");
  db_res *r = db_query(db, err, "INSERT INTO purge_runs (started_at) VALUES ($1) RETURNING id", DB_INT(now));
  if (!r) return -1;
  int64_t run = db_res_rows(r) ? db_res_int_at(r, 0, "id") : 0;
  db_res_free(r);
  int64_t cut = now - retention_days * DAY_MS, ecut = now - export_days * DAY_MS;
  int rc = delete_listed(
      bs, db, &c->originals, err,
      "SELECT a.original_blob AS blob_id FROM collect_attempts a JOIN collect_records c ON c.record_id = a.record_id "
      "JOIN blobs b ON b.id = a.original_blob "
      "WHERE c.state IN " FINAL_STATES
      " AND c.approved_at > 0 AND c.approved_at <= $1 "
      "AND b.deleted_at IS NULL ORDER BY a.id",
      cut);
  /* Face prints are biometric data derived from the originals: they go with them. */
  int prints = 0;
  if (!rc)
    rc = delete_listed(
        bs, db, &prints, err,
        "SELECT p.print_blob AS blob_id FROM collect_face_prints p JOIN collect_records c ON c.record_id = p.record_id "
        "JOIN blobs b ON b.id = p.print_blob "
        "WHERE c.state IN " FINAL_STATES
        " AND c.approved_at > 0 AND c.approved_at <= $1 "
        "AND b.deleted_at IS NULL ORDER BY p.attempt_id",
        cut);
  /* The school's reference photo and its print go with the student's own photos. */
  if (!rc)
    rc = delete_listed(
        bs, db, &prints, err,
        "SELECT b.id AS blob_id FROM reference_photos p JOIN collect_records c ON c.record_id = p.record_id "
        "JOIN blobs b ON b.id = p.photo_blob OR b.id = p.print_blob "
        "WHERE c.state IN " FINAL_STATES
        " AND c.approved_at > 0 AND c.approved_at <= $1 "
        "AND b.deleted_at IS NULL ORDER BY b.id",
        cut);
  if (!rc &&
      db_exec(
          db, err,
          "UPDATE reference_photos SET state = 'deleted', updated_at = $2 WHERE state <> 'deleted' AND record_id IN "
          "(SELECT record_id FROM collect_records WHERE state IN " FINAL_STATES
          " AND approved_at > 0 AND approved_at <= $1)",
          DB_INT(cut), DB_INT(now)) < 0)
    rc = -1;
  if (!rc)
    rc = delete_listed(
        bs, db, &c->attempts, err,
        "SELECT a.standardized_blob AS blob_id FROM collect_attempts a JOIN collect_records c ON c.record_id = a.record_id "
        "JOIN collect_submissions s ON s.id = c.approved_submission JOIN blobs b ON b.id = a.standardized_blob "
        "WHERE c.state IN " FINAL_STATES
        " AND c.approved_at > 0 AND c.approved_at <= $1 "
        "AND a.id <> s.attempt_id AND a.standardized_blob > 0 AND b.deleted_at IS NULL ORDER BY a.id",
        cut);
  if (!rc)
    rc = delete_listed(
        bs, db, &c->standardized, err,
        "SELECT a.standardized_blob AS blob_id FROM collect_records c JOIN collect_submissions s ON s.id = c.approved_submission "
        "JOIN collect_attempts a ON a.id = s.attempt_id JOIN blobs b ON b.id = a.standardized_blob "
        "WHERE c.state IN " FINAL_STATES
        " AND b.deleted_at IS NULL AND "
        "(SELECT MAX(p.finished_at) FROM export_items i JOIN export_packages p ON p.id = i.package_id "
        " WHERE i.record_id = c.record_id AND p.state = 'done') <= $1 ORDER BY a.id",
        ecut);
  /* Open deletion requests are executed too: a student's request must not wait for staff. */
  if (!rc) {
    db_res *q = db_query(db, err, "SELECT id FROM deletion_requests WHERE done_at IS NULL ORDER BY id");
    if (!q) rc = -1;
    int n = q ? db_res_rows(q) : 0;
    int64_t *ids = q ? xcalloc((size_t)n + 1, sizeof *ids) : NULL;
    for (int i = 0; i < n && ids; i++) ids[i] = db_res_int_at(q, i, "id");
    db_res_free(q);
    for (int i = 0; i < n && !rc; i++) {
      int deleted = 0;
      if (execute(bs, db, ids[i], 0, 0, &deleted, err) == 0)
        c->withdrawn++;
      else if (err->status == 409)
        err_clear(err); /* approved meanwhile: not ours to delete */
      else
        rc = -1;
    }
    free(ids);
  }
  if (run > 0) {
    err_t e2 = {0};
    db_exec(db, rc ? &e2 : err,
            "UPDATE purge_runs SET finished_at = $1, originals = $2, attempts = $3, standardized = $4, withdrawn = $5 "
            "WHERE id = $6",
            DB_INT(clock_now_ms()), DB_INT(c->originals), DB_INT(c->attempts), DB_INT(c->standardized),
            DB_INT(c->withdrawn), DB_INT(run));
    if (!rc && err_is_set(err)) rc = -1;
  }
  if (!rc) {
    json_t *d = json_pack("{s:i,s:i,s:i,s:i,s:i,s:i}", "originals", c->originals, "attempts", c->attempts,
                          "standardized", c->standardized, "withdrawn", c->withdrawn, "retention_days", retention_days,
                          "export_retention_days", export_days);
    rc = audit_log(db, 0, 0, "retention.purge", "purge_run", run, d, err);
    json_decref(d);
  }
  return rc;
}

/* ---- deletion requests --------------------------------------------------------------------- */

static int is_final(db_t *db, int64_t record_id, err_t *err) {
  return (int)db_int(db, err, -1,
                     "SELECT COUNT(*) FROM collect_records WHERE record_id = $1 AND state IN " FINAL_STATES,
                     DB_INT(record_id));
}

int64_t retention_request_deletion(db_t *db, int64_t account_id, err_t *err) {
  student_record s;
  if (student_current(db, account_id, &s, err) < 0) return -1;
  if (!s.record_id) return err_set(err, 409, "not_linked", "尚未认证学籍，没有可删除的采集记录");
  int f = is_final(db, s.record_id, err);
  if (f < 0) return -1;
  if (f > 0) return err_set(err, 409, "approved", "照片已审核通过，采集已完成，不能再删除");
  int64_t open =
      db_int(db, err, -1, "SELECT COALESCE(MAX(id), 0) FROM deletion_requests WHERE record_id = $1 AND done_at IS NULL",
             DB_INT(s.record_id));
  if (open != 0) return open;
  db_res *r = db_query(
      db, err, "INSERT INTO deletion_requests (record_id, account_id, requested_at) VALUES ($1, $2, $3) RETURNING id",
      DB_INT(s.record_id), DB_INT(account_id), DB_INT(clock_now_ms()));
  int64_t id = r && db_res_rows(r) ? db_res_int_at(r, 0, "id") : -1;
  db_res_free(r);
  if (id > 0) audit_log(db, ROLE_STUDENT, account_id, "retention.deletion_requested", "record", s.record_id, NULL, err);
  return err_is_set(err) ? -1 : id;
}

json_t *retention_request_status(db_t *db, int64_t account_id, err_t *err) {
  db_res *r =
      db_query(db, err,
               "SELECT id, requested_at, COALESCE(done_at, 0) AS done_at FROM deletion_requests WHERE account_id = $1 "
               "ORDER BY id DESC LIMIT 1",
               DB_INT(account_id));
  if (!r) return NULL;
  json_t *o = db_res_rows(r) ? json_pack("{s:I,s:I,s:I,s:s}", "id", (json_int_t)db_res_int_at(r, 0, "id"),
                                         "requested_at", (json_int_t)db_res_int_at(r, 0, "requested_at"), "done_at",
                                         (json_int_t)db_res_int_at(r, 0, "done_at"), "state",
                                         db_res_int_at(r, 0, "done_at") ? "done" : "open")
                             : json_null();
  db_res_free(r);
  return o;
}

json_t *retention_requests_json(db_t *db, int open_only, err_t *err) {
  db_res *r =
      db_query(db, err,
               "SELECT d.id, d.record_id, r.batch_id, r.student_no, r.name_masked, r.college, d.requested_at, "
               "COALESCE(d.done_at, 0) AS done_at FROM deletion_requests d JOIN roster_records r ON r.id = d.record_id "
               "WHERE ($1 = 0 OR d.done_at IS NULL) ORDER BY d.id",
               DB_INT(open_only ? 1 : 0));
  if (!r) return NULL;
  json_t *a = json_array();
  for (int i = 0; i < db_res_rows(r); i++)
    json_array_append_new(
        a,
        json_pack("{s:I,s:I,s:I,s:s,s:s,s:s,s:s,s:I,s:I}", "id", (json_int_t)db_res_int_at(r, i, "id"), "record_id",
                  (json_int_t)db_res_int_at(r, i, "record_id"), "batch_id", (json_int_t)db_res_int_at(r, i, "batch_id"),
                  "student_no", db_res_text_at(r, i, "student_no"), "name_masked", db_res_text_at(r, i, "name_masked"),
                  "college", db_res_text_at(r, i, "college"), "state", db_res_int_at(r, i, "done_at") ? "done" : "open",
                  "requested_at", (json_int_t)db_res_int_at(r, i, "requested_at"), "done_at",
                  (json_int_t)db_res_int_at(r, i, "done_at")));
  db_res_free(r);
  return a;
}

static int execute(blob_store *bs, db_t *db, int64_t request_id, int actor_role, int64_t actor_id, int *deleted,
                   err_t *err) {
  *deleted = 0;
  db_res *r =
      db_query(db, err, "SELECT record_id, COALESCE(done_at, 0) AS done_at FROM deletion_requests WHERE id = $1",
               DB_INT(request_id));
  if (!r) return -1;
  if (!db_res_rows(r)) {
    db_res_free(r);
    return err_set(err, 404, "not_found", "no such deletion request");
  }
  int64_t record_id = db_res_int_at(r, 0, "record_id"), done = db_res_int_at(r, 0, "done_at");
  db_res_free(r);
  if (done) return err_set(err, 409, "done", "this request was executed already");
  int f = is_final(db, record_id, err);
  if (f < 0) return -1;
  if (f > 0) return err_set(err, 409, "approved", "the photo was approved meanwhile; the collection is finished");
  /* The files first: withdraw the submission so no reviewer approves what is being deleted. */
  if (db_exec(db, err, "UPDATE collect_submissions SET state = 'withdrawn' WHERE record_id = $1 AND state = 'pending'",
              DB_INT(record_id)) < 0)
    return -1;
  if (delete_listed(bs, db, deleted, err,
                    "SELECT b.id AS blob_id FROM blobs b WHERE b.deleted_at IS NULL AND b.id IN ("
                    "SELECT original_blob FROM collect_attempts WHERE record_id = $1 UNION "
                    "SELECT standardized_blob FROM collect_attempts WHERE record_id = $1 UNION "
                    "SELECT print_blob FROM collect_face_prints WHERE record_id = $1 UNION "
                    /* The school's reference photo of the student and its print. */
                    "SELECT photo_blob FROM reference_photos WHERE record_id = $1 UNION "
                    "SELECT print_blob FROM reference_photos WHERE record_id = $1 UNION "
                    /* The student's support attachments (photos of documents, screenshots) go too. */
                    "SELECT m.attachment_blob FROM support_messages m JOIN deletion_requests d "
                    "ON d.account_id = m.account_id WHERE d.record_id = $1 AND d.done_at IS NULL) ORDER BY b.id",
                    record_id) < 0)
    return -1;
  if (db_begin(db, err) < 0) return -1;
  int64_t now = clock_now_ms();
  int rc = db_exec(db, err,
                   "UPDATE collect_attempts SET state = 'refused', refusal_code = 'deleted', "
                   "refusal_message = '应本人要求已删除' WHERE record_id = $1",
                   DB_INT(record_id)) < 0
               ? -1
               : 0;
  if (!rc && db_exec(db, err, "UPDATE reference_photos SET state = 'deleted', updated_at = $1 WHERE record_id = $2",
                     DB_INT(now), DB_INT(record_id)) < 0)
    rc = -1;
  if (!rc && db_exec(db, err,
                     "UPDATE support_messages SET attachment_blob = 0, attachment_type = '' WHERE attachment_blob > 0 "
                     "AND account_id IN (SELECT account_id FROM deletion_requests WHERE id = $1)",
                     DB_INT(request_id)) < 0)
    rc = -1;
  if (!rc && db_exec(db, err,
                     "UPDATE collect_records SET state = 'open', updated_at = $1 WHERE record_id = $2 "
                     "AND state IN ('open', 'in_review', 'rejected')",
                     DB_INT(now), DB_INT(record_id)) < 0)
    rc = -1;
  if (!rc && db_exec(db, err, "UPDATE deletion_requests SET done_at = $1 WHERE id = $2 AND done_at IS NULL",
                     DB_INT(now), DB_INT(request_id)) != 1)
    rc = err_is_set(err) ? -1 : err_set(err, 409, "done", "this request was executed already");
  if (!rc) {
    json_t *d = json_pack("{s:I,s:i}", "request_id", (json_int_t)request_id, "blobs_deleted", *deleted);
    rc = audit_log(db, actor_role, actor_id, "retention.deletion_executed", "record", record_id, d, err);
    json_decref(d);
  }
  if (!rc) rc = db_commit(db, err);
  if (rc) db_rollback(db);
  return rc;
}

int retention_execute(blob_store *bs, db_t *db, int64_t request_id, int actor_role, int64_t actor_id, int *deleted,
                      err_t *err) {
  return execute(bs, db, request_id, actor_role, actor_id, deleted, err);
}

/* ---- the daily job ------------------------------------------------------------------------- */

static int enqueue(db_t *db, int64_t at, err_t *err) {
  jobs_enqueue_opts o = {.run_at_ms = at, .dedupe_key = "office.retention"};
  if (jobs_enqueue(db, "office.retention", NULL, &o, err) < 0) {
    if (db_last_was_unique_violation(db)) {
      err_clear(err);
      return 0;
    }
    return -1;
  }
  return 0;
}

int retention_schedule(db_t *db, err_t *err) { return enqueue(db, clock_now_ms(), err); }

static int job_retention(void *ctx, db_t *db, job *j, err_t *err) {
  const retention_env *env = ctx;
  retention_counts c;
  if (retention_purge(env->blobs, db, clock_now_ms(), env->retention_days, env->export_retention_days, &c, err) < 0)
    return -1;
  /* Complete first: the dedupe key is free again once this job is no longer running. */
  if (db_begin(db, err) < 0) return -1;
  if (jobs_complete_in(db, j, err) < 0 || enqueue(db, clock_now_ms() + DAY_MS, err) < 0) {
    db_rollback(db);
    return -1;
  }
  if (db_commit(db, err) < 0) return -1;
  char o[16], at[16], s[16], w[16];
  snprintf(o, sizeof o, "%d", c.originals);
  snprintf(at, sizeof at, "%d", c.attempts);
  snprintf(s, sizeof s, "%d", c.standardized);
  snprintf(w, sizeof w, "%d", c.withdrawn);
  log_info("retention purge", "originals", o, "attempts", at, "standardized", s, "withdrawn", w, NULL);
  return 0;
}

void retention_jobs_register(retention_env *env) {
  static const job_kind k = {
      .type = "office.retention", .handler = job_retention, .completes_itself = 1, .lease_ms = 600000};
  jobs_register(&k, env);
}

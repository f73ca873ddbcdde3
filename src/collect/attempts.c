/* attempts.c: an upload becomes an attempt (original encrypted, job queued); the standardize job
 * turns it into the preview (standardized photo encrypted, checks, refusal) exactly once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "blob/blob.h"
#include "collect/internal.h"
#include "auth/roles.h"
#include "photo/checks/checks.h"
#include "photo/engine_once.h"
#include "photo/face_compare.h"
#include "photo/photo.h"
#include "identity/quota.h"
#include "util/clock.h"
#include "util/image_type.h"
#include "util/log.h"

/* JPEG, PNG, WebP, HEIF/HEIC: what phones send. Anything else is refused before it is stored. */
static int looks_like_image(const char *path) { return image_type_of_file(path) != NULL; }

/* The rules every change by the student meets: linked, paid, window open, not locked. */
static int may_change(const collect_ctx *c, err_t *err) {
  if (!c->linked) return err_set(err, 409, "not_linked", "请先上传采集码完成身份认证");
  if (!c->paid) return err_set(err, 402, "not_paid", "请先支付采集服务费");
  if (batch_check_window(&c->b, clock_now_ms(), err) < 0) return -1;
  if (!strcmp(c->state, "in_review")) return err_set(err, 409, "in_review", "照片正在审核中，审核结果出来前不能更改");
  if (!strcmp(c->state, "approved") || !strcmp(c->state, "exported") || !strcmp(c->state, "shipped"))
    return err_set(err, 409, "approved_final", "照片已审核通过，不能再更改");
  return 0;
}

int collect_upload(const collect_env *env, db_t *db, int64_t account_id, const char *path, int64_t size,
                   int64_t *attempt_id, err_t *err) {
  collect_ctx c;
  if (collect_ctx_load(db, account_id, &c, err) < 0) return -1;
  if (may_change(&c, err) < 0) return -1;
  if (size <= 0) return err_set(err, 400, "empty_file", "上传的照片是空文件");
  if (!looks_like_image(path)) return err_set(err, 415, "not_an_image", "请上传 JPG、PNG、WebP 或 HEIC 格式的照片");
  /* The photo is encrypted and written first, outside the transaction (no lock held for it);
   * its row is inserted with the attempt, so that a crash in between leaves no stored photo
   * that no attempt names (nor any retention or deletion request would find). */
  blob_pending *pending = blob_prepare_file(env->blobs, path, err);
  if (!pending) return -1;
  int64_t blob = 0;
  int64_t now = clock_now_ms();
  if (db_begin(db, err) < 0) {
    blob_pending_done(env->blobs, pending, 0);
    return -1;
  }
  if (blob_commit(env->blobs, db, pending, "original", &blob, err) < 0) goto fail;
  int64_t aid = 0;
  db_res *r = NULL;
  /* Each upload is a photo job of seconds: one account must not fill the queue. */
  quota q = {env->upload_per_hour, env->upload_total};
  if (quota_check(db, QUOTA_UPLOADS, account_id, &q, now, err) < 0) goto fail;
  if (db_exec(db, err,
              "INSERT INTO collect_records (record_id, batch_id, school_id, account_id, state, updated_at) "
              "VALUES ($1, $2, $3, $4, 'open', $5) ON CONFLICT (record_id) DO NOTHING",
              DB_INT(c.rec.record_id), DB_INT(c.rec.batch_id), DB_INT(c.rec.school_id), DB_INT(account_id),
              DB_INT(now)) < 0)
    goto fail;
  r = db_query(
      db, err,
      "INSERT INTO collect_attempts (record_id, batch_id, school_id, account_id, state, original_blob, created_at) "
      "VALUES ($1, $2, $3, $4, 'processing', $5, $6) RETURNING id",
      DB_INT(c.rec.record_id), DB_INT(c.rec.batch_id), DB_INT(c.rec.school_id), DB_INT(account_id), DB_INT(blob),
      DB_INT(now));
  if (!r) goto fail;
  aid = db_res_int_at(r, 0, "id");
  db_res_free(r);
  /* Conditional on the state the rules saw: a submit that raced us wins, and this upload fails. */
  int64_t n = db_exec(
      db, err,
      "UPDATE collect_records SET last_attempt = $1, updated_at = $2 WHERE record_id = $3 AND state IN ('open', 'rejected')",
      DB_INT(aid), DB_INT(now), DB_INT(c.rec.record_id));
  if (n < 0) goto fail;
  if (n == 0) {
    err_set(err, 409, "in_review", "照片正在审核中，审核结果出来前不能更改");
    goto fail;
  }
  json_t *p = json_pack("{s:I}", "attempt_id", (json_int_t)aid);
  int64_t jid = jobs_enqueue(db, "collect.standardize", p, &(jobs_enqueue_opts){.max_attempts = 4}, err);
  json_decref(p);
  if (jid < 0 || db_commit(db, err) < 0) goto fail;
  blob_pending_done(env->blobs, pending, 1);
  if (env->jobs) jobs_pool_kick(env->jobs);
  *attempt_id = aid;
  return 0;
fail:
  db_rollback(db);
  blob_pending_done(env->blobs, pending, 0);
  return -1;
}

json_t *collect_attempt_json(db_t *db, int64_t attempt_id, int64_t account_id, err_t *err) {
  db_res *r = db_query(
      db, err,
      "SELECT id, state, refusal_code, refusal_message, checks, fails, warns, created_at, ready_at, account_id, "
      "standardized_blob, engine_ms FROM collect_attempts WHERE id = $1",
      DB_INT(attempt_id));
  if (!r) return NULL;
  if (db_res_rows(r) == 0 || (account_id && db_res_int_at(r, 0, "account_id") != account_id)) {
    db_res_free(r);
    err_set(err, 404, "attempt_not_found", "照片记录不存在");
    return NULL;
  }
  const char *state = db_res_text_at(r, 0, "state");
  json_t *refusal = json_null();
  if (!strcmp(state, "refused") || !strcmp(state, "failed"))
    refusal = json_pack("{s:s, s:s}", "code", db_res_text_at(r, 0, "refusal_code"), "message",
                        db_res_text_at(r, 0, "refusal_message"));
  json_t *o =
      json_pack("{s:I, s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:b}", "id", (json_int_t)attempt_id, "state", state,
                "refusal", refusal, "checks", collect_checks_parse(db_res_text_at(r, 0, "checks")), "fails",
                (json_int_t)db_res_int_at(r, 0, "fails"), "warns", (json_int_t)db_res_int_at(r, 0, "warns"),
                "created_at", (json_int_t)db_res_int_at(r, 0, "created_at"), "ready_at",
                (json_int_t)db_res_int_at(r, 0, "ready_at"), "engine_ms", (json_int_t)db_res_int_at(r, 0, "engine_ms"),
                "has_standardized", db_res_int_at(r, 0, "standardized_blob") != 0);
  db_res_free(r);
  return o;
}

int collect_attempt_image(struct blob_store *blobs, db_t *db, const collect_who *who, int64_t attempt_id,
                          const char *which, uint8_t **bytes, size_t *len, err_t *err) {
  int original = !strcmp(which, "original");
  if (!original && strcmp(which, "standardized")) return err_set(err, 404, "not_found", "没有这种照片");
  db_res *r = db_query(
      db, err,
      "SELECT account_id, school_id, original_blob, standardized_blob, record_id FROM collect_attempts WHERE id = $1",
      DB_INT(attempt_id));
  if (!r) return -1;
  int found = db_res_rows(r) == 1;
  int64_t owner = found ? db_res_int_at(r, 0, "account_id") : 0, school = found ? db_res_int_at(r, 0, "school_id") : 0;
  int64_t blob = found ? db_res_int_at(r, 0, original ? "original_blob" : "standardized_blob") : 0,
          record = found ? db_res_int_at(r, 0, "record_id") : 0;
  db_res_free(r);
  /* Someone else's photo looks exactly like no photo. */
  if (!found || (who->role == ROLE_STUDENT && owner != who->id) ||
      (who->role != ROLE_STUDENT && who->school_id && who->school_id != school) || !blob)
    return err_set(err, 404, "photo_not_found", "照片不存在");
  if (who->role != ROLE_STUDENT) {
    json_t *d = json_pack("{s:I, s:s, s:I}", "attempt_id", (json_int_t)attempt_id, "which", which, "record_id",
                          (json_int_t)record);
    int rc = audit_log(db, who->role, who->id, "photo.view", "collect_attempt", attempt_id, d, err);
    json_decref(d);
    if (rc < 0) return -1;
  }
  return blob_get(blobs, db, blob, bytes, len, err);
}

/* ---- the standardize job ------------------------------------------------------------------ */

static photo_profile *profile_for(const collect_env *env, db_t *db, int64_t batch_id, err_t *err) {
  batch b;
  if (batch_get(db, batch_id, &b, err) < 0) return NULL;
  /* Batches are created with a profile that exists (batch_create); one removed since is an
   * operator's error to see in the job's failure, not a reason to use another background. */
  return photo_profile_load(env->profiles, b.profile, err);
}

/* The standardized JPEG (jpeg, NULL when there is none) is stored inside the same transaction as
 * the attempt's result and the job's completion: a worker killed, or one that lost its lease,
 * between the two would otherwise leave a second, unreferenced standardized photo (a decryptable
 * copy nobody's retention finds) when the job runs again. Rolled back, it leaves at worst a
 * ciphertext file whose key was never committed. */
static int finish(const collect_env *env, db_t *db, job *j, int64_t attempt_id, const char *state, const uint8_t *jpeg,
                  size_t jpeg_len, const char *code, const char *msg, const char *checks, int fails, int warns,
                  int engine_ms, err_t *err) {
  if (db_begin(db, err) < 0) return -1;
  int64_t std_blob = 0;
  /* Stored only for an attempt still waiting for it (a retry finds it done and stores nothing). */
  int64_t waiting = db_int(db, err, -1, "SELECT COUNT(*) FROM collect_attempts WHERE id = $1 AND state = 'processing'",
                           DB_INT(attempt_id));
  if (waiting < 0 ||
      (jpeg && waiting > 0 && blob_put(env->blobs, db, jpeg, jpeg_len, "standardized", &std_blob, err) < 0)) {
    db_rollback(db);
    return -1;
  }
  int64_t n = db_exec(
      db, err,
      "UPDATE collect_attempts SET state = $1, standardized_blob = $2, refusal_code = $3, refusal_message = $4, "
      "checks = $5, fails = $6, warns = $7, engine_ms = $8, ready_at = $9 WHERE id = $10 AND state = 'processing'",
      DB_TEXT(state), DB_INT(std_blob), DB_TEXT(code), DB_TEXT(msg), DB_TEXT(checks), DB_INT(fails), DB_INT(warns),
      DB_INT(engine_ms), DB_INT(clock_now_ms()), DB_INT(attempt_id));
  if (n < 0 || jobs_complete_in(db, j, err) < 0) {
    db_rollback(db);
    return -1;
  }
  return db_commit(db, err);
}

static int standardize_job(void *ctx, db_t *db, job *j, err_t *err) {
  const collect_env *env = ctx;
  int64_t id = (int64_t)json_integer_value(json_object_get(j->payload, "attempt_id"));
  db_res *r = db_query(
      db, err, "SELECT state, original_blob, batch_id, account_id, record_id FROM collect_attempts WHERE id = $1",
      DB_INT(id));
  if (!r) return -1;
  if (db_res_rows(r) == 0 || strcmp(db_res_text_at(r, 0, "state"), "processing") != 0) {
    db_res_free(r);
    return jobs_complete(db, j, err); /* done already (a retry after a lost lease) */
  }
  int64_t orig = db_res_int_at(r, 0, "original_blob"), batch_id = db_res_int_at(r, 0, "batch_id"),
          account = db_res_int_at(r, 0, "account_id"), record = db_res_int_at(r, 0, "record_id");
  db_res_free(r);
  photo_engine *e = photo_engine_once_get(env->photo, err);
  if (!e) return -1;
  photo_profile *p = profile_for(env, db, batch_id, err);
  if (!p) return -1;
  uint8_t *bytes = NULL;
  size_t len = 0;
  if (blob_get(env->blobs, db, orig, &bytes, &len, err) < 0) {
    photo_profile_free(p);
    return -1;
  }
  photo_result res;
  memset(&res, 0, sizeof res);
  err_t perr = {0};
  int rc = photo_standardize(e, bytes, len, p, &res, &perr);
  free(bytes);
  if (rc < 0) {
    photo_profile_free(p);
    photo_result_free(&res);
    if (perr.status >= 400 && perr.status < 500) /* the photo itself cannot be read: tell the student */
      return finish(env, db, j, id, "failed", NULL, 0, perr.code, "无法读取这张照片，请重新拍摄后上传", "[]", 0, 0, 0,
                    err);
    *err = perr;
    return -1;
  }
  int engine_ms = (int)res.total_ms;
  if (res.refused) {
    photo_profile_free(p);
    const char *msg = res.message[0] ? res.message : photo_reason_message(res.reason);
    rc = finish(env, db, j, id, "refused", NULL, 0, res.reason, msg ? msg : "照片不符合要求，请重新拍摄", "[]", 0, 0,
                engine_ms, err);
    photo_result_free(&res);
    return rc;
  }
  json_t *checks = NULL;
  int fails = 0, warns = 0;
  rc = photo_checks_run(e, &res.analysis, p->checks, &checks, err);
  /* 同一人核验 and 与录取照片比对 need the account's history and the school's reference photo, which
   * the engine's checks do not see; both use the subject's one face print, kept for later too. */
  face_print fp;
  if (rc == 0) {
    err_t ferr = {0};
    if (face_print_from_analysis(e, &res.analysis, &fp, &ferr) < 0) {
      log_warn("face print unavailable", "why", ferr.message, NULL);
      memset(&fp, 0, sizeof fp);
    }
    if (fp.found) rc = collect_store_face_print(env->blobs, db, id, account, record, &fp, err);
  }
  if (rc == 0)
    rc = collect_same_person(env->blobs, db, id, account, &fp, p->checks, json_object_get(checks, "checks"), err);
  if (rc == 0)
    rc = collect_reference_check(env->blobs, db, id, record, &fp, p->checks, json_object_get(checks, "checks"), err);
  photo_profile_free(p);
  if (rc < 0) {
    json_decref(checks);
    photo_result_free(&res);
    return -1;
  }
  photo_checks_count(checks, &fails, &warns);
  char *ctext = json_dumps(json_object_get(checks, "checks"), JSON_COMPACT);
  json_decref(checks);
  rc = finish(env, db, j, id, "ready", res.jpeg, res.jpeg_len, "", "", ctext ? ctext : "[]", fails, warns, engine_ms,
              err);
  photo_result_free(&res);
  free(ctext);
  return rc;
}

/* The standardization failed for good (the engine crashed the worker on every try, or kept
 * failing): the attempt stops being "processing", so the student's page says so and offers a new
 * photo instead of waiting forever. */
static void standardize_failed(db_t *db, const json_t *payload) {
  int64_t id = (int64_t)json_integer_value(json_object_get(payload, "attempt_id"));
  err_t err = {0};
  if (db_exec(db, &err,
              "UPDATE collect_attempts SET state = 'failed', refusal_code = 'PROCESSING_FAILED', refusal_message = $1, "
              "ready_at = $2 WHERE id = $3 AND state = 'processing'",
              DB_TEXT("这张照片没能处理完成，请重新拍摄或换一张照片上传"), DB_INT(clock_now_ms()), DB_INT(id)) < 0)
    log_warn("attempt failure not recorded", "why", err.message, NULL);
}

void collect_jobs_register(collect_env *env) {
  static const job_kind k = {.type = "collect.standardize",
                             .handler = standardize_job,
                             .completes_itself = 1,
                             .lease_ms = 15000,
                             .on_failed = standardize_failed};
  jobs_register(&k, env);
}

/* reference.c: 与录取照片比对 — every attempt compared with the reference photo the school imported
 * with its roster (the import is src/identity/reference.h).
 *
 * The reference's face print is computed once, by the job "collect.reference_print", with the same
 * engine, networks and threshold as `tucai photo compare` (photo/face_compare.h: calibrated on the dev pairs),
 * and kept encrypted (blob kind "face_print"). That job also scores the record's attempts made
 * before it ran (their prints are kept, collect_face_prints), so a reference that arrives late still
 * reaches the office's list. Each later attempt is scored in its standardize job
 * (collect_reference_check): the similarity goes to reference_scores and into the attempt's checks
 * as "reference_match", a warning by default (the profile's "reference_match" severity may make it
 * a failure or turn it off): a student whose face changed since admission must not be locked out,
 * the reviewer decides with the reference beside the attempt. No check is added while the record
 * has no reference ready: nothing to compare is not a pass the student could be misled by.
 *
 * The office sees the approved photos whose score is below FACE_SAME_THRESHOLD + REF_WEAK_MARGIN
 * (collect_reference_weak): those under the threshold are what the registry's own comparison
 * would complain about, those just above it are worth a look before the registry sees them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob/blob.h"
#include "collect/internal.h"
#include "jobs/jobs.h"
#include "photo/checks/checks.h"
#include "photo/engine_once.h"
#include "photo/face_compare.h"
#include "photo/photo.h"
#include "util/clock.h"
#include "util/log.h"

/* Just above the threshold is still weak: on the dev pairs the lowest genuine pair scored 0.678,
 * only 0.017 over the threshold, and the registry compares with a model of its own. */
#define REF_WEAK_MARGIN 0.04

static int64_t to_ppm(double sim) { return (int64_t)(sim * 1e6 + (sim >= 0 ? 0.5 : -0.5)); }

static int save_score(db_t *db, int64_t attempt_id, int64_t record_id, double sim, err_t *err) {
  return db_exec(
             db, err,
             "INSERT INTO reference_scores (attempt_id, record_id, similarity_ppm, created_at) VALUES ($1, $2, $3, $4) "
             "ON CONFLICT (attempt_id) DO UPDATE SET record_id = excluded.record_id, "
             "similarity_ppm = excluded.similarity_ppm, created_at = excluded.created_at",
             DB_INT(attempt_id), DB_INT(record_id), DB_INT(to_ppm(sim)), DB_INT(clock_now_ms())) < 0
             ? -1
             : 0;
}

/* A stored print (reference or attempt), decrypted and unpacked. */
static int load_print(struct blob_store *blobs, db_t *db, int64_t blob, face_print *out, err_t *err) {
  uint8_t *bytes = NULL;
  size_t len = 0;
  if (blob_get(blobs, db, blob, &bytes, &len, err) < 0) return -1;
  int rc = face_print_unpack(bytes, len, out, err);
  free(bytes);
  return rc;
}

/* ---- the job: the reference's print, once ---------------------------------------------------- */

/* Scores the record's earlier attempts against the new reference print (inside the job's
 * transaction). An unreadable attempt print is skipped, as 同一人核验 does. */
static int score_earlier(struct blob_store *blobs, db_t *db, int64_t record_id, const face_print *ref, err_t *err) {
  db_res *r =
      db_query(db, err,
               "SELECT p.attempt_id, p.print_blob FROM collect_face_prints p JOIN blobs b ON b.id = p.print_blob "
               "WHERE p.record_id = $1 AND b.deleted_at IS NULL ORDER BY p.attempt_id",
               DB_INT(record_id));
  if (!r) return -1;
  int rc = 0;
  for (int i = 0; i < db_res_rows(r) && rc == 0; i++) {
    face_print fp;
    err_t e2 = {0};
    if (load_print(blobs, db, db_res_int_at(r, i, "print_blob"), &fp, &e2) < 0) {
      log_warn("face print unreadable", "code", e2.code, NULL);
      continue;
    }
    rc = save_score(db, db_res_int_at(r, i, "attempt_id"), record_id, face_print_similarity(ref, &fp), err);
  }
  db_res_free(r);
  return rc;
}

static int reference_print_job(void *ctx, db_t *db, job *j, err_t *err) {
  collect_env *env = ctx;
  int64_t record = (int64_t)json_integer_value(json_object_get(j->payload, "record_id"));
  db_res *r = db_query(db, err, "SELECT photo_blob, state FROM reference_photos WHERE record_id = $1", DB_INT(record));
  if (!r) return -1;
  int pending = db_res_rows(r) == 1 && !strcmp(db_res_text_at(r, 0, "state"), "pending");
  int64_t photo = pending ? db_res_int_at(r, 0, "photo_blob") : 0;
  db_res_free(r);
  if (!pending) return jobs_complete(db, j, err); /* done already, or deleted meanwhile */
  /* The reference is described as attempts are: by the process's one engine (its detection and
   * landmarks, then its face networks). */
  photo_engine *e = photo_engine_once_get(env->photo, err);
  if (!e) return -1;
  uint8_t *bytes = NULL;
  size_t len = 0;
  if (blob_get(env->blobs, db, photo, &bytes, &len, err) < 0) return -1;
  face_print fp;
  memset(&fp, 0, sizeof fp);
  err_t derr = {0};
  photo_analysis an;
  int rc = photo_analyze(e, bytes, len, 0, &an, &derr);
  free(bytes);
  if (rc == 0) {
    rc = face_print_from_analysis(e, &an, &fp, &derr);
    photo_analysis_free(&an);
  }
  if (rc < 0 && !(derr.status >= 400 && derr.status < 500)) {
    *err = derr;
    return -1; /* the engine failed: retried */
  }
  /* A photo the engine cannot decode (the import checked only its header) has no face either. */
  int found = rc == 0 && fp.found;
  int64_t print = 0;
  if (found) {
    uint8_t packed[FACE_PRINT_BYTES];
    face_print_pack(&fp, packed);
    if (blob_put(env->blobs, db, packed, sizeof packed, "face_print", &print, err) < 0) return -1;
  }
  if (db_begin(db, err) < 0) return -1;
  /* Conditional on the photo still being the one described: a re-import meanwhile wins. */
  int64_t n = db_exec(db, err,
                      "UPDATE reference_photos SET state = $1, print_blob = $2, updated_at = $3 "
                      "WHERE record_id = $4 AND photo_blob = $5 AND state = 'pending'",
                      DB_TEXT(found ? "ready" : "no_face"), DB_INT(print), DB_INT(clock_now_ms()), DB_INT(record),
                      DB_INT(photo));
  rc = n < 0 ? -1 : 0;
  if (rc == 0 && n == 1 && found) rc = score_earlier(env->blobs, db, record, &fp, err);
  if (rc == 0) rc = jobs_complete_in(db, j, err);
  if (rc == 0) rc = db_commit(db, err);
  if (rc != 0) db_rollback(db);
  if (print > 0 && (rc != 0 || n != 1)) {
    err_t ignore = {0};
    blob_delete(env->blobs, db, print, &ignore); /* nobody points at it */
  }
  if (rc == 0 && n == 1 && !found) log_info("reference photo without a usable face", "state", "no_face", NULL);
  return rc;
}

void collect_reference_jobs_register(collect_env *env) {
  static const job_kind k = {
      .type = "collect.reference_print", .handler = reference_print_job, .completes_itself = 1, .lease_ms = 60000};
  jobs_register(&k, env);
}

/* ---- the check on each attempt --------------------------------------------------------------- */

static void append(json_t *checks, const char *status, double value, const char *message, const face_print *fp,
                   json_t *detail) {
  json_t *region = fp && fp->found ? json_pack("[iiii]", (int)(fp->box.x + 0.5f), (int)(fp->box.y + 0.5f),
                                               (int)(fp->box.w + 0.5f), (int)(fp->box.h + 0.5f))
                                   : json_pack("[iiii]", 0, 0, 0, 0);
  json_t *o =
      json_pack("{s:s, s:s, s:f, s:f, s:s, s:o, s:o}", "id", "reference_match", "status", status, "value", value,
                "threshold", FACE_SAME_THRESHOLD, "message", message, "region", region, "detail", detail);
  if (!o) return;
  photo_check_describe(o);
  json_array_append_new(checks, o);
}

int collect_reference_check(struct blob_store *blobs, db_t *db, int64_t attempt_id, int64_t record_id,
                            const face_print *fp, const json_t *profile_checks, json_t *checks, err_t *err) {
  const json_t *cfg = profile_checks ? json_object_get(profile_checks, "reference_match") : NULL;
  const char *sev = cfg ? json_string_value(json_object_get(cfg, "severity")) : NULL;
  if (!sev) sev = "warn"; /* a school that imported references wants them compared */
  if (!strcmp(sev, "off")) return 0;
  db_res *r =
      db_query(db, err, "SELECT state, print_blob FROM reference_photos WHERE record_id = $1", DB_INT(record_id));
  if (!r) return -1;
  int ready = db_res_rows(r) == 1 && !strcmp(db_res_text_at(r, 0, "state"), "ready");
  int64_t print = ready ? db_res_int_at(r, 0, "print_blob") : 0;
  db_res_free(r);
  if (!ready) return 0;
  if (!fp || !fp->found) {
    append(checks, "warn", 0.0, "无法与录取照片比对（照片中没有可比对的正脸），审核员将人工比对", NULL,
           json_pack("{s:i}", "compared", 0));
    return 0;
  }
  face_print ref;
  err_t e2 = {0};
  if (load_print(blobs, db, print, &ref, &e2) < 0) {
    /* The school's photo is unreadable: the reviewer compares by eye; the log says why. */
    log_warn("reference print unreadable", "code", e2.code, NULL);
    append(checks, "warn", 0.0, "暂时无法与录取照片比对，审核员将人工比对", fp, json_pack("{s:i}", "compared", 0));
    return 0;
  }
  double sim = face_print_similarity(fp, &ref);
  if (save_score(db, attempt_id, record_id, sim, err) < 0) return -1;
  int same = face_same_person(sim);
  const char *status = same ? "pass" : !strcmp(sev, "fail") ? "fail" : "warn";
  append(
      checks, status, sim,
      same
          ? "通过"
          : "与学校提供的录取照片不像同一个人：请本人拍摄，不要大幅修图，不要美颜、磨皮、瘦脸、大眼或滤镜，用相机原图重新上传",
      fp, json_pack("{s:i}", "compared", 1));
  return 0;
}

/* ---- what the reviewer and the office see ---------------------------------------------------- */

json_t *collect_reference_json(db_t *db, int64_t record_id, int64_t attempt_id, err_t *err) {
  db_res *r =
      db_query(db, err,
               "SELECT p.state, s.similarity_ppm FROM reference_photos p LEFT JOIN reference_scores s "
               "ON s.record_id = p.record_id AND s.attempt_id = $2 WHERE p.record_id = $1 AND p.state <> 'deleted'",
               DB_INT(record_id), DB_INT(attempt_id));
  if (!r) return NULL;
  json_t *o = json_null();
  if (db_res_rows(r) == 1) {
    int scored = !db_res_is_null_at(r, 0, "similarity_ppm");
    double sim = scored ? (double)db_res_int_at(r, 0, "similarity_ppm") / 1e6 : 0;
    o = json_pack("{s:s, s:o, s:f, s:o}", "state", db_res_text_at(r, 0, "state"), "similarity",
                  scored ? json_real(sim) : json_null(), "threshold", FACE_SAME_THRESHOLD, "same_person",
                  scored ? json_boolean(face_same_person(sim)) : json_null());
  }
  db_res_free(r);
  return o;
}

int collect_reference_photo(struct blob_store *blobs, db_t *db, int64_t record_id, uint8_t **bytes, size_t *len,
                            err_t *err) {
  int64_t blob =
      db_int(db, err, 0, "SELECT photo_blob FROM reference_photos WHERE record_id = $1 AND state <> 'deleted'",
             DB_INT(record_id));
  if (err_is_set(err)) return -1;
  if (blob <= 0) return err_set(err, 404, "reference_not_found", "没有录取照片");
  return blob_get(blobs, db, blob, bytes, len, err);
}

json_t *collect_reference_weak(db_t *db, int64_t batch_id, err_t *err) {
  int64_t below = to_ppm(FACE_SAME_THRESHOLD + REF_WEAK_MARGIN);
  db_res *r =
      db_query(db, err,
               "SELECT c.record_id, r.student_no, r.name_masked, r.college, r.major, s.attempt_id, sc.similarity_ppm, "
               "c.state, c.approved_at FROM collect_records c JOIN roster_records r ON r.id = c.record_id "
               "JOIN collect_submissions s ON s.id = c.approved_submission "
               "JOIN reference_scores sc ON sc.attempt_id = s.attempt_id "
               "WHERE r.batch_id = $1 AND c.state IN ('approved', 'exported', 'shipped') AND sc.similarity_ppm < $2 "
               "ORDER BY sc.similarity_ppm, r.student_no",
               DB_INT(batch_id), DB_INT(below));
  if (!r) return NULL;
  json_t *a = json_array();
  for (int i = 0; i < db_res_rows(r); i++) {
    double sim = (double)db_res_int_at(r, i, "similarity_ppm") / 1e6;
    json_array_append_new(
        a,
        json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:f, s:b, s:s, s:I}", "record_id",
                  (json_int_t)db_res_int_at(r, i, "record_id"), "student_no", db_res_text_at(r, i, "student_no"),
                  "name_masked", db_res_text_at(r, i, "name_masked"), "college", db_res_text_at(r, i, "college"),
                  "major", db_res_text_at(r, i, "major"), "attempt_id", (json_int_t)db_res_int_at(r, i, "attempt_id"),
                  "similarity", sim, "below_threshold", !face_same_person(sim), "state", db_res_text_at(r, i, "state"),
                  "approved_at", (json_int_t)db_res_int_at(r, i, "approved_at")));
  }
  db_res_free(r);
  return a;
}

json_t *collect_reference_unusable(db_t *db, int64_t batch_id, err_t *err) {
  db_res *r =
      db_query(db, err,
               "SELECT p.record_id, r.student_no, r.name_masked, r.college, p.file_name FROM reference_photos p "
               "JOIN roster_records r ON r.id = p.record_id WHERE p.batch_id = $1 AND p.state = 'no_face' "
               "ORDER BY r.student_no",
               DB_INT(batch_id));
  if (!r) return NULL;
  json_t *a = json_array();
  for (int i = 0; i < db_res_rows(r); i++)
    json_array_append_new(
        a,
        json_pack("{s:I, s:s, s:s, s:s, s:s}", "record_id", (json_int_t)db_res_int_at(r, i, "record_id"), "student_no",
                  db_res_text_at(r, i, "student_no"), "name_masked", db_res_text_at(r, i, "name_masked"), "college",
                  db_res_text_at(r, i, "college"), "file", db_res_text_at(r, i, "file_name")));
  db_res_free(r);
  return a;
}

double collect_reference_weak_below(void) { return FACE_SAME_THRESHOLD + REF_WEAK_MARGIN; }

/* same_person.c: 同一人核验 — is this attempt the same person as the account's earlier ones?
 *
 * After the automatic checks, the standardize job describes the attempt's subject (the faceres
 * descriptor, src/photo/face_compare.h), stores the print encrypted in the blob store (kind
 * "face_print", table collect_face_prints; collect_store_face_print: the reference photo's job
 * reads them too, reference.c) and compares it with the prints of the account's earlier
 * attempts (the latest 20). The result is one more entry in the attempt's checks, "same_person":
 * the value is the lowest similarity, broken below FACE_SAME_THRESHOLD (the calibration lives in
 * face_compare.h, not in the profiles); the profile's "same_person" gives only the severity. A
 * warning by default: the student may have tried a friend's photo first and must not be locked
 * out by it; the reviewer sees the warning with both photos side by side. */
#include <stdio.h>
#include <string.h>

#include "blob/blob.h"
#include "collect/internal.h"
#include "photo/checks/checks.h"
#include "photo/face_compare.h"
#include "util/clock.h"
#include "util/log.h"

#define SAME_PERSON_EARLIER_MAX 20

static json_t *region_of(const face_print *p) {
  return json_pack("[iiii]", (int)(p->box.x + 0.5f), (int)(p->box.y + 0.5f), (int)(p->box.w + 0.5f),
                   (int)(p->box.h + 0.5f));
}

static void append(json_t *checks, const char *status, double value, const char *message, json_t *region,
                   json_t *detail) {
  json_t *o = json_pack("{s:s, s:s, s:f, s:f, s:s, s:o, s:o}", "id", "same_person", "status", status, "value", value,
                        "threshold", FACE_SAME_THRESHOLD, "message", message, "region", region, "detail", detail);
  if (!o) return;
  photo_check_describe(o);
  json_array_append_new(checks, o);
}

/* The attempt's stored print, or a new one stored now (a retried job finds the first one). */
int collect_store_face_print(struct blob_store *blobs, db_t *db, int64_t attempt_id, int64_t account_id,
                             int64_t record_id, const face_print *fp, err_t *err) {
  int64_t have =
      db_int(db, err, -1, "SELECT COUNT(*) FROM collect_face_prints WHERE attempt_id = $1", DB_INT(attempt_id));
  if (have < 0) return -1;
  if (have > 0) return 0;
  uint8_t packed[FACE_PRINT_BYTES];
  face_print_pack(fp, packed);
  int64_t blob = 0;
  /* One transaction: a worker killed between the two must not leave a face print (biometric
   * data) that no attempt names and no deletion would find. */
  if (db_begin(db, err) < 0) return -1;
  if (blob_put(blobs, db, packed, sizeof packed, "face_print", &blob, err) < 0 ||
      db_exec(db, err,
              "INSERT INTO collect_face_prints (attempt_id, account_id, record_id, print_blob, created_at) "
              "VALUES ($1, $2, $3, $4, $5)",
              DB_INT(attempt_id), DB_INT(account_id), DB_INT(record_id), DB_INT(blob), DB_INT(clock_now_ms())) < 0 ||
      db_commit(db, err) < 0) {
    db_rollback(db);
    return -1;
  }
  return 0;
}

int collect_same_person(struct blob_store *blobs, db_t *db, int64_t attempt_id, int64_t account_id,
                        const face_print *fp, const json_t *profile_checks, json_t *checks, err_t *err) {
  const json_t *cfg = profile_checks ? json_object_get(profile_checks, "same_person") : NULL;
  const char *sev = cfg ? json_string_value(json_object_get(cfg, "severity")) : NULL;
  if (!sev || !strcmp(sev, "off")) {
    append(checks, "pass", 1.0, "本规范不检查此项", json_pack("[iiii]", 0, 0, 0, 0), json_pack("{s:i}", "compared", 0));
    return 0;
  }
  if (!fp->found) {
    /* No print (the networks missing, no usable face): said, not silently passed. */
    append(checks, "warn", 0.0, "无法核验是否为本人，审核员将人工比对", json_pack("[iiii]", 0, 0, 0, 0),
           json_pack("{s:b, s:i}", "measured", 0, "compared", 0));
    return 0;
  }
  db_res *r =
      db_query(db, err,
               "SELECT p.attempt_id, p.print_blob FROM collect_face_prints p JOIN blobs b ON b.id = p.print_blob "
               "WHERE p.account_id = $1 AND p.attempt_id < $2 AND b.deleted_at IS NULL "
               "ORDER BY p.attempt_id DESC LIMIT 20",
               DB_INT(account_id), DB_INT(attempt_id));
  if (!r) return -1;
  json_t *list = json_array();
  double lowest = 1.0;
  int64_t least = 0;
  for (int i = 0; i < db_res_rows(r) && i < SAME_PERSON_EARLIER_MAX; i++) {
    int64_t other = db_res_int_at(r, i, "attempt_id");
    uint8_t *bytes = NULL;
    size_t len = 0;
    face_print earlier;
    err_t e2 = {0};
    if (blob_get(blobs, db, db_res_int_at(r, i, "print_blob"), &bytes, &len, &e2) < 0 ||
        face_print_unpack(bytes, len, &earlier, &e2) < 0) {
      /* One unreadable print must not hide the others; the log says which. */
      log_warn("face print unreadable", "code", e2.code, NULL);
      free(bytes);
      continue;
    }
    free(bytes);
    double sim = face_print_similarity(fp, &earlier);
    json_array_append_new(list, json_pack("{s:I, s:f}", "attempt_id", (json_int_t)other, "similarity", sim));
    if (!least || sim < lowest) lowest = sim, least = other;
  }
  db_res_free(r);
  int compared = (int)json_array_size(list);
  int broken = compared && !face_same_person(lowest);
  const char *status = !broken ? "pass" : !strcmp(sev, "fail") ? "fail" : "warn";
  json_t *detail = json_pack("{s:i, s:o, s:o}", "compared", compared, "least_similar_attempt",
                             least ? json_integer(least) : json_null(), "attempts", list);
  append(checks, status, compared ? lowest : 1.0,
         broken ? "与你之前上传的照片不像同一个人：请本人拍摄，不要使用他人照片，也不要美颜或滤镜" : "通过",
         region_of(fp), detail);
  return 0;
}

/* schools: schools, their collection batches and the rosters the school office loads.
 *   GET  /api/schools                     public list (students choose their school)
 *   POST /api/schools {code, name}        operator
 *   GET  /api/schools/:id/sender          the sender printed on the school's address labels (staff of the school)
 *   PUT  /api/schools/:id/sender {name, phone, address}   sets it (operator, the school's office; audited)
 *   GET  /api/batches?school_id=          staff (those assigned to a school: that school's only)
 *   POST /api/batches {school_id, name, window_start, window_end, fees, profile, eligibility}
 *   GET  /api/batches/:id                 staff as above; a student only the batch they are linked to
 *   POST /api/batches/:id/roster          multipart `file` (CSV UTF-8/GBK or XLSX): import; optional
 *                                         `photos`: a ZIP of reference photos (identity/reference_zip.h),
 *                                         all or nothing: any bad photo -> 422 with photo_errors
 *   GET  /api/batches/:id/roster?offset=&limit=   masked list
 * Window dates are Asia/Shanghai ("2024-11-06" .. "2024-11-30", the end date inclusive). A school
 * administrator only reaches the batches of their own school. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "audit/audit.h"
#include "identity/batch.h"
#include "identity/reference.h"
#include "identity/roster.h"
#include "identity/student.h"
#include "jobs/jobs.h"
#include "photo/photo.h"
#include "util/clock.h"

static int list_schools(http_req *req, http_resp *resp) {
  db_t *db = api_db(req);
  if (!db) return -1;
  db_res *r = db_query(db, &req->err, "SELECT id, code, name FROM schools ORDER BY code");
  api_db_put(req, db);
  if (!r) return -1;
  json_t *a = json_array();
  for (int i = 0; i < db_res_rows(r); i++)
    json_array_append_new(a, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)db_res_int_at(r, i, "id"), "code",
                                       db_res_text_at(r, i, "code"), "name", db_res_text_at(r, i, "name")));
  db_res_free(r);
  return resp_json(resp, 200, json_pack("{s:o}", "schools", a));
}

/* The photo profiles a batch may name, with their Chinese titles, for the new-batch form. */
static int list_profiles(http_req *req, http_resp *resp) {
  json_t *list = photo_profile_list(config_str(api_app(req)->cfg, "profiles"), &req->err);
  if (!list) return -1;
  return resp_json(resp, 200, json_pack("{s:o}", "profiles", list));
}

static int create_school(http_req *req, http_resp *resp) {
  const char *code = json_field_str(req, "code", 1, 20);
  const char *name = json_field_str(req, "name", 1, 120);
  if (err_is_set(&req->err)) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  int64_t id = school_create(db, code, name, &req->err);
  if (id > 0) api_audit_log(db, req, "school.create", "school", id, NULL, &req->err);
  api_db_put(req, db);
  if (id <= 0) return -1;
  err_clear(&req->err);
  return resp_json(resp, 201, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "code", code, "name", name));
}

/* A school administrator bound to a school may only touch that school. */
static int may_manage(http_req *req, int64_t school_id) {
  const auth_session *s = req->session;
  if (s->role == ROLE_OPERATOR || s->school_id == 0 || s->school_id == school_id) return 1;
  err_set(&req->err, 403, "forbidden_school", "无权管理其他学校的数据");
  return 0;
}

/* The school office as the sender of its parcels (print/labels.c): an office's public address,
 * not a student's data, but a change is audited like every other setting. */
static int get_sender(http_req *req, http_resp *resp) {
  int64_t id = api_id_param(req, "id");
  if (id <= 0) return err_set(&req->err, 404, "school_not_found", "没有这所学校");
  if (!may_manage(req, id)) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  db_res *r = db_query(db, &req->err, "SELECT sender_name, sender_phone, sender_address FROM schools WHERE id = $1",
                       DB_INT(id));
  api_db_put(req, db);
  if (!r) return -1;
  if (!db_res_rows(r)) {
    db_res_free(r);
    return err_set(&req->err, 404, "school_not_found", "没有这所学校");
  }
  json_t *o =
      json_pack("{s:I, s:s, s:s, s:s}", "school_id", (json_int_t)id, "name", db_res_text_at(r, 0, "sender_name"),
                "phone", db_res_text_at(r, 0, "sender_phone"), "address", db_res_text_at(r, 0, "sender_address"));
  db_res_free(r);
  return resp_json(resp, 200, o);
}

static int put_sender(http_req *req, http_resp *resp) {
  int64_t id = api_id_param(req, "id");
  if (id <= 0) return err_set(&req->err, 404, "school_not_found", "没有这所学校");
  if (!may_manage(req, id)) return -1;
  const char *name = json_field_str(req, "name", 1, 120);
  const char *phone = json_field_str(req, "phone", 1, 30);
  const char *address = json_field_str(req, "address", 1, 300);
  if (err_is_set(&req->err)) return -1;
  for (const char *p = phone; *p; p++)
    if (!((*p >= '0' && *p <= '9') || *p == '-' || *p == ' ' || *p == '+'))
      return err_set(&req->err, 400, "bad_phone", "电话只能包含数字、空格、+ 和 -");
  db_t *db = api_db(req);
  if (!db) return -1;
  int64_t n = db_exec(db, &req->err,
                      "UPDATE schools SET sender_name = $1, sender_phone = $2, sender_address = $3 WHERE id = $4",
                      DB_TEXT(name), DB_TEXT(phone), DB_TEXT(address), DB_INT(id));
  if (n == 0) err_set(&req->err, 404, "school_not_found", "没有这所学校");
  if (n == 1) api_audit_log(db, req, "school.sender", "school", id, NULL, &req->err);
  api_db_put(req, db);
  if (err_is_set(&req->err)) return -1;
  return resp_json(
      resp, 200,
      json_pack("{s:I, s:s, s:s, s:s}", "school_id", (json_int_t)id, "name", name, "phone", phone, "address", address));
}

static int64_t window_field(http_req *req, const char *name, int end) {
  json_t *v = json_object_get(req->json, name);
  if (json_is_integer(v) && json_integer_value(v) > 0) return json_integer_value(v);
  int64_t ms = json_is_string(v) ? shanghai_parse(json_string_value(v), end) : -1;
  if (ms < 0) err_set(&req->err, 400, "invalid_field", "字段 %s 应为日期（YYYY-MM-DD，北京时间）或毫秒时间戳", name);
  return ms;
}

static json_t *batch_out(const batch *b) {
  json_t *fees = json_array();
  for (int i = 0; i < b->n_fees; i++)
    json_array_append_new(
        fees, json_pack("{s:s, s:s, s:I, s:b}", "code", b->fees[i].code, "name", b->fees[i].name, "amount_fen",
                        (json_int_t)b->fees[i].amount_fen, "required", b->fees[i].required));
  json_t *elig = json_loads(b->eligibility, 0, NULL);
  return json_pack("{s:I, s:I, s:s, s:s, s:s, s:I, s:I, s:o, s:s, s:o, s:i, s:b}", "id", (json_int_t)b->id, "school_id",
                   (json_int_t)b->school_id, "school_code", b->school_code, "school_name", b->school_name, "name",
                   b->name, "window_start", (json_int_t)b->window_start_ms, "window_end", (json_int_t)b->window_end_ms,
                   "fees", fees, "profile", b->profile, "eligibility", elig ? elig : json_object(), "max_submissions",
                   b->max_submissions, "camera_only", b->camera_only);
}

static int create_batch(http_req *req, http_resp *resp) {
  batch b;
  memset(&b, 0, sizeof b);
  if (json_field_int(req, "school_id", 1, 1, INT64_MAX, &b.school_id) < 0) return -1;
  const char *name = json_field_str(req, "name", 1, 120);
  const char *profile = json_field_str(req, "profile", 1, 60);
  if (err_is_set(&req->err)) return -1;
  snprintf(b.name, sizeof b.name, "%s", name);
  snprintf(b.profile, sizeof b.profile, "%s", profile);
  b.window_start_ms = window_field(req, "window_start", 0);
  if (b.window_start_ms < 0) return -1;
  b.window_end_ms = window_field(req, "window_end", 1);
  if (b.window_end_ms < 0) return -1;
  json_t *fees = json_object_get(req->json, "fees");
  if (fees && (!json_is_array(fees) || json_array_size(fees) > BATCH_MAX_FEES))
    return err_set(&req->err, 400, "invalid_fees", "fees 应为费用项目数组（最多 %d 项）", BATCH_MAX_FEES);
  size_t i;
  json_t *f;
  json_array_foreach(fees, i, f) {
    const char *code = json_string_value(json_object_get(f, "code"));
    const char *fname = json_string_value(json_object_get(f, "name"));
    json_t *amt = json_object_get(f, "amount_fen");
    if (!code || !fname || !json_is_integer(amt) || strlen(code) >= 32 || strlen(fname) >= 64)
      return err_set(&req->err, 400, "invalid_fees", "费用项目 %zu 需要 code、name 和整数金额 amount_fen（分）", i + 1);
    batch_fee_item *it = &b.fees[b.n_fees++];
    snprintf(it->code, sizeof it->code, "%s", code);
    snprintf(it->name, sizeof it->name, "%s", fname);
    it->amount_fen = json_integer_value(amt);
    it->required = json_is_true(json_object_get(f, "required"));
  }
  json_t *elig = json_object_get(req->json, "eligibility");
  if (elig) {
    if (!json_is_object(elig)) return err_set(&req->err, 400, "invalid_eligibility", "eligibility 应为对象");
    char *t = json_dumps(elig, JSON_COMPACT);
    if (!t || strlen(t) >= sizeof b.eligibility) {
      free(t);
      return err_set(&req->err, 400, "invalid_eligibility", "eligibility 过长");
    }
    snprintf(b.eligibility, sizeof b.eligibility, "%s", t);
    free(t);
  }
  if (!may_manage(req, b.school_id)) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  int64_t id = batch_create(db, &b, config_str(api_app(req)->cfg, "profiles"), &req->err);
  batch out;
  int rc = id > 0 ? batch_get(db, id, &out, &req->err) : -1;
  if (rc == 0) api_audit_log(db, req, "batch.create", "batch", id, NULL, &req->err);
  api_db_put(req, db);
  if (rc != 0) return -1;
  err_clear(&req->err);
  return resp_json(resp, 201, batch_out(&out));
}

static int list_batches(http_req *req, http_resp *resp) {
  int64_t school;
  if (api_query_int64(req, "school_id", 0, 1, INT64_MAX, &school) < 0) return -1;
  /* Staff assigned to a school (reviewers and school administrators with a school_id) see only
   * that school's batches; operators and unassigned staff see all. */
  if (api_session(req)->role != ROLE_OPERATOR && api_session(req)->school_id) school = api_session(req)->school_id;
  db_t *db = api_db(req);
  if (!db) return -1;
  db_res *r =
      db_query(db, &req->err, "SELECT id FROM batches WHERE $1 = 0 OR school_id = $1 ORDER BY id", DB_INT(school));
  json_t *a = json_array();
  for (int i = 0; r && i < db_res_rows(r); i++) {
    batch b;
    if (batch_get(db, db_res_int_at(r, i, "id"), &b, &req->err) == 0) json_array_append_new(a, batch_out(&b));
  }
  api_db_put(req, db);
  if (!r) {
    json_decref(a);
    return -1;
  }
  db_res_free(r);
  err_clear(&req->err);
  return resp_json(resp, 200, json_pack("{s:o}", "batches", a));
}

static int batch_param(http_req *req, batch *b, db_t *db) {
  int64_t id = api_id_param(req, "id");
  if (id <= 0) return err_set(&req->err, 404, "batch_not_found", "采集批次不存在");
  return batch_get(db, id, b, &req->err);
}

/* Who may read a batch: a student only the batch of the record they are linked to; staff assigned
 * to a school only that school's batches. Others get the same 404 as a batch that does not exist,
 * so batch ids cannot be probed. */
static int may_read_batch(http_req *req, db_t *db, const batch *b) {
  const auth_session *s = api_session(req);
  int ok;
  if (s->role == ROLE_STUDENT) {
    student_record r;
    if (student_current(db, s->user_id, &r, &req->err) != 0) return -1;
    ok = r.record_id && r.batch_id == b->id;
  } else {
    ok = s->role == ROLE_OPERATOR || s->school_id == 0 || s->school_id == b->school_id;
  }
  return ok ? 0 : err_set(&req->err, 404, "batch_not_found", "采集批次不存在");
}

static int get_batch(http_req *req, http_resp *resp) {
  db_t *db = api_db(req);
  if (!db) return -1;
  batch b;
  int rc = batch_param(req, &b, db);
  if (rc == 0) rc = may_read_batch(req, db, &b);
  api_db_put(req, db);
  if (rc != 0) return -1;
  return resp_json(resp, 200, batch_out(&b));
}

/* 422 with every problem of the photos ZIP listed: nothing was imported. */
static int photos_refused(http_resp *resp, const reference_zip *rz) {
  json_t *errs = json_array();
  for (int i = 0; i < rz->n_errors; i++)
    json_array_append_new(errs, json_pack("{s:i, s:s, s:s}", "line", rz->errors[i].line, "file", rz->errors[i].file,
                                          "reason", rz->errors[i].reason));
  char msg[200];
  snprintf(msg, sizeof msg, "照片压缩包中有 %d 处问题，名单和照片都未导入；请按列表修改后重新上传", rz->n_errors_total);
  return resp_json(resp, 422,
                   json_pack("{s:{s:s, s:s}, s:i, s:o}", "error", "code", "reference_photos_invalid", "message", msg,
                             "rejected_photos", rz->n_errors_total, "photo_errors", errs));
}

static int import_roster(http_req *req, http_resp *resp) {
  const http_upload *up = req_upload(req, "file");
  if (!up || up->size <= 0) return err_set(&req->err, 400, "missing_file", "请上传名单文件（CSV 或 XLSX）");
  const http_upload *zup = req_upload(req, "photos");
  if (zup && zup->size <= 0) return err_set(&req->err, 400, "missing_file", "照片压缩包是空的");
  db_t *db = api_db(req);
  if (!db) return -1;
  batch b;
  int rc = batch_param(req, &b, db);
  if (rc == 0 && !may_manage(req, b.school_id)) rc = -1;
  roster_parsed p;
  memset(&p, 0, sizeof p);
  reference_zip rz;
  memset(&rz, 0, sizeof rz);
  reference_import ri = {.blobs = api_app(req)->blobs, .zip = &rz, .rows = &p};
  roster_import_result res;
  if (rc == 0) rc = roster_parse_file(up->path, &p, &req->err);
  /* The photos are checked whole before anything is written: nothing is half-imported. */
  if (rc == 0 && zup) rc = reference_zip_open(zup->path, &p, &rz, &req->err);
  if (rc == 0 && rz.n_errors_total > 0) {
    api_db_put(req, db);
    roster_parsed_free(&p);
    photos_refused(resp, &rz);
    reference_zip_close(&rz);
    return 0;
  }
  if (rc == 0) rc = roster_import_then(db, b.id, &p, zup ? reference_import_hook : NULL, &ri, &res, &req->err);
  reference_import_finish(&ri, db, rc == 0);
  if (rc == 0) {
    json_t *d = json_pack("{s:i, s:i, s:i, s:i, s:i}", "inserted", res.inserted, "updated", res.updated, "rejected",
                          p.n_errors_total, "reference_photos", ri.stored, "reference_replaced", ri.replaced);
    api_audit_log(db, req, "roster.import", "batch", b.id, d, &req->err);
    json_decref(d);
  }
  api_db_put(req, db);
  if (rc == 0 && ri.stored > 0 && api_app(req)->jobs) jobs_pool_kick(api_app(req)->jobs);
  json_t *out = rc == 0 ? roster_result_json(&p, &res) : NULL;
  if (out && zup)
    json_object_set_new(
        out, "reference_photos",
        json_pack("{s:i, s:i, s:i}", "stored", ri.stored, "replaced", ri.replaced, "skipped", rz.n_skipped));
  roster_parsed_free(&p);
  reference_zip_close(&rz);
  if (rc != 0) return -1;
  err_clear(&req->err);
  return resp_json(resp, 200, out);
}

static int list_roster(http_req *req, http_resp *resp) {
  int64_t offset, limit;
  if (api_query_int64(req, "offset", 0, 0, INT64_MAX, &offset) < 0 ||
      api_query_int64(req, "limit", 100, 1, 1000, &limit) < 0)
    return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  batch b;
  int rc = batch_param(req, &b, db);
  if (rc == 0 && !may_manage(req, b.school_id)) rc = -1;
  json_t *rows = rc == 0 ? roster_list(db, b.id, offset, limit, &req->err) : NULL;
  int64_t total =
      rows ? db_int(db, &req->err, 0, "SELECT COUNT(*) FROM roster_records WHERE batch_id = $1", DB_INT(b.id)) : 0;
  if (rows) api_audit_log(db, req, "roster.view", "batch", b.id, NULL, &req->err);
  api_db_put(req, db);
  if (!rows) return -1;
  err_clear(&req->err);
  return resp_json(resp, 200, json_pack("{s:I, s:o}", "total", (json_int_t)total, "records", rows));
}

void api_schools_routes(http_router *r) {
  static const http_route routes[] = {
      {"GET", "/api/schools", list_schools, 0, 0},
      {"POST", "/api/schools", create_school, ROLE_OPERATOR, HTTP_BODY_JSON},
      {"GET", "/api/schools/:id/sender", get_sender, ROLE_OPERATOR | ROLE_SCHOOL_ADMIN, 0},
      {"PUT", "/api/schools/:id/sender", put_sender, ROLE_OPERATOR | ROLE_SCHOOL_ADMIN, HTTP_BODY_JSON},
      {"GET", "/api/batches", list_batches, ROLE_STAFF, 0},
      {"GET", "/api/photo-profiles", list_profiles, ROLE_STAFF, 0},
      {"POST", "/api/batches", create_batch, ROLE_OPERATOR | ROLE_SCHOOL_ADMIN, HTTP_BODY_JSON},
      {"GET", "/api/batches/:id", get_batch, ROLE_ANY_USER, 0},
      {"POST", "/api/batches/:id/roster", import_roster, ROLE_OPERATOR | ROLE_SCHOOL_ADMIN, HTTP_BODY_MULTIPART},
      {"GET", "/api/batches/:id/roster", list_roster, ROLE_OPERATOR | ROLE_SCHOOL_ADMIN, 0},
  };
  router_add_all(r, routes, sizeof routes / sizeof routes[0]);
}

/* office: the school office's and operator's routes for a batch.
 *   GET  /api/office/batches/:id/progress                 counts by status, college, major, day
 *   GET  /api/office/batches/:id/pending?college=&format=json|csv|xlsx   students not yet done (full names:
 *                                                         the office's own roster; phones on screen only)
 *   POST /api/office/batches/:id/pending/:record/remind   message one student (office/remind.h; audited)
 *   POST /api/office/batches/:id/exports {reexport}       queue a registry package (202)
 *   GET  /api/office/exports/:id                          the package's state
 *   GET  /api/office/exports/:id/file                     the sealed package itself
 *   POST /api/office/batches/:id/tracking  (text/csv body) import courier tracking numbers
 *   GET  /api/office/batches/:id/reference-weak           approved photos that match the school's reference
 *                                                         photo weakly, and reference photos without a
 *                                                         usable face (audited)
 *   PUT  /api/office/batches/:id/settings  {window_start, window_end, fees, profile, eligibility} (audited)
 * School staff (ROLE_SCHOOL_ADMIN) are bound to their school: another school's batch is 404.
 * Downloads of lists and packages are audited. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "audit/audit.h"
#include "collect/collect.h"
#include "export/export.h"
#include "identity/batch.h"
#include "office/progress.h"
#include "office/remind.h"
#include "photo/face_compare.h"
#include "office/settings.h"
#include "office/shipping.h"

#define OFFICE_ROLES (ROLE_SCHOOL_ADMIN | ROLE_OPERATOR)

static int64_t id_param(http_req *req) {
  int64_t v = api_id_param(req, "id");
  if (v <= 0) {
    err_set(&req->err, 404, "not_found", "no such item");
    return 0;
  }
  return v;
}

/* The batch, if the caller may see it. */
static int batch_for(http_req *req, db_t *db, int64_t id) {
  batch b;
  if (batch_get(db, id, &b, &req->err) < 0) return -1;
  if (api_session(req)->role == ROLE_SCHOOL_ADMIN && api_session(req)->school_id &&
      api_session(req)->school_id != b.school_id)
    return err_set(&req->err, 404, "batch_not_found", "no such batch");
  return 0;
}

static int progress(http_req *req, http_resp *resp) {
  int64_t id = id_param(req);
  if (!id) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *p = batch_for(req, db, id) < 0 ? NULL : office_progress(db, id, &req->err);
  api_db_put(req, db);
  return p ? resp_json(resp, 200, p) : -1;
}

/* 与录取照片比对, for the office: the approved photos to look at before the registry does. */
static int reference_weak(http_req *req, http_resp *resp) {
  int64_t id = id_param(req);
  if (!id) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *list = batch_for(req, db, id) < 0 ? NULL : collect_reference_weak(db, id, &req->err);
  json_t *unusable = list ? collect_reference_unusable(db, id, &req->err) : NULL;
  if (!unusable) {
    json_decref(list);
    list = NULL;
  }
  int64_t refs =
      list ? db_int(db, &req->err, 0, "SELECT COUNT(*) FROM reference_photos WHERE batch_id = $1 AND state = 'ready'",
                    DB_INT(id))
           : 0;
  if (list && api_audit_log(db, req, "reference.weak_list", "batch", id, NULL, &req->err) < 0) {
    json_decref(list);
    json_decref(unusable);
    list = NULL;
  }
  api_db_put(req, db);
  if (!list) return -1;
  err_clear(&req->err);
  return resp_json(
      resp, 200,
      json_pack("{s:o, s:o, s:I, s:f, s:f}", "students", list, "no_face", unusable, "references_ready",
                (json_int_t)refs, "threshold", FACE_SAME_THRESHOLD, "weak_below", collect_reference_weak_below()));
}

static int pending(http_req *req, http_resp *resp) {
  int64_t id = id_param(req);
  if (!id) return -1;
  const char *format = req_query(req, "format"), *college = req_query(req, "college");
  if (!format) format = "json";
  if (strcmp(format, "json") && strcmp(format, "csv") && strcmp(format, "xlsx"))
    return err_set(&req->err, 400, "bad_format", "format is json, csv or xlsx");
  if (college && strlen(college) > 128) return err_set(&req->err, 400, "bad_college", "college name too long");
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *list = batch_for(req, db, id) < 0 ? NULL : office_pending(db, id, college, &req->err);
  if (list) {
    json_t *d = json_pack("{s:s,s:i}", "format", format, "rows", (int)json_array_size(list));
    if (api_audit_log(db, req, "office.pending_list", "batch", id, d, &req->err) < 0) {
      json_decref(list);
      list = NULL;
    }
    json_decref(d);
  }
  api_db_put(req, db);
  if (!list) return -1;
  if (!strcmp(format, "json")) return resp_json(resp, 200, json_pack("{s:o}", "students", list));
  uint8_t *bytes = NULL;
  size_t len = 0;
  char tmp[1024];
  snprintf(tmp, sizeof tmp, "%s/tmp", api_app(req)->data_dir);
  int rc = !strcmp(format, "csv") ? office_pending_csv(list, &bytes, &len, &req->err)
                                  : office_pending_xlsx(list, tmp, &bytes, &len, &req->err);
  json_decref(list);
  if (rc < 0) return -1;
  char cd[128];
  snprintf(cd, sizeof cd, "attachment; filename=\"pending-%lld.%s\"", (long long)id, format);
  resp_header(resp, "Content-Disposition", cd);
  rc = resp_bytes(resp, 200,
                  !strcmp(format, "csv") ? "text/csv; charset=utf-8"
                                         : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                  bytes, len);
  free(bytes);
  return rc;
}

static int remind(http_req *req, http_resp *resp) {
  int64_t id = id_param(req);
  if (!id) return -1;
  int64_t record = api_id_param(req, "record");
  if (record <= 0) return err_set(&req->err, 404, "record_not_found", "本批次名单中没有这名学生");
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *o = NULL;
  if (batch_for(req, db, id) == 0)
    office_remind(db, id, record, api_session(req)->role, api_session(req)->user_id,
                  config_int(api_app(req)->cfg, "remind_interval") * 1000, &o, &req->err);
  api_db_put(req, db);
  if (!o) return -1;
  if (api_app(req)->jobs) jobs_pool_kick(api_app(req)->jobs); /* the channels deliver now, not at the next poll */
  return resp_json(resp, 200, o);
}

static int export_start(http_req *req, http_resp *resp) {
  int64_t id = id_param(req);
  if (!id) return -1;
  int reexport = 0;
  if (json_field_bool(req, "reexport", 0, &reexport) < 0) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  int64_t pid = batch_for(req, db, id) < 0
                    ? -1
                    : export_request(db, id, reexport, api_session(req)->role, api_session(req)->user_id, &req->err);
  if (pid > 0) {
    json_t *d = json_pack("{s:I,s:b}", "package_id", (json_int_t)pid, "reexport", reexport);
    api_audit_log(db, req, reexport ? "export.reexport_requested" : "export.requested", "batch", id, d, &req->err);
    json_decref(d);
  }
  api_db_put(req, db);
  if (pid <= 0) return -1;
  if (api_app(req)->jobs) jobs_pool_kick(api_app(req)->jobs);
  return resp_json(resp, 202, json_pack("{s:I,s:s}", "package_id", (json_int_t)pid, "state", "queued"));
}

/* The package row, after checking the caller may see its batch. */
static json_t *package_row(http_req *req, db_t *db, int64_t id) {
  db_res *r =
      db_query(db, &req->err,
               "SELECT batch_id, state, reexport, file_name, sha256, bytes, photos, error, created_at, finished_at "
               "FROM export_packages WHERE id = $1",
               DB_INT(id));
  if (!r) return NULL;
  if (!db_res_rows(r)) {
    db_res_free(r);
    err_set(&req->err, 404, "not_found", "no such package");
    return NULL;
  }
  json_t *o = json_pack("{s:I,s:I,s:s,s:b,s:s,s:s,s:I,s:I,s:s,s:I,s:I}", "id", (json_int_t)id, "batch_id",
                        (json_int_t)db_res_int_at(r, 0, "batch_id"), "state", db_res_text_at(r, 0, "state"), "reexport",
                        (int)db_res_int_at(r, 0, "reexport"), "file_name", db_res_text_at(r, 0, "file_name"), "sha256",
                        db_res_text_at(r, 0, "sha256"), "bytes", (json_int_t)db_res_int_at(r, 0, "bytes"), "photos",
                        (json_int_t)db_res_int_at(r, 0, "photos"), "error", db_res_text_at(r, 0, "error"), "created_at",
                        (json_int_t)db_res_int_at(r, 0, "created_at"), "finished_at",
                        (json_int_t)db_res_int_at(r, 0, "finished_at"));
  db_res_free(r);
  if (batch_for(req, db, json_integer_value(json_object_get(o, "batch_id"))) < 0) {
    json_decref(o);
    err_set(&req->err, 404, "not_found", "no such package");
    return NULL;
  }
  return o;
}

static int export_get(http_req *req, http_resp *resp) {
  int64_t id = id_param(req);
  if (!id) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *o = package_row(req, db, id);
  api_db_put(req, db);
  return o ? resp_json(resp, 200, o) : -1;
}

static int export_file(http_req *req, http_resp *resp) {
  int64_t id = id_param(req);
  if (!id) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *o = package_row(req, db, id);
  int ok = o && !strcmp(json_string_value(json_object_get(o, "state")), "done");
  if (o && !ok) err_set(&req->err, 409, "not_ready", "the package is not built yet");
  if (ok && api_audit_log(db, req, "export.download", "export_package", id, NULL, &req->err) < 0) ok = 0;
  api_db_put(req, db);
  if (!ok) {
    json_decref(o);
    return -1;
  }
  char path[2048], cd[300];
  snprintf(path, sizeof path, "%s/exports/%s", api_app(req)->data_dir,
           json_string_value(json_object_get(o, "file_name")));
  snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", json_string_value(json_object_get(o, "file_name")));
  json_decref(o);
  resp_header(resp, "Content-Disposition", cd);
  return resp_file(resp, 200, "application/octet-stream", path);
}

static int tracking(http_req *req, http_resp *resp) {
  int64_t id = id_param(req);
  if (!id) return -1;
  if (req->body_len == 0) return err_set(&req->err, 400, "empty_file", "the tracking file is empty");
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *o = batch_for(req, db, id) < 0 ? NULL
                                         : shipping_import(db, id, req->body, req->body_len, api_session(req)->role,
                                                           api_session(req)->user_id, &req->err);
  api_db_put(req, db);
  return o ? resp_json(resp, 200, o) : -1;
}

static int settings(http_req *req, http_resp *resp) {
  int64_t id = id_param(req);
  if (!id) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *o = batch_for(req, db, id) < 0
                  ? NULL
                  : office_batch_update(db, id, req->json, config_str(api_app(req)->cfg, "profiles"),
                                        api_session(req)->role, api_session(req)->user_id, &req->err);
  api_db_put(req, db);
  return o ? resp_json(resp, 200, o) : -1;
}

void api_office_routes(http_router *r) {
  static const http_route routes[] = {
      {"GET", "/api/office/batches/:id/progress", progress, OFFICE_ROLES, 0},
      {"GET", "/api/office/batches/:id/pending", pending, OFFICE_ROLES, 0},
      {"POST", "/api/office/batches/:id/pending/:record/remind", remind, OFFICE_ROLES, 0},
      {"GET", "/api/office/batches/:id/reference-weak", reference_weak, OFFICE_ROLES, 0},
      {"POST", "/api/office/batches/:id/exports", export_start, OFFICE_ROLES, HTTP_BODY_JSON},
      {"GET", "/api/office/exports/:id", export_get, OFFICE_ROLES, 0},
      {"GET", "/api/office/exports/:id/file", export_file, OFFICE_ROLES, 0},
      {"POST", "/api/office/batches/:id/tracking", tracking, ROLE_OPERATOR, HTTP_BODY_RAW},
      {"PUT", "/api/office/batches/:id/settings", settings, OFFICE_ROLES, HTTP_BODY_JSON},
  };
  router_add_all(r, routes, sizeof routes / sizeof routes[0]);
}

/* ops: the operator's paper prints, parcels and retention, and the student's deletion request.
 *   POST /api/ops/batches/:id/prints {record_ids?, copies?}  queue a print batch (202)
 *   GET  /api/ops/prints/:id                                  its state
 *   GET  /api/ops/prints/:id/file                             the sheets, one PDF
 *   GET  /api/ops/prints/:id/handover                         per-college hand-over list (PDF)
 *   GET  /api/ops/batches/:id/labels?all=1                    address labels (PDF); default: not yet posted
 *   GET  /api/ops/deletion-requests?all=1                     students' deletion requests
 *   POST /api/ops/deletion-requests/:id/execute               delete that collection's files now
 *   POST /api/ops/retention/run                               run the retention purge now
 *   POST /api/student/deletion-request                        the student asks (unfinished collection)
 *   GET  /api/student/deletion-request                        the student's latest request
 * Every file with names or addresses in it is audited when it is downloaded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "audit/audit.h"
#include "identity/batch.h"
#include "office/retention.h"
#include "print/print.h"
#include "util/clock.h"

static int64_t path_id(http_req *req) {
  int64_t v = api_id_param(req, "id");
  if (v <= 0) {
    err_set(&req->err, 404, "not_found", "no such item");
    return 0;
  }
  return v;
}

static int send_pdf(http_resp *resp, const char *name, uint8_t *pdf, size_t len) {
  char cd[200];
  snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", name);
  resp_header(resp, "Content-Disposition", cd);
  int rc = resp_bytes(resp, 200, "application/pdf", pdf, len);
  free(pdf);
  return rc;
}

static int prints_start(http_req *req, http_resp *resp) {
  int64_t id = path_id(req);
  if (!id) return -1;
  int64_t copies = PRINT_DEFAULT_COPIES;
  if (json_field_int(req, "copies", 0, 1, 8, &copies) < 0) return -1;
  json_t *ids = json_object_get(req->json, "record_ids");
  if (ids && json_is_null(ids)) ids = NULL;
  db_t *db = api_db(req);
  if (!db) return -1;
  batch b;
  int64_t pid = batch_get(db, id, &b, &req->err) < 0 ? -1
                                                     : print_request(db, id, ids, (int)copies, api_session(req)->role,
                                                                     api_session(req)->user_id, &req->err);
  if (pid > 0) {
    json_t *d = json_pack("{s:I,s:I}", "print_batch_id", (json_int_t)pid, "copies", (json_int_t)copies);
    if (api_audit_log(db, req, "print.requested", "batch", id, d, &req->err) < 0) pid = -1;
    json_decref(d);
  }
  api_db_put(req, db);
  if (pid <= 0) return -1;
  if (api_app(req)->jobs) jobs_pool_kick(api_app(req)->jobs);
  return resp_json(resp, 202, json_pack("{s:I,s:s}", "print_batch_id", (json_int_t)pid, "state", "queued"));
}

static int prints_get(http_req *req, http_resp *resp) {
  int64_t id = path_id(req);
  if (!id) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *o = print_batch_json(db, id, &req->err);
  api_db_put(req, db);
  return o ? resp_json(resp, 200, o) : -1;
}

static int prints_file(http_req *req, http_resp *resp) {
  int64_t id = path_id(req);
  if (!id) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *o = print_batch_json(db, id, &req->err);
  int ok = o && !strcmp(json_string_value(json_object_get(o, "state")), "done");
  if (o && !ok) err_set(&req->err, 409, "not_ready", "冲印文件还在生成中，请稍候");
  if (ok && api_audit_log(db, req, "print.download", "print_batch", id, NULL, &req->err) < 0) ok = 0;
  api_db_put(req, db);
  if (!ok) {
    json_decref(o);
    return -1;
  }
  char path[2048], cd[300];
  const char *name = json_string_value(json_object_get(o, "file_name"));
  snprintf(path, sizeof path, "%s/prints/%s", api_app(req)->data_dir, name);
  snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", name);
  json_decref(o);
  resp_header(resp, "Content-Disposition", cd);
  return resp_file(resp, 200, "application/pdf", path);
}

/* What a PDF made for the operator is audited as, and its file name (<stem>-<id>.pdf). */
typedef struct pdf_audit {
  const char *action, *object, *count_key, *stem;
} pdf_audit;

/* The answer of the PDF routes once the PDF is made (rc 0) or not: the making audited with how many
 * it holds, the store handed back, and the PDF sent; on any failure it is freed and the request's
 * error stands. */
static int answer_pdf(http_req *req, http_resp *resp, db_t *db, int rc, const pdf_audit *a, int64_t id, uint8_t *pdf,
                      size_t len, int count) {
  if (!rc) {
    json_t *d = json_pack("{s:i}", a->count_key, count);
    rc = api_audit_log(db, req, a->action, a->object, id, d, &req->err);
    json_decref(d);
  }
  api_db_put(req, db);
  if (rc) {
    free(pdf);
    return -1;
  }
  char name[64];
  snprintf(name, sizeof name, "%s-%lld.pdf", a->stem, (long long)id);
  return send_pdf(resp, name, pdf, len);
}

static int prints_handover(http_req *req, http_resp *resp) {
  static const pdf_audit audit = {"print.handover_list", "print_batch", "students", "handover"};
  int64_t id = path_id(req);
  if (!id) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  uint8_t *pdf = NULL;
  size_t len = 0;
  int n = 0;
  int rc = print_handover_pdf(db, id, &pdf, &len, &n, &req->err);
  return answer_pdf(req, resp, db, rc, &audit, id, pdf, len, n);
}

static int labels(http_req *req, http_resp *resp) {
  static const pdf_audit audit = {"shipping.labels", "batch", "labels", "labels"};
  int64_t id = path_id(req);
  if (!id) return -1;
  const char *all = req_query(req, "all");
  db_t *db = api_db(req);
  if (!db) return -1;
  batch b;
  uint8_t *pdf = NULL;
  size_t len = 0;
  int n = 0;
  int rc = batch_get(db, id, &b, &req->err);
  if (!rc) rc = print_labels_pdf(db, id, !(all && !strcmp(all, "1")), &pdf, &len, &n, &req->err);
  return answer_pdf(req, resp, db, rc, &audit, id, pdf, len, n);
}

static int deletion_list(http_req *req, http_resp *resp) {
  const char *all = req_query(req, "all");
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *a = retention_requests_json(db, !(all && !strcmp(all, "1")), &req->err);
  api_db_put(req, db);
  return a ? resp_json(resp, 200, json_pack("{s:o}", "requests", a)) : -1;
}

static int deletion_execute(http_req *req, http_resp *resp) {
  int64_t id = path_id(req);
  if (!id) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  int deleted = 0;
  int rc = retention_execute(api_app(req)->blobs, db, id, api_session(req)->role, api_session(req)->user_id, &deleted,
                             &req->err);
  api_db_put(req, db);
  if (rc) return -1;
  return resp_json(resp, 200,
                   json_pack("{s:I,s:s,s:i}", "id", (json_int_t)id, "state", "done", "blobs_deleted", deleted));
}

static int retention_run(http_req *req, http_resp *resp) {
  db_t *db = api_db(req);
  if (!db) return -1;
  retention_counts c;
  int rc =
      retention_purge(api_app(req)->blobs, db, clock_now_ms(), (int)config_int(api_app(req)->cfg, "retention_days"),
                      (int)config_int(api_app(req)->cfg, "export_retention_days"), &c, &req->err);
  if (!rc) rc = api_audit_log(db, req, "retention.run", "purge", 0, NULL, &req->err);
  api_db_put(req, db);
  if (rc) return -1;
  return resp_json(resp, 200,
                   json_pack("{s:i,s:i,s:i,s:i}", "originals", c.originals, "attempts", c.attempts, "standardized",
                             c.standardized, "withdrawn", c.withdrawn));
}

static int student_request(http_req *req, http_resp *resp) {
  db_t *db = api_db(req);
  if (!db) return -1;
  int64_t id = retention_request_deletion(db, api_session(req)->user_id, &req->err);
  json_t *o = id > 0 ? retention_request_status(db, api_session(req)->user_id, &req->err) : NULL;
  api_db_put(req, db);
  if (!o) return -1;
  return resp_json(resp, 202,
                   json_pack("{s:o,s:s}", "request", o, "message", "已收到删除申请，运营方将删除你已上传的照片"));
}

static int student_request_get(http_req *req, http_resp *resp) {
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *o = retention_request_status(db, api_session(req)->user_id, &req->err);
  api_db_put(req, db);
  return o ? resp_json(resp, 200, json_pack("{s:o}", "request", o)) : -1;
}

void api_ops_routes(http_router *r) {
  static const http_route routes[] = {
      {"POST", "/api/ops/batches/:id/prints", prints_start, ROLE_OPERATOR, HTTP_BODY_JSON},
      {"GET", "/api/ops/prints/:id", prints_get, ROLE_OPERATOR, 0},
      {"GET", "/api/ops/prints/:id/file", prints_file, ROLE_OPERATOR, 0},
      {"GET", "/api/ops/prints/:id/handover", prints_handover, ROLE_OPERATOR, 0},
      {"GET", "/api/ops/batches/:id/labels", labels, ROLE_OPERATOR, 0},
      {"GET", "/api/ops/deletion-requests", deletion_list, ROLE_OPERATOR, 0},
      {"POST", "/api/ops/deletion-requests/:id/execute", deletion_execute, ROLE_OPERATOR, 0},
      {"POST", "/api/ops/retention/run", retention_run, ROLE_OPERATOR, 0},
      {"POST", "/api/student/deletion-request", student_request, ROLE_STUDENT, 0},
      {"GET", "/api/student/deletion-request", student_request_get, ROLE_STUDENT, 0},
  };
  router_add_all(r, routes, sizeof routes / sizeof routes[0]);
}

/* review: the reviewer's day and the operator's override.
 *   GET  /api/review/reasons                the fixed rejection reasons
 *   GET  /api/review/queue                  pending items of the reviewer's school, resubmissions first, then due time
 *   GET  /api/review/items/:id              everything to decide on (audited as a view)
 *   GET  /api/review/items/:id/reference    the school's reference photo of the student (audited)
 *   POST /api/review/items/:id/claim        a lease (review_lease seconds); 409 while another reviewer holds it
 *   POST /api/review/items/:id/release
 *   POST /api/review/items/:id/approve      {note}
 *   POST /api/review/items/:id/reject       {reasons:[...], other, note}
 *   POST /api/ops/records/:id/override      {reason}: reopen an approved record (operator, audited) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "collect/collect.h"

#define REVIEWERS (ROLE_REVIEWER | ROLE_OPERATOR)

static collect_who who_of(http_req *req) {
  return (collect_who){api_session(req)->role, api_session(req)->user_id, api_session(req)->school_id};
}

static int reasons(http_req *req, http_resp *resp) {
  (void)req;
  json_t *a = json_array();
  for (int i = 0; collect_reject_reasons[i]; i++) json_array_append_new(a, json_string(collect_reject_reasons[i]));
  return resp_json(resp, 200, json_pack("{s:o}", "reasons", a));
}

static int queue(http_req *req, http_resp *resp) {
  collect_who w = who_of(req);
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *q = collect_queue(db, &w, 200, &req->err);
  api_db_put(req, db);
  if (!q) return -1;
  return resp_json(resp, 200, json_pack("{s:o}", "items", q));
}

static int item(http_req *req, http_resp *resp) {
  int64_t id = api_id_param(req, "id");
  if (id < 0) return err_set(&req->err, 404, "item_not_found", "review item not found");
  collect_who w = who_of(req);
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *o = collect_item(db, &w, id, &req->err);
  api_db_put(req, db);
  if (!o) return -1;
  api_status_links(o);
  size_t i;
  json_t *earlier;
  json_array_foreach(json_object_get(o, "earlier_attempts"), i, earlier) api_attempt_links(earlier);
  json_t *ref = json_object_get(o, "reference");
  if (json_is_object(ref)) {
    char url[80];
    snprintf(url, sizeof url, "/api/review/items/%lld/reference", (long long)id);
    json_object_set_new(ref, "image", json_string(url));
  }
  return resp_json(resp, 200, json_pack("{s:o}", "item", o));
}

static int reference_image(http_req *req, http_resp *resp) {
  int64_t id = api_id_param(req, "id");
  if (id < 0) return err_set(&req->err, 404, "item_not_found", "review item not found");
  collect_who w = who_of(req);
  db_t *db = api_db(req);
  if (!db) return -1;
  uint8_t *bytes = NULL;
  size_t len = 0;
  int rc = collect_item_reference(api_app(req)->blobs, db, &w, id, &bytes, &len, &req->err);
  api_db_put(req, db);
  if (rc < 0) return -1;
  resp_header(resp, "Cache-Control", "private, no-store");
  rc = resp_bytes(resp, 200, "image/jpeg", bytes, len);
  free(bytes);
  return rc;
}

static int claim(http_req *req, http_resp *resp) {
  int64_t id = api_id_param(req, "id");
  if (id < 0) return err_set(&req->err, 404, "item_not_found", "review item not found");
  collect_who w = who_of(req);
  db_t *db = api_db(req);
  if (!db) return -1;
  int64_t until = 0;
  int rc = collect_claim(db, &w, id, config_int(api_app(req)->cfg, "review_lease") * 1000, &until, &req->err);
  api_db_put(req, db);
  if (rc < 0) return -1;
  return resp_json(resp, 200, json_pack("{s:I, s:I}", "id", (json_int_t)id, "claim_until", (json_int_t)until));
}

static int release(http_req *req, http_resp *resp) {
  int64_t id = api_id_param(req, "id");
  if (id < 0) return err_set(&req->err, 404, "item_not_found", "review item not found");
  collect_who w = who_of(req);
  db_t *db = api_db(req);
  if (!db) return -1;
  int rc = collect_release(db, &w, id, &req->err);
  api_db_put(req, db);
  if (rc < 0) return -1;
  return resp_json(resp, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id, "released", 1));
}

static int decide(http_req *req, http_resp *resp, int approve) {
  int64_t id = api_id_param(req, "id");
  if (id < 0) return err_set(&req->err, 404, "item_not_found", "review item not found");
  const char *note = json_field_str(req, "note", 0, 500);
  const char *other = approve ? NULL : json_field_str(req, "other", 0, 200);
  if (err_is_set(&req->err)) return -1;
  json_t *rs = approve ? NULL : json_object_get(req->json, "reasons");
  collect_who w = who_of(req);
  db_t *db = api_db(req);
  if (!db) return -1;
  int rc = collect_decide(api_app(req)->jobs, db, &w, id, approve, rs, other, note, &req->err);
  api_db_put(req, db);
  if (rc < 0) return -1;
  return resp_json(resp, 200,
                   json_pack("{s:I, s:s}", "id", (json_int_t)id, "decision", approve ? "approved" : "rejected"));
}

static int approve(http_req *req, http_resp *resp) { return decide(req, resp, 1); }
static int reject(http_req *req, http_resp *resp) { return decide(req, resp, 0); }

static int override(http_req *req, http_resp *resp) {
  int64_t id = api_id_param(req, "id");
  if (id < 0) return err_set(&req->err, 404, "record_not_found", "record not found");
  const char *reason = json_field_str(req, "reason", 1, 500);
  if (err_is_set(&req->err)) return -1;
  collect_who w = who_of(req);
  db_t *db = api_db(req);
  if (!db) return -1;
  int rc = collect_override(db, &w, id, reason, &req->err);
  api_db_put(req, db);
  if (rc < 0) return -1;
  return resp_json(resp, 200, json_pack("{s:I, s:s}", "record_id", (json_int_t)id, "state", "reopened"));
}

void api_review_routes(http_router *r) {
  static const http_route routes[] = {
      {"GET", "/api/review/reasons", reasons, REVIEWERS, 0},
      {"GET", "/api/review/queue", queue, REVIEWERS, 0},
      {"GET", "/api/review/items/:id", item, REVIEWERS, 0},
      {"GET", "/api/review/items/:id/reference", reference_image, REVIEWERS, 0},
      {"POST", "/api/review/items/:id/claim", claim, REVIEWERS, 0},
      {"POST", "/api/review/items/:id/release", release, REVIEWERS, 0},
      {"POST", "/api/review/items/:id/approve", approve, REVIEWERS, HTTP_BODY_JSON},
      {"POST", "/api/review/items/:id/reject", reject, REVIEWERS, HTTP_BODY_JSON},
      {"POST", "/api/ops/records/:id/override", override, ROLE_OPERATOR, HTTP_BODY_JSON},
  };
  router_add_all(r, routes, sizeof routes / sizeof routes[0]);
}

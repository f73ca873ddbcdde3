/* support: student <-> operator threads.
 *   GET  /api/support/messages                 the student's thread (+ unread from the operator)
 *   POST /api/support/messages                 multipart: body (text), image (optional)
 *   GET  /api/support/attachments/:id          an attachment (the student: own thread; operators: any, audited)
 *   GET  /api/ops/support/threads              threads with unread counts, each student's name, number and status (audited)
 *   GET  /api/ops/support/threads/:account     one thread with the student's status and latest photo, the roster
 *                                              record, the latest order (support/context.h; audited)
 *   POST /api/ops/support/threads/:account     reply (multipart: body, image) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "audit/audit.h"
#include "collect/collect.h"
#include "support/context.h"
#include "support/support.h"

/* Each message's has_attachment becomes "attachment": its link, or null. */
static json_t *attachment_links(json_t *messages) {
  size_t i;
  json_t *m;
  json_array_foreach(messages, i, m) {
    char url[80];
    snprintf(url, sizeof url, "/api/support/attachments/%lld", (long long)json_integer_value(json_object_get(m, "id")));
    int has = json_is_true(json_object_get(m, "has_attachment"));
    /* Replace it in place so the keys keep their order. */
    json_t *ordered = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v) {
      if (!strcmp(k, "has_attachment"))
        json_object_set_new(ordered, "attachment", has ? json_string(url) : json_null());
      else
        json_object_set(ordered, k, v);
    }
    json_array_set_new(messages, i, ordered);
  }
  return messages;
}

static int student_list(http_req *req, http_resp *resp) {
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *t = attachment_links(support_thread(db, api_session(req)->user_id, ROLE_STUDENT, &req->err));
  api_db_put(req, db);
  if (!t) return -1;
  return resp_json(resp, 200, json_pack("{s:o}", "messages", t));
}

static int post_common(http_req *req, http_resp *resp, int64_t account, int role) {
  const http_upload *u = req_upload(req, "image");
  const char *body = req_form(req, "body");
  db_t *db = api_db(req);
  if (!db) return -1;
  int64_t id = 0;
  int rc = support_post(&api_app(req)->support, db, account, role, api_session(req)->user_id, body,
                        u && u->size > 0 ? u->path : NULL, &id, &req->err);
  api_db_put(req, db);
  if (rc < 0) return -1;
  return resp_json(resp, 201, json_pack("{s:I}", "id", (json_int_t)id));
}

static int student_post(http_req *req, http_resp *resp) {
  return post_common(req, resp, api_session(req)->user_id, ROLE_STUDENT);
}

static int attachment(http_req *req, http_resp *resp) {
  int64_t id = api_id_param(req, "id");
  if (id < 0) return err_set(&req->err, 404, "attachment_not_found", "附件不存在");
  int student = api_session(req)->role == ROLE_STUDENT;
  db_t *db = api_db(req);
  if (!db) return -1;
  uint8_t *bytes = NULL;
  size_t len = 0;
  char mime[32];
  int rc = support_attachment(api_app(req)->blobs, db, id, student ? api_session(req)->user_id : 0, &bytes, &len, mime,
                              &req->err);
  if (rc == 0 && !student) {
    err_t ae = {0};
    rc = api_audit_log(db, req, "support.attachment.view", "support_message", id, NULL, &ae);
    if (rc < 0) req->err = ae, free(bytes);
  }
  api_db_put(req, db);
  if (rc < 0) return -1;
  resp_header(resp, "Cache-Control", "private, no-store");
  resp_bytes(resp, 200, mime, bytes, len);
  free(bytes);
  return 0;
}

static int ops_threads(http_req *req, http_resp *resp) {
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *t = support_threads(db, &req->err);
  size_t i;
  json_t *x;
  if (t) json_array_foreach(t, i, x) {
      json_t *st = collect_status(db, (int64_t)json_integer_value(json_object_get(x, "account_id")), &req->err);
      if (!st) break;
      json_object_set(x, "status", json_object_get(st, "state"));
      json_object_set(x, "status_label", json_object_get(st, "label"));
      json_decref(st);
      /* Who wrote: the operator picks a thread by the student's name and number, not an account id. */
      json_t *ctx = support_context(db, (int64_t)json_integer_value(json_object_get(x, "account_id")), &req->err);
      if (!ctx) break;
      json_object_set(x, "student", json_object_get(ctx, "student"));
      json_decref(ctx);
    }
  if (t && !err_is_set(&req->err))
    api_audit_log(db, req, "support.threads.view", "support_threads", 0, NULL, &req->err);
  api_db_put(req, db);
  if (!t || err_is_set(&req->err)) {
    json_decref(t);
    return -1;
  }
  return resp_json(resp, 200, json_pack("{s:o}", "threads", t));
}

static int ops_thread(http_req *req, http_resp *resp) {
  int64_t account = api_id_param(req, "account");
  if (account < 0) return err_set(&req->err, 404, "thread_not_found", "thread not found");
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *t = attachment_links(support_thread(db, account, ROLE_OPERATOR, &req->err));
  json_t *st = t ? api_status_links(collect_status(db, account, &req->err)) : NULL;
  json_t *ctx = st ? support_context(db, account, &req->err) : NULL;
  /* The student's name, order and photo are personal data: no view without its audit entry. */
  if (ctx && api_audit_log(db, req, "support.thread.view", "student_account", account, NULL, &req->err) < 0) {
    json_decref(ctx);
    ctx = NULL;
  }
  api_db_put(req, db);
  if (!ctx) {
    json_decref(t);
    json_decref(st);
    return -1;
  }
  json_object_set_new(ctx, "messages", t);
  json_object_set_new(ctx, "status", st);
  return resp_json(resp, 200, ctx);
}

static int ops_reply(http_req *req, http_resp *resp) {
  int64_t account = api_id_param(req, "account");
  if (account < 0) return err_set(&req->err, 404, "thread_not_found", "thread not found");
  return post_common(req, resp, account, ROLE_OPERATOR);
}

void api_support_routes(http_router *r) {
  static const http_route routes[] = {
      {"GET", "/api/support/messages", student_list, ROLE_STUDENT, 0},
      {"POST", "/api/support/messages", student_post, ROLE_STUDENT, HTTP_BODY_MULTIPART},
      {"GET", "/api/support/attachments/:id", attachment, ROLE_STUDENT | ROLE_OPERATOR, 0},
      {"GET", "/api/ops/support/threads", ops_threads, ROLE_OPERATOR, 0},
      {"GET", "/api/ops/support/threads/:account", ops_thread, ROLE_OPERATOR, 0},
      {"POST", "/api/ops/support/threads/:account", ops_reply, ROLE_OPERATOR, HTTP_BODY_MULTIPART},
  };
  router_add_all(r, routes, sizeof routes / sizeof routes[0]);
}

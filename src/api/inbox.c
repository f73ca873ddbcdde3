/* inbox: the student's notifications (pushed live by GET /api/student/events).
 *   GET  /api/inbox?after=ID     {items, unread}
 *   POST /api/inbox/read         {up_to}: marks everything up to that id read */
#include <stdlib.h>

#include "api/api.h"
#include "app.h"
#include "notify/notify.h"

static int list(http_req *req, http_resp *resp) {
  int64_t a;
  if (api_query_int64(req, "after", 0, 0, INT64_MAX, &a) < 0) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *items = notify_inbox(db, api_session(req)->user_id, a, 200, &req->err);
  int64_t unread = items ? notify_unread(db, api_session(req)->user_id, &req->err) : 0;
  api_db_put(req, db);
  if (!items) return -1;
  return resp_json(resp, 200, json_pack("{s:o, s:I}", "items", items, "unread", (json_int_t)unread));
}

static int mark_read(http_req *req, http_resp *resp) {
  int64_t up_to = 0;
  if (json_field_int(req, "up_to", 1, 0, INT64_MAX, &up_to) < 0) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  int rc = notify_mark_read(db, api_session(req)->user_id, up_to, &req->err);
  int64_t unread = rc == 0 ? notify_unread(db, api_session(req)->user_id, &req->err) : 0;
  api_db_put(req, db);
  if (rc < 0) return -1;
  return resp_json(resp, 200, json_pack("{s:I}", "unread", (json_int_t)unread));
}

void api_inbox_routes(http_router *r) {
  static const http_route routes[] = {
      {"GET", "/api/inbox", list, ROLE_STUDENT, 0},
      {"POST", "/api/inbox/read", mark_read, ROLE_STUDENT, HTTP_BODY_JSON},
  };
  router_add_all(r, routes, sizeof routes / sizeof routes[0]);
}

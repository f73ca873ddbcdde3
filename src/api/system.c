/* system: health, metrics and the CSRF token. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "http/internal.h"

static int healthz(http_req *req, http_resp *resp) {
  /* Healthy means the store answers: a node that lost its database should leave the pool. */
  db_t *db = api_db(req);
  if (!db) return err_set(&req->err, 503, "store_unavailable", "database unavailable");
  err_t err = {0};
  int64_t one = db_int(db, &err, 0, "SELECT 1");
  api_db_put(req, db);
  if (one != 1) return err_set(&req->err, 503, "store_unavailable", "database unavailable");
  return resp_json(resp, 200, json_pack("{s:s}", "status", "ok"));
}

static int metrics(http_req *req, http_resp *resp) {
  char *text = metrics_render(req->app);
  resp_bytes(resp, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
  free(text);
  return 0;
}

static int csrf(http_req *req, http_resp *resp) {
  const char *t = req_csrf_token(req);
  return resp_json(resp, 200, json_pack("{s:s}", "csrf", t ? t : ""));
}

void api_system_routes(http_router *r) {
  static const http_route routes[] = {
      {"GET", "/healthz", healthz, 0, 0},
      {"GET", "/metrics", metrics, 0, 0},
      {"GET", "/api/csrf", csrf, 0, 0},
  };
  router_add_all(r, routes, sizeof routes / sizeof routes[0]);
}

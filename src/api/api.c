#include "api/api.h"

#include <stdio.h>

#include "app.h"
#include "auth/throttle.h"

void api_register_all(http_router *r) {
  api_system_routes(r);
  api_auth_routes(r);
  api_orders_routes(r);
  api_pay_routes(r);
  api_identity_routes(r);
  api_schools_routes(r);
  api_photos_routes(r);
  api_review_routes(r);
  api_inbox_routes(r);
  api_support_routes(r);
  api_office_routes(r);
  api_ops_routes(r);
}

db_t *api_db(http_req *req) { return store_get(req->app->store, &req->err); }

void api_db_put(http_req *req, db_t *db) {
  if (db) store_put(req->app->store, db);
}

int api_too_many_attempts(http_resp *resp, int64_t retry_after_s, const char *what) {
  char v[24], msg[256];
  if (retry_after_s < 1) retry_after_s = 1;
  snprintf(v, sizeof v, "%lld", (long long)retry_after_s);
  resp_header(resp, "Retry-After", v);
  if (retry_after_s >= 120)
    snprintf(msg, sizeof msg, "%s，请 %lld 分钟后再试", what, (long long)((retry_after_s + 59) / 60));
  else
    snprintf(msg, sizeof msg, "%s，请 %lld 秒后再试", what, (long long)retry_after_s);
  return resp_error(resp, 429, "too_many_attempts", msg);
}

void api_throttle_rule(const http_req *req, const char *which, throttle_rule *out) {
  char name[64];
  snprintf(name, sizeof name, "%s_max_failures", which);
  out->free_failures = (int)config_int(req->app->cfg, name);
  if (out->free_failures < 1) out->free_failures = 1;
  out->base_ms = config_int(req->app->cfg, "login_lock_s") * 1000;
  if (out->base_ms < 1000) out->base_ms = 1000;
  out->max_ms = 24 * 3600 * 1000LL;
  out->forget_ms = 24 * 3600 * 1000LL;
}

/* api.c: the server the API runs in (its options and session lookup, from the app), the list of
 * every resource's routes, and what all handlers share. */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "audit/audit.h"
#include "auth/throttle.h"
#include "util/number.h"

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
  api_wechat_routes(r);
  api_wechat_mini_routes(r);
  api_office_routes(r);
  api_ops_routes(r);
}

/* The server's session lookup: the store's session for the cookie's token. */
static int lookup_session(void *ctx, http_req *req, const char *token, http_session_found *out) {
  app *a = ctx;
  err_t err = {0};
  db_t *db = store_get(a->store, &err);
  if (!db) return -1;
  auth_session *s = req_alloc(req, sizeof *s);
  int found = auth_session_lookup(db, token, s, &err);
  store_put(a->store, db);
  if (found <= 0) return found;
  out->session = s;
  out->role = s->role;
  snprintf(out->csrf, sizeof out->csrf, "%s", s->csrf);
  return 1;
}

http_server *api_server_new(app *a) {
  char upload_dir[1024];
  snprintf(upload_dir, sizeof upload_dir, "%s/tmp", a->data_dir);
  http_server_opts opts = {
      .web_dir = a->web_dir,
      .upload_dir = upload_dir,
      .max_body = (size_t)config_int(a->cfg, "max_body"),
      .max_upload = (size_t)config_int(a->cfg, "max_upload"),
      .trust_proxy = config_bool(a->cfg, "trust_proxy"),
      .max_connections = (int)config_int(a->cfg, "http_max_connections"),
      .per_ip_connections = (int)config_int(a->cfg, "http_per_ip_connections"),
      .secure_cookies = a->secure_cookies,
      .ctx = a,
      .lookup_session = lookup_session,
  };
  http_server *s = http_server_new(&opts);
  api_register_all(http_server_router(s));
  return s;
}

int64_t api_id_param(http_req *req, const char *name) {
  const char *s = req_param(req, name);
  int64_t id;
  /* Digits only: a path id never carries a sign. */
  if (!s || *s < '0' || *s > '9' || parse_int64(s, 0, INT64_MAX, &id)) return -1;
  return id;
}

int api_query_int64(http_req *req, const char *name, int64_t dflt, int64_t min, int64_t max, int64_t *out) {
  const char *s = req_query(req, name);
  if (!s) {
    *out = dflt;
    return 0;
  }
  if (parse_int64(s, min, max, out) == 0) return 0;
  return err_set(&req->err, 400, "invalid_query", "参数 %s 应为 %lld 到 %lld 之间的整数", name, (long long)min,
                 (long long)max);
}

db_t *api_db(http_req *req) { return store_get(api_app(req)->store, &req->err); }

void api_db_put(http_req *req, db_t *db) {
  if (db) store_put(api_app(req)->store, db);
}

int api_audit_log(db_t *db, const http_req *req, const char *action, const char *object_type, int64_t object_id,
                  const json_t *detail, err_t *err) {
  const auth_session *s = api_session(req);
  return audit_log(db, s ? s->role : 0, s ? s->user_id : 0, action, object_type, object_id, detail, err);
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
  out->free_failures = (int)config_int(api_app(req)->cfg, name);
  if (out->free_failures < 1) out->free_failures = 1;
  out->base_ms = config_int(api_app(req)->cfg, "login_lock_s") * 1000;
  if (out->base_ms < 1000) out->base_ms = 1000;
  out->max_ms = 24 * 3600 * 1000LL;
  out->forget_ms = 24 * 3600 * 1000LL;
}

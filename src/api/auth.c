/* auth: staff sign-in, sign-out and "who am I". Students sign in by phone (api/identity). */
#include <sodium.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "audit/audit.h"
#include "auth/session.h"
#include "auth/throttle.h"
#include "auth/users.h"
#include "util/clock.h"

/* Throttled per account and per client address (auth/throttle.h): the attempt is counted before
 * the password is checked, so parallel guesses cannot pass the limit. Argon2id runs with no pooled
 * connection held: a burst of logins must not starve the site's other requests. */
static int login(http_req *req, http_resp *resp) {
  const char *username = json_field_str(req, "username", 1, 64);
  const char *password = json_field_str(req, "password", 1, 256);
  if (err_is_set(&req->err)) return -1;
  throttle_rule by_user, by_ip;
  api_throttle_rule(req, "login", &by_user);
  api_throttle_rule(req, "login_ip", &by_ip);
  const char *ip = req->client_ip ? req->client_ip : "";
  db_t *db = api_db(req);
  if (!db) return -1;
  int64_t retry = 0, now = clock_now_ms();
  staff_credentials c;
  int t = throttle_take(db, "staff_ip", ip, &by_ip, now, &retry, &req->err);
  if (t == 0) {
    t = throttle_take(db, "staff_user", username, &by_user, now, &retry, &req->err);
    if (t == 1) throttle_forgive(db, "staff_ip", ip, &by_ip, 0, &req->err); /* no password was tried */
  }
  if (t == 0 && users_load_credentials(db, username, &c, &req->err) < 0) t = -1;
  api_db_put(req, db);
  if (t < 0) return -1;
  if (t == 1) return api_too_many_attempts(resp, retry, "登录失败次数过多");

  int ok = users_verify(&c, password);
  sodium_memzero(c.hash, sizeof c.hash);
  if (!ok) return err_set(&req->err, 401, "bad_credentials", "用户名或密码错误");

  staff_user u = c.user;
  db = api_db(req);
  if (!db) return -1;
  char token[65];
  int64_t ttl = config_int(api_app(req)->cfg, "session_ttl");
  int rc = throttle_forgive(db, "staff_user", username, &by_user, 1, &req->err);
  if (rc == 0) rc = throttle_forgive(db, "staff_ip", ip, &by_ip, 0, &req->err);
  if (rc == 0) rc = auth_session_create(db, u.role, u.id, u.school_id, ttl, token, &req->err);
  if (rc == 0) audit_log(db, u.role, u.id, "login", "user", u.id, NULL, &req->err);
  api_db_put(req, db);
  if (rc < 0) return -1;
  resp_set_session_cookie(resp, req, token, (int)ttl);
  return resp_json(resp, 200,
                   json_pack("{s:I,s:s,s:s,s:I}", "id", (json_int_t)u.id, "display_name", u.display_name, "role",
                             auth_role_name(u.role), "school_id", (json_int_t)u.school_id));
}

static int logout(http_req *req, http_resp *resp) {
  const char *token = req_cookie(req, "tucai_sid");
  if (token) {
    db_t *db = api_db(req);
    if (!db) return -1;
    auth_session_delete(db, token, &req->err);
    api_db_put(req, db);
  }
  resp_clear_session_cookie(resp, req);
  return resp_json(resp, 200, json_pack("{s:b}", "ok", 1));
}

static int me(http_req *req, http_resp *resp) {
  auth_session *s = req->session;
  json_t *o = json_pack("{s:s,s:I,s:I}", "role", auth_role_name(s->role), "id", (json_int_t)s->user_id, "school_id",
                        (json_int_t)s->school_id);
  if (s->role != ROLE_STUDENT) {
    db_t *db = api_db(req);
    if (!db) {
      json_decref(o);
      return -1;
    }
    staff_user u;
    if (users_get(db, s->user_id, &u, &req->err) == 1) {
      json_object_set_new(o, "username", json_string(u.username));
      json_object_set_new(o, "display_name", json_string(u.display_name));
    }
    api_db_put(req, db);
  }
  return resp_json(resp, 200, o);
}

void api_auth_routes(http_router *r) {
  static const http_route routes[] = {
      {"POST", "/api/auth/login", login, 0, HTTP_BODY_JSON},
      {"POST", "/api/auth/logout", logout, 0, 0},
      {"GET", "/api/auth/me", me, ROLE_ANY_USER, 0},
  };
  router_add_all(r, routes, sizeof routes / sizeof routes[0]);
}

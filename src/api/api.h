/* api: the JSON API, one file per resource. Each file exposes `void api_<name>_routes(http_router *r)`
 * declaring its routes (method, pattern, roles, body kind); api_register_all() calls them all.
 * api_server_new wires the HTTP server to the app: its options, and sessions from the store.
 * Handlers reach the app with api_app(req) and the caller's session with api_session(req). */
#ifndef TUCAI_API_API_H
#define TUCAI_API_API_H

#include "app.h"
#include "auth/session.h"
#include "http/http.h"
#include "http/server.h"

/* An HTTP server for the app, with every route registered; start it with http_server_start. */
http_server *api_server_new(app *a);
void api_register_all(http_router *r);

static inline app *api_app(const http_req *req) { return (app *)req->ctx; }
/* The caller's session; NULL when anonymous (never on a route that names roles). */
static inline auth_session *api_session(const http_req *req) { return (auth_session *)req->session; }

void api_system_routes(http_router *r);      /* /healthz, /metrics, /api/csrf */
void api_auth_routes(http_router *r);        /* staff login, logout, me */
void api_orders_routes(http_router *r);      /* fees, regions, orders, operator payment views */
void api_pay_routes(http_router *r);         /* provider notifications, mock payer page */
void api_identity_routes(http_router *r);    /* student sign-in, collection code, linking */
void api_schools_routes(http_router *r);     /* schools, batches, rosters */
void api_office_routes(http_router *r);      /* school office: progress, pending, exports, tracking, batch settings */
void api_ops_routes(http_router *r);         /* operator: prints, labels, hand-over, retention, deletion requests */
void api_photos_routes(http_router *r);      /* upload, preview, submit, status, student events */
void api_review_routes(http_router *r);      /* reviewer queue, claims, decisions, operator override */
void api_inbox_routes(http_router *r);       /* the student's notifications */
void api_support_routes(http_router *r);     /* support threads student <-> operator */
void api_wechat_routes(http_router *r);      /* WeChat sign-in: official account OAuth, mini program */
void api_wechat_mini_routes(http_router *r); /* the mini program's subscription messages */
/* After a phone sign-in: a WeChat bind ticket in this browser (tucai_wxbind) binds its openid to
 * the account and the new session (api/wechat.c). 1 bound, 0 no ticket, 409 the WeChat is another
 * account's, -1 other failure; the sign-in stands in every case. */
int api_wechat_bind_after_login(http_req *req, http_resp *resp, db_t *db, int64_t account, const char *session_token);
/* Photo attempts as the API shows them: collect's has_standardized becomes "images", the links to
 * the original and the standardized photo (null until there is one). Both return their argument;
 * api_status_links does it for the attempt inside a student's status (collect_status). */
json_t *api_attempt_links(json_t *attempt);
json_t *api_status_links(json_t *status);
/* A numeric path parameter (":id"), or -1 when absent or not a plain decimal number. */
int64_t api_id_param(http_req *req, const char *name);
/* A numeric query parameter (?name=N): `dflt` when absent, else a whole decimal number within
 * [min, max] (0), or -1 with a 400 "invalid_query" naming it (a typo is not silently 0). */
int api_query_int64(http_req *req, const char *name, int64_t dflt, int64_t min, int64_t max, int64_t *out);

/* Borrow a connection from the app's store for the length of a handler; on failure fills
 * req->err and returns NULL. Give it back with api_db_put. */
#include "store/store.h"
db_t *api_db(http_req *req);
void api_db_put(http_req *req, db_t *db);
/* audit_log with the actor taken from the request's session (the system itself when anonymous). */
int api_audit_log(db_t *db, const http_req *req, const char *action, const char *object_type, int64_t object_id,
                  const json_t *detail, err_t *err);

/* 429 too_many_attempts with Retry-After (seconds) and `what` (Chinese) plus the wait. */
int api_too_many_attempts(http_resp *resp, int64_t retry_after_s, const char *what);
/* The sign-in throttles (auth/throttle.h) from the settings: `which` is "login", "login_ip",
 * "otp_verify" or "otp_verify_ip". */
struct throttle_rule;
void api_throttle_rule(const http_req *req, const char *which, struct throttle_rule *out);

#endif

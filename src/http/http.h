/* http: the web server (libmicrohttpd, thread pool), its router and the request/response helpers.
 *
 * Design. Every route is declared once with what it needs: method, path pattern ("/api/x/:id"),
 * the roles that may call it, and how its body is read. The server enforces all of that before
 * the handler runs, in one place: body limits and content types, JSON parsing, multipart
 * streaming to temporary files, the session, the role check and CSRF. A handler therefore only
 * validates the meaning of its input, calls its domain module, and answers.
 *
 * Errors: a handler that fails fills req->err (err_set(&req->err, 4xx, "code", "message")) and
 * returns -1; the server answers {"error":{"code":...,"message":...}} with err.status (500 when 0)
 * and logs internal errors without personal data.
 *
 * CSRF: every POST/PUT/PATCH/DELETE must send header X-CSRF-Token. Signed in, it must equal the
 * session's own token; anonymous, the `tucai_csrf` cookie (double submit). The server keeps that
 * cookie equal to the token expected (set on any response to a client without one or with
 * another, and on the response that signs in), and GET /api/csrf returns it. Routes called by
 * other servers (payment notifications) opt out with HTTP_NO_CSRF and must authenticate the
 * caller themselves.
 *
 * Sessions and roles: the server knows neither the store nor what a role means. It hands the
 * `tucai_sid` cookie to the application's lookup (http_server_opts.lookup_session), which answers
 * with its session (req->session, opaque here), one role bit and the session's CSRF token.
 *
 * Memory: what a handler allocates with req_alloc lives until the response is sent.
 * JSON given to resp_json is owned by the response (reference stolen). */
#ifndef TUCAI_HTTP_HTTP_H
#define TUCAI_HTTP_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Route flags. */
enum {
  HTTP_BODY_JSON = 1 << 0,      /* body must be application/json, parsed into req->json */
  HTTP_BODY_MULTIPART = 1 << 1, /* multipart/form-data: files streamed to temp files */
  HTTP_BODY_RAW = 1 << 2,       /* any body kept as bytes in req->body (e.g. signed callbacks) */
  HTTP_NO_CSRF = 1 << 3,        /* server-to-server route that authenticates itself */
};

typedef struct http_upload {
  char field[64];
  char filename[256]; /* as the client named it; never trusted as a path */
  char content_type[128];
  char path[512]; /* temporary file, removed after the response */
  int64_t size;
} http_upload;

typedef struct http_req {
  void *ctx; /* the application's, from http_server_opts.ctx */
  const char *method;
  const char *path;  /* decoded path without the query */
  const char *route; /* the pattern that matched, for logs and metrics */
  char request_id[24];
  const char *client_ip;
  /* Body, by route flags. */
  json_t *json;     /* HTTP_BODY_JSON: parsed object or array (borrowed) */
  const char *body; /* HTTP_BODY_RAW: bytes, NUL-terminated for convenience */
  size_t body_len;
  http_upload *uploads; /* HTTP_BODY_MULTIPART */
  int n_uploads;
  void *session; /* the application's session (http_server_opts.lookup_session); NULL
                              * when anonymous */
  err_t err;
  void *priv; /* server internals */
} http_req;

typedef struct http_resp http_resp;

typedef int (*http_handler)(http_req *req, http_resp *resp);

typedef struct http_route {
  const char *method;
  const char *pattern; /* "/api/orders/:id"; a final star segment matches the rest of the path */
  http_handler handler;
  int roles; /* bits any of which the caller's session must have; 0 = public */
  int flags; /* HTTP_BODY_*, HTTP_NO_CSRF */
} http_route;

/* Route table (the server owns one; modules add theirs from their api_*_routes function). */
typedef struct http_router http_router;
void router_add(http_router *r, const http_route *route);
void router_add_all(http_router *r, const http_route *routes, size_t n);

/* Request accessors. Values are decoded; NULL when absent. */
const char *req_param(const http_req *req, const char *name); /* ":name" in the pattern */
const char *req_query(const http_req *req, const char *name);
const char *req_header(const http_req *req, const char *name);
const char *req_cookie(const http_req *req, const char *name);
const char *req_form(const http_req *req, const char *name); /* multipart text fields */
const http_upload *req_upload(const http_req *req, const char *field);
/* The CSRF token the client must echo in X-CSRF-Token (the cookie's, or the one being set now). */
const char *req_csrf_token(const http_req *req);
void *req_alloc(http_req *req, size_t n);

/* Responses. Each returns 0 so handlers can `return resp_json(...)`. */
int resp_json(http_resp *resp, int status, json_t *body);
int resp_bytes(http_resp *resp, int status, const char *mime, const void *data, size_t len);
int resp_file(http_resp *resp, int status, const char *mime, const char *path); /* streams it */
int resp_error(http_resp *resp, int status, const char *code, const char *message);
void resp_header(http_resp *resp, const char *name, const char *value);
/* Server-sent events: `next` is called until it returns <0; it writes the next event into buf
 * (up to max bytes) and returns its length, or 0 when there is nothing yet: the server then checks
 * that the client is still there and calls again, so `next` should wait (about a second, without
 * holding a store connection) before it returns 0. */
typedef int (*http_sse_next)(void *ctx, char *buf, size_t max);
int resp_sse(http_resp *resp, http_sse_next next, void *ctx, void (*free_ctx)(void *));
/* Session cookie handling for the sign-in handlers. Setting one also moves the client's CSRF
 * token to the new session's (the server looks the token up once more before answering). */
void resp_set_session_cookie(http_resp *resp, http_req *req, const char *token, int max_age_s);
void resp_clear_session_cookie(http_resp *resp, http_req *req);
/* Any other HttpOnly, SameSite=Lax cookie on / (Secure behind TLS); max_age_s 0 clears it. Lax: it
 * rides along on a top-level GET that comes back from another site (an OAuth callback). */
void resp_set_cookie(http_resp *resp, http_req *req, const char *name, const char *value, int max_age_s);

/* Helpers for JSON bodies: read a field with a type check; on a wrong type they fill req->err
 * with a 400 "invalid_field" that names the field. `required`=1 makes absence an error too. */
const char *json_field_str(http_req *req, const char *name, int required, size_t max_len);
int json_field_int(http_req *req, const char *name, int required, int64_t min, int64_t max, int64_t *out);
int json_field_bool(http_req *req, const char *name, int required, int *out);

/* The server's request counters and latency histograms as Prometheus text (malloc'd), for a
 * /metrics handler to send with whatever the application adds. */
char *http_metrics_render(void);

#endif

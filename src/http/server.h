/* server: starting and stopping the HTTP server. The router is filled before start.
 *
 * The server is told everything it needs from the application at creation, in one struct: where
 * the static pages and uploads live, the body limits, whether to trust a proxy, and how to look
 * a session cookie up. It includes nothing of the application (scripts/check-layers.sh). */
#ifndef TUCAI_HTTP_SERVER_H
#define TUCAI_HTTP_SERVER_H

#include "http/http.h"

/* What a session lookup finds. */
typedef struct http_session_found {
  void *session; /* the application's session, given to handlers as req->session; allocate it
                   * with req_alloc so that it lives as long as the request */
  int role;      /* one bit, tested against http_route.roles */
  char csrf[72]; /* the session's own CSRF token (at least 32 characters), NUL-terminated */
} http_session_found;

/* Looks up the `tucai_sid` cookie's token: 1 and *out for a live session, 0 for none, -1 when it
 * could not tell (the request gets a 503). */
typedef int (*http_session_lookup)(void *ctx, http_req *req, const char *token, http_session_found *out);

typedef struct http_server_opts {
  const char *web_dir;                /* static pages; NULL serves none (copied) */
  const char *upload_dir;             /* where multipart files are streamed to temporary files (copied) */
  size_t max_body;                    /* largest JSON, form or raw body in bytes */
  size_t max_upload;                  /* largest uploaded file in bytes */
  int trust_proxy;                    /* behind nginx: the client address is X-Forwarded-For's last entry */
  int max_connections;                /* connections served at once; beyond, a 503 with Retry-After (0: 1000) */
  int per_ip_connections;             /* per client address, 0 = no limit; ignored with trust_proxy */
  int secure_cookies;                 /* behind TLS: cookies get Secure */
  void *ctx;                          /* handed to handlers as req->ctx and to lookup_session */
  http_session_lookup lookup_session; /* NULL: every caller is anonymous */
} http_server_opts;

typedef struct http_server http_server;

http_server *http_server_new(const http_server_opts *opts);
http_router *http_server_router(http_server *s);
/* Binds HOST:PORT and starts serving in background threads. */
int http_server_start(http_server *s, const char *listen, err_t *err);
/* Graceful stop: stop accepting, wait up to grace_ms for requests in flight, then close. */
void http_server_stop(http_server *s, int64_t grace_ms);
void http_server_free(http_server *s);
int http_server_port(const http_server *s);

#endif

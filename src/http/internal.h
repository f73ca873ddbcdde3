/* internal: what the files of src/http share and nobody else sees. */
#ifndef TUCAI_HTTP_INTERNAL_H
#define TUCAI_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <stdio.h>

#include "http/http.h"
#include "http/server.h"

#define MAX_PARAMS 8

/* A bump allocator per request: everything a handler allocates dies with the request. */
typedef struct arena_block {
  struct arena_block *next;
  size_t used, cap;
  char data[];
} arena_block;

typedef struct resp_header_kv {
  char *name, *value;
} resp_header_kv;

struct http_resp {
  int status;
  int queued;
  char *mime;
  char *body; /* malloc'd */
  size_t len;
  char *file_path;
  resp_header_kv headers[16];
  int n_headers;
  http_sse_next sse_next;
  void *sse_ctx;
  void (*sse_free)(void *);
};

typedef struct req_ctx {
  http_req req;
  http_resp resp;
  struct MHD_Connection *conn;
  struct http_server *srv;
  const http_route *route;
  const char *param_names[MAX_PARAMS];
  const char *param_values[MAX_PARAMS];
  int n_params;
  arena_block *arena;
  /* Body accumulation. */
  char *buf;
  size_t buf_len, buf_cap;
  size_t limit;
  size_t body_seen; /* body bytes received, whatever the route does with them */
  int too_large;
  int cut; /* the body passed its route's limit; the 413 is decided */
  struct MHD_PostProcessor *pp;
  FILE *upload_fp; /* file being written */
  int upload_cap;  /* allocated uploads */
  char **form_names, **form_values;
  int n_form;
  int early_done;   /* answered from the headers alone; the handler does not run */
  int body_invalid; /* the multipart body could not be parsed */
  double t0;
  http_session_found session; /* what the lookup found for tucai_sid (session NULL: anonymous) */
  char new_csrf[72];          /* tucai_csrf cookie to set: the client had none, or not its session's */
  char signed_in[72];         /* session token the handler set in tucai_sid (resp_set_session_cookie) */
} req_ctx;

void *arena_alloc(req_ctx *c, size_t n);
void arena_free(req_ctx *c);

/* router.c */
struct http_router {
  http_route *routes;
  int n, cap;
};
/* Finds the route; returns it, or NULL with *method_mismatch set when the path exists. */
const http_route *router_match(const http_router *r, req_ctx *c, const char *method, const char *path,
                               int *method_mismatch);

/* response.c */
struct MHD_Response *resp_build(req_ctx *c);
void resp_reset(http_resp *r);
void resp_add_security_headers(struct MHD_Response *mr, const char *path);

/* static.c: prepares c->resp for a file under web_dir; returns 1 when the path names one. */
int static_serve(req_ctx *c, const char *web_dir, const char *path);
const char *mime_for(const char *path);

/* multipart.c */
int multipart_start(req_ctx *c);
int multipart_feed(req_ctx *c, const char *data, size_t len);
void multipart_finish(req_ctx *c);
void multipart_cleanup(req_ctx *c);

/* server.c */
const http_server_opts *http_server_options(const http_server *s);

/* metrics.c */
void metrics_observe(const char *method, const char *route, int status, double seconds);

#endif

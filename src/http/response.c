/* response.c: what handlers answer with, and turning it into an MHD response with the headers
 * every response carries (request id, security headers, the CSRF cookie for new clients). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/internal.h"
#include "util/xmalloc.h"

void resp_reset(http_resp *r) {
  free(r->body);
  free(r->mime);
  free(r->file_path);
  for (int i = 0; i < r->n_headers; i++) free(r->headers[i].name), free(r->headers[i].value);
  if (r->sse_free && r->sse_ctx) r->sse_free(r->sse_ctx);
  int status = r->status;
  memset(r, 0, sizeof *r);
  r->status = status ? status : 200;
}

static int set_body(http_resp *r, int status, const char *mime, const void *data, size_t len) {
  free(r->body);
  free(r->mime);
  r->status = status;
  r->mime = xstrdup(mime);
  r->body = xmalloc(len + 1);
  if (len) memcpy(r->body, data, len);
  r->body[len] = 0;
  r->len = len;
  r->queued = 1;
  return 0;
}

int resp_json(http_resp *r, int status, json_t *body) {
  char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(body);
  if (!text) text = xstrdup("null");
  set_body(r, status, "application/json; charset=utf-8", text, strlen(text));
  free(text);
  return 0;
}

int resp_bytes(http_resp *r, int status, const char *mime, const void *data, size_t len) {
  return set_body(r, status, mime, data, len);
}

int resp_file(http_resp *r, int status, const char *mime, const char *path) {
  free(r->file_path);
  free(r->mime);
  r->status = status;
  r->mime = xstrdup(mime);
  r->file_path = xstrdup(path);
  r->queued = 1;
  return 0;
}

int resp_error(http_resp *r, int status, const char *code, const char *message) {
  json_t *e = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message ? message : "");
  return resp_json(r, status, e);
}

void resp_header(http_resp *r, const char *name, const char *value) {
  if (r->n_headers >= (int)(sizeof r->headers / sizeof r->headers[0])) return;
  r->headers[r->n_headers].name = xstrdup(name);
  r->headers[r->n_headers].value = xstrdup(value);
  r->n_headers++;
}

int resp_sse(http_resp *r, http_sse_next next, void *ctx, void (*free_ctx)(void *)) {
  r->status = 200;
  r->sse_next = next;
  r->sse_ctx = ctx;
  r->sse_free = free_ctx;
  r->queued = 1;
  free(r->mime);
  r->mime = xstrdup("text/event-stream");
  return 0;
}

static int secure(const req_ctx *c) { return c && c->srv && http_server_options(c->srv)->secure_cookies; }

static void cookie(http_resp *r, http_req *req, const char *name, const char *value, int max_age, int http_only,
                   const char *same_site) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s=%s; Path=/; Max-Age=%d; SameSite=%s%s%s", name, value, max_age, same_site,
           http_only ? "; HttpOnly" : "", secure(req->priv) ? "; Secure" : "");
  resp_header(r, "Set-Cookie", buf);
}

void resp_set_session_cookie(http_resp *r, http_req *req, const char *token, int max_age_s) {
  cookie(r, req, "tucai_sid", token, max_age_s, 1, "Lax");
  req_ctx *c = req->priv;
  snprintf(c->signed_in, sizeof c->signed_in, "%s", token);
}

void resp_set_cookie(http_resp *r, http_req *req, const char *name, const char *value, int max_age_s) {
  cookie(r, req, name, value, max_age_s, 1, "Lax");
}

void resp_clear_session_cookie(http_resp *r, http_req *req) { cookie(r, req, "tucai_sid", "", 0, 1, "Lax"); }

void resp_add_security_headers(struct MHD_Response *mr, const char *path) {
  MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(mr, "Referrer-Policy", "same-origin");
  MHD_add_response_header(mr, "X-Frame-Options", "DENY");
  MHD_add_response_header(mr, "Cross-Origin-Opener-Policy", "same-origin");
  MHD_add_response_header(mr, "Permissions-Policy", "camera=(self), microphone=(), geolocation=()");
  /* Pages load only our own scripts and styles; images may be blob:/data: (camera preview).
   * One exception: WeChat's JS-SDK, that one file at the address WeChat documents (a path-exact
   * source, nothing else of res.wx.qq.com), which web/student/wx_subscribe.js loads only inside
   * WeChat to offer subscription messages. Not vendored: npm's weixin-js-sdk is a third party's
   * CommonJS re-upload of Tencent's code under an MIT licence Tencent never gave, frozen at one
   * version, while WeChat updates the file in place and its open tags check the client's SDK. */
  MHD_add_response_header(
      mr, "Content-Security-Policy",
      "default-src 'self'; script-src 'self' https://res.wx.qq.com/open/js/jweixin-1.6.0.js; style-src 'self'; img-src 'self' data: blob:; "
      "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
      "base-uri 'self'; form-action 'self'; frame-ancestors 'none'");
  (void)path;
}

typedef struct sse_state {
  http_sse_next next;
  void *ctx;
} sse_state;

/* Whether the client closed its end. MHD only notices when it writes, and a quiet stream writes
 * rarely: without this, a closed page would hold its stream (and its place under the caps) until
 * the next heartbeat. */
static int client_gone(req_ctx *c) {
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (!ci) return 0;
  char b;
  ssize_t n = recv(ci->connect_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static ssize_t sse_reader(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  req_ctx *c = cls;
  for (;;) {
    int n = c->resp.sse_next(c->resp.sse_ctx, buf, max);
    if (n < 0) return MHD_CONTENT_READER_END_OF_STREAM;
    if (n > 0) return n;
    if (client_gone(c)) return MHD_CONTENT_READER_END_WITH_ERROR;
  }
}

static ssize_t file_reader(void *cls, uint64_t pos, char *buf, size_t max) {
  int fd = (int)(intptr_t)cls;
  ssize_t n = pread(fd, buf, max, (off_t)pos);
  return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

static void file_close(void *cls) { close((int)(intptr_t)cls); }

struct MHD_Response *resp_build(req_ctx *c) {
  http_resp *r = &c->resp;
  struct MHD_Response *mr = NULL;
  if (r->sse_next) {
    mr = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_reader, c, NULL);
    MHD_add_response_header(mr, "Cache-Control", "no-store");
    MHD_add_response_header(mr, "X-Accel-Buffering", "no");
  } else if (r->file_path) {
    int fd = open(r->file_path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd >= 0 && fstat(fd, &sb) == 0) {
      mr = MHD_create_response_from_callback((uint64_t)sb.st_size, 64 * 1024, file_reader, (void *)(intptr_t)fd,
                                             file_close);
    } else {
      if (fd >= 0) close(fd);
      resp_reset(r);
      resp_error(r, 404, "not_found", "no such file");
    }
  }
  if (!mr) mr = MHD_create_response_from_buffer(r->len, r->body ? r->body : (char *)"", MHD_RESPMEM_MUST_COPY);
  if (r->mime) MHD_add_response_header(mr, "Content-Type", r->mime);
  for (int i = 0; i < r->n_headers; i++) MHD_add_response_header(mr, r->headers[i].name, r->headers[i].value);
  if (!MHD_get_response_header(mr, "Cache-Control")) MHD_add_response_header(mr, "Cache-Control", "no-store");
  MHD_add_response_header(mr, "X-Request-Id", c->req.request_id);
  resp_add_security_headers(mr, c->req.path);
  if (c->new_csrf[0]) {
    char buf[160];
    snprintf(buf, sizeof buf, "tucai_csrf=%s; Path=/; Max-Age=31536000; SameSite=Strict%s", c->new_csrf,
             secure(c) ? "; Secure" : "");
    MHD_add_response_header(mr, "Set-Cookie", buf);
  }
  return mr;
}

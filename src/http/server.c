/* server.c: the libmicrohttpd daemon and the life of one request.
 *
 * MHD calls access() several times per request: once with the headers, then with body chunks,
 * then once more with no data. Everything a route declares is checked on the first call (route,
 * method, body size and type, session, role, CSRF), so a refused request is answered before its
 * body is read. The handler runs on the last call. completed() logs, records metrics and frees.
 *
 * Threads: one per connection (MHD_USE_THREAD_PER_CONNECTION), so a slow upload or a
 * server-sent-event stream never blocks another client.
 *
 * Full: past opts.max_connections open connections, a request is answered 503 with Retry-After
 * and its connection closed, instead of MHD's silent close at its own limit (set a quarter
 * higher, so there is room to say so). Bodies: a body, chunked or not, is held to its route's
 * limit (multipart: max_upload plus 64 KiB in all, whatever the parts): 413 (upload_too_large,
 * body_too_large). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "http/internal.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xmalloc.h"

struct http_server {
  http_server_opts opts; /* web_dir and upload_dir are our copies */
  http_router router;
  struct MHD_Daemon *daemon;
  int port;
  pthread_mutex_t lock;
  int in_flight;
  int stopping;
  atomic_int open_connections;
};

http_server *http_server_new(const http_server_opts *opts) {
  http_server *s = xcalloc(1, sizeof *s);
  s->opts = *opts;
  s->opts.web_dir = opts->web_dir ? xstrdup(opts->web_dir) : NULL;
  s->opts.upload_dir = xstrdup(opts->upload_dir ? opts->upload_dir : "/tmp");
  pthread_mutex_init(&s->lock, NULL);
  return s;
}

const http_server_opts *http_server_options(const http_server *s) { return &s->opts; }

http_router *http_server_router(http_server *s) { return &s->router; }
int http_server_port(const http_server *s) { return s->port; }

static void random_hex(char *out, size_t bytes) {
  uint8_t raw[32];
  randombytes_buf(raw, bytes);
  sodium_bin2hex(out, bytes * 2 + 1, raw, bytes);
}

static int is_state_changing(const char *m) { return strcmp(m, "GET") && strcmp(m, "HEAD") && strcmp(m, "OPTIONS"); }

static int has_body(req_ctx *c) {
  const char *cl = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  const char *te = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
  return te || (cl && strtoull(cl, NULL, 10) > 0);
}

static enum MHD_Result queue(req_ctx *c) {
  struct MHD_Response *r = resp_build(c);
  enum MHD_Result ret = MHD_queue_response(c->conn, (unsigned)c->resp.status, r);
  MHD_destroy_response(r);
  return ret;
}

/* An answer decided from the headers alone (an error, a static file). With a body still unread
 * it goes out at once and MHD closes the connection instead of reading the body; without one it
 * goes out on the next call, which keeps the connection alive for the next request. */
static enum MHD_Result answer_early(req_ctx *c) {
  c->early_done = 1;
  c->resp.queued = 1;
  return has_body(c) ? queue(c) : MHD_YES;
}

static enum MHD_Result answer_error(req_ctx *c, int status, const char *code, const char *msg) {
  resp_reset(&c->resp);
  resp_error(&c->resp, status, code, msg);
  return answer_early(c);
}

/* The server is full: say so and close this connection, which frees a place. */
static enum MHD_Result answer_full(req_ctx *c) {
  c->req.route = "full";
  resp_reset(&c->resp);
  resp_error(&c->resp, 503, "server_busy", "服务器繁忙，请稍后再试");
  resp_header(&c->resp, "Retry-After", "5");
  resp_header(&c->resp, "Connection", "close");
  return answer_early(c);
}

/* A body grew past its limit while it was read (a chunked one announces no length). Try to
 * answer 413 at once and close; MHD before 1.0 (Debian 12 has 0.9.75) refuses a response while
 * the body is being read, so there the rest is read and thrown away and the 413 goes after it,
 * unless the body runs on past twice the limit plus 1 MiB: then the connection is closed without
 * an answer, so an endless body ties up nothing. */
static enum MHD_Result body_too_large(req_ctx *c) {
  if (!c->cut) {
    c->cut = c->too_large = 1;
    resp_reset(&c->resp);
    resp_error(&c->resp, 413, (c->route->flags & HTTP_BODY_MULTIPART) ? "upload_too_large" : "body_too_large",
               (c->route->flags & HTTP_BODY_MULTIPART) ? "文件过大" : "请求内容过大");
    resp_header(&c->resp, "Connection", "close");
    struct MHD_Response *r = resp_build(c);
    if (MHD_queue_response(c->conn, 413, r) == MHD_YES) c->early_done = 1, c->resp.queued = 1;
    MHD_destroy_response(r);
  }
  return c->body_seen / 2 > c->limit + (1 << 20) ? MHD_NO : MHD_YES;
}

static void find_client_ip(req_ctx *c) {
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  char ip[64] = "?";
  if (ci && ci->client_addr) {
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
      inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof ip);
    else if (sa->sa_family == AF_INET6)
      inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip, sizeof ip);
  }
  if (c->srv->opts.trust_proxy) {
    /* nginx appends the address it saw; the last entry is the one it vouches for. */
    const char *xff = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "X-Forwarded-For");
    if (xff && *xff) {
      const char *last = strrchr(xff, ',');
      last = last ? last + 1 : xff;
      while (*last == ' ') last++;
      if (strlen(last) < sizeof ip) snprintf(ip, sizeof ip, "%s", last);
    }
  }
  c->req.client_ip = arena_alloc(c, strlen(ip) + 1);
  strcpy((char *)c->req.client_ip, ip);
}

/* The live session a cookie token names: 1 and *out, 0 when none, -1 when the lookup failed. */
static int find_session(req_ctx *c, const char *token, http_session_found *out) {
  memset(out, 0, sizeof *out);
  if (!token || strlen(token) != 64 || !c->srv->opts.lookup_session) return 0;
  int found = c->srv->opts.lookup_session(c->srv->opts.ctx, &c->req, token, out);
  if (found > 0 && !out->session) found = 0;
  out->csrf[sizeof out->csrf - 1] = 0;
  return found;
}

static int load_session(req_ctx *c) {
  int found = find_session(c, req_cookie(&c->req, "tucai_sid"), &c->session);
  if (found > 0) c->req.session = c->session.session;
  return found < 0 ? -1 : 0;
}

/* CSRF. Without a session it is the double submit: the header equals the tucai_csrf cookie.
 * With one, the header must equal the session's own token, so a cookie planted from a sibling
 * subdomain is not enough; the tucai_csrf cookie follows the session's token (set on any response
 * where it differs, and on the response that signs in) so pages keep reading it from there. */
static int csrf_matches(const char *expected, const char *sent) {
  if (!expected || !sent) return 0;
  size_t n = strlen(expected);
  if (n < 32 || strlen(sent) != n) return 0; /* lengths first: never read past a short header */
  return sodium_memcmp(expected, sent, n) == 0;
}

static void follow_session_csrf(req_ctx *c, const char *token) {
  const char *cookie = req_cookie(&c->req, "tucai_csrf");
  if (cookie && !strcmp(cookie, token))
    c->new_csrf[0] = 0;
  else
    snprintf(c->new_csrf, sizeof c->new_csrf, "%s", token);
}

static int content_type_is(req_ctx *c, const char *want) {
  const char *ct = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
  return ct && !strncasecmp(ct, want, strlen(want));
}

/* First call: decide whether this request may go on to its body and handler. */
static enum MHD_Result admit(req_ctx *c, const char *method, const char *url) {
  http_server *s = c->srv;
  find_client_ip(c);
  const char *csrf = req_cookie(&c->req, "tucai_csrf");
  if (!csrf || strlen(csrf) < 32) random_hex(c->new_csrf, 16);

  int mismatch = 0;
  c->route = router_match(&s->router, c, method, url, &mismatch);
  if (!c->route) {
    if (mismatch) return answer_error(c, 405, "method_not_allowed", "method not allowed for this path");
    c->req.route = "static";
    if ((!strcmp(method, "GET") || !strcmp(method, "HEAD")) && strncmp(url, "/api/", 5) &&
        static_serve(c, s->opts.web_dir, url))
      return answer_early(c);
    c->req.route = "unknown";
    return answer_error(c, 404, "not_found", "no such resource");
  }
  c->req.route = c->route->pattern;
  int flags = c->route->flags;

  /* Body size and type, before reading any of it. */
  const char *cl = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  c->limit = flags & HTTP_BODY_MULTIPART ? s->opts.max_upload + 64 * 1024 : s->opts.max_body;
  if (cl && strtoull(cl, NULL, 10) > c->limit) return answer_error(c, 413, "body_too_large", "请求内容过大");
  if ((flags & HTTP_BODY_JSON) && is_state_changing(method) && !content_type_is(c, "application/json"))
    return answer_error(c, 415, "unsupported_media_type", "body must be application/json");
  if ((flags & HTTP_BODY_MULTIPART) && !content_type_is(c, "multipart/form-data"))
    return answer_error(c, 415, "unsupported_media_type", "body must be multipart/form-data");

  /* Who is asking, and may they. */
  if (load_session(c) < 0) return answer_error(c, 503, "store_unavailable", "服务暂时不可用，请稍后再试");
  if (c->req.session) follow_session_csrf(c, c->session.csrf);
  if (c->route->roles) {
    if (!c->req.session) return answer_error(c, 401, "unauthenticated", "请先登录");
    if (!(c->session.role & c->route->roles)) return answer_error(c, 403, "forbidden", "没有权限");
  }
  if (is_state_changing(method) && !(flags & HTTP_NO_CSRF) &&
      !csrf_matches(c->req.session ? c->session.csrf : csrf, req_header(&c->req, "X-CSRF-Token")))
    return answer_error(c, 403, "csrf_failed", "页面已过期，请刷新后重试");
  if ((flags & HTTP_BODY_MULTIPART) && multipart_start(c) < 0)
    return answer_error(c, 400, "invalid_multipart", "could not read the multipart body");
  return MHD_YES;
}

static int run_handler(req_ctx *c) {
  int flags = c->route->flags;
  if (c->too_large && (flags & HTTP_BODY_MULTIPART)) return err_set(&c->req.err, 413, "upload_too_large", "文件过大");
  if (c->too_large) return err_set(&c->req.err, 413, "body_too_large", "请求内容过大");
  if (flags & HTTP_BODY_MULTIPART) {
    multipart_finish(c);
    if (c->body_invalid) return err_set(&c->req.err, 400, "invalid_multipart", "上传内容格式有误");
  } else if (flags & (HTTP_BODY_JSON | HTTP_BODY_RAW)) {
    c->req.body = c->buf ? c->buf : "";
    c->req.body_len = c->buf_len;
  }
  if ((flags & HTTP_BODY_JSON) && is_state_changing(c->req.method)) {
    json_error_t je;
    json_t *j = json_loadb(c->buf ? c->buf : "", c->buf_len, JSON_REJECT_DUPLICATES, &je);
    if (!j) return err_set(&c->req.err, 400, "invalid_json", "malformed JSON at line %d: %s", je.line, je.text);
    if (!json_is_object(j) && !json_is_array(j)) {
      json_decref(j);
      return err_set(&c->req.err, 400, "invalid_json", "JSON body must be an object");
    }
    c->req.json = j;
  }
  return c->route->handler(&c->req, &c->resp);
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                 const char *version, const char *upload_data, size_t *upload_size, void **con_cls) {
  (void)version;
  http_server *s = cls;
  req_ctx *c = *con_cls;
  if (!c) {
    c = xcalloc(1, sizeof *c);
    c->conn = conn;
    c->srv = s;
    c->t0 = clock_mono_s();
    c->req.ctx = s->opts.ctx;
    c->req.priv = c;
    c->req.method = method;
    c->req.path = url;
    c->resp.status = 200;
    random_hex(c->req.request_id, 8);
    *con_cls = c;
    pthread_mutex_lock(&s->lock);
    s->in_flight++;
    pthread_mutex_unlock(&s->lock);
    int max = s->opts.max_connections > 0 ? s->opts.max_connections : 1000;
    if (atomic_load(&s->open_connections) > max) return answer_full(c);
    return admit(c, method, url);
  }
  if (c->early_done) {
    if (*upload_size) {
      *upload_size = 0; /* the answer is already queued; the body is not read */
      return MHD_YES;
    }
    return has_body(c) ? MHD_YES : queue(c);
  }
  if (*upload_size) {
    c->body_seen += *upload_size;
    if (c->body_seen > c->limit) {
      *upload_size = 0;
      return body_too_large(c);
    }
    if (c->route->flags & HTTP_BODY_MULTIPART) {
      multipart_feed(c, upload_data, *upload_size);
    } else {
      if (c->buf_len + *upload_size + 1 > c->buf_cap) {
        c->buf_cap = (c->buf_len + *upload_size + 1) * 2;
        if (c->buf_cap > c->limit + 1) c->buf_cap = c->limit + 1;
        c->buf = xrealloc(c->buf, c->buf_cap);
      }
      memcpy(c->buf + c->buf_len, upload_data, *upload_size);
      c->buf_len += *upload_size;
      c->buf[c->buf_len] = 0;
    }
    *upload_size = 0;
    return MHD_YES;
  }
  if (run_handler(c) < 0 || err_is_set(&c->req.err)) {
    if (!c->resp.queued || c->req.err.status) {
      int status = c->req.err.status ? c->req.err.status : 500;
      if (status >= 500) {
        /* The message may hold internal detail; log it, answer a plain one. */
        log_error("request failed", "rid", c->req.request_id, "route", c->req.route, "code", c->req.err.code, "detail",
                  c->req.err.message, NULL);
        resp_reset(&c->resp);
        resp_error(&c->resp, status, status == 503 ? c->req.err.code : "internal", "服务器内部错误，请稍后再试");
      } else {
        resp_reset(&c->resp);
        resp_error(&c->resp, status, c->req.err.code, c->req.err.message);
      }
    }
  }
  if (c->signed_in[0] && c->resp.status < 400) {
    /* The handler signed the client in: from now on its CSRF token is the new session's. */
    http_session_found s;
    if (find_session(c, c->signed_in, &s) > 0) follow_session_csrf(c, s.csrf);
  }
  struct MHD_Response *r = resp_build(c);
  enum MHD_Result ret = MHD_queue_response(conn, (unsigned)c->resp.status, r);
  MHD_destroy_response(r);
  return ret;
}

static void completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe) {
  (void)conn;
  http_server *s = cls;
  req_ctx *c = *con_cls;
  if (!c) return;
  double secs = clock_mono_s() - c->t0;
  metrics_observe(c->req.method, c->req.route ? c->req.route : "unknown", c->resp.status, secs);
  char status[8], ms[24];
  snprintf(status, sizeof status, "%d", c->resp.status);
  snprintf(ms, sizeof ms, "%.2f", secs * 1000);
  log_info("request", "rid", c->req.request_id, "method", c->req.method, "route",
           c->req.route ? c->req.route : "unknown", "status", status, "ms", ms,
           toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? NULL : "aborted", "1", NULL);
  if (c->req.json) json_decref(c->req.json);
  multipart_cleanup(c);
  free(c->buf);
  resp_reset(&c->resp);
  arena_free(c);
  free(c);
  *con_cls = NULL;
  pthread_mutex_lock(&s->lock);
  s->in_flight--;
  pthread_mutex_unlock(&s->lock);
}

static void connection_cb(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
  (void)conn, (void)socket_context;
  http_server *s = cls;
  if (code == MHD_CONNECTION_NOTIFY_STARTED)
    atomic_fetch_add(&s->open_connections, 1);
  else if (code == MHD_CONNECTION_NOTIFY_CLOSED)
    atomic_fetch_sub(&s->open_connections, 1);
}

static int parse_listen(const char *listen, struct sockaddr_in *sa, err_t *err) {
  char host[128];
  const char *colon = strrchr(listen, ':');
  if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host)
    return err_set(err, 400, "usage", "--listen must be HOST:PORT, got '%s'", listen);
  snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
  long port = strtol(colon + 1, NULL, 10);
  if (port < 0 || port > 65535) return err_set(err, 400, "usage", "bad port in --listen '%s'", listen);
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_port = htons((uint16_t)port);
  if (!strcmp(host, "localhost")) snprintf(host, sizeof host, "127.0.0.1");
  if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
    return err_set(err, 400, "usage", "--listen host must be an IPv4 address, got '%s'", host);
  return 0;
}

int http_server_start(http_server *s, const char *listen, err_t *err) {
  struct sockaddr_in sa;
  if (parse_listen(listen, &sa, err) < 0) return -1;
  unsigned max = s->opts.max_connections > 0 ? (unsigned)s->opts.max_connections : 1000;
  unsigned hard_limit = max + max / 4 + 16;
  /* Behind a proxy every connection comes from it: a per-address limit would cap the site. */
  unsigned per_ip = s->opts.trust_proxy || s->opts.per_ip_connections <= 0 ? 0 : (unsigned)s->opts.per_ip_connections;
  s->daemon = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG,
      0, NULL, NULL, access_cb, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED,
      completed_cb, s, MHD_OPTION_NOTIFY_CONNECTION, connection_cb, s, MHD_OPTION_CONNECTION_LIMIT, hard_limit,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
      MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_END);
  if (!s->daemon) return err_set(err, 0, "listen_failed", "cannot listen on %s", listen);
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  s->port = di ? di->port : ntohs(sa.sin_port);
  return 0;
}

void http_server_stop(http_server *s, int64_t grace_ms) {
  if (!s->daemon) return;
  /* Stop accepting first; requests already in flight run to the end within the grace. */
  MHD_socket fd = MHD_quiesce_daemon(s->daemon);
  if (fd != MHD_INVALID_SOCKET) close(fd);
  double until = clock_mono_s() + grace_ms / 1000.0;
  while (clock_mono_s() < until) {
    pthread_mutex_lock(&s->lock);
    int n = s->in_flight;
    pthread_mutex_unlock(&s->lock);
    if (n == 0) break;
    clock_sleep_ms(20);
  }
  MHD_stop_daemon(s->daemon);
  s->daemon = NULL;
}

void http_server_free(http_server *s) {
  if (!s) return;
  free(s->router.routes);
  free((char *)s->opts.web_dir);
  free((char *)s->opts.upload_dir);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

/* photos: the student's side of the collection workflow.
 *   POST /api/photos                       upload (multipart field "photo") -> 202 {attempt}
 *   GET  /api/photos/attempts/:id          one attempt: state, refusal, checks (poll until not "processing")
 *   GET  /api/photos/attempts/:id/:which   the image, "standardized" or "original" (own; staff: their school, audited)
 *   POST /api/photos/submit                {attempt_id, confirm_warnings} -> 201 {submission}
 *   GET  /api/status                       the student's status (待认证 ... 已寄出)
 *   GET  /api/student/events               server-sent events: "attempt" (preview ready), "status", "inbox" */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/number.h"
#include "app.h"
#include "collect/collect.h"
#include "notify/notify.h"
#include "photo/checks/checks.h"
#include "notify/watch.h"
#include "util/clock.h"
#include "util/image_type.h"
#include "util/xmalloc.h"

json_t *api_attempt_links(json_t *attempt) {
  json_t *has = json_object_get(attempt, "has_standardized");
  if (!has) return attempt;
  long long id = (long long)json_integer_value(json_object_get(attempt, "id"));
  char std_url[96], orig_url[96];
  snprintf(std_url, sizeof std_url, "/api/photos/attempts/%lld/standardized", id);
  snprintf(orig_url, sizeof orig_url, "/api/photos/attempts/%lld/original", id);
  int std = json_is_true(has);
  json_object_del(attempt, "has_standardized");
  json_object_set_new(attempt, "images",
                      json_pack("{s:s, s:s*}", "original", orig_url, "standardized", std ? std_url : NULL));
  return attempt;
}

json_t *api_status_links(json_t *status) {
  json_t *a = json_object_get(status, "attempt");
  if (json_is_object(a)) api_attempt_links(a);
  return status;
}

static int upload(http_req *req, http_resp *resp) {
  const http_upload *u = req_upload(req, "photo");
  if (!u) return err_set(&req->err, 400, "missing_file", "请选择要上传的照片（字段 photo）");
  db_t *db = api_db(req);
  if (!db) return -1;
  int64_t id = 0;
  json_t *a = NULL;
  if (collect_upload(&api_app(req)->collect, db, api_session(req)->user_id, u->path, u->size, &id, &req->err) == 0)
    a = collect_attempt_json(db, id, api_session(req)->user_id, &req->err);
  api_db_put(req, db);
  if (!a) return -1;
  return resp_json(resp, 202, json_pack("{s:o}", "attempt", api_attempt_links(a)));
}

static int attempt(http_req *req, http_resp *resp) {
  int64_t id = api_id_param(req, "id");
  if (id < 0) return err_set(&req->err, 404, "attempt_not_found", "照片记录不存在");
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *a = collect_attempt_json(db, id, api_session(req)->user_id, &req->err);
  api_db_put(req, db);
  if (!a) return -1;
  return resp_json(resp, 200, json_pack("{s:o}", "attempt", api_attempt_links(a)));
}

static int image(http_req *req, http_resp *resp) {
  int64_t id = api_id_param(req, "id");
  if (id < 0) return err_set(&req->err, 404, "photo_not_found", "照片不存在");
  collect_who who = {api_session(req)->role, api_session(req)->user_id, api_session(req)->school_id};
  db_t *db = api_db(req);
  if (!db) return -1;
  uint8_t *bytes = NULL;
  size_t len = 0;
  int rc = collect_attempt_image(api_app(req)->blobs, db, &who, id, req_param(req, "which"), &bytes, &len, &req->err);
  api_db_put(req, db);
  if (rc < 0) return -1;
  const char *mime = image_type_of(bytes, len);
  if (!mime) mime = "application/octet-stream";
  resp_header(resp, "Cache-Control", "private, no-store");
  resp_bytes(resp, 200, mime, bytes, len);
  free(bytes);
  return 0;
}

static int submit(http_req *req, http_resp *resp) {
  int64_t attempt_id = 0;
  int confirm = 0;
  json_field_int(req, "attempt_id", 0, 1, INT64_MAX, &attempt_id);
  json_field_bool(req, "confirm_warnings", 0, &confirm);
  if (err_is_set(&req->err)) return -1;
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *out = NULL;
  int rc = collect_submit(&api_app(req)->collect, db, api_session(req)->user_id, attempt_id, confirm, &out, &req->err);
  api_db_put(req, db);
  if (rc < 0) return -1;
  return resp_json(resp, 201, json_pack("{s:o}", "submission", out));
}

/* 撤回审核: the pending submission goes back to preview (same photo; resubmit or retake). */
static int withdraw(http_req *req, http_resp *resp) {
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *out = NULL;
  int rc = collect_withdraw(db, api_session(req)->user_id, &out, &req->err);
  api_db_put(req, db);
  if (rc < 0) return -1;
  return resp_json(resp, 200, json_pack("{s:o}", "withdrawn", out));
}

static int status(http_req *req, http_resp *resp) {
  db_t *db = api_db(req);
  if (!db) return -1;
  json_t *s = collect_status(db, api_session(req)->user_id, &req->err);
  if (s) json_object_set_new(s, "unread", json_integer(notify_unread(db, api_session(req)->user_id, &req->err)));
  api_db_put(req, db);
  if (!s) return -1;
  return resp_json(resp, 200, api_status_links(s));
}

/* ---- server-sent events ------------------------------------------------------------------- */

/* A stream reads the student's status and inbox when it starts and whenever the store's watcher
 * (notify/watch.h) says the account changed; in between it waits holding no store connection.
 * Streams are capped per account and per process (events_per_account, events_max_streams). */
typedef struct events {
  app *app;
  notify_watch_sub *sub;
  int64_t account;
  int64_t last_inbox;
  char *last_status; /* the last status sent, compact JSON, to send only changes */
  int must_read;     /* at the start, and after the watcher reported a change */
  double started;
  double last_beat;
  char *pending; /* what did not fit in the last buffer */
  size_t pending_len, pending_off;
} events;

static void events_free(void *p) {
  events *e = p;
  notify_watch_unsubscribe(e->sub);
  free(e->pending);
  free(e->last_status);
  free(e);
}

static void queue_event(events *e, const char *name, const char *data) {
  size_t n = strlen(name) + strlen(data) + 32; /* "event: \ndata: \n\n" and the NUL */
  char *buf = xmalloc(e->pending_len - e->pending_off + n);
  size_t keep = e->pending_len - e->pending_off;
  if (keep) memcpy(buf, e->pending + e->pending_off, keep);
  int w = snprintf(buf + keep, n, "event: %s\ndata: %s\n\n", name, data);
  free(e->pending);
  e->pending = buf, e->pending_len = keep + (size_t)w, e->pending_off = 0;
}

static int poll_changes(events *e) {
  err_t err = {0};
  db_t *db = store_get(e->app->store, &err);
  if (!db) return -1;
  /* The version first: a change after it is then either in what follows or wakes us again. */
  int64_t version = notify_watch_version(db, e->account, &err);
  if (err_is_set(&err)) {
    store_put(e->app->store, db);
    return -1;
  }
  notify_watch_seen(e->sub, version);
  json_t *st = api_status_links(collect_status(db, e->account, &err));
  json_t *inbox = st ? notify_inbox(db, e->account, e->last_inbox, 50, &err) : NULL;
  store_put(e->app->store, db);
  if (!st || !inbox) {
    json_decref(st);
    return -1;
  }
  char *s = json_dumps(st, JSON_COMPACT | JSON_SORT_KEYS);
  if (s && (!e->last_status || strcmp(s, e->last_status))) {
    free(e->last_status);
    e->last_status = xstrdup(s);
    json_t *att = json_object_get(st, "attempt");
    if (json_is_object(att)) {
      char *a = json_dumps(att, JSON_COMPACT);
      queue_event(e, "attempt", a);
      free(a);
    }
    queue_event(e, "status", s);
  }
  free(s);
  size_t i;
  json_t *m;
  json_array_foreach(inbox, i, m) {
    e->last_inbox = (int64_t)json_integer_value(json_object_get(m, "id"));
    char *x = json_dumps(m, JSON_COMPACT);
    queue_event(e, "inbox", x);
    free(x);
  }
  json_decref(inbox);
  json_decref(st);
  return 0;
}

static int events_next(void *ctx, char *buf, size_t max) {
  events *e = ctx;
  for (;;) {
    if (e->pending_off < e->pending_len) {
      size_t n = e->pending_len - e->pending_off;
      if (n > max) n = max;
      memcpy(buf, e->pending + e->pending_off, n);
      e->pending_off += n;
      return (int)n;
    }
    double now = clock_mono_s();
    /* Streams end after a while; browsers reconnect (EventSource) and get the current state,
     * which also brings what no trigger records (a batch window that opened or closed). */
    if (now - e->started > 55) return -1;
    if (e->must_read) {
      e->must_read = 0;
      if (poll_changes(e) < 0) return -1;
      if (e->pending_off < e->pending_len) continue;
    }
    if (now - e->last_beat >= 15) {
      e->last_beat = now;
      queue_event(e, "ping", "{}");
      continue;
    }
    /* Wait in slices of a second: between them the server sees whether the page was closed. */
    double until = e->last_beat + 15;
    if (until > e->started + 55.5) until = e->started + 55.5;
    if (until > now + 1) until = now + 1;
    int woke = notify_watch_wait(e->sub, until);
    if (woke < 0) return -1; /* the server is stopping */
    if (woke == 0) return 0;
    e->must_read = 1;
  }
}

static int events_route(http_req *req, http_resp *resp) {
  app *a = api_app(req);
  int64_t account = api_session(req)->user_id;
  notify_watch_sub *sub = NULL;
  int rc = a->watch ? notify_watch_subscribe(a->watch, account, &sub) : NOTIFY_WATCH_FULL;
  if (rc == NOTIFY_WATCH_ACCOUNT_FULL) {
    resp_header(resp, "Retry-After", "30");
    return resp_error(resp, 429, "too_many_streams", "你在太多页面上打开了进度提醒，请关闭其他页面后再试");
  }
  if (rc < 0) {
    resp_header(resp, "Retry-After", "10");
    return resp_error(resp, 503, "server_busy", "服务器繁忙，请稍后再试");
  }
  events *e = xcalloc(1, sizeof *e);
  e->app = a;
  e->sub = sub;
  e->account = account;
  e->must_read = 1;
  /* ?after=N, else the browser's Last-Event-ID when it reconnects; one that is not ours counts as 0. */
  const char *after = req_query(req, "after");
  if (!after) after = req_header(req, "Last-Event-ID");
  if (!after || parse_int64(after, 0, INT64_MAX, &e->last_inbox) < 0) e->last_inbox = 0;
  e->started = e->last_beat = clock_mono_s();
  resp_header(resp, "Cache-Control", "no-store");
  return resp_sse(resp, events_next, e, events_free);
}

/* The automatic checks as the pages name them (photo/checks/check_catalog.c): public, like the
 * rules page that lists them; nothing personal. */
static int check_catalog(http_req *req, http_resp *resp) {
  (void)req;
  resp_header(resp, "Cache-Control", "public, max-age=3600");
  return resp_json(resp, 200, json_pack("{s:o}", "checks", photo_check_catalog_json()));
}

void api_photos_routes(http_router *r) {
  static const http_route routes[] = {
      {"POST", "/api/photos", upload, ROLE_STUDENT, HTTP_BODY_MULTIPART},
      {"GET", "/api/photos/attempts/:id", attempt, ROLE_STUDENT, 0},
      {"GET", "/api/photos/attempts/:id/:which", image, ROLE_ANY_USER, 0},
      {"POST", "/api/photos/submit", submit, ROLE_STUDENT, HTTP_BODY_JSON},
      {"POST", "/api/photos/withdraw", withdraw, ROLE_STUDENT, HTTP_BODY_JSON},
      {"GET", "/api/status", status, ROLE_STUDENT, 0},
      {"GET", "/api/student/events", events_route, ROLE_STUDENT, 0},
      {"GET", "/api/photo-checks", check_catalog, 0, 0},
  };
  router_add_all(r, routes, sizeof routes / sizeof routes[0]);
}

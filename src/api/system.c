/* system: health, metrics and the CSRF token. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "notify/watch.h"

static int healthz(http_req *req, http_resp *resp) {
  /* Healthy means the store answers: a node that lost its database should leave the pool. */
  db_t *db = api_db(req);
  if (!db) return err_set(&req->err, 503, "store_unavailable", "database unavailable");
  err_t err = {0};
  int64_t one = db_int(db, &err, 0, "SELECT 1");
  api_db_put(req, db);
  if (one != 1) return err_set(&req->err, 503, "store_unavailable", "database unavailable");
  return resp_json(resp, 200, json_pack("{s:s}", "status", "ok"));
}

/* The server's request metrics, then the job queue's depth by state (all nodes, from the store)
 * and this process's busy workers. */
static int metrics(http_req *req, http_resp *resp) {
  app *a = api_app(req);
  int64_t queued = 0, running = 0, failed = 0;
  err_t err = {0};
  db_t *db = store_get(a->store, &err);
  if (db) {
    jobs_counts(db, &queued, &running, &failed, &err);
    store_put(a->store, db);
  }
  char *http = http_metrics_render();
  char jobs[1024];
  int n = snprintf(jobs, sizeof jobs,
                   "# HELP tucai_jobs Jobs in the queue by state (all nodes).\n# TYPE tucai_jobs gauge\n"
                   "tucai_jobs{state=\"queued\"} %lld\ntucai_jobs{state=\"running\"} %lld\n"
                   "tucai_jobs{state=\"failed\"} %lld\n"
                   "# HELP tucai_workers_busy Job workers of this process running a job.\n"
                   "# TYPE tucai_workers_busy gauge\ntucai_workers_busy %d\n"
                   "# HELP tucai_store_statements_total Statements this process ran on the store.\n"
                   "# TYPE tucai_store_statements_total counter\ntucai_store_statements_total %llu\n"
                   "# HELP tucai_event_streams Event streams open in this process.\n"
                   "# TYPE tucai_event_streams gauge\ntucai_event_streams %d\n"
                   "# HELP tucai_event_watch_polls_total Store polls of the event streams' watcher.\n"
                   "# TYPE tucai_event_watch_polls_total counter\ntucai_event_watch_polls_total %llu\n",
                   (long long)queued, (long long)running, (long long)failed, jobs_pool_busy(a->jobs),
                   (unsigned long long)store_statements_total(), notify_watch_streams(a->watch),
                   (unsigned long long)notify_watch_polls(a->watch));
  size_t hl = strlen(http), jl = n > 0 && (size_t)n < sizeof jobs ? (size_t)n : 0;
  char *text = malloc(hl + jl + 1);
  memcpy(text, http, hl);
  memcpy(text + hl, jobs, jl);
  text[hl + jl] = 0;
  free(http);
  resp_bytes(resp, 200, "text/plain; version=0.0.4; charset=utf-8", text, hl + jl);
  free(text);
  return 0;
}

static int csrf(http_req *req, http_resp *resp) {
  const char *t = req_csrf_token(req);
  return resp_json(resp, 200, json_pack("{s:s}", "csrf", t ? t : ""));
}

void api_system_routes(http_router *r) {
  static const http_route routes[] = {
      {"GET", "/healthz", healthz, 0, 0},
      {"GET", "/metrics", metrics, 0, 0},
      {"GET", "/api/csrf", csrf, 0, 0},
  };
  router_add_all(r, routes, sizeof routes / sizeof routes[0]);
}

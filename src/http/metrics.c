/* metrics.c: the server's part of GET /metrics as Prometheus text: requests and latency
 * histogram per route and method, status classes. Counters live in memory per process (each
 * node is scraped on its own). The application adds its own gauges (api/system.c). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/internal.h"
#include "util/xmalloc.h"

#define MAX_SERIES 256
static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define N_BUCKETS (sizeof buckets / sizeof buckets[0])

typedef struct series {
  char method[8];
  char route[96];
  uint64_t count, by_class[6], in_bucket[N_BUCKETS];
  double sum;
} series;

static series table[MAX_SERIES];
static int n_series;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void metrics_observe(const char *method, const char *route, int status, double seconds) {
  pthread_mutex_lock(&lock);
  series *s = NULL;
  for (int i = 0; i < n_series; i++)
    if (!strcmp(table[i].route, route) && !strcmp(table[i].method, method)) s = &table[i];
  if (!s && n_series < MAX_SERIES) {
    s = &table[n_series++];
    snprintf(s->method, sizeof s->method, "%s", method);
    snprintf(s->route, sizeof s->route, "%s", route);
  }
  if (s) {
    s->count++;
    s->sum += seconds;
    int cls = status / 100;
    if (cls >= 1 && cls <= 5) s->by_class[cls]++;
    for (size_t b = 0; b < N_BUCKETS; b++)
      if (seconds <= buckets[b]) s->in_bucket[b]++;
  }
  pthread_mutex_unlock(&lock);
}

typedef struct out {
  char *p;
  size_t n, cap;
} out;

static void put(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out *o, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(o->p + o->n, o->cap - o->n, fmt, ap);
    va_end(ap);
    if ((size_t)k < o->cap - o->n) {
      o->n += (size_t)k;
      return;
    }
    o->cap = o->cap * 2 + (size_t)k;
    o->p = xrealloc(o->p, o->cap);
  }
}

char *http_metrics_render(void) {
  out o = {xmalloc(4096), 0, 4096};
  o.p[0] = 0;
  put(&o,
      "# HELP tucai_http_requests_total HTTP requests by route, method and status class.\n"
      "# TYPE tucai_http_requests_total counter\n");
  pthread_mutex_lock(&lock);
  for (int i = 0; i < n_series; i++)
    for (int c = 1; c <= 5; c++)
      if (table[i].by_class[c])
        put(&o, "tucai_http_requests_total{route=\"%s\",method=\"%s\",status=\"%dxx\"} %llu\n", table[i].route,
            table[i].method, c, (unsigned long long)table[i].by_class[c]);
  put(&o,
      "# HELP tucai_http_request_duration_seconds Request latency by route and method.\n"
      "# TYPE tucai_http_request_duration_seconds histogram\n");
  for (int i = 0; i < n_series; i++) {
    series *s = &table[i];
    for (size_t b = 0; b < N_BUCKETS; b++)
      put(&o, "tucai_http_request_duration_seconds_bucket{route=\"%s\",method=\"%s\",le=\"%g\"} %llu\n", s->route,
          s->method, buckets[b], (unsigned long long)s->in_bucket[b]);
    put(&o, "tucai_http_request_duration_seconds_bucket{route=\"%s\",method=\"%s\",le=\"+Inf\"} %llu\n", s->route,
        s->method, (unsigned long long)s->count);
    put(&o, "tucai_http_request_duration_seconds_sum{route=\"%s\",method=\"%s\"} %.6f\n", s->route, s->method, s->sum);
    put(&o, "tucai_http_request_duration_seconds_count{route=\"%s\",method=\"%s\"} %llu\n", s->route, s->method,
        (unsigned long long)s->count);
  }
  pthread_mutex_unlock(&lock);
  return o.p;
}

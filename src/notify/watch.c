/* watch.c: the watcher thread and the registry of event streams (see watch.h).
 *
 * Finding changes: `student_changes.changed_at` is the database's clock at the change, and a
 * transaction may commit a little after it wrote that. So each poll reads every row changed since
 * the newest time seen minus LOOKBACK_MS, and a row wakes a stream only when its version differs
 * from the one that stream last saw: rows read twice cost nothing, late commits are not lost. */
#include "notify/watch.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "util/clock.h"
#include "util/log.h"
#include "util/xmalloc.h"

#define LOOKBACK_MS 5000

struct notify_watch_sub {
  notify_watch *w;
  int64_t account_id;
  int64_t version; /* the account's version last reported to this stream; -1 none yet */
  int changed;     /* a change not yet reported by notify_watch_wait */
  pthread_cond_t wake;
  notify_watch_sub *prev, *next;
};

struct notify_watch {
  store_t *store;
  int interval_ms, max_streams, max_per_account;
  pthread_mutex_t lock;
  pthread_cond_t tick; /* the thread's own sleep, cut short by stop */
  pthread_t thread;
  int stopping;
  notify_watch_sub *subs;
  int n_subs;
  uint64_t polls;
  int64_t since; /* read rows with changed_at >= since; INT64_MIN: not known yet */
};

static void cond_init_mono(pthread_cond_t *c) {
  pthread_condattr_t a;
  pthread_condattr_init(&a);
  pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
  pthread_cond_init(c, &a);
  pthread_condattr_destroy(&a);
}

/* Waits on c until the monotonic time `until` (seconds, clock_mono_s). */
static void cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, double until) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  double left = until - clock_mono_s();
  if (left <= 0) return;
  if (left > 3600) left = 3600;
  long long ns = (long long)ts.tv_nsec + (long long)((left - (long long)left) * 1e9);
  ts.tv_sec += (time_t)left + (time_t)(ns / 1000000000LL);
  ts.tv_nsec = (long)(ns % 1000000000LL);
  pthread_cond_timedwait(c, m, &ts);
}

/* One poll: which accounts changed lately, then wake their streams. Runs without the lock while
 * it talks to the store. */
static void poll_once(notify_watch *w) {
  err_t err = {0};
  db_t *db = store_get(w->store, &err);
  if (!db) {
    log_warn("event watcher: no store connection", "detail", err.message, NULL);
    return;
  }
  pthread_mutex_lock(&w->lock);
  int64_t since = w->since;
  pthread_mutex_unlock(&w->lock);
  if (since == INT64_MIN) {
    since = db_int(db, &err, 0, "SELECT COALESCE(MAX(changed_at), 0) FROM student_changes") - LOOKBACK_MS;
    if (err_is_set(&err)) since = INT64_MIN;
  }
  db_res *r =
      since == INT64_MIN
          ? NULL
          : db_query(db, &err, "SELECT account_id, version, changed_at FROM student_changes WHERE changed_at >= $1",
                     DB_INT(since));
  store_put(w->store, db);
  if (!r) {
    log_warn("event watcher: poll failed", "detail", err.message, NULL);
    return;
  }
  pthread_mutex_lock(&w->lock);
  w->polls++;
  int64_t newest = since + LOOKBACK_MS;
  /* The loop reads many rows: each column is looked up once. */
  int c_account_id = db_res_col(r, "account_id"), c_version = db_res_col(r, "version");
  int c_changed_at = db_res_col(r, "changed_at");
  for (int i = 0, n = db_res_rows(r); i < n; i++) {
    int64_t account = db_res_int(r, i, c_account_id), version = db_res_int(r, i, c_version),
            at = db_res_int(r, i, c_changed_at);
    if (at > newest) newest = at;
    for (notify_watch_sub *s = w->subs; s; s = s->next) {
      if (s->account_id != account || version <= s->version) continue;
      s->version = version;
      s->changed = 1;
      pthread_cond_signal(&s->wake);
    }
  }
  w->since = newest - LOOKBACK_MS;
  pthread_mutex_unlock(&w->lock);
  db_res_free(r);
}

static void *watch_main(void *arg) {
  notify_watch *w = arg;
  pthread_mutex_lock(&w->lock);
  while (!w->stopping) {
    int busy = w->n_subs > 0;
    pthread_mutex_unlock(&w->lock);
    if (busy) poll_once(w);
    pthread_mutex_lock(&w->lock);
    if (!w->stopping) cond_wait_until(&w->tick, &w->lock, clock_mono_s() + w->interval_ms / 1000.0);
  }
  pthread_mutex_unlock(&w->lock);
  return NULL;
}

notify_watch *notify_watch_start(store_t *st, int interval_ms, int max_streams, int max_per_account) {
  notify_watch *w = xcalloc(1, sizeof *w);
  w->store = st;
  w->interval_ms = interval_ms > 10 ? interval_ms : 10;
  w->max_streams = max_streams;
  w->max_per_account = max_per_account;
  w->since = INT64_MIN;
  pthread_mutex_init(&w->lock, NULL);
  cond_init_mono(&w->tick);
  if (pthread_create(&w->thread, NULL, watch_main, w) != 0) abort();
  return w;
}

void notify_watch_stop(notify_watch *w) {
  if (!w) return;
  pthread_mutex_lock(&w->lock);
  if (w->stopping) {
    pthread_mutex_unlock(&w->lock);
    return;
  }
  w->stopping = 1;
  pthread_cond_signal(&w->tick);
  for (notify_watch_sub *s = w->subs; s; s = s->next) pthread_cond_signal(&s->wake);
  pthread_mutex_unlock(&w->lock);
  pthread_join(w->thread, NULL);
}

void notify_watch_free(notify_watch *w) {
  if (!w) return;
  notify_watch_stop(w);
  pthread_cond_destroy(&w->tick);
  pthread_mutex_destroy(&w->lock);
  free(w);
}

int notify_watch_subscribe(notify_watch *w, int64_t account_id, notify_watch_sub **out) {
  *out = NULL;
  pthread_mutex_lock(&w->lock);
  int mine = 0;
  for (notify_watch_sub *s = w->subs; s; s = s->next) mine += s->account_id == account_id;
  int rc = 0;
  if (w->max_per_account > 0 && mine >= w->max_per_account)
    rc = NOTIFY_WATCH_ACCOUNT_FULL;
  else if (w->stopping || (w->max_streams > 0 && w->n_subs >= w->max_streams))
    rc = NOTIFY_WATCH_FULL;
  if (rc == 0) {
    notify_watch_sub *s = xcalloc(1, sizeof *s);
    s->w = w;
    s->account_id = account_id;
    s->version = -1;
    cond_init_mono(&s->wake);
    s->next = w->subs;
    if (w->subs) w->subs->prev = s;
    w->subs = s;
    w->n_subs++;
    *out = s;
  }
  pthread_mutex_unlock(&w->lock);
  return rc;
}

void notify_watch_unsubscribe(notify_watch_sub *s) {
  if (!s) return;
  notify_watch *w = s->w;
  pthread_mutex_lock(&w->lock);
  if (s->prev)
    s->prev->next = s->next;
  else
    w->subs = s->next;
  if (s->next) s->next->prev = s->prev;
  w->n_subs--;
  pthread_mutex_unlock(&w->lock);
  pthread_cond_destroy(&s->wake);
  free(s);
}

int notify_watch_wait(notify_watch_sub *s, double until) {
  notify_watch *w = s->w;
  pthread_mutex_lock(&w->lock);
  while (!s->changed && !w->stopping && clock_mono_s() < until) cond_wait_until(&s->wake, &w->lock, until);
  int rc = w->stopping ? -1 : s->changed ? 1 : 0;
  s->changed = 0;
  pthread_mutex_unlock(&w->lock);
  return rc;
}

int64_t notify_watch_version(db_t *db, int64_t account_id, err_t *err) {
  return db_int(db, err, 0, "SELECT version FROM student_changes WHERE account_id = $1", DB_INT(account_id));
}

void notify_watch_seen(notify_watch_sub *s, int64_t version) {
  if (!s) return;
  pthread_mutex_lock(&s->w->lock);
  /* A change the watcher reported before this read is covered by it. */
  if (version >= s->version) s->changed = 0;
  if (version > s->version) s->version = version;
  pthread_mutex_unlock(&s->w->lock);
}

int notify_watch_streams(notify_watch *w) {
  if (!w) return 0;
  pthread_mutex_lock(&w->lock);
  int n = w->n_subs;
  pthread_mutex_unlock(&w->lock);
  return n;
}

uint64_t notify_watch_polls(notify_watch *w) {
  if (!w) return 0;
  pthread_mutex_lock(&w->lock);
  uint64_t n = w->polls;
  pthread_mutex_unlock(&w->lock);
  return n;
}

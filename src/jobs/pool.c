/* pool.c: worker threads that claim and run jobs, plus one heartbeat thread that keeps the
 * leases of running jobs alive. A job handler runs on a worker thread with a borrowed store
 * connection; the heartbeat uses its own connection so a long handler never loses its lease. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/jobs.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xmalloc.h"

#define MAX_KINDS 64
#define POLL_MS 500

static job_kind kinds[MAX_KINDS];
static void *kind_ctx[MAX_KINDS]; /* what each kind's handler receives */
static int n_kinds;

void jobs_register(const job_kind *kind, void *ctx) {
  for (int i = 0; i < n_kinds; i++)
    if (!strcmp(kinds[i].type, kind->type)) {
      kinds[i] = *kind;
      kind_ctx[i] = ctx;
      return;
    }
  if (n_kinds < MAX_KINDS) kind_ctx[n_kinds] = ctx, kinds[n_kinds++] = *kind;
}

const job_kind *jobs_kind(const char *type) {
  for (int i = 0; i < n_kinds; i++)
    if (!strcmp(kinds[i].type, type)) return &kinds[i];
  return NULL;
}

typedef struct worker {
  struct jobs_pool *pool;
  pthread_t thread;
  char name[80];
  int busy;
  job current; /* valid while busy; guarded by pool->lock */
  int64_t lease_ms;
} worker;

struct jobs_pool {
  store_t *store;
  int n;
  worker *workers;
  pthread_t heartbeat;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  int stopping;
  int busy;
  int64_t default_lease_ms;
  const char *types[MAX_KINDS + 1];
};

static void wait_ms(jobs_pool *p, int64_t ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (ms % 1000) * 1000000;
  if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
  pthread_mutex_lock(&p->lock);
  if (!p->stopping) pthread_cond_timedwait(&p->wake, &p->lock, &ts);
  pthread_mutex_unlock(&p->lock);
}

static void run_one(db_t *db, job *j) {
  const job_kind *k = jobs_kind(j->type);
  err_t err = {0};
  char id[24];
  snprintf(id, sizeof id, "%lld", (long long)j->id);
  double t0 = clock_mono_s();
  if (!k) {
    /* Claimed only registered types, so this means a newer node enqueued a type we lack. */
    jobs_release(db, j, &err);
    return;
  }
  int rc = k->handler(kind_ctx[k - kinds], db, j, &err);
  db_rollback(db); /* a handler that failed half way leaves nothing behind */
  if (rc == 0 && !k->completes_itself) rc = jobs_complete(db, j, &err);
  char ms[24];
  snprintf(ms, sizeof ms, "%.1f", (clock_mono_s() - t0) * 1000);
  if (rc == 0) {
    log_info("job done", "job", id, "type", j->type, "ms", ms, NULL);
    return;
  }
  if (!strcmp(err.code, "lease_lost")) {
    log_warn("job lease lost; another worker has it", "job", id, "type", j->type, NULL);
    err_t e2 = {0};
    jobs_fail(db, j, "lease lost", &e2); /* records the run; changes nothing else */
    return;
  }
  if (err.status == 422) j->attempts = j->max_attempts; /* permanent: do not retry */
  err_t e2 = {0};
  jobs_fail(db, j, err.code[0] ? err.code : "failed", &e2);
  log_warn("job failed", "job", id, "type", j->type, "code", err.code, "ms", ms, NULL);
}

static void *worker_main(void *arg) {
  worker *w = arg;
  jobs_pool *p = w->pool;
  for (;;) {
    pthread_mutex_lock(&p->lock);
    int stop = p->stopping;
    pthread_mutex_unlock(&p->lock);
    if (stop) break;
    err_t err = {0};
    db_t *db = store_get(p->store, &err);
    if (!db) {
      wait_ms(p, POLL_MS);
      continue;
    }
    job j;
    int got = jobs_claim(db, w->name, p->types, p->default_lease_ms, &j, &err);
    if (got == 1) {
      const job_kind *k = jobs_kind(j.type);
      w->lease_ms = k && k->lease_ms ? k->lease_ms : p->default_lease_ms;
      /* The claim used the default lease (the kind was not known yet); a kind with its own
       * lease gets it now, so a crash mid-job is noticed after that kind's lease. */
      if (w->lease_ms != p->default_lease_ms) jobs_heartbeat(db, &j, w->lease_ms, &err);
      pthread_mutex_lock(&p->lock);
      w->current = j;
      w->busy = 1;
      p->busy++;
      pthread_mutex_unlock(&p->lock);
      run_one(db, &j);
      pthread_mutex_lock(&p->lock);
      w->busy = 0;
      p->busy--;
      pthread_mutex_unlock(&p->lock);
      job_clear(&j);
      store_put(p->store, db);
      continue; /* there may be more due at once */
    }
    store_put(p->store, db);
    if (got < 0) log_warn("job claim failed", "code", err.code, NULL);
    wait_ms(p, POLL_MS);
  }
  return NULL;
}

static void *heartbeat_main(void *arg) {
  jobs_pool *p = arg;
  for (;;) {
    pthread_mutex_lock(&p->lock);
    int stop = p->stopping && p->busy == 0;
    pthread_mutex_unlock(&p->lock);
    if (stop) break;
    err_t err = {0};
    db_t *db = store_get(p->store, &err);
    if (db) {
      for (int i = 0; i < p->n; i++) {
        pthread_mutex_lock(&p->lock);
        worker *w = &p->workers[i];
        job snap = w->busy ? w->current : (job){0};
        int64_t lease = w->lease_ms;
        pthread_mutex_unlock(&p->lock);
        if (!snap.id) continue;
        /* Renew once a third of the lease has passed. */
        if (snap.lease_until_ms - clock_now_ms() < lease * 2 / 3) {
          err_t e = {0};
          if (jobs_heartbeat(db, &snap, lease, &e) == 0) {
            pthread_mutex_lock(&p->lock);
            if (w->busy && w->current.id == snap.id) w->current.lease_until_ms = snap.lease_until_ms;
            pthread_mutex_unlock(&p->lock);
          }
        }
      }
      store_put(p->store, db);
    }
    wait_ms(p, 1000);
  }
  return NULL;
}

jobs_pool *jobs_pool_start(store_t *store, int n, const char *node, int64_t lease_ms, err_t *err) {
  jobs_pool *p = xcalloc(1, sizeof *p);
  p->store = store;
  p->n = n;
  p->default_lease_ms = lease_ms;
  if (p->default_lease_ms <= 0) p->default_lease_ms = 60000;
  for (int i = 0; i < n_kinds; i++) p->types[i] = kinds[i].type;
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->wake, NULL);
  p->workers = xcalloc((size_t)(n > 0 ? n : 1), sizeof *p->workers);
  for (int i = 0; i < n; i++) {
    worker *w = &p->workers[i];
    w->pool = p;
    snprintf(w->name, sizeof w->name, "%s/w%d", node, i);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
      err_set(err, 0, "jobs", "cannot start worker thread");
      p->n = i;
      pthread_create(&p->heartbeat, NULL, heartbeat_main, p);
      jobs_pool_stop(p, 0);
      return NULL;
    }
  }
  pthread_create(&p->heartbeat, NULL, heartbeat_main, p);
  return p;
}

void jobs_pool_kick(jobs_pool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->lock);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
}

int jobs_pool_busy(const jobs_pool *p) { return p ? p->busy : 0; }

int jobs_pool_stop(jobs_pool *p, int64_t grace_ms) {
  if (!p) return 0;
  pthread_mutex_lock(&p->lock);
  p->stopping = 1;
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
  double until = clock_mono_s() + grace_ms / 1000.0;
  while (clock_mono_s() < until) {
    pthread_mutex_lock(&p->lock);
    int busy = p->busy;
    pthread_mutex_unlock(&p->lock);
    if (!busy) break;
    clock_sleep_ms(50);
  }
  /* Jobs still running after the grace: hand them back so another process starts them now. */
  err_t err = {0};
  db_t *db = store_get(p->store, &err);
  int abandoned = 0;
  for (int i = 0; i < p->n && db; i++) {
    pthread_mutex_lock(&p->lock);
    worker *w = &p->workers[i];
    job snap = w->busy ? w->current : (job){0};
    pthread_mutex_unlock(&p->lock);
    if (snap.id) {
      jobs_release(db, &snap, &err);
      abandoned = 1;
    }
  }
  if (db) store_put(p->store, db);
  if (abandoned) {
    /* Those threads are inside a handler; leave them (the process is exiting). */
    log_warn("jobs released at shutdown", NULL);
    return 1;
  }
  for (int i = 0; i < p->n; i++) pthread_join(p->workers[i].thread, NULL);
  pthread_join(p->heartbeat, NULL);
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->wake);
  free(p->workers);
  free(p);
  return 0;
}

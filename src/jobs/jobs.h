/* jobs: a durable job queue kept in the store, shared by every process on the same database.
 *
 * Life of a job: queued -> running (claimed with a lease) -> done | queued again (retry with
 * exponential backoff) | failed (after max_attempts, visible to operators). A worker that dies
 * simply stops heartbeating; its lease expires and another worker claims the job again.
 *
 * Exactly once. Each claim gets a fresh lease token. A handler does its work and then records
 * its result and the job's completion in ONE transaction (jobs_complete_in(db, job) inside the
 * handler's own transaction, or jobs_complete afterwards when the work is idempotent). A worker
 * whose lease was lost cannot complete: the token no longer matches, its transaction is rolled
 * back, and the effect happens once, by the worker that holds the lease.
 *
 * Claims: SQLite serialises writers (BEGIN IMMEDIATE); PostgreSQL uses FOR UPDATE SKIP LOCKED so
 * that several `tucai serve` processes claim different jobs concurrently.
 *
 * Every run is recorded in job_runs (job, worker, start, end, outcome) for operators. */
#ifndef TUCAI_JOBS_JOBS_H
#define TUCAI_JOBS_JOBS_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

typedef struct job {
  int64_t id;
  char type[64];
  json_t *payload; /* owned by the job */
  int attempts;    /* including this one */
  int max_attempts;
  char lease_token[40];
  int64_t lease_until_ms;
  char worker[64];
} job;

typedef struct jobs_enqueue_opts {
  int max_attempts;       /* 0 = default (5) */
  int64_t run_at_ms;      /* 0 = now */
  const char *dedupe_key; /* optional: at most one queued/running job with this key */
} jobs_enqueue_opts;

/* Enqueues a job on `db` (inside the caller's transaction if one is open). Returns the id.
 * The payload is borrowed, not stolen: the caller still owns (and frees) it. */
int64_t jobs_enqueue(db_t *db, const char *type, json_t *payload, const jobs_enqueue_opts *opts, err_t *err);

/* Claims the next due job of one of `types` (NULL = any type). Returns 1 and fills `out`, 0 when
 * nothing is due, -1 on error. The lease lasts lease_ms. */
int jobs_claim(db_t *db, const char *worker, const char *const *types, int64_t lease_ms, job *out, err_t *err);
/* Extends the lease. Returns 0, or -1 with err code "lease_lost" when another worker owns it. */
int jobs_heartbeat(db_t *db, job *j, int64_t lease_ms, err_t *err);
/* Marks the job done, on `db` inside the caller's open transaction. -1 "lease_lost" if stale. */
int jobs_complete_in(db_t *db, job *j, err_t *err);
/* Same, in its own transaction. */
int jobs_complete(db_t *db, job *j, err_t *err);
/* Records a failed attempt: requeued with backoff, or failed for good after max_attempts. */
int jobs_fail(db_t *db, job *j, const char *reason, err_t *err);
/* Gives a running job back unfinished (shutdown): queued again at once, the attempt not counted. */
int jobs_release(db_t *db, job *j, err_t *err);
void job_clear(job *j);

/* Expires at once the leases of running jobs whose worker was a process of this machine (worker
 * names "HOST:PID/wN", host = this machine's name) that no longer exists, or that had this
 * process's PID. Called when a process starts; returns how many, or -1. See recover.c. */
int jobs_expire_dead_local(db_t *db, const char *host, err_t *err);

/* Counts for /metrics and operators: queued (due or not), running, failed. */
int jobs_counts(db_t *db, int64_t *queued, int64_t *running, int64_t *failed, err_t *err);
/* Requeues a failed job (operator action). */
int jobs_retry(db_t *db, int64_t id, err_t *err);

/* ---- Workers ---------------------------------------------------------------------------- */

/* A handler does the job. Return 0 on success (after jobs_complete_in inside its transaction,
 * or leaving completion to the pool when `completes_itself` is 0), -1 with err to retry later.
 * err->status 422 marks a permanent failure that is not retried. `ctx` is what its room gave
 * jobs_register: the room's own context (its store of blobs, its settings...), never the whole
 * process, so that a handler can reach only what its room uses. */
typedef int (*job_handler)(void *ctx, db_t *db, job *j, err_t *err);

typedef struct job_kind {
  const char *type;
  job_handler handler;
  int completes_itself; /* 1: the handler calls jobs_complete_in in its own transaction */
  int64_t lease_ms;     /* 0 = default 60 s; heartbeats run every lease/3 while it works */
  /* Optional: called once when a job of this kind fails for good (its last attempt failed, or its
   * worker died holding the last one), with the job's payload, so that whoever waits on the job
   * (a student watching "processing") is told instead of waiting forever. Best effort: errors
   * are the hook's to log. */
  void (*on_failed)(db_t *db, const json_t *payload);
} job_kind;

/* Registers a job type (before workers start); its handler will receive `ctx` (borrowed: it must
 * outlive the workers). Registering a type again replaces its kind and its ctx. */
void jobs_register(const job_kind *kind, void *ctx);
const job_kind *jobs_kind(const char *type);

typedef struct jobs_pool jobs_pool;
/* Starts n worker threads for every registered type, each taking its connections from `store`.
 * `node` names this process in job_runs; a lease lasts lease_ms unless the kind says otherwise
 * (<= 0: 60 s). */
jobs_pool *jobs_pool_start(store_t *store, int n, const char *node, int64_t lease_ms, err_t *err);
/* Asks workers to stop claiming, waits for current jobs to finish (up to grace_ms), then
 * releases the leases of any still running so another process picks them up at once. Returns 1
 * when handlers were still running (their threads are left; the caller must exit, not free). */
int jobs_pool_stop(jobs_pool *p, int64_t grace_ms);
int jobs_pool_busy(const jobs_pool *p);
/* Wakes idle workers (after an enqueue in this process) so they need not wait for the poll. */
void jobs_pool_kick(jobs_pool *p);

#endif

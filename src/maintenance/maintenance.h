/* maintenance: housekeeping jobs of the foundation. `maintenance.purge` deletes expired
 * sessions and finished job history older than 30 days, and what grows with every anonymous
 * request: one-time codes a day after they expired, sign-in throttle rows a day after their last
 * failure (and not locked), payment notices that were refused or duplicates after 30 days and
 * applied ones after a year. It re-enqueues itself hourly (one at a time across all nodes, by
 * dedupe key), so a cluster needs no cron. */
#ifndef TUCAI_MAINTENANCE_H
#define TUCAI_MAINTENANCE_H

#include "store/store.h"

/* What the job "maintenance.purge" uses of its process, wired by src/app.c. */
typedef struct maintenance_env {
  const char *data_dir; /* its tmp/ is swept of abandoned uploads */
} maintenance_env;
/* Registers the job kind; its handler uses `env` (borrowed for the process's life). */
void maintenance_jobs_register(maintenance_env *env);
/* Makes sure one purge job is queued (called at start). */
int maintenance_schedule(db_t *db, err_t *err);

typedef struct maintenance_counts {
  int64_t sessions, job_runs, jobs, otp_codes, throttles, pay_notices;
} maintenance_counts;
/* The purge's deletions at `now_ms`, in the caller's transaction (the job runs it in its own). */
int maintenance_purge_at(db_t *db, int64_t now_ms, maintenance_counts *c, err_t *err);

/* Deletes files in <data_dir>/tmp not written for idle_ms (0: all). Uploads are written there
 * unencrypted while they arrive; a crash or a lost connection can leave them behind. An upload in
 * progress keeps its file's mtime fresh. Returns how many were removed. */
int maintenance_sweep_tmp(const char *data_dir, int64_t idle_ms);

#endif

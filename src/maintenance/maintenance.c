#include "maintenance/maintenance.h"

#include <stdio.h>

#include "app.h"
#include "jobs/jobs.h"
#include "util/clock.h"
#include "util/log.h"

#define PURGE_EVERY_MS (3600 * 1000LL)
#define KEEP_HISTORY_MS (30 * 24 * 3600 * 1000LL)

static int enqueue_purge(db_t *db, int64_t at, err_t *err) {
  jobs_enqueue_opts o = {.run_at_ms = at, .dedupe_key = "maintenance.purge"};
  if (jobs_enqueue(db, "maintenance.purge", NULL, &o, err) < 0) {
    if (db_last_was_unique_violation(db)) { /* one is queued already */
      err_clear(err);
      return 0;
    }
    return -1;
  }
  return 0;
}

static int purge(app *a, db_t *db, job *j, err_t *err) {
  (void)a;
  int64_t now = clock_now_ms();
  if (db_begin(db, err) < 0) return -1;
  int64_t sessions = db_exec(db, err, "DELETE FROM sessions WHERE expires_at < $1", DB_INT(now));
  int64_t runs = sessions < 0 ? -1
                              : db_exec(db, err, "DELETE FROM job_runs WHERE finished_at < $1",
                                        DB_INT(now - KEEP_HISTORY_MS));
  int64_t jobs = runs < 0 ? -1
                          : db_exec(db, err, "DELETE FROM jobs WHERE state = 'done' AND updated_at < $1",
                                    DB_INT(now - KEEP_HISTORY_MS));
  /* Complete first: the dedupe key is free again once this job is no longer running. */
  if (jobs < 0 || jobs_complete_in(db, j, err) < 0 || enqueue_purge(db, now + PURGE_EVERY_MS, err) < 0) {
    db_rollback(db);
    return -1;
  }
  if (db_commit(db, err) < 0) return -1;
  char s[24], r[24], jb[24];
  snprintf(s, sizeof s, "%lld", (long long)sessions);
  snprintf(r, sizeof r, "%lld", (long long)runs);
  snprintf(jb, sizeof jb, "%lld", (long long)jobs);
  log_info("purged", "sessions", s, "job_runs", r, "jobs", jb, NULL);
  return 0;
}

void maintenance_jobs_register(void) {
  static const job_kind k = {"maintenance.purge", purge, 1, 0};
  jobs_register(&k);
}

int maintenance_schedule(db_t *db, err_t *err) { return enqueue_purge(db, clock_now_ms(), err); }

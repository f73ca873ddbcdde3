/* recover.c: leases of this machine's dead processes, expired at start instead of waited out.
 *
 * Why. A worker killed mid-job (kill -9, OOM, power cut of the process) leaves its job 'running'
 * until the lease runs out: 15 s for a photo, 60 s for a refund or an export. After a restart the
 * student would watch "processing" for that long although nobody is working on it. Worker names
 * made by `serve`/`worker` without a configured node are "HOST:PID/wN", so a process starting on
 * HOST can tell which of them are dead: a PID that no longer exists, or its own PID (a container
 * restarted gives the new process the old one's number; this process holds no job yet). Those
 * leases are expired now and the jobs claimed again at once, counting the lost attempt as usual.
 *
 * Safe when wrong: if a process were alive after all (same host name in another PID namespace),
 * it would only lose its lease; its completion is then refused (jobs.h: exactly once). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs/jobs.h"
#include "util/clock.h"

/* The PID in "HOST:PID/wN" when HOST is host; 0 otherwise. */
static long pid_of(const char *worker, const char *host) {
  size_t n = strlen(host);
  if (strncmp(worker, host, n) != 0 || worker[n] != ':') return 0;
  char *end = NULL;
  long pid = strtol(worker + n + 1, &end, 10);
  return pid > 0 && end && *end == '/' ? pid : 0;
}

int jobs_expire_dead_local(db_t *db, const char *host, err_t *err) {
  if (!host || !*host) return 0;
  db_res *r = db_query(db, err, "SELECT id, worker, lease_token FROM jobs WHERE state = 'running'");
  if (!r) return -1;
  int expired = 0;
  for (int i = 0; i < db_res_rows(r); i++) {
    long pid = pid_of(db_res_text_at(r, i, "worker"), host);
    if (!pid) continue;
    int dead = pid == (long)getpid() || (kill((pid_t)pid, 0) != 0 && errno == ESRCH);
    if (!dead) continue;
    /* Conditional on the same lease: a job claimed meanwhile by someone else is left alone. */
    int64_t n =
        db_exec(db, err, "UPDATE jobs SET lease_until = 0 WHERE id = $1 AND state = 'running' AND lease_token = $2",
                DB_INT(db_res_int_at(r, i, "id")), DB_TEXT(db_res_text_at(r, i, "lease_token")));
    if (n < 0) {
      db_res_free(r);
      return -1;
    }
    if (n > 0) {
      err_t ignored = {0};
      db_exec(
          db, &ignored,
          "UPDATE job_runs SET finished_at = $1, outcome = 'died' WHERE job_id = $2 AND worker = $3 AND finished_at IS NULL",
          DB_INT(clock_now_ms()), DB_INT(db_res_int_at(r, i, "id")), DB_TEXT(db_res_text_at(r, i, "worker")));
    }
    expired += (int)n;
  }
  db_res_free(r);
  return expired;
}

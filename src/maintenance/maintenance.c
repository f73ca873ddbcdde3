#include "maintenance/maintenance.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/throttle.h"
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

#define DAY_MS (24 * 3600 * 1000LL)
#define TMP_IDLE_MS (10 * 60 * 1000LL)

int maintenance_purge_at(db_t *db, int64_t now, maintenance_counts *c, err_t *err) {
  memset(c, 0, sizeof *c);
  if ((c->sessions = db_exec(db, err, "DELETE FROM sessions WHERE expires_at < $1", DB_INT(now))) < 0) return -1;
  /* Which WeChat identity a session came through goes with the session (expired, or ended). */
  if (db_exec(db, err, "DELETE FROM wechat_sessions WHERE session_id NOT IN (SELECT id FROM sessions)") < 0) return -1;
  if ((c->job_runs = db_exec(db, err, "DELETE FROM job_runs WHERE finished_at < $1", DB_INT(now - KEEP_HISTORY_MS))) <
      0)
    return -1;
  if ((c->jobs = db_exec(db, err, "DELETE FROM jobs WHERE state = 'done' AND updated_at < $1",
                         DB_INT(now - KEEP_HISTORY_MS))) < 0)
    return -1;
  /* The send limits count codes of the last hour; a day later a code serves nothing. */
  if ((c->otp_codes = db_exec(db, err, "DELETE FROM otp_codes WHERE expires_at < $1", DB_INT(now - DAY_MS))) < 0)
    return -1;
  if ((c->throttles = throttle_purge(db, now, DAY_MS, err)) < 0) return -1;
  if ((c->pay_notices = db_exec(db, err,
                                "DELETE FROM pay_notices WHERE (outcome <> 'applied' AND received_at < $1) "
                                "OR received_at < $2",
                                DB_INT(now - KEEP_HISTORY_MS), DB_INT(now - 365 * DAY_MS))) < 0)
    return -1;
  return 0;
}

int maintenance_sweep_tmp(const char *data_dir, int64_t idle_ms) {
  char dir[1024], path[1400];
  snprintf(dir, sizeof dir, "%s/tmp", data_dir);
  DIR *d = opendir(dir);
  if (!d) return 0;
  int64_t cut = clock_now_ms() - idle_ms;
  int removed = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]))) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    if ((idle_ms <= 0 || mtime < cut) && unlink(path) == 0) removed++;
  }
  closedir(d);
  return removed;
}

static int purge(void *ctx, db_t *db, job *j, err_t *err) {
  const maintenance_env *env = ctx;
  int64_t now = clock_now_ms();
  int swept = maintenance_sweep_tmp(env->data_dir, TMP_IDLE_MS);
  maintenance_counts c;
  if (db_begin(db, err) < 0) return -1;
  /* Complete first: the dedupe key is free again once this job is no longer running. */
  if (maintenance_purge_at(db, now, &c, err) < 0 || jobs_complete_in(db, j, err) < 0 ||
      enqueue_purge(db, now + PURGE_EVERY_MS, err) < 0) {
    db_rollback(db);
    return -1;
  }
  if (db_commit(db, err) < 0) return -1;
  char s[24], r[24], jb[24], o[24], t[24], p[24];
  snprintf(s, sizeof s, "%lld", (long long)c.sessions);
  snprintf(r, sizeof r, "%lld", (long long)c.job_runs);
  snprintf(jb, sizeof jb, "%lld", (long long)c.jobs);
  snprintf(o, sizeof o, "%lld", (long long)c.otp_codes);
  snprintf(t, sizeof t, "%lld", (long long)c.throttles);
  snprintf(p, sizeof p, "%lld", (long long)c.pay_notices);
  char w[24];
  snprintf(w, sizeof w, "%d", swept);
  log_info("purged", "sessions", s, "job_runs", r, "jobs", jb, "otp_codes", o, "throttles", t, "pay_notices", p,
           "tmp_files", w, NULL);
  return 0;
}

void maintenance_jobs_register(maintenance_env *env) {
  static const job_kind k = {.type = "maintenance.purge", .handler = purge, .completes_itself = 1, .lease_ms = 0};
  jobs_register(&k, env);
}

int maintenance_schedule(db_t *db, err_t *err) { return enqueue_purge(db, clock_now_ms(), err); }

/* queue.c: the job table operations (enqueue, claim, heartbeat, complete, fail). See jobs.h. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/jobs.h"
#include "util/clock.h"
#include "util/xmalloc.h"

#define DEFAULT_MAX_ATTEMPTS 5

/* A job failed for good: its kind's hook, if any, hears of it (jobs.h, job_kind.on_failed). */
static void failed_for_good(db_t *db, const char *type, const char *payload_text) {
  const job_kind *k = type ? jobs_kind(type) : NULL;
  if (!k || !k->on_failed) return;
  json_error_t je;
  json_t *payload = json_loads(payload_text ? payload_text : "{}", 0, &je);
  if (payload) k->on_failed(db, payload);
  json_decref(payload);
}

int64_t jobs_enqueue(db_t *db, const char *type, json_t *payload, const jobs_enqueue_opts *opts, err_t *err) {
  int64_t now = clock_now_ms();
  char *text = payload ? json_dumps(payload, JSON_COMPACT) : xstrdup("{}");
  int max = opts && opts->max_attempts > 0 ? opts->max_attempts : DEFAULT_MAX_ATTEMPTS;
  int64_t run_at = opts && opts->run_at_ms > 0 ? opts->run_at_ms : now;
  const char *dedupe = opts ? opts->dedupe_key : NULL;
  db_res *r = db_query(db, err,
                       "INSERT INTO jobs (type, payload, max_attempts, run_at, dedupe_key, created_at, updated_at) "
                       "VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                       DB_TEXT(type), DB_TEXT(text), DB_INT(max), DB_INT(run_at), DB_TEXT(dedupe), DB_INT(now));
  free(text);
  if (!r) return -1;
  int64_t id = db_res_int_at(r, 0, "id");
  db_res_free(r);
  return id;
}

/* The claim condition: due and queued, or running with an expired lease (its worker died). */
#define DUE "((state = 'queued' AND run_at <= $1) OR (state = 'running' AND lease_until < $1))"

static void type_filter(const char *const *types, char *buf, size_t n, int first_param) {
  buf[0] = 0;
  if (!types || !types[0]) return;
  size_t used = (size_t)snprintf(buf, n, " AND type IN (");
  for (int i = 0; types[i] && i < 16; i++)
    used += (size_t)snprintf(buf + used, n - used, "%s$%d", i ? ", " : "", first_param + i);
  snprintf(buf + used, n - used, ")");
}

static int fill_job(db_res *r, job *out) {
  memset(out, 0, sizeof *out);
  out->id = db_res_int_at(r, 0, "id");
  snprintf(out->type, sizeof out->type, "%s", db_res_text_at(r, 0, "type"));
  json_error_t je;
  out->payload = json_loads(db_res_text_at(r, 0, "payload"), 0, &je);
  if (!out->payload) out->payload = json_object();
  out->attempts = (int)db_res_int_at(r, 0, "attempts");
  out->max_attempts = (int)db_res_int_at(r, 0, "max_attempts");
  snprintf(out->lease_token, sizeof out->lease_token, "%s", db_res_text_at(r, 0, "lease_token"));
  out->lease_until_ms = db_res_int_at(r, 0, "lease_until");
  return 1;
}

int jobs_claim(db_t *db, const char *worker, const char *const *types, int64_t lease_ms, job *out, err_t *err) {
  int64_t now = clock_now_ms();
  char token[33];
  uint8_t raw[16];
  randombytes_buf(raw, sizeof raw);
  sodium_bin2hex(token, sizeof token, raw, sizeof raw);

  db_val params[24] = {DB_INT(now), DB_INT(now + lease_ms), DB_TEXT(token), DB_TEXT(worker)};
  int np = 4;
  for (int i = 0; types && types[i] && i < 16; i++) params[np++] = DB_TEXT(types[i]);
  params[np] = (db_val){0};
  char filter[512];
  type_filter(types, filter, sizeof filter, 5);

  /* A job whose worker died holding it with its last attempt spent fails for good here: without
   * this, a photo that kills the process would be claimed again after every restart, forever
   * (a dead worker never reaches jobs_fail, which is where the attempts are otherwise counted). */
  char sql[2048];
  db_val fparams[24] = {DB_INT(now)};
  int nf = 1;
  for (int i = 0; types && types[i] && i < 16; i++) fparams[nf++] = DB_TEXT(types[i]);
  fparams[nf] = (db_val){0};
  char ffilter[512];
  type_filter(types, ffilter, sizeof ffilter, 2);
  snprintf(sql, sizeof sql,
           "UPDATE jobs SET state = 'failed', lease_token = NULL, lease_until = NULL, last_error = 'worker died', "
           "updated_at = $1 WHERE state = 'running' AND lease_until < $1 AND attempts >= max_attempts%s "
           "RETURNING type, payload",
           ffilter);
  db_res *died = db_query_a(db, err, sql, fparams);
  if (!died) return -1;
  for (int i = 0; i < db_res_rows(died); i++)
    failed_for_good(db, db_res_text_at(died, i, "type"), db_res_text_at(died, i, "payload"));
  db_res_free(died);
  if (db_dialect(db) == DB_POSTGRES) {
    /* SKIP LOCKED: concurrent claimers in other processes each get a different row. */
    snprintf(sql, sizeof sql,
             "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_token = $3, lease_until = $2, "
             "worker = $4, updated_at = $1 WHERE id = (SELECT id FROM jobs WHERE " DUE
             "%s "
             "ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
             "RETURNING id, type, payload, attempts, max_attempts, lease_token, lease_until",
             filter);
  } else {
    /* SQLite has one writer at a time, so the sub-select and update are atomic together. */
    snprintf(sql, sizeof sql,
             "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_token = $3, lease_until = $2, "
             "worker = $4, updated_at = $1 WHERE id = (SELECT id FROM jobs WHERE " DUE
             "%s "
             "ORDER BY run_at, id LIMIT 1) "
             "RETURNING id, type, payload, attempts, max_attempts, lease_token, lease_until",
             filter);
  }
  db_res *r = db_query_a(db, err, sql, params);
  if (!r) return -1;
  int got = db_res_rows(r) > 0 ? fill_job(r, out) : 0;
  db_res_free(r);
  if (got) {
    snprintf(out->worker, sizeof out->worker, "%s", worker);
    /* Best effort: the run history is for operators, not for correctness. */
    err_t ignored = {0};
    db_exec(db, &ignored, "INSERT INTO job_runs (job_id, attempt, worker, started_at) VALUES ($1, $2, $3, $4)",
            DB_INT(out->id), DB_INT(out->attempts), DB_TEXT(worker), DB_INT(now));
  }
  return got;
}

static void record_run(db_t *db, job *j, const char *outcome, const char *error) {
  err_t ignored = {0};
  db_exec(db, &ignored,
          "UPDATE job_runs SET finished_at = $1, outcome = $2, error = $3 "
          "WHERE job_id = $4 AND attempt = $5 AND worker = $6 AND finished_at IS NULL",
          DB_INT(clock_now_ms()), DB_TEXT(outcome), DB_TEXT(error), DB_INT(j->id), DB_INT(j->attempts),
          DB_TEXT(j->worker));
}

int jobs_heartbeat(db_t *db, job *j, int64_t lease_ms, err_t *err) {
  int64_t now = clock_now_ms();
  int64_t n = db_exec(db, err,
                      "UPDATE jobs SET lease_until = $1, updated_at = $2 "
                      "WHERE id = $3 AND state = 'running' AND lease_token = $4",
                      DB_INT(now + lease_ms), DB_INT(now), DB_INT(j->id), DB_TEXT(j->lease_token));
  if (n < 0) return -1;
  if (n == 0) return err_set(err, 409, "lease_lost", "job %lld is no longer ours", (long long)j->id);
  j->lease_until_ms = now + lease_ms;
  return 0;
}

int jobs_complete_in(db_t *db, job *j, err_t *err) {
  int64_t n = db_exec(db, err,
                      "UPDATE jobs SET state = 'done', lease_token = NULL, lease_until = NULL, last_error = NULL, "
                      "updated_at = $1 WHERE id = $2 AND state = 'running' AND lease_token = $3",
                      DB_INT(clock_now_ms()), DB_INT(j->id), DB_TEXT(j->lease_token));
  if (n < 0) return -1;
  if (n == 0) return err_set(err, 409, "lease_lost", "job %lld is no longer ours", (long long)j->id);
  record_run(db, j, "done", NULL);
  return 0;
}

int jobs_complete(db_t *db, job *j, err_t *err) {
  if (db_begin(db, err) < 0) return -1;
  if (jobs_complete_in(db, j, err) < 0) {
    db_rollback(db);
    return -1;
  }
  return db_commit(db, err);
}

int jobs_fail(db_t *db, job *j, const char *reason, err_t *err) {
  int64_t now = clock_now_ms();
  int final = j->attempts >= j->max_attempts;
  /* Backoff: 2^attempts seconds, at most 10 minutes. */
  int64_t delay = 1000LL << (j->attempts < 10 ? j->attempts : 10);
  if (delay > 600000) delay = 600000;
  int64_t n = db_exec(db, err,
                      "UPDATE jobs SET state = $1, run_at = $2, lease_token = NULL, lease_until = NULL, "
                      "last_error = $3, updated_at = $4 WHERE id = $5 AND state = 'running' AND lease_token = $6",
                      DB_TEXT(final ? "failed" : "queued"), DB_INT(now + delay), DB_TEXT(reason), DB_INT(now),
                      DB_INT(j->id), DB_TEXT(j->lease_token));
  if (n < 0) return -1;
  record_run(db, j, n == 0 ? "lease_lost" : final ? "failed" : "retry", reason);
  if (n > 0 && final) {
    const job_kind *k = jobs_kind(j->type);
    if (k && k->on_failed) k->on_failed(db, j->payload);
  }
  return 0;
}

void job_clear(job *j) {
  if (j && j->payload) json_decref(j->payload);
  if (j) j->payload = NULL;
}

int jobs_counts(db_t *db, int64_t *queued, int64_t *running, int64_t *failed, err_t *err) {
  db_res *r = db_query(db, err, "SELECT state, COUNT(*) AS n FROM jobs WHERE state <> 'done' GROUP BY state");
  if (!r) return -1;
  *queued = *running = *failed = 0;
  for (int i = 0; i < db_res_rows(r); i++) {
    const char *s = db_res_text_at(r, i, "state");
    int64_t n = db_res_int_at(r, i, "n");
    if (!strcmp(s, "queued"))
      *queued = n;
    else if (!strcmp(s, "running"))
      *running = n;
    else if (!strcmp(s, "failed"))
      *failed = n;
  }
  db_res_free(r);
  return 0;
}

int jobs_retry(db_t *db, int64_t id, err_t *err) {
  int64_t now = clock_now_ms();
  int64_t n = db_exec(db, err,
                      "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $1, updated_at = $1 "
                      "WHERE id = $2 AND state = 'failed'",
                      DB_INT(now), DB_INT(id));
  if (n < 0) return -1;
  if (n == 0) return err_set(err, 404, "not_found", "no failed job %lld", (long long)id);
  return 0;
}

int jobs_release(db_t *db, job *j, err_t *err) {
  int64_t now = clock_now_ms();
  int64_t n = db_exec(db, err,
                      "UPDATE jobs SET state = 'queued', attempts = attempts - 1, run_at = $1, lease_token = NULL, "
                      "lease_until = NULL, updated_at = $1 WHERE id = $2 AND state = 'running' AND lease_token = $3",
                      DB_INT(now), DB_INT(j->id), DB_TEXT(j->lease_token));
  if (n > 0) record_run(db, j, "released", NULL);
  return n < 0 ? -1 : 0;
}

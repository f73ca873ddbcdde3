/* The job queue's promises, on SQLite and PostgreSQL: due order, leases, retries with backoff,
 * a visible failed state, exactly-once completion when a worker is killed mid-run, and no job
 * run twice by concurrent claimers. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "jobs/jobs.h"
#include "testdb.h"
#include "util/clock.h"

static void with_kind(void (*body)(enum testdb_kind)) {
  for (int k = 0; k < TESTDB_KINDS; k++) body((enum testdb_kind)k);
}

static const char *const only_test[] = {"test.effect", NULL};

/* The kind's failure hook: how often it heard of a job failing for good, and the last payload's n. */
static int failed_calls, failed_n;
static void count_failed(db_t *db, const json_t *payload) {
  (void)db;
  failed_calls++;
  failed_n = (int)json_integer_value(json_object_get(payload, "n"));
}
static int never_run(void *ctx, db_t *db, job *j, err_t *err) {
  (void)ctx, (void)db, (void)j;
  return err_set(err, 0, "unused", "the tests claim jobs themselves");
}

static int64_t enqueue(db_t *db, int64_t delay_ms, int max_attempts) {
  err_t err = {0};
  jobs_enqueue_opts o = {.max_attempts = max_attempts, .run_at_ms = delay_ms ? clock_now_ms() + delay_ms : 0};
  json_t *payload = json_pack("{s:i}", "n", 1);
  int64_t id = jobs_enqueue(db, "test.effect", payload, &o, &err);
  json_decref(payload);
  assert_true(id > 0);
  return id;
}

static const char *state_of(db_t *db, int64_t id, char *buf) {
  err_t err = {0};
  db_res *r = db_query(db, &err, "SELECT state FROM jobs WHERE id = $1", DB_INT(id));
  strcpy(buf, db_res_text(r, 0, 0));
  db_res_free(r);
  return buf;
}

/* The handler's work and the completion in one transaction: the effect happens at most once. */
static int do_effect(db_t *db, job *j, err_t *err) {
  if (db_begin(db, err) < 0) return -1;
  if (db_exec(db, err, "INSERT INTO effects (job_id, worker) VALUES ($1, $2)", DB_INT(j->id), DB_TEXT(j->worker)) < 0 ||
      jobs_complete_in(db, j, err) < 0) {
    db_rollback(db);
    return -1;
  }
  return db_commit(db, err);
}

static void make_effects(db_t *db) {
  err_t err = {0};
  assert_int_equal(db_exec(db, &err, "CREATE TABLE effects (job_id BIGINT NOT NULL, worker TEXT NOT NULL)"), 0);
}

static void claims_due_jobs_in_order(enum testdb_kind kind) {
  store_t *st = testdb_open(kind, NULL);
  err_t err = {0};
  db_t *db = store_get(st, &err);
  job j;
  assert_int_equal(jobs_claim(db, "w", only_test, 1000, &j, &err), 0);
  int64_t later = enqueue(db, 60000, 0);
  int64_t first = enqueue(db, 0, 0);
  int64_t second = enqueue(db, 0, 0);
  assert_int_equal(jobs_claim(db, "w", only_test, 1000, &j, &err), 1);
  assert_int_equal(j.id, first);
  assert_int_equal(j.attempts, 1);
  assert_int_equal(json_integer_value(json_object_get(j.payload, "n")), 1);
  assert_int_equal(jobs_complete(db, &j, &err), 0);
  job_clear(&j);
  assert_int_equal(jobs_claim(db, "w", only_test, 1000, &j, &err), 1);
  assert_int_equal(j.id, second);
  job_clear(&j);
  /* The delayed one is not due; another type is not ours. */
  assert_int_equal(jobs_claim(db, "w", only_test, 1000, &j, &err), 0);
  const char *const other[] = {"other.type", NULL};
  assert_int_equal(jobs_claim(db, "w", other, 1000, &j, &err), 0);
  char buf[16];
  assert_string_equal(state_of(db, later, buf), "queued");
  assert_string_equal(state_of(db, first, buf), "done");
  assert_string_equal(state_of(db, second, buf), "running");
  int64_t q, r, f;
  assert_int_equal(jobs_counts(db, &q, &r, &f, &err), 0);
  assert_int_equal(q, 1);
  assert_int_equal(r, 1);
  assert_int_equal(f, 0);
  store_put(st, db);
  store_close(st);
}

static void failures_retry_with_backoff_then_fail_visibly(enum testdb_kind kind) {
  store_t *st = testdb_open(kind, NULL);
  err_t err = {0};
  db_t *db = store_get(st, &err);
  int64_t id = enqueue(db, 0, 2);
  job j;
  int heard = failed_calls;
  assert_int_equal(jobs_claim(db, "w", only_test, 1000, &j, &err), 1);
  assert_int_equal(jobs_fail(db, &j, "boom", &err), 0);
  job_clear(&j);
  assert_int_equal(failed_calls, heard); /* a retry is no failure for good */
  /* Backed off: not due at once. */
  assert_int_equal(jobs_claim(db, "w", only_test, 1000, &j, &err), 0);
  assert_true(db_int(db, &err, 0, "SELECT run_at FROM jobs WHERE id = $1", DB_INT(id)) > clock_now_ms() + 500);
  db_exec(db, &err, "UPDATE jobs SET run_at = 0 WHERE id = $1", DB_INT(id));
  assert_int_equal(jobs_claim(db, "w", only_test, 1000, &j, &err), 1);
  assert_int_equal(j.attempts, 2);
  assert_int_equal(jobs_fail(db, &j, "boom again", &err), 0);
  job_clear(&j);
  char buf[16];
  assert_string_equal(state_of(db, id, buf), "failed");
  assert_int_equal(failed_calls, heard + 1); /* the kind heard of it once, with the payload */
  assert_int_equal(failed_n, 1);
  db_res *r = db_query(db, &err, "SELECT last_error FROM jobs WHERE id = $1", DB_INT(id));
  assert_string_equal(db_res_text(r, 0, 0), "boom again");
  db_res_free(r);
  assert_int_equal(
      db_int(db, &err, 0, "SELECT COUNT(*) FROM job_runs WHERE job_id = $1 AND outcome IS NOT NULL", DB_INT(id)), 2);
  /* An operator requeues it. */
  assert_int_equal(jobs_retry(db, id, &err), 0);
  assert_int_equal(jobs_claim(db, "w", only_test, 1000, &j, &err), 1);
  job_clear(&j);
  assert_int_equal(jobs_retry(db, id, &err), -1); /* only failed jobs */
  store_put(st, db);
  store_close(st);
}

static void expired_lease_passes_job_on_and_stale_worker_cannot_complete(enum testdb_kind kind) {
  store_t *st = testdb_open(kind, NULL);
  err_t err = {0};
  db_t *db = store_get(st, &err);
  make_effects(db);
  int64_t id = enqueue(db, 0, 0);
  job slow, fast;
  assert_int_equal(jobs_claim(db, "slow", only_test, 200, &slow, &err), 1);
  assert_int_equal(jobs_claim(db, "fast", only_test, 5000, &fast, &err), 0); /* leased */
  clock_sleep_ms(300);
  assert_int_equal(jobs_claim(db, "fast", only_test, 5000, &fast, &err), 1);
  assert_int_equal(fast.id, id);
  assert_int_equal(fast.attempts, 2);
  /* The slow worker wakes up: it can neither heartbeat nor complete, so its effect rolls back. */
  assert_int_equal(jobs_heartbeat(db, &slow, 1000, &err), -1);
  assert_string_equal(err.code, "lease_lost");
  err_clear(&err);
  assert_int_equal(do_effect(db, &slow, &err), -1);
  assert_string_equal(err.code, "lease_lost");
  err_clear(&err);
  assert_int_equal(do_effect(db, &fast, &err), 0);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM effects WHERE job_id = $1", DB_INT(id)), 1);
  job_clear(&slow);
  job_clear(&fast);
  store_put(st, db);
  store_close(st);
}

static void job_of_killed_worker_is_done_exactly_once(enum testdb_kind kind) {
  char *url = NULL;
  store_t *st = testdb_open(kind, &url);
  err_t err = {0};
  db_t *db = store_get(st, &err);
  make_effects(db);
  int64_t id = enqueue(db, 0, 0);
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    /* The doomed worker: its own connection, claims, says so, then hangs "mid-run". */
    err_t e = {0};
    store_t *mine = store_open(url, 1, &e);
    db_t *d = mine ? store_get(mine, &e) : NULL;
    job j;
    char ok = d && jobs_claim(d, "doomed", only_test, 400, &j, &e) == 1 ? 'y' : 'n';
    if (ok == 'y' && db_begin(d, &e) == 0)
      db_exec(d, &e, "INSERT INTO effects (job_id, worker) VALUES ($1, $2)", DB_INT(j.id), DB_TEXT("doomed"));
    if (write(fds[1], &ok, 1) != 1) _exit(3);
    for (;;) pause();
  }
  char got = 0;
  assert_int_equal(read(fds[0], &got, 1), 1);
  assert_int_equal(got, 'y');
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  close(fds[0]);
  close(fds[1]);

  job j;
  int64_t until = clock_now_ms() + 5000;
  int claimed = 0;
  while (!claimed && clock_now_ms() < until) {
    claimed = jobs_claim(db, "survivor", only_test, 5000, &j, &err);
    if (!claimed) clock_sleep_ms(50);
  }
  assert_int_equal(claimed, 1);
  assert_int_equal(j.id, id);
  assert_int_equal(do_effect(db, &j, &err), 0);
  job_clear(&j);
  char buf[16];
  assert_string_equal(state_of(db, id, buf), "done");
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM effects WHERE job_id = $1", DB_INT(id)), 1);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM effects WHERE worker = 'doomed'"), 0);
  /* The history shows both attempts: the killed one never finished. */
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM job_runs WHERE job_id = $1", DB_INT(id)), 2);
  assert_int_equal(
      db_int(db, &err, -1, "SELECT COUNT(*) FROM job_runs WHERE job_id = $1 AND outcome = 'done'", DB_INT(id)), 1);
  store_put(st, db);
  store_close(st);
  free(url);
}

/* A job whose worker dies every time (a photo that crashes the process) must not be claimed
 * again forever: once its attempts are spent, the next claimer marks it failed instead. */
static void job_that_kills_its_workers_fails_after_max_attempts(enum testdb_kind kind) {
  store_t *st = testdb_open(kind, NULL);
  err_t err = {0};
  db_t *db = store_get(st, &err);
  int64_t id = enqueue(db, 0, 2);
  int heard = failed_calls;
  job j;
  for (int attempt = 1; attempt <= 2; attempt++) {
    assert_int_equal(jobs_claim(db, "dies", only_test, 50, &j, &err), 1);
    assert_int_equal(j.id, id);
    assert_int_equal(j.attempts, attempt);
    job_clear(&j); /* the worker is killed: no fail, no complete */
    clock_sleep_ms(80);
  }
  assert_int_equal(jobs_claim(db, "next", only_test, 5000, &j, &err), 0);
  char buf[16];
  assert_string_equal(state_of(db, id, buf), "failed");
  assert_int_equal(failed_calls, heard + 1); /* a dead worker's last attempt reaches the hook too */
  db_res *r = db_query(db, &err, "SELECT last_error, attempts, lease_token FROM jobs WHERE id = $1", DB_INT(id));
  assert_non_null(r);
  assert_string_equal(db_res_text(r, 0, 0), "worker died");
  assert_int_equal(db_res_int(r, 0, 1), 2);
  assert_true(db_res_is_null(r, 0, 2));
  db_res_free(r);
  /* An operator can still retry it. */
  assert_int_equal(jobs_retry(db, id, &err), 0);
  assert_int_equal(jobs_claim(db, "next", only_test, 5000, &j, &err), 1);
  job_clear(&j);
  store_put(st, db);
  store_close(st);
}

/* A restarted process takes up at once the jobs its machine's dead processes held, and leaves
 * alone those of live processes and of other machines. */
static void dead_local_workers_lose_their_leases_at_once(enum testdb_kind kind) {
  store_t *st = testdb_open(kind, NULL);
  err_t err = {0};
  db_t *db = store_get(st, &err);
  pid_t gone = fork();
  if (gone == 0) _exit(0);
  waitpid(gone, NULL, 0);
  char dead[64], alive[64], mine[64];
  snprintf(dead, sizeof dead, "thishost:%d/w0", (int)gone);
  snprintf(alive, sizeof alive, "thishost:%d/w1", (int)getppid());
  snprintf(mine, sizeof mine, "thishost:%d/w0", (int)getpid());
  const char *names[] = {dead, alive, mine, "otherhost:1/w0", "node-a/w0"};
  int64_t ids[5];
  job j;
  for (int i = 0; i < 5; i++) {
    ids[i] = enqueue(db, 0, 0);
    assert_int_equal(jobs_claim(db, names[i], only_test, 600000, &j, &err), 1);
    assert_int_equal(j.id, ids[i]);
    job_clear(&j);
  }
  assert_int_equal(jobs_claim(db, "next", only_test, 5000, &j, &err), 0);
  assert_int_equal(jobs_expire_dead_local(db, "thishost", &err), 2);
  int64_t got[2] = {0, 0};
  for (int k = 0; k < 2; k++) {
    assert_int_equal(jobs_claim(db, "next", only_test, 5000, &j, &err), 1);
    assert_int_equal(j.attempts, 2); /* the lost run counts */
    got[k] = j.id;
    job_clear(&j);
  }
  assert_true((got[0] == ids[0] && got[1] == ids[2]) || (got[0] == ids[2] && got[1] == ids[0]));
  assert_int_equal(jobs_claim(db, "next", only_test, 5000, &j, &err), 0);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM job_runs WHERE outcome = 'died'"), 2);
  store_put(st, db);
  store_close(st);
}

typedef struct claimer {
  store_t *st;
  char name[16];
  int done;
} claimer;

static void *claim_loop(void *arg) {
  claimer *c = arg;
  err_t err = {0};
  db_t *db = store_get(c->st, &err);
  for (;;) {
    job j;
    int got = jobs_claim(db, c->name, only_test, 30000, &j, &err);
    if (got < 0) {
      err_clear(&err);
      continue; /* SQLite busy under contention: try again */
    }
    if (got == 0) break;
    if (do_effect(db, &j, &err) == 0) c->done++;
    job_clear(&j);
  }
  store_put(c->st, db);
  return NULL;
}

static void concurrent_claimers_never_share_a_job(enum testdb_kind kind) {
  store_t *st = testdb_open(kind, NULL);
  err_t err = {0};
  db_t *db = store_get(st, &err);
  make_effects(db);
  enum { N_JOBS = 120, N_THREADS = 6 };
  for (int i = 0; i < N_JOBS; i++) enqueue(db, 0, 0);
  store_put(st, db);
  claimer cs[N_THREADS];
  pthread_t th[N_THREADS];
  for (int i = 0; i < N_THREADS; i++) {
    cs[i] = (claimer){.st = st};
    snprintf(cs[i].name, sizeof cs[i].name, "t%d", i);
    pthread_create(&th[i], NULL, claim_loop, &cs[i]);
  }
  int total = 0;
  for (int i = 0; i < N_THREADS; i++) {
    pthread_join(th[i], NULL);
    total += cs[i].done;
  }
  assert_int_equal(total, N_JOBS);
  db = store_get(st, &err);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM effects"), N_JOBS);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(DISTINCT job_id) FROM effects"), N_JOBS);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM jobs WHERE state <> 'done'"), 0);
  store_put(st, db);
  store_close(st);
}

static void dedupe_key_allows_one_pending(enum testdb_kind kind) {
  store_t *st = testdb_open(kind, NULL);
  err_t err = {0};
  db_t *db = store_get(st, &err);
  jobs_enqueue_opts o = {.dedupe_key = "only-one"};
  assert_true(jobs_enqueue(db, "test.effect", NULL, &o, &err) > 0);
  assert_int_equal(jobs_enqueue(db, "test.effect", NULL, &o, &err), -1);
  assert_true(db_last_was_unique_violation(db));
  err_clear(&err);
  job j;
  assert_int_equal(jobs_claim(db, "w", only_test, 1000, &j, &err), 1);
  assert_int_equal(jobs_complete(db, &j, &err), 0);
  job_clear(&j);
  assert_true(jobs_enqueue(db, "test.effect", NULL, &o, &err) > 0); /* free again once done */
  store_put(st, db);
  store_close(st);
}

/* A worker hands each handler the context its kind was registered with (a room's own, which
 * src/app.c wires), and registering a kind again replaces it. */
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static void *seen_ctx;
static int record_ctx(void *ctx, db_t *db, job *j, err_t *err) {
  (void)db, (void)j, (void)err;
  pthread_mutex_lock(&seen_mu);
  seen_ctx = ctx;
  pthread_mutex_unlock(&seen_mu);
  return 0; /* the pool completes it */
}

static void pool_hands_each_handler_its_kinds_ctx(enum testdb_kind kind) {
  static int first_room, second_room;
  store_t *st = testdb_open(kind, NULL);
  err_t err = {0};
  jobs_register(&(job_kind){.type = "test.ctx", .handler = record_ctx}, &first_room);
  jobs_register(&(job_kind){.type = "test.ctx", .handler = record_ctx}, &second_room);
  db_t *db = store_get(st, &err);
  int64_t id = jobs_enqueue(db, "test.ctx", NULL, NULL, &err);
  assert_true(id > 0);
  pthread_mutex_lock(&seen_mu);
  seen_ctx = NULL;
  pthread_mutex_unlock(&seen_mu);
  jobs_pool *p = jobs_pool_start(st, 1, "test-node", 0, &err);
  assert_non_null(p);
  /* Waits for the outcome, however slow the machine; the bound only stops a hung test. */
  char buf[16];
  for (int i = 0; i < 6000 && strcmp(state_of(db, id, buf), "done"); i++) clock_sleep_ms(20);
  assert_int_equal(jobs_pool_stop(p, 60000), 0);
  assert_string_equal(state_of(db, id, buf), "done");
  assert_ptr_equal(seen_ctx, &second_room);
  store_put(st, db);
  store_close(st);
}

static void test_order(void **s) {
  (void)s;
  with_kind(claims_due_jobs_in_order);
}
static void test_retry(void **s) {
  (void)s;
  with_kind(failures_retry_with_backoff_then_fail_visibly);
}
static void test_lease(void **s) {
  (void)s;
  with_kind(expired_lease_passes_job_on_and_stale_worker_cannot_complete);
}
static void test_killed(void **s) {
  (void)s;
  with_kind(job_of_killed_worker_is_done_exactly_once);
}
static void test_concurrent(void **s) {
  (void)s;
  with_kind(concurrent_claimers_never_share_a_job);
}
static void test_dedupe(void **s) {
  (void)s;
  with_kind(dedupe_key_allows_one_pending);
}
static void test_dead_local(void **s) {
  (void)s;
  with_kind(dead_local_workers_lose_their_leases_at_once);
}
static void test_pool_ctx(void **s) {
  (void)s;
  with_kind(pool_hands_each_handler_its_kinds_ctx);
}
static void test_crash_loop(void **s) {
  (void)s;
  with_kind(job_that_kills_its_workers_fails_after_max_attempts);
}

int main(void) {
  static const job_kind effect = {.type = "test.effect", .handler = never_run, .on_failed = count_failed};
  jobs_register(&effect, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_order),      cmocka_unit_test(test_retry),      cmocka_unit_test(test_lease),
      cmocka_unit_test(test_killed),     cmocka_unit_test(test_concurrent), cmocka_unit_test(test_dedupe),
      cmocka_unit_test(test_crash_loop), cmocka_unit_test(test_dead_local), cmocka_unit_test(test_pool_ctx),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

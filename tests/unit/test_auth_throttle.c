/* Limits that must hold under parallel requests, on SQLite and PostgreSQL alike: the one-time
 * code send limits (per phone, per address) and the sign-in throttle (auth/throttle.h). Each test
 * starts its threads together on separate pooled connections, as parallel HTTP requests would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/throttle.h"
#include "identity/otp.h"
#include "identity/quota.h"
#include "store/store.h"
#include "testdb.h"
#include "together.h"

#define N_THREADS 8

typedef struct race {
  store_t *st;
  otp_limits lim;
  const char *phones[N_THREADS]; /* per thread */
  const char *ips[N_THREADS];
  throttle_rule rule;
  int64_t now;
  int ok[N_THREADS];
} race;

static void send_one(void *ctx, int i, pthread_barrier_t *go) {
  race *r = ctx;
  err_t err = {0};
  db_t *db = store_get(r->st, &err);
  char code[7];
  pthread_barrier_wait(go);
  r->ok[i] = db && otp_issue(db, &r->lim, r->phones[i], r->ips[i], code, &err) == 0;
  if (db && !r->ok[i] && err.status != 429) fprintf(stderr, "otp_issue: %s %s\n", err.code, err.message);
  store_put(r->st, db);
}

static void take_one(void *ctx, int i, pthread_barrier_t *go) {
  race *r = ctx;
  err_t err = {0};
  db_t *db = store_get(r->st, &err);
  int64_t retry = 0;
  pthread_barrier_wait(go);
  int rc = db ? throttle_take(db, "staff_user", "alice", &r->rule, r->now, &retry, &err) : -1;
  if (rc < 0) fprintf(stderr, "throttle_take: %s %s\n", err.code, err.message);
  r->ok[i] = rc == 0;
  store_put(r->st, db);
}

/* An upload as collect_upload stores it: quota check and insert in one transaction. */
static void upload_one(void *ctx, int i, pthread_barrier_t *go) {
  race *r = ctx;
  err_t err = {0};
  db_t *db = store_get(r->st, &err);
  quota q = {.per_hour = 3, .total = 100};
  pthread_barrier_wait(go);
  int ok = db && db_begin(db, &err) == 0 && quota_check(db, QUOTA_UPLOADS, 42, &q, r->now, &err) == 0 &&
           db_exec(db, &err,
                   "INSERT INTO collect_attempts (record_id, batch_id, school_id, account_id, state, original_blob, "
                   "created_at) VALUES (1, 1, 1, 42, 'processing', 0, $1)",
                   DB_INT(r->now)) == 1 &&
           db_commit(db, &err) == 0;
  if (!ok) {
    if (err.status != 429) fprintf(stderr, "upload: %s %s\n", err.code, err.message);
    db_rollback(db);
  }
  r->ok[i] = ok;
  store_put(r->st, db);
}

/* How many of the N_THREADS parallel calls succeeded. */
static int run_race(race *r, together_fn fn) {
  run_together(N_THREADS, fn, r);
  int n = 0;
  for (int i = 0; i < N_THREADS; i++) n += r->ok[i];
  return n;
}

static void otp_limits_hold_in_parallel(enum testdb_kind kind) {
  race r = {.st = testdb_open(kind, NULL)};
  r.lim = (otp_limits){.ttl_ms = 300000, .max_tries = 5, .resend_ms = 0, .per_phone_hour = 3, .per_ip_hour = 100};
  for (int i = 0; i < N_THREADS; i++) r.phones[i] = "13800000007", r.ips[i] = "10.1.1.1";
  assert_int_equal(run_race(&r, send_one), 3);

  /* The address limit: different phones, one address. */
  static const char *phones[N_THREADS] = {"13900000001", "13900000002", "13900000003", "13900000004",
                                          "13900000005", "13900000006", "13900000007", "13900000008"};
  r.lim.per_ip_hour = 2;
  for (int i = 0; i < N_THREADS; i++) r.phones[i] = phones[i], r.ips[i] = "10.2.2.2";
  assert_int_equal(run_race(&r, send_one), 2);

  err_t err = {0};
  db_t *db = store_get(r.st, &err);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM otp_codes"), 5);
  store_put(r.st, db);
  store_close(r.st);
}

static void throttle_grows_and_forgives(enum testdb_kind kind) {
  store_t *st = testdb_open(kind, NULL);
  err_t err = {0};
  db_t *db = store_get(st, &err);
  throttle_rule rule = {.free_failures = 3, .base_ms = 10000, .max_ms = 35000, .forget_ms = 3600000};
  int64_t now = 1000000, retry = 0;
  for (int i = 0; i < 3; i++) assert_int_equal(throttle_take(db, "staff_user", "bob", &rule, now, &retry, &err), 0);
  /* Three failures: locked for base_ms; other keys and scopes are untouched. */
  assert_int_equal(throttle_take(db, "staff_user", "bob", &rule, now + 1, &retry, &err), 1);
  assert_int_equal(retry, 10);
  assert_int_equal(throttle_take(db, "staff_user", "carol", &rule, now, &retry, &err), 0);
  assert_int_equal(throttle_take(db, "otp_phone", "bob", &rule, now, &retry, &err), 0);
  /* After the lock one more try; its failure doubles the lock, up to max_ms. */
  now += 10001;
  assert_int_equal(throttle_take(db, "staff_user", "bob", &rule, now, &retry, &err), 0);
  assert_int_equal(throttle_take(db, "staff_user", "bob", &rule, now, &retry, &err), 1);
  assert_int_equal(retry, 20);
  now += 20001;
  assert_int_equal(throttle_take(db, "staff_user", "bob", &rule, now, &retry, &err), 0);
  assert_int_equal(throttle_take(db, "staff_user", "bob", &rule, now, &retry, &err), 1);
  assert_int_equal(retry, 35);
  /* A right answer after the lock clears the account. */
  now += 35001;
  assert_int_equal(throttle_take(db, "staff_user", "bob", &rule, now, &retry, &err), 0);
  assert_int_equal(throttle_forgive(db, "staff_user", "bob", &rule, 1, &err), 0);
  for (int i = 0; i < 3; i++) assert_int_equal(throttle_take(db, "staff_user", "bob", &rule, now, &retry, &err), 0);
  assert_int_equal(throttle_take(db, "staff_user", "bob", &rule, now, &retry, &err), 1);
  /* A shared address: a right answer gives back only its own attempt. */
  assert_int_equal(throttle_take(db, "staff_ip", "10.0.0.1", &rule, now, &retry, &err), 0);
  assert_int_equal(throttle_take(db, "staff_ip", "10.0.0.1", &rule, now, &retry, &err), 0);
  assert_int_equal(throttle_take(db, "staff_ip", "10.0.0.1", &rule, now, &retry, &err), 0);
  assert_int_equal(throttle_forgive(db, "staff_ip", "10.0.0.1", &rule, 0, &err), 0); /* the third was right */
  assert_int_equal(throttle_take(db, "staff_ip", "10.0.0.1", &rule, now, &retry, &err), 0);
  assert_int_equal(throttle_take(db, "staff_ip", "10.0.0.1", &rule, now, &retry, &err), 1);
  /* Old failures are forgotten; keys are stored hashed. */
  assert_int_equal(throttle_take(db, "staff_user", "bob", &rule, now + 3600000 + 40000, &retry, &err), 0);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM auth_throttle WHERE key_hash = 'bob'"), 0);
  assert_true(throttle_purge(db, now + 100 * 3600000LL, 3600000, &err) >= 3);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM auth_throttle"), 0);
  store_put(st, db);
  store_close(st);
}

static void throttle_holds_in_parallel(enum testdb_kind kind) {
  race r = {.st = testdb_open(kind, NULL)};
  r.rule = (throttle_rule){.free_failures = 3, .base_ms = 60000, .max_ms = 3600000, .forget_ms = 3600000};
  r.now = 5000000;
  assert_int_equal(run_race(&r, take_one), 3);
  store_close(r.st);
}

static void upload_quota_holds_in_parallel(enum testdb_kind kind) {
  race r = {.st = testdb_open(kind, NULL), .now = 7 * 3600 * 1000LL};
  assert_int_equal(run_race(&r, upload_one), 3);
  /* The hour passes: three more, then the total (6 of 6) stops the next. */
  err_t err = {0};
  db_t *db = store_get(r.st, &err);
  quota q = {.per_hour = 3, .total = 6};
  assert_int_equal(quota_check(db, QUOTA_UPLOADS, 42, &q, r.now + 3600 * 1000LL + 1, &err), 0);
  assert_int_equal(db_exec(db, &err,
                           "INSERT INTO collect_attempts (record_id, batch_id, school_id, account_id, state, "
                           "original_blob, created_at) VALUES (1, 1, 1, 42, 'processing', 0, $1), "
                           "(1, 1, 1, 42, 'processing', 0, $1), (1, 1, 1, 42, 'processing', 0, $1)",
                           DB_INT(r.now + 3600 * 1000LL + 1)),
                   3);
  assert_int_equal(quota_check(db, QUOTA_UPLOADS, 42, &q, r.now + 7200 * 1000LL, &err), -1);
  assert_int_equal(err.status, 429);
  assert_string_equal(err.code, "upload_quota_total");
  assert_int_equal(quota_check(db, QUOTA_UPLOADS, 43, &q, r.now, &err), 0); /* another student */
  store_put(r.st, db);
  store_close(r.st);
}

static void t_otp_parallel(void **s) {
  (void)s;
  for (int k = 0; k < TESTDB_KINDS; k++) otp_limits_hold_in_parallel(k);
}
static void t_upload_quota(void **s) {
  (void)s;
  for (int k = 0; k < TESTDB_KINDS; k++) upload_quota_holds_in_parallel(k);
}
static void t_throttle(void **s) {
  (void)s;
  for (int k = 0; k < TESTDB_KINDS; k++) throttle_grows_and_forgives(k);
}
static void t_throttle_parallel(void **s) {
  (void)s;
  for (int k = 0; k < TESTDB_KINDS; k++) throttle_holds_in_parallel(k);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(t_otp_parallel),
      cmocka_unit_test(t_upload_quota),
      cmocka_unit_test(t_throttle),
      cmocka_unit_test(t_throttle_parallel),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

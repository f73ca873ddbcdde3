/* The hourly purge removes what anonymous requests leave behind (old one-time codes, throttle rows,
 * payment notices) and keeps what is still needed; the tmp sweep removes uploads a crash left
 * unencrypted, but not one still being written. On SQLite and PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth/throttle.h"
#include "maintenance/maintenance.h"
#include "store/store.h"
#include "testdb.h"
#include "util/clock.h"

#define DAY (24 * 3600 * 1000LL)

static void purge(enum testdb_kind kind) {
  store_t *st = testdb_open(kind, NULL);
  err_t err = {0};
  db_t *db = store_get(st, &err);
  int64_t now = 400 * DAY;
  const char *otp =
      "INSERT INTO otp_codes (phone_hash, ip_hash, code_hash, tries, created_at, expires_at) "
      "VALUES ('p', 'i', 'c', 0, $1, $2)";
  assert_int_equal(db_exec(db, &err, otp, DB_INT(now - 3 * DAY), DB_INT(now - 3 * DAY + 300000)), 1); /* old */
  assert_int_equal(db_exec(db, &err, otp, DB_INT(now - 60000), DB_INT(now + 240000)), 1);             /* live */
  const char *notice =
      "INSERT INTO pay_notices (received_at, provider, body_sha256, outcome) VALUES ($1, 'wechatpay', "
      "'h', $2)";
  assert_int_equal(db_exec(db, &err, notice, DB_INT(now - 31 * DAY), DB_TEXT("refused")), 1);  /* goes */
  assert_int_equal(db_exec(db, &err, notice, DB_INT(now - 31 * DAY), DB_TEXT("applied")), 1);  /* stays */
  assert_int_equal(db_exec(db, &err, notice, DB_INT(now - 366 * DAY), DB_TEXT("applied")), 1); /* goes */
  assert_int_equal(db_exec(db, &err, notice, DB_INT(now - DAY), DB_TEXT("duplicate")), 1);     /* stays */
  throttle_rule rule = {.free_failures = 1, .base_ms = 60000, .max_ms = 60000, .forget_ms = DAY};
  int64_t retry;
  assert_int_equal(throttle_take(db, "staff_user", "old", &rule, now - 2 * DAY, &retry, &err), 0);
  assert_int_equal(throttle_take(db, "staff_user", "locked", &rule, now - 1000, &retry, &err), 0);

  maintenance_counts c;
  assert_int_equal(maintenance_purge_at(db, now, &c, &err), 0);
  assert_int_equal(c.otp_codes, 1);
  assert_int_equal(c.pay_notices, 2);
  assert_int_equal(c.throttles, 1);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM otp_codes"), 1);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM pay_notices"), 2);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM pay_notices WHERE received_at = $1", DB_INT(now - DAY)),
                   1);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM auth_throttle"), 1);
  store_put(st, db);
  store_close(st);
}

static void touch(const char *path, int64_t age_s) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("unencrypted photo bytes", f);
  fclose(f);
  struct timeval tv[2];
  gettimeofday(&tv[0], NULL);
  tv[0].tv_sec -= age_s;
  tv[1] = tv[0];
  assert_int_equal(utimes(path, tv), 0);
}

static void t_purge(void **s) {
  (void)s;
  for (int k = 0; k < TESTDB_KINDS; k++) purge(k);
}

static void t_sweep(void **s) {
  (void)s;
  char *dir = testdb_tmpdir();
  char tmp[600], old[700], fresh[700];
  snprintf(tmp, sizeof tmp, "%s/tmp", dir);
  assert_int_equal(mkdir(tmp, 0700), 0);
  snprintf(old, sizeof old, "%s/upload-OLD123", tmp);
  snprintf(fresh, sizeof fresh, "%s/upload-NEW123", tmp);
  touch(old, 3600);
  touch(fresh, 5);
  assert_int_equal(maintenance_sweep_tmp(dir, 10 * 60 * 1000), 1);
  assert_int_not_equal(access(old, F_OK), 0);
  assert_int_equal(access(fresh, F_OK), 0);
  assert_int_equal(maintenance_sweep_tmp(dir, 0), 1);
  assert_int_not_equal(access(fresh, F_OK), 0);
  assert_int_equal(maintenance_sweep_tmp("/nonexistent-tucai", 0), 0);
  rmdir(tmp);
  rmdir(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(t_purge), cmocka_unit_test(t_sweep)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

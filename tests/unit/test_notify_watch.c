/* The event streams' watcher, on SQLite and PostgreSQL: the caps per account and per process, a
 * change written by anyone (here: a plain INSERT/UPDATE, as a worker would) wakes the account's
 * streams and only theirs, a change is reported once, the store is not asked while no stream is
 * open, and stopping ends every wait. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "notify/watch.h"
#include "testdb.h"
#include "util/clock.h"

static void inbox_insert(store_t *st, int64_t account) {
  err_t err = {0};
  db_t *db = store_get(st, &err);
  assert_non_null(db);
  assert_int_equal(
      db_exec(db, &err, "INSERT INTO notify_inbox (account_id, kind, title, created_at) VALUES ($1, 'test', 't', $2)",
              DB_INT(account), DB_INT(clock_now_ms())),
      1);
  store_put(st, db);
}

static void caps(enum testdb_kind kind) {
  store_t *st = testdb_open(kind, NULL);
  notify_watch *w = notify_watch_start(st, 20, 3, 2);
  notify_watch_sub *a1, *a2, *a3, *b, *c;
  assert_int_equal(notify_watch_subscribe(w, 1, &a1), 0);
  assert_int_equal(notify_watch_subscribe(w, 1, &a2), 0);
  assert_int_equal(notify_watch_subscribe(w, 1, &a3), NOTIFY_WATCH_ACCOUNT_FULL);
  assert_null(a3);
  assert_int_equal(notify_watch_subscribe(w, 2, &b), 0);
  assert_int_equal(notify_watch_subscribe(w, 3, &c), NOTIFY_WATCH_FULL);
  assert_int_equal(notify_watch_streams(w), 3);
  notify_watch_unsubscribe(a1);
  assert_int_equal(notify_watch_subscribe(w, 3, &c), 0);
  notify_watch_unsubscribe(a2);
  notify_watch_unsubscribe(b);
  notify_watch_unsubscribe(c);
  assert_int_equal(notify_watch_streams(w), 0);
  notify_watch_free(w);
  store_close(st);
}

static void wakes_the_changed_account_once(enum testdb_kind kind) {
  store_t *st = testdb_open(kind, NULL);
  notify_watch *w = notify_watch_start(st, 20, 10, 2);
  clock_sleep_ms(100);
  assert_int_equal(notify_watch_polls(w), 0); /* nobody listens: the store is left alone */
  notify_watch_sub *mine, *other;
  assert_int_equal(notify_watch_subscribe(w, 7, &mine), 0);
  assert_int_equal(notify_watch_subscribe(w, 8, &other), 0);
  assert_int_equal(notify_watch_wait(mine, clock_mono_s() + 0.3), 0);

  inbox_insert(st, 7);
  assert_int_equal(notify_watch_wait(mine, clock_mono_s() + 5), 1);
  assert_int_equal(notify_watch_wait(other, clock_mono_s() + 0.3), 0);
  /* The row stays in the watcher's look-back window; seen once, it wakes nobody again. */
  assert_int_equal(notify_watch_wait(mine, clock_mono_s() + 0.3), 0);

  /* An update (a message read) is a change too; one that came while the stream was busy is
   * reported on its next wait. */
  err_t err = {0};
  db_t *db = store_get(st, &err);
  assert_int_equal(db_exec(db, &err, "UPDATE notify_inbox SET read_at = 1 WHERE account_id = 7"), 1);
  store_put(st, db);
  clock_sleep_ms(300);
  assert_int_equal(notify_watch_wait(mine, clock_mono_s() + 5), 1);
  assert_true(notify_watch_polls(w) > 0);

  notify_watch_stop(w);
  assert_int_equal(notify_watch_wait(mine, clock_mono_s() + 5), -1);
  assert_int_equal(notify_watch_subscribe(w, 9, &(notify_watch_sub *){0}), NOTIFY_WATCH_FULL);
  notify_watch_unsubscribe(mine);
  notify_watch_unsubscribe(other);
  notify_watch_free(w);
  store_close(st);
}

static void caps_all(void **state) {
  (void)state;
  for (int k = 0; k < TESTDB_KINDS; k++) caps((enum testdb_kind)k);
}

static void wakes_all(void **state) {
  (void)state;
  for (int k = 0; k < TESTDB_KINDS; k++) wakes_the_changed_account_once((enum testdb_kind)k);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(caps_all),
      cmocka_unit_test(wakes_all),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Office progress on SQLite and PostgreSQL: while writer threads link codes, pay orders and move
 * workflow states, every progress snapshot adds up to the roster; afterwards each status count
 * equals a direct count of the rows the writers made. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/roles.h"
#include "photo/photo.h"
#include "identity/batch.h"
#include "office/progress.h"
#include "office/remind.h"
#include "testdb.h"
#include "util/clock.h"

#define N 120

typedef struct world {
  store_t *st;
  int64_t batch_id;
  int64_t rec[N];
  int expect[N]; /* final status index per record */
} world;

/* Record i ends in status i % 6 (0 not started ... 5 approved), made in the order a student goes. */
static void *writer(void *arg) {
  world *w = arg;
  err_t err = {0};
  db_t *db = store_get(w->st, &err);
  for (int i = 0; i < N; i++) {
    int target = i % 6;
    int64_t r = w->rec[i], now = clock_now_ms();
    if (target >= 1)
      db_exec(db, &err,
              "INSERT INTO student_links (account_id, record_id, code_sealed, issuer_kid, seal_kid, linked_at) "
              "VALUES ($1, $1, 'x', 'k', 's', $2)",
              DB_INT(r), DB_INT(now));
    if (target >= 2) {
      char no[32];
      snprintf(no, sizeof no, "T%lld", (long long)r);
      db_exec(
          db, &err,
          "INSERT INTO pay_orders (out_trade_no, account_id, record_id, batch_id, items, amount_fen, provider, "
          "state, created_at, expires_at, paid_at, updated_at) VALUES ($1, $2, $2, $3, '[]', 3000, 'mock', 'paid', $4, $4, $4, $4)",
          DB_TEXT(no), DB_INT(r), DB_INT(w->batch_id), DB_INT(now));
    }
    if (target >= 3) {
      const char *state = target == 3 ? "in_review" : target == 4 ? "rejected" : "approved";
      db_exec(
          db, &err,
          "INSERT INTO collect_records (record_id, batch_id, school_id, account_id, state, approved_at, updated_at) "
          "VALUES ($1, $2, 1, $1, 'in_review', 0, $3)",
          DB_INT(r), DB_INT(w->batch_id), DB_INT(now));
      db_exec(db, &err, "UPDATE collect_records SET state = $1, approved_at = $2 WHERE record_id = $3", DB_TEXT(state),
              DB_INT(target == 5 ? now : 0), DB_INT(r));
    }
  }
  store_put(w->st, db);
  return NULL;
}

static void run(enum testdb_kind kind) {
  world w = {0};
  w.st = testdb_open(kind, NULL);
  err_t err = {0};
  db_t *db = store_get(w.st, &err);
  int64_t school = school_create(db, "10002", "测试大学", &err);
  batch b = {
      .school_id = school, .window_start_ms = clock_now_ms() - 86400000, .window_end_ms = clock_now_ms() + 86400000};
  snprintf(b.name, sizeof b.name, "2025 毕业");
  snprintf(b.profile, sizeof b.profile, "chsi-blue");
  w.batch_id = batch_create(db, &b, photo_default_profiles_dir(), &err);
  assert_true(w.batch_id > 0);
  for (int i = 0; i < N; i++) {
    char no[32];
    snprintf(no, sizeof no, "2025%04d", i);
    db_res *r =
        db_query(db, &err,
                 "INSERT INTO roster_records (batch_id, school_id, student_no, name_sealed, name_masked, id_sealed, "
                 "id_hash, id_masked, college, major, degree, grad_year, created_at, updated_at) VALUES ($1, $2, $3, "
                 "'x', '王*', 'x', $3, 'x', $4, $5, '硕士', 2025, 0, 0) RETURNING id",
                 DB_INT(w.batch_id), DB_INT(school), DB_TEXT(no), DB_TEXT(i % 3 ? "计算机学院" : "数学学院"),
                 DB_TEXT(i % 2 ? "软件工程" : "应用数学"));
    assert_non_null(r);
    w.rec[i] = db_res_int(r, 0, 0);
    db_res_free(r);
  }
  pthread_t t;
  pthread_create(&t, NULL, writer, &w);
  int snapshots = 0;
  for (int k = 0; k < 30; k++, snapshots++) {
    json_t *p = office_progress(db, w.batch_id, &err);
    assert_non_null(p);
    int64_t sum = 0;
    json_t *st = json_object_get(p, "statuses");
    for (int s = 0; s < PROGRESS_N_STATUS; s++)
      sum += json_integer_value(json_object_get(st, progress_status_codes[s]));
    assert_int_equal(sum, N);
    assert_int_equal(json_integer_value(json_object_get(p, "total")), N);
    json_decref(p);
  }
  pthread_join(t, NULL);
  json_t *p = office_progress(db, w.batch_id, &err);
  json_t *st = json_object_get(p, "statuses");
  /* Direct counts of what the writer made. */
  int64_t linked = db_int(db, &err, -1, "SELECT COUNT(*) FROM student_links");
  int64_t paid = db_int(db, &err, -1, "SELECT COUNT(*) FROM pay_orders WHERE state = 'paid'");
  int64_t in_review = db_int(db, &err, -1, "SELECT COUNT(*) FROM collect_records WHERE state = 'in_review'");
  int64_t rejected = db_int(db, &err, -1, "SELECT COUNT(*) FROM collect_records WHERE state = 'rejected'");
  int64_t approved = db_int(db, &err, -1, "SELECT COUNT(*) FROM collect_records WHERE state = 'approved'");
  int64_t started = db_int(db, &err, -1, "SELECT COUNT(*) FROM collect_records");
  assert_int_equal(json_integer_value(json_object_get(st, "approved")), approved);
  assert_int_equal(json_integer_value(json_object_get(st, "rejected")), rejected);
  assert_int_equal(json_integer_value(json_object_get(st, "submitted")), in_review);
  assert_int_equal(json_integer_value(json_object_get(st, "paid")), paid - started);
  assert_int_equal(json_integer_value(json_object_get(st, "linked")), linked - paid);
  assert_int_equal(json_integer_value(json_object_get(st, "not_started")), N - linked);
  assert_int_equal(approved, N / 6);
  /* Per college adds up too; the pending list holds everyone not approved. */
  json_t *g;
  size_t i;
  int64_t total = 0;
  json_array_foreach(json_object_get(p, "colleges"), i, g) total += json_integer_value(json_object_get(g, "total"));
  assert_int_equal(total, N);
  json_t *days = json_object_get(p, "days");
  assert_int_equal(json_array_size(days), 1);
  assert_int_equal(json_integer_value(json_object_get(json_array_get(days, 0), "approved")), approved);
  json_t *pend = office_pending(db, w.batch_id, NULL, &err);
  assert_int_equal(json_array_size(pend), N - approved);
  /* 提醒: a student with an account once, then 429 within the interval; nobody to write to: 409. */
  int64_t with = 0, without = 0;
  json_array_foreach(pend, i, g) {
    if (json_is_true(json_object_get(g, "can_remind")) && !with)
      with = json_integer_value(json_object_get(g, "record_id"));
    if (!json_is_true(json_object_get(g, "can_remind")) && !without)
      without = json_integer_value(json_object_get(g, "record_id"));
  }
  assert_true(with > 0 && without > 0);
  json_t *sent = NULL;
  err_clear(&err);
  assert_int_equal(office_remind(db, w.batch_id, with, ROLE_SCHOOL_ADMIN, 1, 3600000, &sent, &err), 0);
  assert_int_equal(
      json_integer_value(json_object_get(sent, "next_at")) - json_integer_value(json_object_get(sent, "sent_at")),
      3600000);
  json_decref(sent);
  assert_int_equal(office_remind(db, w.batch_id, with, ROLE_SCHOOL_ADMIN, 2, 3600000, &sent, &err), -1);
  assert_int_equal(err.status, 429);
  err_clear(&err);
  assert_int_equal(office_remind(db, w.batch_id, without, ROLE_SCHOOL_ADMIN, 1, 3600000, &sent, &err), -1);
  assert_string_equal(err.code, "not_linked");
  err_clear(&err);
  assert_int_equal(office_remind(db, w.batch_id + 1000, with, ROLE_SCHOOL_ADMIN, 1, 3600000, &sent, &err), -1);
  assert_int_equal(err.status, 404);
  err_clear(&err);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM office_reminders WHERE record_id = $1", DB_INT(with)), 1);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM audit_log WHERE action = 'office.remind'"), 1);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM notify_inbox WHERE kind = 'reminder'"), 1);
  json_decref(pend);
  pend = office_pending(db, w.batch_id, "数学学院", &err);
  json_array_foreach(pend, i, g) assert_string_equal(json_string_value(json_object_get(g, "college")), "数学学院");
  uint8_t *csv;
  size_t len;
  assert_int_equal(office_pending_csv(pend, &csv, &len, &err), 0);
  assert_memory_equal(csv, "\xEF\xBB\xBF", 3);
  free(csv);
  json_decref(pend);
  json_decref(p);
  store_put(w.st, db);
  store_close(w.st);
}

static void test_progress(void **state) {
  (void)state;
  for (int k = 0; k < TESTDB_KINDS; k++) run((enum testdb_kind)k);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_progress)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

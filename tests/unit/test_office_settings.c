/* Batch settings changes on SQLite and PostgreSQL: a valid change is written with one audit row
 * holding old and new values of exactly the changed fields; a refused change (bad window, fee,
 * profile, unknown field) writes nothing, neither the batch nor the audit log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "photo/photo.h"
#include "identity/batch.h"
#include "office/settings.h"
#include "testdb.h"
#include "util/clock.h"

static int64_t audits(db_t *db) {
  err_t err = {0};
  return db_int(db, &err, -1, "SELECT COUNT(*) FROM audit_log WHERE action = 'batch.settings'");
}

static void refused(db_t *db, int64_t id, const char *change_json, const char *code, const char *dir) {
  err_t err = {0};
  json_t *change = json_loads(change_json, 0, NULL);
  assert_non_null(change);
  json_t *r = office_batch_update(db, id, change, dir, 4, 9, &err);
  json_decref(change);
  assert_null(r);
  assert_int_equal(err.status, 400);
  assert_string_equal(err.code, code);
}

static void run(enum testdb_kind kind) {
  store_t *st = testdb_open(kind, NULL);
  err_t err = {0};
  db_t *db = store_get(st, &err);
  const char *dir = TUCAI_SOURCE_DIR "/profiles";
  int64_t school = school_create(db, "10003", "设置大学", &err);
  batch b = {.school_id = school, .window_start_ms = 1730822400000LL, .window_end_ms = 1733011200000LL, .n_fees = 1};
  snprintf(b.name, sizeof b.name, "2025 毕业");
  snprintf(b.profile, sizeof b.profile, "chsi-blue");
  b.fees[0] = (batch_fee_item){"collect", "采集服务费", 3000, 1};
  int64_t id = batch_create(db, &b, photo_default_profiles_dir(), &err);
  assert_true(id > 0);

  refused(db, id, "{}", "empty_change", dir);
  refused(db, id, "{\"name\":\"x\"}", "unknown_field", dir);
  refused(db, id, "{\"profile\":\"no-such-profile\"}", "invalid_profile", dir);
  refused(db, id, "{\"profile\":\"../../etc/passwd\"}", "invalid_profile", dir);
  refused(db, id, "{\"window_end\":\"2024-01-01\"}", "invalid_window", dir);
  refused(db, id, "{\"window_start\":\"not a date\"}", "invalid_field", dir);
  refused(
      db, id,
      "{\"fees\":[{\"code\":\"a\",\"name\":\"x\",\"amount_fen\":1},{\"code\":\"a\",\"name\":\"y\",\"amount_fen\":2}]}",
      "invalid_fees", dir);
  refused(db, id, "{\"eligibility\":[1]}", "invalid_eligibility", dir);
  assert_int_equal(audits(db), 0);

  json_t *change = json_loads(
      "{\"window_end\":\"2024-12-15\",\"profile\":\"chsi-blue\","
      "\"fees\":[{\"code\":\"collect\",\"name\":\"采集服务费\",\"amount_fen\":2500,\"required\":true}]}",
      0, NULL);
  json_t *r = office_batch_update(db, id, change, dir, 4, 9, &err);
  json_decref(change);
  assert_non_null(r);
  char *s = json_dumps(json_object_get(r, "changed"), JSON_COMPACT);
  assert_string_equal(s, "[\"window_end\",\"fees\"]"); /* profile unchanged: not reported */
  free(s);
  json_decref(r);
  batch out;
  assert_int_equal(batch_get(db, id, &out, &err), 0);
  assert_int_equal(out.window_end_ms, shanghai_parse("2024-12-15", 1));
  assert_int_equal(out.fees[0].amount_fen, 2500);
  assert_int_equal(audits(db), 1);
  db_res *q = db_query(db, &err,
                       "SELECT actor_role, actor_id, object_id, detail FROM audit_log WHERE action = 'batch.settings'");
  assert_non_null(q);
  assert_int_equal(db_res_int(q, 0, 0), 4);
  assert_int_equal(db_res_int(q, 0, 1), 9);
  assert_int_equal(db_res_int(q, 0, 2), id);
  json_t *d = json_loads(db_res_text(q, 0, 3), 0, NULL);
  db_res_free(q);
  assert_non_null(d);
  json_t *fees = json_object_get(d, "fees");
  assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(fees, "old"), 0), "amount_fen")),
                   3000);
  assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(fees, "new"), 0), "amount_fen")),
                   2500);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "window_end"), "old")), 1733011200000LL);
  assert_null(json_object_get(d, "profile"));
  json_decref(d);

  /* The same change again changes nothing and logs nothing. */
  change = json_loads("{\"window_end\":\"2024-12-15\"}", 0, NULL);
  r = office_batch_update(db, id, change, dir, 4, 9, &err);
  json_decref(change);
  assert_non_null(r);
  assert_int_equal(json_array_size(json_object_get(r, "changed")), 0);
  json_decref(r);
  assert_int_equal(audits(db), 1);
  store_put(st, db);
  store_close(st);
}

static void test_sqlite(void **state) {
  (void)state;
  run(TESTDB_SQLITE);
}
static void test_postgres(void **state) {
  (void)state;
  run(TESTDB_POSTGRES);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_sqlite), cmocka_unit_test(test_postgres)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

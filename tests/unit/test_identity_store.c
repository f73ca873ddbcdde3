/* Identity against both stores: batches and their window, roster import (insert, update, duplicate,
 * sealed at rest), the OTP limits that stop brute force, accounts and linked records. */
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
#include "identity/code.h"
#include "identity/demo.h"
#include "identity/idcard.h"
#include "identity/qr.h"
#include "identity/link.h"
#include "identity/otp.h"
#include "identity/roster.h"
#include "identity/student.h"
#include "testdb.h"
#include "util/clock.h"

static void each_kind(void (*body)(enum testdb_kind)) {
  for (int k = 0; k < TESTDB_KINDS; k++) body((enum testdb_kind)k);
}

static int64_t make_batch(db_t *db, int64_t start, int64_t end) {
  err_t err = {0};
  int64_t school = school_create(db, "10141", "测试大学", &err);
  assert_true(school > 0);
  batch b;
  memset(&b, 0, sizeof b);
  b.school_id = school;
  snprintf(b.name, sizeof b.name, "2025 届补采");
  b.window_start_ms = start;
  b.window_end_ms = end;
  b.n_fees = 2;
  b.fees[0] = (batch_fee_item){"collect", "采集服务费", 3000, 1};
  b.fees[1] = (batch_fee_item){"post", "邮寄费", 1200, 0};
  snprintf(b.profile, sizeof b.profile, "chsi-blue");
  snprintf(b.eligibility, sizeof b.eligibility, "{\"grad_year\":2025}");
  int64_t id = batch_create(db, &b, photo_default_profiles_dir(), &err);
  if (id <= 0) fail_msg("batch_create: %s", err.message);
  return id;
}

static void batches(enum testdb_kind kind) {
  store_t *st = testdb_open(kind, NULL);
  err_t err = {0};
  db_t *db = store_get(st, &err);
  int64_t start = shanghai_parse("2024-11-06", 0), end = shanghai_parse("2024-11-30", 1);
  assert_int_equal(start, 1730822400000LL);                         /* 2024-11-06 00:00 +08:00 */
  assert_int_equal(end, 1730822400000LL + 25LL * 24 * 3600 * 1000); /* 2024-12-01 00:00 +08:00 */
  assert_int_equal(shanghai_parse("2024-02-30", 0), -1);
  assert_int_equal(shanghai_parse("2024-11-06T08:30", 0), 1730822400000LL + 8 * 3600000LL + 30 * 60000LL);
  assert_int_equal(shanghai_parse("2024-11-06x", 0), -1);
  int64_t id = make_batch(db, start, end);
  {
    /* A batch names a profile that exists; the old demo's `degree_2017` was silently replaced by
     * another background. */
    batch bad;
    memset(&bad, 0, sizeof bad);
    bad.school_id = 1;
    snprintf(bad.name, sizeof bad.name, "x");
    bad.window_start_ms = start;
    bad.window_end_ms = end;
    snprintf(bad.profile, sizeof bad.profile, "degree_2017");
    err_t e2 = {0};
    assert_true(batch_create(db, &bad, photo_default_profiles_dir(), &e2) < 0);
    assert_int_equal(e2.status, 400);
    assert_string_equal(e2.code, "unknown_profile");
  }
  batch b;
  assert_int_equal(batch_get(db, id, &b, &err), 0);
  assert_string_equal(b.school_code, "10141");
  assert_string_equal(b.name, "2025 届补采");
  assert_int_equal(b.n_fees, 2);
  const batch_fee_item *f = batch_fee(&b, "collect");
  assert_non_null(f);
  assert_int_equal(f->amount_fen, 3000);
  assert_int_equal(f->required, 1);
  assert_null(batch_fee(&b, "nope"));
  assert_int_equal(batch_window_at(&b, start - 1), BATCH_BEFORE);
  assert_int_equal(batch_window_at(&b, start), BATCH_OPEN);
  assert_int_equal(batch_window_at(&b, end), BATCH_CLOSED);
  assert_int_equal(batch_check_window(&b, start - 1, &err), -1);
  assert_string_equal(err.code, "window_not_open");
  assert_non_null(strstr(err.message, "2024-11-06 00:00"));
  assert_int_equal(batch_check_window(&b, end + 5, &err), -1);
  assert_string_equal(err.code, "window_closed");
  assert_non_null(strstr(err.message, "2024-11-30 23:59"));
  assert_int_equal(batch_get(db, id + 100, &b, &err), -1);
  assert_int_equal(err.status, 404);
  assert_int_equal(school_create(db, "10141", "重复", &err), -1);
  assert_string_equal(err.code, "school_exists");
  store_put(st, db);
  store_close(st);
}

static void roster(enum testdb_kind kind) {
  store_t *st = testdb_open(kind, NULL);
  err_t err = {0};
  db_t *db = store_get(st, &err);
  int64_t id = make_batch(db, 1, INT64_MAX / 2);
  char a[19], b[19];
  snprintf(a, sizeof a, "%s%c", "21020319980101123", idcard_check_char("21020319980101123"));
  snprintf(b, sizeof b, "%s%c", "37010219970505456", idcard_check_char("37010219970505456"));
  char csv[1024];
  snprintf(csv, sizeof csv,
           "学号,姓名,身份证号,学院,专业,学历层次,毕业年份\n"
           "001,张三,%s,化工学院,化学工程,硕士,2025\n"
           "002,李四,%s,化工学院,化学工程,博士,2025\n",
           a, b);
  roster_parsed p;
  roster_import_result res;
  assert_int_equal(roster_parse_csv(csv, strlen(csv), &p, &err), 0);
  assert_int_equal(roster_import(db, id, &p, &res, &err), 0);
  assert_int_equal(res.inserted, 2);
  assert_int_equal(res.updated, 0);
  roster_parsed_free(&p);
  /* Re-import: 002 changes college, 003 is new, 003 again is a duplicate line. */
  snprintf(csv, sizeof csv,
           "学号,姓名,身份证号,学院,专业,学历层次,毕业年份\n"
           "002,李四,%s,材料学院,材料工程,博士,2025\n"
           "003,王五,%s,化工学院,化学工程,硕士,2025\n"
           "003,王五五,%s,化工学院,化学工程,硕士,2025\n",
           b, a, a);
  assert_int_equal(roster_parse_csv(csv, strlen(csv), &p, &err), 0);
  assert_int_equal(roster_import(db, id, &p, &res, &err), 0);
  assert_int_equal(res.inserted, 1);
  assert_int_equal(res.updated, 1);
  assert_int_equal(p.n_errors, 1);
  assert_int_equal(p.errors[0].line, 4);
  json_t *j = roster_result_json(&p, &res);
  assert_int_equal(json_integer_value(json_object_get(j, "rejected")), 1);
  json_decref(j);
  roster_parsed_free(&p);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM roster_records WHERE batch_id = $1", DB_INT(id)), 3);
  /* Sealed at rest: neither the name nor the ID number is in the table in clear. */
  db_res *r = db_query(
      db, &err, "SELECT name_sealed, id_sealed, id_masked, college FROM roster_records WHERE student_no = '002'");
  assert_non_null(r);
  assert_null(strstr(db_res_text(r, 0, 0), "李四"));
  assert_null(strstr(db_res_text(r, 0, 1), b));
  assert_memory_equal(db_res_text(r, 0, 1), "v1:", 3);
  assert_string_equal(db_res_text(r, 0, 3), "材料学院");
  db_res_free(r);
  json_t *list = roster_list(db, id, 0, 10, &err);
  assert_int_equal(json_array_size(list), 3);
  json_t *first = json_array_get(list, 0);
  assert_string_equal(json_string_value(json_object_get(first, "name_masked")), "张*");
  assert_int_equal(strlen(json_string_value(json_object_get(first, "id_masked"))), 18);
  assert_non_null(strstr(json_string_value(json_object_get(first, "id_masked")), "************"));
  json_decref(list);
  /* Records and accounts */
  int64_t rec = db_int(db, &err, 0, "SELECT id FROM roster_records WHERE student_no = '001'");
  student_record sr;
  assert_int_equal(student_record_get(db, rec, &sr, &err), 0);
  assert_string_equal(sr.name, "张三");
  assert_int_equal(sr.status, STUDENT_UNLINKED);
  int64_t acc = student_account_for_phone(db, "13800000001", &err);
  assert_true(acc > 0);
  assert_int_equal(student_account_for_phone(db, "13800000001", &err), acc);
  assert_int_equal(student_current(db, acc, &sr, &err), 0);
  assert_int_equal(sr.status, STUDENT_UNLINKED);
  assert_int_equal(sr.record_id, 0);
  assert_int_equal(
      db_exec(db, &err,
              "INSERT INTO student_links (account_id, record_id, code_sealed, issuer_kid, seal_kid, linked_at) "
              "VALUES ($1, $2, 'x', 'k', 's', 1)",
              DB_INT(acc), DB_INT(rec)),
      1);
  assert_int_equal(student_current(db, acc, &sr, &err), 0);
  assert_int_equal(sr.status, STUDENT_LINKED);
  assert_int_equal(sr.record_id, rec);
  assert_int_equal(sr.batch_id, id);
  assert_string_equal(sr.student_no, "001");
  assert_string_equal(sr.seal_kid, "s");
  assert_int_equal(student_record_mark_approved(db, rec, &err), 0);
  assert_int_equal(student_current(db, acc, &sr, &err), 0);
  assert_int_equal(sr.status, STUDENT_APPROVED);
  assert_int_equal(student_current(db, acc + 99, &sr, &err), -1);
  assert_int_equal(err.status, 404);
  /* the phone is sealed */
  r = db_query(db, &err, "SELECT phone_sealed, phone_masked FROM student_accounts WHERE id = $1", DB_INT(acc));
  assert_null(strstr(db_res_text(r, 0, 0), "13800000001"));
  assert_string_equal(db_res_text(r, 0, 1), "138****0001");
  db_res_free(r);
  store_put(st, db);
  store_close(st);
}

static void otp(enum testdb_kind kind) {
  store_t *st = testdb_open(kind, NULL);
  err_t err = {0};
  db_t *db = store_get(st, &err);
  otp_limits lim = {.ttl_ms = 300000, .max_tries = 5, .resend_ms = 0, .per_phone_hour = 3, .per_ip_hour = 5};
  char code[7];
  assert_int_equal(otp_issue(db, &lim, "1380000", "127.0.0.1", code, &err), -1);
  assert_string_equal(err.code, "invalid_phone");
  assert_int_equal(otp_issue(db, &lim, "13800000002", "127.0.0.1", code, &err), 0);
  assert_int_equal(strlen(code), 6);
  /* Brute force: five wrong guesses kill the code; the right one is then refused too. */
  char wrong[12];
  int tried = 0;
  for (int g = 0; tried < 5; g++) {
    snprintf(wrong, sizeof wrong, "%06d", g % 1000000);
    if (strcmp(wrong, code) == 0) continue;
    int rc = otp_check(db, &lim, "13800000002", wrong, &err);
    assert_int_equal(rc, -1);
    tried++;
    if (tried < 5) {
      assert_string_equal(err.code, "otp_wrong");
    } else {
      assert_string_equal(err.code, "otp_locked");
    }
  }
  assert_int_equal(otp_check(db, &lim, "13800000002", code, &err), -1);
  assert_string_equal(err.code, "otp_locked");
  assert_int_equal(err.status, 429);
  /* A fresh code works once. */
  assert_int_equal(otp_issue(db, &lim, "13800000002", "127.0.0.1", code, &err), 0);
  assert_int_equal(otp_check(db, &lim, "13800000002", code, &err), 0);
  assert_int_equal(otp_check(db, &lim, "13800000002", code, &err), -1);
  assert_string_equal(err.code, "otp_not_found");
  /* Per phone per hour: the third code was the last. */
  assert_int_equal(otp_issue(db, &lim, "13800000002", "127.0.0.1", code, &err), 0);
  assert_int_equal(otp_issue(db, &lim, "13800000002", "127.0.0.1", code, &err), -1);
  assert_string_equal(err.code, "otp_phone_limit");
  /* Per address: 3 used above, 2 more phones, then refused. */
  assert_int_equal(otp_issue(db, &lim, "13800000003", "127.0.0.1", code, &err), 0);
  assert_int_equal(otp_issue(db, &lim, "13800000004", "127.0.0.1", code, &err), 0);
  assert_int_equal(otp_issue(db, &lim, "13800000005", "127.0.0.1", code, &err), -1);
  assert_string_equal(err.code, "otp_ip_limit");
  assert_int_equal(otp_issue(db, &lim, "13800000005", "10.0.0.9", code, &err), 0);
  /* Resend interval and expiry. */
  otp_limits slow = lim;
  slow.resend_ms = 60000;
  assert_int_equal(otp_issue(db, &slow, "13800000005", "10.0.0.9", code, &err), -1);
  assert_string_equal(err.code, "otp_too_frequent");
  otp_limits brief = lim;
  brief.ttl_ms = 1;
  assert_int_equal(otp_issue(db, &brief, "13800000006", "10.0.0.9", code, &err), 0);
  clock_sleep_ms(5);
  assert_int_equal(otp_check(db, &brief, "13800000006", code, &err), -1);
  assert_string_equal(err.code, "otp_expired");
  assert_int_equal(otp_check(db, &lim, "13800000006", "12345", &err), -1);
  assert_string_equal(err.code, "invalid_otp");
  /* Codes are stored hashed only. */
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM otp_codes WHERE code_hash = $1", DB_TEXT(code)), 0);
  store_put(st, db);
  store_close(st);
}

/* Demo data: an open batch with the notice's fee, a roster, trusted keys and a code PNG that the
 * server's own reader and verifier accept and that matches a roster record. Idempotent. */
static void demo(enum testdb_kind kind) {
  store_t *st = testdb_open(kind, NULL);
  err_t err = {0};
  db_t *db = store_get(st, &err);
  char *dir = testdb_tmpdir();
  if (identity_seed_demo(db, dir, photo_default_profiles_dir(), &err) != 0) fail_msg("seed: %s", err.message);
  assert_int_equal(identity_seed_demo(db, dir, photo_default_profiles_dir(), &err), 0);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM schools"), 1);
  int64_t bid = db_int(db, &err, -1, "SELECT id FROM batches");
  batch b;
  assert_int_equal(batch_get(db, bid, &b, &err), 0);
  assert_int_equal(batch_window_at(&b, clock_now_ms()), BATCH_OPEN);
  assert_int_equal(batch_fee(&b, "collect")->amount_fen, 3000);
  assert_int_equal(db_int(db, &err, -1, "SELECT COUNT(*) FROM roster_records WHERE batch_id = $1", DB_INT(bid)), 4);
  char keys[600], png[700];
  snprintf(keys, sizeof keys, "%s/code-keys", dir);
  snprintf(png, sizeof png, "%s/demo/collection-code-2022110101.png", dir);
  code_keyring ring;
  assert_int_equal(code_keyring_load(keys, &ring, &err), 0);
  char *text = NULL;
  assert_int_equal(qr_read_file(png, CODE_PREFIX, 0, &text, &err), 0);
  code_payload p;
  assert_int_equal(code_verify(text, &ring, clock_now_ms(), &p, &err), 0);
  free(text);
  assert_int_equal(
      db_int(db, &err, -1,
             "SELECT COUNT(*) FROM roster_records WHERE student_no = $1 AND name_masked = $2 AND id_masked = $3",
             DB_TEXT(p.student_no), DB_TEXT(p.name_masked), DB_TEXT(p.id_masked)),
      1);
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
  free(dir);
  store_put(st, db);
  store_close(st);
}

static void test_demo(void **s) { (void)s, each_kind(demo); }

/* The collectability rule on plain structs: order of refusals and the window edges. */
static void test_collectable(void **s) {
  (void)s;
  batch b;
  memset(&b, 0, sizeof b);
  snprintf(b.name, sizeof b.name, "补采");
  b.window_start_ms = 1000;
  b.window_end_ms = 2000;
  snprintf(b.eligibility, sizeof b.eligibility, "{\"grad_year\":2025,\"degrees\":[\"硕士\",\"博士\"]}");
  student_record r;
  memset(&r, 0, sizeof r);
  r.record_id = 5;
  r.grad_year = 2025;
  snprintf(r.degree, sizeof r.degree, "博士");
  err_t err = {0};
  assert_int_equal(identity_check_collectable(&b, &r, 7, 1500, &err), 0);
  assert_int_equal(identity_check_collectable(&b, &r, 7, 999, &err), -1);
  assert_string_equal(err.code, "window_not_open");
  assert_int_equal(identity_check_collectable(&b, &r, 7, 2000, &err), -1);
  assert_string_equal(err.code, "window_closed");
  r.account_id = 7; /* linked to this account: still fine */
  assert_int_equal(identity_check_collectable(&b, &r, 7, 1500, &err), 0);
  assert_int_equal(identity_check_collectable(&b, &r, 8, 1500, &err), -1);
  assert_string_equal(err.code, "record_taken");
  r.status = STUDENT_APPROVED; /* approved: nobody may collect again, not even the owner */
  assert_int_equal(identity_check_collectable(&b, &r, 7, 1500, &err), -1);
  assert_string_equal(err.code, "already_collected");
  r.status = STUDENT_LINKED;
  r.grad_year = 2024;
  assert_int_equal(identity_check_collectable(&b, &r, 7, 1500, &err), -1);
  assert_string_equal(err.code, "not_eligible");
  r.grad_year = 2025;
  snprintf(r.degree, sizeof r.degree, "学士");
  assert_int_equal(identity_eligible(&b, &r), 0);
  snprintf(b.eligibility, sizeof b.eligibility, "{}");
  assert_int_equal(identity_eligible(&b, &r), 1);
  snprintf(b.eligibility, sizeof b.eligibility, "not json");
  assert_int_equal(identity_eligible(&b, &r), 0);
}

static void test_batches(void **s) { (void)s, each_kind(batches); }
static void test_roster(void **s) { (void)s, each_kind(roster); }
static void test_otp(void **s) { (void)s, each_kind(otp); }

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_batches),     cmocka_unit_test(test_roster), cmocka_unit_test(test_otp),
      cmocka_unit_test(test_collectable), cmocka_unit_test(test_demo),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  qr_render_release();
  return rc;
}

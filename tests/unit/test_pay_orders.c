/* Orders on SQLite and PostgreSQL: amounts from the batch's fee list, one open order per record
 * and batch, exactly one payment under 50 concurrent duplicate notices, refusal of unknown orders
 * and wrong amounts without any change, closing unpaid orders (through the mock provider) and
 * refunding money that arrives afterwards, refunds, and the append-only event trail. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "photo/photo.h"
#include "identity/batch.h"
#include "pay/mock.h"
#include "pay/notify.h"
#include "pay/orders.h"
#include "testdb.h"
#include "util/clock.h"

typedef struct fixture {
  store_t *st;
  db_t *db;
  int64_t batch_id;
  pay_env pay; /* what the pay room is given by a process */
  config *cfg;
} fixture;

static void open_fixture(fixture *f, enum testdb_kind kind) {
  memset(f, 0, sizeof *f);
  f->st = testdb_open(kind, NULL);
  assert_non_null(f->st);
  err_t err = {0};
  f->db = store_get(f->st, &err);
  assert_non_null(f->db);
  int64_t school = school_create(f->db, "10001", "测试大学", &err);
  assert_true(school > 0);
  batch b = {.school_id = school,
             .window_start_ms = clock_now_ms() - 86400000,
             .window_end_ms = clock_now_ms() + 86400000,
             .n_fees = 3};
  snprintf(b.name, sizeof b.name, "2024 冬季补采");
  snprintf(b.profile, sizeof b.profile, "chsi-blue");
  b.fees[0] = (batch_fee_item){"collect", "采集服务费", 3000, 1};
  b.fees[1] = (batch_fee_item){"print", "冲印费", 1000, 0};
  b.fees[2] = (batch_fee_item){"post", "邮寄费", 1200, 0};
  f->batch_id = batch_create(f->db, &b, photo_default_profiles_dir(), &err);
  assert_true(f->batch_id > 0);
  f->cfg = config_new();
  f->pay = (pay_env){.cfg = f->cfg, .store = f->st};
}

static void close_fixture(fixture *f) {
  pay_provider_shutdown();
  store_put(f->st, f->db);
  store_close(f->st);
  config_free(f->cfg);
}

static void with_kind(void (*body)(enum testdb_kind)) {
  for (int k = 0; k < TESTDB_KINDS; k++) body((enum testdb_kind)k);
}

static pay_order new_order(fixture *f, int64_t record, const char *const *items, int n, int64_t address, int64_t ttl) {
  err_t err = {0};
  pay_new_order req = {.account_id = record + 1000,
                       .record_id = record,
                       .batch_id = f->batch_id,
                       .items = items,
                       .n_items = n,
                       .address_id = address,
                       .provider = "mock",
                       .ttl_ms = ttl};
  pay_order o;
  assert_int_equal(pay_order_create(f->db, &req, &o, &err), 0);
  return o;
}

static pay_txn txn_for(const pay_order *o, int64_t amount, const char *txid) {
  pay_txn t = {0};
  snprintf(t.out_trade_no, sizeof t.out_trade_no, "%s", o->out_trade_no);
  snprintf(t.transaction_id, sizeof t.transaction_id, "%s", txid);
  snprintf(t.trade_state, sizeof t.trade_state, "SUCCESS");
  snprintf(t.currency, sizeof t.currency, "CNY");
  t.total_fen = amount;
  return t;
}

static int apply_in_tx(db_t *db, const pay_txn *t, int *result, err_t *err) {
  int64_t oid = 0;
  if (db_begin(db, err) < 0) return -1;
  if (pay_apply_payment(db, t, "test", result, &oid, err) < 0) {
    db_rollback(db);
    return -1;
  }
  return db_commit(db, err);
}

static int64_t count(db_t *db, const char *sql, int64_t id) {
  err_t err = {0};
  return db_int(db, &err, -1, sql, DB_INT(id));
}

static void amounts_come_from_the_fee_list(enum testdb_kind kind) {
  fixture f;
  open_fixture(&f, kind);
  err_t err = {0};
  const char *print[] = {"print"};
  pay_order o = new_order(&f, 1, print, 1, 0, 60000);
  assert_int_equal(o.amount_fen, 4000);
  assert_string_equal(o.state, "created");
  assert_int_equal(strlen(o.out_trade_no), 22);
  /* a second open order for the same record and batch is refused */
  pay_new_order again = {.account_id = 1001, .record_id = 1, .batch_id = f.batch_id, .provider = "mock"};
  pay_order o2;
  assert_int_equal(pay_order_create(f.db, &again, &o2, &err), -1);
  assert_int_equal(err.status, 409);
  assert_string_equal(err.code, "order_exists");
  /* postage needs an address; unknown items are refused */
  const char *post[] = {"print", "post"};
  pay_new_order p = {
      .account_id = 1002, .record_id = 2, .batch_id = f.batch_id, .items = post, .n_items = 2, .provider = "mock"};
  assert_int_equal(pay_order_create(f.db, &p, &o2, &err), -1);
  assert_string_equal(err.code, "address_required");
  const char *bogus[] = {"gold_frame"};
  p.items = bogus;
  p.n_items = 1;
  assert_int_equal(pay_order_create(f.db, &p, &o2, &err), -1);
  assert_string_equal(err.code, "unknown_item");
  assert_int_equal(pay_order_is_paid(f.db, 1, f.batch_id, &err), 0);
  close_fixture(&f);
}

typedef struct racer {
  store_t *st;
  pay_txn txn;
  int applied, ok;
} racer;

static void *race(void *arg) {
  racer *r = arg;
  err_t err = {0};
  db_t *db = store_get(r->st, &err);
  int result = 0;
  if (db && apply_in_tx(db, &r->txn, &result, &err) == 0) {
    r->ok = 1;
    r->applied = result == PAY_APPLIED;
  }
  if (db) store_put(r->st, db);
  return NULL;
}

static void fifty_concurrent_duplicates_pay_once(enum testdb_kind kind) {
  fixture f;
  open_fixture(&f, kind);
  err_t err = {0};
  pay_order o = new_order(&f, 7, NULL, 0, 0, 60000);
  enum { N = 50 };
  racer r[N];
  pthread_t t[N];
  for (int i = 0; i < N; i++) {
    r[i] = (racer){.st = f.st, .txn = txn_for(&o, 3000, "4200000000001")};
    pthread_create(&t[i], NULL, race, &r[i]);
  }
  int applied = 0, ok = 0;
  for (int i = 0; i < N; i++) {
    pthread_join(t[i], NULL);
    applied += r[i].applied;
    ok += r[i].ok;
  }
  assert_int_equal(applied, 1);
  assert_int_equal(ok, N); /* the others were acknowledged without effect */
  assert_int_equal(pay_order_is_paid(f.db, 7, f.batch_id, &err), 1);
  assert_int_equal(count(f.db, "SELECT COUNT(*) FROM pay_order_events WHERE order_id = $1 AND to_state = 'paid'", o.id),
                   1);
  /* a different transaction for the same order is a second payment: refused, flagged in the log */
  pay_txn other = txn_for(&o, 3000, "4200000000002");
  int result = 0;
  assert_int_equal(apply_in_tx(f.db, &other, &result, &err), -1);
  assert_string_equal(err.code, "second_payment");
  close_fixture(&f);
}

static void wrong_amount_and_unknown_order_change_nothing(enum testdb_kind kind) {
  fixture f;
  open_fixture(&f, kind);
  err_t err = {0};
  pay_order o = new_order(&f, 8, NULL, 0, 0, 60000);
  int result = 0;
  pay_txn t = txn_for(&o, 1, "4200000000003");
  assert_int_equal(apply_in_tx(f.db, &t, &result, &err), -1);
  assert_string_equal(err.code, "amount_mismatch");
  snprintf(t.out_trade_no, sizeof t.out_trade_no, "TC20990101NOSUCHORDER1");
  t.total_fen = 3000;
  assert_int_equal(apply_in_tx(f.db, &t, &result, &err), -1);
  assert_string_equal(err.code, "unknown_order");
  t = txn_for(&o, 3000, "4200000000003");
  snprintf(t.currency, sizeof t.currency, "USD");
  assert_int_equal(apply_in_tx(f.db, &t, &result, &err), -1);
  assert_string_equal(err.code, "currency_mismatch");
  pay_order now;
  assert_int_equal(pay_order_get(f.db, o.id, &now, &err), 0);
  assert_string_equal(now.state, "created");
  assert_int_equal(count(f.db, "SELECT COUNT(*) FROM pay_order_events WHERE order_id = $1", o.id), 1);
  close_fixture(&f);
}

static void unpaid_order_closes_and_late_money_goes_back(enum testdb_kind kind) {
  fixture f;
  open_fixture(&f, kind);
  err_t err = {0};
  pay_provider *p = pay_provider_get(&f.pay, &err);
  assert_non_null(p);
  pay_order o = new_order(&f, 9, NULL, 0, 0, 60000);
  assert_int_equal(pay_order_set_channel(f.db, &o, "mock", &err), 0);
  json_t *client = NULL;
  pay_create_req cr = {.out_trade_no = o.out_trade_no,
                       .description = "x",
                       .total_fen = o.amount_fen,
                       .expire_ms = o.expires_at,
                       .channel = "mock"};
  assert_int_equal(p->create(p, &cr, &client, &err), 0);
  json_decref(client);
  assert_int_equal(pay_order_close(&f.pay, f.db, o.id, (pay_actor){0, 0}, "unpaid when its time ran out", &err), 0);
  pay_order now;
  assert_int_equal(pay_order_get(f.db, o.id, &now, &err), 0);
  assert_string_equal(now.state, "closed");
  /* the mock provider refuses payment of a closed order */
  pay_notice n;
  assert_int_equal(db_begin(f.db, &err), 0);
  assert_int_equal(pay_mock_decide(f.db, o.out_trade_no, 1, &n, &err), -1);
  db_rollback(f.db);
  /* a closed order frees the slot: a new order may be placed */
  pay_order fresh = new_order(&f, 9, NULL, 0, 0, 60000);
  assert_true(fresh.id != o.id);
  /* money for the closed order arrives anyway: refund_pending, flagged, refund job queued */
  int result = 0;
  pay_txn t = txn_for(&o, 3000, "4200000000009");
  assert_int_equal(apply_in_tx(f.db, &t, &result, &err), 0);
  assert_int_equal(result, PAY_APPLIED);
  assert_int_equal(pay_order_get(f.db, o.id, &now, &err), 0);
  assert_string_equal(now.state, "refund_pending");
  assert_string_equal(now.flag, "paid_after_close");
  char payload[64];
  snprintf(payload, sizeof payload, "{\"order_id\":%lld}", (long long)o.id);
  assert_int_equal(
      db_int(f.db, &err, -1, "SELECT COUNT(*) FROM jobs WHERE type = 'pay.refund' AND payload = $1", DB_TEXT(payload)),
      1);
  assert_int_equal(pay_order_is_paid(f.db, 9, f.batch_id, &err), 0);
  close_fixture(&f);
}

static void refund_with_reason_then_confirmed(enum testdb_kind kind) {
  fixture f;
  open_fixture(&f, kind);
  err_t err = {0};
  pay_order o = new_order(&f, 10, NULL, 0, 0, 60000);
  int result = 0;
  pay_txn t = txn_for(&o, 3000, "4200000000010");
  assert_int_equal(apply_in_tx(f.db, &t, &result, &err), 0);
  assert_int_equal(pay_order_request_refund(f.db, o.id, (pay_actor){8, 1}, "", &err), -1);
  assert_string_equal(err.code, "reason_required");
  assert_int_equal(pay_order_request_refund(f.db, o.id, (pay_actor){8, 1}, "学生重复缴费", &err), 0);
  assert_int_equal(pay_order_request_refund(f.db, o.id, (pay_actor){8, 1}, "again", &err), -1);
  pay_order now;
  assert_int_equal(pay_order_get(f.db, o.id, &now, &err), 0);
  assert_string_equal(now.state, "refund_pending");
  assert_int_equal(now.refund_fen, 3000);
  pay_refund r = {0};
  snprintf(r.out_trade_no, sizeof r.out_trade_no, "%s", o.out_trade_no);
  snprintf(r.out_refund_no, sizeof r.out_refund_no, "%s", now.out_refund_no);
  snprintf(r.refund_id, sizeof r.refund_id, "5000001");
  snprintf(r.status, sizeof r.status, "SUCCESS");
  r.refund_fen = 1; /* wrong amount first */
  r.total_fen = 3000;
  int64_t oid = 0;
  assert_int_equal(db_begin(f.db, &err), 0);
  assert_int_equal(pay_apply_refund(f.db, &r, &result, &oid, &err), -1);
  db_rollback(f.db);
  r.refund_fen = 3000;
  for (int i = 0; i < 2; i++) { /* twice: the second changes nothing */
    assert_int_equal(db_begin(f.db, &err), 0);
    assert_int_equal(pay_apply_refund(f.db, &r, &result, &oid, &err), 0);
    assert_int_equal(result, i == 0 ? PAY_APPLIED : PAY_NO_CHANGE);
    assert_int_equal(db_commit(f.db, &err), 0);
  }
  assert_int_equal(pay_order_get(f.db, o.id, &now, &err), 0);
  assert_string_equal(now.state, "refunded");
  json_t *ev = pay_order_events_json(f.db, o.id, &err);
  assert_int_equal(json_array_size(ev), 4);
  assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 2), "reason")), "学生重复缴费");
  assert_int_equal(json_integer_value(json_object_get(json_array_get(ev, 2), "actor_role")), 8);
  json_decref(ev);
  close_fixture(&f);
}

static void t_amounts(void **s) { (void)s, with_kind(amounts_come_from_the_fee_list); }
static void t_fifty(void **s) { (void)s, with_kind(fifty_concurrent_duplicates_pay_once); }
static void t_wrong(void **s) { (void)s, with_kind(wrong_amount_and_unknown_order_change_nothing); }
static void t_close(void **s) { (void)s, with_kind(unpaid_order_closes_and_late_money_goes_back); }
static void t_refund(void **s) { (void)s, with_kind(refund_with_reason_then_confirmed); }

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(t_amounts), cmocka_unit_test(t_fifty),  cmocka_unit_test(t_wrong),
      cmocka_unit_test(t_close),   cmocka_unit_test(t_refund),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

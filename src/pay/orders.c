#include "pay/orders.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "identity/batch.h"
#include "jobs/jobs.h"
#include "notify/notify.h"
#include "pay/wxp_sign.h"
#include "util/clock.h"
#include "util/log.h"

#define ORDER_COLS                                                                                                  \
  "id, out_trade_no, account_id, record_id, batch_id, state, items, amount_fen, "                                   \
  "COALESCE(address_id, 0) AS address_id, provider, channel, COALESCE(transaction_id, '') AS transaction_id, "      \
  "paid_fen, created_at, expires_at, COALESCE(paid_at, 0) AS paid_at, COALESCE(closed_at, 0) AS closed_at, "        \
  "COALESCE(refunded_at, 0) AS refunded_at, updated_at, refund_fen, COALESCE(out_refund_no, '') AS out_refund_no, " \
  "COALESCE(refund_reason, '') AS refund_reason, COALESCE(flag, '') AS flag"

static void fill(const db_res *r, int row, pay_order *o) {
  memset(o, 0, sizeof *o);
  o->id = db_res_int_at(r, row, "id");
  snprintf(o->out_trade_no, sizeof o->out_trade_no, "%s", db_res_text_at(r, row, "out_trade_no"));
  o->account_id = db_res_int_at(r, row, "account_id");
  o->record_id = db_res_int_at(r, row, "record_id");
  o->batch_id = db_res_int_at(r, row, "batch_id");
  snprintf(o->state, sizeof o->state, "%s", db_res_text_at(r, row, "state"));
  snprintf(o->items, sizeof o->items, "%s", db_res_text_at(r, row, "items"));
  o->amount_fen = db_res_int_at(r, row, "amount_fen");
  o->address_id = db_res_int_at(r, row, "address_id");
  snprintf(o->provider, sizeof o->provider, "%s", db_res_text_at(r, row, "provider"));
  snprintf(o->channel, sizeof o->channel, "%s", db_res_text_at(r, row, "channel"));
  snprintf(o->transaction_id, sizeof o->transaction_id, "%s", db_res_text_at(r, row, "transaction_id"));
  o->paid_fen = db_res_int_at(r, row, "paid_fen");
  o->created_at = db_res_int_at(r, row, "created_at");
  o->expires_at = db_res_int_at(r, row, "expires_at");
  o->paid_at = db_res_int_at(r, row, "paid_at");
  o->closed_at = db_res_int_at(r, row, "closed_at");
  o->refunded_at = db_res_int_at(r, row, "refunded_at");
  o->updated_at = db_res_int_at(r, row, "updated_at");
  o->refund_fen = db_res_int_at(r, row, "refund_fen");
  snprintf(o->out_refund_no, sizeof o->out_refund_no, "%s", db_res_text_at(r, row, "out_refund_no"));
  snprintf(o->refund_reason, sizeof o->refund_reason, "%s", db_res_text_at(r, row, "refund_reason"));
  snprintf(o->flag, sizeof o->flag, "%s", db_res_text_at(r, row, "flag"));
}

static int get_where(db_t *db, const char *where, db_val key, pay_order *out, err_t *err) {
  char sql[1024];
  snprintf(sql, sizeof sql, "SELECT " ORDER_COLS " FROM pay_orders WHERE %s", where);
  db_res *r = db_query(db, err, sql, key);
  if (!r) return -1;
  int n = db_res_rows(r);
  if (n) fill(r, 0, out);
  db_res_free(r);
  return n ? 0 : err_set(err, 404, "order_not_found", "订单不存在");
}

int pay_order_get(db_t *db, int64_t id, pay_order *out, err_t *err) {
  return get_where(db, "id = $1", DB_INT(id), out, err);
}

int pay_order_by_no(db_t *db, const char *no, pay_order *out, err_t *err) {
  return get_where(db, "out_trade_no = $1", DB_TEXT(no), out, err);
}

static void open_key(int64_t record_id, int64_t batch_id, char out[48]) {
  snprintf(out, 48, "%lld:%lld", (long long)record_id, (long long)batch_id);
}

int pay_order_open_for(db_t *db, int64_t record_id, int64_t batch_id, pay_order *out, err_t *err) {
  char key[48];
  open_key(record_id, batch_id, key);
  err_t e = {0};
  if (get_where(db, "open_key = $1", DB_TEXT(key), out, &e) == 0) return 1;
  if (e.status == 404) return 0;
  if (err) *err = e;
  return -1;
}

int pay_order_is_paid(db_t *db, int64_t record_id, int64_t batch_id, err_t *err) {
  int64_t n =
      db_int(db, err, -1, "SELECT COUNT(*) FROM pay_orders WHERE record_id = $1 AND batch_id = $2 AND state = 'paid'",
             DB_INT(record_id), DB_INT(batch_id));
  return n < 0 ? -1 : n > 0;
}

int pay_order_event(db_t *db, int64_t order_id, const char *from, const char *to, pay_actor who, const char *reason,
                    const json_t *detail, err_t *err) {
  char *d = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
  int64_t rc = db_exec(db, err,
                       "INSERT INTO pay_order_events (order_id, at, from_state, to_state, actor_role, actor_id, "
                       "reason, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                       DB_INT(order_id), DB_INT(clock_now_ms()), DB_TEXT(from), DB_TEXT(to), DB_INT(who.role),
                       DB_INT(who.id), DB_TEXT(reason), DB_TEXT(d ? d : "{}"));
  free(d);
  return rc < 0 ? -1 : 0;
}

json_t *pay_order_events_json(db_t *db, int64_t order_id, err_t *err) {
  db_res *r =
      db_query(db, err,
               "SELECT at, COALESCE(from_state, '') AS from_state, to_state, actor_role, actor_id, reason, detail "
               "FROM pay_order_events WHERE order_id = $1 ORDER BY id",
               DB_INT(order_id));
  if (!r) return NULL;
  json_t *a = json_array();
  for (int i = 0; i < db_res_rows(r); i++) {
    json_t *detail = json_loads(db_res_text_at(r, i, "detail"), 0, NULL);
    json_array_append_new(
        a, json_pack("{s:I, s:s, s:s, s:i, s:I, s:s, s:o}", "at", (json_int_t)db_res_int_at(r, i, "at"), "from",
                     db_res_text_at(r, i, "from_state"), "to", db_res_text_at(r, i, "to_state"), "actor_role",
                     (int)db_res_int_at(r, i, "actor_role"), "actor_id", (json_int_t)db_res_int_at(r, i, "actor_id"),
                     "reason", db_res_text_at(r, i, "reason"), "detail", detail ? detail : json_object()));
  }
  db_res_free(r);
  return a;
}

json_t *pay_order_json(const pay_order *o) {
  json_t *items = json_loads(o->items, 0, NULL);
  json_t *j = json_pack(
      "{s:I, s:s, s:I, s:s, s:o, s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s}", "id", (json_int_t)o->id, "out_trade_no",
      o->out_trade_no, "batch_id", (json_int_t)o->batch_id, "state", o->state, "items", items ? items : json_array(),
      "amount_fen", (json_int_t)o->amount_fen, "currency", "CNY", "provider", o->provider, "channel", o->channel,
      "created_at", (json_int_t)o->created_at, "expires_at", (json_int_t)o->expires_at, "paid_at",
      (json_int_t)o->paid_at, "refund_fen", (json_int_t)o->refund_fen, "refund_reason", o->refund_reason);
  if (o->flag[0]) json_object_set_new(j, "flag", json_string(o->flag));
  if (o->closed_at) json_object_set_new(j, "closed_at", json_integer(o->closed_at));
  if (o->refunded_at) json_object_set_new(j, "refunded_at", json_integer(o->refunded_at));
  return j;
}

/* "TC" + yyyymmdd (Asia/Shanghai) + 12 random characters: unique, unguessable, <= 32 chars. */
static void new_trade_no(char out[40]) {
  time_t t = (time_t)(clock_now_ms() / 1000) + 8 * 3600;
  struct tm tm;
  gmtime_r(&t, &tm);
  char date[16], rnd[13];
  strftime(date, sizeof date, "%Y%m%d", &tm);
  wxp_random_nonce(rnd, 12);
  snprintf(out, 40, "TC%s%s", date, rnd);
}

static int picked(const pay_new_order *req, const char *code) {
  for (int i = 0; i < req->n_items; i++)
    if (req->items[i] && strcmp(req->items[i], code) == 0) return 1;
  return 0;
}

int pay_order_create(db_t *db, const pay_new_order *req, pay_order *out, err_t *err) {
  batch b;
  if (batch_get(db, req->batch_id, &b, err) < 0) return -1;
  for (int i = 0; i < req->n_items; i++) {
    if (!req->items[i] || !batch_fee(&b, req->items[i]))
      return err_set(err, 400, "unknown_item", "所选服务不存在：%.40s", req->items[i] ? req->items[i] : "");
    for (int k = 0; k < i; k++)
      if (strcmp(req->items[k], req->items[i]) == 0) return err_set(err, 400, "duplicate_item", "服务重复选择");
  }
  /* Postage is for posting prints: without prints there is nothing to post (a batch that offers
   * both; one without a print fee may post something else). */
  if (picked(req, "post") && batch_fee(&b, "print") && !picked(req, "print"))
    return err_set(err, 400, "post_without_print", "只有选择了纸质照片才需要邮寄，请先选择纸质照片或取消邮寄");
  if (picked(req, "post") && req->address_id <= 0)
    return err_set(err, 400, "address_required", "选择邮寄时必须填写收件地址");
  json_t *items = json_array();
  int64_t total = 0;
  for (int i = 0; i < b.n_fees; i++) {
    const batch_fee_item *f = &b.fees[i];
    if (!f->required && !picked(req, f->code)) continue;
    json_array_append_new(
        items, json_pack("{s:s, s:s, s:I}", "code", f->code, "name", f->name, "amount_fen", (json_int_t)f->amount_fen));
    total += f->amount_fen;
  }
  if (total <= 0) {
    json_decref(items);
    return err_set(err, 400, "nothing_to_pay", "没有需要支付的项目");
  }
  char *items_s = json_dumps(items, JSON_COMPACT);
  json_decref(items);
  char no[40], key[48];
  new_trade_no(no);
  open_key(req->record_id, req->batch_id, key);
  int64_t now = clock_now_ms(), expires = now + (req->ttl_ms > 0 ? req->ttl_ms : 1800000);
  int rc = -1;
  if (db_begin(db, err) < 0) goto out;
  db_res *r = db_query(db, err,
                       "INSERT INTO pay_orders (out_trade_no, account_id, record_id, batch_id, items, amount_fen, "
                       "address_id, provider, state, open_key, created_at, expires_at, updated_at) VALUES "
                       "($1, $2, $3, $4, $5, $6, $7, $8, 'created', $9, $10, $11, $10) RETURNING id",
                       DB_TEXT(no), DB_INT(req->account_id), DB_INT(req->record_id), DB_INT(req->batch_id),
                       DB_TEXT(items_s), DB_INT(total), req->address_id > 0 ? DB_INT(req->address_id) : DB_NULL,
                       DB_TEXT(req->provider), DB_TEXT(key), DB_INT(now), DB_INT(expires));
  if (!r) {
    int dup = db_last_was_unique_violation(db);
    db_rollback(db);
    if (dup) err_set(err, 409, "order_exists", "本批次已有未完成或已缴费的订单");
    goto out;
  }
  int64_t id = db_res_int_at(r, 0, "id");
  db_res_free(r);
  char dedupe[64];
  snprintf(dedupe, sizeof dedupe, "pay.close:%lld", (long long)id);
  json_t *payload = json_pack("{s:I}", "order_id", (json_int_t)id);
  jobs_enqueue_opts o = {.max_attempts = 20, .run_at_ms = expires, .dedupe_key = dedupe};
  int ok = pay_order_event(db, id, NULL, "created", (pay_actor){1, req->account_id}, "student placed the order", NULL,
                           err) == 0 &&
           jobs_enqueue(db, "pay.close_unpaid", payload, &o, err) > 0 && db_commit(db, err) == 0;
  json_decref(payload);
  if (!ok) {
    db_rollback(db);
    goto out;
  }
  rc = pay_order_get(db, id, out, err);
out:
  free(items_s);
  return rc;
}

int pay_order_set_channel(db_t *db, pay_order *o, const char *channel, err_t *err) {
  if (strcmp(o->channel, channel) == 0) return 0;
  if (o->channel[0]) return err_set(err, 409, "channel_fixed", "本订单已选择其他支付方式");
  int64_t n = db_exec(db, err, "UPDATE pay_orders SET channel = $1 WHERE id = $2 AND channel = ''", DB_TEXT(channel),
                      DB_INT(o->id));
  if (n < 0) return -1;
  if (n == 0) return err_set(err, 409, "channel_fixed", "本订单已选择其他支付方式");
  snprintf(o->channel, sizeof o->channel, "%s", channel);
  return 0;
}

static int enqueue_refund(db_t *db, int64_t order_id, err_t *err) {
  char dedupe[64];
  snprintf(dedupe, sizeof dedupe, "pay.refund:%lld", (long long)order_id);
  json_t *payload = json_pack("{s:I}", "order_id", (json_int_t)order_id);
  jobs_enqueue_opts o = {.max_attempts = 20, .dedupe_key = dedupe};
  int64_t id = jobs_enqueue(db, "pay.refund", payload, &o, err);
  json_decref(payload);
  return id > 0 ? 0 : -1;
}

int pay_apply_payment(db_t *db, const pay_txn *txn, const char *why, int *result, int64_t *order_id, err_t *err) {
  *result = PAY_NO_CHANGE;
  pay_order o;
  if (pay_order_by_no(db, txn->out_trade_no, &o, err) < 0) {
    if (err && err->status == 404) err_set(err, 400, "unknown_order", "notice names an order we never placed");
    return -1;
  }
  *order_id = o.id;
  if (strcmp(txn->trade_state, "SUCCESS") != 0)
    return err_set(err, 400, "not_success", "notice does not report a successful payment");
  if (txn->total_fen != o.amount_fen)
    return err_set(err, 400, "amount_mismatch", "notice amount %lld differs from the order's %lld",
                   (long long)txn->total_fen, (long long)o.amount_fen);
  if (txn->currency[0] && strcmp(txn->currency, "CNY") != 0)
    return err_set(err, 400, "currency_mismatch", "notice currency is not CNY");
  if (!txn->transaction_id[0]) return err_set(err, 400, "no_transaction_id", "notice lacks transaction_id");
  int64_t now = clock_now_ms();
  json_t *detail = json_pack("{s:s}", "transaction_id", txn->transaction_id);
  int rc = -1;
  int64_t n = db_exec(db, err,
                      "UPDATE pay_orders SET state = 'paid', transaction_id = $1, paid_fen = $2, paid_at = $3, "
                      "updated_at = $3 WHERE id = $4 AND state = 'created'",
                      DB_TEXT(txn->transaction_id), DB_INT(txn->total_fen), DB_INT(now), DB_INT(o.id));
  if (n < 0) goto out;
  if (n == 1) {
    rc = pay_order_event(db, o.id, "created", "paid", (pay_actor){0, 0}, why, detail, err);
    /* The student hears of it at once, in the same transaction as the payment itself. */
    if (rc == 0) rc = notify_payment_received(db, o.account_id, o.id, err);
    if (rc == 0) *result = PAY_APPLIED;
    goto out;
  }
  if (strcmp(o.state, "closed") == 0) {
    char refund_no[40];
    snprintf(refund_no, sizeof refund_no, "RF%.37s", o.out_trade_no + 2);
    /* Money arrived for an order we had closed: it is not ours to keep. The open_key may be taken
     * by a newer order, so this one stays without it. */
    n = db_exec(db, err,
                "UPDATE pay_orders SET state = 'refund_pending', transaction_id = $1, paid_fen = $2, paid_at = $3, "
                "refund_fen = $2, out_refund_no = $5, flag = 'paid_after_close', "
                "refund_reason = 'paid after the order was closed', updated_at = $3 WHERE id = $4 AND state = 'closed'",
                DB_TEXT(txn->transaction_id), DB_INT(txn->total_fen), DB_INT(now), DB_INT(o.id), DB_TEXT(refund_no));
    if (n == 1) {
      rc = pay_order_event(db, o.id, "closed", "refund_pending", (pay_actor){0, 0},
                           "paid after the order was closed: refund", detail, err);
      if (rc == 0) rc = enqueue_refund(db, o.id, err);
      if (rc == 0) {
        *result = PAY_APPLIED;
        log_warn("pay_paid_after_close", "order", o.out_trade_no, NULL);
      }
      goto out;
    }
    if (n < 0) goto out;
  }
  /* Already paid (or further along). The same transaction again is a duplicate; another one is
   * a second payment of one order and must reach an operator. */
  if (o.transaction_id[0] && strcmp(o.transaction_id, txn->transaction_id) != 0) {
    err_set(err, 409, "second_payment", "order was already paid by another transaction");
    log_error("pay_second_payment", "order", o.out_trade_no, NULL);
    goto out;
  }
  rc = 0;
out:
  json_decref(detail);
  return rc;
}

int pay_apply_refund(db_t *db, const pay_refund *r, int *result, int64_t *order_id, err_t *err) {
  *result = PAY_NO_CHANGE;
  pay_order o;
  if (pay_order_by_no(db, r->out_trade_no, &o, err) < 0) {
    if (err && err->status == 404) err_set(err, 400, "unknown_order", "notice names an order we never placed");
    return -1;
  }
  *order_id = o.id;
  if (!o.out_refund_no[0] || strcmp(o.out_refund_no, r->out_refund_no) != 0)
    return err_set(err, 400, "unknown_refund", "notice names a refund we never asked for");
  if (r->refund_fen != o.refund_fen || r->total_fen != o.amount_fen)
    return err_set(err, 400, "amount_mismatch", "refund amount differs from what we asked");
  if (strcmp(r->status, "SUCCESS") != 0) {
    /* ABNORMAL / CLOSED: stays refund_pending with a flag for the operator. */
    int64_t n = db_exec(db, err, "UPDATE pay_orders SET flag = $1, updated_at = $2 WHERE id = $3",
                        DB_TEXT("refund_abnormal"), DB_INT(clock_now_ms()), DB_INT(o.id));
    return n < 0 ? -1 : 0;
  }
  int64_t now = clock_now_ms();
  int64_t n = db_exec(db, err,
                      "UPDATE pay_orders SET state = 'refunded', open_key = NULL, refund_id = $1, refunded_at = $2, "
                      "updated_at = $2 WHERE id = $3 AND state = 'refund_pending'",
                      DB_TEXT(r->refund_id), DB_INT(now), DB_INT(o.id));
  if (n < 0) return -1;
  if (n == 0) return 0;
  json_t *detail = json_pack("{s:s}", "refund_id", r->refund_id);
  int rc = pay_order_event(db, o.id, "refund_pending", "refunded", (pay_actor){0, 0}, "provider confirmed the refund",
                           detail, err);
  json_decref(detail);
  if (rc == 0) *result = PAY_APPLIED;
  return rc;
}

int pay_order_request_refund(db_t *db, int64_t order_id, pay_actor who, const char *reason, err_t *err) {
  if (!reason || !*reason) return err_set(err, 400, "reason_required", "退款必须写明原因");
  pay_order o;
  if (pay_order_get(db, order_id, &o, err) < 0) return -1;
  if (strcmp(o.state, "paid") != 0) return err_set(err, 409, "not_paid", "只有已缴费的订单可以退款");
  char refund_no[40];
  snprintf(refund_no, sizeof refund_no, "RF%.37s", o.out_trade_no + 2);
  if (db_begin(db, err) < 0) return -1;
  int64_t now = clock_now_ms();
  int64_t n = db_exec(db, err,
                      "UPDATE pay_orders SET state = 'refund_pending', refund_fen = paid_fen, out_refund_no = $1, "
                      "refund_reason = $2, updated_at = $3 WHERE id = $4 AND state = 'paid'",
                      DB_TEXT(refund_no), DB_TEXT(reason), DB_INT(now), DB_INT(o.id));
  json_t *detail = json_pack("{s:s}", "out_refund_no", refund_no);
  int ok = n == 1 && pay_order_event(db, o.id, "paid", "refund_pending", who, reason, detail, err) == 0 &&
           enqueue_refund(db, o.id, err) == 0 && db_commit(db, err) == 0;
  json_decref(detail);
  if (!ok) {
    db_rollback(db);
    if (n == 0) return err_set(err, 409, "not_paid", "只有已缴费的订单可以退款");
    return -1;
  }
  return 0;
}

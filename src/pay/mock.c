/* mock: a provider for demos. Its "server side" is the pay_mock_txns table in our own store; the
 * payer approves or declines on web/pay/mock.html, which calls pay_mock_decide(). An approval
 * produces the same pay_notice a real provider's notification would, applied by the same code
 * (pay_notice_apply), so the demo walks the real path minus the cryptography. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/batch.h"
#include "pay/mock.h"
#include "pay/provider.h"
#include "pay/wxp_sign.h"
#include "util/clock.h"
#include "util/xmalloc.h"

typedef struct mock_ctx {
  store_t *store;
} mock_ctx;

static db_t *borrow(pay_provider *p, err_t *err) { return store_get(((mock_ctx *)p->ctx)->store, err); }
static void give(pay_provider *p, db_t *db) { store_put(((mock_ctx *)p->ctx)->store, db); }

static int m_create(pay_provider *p, const pay_create_req *req, json_t **client, err_t *err) {
  if (strcmp(req->channel, "mock") != 0) return err_set(err, 400, "invalid_channel", "演示环境只支持模拟支付");
  db_t *db = borrow(p, err);
  if (!db) return -1;
  int64_t now = clock_now_ms();
  int64_t n = db_exec(db, err,
                      "INSERT INTO pay_mock_txns (out_trade_no, total_fen, state, created_at, expires_at) "
                      "VALUES ($1, $2, 'NOTPAY', $3, $4) ON CONFLICT (out_trade_no) DO NOTHING",
                      DB_TEXT(req->out_trade_no), DB_INT(req->total_fen), DB_INT(now), DB_INT(req->expire_ms));
  give(p, db);
  if (n < 0) return -1;
  char url[160];
  snprintf(url, sizeof url, "/pay/mock.html?order=%s", req->out_trade_no);
  *client = json_pack("{s:s, s:s}", "kind", "mock", "url", url);
  return 0;
}

static int m_query(pay_provider *p, const char *no, pay_txn *out, err_t *err) {
  memset(out, 0, sizeof *out);
  db_t *db = borrow(p, err);
  if (!db) return -1;
  db_res *r = db_query(db, err,
                       "SELECT total_fen, state, COALESCE(transaction_id, '') AS transaction_id FROM pay_mock_txns "
                       "WHERE out_trade_no = $1",
                       DB_TEXT(no));
  give(p, db);
  if (!r) return -1;
  int found = db_res_rows(r) > 0;
  if (found) {
    snprintf(out->out_trade_no, sizeof out->out_trade_no, "%s", no);
    out->total_fen = db_res_int_at(r, 0, "total_fen");
    snprintf(out->trade_state, sizeof out->trade_state, "%s", db_res_text_at(r, 0, "state"));
    snprintf(out->transaction_id, sizeof out->transaction_id, "%s", db_res_text_at(r, 0, "transaction_id"));
    snprintf(out->currency, sizeof out->currency, "CNY");
  }
  db_res_free(r);
  return found ? 0 : err_set(err, 404, "provider_order_not_found", "支付平台没有这笔订单");
}

static int m_close(pay_provider *p, const char *no, err_t *err) {
  db_t *db = borrow(p, err);
  if (!db) return -1;
  int64_t n = db_exec(db, err,
                      "UPDATE pay_mock_txns SET state = 'CLOSED' WHERE out_trade_no = $1 AND state IN "
                      "('NOTPAY', 'PAYERROR')",
                      DB_TEXT(no));
  int64_t paid = n == 0 ? db_int(db, err, 0,
                                 "SELECT COUNT(*) FROM pay_mock_txns WHERE out_trade_no = $1 AND "
                                 "state IN ('SUCCESS', 'REFUND')",
                                 DB_TEXT(no))
                        : 0;
  give(p, db);
  if (n < 0) return -1;
  return paid ? err_set(err, 409, "provider_order_paid", "订单已缴费，无法关闭") : 0;
}

static int m_refund(pay_provider *p, const char *no, const char *refund_no, int64_t refund_fen, int64_t total_fen,
                    const char *reason, pay_refund *out, err_t *err) {
  (void)reason;
  db_t *db = borrow(p, err);
  if (!db) return -1;
  int64_t n = db_exec(db, err,
                      "UPDATE pay_mock_txns SET state = 'REFUND', refund_fen = $1, out_refund_no = $2 "
                      "WHERE out_trade_no = $3 AND total_fen = $4 AND "
                      "(state = 'SUCCESS' OR (state = 'REFUND' AND out_refund_no = $2))",
                      DB_INT(refund_fen), DB_TEXT(refund_no), DB_TEXT(no), DB_INT(total_fen));
  give(p, db);
  if (n < 0) return -1;
  if (n == 0) return err_set(err, 409, "provider_refund_refused", "模拟支付平台拒绝退款");
  memset(out, 0, sizeof *out);
  snprintf(out->out_trade_no, sizeof out->out_trade_no, "%s", no);
  snprintf(out->out_refund_no, sizeof out->out_refund_no, "%s", refund_no);
  snprintf(out->refund_id, sizeof out->refund_id, "MOCKRF%s", refund_no);
  snprintf(out->status, sizeof out->status, "SUCCESS");
  out->refund_fen = refund_fen;
  out->total_fen = total_fen;
  return 0;
}

static int m_verify(pay_provider *p, const pay_inbound *in, pay_notice *out, err_t *err) {
  (void)p, (void)in, (void)out;
  return err_set(err, 404, "no_notifications", "the mock provider sends no notifications over HTTP");
}

static int m_bill(pay_provider *p, const char *date, pay_bill_row **rows, int *n, err_t *err) {
  int64_t from = shanghai_day_start(date);
  if (from < 0) return err_set(err, 400, "invalid_date", "日期格式应为 YYYY-MM-DD");
  db_t *db = borrow(p, err);
  if (!db) return -1;
  db_res *r =
      db_query(db, err,
               "SELECT out_trade_no, COALESCE(transaction_id, '') AS transaction_id, state, total_fen, refund_fen "
               "FROM pay_mock_txns WHERE paid_at >= $1 AND paid_at < $2 ORDER BY paid_at",
               DB_INT(from), DB_INT(from + 86400000));
  give(p, db);
  if (!r) return -1;
  *n = db_res_rows(r);
  *rows = xcalloc((size_t)*n + 1, sizeof **rows);
  for (int i = 0; i < *n; i++) {
    pay_bill_row *b = &(*rows)[i];
    snprintf(b->out_trade_no, sizeof b->out_trade_no, "%s", db_res_text_at(r, i, "out_trade_no"));
    snprintf(b->transaction_id, sizeof b->transaction_id, "%s", db_res_text_at(r, i, "transaction_id"));
    snprintf(b->state, sizeof b->state, "%s", db_res_text_at(r, i, "state"));
    b->total_fen = db_res_int_at(r, i, "total_fen");
    b->refund_fen = db_res_int_at(r, i, "refund_fen");
  }
  db_res_free(r);
  return 0;
}

static void m_destroy(pay_provider *p) {
  if (p) free(p->ctx);
  free(p);
}

pay_provider *pay_mock_new(store_t *store, err_t *err) {
  (void)err; /* the mock cannot fail to start; err is there to match pay_wechatpay_new */
  pay_provider *p = xcalloc(1, sizeof *p);
  mock_ctx *c = xcalloc(1, sizeof *c);
  c->store = store;
  *p = (pay_provider){.name = "mock",
                      .create = m_create,
                      .query = m_query,
                      .close = m_close,
                      .refund = m_refund,
                      .verify_notice = m_verify,
                      .bill = m_bill,
                      .destroy = m_destroy,
                      .ctx = c};
  return p;
}

int pay_mock_decide(db_t *db, const char *out_trade_no, int approve, pay_notice *notice, err_t *err) {
  memset(notice, 0, sizeof *notice);
  char txn[40];
  wxp_random_nonce(txn, 20);
  int64_t now = clock_now_ms();
  int64_t n = db_exec(db, err,
                      "UPDATE pay_mock_txns SET state = $1, transaction_id = $2, paid_at = $3 WHERE out_trade_no = $4 "
                      "AND state IN ('NOTPAY', 'PAYERROR') AND expires_at > $3",
                      DB_TEXT(approve ? "SUCCESS" : "PAYERROR"), DB_TEXT(approve ? txn : NULL), DB_INT(now),
                      DB_TEXT(out_trade_no));
  if (n < 0) return -1;
  if (n == 0) return err_set(err, 409, "mock_not_payable", "该订单已缴费、已关闭或已过期");
  if (!approve) return 0;
  notice->kind = PAY_NOTICE_PAYMENT;
  snprintf(notice->event_id, sizeof notice->event_id, "MOCK-%s", txn);
  pay_txn *t = &notice->txn;
  snprintf(t->out_trade_no, sizeof t->out_trade_no, "%s", out_trade_no);
  snprintf(t->transaction_id, sizeof t->transaction_id, "%s", txn);
  snprintf(t->trade_state, sizeof t->trade_state, "SUCCESS");
  snprintf(t->currency, sizeof t->currency, "CNY");
  t->total_fen =
      db_int(db, err, -1, "SELECT total_fen FROM pay_mock_txns WHERE out_trade_no = $1", DB_TEXT(out_trade_no));
  return t->total_fen < 0 ? -1 : 0;
}

int64_t shanghai_day_start(const char *date) {
  if (!date || strlen(date) != 10) return -1;
  for (int i = 0; i < 10; i++) {
    if (i == 4 || i == 7) {
      if (date[i] != '-') return -1;
    } else if (date[i] < '0' || date[i] > '9') {
      return -1;
    }
  }
  return shanghai_parse(date, 0);
}

#include "pay/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pay/orders.h"
#include "pay/wxp_sign.h"
#include "util/clock.h"
#include "util/log.h"

static void fault(const char *where) {
  const char *f = getenv("TUCAI_FAULT_PAY_NOTIFY");
  if (f && strcmp(f, where) == 0) {
    log_error("pay_fault_injected", "where", where, NULL);
    _exit(86);
  }
}

void pay_notice_record(db_t *db, const char *provider, const char *event_id, const char *nonce, const char *body_sha256,
                       const char *out_trade_no, int64_t order_id, const char *outcome, const char *reason,
                       const char *client_ip) {
  err_t e = {0};
  if (db_exec(db, &e,
              "INSERT INTO pay_notices (received_at, provider, event_id, nonce, body_sha256, out_trade_no, order_id, "
              "outcome, reason, client_ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
              DB_INT(clock_now_ms()), DB_TEXT(provider), DB_TEXT(event_id), DB_TEXT(nonce), DB_TEXT(body_sha256),
              DB_TEXT(out_trade_no), order_id ? DB_INT(order_id) : DB_NULL, DB_TEXT(outcome), DB_TEXT(reason),
              DB_TEXT(client_ip)) < 0)
    log_error("pay_notice_record_failed", "code", e.code, NULL);
}

int pay_notice_apply(db_t *db, const pay_notice *n, const char *why, int *result, int64_t *order_id, err_t *err) {
  if (n->kind == PAY_NOTICE_PAYMENT) return pay_apply_payment(db, &n->txn, why, result, order_id, err);
  if (n->kind == PAY_NOTICE_REFUND) return pay_apply_refund(db, &n->refund, result, order_id, err);
  return err_set(err, 400, "unknown_event", "unknown notice kind");
}

static const char *notice_order_no(const pay_notice *n) {
  return n->kind == PAY_NOTICE_REFUND ? n->refund.out_trade_no : n->txn.out_trade_no;
}

static void refuse_log(db_t *db, const char *provider, const pay_notice *n, const pay_inbound *in, const char *sha,
                       int64_t order_id, const err_t *why, const char *ip) {
  const char *no = n ? notice_order_no(n) : NULL;
  pay_notice_record(db, provider, n && n->event_id[0] ? n->event_id : NULL, in->nonce, sha, no && *no ? no : NULL,
                    order_id, "refused", why->code, ip);
  log_warn("pay_notice_refused", "provider", provider, "reason", why->code, "order", no ? no : "", NULL);
}

int pay_notify_receive(const pay_env *env, const pay_inbound *in, const char *client_ip, err_t *err) {
  pay_provider *p = pay_provider_get(env, err);
  if (!p) return -1;
  char sha[65];
  wxp_sha256_hex(in->body ? in->body : "", in->body_len, sha);
  db_t *db = store_get(env->store, err);
  if (!db) return -1;
  pay_notice n;
  int rc = -1;
  int64_t order_id = 0;
  if (p->verify_notice(p, in, &n, err) < 0) {
    refuse_log(db, p->name, NULL, in, sha, 0, err, client_ip);
    goto out;
  }
  if (db_begin(db, err) < 0) goto out;
  if (db_exec(db, err, "INSERT INTO pay_nonces (nonce, body_sha256, seen_at) VALUES ($1, $2, $3)", DB_TEXT(in->nonce),
              DB_TEXT(sha), DB_INT(clock_now_ms())) < 0) {
    int dup = db_last_was_unique_violation(db);
    db_rollback(db);
    if (!dup) goto out;
    err_clear(err);
    int64_t same = db_int(db, err, -1, "SELECT COUNT(*) FROM pay_nonces WHERE nonce = $1 AND body_sha256 = $2",
                          DB_TEXT(in->nonce), DB_TEXT(sha));
    if (same < 0) goto out;
    if (same > 0) {
      /* The provider's retry of a notice we applied and committed: acknowledge, change nothing. */
      pay_notice_record(db, p->name, n.event_id, in->nonce, sha, notice_order_no(&n), 0, "duplicate", "already applied",
                        client_ip);
      rc = 0;
      goto out;
    }
    err_set(err, 401, "replayed_nonce", "Wechatpay-Nonce was used before with another body");
    refuse_log(db, p->name, &n, in, sha, 0, err, client_ip);
    goto out;
  }
  int result = 0;
  if (pay_notice_apply(db, &n, "provider notified the payment", &result, &order_id, err) < 0) {
    db_rollback(db);
    err_t why = *err;
    if (why.status == 0) goto out; /* database trouble: no answer but 500, the provider retries */
    refuse_log(db, p->name, &n, in, sha, order_id, &why, client_ip);
    goto out;
  }
  pay_notice_record(db, p->name, n.event_id, in->nonce, sha, notice_order_no(&n), order_id,
                    result == PAY_APPLIED ? "applied" : "duplicate", result == PAY_APPLIED ? "" : "no change",
                    client_ip);
  /* Old nonces are useless once their timestamps fall out of the window. */
  db_exec(db, err, "DELETE FROM pay_nonces WHERE seen_at < $1", DB_INT(clock_now_ms() - 24 * 3600 * 1000LL));
  fault("before_commit");
  if (db_commit(db, err) < 0) {
    db_rollback(db);
    goto out;
  }
  fault("after_commit");
  rc = 0;
out:
  store_put(env->store, db);
  return rc;
}

/* pay_jobs: the background work of orders (see orders.h for the kinds). Each handler asks the
 * provider first and then changes the order with the same conditional updates as notifications,
 * so a job that runs twice, or races a notification, changes the order once. */
#include <stdio.h>
#include <string.h>

#include "jobs/jobs.h"
#include "pay/notify.h"
#include "pay/orders.h"
#include "util/clock.h"
#include "util/log.h"

static int payload_order(job *j, err_t *err, int64_t *id) {
  json_t *v = json_object_get(j->payload, "order_id");
  if (!json_is_integer(v)) return err_set(err, 422, "bad_payload", "job payload lacks order_id");
  *id = json_integer_value(v);
  return 0;
}

/* Applies what the provider says about an order we thought unpaid (a lost notification). */
static int apply_queried(db_t *db, const pay_txn *t, err_t *err) {
  if (db_begin(db, err) < 0) return -1;
  int result = 0;
  int64_t oid = 0;
  if (pay_apply_payment(db, t, "provider query showed the payment", &result, &oid, err) < 0 || db_commit(db, err) < 0) {
    db_rollback(db);
    return -1;
  }
  return 0;
}

int pay_order_close(const pay_env *env, db_t *db, int64_t order_id, pay_actor who, const char *why, err_t *err) {
  pay_order o;
  if (pay_order_get(db, order_id, &o, err) < 0) return -1;
  if (strcmp(o.state, "created") != 0) return 0; /* paid or already closed: nothing to do */
  pay_provider *p = pay_provider_get(env, err);
  if (!p) return -1;
  if (o.channel[0]) {
    /* The payer may have paid a moment ago: believe the provider, not our silence. */
    pay_txn t;
    err_t qe = {0};
    if (p->query(p, o.out_trade_no, &t, &qe) == 0) {
      if (strcmp(t.trade_state, "SUCCESS") == 0) return apply_queried(db, &t, err);
      if (p->close(p, o.out_trade_no, err) < 0) return -1;
    } else if (qe.status != 404) {
      if (err) *err = qe;
      return -1;
    }
  }
  if (db_begin(db, err) < 0) return -1;
  int64_t now = clock_now_ms();
  int64_t n = db_exec(db, err,
                      "UPDATE pay_orders SET state = 'closed', open_key = NULL, closed_at = $1, updated_at = $1 "
                      "WHERE id = $2 AND state = 'created'",
                      DB_INT(now), DB_INT(o.id));
  if (n < 0 || (n == 1 && pay_order_event(db, o.id, "created", "closed", who, why, NULL, err) < 0) ||
      db_commit(db, err) < 0) {
    db_rollback(db);
    return -1;
  }
  return 0;
}

static int job_close_unpaid(void *ctx, db_t *db, job *j, err_t *err) {
  const pay_env *env = ctx;
  int64_t id = 0;
  if (payload_order(j, err, &id) < 0) return -1;
  pay_order o;
  if (pay_order_get(db, id, &o, err) < 0) return err->status == 404 ? err_set(err, 422, "gone", "order gone") : -1;
  if (strcmp(o.state, "created") != 0) return 0;
  if (clock_now_ms() < o.expires_at) return err_set(err, 0, "not_due", "order not yet expired");
  return pay_order_close(env, db, id, (pay_actor){0, 0}, "unpaid when its time ran out", err);
}

/* Asks the provider for the refund of the job's order. Returns 1 with *r filled when the order is
 * waiting for its refund, 0 when there is nothing to do (already refunded or never owed), -1 on
 * error. Asking again is idempotent at the provider and returns the refund's status. */
static int ask_refund(const pay_env *env, db_t *db, job *j, int64_t *id, pay_refund *r, err_t *err) {
  if (payload_order(j, err, id) < 0) return -1;
  pay_order o;
  if (pay_order_get(db, *id, &o, err) < 0) return -1;
  if (strcmp(o.state, "refund_pending") != 0) return 0;
  pay_provider *p = pay_provider_get(env, err);
  if (!p) return -1;
  if (p->refund(p, o.out_trade_no, o.out_refund_no, o.refund_fen, o.amount_fen, o.refund_reason, r, err) < 0) return -1;
  return 1;
}

/* A refund the provider reports as done is applied like its REFUND.SUCCESS notice. */
static int apply_refund(db_t *db, const pay_refund *r, err_t *err) {
  if (db_begin(db, err) < 0) return -1;
  int result = 0;
  int64_t oid = 0;
  if (pay_apply_refund(db, r, &result, &oid, err) < 0 || db_commit(db, err) < 0) {
    db_rollback(db);
    return -1;
  }
  return 0;
}

static int job_refund(void *ctx, db_t *db, job *j, err_t *err) {
  const pay_env *env = ctx;
  int64_t id = 0;
  pay_refund r;
  int asked = ask_refund(env, db, j, &id, &r, err);
  if (asked <= 0) return asked;
  /* Synchronous success (the mock, or a fast provider). */
  if (strcmp(r.status, "SUCCESS") == 0) return apply_refund(db, &r, err);
  /* PROCESSING: the REFUND.SUCCESS notice will finish it; a later check covers a lost notice. */
  json_t *payload = json_pack("{s:I}", "order_id", (json_int_t)id);
  jobs_enqueue_opts opts = {.max_attempts = 10, .run_at_ms = clock_now_ms() + 10 * 60 * 1000};
  int64_t jid = jobs_enqueue(db, "pay.refund_check", payload, &opts, err);
  json_decref(payload);
  return jid > 0 ? 0 : -1;
}

static int job_refund_check(void *ctx, db_t *db, job *j, err_t *err) {
  const pay_env *env = ctx;
  int64_t id = 0;
  pay_refund r;
  int asked = ask_refund(env, db, j, &id, &r, err);
  if (asked <= 0) return asked;
  if (strcmp(r.status, "SUCCESS") != 0) return err_set(err, 0, "refund_processing", "refund still processing");
  return apply_refund(db, &r, err);
}

void pay_jobs_register(pay_env *env) {
  static const job_kind kinds[] = {
      {.type = "pay.close_unpaid", .handler = job_close_unpaid, .completes_itself = 0, .lease_ms = 60000},
      {.type = "pay.refund", .handler = job_refund, .completes_itself = 0, .lease_ms = 60000},
      {.type = "pay.refund_check", .handler = job_refund_check, .completes_itself = 0, .lease_ms = 60000},
  };
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) jobs_register(&kinds[i], env);
}

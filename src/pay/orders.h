/* orders: what a student pays for one batch, and every change of that order, exactly once.
 *
 * States:   created --paid notice--> paid --operator refund--> refund_pending --refund notice--> refunded
 *           created --close job (unpaid after pay_order_ttl) / student--> closed
 *           closed  --paid notice (money came after all)--> refund_pending (flag paid_after_close)
 * Every change is a conditional UPDATE (... WHERE state = <expected>) plus one row in the
 * append-only pay_order_events (who, why) in the same transaction; a change whose condition no
 * longer holds changes nothing. That, and the UNIQUE open_key, are what make duplicates harmless.
 *
 * One open order per student record and batch (created, paid or refund_pending). A paid order
 * covers the whole collection of that record: retakes after a rejection need no new order, so the
 * workflow only asks pay_order_is_paid().
 *
 * Amounts are integer fen, computed here from the batch's fee list; the browser only names items.
 *
 * Job kinds (registered by pay_jobs_register()):
 *   "pay.close_unpaid" {order_id}  due at expires_at: asks the provider first (a lost notice
 *                                  becomes a payment), otherwise closes at the provider and here.
 *   "pay.refund"       {order_id}  asks the provider to refund a refund_pending order.
 *   "pay.refund_check" {order_id}  asks the provider whether the refund landed (when no notice came).
 */
#ifndef TUCAI_PAY_ORDERS_H
#define TUCAI_PAY_ORDERS_H

#include <jansson.h>
#include <stdint.h>

#include "pay/provider.h"
#include "store/store.h"
#include "util/err.h"

typedef struct pay_order {
  int64_t id;
  char out_trade_no[40];
  int64_t account_id, record_id, batch_id;
  char state[20];
  char items[1024]; /* JSON text */
  int64_t amount_fen;
  int64_t address_id;
  char provider[16];
  char channel[16];
  char transaction_id[64];
  int64_t paid_fen;
  int64_t created_at, expires_at, paid_at, closed_at, refunded_at, updated_at;
  int64_t refund_fen;
  char out_refund_no[40];
  char refund_reason[256];
  char flag[40];
} pay_order;

/* Who acts: a ROLE_* bit and an id, or {0, 0} for the system / the provider. */
typedef struct pay_actor {
  int role;
  int64_t id;
} pay_actor;

typedef struct pay_new_order {
  int64_t account_id, record_id, batch_id;
  const char *const *items; /* fee codes the student picked; the required ones are added */
  int n_items;
  int64_t address_id;   /* 0 = none; required when "post" is picked */
  const char *provider; /* the configured provider's name */
  int64_t ttl_ms;
} pay_new_order;

/* Creates an order (and its close job) in one transaction. 409 "order_exists" when the record
 * already has an open order for the batch; 400 "unknown_item" / "address_required". */
int pay_order_create(db_t *db, const pay_new_order *req, pay_order *out, err_t *err);
/* 404 "order_not_found". */
int pay_order_get(db_t *db, int64_t id, pay_order *out, err_t *err);
int pay_order_by_no(db_t *db, const char *out_trade_no, pay_order *out, err_t *err);
/* The open (created/paid/refund_pending) order of a record in a batch: 1 found, 0 none, -1. */
int pay_order_open_for(db_t *db, int64_t record_id, int64_t batch_id, pay_order *out, err_t *err);
/* 1 when the record has a paid order for the batch, 0 when not, -1 on error. */
int pay_order_is_paid(db_t *db, int64_t record_id, int64_t batch_id, err_t *err);
/* The events of an order, oldest first, as a JSON array (new reference). */
json_t *pay_order_events_json(db_t *db, int64_t order_id, err_t *err);
json_t *pay_order_json(const pay_order *o);

/* Records the channel chosen for paying (first pay attempt); 409 when it was another one. */
int pay_order_set_channel(db_t *db, pay_order *o, const char *channel, err_t *err);

/* Outcome of applying a provider's word to an order. */
enum pay_apply_result { PAY_APPLIED = 1, PAY_NO_CHANGE = 2 };

/* Applies a successful payment (inside the caller's transaction). Refuses (-1, 4xx, nothing
 * changed) an unknown order, a different amount or currency, a non-SUCCESS state. A payment for
 * a closed order moves it to refund_pending with flag "paid_after_close" and enqueues the refund.
 * A payment for an order already paid with the same transaction is PAY_NO_CHANGE. */
int pay_apply_payment(db_t *db, const pay_txn *txn, const char *why, int *result, int64_t *order_id, err_t *err);
/* Applies a refund's outcome (SUCCESS -> refunded); inside the caller's transaction. */
int pay_apply_refund(db_t *db, const pay_refund *r, int *result, int64_t *order_id, err_t *err);

/* Student or system closes an unpaid order (provider told first). */
int pay_order_close(const pay_env *env, db_t *db, int64_t order_id, pay_actor who, const char *why, err_t *err);
/* Operator asks for a refund of a paid order: refund_pending + "pay.refund" job. */
int pay_order_request_refund(db_t *db, int64_t order_id, pay_actor who, const char *reason, err_t *err);

/* Appends one event (inside the caller's transaction). detail may be NULL (not stolen). */
int pay_order_event(db_t *db, int64_t order_id, const char *from, const char *to, pay_actor who, const char *reason,
                    const json_t *detail, err_t *err);

void pay_jobs_register(pay_env *env); /* the handlers use `env`, borrowed for the process's life */

#endif

/* notify: receiving a provider's notification, exactly once.
 *
 * pay_notify_receive() is all the HTTP route does. In order:
 *  1. the provider verifies it (timestamp window, signature, decryption, merchant); a failure is
 *     refused (401/400) and written to pay_notices for the operator;
 *  2. in ONE transaction: the nonce is inserted into pay_nonces, the notice is applied to its order
 *     (pay_apply_payment / pay_apply_refund) and an "applied" row goes to pay_notices; commit;
 *  3. only then the provider gets its 204.
 * A crash anywhere before the commit leaves nothing behind, so the provider's retry applies it; a
 * crash after the commit leaves the nonce, so the retry is recognised as a duplicate and answered
 * 204 without effect. A nonce seen before with a different body is a replay attack: refused.
 * Concurrent duplicates serialise on the nonce's primary key (and on the conditional UPDATE).
 *
 * For tests of that crash window, TUCAI_FAULT_PAY_NOTIFY=before_commit|after_commit makes the
 * process exit right there (never set in production). */
#ifndef TUCAI_PAY_NOTIFY_H
#define TUCAI_PAY_NOTIFY_H

#include "pay/provider.h"
#include "store/store.h"

/* 0: acknowledge; -1: refuse with err (status and code). */
int pay_notify_receive(const pay_env *env, const pay_inbound *in, const char *client_ip, err_t *err);

/* Applies a verified notice inside the caller's transaction. */
int pay_notice_apply(db_t *db, const pay_notice *n, const char *why, int *result, int64_t *order_id, err_t *err);

/* Writes one pay_notices row (own statement; call outside a failed transaction). */
void pay_notice_record(db_t *db, const char *provider, const char *event_id, const char *nonce, const char *body_sha256,
                       const char *out_trade_no, int64_t order_id, const char *outcome, const char *reason,
                       const char *client_ip);

#endif

/* mock: the demo provider's payer side (see mock.c). */
#ifndef TUCAI_PAY_MOCK_H
#define TUCAI_PAY_MOCK_H

#include "pay/provider.h"
#include "store/store.h"

/* The payer approves (1) or declines (0) on the demo page. On approval fills `notice` as a provider
 * notification would; the caller applies it in the same transaction. 409 when not payable. */
int pay_mock_decide(db_t *db, const char *out_trade_no, int approve, pay_notice *notice, err_t *err);

/* Unix ms of 00:00 Asia/Shanghai of a strict "YYYY-MM-DD"; -1 when malformed. */
int64_t shanghai_day_start(const char *date);

#endif

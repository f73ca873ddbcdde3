/* report: what the operator reads about money. The daily payment list (orders paid or refunded
 * on one Asia/Shanghai day) as JSON, CSV (UTF-8 with BOM, opens in Excel) and XLSX (libxlsxwriter),
 * and the reconciliation of that day against the provider's bill, listing every mismatch:
 *   missing_in_bill   we hold it paid, the provider's bill does not have it
 *   missing_here      the bill has it, we have no such paid order
 *   amount_mismatch   both have it with different amounts
 *   state_mismatch    refunded on one side only
 * No personal data: order numbers, batches, items and amounts only. */
#ifndef TUCAI_PAY_REPORT_H
#define TUCAI_PAY_REPORT_H

#include <jansson.h>
#include <stddef.h>

#include "pay/provider.h"
#include "store/store.h"

/* Rows [{out_trade_no, transaction_id, batch_id, items, amount_fen, state, paid_at, refund_fen,
 * refunded_at, flag}] of one day ("YYYY-MM-DD"); 400 "invalid_date". */
json_t *pay_payments(db_t *db, const char *date, err_t *err);
/* malloc'd CSV text of those rows. */
char *pay_payments_csv(const json_t *rows, size_t *len);
/* XLSX bytes (malloc'd) of those rows; NULL with err. */
char *pay_payments_xlsx(const json_t *rows, const char *tmp_dir, size_t *len, err_t *err);
/* {date, ours, bill, mismatches:[{kind, out_trade_no, ours_fen, bill_fen}]} */
json_t *pay_reconcile(db_t *db, pay_provider *p, const char *date, err_t *err);

#endif

/* shipping: posting paper prints to students who paid postage.
 *
 * Tracking import: a CSV (UTF-8, BOM optional, header row first) with one row per parcel:
 * order number (out_trade_no) or student number, courier, tracking number. Each row is checked
 * and applied on its own: the record must belong to the batch, have a paid order with postage
 * and an approved photo. A good row records courier and tracking number, moves the record to
 * 已寄出 (collect_mark_shipped) and tells the student (notify inbox, the tracking number in the
 * message). A row already applied with the same tracking number changes nothing, so importing
 * the same file twice is harmless; bad rows are reported with their line and reason. */
#ifndef TUCAI_OFFICE_SHIPPING_H
#define TUCAI_OFFICE_SHIPPING_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* 1 when an order's items (JSON text, [{code, ...}]) include postage ("post"). */
int shipping_items_have_post(const char *items_json);

/* Returns {applied, unchanged, errors:[{line, code, message}]} (new reference), NULL on a
 * database error or an unreadable file (400 bad_csv). */
json_t *shipping_import(db_t *db, int64_t batch_id, const char *csv, size_t len, int actor_role, int64_t actor_id,
                        err_t *err);

#endif

/* quota: how much one student account may ask of the service: uploads (each a photo job of
 * seconds) and support messages (each up to 20 MB of image), per hour and in total.
 *
 * quota_check runs inside the caller's open transaction, before its INSERT: on SQLite the
 * transaction (BEGIN IMMEDIATE) holds the write lock already; on PostgreSQL it takes a
 * transaction-scoped advisory lock on (kind, account), so parallel requests of one student count
 * one after the other and cannot all pass. */
#ifndef TUCAI_IDENTITY_QUOTA_H
#define TUCAI_IDENTITY_QUOTA_H

#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

enum quota_kind { QUOTA_UPLOADS = 1, QUOTA_SUPPORT = 2 };

typedef struct quota {
  int64_t per_hour; /* <= 0: no limit */
  int64_t total;    /* <= 0: no limit */
} quota;

/* 0 when one more fits; -1 with 429 (upload_quota_hour / upload_quota_total / support_quota_hour /
 * support_quota_total, Chinese message) or a store error. */
int quota_check(db_t *db, enum quota_kind kind, int64_t account_id, const quota *q, int64_t now_ms, err_t *err);

#endif

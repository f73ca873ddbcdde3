/* collect: the collection workflow — who may do what to a student's photo, and when.
 *
 * One row per roster record in `collect_records` holds where the record stands; every upload
 * is an attempt (`collect_attempts`, original and standardized photo in the blob store, check
 * results as JSON); every submission of an attempt is a `collect_submissions` row that reviewers
 * claim (a lease), then approve or reject (`collect_decisions`, append-only). Each change is a
 * conditional UPDATE on the expected state inside one transaction, so a race changes nothing
 * instead of something twice.
 *
 * The student's status (collect_status) is computed from identity (linked?), payment (paid?) and
 * these rows: 待认证, 待支付, 待拍摄, 待提交, 审核中, 已通过, 已驳回, 已导出, 已寄出. Approved is final:
 * only collect_override (operator, with a reason, audited) reopens a record.
 *
 * For the school office (export, print, purge): collect_approved_list, collect_mark_exported,
 * collect_mark_shipped; the photos themselves through blob/blob.h. */
#ifndef TUCAI_COLLECT_COLLECT_H
#define TUCAI_COLLECT_COLLECT_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

enum collect_state {
  COLLECT_UNLINKED = 0, /* 待认证: no roster record linked */
  COLLECT_UNPAID,       /* 待支付 */
  COLLECT_SHOOTING,     /* 待拍摄: paid, no usable photo yet */
  COLLECT_READY,        /* 待提交: a standardized photo waits to be submitted */
  COLLECT_IN_REVIEW,    /* 审核中 */
  COLLECT_APPROVED,     /* 已通过 (final) */
  COLLECT_REJECTED,     /* 已驳回: reasons shown, retake is free */
  COLLECT_EXPORTED,     /* 已导出: in a registry package */
  COLLECT_SHIPPED,      /* 已寄出: prints posted */
};
/* Stable code ("unlinked", "unpaid", "shooting", "ready", "in_review", "approved", "rejected",
 * "exported", "shipped") and the Chinese label. */
const char *collect_state_code(enum collect_state s);
const char *collect_state_label(enum collect_state s);

/* ---- for the school office (issue 8) ------------------------------------------------------- */

typedef struct collect_approved {
  int64_t record_id, batch_id, school_id;
  int64_t submission_id, attempt_id;
  int64_t standardized_blob; /* blob id of the approved standardized JPEG */
  int64_t original_blob;     /* blob id of that attempt's original upload (0 once purged) */
  int64_t approved_at, exported_at, shipped_at; /* unix ms, 0 = not yet */
} collect_approved;

/* Approved records of a batch, by record id (exported/shipped ones only when include_done).
 * *out is malloc'd (free()); *n its length. */
int collect_approved_list(db_t *db, int64_t batch_id, int include_done, collect_approved **out, int *n, err_t *err);
/* Approved -> exported (409 "not_approved" otherwise; exporting again is a no-op). */
int collect_mark_exported(db_t *db, int64_t record_id, err_t *err);
/* Approved or exported -> shipped. */
int collect_mark_shipped(db_t *db, int64_t record_id, err_t *err);

#endif

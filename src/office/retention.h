/* retention: how long photo files are kept, and a student's request to delete an unfinished
 * collection.
 *
 * Policy (settings retention_days, export_retention_days; days of 24 h, counted in unix ms):
 *   - originals: every attempt's original upload of an approved record is deleted once
 *     retention_days have passed since the approval;
 *   - attempts: the standardized photos of the attempts that were NOT approved are deleted at
 *     the same time (the approved one is the record's photo);
 *   - standardized: the approved photo itself is kept until export_retention_days after the last
 *     registry package that carried it was built (a record never exported keeps it);
 *   - nothing else: records still in the workflow, unapproved records, attachments and other
 *     blobs are not touched.
 * Deleting is blob_delete (ciphertext and key destroyed, the row kept for the audit trail), so
 * a second run finds nothing left to do.
 *
 * Deletion request: a linked student whose collection is not approved may ask that their
 * uploads be deleted. The operator lists the requests and executes one (also the purge job
 * executes open ones): every attempt's blobs are deleted, a pending submission is withdrawn,
 * the record goes back to "open" and the attempts are marked refused ("deleted"), so the student
 * may start again. Everything is audited.
 *
 * Job kind "office.retention": runs retention_purge, logs the counts (numbers only), and queues
 * itself for the next day (dedupe key "office.retention"). */
#ifndef TUCAI_OFFICE_RETENTION_H
#define TUCAI_OFFICE_RETENTION_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

struct blob_store;

typedef struct retention_counts {
  int originals, attempts, standardized, withdrawn;
} retention_counts;

/* Applies the policy as of now_ms. Records the run in purge_runs. */
int retention_purge(struct blob_store *bs, db_t *db, int64_t now_ms, int retention_days, int export_retention_days,
                    retention_counts *c, err_t *err);

/* Student side: asks for deletion (409 "approved" once approved, 409 "not_linked"). Returns the
 * request id (the open one when asked twice). */
int64_t retention_request_deletion(db_t *db, int64_t account_id, err_t *err);
/* The account's latest request {id, requested_at, done_at} or JSON null. */
json_t *retention_request_status(db_t *db, int64_t account_id, err_t *err);
/* Operator: open (or all) requests [{id, record_id, batch_id, student_no, name_masked, college,
 * state, requested_at, done_at}]. */
json_t *retention_requests_json(db_t *db, int open_only, err_t *err);
/* Executes one request; *deleted gets the number of blobs destroyed. 409 "done" when executed
 * already, 409 "approved" when the photo was approved meanwhile. Audited with the actor. */
int retention_execute(struct blob_store *bs, db_t *db, int64_t request_id, int actor_role, int64_t actor_id,
                      int *deleted, err_t *err);

/* Queues the first run now (no-op when one is queued). */
int retention_schedule(db_t *db, err_t *err);
/* What the job "office.retention" uses of its process, wired by src/app.c. */
typedef struct retention_env {
  struct blob_store *blobs;  /* the photos it destroys (blob/blob.h) */
  int retention_days;        /* setting retention_days */
  int export_retention_days; /* setting export_retention_days */
} retention_env;
/* Registers the job kind; its handler uses `env` (borrowed for the process's life). */
void retention_jobs_register(retention_env *env);

#endif

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
 * these rows: 待认证, 待缴费, 待拍摄, 待提交, 审核中, 已通过, 已驳回, 已导出, 已寄出. Approved is final:
 * only collect_override (operator, with a reason, audited) reopens a record.
 *
 * For the school office (export, print, purge): collect_approved_list, collect_mark_exported,
 * collect_mark_shipped; the photos themselves through blob/blob.h. */
#ifndef TUCAI_COLLECT_COLLECT_H
#define TUCAI_COLLECT_COLLECT_H

#include <jansson.h>
#include <stdint.h>

#include "jobs/jobs.h"
#include "store/store.h"
#include "util/err.h"

enum collect_state {
  COLLECT_UNLINKED = 0, /* 待认证: no roster record linked */
  COLLECT_UNPAID,       /* 待缴费 */
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

/* ---- for the school office ------------------------------------------------------- */

typedef struct collect_approved {
  int64_t record_id, batch_id, school_id;
  int64_t submission_id, attempt_id;
  int64_t standardized_blob;                    /* blob id of the approved standardized JPEG */
  int64_t original_blob;                        /* blob id of that attempt's original upload (0 once purged) */
  int64_t approved_at, exported_at, shipped_at; /* unix ms, 0 = not yet */
} collect_approved;

/* Approved records of a batch, by record id (exported/shipped ones only when include_done).
 * *out is malloc'd (free()); *n its length. */
int collect_approved_list(db_t *db, int64_t batch_id, int include_done, collect_approved **out, int *n, err_t *err);
/* Approved -> exported (409 "not_approved" otherwise; exporting again is a no-op). */
int collect_mark_exported(db_t *db, int64_t record_id, err_t *err);
/* Approved or exported -> shipped. */
int collect_mark_shipped(db_t *db, int64_t record_id, err_t *err);

/* ---- the workflow (called by src/api/photos.c, review.c, status.c) -------------------------- */

struct blob_store;
struct photo_engine_once;
struct workcal;

/* What the collect room uses of its process, wired by src/app.c (which owns all of it): the
 * workflow functions and the jobs take this, or the one part of it they need, never the process. */
typedef struct collect_env {
  struct blob_store *blobs;        /* the photos, encrypted (blob/blob.h) */
  struct photo_engine_once *photo; /* the engine, loaded by the first standardize job */
  struct workcal *calendar;        /* working days, for review due dates (collect/workcal.h) */
  jobs_pool *jobs;                 /* woken after an enqueue; NULL in a process without workers */
  const char *profiles;            /* the photo profiles' directory (setting profiles) */
  int64_t upload_per_hour;         /* quota of uploads per account (settings upload_per_hour, */
  int64_t upload_total;            /*   upload_total) */
  int review_days;                 /* working days a reviewer has (setting review_days) */
} collect_env;

/* Who acts: a ROLE_* bit, the account or user id, and the school staff are bound to (0 = all). */
typedef struct collect_who {
  int role;
  int64_t id;
  int64_t school_id;
} collect_who;

/* The student's status (see the state list above) with the latest attempt, the submission and its
 * expected decision date, the last rejection's reasons, and what the student may do now. */
json_t *collect_status(db_t *db, int64_t account_id, err_t *err);
/* Stores the uploaded file (encrypted) as a new attempt and queues its standardization.
 * 409 when not linked / not paid / window closed / in review / approved; 415 when not an image. */
int collect_upload(const collect_env *env, db_t *db, int64_t account_id, const char *path, int64_t size,
                   int64_t *attempt_id, err_t *err);
/* One attempt as JSON (state, refusal, checks with regions, has_standardized: whether its
 * standardized image exists; src/api/ turns that into the image links). account_id != 0 limits
 * it to that student's own (404 otherwise); staff go through collect_item. */
json_t *collect_attempt_json(db_t *db, int64_t attempt_id, int64_t account_id, err_t *err);
/* The decrypted image of an attempt: which = "standardized" or "original". For a student
 * (who->role == ROLE_STUDENT) only their own; for staff only their school's, and every staff
 * view is written to the audit log. */
int collect_attempt_image(struct blob_store *blobs, db_t *db, const collect_who *who, int64_t attempt_id,
                          const char *which, uint8_t **bytes, size_t *len, err_t *err);
/* Submits the latest attempt. confirm_warnings must be 1 when its checks have warnings. */
int collect_submit(const collect_env *env, db_t *db, int64_t account_id, int64_t attempt_id, int confirm_warnings,
                   json_t **out, err_t *err);
/* Takes back the student's pending submission (no decision yet): the record is open again with the
 * same photo ready to resubmit. 409 "not_in_review" / "already_decided". Audited. withdraw.c */
int collect_withdraw(db_t *db, int64_t account_id, json_t **out, err_t *err);
/* Submissions of a record that count against the batch's max_submissions (withdrawn ones do not). */
int collect_submissions_used(db_t *db, int64_t record_id, err_t *err);

/* Pending submissions of the reviewer's school (all when school_id 0): resubmissions first, then
 * by due time; each with the student's number (student_no). */
json_t *collect_queue(db_t *db, const collect_who *who, int limit, err_t *err);
/* Claims a submission for lease_ms; 409 "claimed" when another reviewer holds it. */
int collect_claim(db_t *db, const collect_who *who, int64_t submission_id, int64_t lease_ms, int64_t *until,
                  err_t *err);
int collect_release(db_t *db, const collect_who *who, int64_t submission_id, err_t *err);
/* Everything a reviewer sees for one submission (audited as a view): the submission, the student
 * ({name, student_no, college, major, degree}, the full name decrypted), the attempt, the record's
 * earlier attempts, the earlier decisions and the reference photo's state. */
json_t *collect_item(db_t *db, const collect_who *who, int64_t submission_id, err_t *err);
/* Approve (reasons NULL) or reject with reasons from collect_reject_reasons (and `other` text when
 * "其他" is among them). Needs a live claim by `who`. Notifies the student. */
int collect_decide(jobs_pool *jobs, db_t *db, const collect_who *who, int64_t submission_id, int approve,
                   const json_t *reasons, const char *other, const char *note, err_t *err);
/* Operator override of a final decision: reopens an approved record for a new photo. Audited. */
int collect_override(db_t *db, const collect_who *who, int64_t record_id, const char *reason, err_t *err);
extern const char *const collect_reject_reasons[]; /* NULL-terminated */

void collect_jobs_register(collect_env *env);

/* ---- reference photos (reference.c) --------------------------------------------- */

/* The job "collect.reference_print" (the reference's face print, once; earlier attempts scored). */
void collect_reference_jobs_register(collect_env *env);
/* For the reviewer: {state, similarity (of that attempt, null when not scored), threshold,
 * same_person}, or JSON null when the record has no reference photo. */
json_t *collect_reference_json(db_t *db, int64_t record_id, int64_t attempt_id, err_t *err);
/* The decrypted reference photo (404 "reference_not_found"); the caller checks who may see it and
 * logs the view. */
int collect_reference_photo(struct blob_store *blobs, db_t *db, int64_t record_id, uint8_t **bytes, size_t *len,
                            err_t *err);
/* The batch's approved photos whose reference score is weak (below collect_reference_weak_below()),
 * weakest first: [{record_id, student_no, name_masked, college, major, attempt_id, similarity,
 * below_threshold, state, approved_at}]. */
json_t *collect_reference_weak(db_t *db, int64_t batch_id, err_t *err);
double collect_reference_weak_below(void);
/* The batch's reference photos in which the matcher found no face (nothing to compare with: the
 * school should send another): [{record_id, student_no, name_masked, college, file}]. */
json_t *collect_reference_unusable(db_t *db, int64_t batch_id, err_t *err);
/* The reference photo of a submission's record for a reviewer of its school (audited as
 * "reference.view"); 404 when the submission is not theirs or has no reference. */
int collect_item_reference(struct blob_store *blobs, db_t *db, const collect_who *who, int64_t submission_id,
                           uint8_t **bytes, size_t *len, err_t *err);

#endif

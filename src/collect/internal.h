/* internal: what the collect files share — the student's situation, loaded once per request. */
#ifndef TUCAI_COLLECT_INTERNAL_H
#define TUCAI_COLLECT_INTERNAL_H

#include "collect/collect.h"
#include "identity/batch.h"
#include "identity/student.h"

typedef struct collect_ctx {
  student_record rec;
  batch b;
  int linked, paid, window; /* window: enum batch_window */
  int has_row;
  char state[16]; /* collect_records.state ("" when no row) */
  int64_t last_attempt, last_submission;
} collect_ctx;

/* Loads everything the rules look at. -1 only on errors (an unlinked student is not one). */
int collect_ctx_load(db_t *db, int64_t account_id, collect_ctx *c, err_t *err);
json_t *collect_checks_parse(const char *text);

/* same_person.c: stores the attempt's face print (encrypted; once per attempt), and appends the
 * "same_person" check (同一人核验 against the account's earlier attempts) to `checks` (the array of
 * the report); fp->found = 0 when the attempt has no print. */
struct blob_store;
struct face_print;
int collect_store_face_print(struct blob_store *blobs, db_t *db, int64_t attempt_id, int64_t account_id,
                             int64_t record_id, const struct face_print *fp, err_t *err);
int collect_same_person(struct blob_store *blobs, db_t *db, int64_t attempt_id, int64_t account_id,
                        const struct face_print *fp, const json_t *profile_checks, json_t *checks, err_t *err);
/* reference.c: appends "reference_match" (与录取照片比对) when the record has a reference print,
 * and keeps the score for the office. */
int collect_reference_check(struct blob_store *blobs, db_t *db, int64_t attempt_id, int64_t record_id,
                            const struct face_print *fp, const json_t *profile_checks, json_t *checks, err_t *err);

#endif

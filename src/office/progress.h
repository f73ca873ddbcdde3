/* progress: where a batch stands, for the school office.
 *
 * Each roster record has one status, the furthest it reached: not_started (no code linked),
 * linked (code linked, not paid), paid (paid, nothing in review), submitted (in review),
 * rejected (last decision), approved (approved, exported or shipped). The counts come from ONE
 * statement over identity, payment and workflow tables, so they are a consistent snapshot and
 * always add up to the roster, however many students act at the same moment.
 * Per day (Asia/Shanghai): how many codes were linked, orders paid, photos submitted, approved. */
#ifndef TUCAI_OFFICE_PROGRESS_H
#define TUCAI_OFFICE_PROGRESS_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

#define PROGRESS_N_STATUS 6
extern const char *const progress_status_codes[PROGRESS_N_STATUS];  /* not_started ... approved */
extern const char *const progress_status_labels[PROGRESS_N_STATUS]; /* 未开始 ... 已通过 */

/* {total, statuses:{code:n}, colleges:[{college,total,statuses}], majors:[{college,major,total,statuses}],
 *  days:[{day:"YYYY-MM-DD",linked,paid,submitted,approved}]} (new reference). */
json_t *office_progress(db_t *db, int64_t batch_id, err_t *err);
/* Students not yet approved (optionally of one college), by college and number:
 * [{record_id, student_no, name, college, major, status, status_label, phone, can_remind,
 *   reminded_at}]. The office's own roster, so the name is in full (decrypted here) and the phone
 * is the one the student signed in with ("" before that); the caller audits the list.
 * can_remind: the student has an account to message (office/remind.h). */
json_t *office_pending(db_t *db, int64_t batch_id, const char *college, err_t *err);
/* One record's status code (as above) and its linked account (0: none); 404 outside the batch. */
int office_record_status(db_t *db, int64_t batch_id, int64_t record_id, char out[16], int64_t *account_id, err_t *err);
/* 未开始 ... 已通过 for a status code. */
const char *office_status_label(const char *code);
/* The same list as CSV (UTF-8 with BOM) or XLSX bytes (malloc'd). */
int office_pending_csv(const json_t *list, uint8_t **out, size_t *len, err_t *err);
int office_pending_xlsx(const json_t *list, const char *tmp_dir, uint8_t **out, size_t *len, err_t *err);

#endif

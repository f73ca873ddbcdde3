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
 * [{record_id, student_no, name_masked, college, major, status, status_label}]. */
json_t *office_pending(db_t *db, int64_t batch_id, const char *college, err_t *err);
/* The same list as CSV (UTF-8 with BOM) or XLSX bytes (malloc'd). */
int office_pending_csv(const json_t *list, uint8_t **out, size_t *len, err_t *err);
int office_pending_xlsx(const json_t *list, const char *tmp_dir, uint8_t **out, size_t *len, err_t *err);

#endif

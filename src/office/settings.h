/* settings: changing a batch's window, fees, photo profile and eligibility rule after it was
 * created. The change is a JSON object with any of window_start, window_end (dates
 * "YYYY-MM-DD" in Asia/Shanghai, the end inclusive, or unix ms), fees ([{code, name,
 * amount_fen, required}]), profile (a name in the profiles directory), eligibility (object).
 * Everything is checked before anything is written; the old and new values of each changed
 * field go to the audit log in the same transaction as the UPDATE. Fees of orders already made
 * do not change (orders keep their own amounts). */
#ifndef TUCAI_OFFICE_SETTINGS_H
#define TUCAI_OFFICE_SETTINGS_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

/* Applies `change` to the batch; returns {changed:[field...]} (new reference) or NULL with err
 * (400 with the field's code and a Chinese message, 404 batch_not_found). */
json_t *office_batch_update(db_t *db, int64_t batch_id, const json_t *change, const char *profiles_dir, int actor_role,
                            int64_t actor_id, err_t *err);

#endif

/* context: what an operator answering a support thread needs to see beside it, so that nobody has
 * to ask the student "which student are you?": the roster record the account is linked to (full
 * name, student number, college, major), the account's phone (masked: the operator answers in the
 * thread, not by phone) and its latest order. The student's collection status and latest photo
 * come from collect_status (src/api/support.c adds them). The caller audits the view. */
#ifndef TUCAI_SUPPORT_CONTEXT_H
#define TUCAI_SUPPORT_CONTEXT_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

/* {student: {name, student_no, college, major, degree} or null (not linked yet), phone_masked,
 *  order: the latest order (pay_order_json) or null}. 404 "thread_not_found" for no such account. */
json_t *support_context(db_t *db, int64_t account_id, err_t *err);

#endif

/* link: who may be collected — the rule applied when a student uploads a code and again when they
 * confirm the record: not already approved, not linked to another account, eligible for the batch
 * (its rule, e.g. {"grad_year":2025,"degrees":["硕士","博士"]}), and inside the batch window. */
#ifndef TUCAI_IDENTITY_LINK_H
#define TUCAI_IDENTITY_LINK_H

#include <stdint.h>

#include "identity/batch.h"
#include "identity/student.h"
#include "util/err.h"

/* 1 when the record meets the batch's eligibility rule. */
int identity_eligible(const batch *b, const student_record *r);
/* 0 when `account` may link/collect record r of batch b at now_ms; otherwise -1 with
 * already_collected (409), record_taken (409), not_eligible (403), window_not_open / window_closed (409). */
int identity_check_collectable(const batch *b, const student_record *r, int64_t account, int64_t now_ms, err_t *err);

#endif

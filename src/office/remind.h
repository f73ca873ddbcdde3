/* remind: the school office reminds one student who has not finished ("提醒" on the not-done list).
 *
 * The reminder goes through the notify room like every other message to a student: one inbox row
 * and the student's outbound channels (SMS, WeChat, webhook: setting notify_channels). It says
 * where the student stands and the batch's deadline, nothing else. A student is reminded at most
 * once per `remind_interval` seconds, whoever of the office presses the button (429 otherwise,
 * with the time it becomes possible), so that a busy office cannot spam a student. Each reminder
 * is a row of office_reminders and an audit entry (office.remind), written in one transaction
 * with the inbox row: a reminder that cannot be recorded is not sent. */
#ifndef TUCAI_OFFICE_REMIND_H
#define TUCAI_OFFICE_REMIND_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

/* Reminds the student of roster record `record_id` of batch `batch_id`. interval_ms: the least
 * time between two reminders of one record. 404 outside the batch, 409 "not_linked" (no account
 * to write to yet), 409 "already_done" (approved), 429 "reminded_recently". On success *out is
 * {record_id, sent_at, next_at} (new reference). */
int office_remind(db_t *db, int64_t batch_id, int64_t record_id, int actor_role, int64_t actor_id, int64_t interval_ms,
                  json_t **out, err_t *err);

#endif

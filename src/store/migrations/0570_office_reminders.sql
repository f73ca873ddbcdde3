-- Reminders the school office sends to a student who has not finished (office/remind.h): one row
-- per reminder, so that a student is reminded at most once per `remind_interval` and the office
-- list can say when the last one went out. Rows name the roster record by id; the message itself
-- is in the student's inbox (notify_inbox), who sent it in the audit log.
CREATE TABLE office_reminders (
  id {{ID}},
  record_id BIGINT NOT NULL,
  batch_id BIGINT NOT NULL,
  account_id BIGINT NOT NULL,
  actor_role INTEGER NOT NULL,
  actor_id BIGINT NOT NULL,
  sent_at BIGINT NOT NULL
);
CREATE INDEX office_reminders_record ON office_reminders (record_id, sent_at);

-- What a batch lets its students do, and what the student agreed to.
-- max_submissions: how many times a student of the batch may submit a photo for review (withdrawn
-- submissions do not count; 0 = no limit). camera_only: the student page opens only the camera (some
-- schools forbid photos from the album).
ALTER TABLE batches ADD COLUMN max_submissions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN camera_only INTEGER NOT NULL DEFAULT 0;

-- The privacy notice each student account accepted before giving its ID number and face: which
-- version of the notice, and when. Append-only: a new version accepted is a new row.
CREATE TABLE privacy_consents (
  id {{ID}},
  account_id BIGINT NOT NULL,
  version TEXT NOT NULL,
  accepted_at BIGINT NOT NULL
);
CREATE INDEX privacy_consents_account ON privacy_consents (account_id, version);

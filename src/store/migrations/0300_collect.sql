-- Collection workflow: encrypted blobs, attempts, submissions, decisions, inbox, support.
-- Times are unix milliseconds. JSON is TEXT.

-- Every photo file at rest: its wrapped per-object key and where the ciphertext lives.
CREATE TABLE blobs (
  id {{ID}},
  kind TEXT NOT NULL,                -- original, standardized, attachment
  backend TEXT NOT NULL CHECK (backend IN ('dir', 'db')),
  ref TEXT NOT NULL,                 -- random name of the file (dir backend)
  wrapped_key {{BLOB}},              -- NULL once deleted (crypto-shredded)
  size BIGINT NOT NULL,              -- plaintext bytes
  created_at BIGINT NOT NULL,
  deleted_at BIGINT
);
CREATE TABLE blob_data (
  blob_id BIGINT PRIMARY KEY,
  data {{BLOB}} NOT NULL
);

-- Where each roster record stands in the workflow (absent = nothing uploaded yet).
CREATE TABLE collect_records (
  record_id BIGINT PRIMARY KEY,
  batch_id BIGINT NOT NULL,
  school_id BIGINT NOT NULL,
  account_id BIGINT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open', 'in_review', 'approved', 'rejected', 'exported', 'shipped')),
  last_attempt BIGINT NOT NULL DEFAULT 0,
  last_submission BIGINT NOT NULL DEFAULT 0,
  approved_submission BIGINT NOT NULL DEFAULT 0,
  approved_at BIGINT NOT NULL DEFAULT 0,
  exported_at BIGINT NOT NULL DEFAULT 0,
  shipped_at BIGINT NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL
);
CREATE INDEX collect_records_batch ON collect_records (batch_id, state);

-- Every upload, kept for the reviewer (originals and results encrypted in the blob store).
CREATE TABLE collect_attempts (
  id {{ID}},
  record_id BIGINT NOT NULL,
  batch_id BIGINT NOT NULL,
  school_id BIGINT NOT NULL,
  account_id BIGINT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('processing', 'ready', 'refused', 'failed')),
  original_blob BIGINT NOT NULL,
  standardized_blob BIGINT NOT NULL DEFAULT 0,
  refusal_code TEXT NOT NULL DEFAULT '',
  refusal_message TEXT NOT NULL DEFAULT '',
  checks TEXT NOT NULL DEFAULT '[]',
  fails INTEGER NOT NULL DEFAULT 0,
  warns INTEGER NOT NULL DEFAULT 0,
  engine_ms INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  ready_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX collect_attempts_record ON collect_attempts (record_id, id);

-- A submitted attempt waiting for (or given) a decision. Reviewers claim it with a lease.
CREATE TABLE collect_submissions (
  id {{ID}},
  record_id BIGINT NOT NULL,
  batch_id BIGINT NOT NULL,
  school_id BIGINT NOT NULL,
  account_id BIGINT NOT NULL,
  attempt_id BIGINT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'withdrawn')),
  resubmission INTEGER NOT NULL DEFAULT 0,     -- 1: after a rejection, goes to the front
  warnings_confirmed INTEGER NOT NULL DEFAULT 0,
  submitted_at BIGINT NOT NULL,
  due_at BIGINT NOT NULL,
  claimed_by BIGINT NOT NULL DEFAULT 0,
  claim_until BIGINT NOT NULL DEFAULT 0,
  decided_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX collect_submissions_queue ON collect_submissions (state, school_id, resubmission, due_at);
CREATE INDEX collect_submissions_record ON collect_submissions (record_id, id);

-- Decisions, append-only: who, when, what they decided and what they saw.
CREATE TABLE collect_decisions (
  id {{ID}},
  submission_id BIGINT NOT NULL,
  record_id BIGINT NOT NULL,
  reviewer_role INTEGER NOT NULL,
  reviewer_id BIGINT NOT NULL,
  decision TEXT NOT NULL CHECK (decision IN ('approved', 'rejected', 'override')),
  reasons TEXT NOT NULL DEFAULT '[]',
  note TEXT NOT NULL DEFAULT '',
  seen TEXT NOT NULL DEFAULT '{}',
  at BIGINT NOT NULL
);
CREATE INDEX collect_decisions_record ON collect_decisions (record_id, id);

-- The student's inbox; dedupe_key makes each event arrive once.
CREATE TABLE notify_inbox (
  id {{ID}},
  account_id BIGINT NOT NULL,
  kind TEXT NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL DEFAULT '',
  data TEXT NOT NULL DEFAULT '{}',
  dedupe_key TEXT UNIQUE,
  created_at BIGINT NOT NULL,
  read_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX notify_inbox_account ON notify_inbox (account_id, id);

-- Support threads: one per student account, messages both ways.
CREATE TABLE support_messages (
  id {{ID}},
  account_id BIGINT NOT NULL,
  school_id BIGINT NOT NULL DEFAULT 0,
  from_role INTEGER NOT NULL,          -- ROLE_STUDENT or ROLE_OPERATOR
  author_id BIGINT NOT NULL,
  body TEXT NOT NULL DEFAULT '',
  attachment_blob BIGINT NOT NULL DEFAULT 0,
  attachment_type TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  read_at BIGINT NOT NULL DEFAULT 0    -- read by the other side
);
CREATE INDEX support_messages_account ON support_messages (account_id, id);

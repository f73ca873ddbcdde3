-- School office and operator: registry export packages, paper print batches, shipping,
-- retention purges and deletion requests. No personal data in clear here:
-- rows name roster records by id; tracking numbers are the courier's, not the student's.

CREATE TABLE export_packages (
  id {{ID}},
  batch_id BIGINT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'done', 'failed')),
  reexport INTEGER NOT NULL DEFAULT 0,
  actor_role INTEGER NOT NULL,
  actor_id BIGINT NOT NULL,
  file_name TEXT,
  sha256 TEXT,
  bytes BIGINT,
  photos INTEGER,
  seal_kid TEXT,
  signer_kid TEXT,
  error TEXT,
  created_at BIGINT NOT NULL,
  finished_at BIGINT
);
CREATE INDEX export_packages_batch ON export_packages (batch_id, id);

CREATE TABLE export_items (
  package_id BIGINT NOT NULL,
  record_id BIGINT NOT NULL,
  file_name TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  PRIMARY KEY (package_id, record_id)
);
CREATE INDEX export_items_record ON export_items (record_id);

CREATE TABLE print_batches (
  id {{ID}},
  batch_id BIGINT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'done', 'failed')),
  actor_role INTEGER NOT NULL,
  actor_id BIGINT NOT NULL,
  copies INTEGER NOT NULL,
  file_name TEXT,
  sheets INTEGER,
  error TEXT,
  created_at BIGINT NOT NULL,
  finished_at BIGINT
);

CREATE TABLE print_items (
  print_batch_id BIGINT NOT NULL,
  record_id BIGINT NOT NULL,
  PRIMARY KEY (print_batch_id, record_id)
);

-- One row per roster record once something happened to its prints.
CREATE TABLE office_record_marks (
  record_id BIGINT PRIMARY KEY,
  printed_at BIGINT,
  print_batch_id BIGINT,
  order_id BIGINT,
  courier TEXT,
  tracking_no TEXT,
  shipped_at BIGINT,
  updated_at BIGINT NOT NULL
);

CREATE TABLE purge_runs (
  id {{ID}},
  started_at BIGINT NOT NULL,
  finished_at BIGINT,
  originals INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  standardized INTEGER NOT NULL DEFAULT 0,
  withdrawn INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE deletion_requests (
  id {{ID}},
  record_id BIGINT NOT NULL,
  account_id BIGINT NOT NULL,
  requested_at BIGINT NOT NULL,
  done_at BIGINT
);
CREATE INDEX deletion_requests_open ON deletion_requests (done_at);

-- Foundation: staff accounts, sessions, the job queue and its run history, the audit log.
-- Times are unix milliseconds. Written once for SQLite and PostgreSQL ({{ID}}, {{BLOB}} expand).

CREATE TABLE users (
  id {{ID}},
  username TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL CHECK (role IN ('reviewer', 'school_admin', 'operator')),
  school_id BIGINT NOT NULL DEFAULT 0,          -- 0: not bound to one school
  password_hash TEXT NOT NULL,                   -- Argon2id, libsodium's encoded string
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE sessions (
  id {{ID}},
  token_hash TEXT NOT NULL UNIQUE,               -- SHA-256 of the cookie token, hex
  role INTEGER NOT NULL,                         -- one ROLE_* bit
  user_id BIGINT NOT NULL,
  school_id BIGINT NOT NULL DEFAULT 0,
  csrf TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  ttl_ms BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (role, user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE jobs (
  id {{ID}},
  type TEXT NOT NULL,
  payload TEXT NOT NULL DEFAULT '{}',
  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL DEFAULT 5,
  run_at BIGINT NOT NULL,
  lease_token TEXT,
  lease_until BIGINT,
  worker TEXT,
  last_error TEXT,
  dedupe_key TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_lease ON jobs (state, lease_until);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key) WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running');

CREATE TABLE job_runs (
  id {{ID}},
  job_id BIGINT NOT NULL,
  attempt INTEGER NOT NULL,
  worker TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  finished_at BIGINT,
  outcome TEXT,                                  -- done, retry, failed, lease_lost, released; NULL while running
  error TEXT
);
CREATE INDEX job_runs_job ON job_runs (job_id);

CREATE TABLE audit_log (
  id {{ID}},
  at BIGINT NOT NULL,
  actor_role INTEGER NOT NULL,                   -- ROLE_* bit, 0 = the system
  actor_id BIGINT NOT NULL,
  action TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id BIGINT NOT NULL,
  detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_object ON audit_log (object_type, object_id);

-- A plain key/value note board for the system (e.g. demo seeded); not for personal data.
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- Identity: schools, batches, rosters, student accounts (phone sign-in), one-time codes, the link
-- between an account and its roster record, and pending claims made from a collection code.
-- Personal fields are sealed by util/vault ("v1:..."); lookups use keyed hashes; lists show masks.

CREATE TABLE schools (
  id {{ID}},
  code TEXT NOT NULL UNIQUE,                     -- the national school code, e.g. 10141
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE batches (
  id {{ID}},
  school_id BIGINT NOT NULL REFERENCES schools (id),
  name TEXT NOT NULL,
  window_start BIGINT NOT NULL,                  -- unix ms, first instant inside
  window_end BIGINT NOT NULL,                    -- unix ms, first instant after
  fees TEXT NOT NULL DEFAULT '[]',               -- JSON [{code,name,amount_fen,required}]
  profile TEXT NOT NULL,
  eligibility TEXT NOT NULL DEFAULT '{}',        -- JSON {grad_year, degrees}
  created_at BIGINT NOT NULL
);
CREATE INDEX batches_school ON batches (school_id);

CREATE TABLE roster_records (
  id {{ID}},
  batch_id BIGINT NOT NULL REFERENCES batches (id),
  school_id BIGINT NOT NULL,
  student_no TEXT NOT NULL,
  name_sealed TEXT NOT NULL,
  name_masked TEXT NOT NULL,
  id_sealed TEXT NOT NULL,
  id_hash TEXT NOT NULL,                         -- keyed hash of the ID number
  id_masked TEXT NOT NULL,
  college TEXT NOT NULL,
  major TEXT NOT NULL,
  degree TEXT NOT NULL,
  grad_year INTEGER NOT NULL,
  approved_at BIGINT,                            -- set when the photo is approved: collected
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (batch_id, student_no)
);
CREATE INDEX roster_school_no ON roster_records (school_id, student_no);

CREATE TABLE student_accounts (
  id {{ID}},
  phone_hash TEXT NOT NULL UNIQUE,
  phone_sealed TEXT NOT NULL,
  phone_masked TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_login_at BIGINT NOT NULL
);

CREATE TABLE otp_codes (
  id {{ID}},
  phone_hash TEXT NOT NULL,
  ip_hash TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  tries INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT
);
CREATE INDEX otp_phone ON otp_codes (phone_hash, created_at);
CREATE INDEX otp_ip ON otp_codes (ip_hash, created_at);

CREATE TABLE student_links (
  id {{ID}},
  account_id BIGINT NOT NULL UNIQUE,
  record_id BIGINT NOT NULL UNIQUE,
  code_sealed TEXT NOT NULL,                     -- the verified code text, sealed
  issuer_kid TEXT NOT NULL,
  seal_kid TEXT NOT NULL,
  linked_at BIGINT NOT NULL
);

CREATE TABLE identity_claims (
  id {{ID}},
  account_id BIGINT NOT NULL,
  record_id BIGINT NOT NULL,
  code_sealed TEXT NOT NULL,
  issuer_kid TEXT NOT NULL,
  seal_kid TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX identity_claims_account ON identity_claims (account_id);
